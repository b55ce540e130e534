"""A worksheet or quiz paper as the response store registers it: its items with ids and types.

Item ids are the library's: prompt ids for self-check items and reflection questions, question ids
for quiz questions, ``table:problem``, ``table:cause`` and ``table:measure`` for the rows of the
problems / causes / measures table.
"""

from __future__ import annotations

from typing import Any

from toolkit.documents.quiz import QuizPaper
from toolkit.documents.worksheet import Worksheet
from toolkit.responses.grading import question_item
from toolkit.responses.store import SheetRecord

TABLE_STEPS = ("problem", "cause", "measure")  # the order assemble_worksheet gives the table's rows


def sheet_items(document: Worksheet | QuizPaper) -> tuple[dict[str, Any], ...]:
    """Every item a learner answers, in the order the sheet shows them."""
    lang = document.cover.lang
    if isinstance(document, QuizPaper):
        return tuple(question_item(item, lang) for item in document.items)
    items: list[dict[str, Any]] = []
    for group in document.checks:
        items += [{"id": pid, "type": "self-check", "text": text, "group": group.heading} for pid, text in group.items]
    items += [{"id": pid, "type": "reflection", "text": text} for pid, text in document.reflections]
    for step, row in zip(TABLE_STEPS, document.table, strict=True):
        items.append({"id": f"table:{step}", "type": "table", "text": row.step, "hints": list(row.hints)})
    items += [question_item(item, lang) for item in document.quiz]
    return tuple(items)


def sheet_record(
    document: Worksheet | QuizPaper,
    params: dict[str, Any],
    library_version: str,
    session: str,
    sheet: str,
) -> SheetRecord:
    """The ``sheets`` row of a document opened in a session."""
    cover = document.cover
    kind = "quiz" if isinstance(document, QuizPaper) else "worksheet"
    shown = {name: value for name, value in params.items() if name != "library"}
    return SheetRecord(
        session=session,
        sheet=sheet,
        kind=kind,
        audience=cover.audience,
        title=cover.title,
        lang=cover.lang,
        library_version=library_version,
        params=shown,
        items=sheet_items(document),
    )
