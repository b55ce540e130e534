"""The ``lianzheng`` command: thin wrappers that parse arguments, call the toolkit, and report.

A :class:`~toolkit.errors.ToolkitError` becomes one line on stderr and exit status 2; problems
found in a library are listed one per line as ``path:line: message`` and give exit status 1.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from toolkit.errors import CorruptStoreError, OutputError, Problem, SpecError, ToolkitError, requires_extra
from toolkit.i18n import LANGUAGES
from toolkit.library import read_library
from toolkit.library.check import library_warnings, suggest
from toolkit.library.load import KINDS
from toolkit.library.stats import format_stats, library_stats
from toolkit.paths import default_library

if TYPE_CHECKING:
    from toolkit.contest import ContestRoom
    from toolkit.library.catalog import Library
    from toolkit.serve import Served


class _Parser(argparse.ArgumentParser):
    """The command's argument parser: a usage error is one line, as every other error of the command."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see '{self.prog} --help')\n")


# Flag types: each refuses what would otherwise be taken silently (an empty value read as "the
# default" or "everything", a count below 1, a port out of range) in one line. A document's parameters
# (--seed, --questions, --pass-mark, --date...) are checked by the documents' own table instead.


def _path(value: str) -> Path:
    if not value.strip():
        raise argparse.ArgumentTypeError("an empty path names no file or folder")
    return Path(value)


def _text(value: str) -> str:
    if not value.strip():
        raise argparse.ArgumentTypeError("an empty value")
    return value


def _items(value: str) -> str:
    """A comma-separated list of at least one item, given back as 'a,b'."""
    items = _csv(value)
    if not items:
        raise argparse.ArgumentTypeError(f"no item in '{value}': give one or more, comma-separated")
    return ",".join(items)


def _whole(value: str, low: int, high: int | None = None) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a whole number") from None
    if number < low or (high is not None and number > high):
        valid = f"from {low} to {high}" if high is not None else f"{low} or more"
        raise argparse.ArgumentTypeError(f"{number} is out of range; valid: {valid}")
    return number


def _count(value: str) -> int:
    return _whole(value, 1)


def _port(value: str) -> int:
    return _whole(value, 1, 65535)


_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def _address(value: str) -> str:
    """An IP address (v4 or v6) or a host name (RFC 1123 labels)."""
    try:
        ipaddress.ip_address(value)
        return value
    except ValueError:
        pass
    name = value[:-1] if value.endswith(".") else value
    if (
        name
        and len(name) <= 253
        and not name.replace(".", "").isdigit()
        and all(_HOST_LABEL.match(label) for label in name.split("."))
    ):
        return value
    raise argparse.ArgumentTypeError(f"'{value}' is neither an IP address nor a host name")


def _library_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "library",
        nargs="?",
        type=_path,
        default=None,
        help="library folder (default: $LIANZHENG_LIBRARY, else ./casebook, else the bundled library)",
    )


def _report_problems(problems: Sequence[object], library: Path) -> None:
    for problem in problems:
        print(problem)
    files = len({getattr(problem, "path", "") for problem in problems})
    count = len(problems)
    print(f"{library}: {_counted(count, 'problem')} in {_counted(files, 'file')}", file=sys.stderr)


def cmd_check(args: argparse.Namespace) -> int:
    path = args.library or default_library()
    library, problems = read_library(path)
    warnings = library_warnings(library) if library is not None and not problems else []
    if args.json:
        counts = {kind.name: len(getattr(library, kind.name)) for kind in KINDS} if library else {}
        report = {
            "library": str(path),
            "version": library.version if library else None,
            "ok": not problems and library is not None,
            "checked": counts,
            "problems": [{"path": p.path, "line": p.line, "message": p.message} for p in problems],
            "warnings": [{"path": p.path, "line": p.line, "message": p.message} for p in warnings],
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
        f"{len(tax.risk_posts)} risk posts and {len(tax.occasions)} occasions, in {' and '.join(library.languages)} "
        f"(library version {library.version})"
    )
    for warning in warnings:
        print(f"{warning.path}: warning: {warning.message}")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    path = args.library or default_library()
    library, problems = read_library(path)
    if problems or library is None:
        _report_problems(problems, path)
        print(f"run 'lianzheng check {path}' and fix the problems first", file=sys.stderr)
        return 1
    # Labels: the taxonomy's, in any language the toolkit speaks (a one-language library keeps its
    # taxonomy's labels in the others).
    labels = [*library.taxonomy.languages, *(lang for lang in LANGUAGES if lang not in library.taxonomy.languages)]
    if args.lang not in labels:
        print(f"lianzheng: {suggest(args.lang, labels, 'language')}", file=sys.stderr)
        return 2
    stats = library_stats(library)
    if args.json:
        print(json.dumps(stats, ensure_ascii=False, indent=2))
    else:
        print(format_stats(stats, library, args.lang))
    return 0


