"""The lecture outline as a reveal.js slide deck, made with nbconvert, that opens offline.

:func:`slides_notebook` turns an :class:`~toolkit.documents.outline.Outline` into a notebook of markdown
cells with slideshow metadata: a title slide, the objectives, the timing, one slide per part (its speaker
notes in a ``notes`` cell, which reveal's speaker view shows) and one subslide per case under the cases
part. The outline's closing part ("discussion and close", with the theme's discussion prompts) is the
discussion slide. A part or the objectives with more text than a projected slide holds go on over
"continued" subslides: :func:`fit` packs the points by an estimate of their lines at the deck's font size
(a wide CJK character counts two narrow ones), and a single point too long for a slide of its own gets a
smaller font.

:func:`render_slides` runs nbconvert's ``SlidesExporter`` on that notebook with the template in
``toolkit/render/nbconvert/lianzheng_slides``, which inlines the reveal.js vendored in
``toolkit/render/static/reveal``: the deck is one HTML file that loads nothing from the network.

Library text is untrusted Markdown. It never reaches nbconvert's Markdown renderer, which passes raw HTML
through: each cell holds HTML made here, library Markdown rendered by the handouts' safe renderer (raw HTML
escaped, images as their alt text) and every other value escaped.

>>> from toolkit import assemble, bundled_library, load_library
>>> outline = assemble("outline", {"audience": "retired"}, load_library(bundled_library()))
>>> [cell.metadata.slideshow.slide_type for cell in slides_notebook(outline).cells[:3]]
['slide', 'slide', 'subslide']
>>> html = render_slides(outline)
>>> html.startswith("<!DOCTYPE html>"), 'src="http' in html, 'href="http' in html
(True, False, False)
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
from markupsafe import Markup
from nbconvert.exporters import SlidesExporter
from traitlets.config import Config

from toolkit.documents import document_kind
from toolkit.i18n import Catalog, catalog
from toolkit.render import markdown, package_dir

if TYPE_CHECKING:
    from toolkit.documents.outline import CaseBrief, Outline, Part

# What a 1280 x 720 slide holds below its heading at the deck's 34px font (the template's CSS): lines of
# LINE_UNITS narrow characters, SLIDE_LINES of them. Kept a little short of the real capacity, which the
# browser tests measure on every bundled outline.
LINE_UNITS = 62
SLIDE_LINES = 11.0
ITEM_GAP = 0.25  # the space between two list items, in lines
HEADING_LINES = 1.0  # a kicker or a heading's second line, beyond what SLIDE_LINES leaves for the heading
_MARKUP = re.compile(r"\]\([^)]*\)|[*_`#>\[\]]")  # link targets and emphasis take no room
_LINK_TOKENS = frozenset({"link_open", "link_close"})
_BLANK_LINE = re.compile(r"\n([ \t]*)\n")


@dataclass(frozen=True)
class _Assets:
    """The vendored reveal.js files the template inlines."""

    reveal_js: str
    notes_js: str
    reveal_css: str
    theme_css: str


@lru_cache(maxsize=1)
def _assets() -> _Assets:
    folder = Path(package_dir("render", "static", "reveal"))

    def read(name: str) -> str:
        return folder.joinpath(name).read_text(encoding="utf-8")

    assets = _Assets(read("reveal.js"), read("notes.js"), read("reveal.css"), read("white.css"))
    # Inlined text that closed its own <script> or <style> early would spill into the page; a new vendored
    # release is checked here rather than trusted.
    for text, tag in (
        (assets.reveal_js, "</script"),
        (assets.notes_js, "</script"),
        (assets.reveal_css, "</style"),
        (assets.theme_css, "</style"),
    ):
        if tag in text.lower():
            raise RuntimeError(f"a vendored reveal.js file contains {tag}> and cannot be inlined")
    return assets


@lru_cache(maxsize=4)
def slides_exporter(template: str = "lianzheng_slides") -> SlidesExporter:
    """The nbconvert exporter of the deck, built once: finding and loading its templates costs more than a render.

    Each process builds its own; do not call it from several threads at once: nbconvert registers
    filters on the exporter during every conversion.
    """
    config = Config()
    # The pygments stylesheet serves code cells, which the deck never shows.
    config.CSSHTMLHeaderPreprocessor.enabled = False
    return SlidesExporter(
        config=config,
        template_name=template,
        extra_template_basedirs=[package_dir("render", "nbconvert")],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )


def _markdown(text: str, *, inline: bool = False) -> Markup:
    """Library Markdown as HTML with the handouts' safe renderer, links shown as their text.

    Nobody clicks a projected slide, and a link would point the offline deck at the network.
    """
    md = markdown()
    tokens = md.parseInline(text or "") if inline else md.parse(text or "")
    for token in tokens:
        if token.children:
            token.children = [child for child in token.children if child.type not in _LINK_TOKENS]
    return Markup(md.renderer.render(tokens, md.options, {}))


def text_lines(text: str, units: int = LINE_UNITS) -> float:
    """How many lines ``text`` (library Markdown) takes on a slide: its width in narrow characters over ``units``."""
    plain = _MARKUP.sub("", text or "")
    width = sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in plain)
    return float(max(1, math.ceil(width / units)))


@dataclass(frozen=True)
class Page:
    """The points one slide shows, and whether its font is reduced to hold a single long point."""

    points: tuple[str, ...]
    dense: bool = False


def fit(points: Sequence[str], first: float = 0.0, lines: float = SLIDE_LINES) -> list[Page]:
    """The points packed in order onto as few slides as hold them, ``first`` lines already taken on the first.

    Always at least one page, so a part with no points still has its slide.
    """
    pages: list[Page] = []
    current: list[str] = []
    used = first
    for point in points:
        need = text_lines(point) + ITEM_GAP
        if used + need > lines and (current or used):
            pages.append(Page(tuple(current)))
            current, used = [], 0.0
        if need > lines:
            # Too long for a slide of its own: class lz-dense sets the font at 0.75, which holds 1.8 times as much.
            pages.append(Page((point,), dense=True))
            continue
        current.append(point)
        used += need
    if current or not pages:
        pages.append(Page(tuple(current)))
    return pages


def _cell(html: Markup, slide_type: str) -> nbformat.NotebookNode:
    # nbconvert's Markdown renderer takes the cell as one raw HTML block, and CommonMark ends such a block
    # at a blank line (a <pre> from library text can hold one): that line keeps its newline as a character
    # reference, which is the same text but not blank.
    source = _BLANK_LINE.sub(lambda m: f"\n{m.group(1)}&#10;", str(html))
    return nbformat.v4.new_markdown_cell(source, metadata={"slideshow": {"slide_type": slide_type}})


def _items(items: tuple[str, ...]) -> Markup:
    if not items:
        return Markup("")
    return Markup("<ul>\n{}</ul>\n").format(
        Markup("").join(Markup("<li>{}</li>\n").format(_markdown(item, inline=True)) for item in items)
    )


def _notes(lines: tuple[str, ...]) -> nbformat.NotebookNode | None:
    if not lines:
        return None
    paragraphs = Markup("").join(Markup("<p>{}</p>\n").format(line) for line in lines)
    return _cell(Markup('<div class="lz-notes">\n{}</div>').format(paragraphs), "notes")


def _title(outline: Outline, t: Catalog) -> nbformat.NotebookNode:
    page = outline.cover
    unit = Markup("<p>{}</p>\n").format(page.unit) if page.unit else ""
    return _cell(
        Markup(
            '<div class="lz-slide lz-title">\n<p class="lz-kicker">{}</p>\n<h1>{}</h1>\n<p>{}</p>\n{}<p>{}</p>\n</div>'
        ).format(
            t("outline.kicker"),
            page.title,
            t("cover.for", audience=page.audience_label),
            unit,
            t("cover.date", date=t.date(page.date)),
        ),
        "slide",
    )


def _dense(page: Page) -> Markup:
    return Markup(" lz-dense") if page.dense else Markup("")


def _objectives(outline: Outline, t: Catalog) -> list[nbformat.NotebookNode]:
    heading = t("outline.objectives")
    summary = _markdown(outline.summary, inline=True)
    pages = fit(outline.objectives, first=HEADING_LINES + text_lines(outline.summary))
    cells = [
        _cell(
            Markup(
                '<div class="lz-slide lz-objectives{}">\n<p class="lz-kicker">{}</p>\n<h2>{}</h2>\n'
                '<p class="lz-summary">{}</p>\n{}</div>'
            ).format(_dense(pages[0]), t("outline.theme"), heading, summary, _items(pages[0].points)),
            "slide",
        )
    ]
    return cells + [_continued(heading, page, "lz-objectives", t) for page in pages[1:]]


def _continued(heading: str, page: Page, kind: str, t: Catalog) -> nbformat.NotebookNode:
    """A further slide of a part's or the objectives' points, stacked under the first."""
    return _cell(
        Markup('<div class="lz-slide {}{}">\n<h2>{}</h2>\n{}</div>').format(
            kind, _dense(page), t("outline.continued", heading=heading), _items(page.points)
        ),
        "subslide",
    )


def _timing(outline: Outline, t: Catalog) -> nbformat.NotebookNode:
    rows = Markup("").join(
        Markup('<tr><td>{}</td><td class="lz-num">{}′</td><td class="lz-num">{}</td></tr>\n').format(
            part.heading, part.start, part.minutes
        )
        for part in outline.parts
    )
    return _cell(
        Markup(
            '<div class="lz-slide lz-timing">\n<h2>{}</h2>\n<table>\n'
            '<thead><tr><th>{}</th><th class="lz-num">{}</th><th class="lz-num">{}</th></tr></thead>\n'
            '<tbody>\n{}<tr><th>{}</th><td></td><th class="lz-num">{}</th></tr>\n</tbody>\n</table>\n</div>'
        ).format(
            t("outline.timing", minutes=outline.minutes),
            t("outline.part"),
            t("outline.start"),
            t("outline.minutes"),
            rows,
            t("outline.total"),
            sum(part.minutes for part in outline.parts),
        ),
        "slide",
    )


def _part(part: Part, t: Catalog) -> list[nbformat.NotebookNode]:
    text = _markdown(part.text) if part.text else ""
    pages = fit(part.points, first=text_lines(part.text) if part.text else 0.0)
    cells = [
        _cell(
            Markup(
                '<div class="lz-slide lz-part{}" id="part-{}">\n'
                '<h2>{}{}<span class="lz-time">{}</span></h2>\n{}{}</div>'
            ).format(
                _dense(pages[0]),
                part.id,
                part.heading,
                t("punct.space"),
                t("outline.part_time", minutes=part.minutes),
                text,
                _items(pages[0].points),
            ),
            "slide",
        )
    ]
    notes = _notes(part.notes)
    if notes is not None:
        cells.append(notes)
    return cells + [_continued(part.heading, page, "lz-part", t) for page in pages[1:]]


def _case(case: CaseBrief, part: Part, t: Catalog) -> nbformat.NotebookNode:
    lesson = (
        Markup('<p class="lz-lesson"><strong>{}</strong>{}{}</p>\n').format(
            t("outline.lesson"), t("punct.space"), _markdown(case.lesson, inline=True)
        )
        if case.lesson
        else ""
    )
    # A subslide: a part's cases stack below it, so left and right still step from part to part.
    return _cell(
        Markup(
            '<div class="lz-slide lz-case" id="case-{}">\n<p class="lz-kicker">{}{}{}</p>\n'
            "<h2>{}</h2>\n<p>{}</p>\n{}</div>"
        ).format(
            case.id,
            part.heading,
            t("punct.dot"),
            case.kind_label,
            case.title,
            _markdown(case.summary, inline=True),
            lesson,
        ),
        "subslide",
    )


def slides_notebook(outline: Outline) -> nbformat.NotebookNode:
    """The outline as a notebook of slides: markdown cells with ``slideshow`` metadata, notes in ``notes`` cells."""
    t = catalog(outline.cover.lang)
    cells = [_title(outline, t), *_objectives(outline, t), _timing(outline, t)]
    for part in outline.parts:
        cells += _part(part, t)
        cells += [_case(case, part, t) for case in part.cases]
    # nbformat gives new cells random ids, which nbconvert prints: numbered ids keep the deck reproducible.
    for number, cell in enumerate(cells):
        cell.id = f"slide-{number}"
    return nbformat.v4.new_notebook(
        cells=cells,
        metadata={
            "title": outline.cover.title,
            "lianzheng": {"document": outline.cover.document, "lang": outline.cover.lang, "theme": outline.theme_id},
        },
    )


def render_slides(outline: Outline) -> str:
    """The outline as a self-contained reveal.js deck (one HTML page, reveal.js inlined); same outline, same bytes.

    The nbconvert template is the ``slides`` template of the document's row in the documents table.
    """
    exporter = slides_exporter(document_kind(outline.cover.document).templates["slides"])
    deck, _ = exporter.from_notebook_node(slides_notebook(outline), resources={"lianzheng": _assets()})
    return deck
