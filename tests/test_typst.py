"""PDF handouts through Typst, read back with the real tools: pdftotext, pdffonts and pikepdf.

Every printable document is compiled once per language (module fixture); the tests read its text page
by page (pdftotext's form feeds), its fonts and its tagged structure.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from toolkit import assemble, bundled_library, load_library
from toolkit.documents import DOCUMENTS
from toolkit.i18n import catalog
from toolkit.library.catalog import Library
from toolkit.render.pdf import compile_pdf, document_data, has_template, md_tree, printable
from toolkit.testing.payloads import PAYLOADS, payload, plant_library

pikepdf = pytest.importorskip("pikepdf")
pytest.importorskip("typst")
if not (shutil.which("pdftotext") and shutil.which("pdffonts")):
    pytest.skip("poppler-utils (pdftotext, pdffonts) is not installed", allow_module_level=True)

DATE = "2026-12-01"
# (document, edition): every printable edition of every kind laid out by Typst.
EDITIONS = [
    (kind.name, edition)
    for kind in DOCUMENTS.values()
    if "pdf" in kind.templates and kind.handout
    for edition in kind.printable_editions
]
LANGS = ("en", "zh-CN")
HAN = "\u3400-\u9fff\uf900-\ufaff"
# Typst and Markdown syntax, and what a template engine would run: each must print as written.
HOSTILE = [
    '#read("/etc/passwd")',
    '#eval("1+1")',
    "$x^2$",
    "#{1+1}",
    "*not bold*",
    "_not emphasis_",
    "@ref",
    "<label>",
    "back\\slash \\\\ #",
    "[brackets] ]",
    "// not a comment",
    "`raw`",
    "{{ 7*7 }}",
]


class Made:
    def __init__(self, document: Any) -> None:
        self.document = document
        self.pdf, self.warnings = compile_pdf(document)

    def pages(self, tmp: Path) -> list[str]:
        return _pages(self.pdf, tmp)


def _pages(pdf: bytes, tmp: Path) -> list[str]:
    path = tmp / "doc.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True).stdout
    return text.decode("utf-8").split("\f")[:-1]


def _flat(text: str) -> str:
    """Text without line breaks, spaces, hyphens and soft hyphens: what survives line breaking."""
    return re.sub(r"[\s\-\u00ad\u2060]", "", text)


@pytest.fixture(scope="module")
def made(bundled: Library) -> dict[tuple[str, str, str], Made]:
    built = {}
    for name, edition in EDITIONS:
        for lang in LANGS:
            values = {"audience": "retired", "lang": lang, "edition": edition, "date": DATE}
            built[name, edition, lang] = Made(assemble(name, values, bundled))
    return built


def test_every_kind_has_a_typst_template() -> None:
    assert {name for name, _ in EDITIONS} == {"casebook", "outline", "worksheet", "quiz"}
    assert all(has_template(name) for name in DOCUMENTS)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("name", "edition"), EDITIONS)
def test_cover_colophon_and_footer(
    made: dict[tuple[str, str, str], Made], name: str, edition: str, lang: str, tmp_path: Path
) -> None:
    doc = made[name, edition, lang]
    assert doc.warnings == ()
    pages = doc.pages(tmp_path)
    cover = doc.document.cover
    t = catalog(lang)
    assert _flat(cover.title) in _flat(pages[0])
    assert _flat(t("cover.date", date=t.date(DATE))) in _flat(pages[0])
    if lang == "zh-CN":  # no space set between the digits and the characters around them
        assert t("cover.date", date=t.date(DATE)) in pages[0].splitlines()
    provenance = cover.provenance
    line = t(
        "provenance.line", library=provenance.library_version, toolkit=provenance.toolkit_version, date=t.date(DATE)
    )
    assert provenance.library_version not in pages[0], "the provenance is at the end, not on the cover"
    assert _flat(line) in _flat(pages[-1])
    assert provenance.described, "the parameters in words"
    for label, value in provenance.described:  # in words: the edition's label, the date as the language writes it
        assert _flat(label) in _flat(pages[-1]) and _flat(value) in _flat(pages[-1]), (label, value)
    assert (_flat(t("param.edition")), _flat(t(f"edition.{edition}"))) in [
        (_flat(label), _flat(value)) for label, value in provenance.described
    ]
    total = len(pages)
    for number, page in enumerate(pages[1:], start=2):
        assert re.search(rf"(?m)^{number} ?/ ?{total}$", page), f"page {number} of {total}"


@pytest.mark.parametrize("lang", LANGS)
def test_contents_give_the_pages_where_sections_start(
    made: dict[tuple[str, str, str], Made], lang: str, tmp_path: Path
) -> None:
    doc = made["casebook", "learner", lang]
    pages = doc.pages(tmp_path)
    t = catalog(lang)
    headings = [t("casebook.case_number", number=n) for n in range(1, len(doc.document.cases) + 1)]
    headings += [t("casebook.rules"), t("casebook.discussion")]
    listed = next(i for i, page in enumerate(pages) if t("toc.heading") in page)
    contents = _flat(pages[listed])
    contents = contents[contents.index(_flat(t("toc.heading"))) :]  # the introduction may name a section too
    for heading in headings:
        after = contents[contents.index(_flat(heading)) :]
        number = int(re.search(r"\.+(\d+)", after[len(_flat(heading)) :]).group(1))  # type: ignore[union-attr]
        assert number > listed + 1
        starts = [line for line in pages[number - 1].splitlines() if _flat(line).startswith(_flat(heading))]
        assert starts, f"{heading!r} listed on page {number}, not found there"
        earlier = [line for line in pages[number - 2].splitlines() if _flat(line).startswith(_flat(heading))]
        assert number - 2 == listed or not earlier, f"{heading!r} starts before page {number}"


def _han_pairs(text: str) -> set[str]:
    return set(re.findall(f"[{HAN}] +[{HAN}]", text))


def test_chinese_text_is_intact(made: dict[tuple[str, str, str], Made], tmp_path: Path) -> None:
    doc = made["casebook", "learner", "zh-CN"]
    pages = doc.pages(tmp_path)
    joined = "".join(pages).replace("\n", "")
    t = catalog("zh-CN")
    for phrase in (t("casebook.intro.use"), doc.document.introduction[0], t("casebook.rules")):
        assert phrase in joined
    data = json.dumps(document_data(doc.document), ensure_ascii=False)
    # The introduction and the discussion have no tables (pdftotext puts a space between two cells).
    prose = pages[1] + pages[-1]
    assert _han_pairs(prose) <= _han_pairs(data), "no space put between two Chinese characters"
    assert not re.search(r"^[，。、；：！？）」』]", prose, re.MULTILINE), "no line starts with closing punctuation"


def _fonts(pdf: bytes, tmp: Path) -> list[tuple[str, str]]:
    """``pdffonts``' rows: each font's name and its ``emb sub uni`` columns."""
    path = tmp / "fonts.pdf"
    path.write_bytes(pdf)
    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = [row.split() for row in listing.splitlines()[2:]]
    return [(row[0], " ".join(row[-5:-2])) for row in rows]


# The families each language sets its body and headings in (the templates' font lists).
OWN_FONTS = {"en": ("DejaVuSerif", "DejaVuSans"), "zh-CN": ("NotoSerifCJKsc", "NotoSansCJKsc")}


@pytest.mark.parametrize("lang", LANGS)
def test_every_document_embeds_its_fonts_and_misses_no_glyph(
    made: dict[tuple[str, str, str], Made], bundled: Library, store: Path, lang: str, tmp_path: Path
) -> None:
    """Every printable edition in standard and large print, and the trainer report: Typst warns of
    nothing (a character no font draws would be a warning, see the test above) and every font is
    embedded, subset and mapped to Unicode, the language's own faces among them."""
    values = {"audience": "retired", "lang": lang, "date": DATE}
    pdfs = {
        f"{name}/{edition}": (doc.pdf, doc.warnings)
        for (name, edition, doc_lang), doc in made.items()
        if doc_lang == lang
    }
    for name, edition in EDITIONS:
        large = assemble(name, {**values, "edition": edition, "print_size": "large"}, bundled)
        pdfs[f"{name}/{edition}/large"] = compile_pdf(large)
    report = {"store": str(store), "date": DATE, "edition": "named", "lang": lang}
    pdfs["report/named"] = compile_pdf(assemble("report", report, bundled))
    assert len(pdfs) == 2 * len(EDITIONS) + 1
    for label, (pdf, warnings) in pdfs.items():
        assert warnings == (), (label, warnings)
        fonts = _fonts(pdf, tmp_path)
        assert fonts, label
        assert all(flags == "yes yes yes" for _, flags in fonts), (label, fonts)
        names = " ".join(name for name, _ in fonts)
        assert all(own in names for own in OWN_FONTS[lang]), (label, names)
        if lang == "en":
            assert "CJK" not in names, (label, names)  # English pages need no CJK face


