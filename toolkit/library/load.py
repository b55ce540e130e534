"""Load a library folder into typed records, collecting every problem on the way.

``read_library`` never stops at the first problem: it reads every file, checks what it can, and
returns the problems with the library. ``load_library`` is the strict form that raises.
Loading only reads: nothing in a library can make it write, or read outside the library folder.
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
import stat
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from itertools import repeat
from pathlib import Path
from typing import Annotated, Any, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError

from toolkit.errors import LibraryError, LibraryNotFoundError, ParseError, Problem
from toolkit.library import check
from toolkit.library.catalog import Library
from toolkit.library.check import Where
from toolkit.library.languages import (
    body_language_problems,
    compare_bodies,
    located,
    missing_languages,
    split_body,
    split_languages,
)
from toolkit.library.model import (
    Case,
    CaseMeta,
    Message,
    MessageFile,
    Origin,
    Prompt,
    Question,
    Taxonomy,
    Theme,
    ThemeMeta,
)
from toolkit.library.parse import decode, parse_body, parse_yaml, split_front_matter

TAXONOMY = "taxonomy.yaml"
MAX_FILE_BYTES = 1 << 20
_SKIPPED_NAMES = {"README.md", "README", ".DS_Store"}


@dataclass(frozen=True)
class SourceFile:
    """A file of the library: its path relative to the root and its decoded text."""

    rel: str
    text: str
    shown: str


@dataclass(frozen=True)
class EntryKind:
    """One kind of library entry: where its files live and how one file is read and checked."""

    name: str
    noun: str
    folder: str
    suffixes: tuple[str, ...]
    read: Callable[[SourceFile, Taxonomy], tuple[list[Any], list[Problem]]]


_RESERVED = ("origin", "sections", "extra_sections")


def _validate(
    model: type[BaseModel], data: Any, where: Where, reserved: tuple[str, ...] = _RESERVED
) -> tuple[Any, list[Problem]]:
    """Validate a mapping against a model; fields the loader fills in itself are not accepted."""
    valid, _, problems = _validate_partly(model, data, where, reserved)
    return valid, problems


@dataclass(frozen=True)
class Partial:
    """An entry whose structure is invalid: the fields that did validate, for checking the rest."""

    record: Any
    failed: frozenset[str]


@cache
def _field_adapters(model: type[BaseModel]) -> dict[str, TypeAdapter[Any]]:
    adapters = {}
    for name, field in model.model_fields.items():
        annotation: Any = Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
        adapters[name] = TypeAdapter(annotation)
    return adapters


def _validate_partly(
    model: type[BaseModel], data: Any, where: Where, reserved: tuple[str, ...] = _RESERVED
) -> tuple[Any, Partial | None, list[Problem]]:
    """Validate; when that fails, also build a :class:`Partial` from the fields that are valid on
    their own, so that taxonomy terms and rules are checked in the same run as the structure."""
    if not isinstance(data, dict):
        found = "nothing" if data is None else type(data).__name__
        return None, None, [where.at((), f"expected a mapping of fields (found {found})")]
    for key in reserved:
        if key in data:
            return None, None, [where.at((key,), f"unknown field '{key}'")]
    try:
        return model.model_validate(data), None, []
    except ValidationError as exc:
        problems = check.validation_problems(exc, where, model)
    values: dict[str, Any] = {}
    failed = set()
    for name, adapter in _field_adapters(model).items():
        field = model.model_fields[name]
        if name not in data:
            if field.is_required():
                failed.add(name)
                values[name] = _empty(field.annotation)
            else:
                values[name] = field.get_default(call_default_factory=True)
            continue
        try:
            values[name] = adapter.validate_python(data[name])
        except ValidationError:
            failed.add(name)
            values[name] = _empty(field.annotation)
    return None, Partial(model.model_construct(**values), frozenset(failed)), problems


def _empty(annotation: Any) -> Any:
    """What stands for a field that is missing or invalid in a :class:`Partial`: an empty list or
    mapping for a list or a mapping, so that checks can go over it, else ``None``."""
    origin = get_origin(annotation)
    return [] if origin is list else {} if origin is dict else None


def _read_markdown(
    meta_model: type[BaseModel], full_model: type[BaseModel], kind: str
) -> Callable[[SourceFile, Taxonomy], tuple[list[Any], list[Problem]]]:
    checker = check.check_case if full_model is Case else check.check_theme

    def read(source: SourceFile, tax: Taxonomy) -> tuple[list[Any], list[Problem]]:
        lists = [section.id for section in tax.sections if section.list]
        front = split_front_matter(source.text)
        doc = parse_yaml(front.yaml_text, front.yaml_line)
        where = Where(source.shown, doc)
        split = split_languages(doc.data, kind, meta_model.model_fields, tax.languages, where)
        problems = list(split.problems)
        parts, found = split_body(
            front.body, front.body_line, list(split.data), split.blocks, tax.languages, source.shown
        )
        problems += found
        entry: dict[str, Any] = {}
        bodies = {}
        for lang, data in split.data.items():
            part = parts[lang]
            at = located(where, kind, lang if split.blocks else None, part.heading)
            meta, partial, found = _validate_partly(meta_model, data, at)
            problems += found
            body, body_problems = parse_body(part.text, part.line, tax.headings, lists)
            problems += [Problem(where.path, problem.line, problem.message) for problem in body_problems]
            problems += body_language_problems(body, lang, where.path)
            bodies[lang] = body
            fields = meta if meta is not None else partial.record if partial is not None else None
            if fields is None:
                continue
            record = full_model.model_construct(
                **dict(fields),
                sections=body.sections,
                extra_sections=body.extra,
                origin=Origin(path=source.rel, line=1),
            )
            failed = partial.failed if partial is not None else frozenset()
            if split.blocks and part.heading is None:  # no part for this language: reported once, above
                failed = failed | {"sections"}
            if not entry or meta is None:  # the facts, once (they are the same in every language)
                problems += checker(record, tax, at, failed=failed)  # type: ignore[arg-type]
            elif "sections" not in failed:
                problems += check.check_sections(record, tax, at)  # type: ignore[arg-type]
            if meta is not None:
                entry[lang] = record
        problems += compare_bodies(
            bodies, source.shown, {lang: part.heading or part.line for lang, part in parts.items()}
        )
        problems += missing_languages(list(split.data), tax.languages, split.blocks, where)
        return ([entry] if entry and len(entry) == len(split.data) else []), problems

    return read


def _read_item(
    model: type[BaseModel],
    kind: str,
    data: Any,
    where: Where,
    tax: Taxonomy,
    origin: Origin,
    checker: Callable[..., list[Problem]],
    update: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], list[Problem]]:
    """One entry of a YAML list (a question, a prompt or a message), in each of its languages."""
    split = split_languages(data, kind, model.model_fields, tax.languages, where)
    problems = list(split.problems)
    entry: dict[str, Any] = {}
    for lang, values in split.data.items():
        at = located(where, kind, lang if split.blocks else None)
        record, partial, found = _validate_partly(model, values, at)
        problems += found
        if record is not None:
            record = record.model_copy(update={**(update or {}), "origin": origin})
            entry[lang] = record
            problems += checker(record, tax, at)
        elif partial is not None:
            problems += checker(partial.record, tax, at, failed=partial.failed)
    problems += missing_languages(list(split.data), tax.languages, split.blocks, where)
    return (entry if len(entry) == len(split.data) else {}), problems


def _read_list(
    model: type[Question] | type[Prompt], kind: str
) -> Callable[[SourceFile, Taxonomy], tuple[list[Any], list[Problem]]]:
    checker = check.check_question if model is Question else check.check_prompt

    def read(source: SourceFile, tax: Taxonomy) -> tuple[list[Any], list[Problem]]:
        doc = parse_yaml(source.text)
        where = Where(source.shown, doc)
        if not isinstance(doc.data, list):
            return [], [where.at((), "expected a YAML list of items, each starting with '- id: ...'")]
        entries, problems = [], []
        for index, item in enumerate(doc.data):
            origin = Origin(path=source.rel, line=doc.line_of((index,)))
            entry, found = _read_item(model, kind, item, where.within(index), tax, origin, checker)
            problems += found
            if entry:
                entries.append(entry)
        return entries, problems

    return read


def _read_messages(source: SourceFile, tax: Taxonomy) -> tuple[list[Any], list[Problem]]:
    doc = parse_yaml(source.text)
    where = Where(source.shown, doc)
    head, problems = _validate(MessageFile, doc.data, where)
    if head is None:
        return [], problems
    problems += check.term_problems(tax, where, [(("occasion",), "occasions", head.occasion)])
    entries = []
    for index, item in enumerate(head.messages):
        at = where.within("messages", index)
        if "occasion" in item:
            problems.append(
                at.at(("occasion",), "unknown field 'occasion' (the file's 'occasion' applies to every message)")
            )
            continue
        origin = Origin(path=source.rel, line=doc.line_of(("messages", index)))
        entry, found = _read_item(
            Message, "messages", item, at, tax, origin, check.check_message, {"occasion": head.occasion}
        )
        problems += found
        if entry:
            entries.append(entry)
    return entries, problems


KINDS: tuple[EntryKind, ...] = (
    EntryKind("cases", "case", "cases", (".md",), _read_markdown(CaseMeta, Case, "cases")),
    EntryKind("themes", "theme", "themes", (".md",), _read_markdown(ThemeMeta, Theme, "themes")),
    EntryKind("questions", "question", "questions", (".yaml", ".yml"), _read_list(Question, "questions")),
    EntryKind("prompts", "prompt", "prompts", (".yaml", ".yml"), _read_list(Prompt, "prompts")),
    EntryKind("messages", "message", "messages", (".yaml", ".yml"), _read_messages),
)


def _walk(root: Path, folder: str) -> Iterator[Path]:
    base = root / folder
    for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
        dirnames[:] = sorted(name for name in dirnames if not name.startswith("."))
        for name in sorted(filenames):
            if not name.startswith(".") and not name.endswith("~") and name not in _SKIPPED_NAMES:
                yield Path(dirpath) / name


def library_files(path: str | os.PathLike[str]) -> list[Path]:
    """Every file :func:`read_library` reads or reports (the taxonomy, then each entry folder's
    files): what a cache of the loaded library must watch, and nothing the loader ignores."""
    root = Path(path)
    return [root / TAXONOMY, *(file for kind in KINDS for file in _walk(root, kind.folder))]


_FILE_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _not_regular(mode: int) -> str:
    kind = next((name for test, name in _FILE_KINDS if test(mode)), "not a regular file")
    return f"{kind}, not a regular file; not read"


def _read_regular(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; :class:`ParseError` (at line 1) for
    anything else. A folder, a named pipe, a socket or a device is refused before it is opened, and
    again after (in case it was swapped in between), without blocking: reading a named pipe would wait
    for a writer forever."""
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise ParseError(1, _not_regular(info.st_mode))
    if info.st_size > limit:
        raise ParseError(1, f"file is {info.st_size:,} bytes; library files are at most {limit:,}")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise ParseError(1, _not_regular(mode))
        raw = handle.read(limit + 1)
    if len(raw) > limit:
        raise ParseError(1, f"file is more than {limit:,} bytes; library files are at most {limit:,}")
    return raw


