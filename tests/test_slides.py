"""The lecture outline as a reveal.js deck made by nbconvert: one slide per part and case, notes, offline, safe."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import nbformat
import pytest
from bs4 import BeautifulSoup, Tag
from conftest import Tab

import toolkit
from toolkit import Library
from toolkit.documents import assemble
from toolkit.documents.outline import Outline
from toolkit.render.slides import (
    ITEM_GAP,
    SLIDE_LINES,
    Page,
    fit,
    render_slides,
    slides_exporter,
    slides_notebook,
    text_lines,
)

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


def continued(html: str) -> list[Tag]:
    """The slides that carry on a part's or the objectives' points."""
    return [slide for slide in slides(html) if is_continued(slide)]


def test_notebook_is_valid_with_slideshow_metadata_on_every_cell(outline: Outline, deck: str) -> None:
    nb = slides_notebook(outline)
    nbformat.validate(nb)
    assert {cell.cell_type for cell in nb.cells} == {"markdown"}
    kinds = [cell.metadata["slideshow"]["slide_type"] for cell in nb.cells]
    assert set(kinds) == {"slide", "subslide", "notes"}
    cases = sum(len(part.cases) for part in outline.parts)
    assert kinds.count("subslide") == cases + len(continued(deck))
    assert kinds.count("slide") == 3 + len(outline.parts)
    assert nb.metadata["title"] == outline.cover.title


def test_one_slide_each_for_title_objectives_timing_parts_and_cases(outline: Outline, deck: str) -> None:
    cases = sum(len(part.cases) for part in outline.parts)
    assert cases > 0
    # The outline's last part, "discussion and close" with the discussion prompts, is the discussion slide.
    assert outline.parts[-1].id == "discussion"
    # The bundled retired cadres' outline has a part too long for one slide.
    assert len(continued(deck)) >= 1
    assert len(slides(deck)) == 1 + 1 + 1 + len(outline.parts) + cases + len(continued(deck))


def is_continued(slide: Tag) -> bool:
    heading = slide.select_one("h2")
    return heading is not None and heading.get_text().endswith(("(continued)", "（续）"))


def points_from(html: str, first: Tag) -> list[str]:
    """The list items on ``first`` and on the continued slides right after it, in order."""
    everything = slides(html)
    start = everything.index(first)
    found: list[str] = []
    for number, slide in enumerate(everything[start:]):
        if number and not is_continued(slide):
            break
        found += [" ".join(li.get_text(" ").split()) for li in slide.select(".lz-slide li")]
    return found


def slide_with(html: str, selector: str) -> Tag:
    (slide,) = [s for s in slides(html) if s.select_one(selector)]
    return slide


def test_every_part_heading_and_case_title_is_on_a_slide(outline: Outline, deck: str) -> None:
    texts = [visible_text(slide) for slide in slides(deck)]
    assert outline.cover.title in texts[0]
    assert "Retired cadres" in texts[0] and "2026-12-01" in texts[0]
    objectives = slide_with(deck, ".lz-objectives .lz-summary")
    assert points_from(deck, objectives) == [" ".join(o.split()) for o in outline.objectives]
    timing = visible_text(slide_with(deck, ".lz-timing"))
    for part in outline.parts:
        assert part.heading in timing
        slide = slide_with(deck, f"#part-{part.id}")
        heading = slide.select_one("h2")
        assert heading is not None and heading.get_text().startswith(part.heading)
        # Every point is on a slide, in order: the first slide and those that continue it.
        shown = [text.replace("*", "") for text in points_from(deck, slide)]
        assert shown == [" ".join(point.replace("*", "").split()) for point in part.points], part.id
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


def test_long_parts_go_on_over_continued_slides(outline: Outline) -> None:
    points = tuple(f"Point number {n}: " + "a sentence of some length that a trainer wrote. " * 3 for n in range(1, 15))
    parts = tuple(dataclasses.replace(part, points=points) if part.id == "defences" else part for part in outline.parts)
    deck = render_slides(dataclasses.replace(outline, parts=parts))
    slide = slide_with(deck, "#part-defences")
    assert points_from(deck, slide) == [" ".join(point.split()) for point in points]
    follow = [s for s in continued(deck) if s.select_one("h2").get_text().startswith("Part three")]  # type: ignore[union-attr]
    assert len(follow) >= 2
    for page in [slide, *follow]:
        lines = sum(text_lines(li.get_text()) + ITEM_GAP for li in page.select(".lz-slide li"))
        assert lines <= SLIDE_LINES
    notes = " ".join(aside.get_text(" ") for aside in slide.select("aside.notes"))
    assert "Point number" not in notes  # the points are on slides, not hidden in the notes


def test_fit_packs_points_in_order_by_their_lines() -> None:
    short = "x" * 10  # one line
    assert fit([]) == [Page(())]
    assert fit([short] * 3) == [Page((short,) * 3)]
    per_slide = int(SLIDE_LINES // (1 + ITEM_GAP))
    pages = fit([short] * (per_slide + 1))
    assert [len(page.points) for page in pages] == [per_slide, 1]
    # Lines already taken on the first slide (a part's text) leave less room there.
    after_text = int((SLIDE_LINES - 3) // (1 + ITEM_GAP))
    assert after_text < per_slide
    assert [len(page.points) for page in fit([short] * per_slide, first=3.0)] == [after_text, per_slide - after_text]


def test_a_wide_character_counts_as_two() -> None:
    assert text_lines("字" * 31, units=62) == 1.0
    assert text_lines("字" * 32, units=62) == 2.0
    assert text_lines("a" * 62, units=62) == 1.0
    assert text_lines("**bold** [link](https://example.org/long/path)", units=10) == 1.0


def test_a_point_too_long_for_a_slide_gets_a_small_font_on_its_own() -> None:
    giant = "word " * 200
    pages = fit(["short", giant, "after"], first=2.0)
    assert pages == [Page(("short",)), Page((giant,), dense=True), Page(("after",))]
    # A slide whose text leaves no room keeps its text alone; the points start on the next.
    assert fit(["short"], first=SLIDE_LINES) == [Page(()), Page(("short",))]


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
    follow = continued(deck)
    assert follow and all("（续）" in visible_text(slide) for slide in follow)
    assert len(texts) == 3 + len(outline.parts) + sum(len(part.cases) for part in outline.parts) + len(follow)


# In a real browser: Debian's Chromium through Playwright, at a projector's 1280 x 720.

WALK = """() => {
  Reveal.configure({ transition: "none" });
  Reveal.slide(0, 0);
  const seen = [];
  for (;;) {
    const slide = Reveal.getCurrentSlide();
    const heading = slide.querySelector("h1, h2");
    seen.push({
      indices: Reveal.getIndices(),
      height: slide.offsetHeight,
      width: slide.scrollWidth,
      heading: heading ? heading.innerText : "",
    });
    if (Reveal.isLastSlide() || seen.length > 500) return seen;
    Reveal.next();
  }
}"""


def open_deck(tab: Tab, html: str, folder: Path, name: str) -> None:
    path = folder / name
    path.write_text(html, encoding="utf-8")
    tab.page.goto(path.as_uri())
    tab.page.wait_for_function("window.Reveal && Reveal.isReady()")


def overflowing(tab: Tab) -> tuple[list[dict[str, Any]], list[str]]:
    """Every slide in the order a presenter steps through them, and those taller or wider than the slide."""
    seen: list[dict[str, Any]] = tab.page.evaluate(WALK)
    size = tab.page.evaluate("[Reveal.getConfig().width, Reveal.getConfig().height]")
    too_big = [
        f"{slide['heading'] or slide['indices']}: {slide['width']} x {slide['height']} px"
        for slide in seen
        if slide["height"] > size[1] or slide["width"] > size[0]
    ]
    return seen, too_big


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_every_bundled_deck_fits_its_slides_in_a_browser(bundled: Library, tab: Tab, tmp_path: Path, lang: str) -> None:
    problems: list[str] = []
    for audience in [audience.id for audience in bundled.taxonomy.audiences]:
        outline = assemble("outline", {**PARAMS, "audience": audience, "lang": lang}, bundled)
        assert isinstance(outline, Outline)
        open_deck(tab, render_slides(outline), tmp_path, f"{audience}.html")
        seen, too_big = overflowing(tab)
        assert len(seen) == len(slides(render_slides(outline)))
        problems += [f"{audience}: {problem}" for problem in too_big]
    assert problems == []
    assert tab.refused == [] and tab.errors == []


@pytest.mark.browser
def test_long_english_and_chinese_points_fit_in_a_browser(
    outline: Outline, tab: Tab, tmp_path: Path, artifacts: Path
) -> None:
    english = tuple(f"Point {n}: " + "a sentence of some length that a trainer wrote. " * n for n in range(1, 9))
    chinese = tuple(f"要点{n}：" + "领导干部要严以律己，防微杜渐，守住底线。" * n for n in range(1, 9))
    giant = "One very long talking point that goes on. " * 40
    parts = tuple(
        dataclasses.replace(part, points=english)
        if part.id == "defences"
        else dataclasses.replace(part, points=(*chinese, giant))
        if part.id == "responsibility"
        else part
        for part in outline.parts
    )
    deck = render_slides(dataclasses.replace(outline, parts=parts))
    open_deck(tab, deck, tmp_path, "long.html")
    seen, too_big = overflowing(tab)
    assert too_big == []
    dense = [slide for slide in slides(deck) if slide.select_one(".lz-dense")]
    assert len(dense) == 1 and "One very long talking point" in visible_text(dense[0])
    part_four = [slide["indices"] for slide in seen if slide["heading"].startswith("Part four")]
    assert len(part_four) >= 3  # eight long Chinese points and a very long one do not fit on one slide
    tab.page.evaluate("([h, v]) => Reveal.slide(h, v)", [part_four[1]["h"], part_four[1]["v"]])
    tab.page.screenshot(path=str(artifacts / "slides-long-points.png"))
    assert tab.refused == [] and tab.errors == []


@pytest.mark.browser
def test_a_presenter_steps_through_parts_and_cases_with_the_keyboard(
    outline: Outline, deck: str, tab: Tab, tmp_path: Path, artifacts: Path
) -> None:
    open_deck(tab, deck, tmp_path, "deck.html")
    page = tab.page
    page.evaluate('Reveal.configure({ transition: "none" })')
    assert page.evaluate("Reveal.getTotalSlides()") == len(slides(deck))
    page.keyboard.press("ArrowRight")
    assert page.evaluate("Reveal.getIndices()")["h"] == 1
    assert "Objectives" in page.evaluate("Reveal.getCurrentSlide().innerText")
    # Right steps from part to part; down goes into a part's stack: its continued slides, then its cases.
    cases = next(part for part in outline.parts if part.id == "cases")
    h = page.evaluate("Reveal.getIndices(document.getElementById('part-cases').closest('section')).h")
    page.evaluate(f"Reveal.slide({h}, 0)")
    shown = page.evaluate("Reveal.getCurrentSlide().innerText")
    assert shown.startswith(cases.heading)
    notes = page.evaluate("Reveal.getCurrentSlide().querySelector('aside.notes').innerText")
    assert all(note in " ".join(notes.split()) for note in cases.notes)
    page.screenshot(path=str(artifacts / "slides-part-two.png"))
    titles = []
    for _ in range(20):
        page.keyboard.press("ArrowDown")
        text = page.evaluate("Reveal.getCurrentSlide().innerText")
        if text in titles:
            break
        titles.append(text)
    for case in cases.cases:
        assert any(case.title in text for text in titles), case.title
    page.keyboard.press("ArrowRight")
    assert page.evaluate("Reveal.getIndices().h") == h + 1
    assert tab.refused == [] and tab.errors == []
