"""Errors raised by the toolkit.

One root, ``ToolkitError``; each subclass also derives from the built-in exception whose meaning
fits, so callers can catch either::

    ToolkitError
    ├── ParseError (ValueError)          a file's text cannot be parsed at ``.line`` (loaders make it a Problem)
    ├── LibraryError (ValueError)        a library has problems; ``.problems`` lists them all
    │   ├── LibraryNotFoundError (FileNotFoundError)
    │   └── SpecError                    a build spec has problems, listed the same way
    ├── ParameterError (ValueError)      a document parameter is unknown or invalid
    ├── LanguageError (ValueError)       a document is asked for in a language the library has no text in
    ├── ResponseError (ValueError)       a learner's answer or a response store is invalid
    │   ├── SubmittedError               the sheet was submitted: its answers are locked
    │   ├── TimeUpError                  a test paper's answer came after its time limit (server clock)
    │   ├── AttemptsUsedError            a third attempt at a test, or a re-sit after passing
    │   ├── InvalidAnswer                a value an answer item's type refuses (the store names the item)
    │   └── StoreError                   a response store is missing, foreign, or has nothing to report on
    │       └── CorruptStoreError        rows of a store cannot be read; ``.problems`` has one line per row
    ├── ContestError (ValueError)        a knowledge contest's setting or a console's or team's action is invalid
    ├── MissingDependencyError (ImportError)   an optional extra is not installed
    └── OutputError (OSError)            an output file or folder cannot be written (no folder, no right, no space)

The CLI turns any ``ToolkitError`` into one line and a non-zero exit; anything else is a bug.
The one exception class defined elsewhere is ``toolkit.batch.Interrupted`` (in ``builder.py``): not an
error but a ``KeyboardInterrupt`` carrying the batch's own results, so it lives with them.
Two helpers keep those lines alike: :func:`did_you_mean` for an unknown name, :func:`requires_extra`
around the import of an optional dependency.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

# Characters that would break a one-line message or hide in it: C0 and C1 controls, line and
# paragraph separators, format characters (zero-width, bidi controls, BOM) and lone surrogates
# (the undecodable bytes of a file name, as Python keeps them).
_UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\xad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ud800-\udfff]"
)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte of a file name that is not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return repr(char)[1:-1] if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` on one visible line: control, format and separator characters written as Python
    escapes (``\\n``, ``\\x07``, ``\\u200b``), an undecodable byte of a file name as ``\\xff``.

    >>> print(printable("a\\nb\\u200b"))
    a\\nb\\u200b
    """
    return _UNPRINTABLE.sub(_escape, text) if _UNPRINTABLE.search(text) else text


@dataclass(frozen=True, order=True)
class Problem:
    """One problem found in a library file, printed as ``path:line: message``.

    The path and the message are kept printable (see :func:`printable`): whatever a file's name or
    content holds, a problem is one line, and writes to any terminal or JSON encoder.
    """

    path: str
    line: int | None
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", printable(self.path))
        object.__setattr__(self, "message", printable(self.message))

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.message}"


class ToolkitError(Exception):
    """Root of every error the toolkit raises on purpose."""


class ParseError(ToolkitError, ValueError):
    """A problem at a line (1-based) of the text being parsed."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class LibraryError(ToolkitError, ValueError):
    """A library could not be loaded; ``problems`` holds every problem found."""

    def __init__(self, problems: Sequence[Problem], message: str | None = None) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        if message is None:
            first = str(self.problems[0]) if self.problems else "invalid library"
            more = len(self.problems) - 1
            message = first + (f" (and {more} more problem{'s' * (more != 1)})" if more else "")
        super().__init__(message)


class LibraryNotFoundError(LibraryError, FileNotFoundError):
    """The path given for a library is not a library folder."""

    def __init__(self, path: str) -> None:
        self.path = path
        message = f"no library at '{path}' (a library is a folder holding taxonomy.yaml)"
        super().__init__([Problem(path, None, message)], message)


class LanguageError(ToolkitError, ValueError):
    """A document was asked for in a language the library has no text in."""

    def __init__(self, library: str, lang: str, languages: Sequence[str]) -> None:
        self.library, self.lang, self.languages = library, lang, tuple(languages)
        have = ", ".join(languages) or "none"
        super().__init__(
            f"the library at '{library}' has no {lang} text (its languages: {have}); "
            f"build in {' or '.join(languages)}, or add {lang} text to the library"
        )


class MissingDependencyError(ToolkitError, ImportError):
    """An optional dependency is missing; the message names the pip extra that installs it."""

    def __init__(self, package: str, extra: str) -> None:
        self.package = package
        self.extra = extra
        super().__init__(f"{package} is not installed: pip install 'lianzheng[{extra}]'")


class ParameterError(ToolkitError, ValueError):
    """A document parameter is unknown or has an invalid value; the message names the valid choices."""

    def __init__(self, message: str, name: str | None = None) -> None:
        self.name = name
        super().__init__(message)


class ResponseError(ToolkitError, ValueError):
    """An id, an answer or a response store is invalid; the message says what would be valid."""

    def __init__(self, message: str, name: str | None = None) -> None:
        self.name = name
        super().__init__(message)


class InvalidAnswer(ResponseError):
    """A value an answer item's type refuses, with what is valid; the caller adds which item."""


