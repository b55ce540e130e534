"""Errors raised by the toolkit.

One root, ``ToolkitError``; each subclass also derives from the built-in exception whose meaning
fits, so callers can catch either::

    ToolkitError
    ├── LibraryError (ValueError)        a library has problems; ``.problems`` lists them all
    │   ├── LibraryNotFoundError (FileNotFoundError)
    │   └── SpecError                    a build spec has problems, listed the same way
    ├── ParameterError (ValueError)      a document parameter is unknown or invalid
    ├── ResponseError (ValueError)       a learner's answer or a response store is invalid
    │   └── SubmittedError               the sheet was submitted: its answers are locked
    └── MissingDependencyError (ImportError)   an optional extra is not installed

The CLI turns any ``ToolkitError`` into one line and a non-zero exit; anything else is a bug.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One problem found in a library file, printed as ``path:line: message``."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.message}"


class ToolkitError(Exception):
    """Root of every error the toolkit raises on purpose."""


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


class MissingDependencyError(ToolkitError, ImportError):
    """An optional dependency is missing; the message names the pip extra that installs it."""

    def __init__(self, package: str, extra: str) -> None:
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


class SubmittedError(ResponseError):
    """The learner already submitted the sheet: answers are locked and a second submission is refused."""


class SpecError(LibraryError):
    """A build spec file has problems; ``problems`` holds each one as ``path:line: message``."""
