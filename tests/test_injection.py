"""Hostile text everywhere, checked in a browser: no payload runs script or reaches the network.

A copy of the bundled library gets one of :data:`toolkit.testing.payloads.PAYLOADS` in every text field of
every entry kind (and the taxonomy's labels); the build spec's printed parameters (title, unit), the
report's title and unit, and a real response store's learner names, sheet titles and answers get them too.
From these the module builds, once: every handout of a session as HTML (the page the PDF and DOCX are made
from too) and as a slide deck, the build's index page, the trainer report (named edition), the studio's
views and previews (every case, the outline of every theme), and a learner's quiz in widgets through to
its result. Each page is opened in headless Chromium, which may load the page and nothing else: every
other request is recorded and refused, dialogs are recorded, ``window.__pwned`` records calls, and after
loading the page's DOM (every frame) is searched for what could run later: event-handler attributes,
``javascript:`` / ``data:`` links and forms, frames with a source, ``<base>``, ``<meta http-equiv>``,
scripts that are not the deck's own.

The figures (payloads, fields planted, pages, active payloads, requests) are written to
``test-artifacts/injection.json``.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

from toolkit import Library, load_library
from toolkit.batch import build, build_file, load_spec
from toolkit.paths import bundled_library
from toolkit.testing.payloads import PAYLOADS, Planting, payload, plant_library, traced

DATE = "2026-12-01"
AUDIENCE = "key-posts"
# The printed parameters of the spec and the report, each a payload that closes the element it lands in.
TITLES = {"casebook": 1, "outline": 55, "worksheet": 4, "quiz": 58}
UNIT = 69
REPORT_TITLE = 1
REPORT_UNIT = 55
HOSTILE_SESSION = f"s1 {payload(9).text} {payload(71).text}"

# Run in every page, before its own script: what a payload that ran would call.
SENTINEL = """
window.__calls = [];
window.__pwned = (n) => window.__calls.push(String(n));
"""

# What in a loaded page could still run or load later (a click, a timer): one line per finding.
AUDIT = r"""
() => {
  const found = [];
  const bad = /^\s*(javascript|data|vbscript|file):/i;
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on")) found.push(`handler ${name}: ${el.outerHTML.slice(0, 200)}`);
      if (["href", "src", "action", "formaction", "data", "xlink:href", "poster", "background", "ping"].includes(name)
          && (bad.test(attr.value) || /^\s*(https?:)?\/\//i.test(attr.value)))
        found.push(`url ${name}: ${el.outerHTML.slice(0, 200)}`);
    }
    const tag = el.tagName.toLowerCase();
    if (["object", "embed", "base", "frame", "frameset", "applet", "portal"].includes(tag))
      found.push(`element ${tag}: ${el.outerHTML.slice(0, 200)}`);
    if (tag === "iframe" && el.hasAttribute("src")) found.push(`frame: ${el.outerHTML.slice(0, 200)}`);
    if (tag === "meta" && el.hasAttribute("http-equiv")) found.push(`meta: ${el.outerHTML.slice(0, 200)}`);
    if (tag === "link" && el.getAttribute("rel") !== "icon") found.push(`link: ${el.outerHTML.slice(0, 200)}`);
    if (tag === "script" && (el.hasAttribute("src") || /__pwned|alert\(\d+\)/.test(el.textContent)))
      found.push(`script: ${el.outerHTML.slice(0, 200)}`);
    if (tag === "style" && /evil\.example|@import/.test(el.textContent)) found.push(`style: ${el.textContent.slice(0, 200)}`);
    const style = el.getAttribute("style") || "";
    if (/url\(\s*['"]?\s*(https?:|\/\/|javascript:)/i.test(style)) found.push(`style attribute: ${style.slice(0, 200)}`);
  }
  return found;
}
"""


@dataclass
class Pages:
    """The pages built from the planted library, and what went into them."""

    planting: Planting
    files: dict[str, Path]
    names: dict[str, str] = field(default_factory=dict)  # learner -> planted display name


@dataclass
class Visit:
    """What a page did in the browser."""

    calls: list[str]
    dialogs: list[str]
    requests: list[str]
    findings: list[str]
    text: str
    title: str

    def active(self) -> set[int]:
        """The payloads that ran, asked for a dialog, reached for the network or left something live."""
        numbers = {int(call) for call in self.calls if call.isdigit()}
        for line in (*self.dialogs, *self.requests, *self.findings):
            numbers |= traced(line)
        return numbers

    def count(self) -> int:
        return len(self.calls) + len(self.dialogs) + len(self.requests) + len(self.findings)


def _planted_store(path: Path, library: Library, planting: Planting) -> dict[str, str]:
    """A real store of learners' answers to the planted library's quiz and worksheet, with a payload for
    every learner's name, every sheet's title and every reflection answer; learner id -> name."""
    from toolkit.responses.store import ResponseStore
    from toolkit.testing.synthetic import generate

    generate(path, learners=24, sessions=2, library=library, seed=3)
    store = ResponseStore(path)
    names = {}
    try:
        learners = [row[0] for row in store.conn.execute("SELECT learner FROM learners ORDER BY learner")]
        for n, learner in enumerate(learners):
            names[learner] = f"N{n:03d} {PAYLOADS[n % len(PAYLOADS)].text}"
            store.register_learner(learner, names[learner])
    finally:
        store.close()
    with sqlite3.connect(path) as conn:  # what the store holds, whatever wrote it
        # A session id the store's own writers would refuse: the charts label their bars with it.
        first = conn.execute("SELECT min(session) FROM sheets").fetchone()[0]
        for table in ("sheets", "opens", "saves", "answers", "submissions", "results"):
            conn.execute(f"UPDATE {table} SET session = ? WHERE session = ?", (HOSTILE_SESSION, first))
        sheets = conn.execute("SELECT session, sheet, items FROM sheets").fetchall()
        for n, (session, sheet, items) in enumerate(sheets):
            conn.execute(
                "UPDATE sheets SET title = ?, library_version = ? WHERE session = ? AND sheet = ?",
                (f"S{n} {PAYLOADS[(n * 7) % len(PAYLOADS)].text}", payload(61).text, session, sheet),
            )
            for item in json.loads(items):
                if item["type"] == "reflection":
                    value = json.dumps(payload(13).text)
                    conn.execute(
                        "UPDATE answers SET value = ? WHERE session = ? AND sheet = ? AND item = ?",
                        (value, session, sheet, item["id"]),
                    )
    return names


def _studio_page(library: Library, target: Path) -> Path:
    """The studio's views as a page: its widgets' HTML after a hostile keyword search, every case's
    preview and the outline of every theme as the studio frames them."""
    import ipywidgets as w

    from toolkit.studio import Studio
    from toolkit.studio.widgets import StudioUI, framed, inline

    studio = Studio(library, audience=AUDIENCE, date=DATE, unit=payload(59).text)
    for case in library.cases[:6]:
        studio.add(case.id)
    ui = StudioUI(studio, spec_path=target.parent / "session.yaml", message=payload(2).text)
    ui.keyword.value = payload(5).text  # nothing matches: the count line says so
    ui.keyword.value = ""
    parts = []

    def collect(widget: Any) -> None:
        if isinstance(widget, w.HTML):
            parts.append(widget.value)
        for child in getattr(widget, "children", ()):
            collect(child)

    collect(ui.widget)
    parts += [inline(studio.preview(case.id)) for case in library.cases]
    for theme in library.themes:
        studio.theme = theme.id
        parts.append(framed(studio.document_preview("outline"), studio.lang))
    parts.append(studio.coverage_html(caption=payload(3).text))
    target.write_text("<!DOCTYPE html><html><body>" + "\n".join(parts) + "</body></html>", encoding="utf-8")
    return target


def _learner_page(library: Library, store: Path, target: Path) -> Path:
    """A learner's quiz in widgets, answered and submitted: the header, every item and the result."""
    import ipywidgets as w

    from toolkit import handout
    from toolkit.responses.store import ResponseStore
    from toolkit.widgets.worksheet import LearnerSheet, resolve

    # The learner's name comes from the trainer's roster; the key shows at submission, so the result
    # prints every explanation and rule.
    responses = ResponseStore(store)
    (issued,) = responses.load_roster("planted", [("learner-1", payload(3).text)]).issued
    responses.set_sheet_settings("planted", "quiz", key_shown="submission")
    responses.close()
    values = {"audience": AUDIENCE, "date": DATE, "edition": "interactive", "store": str(store)}
    values |= {"session": "planted", "questions": 8, "title": payload(1).text, "unit": payload(58).text}
    prepared = handout.prepare("quiz", values, library)
    sheet = LearnerSheet(prepared, replace(resolve(prepared), token=issued.token))
    assert sheet.record is not None, "the roster's link opens the sheet"
    for item in sheet.record.questions():  # the key's answers: the result shows each as given
        sheet.save(item["id"], item["answer"])
    sheet.submit()
    parts = [sheet.header_html()]

    def collect(widget: Any) -> None:
        if isinstance(widget, w.HTML):
            parts.append(widget.value)
        for child in getattr(widget, "children", ()):
            collect(child)

    collect(sheet.root)
    target.write_text("<!DOCTYPE html><html><body>" + "\n".join(parts) + "</body></html>", encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory, warm: None) -> Pages:
    root = tmp_path_factory.mktemp("injection")
    planting = plant_library(bundled_library(), root / "library")
    library = load_library(planting.root)
    spec = {
        "library": str(planting.root),
        "out": str(root / "handouts"),
        "formats": ["html", "slides"],
        "date": DATE,
        "unit": payload(UNIT).text,
        "parameters": {doc: {"title": payload(n).text} for doc, n in TITLES.items()},
        "sessions": [{"audience": AUDIENCE}],
    }
    spec["parameters"]["casebook"]["cases"] = 12
    spec_path = root / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    resolved, _ = load_spec(spec_path, lambda _: library)
    report = build(resolved, library, root / "handouts", jobs=2)
    assert report.counts()["failed"] == 0, [r.error for r in report.results if r.status == "failed"]
    out = root / "handouts"
    files = {f"{r.job.document}-{r.job.edition}.{fmt}": out / p for r in report.results for fmt, p in r.outputs.items()}
    files = {name: path for name, path in files.items() if not name.endswith(".ipynb")}
    files["index.html"] = root / "handouts" / "index.html"

    store = root / "responses.sqlite"
    names = _planted_store(store, library, planting)
    values = {"store": str(store), "edition": "named", "date": DATE, "library": str(planting.root)}
    values |= {"title": payload(REPORT_TITLE).text, "unit": payload(REPORT_UNIT).text}
    made = build_file("report", values, library, root / "report.html")
    assert made.status == "built", made.error
    files["report.html"] = root / "report.html"
    files["studio.html"] = _studio_page(library, root / "studio.html")
    files["learner.html"] = _learner_page(library, root / "learner-store.sqlite", root / "learner.html")
    return Pages(planting, files, names)


@pytest.fixture(scope="module")
def visits(pages: Pages, browser: Any) -> Iterator[dict[str, Visit]]:
    """Every page opened once in one browser."""
    found = {}
    for name, path in pages.files.items():
        found[name] = _visit(browser, path)
    yield found
    _write_figures(pages, found)


def _visit(browser: Any, path: Path) -> Visit:
    context = browser.new_context()
    context.add_init_script(SENTINEL)
    requests: list[str] = []
    dialogs: list[str] = []
    url = path.resolve().as_uri()

    def route(request_route: Any) -> None:
        if request_route.request.url == url:
            request_route.continue_()
        else:
            requests.append(request_route.request.url)
            request_route.abort()

    context.route("**/*", route)
    page = context.new_page()

    def dialog(d: Any) -> None:
        dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    try:
        page.goto(url, wait_until="load")
        page.wait_for_timeout(400)  # onerror of refused images, ontoggle, SVG animations
        calls = [call for frame in page.frames for call in frame.evaluate("window.__calls || []")]
        findings = [line for frame in page.frames for line in frame.evaluate(AUDIT)]
        text = page.evaluate("document.body ? document.body.innerText : ''")
        title = page.title()
    finally:
        context.close()
    return Visit(calls, dialogs, requests, findings, text, title)


def _write_figures(pages: Pages, visits: dict[str, Visit]) -> None:
    from tests.conftest import ARTIFACTS

    kinds = Counter(re.sub(r"\[\d+\]", "", f"{f.path.split('/')[0]}:{f.field}") for f in pages.planting.fields)
    texts = "\n".join(visit.text for visit in visits.values())
    figures = {
        "payloads": len(PAYLOADS),
        "fields_planted": len(pages.planting.fields),
        "field_kinds": len(kinds),
        "fields_shown": len(set(re.findall(r"LZ\d{4}", texts))),
        "pages": len(visits),
        "active_payloads": sorted(set().union(*(visit.active() for visit in visits.values()))),
        "script_runs": sum(len(v.calls) + len(v.dialogs) for v in visits.values()),
        "network_requests": sum(len(v.requests) for v in visits.values()),
        "live_findings": sum(len(v.findings) for v in visits.values()),
        "by_page": {name: sorted(visit.active()) for name, visit in visits.items()},
        "findings": {name: visit.findings for name, visit in visits.items() if visit.findings},
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "injection.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


def test_payloads_cover_the_families_asked_for() -> None:
    families = Counter(p.family for p in PAYLOADS)
    assert len(PAYLOADS) >= 60
    for family in ("closing tag", "event handler", "markdown link", "markdown image", "svg", "frame", "template"):
        assert families[family] >= 2, family
    for family in ("meta refresh", "base", "css", "bidi", "control", "long", "entity", "escape", "typst"):
        assert families[family] >= 1, family


@pytest.mark.slow
def test_every_text_field_of_every_entry_kind_is_planted(pages: Pages) -> None:
    planted = {f.path.split("/")[0] for f in pages.planting.fields}
    assert planted == {"cases", "themes", "questions", "prompts", "messages", "taxonomy.yaml"}
    numbers = Counter(f.payload.number for f in pages.planting.fields)
    assert set(numbers) == {p.number for p in PAYLOADS if p.in_library}  # every one a library may hold


def test_a_library_refuses_the_payloads_it_cannot_hold_at_their_line(tmp_path: Path) -> None:
    from toolkit.library.load import read_library

    refused = [p for p in PAYLOADS if not p.in_library]
    assert {p.family for p in refused} >= {"control"}  # they reach pages through parameters and answers
    for n, hostile in enumerate(refused):
        library = tmp_path / f"library-{n}"
        shutil.copytree(bundled_library(), library)
        case = library / "cases" / "birthday-banquet-hospital.md"
        lines = case.read_text(encoding="utf-8").splitlines(keepends=True)
        at = next(i for i, line in enumerate(lines) if line.startswith("  title:"))  # the en block's
        lines[at] = "  title: " + json.dumps(hostile.text) + "\n"  # a YAML double-quoted string, escapes and all
        case.write_text("".join(lines), encoding="utf-8")
        _, problems = read_library(library)
        assert problems, hostile.number
        assert [(problem.path, problem.line) for problem in problems] == [(str(case), at + 1)], hostile.number


@pytest.mark.slow
@pytest.mark.browser
def test_no_page_runs_script_or_reaches_the_network(pages: Pages, visits: dict[str, Visit]) -> None:
    assert {name.rsplit(".", 1)[1] for name in visits} == {"html", "slides"}
    report = {
        name: {"calls": v.calls, "dialogs": v.dialogs, "requests": v.requests[:5], "findings": v.findings[:5]}
        for name, v in visits.items()
        if v.count()
    }
    assert not report, json.dumps(report, indent=1, ensure_ascii=False)[:4000]


@pytest.mark.slow
@pytest.mark.browser
def test_planted_text_is_shown_as_text(pages: Pages, visits: dict[str, Visit]) -> None:
    """Escaped, not dropped: the titles, a learner's name and library text read as written."""

    def flat(text: str) -> str:
        return " ".join(text.split())

    for document, number in TITLES.items():
        title = payload(number).text
        html = next(v for name, v in visits.items() if name.startswith(f"{document}-") and name.endswith(".html"))
        assert title in html.title, (document, html.title)
        assert title in html.text
    assert payload(TITLES["outline"]).text in visits["outline-trainer.slides"].title
    assert payload(UNIT).text in visits["casebook-learner.html"].text
    report = visits["report.html"]
    assert payload(REPORT_TITLE).text in report.title
    assert any(flat(name) in flat(report.text) for name in pages.names.values())
    texts = flat("\n".join(visit.text for visit in visits.values()))
    markers = set(re.findall(r"LZ\d{4}", texts))
    shown = [f for f in pages.planting.fields if f.marker in markers]
    assert len(shown) > 500
    # Fields printed as plain text (not Markdown) read exactly as planted, tags and all.
    plain = [
        f for f in shown if f.field.endswith(("title", "role")) and f.payload.one_line and f.payload.family != "control"
    ]
    assert plain
    for planted in plain:
        assert flat(planted.text) in texts, planted

    index = pages.files["index.html"].read_text(encoding="utf-8")
    assert '"DejaVu Serif"' in index  # the inlined stylesheet as written, not escaped


# --- each sink on every payload, without a build ---------------------------------------------------


class _Tags(HTMLParser):
    """The elements, attributes and text of a page, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [(name, value or "") for name, value in attrs]
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def _parsed(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser


def test_the_handout_page_escapes_its_title_language_and_version() -> None:
    """nbconvert's page around the handout, with every payload as the title, language and library version."""
    import nbformat

    from toolkit.batch.export import to_html

    for planted in PAYLOADS:
        cell = nbformat.v4.new_code_cell("show")
        meta = {"title": planted.text, "lang": planted.text, "library_version": planted.text}
        data = {"text/html": '<article class="lz-handout"><p>body</p></article>', "text/plain": "x"}
        cell.outputs = [nbformat.v4.new_output("display_data", data=data, metadata={"lianzheng": meta})]
        page = _parsed(to_html(nbformat.v4.new_notebook(cells=[cell]), DATE))
        assert page.tags == [
            "html",
            "head",
            "meta",
            "meta",
            "meta",
            "meta",
            "meta",
            "title",
            "style",
            "body",
            "article",
            "p",
        ]
        assert not [name for name, _ in page.attrs if name.startswith("on")], planted
        assert page.title == planted.text  # text, whole, not cut at a closing tag


def test_library_markdown_links_only_to_web_and_mail_addresses_and_within_the_page() -> None:
    from toolkit.render import md_block, md_inline

    for planted in PAYLOADS:
        for html in (md_block(planted.text), md_inline(planted.text)):
            page = _parsed(str(html))
            assert not set(page.tags) - {
                "p",
                "a",
                "em",
                "strong",
                "code",
                "h2",
                "table",
                "thead",
                "tbody",
                "tr",
                "th",
                "td",
            }
            for name, value in page.attrs:
                assert name in ("href", "style") and re.match(r"(https?:|mailto:|#|[^:]*$)", value), (planted, value)
    allowed = md_inline("[a](https://example.org) [b](mailto:x@example.org) [c](#rules)")
    assert str(allowed).count("<a href=") == 3
    for url in ("javascript:x()", "JAVASCRIPT:x()", "data:image/png;base64,AA==", "file:///etc/passwd", "vbscript:x"):
        assert "<a" not in md_inline(f"[x]({url})") and "<a" not in md_inline(f"<{url}>"), url


def test_a_link_to_a_built_file_cannot_take_another_scheme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The studio's links to the files a build wrote: an output folder named like a URL stays a path."""
    from types import SimpleNamespace

    from toolkit.studio.widgets import output_links

    monkeypatch.chdir(tmp_path)
    result = SimpleNamespace(outputs={"html": "key-posts/casebook.html"})
    for name in ("javascript:__pwned(1)", 'x" onmouseover="__pwned(2)', "data:text/html,<script>__pwned(3)</script>"):
        report = SimpleNamespace(out=tmp_path / name, results=[result])
        page = _parsed(output_links(report))  # type: ignore[arg-type]
        hrefs = [value for attr, value in page.attrs if attr == "href"]
        assert len(hrefs) == 2 and all(":" not in href for href in hrefs), hrefs
        assert [attr for attr, _ in page.attrs] == ["href", "target", "href", "target"]


def test_a_docx_holds_every_title_in_well_formed_xml(tmp_path: Path) -> None:
    """pandoc copies the page's title into the DOCX properties: control characters there made a file
    Word refuses to open."""
    import xml.etree.ElementTree as ET
    import zipfile

    import nbformat

    pytest.importorskip("pypandoc")
    from toolkit.batch.export import to_html, write_docx

    hostile = [p for p in PAYLOADS if p.family in ("control", "bidi", "line separator", "closing tag")]
    for planted in hostile:
        cell = nbformat.v4.new_code_cell("show")
        data = {"text/html": "<article><h1>heading</h1></article>", "text/plain": "x"}
        meta = {"lianzheng": {"title": f"T{planted.number} {planted.text}", "lang": "en"}}
        cell.outputs = [nbformat.v4.new_output("display_data", data=data, metadata=meta)]
        target = tmp_path / f"{planted.number}.docx"
        write_docx(to_html(nbformat.v4.new_notebook(cells=[cell]), DATE), target, "en", DATE)
        with zipfile.ZipFile(target) as docx:
            parts = {
                name: ET.fromstring(docx.read(name)) for name in docx.namelist() if name.endswith((".xml", ".rels"))
            }
        title = parts["docProps/core.xml"].find("{http://purl.org/dc/elements/1.1/}title")
        assert title is not None and (title.text or "").startswith(f"T{planted.number} "), planted
