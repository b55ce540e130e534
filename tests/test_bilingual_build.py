"""Handouts in both languages: one build into OUT/zh-CN and OUT/en with one index, and zh-CN handouts
whose text, read back from the PDF, is Chinese."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MakeLibrary
from toolkit import Library, bundled_library, load_library
from toolkit.batch import build
from toolkit.batch.spec import Overrides, default_spec, parse_spec, resolve
from toolkit.cli import main
from toolkit.documents import DOCUMENTS, assemble, handouts
from toolkit.render.pdf import write_pdf

DATE = "2026-12-01"
# Every audience of the bundled taxonomy: each is built end to end in both languages.
AUDIENCES = [audience.id for audience in load_library(bundled_library()).taxonomy.audiences]
# What a Chinese handout may hold in Latin letters: the toolkit's name, the library version (hex), the
# option letters of a quiz, abbreviations in capitals (APP, KTV, PDF).
ALLOWED = re.compile(r"Lianzheng|(?<![0-9a-f])[0-9a-f]{12}(?![0-9a-f])|(?<![A-Za-z])[A-Z]{1,6}(?![a-z])")
WORD = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*")
HAN = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory, bundled: Library) -> tuple[Path, Any]:
    out = tmp_path_factory.mktemp("both")
    spec = default_spec(bundled, Overrides(audiences=AUDIENCES, lang=["zh-CN", "en"], formats=["html"], date=DATE))
    return out, build(spec, bundled, out, jobs=1)


def test_each_language_is_built_into_a_folder_of_its_own(both: tuple[Path, Any]) -> None:
    out, report = both
    assert report.counts()["failed"] == 0
    stems = ["casebook", "casebook-trainer", "outline", "worksheet", "quiz", "quiz-key"]
    assert report.counts()["built"] == len(stems) * len(AUDIENCES) * 2
    for lang in ("zh-CN", "en"):
        for audience in AUDIENCES:
            for stem in stems:
                page = (out / lang / audience / f"{stem}.html").read_text(encoding="utf-8")
                assert f'lang="{lang}"' in page, (lang, audience, stem)
    zh = (out / "zh-CN" / "key-posts" / "casebook.html").read_text(encoding="utf-8")
    en = (out / "en" / "key-posts" / "casebook.html").read_text(encoding="utf-8")
    assert "基本案情" in zh and "经查" in zh and "## " not in zh
    assert "Facts" in en and not HAN.search(re.sub(r"<style.*?</style>", "", en, flags=re.S))


def test_both_languages_choose_the_same_cases(bundled: Library) -> None:
    for audience in AUDIENCES:
        params = {"audience": audience, "date": DATE, "cases": 8, "seed": 4}
        zh = assemble("casebook", {**params, "lang": "zh-CN"}, bundled)
        en = assemble("casebook", {**params, "lang": "en"}, bundled)
        assert [view.id for view in zh.cases] == [view.id for view in en.cases]
        assert zh.cases[0].title == bundled.in_language("zh-CN").case(zh.cases[0].id).title
        quiz = {"audience": audience, "date": DATE, "questions": 12, "seed": 4}
        zh_quiz = assemble("quiz", {**quiz, "lang": "zh-CN"}, bundled)
        en_quiz = assemble("quiz", {**quiz, "lang": "en"}, bundled)
        assert [item.id for item in zh_quiz.items] == [item.id for item in en_quiz.items]


def test_one_index_links_both_languages(both: tuple[Path, Any]) -> None:
    out, _ = both
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in index and "<h1>培训材料</h1>" in index
    assert '<a href="#lang-zh-CN" hreflang="zh-CN" lang="zh-CN">中文</a>' in index
    assert '<a href="#lang-en" hreflang="en" lang="en">English</a>' in index
    zh_part, en_part = index.split('<section id="lang-zh-CN" lang="zh-CN">')[1].split(
        '<section id="lang-en" lang="en">'
    )
    assert 'href="zh-CN/retired/casebook.html"' in zh_part and "退休干部" in zh_part
    assert 'href="en/retired/casebook.html"' in en_part and "Retired cadres" in en_part
    for link in re.findall(r'href="([^"#]+)"', index):
        assert (out / link).is_file(), link
    shown = re.sub(r"<[^>]+>", " ", re.sub(r"<style.*?</style>", "", zh_part, flags=re.S))
    assert [word for word in WORD.findall(ALLOWED.sub(" ", shown))] == []


def test_a_spec_names_both_languages(bundled: Library, tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text("lang: [zh-CN, en]\naudiences: [retired]\ndocuments: [casebook]\n", encoding="utf-8")
    model, where = parse_spec(path.read_text(encoding="utf-8"), str(path))
    spec = resolve(model, bundled, where=where, base=tmp_path)
    assert [session.id for session in spec.sessions] == ["zh-CN/retired", "en/retired"]
    assert [session.parameters["casebook"]["lang"] for session in spec.sessions] == ["zh-CN", "en"]


def test_a_language_the_library_lacks_is_one_line(
    make_library: MakeLibrary, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_library()  # English only
    code = main(["build", "--library", str(root), "--lang", "zh-CN", "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert f"the library at '{root}' has no zh-CN text (its languages: en)" in err
    assert not (tmp_path / "out").exists()


def latin_share(text: str) -> tuple[float, list[str]]:
    """The share of Latin words among the words of a Chinese text (each Chinese character counts as
    a word), abbreviations, numbers and the toolkit's name and version aside; and those words."""
    words = WORD.findall(ALLOWED.sub(" ", text))
    han = len(HAN.findall(text))
    return len(words) / max(1, han + len(words)), words


@pytest.mark.slow
@pytest.mark.parametrize("audience", AUDIENCES)
def test_a_chinese_handout_is_chinese_to_the_letter(bundled: Library, tmp_path: Path, audience: str) -> None:
    """Every printable document and edition of an audience, as a PDF read back with pdftotext:
    under 1% of its words in Latin letters (abbreviations, numbers and the toolkit's name aside)."""
    for name in handouts():
        for edition in DOCUMENTS[name].printable_editions:
            document = assemble(
                name, {"audience": audience, "lang": "zh-CN", "edition": edition, "date": DATE}, bundled
            )
            pdf = tmp_path / f"{name}-{edition}.pdf"
            write_pdf(document, pdf)
            text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
            share, words = latin_share(text)
            assert len(HAN.findall(text)) > 300, (name, edition)
            assert share < 0.01, (name, edition, f"{share:.2%}", words[:20])
