"""Reading a response store's SQLite file without changing it, in any state and on a read-only disk.

A reader never opens the file for writing. Which way it opens it depends on what lies beside it:

* a database in rollback-journal mode: ``mode=ro`` (SQLite reads it under a shared lock);
* a WAL database without a ``-wal`` file (no connection is open, none was left by a crash):
  ``immutable=1``. ``mode=ro`` would create ``-wal`` and ``-shm`` files beside it and leave them
  there, and on a read-only disk it cannot open it at all (SQLite's "Read-only WAL databases").
  Immutable means "nobody writes it while we read": the reader checks when it closes that the file's
  size, modification time and inode are what they were, and says in one line that a writer changed
  it meanwhile if they are not (what a writer commits to a ``-wal`` meanwhile is simply later than
  the snapshot read: the file itself changes only when the ``-wal`` is copied into it);
* a WAL database with ``-wal`` and ``-shm`` that a connection holds open (a writer is at work: every
  WAL connection holds a read lock on byte 128 of the ``-shm``, which the reader tests with
  ``F_GETLK`` without taking it): ``mode=ro``, which reads the latest saves from the ``-wal`` under
  WAL's own locking, beside the writer. It writes to neither file; like every WAL reader it marks in
  the ``-shm`` (an index that holds no data) which snapshot it reads;
* a ``-wal`` that no connection holds (a writer was killed: the ``-shm`` is missing or nobody holds
  it), or a rollback ``-journal`` (a writer killed in the middle of a transaction): reading in place
  would need to write (rebuild the index, roll the journal back), so the reader copies the file and
  its companion into a private temporary folder (removed when the connection closes) and reads the
  copy. If a writer starts while the copy is made, it reads in place with ``mode=ro`` instead.

Before any of that, a file that is missing, not a regular file, empty (0 bytes) or not an SQLite
database is refused in one line, and so is a database that is not a response store: another
application's marker (``PRAGMA application_id``), or no ``meta`` table. A store whose schema version
is newer than the reader knows is refused naming both versions; older versions are read. Text that is
not UTF-8 is read with U+FFFD in place of the bytes that are not.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import struct
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from toolkit.errors import CorruptStoreError, StoreError

HEADER = b"SQLite format 3\x00"
APPLICATION_ID = 0x4C5A5253  # "LZRS" in the header's application id: a Lianzheng response store
WHAT = "response store"


class ReadOnlyConnection(sqlite3.Connection):
    """A connection that cannot write (see the module); closing it removes a private copy and checks
    that an immutable read was not raced by a writer."""

    path: Path
    how: str  # "ro", "immutable" or "copy"
    schema_version: int = 0  # set by the store's reader once checked
    _copy: tempfile.TemporaryDirectory[str] | None
    _seen: tuple[int, int, int] | None

    def close(self) -> None:
        super().close()
        copy, self._copy = getattr(self, "_copy", None), None
        if copy is not None:
            copy.cleanup()
        seen, self._seen = getattr(self, "_seen", None), None
        if seen is not None and _signature(self.path) != seen:
            raise StoreError(f"{self.path}: a writer changed the store while it was being read; read it again")


def _text(raw: bytes) -> str:
    """A text column as read: bytes that are not UTF-8 (a store written by something else) become U+FFFD
    instead of an error that stops the whole read."""
    return raw.decode("utf-8", "replace")


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_size, info.st_mtime_ns, info.st_ino)


def _companion(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _held(shm: Path) -> bool:
    """Whether a connection holds the WAL index ``shm`` open: SQLite's read lock on its byte 128 (the
    "DMS" lock every connection keeps while it has the file open). Tested with ``F_GETLK``, which takes
    no lock; anywhere this cannot be asked (not Linux, an error), the answer is yes: read in place."""
    if not sys.platform.startswith("linux"):
        return True
    import fcntl

    layout = "hhqqi4x"  # Linux's struct flock on 64-bit: type, whence, start, len, pid
    try:
        fd = os.open(shm, os.O_RDONLY)
    except FileNotFoundError:
        return False
    except OSError:
        return True
    try:
        answer = fcntl.fcntl(fd, fcntl.F_GETLK, struct.pack(layout, fcntl.F_WRLCK, os.SEEK_SET, 128, 1, 0))
        return bool(struct.unpack(layout, answer)[0] != fcntl.F_UNLCK)
    except OSError:
        return True
    finally:
        os.close(fd)


def _copy(where: Path, companions: Sequence[Path]) -> tempfile.TemporaryDirectory[str] | None:
    """A private copy of ``where`` and its ``companions`` (those that exist), or ``None`` when the files
    changed while they were copied (a writer started)."""
    before = [_signature(path) for path in (where, *companions)]
    copy = tempfile.TemporaryDirectory(prefix="lianzheng-store-")
    target = Path(copy.name) / "store.sqlite"
    try:
        shutil.copyfile(where, target)
        for companion in companions:
            if companion.exists():
                shutil.copyfile(companion, _companion(target, companion.name[len(where.name) :]))
    except OSError as exc:
        copy.cleanup()
        raise StoreError(f"{where}: cannot read the {WHAT} ({exc.strerror})") from None
    if [_signature(path) for path in (where, *companions)] != before:
        copy.cleanup()
        return None
    return copy


def check_file(path: Path) -> bytes:
    """The first 100 bytes of the SQLite file at ``path``; a one-line :class:`StoreError` when there is
    no file, it is empty, or it is not an SQLite database."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise StoreError(f"{path}: no {WHAT} there (the file does not exist)") from None
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the {WHAT} ({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise StoreError(f"{path}: not a {WHAT} (not a regular file)")
    if info.st_size == 0:
        raise StoreError(f"{path}: not a {WHAT} (the file is empty: 0 bytes)")
    try:
        with path.open("rb") as file:
            header = file.read(100)
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the {WHAT} ({exc.strerror})") from None
    if not header.startswith(HEADER) or len(header) < 100:
        raise StoreError(f"{path}: not a {WHAT} (file is not a database)")
    return header


def application_id(header: bytes) -> int:
    """The application id in an SQLite header (bytes 68 to 71, big-endian)."""
    return int.from_bytes(header[68:72], "big")


def open_readonly(path: str | Path, *, timeout: float = 30.0) -> ReadOnlyConnection:
    """A connection to the SQLite file at ``path`` that reads it without changing it (see the module).

    Only the file is checked here (it exists, is an SQLite database, not another application's); see
    :func:`check_store` for the tables and the schema version.
    """
    where = Path(path)
    header = check_file(where)
    marker = application_id(header)
    if marker not in (0, APPLICATION_ID):
        raise StoreError(f"{where}: not a {WHAT} (an SQLite database of another application, id {marker:#010x})")
    wal_mode = header[18] == 2 or header[19] == 2
    wal, shm, journal = (_companion(where, suffix) for suffix in ("-wal", "-shm", "-journal"))
    copy: tempfile.TemporaryDirectory[str] | None = None
    seen = None
    target = where.resolve()
    how, query = "ro", "mode=ro"
    if wal_mode and not wal.exists():
        how, query = "immutable", "immutable=1"
        seen = _signature(where)
    elif (wal_mode and not _held(shm)) or (not wal_mode and journal.exists()):
        copy = _copy(where, (wal, journal))
        if copy is not None:
            how, query = "copy", "mode=rw"
            target = Path(copy.name) / "store.sqlite"
    try:
        conn = sqlite3.connect(
            f"{target.as_uri()}?{query}",
            uri=True,
            timeout=timeout,
            isolation_level=None,
            factory=ReadOnlyConnection,
            check_same_thread=False,
        )
    except sqlite3.Error as exc:
        if copy is not None:
            copy.cleanup()
        raise StoreError(f"{where}: cannot read the {WHAT} ({exc})") from None
    assert isinstance(conn, ReadOnlyConnection)
    conn.path, conn.how, conn._copy, conn._seen = where, how, copy, None
    conn.text_factory = _text
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        conn.execute("PRAGMA query_only = ON")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        conn.close()
        raise StoreError(f"{where}: not a {WHAT} ({exc})") from None
    conn._seen = seen
    return conn


def check_store(conn: sqlite3.Connection, path: str | Path, *, tables: Iterable[str], known_version: int | None) -> int:
    """The schema version of the store behind ``conn``, after checking that it is a response store:
    a ``meta`` table with the version, every table in ``tables``, and a version no newer than
    ``known_version`` (``None``: any). Each failure is one line."""
    try:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = [table for table in (*tables, "meta") if table not in names]
        if missing:
            found = f"; it holds {', '.join(sorted(names))}" if names and "meta" in missing else ""
            raise StoreError(f"{path}: not a {WHAT} (no table {', '.join(missing)}{found})")
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: not a {WHAT} ({exc})") from None
    return check_version(row[0] if row else None, path, known_version)


def check_version(stored: Any, path: str | Path, known_version: int | None) -> int:
    """``stored`` (the ``meta`` row) as a version number; a one-line error when it is missing, not a
    positive integer, or newer than ``known_version`` (older versions are readable)."""
    try:
        version = int(str(stored))
    except ValueError:
        version = 0
    if version < 1:
        raise StoreError(f"{path}: not a {WHAT} (its meta table has no valid schema_version: {stored!r})")
    if known_version is not None and version > known_version:
        raise StoreError(
            f"{path}: the {WHAT} has schema version {version}, newer than this Lianzheng reads "
            f"({known_version} and older); use a newer Lianzheng"
        )
    return version


class RowProblems:
    """Collects the rows of a store whose JSON cannot be read, one line each, and raises them together."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.lines: list[str] = []

    def add(self, table: str, key: Mapping[str, Any], column: str, problem: str) -> None:
        row = " ".join(f"{name}={value!r}" for name, value in key.items())
        self.lines.append(f"{self.path}: table {table}, row {row}: column {column} {problem}")

    def json(self, table: str, key: Mapping[str, Any], column: str, text: Any) -> tuple[bool, Any]:
        """``(True, value)`` for valid JSON text; ``(False, None)`` after recording the problem."""
        try:
            if not isinstance(text, str | bytes):
                raise TypeError(f"holds {type(text).__name__}, not text")
            value = json.loads(text)
        except (TypeError, ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
            self.add(table, key, column, f"is not valid JSON ({exc})")
            return False, None
        # "\ud800" is valid JSON but not text: nothing could write or print it (the store refuses it at the save)
        if (
            "\\u" in (text if isinstance(text, str) else "")
            and first_surrogate(json.dumps(value, ensure_ascii=False)) >= 0
        ):
            self.add(table, key, column, "holds a lone surrogate (a \\uD800-\\uDFFF escape alone), which is not text")
            return False, None
        return True, value

    def items(self, table: str, key: Mapping[str, Any], text: Any) -> list[dict[str, Any]] | None:
        """A sheet's ``items`` column: a JSON list of objects with text ``id`` and ``type``."""
        ok, items = self.json(table, key, "items", text)
        if not ok:
            return None
        if not isinstance(items, list) or not all(
            isinstance(i, dict) and isinstance(i.get("id"), str) and isinstance(i.get("type"), str) for i in items
        ):
            self.add(table, key, "items", "is not a list of items with an id and a type")
            return None
        return items

    def check(self) -> None:
        """Raise every problem found as one :class:`CorruptStoreError` (nothing when there is none)."""
        if self.lines:
            raise CorruptStoreError(self.path, self.lines)


def keyed(names: Sequence[str], values: Sequence[Any]) -> dict[str, Any]:
    """A row's key for :class:`RowProblems`, its column names with its values."""
    return dict(zip(names, values, strict=True))


def first_surrogate(value: str) -> int:
    """The position of the first character UTF-8 cannot hold (a lone surrogate) in ``value``; -1 when none."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return int(exc.start)
    return -1
