"""A full training room on one machine: many learners answering their quiz pages at once.

Starts ``lianzheng serve quiz --open`` on 127.0.0.1 with a fresh store under bench/out/ (``--servers N``:
N of them on N ports, all on that one store, the learners' pages shared out in turn), then, as a
browser would, for each of ``--learners`` learners:

1. loads the page (``/?learner=learner-0001``; ``--parallel`` loads in flight): Voilà starts the page's
   kernel and runs the prepared copy, which opens the learner's sheet;
2. connects to that kernel over Jupyter's websocket (``/api/kernels/<id>/channels``, the id read from the
   page) and asks for every widget's state as ipywidgets' page manager does (``comm_info_request``, then
   ``request_state`` on each widget's comm), finding the controls by the classes the sheet gives them
   (``lz-item-<id>``, ``lz-submit``, ``lz-confirm``).

Once every page is open (memory measured then: every kernel's RSS, USS and PSS with psutil), all the
learners start answering together: each question in turn (the option a hash of learner and item
picks), with a pause to read and think before each click (0 to twice ``--pause`` seconds at random;
with ``--burst``, every learner clicking at the same moments), as the widget messages a click sends
(``update`` of ``index``, or of a toggle's ``value``), then Submit and Confirm. A save's latency is the
time from sending the click to the kernel's ``idle`` for that message, when the answer is committed to
the store (the kernel saves before it goes idle). Memory is measured
again after submitting. Then the store is read back: every answer sent must be there with the value the
click means, every learner submitted, and ``saves`` holds exactly one row per click (a lost answer is
any of these missing).

Usage: python bench/hall.py [--learners 100] [--questions 10] [--parallel 4] [--pause 3] [--burst] [--servers 1]
(figures go to bench/out/hall.json too; the run stops itself after --limit seconds, 540 by default)
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import websockets

from toolkit.documents.items import item_type
from toolkit.responses.store import ResponseStore

OUT = Path(__file__).resolve().parent / "out"
SESSION = "hall"
SHEET = "quiz"
MIB = 2**20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def css_name(item_id: str) -> str:
    """The class the sheet gives an item's widget (toolkit.widgets.worksheet)."""
    return "lz-item-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in item_id)


def choice(learner: str, item: dict[str, Any]) -> int:
    """Which option (or fixed answer) this learner clicks for this item."""
    kind = item_type(item["type"])
    count = len(item.get("options") or ()) or len(kind.choices)
    return zlib.crc32(f"{learner}/{item['id']}".encode()) % count


def expected(item: dict[str, Any], index: int) -> Any:
    """The value the store must hold once the option ``index`` was clicked (papers not shuffled)."""
    kind = item_type(item["type"])
    if item.get("options"):
        letter = item["options"][index][0]
        return [letter] if kind.widget == "letters" else letter
    return kind.choices[index].value


