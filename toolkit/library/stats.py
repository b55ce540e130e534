"""Counts over a library: what it holds by kind, discipline, audience, risk post and occasion.

The dictionary that :func:`library_stats` returns is the stable JSON form of ``lianzheng stats
--json`` (documented in ``docs/stats.md``): its keys and their meaning only ever grow.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable
from typing import Any

from toolkit.library.catalog import Library

STATS_KEYS = (
    "cases",
    "by_kind",
    "by_discipline",
    "by_audience",
    "by_risk_post",
    "by_occasion",
    "themes",
    "questions",
    "prompts",
    "messages",
)


def _counts(terms: Iterable[str], values: Iterable[str]) -> dict[str, int]:
    counter = Counter(values)
    return {term: counter.get(term, 0) for term in terms}


def library_stats(library: Library) -> dict[str, Any]:
    """Counts by facet, every taxonomy term present (zero included), in taxonomy order.

    A case tagged with two disciplines counts once under each, so a facet's counts can add up to
    more than ``cases``. ``coverage`` maps each discipline to its count of cases per audience.

    >>> from toolkit import bundled_library, load_library
    >>> library = load_library(bundled_library())
    >>> stats = library_stats(library)
    >>> stats["by_discipline"]["integrity"] == sum("integrity" in case.discipline_ids for case in library.cases)
    True
    """
    tax = library.taxonomy
    cases = library.cases
    disciplines = [d.id for d in tax.disciplines]
    audiences = [a.id for a in tax.audiences]
    coverage = {d: dict.fromkeys(audiences, 0) for d in disciplines}
    for case in cases:
        for discipline in set(case.discipline_ids):
            for audience in set(case.audiences):
                if discipline in coverage and audience in coverage[discipline]:
                    coverage[discipline][audience] += 1
    return {
        "library_version": library.version,
        "cases": len(cases),
        "by_kind": _counts([k.id for k in tax.case_kinds], (c.kind for c in cases)),
        "by_discipline": _counts(disciplines, (d for c in cases for d in set(c.discipline_ids))),
        "by_audience": _counts(audiences, (a for c in cases for a in set(c.audiences))),
        "by_risk_post": _counts([p.id for p in tax.risk_posts], (p for c in cases for p in set(c.risk_posts))),
        "by_occasion": _counts([o.id for o in tax.occasions], (o for c in cases for o in set(c.occasions))),
        "themes": len(library.themes),
        "questions": len(library.questions),
        "prompts": len(library.prompts),
        "messages": len(library.messages),
        "by_type": _counts(list(tax.types), (t for c in cases for t in set(c.type_ids))),
        "questions_by_discipline": _counts(disciplines, (q.discipline for q in library.questions)),
        "messages_by_occasion": _counts([o.id for o in tax.occasions], (m.occasion for m in library.messages)),
        "coverage": coverage,
        "languages": languages(library),
    }


def languages(library: Library) -> dict[str, dict[str, int]]:
    """For each language of the library, how many cases, themes, questions, prompts and messages
    have their text in it.

    >>> from toolkit import bundled_library, load_library
    >>> counts = languages(load_library(bundled_library()))
    >>> list(counts), counts["zh-CN"] == counts["en"]
    (['en', 'zh-CN'], True)
    """
    kinds = ("cases", "themes", "questions", "prompts", "messages")
    if not library.texts:
        return {library.language or library.languages[0]: {kind: len(getattr(library, kind)) for kind in kinds}}
    return {
        lang: {kind: len(library.texts[lang].get(kind, ())) for kind in kinds}
        for lang in library.languages
        if lang in library.texts
    }


def _width(text: str) -> int:
    """Display width in a terminal: CJK characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


def _table(title: str, rows: list[tuple[str, int]]) -> list[str]:
    width = max([_width(label) for label, _ in rows] + [_width(title)])
    lines = [title]
    lines += [f"  {_pad(label, width)}  {count:>4}" for label, count in rows]
    return lines


def format_stats(stats: dict[str, Any], library: Library, lang: str = "en") -> str:
    """The terminal report: totals, one table per facet, and the discipline x audience coverage.

    Empty cells of the coverage table show as ``·`` so that gaps stand out.
    """
    tax = library.taxonomy

    def rows(key: str, kind: str) -> list[tuple[str, int]]:
        return [(tax.label(kind, term, lang), count) for term, count in stats[key].items()]

    lines = [
        f"Library {library.root} (version {stats['library_version']})",
        f"  {stats['cases']} cases, {stats['themes']} themes, {stats['questions']} questions, "
        f"{stats['prompts']} prompts, {stats['messages']} messages",
        f"  in {', '.join(stats['languages'])}",
        "",
    ]
    for title, key, kind in (
        ("Cases by kind", "by_kind", "case_kinds"),
        ("Cases by discipline", "by_discipline", "disciplines"),
        ("Cases by risk post", "by_risk_post", "risk_posts"),
        ("Cases by occasion", "by_occasion", "occasions"),
        ("Questions by discipline", "questions_by_discipline", "disciplines"),
    ):
        lines += [*_table(title, rows(key, kind)), ""]
    unused = [tax.label("types", term, lang) for term, count in stats["by_type"].items() if not count]
    lines += [f"Violation types with no case: {', '.join(unused) if unused else 'none'}", ""]
    lines += _coverage(stats, library, lang)
    return "\n".join(lines)


def _coverage(stats: dict[str, Any], library: Library, lang: str) -> list[str]:
    tax = library.taxonomy
    disciplines = list(stats["coverage"])
    heads = [tax.label("disciplines", d, lang).split()[0] for d in disciplines] + ["All"]
    audiences = list(stats["by_audience"])
    names = [tax.label("audiences", a, lang) for a in audiences]
    first = max(_width(name) for name in [*names, "Audience"])
    widths = [max(_width(head), 4) for head in heads]
    lines = ["Coverage: cases per audience and discipline (· = none)"]
    lines.append(
        "  " + _pad("Audience", first) + "".join("  " + _pad(h, w, True) for h, w in zip(heads, widths, strict=True))
    )
    for audience, name in zip(audiences, names, strict=True):
        cells = [stats["coverage"][d][audience] for d in disciplines] + [stats["by_audience"][audience]]
        text = "".join("  " + _pad(str(c) if c else "·", w, True) for c, w in zip(cells, widths, strict=True))
        lines.append("  " + _pad(name, first) + text)
    return lines
