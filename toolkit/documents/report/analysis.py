"""The trainer report's figures, computed from the response store (read with SQL, never written).

Every function here is pure: :func:`read_store` reads the tables a report needs into a
:class:`Responses` (pandas DataFrames, filtered by session and audience), and each figure is a
function of that.

Completion (:func:`completion`), per audience and session:
    *opened*: learners who opened a sheet of the session (the ``opens`` table), saved anything (even an
    empty answer) or submitted;
    *saved*: learners with at least one non-empty answer; *submitted*: learners with a submission.
    Rates are shares of *opened*.
Scores (:func:`score_summary`): each submission's score as a percentage of its maximum, counted in
    bands of ``100 / bands`` percent (the last band includes 100 %), with mean, median and pass rate.
Items (:func:`item_analysis`), per quiz question over every graded submission that includes it:
    *difficulty* is the proportion correct; *discrimination* is the corrected item-total point-biserial
    correlation: the Pearson correlation between the item (1 correct, 0 not) and the rest of the
    learner's score as a fraction of the rest's maximum (score minus this item's points, over
    max_score minus its max_points). Leaving the item out of the total keeps it from correlating with
    itself; taking a fraction lets submissions of different sheets be pooled (within one sheet it is the
    plain rest score). The upper-lower index (27 % groups by total score, ties broken by learner id) is
    shown beside it. An item is flagged ``too_easy`` (difficulty > ``easy``), ``too_hard``
    (< ``hard``), ``negative`` (discrimination < 0) or ``low_discrimination`` (< ``low``). An item
    that everybody or nobody got right has no discrimination (NaN); it is flagged by its difficulty.
Self-checks (:func:`self_check_no`): per self-check item, learners answering, and "no" answers.
Training records (:func:`training_records`): one row per submission (learner, material, library
    version, when, score, passed) when names are asked for; otherwise one row per session and
    material with counts (learners submitted, passed, first and last submission, mean score), so no
    person appears. Counting was chosen over pseudonyms: a pseudonym can be linked back to a person
    through the times and scores beside it.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.documents.items import item_type
from toolkit.documents.report import EASY, HARD, LOW_DISCRIMINATION
from toolkit.errors import StoreError
from toolkit.storefile import RowProblems, check_store, keyed, open_readonly

GROUP_SHARE = 0.27
BANDS = 10
TABLES = ("sheets", "learners", "answers", "submissions", "results")
SELF_CHECK = "self-check"  # the item type whose "no" answers the report counts


@dataclass(frozen=True)
class Responses:
    """The store's tables as DataFrames, filtered to the chosen sessions and audiences."""

    path: str
    sheets: pd.DataFrame
    learners: pd.DataFrame
    answers: pd.DataFrame
    submissions: pd.DataFrame
    results: pd.DataFrame
    saves: int  # rows in the append-only history (all sessions)
    opens: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["session", "sheet", "learner"]))

    def counts(self) -> dict[str, int]:
        """What the store holds after filtering, for the report's provenance line."""
        return {
            "sessions": int(self.sheets["session"].nunique()),
            "sheets": len(self.sheets),
            "learners": len(
                set(self.opens["learner"]) | set(self.answers["learner"]) | set(self.submissions["learner"])
            ),
            "answers": len(self.answers),
            "submissions": len(self.submissions),
            "saves": self.saves,
        }


def open_store(path: str | Path) -> sqlite3.Connection:
    """A connection to the store at ``path`` that only reads and changes nothing, not even beside it (no
    ``-wal`` or ``-shm`` left behind; a store on a read-only disk is read; see :mod:`toolkit.storefile`).
    A missing file, another kind of file or a store without the report's tables is a one-line
    :class:`StoreError`. (The schema version is checked by ``lianzheng report``, which knows it: this
    layer sits below the store's code.)"""
    conn = open_readonly(path)
    try:
        check_store(conn, path, tables=(*TABLES, "saves"), known_version=None)
    except BaseException:
        conn.close()
        raise
    return conn


def _in(column: str, values: Sequence[str]) -> tuple[str, list[str]]:
    return f"{column} IN ({', '.join('?' * len(values))})", list(values)


def _choices(value: str | Sequence[str] | None) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(part) for part in value]