@dataclass
class Learner:
    """One learner's page: its kernel's websocket and the widgets of its sheet."""

    id: str
    base: str = ""  # the address of the server whose page this is
    kernel: str = ""
    load_s: float = 0.0
    ws: Any = None
    session: str = field(default_factory=lambda: uuid.uuid4().hex)
    waiting: dict[str, asyncio.Future[Any]] = field(default_factory=dict)
    states: dict[str, Any] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    submit_s: float = 0.0
    sent: dict[str, int] = field(default_factory=dict)  # item id -> index clicked
    clicks: int = 0
    failed: str = ""  # why the page did not open the sheet
    errors: list[str] = field(default_factory=list)
    comms: list[str] = field(default_factory=list)

    def message(self, msg_type: str, content: dict[str, Any]) -> tuple[str, str]:
        msg_id = uuid.uuid4().hex
        header = {
            "msg_id": msg_id,
            "msg_type": msg_type,
            "username": self.id,
            "session": self.session,
            "version": "5.3",
            "date": dt.datetime.now(dt.UTC).isoformat(),
        }
        body = {"header": header, "parent_header": {}, "metadata": {}, "content": content, "channel": "shell"}
        return msg_id, json.dumps({**body, "buffers": []})

    async def request(self, msg_type: str, content: dict[str, Any], timeout: float = 60) -> float:
        """Send one shell message; the seconds until the kernel is idle again after handling it."""
        msg_id, text = self.message(msg_type, content)
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.waiting[msg_id] = done
        start = time.perf_counter()
        await self.ws.send(text)
        await asyncio.wait_for(done, timeout)
        return time.perf_counter() - start

    async def listen(self) -> None:
        async for raw in self.ws:
            if isinstance(raw, bytes):
                continue  # buffers: no widget of a sheet has any
            msg = json.loads(raw)
            parent = (msg.get("parent_header") or {}).get("msg_id")
            kind = msg.get("msg_type") or msg["header"]["msg_type"]
            content = msg.get("content") or {}
            data = content.get("data") or {}
            if kind == "comm_msg" and data.get("method") == "update" and "_model_name" in data.get("state", {}):
                self.states[content["comm_id"]] = {"model_name": data["state"]["_model_name"], "state": data["state"]}
            elif kind == "comm_info_reply":
                self.comms = list(content.get("comms", {}))
            elif kind == "error":
                self.errors.append("\n".join(content.get("traceback", []))[-500:])
            elif kind == "status" and content.get("execution_state") == "idle" and parent in self.waiting:
                future = self.waiting.pop(parent)
                if not future.done():
                    future.set_result(None)

    def model(self, css: str) -> tuple[str, dict[str, Any]]:
        for model_id, model in self.states.items():
            if css in model["state"].get("_dom_classes", []):
                return model_id, model
        raise LookupError(f"{self.id}: no widget with class {css}")

    async def update(self, model_id: str, state: dict[str, Any]) -> float:
        data = {"method": "update", "state": state, "buffer_paths": []}
        self.clicks += 1
        return await self.request("comm_msg", {"comm_id": model_id, "data": data})

    async def click(self, css: str) -> float:
        model_id, _ = self.model(css)
        return await self.request(
            "comm_msg", {"comm_id": model_id, "data": {"method": "custom", "content": {"event": "click"}}}
        )


async def connect(learner: Learner, base: str) -> None:
    url = f"{base.replace('http', 'ws', 1)}/api/kernels/{learner.kernel}/channels?session_id={learner.session}"
    learner.ws = await websockets.connect(url, max_size=2**24, open_timeout=60, ping_interval=None)
    asyncio.get_running_loop().create_task(learner.listen())
    # As ipywidgets' own manager does: the kernel's widget comms, then the state of each.
    await learner.request("comm_info_request", {"target_name": "jupyter.widget"})
    for _ in range(200):  # the reply comes on the shell channel, which may lag behind the idle on iopub
        if learner.comms:
            break
        await asyncio.sleep(0.05)
    for comm in learner.comms:
        await learner.request("comm_msg", {"comm_id": comm, "data": {"method": "request_state"}})
    for _ in range(200):
        if learner.comms and len(learner.states) == len(learner.comms):
            return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"{learner.id}: no widget states")


async def answer(learner: Learner, items: list[dict[str, Any]], args: argparse.Namespace, start: asyncio.Event) -> None:
    """Answer every question, then Submit and Confirm; between clicks a learner reads and thinks.

    Thinking takes from 0 to twice ``--pause`` seconds (drawn from the learner's own seeded generator, so
    the same run clicks at the same moments), before the first click too; with ``--burst`` every learner
    clicks at the same moment, ``--pause`` apart, the worst case.
    """
    think = random.Random(zlib.crc32(learner.id.encode()))

    def pause() -> float:
        return args.pause if args.burst else think.uniform(0, 2 * args.pause)

    await start.wait()
    if not args.burst:
        await asyncio.sleep(pause())
    for item in items:
        index = choice(learner.id, item)
        model_id, model = learner.model(css_name(item["id"]))
        if model["model_name"] == "HBoxModel":  # a multiple-choice question: one toggle a letter
            toggle = model["state"]["children"][index].removeprefix("IPY_MODEL_")
            learner.latencies.append(await learner.update(toggle, {"value": True}))
        else:
            learner.latencies.append(await learner.update(model_id, {"index": index}))
        learner.sent[item["id"]] = index
        await asyncio.sleep(pause())
    await learner.click("lz-submit")  # asks to confirm
    learner.submit_s = await learner.click("lz-confirm")


