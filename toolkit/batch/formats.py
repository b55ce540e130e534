"""Output formats as a table: one row per format, each with the writer that makes its file.

A job runs its notebook once; every format is then written from one of three sources: the executed
notebook (``ipynb``), the HTML page nbconvert makes of it (``html``, ``docx``), or the document
assembled again from the job's parameters (``pdf`` through Typst, ``slides``). A format made from the
document applies only to the kinds whose row in the documents table has a template of that format's
name (every bundled kind's ``pdf``, the outline's ``slides``); the others apply to every kind. A
format marked ``needs_template`` (``pdf``) named in a spec for a kind without its template is refused
before any job runs (:func:`missing_template`); the others are left out of that kind's jobs.

Adding a format is one :class:`Format` row and its writer, registered with :func:`register_format`
before the build starts (forked workers inherit the table)::

    def write_txt(made: Made, target: Path) -> None:
        target.write_text(strip_tags(made.page), encoding="utf-8")

    register_format(Format("txt", ".txt", PAGE, write_txt))

>>> [row.name for row in FORMATS.values()]
['html', 'pdf', 'docx', 'ipynb', 'slides']
>>> default_formats()
('html', 'pdf', 'docx', 'slides')
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.batch import export
from toolkit.documents import Document, DocumentKind, assemble
from toolkit.errors import MissingDependencyError, ParameterError
from toolkit.library.catalog import Library
from toolkit.tables import add_row, added_row

if TYPE_CHECKING:
    from nbformat import NotebookNode

    from toolkit.batch.jobs import Job

# What a format is made from, in the order a job writes them.
NOTEBOOK = "notebook"
PAGE = "page"
DOCUMENT = "document"
SOURCES: tuple[str, ...] = (NOTEBOOK, PAGE, DOCUMENT)


@dataclass
class Made:
    """What a job's formats are written from. The page and the document are made when a writer first
    asks for them, once per job; the time the page takes is counted in ``timings["html"]``."""

    job: Job
    notebook: NotebookNode  # the executed notebook, settled
    library: Callable[[str], Library]  # the library at a path (the worker's own when it is that one)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def date(self) -> str:
        return str(self.job.parameters["date"])

    @cached_property
    def meta(self) -> dict[str, Any]:
        """The metadata the notebook's handout carries: title, language, entries used."""
        return export.handout_metadata(self.notebook)

    @cached_property
    def page(self) -> str:
        """The handout page: the notebook's displayed HTML, stylesheet inlined, no code."""
        tick = time.perf_counter()
        html = export.to_html(self.notebook, self.date)
        self.timings["html"] = self.timings.get("html", 0.0) + time.perf_counter() - tick
        return html

    @cached_property
    def document(self) -> Document:
        """The document assembled from the same checked parameters the notebook used."""
        values = {k: v for k, v in self.job.parameters.items() if k != "library"}
        return assemble(self.job.document, values, self.library(str(self.job.parameters["library"])))


Writer = Callable[[Made, Path], None]


@dataclass(frozen=True)
class Format:
    """One output format: its file suffix, what it is made from, its writer and what it needs.

    ``module`` is an optional dependency the writer imports (a worker that cannot import it fails the
    jobs that ask for the format, in one line naming the pip ``extra``; the other jobs are built).
    ``default``: built when a spec names no formats; ``always``: written for every job, asked or not;
    ``print_sized``: its pages follow the ``print_size`` parameter, so a job of a print size other than
    ``standard`` (a large-print job beside the standard one) writes it, and the others are left to the
    standard job.
    """

    name: str
    suffix: str
    source: str
    writer: Writer
    default: bool = False
    always: bool = False
    module: str | None = None
    extra: str | None = None
    hint: str = ""  # what else the dependency needs, beyond pip
    print_sized: bool = False  # its pages change with the ``print_size`` parameter: a large-print job writes it
    needs_template: bool = False  # asked for a kind without its template: refused, not left out

    def applies(self, kind: DocumentKind) -> bool:
        """Whether a job of this document kind writes this format."""
        if kind.formats is not None and self.name not in kind.formats:
            return False
        return self.source != DOCUMENT or self.name in kind.templates


