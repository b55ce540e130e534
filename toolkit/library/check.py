"""Checks that need the taxonomy or the whole library: terms, kinds, sections, answers, references.

Each check returns problems rather than raising, so that one run reports every problem at once.
Messages name what is wrong and what would be valid ("did you mean ...").
"""

from __future__ import annotations

import string
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from toolkit.errors import Problem, closest, did_you_mean
from toolkit.i18n import LANGUAGES
from toolkit.library.catalog import Library
from toolkit.library.model import PRINT_SIZES, Case, Message, Prompt, Question, Taxonomy, Theme, visible
from toolkit.library.parse import YamlDoc

Entry = Case | Theme | Question | Prompt | Message

_NOUNS = {
    "audiences": "audience",
    "disciplines": "discipline",
    "types": "violation type",
    "risk_posts": "risk post",
    "risk_levels": "risk level",
    "occasions": "occasion",
    "occasion_kinds": "occasion kind",
    "sections": "section",
    "case_kinds": "case kind",
    "theme_kinds": "theme kind",
    "rank_levels": "rank level",
    "sanctions.party": "party sanction",
    "sanctions.government": "government sanction",
    "sanctions.organizational": "organizational handling",
    "four_forms": "form of supervision",
    "amount_kinds": "amount kind",
    "question_types": "question type",
    "prompt_kinds": "prompt kind",
    "message_channels": "message channel",
    "languages": "language",
    "instruments": "instrument",
}


def suggest(value: object, valid: Iterable[object], noun: str, list_valid: bool = True) -> str:
    """``unknown NOUN 'value'`` with the closest valid term, or the valid terms when none is close.

    >>> suggest("retird", ["retired", "families"], "audience")
    "unknown audience 'retird' (did you mean 'retired'?)"
    """
    choices = [str(choice) for choice in valid]
    hint = did_you_mean(value, choices)
    if hint:
        return f"unknown {noun} '{value}'{hint}"
    if not list_valid or not choices:
        return f"unknown {noun} '{value}'"
    shown = ", ".join(choices[:12]) + (", ..." if len(choices) > 12 else "")
    return f"unknown {noun} '{value}'; valid: {shown}"


@dataclass(frozen=True)
class Where:
    """A file being checked: its displayed path and its YAML (for line numbers)."""

    path: str
    doc: YamlDoc | None = None
    base: tuple[str | int, ...] = ()
    line: int | None = None

    def at(self, loc: Sequence[str | int], message: str) -> Problem:
        if self.doc is None:
            return Problem(self.path, self.line, message)
        return Problem(self.path, self.doc.line_of((*self.base, *loc)), message)

    def within(self, *loc: str | int) -> Where:
        return Where(self.path, self.doc, (*self.base, *loc), self.line)


