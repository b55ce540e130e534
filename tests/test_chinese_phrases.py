"""A zh-CN handout's fixed phrases are all Chinese: nothing from the English catalog leaks into it.

The four handouts of one audience are rendered in zh-CN from the bundled library. What the page shows
is split into library text (every string of the library's entries in Chinese, checked on its own by
``lianzheng check``) and the rest: the catalog's phrases, the taxonomy's labels, numbers and
punctuation. That rest must hold no fragment of an en.yaml phrase and no Latin word besides the
toolkit's name, the library version and the option letters of a quiz.
"""

from __future__ import annotations

import re
import string
from html.parser import HTMLParser
from typing import Any

import pytest

from toolkit import Library, assemble, render_document
from toolkit.documents import DOCUMENTS, handouts
from toolkit.documents.params import INTERACTIVE
from toolkit.i18n import catalog
from toolkit.render import environment

AUDIENCE = "newly-promoted"
DATE = "2026-12-02"
EDITIONS = [(name, edition) for name in handouts() for edition in DOCUMENTS[name].editions]
# Latin text a Chinese handout may carry: the toolkit's name, the library version (hex), option letters.
ALLOWED_LATIN = re.compile(
    r"(?<![A-Za-z])Lianzheng(?![A-Za-z])|(?<![0-9A-Za-z])[0-9a-f]{12,64}(?![0-9A-Za-z])|(?<![A-Za-z])[A-F]{1,6}(?![A-Za-z])"
)
SLUG = re.compile(r"[a-z0-9-]+")  # ids, terms and language codes: never printed as text
LATIN_WORD = re.compile(r"[A-Za-z]+")
CJK = re.compile(r"[\u3400-\u9fff]")


class _Texts(HTMLParser):
    """The text a reader sees: text nodes, stylesheets and scripts left out."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._hidden = 0
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._hidden += tag in ("style", "script")

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in ("style", "script")

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not self._hidden:
            self.texts.append(text)


def _strings(value: Any) -> list[str]:
    """Every string in a record dumped to plain data."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list | tuple):
        return [text for item in value for text in _strings(item)]
    return []


def _library_texts(library: Library) -> list[str]:
    """The library's entry texts, whitespace collapsed, longest first; Markdown's marks as the page
    shows them (emphasis and link targets gone) as well as written."""
    entries = [*library.cases, *library.themes, *library.questions, *library.prompts, *library.messages]
    texts: set[str] = set()
    for entry in entries:
        for text in _strings(entry.model_dump(exclude={"origin"})):
            text = " ".join(text.split())
            if len(text) < 2 or SLUG.fullmatch(text):
                continue
            texts.add(text)
            plain = re.sub(r"\]\([^)]*\)", "", text).replace("[", "").replace("**", "").replace("*", "").strip()
            texts |= {part.strip() for part in re.split(r"[`_]", plain) if len(part.strip()) >= 2}
    return sorted(texts, key=len, reverse=True)


def fixed_text(html: str, library_texts: list[str]) -> list[str]:
    """The page's text nodes with every piece of library text taken out: what the toolkit wrote."""
    blob = "\n".join(library_texts)
    rest = []
    for text in _Texts(html).texts:
        if text in blob:
            continue
        for library_text in library_texts:
            if library_text in text:  # a whole piece, not a word's inside
                text = re.sub(rf"(?<![A-Za-z]){re.escape(library_text)}(?![A-Za-z])", " ", text)
        text = " ".join(text.split())
        if text:
            rest.append(text)
    return rest


def _english_fragments() -> set[str]:
    """The literal parts of every en.yaml phrase that hold a Latin word of three letters or more (the
    toolkit's name aside)."""
    fragments = set()
    for text in catalog("en").messages.values():
        for literal, *_ in string.Formatter().parse(text):
            literal = literal.strip(" .,:;()–·")
            if re.search(r"[A-Za-z]{3}", ALLOWED_LATIN.sub(" ", literal)):
                fragments.add(literal)
    return fragments


@pytest.fixture(scope="module")
def pages(bundled: Library) -> dict[str, str]:
    made = {}
    t = catalog("zh-CN")
    for name, edition in EDITIONS:
        document = assemble(name, {"audience": AUDIENCE, "lang": "zh-CN", "edition": edition, "date": DATE}, bundled)
        made[f"{name}-{edition}"] = render_document(document)
        if edition == INTERACTIVE:  # the header of the learner's page
            instructions = t(f"learner.{name}_instructions", count=5)
            header = environment("zh-CN").get_template("learner_header.html.j2")
            made[f"{name}-learner-page"] = header.render(doc=document, instructions=instructions)
    return made


def test_the_split_finds_library_text_and_fixed_text(bundled: Library, pages: dict[str, str]) -> None:
    # Guards the measure: the library's text is taken out, the Chinese headings stay.
    html = pages["casebook-learner"]
    rest = " ".join(fixed_text(html, _library_texts(bundled.in_language("zh-CN"))))
    title = assemble("casebook", {"audience": AUDIENCE, "lang": "zh-CN"}, bundled).cases[0].title
    assert title in html and title not in rest
    assert catalog("zh-CN")("casebook.rules") in rest
    assert "Rules at a glance" in " ".join(fixed_text(html.replace("涉及条规一览", "Rules at a glance"), []))


PAGES = [f"{name}-{edition}" for name, edition in EDITIONS] + [
    f"{name}-learner-page" for name, edition in EDITIONS if edition == INTERACTIVE
]


@pytest.mark.parametrize("page", PAGES)
def test_no_english_phrase_in_a_chinese_handout(bundled: Library, pages: dict[str, str], page: str) -> None:
    rest = fixed_text(pages[page], _library_texts(bundled.in_language("zh-CN")))
    joined = "\n".join(rest)
    leaked = sorted(fragment for fragment in _english_fragments() if fragment in joined)
    assert leaked == []
    latin = [text for text in rest if LATIN_WORD.search(ALLOWED_LATIN.sub(" ", text))]
    assert latin == []
    chinese = sum(len(CJK.findall(text)) for text in rest)
    letters = sum(len(word) for text in rest for word in LATIN_WORD.findall(ALLOWED_LATIN.sub(" ", text)))
    assert chinese > 30 and letters == 0, (chinese, letters)
