"""The contest as it runs: one object in the server's one process, every action under one lock.

The state lives here, never in a page: a page (console, projector, team) only sends actions and reads
:meth:`ContestRoom.snapshot`, so reloading a page loses nothing. Buzzer fairness: a press is ranked by
the order in which the server takes the lock, and stamped with the server's clock inside it, so the
first press is the first to arrive (the browsers' clocks are never read); every later press is kept
with its rank, and each is committed to the store before the team's page hears back.

Phases of one question: ``between`` (announced, not shown; a risk question's stake is chosen now),
``open`` (shown, the countdown runs; in the buzzer round the buzzer is open), ``answering`` (buzzer
round: the first team to press has the floor, a fresh countdown runs), ``revealed`` (the answer, the
rule and the points are shown). Before the first contest the room is in ``setup``, after the last
question ``finished``.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.contest.draw import ContestQuestion, Plan, check_teams, draw
from toolkit.contest.record import Recorder, stamp, unstamp
from toolkit.contest.rounds import ROUNDS, Points, Scored, check_given, check_stake, is_correct, points, standings
from toolkit.errors import ContestError
from toolkit.i18n import catalog
from toolkit.library.catalog import Library

VIEWS = ("console", "projector", "team")


@dataclass
class Press:
    team: int
    rank: int
    at: float  # the server's clock
    id: int  # the store's row id: the order of arrival


@dataclass
class Answer:
    team: int | None
    given: Any
    correct: bool | None
    stake: int | None
    points: int


@dataclass
class Current:
    """The question being asked, and what has happened to it."""

    question: ContestQuestion
    phase: str = "between"
    stake: int | None = None
    shown_at: float | None = None
    deadline: float | None = None
    presses: list[Press] = field(default_factory=list)
    answer: Answer | None = None

    @property
    def floor(self) -> int | None:
        """The team that may answer now: the assigned team, or in the buzzer round the first to press."""
        if self.question.team is not None:
            return self.question.team
        return self.presses[0].team if self.presses else None


@dataclass(frozen=True)
class Settings:
    """What the trainer gives when starting the server (the console may change teams, plan and seed)."""

    session: str
    audience: str
    lang: str
    seed: int = 1
    title: str = ""
    plan: Plan = field(default_factory=Plan)
    points: Points = field(default_factory=Points)
    seconds: int = 30  # to answer a required or risk question, or to press in the buzzer round
    answer_seconds: int = 20  # for the team that pressed first


class ContestRoom:
    """Teams, the question set, the current question and the scores; :meth:`act` runs one action."""

    def __init__(
        self,
        library: Library,
        store: Path,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
        console_key: str | None = None,
    ) -> None:
        self.library = library
        self.settings = settings
        self.clock = clock
        self.lock = threading.Lock()
        self.recorder = Recorder(store)
        self.console_key = console_key or secrets.token_urlsafe(16)
        self.t = catalog(settings.lang)
        self.contest: str | None = None
        self.teams: list[str] = []
        self.team_keys: list[str] = []
        self.questions: list[ContestQuestion] = []
        self.plan = settings.plan
        self.seed = settings.seed
        self.scored: list[Scored] = []
        self.current: Current | None = None
        self.finished = False
        self.version = 0  # bumped on every change, so that pages can tell a new state from the same one

    def close(self) -> None:
        self.recorder.close()

    # --- actions --------------------------------------------------------------------------------------

    def setup(self, names: Sequence[str], plan: Plan | None = None, seed: int | None = None) -> str:
        """Start a contest: teams, a drawn question set, scores at zero; its id in the store."""
        with self.lock:
            teams = check_teams(list(names))
            plan = plan or self.plan
            seed = self.seed if seed is None else seed
            if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
                raise ContestError(f"seed {seed!r} is not valid; valid: a whole number from 0")
            s = self.settings
            questions = draw(self.library, s.audience, s.lang, len(teams), plan, seed)
            row = {
                "title": s.title or self.t("contest.title"),
                "audience": s.audience,
                "lang": s.lang,
                "library_version": self.library.version,
                "seed": seed,
                "params": {
                    "plan": plan.as_dict(),
                    "points": s.points.as_dict(),
                    "seconds": s.seconds,
                    "answer_seconds": s.answer_seconds,
                },
            }
            if self.contest is not None and not self.finished:  # the contest under way ends here
                self.recorder.finish(self.contest, self.clock())
            self.contest = self.recorder.start(s.session, row, teams, questions, self.clock())
            self.teams, self.questions, self.plan, self.seed = teams, questions, plan, seed
            self.team_keys = [secrets.token_urlsafe(12) for _ in teams]
            self.scored = []
            self.finished = False
            self.current = Current(questions[0])
            self.version += 1
            return self.contest

    def resume(self) -> str | None:
        """Carry on the session's latest contest if it has not ended (the server was stopped or the machine
        restarted): teams, questions and scores from the store, the first question not yet answered
        announced again, or with the floor if a team had pressed for it. Teams get new links."""
        with self.lock:
            found = self.recorder.unfinished(self.settings.session)
            if found is None:
                return None
            self.contest, self.teams, self.questions = found["contest"], found["teams"], found["questions"]
            self.seed = found["seed"]
            self.plan = Plan(**found["params"]["plan"])
            self.team_keys = [secrets.token_urlsafe(12) for _ in self.teams]
            answered = {row[0]: row for row in found["answers"]}
            self.scored = []
            for number, team, _given, correct, _stake, gained in found["answers"]:
                question = self.questions[number - 1]
                known = None if correct is None else bool(correct)
                self.scored.append(Scored(question.round, team, known, gained, question.item["id"]))
            waiting = [q for q in self.questions if q.number not in answered]
            self.finished = False
            if not waiting:  # every question answered, the contest not ended: the last one stays revealed
                last = self.questions[-1]
                self.current = Current(last, phase="revealed")
            else:
                self.current = Current(waiting[0])
                now = self.clock()
                for row, number, team, at, rank in found["presses"]:
                    if number == waiting[0].number:
                        self.current.presses.append(Press(team, rank, unstamp(at), row))
                if self.current.presses:  # the team that pressed first keeps the floor, with a fresh countdown
                    self.current.phase = "answering"
                    self.current.deadline = now + self.settings.answer_seconds
            self.version += 1
            return self.contest

    def act(self, action: str, args: dict[str, Any], *, team: int | None = None) -> dict[str, Any]:
        """Run one action (``team`` set: a team's page sent it); the result for the sender."""
        actions: dict[str, Callable[..., dict[str, Any]]] = {
            "next": self._next,
            "stake": self._stake,
            "show": self._show,
            "judge": self._judge,
            "reveal": self._reveal,
            "finish": self._finish,
            "buzz": self._buzz,
            "answer": self._answer,
        }
        team_actions = {"buzz", "answer", "stake"}
        if action not in actions:
            raise ContestError(f"action '{action}' is not valid; valid: {', '.join(actions)}")
        if team is not None and action not in team_actions:
            raise ContestError(f"a team may not '{action}'; valid: {', '.join(sorted(team_actions))}")
        with self.lock:
            if self.contest is None or self.current is None:
                raise ContestError("no contest yet: set up the teams and draw the questions first")
            if self.finished:
                raise ContestError("the contest is over")
            result = actions[action](args, team)
            self.version += 1
            return result

    def _need(self, *phases: str) -> Current:
        current = self.current
        assert current is not None
        if current.phase not in phases:
            raise ContestError(
                f"not now: question {current.question.number} is {current.phase}; valid in {', '.join(phases)}"
            )
        return current

    def _next(self, args: dict[str, Any], team: int | None) -> dict[str, Any]:
        current = self._need("revealed")
        if current.question.number >= len(self.questions):
            return self._finish(args, team)
        self.current = Current(self.questions[current.question.number])
        return {"ok": True}

    def _stake(self, args: dict[str, Any], team: int | None) -> dict[str, Any]:
        current = self._need("between")
        if not ROUNDS[current.question.round].staked:
            raise ContestError(f"question {current.question.number} is not in the risk round: nothing to stake")
        if team is not None and team != current.question.team:
            raise ContestError("it is another team's turn to stake")
        current.stake = check_stake(args.get("stake"), self.settings.points)
        return {"ok": True}

    def _show(self, args: dict[str, Any], team: int | None) -> dict[str, Any]:
        current = self._need("between")
        if ROUNDS[current.question.round].staked and current.stake is None:
            name = self.teams[(current.question.team or 1) - 1]
            raise ContestError(f"team '{name}' has not chosen its stake yet")
        now = self.clock()
        current.phase, current.shown_at, current.deadline = "open", now, now + self.settings.seconds
        return {"ok": True}

    def _buzz(self, args: dict[str, Any], team: int | None) -> dict[str, Any]:
        current = self.current
        assert current is not None and team is not None
        if current.question.round != "buzzer":
            raise ContestError("this is not a buzzer question")
        for press in current.presses:  # a second tap of the same team keeps its first place
            if press.team == team:
                return {"ok": True, "rank": press.rank}
        now = self.clock()  # read under the lock: the order of the stamps is the order of arrival
        if current.phase == "open" and current.deadline is not None and now > current.deadline:
            raise ContestError("time is up: the buzzer is closed")
        if current.phase not in ("open", "answering"):
            raise ContestError("the buzzer is not open")
        assert self.contest is not None
        rank = len(current.presses) + 1
        row = self.recorder.press(self.contest, current.question.number, team, now, rank)
        current.presses.append(Press(team, rank, now, row))
        if rank == 1:
            current.phase, current.deadline = "answering", now + self.settings.answer_seconds
        return {"ok": True, "rank": rank}

    def _score(self, current: Current, team: int | None, given: Any, correct: bool | None) -> dict[str, Any]:
        question = current.question
        gained = (
            0
            if team is None or correct is None
            else points(question.round, correct, self.settings.points, stake=current.stake)
        )
        assert self.contest is not None
        self.recorder.answer(self.contest, question.number, team, given, correct, current.stake, gained, self.clock())
        current.answer = Answer(team, given, correct, current.stake, gained)
        current.phase, current.deadline = "revealed", None
        self.scored.append(Scored(question.round, team, correct, gained, question.item["id"]))
        return {"ok": True, "correct": correct, "points": gained}

    def _judge(self, args: dict[str, Any], team: int | None) -> dict[str, Any]:
        current = self._need("open", "answering")
        correct = args.get("correct")
        if not isinstance(correct, bool):
            raise ContestError(f"correct {correct!r} is not valid; valid: true, false")
        if current.floor is None:
            raise ContestError("no team has pressed: reveal the answer instead")
        return self._score(current, current.floor, None, correct)

    def _answer(self, args: dict[str, Any], team: int | None) -> dict[str, Any]:
        current = self._need("open", "answering")
        if team != current.floor:
            raise ContestError("it is not your team's turn to answer")
        if current.deadline is not None and self.clock() > current.deadline:
            raise ContestError("time is up")
        given = check_given(args.get("given"), current.question.item)
        return self._score(current, team, given, is_correct(given, current.question.item["answer"]))

    def _reveal(self, args: dict[str, Any], team: int | None) -> dict[str, Any]:
        """Time is up or nobody answers: the team with the floor (if any) has answered wrong."""
        current = self._need("open", "answering")
        floor = current.floor
        return self._score(current, floor, None, None if floor is None else False)

    def _finish(self, args: dict[str, Any], team: int | None) -> dict[str, Any]:
        assert self.contest is not None
        self.recorder.finish(self.contest, self.clock())
        self.finished = True
        return {"ok": True}

    # --- what a page sees -----------------------------------------------------------------------------

    def team_for_key(self, number: int, key: str) -> int:
        """The team whose page this is, when ``key`` is its secret; otherwise a one-line error."""
        with self.lock:
            if not 1 <= number <= len(self.team_keys) or not secrets.compare_digest(self.team_keys[number - 1], key):
                raise ContestError("this team link is not valid (the contest may have been set up again)")
            return number

    def answer_text(self, answer: Any) -> str:
        t = self.t
        if isinstance(answer, bool):
            return t("quiz.true") if answer else t("quiz.false")
        if isinstance(answer, list):
            return t("punct.list").join(answer) if answer else ""
        return str(answer)

    def snapshot(self, view: str, team: int | None = None) -> dict[str, Any]:
        """The state a page shows, as plain JSON data (every text is shown by the page as text)."""
        with self.lock:
            return self._snapshot(view, team)

    def _snapshot(self, view: str, team: int | None) -> dict[str, Any]:
        now = self.clock()
        teams = [{"team": n, "name": name} for n, name in enumerate(self.teams, start=1)]
        board = [
            {"team": s.team, "name": s.name, "total": s.total, "by_round": s.by_round, "place": s.place}
            for s in standings(list(enumerate(self.teams, start=1)), self.scored)
        ]
        state: dict[str, Any] = {
            "version": self.version,
            "view": view,
            "contest": self.contest,
            "title": self.settings.title or self.t("contest.title"),
            "phase": "setup" if self.current is None else ("finished" if self.finished else self.current.phase),
            "teams": teams,
            "scoreboard": board,
            "total": len(self.questions),
            "stakes": list(self.settings.points.stakes),
            "seconds": self.settings.seconds,
        }
        if view == "console":
            state["plan"] = self.plan.as_dict()
            state["seed"] = self.seed
            state["team_links"] = [f"/team/{n}?key={key}" for n, key in enumerate(self.team_keys, start=1)]
        if view == "team":
            state["me"] = team
        current = self.current
        if current is None:
            return state
        question = current.question
        item = question.item
        state.update(
            {
                "number": question.number,
                "round": question.round,
                "assigned": question.team,
                "floor": current.floor,
                "stake": current.stake,
                "remaining_ms": None if current.deadline is None else max(0, round((current.deadline - now) * 1000)),
                "presses": [
                    {
                        "team": p.team,
                        "rank": p.rank,
                        "at": stamp(p.at),
                        "after_ms": round((p.at - (current.shown_at or p.at)) * 1000, 1),
                    }
                    for p in current.presses
                ],
            }
        )
        shown = current.phase in ("open", "answering", "revealed") or view == "console"
        if shown:
            state["question"] = {
                "id": item["id"],
                "type": item["type"],
                "stem": item["text"],
                "options": item.get("options") or [],
                "discipline": item.get("discipline", ""),
            }
        if current.phase == "revealed" or view == "console":
            state["key"] = {
                "answer": self.answer_text(item["answer"]),
                "rule": item.get("rule", ""),
                "explanation": item.get("explanation", ""),
            }
        if current.answer is not None:
            a = current.answer
            state["result"] = {
                "team": a.team,
                "given": None if a.given is None else self.answer_text(a.given),
                "correct": a.correct,
                "points": a.points,
            }
        if view == "team" and team is not None:
            open_ = current.phase in ("open", "answering") and (current.deadline is None or now <= current.deadline)
            state["can_buzz"] = question.round == "buzzer" and open_ and all(p.team != team for p in current.presses)
            state["can_answer"] = open_ and current.floor == team
            state["can_stake"] = current.phase == "between" and question.team == team and ROUNDS[question.round].staked
        return state
