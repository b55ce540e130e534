"""Rendering: the cover, catalog headings, sanitised library Markdown, unique ids, well-formed HTML."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from conftest import CASE, QUESTIONS, THEME, MakeLibrary

import toolkit
from toolkit import Library, load_library
from toolkit.documents import DOCUMENTS, assemble, handouts
from toolkit.i18n import catalog
from toolkit.render import environment, render

DATE = "2026-03-01"
# The handouts, made for an audience (the trainer report, made from a store, is tested in test_report.py).
KIND_EDITIONS = [(name, edition) for name in handouts() for edition in DOCUMENTS[name].editions]
KIND_IDS = [f"{name}-{edition}" for name, edition in KIND_EDITIONS]
HAS_ZH = (Path(toolkit.__file__).parent / "locales" / "zh-CN.yaml").exists()
LANGS = ["en", pytest.param("zh-CN", marks=pytest.mark.skipif(not HAS_ZH, reason="no zh-CN catalog yet"))]

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Elements a <p> may not hold (the parser would close the paragraph before them).
BLOCK = {
    "address", "article", "aside", "blockquote", "div", "dl", "fieldset", "figure", "footer", "form",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "nav", "ol", "p", "pre", "section", "table", "ul",
}  # fmt: skip


class Page(HTMLParser):
    """Elements, attributes, text and headings of an HTML fragment, and any nesting problems."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.texts: list[str] = []
        self.headings: list[str] = []
        self._heading: list[str] | None = None
        self.feed(html)
        self.close()
        if self.stack:
            self.problems.append(f"unclosed: {self.stack}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        if tag in BLOCK and "p" in self.stack:
            self.problems.append(f"<{tag}> inside <p>")
        if tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            self._heading = []
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1] if self.stack else 'nothing'}>")
            if tag in self.stack:
                del self.stack[len(self.stack) - 1 - self.stack[::-1].index(tag) :]
            return
        self.stack.pop()
        if tag.startswith("h") and tag[1:].isdigit() and self._heading is not None:
            self.headings.append(" ".join("".join(self._heading).split()))
            self._heading = None

    def handle_data(self, data: str) -> None:
        self.texts.append(data)
        if self._heading is not None:
            self._heading.append(data)

    @property
    def text(self) -> str:
        return " ".join("".join(self.texts).split())

    def tags(self, name: str) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.elements if tag == name]


def make(name: str, library: Library, **values: Any) -> Any:
    return assemble(name, {"date": DATE, **values}, library)


def words(text: str) -> str:
    return " ".join(text.split())


# --- the cover -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "edition"), KIND_EDITIONS, ids=KIND_IDS)
@pytest.mark.parametrize("audience", ["newly-promoted", "families"])
def test_cover_shows_title_audience_date_and_version(bundled: Library, name: str, edition: str, audience: str) -> None:
    document = make(name, bundled, audience=audience, edition=edition, unit="County Bureau of Audits")
    page = Page(render(document))
    en = catalog("en")
    label = bundled.taxonomy.label("audiences", audience)
    assert document.cover.title
    assert page.headings[0] == words(document.cover.title)
    assert en("cover.for", audience=label) in page.text
    assert en("cover.date", date=DATE) in page.text
    assert bundled.version in page.text
    assert "County Bureau of Audits" in page.text
    assert en(f"edition.{edition}") in page.text


def _between(html: str, start: str, end: str) -> str:
    return html[html.index(start) : html.index(end, html.index(start))]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("name", "edition"), KIND_EDITIONS, ids=KIND_IDS)
def test_the_cover_is_a_cover_and_the_colophon_closes_the_handout(
    bundled: Library, name: str, edition: str, lang: str
) -> None:
    """No library hash and no parameter list on the cover; the provenance, the parameters in words in
    the handout's language, closes it."""
    t = catalog(lang)
    document = make(name, bundled, audience="retired", edition=edition, lang=lang, seed=7)
    html = render(document)
    cover = _between(html, '<section class="lz-cover">', "</section>")
    assert bundled.version not in cover
    assert "=" not in Page(cover).text and "retired" not in cover
    assert html.rstrip().endswith("</footer>\n</article>")
    footer = _between(html, '<footer class="lz-colophon">', "</footer>")
    colophon = Page(footer).text
    provenance = document.cover.provenance
    line = t("provenance.line", library=bundled.version, toolkit=provenance.toolkit_version, date=t.date(DATE))
    assert words(line) in colophon
    rows = dict(re.findall(r'<tr><th scope="row">([^<]*)</th><td>([^<]*)</td></tr>', footer))
    assert rows[t("param.audience")] == bundled.taxonomy.label("audiences", "retired", lang)
    assert rows[t("param.edition")] == t(f"edition.{edition}")
    assert rows[t("param.lang")] == t(f"language.{lang}")
    assert rows[t("param.seed")] == "7"
    assert rows[t("param.date")] == t.date(DATE)
    assert '"' not in colophon and "retired" not in colophon, "values in words, not as given"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", [name for name in handouts() if DOCUMENTS[name].interactive])
