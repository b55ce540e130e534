"""The handout record: an assembled document with its checked parameters and rendered HTML.

It lives below :mod:`toolkit.handout` (which makes one from a notebook's namespace and displays it)
and :mod:`toolkit.widgets` (which builds the interactive edition over one), so both import it from
here and neither imports the other's callers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from toolkit.documents import Document
from toolkit.documents.params import INTERACTIVE


@dataclass(frozen=True)
class Handout:
    """An assembled document with its checked parameters and rendered HTML fragment."""

    name: str
    parameters: dict[str, Any]
    document: Document
    html: str
    library_version: str
    learner: dict[str, Any] | None = None  # the interactive edition's parameters (params.LEARNER), else None

    @property
    def interactive(self) -> bool:
        """Whether this is the interactive edition: learners answer it in widgets."""
        return self.parameters.get("edition") == INTERACTIVE

    def metadata(self) -> dict[str, Any]:
        """What the builder reads back from an executed notebook: title, language, entries used."""
        return {
            "document": self.name,
            "title": self.document.cover.title,
            "lang": self.document.cover.lang,
            "edition": self.document.cover.edition,
            "library_version": self.library_version,
            "uses": sorted(self.document.uses),
        }

    def _repr_html_(self) -> str:
        return self.html
