"""Golden files: one rendered handout of each kind, compared byte for byte so that any change to what a
handout shows appears in a diff for review.

A missing golden file is written and the test fails saying so: review the new file, commit it, run
again. After an intended change, delete the file, run the test, and review ``git diff tests/golden``.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest

from toolkit import Library, __version__, assemble, render_document
from toolkit.documents import DOCUMENTS
from toolkit.i18n import catalog
from toolkit.testing.synthetic import generate

GOLDEN = Path(__file__).resolve().parent / "golden"
DATE = "2026-12-01"
HANDOUTS = {
    "casebook": {"audience": "retired", "date": DATE},
    "outline": {"audience": "retired", "date": DATE},
    "worksheet": {"audience": "retired", "date": DATE},
    "quiz": {"audience": "retired", "date": DATE, "questions": 10, "seed": 3},
}


LANGS = ("en", "zh-CN")


def golden_name(kind: str, lang: str) -> str:
    """``casebook`` in English, ``casebook.zh-CN`` in Chinese."""
    return kind if lang == "en" else f"{kind}.{lang}"


def normalise(html: str, library: Library) -> str:
    """Blank what changes without the handout's content changing: the library's and the toolkit's
    versions in the provenance line, and the handout's date (in either language's form)."""
    html = html.replace(library.version, "LIBRARY-VERSION").replace(DATE, "DATE")
    html = html.replace(catalog("zh-CN").date(DATE), "DATE")
    return re.sub(rf"(Lianzheng |Lianzheng&nbsp;){re.escape(__version__)}(?![0-9.])", r"\1TOOLKIT-VERSION", html)


def test_every_document_kind_has_a_golden_file() -> None:
    assert sorted(DOCUMENTS) == sorted([*HANDOUTS, "report"])
    assert sorted(path.name for path in GOLDEN.glob("*.html")) == sorted(
        f"{golden_name(kind, lang)}.html" for kind in DOCUMENTS for lang in LANGS
    )


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", HANDOUTS)
def test_a_rendered_handout_is_its_golden_file(kind: str, lang: str, bundled: Library) -> None:
    html = normalise(render_document(assemble(kind, {**HANDOUTS[kind], "lang": lang}, bundled)), bundled)
    assert "LIBRARY-VERSION" in html and "TOOLKIT-VERSION" in html and "DATE" in html
    compare(golden_name(kind, lang), html)


@pytest.mark.parametrize("lang", LANGS)
def test_the_trainer_report_is_its_golden_file(bundled: Library, tmp_path: Path, lang: str) -> None:
    """The report of a small synthetic store (fixed seed). Its charts are tested in test_report.py and
    drawn by matplotlib, whose bytes may change between its releases: here each is one placeholder."""
    store = tmp_path / "store.db"
    generate(store, 24, sessions=2, seed=5)
    params = {"store": str(store), "date": DATE, "edition": "named", "lang": lang}
    html = render_document(assemble("report", params, bundled))
    html, charts = re.subn(r"<svg\b.*?</svg>", "<svg>CHART</svg>", html, flags=re.DOTALL)
    assert charts == 4
    html = normalise(html.replace(str(store), "STORE"), bundled)
    assert "STORE" in html and "TOOLKIT-VERSION" in html and "DATE" in html
    compare(golden_name("report", lang), html)


def compare(kind: str, html: str) -> None:
    path = GOLDEN / f"{kind}.html"
    if not path.exists():
        path.write_text(html, encoding="utf-8")
        pytest.fail(f"{path} was missing and has been written: review it, commit it, run again", pytrace=False)
    expected = path.read_text(encoding="utf-8")
    if html != expected:
        diff = difflib.unified_diff(expected.splitlines(), html.splitlines(), str(path), "rendered", lineterm="")
        shown = "\n".join(list(diff)[:60])
        pytest.fail(
            f"the rendered {kind} differs from {path}; if the change is intended, delete the file, run the test "
            f"again and review `git diff tests/golden`:\n{shown}",
            pytrace=False,
        )
