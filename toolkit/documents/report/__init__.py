"""The trainer report, a document kind like the handouts: the figures of :mod:`.analysis`
assembled into plain data (:class:`TrainerReport`) and rendered by ``render/templates/report.html.j2``.

Its row in :data:`toolkit.documents.DOCUMENTS` names :func:`assemble_report` and :data:`PARAMS`;
``notebooks/report.ipynb`` is a handout notebook like the others, and ``lianzheng report`` builds it as
a one-job batch.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from toolkit.documents.common import Cover, Provenance
from toolkit.documents.params import PRINT_SIZE, Param
from toolkit.errors import ParameterError
from toolkit.i18n import LANGUAGES, Catalog, catalog
from toolkit.version import toolkit_version

if TYPE_CHECKING:  # pandas, numpy and matplotlib load only when a report is made
    import pandas as pd

    from toolkit.documents.report import analysis
    from toolkit.library.catalog import Library

# Default thresholds of the question analysis (shares of correct answers; discrimination).
EASY = 0.95
HARD = 0.20
LOW_DISCRIMINATION = 0.20

# The report's parameters, in the order of the notebook's parameters cell. ``audience`` here filters
# the store (any ids, comma-separated), so it is not the handouts' audience parameter.
PARAMS: tuple[Param, ...] = (
    Param("store", "", "path of the response store (SQLite); required", blank_ok=True),
    Param("session", "", "a session id or a comma-separated list; '' for every session", blank_ok=True),
    Param("audience", "", "an audience id or a comma-separated list; '' for every audience", blank_ok=True),
    Param("sheet", "", "a sheet (quiz, worksheet) or a comma-separated list; '' for every sheet", blank_ok=True),
    Param(
        "edition",
        "aggregate",
        "aggregate: counts only; named: training records list learners by id and name",
        ("aggregate", "named"),
    ),
    PRINT_SIZE,
    Param("lang", "en", "language of the fixed phrases", LANGUAGES),
    Param("date", "", "date printed on the report, YYYY-MM-DD; '' for today", blank_ok=True),
    Param("title", "", "title on the cover; '' for the default title", blank_ok=True),
    Param("unit", "", "the organisation giving the training, shown on the cover", blank_ok=True),
    Param("library", "", "case library whose taxonomy labels the audiences; '' for the default", blank_ok=True),
    Param("top_checks", 10, "how many self-check items to list, most often answered 'no' first; 0 for all", minimum=0),
    Param(
        "easy",
        EASY,
        "a question answered correctly by more than this share is flagged too easy",
        minimum=-1.0,
        maximum=1.0,
    ),
    Param(
        "hard",
        HARD,
        "a question answered correctly by less than this share is flagged too hard",
        minimum=-1.0,
        maximum=1.0,
    ),
    Param(
        "low_discrimination",
        LOW_DISCRIMINATION,
        "a question whose discrimination is below this is flagged",
        minimum=-1.0,
        maximum=1.0,
    ),
)


@dataclass(frozen=True)
class Row:
    """A table row ready to print: cells as text, and whether the row is flagged."""

    cells: tuple[str, ...]
    flagged: bool = False


@dataclass(frozen=True)
class TrainerReport:
    """The report as plain data: the cover, every figure as printable rows, and the charts as SVG."""

    cover: Cover
    scope: str
    provenance: str
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
    low_discrimination: float
    counts: dict[str, int] = field(default_factory=dict)
    # the knowledge contests of the sessions: one line each, scores by round, questions most often missed
    contest_lines: tuple[str, ...] = ()
    contest_scores: tuple[Row, ...] = ()
    contest_missed: tuple[Row, ...] = ()
    uses: frozenset[str] = frozenset()  # no library entry: the report shows the store
    # The pre-appointment test: one row per attempt (named edition) or per session and attempt (aggregate).
    attempts_line: str = ""
    attempts_head: tuple[str, ...] = ()
    attempts: tuple[Row, ...] = ()

    @property
    def named(self) -> bool:
        return self.cover.edition == "named"


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(key): value for key, value in row.items()} for row in frame.to_dict("records")]


def _percent(value: Any) -> str:
    return "–" if value is None or math.isnan(value) else f"{100 * value:.1f}%"


def _number(value: Any, places: int = 2) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:.{places}f}"


def _audience_labels(library: Library, lang: str) -> dict[str, str]:
    tax = library.taxonomy
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
    from toolkit.documents.report.analysis import completion_total

    total = completion_total(table)
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


# -- the pre-appointment test's attempts ---------------------------------------------------------------------


def _when(stamp: Any) -> str:
    return str(stamp)[:16].replace("T", " ") if isinstance(stamp, str) and stamp else "–"


def _attempt_rows(frame: pd.DataFrame, named: bool, t: Catalog) -> tuple[str, tuple[str, ...], tuple[Row, ...]]:
    """The attempts section: its summary line, the table's head and rows; no candidate named unless ``named``.
    A store without attempts has no such section (all three empty)."""
    if not len(frame):
        return "", (), ()
    yes, no = t("report.yes"), t("report.no_answer")
    passes = int(sum(1 for value in frame["passed"] if value is True))
    line = t("report.attempts.counted", count=len(frame), candidates=frame["learner"].nunique(), passed=passes)
    rows: list[Row] = []
    head: tuple[str, ...]
    if named:
        head = (t("report.candidate"), t("report.name"), t("report.session"), t("report.attempt"))
        head += (t("report.started"), t("report.submitted_at"), t("report.score"), t("report.passed"))
        for r in _rows(frame):
            done = r["passed"] is not None
            score = f"{r['score']:g} / {r['max_score']:g}" if done else "–"
            verdict = (yes if r["passed"] else no) if done else "–"
            cells = (str(r["learner"]), str(r["name"]), str(r["session"]), str(r["attempt"]))
            rows.append(
                Row((*cells, _when(r["started_at"]), _when(r["submitted_at"]), score, verdict), r["passed"] is False)
            )
        return line, head, tuple(rows)
    head = (t("report.session"), t("report.attempt"), t("report.learners"), t("report.submitted"), t("report.passed"))
    head += (t("report.mean"),)
    for (session, number), group in frame.groupby(["session", "attempt"], sort=True):
        graded = group[group["passed"].map(lambda v: v is not None)]
        share = (graded["score"] / graded["max_score"]).mean() if len(graded) else float("nan")
        count = int(sum(1 for v in graded["passed"] if v is True))
        counted = (str(session), str(number), str(group["learner"].nunique()), str(len(graded)), str(count))
        rows.append(Row((*counted, _percent(share))))
    return line, head, tuple(rows)


# -- end of the pre-appointment test -------------------------------------------------------------------------


def _contest_parts(params: Mapping[str, Any], t: Catalog) -> dict[str, Any]:
    """The contest part of the report: a line per contest, scores by round, the most missed questions."""
    from toolkit.documents.report import analysis

    sessions = [name.strip() for name in str(params["session"]).split(",") if name.strip()]
    found = analysis.contest_results(params["store"], sessions)
    if found.contests.empty:
        return {}
    lines = tuple(
        t(
            "report.contest.line",
            contest=r["contest"],
            teams=r["teams"],
            questions=r["asked"],
            date=t.date(str(r["started_at"])[:10]),
        )
        for r in _rows(found.contests)
    )
    table: dict[tuple[str, int], dict[str, Any]] = {}
    for r in _rows(found.scores):
        line = table.setdefault(
            (r["contest"], int(r["team"])), {"name": r["name"], **dict.fromkeys(analysis.ROUND_ORDER, 0)}
        )
        if r["round"] in analysis.ROUND_ORDER:
            line[r["round"]] += int(r["points"])
    scores = tuple(
        Row(
            (
                contest,
                line["name"],
                *(str(line[name]) for name in analysis.ROUND_ORDER),
                str(sum(line[n] for n in analysis.ROUND_ORDER)),
            )
        )
        for (contest, _), line in table.items()
    )
    missed = tuple(
        Row((str(n), r["item"], r["text"] or "", str(r["asked"]), str(r["missed"])), flagged=True)
        for n, r in enumerate((r for r in _rows(found.missed) if r["missed"]), start=1)
        if n <= (params["top_checks"] or len(found.missed))
    )
    return {"contest_lines": lines, "contest_scores": scores, "contest_missed": missed}


def store_counts(params: Mapping[str, Any]) -> dict[str, int]:
    """What the store holds for the report's filters (``params`` already checked): sessions, sheets,
    learners, answers, submissions and saves. A missing, foreign or empty store is a one-line error."""
    from toolkit.documents.report import analysis

    return analysis.read_store(params["store"], params["session"], params["audience"], params["sheet"]).counts()


def assemble_report(library: Library, params: Mapping[str, Any]) -> TrainerReport:
    """Read the store and compute every figure and chart of the report (``params`` already checked)."""
    if not params["store"]:
        raise ParameterError(
            "report parameters: parameter 'store' is empty; valid: the path of a response store", "store"
        )
    from toolkit.documents.report import analysis, charts

    t = catalog(params["lang"])
    named = params["edition"] == "named"
    responses = analysis.read_store(params["store"], params["session"], params["audience"], params["sheet"])
    labels = _audience_labels(library, params["lang"])
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
    head, records = _records(analysis.training_records(responses, named), named, t)
    counts = responses.counts()
    library_version = ", ".join(sorted(responses.sheets["library_version"].unique()))
    sessions = sorted(responses.sheets["session"].unique())
    audiences = [labels.get(a, a) for a in sorted(responses.sheets["audience"].unique())]
    shown = {k: v for k, v in params.items() if k not in ("store", "library")}
    provenance = t(
        "report.provenance",
        store=str(params["store"]),
        library=library_version,
        toolkit=toolkit_version(),
        date=t.date(params["date"]),
        **{k: counts[k] for k in ("sessions", "learners", "answers", "submissions", "saves")},
    )
    provenance += t("punct.dot") + t(
        "punct.labelled", label=t("provenance.parameters"), text=json.dumps(shown, ensure_ascii=False, sort_keys=True)
    )
    scope = t("report.scope", sessions=t("punct.list").join(sessions), audiences=t("punct.list").join(audiences))
    cover = Cover(
        title=params["title"] or t("report.title"),
        document="report",
        audience=params["audience"],
        audience_label=scope,
        education="",
        emphasis="",
        unit=params["unit"],
        date=params["date"],
        lang=params["lang"],
        edition=params["edition"],
        edition_label=t(f"edition.{params['edition']}"),
        provenance=Provenance(library_version, toolkit_version(), tuple(sorted(shown.items())), params["date"]),
    )
    return TrainerReport(
        cover=cover,
        scope=scope,
        provenance=provenance,
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
        low_discrimination=params["low_discrimination"],
        counts=counts,
        **_attempts_section(params, named, t),
        **_contest_parts(params, t),
    )


def _attempts_section(params: Mapping[str, Any], named: bool, t: Catalog) -> dict[str, Any]:
    from toolkit.documents.report import analysis

    frame = analysis.pretest_attempts(params["store"], params["session"], params["audience"], params["sheet"])
    line, head, rows = _attempt_rows(frame, named, t)
    return {"attempts_line": line, "attempts_head": head, "attempts": rows}
