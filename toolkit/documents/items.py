"""Answer item types: one row per kind of thing a learner answers on a worksheet or quiz.

Every part that handles an item (the store's validation, grading, the printed form, the learner's
widget, the sheet builder, the report) looks its type up here instead of branching on the name, so a
new kind of item is one row plus whatever is really new about it (a widget or a print macro).

A row names its widget and its printed form rather than holding them: the widgets live in a higher
layer (``toolkit.widgets.worksheet.WIDGETS`` and ``PROMPTS``), the print macros in
``render/templates/_items.html.j2``, and this module sits below both.

>>> item_type("single").graded
True
>>> item_type("self-check").normalise({"id": "sc-1", "type": "self-check"}, "maybe")
Traceback (most recent call last):
...
toolkit.errors.ResponseError: item 'sc-1' (self-check): value 'maybe' is not valid; valid: yes, no, unsure
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from toolkit.errors import InvalidAnswer, ResponseError
from toolkit.i18n import Catalog
from toolkit.storefile import first_surrogate
from toolkit.tables import added_row

MAX_TEXT = 20_000  # characters in one written answer
TRUE_WORDS = frozenset({"true", "t", "yes", "1"})
FALSE_WORDS = frozenset({"false", "f", "no", "0"})


@dataclass(frozen=True)
class Choice:
    """One answer a learner picks: the value stored, and its label's catalog key ('' shows the value)."""

    value: Any
    label: str = ""


@dataclass(frozen=True)
class ItemType:
    """One kind of answer item. ``check`` and ``loose`` take the item's record (see ``sheet_items``)."""

    name: str
    label: str  # catalog key of the type's name
    section: str  # catalog key of the part of a worksheet it is answered in
    widget: str  # the control that answers it, in toolkit.widgets.worksheet.WIDGETS
    prompt: str  # how the learner's page shows it, in toolkit.widgets.worksheet.PROMPTS
    printed: str  # the macro that prints it, in render/templates/_items.html.j2
    check: Callable[[ItemType, Mapping[str, Any], Any], Any]  # the stored form of a value, or InvalidAnswer
    choices: tuple[Choice, ...] = ()  # fixed answers, in the order offered
    graded: bool = False
    key: Callable[[str, Catalog], Any] | None = None  # a printed answer in the store's form (graded)
    loose: Callable[[Any], Any] | None = None  # a given answer in the key's form, None if it cannot be
    hint: str = ""  # catalog key of a line under the item on the learner's page

    def normalise(self, item: Mapping[str, Any], value: Any) -> Any:
        """The value to store for ``item``; ``None`` clears an answer; a one-line error otherwise."""
        if value is None:
            return None
        try:
            return self.check(self, item, value)
        except InvalidAnswer as exc:
            raise ResponseError(f"item '{item['id']}' ({self.name}): {exc}") from None

    def correct(self, given: Any, answer: Any) -> bool:
        """Whether ``given`` is exactly the key's ``answer`` (a graded type)."""
        if given is None or self.loose is None:
            return False
        expected = sorted(answer) if isinstance(answer, list) else answer
        return bool(self.loose(given) == expected)

    def values(self) -> tuple[Any, ...]:
        return tuple(choice.value for choice in self.choices)


def _one_of_choices(kind: ItemType, item: Mapping[str, Any], value: Any) -> Any:
    if isinstance(value, bool) is not isinstance(kind.values()[0], bool) or value not in kind.values():
        valid = ", ".join(str(v) for v in kind.values())
        raise InvalidAnswer(f"value {value!r} is not valid; valid: {valid}")
    return value


def _true_or_false(kind: ItemType, item: Mapping[str, Any], value: Any) -> Any:
    if not isinstance(value, bool):
        raise InvalidAnswer(f"value {value!r} is not valid; valid: true or false")
    return value


def _text(kind: ItemType, item: Mapping[str, Any], value: Any) -> Any:
    if not isinstance(value, str):
        raise InvalidAnswer(f"value must be text, not {value!r}")
    if len(value) > MAX_TEXT:
        raise InvalidAnswer(f"{len(value)} characters; valid: at most {MAX_TEXT}")
    if (bad := first_surrogate(value)) >= 0:  # UTF-8 cannot hold it: the store could not save it
        raise InvalidAnswer(f"character {bad + 1} is not text (a lone surrogate, {value[bad]!r}); valid: Unicode text")
    return value


