"""The response store: what learners answer, saved as they go, in one SQLite file (see :mod:`.schema`).

>>> import tempfile
>>> folder = tempfile.TemporaryDirectory()
>>> store = ResponseStore(Path(folder.name) / "responses.sqlite")
>>> item = {"id": "sc-gifts", "type": "self-check"}
>>> sheet = SheetRecord("2026-autumn", "worksheet", "worksheet", "retired", "Self-check", "en", "1", {}, (item,))
>>> _ = store.register_sheet(sheet)
>>> _ = store.save("2026-autumn", "worksheet", "li-ming", "sc-gifts", "no")
>>> store.answers("2026-autumn", "worksheet", "li-ming")
{'sc-gifts': 'no'}
>>> _ = store.submit("2026-autumn", "worksheet", "li-ming")
>>> store.save("2026-autumn", "worksheet", "li-ming", "sc-gifts", "yes")  # doctest: +ELLIPSIS
Traceback (most recent call last):
toolkit.errors.SubmittedError: learner 'li-ming' submitted sheet 'worksheet' ...; the answers are locked
>>> store.close(); folder.cleanup()

Every save is one ``BEGIN IMMEDIATE`` transaction that appends to ``saves`` and updates ``answers``:
either both are written or neither, so a writer killed half-way leaves nothing half-written, and
concurrent writers (processes or threads) wait their turn. A submitted sheet is locked: later saves
and a second submission are refused with a :class:`~toolkit.errors.ResponseError`.

What only reads (an export, counts) opens the store with :meth:`ResponseStore.open_readonly`: the file
is never written, not even created or switched to WAL, and it may sit on a read-only disk.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]
import json
import os
import re
import secrets
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.documents import learner_sheets
from toolkit.documents.items import item_type
from toolkit.errors import ResponseError, StoreError, SubmittedError
from toolkit.responses.grading import Grade, grade, grading_key
from toolkit.responses.schema import SCHEMA_VERSION, open_store
from toolkit.storefile import RowProblems, first_surrogate, keyed

# Session, sheet and learner ids: letters (any script), digits and . _ @ -, 1 to 64 characters.
ID = re.compile(r"[^\W_][\w.@-]{0,63}")


def now() -> str:
    """The current time as the store writes it: ISO 8601, UTC, microseconds, ``Z``."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def check_id(value: Any, what: str) -> str:
    """``value`` if it is a valid id; a one-line :class:`ResponseError` saying what is valid otherwise."""
    if not isinstance(value, str) or not ID.fullmatch(value):
        raise ResponseError(
            f"{what} id {value!r} is not valid: use 1 to 64 letters or digits, '.', '_', '@' or '-' "
            "(no spaces), starting with a letter or digit",
            what,
        )
    return value


@dataclass(frozen=True)
class SheetRecord:
    """A worksheet or quiz as the store registers it (one row of ``sheets``)."""

    session: str
    sheet: str
    kind: str
    audience: str
    title: str
    lang: str
    library_version: str
    params: dict[str, Any]
    items: tuple[dict[str, Any], ...]

    def item(self, item_id: str) -> dict[str, Any]:
        for item in self.items:
            if item["id"] == item_id:
                return item
        known = ", ".join(i["id"] for i in self.items[:6]) + (", ..." if len(self.items) > 6 else "")
        raise ResponseError(
            f"sheet '{self.sheet}' of session '{self.session}' has no item '{item_id}'; valid: {known}", "item"
        )

    def questions(self) -> list[dict[str, Any]]:
        """The items a submission grades, by their type."""
        return [item for item in self.items if item_type(item["type"]).graded]


@dataclass(frozen=True)
class Submission:
    """A submitted sheet: its score and each graded question (rows of ``submissions`` and ``results``)."""

    session: str
    sheet: str
    learner: str
    submitted_at: str
    score: float
    max_score: float
    passed: bool
    pass_mark: float
    results: tuple[dict[str, Any], ...] = field(default=())