def read_store(
    path: str | Path,
    session: str | Sequence[str] | None = None,
    audience: str | Sequence[str] | None = None,
    sheet: str | Sequence[str] | None = None,
) -> Responses:
    """Read the store at ``path``, keeping the sessions, audiences and sheets (``quiz``, ``worksheet``...)
    asked for (a name, a comma-separated list or a sequence; empty for all). An empty store, or a filter
    that matches nothing, is a :class:`StoreError` naming what the store does hold."""
    conn = open_store(path)
    try:
        # One read transaction: every table as of the same moment, while learners go on saving.
        conn.execute("BEGIN")
        sheets = pd.read_sql_query("SELECT * FROM sheets ORDER BY session, sheet", conn)
        tested = _tested(conn)  # sessions and audiences of a pre-appointment test's attempts
        has_contests = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'contests'").fetchone()
        held = bool(has_contests and conn.execute("SELECT 1 FROM contests LIMIT 1").fetchone())  # a contest
        if sheets.empty and not tested and not held:
            raise StoreError(
                f"{path}: the store is empty (no worksheet or quiz has been opened yet, and no contest held)"
            )
        wanted = {"session": _choices(session), "audience": _choices(audience), "sheet": _choices(sheet)}
        every = sheets
        for column, values in wanted.items():
            known = sorted(set(every[column].unique()) | set(tested.get(column, ())))
            unknown = [value for value in values if value not in known]
            if unknown:
                raise StoreError(f"{path}: no {column} '{unknown[0]}' in the store; valid: {', '.join(known)}")
            if values:
                sheets = sheets[sheets[column].isin(values)]
        # Test attempts alone are reported too (the sheet ``test`` stands for them in a filter), and so are
        # contests alone (a store with no sheet at all).
        if (
            sheets.empty
            and not (tested and (not wanted["sheet"] or "test" in wanted["sheet"]))
            and not (every.empty and held)
        ):
            chosen = "; ".join(f"{column} {', '.join(values)}" for column, values in wanted.items() if values)
            raise StoreError(f"{path}: no sheet in the store matches {chosen}")
        where, args = _in("session", sorted(sheets["session"].unique()))
        query = "SELECT * FROM {} WHERE " + where + " ORDER BY session, sheet, learner"
        keys = pd.MultiIndex.from_frame(sheets[["session", "sheet"]])
        # A store written before the ``opens`` table existed has none: its "opened" counts saves and submissions.
        has_opens = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'opens'").fetchone()
        frames = {}
        for table in ("answers", "submissions", "results", *(("opens",) if has_opens else ())):
            frame = pd.read_sql_query(query.format(table), conn, params=args)
            frames[table] = frame[pd.MultiIndex.from_frame(frame[["session", "sheet"]]).isin(keys)]
            frames[table] = frames[table].reset_index(drop=True)
        learners = pd.read_sql_query("SELECT * FROM learners ORDER BY learner", conn)
        saves = int(conn.execute("SELECT count(*) FROM saves").fetchone()[0])
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot read the response store ({exc})") from None
    finally:
        conn.close()
    check_json(path, sheets, frames["answers"], frames["results"])
    return Responses(str(path), sheets.reset_index(drop=True), learners, saves=saves, **frames)


def check_json(path: str | Path, sheets: pd.DataFrame, answers: pd.DataFrame, results: pd.DataFrame) -> None:
    """Every JSON column the report reads parses (and a sheet's items are a list of items); otherwise a
    :class:`~toolkit.errors.CorruptStoreError` with one line per bad row, naming table, key and column."""
    problems = RowProblems(path)
    for session, sheet, params, items in sheets[["session", "sheet", "params", "items"]].itertuples(index=False):
        key = keyed(("session", "sheet"), (session, sheet))
        problems.json("sheets", key, "params", params)
        problems.items("sheets", key, items)
    names = ("session", "sheet", "learner", "item")
    for table, frame, column in (("answers", answers, "value"), ("results", results, "given")):
        for row in frame[[*names, column]].itertuples(index=False):
            problems.json(table, keyed(names, row[:-1]), column, row[-1])
    problems.check()


def _blank(value: str) -> bool:
    """An answer that holds nothing: null, an empty string, list or object."""
    try:
        decoded = json.loads(value)
    except ValueError:
        return not value.strip()
    return decoded is None or (
        isinstance(decoded, str | list | dict) and not (decoded.strip() if isinstance(decoded, str) else decoded)
    )


