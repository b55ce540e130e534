"""The ``lianzheng`` command: thin wrappers that parse arguments, call the toolkit, and report.

A :class:`~toolkit.errors.ToolkitError` becomes one line on stderr and exit status 2; problems
found in a library are listed one per line as ``path:line: message`` and give exit status 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from toolkit.errors import ToolkitError
from toolkit.library import read_library
from toolkit.library.check import suggest
from toolkit.library.load import KINDS
from toolkit.library.stats import format_stats, library_stats
from toolkit.paths import default_library


def _library_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "library",
        nargs="?",
        type=Path,
        default=None,
        help="library folder (default: $LIANZHENG_LIBRARY, else ./casebook, else the bundled library)",
    )


def _report_problems(problems: Sequence[object], library: Path) -> None:
    for problem in problems:
        print(problem)
    files = len({getattr(problem, "path", "") for problem in problems})
    count = len(problems)
    print(f"{library}: {count} problem{'s' * (count != 1)} in {files} file{'s' * (files != 1)}", file=sys.stderr)


def cmd_check(args: argparse.Namespace) -> int:
    path = args.library or default_library()
    library, problems = read_library(path)
    if args.json:
        counts = {kind.name: len(getattr(library, kind.name)) for kind in KINDS} if library else {}
        report = {
            "library": str(path),
            "version": library.version if library else None,
            "ok": not problems and library is not None,
            "checked": counts,
            "problems": [{"path": p.path, "line": p.line, "message": p.message} for p in problems],
        }
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0 if report["ok"] else 1
    if problems or library is None:
        _report_problems(problems, path)
        return 1
    tax = library.taxonomy
    print(
        f"{path}: OK, {len(library.cases)} cases, {len(library.themes)} themes, {len(library.questions)} questions, "
        f"{len(library.prompts)} prompts and {len(library.messages)} messages checked against "
        f"{len(tax.audiences)} audiences, {len(tax.disciplines)} disciplines, {len(tax.types)} violation types, "
        f"{len(tax.risk_posts)} risk posts and {len(tax.occasions)} occasions (library version {library.version})"
    )
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    path = args.library or default_library()
    library, problems = read_library(path)
    if problems or library is None:
        _report_problems(problems, path)
        print(f"run 'lianzheng check {path}' and fix the problems first", file=sys.stderr)
        return 1
    if args.lang not in library.taxonomy.languages:
        print(f"lianzheng: {suggest(args.lang, library.taxonomy.languages, 'language')}", file=sys.stderr)
        return 2
    stats = library_stats(library)
    if args.json:
        print(json.dumps(stats, ensure_ascii=False, indent=2))
    else:
        print(format_stats(stats, library, args.lang))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lianzheng", description="Integrity-education material from a case library.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser(
        "check",
        help="check a library and report every problem",
        description="Check a library and report every problem as path:line: message.",
    )
    _library_arg(check)
    check.add_argument("--json", action="store_true", help="print the result as JSON (for editors and CI)")
    check.set_defaults(run=cmd_check)

    stats = commands.add_parser(
        "stats",
        help="count cases by kind, discipline, audience, risk post and occasion",
        description="Count what a library holds.",
    )
    _library_arg(stats)
    stats.add_argument("--json", action="store_true", help="print the stable JSON form (see docs/stats.md)")
    stats.add_argument("--lang", default="en", help="language of the labels: en or zh-CN (default en)")
    stats.set_defaults(run=cmd_stats)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except ToolkitError as exc:
        print(f"lianzheng: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
