"""Parsing from strings: decoding, YAML with lines, front matter, sections; and safety."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import CASE, MakeLibrary

from toolkit import read_library
from toolkit.errors import ParseError
from toolkit.library.parse import decode, parse_body, parse_yaml, split_front_matter


def test_decode_folds_line_endings_and_drops_the_bom() -> None:
    assert decode(b"\xef\xbb\xbfa\r\nb\rc\n") == "a\nb\nc\n"


def test_decode_names_the_line_of_a_bad_byte() -> None:
    with pytest.raises(ParseError) as raised:
        decode(b"one\ntwo\nth\xffree\n")
    assert raised.value.line == 3
    assert raised.value.message == "not UTF-8: byte 0xff cannot be decoded (save the file as UTF-8)"


def test_line_of_follows_keys_and_indices() -> None:
    doc = parse_yaml("a: 1\nb:\n  - x\n  - {c: 2,\n     d: 3}\n", first_line=10)
    assert doc.line_of(("a",)) == 10
    assert doc.line_of(("b", 1)) == 13
    assert doc.line_of(("b", 1, "d")) == 14
    assert doc.line_of(("b", 7)) == 11  # past the end: the nearest enclosing value
    assert doc.line_of(("missing",)) == 10


def test_dates_stay_text() -> None:
    assert parse_yaml("date: 2022-06-01\n").data == {"date": "2022-06-01"}


@pytest.mark.parametrize(
    "text",
    [
        "x: !!python/object/apply:os.system ['touch /tmp/lianzheng-pwned']\n",
        "x: !!python/name:os.system\n",
        "x: !custom 1\n",
    ],
)
def test_tags_that_build_objects_are_refused(text: str) -> None:
    with pytest.raises(ParseError) as raised:
        parse_yaml(text, first_line=5)
    assert raised.value.line == 5
    assert "YAML syntax error" in raised.value.message
    assert not Path("/tmp/lianzheng-pwned").exists()


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n", 2),  # the first anchor
        ("a: 1\nb: &unused text\n", 3),  # an anchor no alias uses
        ("a: 1\nb: [x, *undefined]\n", 3),  # an alias with no anchor
        ('a: "R&D * 2"\nb:\n  - &x {c: 1}\n', 4),
    ],
)
def test_anchors_and_aliases_are_refused(text: str, line: int) -> None:
    with pytest.raises(ParseError) as raised:
        parse_yaml(text, first_line=2)
    assert raised.value.line == line
    assert "anchors and aliases are not allowed" in raised.value.message


def test_an_asterisk_in_text_is_not_an_alias() -> None:
    assert parse_yaml('note: "5 * 3 yuan"\n').data == {"note": "5 * 3 yuan"}


def test_front_matter_split_keeps_lines() -> None:
    front = split_front_matter("---\nid: a\n---\n\n## Facts\nx\n")
    assert (front.yaml_text, front.yaml_line, front.body_line) == ("id: a\n", 2, 4)


def test_body_sections_lists_fences_and_extra_headings() -> None:
    body = (
        "Intro line.\n"
        "## Facts\nText.\n```\n## Not a heading\n```\n"
        "## Lessons\n- One\n  continued\n2. Two\n"
        "## Background\nMore.\n"
    )
    parsed, problems = parse_body(body, 10, {"facts": "facts", "lessons": "lessons"}, ["lessons"])
    assert problems == []
    assert parsed.intro == "Intro line."
    assert parsed.sections["facts"].line == 11
    assert "## Not a heading" in parsed.sections["facts"].text
    assert parsed.sections["lessons"].items == ("One continued", "Two")
    assert [(s.heading, s.line) for s in parsed.extra] == [("Background", 20)]


def test_loading_writes_nothing_and_reads_nothing_outside(make_library: MakeLibrary, tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text(CASE.format(id="secret-case"), encoding="utf-8")
    root = make_library()
    os.symlink(secret, root / "cases" / "link.md")
    before = sorted((p.relative_to(tmp_path), p.stat().st_mtime_ns) for p in tmp_path.rglob("*"))
    library, problems = read_library(root)
    after = sorted((p.relative_to(tmp_path), p.stat().st_mtime_ns) for p in tmp_path.rglob("*"))
    assert before == after
    assert [str(p) for p in problems] == [
        f"{root}/cases/link.md:1: symbolic link to a file outside the library; not read"
    ]
    assert library is not None and "secret-case" not in [c.id for c in library.cases]


@pytest.mark.parametrize("bad_id", ["../escape", "Upper", "has space", "-leading", "a" * 81])
def test_ids_are_safe_slugs(make_library: MakeLibrary, bad_id: str) -> None:
    text = CASE.format(id="sample-case").replace("id: sample-case", f'id: "{bad_id}"')
    _library, problems = read_library(make_library({"cases/sample-case.md": text}))
    assert len(problems) == 1
    assert problems[0].message.startswith("field 'id': an id is lower-case letters, digits and '-'")
    assert problems[0].line == 2


def test_oversized_file_is_not_read(make_library: MakeLibrary) -> None:
    root = make_library({"cases/huge.md": "---\n" + "x" * (1 << 20) + "\n---\n"})
    _library, problems = read_library(root)
    assert [p.message for p in problems] == ["file is 1,048,585 bytes; library files are at most 1,048,576"]


def test_a_linked_folder_leading_outside_is_not_read(make_library: MakeLibrary, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "elsewhere.md").write_text(CASE.format(id="elsewhere"), encoding="utf-8")
    root = make_library({"questions/integrity.yaml": None, "themes/sample-theme.md": None})
    shutil.rmtree(root / "cases")
    os.symlink(outside, root / "cases")
    library, problems = read_library(root)
    assert [str(p) for p in problems] == [
        f"{root}/cases/elsewhere.md:1: symbolic link to a file outside the library; not read"
    ]
    assert library is not None and library.cases == ()


def test_a_library_reached_through_a_link_is_read(make_library: MakeLibrary, tmp_path: Path) -> None:
    root = make_library()
    os.symlink(root, tmp_path / "linked")
    library, problems = read_library(tmp_path / "linked")
    assert problems == [] and library is not None and [c.id for c in library.cases] == ["sample-case"]
