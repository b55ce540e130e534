"""Time the trainer report for 1,000 learners x 40 quiz questions (target: under 10 s).

A synthetic store (``toolkit.testing.synthetic``: 4 sessions, a 40-question quiz and a worksheet of
six self-check items per learner) is written first, then, side by side in one run:

- the figures alone: reading the store and computing completion, scores, item analysis, self-checks
  and training records (median of three);
- the report as the target counts it: figures, four SVG charts and the HTML fragment
  (``assemble`` + ``render``, median of three), in English and in Chinese, aggregate and with names;
- each part of that: read, each figure, each chart, the template;
- the notebook through papermill to a handout page as a one-job batch (``lianzheng report --out
  report.html``, ``build_file``): on a fresh kernel (as the command runs it) and on a warm one;
- the PDF (``--out report.pdf``), aggregate and with names (one row per learner).

Usage: python bench/report.py [--learners N]     (figures go to bench/out/report.json too)
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from build import REPEAT, median_of, timed  # bench/build.py, beside this script

from toolkit import bundled_library, load_library
from toolkit.batch import build_file, kernels
from toolkit.documents import assemble
from toolkit.documents.report import analysis, charts
from toolkit.i18n import catalog
from toolkit.library.catalog import Library
from toolkit.render import render
from toolkit.testing.synthetic import generate

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "out" / "report.json"
DATE = "2026-12-01"
TARGET = 10.0


def make_report(library: Library, **values: Any) -> str:
    """The report's HTML fragment: figures, charts and template, as the notebook makes it."""
    return render(assemble("report", values, library))


def show(label: str, seconds: float) -> None:
    print(f"{label + ':':52s}{seconds:7.2f} s")


def figures(store: Path) -> None:
    responses = analysis.read_store(store)
    analysis.completion(responses)
    analysis.score_summary(responses)
    analysis.item_analysis(responses)
    analysis.self_check_no(responses)
    analysis.training_records(responses)


def parts(store: Path) -> dict[str, float]:
    """Where the time of one report goes."""
    t = catalog("en")
    result: dict[str, float] = {}
    tick = time.perf_counter()
    responses = analysis.read_store(store)
    result["read store"] = time.perf_counter() - tick
    steps: dict[str, Callable[[], Any]] = {
        "completion": lambda: analysis.completion(responses),
        "scores": lambda: analysis.score_summary(responses),
        "item analysis": lambda: analysis.item_analysis(responses),
        "self-checks": lambda: analysis.self_check_no(responses),
        "records (named)": lambda: analysis.training_records(responses, show_names=True),
    }
    for name, step in steps.items():
        result[name] = median_of(step)
    completion, scores = analysis.completion(responses), analysis.score_summary(responses)
    items, checks = analysis.item_analysis(responses), analysis.self_check_no(responses)
    result["chart: completion"] = median_of(lambda: charts.completion_chart(completion, t))
    result["chart: scores"] = median_of(lambda: charts.score_chart(scores.bands, scores.pass_mark, t))
    result["chart: items"] = median_of(lambda: charts.item_chart(items, t, 0.95, 0.2, 0.2))
    result["chart: self-checks"] = median_of(lambda: charts.checks_chart(checks, t))
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=1000)
    args = parser.parse_args()
    results: dict[str, Any] = {"learners": args.learners, "items": 40}
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / "store.db"
        results["generate"] = timed(lambda: generate(store, args.learners, sessions=4, seed=1))
        counts = analysis.read_store(store).counts()
        results["counts"] = counts
        print(f"store: {args.learners} learners x 40 questions; {counts} (written in {results['generate']:.2f} s)")
        library = load_library(bundled_library())
        make_report(library, store=str(store), date=DATE)  # imports matplotlib, loads fonts once: not part of a report
        results["figures"] = median_of(lambda: figures(store))
        results["report_en"] = median_of(lambda: make_report(library, store=str(store), date=DATE))
        results["report_zh"] = median_of(lambda: make_report(library, store=str(store), date=DATE, lang="zh-CN"))
        results["report_named"] = median_of(lambda: make_report(library, store=str(store), date=DATE, edition="named"))
        results["parts"] = parts(store)
        show(f"figures only (read + compute), median of {REPEAT}", results["figures"])
        show("report = figures + 4 SVG charts + HTML (en)", results["report_en"])
        show("  zh-CN", results["report_zh"])
        show("  with names (one row per learner)", results["report_named"])
        ratio = TARGET / results["report_en"]
        verdict = "met" if results["report_en"] < TARGET else "MISSED"
        print(f"target {TARGET:.0f} s: {verdict}, {ratio:.0f}x under it")
        print("where the time goes:")
        for name, seconds in results["parts"].items():
            print(f"  {name:22s} {seconds * 1000:8.1f} ms")

        out = Path(folder) / "out"
        out.mkdir()
        values = {"store": str(store), "date": DATE}
        tick = time.perf_counter()
        build_file("report", values, library, out / "cold.html")
        results["command_html_cold"] = time.perf_counter() - tick
        results["command_html_warm"] = median_of(lambda: build_file("report", values, library, out / "warm.html"))
        done = build_file("report", values, library, out / "report.pdf")
        results["command_pdf_timings"] = done.timings
        results["command_pdf"] = median_of(lambda: build_file("report", values, library, out / "report.pdf"), 1)
        named = {**values, "edition": "named"}
        results["command_pdf_named"] = median_of(lambda: build_file("report", named, library, out / "named.pdf"), 1)
        kernels.close_pool()
        show("notebook via papermill -> HTML page, new kernel", results["command_html_cold"])
        show(f"  on a warm kernel (median of {REPEAT})", results["command_html_warm"])
        show("  -> PDF, aggregate", results["command_pdf"])
        show("  -> PDF, with names", results["command_pdf_named"])
        timings = ", ".join(f"{k} {v:.2f} s" for k, v in results["command_pdf_timings"].items())
        print(f"  PDF run's phases: {timings}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0 if results["report_en"] < TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