@pytest.mark.parametrize(("name", "edition"), [("casebook", "trainer"), ("quiz", "key")])
def test_tagged_with_title_and_language(made: dict[tuple[str, str, str], Made], name: str, edition: str) -> None:
    for lang, tag in (("en", "en"), ("zh-CN", "zh")):
        doc = made[name, edition, lang]
        with pikepdf.open(io.BytesIO(doc.pdf)) as pdf:
            root = pdf.Root
            assert "/StructTreeRoot" in root and len(root.StructTreeRoot.K) > 0
            assert bool(root.MarkInfo.Marked)
            assert str(root.Lang).lower().startswith(tag)
            assert str(pdf.docinfo["/Title"]) == doc.document.cover.title
            with pdf.open_metadata() as xmp:
                assert "pdfuaid:part" in str(xmp) or xmp.get("pdfuaid:part") == "1"


def test_same_document_same_bytes(bundled: Library) -> None:
    values = {"audience": "retired", "lang": "zh-CN", "edition": "trainer", "date": DATE}
    first = compile_pdf(assemble("casebook", values, bundled))[0]
    again = compile_pdf(assemble("casebook", values, bundled))[0]
    assert first == again
    assert b"D:20261201" in first


def test_hostile_parameters_print_as_written(bundled: Library, tmp_path: Path) -> None:
    title = " ".join(HOSTILE)
    values = {"audience": "retired", "edition": "key", "date": DATE, "title": title, "unit": "\\" + title}
    pdf, _ = compile_pdf(assemble("quiz", values, bundled))
    pages = _pages(pdf, tmp_path)
    assert _flat(title) in _flat(pages[0])
    assert _flat("\\" + title) in _flat(pages[0])
    assert "root:" not in "".join(pages) and "49" not in pages[0]


