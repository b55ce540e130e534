"""`lianzheng check` on hostile files: every input ends in `path:line: message` lines, in linear time.

A seeded mutator (no extra dependency) plants problems in a small library (the bundled taxonomy and
one file of each entry kind, as in conftest): byte flips, truncation, wrong values in every field of
every kind, deep nesting, huge numbers, control characters, odd file names and kinds of file. Each
input is checked by the real command line, in this process, under a time budget; the test asserts no
traceback, no hang, every line in the format, and a line at the right place for every problem planted
where one is certain. ``fuzz`` returns the figures (run this file with ``-s`` to see them).
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import random
import re
import shutil
import signal
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests import test_languages as bilingual
from tests.conftest import CASE, MESSAGES, PROMPTS, QUESTIONS, THEME
from toolkit.batch.spec import parse_spec, resolve
from toolkit.cli import main
from toolkit.errors import ToolkitError
from toolkit.library.catalog import Library
from toolkit.paths import bundled_library

SEED = 18
BUDGET = 5.0  # seconds for one check of the small library, whatever it holds
HANG = 20.0  # a check still running after this long is stopped and counted as a hang
LINE = re.compile(r"^[^:]+:\d+: \S")

FILES = {
    "cases/sample-case.md": CASE.format(id="sample-case"),
    "themes/sample-theme.md": THEME.format(id="sample-theme", case="sample-case"),
    "questions/integrity.yaml": QUESTIONS.format(case="sample-case"),
    "prompts/self-check.yaml": PROMPTS,
    "messages/mid-autumn.yaml": MESSAGES,
}
# Where the fields of each file's first record start: (first line of the YAML, indent of its keys).
RECORDS = {
    "cases/sample-case.md": (2, ""),
    "themes/sample-theme.md": (2, ""),
    "questions/integrity.yaml": (1, "  "),
    "prompts/self-check.yaml": (1, "  "),
    "messages/mid-autumn.yaml": (3, "    "),
}
REQUIRED = {
    "cases/sample-case.md": {
        "id",
        "title",
        "kind",
        "summary",
        "audiences",
        "disciplines",
        "subject",
        "date",
        "sources",
    },
    "themes/sample-theme.md": {"id", "title", "kind", "summary"},
    "questions/integrity.yaml": {"id", "type", "stem", "answer", "explanation", "rule", "discipline"},
    "prompts/self-check.yaml": {"id", "kind", "text"},
    "messages/mid-autumn.yaml": {"id", "channel", "body"},
}

# The same small library in language blocks (facts once, text in en and zh-CN): its facts, and the
# fields of its zh-CN blocks, fuzzed the same way.
BILINGUAL = {
    "cases/sample-case.md": bilingual.CASE,
    "themes/sample-theme.md": bilingual.THEME,
    "questions/integrity.yaml": bilingual.QUESTIONS,
    "prompts/self-check.yaml": bilingual.PROMPTS,
    "messages/mid-autumn.yaml": bilingual.MESSAGES,
}


def _block(text: str, key: str) -> int:
    """The 1-based line after the line that opens the block ``key:``."""
    return next(n for n, line in enumerate(text.split("\n"), 1) if line.strip() == f"{key}:") + 1


BILINGUAL_RECORDS = {
    "cases/sample-case.md": [(2, ""), (_block(bilingual.CASE, "zh-CN"), "  ")],
    "themes/sample-theme.md": [(2, ""), (_block(bilingual.THEME, "zh-CN"), "  ")],
    "questions/integrity.yaml": [(1, "  "), (_block(bilingual.QUESTIONS, "zh-CN"), "    ")],
    "prompts/self-check.yaml": [(1, "  "), (_block(bilingual.PROMPTS, "zh-CN"), "    ")],
    "messages/mid-autumn.yaml": [(3, "    "), (_block(bilingual.MESSAGES, "zh-CN"), "      ")],
}
BILINGUAL_REQUIRED = {
    "cases/sample-case.md": {"id", "kind", "audiences", "disciplines", "subject", "date", "en", "title", "summary"},
    "themes/sample-theme.md": {"id", "kind", "en", "title", "summary"},
    "questions/integrity.yaml": {"id", "type", "answer", "discipline", "en", "stem", "explanation", "rule"},
    "prompts/self-check.yaml": {"id", "kind", "en", "text"},
    "messages/mid-autumn.yaml": {"id", "channel", "en", "body"},
}


@dataclass(frozen=True)
class Corpus:
    """A small library to fuzz: its files, where their records' fields start, the required fields,
    and the languages its taxonomy declares."""

    files: dict[str, str]
    records: dict[str, list[tuple[int, str]]]
    required: dict[str, set[str]]
    languages: str


CORPORA = {
    "one language": Corpus(FILES, {rel: [at] for rel, at in RECORDS.items()}, REQUIRED, "[en]"),
    "two languages": Corpus(BILINGUAL, BILINGUAL_RECORDS, BILINGUAL_REQUIRED, "[en, zh-CN]"),
}

# Values wrong for every field: each is certain to be a problem at the field's line.
CERTAIN = {
    "nested mapping": "{zz: {zz: 1}}",
    "huge integer": "9" * 5000,
    "huge hex integer": "0x" + "f" * 4000,
    "huge base-60 integer": "1" + ":59" * 2000,
    "deep nesting": "[" * 990 + "]" * 990,
    "escaped control character": '"a\\x07b"',
    "raw control character": "a\x01b",
    "escaped line separator": '"a\\u2028b"',
}
# Values of the wrong type for most fields but not all: no traceback, no hang, lines in the format.
OTHER = [
    "1",
    "-1",
    "1.5e999",
    ".nan",
    "true",
    "~",
    '""',
    "[]",
    "{}",
    "[1, [2]]",
    '"\\u200b\\u3000\\ufeff"',
    '"\\u202e\\u200f"',
    "[a, a]",
]
ODD_NAMES = [
    b"x\xff\xfe.md",
    b"with space.md",
    b"tab\there.md",
    b"new\nline.md",
    b"esc\x1b[31mred.md",
    b"\xe2\x80\xaeevil.md",
    b"a" * 240 + b".md",
    "中文案例.md".encode(),
]
CONTROLS = [chr(code) for code in (*range(0, 9), 11, 12, *range(14, 32), 127, 0x85, 0x9B)]
SPICE = b"\x00\x01\x1b\x7f\x80\xff\xfe\xc3\xe2:-[]{}&*!|>'\"#%@`\n \t"


@dataclass
class Figures:
    inputs: int = 0
    tracebacks: int = 0
    hangs: int = 0
    slow: int = 0
    bad_lines: int = 0
    missing: int = 0
    misplaced: int = 0
    examples: list[str] = field(default_factory=list)

    def fault(self, kind: str, label: str, detail: str) -> None:
        setattr(self, kind, getattr(self, kind) + 1)
        if len(self.examples) < 12:
            self.examples.append(f"{kind}: {label}: {detail[:300]!r}")

    def __str__(self) -> str:
        return (
            f"{self.inputs} inputs: {self.tracebacks} tracebacks, {self.hangs} hangs, {self.slow} over budget, "
            f"{self.bad_lines} lines out of format, {self.missing} planted problems without a line, "
            f"{self.misplaced} at a wrong line"
        )


class Hang(Exception):
    pass


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    def expire(signum: int, frame: object) -> None:
        raise Hang

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def shown(path: bytes) -> str:
    """A path as a problem line shows it: undecodable bytes as \\xNN, controls and format characters escaped."""
    text = os.fsdecode(path)
    out = []
    for char in text:
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02x}")
        elif code < 0x20 or 0x7F <= code <= 0x9F:
            out.append(repr(char)[1:-1])
        elif 0x200B <= code <= 0x200F or 0x2028 <= code <= 0x202E or code == 0xFEFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def write_library(root: Path, corpus: Corpus = CORPORA["one language"]) -> None:
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    taxonomy = (bundled_library() / "taxonomy.yaml").read_text(encoding="utf-8")
    taxonomy = taxonomy.replace("languages: [en, zh-CN]", f"languages: {corpus.languages}", 1)
    (root / "taxonomy.yaml").write_text(taxonomy, encoding="utf-8")
    for rel, text in corpus.files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")


def check(root: Path, label: str, figures: Figures, planted: tuple[bytes, int | None] | None = None) -> None:
    """Run `lianzheng check` on ``root``; count what is wrong with its output. ``planted`` is a file
    (its path) that must have a line, at ``line`` when that is known."""
    figures.inputs += 1
    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    try:
        with deadline(HANG), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(["check", str(root)])
    except Hang:
        figures.fault("hangs", label, "")
        return
    except Exception as exc:  # a traceback: what the command line would have shown
        figures.fault("tracebacks", label, f"{type(exc).__name__}: {exc}")
        return
    finally:
        elapsed = time.perf_counter() - started
    if elapsed > BUDGET:
        figures.fault("slow", label, f"{elapsed:.1f} s")
    stdout, stderr = out.getvalue().splitlines(), err.getvalue().splitlines()
    if "Traceback" in err.getvalue():
        figures.fault("tracebacks", label, err.getvalue())
    summary = re.compile(rf"^{re.escape(str(root))}: \d+ problems? in \d+ files?$")
    if status == 0:
        good = bool(stdout) and stdout[0].startswith(f"{root}: OK, ") and all(": warning: " in s for s in stdout[1:])
        if not good or stderr:
            figures.fault("bad_lines", label, "\n".join(stdout + stderr))
    else:
        odd = [line for line in stdout if not LINE.match(line)] + [line for line in stderr if not summary.match(line)]
        if odd or status != 1:
            figures.fault("bad_lines", label, f"status {status}: " + "\n".join(odd))
    if planted is not None:
        path, line = planted
        prefix = shown(path) + ":"
        lines = [s for s in stdout if s.startswith(prefix)]
        if not lines:
            figures.fault("missing", label, "\n".join(stdout))
        elif line is not None and not any(s.startswith(f"{prefix}{line}: ") for s in lines):
            figures.fault("misplaced", label, f"expected line {line}: " + "\n".join(lines))


def fields(text: str, first: int, indent: str) -> list[tuple[int, str]]:
    """The (0-based line, key) of each field of the first record: its key lines, up to the next record."""
    lines = text.split("\n")
    found = []
    for number in range(first - 1, len(lines)):
        line = lines[number]
        if line in ("---", "") or (found and line.startswith(indent[:-2] + "- ") and indent):
            if found:
                break
            continue
        match = re.match(rf"^({re.escape(indent)}|{re.escape(indent[:-2])}- )([a-z_]+):", line)
        if match:
            found.append((number, match.group(2)))
    return found


def set_field(text: str, number: int, value: str | None) -> str:
    """The text with the field at line ``number`` given ``value`` on its line (None: removed)."""
    lines = text.split("\n")
    head = re.match(r"^(\s*(?:- )?)([a-z_]+):", lines[number])
    assert head is not None
    depth = len(head.group(1))
    end = number + 1
    while end < len(lines) and lines[end].strip() and len(lines[end]) - len(lines[end].lstrip(" ")) > depth:
        end += 1
    if value is None:
        if head.group(1).endswith("- "):  # the record's first key: keep the record
            replacement = [head.group(1) + "zz_unused: 1"]
            return "\n".join([*lines[:number], *replacement, *lines[end:]])
        return "\n".join([*lines[:number], *lines[end:]])
    return "\n".join([*lines[:number], f"{head.group(1)}{head.group(2)}: {value}", *lines[end:]])


def fuzz(base: Path, rounds: int, others: int = len(OTHER), seed: int = SEED, corpus: str = "one language") -> Figures:
    """Plant problems in copies of the small library at ``base``: every certain value in every field,
    ``others`` of the other values in each; ``rounds`` scales the random changes."""
    rng = random.Random(seed)
    library = CORPORA[corpus]
    FILES, RECORDS, REQUIRED = library.files, library.records, library.required
    figures = Figures()
    root = base / "lib"

    def each(label: str, change: Callable[[Path], tuple[bytes, int | None] | None]) -> None:
        write_library(root, library)
        planted = change(root)
        check(root, label, figures, planted)

    def rewrite(rel: str, text: str | bytes, line: int | None, certain: bool = True) -> Callable[[Path], object]:
        def change(root: Path) -> tuple[bytes, int | None] | None:
            target = root / rel
            if isinstance(text, bytes):
                target.write_bytes(text)
            else:
                target.write_text(text, encoding="utf-8", errors="surrogatepass")
            return (os.fsencode(target), line) if certain else None

        return change

    # Every field of the first record of each kind: a value wrong for any field, or removed.
    for rel, text in FILES.items():
        for first, indent in RECORDS[rel]:
            for number, key in fields(text, first, indent):
                for name, value in CERTAIN.items():
                    each(f"{rel} {key}: {name}", rewrite(rel, set_field(text, number, value), number + 1))
                for value in rng.sample(OTHER, others):
                    each(f"{rel} {key}: {value}", rewrite(rel, set_field(text, number, value), None, certain=False))
                if key in REQUIRED[rel]:
                    each(f"{rel} without {key}", rewrite(rel, set_field(text, number, None), None))

    # A raw control character anywhere but in a front-matter fence: a problem at its line.
    for rel, text in FILES.items():
        lines = text.split("\n")
        for _ in range(rounds):
            number = rng.choice([n for n, line in enumerate(lines) if line.strip() and line != "---"])
            at = rng.randrange(len(lines[number]) + 1)
            char = rng.choice(CONTROLS)
            changed = [*lines[:number], lines[number][:at] + char + lines[number][at:], *lines[number + 1 :]]
            each(f"{rel}:{number + 1} {char!r}", rewrite(rel, "\n".join(changed), number + 1))

    # Byte flips and truncation of every file, the taxonomy included: no line is certain.
    for rel in ["taxonomy.yaml", *FILES]:
        raw = FILES[rel].encode() if rel in FILES else (bundled_library() / rel).read_bytes()
        for _ in range(rounds * 2):
            data = bytearray(raw)
            for _ in range(rng.choice((1, 2, 5, 20))):
                data[rng.randrange(len(data))] = rng.choice(SPICE) if rng.random() < 0.7 else rng.randrange(256)
            each(f"{rel} flipped", rewrite(rel, bytes(data), None, certain=False))
        for _ in range(rounds):
            each(f"{rel} truncated", rewrite(rel, raw[: rng.randrange(len(raw))], None, certain=False))

    # Whole files of deep nesting and huge numbers.
    deep_block = "".join(" " * i + "a:\n" for i in range(900))
    each("deep block mapping", rewrite("prompts/self-check.yaml", deep_block, None))
    each("deep block list", rewrite("questions/integrity.yaml", "".join(" " * i + "-\n" for i in range(900)), None))
    each("deep list", rewrite("prompts/self-check.yaml", "[" * 5000 + "]" * 5000, 1))
    taxonomy = (bundled_library() / "taxonomy.yaml").read_text(encoding="utf-8")
    each("taxonomy huge number", rewrite("taxonomy.yaml", "version: " + "9" * 5000 + "\n" + taxonomy, 1))

    # Odd file names, each holding a case with a problem at one line (an unknown audience).
    odd_case = FILES["cases/sample-case.md"].replace("[newly-promoted, key-posts]", "[nobody]")
    nobody = next(n for n, line in enumerate(odd_case.split("\n"), 1) if "[nobody]" in line)
    for index, name in enumerate(ODD_NAMES):
        text = odd_case.replace("id: sample-case", f"id: odd-{index}")

        def odd(root: Path, name: bytes = name, text: str = text) -> tuple[bytes, int | None]:
            target = os.fsencode(root / "cases") + b"/" + name
            with open(target, "wb") as handle:
                handle.write(text.encode())
            utf8 = True
            try:
                name.decode("utf-8")
            except UnicodeDecodeError:
                utf8 = False
            return target, (nobody if utf8 else 1)

        each(f"file name {name[:20]!r}", odd)

    # Kinds of file: each in an entry folder is refused in a line; beside them, ignored.
    def fifo(root: Path) -> tuple[bytes, int | None]:
        os.mkfifo(root / "cases" / "pipe.md")
        return os.fsencode(root / "cases" / "pipe.md"), 1

    def fifo_beside(root: Path) -> None:
        os.mkfifo(root / "notes.md")

    def dangling(root: Path) -> tuple[bytes, int | None]:
        os.symlink(root / "cases" / "gone.md", root / "cases" / "link.md")
        return os.fsencode(root / "cases" / "link.md"), 1

    def dangling_out(root: Path) -> tuple[bytes, int | None]:
        os.symlink("/nonexistent/lianzheng", root / "cases" / "out.md")
        return os.fsencode(root / "cases" / "out.md"), 1

    def dangling_beside(root: Path) -> None:
        os.symlink("/nonexistent/lianzheng", root / "notes.md")

    def loop(root: Path) -> tuple[bytes, int | None]:
        os.symlink(root / "cases" / "b.md", root / "cases" / "a.md")
        os.symlink(root / "cases" / "a.md", root / "cases" / "b.md")
        return os.fsencode(root / "cases" / "a.md"), 1

    def folder_taxonomy(root: Path) -> tuple[bytes, int | None]:
        (root / "taxonomy.yaml").unlink()
        (root / "taxonomy.yaml").mkdir()
        return os.fsencode(root / "taxonomy.yaml"), 1

    def device_link(root: Path) -> tuple[bytes, int | None]:
        os.symlink("/dev/zero", root / "cases" / "zero.md")
        return os.fsencode(root / "cases" / "zero.md"), 1

    def sock(root: Path) -> tuple[bytes, int | None] | None:
        path = root / "cases" / "s.md"
        if len(os.fsencode(path)) > 100:  # longer than a socket address may be
            return None
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
        server.close()
        return os.fsencode(path), 1

    for label, change in [
        ("fifo", fifo),
        ("fifo beside", fifo_beside),
        ("dangling link", dangling),
        ("link out", dangling_out),
        ("dangling beside", dangling_beside),
        ("link loop", loop),
        ("taxonomy folder", folder_taxonomy),
        ("link to a device", device_link),
        ("socket", sock),
    ]:
        each(label, change)  # type: ignore[arg-type]
    return figures


@pytest.mark.parametrize("corpus", list(CORPORA))
def test_the_checker_survives_hostile_files(tmp_path: Path, corpus: str) -> None:
    figures = fuzz(tmp_path, rounds=3, others=1, corpus=corpus)
    print(f"\nfuzz: {figures}")
    assert figures.inputs > 400
    assert (figures.tracebacks, figures.hangs, figures.slow) == (0, 0, 0), figures.examples
    assert (figures.bad_lines, figures.missing, figures.misplaced) == (0, 0, 0), figures.examples


@pytest.mark.slow
@pytest.mark.parametrize("corpus", list(CORPORA))
def test_the_checker_survives_many_more_hostile_files(tmp_path: Path, corpus: str) -> None:
    figures = fuzz(tmp_path, rounds=30, seed=SEED + 1, corpus=corpus)
    print(f"\nfuzz: {figures}")
    assert (figures.tracebacks, figures.hangs, figures.slow) == (0, 0, 0), figures.examples
    assert (figures.bad_lines, figures.missing, figures.misplaced) == (0, 0, 0), figures.examples


# --- time linear in the number of problems -------------------------------------------------------


def many_problems(kind: str, count: int) -> dict[str, str]:
    case = FILES["cases/sample-case.md"]
    if kind == "unknown keys":
        return {
            "cases/sample-case.md": case.replace(
                "kind: warning\n", "kind: warning\n" + "".join(f"zz_{i}: 1\n" for i in range(count))
            )
        }
    if kind == "unknown terms":
        terms = ", ".join(f"aud-{i}" for i in range(count))
        return {"cases/sample-case.md": case.replace("[newly-promoted, key-posts]", f"[{terms}]")}
    if kind == "bad records":
        items = "".join(f"- id: p-{i}\n  kind: self-check\n  text: t\n  zz: 1\n" for i in range(count))
        return {"prompts/self-check.yaml": items}
    raise AssertionError(kind)


def seconds(root: Path, files: dict[str, str], runs: int = 3) -> float:
    """The best time of ``runs`` checks of the small library with ``files`` replaced."""
    write_library(root)
    for rel, text in files.items():
        (root / rel).write_text(text, encoding="utf-8")
    best = float("inf")
    for _ in range(runs):
        # The collector's passes over whatever the process holds (more in a long test session) are
        # not the checker's work: they are left out, so that the figure is the algorithm's.
        gc.collect()
        gc.disable()
        try:
            started = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                assert main(["check", str(root)]) in (0, 1)
            best = min(best, time.perf_counter() - started)
        finally:
            gc.enable()
    return best


@pytest.mark.parametrize(("kind", "count"), [("unknown keys", 2500), ("unknown terms", 2500), ("bad records", 1500)])
def test_time_is_linear_in_the_number_of_problems(tmp_path: Path, kind: str, count: int) -> None:
    """Four times the problems take about four times as long (at most six; a square would be sixteen),
    over the time of the same library without them."""
    base = seconds(tmp_path / "base", {})
    small = seconds(tmp_path / "small", many_problems(kind, count)) - base
    large = seconds(tmp_path / "large", many_problems(kind, 4 * count)) - base
    assert large < 6 * max(small, 0.02), f"{kind}: {count:,} problems in {small:.2f} s, {4 * count:,} in {large:.2f} s"


@pytest.mark.slow
def test_forty_thousand_unknown_keys_take_seconds(tmp_path: Path) -> None:
    assert seconds(tmp_path, many_problems("unknown keys", 40_000)) < 15


# --- build specs ---------------------------------------------------------------------------------

SPEC_FIELDS = ["library", "out", "formats", "documents", "editions", "audiences", "lang", "seed", "date", "unit"]
SESSION_FIELDS = ["id", "audience", "theme", "documents", "editions", "lang", "seed", "date", "unit"]
SPEC_VALUES = [
    *CERTAIN.values(),
    *OTHER,
    "{casebook: {cases: {x: 1}}}",
    "{casebook: {cases: " + "9" * 5000 + "}}",
    "{casebook: [1]}",
    "{zz: {seed: 1}}",
]


def spec_texts() -> Iterator[tuple[str, int | None]]:
    """Spec texts with one wrong value each, and the line of that value when it is certainly a problem."""
    certain = set(CERTAIN.values())
    for key in [*SPEC_FIELDS, "parameters"]:
        for value in SPEC_VALUES:
            yield f"formats: [html]\n{key}: {value}\n", 2 if value in certain else None
    for key in [*SESSION_FIELDS, "parameters"]:
        for value in SPEC_VALUES:
            yield f"sessions:\n  - audience: retired\n    {key}: {value}\n", 3 if value in certain else None
    yield "\n" * 5 + "a: [" * 70 + "]" * 70 + "\n", 6
    yield "seed: 1\n" + "".join(f"zz_{i}: 1\n" for i in range(2000)), 2


def test_specs_with_wrong_values_end_in_lines(bundled: Library) -> None:
    faults = []
    count = 0
    for text, line in spec_texts():
        count += 1
        try:
            with deadline(HANG):
                model, where = parse_spec(text, "spec.yaml")
                resolve(model, bundled, where=where)
        except ToolkitError as exc:
            lines = [str(problem) for problem in getattr(exc, "problems", ())]
            in_format = bool(lines) and all("\n" not in s and LINE.match(s) for s in lines)
            placed = line is None or any(s.startswith(f"spec.yaml:{line}: ") for s in lines)
            if not (in_format and placed):
                faults.append((text[:80], lines[:3]))
        except Exception as exc:
            faults.append((text[:80], f"{type(exc).__name__}: {exc}"[:200]))
        else:
            if line is not None:
                faults.append((text[:80], "accepted"))
    assert count > 500
    assert faults == []


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("seed: " + "9" * 5000 + "\n", 1, "a number of 5,000 characters is too long"),
        ("formats: [html]\nunit: " + "[" * 200 + "]" * 200 + "\n", 2, "nested more than"),
        ('formats: [html]\nunit: "a\\x1bb"\n', 2, "control character '\\x1b' in a value"),
        ("formats: [html]\n\nunit: a\x07b\n", 3, "control character '\\x07' is not allowed"),
        ("formats: [html]\nunit: &u a\n", 2, "anchors and aliases are not allowed"),
        ("formats: [html]\n<<: {seed: 1}\nseed: 2\n", 2, "merge keys"),
    ],
)
def test_a_hostile_spec_is_one_line_at_its_place(text: str, line: int, message: str) -> None:
    with pytest.raises(ToolkitError) as raised:
        parse_spec(text, "spec.yaml")
    [problem] = raised.value.problems  # type: ignore[attr-defined]
    assert problem.line == line
    assert message in problem.message


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_an_empty_spec_is_an_error(text: str) -> None:
    with pytest.raises(ToolkitError) as raised:
        parse_spec(text, "spec.yaml")
    assert str(raised.value).startswith("spec.yaml:1: spec file is empty; ")


# --- accepted but wrong, and check and build agreeing -------------------------------------------

INVISIBLE = ["\\u200b\\u200b", "\\u3000", "\\ufeff", "\\u202e\\u2066", " \\u00a0\\u2800 "]
TEXTS = {  # the required texts of each kind, with the line of the first record's
    "cases/sample-case.md": ("title", "summary"),
    "themes/sample-theme.md": ("title", "summary"),
    "questions/integrity.yaml": ("stem", "explanation", "rule"),
    "prompts/self-check.yaml": ("text",),
    "messages/mid-autumn.yaml": ("body",),
}


@pytest.mark.parametrize("invisible", INVISIBLE)
def test_a_text_of_invisible_characters_is_empty(tmp_path: Path, invisible: str) -> None:
    figures = Figures()
    root = tmp_path / "lib"
    for rel, names in TEXTS.items():
        first, indent = RECORDS[rel]
        for number, key in fields(FILES[rel], first, indent):
            if key in names:
                write_library(root)
                (root / rel).write_text(set_field(FILES[rel], number, f'"{invisible}"'), encoding="utf-8")
                check(root, f"{rel} {key}", figures, (os.fsencode(root / rel), number + 1))
    body = FILES["cases/sample-case.md"].replace("He kept it.", invisible.encode().decode("unicode_escape"))
    write_library(root)
    (root / "cases/sample-case.md").write_text(body, encoding="utf-8")
    check(
        root,
        "section",
        figures,
        (os.fsencode(root / "cases/sample-case.md"), body.split("\n").index("## Violations") + 1),
    )
    assert figures.inputs == 10
    assert (figures.missing, figures.misplaced, figures.bad_lines) == (0, 0, 0), figures.examples


def test_a_merge_key_cannot_hide_a_repeated_field(tmp_path: Path) -> None:
    figures = Figures()
    root = tmp_path / "lib"
    write_library(root)
    case = FILES["cases/sample-case.md"].replace("kind: warning\n", "kind: warning\n<<: {zz: 1}\nkind: warning\n")
    (root / "cases/sample-case.md").write_text(case, encoding="utf-8")
    check(root, "merge key", figures, (os.fsencode(root / "cases/sample-case.md"), 5))
    assert (figures.missing, figures.misplaced) == (0, 0), figures.examples


def test_what_check_ignores_cannot_fail_a_build(tmp_path: Path) -> None:
    """Beside the entry folders, a dangling link and a named pipe: check passes, and the library a
    build's notebooks load (through the cache that watches the library's files) loads too."""
    from toolkit.handout import cached_library
    from toolkit.library import read_library

    root = tmp_path / "lib"
    write_library(root)
    os.symlink("/nonexistent/lianzheng", root / "notes.md")
    os.mkfifo(root / "pipe")
    (root / "drafts").mkdir()
    os.symlink(root / "drafts" / "gone.md", root / "drafts" / "link.md")
    library, problems = read_library(root)
    assert problems == [] and library is not None
    with deadline(HANG):
        assert [case.id for case in cached_library(str(root)).cases] == ["sample-case"]


def test_did_you_mean_over_many_names_takes_time_in_proportion_to_the_lookups() -> None:
    """A file of thousands of unknown case ids in a library of thousands of cases: each suggestion
    looks at a few likely names, not at every one (difflib over 5,000 names takes 40 to 160 ms)."""
    from toolkit.errors import closest

    rng = random.Random(SEED)
    words = ["gift", "banquet", "travel", "loan", "county", "bureau", "school", "clinic"]
    names = [f"case-{rng.choice(words)}-{rng.choice(words)}-{number}" for number in range(5_000)]
    started = time.perf_counter()
    for number in range(500):  # 57 s when every name is compared
        name = names[rng.randrange(len(names))]
        typo = name[:6] + name[7:]
        assert closest(typo, names) is not None, typo
        closest(f"case-zz-{number}", names)
    assert time.perf_counter() - started < 6
