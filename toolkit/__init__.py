"""Lianzheng (廉政): integrity-education material from a structured case library.

>>> import toolkit
>>> library = toolkit.load_library("casebook")          # doctest: +SKIP
>>> toolkit.library_stats(library)["cases"]             # doctest: +SKIP
43
"""

from importlib.metadata import PackageNotFoundError, version

from toolkit.errors import LibraryError, LibraryNotFoundError, MissingDependencyError, Problem, ToolkitError
from toolkit.library import (
    Case,
    Library,
    Message,
    Prompt,
    Question,
    Taxonomy,
    Theme,
    library_stats,
    load_library,
    read_library,
)
from toolkit.paths import bundled_library

try:
    __version__ = version("lianzheng")
except PackageNotFoundError:  # pragma: no cover - running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "Case",
    "Library",
    "LibraryError",
    "LibraryNotFoundError",
    "Message",
    "MissingDependencyError",
    "Problem",
    "Prompt",
    "Question",
    "Taxonomy",
    "Theme",
    "ToolkitError",
    "__version__",
    "bundled_library",
    "library_stats",
    "load_library",
    "read_library",
]