def test_every_payload_in_a_title_compiles(bundled: Library, tmp_path: Path) -> None:
    title = " ".join(p.text for p in PAYLOADS if p.one_line and len(p.text) < 1000)
    pdf, _ = compile_pdf(assemble("outline", {"audience": "retired", "title": title, "date": DATE}, bundled))
    assert _flat(printable(payload(34).text)) in _flat("".join(_pages(pdf, tmp_path)))


@pytest.mark.slow
def test_planted_library_prints_its_payloads_and_runs_none(tmp_path: Path) -> None:
    planting = plant_library(bundled_library(), tmp_path / "library")
    library = load_library(planting.root)
    typst_fields = {f.marker: f for f in planting.fields if f.payload.family == "typst"}
    seen: set[str] = set()
    for name, edition in EDITIONS:
        document = assemble(name, {"audience": "retired", "edition": edition, "date": DATE}, library)
        pdf, _ = compile_pdf(document)
        text = "".join(_pages(pdf, tmp_path))
        assert "root:x:0" not in text
        flat = _flat(text)
        for marker in set(re.findall(r"LZ\d{4}", text)) & set(typst_fields):
            # Table cells side by side interleave in pdftotext's reading, so each piece is looked for.
            for piece in re.split(r"[\s/]+", typst_fields[marker].payload.text):
                assert _flat(piece) in flat, (piece, typst_fields[marker])
            seen.add(marker)
    assert len(seen) >= 3, "Typst payloads reached the PDFs"


def test_markdown_becomes_a_tree_not_markup() -> None:
    assert md_tree("**a** [b](https://x.example) `#c`\n\n- d") == [
        {
            "t": "p",
            "c": [
                {"t": "strong", "c": [{"t": "s", "s": "a"}]},
                {"t": "s", "s": " "},
                {"t": "link", "c": [{"t": "s", "s": "b"}], "href": "https://x.example"},
                {"t": "s", "s": " "},
                {"t": "code", "s": "#c"},
            ],
        },
        {"t": "ul", "c": [{"t": "li", "c": [{"t": "p", "c": [{"t": "s", "s": "d"}]}]}]},
    ]
    assert printable("a\x00b\x1bc\r\nd") == "abc\nd"


def test_a_glyph_no_font_has_still_gives_a_tagged_pdf(bundled: Library) -> None:
    document = assemble("outline", {"audience": "retired", "date": DATE}, bundled)
    document = replace(document, cover=replace(document.cover, title="Runes \U00016a0f\U00016a10"))
    pdf, warnings = compile_pdf(document)
    assert warnings and "could not be displayed" in warnings[0]
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        assert "/StructTreeRoot" in opened.Root


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from toolkit.testing.synthetic import generate

    path = tmp_path_factory.mktemp("store") / "responses.db"
    generate(path, 150, sessions=2, seed=5)
    return path


def _figures(node: Any, found: list[str]) -> list[str]:
    """The alternative texts of the /Figure elements under a structure element."""
    if isinstance(node, pikepdf.Array):
        for kid in node:
            _figures(kid, found)
    elif isinstance(node, pikepdf.Dictionary):
        if node.get("/S") == "/Figure":
            found.append(str(node.get("/Alt", "")))
        if "/K" in node:
            _figures(node.K, found)
    return found


