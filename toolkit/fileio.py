"""Writing files so that nothing half-written is ever seen: write a temporary file, then rename."""

from __future__ import annotations

import errno
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# What XML 1.0 cannot hold, even as a character reference: C0 controls but tab, line feed and carriage
# return; surrogates (a lone one is not even UTF-8); U+FFFE and U+FFFF. A DOCX and an XLSX file are XML.
NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str, replacement: str = "") -> str:
    """``text`` with each character XML cannot hold replaced (left out by default)."""
    return NOT_IN_XML.sub(replacement, text)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def staged(target: Path) -> Iterator[Path]:
    """A temporary path beside ``target``; renamed over it when the block succeeds, removed if not."""
    temp = stage(target)
    try:
        yield temp
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def write_atomic(target: Path, data: str | bytes) -> None:
    """Write ``data`` to ``target`` through a temporary file and a rename."""
    with staged(target) as temp:
        if isinstance(data, str):
            temp.write_text(data, encoding="utf-8")
        else:
            temp.write_bytes(data)


def stage(target: Path) -> Path:
    """A fresh temporary path beside ``target`` for a writer that wants a file name; see :func:`publish`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # The suffix stays last so that tools that check it (papermill wants .ipynb) accept the file.
    fd, name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=f".part{target.suffix}", dir=target.parent)
    # mkstemp makes the file private; a handout gets the permissions of any file the user writes.
    os.fchmod(fd, 0o666 & ~_umask())
    os.close(fd)
    return Path(name)


# The names stage gives: .<stem>.<mkstemp's 8 random characters>.part<suffix>
_STAGED = re.compile(r"^\..+\.[a-z0-9_]{8}\.part(\.[A-Za-z0-9]+)*$")


def remove_staged(folder: Path) -> None:
    """Remove the temporary files :func:`stage` made in ``folder`` that a killed writer left behind."""
    if folder.is_dir():
        for path in folder.iterdir():
            if _STAGED.match(path.name) and path.is_file():
                path.unlink(missing_ok=True)


def target_of(path: Path) -> Path:
    """The file a temporary file made by :func:`stage` stands for (``path`` itself when it is not one)."""
    if not _STAGED.match(path.name):
        return path
    head, suffix = path.name[1:].rsplit(".part", 1)
    return path.with_name(head.rsplit(".", 1)[0] + suffix)


def publish(pairs: list[tuple[Path, Path]]) -> None:
    """Rename each staged file over its target (every file was complete before the first rename)."""
    for temp, target in pairs:
        os.replace(temp, target)


class Reservation:
    """Room held on the disk, from the start of a long task, for a file written at its end.

    A build writes its manifest once every job is done; on a disk that the jobs fill, that last write
    would fail and leave the new files unrecorded. So the room is taken first (a temporary file beside
    ``target`` of ``size`` bytes, allocated) and the file is written into it: :meth:`write` then needs
    no new space unless the text outgrows ``size``. An ``OSError`` (no space, a read-only folder) is
    raised when the room cannot be had, and nothing is left behind.
    """

    def __init__(self, target: Path, size: int) -> None:
        self.target = target
        self.temp = stage(target)
        try:
            with open(self.temp, "r+b") as file:
                _allocate(file.fileno(), size)
        except BaseException:
            self.temp.unlink(missing_ok=True)
            raise

    def write(self, data: str | bytes) -> None:
        """Write ``data`` into the room and rename it over the target; the room is used up."""
        raw = data.encode("utf-8") if isinstance(data, str) else data
        try:
            with open(self.temp, "r+b") as file:
                file.write(raw)
                file.truncate()
            os.replace(self.temp, self.target)
        finally:
            self.temp.unlink(missing_ok=True)

    def release(self) -> None:
        """Give the room back unused (it is gone already once :meth:`write` ran)."""
        self.temp.unlink(missing_ok=True)


def _allocate(fd: int, size: int) -> None:
    """Allocate ``size`` bytes to the open file ``fd``: ``posix_fallocate``, else written zeros."""
    if size <= 0:
        return
    if hasattr(os, "posix_fallocate"):
        try:
            os.posix_fallocate(fd, 0, size)
            return
        except OSError as exc:
            if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL):  # a file system that cannot allocate
                raise
    block = b"\0" * 65536
    written = 0
    while written < size:
        written += os.write(fd, block[: size - written])
    os.fsync(fd)


def discard(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