def _read_file(path: Path, real_root: Path, display: str, rel: str) -> tuple[bytes | None, Problem | None]:
    """Read a file's bytes, unless it is too large, is not a regular file, or a symbolic link (of the
    file or of a folder on its way) leads outside the library, whose resolved path is ``real_root``.
    A problem about the whole file is reported at its line 1."""
    shown = os.path.join(display, rel)
    try:
        if not path.resolve().is_relative_to(real_root):
            return None, Problem(shown, 1, "symbolic link to a file outside the library; not read")
        return _read_regular(path), None
    except ParseError as exc:
        return None, Problem(shown, 1, exc.message)
    except RuntimeError:  # Path.resolve on a loop of symbolic links (Python 3.11 and 3.12)
        return None, Problem(shown, 1, "symbolic link in a loop; not read")
    except OSError as exc:
        return None, Problem(shown, 1, f"cannot read file: {exc.strerror or exc}")


def _source(raw: bytes, display: str, rel: str) -> SourceFile:
    return SourceFile(rel, decode(raw), os.path.join(display, rel))


@dataclass(frozen=True)
class _Job:
    kind: str
    file: Path
    rel: str


@dataclass(frozen=True)
class _Result:
    rel: str
    digest: bytes
    entries: list[Any]
    problems: list[Problem]


