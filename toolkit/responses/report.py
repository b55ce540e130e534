"""The trainer report: the figures of :mod:`toolkit.responses.analysis` as a handout page.

``notebooks/report.ipynb`` is a parameters cell and two calls::

    from toolkit.responses import report
    trainer_report = report.prepare(globals())
    report.show(trainer_report)

:func:`build_report` (``lianzheng report``) runs that notebook with papermill and exports it with the
build's exporters (nbconvert HTML with the stylesheet inlined, WeasyPrint PDF), staged and renamed so a
failed run leaves the previous report as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from toolkit.errors import LibraryError, ParameterError, ToolkitError, did_you_mean
from toolkit.i18n import Catalog, catalog
from toolkit.responses import analysis, charts
from toolkit.version import toolkit_version

NOTEBOOK = "report.ipynb"
# The notebook's parameters and their defaults (its parameters cell holds exactly these).
PARAMETERS: dict[str, Any] = {
    "store": "",
    "session": "",
    "audience": "",
    "sheet": "",
    "show_names": False,
    "lang": "en",
    "date": "",
    "title": "",
    "unit": "",
    "library": "",
    "top_checks": 10,
    "easy": analysis.EASY,
    "hard": analysis.HARD,
    "low_discrimination": analysis.LOW_DISCRIMINATION,
}
FORMATS = ("html", "pdf")


@dataclass(frozen=True)
class Row:
    """A table row ready to print: cells as text, and whether the row is flagged."""

    cells: tuple[str, ...]
    flagged: bool = False


@dataclass(frozen=True)
class TrainerReport:
    parameters: dict[str, Any]
    title: str
    lang: str
    date: str
    unit: str
    scope: str
    provenance: str
    named: bool
    completion: tuple[Row, ...]
    completion_total: Row
    completion_chart: str
    scores_line: str
    score_bands: tuple[Row, ...]
    score_chart: str
    items: tuple[Row, ...]
    items_line: str
    item_chart: str
    checks: tuple[Row, ...]
    checks_chart: str
    records_head: tuple[str, ...]
    records: tuple[Row, ...]
    library_version: str
    counts: dict[str, int] = field(default_factory=dict)
    html: str = ""

    def metadata(self) -> dict[str, Any]:
        """What the exporters read back from the executed notebook."""
        return {
            "document": "report",
            "title": self.title,
            "lang": self.lang,
            "edition": "named" if self.named else "aggregate",
            "library_version": self.library_version,
            "uses": [],
        }

    def _repr_html_(self) -> str:
        return self.html


def check_parameters(values: Mapping[str, Any]) -> dict[str, Any]:
    """The report's parameters with defaults filled in; an unknown name or a value of the wrong type is a
    :class:`ParameterError` naming what is valid."""
    params = dict(PARAMETERS)
    for name, value in values.items():
        if name not in PARAMETERS:
            raise ParameterError(
                f"report parameters: unknown parameter '{name}'{did_you_mean(name, list(PARAMETERS))}; "
                f"valid: {', '.join(PARAMETERS)}",
                name,
            )
        default = PARAMETERS[name]
        expected = (int, float) if isinstance(default, float) else type(default)
        if not isinstance(value, expected) or (isinstance(value, bool) and not isinstance(default, bool)):
            raise ParameterError(
                f"report parameter '{name}' is {value!r}; valid: a {type(default).__name__} such as {default!r}", name
            )
        params[name] = value
    for name in ("easy", "hard", "low_discrimination"):
        if not -1 <= params[name] <= 1:
            raise ParameterError(f"report parameter '{name}' is {params[name]!r}; valid: a number from -1 to 1", name)
    if params["top_checks"] < 0:
        raise ParameterError(
            f"report parameter 'top_checks' is {params['top_checks']}; valid: 0 (all) or more", "top_checks"
        )
    if not params["store"]:
        raise ParameterError("report parameter 'store' is empty; valid: the path of a response store", "store")
    catalog(params["lang"])
    if params["date"]:
        try:
            dt.date.fromisoformat(params["date"])
        except ValueError:
            raise ParameterError(f"report parameter 'date' is {params['date']!r}; valid: YYYY-MM-DD", "date") from None
    else:
        params["date"] = dt.datetime.now(dt.UTC).date().isoformat()
    return params


def notebook_parameters(namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The report's parameters found in a notebook namespace (IPython's own names and modules left out)."""
    from toolkit.handout import ipython_names

    hidden = ipython_names()
    return {
        key: value
        for key, value in namespace.items()
        if not (key.startswith("_") or key in hidden or isinstance(value, types.ModuleType | TrainerReport))
    }


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(key): value for key, value in row.items()} for row in frame.to_dict("records")]


def _percent(value: Any) -> str:
    return "–" if value is None or math.isnan(value) else f"{100 * value:.1f}%"


def _number(value: Any, places: int = 2) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:.{places}f}"


def _audience_labels(library: str, lang: str) -> dict[str, str]:
    """Audience id -> label from the library's taxonomy. A library named explicitly must load; when the
    default one cannot be, the report shows audience ids."""
    from toolkit.handout import cached_library

    try:
        tax = cached_library(library).taxonomy
    except LibraryError:
        if library:
            raise
        return {}
    return {audience.id: tax.label("audiences", audience.id, lang) for audience in tax.audiences}


