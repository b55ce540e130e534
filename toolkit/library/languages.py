"""The languages of a library entry: facts written once, text per language.

An entry is written in one of two forms (see ``casebook/README.md``):

- **language blocks**: the facts (ids, kinds, tags, dates, amounts, sanctions, answers ...) at the top
  level, and each language's text in a block named by the language (``en:``, ``zh-CN:``) holding only
  text fields; a Markdown body has a ``# en`` part, a ``# zh-CN`` part, and so on;
- **one language**: every field at the top level and ``lang`` naming the language (default: the
  library's first language), as an organisation's own one-language library writes it.

:func:`split_languages` turns either form into one plain mapping per language, the form the models
validate, and reports what is wrong with the blocks: a fact written in a block (or twice), text at the
top level, a block whose lists do not match the other languages', a missing language, and text in the
wrong language.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from toolkit.errors import Problem, did_you_mean
from toolkit.library.check import Where, dotted
from toolkit.library.parse import fenced_lines

# A field that is text in every language: True for a plain field, a set of sub-field names for a mapping
# or for a list of mappings whose other sub-fields are shared facts.
TextFields = Mapping[str, "bool | frozenset[str]"]

TEXT_FIELDS: dict[str, TextFields] = {
    "cases": {
        "title": True,
        "summary": True,
        "subject": frozenset({"role", "sector", "region"}),
        "outcome": frozenset({"criminal"}),
        "legal_basis": frozenset({"article"}),
        "sources": frozenset({"publisher", "note"}),
    },
    "themes": {"title": True, "summary": True},
    "questions": {"stem": True, "options": True, "explanation": True, "rule": True},
    "prompts": {"text": True},
    "messages": {"subject": True, "body": True},
}

# What a key that names a language looks like: ``en``, ``zh-CN``, ``zh-Hant``, ``pt-BR``.
LANGUAGE_KEY = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
# A body's language part starts at a level-1 heading that is only a language code: ``# zh-CN``.
LANGUAGE_HEADING = re.compile(r"^#[ \t]+([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)[ \t]*$", re.M)


def chinese(lang: str) -> bool:
    return lang.split("-", 1)[0].lower() == "zh"


@dataclass
class Split:
    """An entry's data per language, in the order of the library's languages, and the problems found.

    ``blocks`` says whether the entry was written in language blocks (else in one language).
    """

    data: dict[str, dict[str, Any]] = field(default_factory=dict)
    blocks: bool = False
    problems: list[Problem] = field(default_factory=list)


def block_keys(data: Mapping[str, Any], fields: Mapping[str, Any], languages: Sequence[str]) -> list[str]:
    """The keys of ``data`` that are language blocks: a language of the library, or a key shaped like
    a language code holding a mapping that is not a field of the entry (``zh-cn:``, ``fr:``)."""
    return [
        key
        for key, value in data.items()
        if isinstance(key, str)
        and key not in fields
        and (key in languages or (LANGUAGE_KEY.match(key) and isinstance(value, dict)))
    ]


def split_languages(data: Any, kind: str, fields: Mapping[str, Any], languages: Sequence[str], where: Where) -> Split:
    """Split an entry's mapping into one mapping per language (see the module's docstring).

    ``fields`` are the entry model's field names (a block key is never one of them); ``where`` locates
    problems in the file. Anything that is not a mapping is passed on as it is, for the model to refuse.
    """
    text_fields = TEXT_FIELDS[kind]
    if not isinstance(data, dict):
        return Split({languages[0]: data})
    keys = block_keys(data, fields, languages)
    if not keys:
        lang = data.get("lang", languages[0])
        lang = lang if isinstance(lang, str) else languages[0]
        return Split({lang: data}, problems=_language_problems(_text_only(data, text_fields), lang, (), where))
    split = Split(blocks=True)
    shared = {key: value for key, value in data.items() if key not in keys and key != "lang"}
    if "lang" in data:
        split.problems.append(
            where.at(("lang",), "'lang' is not used with language blocks: each block's name is its language")
        )
    for name, sub in text_fields.items():
        split.problems += _text_in_shared(shared, name, sub, where)
    for key in keys:
        if key not in languages:
            hint = did_you_mean(key, languages)
            message = f"unknown language '{key}'{hint}; this library's languages are {', '.join(languages)}"
            split.problems.append(where.at((key,), message))
            continue
        block = data[key]
        if not isinstance(block, dict):
            split.problems.append(where.at((key,), f"the {key} block is a mapping of text fields"))
            continue
        merged, problems = _merge_block(shared, block, key, text_fields, where)
        split.problems += problems
        split.data[key] = {**merged, "lang": key}
    split.data = {lang: split.data[lang] for lang in languages if lang in split.data}
    texts = {lang: _text_only(data[lang], text_fields) for lang in split.data}
    split.problems += _compare_blocks(texts, list(split.data), where, messages=kind == "messages")
    return split


def _text_only(block: Mapping[str, Any], text_fields: TextFields) -> dict[str, Any]:
    """A block without the facts written in it by mistake (reported apart)."""
    out: dict[str, Any] = {}
    for name, value in block.items():
        sub = text_fields.get(name)
        if sub is True:
            out[name] = value
        elif sub and isinstance(value, dict):
            out[name] = {key: part for key, part in value.items() if key in sub}
        elif sub and isinstance(value, list):
            out[name] = [
                {key: part for key, part in item.items() if key in sub} if isinstance(item, dict) else item
                for item in value
            ]
    return out


def _text_in_shared(shared: Mapping[str, Any], name: str, sub: Any, where: Where) -> list[Problem]:
    value = shared.get(name)
    if value is None:
        return []
    if sub is True:
        return [where.at((name,), f"'{name}' is text: write it in each language's block, not once for all")]
    places: list[tuple[str | int, ...]] = []
    if isinstance(value, dict):
        places = [(name, key) for key in value if key in sub]
    elif isinstance(value, list):
        places = [
            (name, index, key)
            for index, item in enumerate(value)
            if isinstance(item, dict)
            for key in item
            if key in sub
        ]
    return [
        where.at(loc, f"'{dotted(loc)}' is text: write it in each language's block, not once for all") for loc in places
    ]


def _merge_block(
    shared: Mapping[str, Any], block: Mapping[str, Any], lang: str, text_fields: TextFields, where: Where
) -> tuple[dict[str, Any], list[Problem]]:
    """The shared facts with one language's text laid over them."""
    merged = dict(shared)
    problems: list[Problem] = []
    for name, value in block.items():
        sub = text_fields.get(name) if isinstance(name, str) else None
        if sub is None or sub is False:
            problems.append(where.at((lang, name), _fact_in_block(name, name in shared)))
            continue
        if sub is True:
            merged[name] = value
            continue
        base = shared.get(name)
        if isinstance(value, dict) and isinstance(base, dict | None):
            extra = [key for key in value if key not in sub]
            problems += [
                where.at((lang, name, key), _fact_in_block(f"{name}.{key}", key in (base or {}))) for key in extra
            ]
            merged[name] = {**(base or {}), **{key: text for key, text in value.items() if key in sub}}
        elif isinstance(value, list) and isinstance(base, list | None):
            base = base or [{} for _ in value]
            if len(base) != len(value):
                problems.append(
                    where.at(
                        (lang, name),
                        f"'{name}' in the {lang} block has {_items(len(value))}; the shared '{name}' has {len(base)}",
                    )
                )
                merged[name] = base
                continue
            items = []
            for index, (fact, text) in enumerate(zip(base, value, strict=True)):
                if not isinstance(text, dict) or not isinstance(fact, dict):
                    items.append(text if not isinstance(text, dict) else fact)
                    continue
                for key in text:
                    if key not in sub:
                        loc = (lang, name, index, key)
                        problems.append(where.at(loc, _fact_in_block(f"{name}[{index}].{key}", key in fact)))
                items.append({**fact, **{key: part for key, part in text.items() if key in sub}})
            merged[name] = items
        else:
            merged[name] = value  # the wrong shape: the model reports it
    return merged, problems


