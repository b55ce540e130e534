"""One learner's paper: the sheet's items in the order that learner sees them, options lettered for them.

Shuffled papers (``lianzheng serve --shuffle``) put the graded questions in another order and each
question's options in another order for every learner, the same every time the learner opens the sheet
(the order comes from a hash of the session, the learner and the item, nothing random is kept). What a
learner answers is stored as the option's value (the letter it has on the sheet as registered), never
as its position on the learner's paper, so grading, the store and the report do not know about shuffling.

>>> items = ({"id": "q1", "type": "single", "options": [["A", "x"], ["B", "y"], ["C", "z"]], "answer": "B"},)
>>> [item["options"] for item in learner_paper(items, "s", "li-ming", shuffle=False)]
[[['A', 'x'], ['B', 'y'], ['C', 'z']]]
>>> paper = learner_paper(items, "s", "li-ming", shuffle=True)[0]
>>> sorted(text for _, text in paper["options"]) == ["x", "y", "z"], sorted(paper["values"].values())
(True, ['A', 'B', 'C'])
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from toolkit.documents.items import item_type

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _rank(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def learner_paper(
    items: Sequence[Mapping[str, Any]], session: str, learner: str, *, shuffle: bool
) -> tuple[dict[str, Any], ...]:
    """The items as ``learner`` sees them, each with ``values``: the letter shown -> the value stored.

    Shuffled, the graded questions trade places among themselves (the other items stay where they are,
    so a worksheet keeps its parts) and each question's options are lettered afresh in a new order.
    """
    order = list(range(len(items)))
    if shuffle:
        graded = [n for n, item in enumerate(items) if item_type(item["type"]).graded]
        mixed = sorted(graded, key=lambda n: _rank(session, learner, "order", str(items[n]["id"])))
        for slot, n in zip(graded, mixed, strict=True):
            order[slot] = n
    paper = []
    for n in order:
        item = dict(items[n])
        options = [list(option) for option in item.get("options", [])]
        if shuffle and options:
            options = sorted(options, key=lambda option: _rank(session, learner, "option", str(item["id"]), option[0]))
        shown = [[LETTERS[k] if shuffle else value, text] for k, (value, text) in enumerate(options)]
        item["options"] = shown
        item["values"] = {letter: value for (letter, _), (value, _) in zip(shown, options, strict=True)}
        paper.append(item)
    return tuple(paper)


def shown_answer(item: Mapping[str, Any], value: Any) -> Any:
    """A stored answer in the letters of the learner's paper (``item`` from :func:`learner_paper`)."""
    letters = {stored: shown for shown, stored in item.get("values", {}).items()}
    if isinstance(value, str):
        return letters.get(value, value)
    if isinstance(value, list):
        return sorted(letters.get(v, v) for v in value)
    return value
