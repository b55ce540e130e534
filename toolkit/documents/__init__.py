"""Documents as plain data, one row per kind: its notebook, templates, editions, views, parameters,
assembler and cost. Every list of documents (the studio's, the command line's, a spec's defaults) is
read from this table; :func:`register_document` adds a kind from outside the package.

>>> from toolkit.documents import DOCUMENTS, assemble, handouts
>>> sorted(DOCUMENTS)
['casebook', 'outline', 'quiz', 'report', 'worksheet']
>>> handouts()
('casebook', 'outline', 'worksheet', 'quiz')
>>> DOCUMENTS["outline"].templates["page"]
'outline.html.j2'
>>> from toolkit import bundled_library, load_library
>>> library = load_library(bundled_library())
>>> len(assemble("quiz", {"audience": "retired", "questions": 10}, library).items)
10
>>> assemble("quiz", {"audience": "retired", "questions": 0}, library)
Traceback (most recent call last):
toolkit.errors.ParameterError: quiz parameters: parameter 'questions' is 0; valid: 1 to 200
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from toolkit.documents.casebook import Casebook, assemble_casebook
from toolkit.documents.common import Document
from toolkit.documents.outline import Outline, assemble_outline
from toolkit.documents.params import INTERACTIVE, LEARNER, Param, params_for, picks_param, theme_ids, validate
from toolkit.documents.quiz import QuizPaper, assemble_quiz
from toolkit.documents.report import PARAMS as REPORT_PARAMS
from toolkit.documents.report import TrainerReport, assemble_report
from toolkit.documents.worksheet import Worksheet, assemble_worksheet
from toolkit.errors import ParameterError, did_you_mean
from toolkit.tables import add_row, added_row

if TYPE_CHECKING:
    from toolkit.library.catalog import Library

PRINTABLE = "printable"


@dataclass(frozen=True)
class DocumentKind:
    """One kind of document: the notebook that displays it, its templates, editions and parameters.

    ``templates`` maps a role to a template: ``page`` is the Jinja template of the HTML fragment
    (a name in ``toolkit/render/templates`` or an absolute path); ``pdf`` is the Typst template that
    lays out the kind's PDF (a name in ``toolkit/render/typst``, or an absolute path for a kind
    registered from outside; without one the kind cannot be made as PDF); any other role names an
    output format made from the assembled document (``slides``: the nbconvert template of the deck),
    and that format applies to the kinds that have it. ``weight`` is the document's cost relative to
    an outline, which orders a build's first run (a casebook lays out 20 pages or more).

    An ``interactive`` edition (worksheet, quiz) is the one learners answer in widgets: it alone takes
    the learner parameters (``params.LEARNER``), and the batch build never makes it. The kind's views
    follow from its editions: ``printable`` (every other edition) and ``interactive``.
    """

    name: str
    notebook: str
    templates: Mapping[str, str] = field(hash=False)
    editions: tuple[str, ...]
    params: tuple[Param, ...]
    assembler: Callable[[Library, dict[str, Any]], Document]
    weight: float = 1.0
    handout: bool = True  # made for one audience's session; False for the trainer report (built alone)
    formats: tuple[str, ...] | None = None  # the output formats it may be written in; None: every one

    @property
    def interactive(self) -> bool:
        """Whether learners can answer this document in widgets (a worksheet or a quiz)."""
        return INTERACTIVE in self.editions

    @property
    def views(self) -> tuple[str, ...]:
        """``printable`` when the kind has a printable edition, ``interactive`` when it has that one."""
        return (PRINTABLE,) * bool(self.printable_editions) + (INTERACTIVE,) * self.interactive

    @property
    def printable_editions(self) -> tuple[str, ...]:
        """The editions the batch build makes: all but the interactive one."""
        return tuple(edition for edition in self.editions if edition != INTERACTIVE)

    @property
    def learner_params(self) -> tuple[Param, ...]:
        """The interactive edition's parameters (see ``params.LEARNER``); none without one."""
        return LEARNER if self.interactive else ()

    def param(self, name: str) -> Param | None:
        """The parameter called ``name``, if the kind has one."""
        return next((param for param in self.params if param.name == name), None)


