"""Lianzheng (廉政): integrity-education material from a structured case library.

>>> import toolkit
>>> library = toolkit.load_library(toolkit.bundled_library())
>>> quiz = toolkit.assemble("quiz", {"audience": "retired", "questions": 5, "seed": 3}, library)
>>> quiz.cover.document, len(quiz.items)
('quiz', 5)
>>> toolkit.render_document(quiz).startswith("<article")
True
"""

from toolkit.documents import assemble
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
from toolkit.render import render as render_document
from toolkit.version import toolkit_version as _toolkit_version

__version__ = _toolkit_version()

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
    "assemble",
    "bundled_library",
    "library_stats",
    "load_library",
    "read_library",
    "render_document",
]
