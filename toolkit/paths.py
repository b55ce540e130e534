"""Where things are: the bundled library, and the library a command uses when given none."""

from __future__ import annotations

import os
from pathlib import Path

from toolkit.errors import LibraryNotFoundError

_PACKAGE = Path(__file__).resolve().parent


def bundled_library() -> Path:
    """The sample library shipped with Lianzheng: inside the installed package, or the source tree's
    ``casebook/`` when running from a checkout."""
    for candidate in (_PACKAGE / "casebook", _PACKAGE.parent / "casebook"):
        if (candidate / "taxonomy.yaml").is_file():
            return candidate
    raise LibraryNotFoundError(str(_PACKAGE / "casebook"))


def notebooks_dir() -> Path:
    """The folder of the document notebooks: the source tree's ``notebooks/`` or the installed copy."""
    for candidate in (_PACKAGE.parent / "notebooks", _PACKAGE / "notebooks"):
        if candidate.is_dir():
            return candidate
    return _PACKAGE / "notebooks"


def default_library() -> Path:
    """``$LIANZHENG_LIBRARY``, else ``./casebook`` when it is a library, else the bundled library."""
    chosen = os.environ.get("LIANZHENG_LIBRARY")
    if chosen:
        return Path(chosen)
    here = Path("casebook")
    if (here / "taxonomy.yaml").is_file():
        return here
    return bundled_library()
