"""The trainer studio: find, pick and preview cases, then save the session as a build spec.

``core`` is the state and logic (no browser needed); ``widgets`` draws it with ipywidgets;
:func:`open_studio` is what ``notebooks/studio.ipynb`` calls.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolkit.studio.core import Filters, Studio, check_spec

__all__ = ["Filters", "Studio", "check_spec", "open_studio"]


def open_studio(library: str = "", spec: str = "", lang: str = "en", save_to: str = "session.yaml") -> Any:
    """The studio's widget: the spec ``spec`` reopened when it exists, else a new session on ``library``.

    Saving writes to ``save_to`` (or back to ``spec`` when one was opened).
    """
    from toolkit.i18n import catalog
    from toolkit.library.load import load_library
    from toolkit.paths import default_library
    from toolkit.studio.widgets import StudioUI

    message = ""
    if spec and Path(spec).is_file():
        studio = Studio.open(Path(spec), load_library(Path(library)) if library else None)
        t = catalog(studio.lang)
        message = t("studio.opened", path=spec)
        target = spec
    else:
        studio = Studio(load_library(Path(library) if library else default_library()), lang=lang)
        target = spec or save_to
    return StudioUI(studio, target, message).widget
