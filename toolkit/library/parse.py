"""Parse library files from strings: text decoding, YAML with line numbers, front matter, sections.

Everything here takes and returns strings or plain objects; nothing touches the disk. A problem
is raised as :class:`ParseError` carrying the 1-based line it concerns.

>>> doc = parse_yaml("id: a\\nlist: [1, 2]\\n", first_line=1)
>>> doc.data["list"], doc.line_of(("list", 1))
([1, 2], 2)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from toolkit.errors import ParseError

try:  # libyaml is several times faster; the pure-Python loader gives the same results.
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_PLAIN_TAGS: dict[str, str] = {}  # plain scalar -> resolved tag; the resolution depends on the text only


class Loader(_SafeLoader):
    """The safe loader, except that dates stay strings: the models check them, with a clear message."""

    yaml_implicit_resolvers = {  # noqa: RUF012 - PyYAML's own class attribute, replaced not mutated
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
    }

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: tuple[bool, bool]) -> str:
        # The same words recur in every file (ids, field values): remember how each plain one resolved.
        if kind is yaml.ScalarNode and implicit[0]:
            tag = _PLAIN_TAGS.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(_PLAIN_TAGS) < 50_000:
                    _PLAIN_TAGS[value] = tag
            return tag
        return super().resolve(kind, value, implicit)


_INT = "tag:yaml.org,2002:int"
_MERGE = "tag:yaml.org,2002:merge"
# Deeper than any library file or spec goes; deep enough values would exhaust the stack later on.
MAX_DEPTH = 64
# An integer of more characters is refused before Python converts it: counts, years and amounts are
# far shorter, and a long one costs time (a YAML 1.1 base-60 integer is quadratic) or cannot be printed.
MAX_INT_CHARS = 30


def _construct(node: yaml.Node, loader: Loader, first_line: int, depth: int = 0) -> Any:
    """Build plain data from a node tree: strings, lists and mappings directly (the bulk of a
    library), other scalars through the safe constructor. A repeated key, a merge key (``<<``),
    a collection with an explicit tag, a long integer or too deep a nesting is an error."""
    kind = type(node)
    if kind is yaml.ScalarNode:
        if node.tag == _STR:
            if (control := _CONTROL.search(node.value)) is not None:  # an escape in a quoted value
                raise ParseError(
                    first_line + node.start_mark.line, f"control character {control.group()!r} in a value; remove it"
                )
            return node.value
        if node.tag == _INT and len(node.value) > MAX_INT_CHARS:
            raise ParseError(
                first_line + node.start_mark.line,
                f"a number of {len(node.value):,} characters is too long (at most {MAX_INT_CHARS}); "
                "put it in quotes if it is text",
            )
        return loader.construct_object(node, deep=True)
    line = first_line + node.start_mark.line
    if depth >= MAX_DEPTH:
        raise ParseError(line, f"values nested more than {MAX_DEPTH} levels deep")
    if kind is yaml.SequenceNode and node.tag == _SEQ:
        return [_construct(child, loader, first_line, depth + 1) for child in node.value]
    if kind is yaml.MappingNode and node.tag == _MAP:
        out: dict[Any, Any] = {}
        lines: dict[Any, int] = {}
        for key_node, value_node in node.value:
            line = first_line + key_node.start_mark.line
            if key_node.tag == _MERGE:
                raise ParseError(line, "YAML merge keys ('<<') are not allowed; write the fields out")
            key = _construct(key_node, loader, first_line, depth + 1)
            try:
                seen = key in lines
            except TypeError:
                raise ParseError(line, "YAML syntax error: a key must be text") from None
            if seen:
                raise ParseError(line, f"'{key}' appears twice in one mapping (first at line {lines[key]})")
            lines[key] = line
            out[key] = _construct(value_node, loader, first_line, depth + 1)
        return out
    tag = node.tag.replace("tag:yaml.org,2002:", "!!")
    raise ParseError(line, f"YAML syntax error: tag '{tag}' is not allowed here; write a plain list or mapping")


Loc = tuple[str | int, ...]

# What YAML refuses to read (PyYAML reports it at a character offset, on two lines): C0 controls
# but tab and line feed, DEL, C1 controls, lone surrogates, U+FFFE and U+FFFF; and what it reads as
# a line break though nothing else does (NEL, U+2028, U+2029): the lines it counts would be wrong.
_NOT_YAML = re.compile("[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")
_YAML_BREAKS = "\x85\u2028\u2029"
# Control characters no text of a library or a spec holds (tab and line feed are text); a quoted
# YAML value can still write them as escapes ("\x07"), and a Markdown body can hold them.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def decode(raw: bytes) -> str:
    """Decode UTF-8 (with or without a byte-order mark) and fold CRLF and CR line endings to LF."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        byte = raw[exc.start : exc.start + 1].hex()
        raise ParseError(line, f"not UTF-8: byte 0x{byte} cannot be decoded (save the file as UTF-8)") from None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


