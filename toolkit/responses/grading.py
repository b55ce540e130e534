"""Grading a learner's quiz answers against the quiz: score, pass mark, and each question's result
with its explanation and the rule it tests.

Answers are given in the store's form: a letter for a single-choice question (``"B"``), a list of
letters for a multiple-choice one (``["A", "C"]``), ``true`` / ``false`` for a true-or-false one.
A question scores its points only when the answer is exactly right (a multiple-choice answer with a
letter missing or one too many scores nothing), as on the printed paper.

>>> from toolkit import assemble, bundled_library, load_library
>>> paper = assemble("quiz", {"audience": "retired", "questions": 5, "seed": 3}, load_library(bundled_library()))
>>> keys = [grading_key(question_item(item, "en")) for item in paper.items]
>>> [key.type for key in keys]
['single', 'single', 'multiple', 'true-false', 'true-false']
>>> answers = {key.id: key.answer for key in keys[:3]}  # three right, two unanswered
>>> result = grade(keys, answers, pass_mark=0.6)
>>> result.score, result.max_score, result.passed
(3.0, 5.0, True)
>>> answers[keys[2].id] = ["B", "D"]  # the multiple-choice answer was B, D and E
>>> grade(keys, answers, pass_mark=0.6).passed
False
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from toolkit.documents.items import check_graded
from toolkit.documents.quiz import QuizItem
from toolkit.errors import ResponseError

DEFAULT_PASS_MARK = 0.6

Answer = str | list[str] | bool


@dataclass(frozen=True)
class Key:
    """What grading needs of one question."""

    id: str
    type: str
    answer: Answer
    points: float
    explanation: str
    rule: str
    letters: tuple[str, ...] = ()


@dataclass(frozen=True)
class QuestionResult:
    id: str
    type: str
    given: Any
    answer: Answer
    correct: bool
    points: float
    max_points: float
    explanation: str
    rule: str


@dataclass(frozen=True)
class Grade:
    questions: tuple[QuestionResult, ...]
    score: float
    max_score: float
    pass_mark: float
    passed: bool

    @property
    def fraction(self) -> float:
        return self.score / self.max_score if self.max_score else 1.0


def check_pass_mark(pass_mark: float) -> float:
    if isinstance(pass_mark, bool) or not isinstance(pass_mark, int | float) or not 0 <= pass_mark <= 1:
        raise ResponseError(f"pass mark {pass_mark!r} is not valid; valid: a fraction from 0 to 1, such as 0.6")
    return float(pass_mark)


def question_item(item: QuizItem, lang: str, points: float = 1.0) -> dict[str, Any]:
    """A quiz question as the store registers it: id, type, text, options, the answer in the store's form."""
    return item.record(lang, points)


def grading_key(item: Mapping[str, Any]) -> Key:
    """The key of a question from its registered item (see :func:`question_item`)."""
    check_graded(str(item["id"]), str(item["type"]))
    return Key(
        id=item["id"],
        type=item["type"],
        answer=item["answer"],
        points=float(item.get("points", 1.0)),
        explanation=item.get("explanation", ""),
        rule=item.get("rule", ""),
        letters=tuple(option[0] for option in item.get("options", [])),
    )


def grade(keys: Sequence[Key], answers: Mapping[str, Any], pass_mark: float = DEFAULT_PASS_MARK) -> Grade:
    """Grade ``answers`` (question id -> given answer; missing means unanswered) against ``keys``."""
    pass_mark = check_pass_mark(pass_mark)
    results = []
    for key in keys:
        given = answers.get(key.id)
        correct = check_graded(key.id, key.type).correct(given, key.answer)
        results.append(
            QuestionResult(
                key.id,
                key.type,
                given,
                key.answer,
                correct,
                key.points if correct else 0.0,
                key.points,
                key.explanation,
                key.rule,
            )
        )
    score = math.fsum(r.points for r in results)
    max_score = math.fsum(r.max_points for r in results)
    # A learner exactly at the pass mark passes; the tolerance absorbs binary fractions (0.6 * 5).
    passed = score >= pass_mark * max_score - 1e-9
    return Grade(tuple(results), score, max_score, pass_mark, passed)


def grade_quiz(
    items: Sequence[QuizItem], lang: str, answers: Mapping[str, Any], pass_mark: float = DEFAULT_PASS_MARK
) -> Grade:
    """Grade answers against the questions of a quiz paper or a worksheet's short quiz."""
    return grade([grading_key(question_item(item, lang)) for item in items], answers, pass_mark)