def write_html(made: Made, target: Path) -> None:
    target.write_text(made.page, encoding="utf-8")


def write_pdf(made: Made, target: Path) -> None:
    """The assembled document laid out by the Typst template its kind's row names under ``pdf``."""
    from toolkit.render import pdf

    pdf.write_pdf(made.document, target)


def write_docx(made: Made, target: Path) -> None:
    export.write_docx(made.page, target, made.meta.get("lang", "en"), made.date)


def write_ipynb(made: Made, target: Path) -> None:
    import nbformat

    nbformat.write(made.notebook, target)


def write_slides(made: Made, target: Path) -> None:
    from toolkit.render.slides import render_slides

    target.write_text(render_slides(made.document), encoding="utf-8")  # type: ignore[arg-type]


FORMATS: dict[str, Format] = {
    row.name: row
    for row in (
        Format("html", ".html", PAGE, write_html, default=True),
        Format(
            "pdf",
            ".pdf",
            DOCUMENT,
            write_pdf,
            default=True,
            module="typst",
            extra="pdf",
            print_sized=True,
            needs_template=True,
        ),
        Format("docx", ".docx", PAGE, write_docx, default=True, module="pypandoc", extra="docx"),
        Format("ipynb", ".ipynb", NOTEBOOK, write_ipynb, always=True),
        Format("slides", ".slides.html", DOCUMENT, write_slides, default=True),
    )
}


def missing_template(row: Format, kind: DocumentKind) -> str | None:
    """Why ``kind`` cannot be written in ``row``'s format when a spec names it, in one line; None when
    it can, or when the format is simply left out of the kind's jobs."""
    if not row.needs_template or row.name in kind.templates:
        return None
    if kind.formats is not None and row.name not in kind.formats:
        return None
    return (
        f"document '{kind.name}' cannot be made as {row.name.upper()}: its row in the documents table names "
        f"no Typst template under the '{row.name}' role; add one (docs/architecture.md, \"Adding a document "
        f"kind or an output format\") or leave '{row.name}' out of the formats"
    )


def print_sized_formats(formats: tuple[str, ...]) -> tuple[str, ...]:
    """The formats of ``formats`` that a job of a print size other than ``standard`` writes."""
    return tuple(name for name in formats if FORMATS[name].print_sized)


def format_names() -> tuple[str, ...]:
    """Every format a spec may ask for, in the table's order."""
    return tuple(FORMATS)


def default_formats() -> tuple[str, ...]:
    """The formats built when a spec or the command line names none."""
    return tuple(name for name, row in FORMATS.items() if row.default)


def _checked(row: Format) -> Format:
    if row.source not in SOURCES:
        raise ParameterError(f"format '{row.name}' is made from '{row.source}'; valid: {', '.join(SOURCES)}", "source")
    return row


def register_format(row: Format) -> Format:
    """Add a format to :data:`FORMATS`; registering the same row again is a no-op."""
    return add_row(FORMATS, row.name, _checked(row), "format")


def registered_format(row: Format) -> AbstractContextManager[Format]:
    """:func:`register_format` for the duration of a block (tests, a one-off build)."""
    return added_row(FORMATS, row.name, _checked(row), "format")


def unavailable(row: Format, exc: BaseException) -> str:
    """One line saying why ``row``'s format cannot be written and what would make it work."""
    reason = " ".join(f"{type(exc).__name__}: {exc}".split())
    if len(reason) > 160:
        reason = reason[:157] + "..."
    if isinstance(exc, MissingDependencyError):  # the reason names the pip extra already
        fix = ""
    else:
        fix = f"pip install 'lianzheng[{row.extra}]'" if row.extra else f"install the Python package {row.module}"
    hint = "; ".join(part for part in (fix, row.hint) if part)
    line = f"{row.name.upper()} export is unavailable: {row.module} could not be imported ({reason})"
    return f"{line}; {hint}" if hint else line


__all__ = [
    "DOCUMENT",
    "FORMATS",
    "NOTEBOOK",
    "PAGE",
    "SOURCES",
    "Format",
    "Made",
    "Writer",
    "default_formats",
    "format_names",
    "missing_template",
    "register_format",
    "registered_format",
    "unavailable",
]