def completion(responses: Responses) -> pd.DataFrame:
    """Per audience and session: learners who opened, saved anything, submitted, and the rates."""
    rows = []
    answers, subs, opens = responses.answers, responses.submissions, responses.opens
    filled = answers[~answers["value"].map(_blank)] if len(answers) else answers
    for (audience, session), _ in responses.sheets.groupby(["audience", "session"], sort=True):
        opened = (
            set(opens.loc[opens["session"] == session, "learner"])
            | set(answers.loc[answers["session"] == session, "learner"])
            | set(subs.loc[subs["session"] == session, "learner"])
        )
        saved = set(filled.loc[filled["session"] == session, "learner"])
        submitted = set(subs.loc[subs["session"] == session, "learner"])
        rows.append((audience, session, len(opened), len(saved), len(submitted)))
    frame = pd.DataFrame(rows, columns=["audience", "session", "opened", "saved", "submitted"])
    return _with_rates(frame)


def _with_rates(frame: pd.DataFrame) -> pd.DataFrame:
    opened = frame["opened"].where(frame["opened"] > 0)
    frame["saved_rate"] = frame["saved"] / opened
    frame["submitted_rate"] = frame["submitted"] / opened
    return frame


def completion_total(table: pd.DataFrame) -> dict[str, float]:
    """The sum of :func:`completion`'s rows, with its rates (a learner in two sessions counts twice)."""
    total = pd.DataFrame([table[["opened", "saved", "submitted"]].sum()])
    return {str(key): float(value) for key, value in _with_rates(total).iloc[0].items()}


@dataclass(frozen=True)
class ScoreSummary:
    bands: pd.DataFrame  # lower, upper (percent), count
    count: int
    mean: float  # percent; NaN without submissions
    median: float
    passed: int
    pass_rate: float
    pass_mark: float  # percent, the most common pass mark


