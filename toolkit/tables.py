"""Adding a row to one of the toolkit's tables of variants: the documents (``documents.DOCUMENTS``), the
output formats (``batch.formats.FORMATS``) and the answer item types (``documents.items.ITEM_TYPES``).

A row is added under its name; adding the same row again changes nothing, and a different row under a
name already taken is refused, so a plugin cannot replace a bundled kind by accident.

>>> table = {"html": "page"}
>>> add_row(table, "txt", "text", "format")
'text'
>>> add_row(table, "html", "deck", "format")
Traceback (most recent call last):
...
toolkit.errors.ParameterError: a different format is already called 'html'
>>> with added_row(table, "md", "markdown", "format"):
...     sorted(table)
['html', 'md', 'txt']
>>> sorted(table)
['html', 'txt']
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from toolkit.errors import ParameterError

Row = TypeVar("Row")


def add_row(table: dict[str, Row], name: str, row: Row, noun: str) -> Row:
    """Add ``row`` to ``table`` under ``name``; a :class:`ParameterError` if another row has the name."""
    if table.get(name, row) != row:
        raise ParameterError(f"a different {noun} is already called '{name}'", noun)
    table[name] = row
    return row


@contextmanager
def added_row(table: dict[str, Row], name: str, row: Row, noun: str) -> Iterator[Row]:
    """:func:`add_row` for the duration of a block (tests, a one-off build); the row goes again after."""
    add_row(table, name, row, noun)
    try:
        yield row
    finally:
        table.pop(name, None)
