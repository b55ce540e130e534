"""The answer item registry: every type is complete (widget, printed form, catalog phrases), and a type
added as one row validates in the store, grades or not, prints and gets a widget with no other change."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ipywidgets import ToggleButtons

from toolkit.documents.common import Cover
from toolkit.documents.items import ITEM_TYPES, Choice, ItemType, catalog_keys, item_type, registered
from toolkit.errors import ResponseError
from toolkit.i18n import LANGUAGES, catalog
from toolkit.render import environment
from toolkit.responses.sheets import sheet_record
from toolkit.responses.store import ResponseStore, SheetRecord
from toolkit.widgets.worksheet import PROMPTS, WIDGETS, make_control

WORKSHEET_FORMS = "_worksheet_items.html.j2"  # a worksheet can hold every type
QUIZ_FORMS = "_quiz_items.html.j2"  # a quiz paper holds the graded ones

RATING = ItemType(
    "rating",
    "item.rating",
    "worksheet.part.checks",
    widget="buttons",
    prompt="statement",
    printed="scale",
    check=lambda kind, item, value: ITEM_TYPES["self-check"].check(kind, item, value),
    choices=tuple(Choice(n) for n in range(1, 6)),
)


def incomplete(kind: ItemType) -> list[str]:
    """What a type's row names that does not exist: its widget, prompt, print macro, catalog phrases."""
    missing = []
    if kind.widget not in WIDGETS:
        missing.append(f"widget '{kind.widget}'")
    if kind.prompt not in PROMPTS:
        missing.append(f"prompt '{kind.prompt}'")
    forms = [WORKSHEET_FORMS, *((QUIZ_FORMS,) if kind.graded else ())]
    for lang in LANGUAGES:
        for name in forms:
            if not hasattr(environment(lang).get_template(name).module, kind.printed):
                missing.append(f"macro '{kind.printed}' in {name}")
        missing += [f"{lang} phrase '{key}'" for key in catalog_keys(kind) if key not in catalog(lang)]
    if kind.graded and (kind.key is None or kind.loose is None):
        missing.append("an answer key and a reading of given answers")
    return missing


@pytest.mark.parametrize("name", list(ITEM_TYPES))
def test_every_type_has_a_widget_a_printed_form_and_its_phrases(name: str) -> None:
    assert incomplete(ITEM_TYPES[name]) == []
    assert item_type(name).label.startswith("item.")


def test_the_completeness_check_can_fail() -> None:
    # The rating row names a phrase no catalog has (until the test below adds it).
    assert incomplete(RATING) == ["en phrase 'item.rating'", "zh-CN phrase 'item.rating'"]


def test_an_unknown_type_is_one_line() -> None:
    with pytest.raises(
        ResponseError, match=r"^unknown item type 'essay'; valid: self-check, reflection, table, single"
    ):
        item_type("essay")


@dataclass(frozen=True)
class Printed:
    """An item as a document holds it: text and its type's row."""

    text: str
    spec: ItemType


@pytest.fixture
def rating(monkeypatch: pytest.MonkeyPatch) -> Iterator[ItemType]:
    for lang, label in (("en", "Rating"), ("zh-CN", "评分")):
        monkeypatch.setitem(catalog(lang).messages, "item.rating", label)
    with registered(RATING):
        yield RATING
    assert "rating" not in ITEM_TYPES


def sheet_with_rating() -> SheetRecord:
    items = (
        {"id": "r-ready", "type": "rating", "text": "How ready do you feel?"},
        {"id": "q-one", "type": "single", "text": "Pick B", "options": [["A", "a"], ["B", "b"]], "answer": "B"},
    )
    return SheetRecord("s1", "worksheet", "worksheet", "retired", "Sheet", "en", "v1", {}, items)


def test_a_type_added_as_one_row_works_everywhere(rating: ItemType, tmp_path: Path) -> None:
    assert incomplete(rating) == []
    # the store validates it: a value on the scale is kept, another refused in one line
    store = ResponseStore(tmp_path / "responses.sqlite")
    record = store.register_sheet(sheet_with_rating())
    store.save("s1", "worksheet", "li-ming", "r-ready", 4)
    for bad in (7, "4", True):
        with pytest.raises(ResponseError) as caught:
            store.save("s1", "worksheet", "li-ming", "r-ready", bad)
        assert str(caught.value) == f"item 'r-ready' (rating): value {bad!r} is not valid; valid: 1, 2, 3, 4, 5"
    assert store.answers("s1", "worksheet", "li-ming") == {"r-ready": 4}
    # it is not graded: the submission scores the question alone
    store.save("s1", "worksheet", "li-ming", "q-one", "B")
    submission = store.submit("s1", "worksheet", "li-ming")
    assert [row["item"] for row in submission.results] == ["q-one"]
    assert (submission.score, submission.max_score) == (1.0, 1.0)
    assert [item["id"] for item in record.questions()] == ["q-one"]
    store.close()
    # it prints with the macro its row names
    forms = environment("en").get_template(WORKSHEET_FORMS).module
    printed = str(getattr(forms, rating.printed)(Printed("How *ready*?", rating), None))
    assert printed.startswith("<p>How <em>ready</em>?</p>") and printed.count("☐") == 5 and " 5 " in printed
    # and the learner answers it in the widget its row names
    control = make_control(dict(record.items[0]), catalog("en"))
    assert isinstance(control.widget, ToggleButtons)
    assert [label for label, _ in control.widget.options] == ["1", "2", "3", "4", "5"]
    control.value = 3
    assert control.value == 3


def test_a_graded_type_added_as_one_row_is_graded(tmp_path: Path) -> None:
    # "Name a letter" graded like a single choice but answered in a text box.
    single = ITEM_TYPES["single"]
    letter = ItemType(
        "letter", "item.single", "worksheet.part.quiz", "text", "question", "options", single.check,
        graded=True, key=single.key, loose=single.loose,
    )  # fmt: skip
    with registered(letter):
        item: dict[str, Any] = {"id": "q-l", "type": "letter", "text": "?", "options": [["A", "a"]], "answer": "A"}
        store = ResponseStore(tmp_path / "responses.sqlite")
        store.register_sheet(SheetRecord("s1", "quiz", "quiz", "retired", "Quiz", "en", "v1", {}, (item,)))
        store.save("s1", "quiz", "li-ming", "q-l", "A")
        assert store.submit("s1", "quiz", "li-ming").results[0]["correct"]
        store.close()


@dataclass(frozen=True)
class RiskRegister:
    """A third kind of sheet learners answer."""

    cover: Cover

    def answer_items(self) -> tuple[dict[str, Any], ...]:
        return ({"id": "risk-1", "type": "reflection", "text": "Where could a gift reach you?"},)


def test_a_sheet_is_labelled_with_its_own_kind() -> None:
    cover = Cover("Risk register", "risk-register", "retired", "Retired", "", "", "", "2026-12-01", "en", "", "", None)  # type: ignore[arg-type]
    record = sheet_record(RiskRegister(cover), {"library": "x", "seed": 1}, "v1", "s1", "risks")
    assert (record.kind, record.params, record.items[0]["id"]) == ("risk-register", {"seed": 1}, "risk-1")
