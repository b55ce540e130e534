"""A worksheet or quiz paper as the response store registers it: its items with ids and types.

Any document learners answer will do: it has a cover (its kind's name is the sheet's kind) and
``answer_items()``, its items as the store registers them (see ``toolkit.documents.items``).
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from toolkit.documents.common import Cover
from toolkit.responses.store import SheetRecord


@runtime_checkable
class AnswerSheet(Protocol):
    """A document learners answer: a worksheet, a quiz paper, or any kind added later."""

    @property
    def cover(self) -> Cover: ...

    def answer_items(self) -> tuple[dict[str, Any], ...]: ...


def sheet_items(document: AnswerSheet) -> tuple[dict[str, Any], ...]:
    """Every item a learner answers, in the order the sheet shows them."""
    return document.answer_items()


def sheet_record(
    document: AnswerSheet,
    params: dict[str, Any],
    library_version: str,
    session: str,
    sheet: str,
) -> SheetRecord:
    """The ``sheets`` row of a document opened in a session; its kind is the document's own."""
    cover = document.cover
    shown = {name: value for name, value in params.items() if name != "library"}
    return SheetRecord(
        session=session,
        sheet=sheet,
        kind=cover.document,
        audience=cover.audience,
        title=cover.title,
        lang=cover.lang,
        library_version=library_version,
        params=shown,
        items=sheet_items(document),
    )
