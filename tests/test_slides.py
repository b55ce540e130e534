"""The lecture outline as a reveal.js deck made by nbconvert: one slide per part and case, notes, offline, safe."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup, Tag

import toolkit
from toolkit import Library
from toolkit.documents import assemble
from toolkit.documents.outline import Outline
from toolkit.render.slides import MAX_POINTS, render_slides, slides_exporter, slides_notebook

PARAMS = {"audience": "retired", "date": "2026-12-01"}
VENDORED = Path(toolkit.__file__).parent / "render" / "static" / "reveal"
HAS_ZH = (Path(toolkit.__file__).parent / "locales" / "zh-CN.yaml").exists()
PAYLOAD = '<script>alert("pwned")</script>'


@pytest.fixture(scope="module")
def outline(bundled: Library) -> Outline:
    result = assemble("outline", PARAMS, bundled)
    assert isinstance(result, Outline)
    return result


@pytest.fixture(scope="module")
def deck(outline: Outline) -> str:
    return render_slides(outline)


def soup_of(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def slides(html: str) -> list[Tag]:
    """The slides a viewer steps through: the innermost <section>s (a part's cases are stacked under it)."""
    return [s for s in soup_of(html).select(".reveal .slides section") if s.find("section") is None]


def visible_text(tag: Tag) -> str:
    """The text of a slide, speaker notes left out."""
    copy = soup_of(str(tag))
    for aside in copy.select("aside.notes"):
        aside.decompose()
    return " ".join(copy.get_text(" ").split())


def with_case(outline: Outline, **changes: str) -> Outline:
    """The outline with the first case of its cases part changed."""
    parts = tuple(
        dataclasses.replace(part, cases=(dataclasses.replace(part.cases[0], **changes), *part.cases[1:]))
        if part.cases
        else part
        for part in outline.parts
    )
    return dataclasses.replace(outline, parts=parts)


def test_notebook_is_valid_with_slideshow_metadata_on_every_cell(outline: Outline) -> None:
    nb = slides_notebook(outline)
    nbformat.validate(nb)
    assert {cell.cell_type for cell in nb.cells} == {"markdown"}
    kinds = [cell.metadata["slideshow"]["slide_type"] for cell in nb.cells]
    assert set(kinds) == {"slide", "subslide", "notes"}
    assert kinds.count("subslide") == sum(len(part.cases) for part in outline.parts)
    assert nb.metadata["title"] == outline.cover.title


def test_one_slide_each_for_title_objectives_timing_parts_and_cases(outline: Outline, deck: str) -> None:
    cases = sum(len(part.cases) for part in outline.parts)
    assert cases > 0
    # The outline's last part, "discussion and close" with the discussion prompts, is the discussion slide.
    assert outline.parts[-1].id == "discussion"
    assert len(slides(deck)) == 1 + 1 + 1 + len(outline.parts) + cases


def slide_with(html: str, selector: str) -> Tag:
    (slide,) = [s for s in slides(html) if s.select_one(selector)]
    return slide


def test_every_part_heading_and_case_title_is_on_a_slide(outline: Outline, deck: str) -> None:
    texts = [visible_text(slide) for slide in slides(deck)]
    assert outline.cover.title in texts[0]
    assert "Retired cadres" in texts[0] and "2026-12-01" in texts[0]
    for objective in outline.objectives[:MAX_POINTS]:
        assert objective in texts[1]
    for part in outline.parts:
        assert part.heading in texts[2]  # the timing table
        slide = slide_with(deck, f"#part-{part.id}")
        heading = slide.select_one("h2")
        assert heading is not None and heading.get_text().startswith(part.heading)
        for point in part.points[:MAX_POINTS]:
            assert " ".join(point.split()) in visible_text(slide)
        for case in part.cases:
            case_slide = slide_with(deck, f"#case-{case.id}")
            text = visible_text(case_slide)
            assert case.title in text and case.kind_label in text and part.heading in text
            assert " ".join(case.summary.split()) in text
            assert case.lesson.split(".")[0] in text


def test_nothing_is_loaded_from_the_network(deck: str) -> None:
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", deck, re.IGNORECASE)
    assert not re.search(r"@import", deck, re.IGNORECASE)
    page = soup_of(deck)
    css = "".join(style.get_text() for style in page.select("style"))
    assert not re.search(r"""url\(\s*["']?(?!data:)""", css, re.IGNORECASE), "only data: URLs may be in the CSS"
    assert page.select("link") == []
    assert [script for script in page.select("script") if script.get("src")] == []
    for cdn in ("unpkg.com", "cdnjs", "jsdelivr", "require.js", "jquery", "MathJax", "mermaid", "googleapis"):
        assert cdn.lower() not in deck.lower(), cdn


def test_reveal_js_and_its_notes_plugin_are_inlined(deck: str) -> None:
    scripts = [script.get_text() for script in soup_of(deck).select("script")]
    assert len(scripts) == 3
    reveal_js = (VENDORED / "reveal.js").read_text(encoding="utf-8")
    notes_js = (VENDORED / "notes.js").read_text(encoding="utf-8")
    assert scripts[0].strip() == reveal_js.strip()
    assert scripts[1].strip() == notes_js.strip()
    assert "reveal.js 5." in scripts[0] and ".Reveal=" in scripts[0]
    assert "Reveal.initialize(" in scripts[2] and "plugins: [RevealNotes]" in scripts[2]
    styles = "".join(style.get_text() for style in soup_of(deck).select("style"))
    assert (VENDORED / "reveal.css").read_text(encoding="utf-8").strip() in styles
    assert "--r-background-color: #fff" in styles  # the white theme


def test_the_vendored_theme_imports_no_fonts() -> None:
    theme = (VENDORED / "white.css").read_text(encoding="utf-8")
    assert "@import" not in theme
    assert "fonts/" not in theme


def test_speaker_notes_are_asides_on_their_part_slides(outline: Outline, deck: str) -> None:
    notes = soup_of(deck).select(".reveal .slides section aside.notes")
    assert len(notes) == sum(1 for part in outline.parts if part.notes)
    texts = [" ".join(aside.get_text(" ").split()) for aside in notes]
    for part in outline.parts:
        (text,) = [text for text in texts if part.notes[0] in text]
        for note in part.notes:
            assert note in text
    for slide in slides(deck):
        assert "Greet the group" not in visible_text(slide)  # notes are not on the slide itself


def test_points_beyond_the_limit_go_to_the_speaker_notes(outline: Outline) -> None:
    points = tuple(f"Point number {n}" for n in range(1, MAX_POINTS + 3))
    parts = tuple(dataclasses.replace(part, points=points) if part.id == "defences" else part for part in outline.parts)
    deck = render_slides(dataclasses.replace(outline, parts=parts))
    slide = slide_with(deck, "#part-defences")
    shown = slide.select(".lz-slide li")
    assert [li.get_text() for li in shown] == list(points[:MAX_POINTS])
    notes = " ".join(aside.get_text(" ") for aside in slide.select("aside.notes"))
    assert all(point in notes for point in points[MAX_POINTS:])


def test_rendering_is_deterministic(outline: Outline, deck: str) -> None:
    assert render_slides(outline) == deck
    assert slides_notebook(outline) == slides_notebook(outline)


def test_raw_html_in_library_text_is_escaped(outline: Outline) -> None:
    evil = with_case(
        outline,
        title="<b>Bold</b> title",
        summary=f"Before {PAYLOAD} after ![x](https://evil.example/x.png) [link](https://evil.example/)",
        lesson=f"Lesson {PAYLOAD}",
    )
    deck = render_slides(evil)
    assert PAYLOAD not in deck
    assert "<b>Bold</b>" not in deck
    assert deck.count("&lt;script&gt;alert(") == 2
    assert "&lt;b&gt;Bold&lt;/b&gt; title" in deck
    assert len(soup_of(deck).select("script")) == 3  # reveal.js, its notes plugin, the initialisation
    assert "evil.example" not in deck  # images show as their alt text, links as their text


def test_blank_lines_in_library_markdown_do_not_break_out_of_the_slide(outline: Outline) -> None:
    # A blank line would end nbconvert's raw HTML block: the rest of the slide would be read as Markdown.
    text = "Before.\n\n```\nfirst\n\n\n    fourth <i>\n```\n\nAfter."
    parts = tuple(dataclasses.replace(part, text=text) if part.id == "opening" else part for part in outline.parts)
    deck = render_slides(dataclasses.replace(outline, parts=parts))
    slide = slide_with(deck, "#part-opening")
    (pre,) = slide.select("pre")
    assert pre.get_text() == "first\n\n\n    fourth <i>\n"
    assert [p.get_text() for p in slide.select(".lz-slide > p")] == ["Before.", "After."]


def test_code_cell_input_is_never_shown(outline: Outline) -> None:
    nb = slides_notebook(outline)
    nb.cells.append(nbformat.v4.new_code_cell("print('secret input')", id="code-1"))
    deck, _ = slides_exporter().from_notebook_node(nb, resources={"lianzheng": {}})
    assert "secret input" not in deck


@pytest.mark.skipif(not HAS_ZH, reason="no zh-CN catalog yet")
def test_chinese_outline_has_chinese_part_headings(bundled: Library) -> None:
    outline = assemble("outline", {**PARAMS, "lang": "zh-CN"}, bundled)
    assert isinstance(outline, Outline)
    deck = render_slides(outline)
    assert '<html lang="zh-CN">' in deck
    texts = [visible_text(slide) for slide in slides(deck)]
    for part in outline.parts:
        assert re.search(r"[\u4e00-\u9fff]", part.heading), part.heading
        assert any(text.startswith(part.heading) for text in texts), part.heading
    assert len(texts) == 3 + len(outline.parts) + sum(len(part.cases) for part in outline.parts)