def test_a_learners_page_header_carries_no_provenance(bundled: Library, name: str, lang: str) -> None:
    document = make(name, bundled, audience="retired", edition="interactive", lang=lang)
    header = environment(lang).get_template("learner_header.html.j2").render(doc=document, instructions="")
    text = Page(header).text
    assert catalog(lang).date(DATE) in text and bundled.version not in header
    assert "=" not in text and "lz-provenance" not in header and "Lianzheng" not in text


@pytest.mark.parametrize("name", handouts())
def test_cover_title_is_escaped(bundled: Library, name: str) -> None:
    html = render(make(name, bundled, audience="retired", title="Before <Spring Festival> & after"))
    assert "<Spring Festival>" not in html
    assert Page(html).headings[0] == "Before <Spring Festival> & after"


# --- headings from the catalog ---------------------------------------------------------------------

HEADING_KEYS = {
    "casebook": ["casebook.introduction", "toc.heading", "casebook.rules", "casebook.discussion"],
    "outline": [
        "outline.theme",
        "outline.objectives",
        "outline.part.opening",
        "outline.part.why-now",
        "outline.part.cases",
        "outline.part.defences",
        "outline.part.responsibility",
        "outline.part.discussion",
        "outline.cases",
    ],
    "worksheet": [
        "worksheet.how",
        "worksheet.part.checks",
        "worksheet.part.reflection",
        "worksheet.part.table",
        "worksheet.part.quiz",
        "worksheet.part.notes",
    ],
    "quiz": [],
}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", handouts())
def test_headings_come_from_the_catalog(bundled: Library, name: str, lang: str) -> None:
    t = catalog(lang)
    document = make(name, bundled, audience="newly-promoted", lang=lang)
    page = Page(render(document))
    for key in HEADING_KEYS[name]:
        assert any(h.startswith(words(t(key))) for h in page.headings), (key, page.headings)
    if name == "quiz":
        tax = bundled.taxonomy
        expected = [
            t("quiz.group", type=tax.label("question_types", group.type, lang), count=len(group.items))
            for group in document.groups
        ]
        assert [h for h in page.headings if h in expected] == expected
    if name == "casebook":
        for number, case in enumerate(document.cases, start=1):
            assert words(t("casebook.case_number", number=number) + t("punct.space") + case.title) in page.headings
    if lang != "en":
        en = catalog("en")
        for key in HEADING_KEYS[name]:
            if en(key) != t(key):
                assert not any(h.startswith(en(key)) for h in page.headings), key


@pytest.mark.parametrize("lang", LANGS)
def test_labels_follow_the_language(bundled: Library, lang: str) -> None:
    book = make("casebook", bundled, audience="retired", lang=lang, edition="trainer")
    page = Page(render(book))
    tax = bundled.taxonomy
    assert catalog(lang)("cover.for", audience=tax.label("audiences", "retired", lang)) in page.text
    for case in book.cases:
        assert tax.label("case_kinds", case.kind, lang) in page.text


# --- library Markdown is untrusted -----------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
RAW_IMG = "<img src=http://example.com/x.png onerror=alert(2)>"
MD_IMG = "![tracking pixel](http://example.com/a.png)"
JS_LINK = "[click me](javascript:alert(3))"
PAYLOAD = f"{SCRIPT} {RAW_IMG} {MD_IMG} {JS_LINK} [ok link](https://example.org/rules)"


