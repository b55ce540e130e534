"""Running one job in a build worker: papermill on a warm kernel, then every format, then publish.

Each format is written by its row's writer in the format table (:mod:`toolkit.batch.formats`), first
to a temporary file beside its target; only when every one has succeeded are they renamed into place.
A failed job leaves the previous good outputs as they were and saves its executed notebook as
``<stem>.failed.ipynb`` for inspection.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.batch.formats import DOCUMENT, FORMATS, SOURCES, Made
from toolkit.batch.jobs import Job
from toolkit.fileio import discard, publish, stage, target_of
from toolkit.library.catalog import Library

if TYPE_CHECKING:
    from nbformat import NotebookNode

KERNEL = "python3"


@dataclass
class JobResult:
    """What happened to a job; becomes its entry in ``manifest.json``."""

    job: Job
    status: str  # built, cached or failed
    seconds: float = 0.0
    outputs: dict[str, str] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    uses: list[str] = field(default_factory=list)
    library_version: str = ""
    key: str = ""
    cell: int | None = None
    error: str | None = None
    failed_notebook: str | None = None
    # For a job an interrupted build did not reach: its entry from the earlier manifest, kept as it was.
    recorded: dict[str, Any] | None = None


@dataclass
class WorkerState:
    """What a worker is given once when it starts: the build's library (used as it is for a job on
    that library, never loaded again), and the formats it cannot write, each with the reason."""

    library: Library | None = None
    unavailable: dict[str, str] = field(default_factory=dict)


_state = WorkerState()


def init_worker(library: Library | None = None, fork: bool = False) -> None:
    """Start this worker's kernel first (it boots while the exporters import), then import them
    (:mod:`.runners`; nothing to do in a worker forked from a builder that imported them). ``fork``:
    the kernel is a fork of this worker (see :mod:`.kernels`).

    A format's optional dependency that cannot be imported does not stop the worker: the jobs that ask
    for that format fail with the reason, and the others are built.
    """
    from toolkit.batch import runners

    runners.defer_iri_grammar()  # before papermill imports nbformat
    from toolkit.batch import kernels

    kernels.register()
    kernels.pool(KERNEL, fork)
    atexit.register(kernels.close_pool)
    _state.library = library
    _state.unavailable.clear()
    _state.unavailable.update(runners.load())


def init_pool_worker(library: Library | None = None, builder: int | None = None) -> None:
    """:func:`init_worker` for a worker of the pool. Ctrl-C reaches the whole process group: the worker
    ignores it and finishes the job in hand, so its files are whole; the builder stops giving out jobs.

    The worker dies with the builder (process ``builder``, which forked it from its main thread): a
    builder killed with SIGKILL leaves no worker, and so no kernel, behind.
    """
    from toolkit.batch import kernels

    kernels.die_with_parent()
    if builder is not None and os.getppid() != builder:  # the builder died before the request was made
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    init_worker(library, fork=True)


def file_digest(path: Path) -> str:
    """A written file's SHA-256, as the manifest records it and the next build checks it."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


_VOLATILE = ("start_time", "end_time", "duration")