KEY_SHOWN = ("release", "submission")  # when a learner sees the key: once released (the default), or on submitting
TOKEN_BYTES = 24  # a learner's link token: 192 random bits, URL-safe


def token_hash(token: str) -> str:
    """What the store keeps of a learner's token: its SHA-256, hex (the token itself is never stored)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class RosterEntry:
    """A learner of a session's roster (a row of ``roster``, without the token's hash)."""

    session: str
    learner: str
    name: str
    issued_at: str


@dataclass(frozen=True)
class Issued:
    """A token issued now: the only moment the token is known, so the moment its link is printed."""

    learner: str
    name: str
    token: str


@dataclass(frozen=True)
class RosterChange:
    """What loading a roster did: tokens issued now, learners who kept theirs, learners removed."""

    issued: tuple[Issued, ...]
    kept: tuple[str, ...]
    removed: tuple[str, ...]


@dataclass(frozen=True)
class SheetSettings:
    """How a sheet is served: when its key shows, whether papers are shuffled, and whether it is released."""

    key_shown: str = "release"
    shuffle: bool = False
    released_at: str | None = None

    @property
    def key_visible(self) -> bool:
        """Whether a learner who submitted sees the key and explanations now."""
        return self.key_shown == "submission" or self.released_at is not None


def check_value(item: Mapping[str, Any], value: Any) -> Any:
    """The value to store for ``item``, checked by its type (see ``toolkit.documents.items``); ``None``
    clears an answer."""
    return item_type(item["type"]).normalise(item, value)


class ResponseStore:
    """One store file. Safe to use from several processes at once; one connection per process."""

    def __init__(
        self, path: str | Path, *, create: bool = True, timeout: float = 30.0, queue: bool = True, write: bool = True
    ) -> None:
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise ResponseError(f"no response store at '{self.path}' (a store is the SQLite file learners save to)")
        self.write = write  # False: every connection only reads (see open_readonly)
        self.timeout = timeout
        self._local = threading.local()  # one connection per thread: sqlite3 refuses to share one
        self._lock = threading.RLock()
        self._lock_fd: int | None = None
        self._lock_pid = -1
        self.queue = queue  # writers queue on the advisory lock (see transaction); off only to compare
        self._sheets: dict[tuple[str, str], SheetRecord] = {}

    @classmethod
    def open_readonly(cls, path: str | Path, *, timeout: float = 30.0) -> ResponseStore:
        """The store at ``path`` for reading only: checked now (a missing file, another kind of file or a
        store newer than this code is a one-line :class:`StoreError`), never written; writing through it
        is refused."""
        store = cls(path, timeout=timeout, write=False)
        store.conn  # noqa: B018 - open and check it now
        return store

    # -- connection and transactions --------------------------------------------------------------

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection (a forked child or another thread opens its own).

        Widget callbacks do not always run in the thread that built the widgets: JupyterLab sends a
        widget's messages to a kernel subshell, which handles them in a thread of its own.
        """
        local = self._local
        if getattr(local, "conn", None) is None or local.pid != os.getpid():
            try:
                local.conn = open_store(self.path, write=self.write, timeout=self.timeout)
            except sqlite3.DatabaseError as exc:
                if not self.path.parent.is_dir():
                    raise ResponseError(
                        f"cannot create a response store at '{self.path}': there is no folder '{self.path.parent}'"
                    ) from None
                raise ResponseError(f"{self.path}: not a response store ({exc})") from None
            local.pid = os.getpid()
        conn: sqlite3.Connection = local.conn
        return conn

    def close(self) -> None:
        """Close this thread's connection and the queue's lock file (others close when collected)."""
        local = self._local
        if getattr(local, "conn", None) is not None and local.pid == os.getpid():
            local.conn.close()
        local.conn = None
        if self._lock_fd is not None and self._lock_pid == os.getpid():
            os.close(self._lock_fd)
        self._lock_fd = None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back if the block raises.

        Writers first queue on an advisory lock on ``<store>-lock`` (``flock``): a waiting writer is
        woken the moment the lock is free, where SQLite's own busy handler sleeps and polls with
        growing pauses, which with many writers left an unlucky one waiting for seconds. The kernel
        releases the lock of a writer that dies, and SQLite's locking still guards the file on its own
        (a writer that does not take the advisory lock is merely not queued).
        """
        if not self.write:
            raise StoreError(f"{self.path}: the store was opened for reading only; nothing was written")
        with self._lock:
            conn = self.conn
            with self._queue():
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")

    @contextmanager
    def _queue(self) -> Iterator[None]:
        if fcntl is None or not self.queue:
            yield
            return
        if self._lock_fd is None or self._lock_pid != os.getpid():
            self._lock_fd = os.open(f"{self.path}-lock", os.O_RDWR | os.O_CREAT, 0o666)
            self._lock_pid = os.getpid()
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    # -- sheets and learners ----------------------------------------------------------------------

    def register_sheet(self, record: SheetRecord) -> SheetRecord:
        """Register a sheet when it is first opened; the record already stored when it was.

        Opening the same sheet again with other items (other parameters or another library) would
        mix answers to different questions: that is refused.
        """
        check_id(record.session, "session")
        check_id(record.sheet, "sheet")
        kinds = learner_sheets()
        if record.kind not in kinds:
            raise ResponseError(f"sheet kind '{record.kind}' is not valid; valid: {', '.join(kinds)}")
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO sheets (session, sheet, kind, audience, title, lang, library_version, "
                "params, items, registered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.session,
                    record.sheet,
                    record.kind,
                    record.audience,
                    record.title,
                    record.lang,
                    record.library_version,
                    json.dumps(record.params, ensure_ascii=False, sort_keys=True),
                    json.dumps(list(record.items), ensure_ascii=False),
                    now(),
                ),
            )
        stored = self.check_same_items(record)
        assert stored is not None
        return stored

    def check_same_items(self, record: SheetRecord) -> SheetRecord | None:
        """The sheet as registered (``None`` if it is not); an error if it was with other items."""
        try:
            stored = self.sheet(record.session, record.sheet)
        except ResponseError:
            return None
        if _item_keys(stored.items) != _item_keys(record.items):
            raise ResponseError(
                f"sheet '{record.sheet}' of session '{record.session}' is already open with other items "
                "(other parameters or library); give this one another session or sheet name"
            )
        return stored

    def sheet(self, session: str, sheet: str) -> SheetRecord:
        """The registered sheet; a :class:`ResponseError` when it was never opened."""
        key = (session, sheet)
        if key not in self._sheets:
            row = self.conn.execute(
                "SELECT kind, audience, title, lang, library_version, params, items FROM sheets "
                "WHERE session = ? AND sheet = ?",
                key,
            ).fetchone()
            if row is None:
                raise ResponseError(f"no sheet '{sheet}' in session '{session}' in {self.path}", "sheet")
            kind, audience, title, lang, version, params, items = row
            problems = RowProblems(self.path)
            where = keyed(("session", "sheet"), key)
            decoded_params = problems.json("sheets", where, "params", params)[1]
            decoded_items = problems.items("sheets", where, items)
            problems.check()
            self._sheets[key] = SheetRecord(
                session, sheet, kind, audience, title, lang, version, decoded_params, tuple(decoded_items or ())
            )
        return self._sheets[key]

    def register_learner(self, learner: str, name: str | None = None) -> None:
        """Record a learner (and their display name when given; an earlier name is kept otherwise)."""
        check_id(learner, "learner")
        if name and (bad := first_surrogate(name)) >= 0:
            raise ResponseError(
                f"learner '{learner}': the name holds a character that is not text (a lone surrogate, "
                f"{name[bad]!r} at character {bad + 1}); valid: Unicode text",
                "name",
            )
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO learners (learner, name, registered_at) VALUES (?, ?, ?) "
                "ON CONFLICT (learner) DO UPDATE SET name = coalesce(excluded.name, learners.name)",
                (learner, name or None, now()),
            )

    def record_open(self, session: str, sheet: str, learner: str) -> None:
        """Record that ``learner`` opened the sheet (the first time kept, the last time and count updated)."""
        check_id(learner, "learner")
        self.sheet(session, sheet)
        when = now()
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO opens (session, sheet, learner, opened_at, last_opened_at, times) "
                "VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT (session, sheet, learner) "
                "DO UPDATE SET last_opened_at = excluded.last_opened_at, times = opens.times + 1",
                (session, sheet, learner, when, when),
            )

    # -- saving -----------------------------------------------------------------------------------

    def save(self, session: str, sheet: str, learner: str, item: str, value: Any) -> int:
        """Save one answer: append to ``saves`` and update ``answers`` in one transaction; the save's id."""
        check_id(learner, "learner")
        record = self.sheet(session, sheet)
        value = check_value(record.item(item), value)
        text = json.dumps(value, ensure_ascii=False)
        if (bad := first_surrogate(text)) >= 0:  # every type's values, whatever its check let through
            raise ResponseError(
                f"item '{item}': the answer holds a character that is not text (a lone surrogate, "
                f"{text[bad]!r}); valid: Unicode text",
                "value",
            )
        with self.transaction() as conn:
            self._refuse_if_submitted(conn, session, sheet, learner)
            stamp = now()
            save_id = self.append_save(conn, session, sheet, learner, item, text, stamp)
            self.update_answer(conn, session, sheet, learner, item, text, stamp, save_id)
        return save_id

    def append_save(
        self, conn: sqlite3.Connection, session: str, sheet: str, learner: str, item: str, text: str, stamp: str
    ) -> int:
        """The first half of a save (inside a transaction): the learner row and the ``saves`` row."""
        conn.execute("INSERT OR IGNORE INTO learners (learner, registered_at) VALUES (?, ?)", (learner, stamp))
        cursor = conn.execute(
            "INSERT INTO saves (session, sheet, learner, item, value, saved_at) VALUES (?, ?, ?, ?, ?, ?)",
            (session, sheet, learner, item, text, stamp),
        )
        return int(cursor.lastrowid or 0)

    def update_answer(
        self,
        conn: sqlite3.Connection,
        session: str,
        sheet: str,
        learner: str,
        item: str,
        text: str,
        stamp: str,
        save_id: int,
    ) -> None:
        """The second half of a save (inside the same transaction): the latest value in ``answers``."""
        conn.execute(
            "INSERT INTO answers (session, sheet, learner, item, value, saved_at, save_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (session, sheet, learner, item) DO UPDATE SET "
            "value = excluded.value, saved_at = excluded.saved_at, save_id = excluded.save_id",
            (session, sheet, learner, item, text, stamp, save_id),
        )

    def _refuse_if_submitted(self, conn: sqlite3.Connection, session: str, sheet: str, learner: str) -> None:
        row = conn.execute(
            "SELECT submitted_at FROM submissions WHERE session = ? AND sheet = ? AND learner = ?",
            (session, sheet, learner),
        ).fetchone()
        if row is not None:
            raise SubmittedError(
                f"learner '{learner}' submitted sheet '{sheet}' of session '{session}' at {row[0]}; "
                "the answers are locked"
            )

    def answers(self, session: str, sheet: str, learner: str) -> dict[str, Any]:
        """The latest value of each item the learner answered (a cleared answer is ``None``)."""
        return _answers(self.conn, session, sheet, learner)

    # -- submitting -------------------------------------------------------------------------------

    def submit(self, session: str, sheet: str, learner: str, *, pass_mark: float = 0.6) -> Submission:
        """Lock the learner's answers and grade the sheet's questions, all in one transaction."""
        check_id(learner, "learner")
        record = self.sheet(session, sheet)
        keys = [grading_key(item) for item in record.questions()]
        with self.transaction() as conn:
            self._refuse_if_submitted(conn, session, sheet, learner)
            result: Grade = grade(keys, _answers(conn, session, sheet, learner), pass_mark)
            stamp = now()
            conn.execute("INSERT OR IGNORE INTO learners (learner, registered_at) VALUES (?, ?)", (learner, stamp))
            conn.execute(
                "INSERT INTO submissions (session, sheet, learner, submitted_at, score, max_score, passed, pass_mark) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (session, sheet, learner, stamp, result.score, result.max_score, int(result.passed), pass_mark),
            )
            insert_results(conn, session, sheet, learner, result)
        submission = self.submission(session, sheet, learner)
        assert submission is not None
        return submission

    def submission(self, session: str, sheet: str, learner: str) -> Submission | None:
        """The learner's submission of the sheet, with its graded questions; ``None`` before submitting."""
        row = self.conn.execute(
            "SELECT submitted_at, score, max_score, passed, pass_mark FROM submissions "
            "WHERE session = ? AND sheet = ? AND learner = ?",
            (session, sheet, learner),
        ).fetchone()
        if row is None:
            return None
        results = self.conn.execute(
            "SELECT item, given, correct, points, max_points FROM results "
            "WHERE session = ? AND sheet = ? AND learner = ? ORDER BY rowid",
            (session, sheet, learner),
        ).fetchall()
        return Submission(
            session,
            sheet,
            learner,
            row[0],
            row[1],
            row[2],
            bool(row[3]),
            row[4],
            tuple(
                {"item": item, "given": json.loads(given), "correct": bool(correct), "points": p, "max_points": m}
                for item, given, correct, p, m in results
            ),
        )

    # -- learner access: rosters, tokens, settings, release (schema version 2) ---------------------

    def load_roster(self, session: str, learners: Sequence[tuple[str, str]], *, reissue: bool = False) -> RosterChange:
        """Make ``learners`` (id, name) the session's roster, in one transaction.

        A learner new to the roster gets a token; one already on it keeps theirs (its name updated) unless
        ``reissue``; one no longer listed is removed, and their link stops opening anything. Their answers stay.
        """
        check_id(session, "session")
        for learner, _ in learners:
            check_id(learner, "learner")
        issued: list[Issued] = []
        kept: list[str] = []
        with self.transaction() as conn:
            existing = {row[0] for row in conn.execute("SELECT learner FROM roster WHERE session = ?", (session,))}
            listed = {learner for learner, _ in learners}
            removed = sorted(existing - listed)
            conn.executemany(
                "DELETE FROM roster WHERE session = ? AND learner = ?", [(session, learner) for learner in removed]
            )
            for learner, name in learners:
                stamp = now()
                conn.execute(
                    "INSERT INTO learners (learner, name, registered_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (learner) DO UPDATE SET name = excluded.name",
                    (learner, name, stamp),
                )
                if learner in existing and not reissue:
                    conn.execute(
                        "UPDATE roster SET name = ? WHERE session = ? AND learner = ?", (name, session, learner)
                    )
                    kept.append(learner)
                    continue
                token = secrets.token_urlsafe(TOKEN_BYTES)
                conn.execute(
                    "INSERT INTO roster (session, learner, name, token_hash, issued_at) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT (session, learner) DO UPDATE SET name = excluded.name, "
                    "token_hash = excluded.token_hash, issued_at = excluded.issued_at",
                    (session, learner, name, token_hash(token), stamp),
                )
                issued.append(Issued(learner, name, token))
        return RosterChange(tuple(issued), tuple(kept), tuple(removed))

    def reissue(self, session: str, learners: Sequence[str] = ()) -> tuple[Issued, ...]:
        """New tokens for ``learners`` of the session's roster (every learner when empty); old links stop working."""
        entries = {entry.learner: entry for entry in self.roster(session)}
        if not entries:
            raise ResponseError(f"session '{session}' has no roster; load one with 'lianzheng roster load'", "session")
        for learner in learners:
            if learner not in entries:
                raise ResponseError(f"learner '{learner}' is not on the roster of session '{session}'", "learner")
        chosen = list(learners) or list(entries)
        issued = []
        with self.transaction() as conn:
            for learner in chosen:
                token = secrets.token_urlsafe(TOKEN_BYTES)
                conn.execute(
                    "UPDATE roster SET token_hash = ?, issued_at = ? WHERE session = ? AND learner = ?",
                    (token_hash(token), now(), session, learner),
                )
                issued.append(Issued(learner, entries[learner].name, token))
        return tuple(issued)

    def roster(self, session: str) -> list[RosterEntry]:
        """The session's roster, in the order it was loaded (none in a version 1 store, read as it is)."""
        if getattr(self.conn, "schema_version", SCHEMA_VERSION) < 2:
            return []
        rows = self.conn.execute(
            "SELECT learner, name, issued_at FROM roster WHERE session = ? ORDER BY rowid", (session,)
        ).fetchall()
        return [RosterEntry(session, learner, name, issued_at) for learner, name, issued_at in rows]

    def has_roster(self, session: str) -> bool:
        """Whether the session has a roster: then only a learner's token opens a sheet of it."""
        return self.conn.execute("SELECT 1 FROM roster WHERE session = ? LIMIT 1", (session,)).fetchone() is not None

    def learner_for_token(self, session: str, token: str) -> RosterEntry | None:
        """The learner of the session whose token this is; ``None`` for any other token.

        Every hash of the session is compared in constant time, all of them, whatever matches: the time
        taken says nothing about which learner, or how close a guess came.
        """
        wanted = token_hash(token) if isinstance(token, str) else ""
        rows = self.conn.execute(
            "SELECT learner, name, token_hash, issued_at FROM roster WHERE session = ?", (session,)
        ).fetchall()
        found: RosterEntry | None = None
        for learner, name, stored, issued_at in rows:
            if hmac.compare_digest(stored.encode("ascii"), wanted.encode("ascii")) and wanted:
                found = RosterEntry(session, learner, name, issued_at)
        return found

    def set_sheet_settings(
        self, session: str, sheet: str, *, key_shown: str = "release", shuffle: bool = False
    ) -> None:
        """How the sheet is served from now on (``lianzheng serve`` writes it for each sheet it serves)."""
        check_id(session, "session")
        check_id(sheet, "sheet")
        if key_shown not in KEY_SHOWN:
            raise ResponseError(f"key shown at '{key_shown}' is not valid; valid: {', '.join(KEY_SHOWN)}", "key")
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO sheet_settings (session, sheet, key_shown, shuffle, set_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (session, sheet) DO UPDATE SET key_shown = excluded.key_shown, "
                "shuffle = excluded.shuffle, set_at = excluded.set_at",
                (session, sheet, key_shown, int(shuffle), now()),
            )

    def sheet_settings(self, session: str, sheet: str) -> SheetSettings:
        """The sheet's settings; never set, the key waits for release and papers are not shuffled."""
        row = self.conn.execute(
            "SELECT key_shown, shuffle FROM sheet_settings WHERE session = ? AND sheet = ?", (session, sheet)
        ).fetchone()
        released = self.conn.execute(
            "SELECT released_at FROM releases WHERE session = ? AND sheet = ?", (session, sheet)
        ).fetchone()
        key_shown, shuffle = row if row is not None else ("release", 0)
        return SheetSettings(key_shown, bool(shuffle), released[0] if released else None)

    def release(self, session: str, sheet: str | None = None) -> list[str]:
        """Show the key and explanations of the session's sheets (or of ``sheet``) to learners who submitted."""
        known = [
            row[0]
            for row in self.conn.execute(
                "SELECT sheet FROM sheets WHERE session = ? UNION SELECT sheet FROM sheet_settings WHERE session = ? "
                "ORDER BY 1",
                (session, session),
            )
        ]
        if sheet is not None and sheet not in known:
            valid = ", ".join(known) or "none: serve the session first"
            raise ResponseError(f"session '{session}' has no sheet '{sheet}'; valid: {valid}", "sheet")
        if not known:
            raise ResponseError(f"session '{session}' has no sheets in {self.path}; serve it first", "session")
        chosen = [sheet] if sheet is not None else known
        with self.transaction() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO releases (session, sheet, released_at) VALUES (?, ?, ?)",
                [(session, name, now()) for name in chosen],
            )
        return chosen

    # -- reading everything -----------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Rows per table (what the benchmark and the tests compare with what they wrote)."""
        tables = ("sheets", "learners", "saves", "answers", "submissions", "results")
        return {table: int(self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]) for table in tables}

    def export_rows(self) -> list[dict[str, Any]]:
        """One row per answer: session, sheet, learner, item, type, value, saved_at and the submission's score."""
        rows = self.conn.execute(
            "SELECT a.session, a.sheet, a.learner, a.item, a.value, a.saved_at, s.items, "
            "sub.score, sub.max_score, sub.passed, sub.submitted_at "
            "FROM answers a JOIN sheets s ON s.session = a.session AND s.sheet = a.sheet "
            "LEFT JOIN submissions sub ON sub.session = a.session AND sub.sheet = a.sheet AND sub.learner = a.learner "
            "ORDER BY a.session, a.sheet, a.learner, a.save_id"
        ).fetchall()
        types: dict[tuple[str, str], dict[str, str]] = {}  # each sheet's item types
        problems = RowProblems(self.path)
        out = []
        for session, sheet, learner, item, value, saved_at, items, score, max_score, passed, submitted_at in rows:
            if (session, sheet) not in types:
                listed = problems.items("sheets", keyed(("session", "sheet"), (session, sheet)), items)
                types[session, sheet] = {i["id"]: i["type"] for i in listed or ()}
            key = keyed(("session", "sheet", "learner", "item"), (session, sheet, learner, item))
            ok, decoded = problems.json("answers", key, "value", value)
            if not ok:
                continue
            out.append(
                {
                    "session": session,
                    "sheet": sheet,
                    "learner": learner,
                    "item": item,
                    "type": types[session, sheet].get(item, ""),
                    "value": cell_text(decoded),
                    "saved_at": saved_at,
                    "score": score,
                    "max_score": max_score,
                    "passed": None if passed is None else bool(passed),
                    "submitted_at": submitted_at,
                }
            )
        problems.check()
        return out