def hostile_library(make_library: MakeLibrary) -> Library:
    case = (
        CASE.format(id="hostile-case")
        .replace('summary: "A section chief keeps a festival gift card."', f"summary: '{PAYLOAD}'")
        .replace('title: "A sample case"', f"title: 'Hostile {SCRIPT}'")
        .replace("A card under the mooncakes.", f"A card under the mooncakes.\n\n{PAYLOAD}\n\n{SCRIPT}\n\n{RAW_IMG}")
        .replace("- Return the first gift the same day.", f"- Return it. {PAYLOAD}")
        .replace("- When could he have stepped back?", f"- When? {PAYLOAD}")
    )
    theme = (
        THEME.format(id="hostile-theme", case="hostile-case")
        .replace('summary: "The same when no one is watching."', f"summary: '{PAYLOAD}'")
        .replace("Because.", f"Because.\n\n{PAYLOAD}")
        .replace("- One.", f"- One. {PAYLOAD}")
    )
    question = QUESTIONS.format(case="hostile-case").replace(
        'stem: "What do you do with a gift card from a supplier?"', f"stem: '{PAYLOAD}'"
    )
    question = question.replace(
        'options: ["Keep it", "Hand it in", "Give it away"]', f"options: ['{MD_IMG}', '{JS_LINK}', '{SCRIPT}']"
    )
    prompts = (
        f"- id: p-hostile\n  kind: self-check\n  text: '{PAYLOAD}'\n  disciplines: [integrity]\n"
        f"- id: p-reflect\n  kind: reflection\n  text: '{PAYLOAD}'\n"
        f"- id: p-problem\n  kind: problem\n  text: '{PAYLOAD}'\n"
    )
    files = {
        "cases/hostile-case.md": case,
        "themes/hostile-theme.md": theme,
        "questions/integrity.yaml": question,
        "prompts/hostile.yaml": prompts,
    }
    return load_library(make_library(files))


@pytest.mark.parametrize(("name", "edition"), KIND_EDITIONS, ids=KIND_IDS)
def test_library_markdown_is_sanitised(make_library: MakeLibrary, name: str, edition: str) -> None:
    library = hostile_library(make_library)
    extra = {"outline": {"theme": "hostile-theme"}, "quiz": {"questions": 10}, "casebook": {"cases": 8}}
    document = make(name, library, audience="newly-promoted", edition=edition, **extra.get(name, {}))
    html = render(document)
    page = Page(html)
    assert page.problems == []
    assert page.tags("script") == []
    assert page.tags("img") == []
    for tag, attrs in page.elements:
        for attr, value in attrs.items():
            assert not attr.startswith("on"), (tag, attr)
            assert "example.com" not in (value or ""), (tag, attr, value)
            if attr in {"href", "src", "action"}:
                assert not (value or "").strip().lower().startswith(("javascript:", "data:", "vbscript:")), value
    # the hostile text is there, shown as text: the test is not passing because it was left out
    assert "alert(1)" in page.text
    assert "<script>alert(1)</script>" in page.text
    assert "tracking pixel" in page.text
    if name == "casebook":
        assert any(a.get("href") == "https://example.org/rules" for a in page.tags("a"))


def test_image_alt_text_is_escaped() -> None:
    from toolkit.render import md_block

    html = str(md_block('![<b onmouseover="x()">bold</b>](http://example.com/a.png)'))
    page = Page(html)
    assert page.tags("b") == []
    assert page.tags("img") == []


# --- structure -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "edition"), KIND_EDITIONS, ids=KIND_IDS)
@pytest.mark.parametrize("audience", ["incumbent-leaders", "retired", "key-posts"])
def test_html_is_one_well_formed_article_with_unique_ids(
    bundled: Library, name: str, edition: str, audience: str
) -> None:
    document = make(name, bundled, audience=audience, edition=edition)
    page = Page(render(document))
    assert page.problems == []
    assert len(page.tags("article")) == 1
    assert page.elements[0][0] == "article"
    assert f"lz-{name}" in (page.elements[0][1].get("class") or "").split()
    ids = [attrs["id"] for _, attrs in page.elements if "id" in attrs]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    for attrs in page.tags("a"):
        href = attrs.get("href") or ""
        if href.startswith("#"):
            assert href[1:] in ids, href


def test_every_case_of_a_casebook_is_rendered_with_its_anchor(bundled: Library) -> None:
    book = make("casebook", bundled, audience="long-serving", cases=12)
    page = Page(render(book))
    ids = {attrs.get("id") for _, attrs in page.elements}
    for case in book.cases:
        assert f"case-{case.id}" in ids
        assert words(case.title) in page.text


def test_the_quiz_key_shows_answers_the_learner_edition_does_not(bundled: Library) -> None:
    en = catalog("en")
    key = Page(render(make("quiz", bundled, audience="retired", edition="key", questions=12)))
    learner = Page(render(make("quiz", bundled, audience="retired", questions=12)))
    answers = [attrs for attrs in key.tags("span") if attrs.get("class") == "lz-answer"]
    assert len(answers) == 12
    assert [attrs for attrs in learner.tags("span") if attrs.get("class") == "lz-answer"] == []
    assert en("quiz.answer") not in learner.text