def _fact_in_block(name: str, twice: bool) -> str:
    if twice:
        return (
            f"'{name}' is written twice: it is a fact shared by every language; "
            "keep it once, outside the language blocks"
        )
    return f"'{name}' is a fact shared by every language: write it once, outside the language blocks"


def _items(count: int) -> str:
    return "1 item" if count == 1 else f"{count} items"


# --- comparing languages -------------------------------------------------------------------------


def _shape(value: Any, loc: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every place in a block and what is there: a mapping's keys, a list's length, text."""
    if isinstance(value, dict):
        yield loc, "keys:" + ",".join(sorted(map(str, value)))
        for key, item in value.items():
            yield from _shape(item, (*loc, key))
    elif isinstance(value, list):
        yield loc, f"items:{len(value)}"
        for index, item in enumerate(value):
            yield from _shape(item, (*loc, index))
    else:
        yield loc, "text"


def placeholders(text: str) -> set[str]:
    """The ``{name}`` placeholders of a message text (none when its braces are malformed)."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}
    except ValueError:
        return set()


def _compare_blocks(
    data: Mapping[str, Any], langs: Sequence[str], where: Where, messages: bool = False
) -> list[Problem]:
    """Each language's block against the first's: the same fields and list lengths, and for
    ``messages`` the same placeholders."""
    problems: list[Problem] = []
    if not langs:
        return problems
    first = langs[0]
    reference = dict(_shape(data[first]))
    for lang in langs[1:]:
        block = data[lang]
        shape = dict(_shape(block))
        for loc, what in shape.items():
            other = reference.get(loc)
            if other is None or other == what:
                continue
            problems.append(where.at((lang, *loc), _mismatch(loc, what, other, lang, first)))
        for loc in reference:
            parent = loc[:-1]
            if loc and loc not in shape and parent in shape and shape[parent] == reference[parent]:
                problems.append(where.at((lang, *parent), f"'{dotted(loc)}' is missing from the {lang} block"))
    for lang in langs:
        problems += _language_problems(data[lang], lang, (lang,), where)
    for lang in langs[1:] if messages else ():
        for loc, text in _texts(data[lang]):
            other = _get(data[first], loc)
            if not isinstance(other, str):
                continue
            ours, theirs = placeholders(text), placeholders(other)
            if ours != theirs:
                shown = ", ".join(f"{{{name}}}" for name in sorted(theirs)) or "none"
                problems.append(
                    where.at(
                        (lang, *loc), f"the {lang} text has placeholders {_names(ours)}; the {first} text has {shown}"
                    )
                )
    return problems


def _names(names: set[str]) -> str:
    return ", ".join(f"{{{name}}}" for name in sorted(names)) or "none"


def _mismatch(loc: Sequence[str | int], what: str, other: str, lang: str, first: str) -> str:
    name = dotted(loc)
    if what.startswith("items:") and other.startswith("items:"):
        return f"'{name}' has {_items(int(what[6:]))} in {lang} and {_items(int(other[6:]))} in {first}"
    if what.startswith("keys:") and other.startswith("keys:"):
        ours, theirs = set(what[5:].split(",")) - {""}, set(other[5:].split(",")) - {""}
        extra, missing = sorted(ours - theirs), sorted(theirs - ours)
        parts = [f"{', '.join(extra)} not in {first}"] if extra else []
        parts += [f"{', '.join(missing)} missing"] if missing else []
        where = f"'{name}' in the {lang} block" if name else f"the {lang} block"
        return f"{where} does not match {first}: {'; '.join(parts)}"
    return f"'{name}' in {lang} is not the same kind of value as in {first}"


def _texts(value: Any, loc: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _texts(item, (*loc, index))
    elif isinstance(value, str):
        yield loc, value


def _get(value: Any, loc: Sequence[str | int]) -> Any:
    for step in loc:
        try:
            value = value[step]
        except (KeyError, IndexError, TypeError):
            return None
    return value


# --- text in the wrong language ------------------------------------------------------------------

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SMALL_LATIN = re.compile(r"[a-z]")
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{4,}")
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{[a-z_]+\}")
_URL = re.compile(r"(?:https?://|mailto:|www\.)\S+|\S+@\S+\.\S+")
_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")


def wrong_language(text: str, lang: str) -> str | None:
    """Why ``text`` is not written in ``lang``, or ``None``.

    Chinese text may hold abbreviations in capitals (KTV, APP, GDP), numbers and addresses, but no
    word in small letters: that is English prose. Other text may quote a Chinese term, but not hold a
    run of four or more Chinese characters or have more Chinese characters than letters.

    >>> wrong_language("逢节必收的购物卡", "zh-CN") is None, wrong_language("他收受了 gift cards", "zh-CN")
    (True, "English in the zh-CN text: 'gift cards'")
    >>> wrong_language("the term 廉政 (clean government)", "en") is None
    True
    """
    if chinese(lang):
        if not _SMALL_LATIN.search(text):  # the common case, at the cost of one search
            return None
    elif not _HAN.search(text):
        return None
    plain = _URL.sub(" ", _PLACEHOLDER.sub(" ", text))
    if chinese(lang):
        words = [match for match in _WORD.finditer(plain) if not _abbreviation(match.group())]
        if not words:
            return None
        start, end = words[0].start(), words[0].end()
        for match in words[1:4]:
            if plain[end : match.start()].strip(" ,.;:'\"-") == "":
                end = match.end()
        return f"English in the {lang} text: '{plain[start:end]}'"
    run = _HAN_RUN.search(plain)
    han = len(_HAN.findall(plain))
    if run is not None or (han and han > sum(char.isalpha() for char in plain) - han):
        found = run.group() if run else _HAN.search(plain).group()  # type: ignore[union-attr]
        return f"Chinese in the {lang} text: '{found}'"
    return None


def _abbreviation(word: str) -> bool:
    """Capitals (KTV, GDP), capitals with a plural or small letters after the first (APPs, WeChat?
    no: only short forms such as App or Wi and Fi of Wi-Fi)."""
    return word.isupper() or word in _ALLOWED_WORDS


_ALLOWED_WORDS = frozenset({"App", "Wi", "Fi", "WiFi", "iPhone", "vs"})


def _language_problems(block: Any, lang: str, base: tuple[str | int, ...], where: Where) -> list[Problem]:
    problems = []
    for loc, text in _texts(block):
        reason = wrong_language(text, lang)
        if reason is not None:
            problems.append(where.at((*base, *loc), reason))
    return problems


def missing_languages(have: Sequence[str], languages: Sequence[str], blocks: bool, where: Where) -> list[Problem]:
    """A problem for each language of the library that an entry has no text in."""
    missing = [lang for lang in languages if lang not in have]
    if not missing or not have:
        return []
    if blocks:
        message = f"no {' or '.join(missing)} text: add a '{missing[0]}:' block with the same fields as '{have[0]}:'"
    else:
        message = (
            f"written in {have[0]} only; this library's languages are {', '.join(languages)}: "
            f"put the text in language blocks ('{have[0]}:' and '{missing[0]}:')"
        )
    return [where.at((), message)]


# --- locating problems in a language block -------------------------------------------------------


@dataclass(frozen=True)
class BlockWhere(Where):
    """Where one language of an entry was read: a problem about a text field is placed in that
    language's block (``zh-CN.title``), a problem about a fact at the shared field; problems about
    the body are placed at the language's part of it (``body_line``)."""

    lang: str | None = None
    item: tuple[str | int, ...] = ()
    text_fields: Mapping[str, Any] = field(default_factory=dict)
    body_line: int | None = None

    def at(self, loc: Sequence[str | int], message: str) -> Problem:
        full = (*self.base, *loc)
        if self.lang is not None and self.doc is not None and full[: len(self.item)] == self.item:
            rel = full[len(self.item) :]
            if self._is_text(rel):
                full = (*self.item, self.lang, *rel)
        return Where(self.path, self.doc, (), self.line).at(full, message)

    def within(self, *loc: str | int) -> BlockWhere:
        return BlockWhere(
            self.path, self.doc, (*self.base, *loc), self.line, self.lang, self.item, self.text_fields, self.body_line
        )

    def _is_text(self, rel: Sequence[str | int]) -> bool:
        if not rel or not isinstance(rel[0], str):
            return False
        sub = self.text_fields.get(rel[0])
        if sub is True:
            return True
        if not sub or len(rel) < 2:
            return False
        key = rel[2] if isinstance(rel[1], int) and len(rel) > 2 else rel[1]
        return isinstance(key, str) and key in sub


def located(where: Where, kind: str, lang: str | None, body_line: int | None = None) -> BlockWhere:
    """A :class:`BlockWhere` for one language of the entry at ``where`` (``lang`` None: one-language form)."""
    return BlockWhere(where.path, where.doc, where.base, where.line, lang, where.base, TEXT_FIELDS[kind], body_line)


# --- the Markdown body's language parts ----------------------------------------------------------


@dataclass(frozen=True)
class BodyPart:
    text: str
    line: int  # the line of the part's first line of text (after its '# lang' heading)
    heading: int | None  # the line of its '# lang' heading


def split_body(
    body: str, first_line: int, langs: Sequence[str], blocks: bool, languages: Sequence[str], path: str
) -> tuple[dict[str, BodyPart], list[Problem]]:
    """A Markdown body's part for each language in ``langs`` (those with text in the front matter).

    With language blocks the body is ``# en`` then its sections, ``# zh-CN`` then its sections ...;
    in the one-language form the whole body is the language's. A heading in a code fence is text.
    """
    lines = fenced_lines(body)
    found = [
        (index, match.group(1))
        for index, (text_line, fenced) in enumerate(lines)
        if not fenced
        and (match := LANGUAGE_HEADING.fullmatch(text_line)) is not None
        and (match.group(1) in languages or LANGUAGE_KEY.match(match.group(1)))
    ]
    problems: list[Problem] = []
    if not blocks:
        if found and found[0][1] in languages:
            message = f"'# {found[0][1]}' starts a language part, but the front matter has no language blocks"
            problems.append(Problem(path, first_line + found[0][0], message))
        return {lang: BodyPart(body, first_line, None) for lang in langs}, problems
    parts: dict[str, BodyPart] = {}
    intro = next(
        (index for index, (text_line, _) in enumerate(lines[: found[0][0] if found else None]) if text_line.strip()),
        None,
    )
    if intro is not None:
        first = langs[0] if langs else languages[0]
        message = f"text before the first language part: start the body with '# {first}'"
        problems.append(Problem(path, first_line + intro, message))
    for position, (index, lang) in enumerate(found):
        heading = first_line + index
        end = found[position + 1][0] if position + 1 < len(found) else len(lines)
        if lang not in languages:
            hint = did_you_mean(lang, languages)
            valid = ", ".join(languages)
            message = f"unknown language part '# {lang}'{hint}; this library's languages are {valid}"
            problems.append(Problem(path, heading, message))
            continue
        if lang in parts:
            message = f"a second '# {lang}' part (the first is at line {parts[lang].heading})"
            problems.append(Problem(path, heading, message))
            continue
        if lang not in langs:
            problems.append(Problem(path, heading, f"'# {lang}' part, but the front matter has no '{lang}:' block"))
            continue
        text = "\n".join(text_line for text_line, _ in lines[index + 1 : end])
        parts[lang] = BodyPart(text, heading + 1, heading)
    last = first_line + body.rstrip("\n").count("\n")
    for lang in langs:
        if lang not in parts:
            parts[lang] = BodyPart("", last, None)
            problems.append(Problem(path, last, f"no '# {lang}' part in the body: add '# {lang}' and its sections"))
    return parts, problems


def body_language_problems(body: Any, lang: str, path: str) -> list[Problem]:
    """A problem at each section of a body whose text is not in ``lang`` (see :func:`wrong_language`)."""
    problems = []
    for section in (*body.sections.values(), *body.extra):
        reason = wrong_language(section.text, lang)
        if reason is not None:
            problems.append(Problem(path, section.line, f"section '## {section.heading}': {reason}"))
    return problems


def compare_bodies(bodies: Mapping[str, Any], path: str, starts: Mapping[str, int]) -> list[Problem]:
    """Each language's body against the first's: the same sections, and as many items in each list.
    ``starts`` gives the line each language's part starts at."""
    langs = list(bodies)
    problems: list[Problem] = []
    if len(langs) < 2:
        return problems
    first = bodies[langs[0]]
    for lang in langs[1:]:
        body = bodies[lang]
        for section_id, section in body.sections.items():
            other = first.sections.get(section_id)
            if other is None:
                problems.append(
                    Problem(path, section.line, f"section '## {section.heading}' has no match in the {langs[0]} text")
                )
            elif len(section.items) != len(other.items):
                problems.append(
                    Problem(
                        path,
                        section.line,
                        f"section '## {section.heading}' has {_items(len(section.items))}; "
                        f"'## {other.heading}' in {langs[0]} has {len(other.items)}",
                    )
                )
        if len(body.extra) != len(first.extra):
            line = body.extra[0].line if body.extra else starts[lang]
            headings = ", ".join(f"'## {extra.heading}'" for extra in first.extra) or "none"
            counts = f"{len(body.extra)} sections of other names in {lang}; {langs[0]} has {len(first.extra)}"
            problems.append(Problem(path, line, f"{counts} ({headings})"))
    return problems
