"""Grading quiz answers: every question type, points, the pass mark and its edge."""

from __future__ import annotations

from typing import Any

import pytest

from toolkit import Library
from toolkit.documents import assemble
from toolkit.documents.quiz import QuizItem, QuizPaper
from toolkit.errors import ResponseError
from toolkit.responses.grading import Key, grade, grade_quiz, grading_key, question_item


def item(qtype: str, answer: str, options: int = 4) -> QuizItem:
    letters = "ABCDE"[:options] if qtype != "true-false" else ""
    return QuizItem(
        number=1,
        id=f"q-{qtype}",
        type=qtype,
        stem="stem",
        options=tuple((letter, f"option {letter}") for letter in letters),
        answer=answer,
        explanation=f"why {qtype}",
        rule=f"rule {qtype}",
        discipline_label="Integrity discipline",
    )


SINGLE = item("single", "B")
MULTIPLE = item("multiple", "AC")
TRUE_EN = item("true-false", "True")
FALSE_ZH = item("true-false", "错")


@pytest.mark.parametrize(
    ("quiz_item", "lang", "given", "correct"),
    [
        (SINGLE, "en", "B", True),
        (SINGLE, "en", "b", True),
        (SINGLE, "en", "C", False),
        (SINGLE, "en", None, False),
        (MULTIPLE, "en", ["A", "C"], True),
        (MULTIPLE, "en", ["C", "A"], True),
        (MULTIPLE, "en", "CA", True),
        (MULTIPLE, "en", ["A"], False),  # a letter missing
        (MULTIPLE, "en", ["A", "B", "C"], False),  # one too many
        (MULTIPLE, "en", [], False),
        (TRUE_EN, "en", True, True),
        (TRUE_EN, "en", False, False),
        (TRUE_EN, "en", "true", True),
        (FALSE_ZH, "zh-CN", False, True),
        (FALSE_ZH, "zh-CN", True, False),
        (FALSE_ZH, "zh-CN", "maybe", False),
    ],
)
def test_each_question_type(quiz_item: QuizItem, lang: str, given: Any, correct: bool) -> None:
    result = grade_quiz([quiz_item], lang, {quiz_item.id: given})
    question = result.questions[0]
    assert question.correct is correct
    assert question.points == (1.0 if correct else 0.0) and question.max_points == 1.0
    assert question.explanation == f"why {quiz_item.type}" and question.rule == f"rule {quiz_item.type}"
    assert question.given == given


def test_keys_are_stored_in_the_answers_form() -> None:
    assert question_item(SINGLE, "en")["answer"] == "B"
    assert question_item(MULTIPLE, "en")["answer"] == ["A", "C"]
    assert question_item(TRUE_EN, "en")["answer"] is True
    assert question_item(FALSE_ZH, "zh-CN")["answer"] is False
    assert question_item(SINGLE, "en")["options"][1] == ["B", "option B"]


def keys(count: int, points: float = 1.0) -> list[Key]:
    return [Key(f"q{i}", "single", "A", points, "", "") for i in range(count)]


@pytest.mark.parametrize(
    ("right", "total", "pass_mark", "passed"),
    [
        (3, 5, 0.6, True),  # exactly at the pass mark: 0.6 * 5 is 3.0000000000000004 in binary
        (2, 5, 0.6, False),
        (6, 10, 0.6, True),
        (59, 100, 0.6, False),
        (0, 5, 0.0, True),
        (4, 5, 1.0, False),
        (5, 5, 1.0, True),
    ],
)
def test_pass_mark_edge(right: int, total: int, pass_mark: float, passed: bool) -> None:
    answers = {f"q{i}": "A" if i < right else "B" for i in range(total)}
    result = grade(keys(total), answers, pass_mark)
    assert (result.score, result.max_score, result.passed) == (right, total, passed)
    assert result.fraction == pytest.approx(right / total)


def test_points_per_question_add_up() -> None:
    result = grade(keys(4, points=2.5), {"q0": "A", "q1": "A"}, 0.5)
    assert (result.score, result.max_score, result.passed) == (5.0, 10.0, True)


@pytest.mark.parametrize("pass_mark", [-0.1, 1.5, "0.6", True])
def test_a_bad_pass_mark_is_refused(pass_mark: Any) -> None:
    with pytest.raises(ResponseError, match="valid: a fraction from 0 to 1"):
        grade(keys(1), {}, pass_mark)


def test_an_unknown_question_type_is_refused() -> None:
    with pytest.raises(ResponseError, match="type 'essay' cannot be graded; valid: single, multiple, true-false"):
        grading_key({"id": "q-essay", "type": "essay", "answer": "x"})


def test_a_real_quiz_paper_graded_with_its_own_key_scores_full_marks(bundled: Library) -> None:
    for lang in ("en", "zh-CN"):
        paper = assemble("quiz", {"audience": "retired", "questions": 12, "lang": lang}, bundled)
        assert isinstance(paper, QuizPaper)
        stored = [question_item(q, lang) for q in paper.items]
        assert {q["type"] for q in stored} >= {"single", "true-false"}
        answers = {q["id"]: q["answer"] for q in stored}
        result = grade([grading_key(q) for q in stored], answers)
        assert result.score == result.max_score == 12 and result.passed
        assert [q.id for q in result.questions] == [q.id for q in paper.items]
        assert all(q.rule and q.explanation for q in result.questions)
        assert grade([grading_key(q) for q in stored], {}).score == 0
