"""Time ``lianzheng build`` of this checkout against another commit, side by side in one run.

A change that should not slow the build (a refactoring, say) is checked here: the other commit is
checked out into a temporary git worktree, and each round builds the same handouts cold, into fresh
folders, first with one tree and then with the other (the order alternating between rounds), both with
this virtual environment's Python and the tree's own ``toolkit`` first on the path. The workload is
``bench/build.py``'s: 6 audiences x casebook (two editions), outline and worksheet in HTML and PDF,
24 jobs. Prints each round, the medians and their ratios, and whether the files are the same bytes.
Besides the wall time it reports the CPU time of the command and its processes (user and system):
on a shared machine the wall time of one build varies by 10% or more between runs, the CPU time
much less, so a change in the work itself shows there first.

Usage: python bench/against.py REV [--rounds N] [--audiences N] [--warmup N]   (figures go to bench/out/against.json)
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "out" / "against.json"
DOCUMENTS = "casebook,outline,worksheet"
FORMATS = "html,pdf"
DATE = "2026-12-01"


def audiences(count: int) -> str:
    sys.path.insert(0, str(ROOT))
    from toolkit import bundled_library, load_library

    return ",".join(audience.id for audience in load_library(bundled_library()).taxonomy.audiences[:count])


def cold_build(tree: Path, out: Path, chosen: str) -> tuple[float, float, float]:
    """One ``lianzheng build`` of ``tree``'s code into the empty folder ``out``: its wall time, and the
    user and system CPU time of the command and the processes it waited for (workers, kernels)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = [sys.executable, "-m", "toolkit.cli", "build", "--library", str(tree / "casebook"), "--out", str(out)]
    command += ["--audience", chosen, "--documents", DOCUMENTS, "--formats", FORMATS, "--date", DATE, "--quiet"]
    if "--print-sizes" in (tree / "toolkit" / "cli.py").read_text(encoding="utf-8"):
        command += ["--print-sizes", "standard"]  # the same 24 jobs in a tree that adds large-print ones
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"build of {tree} failed:\n{done.stdout[-2000:]}{done.stderr[-4000:]}")
    return seconds, after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime


def handouts(folder: Path) -> dict[str, Path]:
    """The handout files of a build (the executed notebooks and the manifest hold paths and keys)."""
    return {
        str(path.relative_to(folder)): path
        for path in folder.rglob("*")
        if path.is_file() and path.suffix not in (".ipynb", ".json")
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", help="the commit to compare with (e.g. main~5 or a hash)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--audiences", type=int, default=6)
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first (disk caches, CPU clocks)")
    args = parser.parse_args()
    chosen = audiences(args.audiences)
    with tempfile.TemporaryDirectory() as folder:
        other = Path(folder) / "other"
        subprocess.run(["git", "worktree", "add", "--detach", str(other), args.rev], cwd=ROOT, check=True)
        try:
            trees = {"this": ROOT, args.rev: other}
            times: dict[str, list[float]] = {name: [] for name in trees}
            user: dict[str, list[float]] = {name: [] for name in trees}
            system: dict[str, list[float]] = {name: [] for name in trees}
            outs: dict[str, Path] = {}
            for round_ in range(-args.warmup, args.rounds):
                order = list(trees) if round_ % 2 == 0 else list(reversed(trees))
                for name in order:
                    out = Path(folder) / f"out-{round_}-{name.replace('/', '_')}"
                    seconds, cpu_user, cpu_system = cold_build(trees[name], out, chosen)
                    if round_ >= 0:
                        times[name].append(seconds)
                        user[name].append(cpu_user)
                        system[name].append(cpu_system)
                    outs[name] = out
                if round_ >= 0:
                    print(f"round {round_ + 1}: " + ", ".join(f"{name} {times[name][-1]:.2f} s" for name in trees))
            mine, theirs = (handouts(outs[name]) for name in trees)
            same = sorted(mine) == sorted(theirs) and all(
                filecmp.cmp(mine[rel], theirs[rel], shallow=False) for rel in mine
            )
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(other)], cwd=ROOT, check=True)
    figures = {"wall": times, "CPU user": user, "CPU system": system}
    medians = {what: {name: statistics.median(values[name]) for name in trees} for what, values in figures.items()}
    for what, median in medians.items():
        ratio = median["this"] / median[args.rev]
        print(f"median {what}: this {median['this']:.2f} s, {args.rev} {median[args.rev]:.2f} s", end="")
        print(f"; this / {args.rev} = {ratio:.3f}")
    print(f"handouts (HTML, PDF) byte-identical: {'yes' if same else 'NO'} ({len(mine)} files)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps({"rev": args.rev, "rounds": figures, "medians": medians, "same": same}, indent=2),
        encoding="utf-8",
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