def letters(item: Mapping[str, Any]) -> list[str]:
    """The option letters of a choice question's record."""
    return [letter for letter, _ in item.get("options", [])]


def _one_letter(kind: ItemType, item: Mapping[str, Any], value: Any) -> Any:
    if value not in letters(item):
        raise InvalidAnswer(f"value {value!r} is not valid; valid: one of {', '.join(letters(item))}")
    return value


def _letters(kind: ItemType, item: Mapping[str, Any], value: Any) -> Any:
    if not isinstance(value, list | tuple) or any(v not in letters(item) for v in value):
        raise InvalidAnswer(f"value {value!r} is not valid; valid: a list of letters from {letters(item)}")
    return sorted(set(value))


def _loose_letter(value: Any) -> Any:
    return str(value).strip().upper() or None


def _loose_letters(value: Any) -> Any:
    given = list(value) if isinstance(value, list | tuple | str) else []
    return sorted({str(letter).strip().upper() for letter in given if str(letter).strip()}) or None


def _loose_bool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    return True if word in TRUE_WORDS else False if word in FALSE_WORDS else None


TRUE_FALSE = (Choice(True, "quiz.true"), Choice(False, "quiz.false"))

ITEM_TYPES: dict[str, ItemType] = {
    kind.name: kind
    for kind in (
        ItemType(
            "self-check",
            "item.self-check",
            "worksheet.part.checks",
            widget="buttons",
            prompt="statement",
            printed="check_row",
            check=_one_of_choices,
            choices=(
                Choice("yes", "learner.answer.yes"),
                Choice("no", "learner.answer.no"),
                Choice("unsure", "learner.answer.unsure"),
            ),
        ),
        ItemType(
            "reflection",
            "item.reflection",
            "worksheet.part.reflection",
            widget="text",
            prompt="reflection",
            printed="reflection",
            check=_text,
        ),
        ItemType(
            "table",
            "item.table",
            "worksheet.part.table",
            widget="text",
            prompt="table_row",
            printed="table_row",
            check=_text,
        ),
        ItemType(
            "single",
            "item.single",
            "worksheet.part.quiz",
            widget="letter",
            prompt="question",
            printed="options",
            check=_one_letter,
            graded=True,
            key=lambda answer, t: answer,
            loose=_loose_letter,
        ),
        ItemType(
            "multiple",
            "item.multiple",
            "worksheet.part.quiz",
            widget="letters",
            prompt="question",
            printed="options",
            check=_letters,
            graded=True,
            key=lambda answer, t: sorted(answer),
            loose=_loose_letters,
            hint="learner.multiple_hint",
        ),
        ItemType(
            "true-false",
            "item.true-false",
            "worksheet.part.quiz",
            widget="buttons",
            prompt="question",
            printed="true_false",
            check=_true_or_false,
            choices=TRUE_FALSE,
            graded=True,
            key=lambda answer, t: answer == t("quiz.true"),
            loose=_loose_bool,
        ),
    )
}


def item_type(name: str) -> ItemType:
    """The type called ``name``; a one-line :class:`ResponseError` names the valid types otherwise."""
    try:
        return ITEM_TYPES[name]
    except KeyError:
        raise ResponseError(f"unknown item type '{name}'; valid: {', '.join(ITEM_TYPES)}", "type") from None


def graded_types() -> tuple[str, ...]:
    """The names of the types a quiz grades, in the registry's order."""
    return tuple(name for name, kind in ITEM_TYPES.items() if kind.graded)


def check_graded(item_id: str, name: str) -> ItemType:
    """The type of a question to grade; a one-line error when that type is not graded."""
    kind = ITEM_TYPES.get(name)
    if kind is None or not kind.graded:
        raise ResponseError(f"question '{item_id}': type '{name}' cannot be graded; valid: {', '.join(graded_types())}")
    return kind


def catalog_keys(kind: ItemType) -> tuple[str, ...]:
    """Every catalog key a type's row names (its label, section, hint and choices)."""
    keys = [kind.label, kind.section, kind.hint, *(choice.label for choice in kind.choices)]
    return tuple(key for key in keys if key)


@contextmanager
def registered(*kinds: ItemType) -> Iterator[None]:
    """Add item types for the duration of a block (tests; a plugin would add its rows at start-up)."""
    with ExitStack() as stack:
        for kind in kinds:
            stack.enter_context(added_row(ITEM_TYPES, kind.name, kind, "item type"))
        yield
