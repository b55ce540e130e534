"""The toolkit's version, and a digest of its code and templates for cache keys."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent
# What a handout's content can depend on: code, templates, styles and phrases (not the bundled library,
# whose entries enter a cache key one by one).
_SOURCE_SUFFIXES = (".py", ".j2", ".css", ".yaml", ".json", ".js")


@lru_cache(maxsize=1)
def toolkit_version() -> str:
    try:
        return version("lianzheng")
    except PackageNotFoundError:  # pragma: no cover - a source tree that is not installed
        return "0+unknown"


@lru_cache(maxsize=1)
def source_digest() -> str:
    """A hash of the toolkit's own files (code, templates, locales), so a code change invalidates caches."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_ROOT.rglob("*")):
        if path.suffix in _SOURCE_SUFFIXES and "casebook" not in path.relative_to(PACKAGE_ROOT).parts:
            digest.update(path.relative_to(PACKAGE_ROOT).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]
