"""Time the PDF engines on one casebook: Typst in Chinese and in English, and WeasyPrint on the same.

Side by side in one run: casebooks of 8 cases (trainer edition, audience retired), each repetition
with another seed (other cases, so Typst's memoised layout of an earlier document does not serve the
next one), the median after one warm-up, laid out

- by Typst (``render.pdf.to_pdf``, one compiler per process as a build worker has), in zh-CN and
  in en, standard and large print;
- by WeasyPrint from the handout's HTML page (``render.page`` of the fragment, the handout stylesheet
  inlined: what the pdf format wrote before), in zh-CN and in en;
- and Typst's first PDF in a fresh process (fonts read, nothing memoised), each language apart.

It prints the times, the page counts and the ratios the issue sets targets for: zh-CN over en with
Typst (target: at most 1.5), and WeasyPrint over Typst for each language.

WeasyPrint is no dependency of the toolkit any more: ``pip install -e '.[bench]'`` (Pango too, through
``scripts/system-packages.sh bench``), or ``make bench``.

Usage: python bench/pdf_engine.py [--cases N] [--repeat N]    (figures go to bench/out/pdf_engine.json too)
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from toolkit import assemble, bundled_library, load_library
from toolkit.batch.export import source_date
from toolkit.render import page, render
from toolkit.render.pdf import to_pdf

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "out" / "pdf_engine.json"
DATE = "2026-12-01"
TARGET_ZH_OVER_EN = 1.5
NO_WEASYPRINT = (
    "bench/pdf_engine.py: WeasyPrint, the engine compared against, is not installed: "
    "pip install -e '.[bench]' (or run `make bench`, which installs it with Pango)"
)


def weasyprint_pdf(html: str, target: Path) -> None:
    """The HTML page laid out on A4 by WeasyPrint, as the pdf format did before Typst (nothing fetched)."""
    from weasyprint import HTML

    def refuse(url: str, *args: Any, **kwargs: Any) -> Any:
        raise ValueError(f"handouts load nothing from outside ({url})")

    with source_date(DATE):
        HTML(string=html, url_fetcher=refuse).write_pdf(target)


def median_time(function: Callable[[int], Any], repeat: int) -> float:
    """The median time of ``function(seed)`` over seeds 2 .. repeat + 1, after a warm-up with seed 1."""
    function(1)
    times = []
    for seed in range(2, repeat + 2):
        tick = time.perf_counter()
        function(seed)
        times.append(time.perf_counter() - tick)
    return statistics.median(times)


COLD = """
import sys, time
from toolkit import assemble, bundled_library, load_library
from toolkit.render.pdf import to_pdf
lang, cases, date = sys.argv[1], int(sys.argv[2]), sys.argv[3]
values = {"audience": "retired", "lang": lang, "edition": "trainer", "date": date, "cases": cases}
document = assemble("casebook", values, load_library(bundled_library()))
tick = time.perf_counter()
to_pdf(document)
print(time.perf_counter() - tick)
"""


def cold(lang: str, cases: int) -> float:
    """Typst's first PDF in a fresh process: the fonts read, nothing memoised (median of three)."""
    import subprocess

    def once() -> float:
        command = [sys.executable, "-c", COLD, lang, str(cases), DATE]
        return float(subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT).stdout)

    return statistics.median(once() for _ in range(3))


def pages(pdf: bytes) -> int:
    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as opened:
        return len(opened.pages)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):  # not installed, or Pango missing
        print(NO_WEASYPRINT, file=sys.stderr)
        return 2
    library = load_library(bundled_library())
    figures: dict[str, Any] = {"cases": args.cases, "repeat": args.repeat}
    with tempfile.TemporaryDirectory() as tmp:
        for lang in ("zh-CN", "en"):
            figures[f"typst {lang} cold"] = cold(lang, args.cases)
            for size in ("standard", "large"):

                def casebook(seed: int, lang: str = lang, size: str = size) -> Any:
                    values = {"audience": "retired", "lang": lang, "edition": "trainer", "date": DATE, "seed": seed}
                    return assemble("casebook", {**values, "cases": args.cases, "print_size": size}, library)

                documents = {seed: casebook(seed) for seed in range(1, args.repeat + 2)}
                key = f"typst {lang} {size}"
                figures[key] = median_time(lambda seed, documents=documents: to_pdf(documents[seed]), args.repeat)
                figures[f"{key} pages"] = pages(to_pdf(documents[1]))
                if size == "large":
                    continue
                htmls = {seed: page(render(document), lang) for seed, document in documents.items()}
                target = Path(tmp) / f"{lang}.pdf"
                figures[f"weasyprint {lang}"] = median_time(
                    lambda seed, htmls=htmls, target=target: weasyprint_pdf(htmls[seed], target),
                    args.repeat,
                )
                figures[f"weasyprint {lang} pages"] = pages(target.read_bytes())
    figures["typst zh-CN / en"] = figures["typst zh-CN standard"] / figures["typst en standard"]
    figures["typst zh-CN / en cold"] = figures["typst zh-CN cold"] / figures["typst en cold"]
    for lang in ("zh-CN", "en"):
        figures[f"weasyprint / typst {lang}"] = figures[f"weasyprint {lang}"] / figures[f"typst {lang} standard"]
    figures["weasyprint zh-CN / en"] = figures["weasyprint zh-CN"] / figures["weasyprint en"]

    print(f"casebook, {args.cases} cases, trainer edition; median of {args.repeat} seeds after a warm-up")
    for lang in ("zh-CN", "en"):
        typst_std, typst_large = figures[f"typst {lang} standard"], figures[f"typst {lang} large"]
        print(
            f"  {lang:5}  Typst {typst_std:6.3f} s ({figures[f'typst {lang} standard pages']} pages), "
            f"large print {typst_large:6.3f} s ({figures[f'typst {lang} large pages']} pages); "
            f"WeasyPrint {figures[f'weasyprint {lang}']:6.3f} s ({figures[f'weasyprint {lang} pages']} pages); "
            f"Typst's first in a fresh process {figures[f'typst {lang} cold']:6.3f} s"
        )
    ratio = figures["typst zh-CN / en"]
    verdict = "met" if ratio <= TARGET_ZH_OVER_EN else "missed"
    print(f"  Typst zh-CN / en: {ratio:.2f} (target at most {TARGET_ZH_OVER_EN}: {verdict})")
    print(f"  Typst zh-CN / en, first PDF in a fresh process: {figures['typst zh-CN / en cold']:.2f}")
    print(f"  WeasyPrint zh-CN / en: {figures['weasyprint zh-CN / en']:.2f}")
    for lang in ("zh-CN", "en"):
        print(f"  WeasyPrint / Typst, {lang}: {figures[f'weasyprint / typst {lang}']:.1f}x")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
