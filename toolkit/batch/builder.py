"""The build itself: plan the jobs, skip those whose key and files are unchanged, run the rest in
this process or on a pool of forked workers, and write ``manifest.json`` and ``index.html``.

>>> import tempfile
>>> from toolkit import bundled_library, load_library
>>> from toolkit.batch.spec import Overrides, default_spec
>>> library = load_library(bundled_library())
>>> spec = default_spec(library, Overrides(audiences=["retired"], documents=["outline"], formats=["html"]))
>>> folder = tempfile.TemporaryDirectory()
>>> build(spec, library, Path(folder.name), jobs=1).counts()
{'built': 1, 'cached': 0, 'failed': 0}
>>> build(spec, library, Path(folder.name), jobs=1).counts()  # nothing changed: nothing runs
{'built': 0, 'cached': 1, 'failed': 0}
>>> folder.cleanup()

Only what a build needs is imported: a build where every job is cached never imports papermill,
nbconvert or Typst (the worker and the format writers are imported when a job runs).
"""

from __future__ import annotations

import contextlib
import errno
import json
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.batch.jobs import Job, expand, job_key
from toolkit.batch.spec import BuildSpec
from toolkit.batch.worker import JobResult, file_digest
from toolkit.documents import DOCUMENTS, assemble
from toolkit.errors import OutputError, ParameterError, ToolkitError
from toolkit.fileio import Reservation, remove_staged, write_atomic
from toolkit.library.catalog import Library
from toolkit.version import toolkit_version

if TYPE_CHECKING:
    from toolkit.batch.formats import Format
    from toolkit.documents.common import Cover

MANIFEST = "manifest.json"
INDEX = "index.html"


@dataclass
class BuildReport:
    """Every job's result, in the spec's order, with the output folder and the wall time."""

    out: Path
    results: list[JobResult]
    seconds: float
    library_version: str
    phases: dict[str, float] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        counts = {"built": 0, "cached": 0, "failed": 0}
        for result in self.results:
            counts[result.status] += 1
        return counts

    @property
    def failed(self) -> list[JobResult]:
        return [result for result in self.results if result.status == "failed"]


def read_manifest(out: Path) -> dict[str, dict[str, Any]]:
    """The previous build's entries by job id (empty when there is none or it cannot be read)."""
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        return {entry["id"]: entry for entry in data.get("jobs", [])}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _cached(job: Job, key: str, previous: dict[str, Any] | None, out: Path) -> JobResult | None:
    """The previous result of a job when its key is unchanged and its files are still intact."""
    if not previous or previous.get("status") not in ("built", "cached") or previous.get("key") != key:
        return None
    outputs = job.outputs()
    hashes = previous.get("hashes", {})
    if previous.get("outputs") != outputs or set(hashes) != set(outputs):
        return None
    for fmt, rel in outputs.items():
        path = out / rel
        if not path.is_file() or file_digest(path) != hashes[fmt]:
            return None
    return _from_entry(job, previous, "cached")


def _from_entry(job: Job, entry: dict[str, Any], status: str) -> JobResult:
    """A job's result as an earlier manifest recorded it."""
    return JobResult(
        job,
        status,
        float(entry.get("seconds", 0.0)) if status != "cached" else 0.0,
        outputs=dict(entry.get("outputs", {})),
        hashes=dict(entry.get("hashes", {})),
        uses=list(entry.get("uses", [])),
        library_version=str(entry.get("library_version", "")),
        key=str(entry.get("key", "")),
        cell=entry.get("cell"),
        error=entry.get("error"),
        failed_notebook=entry.get("failed_notebook"),
    )


class Interrupted(KeyboardInterrupt):
    """The build was interrupted (Ctrl-C); ``finished`` jobs are published and recorded in the manifest."""

    def __init__(self, finished: list[JobResult]) -> None:
        super().__init__()
        self.finished = finished


def _expected_seconds(job: Job, previous: dict[str, Any] | None) -> float:
    """The job's time in the last build, else its document's weight in the documents table."""
    if previous and previous.get("status") == "built" and previous.get("seconds"):
        return float(previous["seconds"])
    return DOCUMENTS[job.document].weight