def memory(servers: list[subprocess.Popen[Any]]) -> dict[str, float]:
    voilas = [psutil.Process(server.pid) for server in servers]
    kernels = [p for voila in voilas for p in voila.children(recursive=True) if "kernel" in " ".join(p.cmdline())]
    seen = [p.memory_full_info() for p in kernels]
    return {
        "kernels": len(kernels),
        "rss_mb": round(statistics.median(m.rss for m in seen) / MIB, 1),
        "uss_mb": round(statistics.median(m.uss for m in seen) / MIB, 1),
        "pss_mb": round(statistics.median(m.pss for m in seen) / MIB, 1),
        "all_kernels_pss_gb": round(sum(m.pss for m in seen) / 2**30, 2),
        "server_rss_mb": round(max(voila.memory_info().rss for voila in voilas) / MIB, 1),  # the largest
    }


def cpu_seconds(servers: list[subprocess.Popen[Any]]) -> tuple[float, float]:
    """CPU time (user + system) so far of the Voilà servers together, and of all their kernels together."""
    own = kernels = 0.0
    for server in servers:
        voila = psutil.Process(server.pid)
        times = voila.cpu_times()
        own += times.user + times.system
        for process in voila.children(recursive=True):
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            kernels += times.user + times.system
    return own, kernels


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def lost_answers(store: Path, learners: list[Learner], items: list[dict[str, Any]]) -> dict[str, int]:
    """What the store lacks of what the learners sent, read back from SQLite."""
    reader = ResponseStore(store)
    by_id = {item["id"]: item for item in items}
    wrong = missing = unsubmitted = 0
    for learner in learners:
        held = reader.answers(SESSION, SHEET, learner.id)
        for item_id, index in learner.sent.items():
            if item_id not in held:
                missing += 1
            elif held[item_id] != expected(by_id[item_id], index):
                wrong += 1
        if reader.submission(SESSION, SHEET, learner.id) is None:
            unsubmitted += 1
    saves = reader.conn.execute("SELECT count(*) FROM saves WHERE session = ?", (SESSION,)).fetchone()[0]
    clicks = sum(learner.clicks for learner in learners)
    return {"missing": missing, "wrong": wrong, "unsubmitted": unsubmitted, "saves": saves, "clicks": clicks}


