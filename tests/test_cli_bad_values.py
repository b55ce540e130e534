"""The command line on bad values: each is one line on stderr and a non-zero exit, nothing half-written.

A table of command lines, each run through the real CLI (``toolkit.cli.main`` in this process, or the
``lianzheng`` command in a subprocess where a mount or a FIFO is involved), against an output folder
that holds a finished build. Each must exit non-zero with exactly one line on stderr and no traceback,
and leave that folder as it was: no new file, no temporary file, its manifest still describing exactly
the files present. The cases cover every flag of every subcommand for the classes: empty, negative, out
of range, the wrong kind of path (a file for a folder, a folder for a file, a path below a file, a FIFO),
a folder that cannot be written, and a full disk (a small tmpfs, mounted in a private mount namespace).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import toolkit
from toolkit.cli import main
from toolkit.paths import bundled_library

SMALL = ["--audience", "retired", "--documents", "outline", "--formats", "html", "--quiet"]
SERVE = ["--store", "{tmp}/answers.db", "--session", "s1", "--dir", "{tmp}/prepared", "--open", "--dry-run"]
REPORT = ["--store", "{tmp}/answers.db", "--out", "{tmp}/report.html"]
ROSTER = ["--store", "{tmp}/answers.db", "--session", "s1", "--base-url", "http://127.0.0.1:8866/"]
ROSTER += ["--links", "{tmp}/links.html"]
TOOLKIT_ROOT = Path(toolkit.__file__).resolve().parents[1]


@dataclass(frozen=True)
class Case:
    name: str
    argv: tuple[str, ...]


def case(name: str, *argv: str) -> Case:
    return Case(name, argv)


CASES = [
    # build: the output folder
    case("build --out names a file", "build", *SMALL, "--out", "{file}"),
    case("build --out below a file", "build", *SMALL, "--out", "{file}/handouts"),
    case("build --out empty", "build", *SMALL, "--out", ""),
    # build: the spec and the library
    case("build spec is a folder", "build", "{tmp}", *SMALL, "--out", "{out}"),
    case("build spec is empty", "build", "", *SMALL, "--out", "{out}"),
    case("build --library names a file", "build", *SMALL, "--library", "{file}", "--out", "{out}"),
    case("build --library empty", "build", *SMALL, "--library", "", "--out", "{out}"),
    # build: numbers
    case("build --jobs 0", "build", *SMALL, "--jobs", "0", "--out", "{out}"),
    case("build --jobs -1", "build", *SMALL, "--jobs", "-1", "--out", "{out}"),
    case("build --jobs not a number", "build", *SMALL, "--jobs", "two", "--out", "{out}"),
    case("build --seed -1", "build", *SMALL, "--seed", "-1", "--out", "{out}"),
    case("build --seed huge", "build", *SMALL, "--seed", "9" * 40, "--out", "{out}"),
    # build: empty lists and values
    case("build --audience empty", "build", *SMALL, "--audience", "", "--out", "{out}"),
    case("build --audience only commas", "build", *SMALL, "--audience", " , ", "--out", "{out}"),
    case("build --documents empty", "build", *SMALL, "--documents", "", "--out", "{out}"),
    case("build --formats empty", "build", *SMALL, "--formats", "", "--out", "{out}"),
    case("build --print-sizes empty", "build", *SMALL, "--print-sizes", "", "--out", "{out}"),
    case("build --print-sizes unknown", "build", *SMALL, "--print-sizes", "standard,huge", "--out", "{out}"),
    case("build --lang empty", "build", *SMALL, "--lang", "", "--out", "{out}"),
    case("build --date empty", "build", *SMALL, "--date", "", "--out", "{out}"),
    case("build --date not a date", "build", *SMALL, "--date", "2026-13-45", "--out", "{out}"),
    # report
    case("report --store is a folder", "report", "--store", "{tmp}", "--out", "{tmp}/report.html"),
    case("report --store missing", "report", "--store", "{tmp}/none.db", "--out", "{tmp}/report.html"),
    case("report --store empty", "report", "--store", "", "--out", "{tmp}/report.html"),
    case("report --out empty", "report", "--store", "{tmp}/answers.db", "--out", ""),
    case("report --out is a folder", "report", "--store", "{tmp}/answers.db", "--out", "{tmp}/folder.html"),
    case("report --out below a file", "report", "--store", "{tmp}/answers.db", "--out", "{file}/report.html"),
    case("report --session empty", "report", *REPORT, "--session", ""),
    case("report --audience empty", "report", *REPORT, "--audience", ""),
    case("report --sheet empty", "report", *REPORT, "--sheet", ""),
    case("report --lang empty", "report", *REPORT, "--lang", ""),
    case("report --date not a date", "report", *REPORT, "--date", "yesterday"),
    case("report --library names a file", "report", *REPORT, "--library", "{file}"),
    case("report --title empty", "report", *REPORT, "--title", ""),
    case("report --unit empty", "report", *REPORT, "--unit", " "),
    # serve
    case("serve --port 0", "serve", *SERVE, "--port", "0"),
    case("serve --port -1", "serve", *SERVE, "--port", "-1"),
    case("serve --port 65536", "serve", *SERVE, "--port", "65536"),
    case("serve --ip empty", "serve", *SERVE, "--ip", ""),
    case("serve --ip 256.1.1.1", "serve", *SERVE, "--ip", "256.1.1.1"),
    case("serve --ip not a host name", "serve", *SERVE, "--ip", "no such/host"),
    case("serve documents empty", "serve", "", *SERVE),
    case("serve --session empty", "serve", *SERVE, "--session", ""),
    case("serve --audience empty", "serve", *SERVE, "--audience", ""),
    case("serve --questions 0", "serve", *SERVE, "--questions", "0"),
    case("serve --questions -3", "serve", *SERVE, "--questions", "-3"),
    case("serve --pass-mark -1", "serve", *SERVE, "--pass-mark", "-1"),
    case("serve --pass-mark 101", "serve", *SERVE, "--pass-mark", "101"),
    case("serve --seed -1", "serve", *SERVE, "--seed", "-1"),
    case("serve --lang empty", "serve", *SERVE, "--lang", ""),
    case("serve --date empty", "serve", *SERVE, "--date", ""),
    case("serve --unit empty", "serve", *SERVE, "--unit", ""),
    case("serve --library names a file", "serve", *SERVE, "--library", "{file}"),
    case(
        "serve --store is a folder",
        "serve",
        "--store",
        "{tmp}",
        "--session",
        "s1",
        "--dir",
        "{tmp}/p",
        "--open",
        "--dry-run",
    ),
    case("serve --store empty", "serve", "--store", "", "--session", "s1", "--dir", "{tmp}/p", "--open", "--dry-run"),
    case(
        "serve --dir names a file",
        "serve",
        "--store",
        "{tmp}/a.db",
        "--session",
        "s1",
        "--dir",
        "{file}",
        "--open",
        "--dry-run",
    ),
    case("serve --dir empty", "serve", "--store", "{tmp}/a.db", "--session", "s1", "--dir", "", "--open", "--dry-run"),
    # roster and release
    case("roster load file empty", "roster", "load", "", *ROSTER),
    case("roster load --store empty", "roster", "load", "{tmp}/roster.csv", *ROSTER, "--store", ""),
    case("roster load --session empty", "roster", "load", "{tmp}/roster.csv", *ROSTER, "--session", ""),
    case("roster load --links empty", "roster", "load", "{tmp}/roster.csv", *ROSTER, "--links", ""),
    case("roster reissue --learner empty", "roster", "reissue", *ROSTER, "--learner", ""),
    case("roster list --session empty", "roster", "list", "--store", "{tmp}/answers.db", "--session", ""),
    case("roster list --store empty", "roster", "list", "--store", "", "--session", "s1"),
    case("release --session empty", "release", "--store", "{tmp}/answers.db", "--session", ""),
    case("release --sheet empty", "release", "--store", "{tmp}/answers.db", "--session", "s1", "--sheet", ""),
    case("release --store empty", "release", "--store", "", "--session", "s1"),
    # check, stats, responses
    case("check library names a file", "check", "{file}"),
    case("check library empty", "check", ""),
    case("stats --lang empty", "stats", "--lang", ""),
    case("stats library names a file", "stats", "{file}"),
    case("responses export --store is a folder", "responses", "export", "--store", "{tmp}", "--out", "{tmp}/a.csv"),
    case("responses export --store empty", "responses", "export", "--store", "", "--out", "{tmp}/a.csv"),
    case("responses export --out empty", "responses", "export", "--store", "{tmp}/answers.db", "--out", ""),
    case(
        "responses export --out below a file",
        "responses",
        "export",
        "--store",
        "{tmp}/answers.db",
        "--out",
        "{file}/a.csv",
    ),
]

# Values at the edges of what is valid, which must still be taken.
ACCEPTED = [
    ("--port", "1"),
    ("--port", "65535"),
    ("--ip", "0.0.0.0"),
    ("--ip", "::1"),
    ("--ip", "localhost"),
    ("--ip", "training-room.example.org"),
]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) by relative path, with its SHA-256."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def manifest_problems(out: Path) -> list[str]:
    """How ``out``'s manifest differs from the files present: a file it does not list, a listed file
    missing or with another hash, a temporary file left."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    problems: list[str] = []
    listed: set[str] = {"manifest.json", "index.html"}
    for entry in manifest["jobs"]:
        for fmt, rel in entry.get("outputs", {}).items():
            listed.add(rel)
            if not (out / rel).is_file():
                problems.append(f"{entry['id']}: {rel} is listed but missing")
            elif entry["status"] != "failed" and hashlib.sha256((out / rel).read_bytes()).hexdigest() != entry[
                "hashes"
            ].get(fmt):
                problems.append(f"{entry['id']}: {rel} is not the file the manifest describes")
        if entry.get("failed_notebook"):
            listed.add(entry["failed_notebook"])
    for rel in snapshot(out):
        if rel not in listed:
            problems.append(f"{rel} is present but not in the manifest")
    return problems


