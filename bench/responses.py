"""Learners saving at once: 200 learners x 40 items saved concurrently from 8 processes into one response store.

Side by side in one run, each into a fresh store:

- **8 processes**, 25 learners each, every process starting at the same moment: each item saved once
  (a draft) and then again (the final answer), 16,000 saves, then every learner submits (200
  submissions graded in the store);
- **8 processes, no queue**: the same with the store's advisory-lock queue turned off, SQLite's busy
  handler alone making writers wait (it sleeps and polls with growing pauses);
- **1 process** doing the same saves one after the other (the floor without contention);

and for each: saves per second, the latency of one save (median, 95th and 99th percentile, worst),
and the check: every save a process saw committed is in ``saves`` once, ``saves`` holds exactly
16,000 rows with no key saved more than twice, ``answers`` exactly 8,000 rows each holding the
final value and pointing at the latest save, 200 submissions with 10 graded results each.

The stores are written under bench/out/ (on the project's disk, not a RAM-backed /tmp), so that each
commit's fsync costs what it costs in use.

Usage: python bench/responses.py [--learners 200] [--items 40] [--processes 8]
(figures go to bench/out/responses.json too)
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

from toolkit.responses.store import ResponseStore, SheetRecord

SESSION = "bench"
SHEET = "worksheet"
QUESTIONS = 10


def record(items: int) -> SheetRecord:
    """A worksheet of ``items`` items: 10 single-choice questions, a few reflections, the rest self-checks."""
    rows: list[dict[str, Any]] = []
    for n in range(items):
        if n < QUESTIONS:
            options = [[letter, f"option {letter}"] for letter in "ABCD"]
            rows.append({"id": f"q{n}", "type": "single", "text": f"question {n}", "options": options, "answer": "B"})
        elif n % 5 == 0:
            rows.append({"id": f"r{n}", "type": "reflection", "text": f"reflection {n}"})
        else:
            rows.append({"id": f"c{n}", "type": "self-check", "text": f"self-check {n}"})
    return SheetRecord(SESSION, SHEET, "worksheet", "key-posts", "Bench worksheet", "en", "bench", {}, tuple(rows))


def final_value(item: dict[str, Any], learner: str) -> Any:
    if item["type"] == "single":
        return "ABCD"[zlib.crc32(f"{learner}/{item['id']}".encode()) % 4]
    if item["type"] == "reflection":
        return f"{learner} on {item['id']}: 我会按时报告个人有关事项。" * 3
    return ("yes", "no", "unsure")[len(learner + item["id"]) % 3]


def draft_value(item: dict[str, Any]) -> Any:
    return {"single": "A", "reflection": "draft", "self-check": "unsure"}[item["type"]]


def worker(path: str, learners: list[str], items: list[dict[str, Any]], start: Any, out: Any, queue: bool) -> None:
    store = ResponseStore(path, queue=queue)
    store.counts()  # connect before the start signal: connecting is not what is measured
    start.wait()
    committed: list[int] = []
    latencies: list[float] = []
    began = time.perf_counter()
    for learner in learners:
        for item in items:
            tick = time.perf_counter()
            committed.append(store.save(SESSION, SHEET, learner, item["id"], draft_value(item)))
            latencies.append(time.perf_counter() - tick)
    for learner in learners:
        for item in items:
            tick = time.perf_counter()
            committed.append(store.save(SESSION, SHEET, learner, item["id"], final_value(item, learner)))
            latencies.append(time.perf_counter() - tick)
    saved = time.perf_counter()
    for learner in learners:
        store.submit(SESSION, SHEET, learner)
    out.put(
        {
            "committed": committed,
            "latencies": latencies,
            "save_seconds": saved - began,
            "submit_seconds": time.perf_counter() - saved,
        }
    )


def run(path: Path, learners: int, items: int, processes: int, queue: bool = True) -> dict[str, Any]:
    sheet = record(items)
    store = ResponseStore(path)
    store.register_sheet(sheet)
    names = [f"learner-{n:04d}" for n in range(learners)]
    groups = [names[n::processes] for n in range(processes)]
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    out = context.Queue()
    workers = [
        context.Process(target=worker, args=(str(path), group, list(sheet.items), start, out, queue))
        for group in groups
    ]
    for process in workers:
        process.start()
    time.sleep(1.0)  # every process imported and connected
    began = time.perf_counter()
    start.set()
    reports = [out.get(timeout=600) for _ in workers]
    wall = time.perf_counter() - began
    for process in workers:
        process.join(60)
        assert process.exitcode == 0, f"a writer failed (exit {process.exitcode})"
    latencies = sorted(x for r in reports for x in r["latencies"])
    committed = [save_id for r in reports for save_id in r["committed"]]
    saves = len(latencies)
    expected_saves = 2 * learners * items
    counts = store.counts()
    conn = store.conn
    per_key_max = conn.execute(
        "SELECT max(n) FROM (SELECT count(*) AS n FROM saves GROUP BY session, sheet, learner, item)"
    ).fetchone()[0]
    stale = conn.execute(
        "SELECT count(*) FROM answers a WHERE a.save_id != (SELECT max(id) FROM saves s WHERE s.session = a.session "
        "AND s.sheet = a.sheet AND s.learner = a.learner AND s.item = a.item)"
    ).fetchone()[0]
    ids_present = conn.execute(
        "SELECT count(*) FROM saves WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(committed),)
    ).fetchone()[0]
    wrong_values = 0
    for learner in names:
        answers = store.answers(SESSION, SHEET, learner)
        wrong_values += sum(1 for item in sheet.items if answers.get(item["id"]) != final_value(item, learner))
    checks = {
        "saves_expected": expected_saves,
        "saves_in_store": counts["saves"],
        "committed_ids_unique": len(set(committed)) == len(committed) == expected_saves,
        "committed_ids_present": ids_present,
        "most_saves_of_one_key": per_key_max,
        "answers_expected": learners * items,
        "answers_in_store": counts["answers"],
        "answers_with_wrong_value": wrong_values,
        "answers_not_at_latest_save": stale,
        "submissions": counts["submissions"],
        "results": counts["results"],
    }
    ok = (
        counts["saves"] == expected_saves
        and checks["committed_ids_unique"]
        and ids_present == expected_saves
        and per_key_max == 2
        and counts["answers"] == learners * items
        and wrong_values == 0
        and stale == 0
        and counts["submissions"] == learners
        and counts["results"] == learners * QUESTIONS
    )
    save_wall = max(r["save_seconds"] for r in reports)
    store.close()
    return {
        "processes": processes,
        "saves": saves,
        "wall_seconds": round(wall, 3),
        "save_phase_seconds": round(save_wall, 3),
        "saves_per_second": round(saves / save_wall, 1),
        "latency_ms": {
            "median": round(1000 * statistics.median(latencies), 2),
            "p95": round(1000 * latencies[int(0.95 * (saves - 1))], 2),
            "p99": round(1000 * latencies[int(0.99 * (saves - 1))], 2),
            "max": round(1000 * latencies[-1], 2),
        },
        "saves_over_100_ms": sum(1 for x in latencies if x > 0.1),
        "saves_over_1_s": sum(1 for x in latencies if x > 1.0),
        "submit_seconds": round(max(r["submit_seconds"] for r in reports), 4),
        "store_bytes": path.stat().st_size,
        "checks": checks,
        "ok": ok,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--processes", type=int, default=8)
    args = parser.parse_args(argv)
    results = {}
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="responses-", dir=out) as tmp:
        many = f"{args.processes} processes"
        runs = ((many, args.processes, True), (f"{many}, no queue", args.processes, False), ("1 process", 1, True))
        for n, (label, processes, queue) in enumerate(runs):
            results[label] = run(Path(tmp) / f"{n}.sqlite", args.learners, args.items, processes, queue)
    print(f"{args.learners} learners x {args.items} items, each saved twice (draft, final), then submitted")
    heads = ("saves", "seconds", "saves/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "submit s")
    print(f"{'':24} " + " ".join(f"{head:>8}" for head in heads) + "  check")
    for label, r in results.items():
        lat = r["latency_ms"]
        cells = (r["saves"], r["save_phase_seconds"], r["saves_per_second"], *lat.values(), r["submit_seconds"])
        print(f"{label:24} " + " ".join(f"{cell:>8}" for cell in cells) + f"  {'OK' if r['ok'] else 'FAILED'}")
    one = results["1 process"]["saves_per_second"]
    for label in (many, f"{many}, no queue"):
        print(f"throughput {label} / 1 process: {results[label]['saves_per_second'] / one:.2f}x")
    for label, r in results.items():
        print(f"{label}: saves over 100 ms: {r['saves_over_100_ms']}, over 1 s: {r['saves_over_1_s']}")
        print(f"{label}: " + ", ".join(f"{k}={v}" for k, v in r["checks"].items()))
    (out / "responses.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0 if all(r["ok"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
