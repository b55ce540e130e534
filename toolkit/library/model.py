"""Typed records of a library: the taxonomy, cases, themes, questions, prompts and messages.

The models check structure (required fields, types, ranges, unknown fields); whether a term exists
in the taxonomy is checked by :mod:`toolkit.library.check`, since the taxonomy is data.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from toolkit.library.parse import Section

# The type sizes of the printed editions (the PDF): ``large`` sets the body at 16 pt or more with wide
# line spacing, for readers who need large print (retired cadres among them). An audience's
# ``print_sizes`` names the sizes a build makes for it (see toolkit/batch/spec.py).
PRINT_SIZES: tuple[str, ...] = ("standard", "large")

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def _slug(value: Any) -> Any:
    if isinstance(value, str) and not SLUG.match(value):
        raise ValueError(
            "an id is lower-case letters, digits and '-', starting with a letter or digit, at most 80 characters"
        )
    return value


def _partial_date(value: Any) -> Any:
    """Accept ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (YAML may already have made a date or int)."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError("a date is YYYY, YYYY-MM or YYYY-MM-DD")
    match = _PARTIAL_DATE.match(value.strip())
    if not match:
        raise ValueError(f"'{value}' is not a date: write YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = (int(part) if part else 1 for part in match.groups())
    try:
        dt.date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"'{value}' is not a valid date ({exc})") from None
    return value.strip()


# Letters and symbols that look like nothing: Hangul fillers, the braille blank, the Mongolian vowel separator.
_BLANK_LOOKING = frozenset("\u115f\u1160\u180e\u2800\u3164\uffa0")


def visible(text: str) -> bool:
    """Whether ``text`` shows anything: not only spaces (U+3000 included), controls, zero-width and
    other format characters (BOM, bidi controls) or blank-looking letters.

    >>> visible("\u200b\u3000\ufeff\x01"), visible(" a ")
    (False, True)
    """
    return any(
        unicodedata.category(char)[0] not in "CZ" and char not in _BLANK_LOOKING and not char.isspace() for char in text
    )


def _visible(value: str) -> str:
    if not visible(value):
        raise ValueError("the text is empty: it holds only spaces, invisible or control characters")
    return value


Slug = Annotated[str, BeforeValidator(_slug)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_visible)]
PartialDate = Annotated[str, BeforeValidator(_partial_date)]
Labels = dict[str, Text]


# The taxonomy's lists of terms with an id and a label (besides violation types and sanctions).
TERM_LISTS = (
    "audiences",
    "disciplines",
    "risk_posts",
    "risk_levels",
    "occasions",
    "occasion_kinds",
    "sections",
    "case_kinds",
    "theme_kinds",
    "rank_levels",
    "four_forms",
    "amount_kinds",
    "question_types",
    "prompt_kinds",
    "message_channels",
    "instruments",
)


class Record(BaseModel):
    """Base of every record: unknown fields are errors, records are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- taxonomy ------------------------------------------------------------------------------------


class Term(Record):
    id: Slug
    label: Labels


class Audience(Term):
    education: Labels
    emphasis: Labels
    disciplines: list[str] = []
    risk_posts: list[str] = []
    mix: dict[str, Annotated[float, Field(ge=0, le=1)]]
    print_sizes: list[str] = []  # the print sizes a build makes for this audience; [] = standard only


class Discipline(Term):
    types: list[Term] = Field(min_length=1)


class RiskPost(Term):
    level: str


class OccasionDate(Record):
    calendar: Literal["gregorian", "lunar", "solar-term"]
    month: Annotated[int, Field(ge=1, le=12)] | None = None
    day: Annotated[int, Field(ge=1, le=31)] | None = None
    term: str | None = None


class Occasion(Term):
    kind: str
    date: OccasionDate | None = None


class SectionKind(Term):
    list: bool = False


class CaseKind(Term):
    sections: list[str] = Field(min_length=1)
    outcome: Literal["required", "optional", "none"] = "optional"
    counts_as: str | None = None

    @property
    def share(self) -> str:
        """The kind whose share of an audience's ``mix`` this kind counts towards."""
        return self.counts_as or self.id


class Channel(Term):
    max_chars: Annotated[int, Field(gt=0)] | None = None


class FourForm(Record):
    id: Annotated[int, Field(ge=1, le=4)]
    label: Labels


class Sanctions(Record):
    party: list[Term]
    government: list[Term]
    organizational: list[Term]