class SubmittedError(ResponseError):
    """The learner already submitted the sheet: answers are locked and a second submission is refused."""


# -- the pre-appointment test (lianzheng serve test) ---------------------------------------------------------
class TimeUpError(ResponseError):
    """An answer to a test paper saved after its time limit, by the server's clock: refused."""


class AttemptsUsedError(ResponseError):
    """A candidate asked for an attempt the test does not allow (a third, or a re-sit after passing)."""


# -- end of the pre-appointment test -------------------------------------------------------------------------


class ContestError(ToolkitError, ValueError):
    """A knowledge contest's setting, or an action of its console or a team, is not valid now; the message
    says what would be."""


class StoreError(ResponseError):
    """The response store is missing, is not a response store, or holds nothing to report on."""


class CorruptStoreError(StoreError):
    """Rows of a response store hold what cannot be read (JSON that does not parse, for one);
    ``problems`` has one line per row, naming the table, the row's key and the column."""

    def __init__(self, path: str, problems: Sequence[str]) -> None:
        self.path = path
        self.problems: tuple[str, ...] = tuple(problems)
        more = len(self.problems) - 1
        rows = f" (and {more} more damaged row{'s' * (more != 1)})" if more else ""
        super().__init__(self.problems[0] + rows if self.problems else f"{path}: damaged rows")


class OutputError(ToolkitError, OSError):
    """An output folder or file cannot be made or written; the message names it and says why."""

    def __init__(self, path: object, reason: OSError | str) -> None:
        why = reason if isinstance(reason, str) else (reason.strerror or str(reason)).lower()
        self.path = str(path)
        super().__init__(f"{path}: {why}")

    def __str__(self) -> str:
        return str(self.args[0])


class SpecError(LibraryError):
    """A build spec file has problems; ``problems`` holds each one as ``path:line: message``."""


@contextmanager
def requires_extra(extra: str) -> Iterator[None]:
    """Imports inside the block belong to the pip extra ``extra``: a missing module is a
    :class:`MissingDependencyError` naming it, so ``pip install lianzheng`` alone fails in one line.

    >>> with requires_extra("pdf"):
    ...     import not_a_module_lianzheng_needs
    Traceback (most recent call last):
    ...
    toolkit.errors.MissingDependencyError: not_a_module_lianzheng_needs is not installed: pip install 'lianzheng[pdf]'
    """
    try:
        yield
    except ModuleNotFoundError as exc:
        raise MissingDependencyError(exc.name or str(exc), extra) from exc


# Up to this many choices, "did you mean" compares the value with each; above, with the few that
# share the most three-letter pieces with it (through an index made once per list of choices), so that
# a file with thousands of unknown names in a library of thousands costs time in proportion to them.
_COMPARE_ALL = 200
_CANDIDATES = 8
_COMMON = 1000  # a piece this many choices hold says nothing about which is meant


def _pieces(text: str) -> set[str]:
    padded = f"\0{text}\0"
    return {padded[start : start + 3] for start in range(max(1, len(padded) - 2))}


@functools.lru_cache(maxsize=16)
def _index(choices: tuple[str, ...]) -> dict[str, list[int]]:
    index: dict[str, list[int]] = {}
    for number, choice in enumerate(choices):
        for piece in _pieces(choice):
            index.setdefault(piece, []).append(number)
    return index


def closest(value: object, choices: Iterable[object]) -> str | None:
    """The choice most like ``value`` (a typo's correction), or None when none is close."""
    word = str(value)
    names = tuple(map(str, choices))
    if len(names) > _COMPARE_ALL:
        if len(word) > 200:  # nothing to correct: no name is that long
            return None
        index = _index(names)
        shared: Counter[int] = Counter()
        for piece in _pieces(word):
            holders = index.get(piece, ())
            if len(holders) <= _COMMON:
                shared.update(holders)
        names = tuple(names[number] for number, _ in shared.most_common(_CANDIDATES))
    close = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(value: object, choices: Iterable[object]) -> str:
    """`` (did you mean 'x'?)`` when a valid choice is close to ``value``, else an empty string.

    >>> "unknown audience 'retird'" + did_you_mean("retird", ["retired", "families"])
    "unknown audience 'retird' (did you mean 'retired'?)"
    >>> did_you_mean("zzz", ["retired", "families"])
    ''
    """
    match = closest(value, choices)
    return f" (did you mean '{match}'?)" if match else ""