def flag_text(flag: str, t: Catalog, params: Mapping[str, Any]) -> str:
    texts = {
        "too_easy": t("report.flag.too_easy", limit=_percent(params["easy"])),
        "too_hard": t("report.flag.too_hard", limit=_percent(params["hard"])),
        "negative": t("report.flag.negative"),
        "low_discrimination": t("report.flag.low_discrimination", limit=_number(params["low_discrimination"])),
    }
    return texts[flag]


def _cells(row: Mapping[str, Any], columns: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(str(row[column]) for column in columns)


def _records(table: pd.DataFrame, named: bool, t: Catalog) -> tuple[tuple[str, ...], tuple[Row, ...]]:
    yes, no = t("report.yes"), t("report.no_answer")
    head: tuple[str, ...]
    rows: list[Row] = []
    if named:
        head = (t("report.learner"), t("report.name"), t("report.session"), t("report.material"))
        head += (t("report.library_version"), t("report.submitted_at"), t("report.score"), t("report.passed"))
        for r in _rows(table):
            when = str(r["submitted_at"])[:16].replace("T", " ")
            score = f"{r['score']:g} / {r['max_score']:g}"
            cells = (*_cells(r, ("learner", "name", "session", "title", "library_version")), when, score)
            rows.append(Row((*cells, yes if r["passed"] else no), flagged=not r["passed"]))
        return head, tuple(rows)
    head = (t("report.session"), t("report.material"), t("report.library_version"), t("report.learners"))
    head += (t("report.passed"), t("report.first"), t("report.last"), t("report.mean"))
    for r in _rows(table):
        cells = (*_cells(r, ("session", "title", "library_version", "learners")), str(int(r["passed"])))
        rows.append(Row((*cells, str(r["first"])[:10], str(r["last"])[:10], _percent(r["mean_percent"] / 100))))
    return head, tuple(rows)


def _completion_rows(table: pd.DataFrame, labels: Mapping[str, str], t: Catalog) -> tuple[tuple[Row, ...], Row]:
    rows = []
    for r in _rows(table):
        counts = _cells(r, ("session", "opened", "saved", "submitted"))
        rows.append(Row((labels.get(r["audience"], r["audience"]), *counts, *_rates(r))))
    total = analysis.completion_total(table)
    counts = tuple(f"{total[k]:g}" for k in ("opened", "saved", "submitted"))
    return tuple(rows), Row((t("report.total"), "", *counts, *_rates(total)))


def _rates(row: Mapping[str, Any]) -> tuple[str, str]:
    return _percent(row["saved_rate"]), _percent(row["submitted_rate"])


def _scores_line(scores: analysis.ScoreSummary, t: Catalog) -> str:
    if not scores.count:
        return t("report.scores.none")
    return t(
        "report.scores.summary",
        count=scores.count,
        mean=_percent(scores.mean / 100),
        median=_percent(scores.median / 100),
        passed=scores.passed,
        rate=_percent(scores.pass_rate),
        mark=_percent(scores.pass_mark / 100),
    )


def _item_rows(items: pd.DataFrame, t: Catalog, params: Mapping[str, Any]) -> tuple[Row, ...]:
    rows = []
    for n, r in enumerate(_rows(items), start=1):
        figures = (_number(r["difficulty"]), _number(r["discrimination"]), _number(r["upper_lower"]))
        flags = t("punct.list").join(flag_text(flag, t, params) for flag in r["flags"])
        rows.append(Row((str(n), r["item"], r["text"], str(r["n"]), *figures, flags), flagged=bool(r["flags"])))
    return tuple(rows)


def assemble(params: Mapping[str, Any]) -> TrainerReport:
    """Read the store and compute every figure and chart of the report (``params`` already checked)."""
    t = catalog(params["lang"])
    responses = analysis.read_store(params["store"], params["session"], params["audience"], params["sheet"])
    labels = _audience_labels(params["library"], params["lang"])
    table = analysis.completion(responses)
    completion, total_row = _completion_rows(table, labels, t)
    scores = analysis.score_summary(responses)
    bands = tuple(Row((f"{r['lower']:g}–{r['upper']:g}%", str(r["count"]))) for r in _rows(scores.bands))
    items = analysis.item_analysis(
        responses, easy=params["easy"], hard=params["hard"], low=params["low_discrimination"]
    )
    item_rows = _item_rows(items, t, params)
    flagged = sum(1 for row in item_rows if row.flagged)
    checks = analysis.self_check_no(responses, top=params["top_checks"])
    check_rows = tuple(
        Row((str(n), r["text"] or r["item"], str(r["answered"]), str(r["no"]), _percent(r["no_rate"])))
        for n, r in enumerate(_rows(checks), start=1)
    )
    head, records = _records(analysis.training_records(responses, params["show_names"]), params["show_names"], t)
    counts = responses.counts()
    versions = sorted(responses.sheets["library_version"].unique())
    library_version = ", ".join(versions)
    sessions = sorted(responses.sheets["session"].unique())
    audiences = [labels.get(a, a) for a in sorted(responses.sheets["audience"].unique())]
    shown = {k: v for k, v in params.items() if k not in ("store", "library")}
    provenance = t(
        "report.provenance",
        store=str(params["store"]),
        library=library_version,
        toolkit=toolkit_version(),
        date=params["date"],
        **{k: counts[k] for k in ("sessions", "learners", "answers", "submissions", "saves")},
    )
    provenance += " · " + t("provenance.parameters") + " " + json.dumps(shown, ensure_ascii=False, sort_keys=True)
    report = TrainerReport(
        parameters=dict(params),
        title=params["title"] or t("report.title"),
        lang=params["lang"],
        date=params["date"],
        unit=params["unit"],
        scope=t("report.scope", sessions=t("punct.list").join(sessions), audiences=t("punct.list").join(audiences)),
        provenance=provenance,
        named=bool(params["show_names"]),
        completion=completion,
        completion_total=total_row,
        completion_chart=charts.completion_chart(table, t) if len(table) else "",
        scores_line=_scores_line(scores, t),
        score_bands=bands,
        score_chart=charts.score_chart(scores.bands, scores.pass_mark, t) if scores.count else "",
        items=item_rows,
        items_line=t("report.flagged", count=flagged, total=len(item_rows)) if item_rows else t("report.items.none"),
        item_chart=charts.item_chart(items, t, params["easy"], params["hard"], params["low_discrimination"])
        if len(items)
        else "",
        checks=check_rows,
        checks_chart=charts.checks_chart(checks, t) if len(checks) else "",
        records_head=head,
        records=records,
        library_version=library_version,
        counts=counts,
    )
    return _rendered(report)


def _rendered(report: TrainerReport) -> TrainerReport:
    from dataclasses import replace

    from toolkit.render import environment

    html = environment(report.lang).get_template("report.html.j2").render(r=report)
    return replace(report, html=html)


def make_report(**values: Any) -> TrainerReport:
    """The report for these parameters (see :data:`PARAMETERS`), checked, computed and rendered."""
    return assemble(check_parameters(values))


def prepare(namespace: Mapping[str, Any]) -> TrainerReport:
    """What the notebook calls: check its parameters cell, read the store, compute and render."""
    return make_report(**notebook_parameters(namespace))


def show(report: TrainerReport) -> None:
    """Display the report with the metadata the exporters read."""
    from IPython.display import display

    display(
        {"text/html": report.html, "text/plain": f"<report: {report.title}>"},
        raw=True,
        metadata={"lianzheng": report.metadata()},
    )


def build_report(out: Path, values: Mapping[str, Any], *, kernel: str = "python3") -> dict[str, Any]:
    """Run ``notebooks/report.ipynb`` with papermill and write ``out`` (``.html`` or ``.pdf``).

    The notebook runs on this process's warm kernel (the build's papermill engine, see
    :mod:`toolkit.batch.kernels`); call ``kernels.close_pool()`` when done with reports.

    The store is read once here first, so a missing or empty store is reported in one line before a
    kernel starts. Returns the provenance: the output, store, counts, date, toolkit version, timings.
    """
    import time

    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from toolkit.batch import export, kernels
    from toolkit.batch.worker import settle
    from toolkit.fileio import discard, publish, stage
    from toolkit.paths import notebooks_dir

    fmt = out.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ParameterError(f"{out}: unknown report format '{out.suffix}'; valid: .html, .pdf", "out")
    params = check_parameters({**values, "store": str(Path(str(values.get("store", ""))).resolve())})
    counts = analysis.read_store(params["store"], params["session"], params["audience"], params["sheet"]).counts()
    timings: dict[str, float] = {}
    executed = stage(out.with_suffix(".ipynb"))
    staged = [executed]
    try:
        tick = time.perf_counter()
        kernels.register()
        try:
            papermill.execute_notebook(
                str(notebooks_dir() / NOTEBOOK),
                str(executed),
                parameters=params,
                engine_name=kernels.ENGINE,
                kernel_name=kernel,
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=False,
            )
        except PapermillExecutionError as exc:
            kernels.pool(kernel).discard()
            raise ToolkitError(f"report notebook failed: {exc.ename}: {exc.evalue}") from None
        timings["execute"] = time.perf_counter() - tick
        nb = nbformat.read(executed, as_version=4)
        settle(nb, out.with_suffix(".ipynb").name)
        tick = time.perf_counter()
        html = export.to_html(nb, params["date"])
        timings["html"] = time.perf_counter() - tick
        temp = stage(out)
        staged.append(temp)
        if fmt == "html":
            temp.write_text(html, encoding="utf-8")
        else:
            tick = time.perf_counter()
            export.write_pdf(html, temp, params["date"])
            timings["pdf"] = time.perf_counter() - tick
        publish([(temp, out)])
    finally:
        discard(staged)
    return {
        "out": str(out),
        "store": params["store"],
        "counts": counts,
        "date": params["date"],
        "toolkit_version": toolkit_version(),
        "timings": timings,
    }