# Below this many files a library is read in this process; above it, by a pool of processes.
PARALLEL_FROM = 400
_KINDS_BY_NAME = {kind.name: kind for kind in KINDS}


def _read_job(job: _Job, real_root: Path, display: str, tax: Taxonomy) -> _Result:
    raw, problem = _read_file(job.file, real_root, display, job.rel)
    if raw is None:
        return _Result(job.rel, b"", [], [problem] if problem else [])
    digest = hashlib.sha256(raw).digest()
    try:
        entries, problems = _KINDS_BY_NAME[job.kind].read(_source(raw, display, job.rel), tax)
    except ParseError as exc:
        entries, problems = [], [Problem(os.path.join(display, job.rel), exc.line or 1, exc.message)]
    return _Result(job.rel, digest, entries, problems)


def _read_jobs(jobs: list[_Job], real_root: Path, display: str, tax: Taxonomy) -> list[_Result]:
    return [_read_job(job, real_root, display, tax) for job in jobs]


def _run_jobs(jobs: list[_Job], real_root: Path, display: str, tax: Taxonomy, workers: int | None) -> list[_Result]:
    """Read every file, in a pool of processes when the library is large; results keep job order."""
    workers = workers if workers is not None else min(os.cpu_count() or 1, 8)
    if workers <= 1 or len(jobs) < PARALLEL_FROM or "fork" not in mp.get_all_start_methods():
        return _read_jobs(jobs, real_root, display, tax)
    size = max(50, len(jobs) // (workers * 4))
    chunks = [jobs[start : start + size] for start in range(0, len(jobs), size)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork")) as pool:
        parts = pool.map(_read_jobs, chunks, repeat(real_root), repeat(display), repeat(tax))
        return [result for part in parts for result in part]


def read_library(path: str | os.PathLike[str], *, workers: int | None = None) -> tuple[Library | None, list[Problem]]:
    """Read a library folder; return it with every problem found (``None`` when the taxonomy is unusable).

    A large library is read by ``workers`` processes (default: one per CPU); the result is the same.
    """
    display = os.fspath(path)
    root = Path(path)
    if not os.path.lexists(root / TAXONOMY):
        raise LibraryNotFoundError(display)
    problems: list[Problem] = []

    real_root = root.resolve()
    raw, problem = _read_file(root / TAXONOMY, real_root, display, TAXONOMY)
    if raw is None:
        return None, [problem] if problem else []
    digest = hashlib.sha256(TAXONOMY.encode() + b"\0" + hashlib.sha256(raw).digest())
    tax = _load_taxonomy(raw, display, problems)
    if tax is None:
        return None, sorted(problems, key=_problem_order)

    jobs: list[_Job] = []
    for kind in KINDS:
        for file in _walk(root, kind.folder):
            rel = file.relative_to(root).as_posix()
            if not _utf8(rel):
                problems.append(Problem(os.path.join(display, rel), 1, "file name is not UTF-8; rename the file"))
            elif file.suffix in kind.suffixes:
                jobs.append(_Job(kind.name, file, rel))
            else:
                expected = " or ".join(f"*{suffix}" for suffix in kind.suffixes)
                message = f"not a {kind.noun} file: {kind.folder}/ holds {expected} files"
                problems.append(Problem(os.path.join(display, rel), 1, message))

    found: dict[str, list[Any]] = {kind.name: [] for kind in KINDS}
    texts: dict[str, dict[str, list[Any]]] = {lang: {kind.name: [] for kind in KINDS} for lang in tax.languages}
    # Case files that could not be read: references to their names are not reported again.
    unread_cases: set[str] = set()
    for job, result in zip(jobs, _run_jobs(jobs, real_root, display, tax, workers), strict=True):
        digest.update(result.rel.encode() + b"\0" + result.digest)
        if job.kind == "cases" and not result.entries:
            unread_cases.add(job.file.stem)
        for entry in result.entries:  # each entry: its record in each of its languages
            found[job.kind].append(next(iter(entry.values())))
            for lang, record in entry.items():
                if lang in texts:
                    texts[lang][job.kind].append(record)
        problems += result.problems

    problems += _cross_problems(found, display, unread_cases)
    version = digest.hexdigest()[:12]
    views = {lang: {kind: tuple(records) for kind, records in by_kind.items()} for lang, by_kind in texts.items()}
    first = tax.languages[0]
    library = Library(root=root, taxonomy=tax, version=version, language=first, texts=views, **views[first])
    return library, sorted(set(problems), key=_problem_order)


def _utf8(name: str) -> bool:
    """Whether a file name decoded from the disk was UTF-8 (undecodable bytes become surrogates)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _problem_order(problem: Problem) -> tuple[str, int, str]:
    return problem.path, problem.line or 0, problem.message


def _load_taxonomy(raw: bytes, display: str, problems: list[Problem]) -> Taxonomy | None:
    shown = os.path.join(display, TAXONOMY)
    try:
        doc = parse_yaml(decode(raw))
    except ParseError as exc:
        problems.append(Problem(shown, exc.line, exc.message))
        return None
    where = Where(shown, doc)
    tax, found = _validate(Taxonomy, doc.data, where, reserved=())
    problems += found
    if tax is None:
        return None
    found = check.check_taxonomy(tax, where)
    problems += found
    return None if found else tax


def _cross_problems(found: dict[str, list[Any]], display: str, unread_cases: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    for kind in KINDS:
        places = (
            (entry.id, Problem(os.path.join(display, entry.origin.path), entry.origin.line, ""))
            for entry in found[kind.name]
        )
        problems += check.duplicate_problems(kind.noun, places)
    case_ids = {case.id: case for case in found["cases"]}
    for name, field in (("cases", "related"), ("themes", "cases"), ("questions", "cases")):
        for entry in found[name]:
            refs = getattr(entry, field)
            if any(ref not in case_ids and ref not in unread_cases for ref in refs):
                where = _where_of(entry, display, name)
                problems += check.reference_problems(where, field, refs, case_ids, skip=unread_cases)
    return problems


def _where_of(entry: Any, display: str, kind: str) -> Where:
    """Re-derive a line-aware location for an entry (only needed when it has a problem)."""
    shown = os.path.join(display, entry.origin.path)
    path = Path(display) / entry.origin.path
    try:
        text = decode(_read_regular(path))
        if kind in ("cases", "themes"):
            doc = parse_yaml(split_front_matter(text).yaml_text, 2)
            return Where(shown, doc)
        doc = parse_yaml(text)
        for index, item in enumerate(doc.data):
            if isinstance(item, dict) and item.get("id") == entry.id:
                return Where(shown, doc, (index,))
    except (OSError, ParseError):
        pass
    return Where(shown, line=entry.origin.line)


def load_library(path: str | os.PathLike[str]) -> Library:
    """Load and validate a library; raise :class:`LibraryError` listing every problem.

    >>> from toolkit.paths import bundled_library
    >>> library = load_library(bundled_library())
    >>> len(library.cases) > 40, len(library.version)
    (True, 12)
    """
    library, problems = read_library(path)
    if problems or library is None:
        raise LibraryError(problems)
    return library