async def run(
    args: argparse.Namespace, bases: list[str], servers: list[subprocess.Popen[Any]], store: Path
) -> dict[str, Any]:
    learners = [Learner(f"learner-{n:04d}", base=bases[n % len(bases)]) for n in range(1, args.learners + 1)]
    loads = asyncio.Semaphore(args.parallel)

    def load(learner: Learner) -> None:
        start = time.perf_counter()
        with urllib.request.urlopen(f"{learner.base}/?learner={learner.id}", timeout=300) as response:
            page = response.read().decode("utf-8")
        learner.load_s = time.perf_counter() - start
        found = re.search(r'"kernelId": "([0-9a-f-]+)"', page)
        if not found or "application/vnd.jupyter.widget-view+json" not in page:
            raise RuntimeError(f"{learner.id}: the page shows no sheet")
        learner.kernel = found.group(1)

    async def open_page(learner: Learner) -> None:
        try:
            async with loads:
                await asyncio.to_thread(load, learner)
            await connect(learner, learner.base)
        except (OSError, RuntimeError, TimeoutError) as exc:
            learner.failed = str(exc) or type(exc).__name__

    started = time.perf_counter()
    await asyncio.gather(*(open_page(learner) for learner in learners))
    opened_s = time.perf_counter() - started
    failed = [learner for learner in learners if learner.failed]
    learners = [learner for learner in learners if not learner.failed]
    loaded = memory(servers)
    items = list(ResponseStore(store).sheet(SESSION, SHEET).items)
    start = asyncio.Event()
    tasks = [asyncio.create_task(answer(learner, items, args, start)) for learner in learners]
    cpu_before = cpu_seconds(servers)
    started = time.perf_counter()
    start.set()
    await asyncio.gather(*tasks)
    answered_s = time.perf_counter() - started
    cpu_after = cpu_seconds(servers)
    clicks = sum(learner.clicks for learner in learners) + 2 * len(learners)
    submitted = memory(servers)
    for learner in learners:
        await learner.ws.close()
    latencies = [s for learner in learners for s in learner.latencies]
    submits = [learner.submit_s for learner in learners]
    return {
        "learners": args.learners,
        "servers": len(servers),
        "clicking": f"all at once every {args.pause} s" if args.burst else f"0 to {2 * args.pause} s apart, at random",
        "questions": len(items),
        "pages_opened_in_s": round(opened_s, 1),
        "pages_failed": len(failed),
        "pages_failed_why": sorted({learner.failed for learner in failed})[:5],
        "page_load_median_s": round(statistics.median(learner.load_s for learner in learners), 2),
        "page_load_worst_s": round(max(learner.load_s for learner in learners), 2),
        "memory_after_load": loaded,
        "memory_after_submit": submitted,
        "answering_took_s": round(answered_s, 1),
        # CPU spent while answering, per message a click sent (answers, Submit, Confirm)
        "server_cpu_ms_per_click": round(1000 * (cpu_after[0] - cpu_before[0]) / clicks, 2),
        "kernels_cpu_ms_per_click": round(1000 * (cpu_after[1] - cpu_before[1]) / clicks, 2),
        "saves": len(latencies),
        "save_median_ms": round(1000 * statistics.median(latencies), 1),
        "save_p99_ms": round(1000 * percentile(latencies, 0.99), 1),
        "save_worst_ms": round(1000 * max(latencies), 1),
        "submit_median_ms": round(1000 * statistics.median(submits), 1),
        "submit_worst_ms": round(1000 * max(submits), 1),
        "kernel_errors": sum(len(learner.errors) for learner in learners),
        "lost": lost_answers(store, learners, items),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--learners", type=int, default=100, help="learners at once (default 100)")
    parser.add_argument("--questions", type=int, default=10, help="questions on the quiz (default 10)")
    parser.add_argument("--parallel", type=int, default=4, help="page loads in flight (default 4)")
    parser.add_argument("--pause", type=float, default=3, help="mean seconds between a learner's clicks (default 3)")
    parser.add_argument("--burst", action="store_true", help="every learner clicks at the same moments")
    parser.add_argument("--limit", type=float, default=540, help="stop after this many seconds (default 540)")
    parser.add_argument("--servers", type=int, default=1, help="serve processes on the one store (default 1)")
    parser.add_argument("--out", type=Path, default=OUT, help="folder of the store and the figures")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    store = args.out / "hall.sqlite"
    for suffix in ("", "-wal", "-shm", "-lock"):
        Path(f"{store}{suffix}").unlink(missing_ok=True)
    servers: list[subprocess.Popen[Any]] = []
    bases: list[str] = []
    logs = []
    try:
        for number in range(args.servers):  # one after the other: the first creates the store
            port = free_port()
            command = [sys.executable, "-c", "import sys; from toolkit.cli import main; sys.exit(main())"]
            command += ["serve", SHEET, "--store", str(store), "--session", SESSION, "--open", "--port", str(port)]
            command += ["--key", "submission", "--questions", str(args.questions), "--date", "2026-12-01"]
            command += ["--dir", str(args.out / ("hall" if number == 0 else f"hall-{number}"))]
            log_path = args.out / ("hall.log" if number == 0 else f"hall-{number}.log")
            logs.append(log_path.open("w"))
            servers.append(subprocess.Popen(command, stdout=logs[-1], stderr=subprocess.STDOUT, start_new_session=True))
            bases.append(f"http://127.0.0.1:{port}")
            deadline = time.monotonic() + 120
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if servers[-1].poll() is not None or time.monotonic() > deadline:
                        raise SystemExit(f"serve did not start; see {log_path}") from None
                    time.sleep(0.3)
        figures = asyncio.run(asyncio.wait_for(run(args, bases, servers, store), args.limit))
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
        for server in servers:
            try:
                server.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        for log in logs:
            log.close()
    (args.out / "hall.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    lost = figures["lost"]
    ok = lost["missing"] == lost["wrong"] == lost["unsubmitted"] == 0 and lost["saves"] == lost["clicks"]
    return 0 if ok and not figures["kernel_errors"] and not figures["pages_failed"] else 1


if __name__ == "__main__":
    sys.exit(main())