def score_summary(responses: Responses, bands: int = BANDS) -> ScoreSummary:
    """The distribution of submitted scores as a percentage of each submission's maximum."""
    subs = responses.submissions[responses.submissions["max_score"] > 0]
    percent = (100.0 * subs["score"] / subs["max_score"]).to_numpy(dtype=float)
    width = 100.0 / bands
    index = np.minimum((percent // width).astype(int), bands - 1) if len(percent) else np.array([], dtype=int)
    counts = np.bincount(index, minlength=bands)
    table = pd.DataFrame(
        {"lower": [i * width for i in range(bands)], "upper": [(i + 1) * width for i in range(bands)], "count": counts}
    )
    passed = int(subs["passed"].sum())
    nan = float("nan")
    return ScoreSummary(
        bands=table,
        count=len(percent),
        mean=float(percent.mean()) if len(percent) else nan,
        median=float(np.median(percent)) if len(percent) else nan,
        passed=passed,
        pass_rate=passed / len(percent) if len(percent) else nan,
        pass_mark=float(100.0 * subs["pass_mark"].mode().iloc[0]) if len(percent) else nan,
    )


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    if len(x) < 2:
        return float("nan")
    dx, dy = x - x.mean(), y - y.mean()
    denominator = math.sqrt(float((dx * dx).sum()) * float((dy * dy).sum()))
    return float((dx * dy).sum()) / denominator if denominator > 1e-12 else float("nan")


def _upper_lower(correct: np.ndarray, total: np.ndarray, learners: np.ndarray, share: float) -> float:
    n = len(correct)
    size = max(1, round(share * n))
    if n < 2 or 2 * size > n:
        size = n // 2
    if size == 0:
        return float("nan")
    order = np.lexsort((learners, total))  # by total score, ties by learner id
    return float(correct[order[-size:]].mean() - correct[order[:size]].mean())


def item_texts(sheets: pd.DataFrame) -> dict[str, dict[str, str]]:
    """Item id -> its object in ``sheets.items`` (the first sheet that lists it, in session order)."""
    found: dict[str, dict[str, str]] = {}
    for items in sheets["items"]:
        for item in json.loads(items):
            found.setdefault(str(item["id"]), item)
    return found


def item_analysis(
    responses: Responses,
    easy: float = EASY,
    hard: float = HARD,
    low: float = LOW_DISCRIMINATION,
    share: float = GROUP_SHARE,
) -> pd.DataFrame:
    """Per quiz question: answered (n), difficulty, discrimination, upper-lower index and flags.

    Rows are in the order the questions first appear in the sheets; ``flags`` is a tuple of
    ``too_easy``, ``too_hard``, ``negative``, ``low_discrimination``.
    """
    columns = ["item", "text", "n", "difficulty", "discrimination", "upper_lower", "flags"]
    results = responses.results
    if results.empty:
        return pd.DataFrame(columns=columns)
    subs = responses.submissions[["session", "sheet", "learner", "score", "max_score"]]
    merged = results.merge(subs, on=["session", "sheet", "learner"], how="inner")
    rest_max = merged["max_score"] - merged["max_points"]
    merged["rest"] = ((merged["score"] - merged["points"]) / rest_max.where(rest_max > 0)).fillna(0.0)
    merged["total"] = merged["score"] / merged["max_score"].where(merged["max_score"] > 0)
    texts = item_texts(responses.sheets)
    order = {item: n for n, item in enumerate(texts)}
    rows = []
    for item, group in merged.groupby("item", sort=False):
        correct = group["correct"].to_numpy(dtype=float)
        difficulty = float(correct.mean())
        r = _pearson(correct, group["rest"].to_numpy(dtype=float))
        d = _upper_lower(correct, group["total"].to_numpy(dtype=float), group["learner"].to_numpy(dtype=str), share)
        flags = []
        if difficulty > easy:
            flags.append("too_easy")
        if difficulty < hard:
            flags.append("too_hard")
        if not math.isnan(r):
            if r < 0:
                flags.append("negative")
            elif r < low:
                flags.append("low_discrimination")
        text = texts.get(str(item), {}).get("text", "")
        rows.append((str(item), text, len(correct), difficulty, r, d, tuple(flags)))
    frame = pd.DataFrame(rows, columns=columns)
    frame["_order"] = frame["item"].map(lambda item: order.get(item, len(order)))
    return frame.sort_values(["_order", "item"], kind="stable").drop(columns="_order").reset_index(drop=True)


def self_check_no(responses: Responses, top: int = 10) -> pd.DataFrame:
    """The self-check items most often answered "no": item, text, answered, no, no_rate.

    Sorted by the number of "no" answers, then the rate, then the item id; items nobody answered "no"
    are left out. ``top`` = 0 keeps them all.
    """
    texts = item_texts(responses.sheets)
    checks = {item for item, spec in texts.items() if spec.get("type") == SELF_CHECK}
    answers = responses.answers[responses.answers["item"].isin(checks)]
    columns = ["item", "text", "answered", "no", "no_rate"]
    if answers.empty:
        return pd.DataFrame(columns=columns)
    values = answers["value"].map(json.loads)
    given = values.isin(item_type(SELF_CHECK).values())
    answered = answers[given]
    said_no = values[given] == "no"
    table = answered.assign(no=said_no.astype(int)).groupby("item").agg(answered=("no", "size"), no=("no", "sum"))
    table = table.reset_index()
    table["no_rate"] = table["no"] / table["answered"]
    table["text"] = table["item"].map(lambda item: texts[item].get("text", ""))
    table = table[table["no"] > 0].sort_values(["no", "no_rate", "item"], ascending=[False, False, True])
    table = table[columns].reset_index(drop=True)
    return table.head(top) if top else table


def training_records(responses: Responses, show_names: bool = False) -> pd.DataFrame:
    """Who took which material (its library version), when, score and passed.

    With ``show_names`` one row per submission: learner, name, session, sheet, title, library_version,
    submitted_at, score, max_score, passed. Without, one row per session and sheet: session, sheet,
    title, library_version, learners, passed, first, last, mean_percent: no person is listed.
    """
    subs = responses.submissions.merge(
        responses.sheets[["session", "sheet", "title", "library_version"]], on=["session", "sheet"], how="left"
    )
    if show_names:
        named = subs.merge(responses.learners[["learner", "name"]], on="learner", how="left")
        named["name"] = named["name"].fillna("")
        columns = ["learner", "name", "session", "sheet", "title", "library_version", "submitted_at", "score"]
        columns += ["max_score", "passed"]
        return named.sort_values(["session", "sheet", "learner"])[columns].reset_index(drop=True)
    subs["percent"] = 100.0 * subs["score"] / subs["max_score"].where(subs["max_score"] > 0)
    grouped = subs.groupby(["session", "sheet", "title", "library_version"], sort=True)
    table = grouped.agg(
        learners=("learner", "nunique"),
        passed=("passed", "sum"),
        first=("submitted_at", "min"),
        last=("submitted_at", "max"),
        mean_percent=("percent", "mean"),
    )
    return table.reset_index()


# -- the pre-appointment test's attempts (store schema version 3) ---------------------------------------------


def _tested(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """The sessions and audiences with an attempt at a pre-appointment test (none before version 3)."""
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not {"attempts", "tests"} <= tables:
        return {}
    rows = conn.execute(
        "SELECT DISTINCT t.session, t.audience FROM attempts a JOIN tests t ON t.session = a.session"
    ).fetchall()
    if not rows:
        return {}
    return {"session": [row[0] for row in rows], "audience": [row[1] for row in rows], "sheet": ["test"]}


ATTEMPT_COLUMNS = ("session", "learner", "name", "attempt", "started_at", "submitted_at", "score", "max_score")


def pretest_attempts(
    path: str | Path,
    session: str | Sequence[str] | None = None,
    audience: str | Sequence[str] | None = None,
    sheet: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Every attempt at a session's pre-appointment test, one row each: session, learner, name (the
    roster's), attempt, started_at, submitted_at, score, max_score, passed (``None`` until submitted),
    keeping the sessions and audiences asked for; none when sheets are asked for and ``test`` is not
    among them, and none in a store older than version 3."""
    if _choices(sheet) and "test" not in _choices(sheet):
        return pd.DataFrame(columns=[*ATTEMPT_COLUMNS, "passed"])
    conn = open_store(path)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"attempts", "tests", "roster"} <= tables:
            return pd.DataFrame(columns=[*ATTEMPT_COLUMNS, "passed"])
        query = (
            "SELECT a.session, a.learner, coalesce(r.name, l.name, '') AS name, a.attempt, a.started_at, "
            "a.submitted_at, a.score, a.max_score, a.passed, t.audience FROM attempts a "
            "JOIN tests t ON t.session = a.session "
            "LEFT JOIN roster r ON r.session = a.session AND r.learner = a.learner "
            "LEFT JOIN learners l ON l.learner = a.learner ORDER BY a.session, a.learner, a.attempt"
        )
        frame = pd.read_sql_query(query, conn)
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot read the response store ({exc})") from None
    finally:
        conn.close()
    for column, values in (("session", _choices(session)), ("audience", _choices(audience))):
        if values:
            frame = frame[frame[column].isin(values)]
    frame["passed"] = frame["passed"].map(lambda v: None if v is None or v != v else bool(v)).astype(object)
    return frame.drop(columns="audience").reset_index(drop=True)


# -- end of the pre-appointment test ---------------------------------------------------------------------------


# --- the knowledge contest ------------------------------------------------------------------------------

ROUND_ORDER = ("required", "buzzer", "risk")


@dataclass(frozen=True)
class ContestResults:
    """The contests of the chosen sessions: one row per contest and team with points by round and in all,
    and the questions most often missed across them (item, stem, asked, missed)."""

    contests: pd.DataFrame
    scores: pd.DataFrame
    missed: pd.DataFrame


def contest_results(path: str | Path, sessions: Sequence[str] = ()) -> ContestResults:
    """Read the contest tables (schema version 3; an older store has none, and no contest)."""
    conn = open_store(path)
    try:
        conn.execute("BEGIN")
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "contests" not in names:
            empty = pd.DataFrame()
            return ContestResults(empty, empty, empty)
        where = f"WHERE c.session IN ({', '.join('?' * len(sessions))})" if sessions else ""
        args = list(sessions)
        contests = pd.read_sql_query(
            "SELECT c.contest, c.session, c.started_at, "
            "(SELECT count(*) FROM contest_teams t WHERE t.contest = c.contest) AS teams, "
            f"(SELECT count(*) FROM contest_answers a WHERE a.contest = c.contest) AS asked FROM contests c "
            f"{where} ORDER BY c.started_at, c.contest",
            conn,
            params=args,
        )
        scores = pd.read_sql_query(
            "SELECT t.contest, t.team, t.name, q.round, coalesce(sum(a.points), 0) AS points FROM contest_teams t "
            "JOIN contests c ON c.contest = t.contest "
            "LEFT JOIN contest_answers a ON a.contest = t.contest AND a.team = t.team "
            "LEFT JOIN contest_questions q ON q.contest = a.contest AND q.number = a.number "
            f"{where} GROUP BY t.contest, t.team, q.round ORDER BY t.contest, t.team",
            conn,
            params=args,
        )
        missed = pd.read_sql_query(
            "SELECT q.item, min(json_extract(q.question, '$.text')) AS text, count(*) AS asked, "
            "sum(CASE WHEN a.correct = 1 THEN 0 ELSE 1 END) AS missed FROM contest_answers a "
            "JOIN contest_questions q ON q.contest = a.contest AND q.number = a.number "
            f"JOIN contests c ON c.contest = a.contest {where} GROUP BY q.item ORDER BY missed DESC, q.item",
            conn,
            params=args,
        )
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot read the contest tables ({exc})") from None
    finally:
        conn.close()
    return ContestResults(contests, scores, missed)
