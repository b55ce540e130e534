"""Running one job in a build worker: papermill on a warm kernel, then every format, then publish.

All formats of a job are first written to temporary files beside their targets; only when every
one has succeeded are they renamed into place. A failed job leaves the previous good outputs as
they were and saves its executed notebook as ``<stem>.failed.ipynb`` for inspection.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.batch.jobs import Job
from toolkit.documents import printable_parameters
from toolkit.errors import MissingDependencyError, requires_extra
from toolkit.fileio import discard, publish, stage, write_atomic

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


# Formats whose exporter is a separate package, which a machine may lack (WeasyPrint needs Pango); each is
# installed by the pip extra of the format's name.
EXPORTERS = {"pdf": "weasyprint", "docx": "pypandoc"}
_HINTS = {
    "weasyprint": "it needs Pango: run `bash scripts/system-packages.sh` as root, or install "
    "libpango-1.0-0 and libpangoft2-1.0-0",
}
_unavailable: dict[str, str] = {}


def init_worker() -> None:
    """Start this worker's kernel first (it boots while the exporters import), then import them.

    An exporter that cannot be imported does not stop the worker: the jobs that ask for its format fail
    with the reason, and the others are built.
    """
    from toolkit.batch import kernels

    kernels.register()
    kernels.pool(KERNEL)
    atexit.register(kernels.close_pool)
    _unavailable.clear()
    for fmt, module in EXPORTERS.items():
        try:
            with requires_extra(fmt):
                importlib.import_module(module)
        except Exception as exc:
            _unavailable[fmt] = unavailable(fmt, module, exc)

    from toolkit.batch.export import html_exporter

    html_exporter()


def init_pool_worker() -> None:
    """:func:`init_worker` for a worker of the pool. Ctrl-C reaches the whole process group: the worker
    ignores it and finishes the job in hand, so its files are whole; the builder stops giving out jobs."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    init_worker()


def unavailable(fmt: str, module: str, exc: BaseException) -> str:
    """One line saying why ``fmt`` cannot be written and what would make it work."""
    reason = " ".join(f"{type(exc).__name__}: {exc}".split())
    if len(reason) > 160:
        reason = reason[:157] + "..."
    missing = isinstance(exc, MissingDependencyError)  # the reason names the pip extra already
    hint = _HINTS.get(module, "" if missing else f"install the Python package {module}")
    line = f"{fmt.upper()} export is unavailable: {module} could not be imported ({reason})"
    return f"{line}; {hint}" if hint else line


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


_VOLATILE = ("start_time", "end_time", "duration")


def settle(nb: Any, target: str) -> None:
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
    """Execute ``job`` with papermill and write its formats under ``out``."""
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from toolkit.batch import export, kernels

    kernels.register()
    started = time.perf_counter()
    missing = [_unavailable[fmt] for fmt in job.formats if fmt in _unavailable]
    if missing:
        return JobResult(job, "failed", 0.0, key=key, error=missing[0])
    timings: dict[str, float] = {}
    targets = {fmt: out / rel for fmt, rel in job.outputs().items()}
    executed = stage(targets["ipynb"])
    staged: list[tuple[Path, Path]] = [(executed, targets["ipynb"])]
    failed_path = out / job.session / f"{job.stem}.failed.ipynb"
    try:
        try:
            tick = time.perf_counter()
            papermill.execute_notebook(
                str(job.notebook),
                str(executed),
                parameters={**job.parameters, **printable_parameters(job.document)},
                engine_name=kernels.ENGINE,
                kernel_name=KERNEL,
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=False,
            )
            timings["execute"] = time.perf_counter() - tick
        except PapermillExecutionError as exc:
            kernels.pool(KERNEL).discard()
            write_atomic(failed_path, executed.read_bytes())
            return JobResult(
                job,
                "failed",
                time.perf_counter() - started,
                key=key,
                cell=_source_cell(executed, exc.cell_index),
                error=f"{exc.ename}: {exc.evalue}",
                failed_notebook=str(failed_path.relative_to(out)),
            )
        except Exception as exc:  # a kernel that died or never started: the job fails, the build goes on
            kernels.pool(KERNEL).discard()
            return JobResult(
                job, "failed", time.perf_counter() - started, key=key, error=f"{type(exc).__name__}: {exc}"
            )
        nb = nbformat.read(executed, as_version=4)
        settle(nb, job.outputs()["ipynb"])
        nbformat.write(nb, executed)
        meta = export.handout_metadata(nb)
        date = job.parameters["date"]
        try:
            tick = time.perf_counter()
            html = export.to_html(nb, date)
            timings["html"] = time.perf_counter() - tick
            for fmt, target in targets.items():
                if fmt == "ipynb":
                    continue
                temp = stage(target)
                staged.append((temp, target))
                tick = time.perf_counter()
                if fmt == "html":
                    temp.write_text(html, encoding="utf-8")
                elif fmt == "pdf":
                    export.write_pdf(html, temp, date)
                elif fmt == "docx":
                    export.write_docx(html, temp, meta.get("lang", "en"), date)
                elif fmt == "slides":
                    temp.write_text(_slides(job), encoding="utf-8")
                timings[fmt] = timings.get(fmt, 0.0) + time.perf_counter() - tick
        except Exception as exc:
            return JobResult(
                job, "failed", time.perf_counter() - started, key=key, error=f"{type(exc).__name__}: {exc}"
            )
        hashes = {fmt: _digest(temp) for temp, target in staged for fmt, t in targets.items() if t == target}
        publish(staged)
        staged = []
        failed_path.unlink(missing_ok=True)
        return JobResult(
            job,
            "built",
            time.perf_counter() - started,
            outputs=job.outputs(),
            hashes=hashes,
            timings=timings,
            uses=list(meta.get("uses", [])),
            library_version=str(meta.get("library_version", "")),
            key=key,
        )
    finally:
        discard([temp for temp, _ in staged])


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


def _slides(job: Job) -> str:
    """The outline's reveal.js deck, from the same checked parameters the notebook used."""
    from toolkit.documents import Outline, assemble
    from toolkit.render.slides import render_slides

    library = _library(job.parameters["library"])
    values: dict[str, Any] = {k: v for k, v in job.parameters.items() if k != "library"}
    outline = assemble(job.document, values, library)
    assert isinstance(outline, Outline), "only the outline has slides"
    return render_slides(outline)


# The library the build loaded, set by the builder before its workers fork (they inherit it).
LIBRARY: Any = None


def _library(path: str) -> Any:
    from toolkit.library.load import load_library

    if LIBRARY is not None and str(LIBRARY.root.resolve()) == path:
        return LIBRARY
    return load_library(Path(path))