@pytest.fixture(scope="module")
def finished_build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A small finished build (one HTML handout), copied into each case's output folder."""
    from toolkit.batch import kernels

    out = tmp_path_factory.mktemp("finished") / "handouts"
    assert main(["build", *SMALL, "--out", str(out), "--jobs", "1"]) == 0
    yield out
    kernels.close_pool()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A response store with a few learners' answers, for ``lianzheng report``."""
    from toolkit.testing.synthetic import generate

    path = tmp_path_factory.mktemp("store") / "answers.db"
    generate(path, 12, sessions=1, seed=3)
    return path


@pytest.fixture
def places(tmp_path: Path, finished_build: Path, store: Path) -> dict[str, str]:
    out = tmp_path / "handouts"
    shutil.copytree(finished_build, out)
    shutil.copy(store, tmp_path / "answers.db")
    (tmp_path / "a-file").write_text("not a folder\n", encoding="utf-8")
    (tmp_path / "folder.html").mkdir()
    (tmp_path / "roster.csv").write_text("learner,name\nlearner-1,Ann\n", encoding="utf-8")
    return {"tmp": str(tmp_path), "out": str(out), "file": str(tmp_path / "a-file")}


def _fill(argv: tuple[str, ...], places: dict[str, str]) -> list[str]:
    return [arg.format(**places) for arg in argv]


