"""Time a filter change in the trainer studio over a synthetic library of 1,000 cases (target: under 100 ms).

A filter change must update the results list, its counts and the preview of the selected case. The
library comes from the generator of ``bench/library_load.py``. Side by side in one run, each the
median of many changes cycling through keywords (English and Chinese), facets and years:

- search only: ``Studio.set_filters`` (the scan over the precomputed search texts);
- core: search + per-facet counts + the preview of the first result (``render_case``);
- widgets: the same through ``StudioUI``, setting a control's value as the browser does: the results
  list's options, the count, the preview framed as a whole page (what is sent to the browser);
- a naive search for comparison: building each case's text again on every change (no index).

Also timed once: opening the studio (the index) and the widgets, and a picks change (casebook and
outline previews, coverage maps).

Usage: python bench/studio.py [--cases 1000] [--changes 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from library_load import generate

from toolkit.library.load import load_library
from toolkit.studio.core import Filters, Studio, _row, search
from toolkit.studio.widgets import StudioUI

TARGET_MS = 100.0
CHANGES: list[dict[str, str]] = [
    {"keyword": "gift"},
    {"keyword": "gift card"},
    {"keyword": "红包"},
    {"keyword": ""},
    {"discipline": "integrity"},
    {"risk_post": "procurement"},
    {"kind": "exemplary"},
    {"discipline": "", "risk_post": "", "kind": ""},
    {"audience": "retired", "keyword": "banquet"},
    {"audience": "", "keyword": "", "date_from": "2020", "date_to": "2023"},
    {"date_from": "", "date_to": ""},
    {"keyword": "纪律"},
    {"keyword": ""},
]


def timed(changes: int, step: Callable[[dict[str, str]], object]) -> list[float]:
    times = []
    for number in range(changes):
        change = CHANGES[number % len(CHANGES)]
        start = time.perf_counter()
        step(change)
        times.append((time.perf_counter() - start) * 1e3)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root, args.cases)
        library = load_library(root)
    print(f"synthetic library: {len(library.cases)} cases; {args.changes} filter changes per line")

    start = time.perf_counter()
    studio = Studio(library)
    open_ms = (time.perf_counter() - start) * 1e3

    def search_only(change: dict[str, str]) -> object:
        return studio.set_filters(**change)

    def core(change: dict[str, str]) -> object:
        results = studio.set_filters(**change)
        studio.counts()
        return studio.preview(results[0]) if results else ""

    filters = Filters()

    def naive(change: dict[str, str]) -> object:
        nonlocal filters
        from dataclasses import replace

        filters = replace(filters, **change)
        return search([_row(case, library) for case in library.cases], filters)

    start = time.perf_counter()
    ui = StudioUI(Studio(library))
    widgets_open_ms = (time.perf_counter() - start) * 1e3

    def widgets(change: dict[str, str]) -> object:
        for name, value in change.items():
            if name == "keyword":
                ui.keyword.value = value
            elif name in ui.facets:
                ui.facets[name].value = value
            elif name == "date_from":
                ui.years.value = (int(value) if value else ui.years.min, ui.years.value[1])
            elif name == "date_to":
                ui.years.value = (ui.years.value[0], int(value) if value else ui.years.max)
        return ui.count.value

    rows = [
        ("search only", timed(args.changes, search_only)),
        ("search + counts + preview (core)", timed(args.changes, core)),
        ("the same through the widgets", timed(args.changes, widgets)),
        ("naive search (no index)", timed(max(args.changes // 10, len(CHANGES)), naive)),
    ]
    base = statistics.median(rows[1][1])
    print(f"{'what':<36}{'median ms':>10}{'p90 ms':>9}{'max ms':>9}{'vs core':>9}")
    for name, times in rows:
        median = statistics.median(times)
        p90 = statistics.quantiles(times, n=10)[-1]
        print(f"{name:<36}{median:>10.2f}{p90:>9.2f}{max(times):>9.2f}{median / base:>8.2f}x")

    start = time.perf_counter()
    for case_id in [case.id for case in library.cases[:8]]:
        ui.studio.add(case_id)
    ui.refresh_session()
    picks_ms = (time.perf_counter() - start) * 1e3
    print(f"open the studio (index of {len(library.cases)} cases): {open_ms:.0f} ms; widgets: {widgets_open_ms:.0f} ms")
    print(f"pick 8 cases and redraw casebook, outline and coverage previews: {picks_ms:.0f} ms")
    worst = statistics.median(rows[2][1])
    verdict = "meets" if worst < TARGET_MS else "MISSES"
    print(f"target: a filter change under {TARGET_MS:.0f} ms -> {worst:.1f} ms through the widgets, {verdict} it")


if __name__ == "__main__":
    main()