def _entry(result: JobResult) -> dict[str, Any]:
    if result.recorded is not None:
        return dict(result.recorded)
    job = result.job
    entry: dict[str, Any] = {
        "id": job.id,
        "session": job.session,
        "audience": job.audience,
        "document": job.document,
        "edition": job.edition,
        "status": result.status,
        "outputs": result.outputs,
        "seconds": round(result.seconds, 3),
        "parameters": {k: v for k, v in job.parameters.items() if k != "library"},
        "key": result.key,
        "hashes": result.hashes,
        "uses": result.uses,
        "library_version": result.library_version,
    }
    if result.timings:
        entry["timings"] = {name: round(value, 3) for name, value in result.timings.items()}
    if result.status == "failed":
        entry["cell"] = result.cell
        entry["error"] = result.error
        entry["failed_notebook"] = result.failed_notebook
    return entry


def _run(
    todo: list[tuple[Job, str]],
    library: Library,
    out: Path,
    workers: int,
    progress: bool,
    on_job: Callable[[JobResult], None] | None = None,
) -> list[JobResult]:
    """Run jobs in this process (one worker) or in a pool of forked workers, each with a warm kernel.

    Each worker is given the build's library when it starts (the pool's initializer), so that a job
    never loads it again.
    """
    from toolkit.batch import runners
    from toolkit.batch.worker import init_pool_worker, init_worker, run_job

    runners.defer_iri_grammar()  # before anything imports nbformat
    from toolkit.batch import kernels

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), unit="job", desc="building", file=sys.stderr, disable=None)

    def done(result: JobResult) -> None:
        if bar is not None:
            bar.update(1)
        if on_job is not None:
            on_job(result)

    results: list[JobResult] = []
    try:
        if workers <= 1 or len(todo) == 1 or not kernels.forkable():
            init_worker(library)
            try:
                for job, key in todo:
                    result = run_job(job, out, key)
                    done(result)
                    results.append(result)
            except KeyboardInterrupt:
                raise Interrupted(results) from None
            finally:
                kernels.close_pool()
        else:
            from concurrent.futures import ProcessPoolExecutor, as_completed

            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            if method == "fork":  # once here, shared by the forked workers and their kernels
                runners.load()
                runners.load_for_kernels(library)
            context = multiprocessing.get_context(method)
            with ProcessPoolExecutor(
                workers, mp_context=context, initializer=init_pool_worker, initargs=(library, os.getpid())
            ) as pool:
                futures = {pool.submit(run_job, job, out, key): job for job, key in todo}
                by_id: dict[str, JobResult] = {}
                try:
                    for future in as_completed(futures):
                        job = futures[future]
                        try:
                            result = future.result()
                        except Exception as exc:  # a worker that died: report the job, keep the others
                            result = JobResult(job, "failed", 0.0, error=f"{type(exc).__name__}: {exc}")
                        done(result)
                        by_id[job.id] = result
                except KeyboardInterrupt:
                    # The jobs in hand finish (their workers ignore Ctrl-C) and are recorded; no new job
                    # starts. A second Ctrl-C stops the workers at once: their temporary files are
                    # removed by the next build.
                    for future in futures:
                        future.cancel()
                    try:
                        for future in futures:
                            if not future.cancelled() and futures[future].id not in by_id:
                                with contextlib.suppress(Exception):  # a job that failed: built again next time
                                    by_id[futures[future].id] = future.result()
                    except KeyboardInterrupt:
                        for process in list(getattr(pool, "_processes", {}).values()):
                            process.kill()
                    raise Interrupted(list(by_id.values())) from None
                results = [by_id[job.id] for job, _ in todo]
    finally:
        if bar is not None:
            bar.close()
    return results


