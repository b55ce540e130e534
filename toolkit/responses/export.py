"""``lianzheng responses export``: every answer in the store as one row of a CSV or Excel file.

Attempts at a pre-appointment test (``lianzheng serve test``) are there too: each attempt's answers under
the sheet ``test:<attempt>``, after a row with item ``paper`` and type ``attempt`` whose value is the
paper's question ids in order (its ``saved_at`` is when the paper was first opened), all with the
attempt's score; the ``.xlsx`` file also has a sheet ``attempts``, one row per attempt (see
:data:`ATTEMPT_COLUMNS`).

Columns: session, sheet, learner, item, type, value, saved_at, then the learner's submission of the
sheet (score, max_score, passed, submitted_at; blank before submitting). The file is written to a
temporary name and renamed, so an export that fails leaves any earlier file as it was. The store is
opened for reading only (:meth:`ResponseStore.open_readonly`): an export never changes it.

Answers are what learners typed, so nothing in them may act when the file is opened:

* in the ``.xlsx`` file every text is a text cell (never a formula, whatever it begins with), and one
  beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is also marked "quoted" so
  that editing it in Excel does not make it a formula; scores are numbers and ``passed`` a boolean.
  Characters an XLSX file cannot hold (control characters other than tab and line breaks, lone
  surrogates, U+FFFE and U+FFFF) become U+FFFD, and a text longer than a cell holds (32,767
  characters) is cut there, ending with U+2026;
* in the ``.csv`` file, which has no types, a text beginning with one of those characters gets a
  leading ``'`` (as spreadsheets themselves write a quoted cell), and a lone surrogate becomes U+FFFD.
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.errors import ResponseError, StoreError, requires_extra
from toolkit.fileio import staged, xml_safe
from toolkit.responses.store import ResponseStore

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

COLUMNS = (
    "session",
    "sheet",
    "learner",
    "item",
    "type",
    "value",
    "saved_at",
    "score",
    "max_score",
    "passed",
    "submitted_at",
)
SUFFIXES = (".csv", ".xlsx")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what makes a spreadsheet read a cell as a formula
XLSX_CELL = 32767  # characters an Excel cell holds
SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def export_answers(store: Path, out: Path) -> int:
    """Write the store's answers to ``out`` (``.csv``, UTF-8 with a byte-order mark for Excel, or ``.xlsx``).

    Returns the number of rows written.
    """
    suffix = out.suffix.lower()
    if suffix not in SUFFIXES:
        raise ResponseError(f"{out}: cannot export to '{out.suffix or 'no suffix'}'; valid: {', '.join(SUFFIXES)}")
    if suffix == ".xlsx":
        with requires_extra("xlsx"):
            import openpyxl  # noqa: F401
    reader = ResponseStore.open_readonly(store)
    try:
        rows = reader.export_rows()
        attempts = attempt_rows(reader)  # the pre-appointment test
        rows += attempt_answer_rows(reader, attempts)
    except sqlite3.Error as exc:
        raise StoreError(f"{store}: cannot read the response store ({exc})") from None
    finally:
        reader.close()
    with staged(out) as temp:
        if suffix == ".csv":
            write_csv(rows, temp)
        else:
            write_xlsx(rows, temp, attempts)
    return len(rows)


# -- the pre-appointment test's attempts ---------------------------------------------------------------------

# The XLSX file's second sheet, ``attempts``: one row per attempt at a session's test.
ATTEMPT_COLUMNS = (
    "session",
    "learner",
    "attempt",
    "started_at",
    "deadline_at",
    "submitted_at",
    "score",
    "max_score",
    "passed",
    "pass_mark",
    "questions",
)


def attempt_rows(reader: ResponseStore) -> list[dict[str, Any]]:
    """One row per attempt (the ``attempts`` sheet): who, when, which paper (question ids in order), score."""
    from toolkit.responses.pretest import all_attempts

    return [
        {
            "session": a.session,
            "learner": a.learner,
            "attempt": a.attempt,
            "started_at": a.started_at,
            "deadline_at": a.deadline_at,
            "submitted_at": a.submitted_at,
            "score": a.score,
            "max_score": a.max_score,
            "passed": a.passed,
            "pass_mark": a.pass_mark,
            "questions": " ".join(a.questions),
            "_answers": dict(reader.answers(a.session, a.sheet, a.learner)),
            "_types": {item["id"]: item["type"] for item in a.items},
            "_sheet": a.sheet,
        }
        for a in all_attempts(reader)
    ]


def attempt_answer_rows(reader: ResponseStore, attempts: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The rows of the answers table for the attempts: one per answer, under the sheet ``test:<attempt>``,
    with the attempt's score, as a served sheet's answers are (a row ``paper`` first: its question ids)."""
    from toolkit.responses.store import cell_text

    rows = []
    for a in attempts:
        common = {
            "session": a["session"],
            "sheet": a["_sheet"],
            "learner": a["learner"],
            "score": a["score"],
            "max_score": a["max_score"],
            "passed": a["passed"],
            "submitted_at": a["submitted_at"],
        }
        rows.append(
            {**common, "item": "paper", "type": "attempt", "value": a["questions"], "saved_at": a["started_at"]}
        )
        saved = {
            item: row[0]
            for item, *row in reader.conn.execute(
                "SELECT item, saved_at FROM answers WHERE session = ? AND sheet = ? AND learner = ? ORDER BY save_id",
                (a["session"], a["_sheet"], a["learner"]),
            )
        }
        for item, when in saved.items():
            value = a["_answers"].get(item)
            rows.append(
                {**common, "item": item, "type": a["_types"].get(item, ""), "value": cell_text(value), "saved_at": when}
            )
    return rows


