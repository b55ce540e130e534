"""The response store: saves and answers in one transaction, locking on submission, concurrent writers in
several processes, and a writer killed in the middle of a save."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from toolkit import Library
from toolkit.documents import assemble
from toolkit.errors import ResponseError, SubmittedError
from toolkit.responses.sheets import sheet_record
from toolkit.responses.store import ResponseStore, SheetRecord

SESSION = "autumn-2026"


def worksheet_record(library: Library, session: str = SESSION, sheet: str = "worksheet") -> SheetRecord:
    params = {"audience": "key-posts", "date": "2026-12-01", "questions": 4}
    document = assemble("worksheet", params, library)
    return sheet_record(document, params, library.version, session, sheet)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ResponseStore]:
    store = ResponseStore(tmp_path / "responses.sqlite")
    yield store
    store.close()


@pytest.fixture
def record(bundled: Library, store: ResponseStore) -> SheetRecord:
    return store.register_sheet(worksheet_record(bundled))


def items_of(record: SheetRecord, kind: str) -> list[dict[str, Any]]:
    return [item for item in record.items if item["type"] == kind]


def test_a_store_is_created_in_wal_mode_with_the_schema(store: ResponseStore) -> None:
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.counts() == dict.fromkeys(("sheets", "learners", "saves", "answers", "submissions", "results"), 0)


def test_a_sheet_registers_every_item_with_its_type(record: SheetRecord) -> None:
    kinds = [item["type"] for item in record.items]
    assert kinds.count("table") == 3 and "self-check" in kinds and "reflection" in kinds
    questions = record.questions()
    assert len(questions) == 4 and all(q["type"] in ("single", "multiple", "true-false") for q in questions)
    assert {item["id"] for item in items_of(record, "table")} == {"table:problem", "table:cause", "table:measure"}


def test_save_appends_a_save_and_keeps_the_latest_answer(store: ResponseStore, record: SheetRecord) -> None:
    check = items_of(record, "self-check")[0]["id"]
    text = items_of(record, "reflection")[0]["id"]
    store.save(SESSION, "worksheet", "li-ming", check, "no")
    store.save(SESSION, "worksheet", "li-ming", check, "unsure")
    store.save(SESSION, "worksheet", "li-ming", text, "我没有收过礼。")
    assert store.answers(SESSION, "worksheet", "li-ming") == {check: "unsure", text: "我没有收过礼。"}
    history = store.conn.execute("SELECT value FROM saves WHERE item = ? ORDER BY id", (check,)).fetchall()
    assert [json.loads(v) for (v,) in history] == ["no", "unsure"]
    counts = store.counts()
    assert (counts["saves"], counts["answers"], counts["learners"]) == (3, 2, 1)
    stamp = store.conn.execute("SELECT saved_at FROM answers WHERE item = ?", (check,)).fetchone()[0]
    assert stamp.endswith("Z") and "T" in stamp and len(stamp) == len("2026-12-01T09:30:00.123456Z")


def test_another_process_reads_what_was_saved(store: ResponseStore, record: SheetRecord) -> None:
    check = items_of(record, "self-check")[0]["id"]
    store.save(SESSION, "worksheet", "li-ming", check, "yes")
    again = ResponseStore(store.path)
    assert again.answers(SESSION, "worksheet", "li-ming") == {check: "yes"}


@pytest.mark.parametrize(
    ("learner", "item_kind", "value", "message"),
    [
        ("li ming", "self-check", "yes", "learner id 'li ming' is not valid: use 1 to 64 letters or digits"),
        ("", "self-check", "yes", "learner id '' is not valid"),
        ("li-ming", "self-check", "maybe", "value 'maybe' is not valid; valid: yes, no, unsure"),
        ("li-ming", "reflection", 3, "value must be text, not 3"),
        ("li-ming", "single", "Z", "value 'Z' is not valid; valid: one of A, B"),
        ("li-ming", "true-false", "yes", "value 'yes' is not valid; valid: true or false"),
    ],
)
def test_bad_ids_and_values_are_refused_in_one_line(
    store: ResponseStore, record: SheetRecord, learner: str, item_kind: str, value: Any, message: str
) -> None:
    candidates = items_of(record, item_kind)
    if not candidates:
        pytest.skip(f"no {item_kind} item in this sheet")
    with pytest.raises(ResponseError) as caught:
        store.save(SESSION, "worksheet", learner, candidates[0]["id"], value)
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert store.counts()["saves"] == 0


def test_unknown_sheet_and_item_are_named(store: ResponseStore, record: SheetRecord) -> None:
    with pytest.raises(ResponseError, match="no sheet 'quiz' in session 'autumn-2026'"):
        store.save(SESSION, "quiz", "li-ming", "x", "yes")
    with pytest.raises(ResponseError, match="has no item 'nope'; valid: "):
        store.save(SESSION, "worksheet", "li-ming", "nope", "yes")


def test_reopening_with_other_items_is_refused(bundled: Library, store: ResponseStore, record: SheetRecord) -> None:
    params = {"audience": "retired", "date": "2026-12-01"}
    other = sheet_record(assemble("worksheet", params, bundled), params, bundled.version, SESSION, "worksheet")  # type: ignore[arg-type]
    with pytest.raises(ResponseError, match="already open with other items"):
        store.register_sheet(other)
    assert store.register_sheet(worksheet_record(bundled)) == record  # the same items: fine


def test_submit_grades_locks_and_refuses_a_second_submission(store: ResponseStore, record: SheetRecord) -> None:
    questions = record.questions()
    right, wrong = questions[0], questions[1]
    store.save(SESSION, "worksheet", "li-ming", right["id"], right["answer"])
    wrong_value: Any = (not wrong["answer"]) if wrong["type"] == "true-false" else "A"
    if wrong_value == wrong["answer"] or wrong["type"] == "multiple":
        wrong_value = None
    store.save(SESSION, "worksheet", "li-ming", wrong["id"], wrong_value)
    assert store.submission(SESSION, "worksheet", "li-ming") is None
    done = store.submit(SESSION, "worksheet", "li-ming", pass_mark=0.5)
    assert (done.score, done.max_score, done.passed, done.pass_mark) == (1.0, 4.0, False, 0.5)
    assert [r["correct"] for r in done.results] == [True, False, False, False]
    assert done.results[0]["given"] == right["answer"]
    assert store.submission(SESSION, "worksheet", "li-ming") == done
    check = items_of(record, "self-check")[0]["id"]
    with pytest.raises(
        SubmittedError, match=r"learner 'li-ming' submitted sheet 'worksheet' .* the answers are locked"
    ):
        store.save(SESSION, "worksheet", "li-ming", check, "yes")
    with pytest.raises(SubmittedError, match="locked"):
        store.submit(SESSION, "worksheet", "li-ming")
    assert store.counts()["submissions"] == 1 and store.counts()["results"] == 4
    store.save(SESSION, "worksheet", "wang-fang", check, "yes")  # another learner is not locked


def test_a_missing_store_is_an_error_when_not_creating(tmp_path: Path) -> None:
    with pytest.raises(ResponseError, match=r"no response store at '.*nope\.sqlite'"):
        ResponseStore(tmp_path / "nope.sqlite", create=False)
    junk = tmp_path / "junk.sqlite"
    junk.write_text("not a database " * 100)
    with pytest.raises(ResponseError, match="not a response store"):
        ResponseStore(junk).counts()
    with pytest.raises(ResponseError, match=r"cannot create a response store at .*: there is no folder"):
        ResponseStore(tmp_path / "missing" / "r.sqlite").counts()


def test_one_store_is_used_from_several_threads(store: ResponseStore, record: SheetRecord) -> None:
    """Widget callbacks may run in another thread (JupyterLab's kernel subshells): each gets its connection."""
    import threading

    checks = [item["id"] for item in items_of(record, "self-check")]
    failures: list[BaseException] = []

    def learner(n: int) -> None:
        try:
            for item in checks:
                store.save(SESSION, "worksheet", f"t{n}", item, "yes")
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=learner, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert store.counts()["saves"] == store.counts()["answers"] == 4 * len(checks)


# -- several processes at once ------------------------------------------------------------------------


def _writer(path: str, learners: list[str], items: list[tuple[str, Any]], rounds: int) -> None:
    store = ResponseStore(path)
    for round_ in range(rounds):
        for learner in learners:
            for item, value in items:
                store.save(SESSION, "worksheet", learner, item, value if round_ == rounds - 1 else None)


@pytest.mark.slow
def test_concurrent_writers_in_four_processes_lose_and_duplicate_nothing(
    store: ResponseStore, record: SheetRecord
) -> None:
    items = [(item["id"], "yes") for item in items_of(record, "self-check")]
    items += [(item["id"], f"reflection on {item['id']}") for item in items_of(record, "reflection")]
    context = multiprocessing.get_context("spawn")
    # Processes 0-2 write their own learners; process 3 writes the same learners as process 0 (same keys).
    groups = [[f"p{n}-l{i}" for i in range(5)] for n in range(3)]
    groups.append(groups[0])
    processes = [context.Process(target=_writer, args=(str(store.path), group, items, 2)) for group in groups]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
        assert process.exitcode == 0
    counts = store.counts()
    assert counts["saves"] == 4 * 5 * len(items) * 2
    assert counts["answers"] == 3 * 5 * len(items)
    assert counts["learners"] == 15
    for group in groups[:3]:
        for learner in group:
            assert store.answers(SESSION, "worksheet", learner) == dict(items)
    # Each answer points at the latest save of its key.
    stale = store.conn.execute(
        "SELECT count(*) FROM answers a WHERE a.save_id != (SELECT max(id) FROM saves s WHERE s.session = a.session "
        "AND s.sheet = a.sheet AND s.learner = a.learner AND s.item = a.item)"
    ).fetchone()[0]
    assert stale == 0


# -- a writer killed -----------------------------------------------------------------------------------

HALF_SAVE = textwrap.dedent(
    """
    import sys, time
    from toolkit.responses.store import ResponseStore, now
    store = ResponseStore(sys.argv[1])
    with store.transaction() as conn:
        store.append_save(conn, sys.argv[2], "worksheet", "killed", sys.argv[3], '"no"', now())
        print("half", flush=True)
        time.sleep(60)  # killed here: the saves row is written, the answers row not yet
        store.update_answer(conn, sys.argv[2], "worksheet", "killed", sys.argv[3], '"no"', now(), 0)
    """
)

SAVE_LOOP = textwrap.dedent(
    """
    import sys
    from toolkit.responses.store import ResponseStore
    store = ResponseStore(sys.argv[1])
    n = 0
    while True:
        save_id = store.save(sys.argv[2], "worksheet", "looping", sys.argv[3], f"draft {n}")
        print(save_id, n, flush=True)
        n += 1
    """
)


def consistent(store: ResponseStore) -> None:
    conn = sqlite3.connect(store.path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    orphans = conn.execute(
        "SELECT count(*) FROM answers a LEFT JOIN saves s ON s.id = a.save_id WHERE s.id IS NULL "
        "OR s.value != a.value OR s.item != a.item OR s.learner != a.learner"
    ).fetchone()[0]
    assert orphans == 0
    unanswered = conn.execute(
        "SELECT count(*) FROM (SELECT DISTINCT session, sheet, learner, item FROM saves) k LEFT JOIN answers a "
        "USING (session, sheet, learner, item) WHERE a.item IS NULL"
    ).fetchone()[0]
    assert unanswered == 0
    conn.close()


@pytest.mark.slow
def test_a_writer_killed_in_the_middle_of_a_save_leaves_nothing_half_written(
    store: ResponseStore, record: SheetRecord
) -> None:
    item = items_of(record, "reflection")[0]["id"]
    store.save(SESSION, "worksheet", "li-ming", item, "kept")
    child = subprocess.Popen(
        [sys.executable, "-c", HALF_SAVE, str(store.path), SESSION, item], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "half"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(10)
        if child.stdout is not None:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    consistent(store)
    assert store.counts()["saves"] == 1
    assert store.answers(SESSION, "worksheet", "killed") == {}
    # The killed writer held the write lock; it is free again at once.
    started = time.monotonic()
    store.save(SESSION, "worksheet", "li-ming", item, "after")
    assert time.monotonic() - started < 5
    assert store.answers(SESSION, "worksheet", "li-ming") == {item: "after"}


@pytest.mark.slow
def test_a_writer_killed_while_saving_in_a_loop_keeps_every_committed_save(
    store: ResponseStore, record: SheetRecord
) -> None:
    item = items_of(record, "reflection")[0]["id"]
    child = subprocess.Popen(
        [sys.executable, "-c", SAVE_LOOP, str(store.path), SESSION, item], stdout=subprocess.PIPE, text=True
    )
    reported: list[tuple[int, int]] = []
    try:
        assert child.stdout is not None
        while len(reported) < 40:
            line = child.stdout.readline()
            assert line, "the writer stopped"
            save_id, n = line.split()
            reported.append((int(save_id), int(n)))
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(10)
        if child.stdout is not None:
            child.stdout.close()
    consistent(store)
    rows = store.conn.execute("SELECT id, value FROM saves WHERE learner = 'looping' ORDER BY id").fetchall()
    saved = {save_id: json.loads(value) for save_id, value in rows}
    # Every save the writer saw committed is there; at most the saves after the last report are extra.
    assert all(saved.get(save_id) == f"draft {n}" for save_id, n in reported)
    last = max(saved)
    assert store.answers(SESSION, "worksheet", "looping") == {item: saved[last]}
