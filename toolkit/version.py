"""The toolkit's version, and a digest of its code and templates for cache keys."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent
# What a handout's content can depend on: code, templates, styles and phrases.
_SOURCE_SUFFIXES = (".py", ".j2", ".css", ".yaml", ".json", ".js")
# Top-level folders of the package that no handout is made from: the bundled library (whose entries enter
# a cache key one by one) and the test and benchmark harness.
_OUTSIDE_KEY = frozenset({"casebook", "testing"})


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
        rel = path.relative_to(PACKAGE_ROOT)
        if path.suffix in _SOURCE_SUFFIXES and rel.parts[0] not in _OUTSIDE_KEY:
            digest.update(rel.as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]
