"""DOCX handouts in Chinese: East Asian fonts and the language in the styles, no pandoc warning, the same
bytes each time; the English DOCX as pandoc writes it. Real pandoc throughout."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from toolkit import Library
from toolkit.batch.export import write_docx
from toolkit.batch.reference_doc import pandoc_docx_args
from toolkit.documents import assemble
from toolkit.render import page, render

pypandoc = pytest.importorskip("pypandoc")

DATE = "2024-05-01"
PAGE = """<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1><p>{text}</p><ul><li>{text}</li></ul></body></html>"""
ZH = PAGE.format(lang="zh-CN", title="廉政教育案例选编", text="某科长收受管理服务对象所送购物卡。")
EN = PAGE.format(lang="en", title="Integrity casebook", text="A section chief keeps a gift card.")


def styles(path: Path) -> str:
    with zipfile.ZipFile(path) as docx:
        return docx.read("word/styles.xml").decode("utf-8")


def style(xml: str, style_id: str) -> str:
    """One ``w:style`` element of styles.xml (the defaults for ``docDefaults``)."""
    if style_id == "docDefaults":
        return re.search(r"<w:docDefaults>.*?</w:docDefaults>", xml, re.S).group(0)  # type: ignore[union-attr]
    pattern = rf'<w:style [^>]*w:styleId="{style_id}".*?</w:style>'
    return re.search(pattern, xml, re.S).group(0)  # type: ignore[union-attr]


def pandoc_stderr(html: str, out: Path, args: list[str]) -> str:
    done = subprocess.run(
        [pypandoc.get_pandoc_path(), "-f", "html", "-t", "docx", "-o", str(out), *args],
        input=html.encode("utf-8"),
        capture_output=True,
        check=True,
    )
    return done.stderr.decode("utf-8")


def test_a_chinese_docx_has_east_asian_fonts_and_its_language(tmp_path: Path) -> None:
    import docx

    target = tmp_path / "zh.docx"
    write_docx(ZH, target, "zh-CN", DATE)
    xml = styles(target)
    assert 'w:eastAsia="Noto Serif CJK SC"' in style(xml, "docDefaults")
    for heading in ("Heading1", "Heading2", "Title"):
        assert 'w:eastAsia="Noto Sans CJK SC"' in style(xml, heading)
    assert "eastAsiaTheme" not in xml, "a theme font would override the East Asian font"
    assert re.search(r'<w:lang [^>]*w:eastAsia="zh-CN"', style(xml, "docDefaults"))
    with zipfile.ZipFile(target) as package:
        fonts = package.read("word/fontTable.xml").decode("utf-8")
        core = package.read("docProps/core.xml").decode("utf-8")
    # Where the Noto fonts are missing (Word on Windows), Word shows SimSun and SimHei.
    assert '<w:font w:name="Noto Serif CJK SC"><w:altName w:val="SimSun"/><w:charset w:val="86"/>' in fonts
    assert '<w:font w:name="Noto Sans CJK SC"><w:altName w:val="SimHei"/><w:charset w:val="86"/>' in fonts
    assert "<dc:language>zh-CN</dc:language>" in core
    document = docx.Document(str(target))
    assert [(p.style.name, p.text) for p in document.paragraphs][:2] == [
        ("Title", "廉政教育案例选编"),
        ("Heading 1", "廉政教育案例选编"),
    ]


def test_an_english_docx_keeps_the_latin_theme_fonts(tmp_path: Path) -> None:
    target = tmp_path / "en.docx"
    write_docx(EN, target, "en", DATE)
    xml = styles(target)
    assert 'w:asciiTheme="minorHAnsi"' in style(xml, "docDefaults")
    assert 'w:eastAsiaTheme="minorEastAsia"' in style(xml, "docDefaults")
    assert 'w:asciiTheme="majorHAnsi"' in style(xml, "Heading1")
    assert "CJK" not in xml
    assert re.search(r'<w:lang [^>]*w:val="en"', style(xml, "docDefaults"))


@pytest.mark.parametrize(("lang", "page"), [("zh-CN", ZH), ("en", EN)])
def test_pandoc_prints_no_warning(tmp_path: Path, lang: str, page: str) -> None:
    assert pandoc_stderr(page, tmp_path / "out.docx", pandoc_docx_args(lang)) == ""


def test_pandoc_alone_warns_about_chinese(tmp_path: Path) -> None:
    """What the data folder silences: pandoc has no translations under the code zh-CN."""
    warned = pandoc_stderr(ZH, tmp_path / "out.docx", ["--metadata", "lang=zh-CN"])
    assert "Could not load translations for zh-CN" in warned


def test_write_docx_logs_nothing_from_pandoc(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="pypandoc"):
        write_docx(ZH, tmp_path / "zh.docx", "zh-CN", DATE)
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.INFO] == []


def test_the_same_chinese_page_gives_the_same_bytes(tmp_path: Path) -> None:
    write_docx(ZH, tmp_path / "here.docx", "zh-CN", DATE)
    # Another process makes its own reference document and data folder.
    code = (
        "import sys; from pathlib import Path; from toolkit.batch.export import write_docx; "
        "write_docx(sys.stdin.read(), Path(sys.argv[1]), 'zh-CN', sys.argv[2])"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "there.docx"), DATE], input=ZH, text=True, check=True, cwd=tmp_path
    )
    assert (tmp_path / "here.docx").read_bytes() == (tmp_path / "there.docx").read_bytes()
    write_docx(ZH, tmp_path / "other-day.docx", "zh-CN", "2024-05-02")
    assert (tmp_path / "other-day.docx").read_bytes() != (tmp_path / "here.docx").read_bytes()


@pytest.mark.parametrize("document", ["casebook", "outline", "worksheet", "quiz"])
def test_pandoc_prints_no_warning_for_the_bundled_handouts_in_chinese(
    tmp_path: Path, bundled: Library, document: str
) -> None:
    html = page(render(assemble(document, {"audience": "retired", "lang": "zh-CN"}, bundled)), "zh-CN")
    assert pandoc_stderr(html, tmp_path / "out.docx", pandoc_docx_args("zh-CN")) == ""
    assert 'w:eastAsia="Noto Serif CJK SC"' in styles(tmp_path / "out.docx")
