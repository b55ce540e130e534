"""The contest's round types and its scoring, as pure functions of plain values.

Three round types are used in practice, one row each in :data:`ROUNDS`:

* ``required`` (必答题): each team in turn answers its own question; right gains points, wrong costs none;
* ``buzzer`` (抢答题): the first team to press answers; right gains points, wrong loses them;
* ``risk`` (风险题): the team stakes points (10, 20 or 30 by default) before it sees its question, and gains
  the stake when right, loses it when wrong.

>>> points("required", True, Points())
10
>>> points("risk", False, Points(), stake=30)
-30
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from toolkit.errors import ContestError


@dataclass(frozen=True)
class RoundType:
    """One round type: its name, its catalog label and how it is played."""

    name: str
    label: str  # catalog key
    rule: str  # catalog key: the rule read out before the round
    assigned: bool  # each question belongs to one team in turn (otherwise teams buzz for it)
    staked: bool  # the team stakes points before the question is shown


ROUNDS: dict[str, RoundType] = {
    "required": RoundType("required", "contest.round.required", "contest.rule.required", assigned=True, staked=False),
    "buzzer": RoundType("buzzer", "contest.round.buzzer", "contest.rule.buzzer", assigned=False, staked=False),
    "risk": RoundType("risk", "contest.round.risk", "contest.rule.risk", assigned=True, staked=True),
}


@dataclass(frozen=True)
class Points:
    """What a question is worth: a required question's, a buzzer question's (and what a wrong buzz costs),
    and the stakes a team may choose in the risk round."""

    required: int = 10
    buzzer: int = 10
    buzzer_wrong: int = 10
    stakes: tuple[int, ...] = (10, 20, 30)

    def __post_init__(self) -> None:
        for name in ("required", "buzzer", "buzzer_wrong"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1000:
                raise ContestError(f"points '{name}' is {value!r}; valid: a whole number from 0 to 1000")
        if not self.stakes or any(
            isinstance(s, bool) or not isinstance(s, int) or not 1 <= s <= 1000 for s in self.stakes
        ):
            raise ContestError(f"stakes {list(self.stakes)!r} are not valid; valid: whole numbers from 1 to 1000")
        if len(set(self.stakes)) != len(self.stakes):
            raise ContestError(f"stakes {list(self.stakes)!r} repeat a value; valid: different whole numbers")

    def as_dict(self) -> dict[str, Any]:
        return {
            "required": self.required,
            "buzzer": self.buzzer,
            "buzzer_wrong": self.buzzer_wrong,
            "stakes": list(self.stakes),
        }


def round_type(name: str) -> RoundType:
    """The row of a round type; an unknown name is a one-line :class:`ContestError`."""
    if name not in ROUNDS:
        raise ContestError(f"round '{name}' is not valid; valid: {', '.join(ROUNDS)}")
    return ROUNDS[name]


def check_stake(stake: Any, points_table: Points) -> int:
    """The stake a team chose, checked against the stakes of the risk round."""
    if isinstance(stake, bool) or not isinstance(stake, int) or stake not in points_table.stakes:
        valid = ", ".join(str(s) for s in points_table.stakes)
        raise ContestError(f"stake {stake!r} is not valid; valid: {valid}")
    return stake


def points(round_name: str, correct: bool, points_table: Points, *, stake: int | None = None) -> int:
    """What a team gains (positive) or loses (negative) for an answer in a round of ``round_name``."""
    kind = round_type(round_name)
    if kind.staked:
        if stake is None:
            raise ContestError(f"a {round_name} question is scored on the team's stake, and none was chosen")
        staked = check_stake(stake, points_table)
        return staked if correct else -staked
    if kind.name == "required":
        return points_table.required if correct else 0
    return points_table.buzzer if correct else -points_table.buzzer_wrong


def is_correct(given: Any, answer: Any) -> bool:
    """Whether a team's chosen option matches the key in the store's form: a letter (single), a list of
    letters (multiple, any order) or true/false."""
    if isinstance(answer, bool):
        return given is answer
    if isinstance(answer, list):
        return isinstance(given, list) and sorted(str(g).upper() for g in given) == sorted(answer)
    return isinstance(given, str) and given.upper() == str(answer).upper()


def check_given(given: Any, question: Mapping[str, Any]) -> Any:
    """A team's chosen option for ``question`` in the key's form, or a one-line error naming what is valid."""
    letters = [letter for letter, _ in question.get("options") or []]
    answer = question["answer"]
    if isinstance(answer, bool):
        if not isinstance(given, bool):
            raise ContestError(f"answer {given!r} to question {question['id']} is not valid; valid: true, false")
        return given
    if isinstance(answer, list):
        if (
            not isinstance(given, list)
            or not given
            or any(g not in letters for g in given)
            or len(set(given)) != len(given)
        ):
            raise ContestError(
                f"answer {given!r} to question {question['id']} is not valid; valid: a list of one or more of "
                f"{', '.join(letters)}"
            )
        return sorted(given)
    if given not in letters:
        raise ContestError(f"answer {given!r} to question {question['id']} is not valid; valid: {', '.join(letters)}")
    return given


@dataclass(frozen=True)
class Scored:
    """One scored question: its round, the team that answered (None: nobody), right or wrong, points."""

    round: str
    team: int | None
    correct: bool | None
    points: int
    item: str = ""


@dataclass(frozen=True)
class Standing:
    """One team's line on the scoreboard: total and points by round, in the order of :data:`ROUNDS`."""

    team: int
    name: str
    total: int
    by_round: dict[str, int] = field(default_factory=dict)
    place: int = 0


def standings(teams: Sequence[tuple[int, str]], scored: Iterable[Scored]) -> list[Standing]:
    """The scoreboard: every team with its total and points by round, highest total first (teams with the
    same total share a place and keep the order they were entered in)."""
    by_round: dict[int, dict[str, int]] = {team: dict.fromkeys(ROUNDS, 0) for team, _ in teams}
    for row in scored:
        if row.team is not None and row.team in by_round:
            by_round[row.team][row.round] += row.points
    lines = [Standing(team, name, sum(by_round[team].values()), by_round[team]) for team, name in teams]
    lines.sort(key=lambda line: -line.total)
    placed: list[Standing] = []
    for index, line in enumerate(lines):
        place = placed[-1].place if placed and placed[-1].total == line.total else index + 1
        placed.append(Standing(line.team, line.name, line.total, line.by_round, place))
    return placed


def missed(scored: Iterable[Scored]) -> list[tuple[str, int, int]]:
    """Questions by how often they were missed: (item, asked, missed), most missed first, then by item.
    A question nobody answered counts as asked and missed."""
    counts: dict[str, list[int]] = {}
    for row in scored:
        asked_missed = counts.setdefault(row.item, [0, 0])
        asked_missed[0] += 1
        asked_missed[1] += 0 if row.correct else 1
    return sorted(((item, a, m) for item, (a, m) in counts.items()), key=lambda r: (-r[2], r[0]))