DOCUMENTS: dict[str, DocumentKind] = {
    kind.name: kind
    for kind in (
        DocumentKind(
            "casebook",
            "casebook.ipynb",
            {"page": "casebook.html.j2", "pdf": "casebook.typ"},
            ("learner", "trainer"),
            params_for(
                ("learner", "trainer"),
                Param("cases", 8, "how many cases", minimum=1, maximum=60),
                picks_param("case ids shown first, in order (comma-separated); the rest of 'cases' chosen as usual"),
            ),
            assemble_casebook,
            weight=3.0,
        ),
        DocumentKind(
            "outline",
            "lecture_outline.ipynb",
            {"page": "outline.html.j2", "slides": "lianzheng_slides", "pdf": "outline.typ"},
            ("trainer",),
            params_for(
                ("trainer",),
                Param("theme", "", "theme id; '' for the theme that fits the audience best", theme_ids, blank_ok=True),
                Param("minutes", 45, "length of the session in minutes", minimum=15, maximum=480),
                Param("cases", 4, "how many cases to weave in", minimum=1, maximum=12),
                picks_param("case ids woven in first, in order (comma-separated); the rest from the theme"),
            ),
            assemble_outline,
        ),
        DocumentKind(
            "worksheet",
            "worksheet.ipynb",
            {"page": "worksheet.html.j2", "pdf": "worksheet.typ"},
            ("print", INTERACTIVE),
            params_for(
                ("print", INTERACTIVE),
                Param("self_checks", 3, "self-check items per discipline", minimum=1, maximum=10),
                Param("reflections", 4, "reflection questions", minimum=0, maximum=12),
                Param("questions", 5, "questions in the short quiz", minimum=0, maximum=40),
                Param("writing_lines", 8, "ruled lines left for writing", minimum=0, maximum=40),
            ),
            assemble_worksheet,
            weight=1.3,
        ),
        DocumentKind(
            "quiz",
            "quiz.ipynb",
            {"page": "quiz.html.j2", "pdf": "quiz.typ"},
            ("learner", "key", INTERACTIVE),
            params_for(
                ("learner", "key", INTERACTIVE), Param("questions", 20, "how many questions", minimum=1, maximum=200)
            ),
            assemble_quiz,
        ),
        DocumentKind(
            "report",
            "report.ipynb",
            {"page": "report.html.j2", "pdf": "report.typ"},
            ("aggregate", "named"),
            REPORT_PARAMS,
            assemble_report,
            handout=False,
            formats=("html", "pdf", "ipynb"),  # its tables and charts are laid out for a page
        ),
    )
}


def handouts() -> tuple[str, ...]:
    """The kinds a build makes for each audience's session, in the table's order (every kind but the
    trainer report, which is made from a response store by ``lianzheng report``)."""
    return tuple(name for name, kind in DOCUMENTS.items() if kind.handout)


def learner_sheets() -> tuple[str, ...]:
    """The kinds learners answer in widgets (those with an interactive edition), in the table's order:
    what ``lianzheng serve`` serves and the response store registers."""
    return tuple(name for name, kind in DOCUMENTS.items() if kind.interactive)


def register_document(kind: DocumentKind) -> DocumentKind:
    """Add a kind to :data:`DOCUMENTS` (after the bundled ones); registering the same row again is a no-op.

    Register before a build starts: its workers inherit the table when they fork, but a notebook runs
    in a kernel of its own, which registers the kind too (by importing the module that does).
    """
    return add_row(DOCUMENTS, kind.name, kind, "document kind")


def registered_document(kind: DocumentKind) -> AbstractContextManager[DocumentKind]:
    """:func:`register_document` for the duration of a block (tests, a one-off build)."""
    return added_row(DOCUMENTS, kind.name, kind, "document kind")


def document_kind(name: str) -> DocumentKind:
    """The kind called ``name``; a :class:`ParameterError` names the valid kinds otherwise."""
    try:
        return DOCUMENTS[name]
    except KeyError:
        raise ParameterError(
            f"unknown document '{name}'{did_you_mean(name, list(DOCUMENTS))}; valid: {', '.join(DOCUMENTS)}",
            "documents",
        ) from None


def check_parameters(name: str, values: Mapping[str, Any], library: Library) -> dict[str, Any]:
    """The parameters of a document, checked and completed with defaults (see :mod:`.params`)."""
    kind = document_kind(name)
    return validate(name, kind.params, values, library)


def check_learner_parameters(
    name: str, edition: str, values: Mapping[str, Any], library: Library
) -> dict[str, Any] | None:
    """The learner parameters (see ``params.LEARNER``) of the interactive edition, checked and completed
    with defaults; ``None`` for any other edition, where setting one is an error (so the answer key can
    never open a learner login). A value equal to its default sets nothing: a notebook's parameters cell
    holds them all. Names that are not among them are left to :func:`check_parameters`."""
    where = f"{name} parameters"
    checked = {
        p.name: p.check(values.get(p.name, p.default), library, where) for p in document_kind(name).learner_params
    }
    if edition == INTERACTIVE:
        return checked
    for param in document_kind(name).learner_params:
        if checked[param.name] != param.default:
            raise ParameterError(
                f"{where}: parameter '{param.name}' is for the {INTERACTIVE} edition only, not the {edition} edition",
                param.name,
            )
    return None


def assemble(name: str, values: Mapping[str, Any], library: Library) -> Document:
    """Check the parameters and assemble the document (pure: no files written)."""
    kind = document_kind(name)
    params = check_parameters(name, values, library)
    return kind.assembler(library.in_language(params["lang"]), params)


__all__ = [
    "DOCUMENTS",
    "INTERACTIVE",
    "PRINTABLE",
    "Casebook",
    "Document",
    "DocumentKind",
    "Outline",
    "QuizPaper",
    "TrainerReport",
    "Worksheet",
    "assemble",
    "check_learner_parameters",
    "check_parameters",
    "document_kind",
    "handouts",
    "learner_sheets",
    "register_document",
    "registered_document",
]