# -- end of the pre-appointment test -------------------------------------------------------------------------


def csv_text(value: Any) -> Any:
    """A value as a CSV cell: a text that a spreadsheet would read as a formula gets a leading ``'``."""
    if not isinstance(value, str):
        return value
    text = SURROGATE.sub(REPLACEMENT, value)
    return "'" + text if text.startswith(FORMULA_START) else text


def write_csv(rows: Sequence[Mapping[str, Any]], path: Path) -> None:
    import pandas as pd

    frame = pd.DataFrame([{column: csv_text(row[column]) for column in COLUMNS} for row in rows], columns=COLUMNS)
    # Lines end in CR LF (RFC 4180): the writer then quotes a text holding a lone CR too, which would
    # otherwise end the row in Excel.
    frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")


def xlsx_text(value: str) -> str:
    """``value`` as an XLSX cell can hold it (see the module)."""
    text = xml_safe(value, REPLACEMENT)  # openpyxl refuses the control characters among them
    return text if len(text) <= XLSX_CELL else text[: XLSX_CELL - 1] + "\u2026"


def xlsx_cell(sheet: WriteOnlyWorksheet, value: Any) -> Cell | None:
    """One cell: blank for none, a boolean, a finite number, and anything else as text, never a formula."""
    from openpyxl.cell import WriteOnlyCell

    if value is None:
        return None
    if isinstance(value, bool) or (isinstance(value, int | float) and math.isfinite(value)):
        return WriteOnlyCell(sheet, value=value)
    text = xlsx_text(str(value))
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # openpyxl makes a text beginning with "=" a formula; this keeps it text
    if text.startswith(FORMULA_START):
        cell.quotePrefix = True  # and editing it in Excel keeps it text too
    return cell


def write_xlsx(rows: Sequence[Mapping[str, Any]], path: Path, attempts: Sequence[Mapping[str, Any]] = ()) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("answers")
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append([xlsx_cell(sheet, row[column]) for column in COLUMNS])
    if attempts:  # the pre-appointment test: one row per attempt
        tried = book.create_sheet("attempts")
        tried.append(list(ATTEMPT_COLUMNS))
        for row in attempts:
            tried.append([xlsx_cell(tried, row[column]) for column in ATTEMPT_COLUMNS])
    book.save(path)
