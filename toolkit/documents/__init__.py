"""Documents as plain data, one row per kind: its notebook, editions, parameters and assembler.

>>> from toolkit.documents import DOCUMENTS, assemble
>>> sorted(DOCUMENTS)
['casebook', 'outline', 'quiz', 'worksheet']
>>> doc = assemble("quiz", {"audience": "retired", "questions": 10}, library)   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from toolkit.documents.casebook import Casebook, assemble_casebook
from toolkit.documents.outline import Outline, assemble_outline
from toolkit.documents.params import LEARNER, Param, params_for, picks_param, validate
from toolkit.documents.quiz import QuizPaper, assemble_quiz
from toolkit.documents.worksheet import Worksheet, assemble_worksheet
from toolkit.errors import ParameterError, did_you_mean
from toolkit.library.catalog import Library

Document = Casebook | Outline | Worksheet | QuizPaper


def _themes(library: Library) -> list[str]:
    return [theme.id for theme in library.themes]


@dataclass(frozen=True)
class DocumentKind:
    """One kind of document: the notebook that displays it, its editions and its parameters."""

    name: str
    notebook: str
    template: str
    editions: tuple[str, ...]
    params: tuple[Param, ...]
    assembler: Callable[[Library, dict[str, Any]], Any]
    slides: bool = False
    learner_params: tuple[Param, ...] = ()  # the interactive edition's (see params.LEARNER)

    @property
    def interactive(self) -> bool:
        """Whether learners can answer this document in widgets (a worksheet or a quiz)."""
        return bool(self.learner_params)


DOCUMENTS: dict[str, DocumentKind] = {
    kind.name: kind
    for kind in (
        DocumentKind(
            "casebook",
            "casebook.ipynb",
            "casebook.html.j2",
            ("learner", "trainer"),
            params_for(
                ("learner", "trainer"),
                Param("cases", 8, "how many cases", minimum=1, maximum=60),
                picks_param("case ids shown first, in order (comma-separated); the rest of 'cases' chosen as usual"),
            ),
            assemble_casebook,
        ),
        DocumentKind(
            "outline",
            "lecture_outline.ipynb",
            "outline.html.j2",
            ("trainer",),
            params_for(
                ("trainer",),
                Param("theme", "", "theme id; '' for the theme that fits the audience best", _themes, blank_ok=True),
                Param("minutes", 45, "length of the session in minutes", minimum=15, maximum=480),
                Param("cases", 4, "how many cases to weave in", minimum=1, maximum=12),
                picks_param("case ids woven in first, in order (comma-separated); the rest from the theme"),
            ),
            assemble_outline,
            slides=True,
        ),
        DocumentKind(
            "worksheet",
            "worksheet.ipynb",
            "worksheet.html.j2",
            ("print",),
            params_for(
                ("print",),
                Param("self_checks", 3, "self-check items per discipline", minimum=1, maximum=10),
                Param("reflections", 4, "reflection questions", minimum=0, maximum=12),
                Param("questions", 5, "questions in the short quiz", minimum=0, maximum=40),
                Param("writing_lines", 8, "ruled lines left for writing", minimum=0, maximum=40),
            ),
            assemble_worksheet,
            learner_params=LEARNER,
        ),
        DocumentKind(
            "quiz",
            "quiz.ipynb",
            "quiz.html.j2",
            ("learner", "key"),
            params_for(("learner", "key"), Param("questions", 20, "how many questions", minimum=1, maximum=200)),
            assemble_quiz,
            learner_params=LEARNER,
        ),
    )
}


def document_kind(name: str) -> DocumentKind:
    """The kind called ``name``; a :class:`ParameterError` names the valid kinds otherwise."""
    try:
        return DOCUMENTS[name]
    except KeyError:
        raise ParameterError(
            f"unknown document '{name}'{did_you_mean(name, list(DOCUMENTS))}; valid: {', '.join(DOCUMENTS)}",
            "documents",
        ) from None


def printable_parameters(name: str) -> dict[str, Any]:
    """What the batch build passes on top of a job's parameters: the printable edition, never the widgets."""
    return {"interactive": False} if document_kind(name).interactive else {}


def check_parameters(name: str, values: Mapping[str, Any], library: Library) -> dict[str, Any]:
    """The parameters of a document, checked and completed with defaults (see :mod:`.params`)."""
    kind = document_kind(name)
    return validate(name, kind.params, values, library)


def check_learner_parameters(name: str, values: Mapping[str, Any], library: Library) -> dict[str, Any]:
    """The interactive edition's parameters of a worksheet or quiz (see ``params.LEARNER``), checked and
    completed with defaults; names that are not among them are left to :func:`check_parameters`."""
    where = f"{name} parameters"
    return {p.name: p.check(values.get(p.name, p.default), library, where) for p in document_kind(name).learner_params}


def assemble(name: str, values: Mapping[str, Any], library: Library) -> Document:
    """Check the parameters and assemble the document (pure: no files written)."""
    kind = document_kind(name)
    result: Document = kind.assembler(library, check_parameters(name, values, library))
    return result


__all__ = [
    "DOCUMENTS",
    "Casebook",
    "Document",
    "DocumentKind",
    "Outline",
    "QuizPaper",
    "Worksheet",
    "assemble",
    "check_learner_parameters",
    "check_parameters",
    "document_kind",
    "printable_parameters",
]