@dataclass(frozen=True)
class YamlDoc:
    """Parsed YAML data with the node tree kept for finding the line of any value."""

    data: Any
    node: yaml.Node | None
    first_line: int
    _keys: dict[int, dict[str, tuple[yaml.Node, yaml.Node]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def line_of(self, loc: Iterable[str | int]) -> int:
        """The line of the value at ``loc`` (keys and list indices); the nearest enclosing value's
        line when ``loc`` goes further than the document does (a missing field)."""
        node = self.node
        if node is None:
            return self.first_line
        line = node.start_mark.line
        for step in loc:
            child = self._child(node, step)
            if child is None:
                break
            key_node, node = child
            line = (key_node or node).start_mark.line
        return self.first_line + line

    def _child(self, node: yaml.Node, step: str | int) -> tuple[yaml.Node | None, yaml.Node] | None:
        if isinstance(node, yaml.MappingNode):
            # Each mapping is indexed on its first lookup, so that finding the lines of many
            # problems in one mapping takes time in proportion to their number, not its square.
            keys = self._keys.get(id(node))
            if keys is None:
                keys = {}
                for key, value in node.value:
                    if isinstance(key, yaml.ScalarNode):
                        keys.setdefault(key.value, (key, value))
                self._keys[id(node)] = keys
            return keys.get(str(step))
        if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
            return None, node.value[step]
        return None


def parse_yaml(text: str, first_line: int = 1) -> YamlDoc:
    """Parse one YAML document safely; ``first_line`` is the file line the text starts at.

    Tags that would build Python objects are refused by the safe loader; anchors, aliases and merge
    keys are refused here, so that a small file cannot expand into a huge one, as are characters
    YAML cannot hold, long integers and deep nesting, each at its line.
    """
    bad = _NOT_YAML.search(text)
    if bad is not None:
        line = first_line + text.count("\n", 0, bad.start())
        char = bad.group()
        if char in _YAML_BREAKS:
            raise ParseError(line, f"character {char!r} is read by YAML as a line break; remove it")
        raise ParseError(line, f"control character {char!r} is not allowed; remove it")
    loader = Loader(text)
    try:
        if "&" in text or "*" in text:
            _refuse_anchors(text, first_line)
        node = loader.get_single_node()
        data = _construct(node, loader, first_line) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + mark.line if mark is not None else first_line
        what = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem and "constructor" not in exc.problem:
            what = f"{exc.context}, {exc.problem}"
        raise ParseError(line, f"YAML syntax error: {what}") from None
    except yaml.YAMLError as exc:
        first = str(exc).strip().split("\n", 1)[0]
        raise ParseError(first_line, f"YAML syntax error: {first}") from None
    finally:
        loader.dispose()
    return YamlDoc(data, node, first_line)


def _refuse_anchors(text: str, first_line: int) -> None:
    """Refuse the first anchor (``&name``) or alias (``*name``), at its line. Only a text holding
    '&' or '*' is read a second time, as events: the nodes do not keep their anchors."""
    loader = Loader(text)
    try:
        while (event := loader.get_event()) is not None:
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
                mark = event.start_mark
                raise ParseError(
                    first_line + (mark.line if mark is not None else 0),
                    "YAML anchors and aliases are not allowed; write the value out",
                )
            if isinstance(event, yaml.StreamEndEvent):
                break
    finally:
        loader.dispose()


@dataclass(frozen=True)
class FrontMatter:
    """A Markdown file split into its YAML front matter and its body, with their first lines."""

    yaml_text: str
    yaml_line: int
    body: str
    body_line: int


def split_front_matter(text: str) -> FrontMatter:
    """Split ``---``-fenced YAML front matter from the Markdown body that follows it."""
    if not text.strip():
        raise ParseError(1, "empty file")
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        raise ParseError(1, "front matter missing: the file must start with a line '---'")
    for number in range(1, len(lines)):
        if lines[number].rstrip() in ("---", "..."):
            return FrontMatter(
                yaml_text="\n".join(lines[1:number]) + "\n",
                yaml_line=2,
                body="\n".join(lines[number + 1 :]),
                body_line=number + 2,
            )
    raise ParseError(1, "front matter not closed: add a line '---' after the YAML fields")


@dataclass(frozen=True)
class Section:
    """A named body section: its heading, line, text, and list items when it is a list."""

    id: str
    heading: str
    line: int
    text: str
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class Body:
    """The sections of a Markdown body, by section id, plus sections whose heading is unknown."""

    sections: dict[str, Section] = field(default_factory=dict)
    extra: tuple[Section, ...] = ()
    intro: str = ""


_HEADING = re.compile(r"^##[ \t]+(.+?)[ \t#]*$")
_ITEM = re.compile(r"^(?:[-*+]|\d+[.)])[ \t]+(.*)$")
_FENCE = re.compile(r"^(```|~~~)")


def fenced_lines(body: str) -> list[tuple[str, bool]]:
    """Each line of a Markdown body, and whether it lies in a code fence (from its opening line to the
    line before its closing one): a heading there is text, not a heading.

    >>> fenced_lines("a\\n```\\n# b\\n```\\n# c")
    [('a', False), ('```', True), ('# b', True), ('```', False), ('# c', False)]
    """
    lines = []
    fenced = False
    for text_line in body.split("\n"):
        if _FENCE.match(text_line):
            fenced = not fenced
        lines.append((text_line, fenced))
    return lines


def parse_body(
    body: str, first_line: int, headings: Mapping[str, str], lists: Iterable[str] = ()
) -> tuple[Body, list[ParseError]]:
    """Split a Markdown body at its ``## `` headings; return the body and the problems found.

    ``headings`` maps a lower-cased heading (in any language) to a section id; ``lists`` names the
    section ids whose content is a Markdown list. A repeated section, a list section holding
    anything but list items, or a control character (the first) is a problem; the rest of the body is still read.
    """
    list_ids = set(lists)
    problems: list[ParseError] = []
    control = _CONTROL.search(body)
    if control is not None:
        line = first_line + body.count("\n", 0, control.start())
        problems.append(ParseError(line, f"control character {control.group()!r} in the text; remove it"))
    chunks: list[tuple[str, int, list[str]]] = []
    intro: list[str] = []
    for offset, (text_line, fenced) in enumerate(fenced_lines(body)):
        match = None if fenced else _HEADING.match(text_line)
        if match:
            chunks.append((match.group(1).strip(), first_line + offset, []))
        elif chunks:
            chunks[-1][2].append(text_line)
        else:
            intro.append(text_line)
    sections: dict[str, Section] = {}
    extra: list[Section] = []
    for heading, line, content in chunks:
        text = unwrap_wide("\n".join(content).strip())
        section_id = headings.get(heading.casefold())
        if section_id is None:
            extra.append(Section("", heading, line, text))
            continue
        if section_id in sections:
            problems.append(
                ParseError(line, f"section '## {heading}' appears twice (first at line {sections[section_id].line})")
            )
            continue
        items = _list_items(heading, line, content, problems) if section_id in list_ids else ()
        sections[section_id] = Section(section_id, heading, line, text, items)
    return Body(sections, tuple(extra), "\n".join(intro).strip()), problems


def _list_items(heading: str, line: int, content: list[str], problems: list[ParseError]) -> tuple[str, ...]:
    items: list[list[str]] = []  # each item's lines, joined at the end (not string by string)
    for offset, raw in enumerate(content, start=1):
        if not raw.strip():
            continue
        match = _ITEM.match(raw)
        if match:
            items.append([match.group(1).strip()])
        elif items and raw[:1] in (" ", "\t"):
            items[-1].append(raw.strip())
        else:
            message = f"section '## {heading}' is a list: start each item with '- ' (found plain text)"
            problems.append(ParseError(line + offset, message))
            break
    return tuple(join_lines(parts) for parts in items)


# Characters between which a line break is no space: Chinese, Japanese and Korean characters and
# full-width punctuation. A wrapped line of Chinese joins without a space; a wrapped line of English
# joins with one.
_WIDE = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u201c\u201d\u2018\u2019\u2014\u2026"
_WIDE_BREAK = re.compile(f"(?<=[{_WIDE}])[ \t]*\n[ \t]*(?=[{_WIDE}])")


def join_lines(parts: list[str]) -> str:
    """Join the lines of a wrapped paragraph or list item: with a space, except between wide characters.

    >>> join_lines(["a wrapped", "line"]), join_lines(["逢节必收，", "终致身败名裂"])
    ('a wrapped line', '逢节必收，终致身败名裂')
    """
    return _WIDE_BREAK.sub("", "\n".join(parts)).replace("\n", " ")


def unwrap_wide(text: str) -> str:
    """Remove the line breaks inside paragraphs that fall between wide characters (see :func:`join_lines`)."""
    return _WIDE_BREAK.sub("", text)