def _answers(conn: sqlite3.Connection, session: str, sheet: str, learner: str) -> dict[str, Any]:
    rows = conn.execute(
        "SELECT item, value FROM answers WHERE session = ? AND sheet = ? AND learner = ?",
        (session, sheet, learner),
    ).fetchall()
    problems = RowProblems(getattr(conn, "path", "the store"))
    names = ("session", "sheet", "learner", "item")
    answers = {
        item: problems.json("answers", keyed(names, (session, sheet, learner, item)), "value", value)[1]
        for item, value in rows
    }
    problems.check()
    return answers


def cell_text(value: Any) -> str:
    """A value as one spreadsheet cell: text as it is, letters joined, true/false, blank for none."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return str(value)


def _item_keys(items: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, str]]:
    return [(i["id"], i["type"], json.dumps(i.get("answer"))) for i in items]


def insert_results(conn: sqlite3.Connection, session: str, sheet: str, learner: str, result: Grade) -> None:
    """One row of ``results`` per graded question of a submission (in the caller's transaction)."""
    conn.executemany(
        "INSERT INTO results (session, sheet, learner, item, given, correct, points, max_points) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                session,
                sheet,
                learner,
                q.id,
                json.dumps(q.given, ensure_ascii=False),
                int(q.correct),
                q.points,
                q.max_points,
            )
            for q in result.questions
        ],
    )
