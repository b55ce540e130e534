"""The contest's question set: drawn from the library's questions for the audience, stratified by
discipline, in a seeded order; the same library, teams, plan and seed give the same set.

The risk round gets the hardest of the drawn questions (the library's ``difficulty``), as a stake is
a wager on a hard question; the other rounds take the rest in the seeded order, which mixes the disciplines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from toolkit.contest.rounds import ROUNDS
from toolkit.documents.quiz import quiz_items
from toolkit.errors import ContestError, printable
from toolkit.i18n import catalog
from toolkit.library.catalog import Library
from toolkit.selection import select_questions, tiebreak

MAX_TEAMS = 12
MAX_QUESTIONS = 200


@dataclass(frozen=True)
class Plan:
    """How many questions each round has: required and risk questions per team, buzzer questions in all."""

    required: int = 2
    buzzer: int = 6
    risk: int = 1

    def __post_init__(self) -> None:
        for name in ROUNDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_QUESTIONS:
                raise ContestError(
                    f"{name} questions: {value!r} is not valid; valid: a whole number from 0 to {MAX_QUESTIONS}"
                )
        if not self.required + self.buzzer + self.risk:
            raise ContestError("the contest has no question; give at least one round a question")

    def total(self, teams: int) -> int:
        return teams * self.required + self.buzzer + teams * self.risk

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in ROUNDS}


@dataclass(frozen=True)
class ContestQuestion:
    """One question of the set: its number (the order asked), round, the team that must answer it (None in
    the buzzer round) and the item as the quiz registers it (``answer``, ``rule``, ``explanation``...)."""

    number: int
    round: str
    team: int | None
    item: dict[str, Any]


def check_teams(names: list[str]) -> list[str]:
    """Team names, stripped: two to :data:`MAX_TEAMS`, each shown text of at most 40 characters, no repeat."""
    cleaned = [" ".join(str(name).split()) for name in names]
    cleaned = [name for name in cleaned if name]
    if not 2 <= len(cleaned) <= MAX_TEAMS:
        raise ContestError(f"{len(cleaned)} teams given; valid: from 2 to {MAX_TEAMS} team names")
    for name in cleaned:
        if len(name) > 40:
            raise ContestError(
                f"team name '{printable(name[:40])}…' is longer than 40 characters; valid: a shorter name"
            )
    repeated = sorted({name for name in cleaned if cleaned.count(name) > 1})
    if repeated:
        raise ContestError(
            f"team name '{printable(repeated[0])}' is given twice; valid: a different name for each team"
        )
    return cleaned


def draw(library: Library, audience: str, lang: str, teams: int, plan: Plan, seed: int) -> list[ContestQuestion]:
    """The question set for ``teams`` teams: required questions (team 1, 2, ... in turn), buzzer questions,
    then risk questions (team 1, 2, ... in turn)."""
    tax = library.taxonomy
    if audience not in tax.terms("audiences"):
        valid = ", ".join(term.id for term in tax.audiences)
        raise ContestError(f"audience '{audience}' is not valid; valid: {valid}")
    text = library.in_language(lang)
    total = plan.total(teams)
    drawn = select_questions(text, audience, total, seed)
    if len(drawn) < total:
        raise ContestError(
            f"the library has {len(drawn)} questions and the contest needs {total} "
            f"({teams} teams × {plan.required} required + {plan.buzzer} buzzer + {teams} teams × {plan.risk} risk); "
            "valid: fewer questions per round"
        )
    ordered = sorted(drawn, key=lambda q: tiebreak(seed, f"contest:{q.id}"))
    risk_count = teams * plan.risk
    hardest = sorted(ordered, key=lambda q: -q.difficulty)[:risk_count]  # sort is stable: seeded order kept
    risk_ids = {q.id for q in hardest}
    risk = [q for q in ordered if q.id in risk_ids]
    rest = [q for q in ordered if q.id not in risk_ids]
    t = catalog(lang)
    records = {item.id: item.record(lang) for item in quiz_items([*rest, *risk], tax, t, seed)}
    slots: list[tuple[str, int | None]] = [("required", i % teams + 1) for i in range(teams * plan.required)]
    slots += [("buzzer", None)] * plan.buzzer
    slots += [("risk", i % teams + 1) for i in range(risk_count)]
    questions = [*rest, *risk]
    return [
        ContestQuestion(number, round_name, team, records[question.id])
        for number, ((round_name, team), question) in enumerate(zip(slots, questions, strict=True), start=1)
    ]
