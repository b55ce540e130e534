"""Writing a contest to the response store: the contest, its teams and questions, every buzzer press in
the server's order of arrival (an AUTOINCREMENT id), every answer with its points. Tables: see
:mod:`toolkit.responses.schema` (version 3)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from toolkit.contest.draw import ContestQuestion
from toolkit.responses.schema import connect


def stamp(seconds: float) -> str:
    """A time of the server's clock as the store writes times: ISO 8601, UTC, microseconds."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def unstamp(text: str) -> float:
    """The server's clock of a time the store wrote (:func:`stamp`)."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()


class Recorder:
    """One writer connection to the store for the contest server (one process; calls are serialised by
    the contest's lock). Each write is one transaction, committed before the action returns."""

    def __init__(self, path: Path) -> None:
        self.path = path
        connect(path).close()  # created or migrated, or refused in one line if it is not a store
        # The server's I/O thread writes through a connection the main thread opened: every call is
        # serialised by the room's lock, so one connection may cross threads.
        self.conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA busy_timeout = 30000")
        self.conn.execute("PRAGMA synchronous = FULL")
        self.conn.execute("PRAGMA foreign_keys = ON")

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def start(
        self,
        session: str,
        row: dict[str, Any],
        teams: Sequence[str],
        questions: Sequence[ContestQuestion],
        started: float,
    ) -> str:
        """Write a new contest of ``session`` with its teams and questions; its id, ``<session>/<n>``."""
        with self._transaction() as conn:
            count = conn.execute("SELECT count(*) FROM contests WHERE session = ?", (session,)).fetchone()[0]
            contest = f"{session}/{count + 1}"
            conn.execute(
                "INSERT INTO contests (contest, session, title, audience, lang, library_version, seed, params, "
                "started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                (
                    contest,
                    session,
                    row["title"],
                    row["audience"],
                    row["lang"],
                    row["library_version"],
                    row["seed"],
                    json.dumps(row["params"], ensure_ascii=False, sort_keys=True),
                    stamp(started),
                ),
            )
            conn.executemany(
                "INSERT INTO contest_teams (contest, team, name) VALUES (?, ?, ?)",
                [(contest, number, name) for number, name in enumerate(teams, start=1)],
            )
            conn.executemany(
                "INSERT INTO contest_questions (contest, number, round, team, item, question) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (contest, q.number, q.round, q.team, q.item["id"], json.dumps(q.item, ensure_ascii=False))
                    for q in questions
                ],
            )
        return contest

    def press(self, contest: str, number: int, team: int, at: float, rank: int) -> int:
        """Append one buzzer press; its id, the server's order of arrival."""
        with self._transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO contest_presses (contest, number, team, pressed_at, rank) VALUES (?, ?, ?, ?, ?)",
                (contest, number, team, stamp(at), rank),
            )
            return int(cursor.lastrowid or 0)

    def answer(
        self,
        contest: str,
        number: int,
        team: int | None,
        given: Any,
        correct: bool | None,
        stake: int | None,
        gained: int,
        at: float,
    ) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO contest_answers (contest, number, team, given, correct, stake, points, answered_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    contest,
                    number,
                    team,
                    None if given is None else json.dumps(given, ensure_ascii=False),
                    None if correct is None else int(correct),
                    stake,
                    gained,
                    stamp(at),
                ),
            )

    def unfinished(self, session: str) -> dict[str, Any] | None:
        return unfinished(self.conn, session)

    def finish(self, contest: str, at: float) -> None:
        with self._transaction() as conn:
            conn.execute("UPDATE contests SET finished_at = ? WHERE contest = ?", (stamp(at), contest))


def unfinished(conn: sqlite3.Connection, session: str) -> dict[str, Any] | None:
    """The session's latest contest if it has not ended: its row, teams, questions, answers and presses
    (plain data, in order), for a server started again to carry on where it stopped."""
    row = conn.execute(
        "SELECT contest, seed, params FROM contests WHERE session = ? AND finished_at IS NULL "
        "ORDER BY started_at DESC, rowid DESC LIMIT 1",
        (session,),
    ).fetchone()
    if row is None:
        return None
    contest = row[0]
    return {
        "contest": contest,
        "seed": row[1],
        "params": json.loads(row[2]),
        "teams": [
            name
            for (name,) in conn.execute("SELECT name FROM contest_teams WHERE contest = ? ORDER BY team", (contest,))
        ],
        "questions": [
            ContestQuestion(number, round_name, team, json.loads(question))
            for number, round_name, team, question in conn.execute(
                "SELECT number, round, team, question FROM contest_questions WHERE contest = ? ORDER BY number",
                (contest,),
            )
        ],
        "answers": conn.execute(
            "SELECT number, team, given, correct, stake, points FROM contest_answers WHERE contest = ? ORDER BY number",
            (contest,),
        ).fetchall(),
        "presses": conn.execute(
            "SELECT id, number, team, pressed_at, rank FROM contest_presses WHERE contest = ? ORDER BY id", (contest,)
        ).fetchall(),
    }