def _assert_refused(code: object, err: str, out: Path, before: dict[str, str]) -> None:
    lines = err.strip().splitlines()
    assert "Traceback" not in err, err
    assert code not in (0, None), f"accepted; stderr: {err!r}"
    assert len(lines) == 1, f"{len(lines)} lines on stderr: {err!r}"
    assert snapshot(out) == before, "the output folder changed"
    assert manifest_problems(out) == []


@pytest.mark.parametrize("bad", CASES, ids=[c.name for c in CASES])
def test_a_bad_value_is_one_line_and_changes_nothing(
    bad: Case, places: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(places["tmp"])  # an empty path must not mean this folder
    out = Path(places["out"])
    before = snapshot(out)
    before_tmp = snapshot(Path(places["tmp"]))
    try:
        code: object = main(_fill(bad.argv, places))
    except SystemExit as exit_:
        code = exit_.code
    captured = capsys.readouterr()
    _assert_refused(code, captured.err, out, before)
    assert snapshot(Path(places["tmp"])) == before_tmp, "a file was written"


def _run(argv: list[str], timeout: float = 60, wrap: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(TOOLKIT_ROOT)}
    command = [sys.executable, "-m", "toolkit.cli", *argv]
    return subprocess.run(
        [*(wrap or []), *command], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_spec_that_is_a_fifo_is_refused_without_waiting(places: dict[str, str]) -> None:
    fifo = Path(places["tmp"]) / "spec.yaml"
    os.mkfifo(fifo)
    out = Path(places["out"])
    before = snapshot(out)
    result = _run(["build", str(fifo), "--out", str(out), "--quiet"], timeout=30)
    _assert_refused(result.returncode, result.stderr, out, before)


def test_a_reader_that_stops_reading_ends_the_command_quietly(tmp_path: Path) -> None:
    library = tmp_path / "library"
    shutil.copytree(bundled_library(), library)
    case = library / "cases" / "birthday-banquet-hospital.md"
    head, rest = case.read_text(encoding="utf-8").split("\n", 1)
    unknown = "".join(f"unknown-{n}: 1\n" for n in range(5000))  # well over a pipe's 64 KiB of problems
    case.write_text(f"{head}\n{unknown}{rest}", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(TOOLKIT_ROOT)}
    command = [sys.executable, "-m", "toolkit.cli", "check", str(library)]
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None and process.stderr is not None
        first = process.stdout.readline()  # ``lianzheng check | head -1``
        process.stdout.close()
        stderr = process.stderr.read()
        returncode = process.wait(timeout=60)
    assert first.startswith(f"{case}:2: unknown field 'unknown-0'")
    assert (returncode, stderr) == (141, ""), stderr


def _private_mounts() -> bool:
    """Whether this process may mount in a mount namespace of its own (root, with unshare)."""
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"], capture_output=True, check=False
    )
    return probe.returncode == 0


MOUNTS = _private_mounts()


def _in_namespace(script: str, argv: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``script`` (shell, with the CLI's command line as "$@") in a private mount namespace: its
    mounts go when it ends."""
    return _run(argv, timeout, wrap=["unshare", "-m", "sh", "-c", script, "sh"])


def test_a_read_only_output_folder_is_one_line(places: dict[str, str]) -> None:
    """The folder cannot be written: a read-only bind mount of it where that can be had (root may
    write through any mode), else its mode 555 for a user who is not root."""
    out = Path(places["out"])
    before = snapshot(out)
    argv = ["build", *SMALL, "--out", str(out), "--force"]
    if MOUNTS:
        result = _in_namespace(f'mount --bind "{out}" "{out}" && mount -o remount,bind,ro "{out}" && exec "$@"', argv)
    elif os.geteuid() != 0:
        out.chmod(0o555)
        try:
            result = _run(argv)
        finally:
            out.chmod(0o755)
    else:
        pytest.skip("root writes through a folder's mode, and no private mount can be had here")
    _assert_refused(result.returncode, result.stderr, out, before)


def _copy_out(out: Path, into: Path) -> str:
    """Shell: after the command, copy the tmpfs's files to ``into`` (on the real disk) to inspect them."""
    return f'code=0; "$@" || code=$?; cp -a "{out}/." "{into}/"; exit $code'


@pytest.mark.skipif(not MOUNTS, reason="needs a private tmpfs (root with unshare)")
def test_a_full_disk_before_the_build_is_one_line(places: dict[str, str], tmp_path: Path) -> None:
    """The finished build on a 1 MiB tmpfs that a filler file has filled: the rebuild is refused."""
    out = Path(places["out"])
    before = snapshot(out)
    saved = tmp_path / "saved"
    shutil.copytree(out, saved)
    after = tmp_path / "after"
    after.mkdir()
    script = (
        f'mount -t tmpfs -o size=1m tmpfs "{out}" && cp -a "{saved}/." "{out}/" '
        f'&& {{ head -c 2000000 /dev/zero > "{out}/.filler" 2>/dev/null || true; }} && {_copy_out(out, after)}'
    )
    result = _in_namespace(script, ["build", *SMALL, "--out", str(out), "--force"])
    (after / ".filler").unlink()
    _assert_refused(result.returncode, result.stderr, after, before)
    assert "no space" in result.stderr.lower()


@pytest.mark.slow
@pytest.mark.skipif(not MOUNTS, reason="needs a private tmpfs (root with unshare)")
def test_a_disk_that_fills_during_the_build_fails_each_job_and_keeps_the_manifest_true(
    places: dict[str, str], tmp_path: Path
) -> None:
    """Ten handouts into a tmpfs with room for all of them and the index but not the manifest (which
    the builder used to write last, and fail on, leaving every new file out of it): now room for the
    manifest and the index is held first, the jobs that find none fail one by one, each with its
    reason, and the manifest records exactly what was written."""
    pages = sum(-(-path.stat().st_size // 4096) for path in (Path(places["out"]) / "retired").iterdir())
    size = 10 * pages * 4 + 24  # KiB: ten handouts like the finished one, and 24 KiB more
    out = tmp_path / "small-disk"
    out.mkdir()
    after = tmp_path / "after"
    after.mkdir()
    argv = ["build", "--documents", "outline", "--formats", "html", "--quiet", "--jobs", "1", "--out", str(out)]
    script = f'mount -t tmpfs -o size={size}k tmpfs "{out}" && {_copy_out(out, after)}'
    result = _in_namespace(script, argv, timeout=240)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 1, result.stderr
    failed = [line for line in result.stderr.splitlines() if line.startswith("failed: ")]
    assert failed, result.stderr
    assert all("No space left on device" in line for line in failed), failed
    assert len(result.stderr.strip().splitlines()) == len(failed)  # one line a job, nothing else
    manifest = json.loads((after / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["failed"] == len(failed)
    assert manifest["counts"]["built"] >= 1  # some fitted
    assert manifest_problems(after) == []


@pytest.mark.parametrize(("flag", "value"), ACCEPTED, ids=[f"{flag} {value}" for flag, value in ACCEPTED])
def test_valid_edge_values_are_taken(flag: str, value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "serve",
        "quiz",
        "--store",
        str(tmp_path / "a.db"),
        "--session",
        "s1",
        "--dir",
        str(tmp_path / "p"),
        "--open",
    ]
    assert main([*argv, flag, value, "--dry-run"]) == 0, capsys.readouterr().err
    assert f"{value}" in capsys.readouterr().out


# Where no private tmpfs can be had, the same two cases with ENOSPC raised at the file-write layer
# (the helpers that allocate and rename), run here either way: the builder itself is not mocked.


def _no_space(*_args: object, **_kwargs: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_no_room_for_the_manifest_is_one_line_before_any_job(
    places: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import toolkit.fileio

    out = Path(places["out"])
    before = snapshot(out)
    monkeypatch.setattr(toolkit.fileio, "_allocate", _no_space)
    code = main(["build", *SMALL, "--out", str(out), "--force", "--jobs", "1"])
    _assert_refused(code, capsys.readouterr().err, out, before)


def test_a_job_that_cannot_publish_fails_alone_and_the_manifest_stays_true(
    places: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import toolkit.batch.worker
    from toolkit.fileio import publish

    out = Path(places["out"])

    def publish_unless_families(pairs: list[tuple[Path, Path]]) -> None:
        if any("families" in str(target) for _, target in pairs):
            _no_space()
        publish(pairs)

    monkeypatch.setattr(toolkit.batch.worker, "publish", publish_unless_families)
    argv = ["build", "--audience", "retired,families", "--documents", "outline", "--formats", "html", "--quiet"]
    code = main([*argv, "--out", str(out), "--force", "--jobs", "1"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert err.splitlines() == ["failed: families/outline: OSError: No space left on device"]
    assert manifest_problems(out) == []
    assert "retired/outline.html" in snapshot(out)
    assert not (out / "families").exists() or not any((out / "families").iterdir())