def build(
    spec: BuildSpec,
    library: Library,
    out: Path,
    *,
    jobs: int | None = None,
    force: bool = False,
    progress: bool = False,
    on_plan: Callable[[int, int], None] | None = None,
    on_job: Callable[[JobResult], None] | None = None,
) -> BuildReport:
    """Build every job of ``spec`` into ``out``; unchanged jobs are ``cached`` unless ``force``.

    ``on_plan(to_run, cached)`` is called once the jobs are planned, ``on_job(result)`` as each job
    that runs finishes (the studio's progress bar; the command line uses ``progress``).
    """
    if jobs is not None and jobs < 1:
        raise ParameterError(f"{jobs} parallel jobs: give 1 or more", "jobs")
    started = time.perf_counter()
    phases: dict[str, float] = {}
    out = out.resolve()
    if out.exists() and not out.is_dir():
        raise OutputError(out, "is not a folder; give the folder the handouts go to")
    _no_file_above(out)
    planned = expand(spec, library)
    sessions = sorted({job.session for job in planned})
    try:
        out.mkdir(parents=True, exist_ok=True)
        for folder in [out, *(out / session for session in sessions)]:
            remove_staged(folder)  # what a killed build left in the folders this one writes
    except OSError as exc:
        raise OutputError(exc.filename or out, exc) from None
    recorded = read_manifest(out)
    previous = {} if force else recorded
    results: dict[str, JobResult] = {}
    covers: dict[str, Cover] = {}
    todo: list[tuple[Job, str]] = []
    uses: dict[str, list[str]] = {}
    tick = time.perf_counter()
    for job in planned:
        values = {k: v for k, v in job.parameters.items() if k != "library"}
        document = assemble(job.document, values, library)
        covers[job.id] = document.cover
        key = job_key(job, document, library)
        hit = _cached(job, key, previous.get(job.id), out)
        if hit is not None:
            results[job.id] = hit
        else:
            todo.append((job, key))
            uses[job.id] = sorted(document.uses)
    phases["plan"] = time.perf_counter() - tick
    # Room for the manifest and the index is held before any job runs: a disk the jobs fill cannot
    # keep the build from recording what it wrote.
    rooms = _reserve(out, spec, library, planned, results, uses, covers)
    try:
        if on_plan is not None:
            on_plan(len(todo), len(planned) - len(todo))
        if todo:
            # Longest first, so that the last jobs to finish are short ones and both workers end together.
            todo.sort(key=lambda item: -_expected_seconds(item[0], previous.get(item[0].id)))

            tick = time.perf_counter()
            workers = max(1, min(jobs or os.cpu_count() or 1, len(todo)))
            try:
                finished = _run(todo, library, out, workers, progress, on_job)
            except Interrupted as stop:
                # Record what finished, so that running the command again builds only the rest; a job that
                # had not finished keeps its earlier entry (its files were not touched).
                _record(stop.finished, results, recorded, out)
                kept = [results.get(job.id) or _earlier(job, recorded) for job in planned]
                report = BuildReport(out, [r for r in kept if r is not None], 0.0, library.version, phases)
                _write_records(report, spec, covers, rooms)
                raise
            _record(finished, results, recorded, out)
            phases["run"] = time.perf_counter() - tick
        ordered = [results[job.id] for job in planned]
        report = BuildReport(out, ordered, 0.0, library.version, phases)
        tick = time.perf_counter()
        _write_records(report, spec, covers, rooms)
        phases["manifest"] = time.perf_counter() - tick
        report.seconds = time.perf_counter() - started
        return report
    finally:
        for room in rooms:
            room.release()


def file_format(document: str, target: Path) -> Format:
    """The format a file of ``document`` called ``target`` is written in, by its suffix; a
    :class:`ParameterError` names the valid suffixes otherwise."""
    from toolkit.batch.formats import FORMATS, missing_template
    from toolkit.documents import document_kind

    kind = document_kind(document)
    valid = [row for row in FORMATS.values() if row.applies(kind) and not row.always]
    found = [row for row in valid if target.name.endswith(row.suffix)]
    for row in FORMATS.values():
        refusal = missing_template(row, kind)
        if not found and refusal and target.name.endswith(row.suffix):
            raise ParameterError(f"{target}: {refusal}", "out")
    if not found:
        suffixes = ", ".join(row.suffix for row in valid)
        raise ParameterError(f"{target}: unknown {document} format '{target.suffix}'; valid: {suffixes}", "out")
    return max(found, key=lambda row: len(row.suffix))  # '.slides.html' before '.html'