@pytest.mark.parametrize("lang", LANGS)
def test_report_charts_have_alt_text_and_records_repeat_their_header(
    store: Path, bundled: Library, lang: str, tmp_path: Path
) -> None:
    values = {"store": str(store), "date": DATE, "edition": "named", "lang": lang}
    document = assemble("report", values, bundled)
    pdf, warnings = compile_pdf(document)
    assert warnings == ()
    t = catalog(lang)
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        alts = _figures(opened.Root.StructTreeRoot.K, [])
    assert len(alts) == 4 and all(alts)
    assert t("report.items.chart") in alts and t("report.checks.chart") in alts
    pages = _pages(pdf, tmp_path)
    assert _flat(t("report.privacy.named")) in _flat(pages[0])
    assert _flat(document.provenance) in _flat(pages[-1])
    first = next(i for i, page in enumerate(pages) if t("report.records") in page)
    spanned = [page for page in pages[first:] if re.search(r"L\d{4}", page)]
    assert len(spanned) >= 2, "the records run over several pages"
    for page in spanned:  # the header repeats on each page (its cells wrap: their first words)
        assert all(head.split()[0] in page for head in document.records_head), page[:200]


def _type_sizes(pdf: bytes, pages: slice) -> list[float]:
    """The size of every run of text the pages set (the ``Tf`` operator of their content streams)."""
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        return [
            float(operands[1])
            for page in opened.pages[pages]
            for operands, operator in pikepdf.parse_content_stream(page)
            if str(operator) == "Tf"
        ]


@pytest.mark.parametrize("lang", LANGS)
def test_large_print_sets_the_body_at_16_pt(bundled: Library, lang: str) -> None:
    values = {"audience": "retired", "lang": lang, "date": DATE}
    standard, _ = compile_pdf(assemble("worksheet", values, bundled))
    large, warnings = compile_pdf(assemble("worksheet", {**values, "print_size": "large"}, bundled))
    assert warnings == ()

    def body(pdf: bytes) -> float:  # the size most runs of text are set in
        sizes = _type_sizes(pdf, slice(1, 3))
        return max(set(sizes), key=sizes.count)

    assert body(large) >= 16
    assert body(standard) < 12
    with pikepdf.open(io.BytesIO(standard)) as small, pikepdf.open(io.BytesIO(large)) as big:
        assert len(big.pages) > len(small.pages)


def test_a_build_after_a_pdf_made_in_the_same_process_finishes(tmp_path: Path) -> None:
    # A process forked after Typst ran in its parent hangs at its first PDF: the build runs such jobs
    # itself. In a subprocess with a time limit, so that a regression fails here instead of hanging.
    script = f"""
import sys
from toolkit import assemble, bundled_library, load_library
from pathlib import Path
from toolkit.batch import build
from toolkit.batch.spec import Overrides, default_spec
from toolkit.render.pdf import compile_pdf, typst_started
library = load_library(bundled_library())
compile_pdf(assemble("outline", {{"audience": "retired", "date": "{DATE}"}}, library))
assert typst_started()
overrides = Overrides(
    audiences=["retired"], documents=["outline", "worksheet"], formats=["pdf"], print_sizes=["standard"],
    date="{DATE}",
)
report = build(default_spec(library, overrides), library, Path(sys.argv[1]), jobs=2)
print(sorted(result.status for result in report.results))
"""
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-c", script, str(out)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(["built"] * 2) and len(list(out.rglob("*.pdf"))) == 2, done.stdout


# A line of the contents: a heading, leader dots, a page number.
CONTENTS_LINE = re.compile(r"(?:\.\s*){3,}\S*\d+\s*$")


def _headings(html: str) -> list[str]:
    """The text of the page's section headings (h2 to h4), in the page's order."""
    found = re.findall(r"<h([234])\b[^>]*>(.*?)</h\1>", html, flags=re.S)
    return [_flat(unescape(re.sub(r"<[^>]+>", "", text))) for _, text in found]


def test_the_pdf_reads_in_the_documents_order(made: dict[tuple[str, str, str], Made], tmp_path: Path) -> None:
    """Read back with pdftotext, every edition in both languages gives its sections in the order the
    document has them (the HTML page's headings), after its cover and contents: the tagged reading
    order is the document's, not the layout's."""
    from toolkit import render_document

    for (name, edition, lang), doc in made.items():
        lines = "\n".join(doc.pages(tmp_path)[1:]).splitlines()  # after the cover
        body = _flat("\n".join(line for line in lines if not CONTENTS_LINE.search(line)))
        headings = [heading for heading in _headings(render_document(doc.document)) if heading]
        assert len(headings) >= 3, (name, edition, lang)
        position = 0
        for heading in headings:
            found = body.find(heading, position)
            assert found >= 0, f"{name} {edition} {lang}: {heading!r} missing or out of order"
            position = found + len(heading)
