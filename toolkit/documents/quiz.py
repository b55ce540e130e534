"""The quiz paper: questions drawn with a seed, stratified across disciplines, options shuffled.

The learner edition prints the questions; the key edition prints each answer with its explanation
and the rule it tests. Both editions of one seed hold the same questions in the same order.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from toolkit.documents.common import Cover, cover
from toolkit.documents.items import ItemType, check_graded, item_type
from toolkit.i18n import Catalog, catalog

# The library's models and the selection load when a document is assembled, not on import: a learner's
# page shows a sheet assembled beforehand and needs neither (tests/test_hall.py).
if TYPE_CHECKING:
    from toolkit.library.catalog import Library
    from toolkit.library.model import Question, Taxonomy

LETTERS = string.ascii_uppercase


@dataclass(frozen=True)
class QuizItem:
    number: int
    id: str
    type: str
    stem: str
    options: tuple[tuple[str, str], ...]
    answer: str
    explanation: str
    rule: str
    discipline_label: str

    @property
    def spec(self) -> ItemType:
        """The row of its type in the item registry (how it is checked, graded, printed, answered)."""
        return item_type(self.type)

    def record(self, lang: str, points: float = 1.0) -> dict[str, Any]:
        """The question as the response store registers it, the answer in the store's form."""
        key = check_graded(self.id, self.type).key
        assert key is not None, f"graded item type '{self.type}' has no key"
        return {
            "id": self.id,
            "type": self.type,
            "text": self.stem,
            "options": [list(option) for option in self.options],
            "answer": key(self.answer, catalog(lang)),
            "points": points,
            "rule": self.rule,
            "discipline": self.discipline_label,
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class QuizGroup:
    type: str
    heading: str
    items: tuple[QuizItem, ...]


@dataclass(frozen=True)
class QuizPaper:
    cover: Cover
    instructions: tuple[str, ...]
    groups: tuple[QuizGroup, ...]
    show_key: bool
    uses: frozenset[str]

    @property
    def items(self) -> tuple[QuizItem, ...]:
        return tuple(item for group in self.groups for item in group.items)

    def answer_items(self) -> tuple[dict[str, Any], ...]:
        """Every item a learner answers, as the response store registers it, in the order shown."""
        return tuple(item.record(self.cover.lang) for item in self.items)


def shuffled_options(question: Question, seed: int) -> tuple[list[tuple[str, str]], str]:
    """The options in a seeded order, lettered afresh, and the answer in the new letters."""
    from toolkit.selection import tiebreak

    options = question.options or []
    order = sorted(range(len(options)), key=lambda i: tiebreak(seed, f"{question.id}:{i}"))
    lettered = [(LETTERS[new], options[old]) for new, old in enumerate(order)]
    old_to_new = {LETTERS[old]: LETTERS[new] for new, old in enumerate(order)}
    answers = question.answer if isinstance(question.answer, list) else [question.answer]
    answer = "".join(sorted(old_to_new[str(letter).upper()] for letter in answers))
    return lettered, answer


def quiz_items(questions: Sequence[Question], tax: Taxonomy, t: Catalog, seed: int) -> list[QuizItem]:
    items = []
    for number, question in enumerate(questions, start=1):
        if question.type == "true-false" or isinstance(question.answer, bool):
            options: list[tuple[str, str]] = []
            answer = t("quiz.true") if question.answer is True else t("quiz.false")
        else:
            options, answer = shuffled_options(question, seed)
        items.append(
            QuizItem(
                number=number,
                id=question.id,
                type=question.type,
                stem=question.stem,
                options=tuple(options),
                answer=answer,
                explanation=question.explanation,
                rule=question.rule,
                discipline_label=tax.label("disciplines", question.discipline, t.lang),
            )
        )
    return items


def group_items(items: Sequence[QuizItem], tax: Taxonomy, t: Catalog) -> tuple[QuizGroup, ...]:
    groups: list[QuizGroup] = []
    for qtype in tax.question_types:
        members = tuple(item for item in items if item.type == qtype.id)
        if members:
            heading = t("quiz.group", type=tax.label("question_types", qtype.id, t.lang), count=len(members))
            groups.append(QuizGroup(qtype.id, heading, members))
    return tuple(groups)


def assemble_quiz(library: Library, params: dict[str, Any]) -> QuizPaper:
    """Assemble a quiz paper of ``params["questions"]`` questions for the audience."""
    from toolkit.selection import select_questions

    t = catalog(params["lang"])
    tax = library.taxonomy
    questions = select_questions(library, params["audience"], params["questions"], params["seed"])
    items = quiz_items(questions, tax, t, params["seed"])
    key = params["edition"] == "key"
    title = t("quiz.key_title") if key else t("quiz.title")
    return QuizPaper(
        cover=cover(library, params, "quiz", title, t),
        instructions=(t("quiz.instructions", count=len(items)),) if not key else (t("quiz.key_instructions"),),
        groups=group_items(items, tax, t),
        show_key=key,
        uses=frozenset(f"question:{q.id}" for q in questions),
    )
