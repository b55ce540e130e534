"""The case library: format, loading, checking and counting."""

from toolkit.library.catalog import Library
from toolkit.library.load import load_library, read_library
from toolkit.library.model import Case, Message, Prompt, Question, Taxonomy, Theme
from toolkit.library.stats import library_stats

__all__ = [
    "Case",
    "Library",
    "Message",
    "Prompt",
    "Question",
    "Taxonomy",
    "Theme",
    "library_stats",
    "load_library",
    "read_library",
]
