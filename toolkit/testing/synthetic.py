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

from toolkit.library.catalog import Library
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


@dataclass(frozen=True)
class Material:
    """What the sessions' sheets hold: the quiz (with each question's right and a wrong answer) and the
    worksheet's items, their titles and the library version they were made from."""

    quiz: tuple[QuizSpec, ...]
    checks: tuple[CheckSpec, ...]
    quiz_items: list[dict[str, object]]
    sheet_items: list[dict[str, object]]
    answers: tuple[tuple[str, str], ...]  # (right, wrong) per question
    reflection: str
    titles: tuple[str, str]  # quiz, worksheet
    library_version: str = LIBRARY_VERSION


def synthetic_material(quiz: tuple[QuizSpec, ...], checks: tuple[CheckSpec, ...]) -> Material:
    """Questions and self-check items with made-up ids and texts."""
    options = [[letter, f"Option {letter}"] for letter in "ABCD"]
    quiz_items: list[dict[str, object]] = [
        {"id": q.id, "type": "single", "text": f"Synthetic question {q.id}", "options": options} for q in quiz
    ]
    for item in quiz_items:
        item.update({"answer": "A", "points": 1, "rule": "Synthetic rule", "discipline": "integrity"})
    sheet_items: list[dict[str, object]] = [
        {"id": c.id, "type": "self-check", "text": f"Synthetic self-check item {c.id}"} for c in checks
    ]
    sheet_items += [{"id": "reflect-01", "type": "reflection", "text": "What would you do differently?"}]
    titles = ("Integrity knowledge quiz", "Self-reflection worksheet")
    return Material(quiz, checks, quiz_items, sheet_items, (("A", "B"),) * len(quiz), "reflect-01", titles)


def library_material(library: Library, quiz: tuple[QuizSpec, ...], checks: tuple[CheckSpec, ...]) -> Material:
    """The library's own quiz and worksheet (assembled for the first audience, seed 1) in place of made-up
    items: the specs keep their parameters and take the ids of the questions and self-check prompts."""
    from dataclasses import replace

    from toolkit.documents import assemble
    from toolkit.documents.quiz import QuizPaper
    from toolkit.documents.worksheet import Worksheet

    values = {"audience": AUDIENCES[0], "questions": len(quiz), "date": BASE_TIME.date().isoformat()}
    paper = assemble("quiz", values, library)
    sheet = assemble("worksheet", {k: v for k, v in values.items() if k != "questions"}, library)
    assert isinstance(paper, QuizPaper) and isinstance(sheet, Worksheet)
    prompts = [prompt for group in sheet.checks for prompt in group.items]
    if len(paper.items) < len(quiz) or len(prompts) < len(checks) or not sheet.reflections:
        raise ValueError(f"the library has {len(paper.items)} questions and {len(prompts)} self-check items to use")
    quiz = tuple(replace(spec, id=item.id) for spec, item in zip(quiz, paper.items, strict=False))
    checks = tuple(replace(spec, id=pid) for spec, (pid, _) in zip(checks, prompts, strict=False))
    quiz_items: list[dict[str, object]] = []
    answers = []
    for item in paper.items:
        letters = [letter for letter, _ in item.options] or [t for t in ("True", "False") if t != item.answer]
        answers.append((item.answer, next(letter for letter in letters if letter not in item.answer)))
        entry: dict[str, object] = {"id": item.id, "type": item.type, "text": item.stem, "answer": item.answer}
        quiz_items.append({**entry, "points": 1, "rule": item.rule, "discipline": item.discipline_label})
    sheet_items: list[dict[str, object]] = [{"id": pid, "type": "self-check", "text": text} for pid, text in prompts]
    sheet_items += [{"id": pid, "type": "reflection", "text": text} for pid, text in sheet.reflections]
    titles = (paper.cover.title, sheet.cover.title)
    reflection = sheet.reflections[0][0]
    return Material(quiz, checks, quiz_items, sheet_items, tuple(answers), reflection, titles, library.version)


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
    library: Library | None = None,
) -> Truth:
    """Write a store at ``path`` (created, or added to) and return what was drawn.

    Session ``k`` is ``s<k>-<audience>``, its audience the ``k``-th of :data:`AUDIENCES` (cycling).
    Learner ``L0001`` goes to the first session, ``L0002`` to the second and so on; with ``names`` each
    has a display name ``Learner 0001``. With a ``library``, every session's sheets hold that library's
    questions and self-check items (see :func:`library_material`), the specs' ids replaced by theirs.
    """
    quiz = tuple(quiz) if quiz is not None else default_quiz()
    checks = tuple(checks) if checks is not None else default_checks()
    material = library_material(library, quiz, checks) if library else synthetic_material(quiz, checks)
    quiz, checks = material.quiz, material.checks
    rng = np.random.default_rng(seed)
    truth = Truth(quiz=quiz, checks=checks)
    session_ids = [f"s{k + 1}-{AUDIENCES[k % len(AUDIENCES)]}" for k in range(sessions)]
    truth.sessions = {sid: AUDIENCES[k % len(AUDIENCES)] for k, sid in enumerate(session_ids)}
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
            for sheet, title, items in (
                ("quiz", material.titles[0], material.quiz_items),
                ("worksheet", material.titles[1], material.sheet_items),
            ):
                conn.execute(
                    "INSERT INTO sheets VALUES (?, ?, ?, ?, ?, 'en', ?, ?, ?, ?)",
                    (sid, sheet, sheet, audience, title, material.library_version, params, json.dumps(items), when),
                )
        conn.execute("COMMIT")
        for start in range(0, learners, batch):
            conn.execute("BEGIN IMMEDIATE")
            for number in range(start + 1, min(learners, start + batch) + 1):
                k = (number - 1) % sessions
                _learner(
                    conn,
                    rng,
                    truth,
                    material,
                    number,
                    session_ids[k],
                    k,
                    (a, b, p_no),
                    (p_open_only, p_no_submit),
                    names,
                )
            conn.execute("COMMIT")
    finally:
        conn.close()
    return truth