def settle(nb: NotebookNode, target: str) -> None:
    """Make an executed notebook depend on its inputs only: the same job gives the same bytes.

    Drops the clock times papermill and nbclient record (the manifest keeps each job's timings), names
    the published file (relative to the output folder, as in the manifest) rather than the staged one as
    papermill's output path, and gives the cell papermill injects a fixed id instead of a random one.
    """
    record = nb.metadata.get("papermill", {})
    for name in _VOLATILE:
        record.pop(name, None)
    if "output_path" in record:
        record["output_path"] = target
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        for name in _VOLATILE:
            cell.metadata.get("papermill", {}).pop(name, None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"


def run_job(job: Job, out: Path, key: str) -> JobResult:
    """Execute ``job`` with papermill and write its formats under ``out``.

    A file that cannot be written (no space left, no right to write) fails this job alone, with the
    reason; what it had staged is removed and the previous outputs stay as they were.
    """
    started = time.perf_counter()
    try:
        return _run_job(job, out, key, started)
    except OSError as exc:
        return JobResult(job, "failed", time.perf_counter() - started, key=key, error=_write_error(exc, out))


def _write_error(exc: OSError, out: Path) -> str:
    """A failed write in one line: the reason, and the file named as the manifest names it."""
    reason = exc.strerror or str(exc)
    if not exc.filename:
        return f"{type(exc).__name__}: {reason}"
    path = target_of(Path(str(exc.filename)))  # a temporary file: its target
    if path.name.endswith(".failed.ipynb"):  # the executed notebook, kept under that name only if it fails
        path = path.with_name(path.name.removesuffix(".failed.ipynb") + ".ipynb")
    try:
        shown = str(path.relative_to(out))
    except ValueError:
        shown = str(path)
    return f"{type(exc).__name__}: {reason}: {shown}"


def _run_job(job: Job, out: Path, key: str, started: float) -> JobResult:
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from toolkit.batch import kernels

    kernels.register()
    missing = [_state.unavailable[fmt] for fmt in job.formats if fmt in _state.unavailable]
    if missing:
        return JobResult(job, "failed", 0.0, key=key, error=missing[0])
    timings: dict[str, float] = {}
    outputs = job.outputs()
    # Written in the order of what they are made from: the notebook, then the page, then the document;
    # except that the formats made from the document (the PDF) are laid out first, before the notebook
    # runs: the job's first one then fills the time its worker's kernel takes to start answering.
    order = sorted(outputs, key=lambda fmt: SOURCES.index(FORMATS[fmt].source))
    early = [fmt for fmt in order if FORMATS[fmt].source == DOCUMENT]
    failed_path = out / job.session / f"{job.stem}.failed.ipynb"
    executed = stage(failed_path)
    staged: list[tuple[Path, Path]] = []
    made = Made(job, nbformat.v4.new_notebook(), _library, timings)  # the executed notebook comes later
    hashes: dict[str, str] = {}

    def write(fmt: str) -> None:
        target = out / outputs[fmt]
        temp = stage(target)
        staged.append((temp, target))
        page = timings.get("html", 0.0)  # the page, made on first use, counts as html's time
        tick = time.perf_counter()
        FORMATS[fmt].writer(made, temp)
        spent = time.perf_counter() - tick - (timings.get("html", 0.0) - page)
        timings[fmt] = timings.get(fmt, 0.0) + spent
        hashes[fmt] = file_digest(temp)

    try:
        writing: Exception | None = None  # reported after the notebook's own failure, if it has one
        try:
            for fmt in early:
                write(fmt)
        except OSError:
            raise
        except Exception as exc:
            writing = exc
        try:
            tick = time.perf_counter()
            papermill.execute_notebook(
                str(job.notebook),
                str(executed),
                parameters=job.parameters,
                engine_name=kernels.ENGINE,
                kernel_name=KERNEL,
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=False,
            )
            timings["execute"] = time.perf_counter() - tick
        except PapermillExecutionError as exc:
            kernels.pool(KERNEL).discard()
            publish([(executed, failed_path)])
            return JobResult(
                job,
                "failed",
                time.perf_counter() - started,
                key=key,
                cell=_source_cell(failed_path, exc.cell_index),
                error=f"{exc.ename}: {exc.evalue}",
                failed_notebook=str(failed_path.relative_to(out)),
            )
        except OSError:
            raise  # the executed notebook could not be written; the kernel is sound
        except Exception as exc:  # a kernel that died or never started: the job fails, the build goes on
            kernels.pool(KERNEL).discard()
            return JobResult(
                job, "failed", time.perf_counter() - started, key=key, error=f"{type(exc).__name__}: {exc}"
            )
        nb = nbformat.read(executed, as_version=4)
        settle(nb, outputs["ipynb"])
        made.notebook = nb
        try:
            if writing is not None:
                raise writing
            for fmt in order:
                if fmt not in early:
                    write(fmt)
        except OSError:
            raise
        except Exception as exc:
            return JobResult(
                job, "failed", time.perf_counter() - started, key=key, error=f"{type(exc).__name__}: {exc}"
            )
        hashes = {fmt: hashes[fmt] for fmt in order}  # the manifest lists them in the table's order
        publish(staged)
        staged = []
        failed_path.unlink(missing_ok=True)
        return JobResult(
            job,
            "built",
            time.perf_counter() - started,
            outputs=outputs,
            hashes=hashes,
            timings=timings,
            uses=list(made.meta.get("uses", [])),
            library_version=str(made.meta.get("library_version", "")),
            key=key,
        )
    finally:
        discard([executed, *(temp for temp, _ in staged)])


def _source_cell(executed: Path, index: int) -> int:
    """The index in the source notebook of the executed notebook's cell ``index``: papermill's
    injected parameters cell is not in the notebook the user edits (nor is the error banner cell
    papermill puts on top of a failed notebook after computing ``index``)."""
    import nbformat

    cells = [
        cell
        for cell in nbformat.read(executed, as_version=4).cells
        if "papermill-error-cell-tag" not in cell.metadata.get("tags", [])
    ]
    injected = sum(1 for cell in cells[:index] if "injected-parameters" in cell.metadata.get("tags", []))
    return index - injected


def _library(path: str) -> Library:
    """The library at ``path``: the one the worker was given when it is that one."""
    from toolkit.library.load import load_library

    library = _state.library
    if library is not None and str(library.root.resolve()) == path:
        return library
    return load_library(Path(path))