class Taxonomy(Record):
    """Every list the library uses. Lookups by id are built once, on first use."""

    model_config = ConfigDict(extra="forbid", frozen=True, ignored_types=(cached_property,))

    version: int = 1
    languages: list[str] = Field(min_length=1)
    audiences: list[Audience] = Field(min_length=1)
    disciplines: list[Discipline] = Field(min_length=1)
    risk_posts: list[RiskPost] = []
    risk_levels: list[Term] = []
    occasions: list[Occasion] = []
    occasion_kinds: list[Term] = []
    sections: list[SectionKind] = Field(min_length=1)
    case_kinds: list[CaseKind] = Field(min_length=1)
    theme_kinds: list[Term] = Field(min_length=1)
    theme_sections: list[str] = []
    rank_levels: list[Term] = Field(min_length=1)
    sanctions: Sanctions
    four_forms: list[FourForm] = []
    amount_kinds: list[Term] = Field(min_length=1)
    question_types: list[Term] = Field(min_length=1)
    prompt_kinds: list[Term] = Field(min_length=1)
    message_channels: list[Channel] = Field(min_length=1)
    message_placeholders: list[str] = []
    instruments: list[Term] = []  # the laws, regulations and party rules cases cite

    @cached_property
    def types(self) -> dict[str, str]:
        """Violation type id -> the id of the discipline it belongs to."""
        return {vtype.id: discipline.id for discipline in self.disciplines for vtype in discipline.types}

    @cached_property
    def headings(self) -> dict[str, str]:
        """Lower-cased section heading, in every language -> section id."""
        return {text.casefold(): section.id for section in self.sections for text in section.label.values()}

    def terms(self, kind: str) -> dict[str, Any]:
        """The terms of one list by id, e.g. ``terms("audiences")["retired"]``."""
        return self._lookup[kind]

    def label(self, kind: str, term_id: str | int, lang: str = "en") -> str:
        """The label of a term in ``lang``, falling back to English, then to the id itself."""
        term = self._lookup[kind].get(term_id)
        if term is None:
            return str(term_id)
        return term.label.get(lang) or term.label.get("en") or str(term_id)

    def term_lists(self) -> dict[str, list[Any]]:
        """Every list of terms by name, as written (duplicates kept): ``audiences``, ...,
        ``sanctions.party``, ``sanctions.government``, ``sanctions.organizational``."""
        lists: dict[str, list[Any]] = {name: getattr(self, name) for name in TERM_LISTS}
        for group in ("party", "government", "organizational"):
            lists[f"sanctions.{group}"] = getattr(self.sanctions, group)
        return lists

    @cached_property
    def _lookup(self) -> dict[str, dict[Any, Any]]:
        lists = self.term_lists()
        lists["types"] = [vtype for discipline in self.disciplines for vtype in discipline.types]
        return {name: {term.id: term for term in terms} for name, terms in lists.items()}


# --- entries -------------------------------------------------------------------------------------


class Origin(Record):
    """Where an entry was read: the path relative to the library root, and its first line."""

    path: str
    line: int


class DisciplineTag(Record):
    discipline: str
    types: list[str] = []


class Subject(Record):
    role: Text
    rank_level: str
    sector: str | None = None
    region: str | None = None
    anonymized: bool = True


class Amount(Record):
    kind: str
    value_cny: Annotated[int, Field(ge=0)]
    approximate: bool = False


class Period(Record):
    start: PartialDate
    end: PartialDate | None = None


class Outcome(Record):
    party: str | None = None
    government: str | None = None
    organizational: list[str] = []
    four_forms: int | None = None
    criminal: str | None = None


class LegalBasis(Record):
    instrument: str  # an id from the taxonomy's ``instruments``
    revision: int | str | None = None
    article: str | None = None


class Source(Record):
    publisher: Text
    note: str | None = None
    url: str | None = None


class CaseMeta(Record):
    """The front matter of a case."""

    id: Slug
    title: Text
    kind: str
    summary: Text
    audiences: list[str] = Field(min_length=1)
    disciplines: list[DisciplineTag] = Field(min_length=1)
    risk_posts: list[str] = []
    occasions: list[str] = []
    subject: Subject
    amounts: list[Amount] = []
    period: Period | None = None
    outcome: Outcome | None = None
    legal_basis: list[LegalBasis] = []
    date: PartialDate
    sources: list[Source] = Field(min_length=1)
    related: list[str] = []
    lang: str = "en"


class Sectioned(Record):
    """The Markdown body of an entry: named sections by id, sections with other headings, origin."""

    sections: dict[str, Section] = {}
    extra_sections: tuple[Section, ...] = ()
    origin: Origin

    def text(self, section: str) -> str:
        """The text of a section, or an empty string when the entry does not have it."""
        found = self.sections.get(section)
        return found.text if found else ""


class Case(CaseMeta, Sectioned):
    """A case: its front matter, its body sections by id, and where it was read."""

    @property
    def discipline_ids(self) -> list[str]:
        return [tag.discipline for tag in self.disciplines]

    @property
    def type_ids(self) -> list[str]:
        return [vtype for tag in self.disciplines for vtype in tag.types]


class ThemeMeta(Record):
    """The front matter of a lecture theme."""

    id: Slug
    title: Text
    kind: str
    summary: Text
    disciplines: list[str] = []
    types: list[str] = []
    risk_posts: list[str] = []
    occasions: list[str] = []
    audiences: list[str] = []
    cases: list[str] = []
    lang: str = "en"


class Theme(ThemeMeta, Sectioned):
    """A lecture theme: its front matter, its body sections by id, and where it was read."""


class Question(Record):
    """A quiz item. ``answer`` is a letter, a list of letters, or true/false by ``type``."""

    id: Slug
    type: str
    stem: Text
    options: list[Text] | None = None
    answer: bool | str | list[str]
    explanation: Text
    rule: Text
    discipline: str
    types: list[str] = []
    audiences: list[str] = []
    cases: list[str] = []
    difficulty: Annotated[int, Field(ge=1, le=3)] = 2
    lang: str = "en"
    origin: Origin | None = None


class Prompt(Record):
    """A self-reflection prompt: a self-check item, a reflection question, or a table prompt."""

    id: Slug
    kind: str
    text: Text
    disciplines: list[str] = []
    risk_posts: list[str] = []
    audiences: list[str] = []
    lang: str = "en"
    origin: Origin | None = None


class Message(Record):
    """A reminder template for an occasion and a channel."""

    id: Slug
    channel: str
    body: Text
    subject: str | None = None
    audiences: list[str] = []
    lang: str = "en"
    occasion: str = ""
    origin: Origin | None = None


class MessageFile(Record):
    occasion: str
    messages: list[dict[str, Any]] = Field(min_length=1)