def _csv(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def cmd_build(args: argparse.Namespace) -> int:
    import time

    from toolkit.batch import Interrupted, build
    from toolkit.batch.spec import Overrides, default_spec, load_spec
    from toolkit.errors import LibraryError
    from toolkit.library.load import load_library

    started = time.perf_counter()
    overrides = Overrides(
        audiences=_csv(args.audience) if args.audience is not None else None,
        documents=_csv(args.documents) if args.documents is not None else None,
        formats=_csv(args.formats) if args.formats is not None else None,
        print_sizes=_csv(args.print_sizes) if args.print_sizes is not None else None,
        seed=args.seed,
        lang=_csv(args.lang) if args.lang else None,
        date=args.date,
    )

    def library_for(path: Path | None) -> Library:
        return load_library(args.library or path or default_library())

    try:
        if args.spec is not None:
            _spec_file(args.spec)
            spec, library = load_spec(args.spec, library_for, overrides)
        else:
            library = load_library(args.library or default_library())
            spec = default_spec(library, overrides)
    except LibraryError as exc:
        if len(exc.problems) > 1:
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            print(f"lianzheng: {len(exc.problems)} problems; nothing was built", file=sys.stderr)
            return 2
        raise
    out = args.out or spec.out or Path("handouts")
    try:
        report = build(spec, library, out, jobs=args.jobs, force=args.force, progress=not args.quiet)
    except Interrupted as stop:
        print(
            f"lianzheng: interrupted; {len(stop.finished)} handouts finished and recorded, none left "
            "half-written; run the same command again to build the rest",
            file=sys.stderr,
        )
        return 130
    for result in report.failed:
        where = f"{result.job.notebook.name} cell {result.cell}: " if result.cell is not None else ""
        print(f"failed: {result.job.id}: {where}{result.error}", file=sys.stderr)
    counts = report.counts()
    print(
        f"{counts['built']} built, {counts['cached']} unchanged, {counts['failed']} failed "
        f"in {time.perf_counter() - started:.1f} s; index: {report.out / 'index.html'}"
    )
    return 1 if counts["failed"] else 0


def _spec_file(path: Path) -> None:
    """Refuse a spec path that is not a file before it is opened (a FIFO would block the build)."""
    if path.exists() and not path.is_file():
        kind = "a folder" if path.is_dir() else "not a regular file"
        raise SpecError([Problem(str(path), None, f"a build spec is a YAML file; this is {kind}")])


def _not_a_folder(path: Path, what: str) -> None:
    if path.is_dir():
        raise OutputError(path, f"is a folder; give the {what}")


def cmd_report(args: argparse.Namespace) -> int:
    """The trainer report, a one-job batch: the store read once first, so that a missing or empty store
    is one line before a kernel starts."""
    from toolkit.batch import build_file, check_target, file_format, kernels
    from toolkit.documents import check_parameters
    from toolkit.documents.report import store_counts
    from toolkit.library.load import load_library
    from toolkit.responses.schema import open_store
    from toolkit.version import toolkit_version

    open_store(args.store).close()  # read-only; one line if it is not a store, or newer than this code reads
    values = {"store": str(args.store.resolve()), "edition": "named" if args.show_names else "aggregate"}
    for name in ("session", "audience", "sheet", "lang", "date", "title", "unit"):
        if getattr(args, name) is not None:
            values[name] = getattr(args, name)
    _not_a_folder(args.store, "response store's file")
    library = load_library(args.library or default_library())
    file_format("report", args.out)
    check_target(args.out)
    params = check_parameters("report", values, library)
    counts = store_counts(params)
    try:
        build_file("report", params, library, args.out)
    finally:
        kernels.close_pool()
    listed = ", ".join(f"{count} {name}" for name, count in counts.items())
    print(f"{args.out}: trainer report of {params['store']} ({listed}), {params['date']}, ", end="")
    print(f"Lianzheng {toolkit_version()}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:

    if args.documents == "test":  # the pre-appointment test: a paper of its own for each candidate
        return cmd_serve_test(args)
    if args.documents is not None and "test" in _csv(args.documents):
        from toolkit.errors import ParameterError

        raise ParameterError(
            "'test' is served alone, not with other sheets: lianzheng serve test --store ... --session ..."
        )
    from toolkit.documents import check_learner_parameters, check_parameters, document_kind, learner_sheets
    from toolkit.documents.params import INTERACTIVE
    from toolkit.library.load import load_library
    from toolkit.serve import serve_plan

    if not args.dry_run:
        with requires_extra("serve"):  # before anything is prepared: Voila is what would serve it
            import voila  # noqa: F401
    documents = _csv(args.documents) if args.documents is not None else list(learner_sheets())
    _not_a_folder(args.store, "response store's file")
    if args.dir is not None and args.dir.exists() and not args.dir.is_dir():
        raise OutputError(args.dir, "is not a folder; give the folder for the prepared notebooks")
    values = {
        name: getattr(args, name)
        for name in ("audience", "lang", "seed", "date", "unit", "questions")
        if getattr(args, name) is not None
    }
    library = load_library(args.library or default_library())
    for name in documents:  # every value checked before the store is created or the notebooks written
        kind = document_kind(name)
        if kind.interactive:
            accepted = {param.name for param in kind.params}
            chosen = {key: value for key, value in values.items() if key in accepted}
            check_parameters(name, {**chosen, "edition": INTERACTIVE}, library)
            check_learner_parameters(name, INTERACTIVE, {"pass_mark": args.pass_mark}, library)
    plan = serve_plan(
        documents,
        values,
        library,
        store=args.store,
        session=args.session,
        folder=args.dir,
        pass_mark=args.pass_mark,
        port=args.port,
        ip=args.ip,
        key_shown=args.key,
        shuffle=args.shuffle,
        open_session=args.open,
    )
    print(f"answers go to {args.store.resolve()} (session {args.session}); prepared: {plan.root}")
    access = "any learner id (open session)" if args.open else "each learner's own link (?pass=...)"
    for url in plan.urls:
        print(f"open: {url}   with {access}")
    key = "when the trainer releases it (lianzheng release)" if args.key == "release" else "on submitting"
    print(f"key and explanations shown {key}; papers {'shuffled per learner' if args.shuffle else 'in one order'}")
    return _run_voila(plan, args.dry_run)


def _run_voila(plan: Served, dry_run: bool) -> int:
    """Print the Voilà command of a served plan, then become it (unless ``dry_run``)."""
    print("voila: " + " ".join(plan.command))
    if dry_run:
        return 0
    sys.stdout.flush()
    os.execve(plan.command[0], list(plan.command), {**os.environ, **dict(plan.env)})
    return 0  # pragma: no cover - execv does not return


# -- the pre-appointment test (lianzheng serve test, lianzheng test-papers) ------------------------------------


def cmd_serve_test(args: argparse.Namespace) -> int:
    from toolkit.errors import ResponseError
    from toolkit.library.load import load_library
    from toolkit.responses.pretest import DEFAULT_MINUTES, DEFAULT_QUESTIONS
    from toolkit.serve import pretest_plan

    if args.open:
        raise ResponseError("--open is not for a test: candidates sit it only from their own links (?pass=...)")
    if args.shuffle or args.key != "release":
        raise ResponseError(
            "--shuffle and --key are not for a test: each paper is drawn and shuffled for its candidate"
        )
    if args.lang is not None and args.lang not in LANGUAGES:
        raise ResponseError(f"language '{args.lang}' is not valid; valid: {', '.join(LANGUAGES)}", "lang")
    if not 0 <= args.pass_mark <= 100:
        raise ResponseError(f"--pass-mark {args.pass_mark} is not valid; valid: a whole percent from 0 to 100")
    if not args.dry_run:
        with requires_extra("serve"):
            import voila  # noqa: F401
    _not_a_folder(args.store, "response store's file")
    if args.dir is not None and args.dir.exists() and not args.dir.is_dir():
        raise OutputError(args.dir, "is not a folder; give the folder for the prepared notebook")
    library = load_library(args.library or default_library())
    plan = pretest_plan(
        library,
        store=args.store,
        session=args.session,
        audience=args.audience or "newly-promoted",
        lang=args.lang or "en",
        questions=args.questions,
        minutes=args.minutes,
        pass_mark=args.pass_mark,
        seed=1 if args.seed is None else args.seed,
        params={"unit": args.unit or "", "date": args.date or ""},
        folder=args.dir,
        port=args.port,
        ip=args.ip,
    )
    questions = DEFAULT_QUESTIONS if args.questions is None else args.questions
    minutes = DEFAULT_MINUTES if args.minutes is None else args.minutes
    print(
        f"test of session {args.session}: {questions} questions per paper, {minutes} minutes by the server's clock, ",
        end="",
    )
    print(f"pass mark {args.pass_mark}%, one re-sit; attempts go to {args.store.resolve()}; prepared: {plan.root}")
    for url in plan.urls:
        print(f"open: {url}   with each candidate's own link (?pass=...)")
    return _run_voila(plan, args.dry_run)


def cmd_test_papers(args: argparse.Namespace) -> int:
    from toolkit.library.load import load_library
    from toolkit.responses.printing import numbered, write_papers
    from toolkit.responses.roster import read_roster

    candidates = read_roster(args.candidates) if args.candidates is not None else numbered(args.count)
    library = load_library(args.library or default_library())
    printed = write_papers(
        library,
        candidates,
        args.out,
        audience=args.audience,
        lang=args.lang,
        questions=args.questions,
        session=args.session,
        seed=args.seed,
        date=args.date or "",
        unit=args.unit or "",
    )
    print(
        f"{args.out}: {_counted(len(printed), 'paper')} of {args.questions} questions and a key for each ({args.lang})"
    )
    return 0


def _test_papers_parser(commands: argparse._SubParsersAction[_Parser]) -> None:
    papers = commands.add_parser(
        "test-papers",
        help="print the pre-appointment test: one PDF paper per candidate and a PDF key per paper",
        description="Draw each candidate's paper as 'lianzheng serve test' draws their first attempt (stratified "
        "by discipline and difficulty, from the questions suited to the audience) and write <id>.pdf and "
        "<id>.key.pdf for a sitting without computers. The same options give the same files.",
    )
    who = papers.add_mutually_exclusive_group(required=True)
    who.add_argument("--candidates", type=_path, help="the candidates: a roster FILE.csv or FILE.xlsx (id, name)")
    who.add_argument("--count", type=_count, help="this many unnamed papers, paper-001, paper-002, ...")
    papers.add_argument(
        "--audience", type=_text, default="newly-promoted", help="audience id (default: newly-promoted)"
    )
    papers.add_argument("--out", type=_path, required=True, help="the folder the PDFs go to")
    papers.add_argument("--lang", default="en", choices=LANGUAGES, help="language of the papers (default: en)")
    papers.add_argument("--questions", type=_count, default=40, help="questions per paper (default: 40)")
    papers.add_argument("--session", type=_text, default="print", help="the session the draw is seeded with")
    papers.add_argument("--seed", type=int, default=1, help="seed of the draw (default: 1)")
    papers.add_argument("--date", type=_text, help="date printed on the papers, YYYY-MM-DD (default: today)")
    papers.add_argument("--unit", type=_text, help="the organisation giving the test, shown on the cover")
    papers.add_argument("--library", type=_path, help="library folder (default: as for 'check')")
    papers.set_defaults(run=cmd_test_papers)


# -- end of the pre-appointment test -------------------------------------------------------------------------

# --- the knowledge contest (lianzheng contest) ---------------------------------------------------------


def _stakes(value: str) -> tuple[int, ...]:
    """Comma-separated whole numbers, e.g. 10,20,30."""
    return tuple(_whole(item, 1, 1000) for item in _items(value).split(","))


def contest_room(args: argparse.Namespace) -> ContestRoom:
    """The contest room of ``lianzheng contest``'s arguments: every value checked, the store opened, the
    teams set up when given, otherwise the session's unfinished contest carried on (nothing listens yet)."""
    from toolkit.contest import ContestRoom, Plan, Points, Settings
    from toolkit.documents import check_parameters
    from toolkit.errors import ParameterError
    from toolkit.library.load import load_library
    from toolkit.responses.store import check_id

    _not_a_folder(args.store, "response store's file")
    check_id(args.session, "session")
    library = load_library(args.library or default_library())
    values = {name: getattr(args, name) for name in ("audience", "lang", "seed") if getattr(args, name) is not None}
    try:  # the quiz's own checks of audience, language and seed, said of the contest
        checked = check_parameters("quiz", values, library)
    except ParameterError as exc:
        said = re.sub(r"^quiz parameters: parameter '(\w+)'", r"--\1", str(exc))
        raise ParameterError(said, exc.name) from None
    points = Points(required=args.points, buzzer=args.points, buzzer_wrong=args.points, stakes=args.stakes)
    settings = Settings(
        session=args.session,
        audience=checked["audience"],
        lang=checked["lang"],
        seed=checked["seed"],
        title=args.title or "",
        plan=Plan(required=args.required, buzzer=args.buzzer, risk=args.risk),
        points=points,
        seconds=args.seconds,
        answer_seconds=args.answer_seconds,
    )
    if args.teams is not None:  # refused before the store is made
        from toolkit.contest.draw import check_teams

        check_teams(_csv(args.teams))
    room = ContestRoom(library, args.store.resolve(), settings)
    try:
        if args.teams is not None:
            room.setup(_csv(args.teams))
        elif room.resume() is not None:
            assert room.current is not None
            print(
                f"carrying on contest {room.contest}, question {room.current.question.number} of {len(room.questions)}"
            )
    except BaseException:
        room.close()
        raise
    return room


def cmd_contest(args: argparse.Namespace) -> int:
    from toolkit.contest.server import serve_forever
    from toolkit.errors import printable  # a team name is typed by anyone: no terminal escape reaches the screen

    room = contest_room(args)
    host = args.ip if args.ip not in ("0.0.0.0", "::") else "<this machine's LAN address>"
    base = f"http://{host}:{args.port}"
    print(f"results go to {args.store.resolve()} (session {args.session})")
    print(f"console (the trainer's, keep it private): {base}/console?key={room.console_key}")
    print(f"screen (the projector): {base}/projector")
    if room.contest is not None:
        for number, key in enumerate(room.team_keys, start=1):
            print(f"team {number} ({printable(room.teams[number - 1])}): {base}/team/{number}?key={key}")
    else:
        print("teams: set them up on the console, which then lists each team's link")
    # a contest carried on after a restart has new team links: the old ones are refused
    sys.stdout.flush()
    try:
        serve_forever(room, args.ip, args.port)
    except KeyboardInterrupt:
        pass
    finally:
        room.close()
    return 0


# --- end of the knowledge contest ---------------------------------------------------------------------


def _write_links(args: argparse.Namespace, issued: Sequence[object]) -> None:
    from toolkit.responses.roster import write_links
    from toolkit.responses.store import Issued

    entries = [entry for entry in issued if isinstance(entry, Issued)]
    write_links(args.links, entries, session=args.session, base_urls=args.base_url, lang=args.lang)


def cmd_roster_load(args: argparse.Namespace) -> int:
    from toolkit.responses.roster import check_base_url, check_links_target, read_roster
    from toolkit.responses.store import ResponseStore, check_id

    check_id(args.session, "session")
    for url in args.base_url:
        check_base_url(url)
    learners = read_roster(args.file)
    check_links_target(args.links)  # before any token is issued: a token not printed would be lost
    change = ResponseStore(args.store).load_roster(args.session, learners, reissue=args.reissue)
    if change.issued:
        try:
            _write_links(args, change.issued)
        except OSError as exc:
            raise ToolkitError(
                f"{args.links}: cannot write the links ({exc.strerror}); the {len(change.issued)} tokens issued "
                f"cannot be printed again: run 'lianzheng roster reissue' to issue new ones"
            ) from None
    print(
        f"session {args.session}: {_counted(len(learners), 'learner')} on the roster "
        f"({_counted(len(change.issued), 'new link')}, {len(change.kept)} kept their links, "
        f"{len(change.removed)} removed)"
    )
    if change.issued:
        print(f"links: {args.links} (private: print it, hand each learner their row, then delete it)")
    return 0


def cmd_roster_reissue(args: argparse.Namespace) -> int:
    from toolkit.responses.roster import check_base_url, check_links_target
    from toolkit.responses.store import ResponseStore, check_id

    check_id(args.session, "session")
    for url in args.base_url:
        check_base_url(url)
    check_links_target(args.links)
    issued = ResponseStore(args.store, create=False).reissue(args.session, args.learner or ())
    try:
        _write_links(args, issued)
    except OSError as exc:
        raise ToolkitError(f"{args.links}: cannot write the links ({exc.strerror}); run reissue again") from None
    print(
        f"session {args.session}: {_counted(len(issued), 'new link')} (the old ones no longer open anything); "
        f"links: {args.links}"
    )
    return 0


def cmd_roster_list(args: argparse.Namespace) -> int:
    from toolkit.responses.store import ResponseStore

    entries = ResponseStore.open_readonly(args.store).roster(args.session)
    for entry in entries:
        print(f"{entry.learner}\t{entry.name}\tlink issued {entry.issued_at}")
    print(f"session {args.session}: {_counted(len(entries), 'learner')} on the roster", file=sys.stderr)
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    from toolkit.responses.store import ResponseStore

    released = ResponseStore(args.store, create=False).release(args.session, args.sheet)
    print(f"session {args.session}: key and explanations released for {', '.join(released)}")
    return 0


def cmd_responses_export(args: argparse.Namespace) -> int:
    from toolkit.batch import check_target
    from toolkit.responses.export import export_answers

    check_target(args.out)  # before the store is opened
    count = export_answers(args.store, args.out)
    print(f"{count} answers written to {args.out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="lianzheng", description="Integrity-education material from a case library.")
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
    stats.add_argument("--lang", type=_text, default="en", help="language of the labels: en or zh-CN (default en)")
    stats.set_defaults(run=cmd_stats)

    from toolkit.batch.formats import FORMATS, default_formats
    from toolkit.documents import handouts

    formats = ",".join(FORMATS)
    build = commands.add_parser(
        "build",
        help=f"build handouts ({', '.join(default_formats())}) for every audience, or as a spec says",
        description="Run the document notebooks with papermill for each audience and export the handouts. "
        "Unchanged jobs are skipped; failed jobs are reported and the others complete.",
    )
    build.add_argument("spec", nargs="?", type=_path, default=None, help="build spec YAML (see docs/build-spec.md)")
    build.add_argument("--audience", type=_items, help="audience id, a comma-separated list, or 'all' (default: all)")
    build.add_argument(
        "--documents", type=_items, help=f"comma-separated: {','.join(handouts())} (default: all of them)"
    )
    build.add_argument(
        "--formats", type=_items, help=f"comma-separated: {formats} (default: {','.join(default_formats())})"
    )
    build.add_argument(
        "--print-sizes",
        type=_items,
        help="comma-separated: standard,large: the PDF type sizes for every session "
        "(default: each audience's print_sizes in the taxonomy, else standard)",
    )
    build.add_argument("--out", type=_path, help="output folder (default: handouts)")
    build.add_argument("--jobs", type=_count, default=None, help="parallel jobs (default: the number of CPUs)")
    build.add_argument("--library", type=_path, help="library folder (default: as for 'check')")
    build.add_argument("--seed", type=int, help="seed for every random choice (default: 1)")
    build.add_argument(
        "--lang",
        type=_items,
        help="language of the handouts: en or zh-CN; several, comma-separated (zh-CN,en), build each "
        "into a folder of its own (OUT/zh-CN/..., OUT/en/...)",
    )
    build.add_argument("--date", type=_text, help="date printed on the handouts, YYYY-MM-DD (default: today)")
    build.add_argument("--force", action="store_true", help="rebuild every job, even unchanged ones")
    build.add_argument("--quiet", action="store_true", help="no progress bar")
    build.set_defaults(run=cmd_build)

    report = commands.add_parser(
        "report",
        help="the trainer report of a response store, as an HTML or PDF handout",
        description="Run notebooks/report.ipynb on a response store with papermill and export it as a handout. "
        "The report shows aggregates only unless --show-names is given (see docs/report.md).",
    )
    report.add_argument("--store", type=_path, required=True, help="the response store (SQLite file)")
    report.add_argument("--out", type=_path, required=True, help="the report to write: FILE.html or FILE.pdf")
    report.add_argument(
        "--session", type=_items, help="a session id or a comma-separated list (default: every session)"
    )
    report.add_argument(
        "--audience", type=_items, help="an audience id or a comma-separated list (default: every audience)"
    )
    report.add_argument(
        "--sheet", type=_items, help="quiz, worksheet, or a comma-separated list (default: every sheet)"
    )
    report.add_argument("--show-names", action="store_true", help="list learners by id and name (default: aggregates)")
    report.add_argument("--lang", type=_text, help="language of the fixed phrases: en or zh-CN (default en)")
    report.add_argument("--date", type=_text, help="date printed on the report, YYYY-MM-DD (default: today)")
    report.add_argument("--title", type=_text, help="title on the cover (default: the report's own)")
    report.add_argument("--unit", type=_text, help="the organisation giving the training, shown on the cover")
    report.add_argument("--library", type=_path, help="library whose taxonomy labels the audiences (as for 'check')")
    report.set_defaults(run=cmd_report)

    serve = commands.add_parser(
        "serve",
        help="serve the interactive worksheet and quiz to learners with Voila, or the pre-appointment test",
        description="Prepare the worksheet and quiz notebooks with the session's parameters and serve them with "
        "Voila: learners answer in the page, every answer is saved to the response store.",
    )
    serve.add_argument(
        "documents",
        nargs="?",
        type=_items,
        help="comma-separated: worksheet,quiz (default: both); or 'test': the pre-appointment test (docs/test.md)",
    )
    serve.add_argument("--store", type=_path, required=True, help="response store, an SQLite file (created if new)")
    serve.add_argument("--session", type=_text, required=True, help="the training session's name, e.g. autumn-2026")
    serve.add_argument("--audience", type=_text, help="audience id (default: incumbent-leaders)")
    serve.add_argument("--lang", type=_text, help="language of the pages: en or zh-CN")
    serve.add_argument("--seed", type=int, help="seed for every random choice (default: 1)")
    serve.add_argument("--date", type=_text, help="date shown on the sheets, YYYY-MM-DD (default: today)")
    serve.add_argument("--unit", type=_text, help="the organisation giving the training")
    serve.add_argument("--questions", type=int, help="quiz questions (worksheet default 5, quiz default 20)")
    serve.add_argument("--pass-mark", type=int, default=60, help="percent of the quiz's points to pass (default 60)")
    serve.add_argument("--library", type=_path, help="library folder (default: as for 'check')")
    serve.add_argument("--dir", type=_path, help="where the prepared notebooks go (default: beside the store)")
    serve.add_argument("--port", type=_port, default=8866, help="port (default: 8866)")
    serve.add_argument(
        "--ip", type=_address, default="127.0.0.1", help="address to listen on (default: 127.0.0.1; 0.0.0.0 for a LAN)"
    )
    serve.add_argument(
        "--key",
        choices=("release", "submission"),
        default="release",
        help="when learners see the key and explanations: once released with 'lianzheng release' (default), "
        "or on submitting",
    )
    serve.add_argument("--shuffle", action="store_true", help="question and option order per learner")
    serve.add_argument(
        "--open",
        action="store_true",
        help="a practice session without a roster: anyone may answer as any learner id (default: refused; "
        "load a roster with 'lianzheng roster load')",
    )
    serve.add_argument("--dry-run", action="store_true", help="prepare and print the Voila command, do not start it")
    serve.add_argument("--minutes", type=_count, help="test only: the time limit, counted by the server (default: 60)")
    serve.set_defaults(run=cmd_serve)
    _test_papers_parser(commands)  # the pre-appointment test's printed papers

    # --- the knowledge contest ---
    contest = commands.add_parser(
        "contest",
        help="run a live knowledge contest: a console, a projector screen and team pages with buzzers",
        description="Start one small server for a classroom knowledge contest: the trainer's console (teams, the "
        "draw, required, buzzer and risk rounds, the countdown), the projector screen and each team's page. "
        "Results go to the response store; 'lianzheng report' shows them.",
    )
    contest.add_argument("--store", type=_path, required=True, help="response store, an SQLite file (created if new)")
    contest.add_argument("--session", type=_text, required=True, help="the training session's name, e.g. autumn-2026")
    contest.add_argument("--audience", type=_text, help="audience id the questions suit (default: incumbent-leaders)")
    contest.add_argument("--lang", type=_text, help="language of the pages and questions: en or zh-CN")
    contest.add_argument("--seed", type=int, help="seed of the draw (default: 1; the console may change it)")
    contest.add_argument("--teams", type=_items, help="comma-separated team names (or type them on the console)")
    contest.add_argument("--required", type=int, default=2, help="required questions per team (default 2)")
    contest.add_argument("--buzzer", type=int, default=6, help="buzzer questions (default 6)")
    contest.add_argument("--risk", type=int, default=1, help="risk questions per team (default 1)")
    contest.add_argument("--points", type=int, default=10, help="points of a required or buzzer question (default 10)")
    contest.add_argument(
        "--stakes", type=_stakes, default=(10, 20, 30), help="stakes of the risk round (default 10,20,30)"
    )
    contest.add_argument("--seconds", type=_count, default=30, help="seconds to answer or to press (default 30)")
    contest.add_argument(
        "--answer-seconds", type=_count, default=20, help="seconds for the team that pressed first (default 20)"
    )
    contest.add_argument("--title", type=_text, help="title on the screen (default: the integrity knowledge contest)")
    contest.add_argument("--library", type=_path, help="library folder (default: as for 'check')")
    contest.add_argument("--port", type=_port, default=8870, help="port (default: 8870)")
    contest.add_argument(
        "--ip", type=_address, default="127.0.0.1", help="address to listen on (default: 127.0.0.1; 0.0.0.0 for a LAN)"
    )
    contest.set_defaults(run=cmd_contest)
    # --- end of the knowledge contest ---

    roster = commands.add_parser("roster", help="a session's learners and their personal links")
    roster_actions = roster.add_subparsers(dest="action", required=True, metavar="ACTION")
    load = roster_actions.add_parser(
        "load",
        help="load learners from a CSV or XLSX file and write the page of their personal links",
        description="Load a roster (header row; columns learner id and name, e.g. learner,name or 学员编号,姓名) "
        "into the store for a session. Each new learner gets a personal secret link, printed once in the links "
        "page (only a hash is stored); learners already on the roster keep theirs unless --reissue.",
    )
    load.add_argument("file", type=_path, help="the roster: FILE.csv (UTF-8) or FILE.xlsx")
    reissue = roster_actions.add_parser(
        "reissue",
        help="new personal links (the old ones stop working), written to a new links page",
        description="Issue new tokens for every learner of the session's roster, or for those named with "
        "--learner, and write the page of their links.",
    )
    reissue.add_argument(
        "--learner", type=_text, action="append", help="a learner id (repeat for several; default: everyone)"
    )
    for action in (load, reissue):
        _store_and_session(action)
        action.add_argument(
            "--base-url",
            required=True,
            action="append",
            help="the page learners open, e.g. http://192.168.1.20:8866/ (as 'lianzheng serve' prints it); "
            "repeat it for each page served (worksheet and quiz), one link and QR code each",
        )
        action.add_argument("--links", type=_path, required=True, help="the links page to write: FILE.html (new)")
        action.add_argument("--lang", default="en", choices=("en", "zh-CN"), help="language of the links page")
    load.add_argument("--reissue", action="store_true", help="new links for learners already on the roster too")
    load.set_defaults(run=cmd_roster_load)
    reissue.set_defaults(run=cmd_roster_reissue)
    listing = roster_actions.add_parser("list", help="the learners of a session's roster (no links)")
    _store_and_session(listing)
    listing.set_defaults(run=cmd_roster_list)

    release = commands.add_parser(
        "release",
        help="show learners the key and explanations of a session's sheets",
        description="Release the key: learners who submitted see each question's answer, explanation and rule "
        "(at once when they reopen the page). Sheets served with --key submission show it on submitting anyway.",
    )
    _store_and_session(release)
    release.add_argument("--sheet", type=_text, help="one sheet, e.g. quiz (default: every sheet of the session)")
    release.set_defaults(run=cmd_release)

    responses = commands.add_parser("responses", help="learners' answers in a response store")
    actions = responses.add_subparsers(dest="action", required=True, metavar="ACTION")
    export = actions.add_parser(
        "export",
        help="write every answer to a CSV or Excel file",
        description="One row per answer: session, sheet, learner, item, type, value, saved_at, and the score of "
        "the learner's submission.",
    )
    export.add_argument("--store", type=_path, required=True, help="response store (SQLite file)")
    export.add_argument("--out", type=_path, required=True, help="FILE.csv or FILE.xlsx")
    export.set_defaults(run=cmd_responses_export)
    return parser


def _store_and_session(command: argparse.ArgumentParser) -> None:
    """The two options every roster and release command takes: the store and the session."""
    command.add_argument("--store", type=_path, required=True, help="response store (SQLite file)")
    command.add_argument("--session", type=_text, required=True, help="the training session's name")


def _counted(number: int, noun: str) -> str:
    """``1 learner``, ``2 learners``: a count and its noun, plural when it is not one."""
    return f"{number} {noun}{'s' * (number != 1)}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except CorruptStoreError as exc:  # one line per damaged row, then what was not done
        for line in exc.problems:
            print(line, file=sys.stderr)
        count = len(exc.problems)
        print(f"lianzheng: {_counted(count, 'damaged row')} in {exc.path}; nothing was written", file=sys.stderr)
        return 2
    except ToolkitError as exc:
        print(f"lianzheng: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader stopped reading (``lianzheng check | head``): nothing to say
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that the interpreter's last flush has nowhere to fail
        os.close(devnull)
        return 141  # 128 + SIGPIPE, as a shell reports a command a closed pipe stopped
    except OSError as exc:  # a file the command was given or writes (no right, no space, not a folder)
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"lianzheng: {where}{(exc.strerror or str(exc)).lower()}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
