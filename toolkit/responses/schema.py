"""The response store's schema: one SQLite file, WAL mode, every save kept.

Writers open a store with :func:`connect` (which creates it, or adds the tables it lacks); everything
that only reads opens it with :func:`open_store` (``write=False``), which never changes the file, its
folder or its mode (see :mod:`toolkit.storefile`). Both refuse another application's database and a
store whose schema version is newer than :data:`SCHEMA_VERSION`; older versions are read.

Tables (all text columns UTF-8; times are ISO 8601 in UTC with microseconds, ``2026-12-01T09:30:00.123456Z``):

``sheets``
    One row per worksheet or quiz that learners can open in a session, written when it is first opened:
    ``session`` (the training session's name), ``sheet`` (the document: ``worksheet`` or ``quiz``, or a
    longer id when one session has several), ``kind`` (``worksheet`` or ``quiz``), ``audience`` (taxonomy
    id), ``title``, ``lang``, ``library_version``, ``params`` (JSON of the document parameters), ``items``
    (JSON list, one object per item: ``id``, ``type``, ``text``, and for quiz questions ``answer``,
    ``points``, ``rule``, ``discipline``), ``registered_at``.
``learners``
    ``learner`` (the id a learner gives), ``name`` (optional display name; the report shows it only when
    asked to), ``registered_at``.
``opens``
    One row per learner and sheet they opened: ``session``, ``sheet``, ``learner``, ``opened_at`` (the
    first time), ``last_opened_at`` and ``times``. A learner who opens a sheet and answers nothing is here
    and nowhere else, which is how the report tells "opened" from "saved anything".
``saves``
    Append-only history: every save of one item, ``id`` increasing, ``session``, ``sheet``, ``learner``,
    ``item``, ``value`` (JSON), ``saved_at``. Nothing is ever updated or deleted here.
``answers``
    The latest value of each item: primary key (``session``, ``sheet``, ``learner``, ``item``), ``value``
    (JSON), ``saved_at``, ``save_id`` (the row in ``saves``). Written in the same transaction as the save.
``submissions``
    One row per learner and sheet once submitted (answers are locked from then on): ``submitted_at``,
    ``score``, ``max_score``, ``passed`` (0/1), ``pass_mark`` (fraction of ``max_score``).
``results``
    One row per graded question of a submission: ``item``, ``given`` (JSON), ``correct`` (0/1),
    ``points``, ``max_points``.
``roster`` (version 2)
    The learners a trainer loaded for a session: ``session``, ``learner`` (key), ``name`` (from the roster
    file), ``token_hash`` (SHA-256 of the learner's secret link token, hex; the token itself is never
    stored), ``issued_at``. A session with a roster opens a sheet only to a valid token.
``sheet_settings`` (version 2)
    How ``lianzheng serve`` serves a sheet of a session: ``session``, ``sheet`` (key), ``key_shown``
    (``submission``: the key and explanations show once the learner submits; ``release``: only once the
    trainer releases them), ``shuffle`` (0/1: question and option order per learner), ``set_at``.
``releases`` (version 2)
    One row per sheet whose key the trainer released: ``session``, ``sheet`` (key), ``released_at``.
``tests`` (version 3)
    The pre-appointment test a session sits (``lianzheng serve test``): ``session`` (key), ``audience``,
    ``lang``, ``questions`` (per paper), ``minutes`` (the time limit), ``pass_mark`` (fraction),
    ``attempts`` (allowed: the first sitting and one re-sit), ``seed``, ``library_version``, ``params``
    (JSON: title, unit, date), ``set_at``.
``attempts`` (version 3)
    One row per candidate's attempt at a session's test: ``session``, ``learner``, ``attempt`` (1, 2;
    key), ``questions`` (JSON list of the paper's question ids in order), ``items`` (JSON: the paper's
    items as a sheet registers them, options in this paper's order), ``started_at`` (when the paper was
    first opened), ``deadline_at`` (start plus the time limit, by the server's clock), ``submitted_at``,
    ``score``, ``max_score``, ``passed`` (0/1; the last four empty until submitted), ``pass_mark``.
    Its answers are in ``saves`` and ``answers`` and its graded questions in ``results`` under the sheet
    ``test:<attempt>`` (a name no served sheet can have), which no ``sheets`` row lists.

The knowledge contest (version 3; written by ``lianzheng contest``, :mod:`toolkit.contest`):

``contests``
    One row per contest: ``contest`` (key, ``<session>/<n>``), ``session``, ``title``, ``audience``,
    ``lang``, ``library_version``, ``seed``, ``params`` (JSON: the rounds asked for, points, seconds),
    ``started_at``, ``finished_at`` (empty until the trainer ends it).
``contest_teams``
    ``contest``, ``team`` (1, 2, ...; key with ``contest``), ``name`` (as the trainer typed it).
``contest_questions``
    The question set drawn: ``contest``, ``number`` (1, 2, ... in the order asked; key with ``contest``),
    ``round`` (``required``, ``buzzer`` or ``risk``), ``team`` (the team that must answer a required or risk
    question; NULL for a buzzer question), ``item`` (the library question id), ``question`` (JSON: the item
    as the quiz registers it, with ``answer``, ``rule``, ``explanation``, ``discipline``).
``contest_presses``
    Every buzzer press, append-only: ``id`` (AUTOINCREMENT: the server's order of arrival), ``contest``,
    ``number``, ``team``, ``pressed_at`` (the server's clock on arrival), ``rank`` (1 for the first press
    on that question, 2 for the next...).
``contest_answers``
    One row per question answered or passed: ``contest``, ``number`` (key with ``contest``), ``team`` (NULL
    when nobody answered), ``given`` (JSON: the option the team chose, or NULL when the console marked it),
    ``correct`` (0/1, NULL when nobody answered), ``stake`` (the points a team staked in the risk round),
    ``points`` (what the team gained or lost), ``answered_at``.

Item ids are the library's: prompt ids for self-check items and reflection questions, question ids for quiz
questions, ``table:<step>`` for a row of the problems / causes / measures table. The values an item's
answer may take are its type's (``toolkit.documents.items.ITEM_TYPES``): a self-check's are ``"yes"``,
``"no"`` or ``"unsure"``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from toolkit.errors import StoreError
from toolkit.storefile import APPLICATION_ID, ReadOnlyConnection, check_store, check_version, open_readonly

SCHEMA_VERSION = 3

# The columns of ``sheets``, shared by the schema and the migration that rebuilds the table.
SHEETS = """(
    session         TEXT NOT NULL,
    sheet           TEXT NOT NULL,
    kind            TEXT NOT NULL,
    audience        TEXT NOT NULL,
    title           TEXT NOT NULL,
    lang            TEXT NOT NULL,
    library_version TEXT NOT NULL,
    params          TEXT NOT NULL,
    items           TEXT NOT NULL,
    registered_at   TEXT NOT NULL,
    PRIMARY KEY (session, sheet)
)"""

# -- version 3: the pre-appointment test (one block, so that other version 3 tables merge beside it) --------
TESTS = """
CREATE TABLE IF NOT EXISTS tests (
    session         TEXT PRIMARY KEY,
    audience        TEXT NOT NULL,
    lang            TEXT NOT NULL,
    questions       INTEGER NOT NULL CHECK (questions >= 1),
    minutes         INTEGER NOT NULL CHECK (minutes >= 1),
    pass_mark       REAL NOT NULL CHECK (pass_mark BETWEEN 0 AND 1),
    attempts        INTEGER NOT NULL CHECK (attempts >= 1),
    seed            INTEGER NOT NULL,
    library_version TEXT NOT NULL,
    params          TEXT NOT NULL,
    set_at          TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS attempts (
    session      TEXT NOT NULL,
    learner      TEXT NOT NULL,
    attempt      INTEGER NOT NULL CHECK (attempt >= 1),
    questions    TEXT NOT NULL,
    items        TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    deadline_at  TEXT NOT NULL,
    submitted_at TEXT,
    score        REAL,
    max_score    REAL,
    passed       INTEGER CHECK (passed IN (0, 1)),
    pass_mark    REAL NOT NULL,
    PRIMARY KEY (session, learner, attempt)
);
"""
# -- end of version 3 -------------------------------------------------------------------------------------

# --- knowledge contest (version 3) -------------------------------------------------------------------
# Version 2 -> 3 adds these tables only (CREATE TABLE IF NOT EXISTS), so migrating needs no step of its own.
CONTEST_DDL = """
CREATE TABLE IF NOT EXISTS contests (
    contest         TEXT PRIMARY KEY,
    session         TEXT NOT NULL,
    title           TEXT NOT NULL,
    audience        TEXT NOT NULL,
    lang            TEXT NOT NULL,
    library_version TEXT NOT NULL,
    seed            INTEGER NOT NULL,
    params          TEXT NOT NULL,
    started_at      TEXT NOT NULL,
    finished_at     TEXT
);
CREATE TABLE IF NOT EXISTS contest_teams (
    contest TEXT NOT NULL REFERENCES contests (contest),
    team    INTEGER NOT NULL,
    name    TEXT NOT NULL,
    PRIMARY KEY (contest, team)
);
CREATE TABLE IF NOT EXISTS contest_questions (
    contest  TEXT NOT NULL REFERENCES contests (contest),
    number   INTEGER NOT NULL,
    round    TEXT NOT NULL CHECK (round IN ('required', 'buzzer', 'risk')),
    team     INTEGER,
    item     TEXT NOT NULL,
    question TEXT NOT NULL,
    PRIMARY KEY (contest, number)
);
CREATE TABLE IF NOT EXISTS contest_presses (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    contest    TEXT NOT NULL,
    number     INTEGER NOT NULL,
    team       INTEGER NOT NULL,
    pressed_at TEXT NOT NULL,
    rank       INTEGER NOT NULL,
    UNIQUE (contest, number, team)
);
CREATE TABLE IF NOT EXISTS contest_answers (
    contest     TEXT NOT NULL,
    number      INTEGER NOT NULL,
    team        INTEGER,
    given       TEXT,
    correct     INTEGER CHECK (correct IN (0, 1)),
    stake       INTEGER,
    points      INTEGER NOT NULL,
    answered_at TEXT NOT NULL,
    PRIMARY KEY (contest, number)
);
"""
# --- end of the knowledge contest ---------------------------------------------------------------------

DDL = f"""
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sheets {SHEETS};
CREATE TABLE IF NOT EXISTS learners (
    learner       TEXT PRIMARY KEY,
    name          TEXT,
    registered_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS opens (
    session        TEXT NOT NULL,
    sheet          TEXT NOT NULL,
    learner        TEXT NOT NULL,
    opened_at      TEXT NOT NULL,
    last_opened_at TEXT NOT NULL,
    times          INTEGER NOT NULL,
    PRIMARY KEY (session, sheet, learner)
);
CREATE TABLE IF NOT EXISTS saves (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    session  TEXT NOT NULL,
    sheet    TEXT NOT NULL,
    learner  TEXT NOT NULL,
    item     TEXT NOT NULL,
    value    TEXT NOT NULL,
    saved_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS saves_by_key ON saves (session, sheet, learner, item);
CREATE TABLE IF NOT EXISTS answers (
    session  TEXT NOT NULL,
    sheet    TEXT NOT NULL,
    learner  TEXT NOT NULL,
    item     TEXT NOT NULL,
    value    TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    save_id  INTEGER NOT NULL REFERENCES saves (id),
    PRIMARY KEY (session, sheet, learner, item)
);
CREATE TABLE IF NOT EXISTS submissions (
    session      TEXT NOT NULL,
    sheet        TEXT NOT NULL,
    learner      TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    score        REAL NOT NULL,
    max_score    REAL NOT NULL,
    passed       INTEGER NOT NULL CHECK (passed IN (0, 1)),
    pass_mark    REAL NOT NULL,
    PRIMARY KEY (session, sheet, learner)
);
CREATE TABLE IF NOT EXISTS results (
    session    TEXT NOT NULL,
    sheet      TEXT NOT NULL,
    learner    TEXT NOT NULL,
    item       TEXT NOT NULL,
    given      TEXT NOT NULL,
    correct    INTEGER NOT NULL CHECK (correct IN (0, 1)),
    points     REAL NOT NULL,
    max_points REAL NOT NULL,
    PRIMARY KEY (session, sheet, learner, item)
);
CREATE TABLE IF NOT EXISTS roster (
    session    TEXT NOT NULL,
    learner    TEXT NOT NULL,
    name       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    issued_at  TEXT NOT NULL,
    PRIMARY KEY (session, learner)
);
CREATE TABLE IF NOT EXISTS sheet_settings (
    session   TEXT NOT NULL,
    sheet     TEXT NOT NULL,
    key_shown TEXT NOT NULL CHECK (key_shown IN ('submission', 'release')),
    shuffle   INTEGER NOT NULL CHECK (shuffle IN (0, 1)),
    set_at    TEXT NOT NULL,
    PRIMARY KEY (session, sheet)
);
CREATE TABLE IF NOT EXISTS releases (
    session     TEXT NOT NULL,
    sheet       TEXT NOT NULL,
    released_at TEXT NOT NULL,
    PRIMARY KEY (session, sheet)
);
{TESTS}
{CONTEST_DDL}"""

# Version 1 -> 2: ``sheets`` loses its CHECK on ``kind`` (a registered kind must be storable), which SQLite
# can only do by rebuilding the table; the new tables come from DDL's CREATE TABLE IF NOT EXISTS.
MIGRATE_1_TO_2 = f"""
CREATE TABLE sheets_v2 {SHEETS};
INSERT INTO sheets_v2 (session, sheet, kind, audience, title, lang, library_version, params, items, registered_at)
    SELECT session, sheet, kind, audience, title, lang, library_version, params, items, registered_at FROM sheets;
DROP TABLE sheets;
ALTER TABLE sheets_v2 RENAME TO sheets;
"""


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the store to :data:`SCHEMA_VERSION` inside the caller's open transaction; the version found.

    A new file gets the whole schema; a version 1 store has ``sheets`` rebuilt without the CHECK on ``kind``
    and the version 2 tables added; a version 2 store gets the version 3 tables (``tests``, ``attempts`` and
    the five ``contest*`` tables of the knowledge contest).
    Either every step is committed with the caller's transaction or none.
    """
    has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() if has_meta else None
    found = int(row[0]) if row is not None else SCHEMA_VERSION
    if found == 1:
        for statement in MIGRATE_1_TO_2.split(";"):
            if statement.strip():
                conn.execute(statement)
    for statement in DDL.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE CAST(meta.value AS INTEGER) < ?",
        (str(SCHEMA_VERSION), SCHEMA_VERSION),
    )
    return found


def connect(path: str | Path, *, timeout: float = 30.0) -> sqlite3.Connection:
    """A connection to the store at ``path``, created with the schema when new.

    WAL lets readers work beside one writer; ``busy_timeout`` makes concurrent writers wait their turn
    instead of failing; ``synchronous=FULL`` makes a committed save survive a crash of the machine, not only
    of the process. Transactions are explicit (``isolation_level=None``): callers use ``BEGIN IMMEDIATE``.
    """
    conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
    _refuse_foreign(conn, path)  # before anything is written
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("BEGIN IMMEDIATE")
    try:
        migrate(conn)
        if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")  # the marker readers look for
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return conn


# The tables every store of a known version holds, which a reader needs (``opens`` came later in
# version 1: a store without it is read, its "opened" counted from saves and submissions).
READ_TABLES = ("sheets", "learners", "saves", "answers", "submissions", "results")


def _refuse_foreign(conn: sqlite3.Connection, path: str | Path) -> None:
    """Close ``conn`` and raise a one-line :class:`StoreError` when the file is another application's
    database (its marker, or tables without a ``meta`` table) or a store newer than this code."""
    try:
        marker = int(conn.execute("PRAGMA application_id").fetchone()[0])
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        row = None
        if "meta" in names:
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if marker not in (0, APPLICATION_ID):
            raise StoreError(
                f"{path}: not a response store (an SQLite database of another application, id {marker:#010x})"
            )
        if names and "meta" not in names:
            raise StoreError(
                f"{path}: not a response store (an SQLite database with tables {', '.join(sorted(names))} and no "
                "meta table); a store is made only in a new or empty file"
            )
        if row is not None:
            check_version(row[0], path, SCHEMA_VERSION)
    except BaseException:
        conn.close()
        raise


def open_store(path: str | Path, *, write: bool = False, timeout: float = 30.0) -> sqlite3.Connection:
    """A connection to the store at ``path``: with ``write``, :func:`connect`'s; otherwise one that
    only reads and changes nothing (not the file, its folder or its mode; see :mod:`toolkit.storefile`),
    after checking that it is a response store of a version no newer than :data:`SCHEMA_VERSION`.
    A reader's ``schema_version`` attribute is the store's version. Every refusal is one line."""
    if write:
        return connect(path, timeout=timeout)
    conn: ReadOnlyConnection = open_readonly(path, timeout=timeout)
    try:
        conn.schema_version = check_store(conn, path, tables=READ_TABLES, known_version=SCHEMA_VERSION)
    except BaseException:
        conn.close()
        raise
    return conn
