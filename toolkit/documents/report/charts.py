"""The trainer report's charts: matplotlib (Agg, no pyplot state) drawn to inline SVG.

The SVG keeps its text as text (``svg.fonttype = none``), escaped by matplotlib and never read as
mathtext (a session named ``$x$`` is shown as written), so Chinese labels are set with the handout's
fonts by the browser (the HTML page) or by Typst (the PDF); element ids come from a fixed hash salt and
no date is written, so the same figures give the same bytes.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd

from toolkit.errors import requires_extra
from toolkit.i18n import Catalog

INK = "#1b1b1b"
MUTED = "#9a9a9a"
ACCENT = "#8c1c13"
SHADES = ("#d9cbbd", "#b08d6e", "#8c1c13")
WIDTH = 6.4  # inches: the handout's text width at 100 dpi


@contextmanager
def _style(lang: str) -> Iterator[None]:
    with requires_extra("report"):
        import matplotlib

    families = ["DejaVu Sans"] if lang == "en" else ["DejaVu Sans", "Noto Sans CJK SC"]
    settings: dict[str, Any] = {
        "svg.hashsalt": "lianzheng",
        "svg.fonttype": "none",
        "text.parse_math": False,  # labels are text from the store: a '$' is a dollar sign, not mathtext
        "font.family": families,
        "font.size": 9,
        "axes.edgecolor": MUTED,
        "axes.labelcolor": INK,
        "xtick.color": INK,
        "ytick.color": INK,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
    with matplotlib.rc_context(settings):  # type: ignore[arg-type]
        yield


def _figure(height: float) -> tuple[Any, Any]:
    with requires_extra("report"):
        from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH, height), dpi=100)
    return figure, figure.add_subplot()


_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.S)


def _svg(figure: Any, name: str) -> str:
    """The figure as an ``<svg>`` element: no XML declaration, doctype or RDF metadata (no date), and its
    element ids prefixed with ``name`` so that several charts in one page never share an id."""
    with requires_extra("report"):
        from matplotlib.backends.backend_svg import FigureCanvasSVG

    FigureCanvasSVG(figure)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    text = buffer.getvalue()
    svg = _METADATA.sub("", text[text.index("<svg") :]).strip()
    svg = re.sub(r'\bid="', f'id="{name}-', svg)
    return re.sub(r'(href="#|url\(#)', rf"\g<1>{name}-", svg)


def completion_chart(table: pd.DataFrame, t: Catalog) -> str:
    """Horizontal bars per session: learners who opened, saved, submitted."""
    with _style(t.lang):
        rows = len(table)
        figure, axes = _figure(0.6 + 0.45 * rows)
        labels = [t("report.opened"), t("report.saved"), t("report.submitted")]
        height = 0.8 / 3
        for k, (column, label) in enumerate(zip(("opened", "saved", "submitted"), labels, strict=True)):
            positions = [row + (1 - k) * height for row in range(rows)]
            axes.barh(positions, table[column], height=height, color=SHADES[k], label=label)
        axes.set_yticks(range(rows), list(table["session"]))
        axes.invert_yaxis()
        axes.set_xlabel(t("report.learners"))
        axes.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=3, frameon=False, fontsize=8)
        return _svg(figure, "lz-completion")


def score_chart(bands: pd.DataFrame, pass_mark: float, t: Catalog) -> str:
    """The score distribution: a bar per band, the pass mark as a line."""
    with _style(t.lang):
        figure, axes = _figure(2.4)
        width = float(bands["upper"].iloc[0] - bands["lower"].iloc[0])
        colours = [ACCENT if lower >= pass_mark - 1e-9 else SHADES[1] for lower in bands["lower"]]
        axes.bar(bands["lower"] + width / 2, bands["count"], width=width * 0.9, color=colours)
        if not math.isnan(pass_mark):
            axes.axvline(pass_mark, color=INK, linestyle="--", linewidth=1)
            where = {"xycoords": ("data", "axes fraction"), "xytext": (3, -10), "textcoords": "offset points"}
            box = {"facecolor": "white", "edgecolor": "none", "pad": 1}
            axes.annotate(t("report.pass_mark"), (pass_mark, 1), fontsize=8, bbox=box, **where)
        axes.set_xlim(0, 100)
        axes.set_xlabel(t("report.score_percent"))
        axes.set_ylabel(t("report.count"))
        return _svg(figure, "lz-scores")


def item_chart(items: pd.DataFrame, t: Catalog, easy: float, hard: float, low: float) -> str:
    """Each question placed by difficulty and discrimination; the flagged ones in the accent colour and
    numbered as in the table below it; the thresholds as dotted lines."""
    with _style(t.lang):
        figure, axes = _figure(3.2)
        known = items[items["discrimination"].notna()]
        flagged = known["flags"].map(bool)
        axes.scatter(known.loc[~flagged, "difficulty"], known.loc[~flagged, "discrimination"], s=14, color=SHADES[1])
        axes.scatter(known.loc[flagged, "difficulty"], known.loc[flagged, "discrimination"], s=22, color=ACCENT)
        for number, row in zip(known.index[flagged], known[flagged].to_dict("records"), strict=True):
            where = {"xytext": (3, 3), "textcoords": "offset points"}
            axes.annotate(str(int(number) + 1), (row["difficulty"], row["discrimination"]), **where, color=ACCENT)
        for x in (hard, easy):
            axes.axvline(x, color=MUTED, linestyle=":", linewidth=1)
        axes.axhline(low, color=MUTED, linestyle=":", linewidth=1)
        axes.axhline(0, color=INK, linewidth=0.6)
        axes.set_xlim(0, 1)
        lowest = min(-0.2, float(known["discrimination"].min()) - 0.05) if len(known) else -0.2
        axes.set_ylim(lowest, 1)
        axes.set_xlabel(t("report.difficulty_axis"))
        axes.set_ylabel(t("report.discrimination"))
        return _svg(figure, "lz-items")


def checks_chart(table: pd.DataFrame, t: Catalog) -> str:
    """The self-check items most often answered "no": a bar per item, its "no" rate."""
    with _style(t.lang):
        figure, axes = _figure(0.5 + 0.3 * len(table))
        labels = [f"{n}" for n in range(1, len(table) + 1)]
        axes.barh(labels, 100.0 * table["no_rate"].astype(float), color=ACCENT, height=0.6)
        axes.invert_yaxis()
        axes.set_xlim(0, 100)
        axes.set_xlabel(t("report.no_rate_axis"))
        return _svg(figure, "lz-checks")
