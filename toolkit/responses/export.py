"""``lianzheng responses export``: every answer in the store as one row of a CSV or Excel file.

Columns: session, sheet, learner, item, type, value, saved_at, then the learner's submission of the
sheet (score, max_score, passed, submitted_at; blank before submitting). The file is written to a
temporary name and renamed, so an export that fails leaves any earlier file as it was.
"""

from __future__ import annotations

from pathlib import Path

from toolkit.errors import ResponseError, requires_extra
from toolkit.fileio import staged
from toolkit.responses.store import ResponseStore

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


def export_answers(store: Path, out: Path) -> int:
    """Write the store's answers to ``out`` (``.csv``, UTF-8 with a byte-order mark for Excel, or ``.xlsx``).

    Returns the number of rows written.
    """
    import pandas as pd

    suffix = out.suffix.lower()
    if suffix not in SUFFIXES:
        raise ResponseError(f"{out}: cannot export to '{out.suffix or 'no suffix'}'; valid: {', '.join(SUFFIXES)}")
    if suffix == ".xlsx":
        with requires_extra("xlsx"):  # pandas writes .xlsx with it
            import openpyxl  # noqa: F401
    rows = ResponseStore(store, create=False).export_rows()
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    with staged(out) as temp:
        if suffix == ".csv":
            frame.to_csv(temp, index=False, encoding="utf-8-sig")
        else:
            frame.to_excel(temp, index=False, sheet_name="answers", engine="openpyxl")
    return len(frame)