def _article(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


def dotted(loc: Sequence[str | int]) -> str:
    """A field's place as written in messages: ``legal_basis[0].article``."""
    out = ""
    for step in loc:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def _fields_at(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """The field names of the (nested) model reached by ``loc``, for "did you mean" on a typo."""
    current: Any = model
    for step in loc:
        if isinstance(step, int):
            continue
        field = current.model_fields.get(step) if isinstance(current, type) and issubclass(current, BaseModel) else None
        if field is None:
            return []
        current = _model_in(field.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [name for name in current.model_fields if name not in ("origin", "sections", "extra_sections")]
    return []


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def validation_problems(error: ValidationError, where: Where, model: type[BaseModel]) -> list[Problem]:
    """Turn pydantic's errors into one problem per error, at the line of the offending value."""
    problems = []
    for item in error.errors(include_url=False):
        loc = tuple(step for step in item["loc"] if not (isinstance(step, str) and step.startswith("function-")))
        kind = item["type"]
        name = dotted(loc)
        if kind == "missing":
            message = f"missing required field '{name}'"
        elif kind == "extra_forbidden":
            message = suggest(loc[-1], _fields_at(model, loc[:-1]), "field")
        else:
            text = item["msg"].removeprefix("Value error, ")
            given = item.get("input")
            message = f"field '{name}': {text[:1].lower()}{text[1:]}"
            if isinstance(given, bool) and "string" in text:
                message += " (YAML reads yes/no/on/off/true/false as a truth value: put the text in quotes)"
            elif isinstance(given, str | int | float) and not isinstance(given, bool) and str(given) not in message:
                message += f" (found {given!r})"
        problems.append(where.at(loc, message))
    return problems


# --- terms ---------------------------------------------------------------------------------------


def term_problems(
    tax: Taxonomy, where: Where, checks: Iterable[tuple[tuple[str | int, ...], str, Any]]
) -> list[Problem]:
    """A problem for each value that is not a term of its taxonomy list, with "did you mean"."""
    problems = []
    for loc, kind, value in checks:
        if value is None:
            continue
        terms = tax.languages if kind == "languages" else tax.terms(kind)
        if value not in terms:
            problems.append(where.at(loc, suggest(value, terms, _NOUNS.get(kind, kind))))
    return problems


def _list_terms(field: str, values: Sequence[Any], kind: str) -> Iterator[tuple[tuple[str | int, ...], str, Any]]:
    for index, value in enumerate(values):
        yield (field, index), kind, value


def _repeats(where: Where, field: str, values: Sequence[Any]) -> list[Problem]:
    seen: set[Any] = set()
    problems = []
    for index, value in enumerate(values):
        if value in seen:
            problems.append(where.at((field, index), f"'{value}' is listed twice in '{field}'"))
        seen.add(value)
    return problems


def print_size_problems(where: Where, field: str, values: Sequence[Any]) -> list[Problem]:
    """A problem for each value of a ``print_sizes`` list that is not a print size, or is listed twice."""
    problems = [
        where.at((field, index), suggest(value, PRINT_SIZES, "print size"))
        for index, value in enumerate(values)
        if value not in PRINT_SIZES
    ]
    return problems + _repeats(where, field, values)


def _tag_problems(tax: Taxonomy, where: Where, entry: Entry, fields: Mapping[str, str]) -> list[Problem]:
    problems = []
    for field, kind in fields.items():
        values = getattr(entry, field)
        problems += term_problems(tax, where, _list_terms(field, values, kind))
        problems += _repeats(where, field, values)
    return problems


# --- taxonomy ------------------------------------------------------------------------------------


def check_taxonomy(tax: Taxonomy, where: Where) -> list[Problem]:
    """Internal consistency of the taxonomy: unique ids, labels in every language, references."""
    problems: list[Problem] = []
    for name, terms in tax.term_lists().items():
        loc_base: tuple[str | int, ...] = tuple(name.split("."))
        seen: dict[Any, int] = {}
        for index, term in enumerate(terms):
            if term.id in seen:
                problems.append(where.at((*loc_base, index, "id"), f"duplicate {_NOUNS[name]} id '{term.id}'"))
            seen[term.id] = index
            problems += _missing_languages(tax, where, (*loc_base, index, "label"), term.label)
    type_owner: dict[str, str] = {}
    for d_index, discipline in enumerate(tax.disciplines):
        for t_index, vtype in enumerate(discipline.types):
            loc = ("disciplines", d_index, "types", t_index)
            if vtype.id in type_owner:
                problems.append(
                    where.at((*loc, "id"), f"violation type '{vtype.id}' is already a type of '{type_owner[vtype.id]}'")
                )
            type_owner.setdefault(vtype.id, discipline.id)
            problems += _missing_languages(tax, where, (*loc, "label"), vtype.label)
    for index, audience in enumerate(tax.audiences):
        at = where.within("audiences", index)
        problems += term_problems(tax, at, _list_terms("disciplines", audience.disciplines, "disciplines"))
        problems += term_problems(tax, at, _list_terms("risk_posts", audience.risk_posts, "risk_posts"))
        mix_terms: list[tuple[tuple[str | int, ...], str, Any]] = [
            (("mix", kind), "case_kinds", kind) for kind in audience.mix
        ]
        problems += term_problems(tax, at, mix_terms)
        for field in ("education", "emphasis"):
            problems += _missing_languages(tax, at, (field,), getattr(audience, field))
        problems += print_size_problems(at, "print_sizes", audience.print_sizes)
        total = sum(audience.mix.values())
        if abs(total - 1) > 0.001:
            problems.append(at.at(("mix",), f"the shares in 'mix' add up to {total:g}, not 1"))
    for index, post in enumerate(tax.risk_posts):
        problems += term_problems(tax, where.within("risk_posts", index), [(("level",), "risk_levels", post.level)])
    for index, occasion in enumerate(tax.occasions):
        problems += term_problems(tax, where.within("occasions", index), [(("kind",), "occasion_kinds", occasion.kind)])
    for index, kind in enumerate(tax.case_kinds):
        problems += term_problems(
            tax, where.within("case_kinds", index), _list_terms("sections", kind.sections, "sections")
        )
        if kind.counts_as is not None:
            problems += term_problems(
                tax, where.within("case_kinds", index), [(("counts_as",), "case_kinds", kind.counts_as)]
            )
    problems += term_problems(tax, where, _list_terms("theme_sections", tax.theme_sections, "sections"))
    return problems


def _missing_languages(
    tax: Taxonomy, where: Where, loc: tuple[str | int, ...], labels: Mapping[str, str]
) -> list[Problem]:
    missing = [lang for lang in tax.languages if lang not in labels]
    # A label may also have forms in the toolkit's other languages: a one-language library keeps the
    # bundled taxonomy's labels as they are.
    known = [*tax.languages, *(lang for lang in LANGUAGES if lang not in tax.languages)]
    unknown = [lang for lang in labels if lang not in known]
    problems = [where.at(loc, f"label has no '{lang}' form") for lang in missing]
    problems += [where.at((*loc, lang), suggest(lang, known, "language")) for lang in unknown]
    return problems


# --- entries -------------------------------------------------------------------------------------


def _section_problems(tax: Taxonomy, where: Where, entry: Case | Theme, required: Sequence[str]) -> list[Problem]:
    problems = []
    line = getattr(where, "body_line", None) or entry.origin.line
    for section_id in required:
        label = tax.label("sections", section_id, entry.lang)
        found = entry.sections.get(section_id)
        if found is None:
            close = closest(label, [extra.heading for extra in entry.extra_sections])
            hint = f" (found '## {close}': a misspelling?)" if close else ""
            part = f" of the {entry.lang} text" if getattr(where, "lang", None) else ""
            problems.append(Problem(where.path, line, f"missing section '## {label}'{part}{hint}"))
        elif not visible(found.text):
            problems.append(Problem(where.path, found.line, f"section '## {found.heading}' is empty"))
    return problems


def check_sections(entry: Case | Theme, tax: Taxonomy, where: Where) -> list[Problem]:
    """The sections a case's kind or every theme requires, present and not empty: all that differs
    between the languages of one entry (its facts are checked once, in its first language)."""
    if isinstance(entry, Case):
        kind = tax.terms("case_kinds").get(entry.kind)
        return _section_problems(tax, where, entry, kind.sections) if kind is not None else []
    return _section_problems(tax, where, entry, tax.theme_sections)


_CASE_TAGS = {"audiences": "audiences", "risk_posts": "risk_posts", "occasions": "occasions"}


def check_case(case: Case, tax: Taxonomy, where: Where, failed: Collection[str] = ()) -> list[Problem]:
    """Taxonomy terms, kind-specific requirements and sections of one case.

    ``failed`` names fields whose structure was invalid (already reported): rules about them are skipped.
    """
    problems = term_problems(
        tax,
        where,
        [
            (("kind",), "case_kinds", case.kind),
            (("subject", "rank_level"), "rank_levels", case.subject.rank_level if case.subject else None),
            (("lang",), "languages", case.lang),
        ],
    )
    problems += _tag_problems(tax, where, case, _CASE_TAGS)
    problems += _repeats(where, "disciplines", case.discipline_ids)
    for index, tag in enumerate(case.disciplines):
        at = where.within("disciplines", index)
        known = term_problems(tax, at, [(("discipline",), "disciplines", tag.discipline)])
        problems += known
        for t_index, vtype in enumerate(tag.types):
            owner = tax.types.get(vtype)
            if owner is None:
                valid = [t.id for t in tax.terms("disciplines")[tag.discipline].types] if not known else tax.types
                problems.append(at.at(("types", t_index), suggest(vtype, valid, "violation type")))
            elif owner != tag.discipline and not known:
                problems.append(
                    at.at(
                        ("types", t_index),
                        f"violation type '{vtype}' belongs to discipline '{owner}', not '{tag.discipline}'",
                    )
                )
        problems += _repeats(at, "types", tag.types)
    for index, basis in enumerate(case.legal_basis):
        at = where.within("legal_basis", index)
        problems += term_problems(tax, at, [(("instrument",), "instruments", basis.instrument)])
    for index, amount in enumerate(case.amounts):
        problems += term_problems(tax, where.within("amounts", index), [(("kind",), "amount_kinds", amount.kind)])
    if case.period and case.period.end and case.period.end < case.period.start:
        problems.append(
            where.at(("period", "end"), f"period ends ({case.period.end}) before it starts ({case.period.start})")
        )
    kind = tax.terms("case_kinds").get(case.kind)
    if kind is not None:
        if kind.outcome == "required" and case.outcome is None and "outcome" not in failed:
            problems.append(
                where.at(("kind",), f"{_article(kind.label['en'].lower())} needs an 'outcome' (how it was handled)")
            )
        elif kind.outcome == "none" and case.outcome is not None:
            problems.append(
                where.at(
                    ("outcome",), f"{_article(kind.label['en'].lower())} has no 'outcome'; remove it or change 'kind'"
                )
            )
        if "sections" not in failed:
            problems += _section_problems(tax, where, case, kind.sections)
    if case.outcome is not None:
        at = where.within("outcome")
        problems += term_problems(
            tax,
            at,
            [
                (("party",), "sanctions.party", case.outcome.party),
                (("government",), "sanctions.government", case.outcome.government),
                (("four_forms",), "four_forms", case.outcome.four_forms),
                *_list_terms("organizational", case.outcome.organizational, "sanctions.organizational"),
            ],
        )
    return problems


_THEME_TAGS = {
    "disciplines": "disciplines",
    "types": "types",
    "risk_posts": "risk_posts",
    "occasions": "occasions",
    "audiences": "audiences",
}


def check_theme(theme: Theme, tax: Taxonomy, where: Where, failed: Collection[str] = ()) -> list[Problem]:
    problems = term_problems(tax, where, [(("kind",), "theme_kinds", theme.kind), (("lang",), "languages", theme.lang)])
    problems += _tag_problems(tax, where, theme, _THEME_TAGS)
    problems += _repeats(where, "cases", theme.cases)
    if "sections" not in failed:
        problems += _section_problems(tax, where, theme, tax.theme_sections)
    return problems


def check_question(question: Question, tax: Taxonomy, where: Where, failed: Collection[str] = ()) -> list[Problem]:
    problems = term_problems(
        tax,
        where,
        [
            (("type",), "question_types", question.type),
            (("discipline",), "disciplines", question.discipline),
            (("lang",), "languages", question.lang),
        ],
    )
    problems += _tag_problems(tax, where, question, {"audiences": "audiences"})
    for index, vtype in enumerate(question.types):
        owner = tax.types.get(vtype)
        if owner is None:
            problems.append(where.at(("types", index), suggest(vtype, tax.types, "violation type")))
        elif owner != question.discipline and question.discipline in tax.terms("disciplines"):
            problems.append(
                where.at(
                    ("types", index),
                    f"violation type '{vtype}' belongs to discipline '{owner}', not '{question.discipline}'",
                )
            )
    if not {"type", "options", "answer"} & set(failed):
        problems += _answer_problems(question, where)
    return problems


def _answer_problems(question: Question, where: Where) -> list[Problem]:
    options, answer = question.options, question.answer
    if question.type == "true-false":
        problems = [where.at(("options",), "a true-false question has no options")] if options else []
        if not isinstance(answer, bool):
            problems.append(
                where.at(("answer",), f"the answer to a true-false question is true or false (found {answer!r})")
            )
        return problems
    if question.type not in ("single", "multiple"):
        return []
    if not options or not 2 <= len(options) <= 6:
        return [
            where.at(("options",), f"a {question.type}-choice question has 2 to 6 options (found {len(options or [])})")
        ]
    problems = []
    seen: dict[str, int] = {}
    for index, option in enumerate(options):
        if option in seen:
            problems.append(
                where.at(("options", index), f"option {chr(65 + index)} repeats option {chr(65 + seen[option])}")
            )
        seen.setdefault(option, index)
    letters = [chr(65 + index) for index in range(len(options))]
    given = answer if isinstance(answer, list) else [answer]
    if question.type == "single" and not (isinstance(answer, str) and len(given) == 1):
        return [
            *problems,
            where.at(("answer",), f"a single-choice answer is one letter of {', '.join(letters)} (found {answer!r})"),
        ]
    if question.type == "multiple" and (not isinstance(answer, list) or len(answer) < 2):
        return [
            *problems,
            where.at(("answer",), f"a multiple-choice answer is a list of two or more letters of {', '.join(letters)}"),
        ]
    for letter in given:
        if not isinstance(letter, str) or letter.upper() not in letters:
            problems.append(
                where.at(("answer",), f"answer '{letter}' is not an option; options are {', '.join(letters)}")
            )
    if len({str(letter).upper() for letter in given}) != len(given):
        problems.append(where.at(("answer",), "the answer lists a letter twice"))
    return problems


def check_prompt(prompt: Prompt, tax: Taxonomy, where: Where, failed: Collection[str] = ()) -> list[Problem]:
    problems = term_problems(
        tax, where, [(("kind",), "prompt_kinds", prompt.kind), (("lang",), "languages", prompt.lang)]
    )
    problems += _tag_problems(
        tax, where, prompt, {"disciplines": "disciplines", "risk_posts": "risk_posts", "audiences": "audiences"}
    )
    return problems


def check_message(message: Message, tax: Taxonomy, where: Where, failed: Collection[str] = ()) -> list[Problem]:
    problems = term_problems(
        tax, where, [(("channel",), "message_channels", message.channel), (("lang",), "languages", message.lang)]
    )
    problems += _tag_problems(tax, where, message, {"audiences": "audiences"})
    channel = tax.terms("message_channels").get(message.channel)
    if channel is not None and channel.max_chars and message.body and len(message.body) > channel.max_chars:
        problems.append(
            where.at(
                ("body",),
                f"{_article(channel.label['en'].lower())} body is at most {channel.max_chars} characters "
                f"(found {len(message.body)})",
            )
        )
    for field in ("subject", "body"):
        text = getattr(message, field)
        if text is None:
            continue
        try:
            names = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
        except ValueError as exc:
            problems.append(where.at((field,), f"{exc}: write a literal brace as '{{{{' or '}}}}'"))
            continue
        for name in names:
            if name not in tax.message_placeholders:
                valid = [f"{{{known}}}" for known in tax.message_placeholders]
                problems.append(where.at((field,), suggest(f"{{{name}}}", valid, "placeholder")))
    return problems


# --- across the library --------------------------------------------------------------------------


def duplicate_problems(kind: str, entries: Iterable[tuple[str, Problem]]) -> list[Problem]:
    """A problem for every id seen before; ``entries`` pairs each id with a problem-shaped location."""
    first: dict[str, Problem] = {}
    problems = []
    for entry_id, place in entries:
        if entry_id in first:
            other = first[entry_id]
            problems.append(
                Problem(
                    place.path, place.line, f"duplicate {kind} id '{entry_id}' (first at {other.path}:{other.line})"
                )
            )
        else:
            first[entry_id] = place
    return problems


def reference_problems(
    where: Where, field: str, refs: Sequence[str], case_ids: Collection[str], skip: Collection[str] = ()
) -> list[Problem]:
    """A problem for each case id in ``refs`` that the library does not have (ids in ``skip`` are
    those of case files that could not be read, already reported)."""
    return [
        where.at((field, index), suggest(ref, case_ids, "case", list_valid=False) + " (no case has this id)")
        for index, ref in enumerate(refs)
        if ref not in case_ids and ref not in skip
    ]


def no_themes(library: Library) -> Problem:
    """What a library without themes lacks: the theme a lecture outline is built on."""
    message = "the library has no themes, and a lecture outline needs one (add a theme file to themes/)"
    return Problem(str(library.root / "themes"), None, message)


def library_warnings(library: Library) -> list[Problem]:
    """What a valid library lacks for some documents: reported by ``lianzheng check``, not failed."""
    return [] if library.themes else [no_themes(library)]
