"""Lianzheng (廉政): integrity-education material from a structured case library.

>>> import toolkit
>>> library = toolkit.load_library(toolkit.bundled_library())
>>> quiz = toolkit.assemble("quiz", {"audience": "retired", "questions": 5, "seed": 3}, library)
>>> quiz.cover.document, len(quiz.items)
('quiz', 5)
>>> toolkit.render_document(quiz).startswith("<article")
True
"""

import importlib as _importlib
import typing as _typing

# The names below are loaded when first used (PEP 562), not when a part of the package is imported:
# a learner's page imports only the store and the widgets, not the library's models or the renderer.
_EXPORTS = {
    "assemble": ("toolkit.documents", "assemble"),
    "LibraryError": ("toolkit.errors", "LibraryError"),
    "LibraryNotFoundError": ("toolkit.errors", "LibraryNotFoundError"),
    "MissingDependencyError": ("toolkit.errors", "MissingDependencyError"),
    "Problem": ("toolkit.errors", "Problem"),
    "ToolkitError": ("toolkit.errors", "ToolkitError"),
    "Case": ("toolkit.library", "Case"),
    "Library": ("toolkit.library", "Library"),
    "Message": ("toolkit.library", "Message"),
    "Prompt": ("toolkit.library", "Prompt"),
    "Question": ("toolkit.library", "Question"),
    "Taxonomy": ("toolkit.library", "Taxonomy"),
    "Theme": ("toolkit.library", "Theme"),
    "library_stats": ("toolkit.library", "library_stats"),
    "load_library": ("toolkit.library", "load_library"),
    "read_library": ("toolkit.library", "read_library"),
    "bundled_library": ("toolkit.paths", "bundled_library"),
    "render_document": ("toolkit.render", "render"),
}

if _typing.TYPE_CHECKING:
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


def __getattr__(name: str) -> _typing.Any:
    if name == "__version__":
        from toolkit.version import toolkit_version

        return toolkit_version()
    try:
        module, attribute = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'toolkit' has no attribute '{name}'") from None
    value = getattr(_importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS, "__version__"})


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
