"""Writing files so that nothing half-written is ever seen: write a temporary file, then rename."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


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


def publish(pairs: list[tuple[Path, Path]]) -> None:
    """Rename each staged file over its target (every file was complete before the first rename)."""
    for temp, target in pairs:
        os.replace(temp, target)


def discard(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
