"""From an executed notebook to handout files: HTML (nbconvert), DOCX (pandoc); the PDF is Typst's (``render.pdf``).

Each function takes strings or notebooks and writes one file; the caller decides where (a temporary
name that is renamed once every format of a job has succeeded). Exporters are built once per
process and reused.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.fileio import xml_safe
from toolkit.render import package_dir, style_text, stylesheet
from toolkit.version import toolkit_version

if TYPE_CHECKING:
    from nbformat import NotebookNode


def handout_metadata(nb: NotebookNode) -> dict[str, Any]:
    """The ``lianzheng`` metadata of the handout the notebook displayed (empty if it displayed none)."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("lianzheng")
            if meta:
                return dict(meta)
    return {}


@lru_cache(maxsize=1)
def html_exporter() -> Any:
    """nbconvert's exporter of a handout page (the ``lianzheng`` template: outputs only)."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="lianzheng",
        extra_template_basedirs=[package_dir("render", "nbconvert")],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    return exporter


def to_html(nb: NotebookNode, date: str) -> str:
    """The handout page of an executed notebook: its displayed HTML, stylesheet inlined, no code."""
    meta = handout_metadata(nb)
    resources = {
        "lianzheng": {
            "title": meta.get("title", "Handout"),
            "lang": meta.get("lang", "en"),
            "library_version": meta.get("library_version", ""),
            "toolkit_version": toolkit_version(),
            "date": date,
            "css": style_text(stylesheet()),
        }
    }
    body, _ = html_exporter().from_notebook_node(nb, resources=resources)
    return str(body)


@contextmanager
def source_date(date: str) -> Iterator[None]:
    """Set ``SOURCE_DATE_EPOCH`` to midnight UTC of the handout's date while a file is written.

    pandoc stamps DOCX files and fontTools stamps the font subsets in a PDF with the current time
    unless this is set; with it, the same handout gives the same bytes.
    """
    day = dt.date.fromisoformat(date)
    epoch = str(int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()))
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = epoch
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


def write_docx(html: str, target: Path, lang: str, date: str) -> None:
    """Convert the HTML page to DOCX with pandoc: real headings, lists and tables; in Chinese, with
    East Asian fonts in its styles and pandoc's Chinese translations (see :mod:`.reference_doc`)."""
    from toolkit.batch.reference_doc import pandoc_docx_args
    from toolkit.errors import requires_extra

    with requires_extra("docx"):
        import pypandoc

    # pandoc leaves characters XML cannot hold out of the body, but copies the page's title into the
    # DOCX properties as it is, which makes a file Word refuses to open.
    with source_date(date):
        pypandoc.convert_text(
            xml_safe(html), "docx", format="html", outputfile=str(target), extra_args=pandoc_docx_args(lang)
        )
