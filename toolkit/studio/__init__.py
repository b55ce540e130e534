"""The trainer studio: find, pick and preview cases, then save the session as a build spec.

``core`` is the state and logic (no browser needed); ``widgets`` draws it with ipywidgets;
:func:`open_studio` is what ``notebooks/studio.ipynb`` calls.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.studio.core import Filters, Studio, check_spec

if TYPE_CHECKING:  # ipywidgets is imported when the studio is opened, not with the package
    from toolkit.studio.widgets import StudioUI

__all__ = ["Filters", "Studio", "check_spec", "open_studio"]


def open_studio(library: str = "", spec: str = "", lang: str = "en", save_to: str = "session.yaml") -> StudioUI:
    """The studio, displayed as its widgets: the spec ``spec`` reopened, or a new session on ``library``.

    Saving writes back to ``spec``; with no ``spec``, to ``save_to``.
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
    return StudioUI(studio, target, message)