def _learner(
    conn: sqlite3.Connection,
    rng: np.random.Generator,
    truth: Truth,
    material: Material,
    number: int,
    session: str,
    k: int,
    model: tuple[np.ndarray, np.ndarray, np.ndarray],
    paths: tuple[float, float],
    names: bool,
) -> None:
    """One learner's saves, answers and (perhaps) submission, inserted on ``conn``."""
    a, b, p_no = model
    p_open_only, p_no_submit = paths
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
    conn.execute("INSERT INTO opens VALUES (?, 'worksheet', ?, ?, ?, 1)", (session, learner, _iso(start), _iso(start)))

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
        return  # opened, answered nothing
    truth.saved[session] += 1
    for check, said_no in zip(truth.checks, no, strict=True):
        value = "no" if said_no else ("yes" if rng.random() < 0.8 else "unsure")
        save("worksheet", check.id, value)
        truth.check_answers[check.id] += 1
        truth.no_counts[check.id] += int(said_no)
    save("worksheet", material.reflection, "Ask before accepting anything.")
    given = [answer[0] if right else answer[1] for answer, right in zip(material.answers, correct, strict=True)]
    for q, value in zip(truth.quiz, given, strict=True):
        save("quiz", q.id, value)
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
            (session, learner, q.id, json.dumps(value), int(right), float(right))
            for q, value, right in zip(truth.quiz, given, correct, strict=True)
        ],
    )


def expected_difficulty(spec: QuizSpec, samples: int = 200_000, seed: int = 0) -> float:
    """The proportion correct the model gives for ``spec`` over the ability distribution N(0, 1)."""
    theta = np.random.default_rng(seed).normal(size=samples)
    return float(np.mean(1.0 / (1.0 + np.exp(-spec.a * (theta - spec.b)))))
