"""The self-reflection worksheet (printable edition): self-check tables, reflection, problems /
causes / measures, a short quiz and room to write."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from toolkit.documents.common import Cover, cover
from toolkit.documents.items import ItemType, item_type
from toolkit.documents.quiz import QuizItem, quiz_items
from toolkit.i18n import catalog

# The library's models and the selection load when a document is assembled, not on import: a learner's
# page shows a sheet assembled beforehand and needs neither (tests/test_hall.py).
if TYPE_CHECKING:
    from toolkit.library.catalog import Library

RISK_POST_ITEMS = 2
TABLE_STEPS = ("problem", "cause", "measure")  # the table's rows, in order


class CheckItem(NamedTuple):
    """A self-check item: the prompt's id and text."""

    id: str
    text: str

    @property
    def type(self) -> str:
        return "self-check"

    @property
    def spec(self) -> ItemType:
        return item_type(self.type)

    def record(self, group: str) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "text": self.text, "group": group}


class ReflectionItem(NamedTuple):
    """A reflection question: the prompt's id and text."""

    id: str
    text: str

    @property
    def type(self) -> str:
        return "reflection"

    @property
    def spec(self) -> ItemType:
        return item_type(self.type)

    def record(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "text": self.text}


@dataclass(frozen=True)
class CheckGroup:
    """Self-check items under one heading (a discipline or a risk post)."""

    heading: str
    items: tuple[CheckItem, ...]


@dataclass(frozen=True)
class TableRow:
    """A row of the problems / causes / measures table: the step, and the prompts that guide it."""

    step: str
    hints: tuple[str, ...]
    id: str = ""  # table:<step>, the item the learner's answer is saved under

    @property
    def text(self) -> str:
        return self.step

    @property
    def type(self) -> str:
        return "table"

    @property
    def spec(self) -> ItemType:
        return item_type(self.type)

    def record(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "text": self.step, "hints": list(self.hints)}


@dataclass(frozen=True)
class Worksheet:
    cover: Cover
    instructions: tuple[str, ...]
    answers: tuple[str, ...]
    checks: tuple[CheckGroup, ...]
    reflections: tuple[ReflectionItem, ...]
    table: tuple[TableRow, ...]
    quiz: tuple[QuizItem, ...]
    writing_lines: int
    uses: frozenset[str]

    def answer_items(self) -> tuple[dict[str, Any], ...]:
        """Every item a learner answers, as the response store registers it, in the order shown.

        Ids are the library's: prompt ids for self-checks and reflections, question ids for the quiz,
        ``table:<step>`` for the rows of the problems / causes / measures table.
        """
        items = [item.record(group.heading) for group in self.checks for item in group.items]
        items += [item.record() for item in self.reflections]
        items += [row.record() for row in self.table]
        items += [question.record(self.cover.lang) for question in self.quiz]
        return tuple(items)


def assemble_worksheet(library: Library, params: dict[str, Any]) -> Worksheet:
    """Assemble a worksheet: self-checks by the audience's disciplines and risk posts, then the rest."""
    from toolkit.selection import audience_of, select_prompts, select_questions

    t = catalog(params["lang"])
    tax = library.taxonomy
    audience = audience_of(tax, params["audience"])
    lang = params["lang"]
    seed = params["seed"]
    used: set[str] = set()
    checks: list[CheckGroup] = []
    disciplines = audience.disciplines or [d.id for d in tax.disciplines]
    for discipline in disciplines:
        # Ask for every candidate and drop the used ones before cutting, so a group is short only when
        # its discipline has no unused prompt left.
        prompts = select_prompts(library, audience.id, "self-check", len(library.prompts), seed, discipline=discipline)
        prompts = tuple(p for p in prompts if p.id not in used)[: params["self_checks"]]
        if prompts:
            used |= {p.id for p in prompts}
            heading = t("worksheet.check.discipline", name=tax.label("disciplines", discipline, lang))
            checks.append(CheckGroup(heading, tuple(CheckItem(p.id, p.text) for p in prompts)))
    for post in audience.risk_posts:
        prompts = select_prompts(library, audience.id, "self-check", len(library.prompts), seed, risk_post=post)
        prompts = tuple(p for p in prompts if p.id not in used)[:RISK_POST_ITEMS]
        if prompts:
            used |= {p.id for p in prompts}
            heading = t("worksheet.check.risk_post", name=tax.label("risk_posts", post, lang))
            checks.append(CheckGroup(heading, tuple(CheckItem(p.id, p.text) for p in prompts)))
    reflections = select_prompts(library, audience.id, "reflection", params["reflections"], seed)
    used |= {p.id for p in reflections}
    table = []
    for kind in TABLE_STEPS:
        hints = select_prompts(library, audience.id, kind, 3, seed)
        used |= {p.id for p in hints}
        table.append(TableRow(t(f"worksheet.table.{kind}"), tuple(p.text for p in hints), f"table:{kind}"))
    questions = select_questions(
        library, audience.id, params["questions"], seed, disciplines=audience.disciplines or None
    )
    return Worksheet(
        cover=cover(library, params, "worksheet", t("worksheet.title"), t),
        instructions=(t("worksheet.instructions"), t("worksheet.instructions.table")),
        answers=(t("worksheet.answer.yes"), t("worksheet.answer.partly"), t("worksheet.answer.no")),
        checks=tuple(checks),
        reflections=tuple(ReflectionItem(p.id, p.text) for p in reflections),
        table=tuple(table),
        quiz=tuple(quiz_items(questions, tax, t, seed)),
        writing_lines=params["writing_lines"],
        uses=frozenset({*(f"prompt:{pid}" for pid in used), *(f"question:{q.id}" for q in questions)}),
    )