def check_target(target: Path) -> None:
    """An :class:`OutputError` when ``target`` cannot be a file: it is a folder, or a file stands
    where one of its folders would be."""
    if target.is_dir():
        raise OutputError(target, "is a folder; give the name of the file to write")
    _no_file_above(target)


def _no_file_above(path: Path) -> None:
    """An :class:`OutputError` when the nearest existing folder above ``path`` is in fact a file."""
    for folder in path.parents:
        if folder.exists():
            if not folder.is_dir():
                raise OutputError(path, f"{folder} is a file, not a folder")
            break


def build_file(document: str, values: Mapping[str, Any], library: Library, target: Path) -> JobResult:
    """One document into one file, a one-job batch: ``target``'s suffix names the format.

    The job runs as every build's does (papermill on this process's warm kernel, then the format's
    writer), in a staging folder beside ``target``; the file is renamed into place only when the job
    succeeded, so a failure leaves the previous file as it was. Call ``kernels.close_pool()`` when done.
    A bad parameter or suffix is a :class:`ParameterError`, a failed run a :class:`ToolkitError`.
    """
    import shutil

    from toolkit.batch.worker import init_worker, run_job
    from toolkit.documents import check_parameters, document_kind
    from toolkit.paths import notebooks_dir

    kind = document_kind(document)
    row = file_format(document, target)
    params = check_parameters(document, values, library)
    edition = str(params.get("edition", kind.editions[0]))
    if edition not in kind.printable_editions:  # the interactive edition is served, not built
        valid = ", ".join(kind.printable_editions)
        raise ParameterError(f"the {edition} edition of {document} is not built; valid: {valid}", "edition")
    target = target.resolve()
    check_target(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(exc.filename or target.parent, exc) from None
    staging = target.parent / f".{target.name}.building"
    shutil.rmtree(staging, ignore_errors=True)  # what a killed run left
    job = Job(
        session=staging.name,
        audience=str(params.get("audience", "")),
        document=document,
        edition=edition,
        stem=document,
        notebook=notebooks_dir() / kind.notebook,
        parameters={**params, "library": str(library.root.resolve())},
        formats=(row.name,),
    )
    try:
        init_worker(library)
        result = run_job(job, target.parent, key="")
        if result.status != "built":
            raise ToolkitError(f"{document} notebook failed: {result.error}")
        os.replace(target.parent / result.outputs[row.name], target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return result


def _record(finished: list[JobResult], results: dict[str, JobResult], recorded: dict[str, Any], out: Path) -> None:
    for result in finished:
        old = recorded.get(result.job.id)
        if result.status == "failed" and old and old.get("status") in ("built", "cached"):
            # The previous good outputs are still in place: keep pointing at them.
            result.outputs = {f: r for f, r in old.get("outputs", {}).items() if (out / r).is_file()}
        results[result.job.id] = result


def _earlier(job: Job, recorded: dict[str, Any]) -> JobResult | None:
    entry = recorded.get(job.id)
    if not entry:
        return None
    result = _from_entry(job, entry, str(entry.get("status", "failed")))
    result.recorded = entry
    return result


# Room held for the manifest and the index beyond their estimated size: a failed job's error message,
# whose length is not known in advance, and the estimate's own error.
_SLACK = 1.25
_SLACK_BYTES = 16384
_ERROR_ROOM = 600


def _reserve(
    out: Path,
    spec: BuildSpec,
    library: Library,
    planned: list[Job],
    results: Mapping[str, JobResult],
    uses: Mapping[str, list[str]],
    covers: Mapping[str, Cover],
) -> tuple[Reservation, Reservation]:
    """Hold room in ``out`` for the manifest and the index before any job runs, so that a disk the
    jobs fill cannot stop the build recording what it wrote. Their size is estimated from the plan:
    each job to run as if it failed with every field at its longest (outputs, hashes, timings, an
    error). An :class:`OutputError` when ``out`` cannot be written or has no room for them."""
    guesses: list[JobResult] = []
    for job in planned:
        if job.id in results:
            guesses.append(results[job.id])
            continue
        outputs = job.outputs()
        guesses.append(
            JobResult(
                job,
                "failed",
                99999.999,
                outputs=outputs,
                hashes={fmt: "0" * 64 for fmt in outputs},
                timings={name: 99999.999 for name in ("execute", *outputs)},
                uses=list(uses.get(job.id, [])),
                library_version=library.version,
                key="0" * 24,
                cell=99999,
                error="x" * _ERROR_ROOM,
                failed_notebook=f"{job.session}/{job.stem}.failed.ipynb",
            )
        )
    guess = BuildReport(out, guesses, 0.0, library.version)
    rooms: list[Reservation] = []
    try:
        for target, text in ((out / MANIFEST, _manifest_text(guess, spec)), (out / INDEX, _index_html(guess, covers))):
            size = int(len(text.encode("utf-8")) * _SLACK) + _SLACK_BYTES
            rooms.append(Reservation(target, size))
    except OSError as exc:
        for room in rooms:
            room.release()
        if exc.errno == errno.ENOSPC:
            raise OutputError(out, "no space left for the build's manifest and index; nothing was built") from None
        raise OutputError(out, exc) from None
    return rooms[0], rooms[1]


def _write_records(
    report: BuildReport, spec: BuildSpec, covers: Mapping[str, Cover], rooms: tuple[Reservation, Reservation]
) -> None:
    """The manifest, then the index, each written into the room held for it."""
    for room, text in ((rooms[0], _manifest_text(report, spec)), (rooms[1], _index_html(report, covers))):
        try:
            room.write(text)
        except OSError as exc:
            raise OutputError(room.target, exc) from None


def write_manifest(report: BuildReport, spec: BuildSpec) -> None:
    write_atomic(report.out / MANIFEST, _manifest_text(report, spec))


def _manifest_text(report: BuildReport, spec: BuildSpec) -> str:
    data = {
        "lianzheng": toolkit_version(),
        "library_version": report.library_version,
        "spec": spec.source,
        "formats": list(spec.formats),
        "counts": report.counts(),
        "jobs": [_entry(result) for result in report.results],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write_index(report: BuildReport, covers: Mapping[str, Cover] | None = None) -> None:
    """``index.html``: every session and document with links to each format, self-contained.

    ``covers`` (job id -> the document's cover) gives the audience's name, the title and the date. Each
    language's handouts are listed in that language; the page's own language is the first one built.
    """
    write_atomic(report.out / INDEX, _index_html(report, covers))


def _index_html(report: BuildReport, covers: Mapping[str, Cover] | None = None) -> str:
    """The index page: the sessions of each language the handouts were built in, each language's in
    that language, with links between the languages when there are several."""
    from markupsafe import Markup

    from toolkit.i18n import catalog
    from toolkit.render import environment, style_text, stylesheet

    covers = covers or {}
    by_lang: dict[str, list[JobResult]] = {}
    for result in report.results:
        cover = covers.get(result.job.id)
        lang = cover.lang if cover else str(result.job.parameters.get("lang", "en"))
        by_lang.setdefault(lang, []).append(result)
    langs = list(by_lang) or ["en"]
    grouped = len(langs) > 1
    groups = []
    for lang in langs:
        sessions: dict[str, dict[str, Any]] = {}
        counts = {"built": 0, "cached": 0, "failed": 0}
        for result in by_lang.get(lang, []):
            job = result.job
            counts[result.status] += 1
            cover = covers.get(job.id)
            session = sessions.setdefault(
                job.session,
                {
                    "audience": cover.audience_label if cover else job.audience,
                    "name": job.session.removeprefix(f"{lang}/") if grouped else job.session,
                    "audience_id": job.audience,
                    "date": job.parameters.get("date", ""),
                    "entries": [],
                },
            )
            session["entries"].append({**_entry(result), "title": cover.title if cover else ""})
        env = environment(lang)
        html = env.get_template("_index_sessions.html.j2").render(
            lang=lang,
            grouped=grouped,
            sessions=sessions,
            counts=counts,
            library_version=report.library_version,
            toolkit_version=toolkit_version(),
        )
        groups.append({"lang": lang, "name": catalog(lang)("index.language"), "html": Markup(html)})
    return (
        environment(langs[0])
        .get_template("index.html.j2")
        .render(
            lang=langs[0],
            groups=groups,
            css=style_text(stylesheet()),
        )
    )
