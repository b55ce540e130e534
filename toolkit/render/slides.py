"""The lecture outline as a reveal.js slide deck, made with nbconvert, that opens offline.

:func:`slides_notebook` turns an :class:`~toolkit.documents.outline.Outline` into a notebook of markdown
cells with slideshow metadata: a title slide, the objectives, the timing, one slide per part (its speaker
notes in a ``notes`` cell, which reveal's speaker view shows) and one subslide per case under the cases
part. The outline's closing part ("discussion and close", with the theme's discussion prompts) is the
discussion slide.

:func:`render_slides` runs nbconvert's ``SlidesExporter`` on that notebook with the template in
``toolkit/render/nbconvert/lianzheng_slides``, which inlines the reveal.js vendored in
``toolkit/render/static/reveal``: the deck is one HTML file that loads nothing from the network.

Library text is untrusted Markdown. It never reaches nbconvert's Markdown renderer, which passes raw HTML
through: each cell holds HTML made here, library Markdown rendered by the handouts' safe renderer (raw HTML
escaped, images as their alt text) and every other value escaped.

>>> html = render_slides(assemble("outline", {"audience": "retired"}, library))   # doctest: +SKIP
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
from markupsafe import Markup
from nbconvert.exporters import SlidesExporter
from traitlets.config import Config

from toolkit.i18n import Catalog, catalog
from toolkit.render import markdown, package_dir

if TYPE_CHECKING:
    from toolkit.documents.outline import CaseBrief, Outline, Part

TEMPLATE = "lianzheng_slides"
MAX_POINTS = 6  # more do not fit a projected slide; the rest go to the speaker notes
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


@lru_cache(maxsize=1)
def slides_exporter() -> SlidesExporter:
    """The nbconvert exporter of the deck, built once: finding and loading its templates costs more than a render.

    Each process builds its own; do not call it from several threads at once: nbconvert registers
    filters on the exporter during every conversion.
    """
    config = Config()
    # The pygments stylesheet serves code cells, which the deck never shows.
    config.CSSHTMLHeaderPreprocessor.enabled = False
    return SlidesExporter(
        config=config,
        template_name=TEMPLATE,
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


def _notes(lines: tuple[str, ...], points: tuple[str, ...]) -> nbformat.NotebookNode | None:
    if not lines and not points:
        return None
    paragraphs = Markup("").join(Markup("<p>{}</p>\n").format(line) for line in lines)
    return _cell(Markup('<div class="lz-notes">\n{}{}</div>').format(paragraphs, _items(points)), "notes")


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
            t("cover.date", date=page.date),
        ),
        "slide",
    )


def _objectives(outline: Outline, t: Catalog) -> list[nbformat.NotebookNode]:
    shown, rest = outline.objectives[:MAX_POINTS], outline.objectives[MAX_POINTS:]
    slide = _cell(
        Markup(
            '<div class="lz-slide lz-objectives">\n<p class="lz-kicker">{}</p>\n<h2>{}</h2>\n'
            '<p class="lz-summary">{}</p>\n{}</div>'
        ).format(t("outline.theme"), t("outline.objectives"), _markdown(outline.summary, inline=True), _items(shown)),
        "slide",
    )
    notes = _notes((), rest)
    return [slide] if notes is None else [slide, notes]


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
    shown, rest = part.points[:MAX_POINTS], part.points[MAX_POINTS:]
    text = _markdown(part.text) if part.text else ""
    slide = _cell(
        Markup(
            '<div class="lz-slide lz-part" id="part-{}">\n<h2>{} <span class="lz-time">{}</span></h2>\n{}{}</div>'
        ).format(
            part.id, part.heading, t("outline.part_time", start=part.start, minutes=part.minutes), text, _items(shown)
        ),
        "slide",
    )
    notes = _notes(part.notes, rest)
    return [slide] if notes is None else [slide, notes]


def _case(case: CaseBrief, part: Part, t: Catalog) -> nbformat.NotebookNode:
    lesson = (
        Markup('<p class="lz-lesson"><strong>{}</strong> {}</p>\n').format(
            t("outline.lesson"), _markdown(case.lesson, inline=True)
        )
        if case.lesson
        else ""
    )
    # A subslide: a part's cases stack below it, so left and right still step from part to part.
    return _cell(
        Markup(
            '<div class="lz-slide lz-case" id="case-{}">\n<p class="lz-kicker">{} · {}</p>\n'
            "<h2>{}</h2>\n<p>{}</p>\n{}</div>"
        ).format(case.id, part.heading, case.kind_label, case.title, _markdown(case.summary, inline=True), lesson),
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
            "lianzheng": {"document": "outline", "lang": outline.cover.lang, "theme": outline.theme_id},
        },
    )


def render_slides(outline: Outline) -> str:
    """The outline as a self-contained reveal.js deck (one HTML page, reveal.js inlined); same outline, same bytes."""
    deck, _ = slides_exporter().from_notebook_node(slides_notebook(outline), resources={"lianzheng": _assets()})
    return deck
