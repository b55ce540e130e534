"""Time loading and checking a synthetic library of 5,000 cases (target: under 3 s).

The library is generated from the bundled one: every bundled case is copied under new ids with
varied tags until there are N cases, alongside the bundled taxonomy, themes, questions, prompts
and messages. Side by side in one run:

- read only: reading the files' bytes (the floor for any loader);
- lianzheng: ``read_library`` as shipped: parse + validate + check everything, in a process per CPU;
- the same in one process, to show what the process pool brings;
- the same with PyYAML's pure-Python parser (as ``yaml.safe_load`` without libyaml would be).

Usage: python bench/library_load.py [--cases 5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from toolkit.library import load, parse
from toolkit.paths import bundled_library

TARGET_SECONDS = 3.0


def generate(root: Path, count: int, seed: int = 7) -> None:
    """Write a library of ``count`` cases into ``root``, derived from the bundled library."""
    source = bundled_library()
    shutil.copy(source / "taxonomy.yaml", root / "taxonomy.yaml")
    for folder in ("themes", "questions", "prompts", "messages"):
        shutil.copytree(source / folder, root / folder)
    tax = yaml.safe_load((source / "taxonomy.yaml").read_text(encoding="utf-8"))
    audiences = [a["id"] for a in tax["audiences"]]
    occasions = [o["id"] for o in tax["occasions"]]
    templates = sorted((source / "cases").glob("*.md"))
    texts = [path.read_text(encoding="utf-8") for path in templates]
    rng = random.Random(seed)
    (root / "cases").mkdir()
    for number in range(count):
        index = number % len(texts)
        original = templates[index].stem
        text = texts[index]
        new_id = f"{original}-{number:05d}" if number >= len(texts) else original
        if new_id != original:
            text = text.replace(f"id: {original}\n", f"id: {new_id}\n", 1)
            picked = ", ".join(rng.sample(audiences, rng.randint(1, 4)))
            text = _replace_line(text, "audiences:", f"audiences: [{picked}]")
            text = _replace_line(text, "occasions:", f"occasions: [{rng.choice(occasions)}]")
        folder = root / "cases" / f"batch-{number // 500:02d}"
        folder.mkdir(exist_ok=True)
        (folder / f"{new_id}.md").write_text(text, encoding="utf-8")


def _replace_line(text: str, prefix: str, new: str) -> str:
    lines = text.split("\n")
    for number, line in enumerate(lines):
        if line.startswith(prefix):
            lines[number] = new
            return "\n".join(lines)
        if number > 0 and line == "---":
            break
    return text


def read_only(root: Path) -> int:
    return sum(len(path.read_bytes()) for path in root.rglob("*") if path.is_file())


def check_all(root: Path, workers: int | None = None) -> int:
    library, problems = load.read_library(root, workers=workers)
    assert library is not None and not problems, problems[:3]
    return len(library.cases)


def check_one_process(root: Path) -> int:
    return check_all(root, workers=1)


def whole_command(root: Path) -> int:
    """``lianzheng check`` as a user runs it: a new process, imports included."""
    command = [str(Path(sys.executable).parent / "lianzheng"), "check", str(root)]
    subprocess.run(command, check=True, capture_output=True)
    return 0


def timed(function: Callable[[Path], int], root: Path, repeat: int) -> tuple[float, int]:
    times = []
    result = 0
    for _ in range(repeat):
        start = time.perf_counter()
        result = function(root)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root, args.cases)
        files = sum(1 for path in root.rglob("*") if path.is_file())
        megabytes = read_only(root) / 1e6
        print(f"synthetic library: {args.cases} cases, {files} files, {megabytes:.1f} MB")

        floor, _ = timed(read_only, root, args.repeat)
        fast, count = timed(check_all, root, args.repeat)
        assert count == args.cases
        serial, _ = timed(check_one_process, root, args.repeat)
        command, _ = timed(whole_command, root, args.repeat)
        shipped_loader = parse.Loader

        class PureLoader(yaml.SafeLoader):
            yaml_implicit_resolvers = shipped_loader.yaml_implicit_resolvers

        parse.Loader = PureLoader  # type: ignore[misc,assignment]
        try:
            slow, _ = timed(check_all, root, args.repeat)
        finally:
            parse.Loader = shipped_loader  # type: ignore[misc]

    print(f"{'what':<34}{'seconds':>9}{'per case':>11}{'ratio':>9}")
    for name, seconds in (
        ("read only (floor)", floor),
        ("lianzheng load + check", fast),
        ("same, in one process", serial),
        ("'lianzheng check' command, whole", command),
        ("same, pure-Python YAML parser", slow),
    ):
        print(f"{name:<34}{seconds:>9.3f}{seconds / args.cases * 1e3:>9.3f}ms{seconds / fast:>8.2f}x")
    verdict = "meets" if fast < TARGET_SECONDS else "MISSES"
    headroom = TARGET_SECONDS / fast
    print(f"target: load + check under {TARGET_SECONDS:.0f} s -> {fast:.2f} s, {verdict} it ({headroom:.1f}x headroom)")


if __name__ == "__main__":
    main()
