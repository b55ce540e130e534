"""Kill ``lianzheng build`` with SIGKILL once its warm kernels run; count what of its process tree lives on.

Each trial starts a real build (the bundled library, every audience, outline and casebook in HTML) as
a subprocess, follows its descendants in ``/proc`` until kernels (``ipykernel_launcher``, or forks named
``ipykernel``) are running,
sends SIGKILL to the builder alone, and after 1 s counts the processes of the tree still alive (a
zombie, dead and waiting to be reaped, does not count). Survivors are then killed by their ids.

Usage: python bench/killed_build.py [--trials 10] [--jobs 2]     (Linux only)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _children() -> dict[int, list[int]]:
    """Every process's children, by parent id, read from /proc."""
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def _descendants(pid: int) -> set[int]:
    tree = _children()
    found: set[int] = set()
    stack = [pid]
    while stack:
        for child in tree.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def is_kernel(pid: int) -> bool:
    """A kernel: started as ``python -m ipykernel_launcher``, or forked by a pool worker and named ``ipykernel``."""
    if "ipykernel_launcher" in _cmdline(pid):
        return True
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() == "ipykernel"
    except OSError:
        return False


def alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (not gone, not a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@dataclass
class Trial:
    kernels: set[int] = field(default_factory=set)
    workers: set[int] = field(default_factory=set)
    kernels_alive: int = 0
    workers_alive: int = 0


def trial(jobs: int = 2, timeout: float = 60.0, wait_for: int | None = None) -> Trial:
    """One killed build: the kernels and other processes of its tree, and how many live 1 s after."""
    wait_for = wait_for or jobs
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        command = [sys.executable, "-m", "toolkit.cli", "build", "--out", folder, "--quiet", f"--jobs={jobs}"]
        command += ["--documents", "outline,casebook", "--formats", "html"]
        builder = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        result = Trial()
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and builder.poll() is None:
                tree = _descendants(builder.pid)
                kernels = {pid for pid in tree if is_kernel(pid)}
                if len(kernels) >= wait_for:
                    time.sleep(0.3)  # the kernels are busy with jobs
                    break
                time.sleep(0.05)
            tree = _descendants(builder.pid)
            result.kernels = {pid for pid in tree if is_kernel(pid)}
            result.workers = tree - result.kernels
            if builder.poll() is not None:
                raise RuntimeError("the build ended before its kernels were seen")
            builder.send_signal(signal.SIGKILL)
            builder.wait()
            time.sleep(1.0)
            result.kernels_alive = sum(alive(pid) for pid in result.kernels)
            result.workers_alive = sum(alive(pid) for pid in result.workers)
        finally:
            if builder.poll() is None:
                builder.kill()
                builder.wait()
            for pid in result.kernels | result.workers:  # survivors, by their ids
                if alive(pid):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    total_kernels = total_alive = total_workers_alive = 0
    for number in range(1, args.trials + 1):
        result = trial(args.jobs)
        total_kernels += len(result.kernels)
        total_alive += result.kernels_alive
        total_workers_alive += result.workers_alive
        print(
            f"trial {number}: {len(result.kernels)} kernels, {len(result.workers)} other processes; "
            f"alive 1 s after the kill: {result.kernels_alive} kernels, {result.workers_alive} others"
        )
    print(
        f"{args.trials} trials (--jobs {args.jobs}): {total_kernels} kernels seen, {total_alive} alive 1 s after "
        f"the builder was killed; {total_workers_alive} other processes alive"
    )


if __name__ == "__main__":
    main()
