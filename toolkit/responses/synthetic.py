"""A response store with known answers, for tests, benchmarks and demonstrations of the trainer report.

Learners are spread over sessions (each session one audience); each session has a quiz and a
worksheet. Quiz answers follow a latent ability model (two-parameter logistic): learner ``j`` has an
ability ``theta_j ~ N(0, 1)`` and answers item ``i`` correctly with probability
``1 / (1 + exp(-a_i (theta_j - b_i)))``. An item's ``b`` sets its difficulty and ``a`` its
discrimination, so items can be built to be bad on purpose: too easy, too hard, not discriminating
(``a = 0``: answering is a coin toss whatever the ability) or discriminating the wrong way (``a < 0``).
Self-check items are answered "no" with a fixed probability each. Every learner's path through a
session is drawn too: some only open the worksheet (an empty save), some answer without submitting,
the rest submit the quiz.

Everything is written with plain SQL in the schema of :mod:`toolkit.responses.schema`, one transaction
per batch of learners, and the generator returns what it drew (:class:`Truth`), so a test can compare
the report's figures with the numbers the data was made from. The same arguments give the same store.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from toolkit.responses.schema import connect

BASE_TIME = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
AUDIENCES = ("incumbent-leaders", "newly-promoted", "key-posts", "retired")
PASS_MARK = 0.6
LIBRARY_VERSION = "synthetic-0001"


@dataclass(frozen=True)
class QuizSpec:
    """A quiz question of the synthetic quiz: its id, 2PL parameters, and what it was built to be."""

    id: str
    a: float
    b: float
    built_as: str = "good"  # good, too_easy, too_hard, no_discrimination, negative


@dataclass(frozen=True)
class CheckSpec:
    id: str
    p_no: float


@dataclass
class Truth:
    """What the generator drew: exact counts to compare the report with."""

    sessions: dict[str, str] = field(default_factory=dict)  # session -> audience
    opened: Counter[str] = field(default_factory=Counter)  # session -> learners with any save
    saved: Counter[str] = field(default_factory=Counter)  # session -> learners with a non-empty answer
    submitted: Counter[str] = field(default_factory=Counter)  # session -> learners who submitted the quiz
    passed: int = 0
    scores: list[float] = field(default_factory=list)  # every submission's score
    no_counts: Counter[str] = field(default_factory=Counter)  # self-check item -> "no" answers
    check_answers: Counter[str] = field(default_factory=Counter)  # self-check item -> answers
    quiz: tuple[QuizSpec, ...] = ()
    checks: tuple[CheckSpec, ...] = ()

    @property
    def bad_items(self) -> dict[str, str]:
        return {q.id: q.built_as for q in self.quiz if q.built_as != "good"}


def default_quiz(items: int = 40) -> tuple[QuizSpec, ...]:
    """``items`` questions: good ones (``a`` 1.2 to 2.4, ``b`` -1 to 0.6) and, when there are at least
    ten, one of each bad kind at the end: too easy, too hard, no discrimination, negative discrimination."""
    bad = (
        [
            QuizSpec("", 1.5, -6.0, "too_easy"),
            QuizSpec("", 1.5, 4.5, "too_hard"),
            QuizSpec("", 0.0, 0.0, "no_discrimination"),
            QuizSpec("", -1.8, 0.0, "negative"),
        ]
        if items >= 10
        else []
    )
    good = items - len(bad)
    specs = []
    for i in range(good):
        share = i / max(1, good - 1)
        specs.append(QuizSpec("", 1.2 + 1.2 * ((i * 7) % good) / max(1, good), -1.0 + 1.6 * share))
    return tuple(QuizSpec(f"q-{n:02d}", s.a, s.b, s.built_as) for n, s in enumerate([*specs, *bad], start=1))


def default_checks(count: int = 6) -> tuple[CheckSpec, ...]:
    """Self-check items whose "no" rates rise from 5 % to 60 %."""
    return tuple(
        CheckSpec(f"check-{n:02d}", round(0.05 + 0.55 * (n - 1) / max(1, count - 1), 3)) for n in range(1, count + 1)
    )


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def generate(
    path: str | Path,
    learners: int = 200,
    *,
    sessions: int = 4,
    quiz: Sequence[QuizSpec] | None = None,
    checks: Sequence[CheckSpec] | None = None,
    p_open_only: float = 0.05,
    p_no_submit: float = 0.10,
    seed: int = 1,
    batch: int = 100,
    names: bool = True,
) -> Truth:
    """Write a store at ``path`` (created, or added to) and return what was drawn.

    Session ``k`` is ``s<k>-<audience>``, its audience the ``k``-th of :data:`AUDIENCES` (cycling).
    Learner ``L0001`` goes to the first session, ``L0002`` to the second and so on; with ``names`` each
    has a display name ``Learner 0001``.
    """
    quiz = tuple(quiz) if quiz is not None else default_quiz()
    checks = tuple(checks) if checks is not None else default_checks()
    rng = np.random.default_rng(seed)
    truth = Truth(quiz=quiz, checks=checks)
    session_ids = [f"s{k + 1}-{AUDIENCES[k % len(AUDIENCES)]}" for k in range(sessions)]
    truth.sessions = {sid: AUDIENCES[k % len(AUDIENCES)] for k, sid in enumerate(session_ids)}
    quiz_items: list[dict[str, object]] = [
        {"id": q.id, "type": "single-choice", "text": f"Synthetic question {q.id}"} for q in quiz
    ]
    for item in quiz_items:
        item.update({"answer": "A", "points": 1, "rule": "Synthetic rule", "discipline": "integrity"})
    sheet_items = [{"id": c.id, "type": "self-check", "text": f"Synthetic self-check item {c.id}"} for c in checks]
    sheet_items += [{"id": "reflect-01", "type": "reflection", "text": "What would you do differently?"}]
    a = np.array([q.a for q in quiz])
    b = np.array([q.b for q in quiz])
    p_no = np.array([c.p_no for c in checks])

    conn = connect(path)
    try:
        conn.execute("BEGIN IMMEDIATE")
        for k, sid in enumerate(session_ids):
            audience = truth.sessions[sid]
            params = json.dumps({"audience": audience, "seed": seed}, sort_keys=True)
            when = _iso(BASE_TIME + dt.timedelta(days=k))
            for sheet, kind, title, items in (
                ("quiz", "quiz", "Integrity knowledge quiz", quiz_items),
                ("worksheet", "worksheet", "Self-reflection worksheet", sheet_items),
            ):
                conn.execute(
                    "INSERT INTO sheets VALUES (?, ?, ?, ?, ?, 'en', ?, ?, ?, ?)",
                    (sid, sheet, kind, audience, title, LIBRARY_VERSION, params, json.dumps(items), when),
                )
        conn.execute("COMMIT")
        for start in range(0, learners, batch):
            conn.execute("BEGIN IMMEDIATE")
            for number in range(start + 1, min(learners, start + batch) + 1):
                k = (number - 1) % sessions
                _learner(conn, rng, truth, number, session_ids[k], k, a, b, p_no, p_open_only, p_no_submit, names)
            conn.execute("COMMIT")
    finally:
        conn.close()
    return truth


def _learner(
    conn: sqlite3.Connection,
    rng: np.random.Generator,
    truth: Truth,
    number: int,
    session: str,
    k: int,
    a: np.ndarray,
    b: np.ndarray,
    p_no: np.ndarray,
    p_open_only: float,
    p_no_submit: float,
    names: bool,
) -> None:
    """One learner's saves, answers and (perhaps) submission, inserted on ``conn``."""
    learner = f"L{number:04d}"
    start = BASE_TIME + dt.timedelta(days=k, minutes=number % 50)
    conn.execute(
        "INSERT INTO learners VALUES (?, ?, ?)", (learner, f"Learner {number:04d}" if names else None, _iso(start))
    )
    theta = rng.normal()
    correct = rng.random(len(a)) < 1.0 / (1.0 + np.exp(-a * (theta - b)))
    no = rng.random(len(p_no)) < p_no
    path = rng.random()
    truth.opened[session] += 1
    clock = [start]

    def save(sheet: str, item: str, value: object) -> None:
        clock[0] += dt.timedelta(seconds=7)
        when = _iso(clock[0])
        text = json.dumps(value)
        cur = conn.execute(
            "INSERT INTO saves (session, sheet, learner, item, value, saved_at) VALUES (?, ?, ?, ?, ?, ?)",
            (session, sheet, learner, item, text, when),
        )
        conn.execute(
            "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?, ?)",
            (session, sheet, learner, item, text, when, cur.lastrowid),
        )

    if path < p_open_only:
        save("worksheet", "reflect-01", "")  # opened, typed nothing
        return
    truth.saved[session] += 1
    for check, said_no in zip(truth.checks, no, strict=True):
        value = "no" if said_no else ("yes" if rng.random() < 0.8 else "unsure")
        save("worksheet", check.id, value)
        truth.check_answers[check.id] += 1
        truth.no_counts[check.id] += int(said_no)
    save("worksheet", "reflect-01", "Ask before accepting anything.")
    for q, right in zip(truth.quiz, correct, strict=True):
        save("quiz", q.id, "A" if right else "B")
    if path < p_open_only + p_no_submit:
        return
    score = float(correct.sum())
    max_score = float(len(correct))
    passed = score >= PASS_MARK * max_score - 1e-9
    truth.submitted[session] += 1
    truth.passed += int(passed)
    truth.scores.append(score)
    clock[0] += dt.timedelta(minutes=1)
    conn.execute(
        "INSERT INTO submissions VALUES (?, 'quiz', ?, ?, ?, ?, ?, ?)",
        (session, learner, _iso(clock[0]), score, max_score, int(passed), PASS_MARK),
    )
    conn.executemany(
        "INSERT INTO results VALUES (?, 'quiz', ?, ?, ?, ?, ?, 1)",
        [
            (session, learner, q.id, json.dumps("A" if right else "B"), int(right), float(right))
            for q, right in zip(truth.quiz, correct, strict=True)
        ],
    )


def expected_difficulty(spec: QuizSpec, samples: int = 200_000, seed: int = 0) -> float:
    """The proportion correct the model gives for ``spec`` over the ability distribution N(0, 1)."""
    theta = np.random.default_rng(seed).normal(size=samples)
    return float(np.mean(1.0 / (1.0 + np.exp(-spec.a * (theta - spec.b)))))
