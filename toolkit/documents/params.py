"""Document parameters: one table of names, defaults and valid values, checked before anything runs.

The notebooks' ``parameters`` cells, the CLI, build specs and the widgets all pass plain values;
:func:`validate` turns them into a checked mapping or raises :class:`ParameterError` naming the
parameter and the valid choices. Unknown names are errors, with a "did you mean".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from toolkit.errors import LanguageError, ParameterError, did_you_mean
from toolkit.i18n import LANGUAGES

if TYPE_CHECKING:  # the library's models load when a library is, not with the parameters table
    from toolkit.library.catalog import Library

Choices = Callable[["Library"], Sequence[str]]

WHOLE_NUMBER = re.compile(r"\s*-?[0-9]+\s*")
NUMBER = re.compile(r"\s*-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)\s*")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Param:
    """One parameter: its default, type and valid values. ``choices`` may depend on the library."""

    name: str
    default: Any
    help: str
    choices: Sequence[str] | Choices | None = None
    minimum: float | None = None
    maximum: float | None = None
    blank_ok: bool = False
    many: bool = False  # a list of choices, in order: a YAML list or comma-separated text

    def valid_choices(self, library: Library) -> Sequence[str] | None:
        if self.choices is None or isinstance(self.choices, (list, tuple)):
            return self.choices
        return self.choices(library)  # type: ignore[operator]

    def check(self, value: Any, library: Library, where: str) -> Any:
        """The value, checked; a :class:`ParameterError` otherwise."""
        expected = type(self.default)
        if expected is bool:
            if isinstance(value, str) and value.strip().lower() in ("true", "false"):
                value = value.strip().lower() == "true"
            if not isinstance(value, bool):
                raise ParameterError(
                    f"{where}: parameter '{self.name}' must be True or False, not {value!r}", self.name
                )
            return value
        if expected is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                if isinstance(value, str) and NUMBER.fullmatch(value):
                    value = float(value)
                else:
                    raise ParameterError(f"{where}: parameter '{self.name}' must be a number, not {value!r}", self.name)
            return self._in_range(float(value), where)
        if expected is int:
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, str) and WHOLE_NUMBER.fullmatch(value):
                    value = int(value)
                else:
                    raise ParameterError(
                        f"{where}: parameter '{self.name}' must be a whole number, not {value!r}", self.name
                    )
            return self._in_range(value, where)
        if self.many:
            return self._check_many(value, library, where)
        if not isinstance(value, str):
            raise ParameterError(f"{where}: parameter '{self.name}' must be text, not {value!r}", self.name)
        if value == "" and self.blank_ok:
            return value
        choices = self.valid_choices(library)
        if choices is not None and value not in choices:
            hint = did_you_mean(value, choices)
            raise ParameterError(
                f"{where}: parameter '{self.name}' is '{value}'{hint}; valid: {', '.join(choices)}", self.name
            )
        if self.name == "date":
            try:
                # fromisoformat alone also takes 20261201 and 2026-W48-2, which would be printed as typed
                if not ISO_DATE.fullmatch(value):
                    raise ValueError(value)
                dt.date.fromisoformat(value)
            except ValueError:
                raise ParameterError(
                    f"{where}: parameter 'date' is '{value}'; valid: a date as YYYY-MM-DD, or '' for today", "date"
                ) from None
        return value

    def _in_range(self, value: float, where: str) -> Any:
        low, high = self.minimum, self.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            valid = f"{_number(low)} to {_number(high)}" if high is not None else f"{_number(low)} or more"
            raise ParameterError(f"{where}: parameter '{self.name}' is {_number(value)}; valid: {valid}", self.name)
        return value

    def _check_many(self, value: Any, library: Library, where: str) -> str:
        """A list of choices as comma-separated text (the form a notebook's parameters cell holds)."""
        if isinstance(value, str):
            items = [item.strip() for item in value.split(",") if item.strip()]
        elif isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
            items = [item.strip() for item in value]
        else:
            raise ParameterError(
                f"{where}: parameter '{self.name}' must be a list of ids or comma-separated text, not {value!r}",
                self.name,
            )
        choices = self.valid_choices(library) or ()
        known = set(choices)
        for item in items:
            if item not in known:
                hint = did_you_mean(item, choices)
                raise ParameterError(
                    f"{where}: parameter '{self.name}' names '{item}', which is not in the library{hint}", self.name
                )
        if len(set(items)) != len(items):
            twice = next(item for item in items if items.count(item) > 1)
            raise ParameterError(f"{where}: parameter '{self.name}' names '{twice}' twice", self.name)
        return ",".join(items)


def _number(value: float | None) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _audiences(library: Library) -> list[str]:
    return [audience.id for audience in library.taxonomy.audiences]


def theme_ids(library: Library) -> list[str]:
    """The valid values of a ``theme`` parameter: the library's themes."""
    return [theme.id for theme in library.themes]


def _case_ids(library: Library) -> list[str]:
    return [case.id for case in library.cases]


def picks_param(help: str) -> Param:
    """``picks``: case ids chosen by hand, in order, shown before any chosen automatically."""
    return Param("picks", "", help, _case_ids, blank_ok=True, many=True)


def picked(params: Mapping[str, Any]) -> list[str]:
    """The case ids of a checked ``picks`` parameter, in order."""
    return [item for item in str(params.get("picks", "")).split(",") if item]


COMMON: tuple[Param, ...] = (
    Param("audience", "incumbent-leaders", "who the handout is for (an audience id from the taxonomy)", _audiences),
    Param("library", "", "path of the case library; '' for the default library", blank_ok=True),
    Param("lang", "en", "language of the handout: its text and the library's", LANGUAGES),
    Param("seed", 1, "seed for every random choice: the same seed gives the same handout", minimum=0, maximum=2**31),
    Param("date", "", "date printed on the handout, YYYY-MM-DD; '' for today", blank_ok=True),
    Param("title", "", "title on the cover; '' for the document's default title", blank_ok=True),
    Param("unit", "", "the organisation giving the training, shown on the cover", blank_ok=True),
)


# The type size of the printed editions: the same sizes as the taxonomy's model names for each audience
# (toolkit.library.model.PRINT_SIZES; tests/test_hall.py checks they agree), kept here so that the
# parameters table loads without the library's models.
PRINT_SIZES: tuple[str, ...] = ("standard", "large")
PRINT_SIZE = Param(
    "print_size", "standard", "type size of the PDF: 'large' sets the body at 16 pt, lines spaced wide", PRINT_SIZES
)


def print_size(params: Mapping[str, Any]) -> str:
    """The type size a document's checked parameters ask for (``standard`` when they name none)."""
    return str(params.get("print_size", "standard"))


# The edition learners answer in widgets (worksheet and quiz): served by ``lianzheng serve``, never built.
INTERACTIVE = "interactive"

# Parameters of the interactive edition: where answers go and who gives them. They change nothing in
# the document itself, so they are checked apart from the document's parameters (the printed
# provenance does not list them), and only the interactive edition may set them.
LEARNER: tuple[Param, ...] = (
    Param("store", "", "response store (SQLite file); '' for $LIANZHENG_STORE, else responses.sqlite here"),
    Param("session", "", "training session's name; '' for $LIANZHENG_SESSION, else the audience id"),
    Param("sheet", "", "id of this sheet in the store; '' for the document's name"),
    Param(
        "learner",
        "",
        "learner id, without a roster only; '' for ?learner= or $LIANZHENG_LEARNER, else asked for",
    ),
    Param("pass_mark", 60, "percent of the quiz's points needed to pass", minimum=0, maximum=100),
)


def params_for(editions: Sequence[str], *extra: Param) -> tuple[Param, ...]:
    """The common parameters, ``edition`` (the first edition by default), then the document's own."""
    help = "which edition to produce"
    if INTERACTIVE in editions:
        help += f"; '{INTERACTIVE}': learners answer in widgets, saved as they go"
    edition = Param("edition", editions[0], help, tuple(editions))
    return (*COMMON, edition, PRINT_SIZE, *extra)


def today() -> str:
    """The date a handout made now carries: today in the local time zone of the machine building it
    (the trainer's), as YYYY-MM-DD. Every document, the report included, takes its blank date from here."""
    return dt.date.today().isoformat()


def validate(document: str, params: Sequence[Param], values: Mapping[str, Any], library: Library) -> dict[str, Any]:
    """Check ``values`` against ``params``; fill defaults and resolve a blank date to today."""
    where = f"{document} parameters"
    known = {param.name: param for param in params}
    for name in values:
        if name not in known:
            hint = did_you_mean(name, list(known))
            raise ParameterError(f"{where}: unknown parameter '{name}'{hint}; valid: {', '.join(known)}", name)
    result = {name: param.check(values.get(name, param.default), library, where) for name, param in known.items()}
    if "date" in result and not result["date"]:
        result["date"] = today()
    if "lang" in result and result["lang"] not in library.languages:
        message = str(LanguageError(str(library.root), result["lang"], library.languages))
        raise ParameterError(f"{where}: {message}", "lang")
    return result
