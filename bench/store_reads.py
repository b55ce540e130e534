"""Reading a response store must never change it: the figures, for this checkout or another one.

The table of files and the read paths are ``tests/test_store_readonly.py``'s: 14 files (another
application's database, empty and 0-byte files, text, a store with dropped tables, a newer schema
version, corrupt JSON, valid stores in each journal state a writer can leave), each read by export to
CSV, export to XLSX, the report's store reading and the store's counts, each pair on a fresh copy.
Counted: pairs whose read changed the folder holding the file (any file's bytes, size or modification
time, or the list of files), files changed by at least one read, tracebacks, and outcomes other than
expected (the data for a readable store, one line otherwise). Then the valid stores (and the newer
one) on a read-only mount (as root: a read-only bind mount in a private mount namespace; otherwise
``chmod``), the same counts. Then the export of answers saved through the store: 9 formula payloads
and 9 control-character payloads, each alone in a store, exported to XLSX (a formula is an ``<f>``
element in the sheet) and CSV (a formula is a cell beginning with ``= + - @``, tab or CR, or a row
broken apart), and a lone surrogate saved as an answer and as a learner's name.

Usage: python bench/store_reads.py [--tree PATH]   (PATH: a checkout whose ``toolkit`` is read, e.g. a
worktree of main; default this one.) Older trees lack the read-only API: their readers are then what
they had (``ResponseStore(path).counts()``, the report's ``read_store``). Figures go to
bench/out/store_reads.json too.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import importlib.util
import io
import json
import os
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests" / "test_store_readonly.py"


def load_table(tree: Path) -> Any:
    """The test module, importing ``toolkit`` from ``tree``."""
    sys.path.insert(0, str(tree))
    spec = importlib.util.spec_from_file_location("store_table", TESTS)
    assert spec is not None and spec.loader is not None
    table = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(table)
    from toolkit.responses.store import ResponseStore

    if not hasattr(ResponseStore, "open_readonly"):  # an older tree: its own readers
        from toolkit.documents.report import analysis

        def counts(store: Path, out: Path) -> list[str]:
            reader = ResponseStore(store)
            try:
                return [json.dumps(reader.counts(), sort_keys=True)]
            finally:
                reader.close()

        table.READ_PATHS["counts"] = counts
        table.READ_PATHS["report"] = lambda store, out: [json.dumps(analysis.read_store(store).counts())]
    return table


def in_place(table: Any) -> dict[str, Any]:
    pairs = altered = tracebacks = unexpected = 0
    changed_files: set[str] = set()
    notes = []
    for name, (builder, _) in table.FILES.items():
        for path_name in table.READ_PATHS:
            with tempfile.TemporaryDirectory() as scratch:
                folder, out = Path(scratch) / "store", Path(scratch) / "out"
                folder.mkdir()
                out.mkdir()
                store = builder(folder)
                before = table.snapshot(folder)
                result = table.read(path_name, store, out)
                changed = table.snapshot(folder) != before
            readable = table.readable_by(name, path_name)
            crashed = "traceback" in result
            expected = not crashed and result["ok"] is readable and (readable or table.one_line_each(result))
            pairs += 1
            altered += changed
            tracebacks += crashed
            unexpected += not expected
            if changed:
                changed_files.add(name)
            if changed or not expected:
                said = result.get("traceback") or (result["lines"][-1] if result["lines"] else "")
                notes.append(f"{name} / {path_name}: {'changed; ' if changed else ''}{said[:100]}")
    return {
        "files": len(table.FILES),
        "read paths": len(table.READ_PATHS),
        "pairs": pairs,
        "pairs that changed the file": altered,
        "files changed by a read": len(changed_files),
        "tracebacks": tracebacks,
        "outcomes not as expected": unexpected,
        "notes": notes,
    }


def read_only(table: Any) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        outcomes = table.read_on_a_read_only_disk(table.READ_ONLY_FILES, Path(scratch), TREE, Path(__file__))
    if not outcomes:
        return {"skipped": "running as root without mount namespaces"}
    pairs = expected = altered = 0
    notes = []
    for name, outcome in outcomes.items():
        assert outcome["write refused"], "the folder was writable"
        altered += outcome["after"] != outcome["before"]
        for path_name, result in outcome["results"].items():
            pairs += 1
            good = "traceback" not in result and result["ok"] is table.FILES[name][1]
            expected += good
            if not good:
                notes.append(f"{name} / {path_name}: {(result.get('traceback') or result['lines'][-1])[:100]}")
    return {
        "files": len(outcomes),
        "pairs": pairs,
        "as expected": expected,
        "files changed": altered,
        "notes": notes,
    }


def export_one(answer: str, suffix: str) -> str:
    from toolkit.cli import main
    from toolkit.responses.store import ResponseStore, SheetRecord

    with tempfile.TemporaryDirectory() as scratch:
        path, out = Path(scratch) / "s.sqlite", Path(scratch) / f"answers{suffix}"
        store = ResponseStore(path)
        item = {"id": "r0", "type": "reflection", "text": "Why?"}
        store.register_sheet(SheetRecord("s1", "worksheet", "worksheet", "retired", "Sheet", "en", "1", {}, (item,)))
        store.save("s1", "worksheet", "li-ming", "r0", answer)
        store.close()
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                code = main(["responses", "export", "--store", str(path), "--out", str(out)])
        except Exception:  # the figure counts crashes
            return "crash"
        if code:
            return "refused"
        if suffix == ".xlsx":
            with zipfile.ZipFile(out) as book:
                sheet = book.read("xl/worksheets/sheet1.xml").decode()
            return "formula" if "<f>" in sheet or "<f " in sheet else "text"
        with out.open(encoding="utf-8-sig", newline="") as file:
            rows = list(csv.DictReader(file))
        if len(rows) != 1:
            return "broken row"
        return "formula" if rows[0]["value"].startswith(("=", "+", "-", "@", "\t", "\r")) else "text"


def exports(table: Any) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for suffix in (".xlsx", ".csv"):
        for kind, payloads in (("formula payloads", table.FORMULAS), ("control characters", table.CONTROLS)):
            outcomes = [export_one(payload, suffix) for payload in payloads]
            figures[f"{suffix} {kind}"] = {outcome: outcomes.count(outcome) for outcome in sorted(set(outcomes))}
    return figures


def surrogates() -> dict[str, str]:
    from toolkit.errors import ToolkitError
    from toolkit.responses.store import ResponseStore, SheetRecord

    outcomes = {}
    with tempfile.TemporaryDirectory() as scratch:
        store = ResponseStore(Path(scratch) / "s.sqlite")
        item = {"id": "r0", "type": "reflection", "text": "Why?"}
        store.register_sheet(SheetRecord("s1", "worksheet", "worksheet", "retired", "Sheet", "en", "1", {}, (item,)))
        for what, save in (
            ("answer", lambda: store.save("s1", "worksheet", "li-ming", "r0", "a\ud800")),
            ("name", lambda: store.register_learner("li-ming", "Li \udc00")),
        ):
            try:
                save()
                outcomes[what] = "saved"
            except ToolkitError:
                outcomes[what] = "refused in one line"
            except Exception as exc:  # the figure counts crashes
                outcomes[what] = f"crash ({type(exc).__name__})"
        store.close()
    return outcomes


TREE = ROOT

if __name__ == "__main__":
    if sys.argv[1:2] == ["--drive"]:
        load_table(Path(os.environ["PYTHONPATH"]))._drive(Path(sys.argv[2]), Path(sys.argv[3]))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout whose toolkit is read (default: this)")
    args = parser.parse_args()
    TREE = args.tree.resolve()
    table = load_table(TREE)
    figures = {
        "tree": str(TREE),
        "in place": in_place(table),
        "read-only mount": read_only(table),
        "exports": exports(table),
        "lone surrogates": surrogates(),
    }
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    (ROOT / "bench" / "out").mkdir(parents=True, exist_ok=True)
    (ROOT / "bench" / "out" / "store_reads.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
