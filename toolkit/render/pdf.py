"""PDF handouts through Typst: the assembled document as JSON data, laid out by a Typst template.

Library text never becomes Typst markup. The document (a frozen dataclass) is turned into plain JSON;
every field that holds library Markdown becomes a small tree (paragraphs, lists, emphasis, strong,
code, links shown as their text) that ``typst/lianzheng.typ`` renders; the JSON reaches the template
as the one ``sys.inputs`` value ``data``, which it decodes with ``json()``. A string inserted as
content in Typst is text, so ``#read("/etc/passwd")``, ``$``, ``*``, ``@`` or ``<`` print as written.

The templates live in ``typst/`` (the compile's root: Typst reads nothing outside it), one per
document kind, named by the ``pdf`` role of the kind's row in the documents table; a kind registered
from outside the package may name an absolute path instead, and its folder is then the compile's root. Fonts come only
from :data:`FONT_DIRS` (system fonts ignored), the PDF's date is the handout's date, and every PDF is
tagged PDF/UA-1 with the document's title and language: the same document gives the same bytes.

>>> md_tree("A *b* #c")
[{'t': 'p', 'c': [{'t': 's', 's': 'A '}, {'t': 'em', 'c': [{'t': 's', 's': 'b'}]}, {'t': 's', 's': ' #c'}]}]
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from markdown_it.token import Token

from toolkit.documents import Document, document_kind
from toolkit.documents.params import print_size
from toolkit.i18n import catalog

TYPST_DIR = "render/typst"
# Where the fonts are: Debian's fonts-noto-cjk (Noto Serif / Sans CJK SC) and fonts-dejavu-core.
FONT_DIRS: tuple[str, ...] = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/dejavu")

# Fields of the documents' dataclasses that hold library Markdown (the HTML templates pass them through
# ``md`` or ``md_inline``); they become trees. ``items``, ``points``... are lists of Markdown texts.
MARKDOWN_FIELDS = frozenset(
    {
        "summary",
        "text",
        "items",
        "discussion",
        "objectives",
        "points",
        "lesson",
        "stem",
        "explanation",
        "hints",
    }
)


# What no font draws and Typst would print as a missing glyph: C0 and C1 controls but tab and line feed,
# noncharacters, lone surrogates.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` without the characters no font draws (a carriage return becomes a line feed)."""
    return _UNPRINTABLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


_OPENS = {"em_open": "em", "strong_open": "strong", "link_open": "link", "s_open": "del"}


def _inline(tokens: Sequence[Token]) -> list[dict[str, Any]]:
    """markdown-it's inline tokens as a tree of text, emphasis, strong, code and links (as text)."""
    root: list[dict[str, Any]] = []
    stack: list[list[dict[str, Any]]] = [root]
    for token in tokens:
        here = stack[-1]
        if token.type == "text" or token.type == "html_inline":
            if token.content:
                here.append({"t": "s", "s": printable(token.content)})
        elif token.type == "softbreak":
            here.append({"t": "s", "s": " "})
        elif token.type == "hardbreak":
            here.append({"t": "br"})
        elif token.type == "code_inline":
            here.append({"t": "code", "s": printable(token.content)})
        elif token.type == "image":
            here.append({"t": "s", "s": printable(token.content)})
        elif token.type in ("em_open", "strong_open", "link_open", "s_open"):
            node: dict[str, Any] = {"t": _OPENS[token.type], "c": []}
            if token.type == "link_open":
                node["href"] = printable(str(token.attrGet("href") or ""))
            here.append(node)
            stack.append(node["c"])
        elif token.type.endswith("_close") and len(stack) > 1:
            stack.pop()
    return root


def md_tree(text: str) -> list[dict[str, Any]]:
    """Library Markdown as a list of blocks: ``p``, ``ul`` / ``ol`` (items: lists of blocks), ``quote``,
    ``code``; headings and table cells become paragraphs. Raw HTML stays text; links keep their
    address only for the template to print it."""
    from toolkit.render import markdown

    tokens = markdown().parse(text or "")
    root: list[dict[str, Any]] = []
    stack: list[list[dict[str, Any]]] = [root]
    for token in tokens:
        here = stack[-1]
        if token.type == "inline":
            here.append({"t": "p", "c": _inline(token.children or [])})
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            kind = "ul" if token.type.startswith("bullet") else "ol"
            node: dict[str, Any] = {"t": kind, "c": []}
            if kind == "ol":
                node["start"] = int(token.attrGet("start") or 1)
            here.append(node)
            stack.append(node["c"])
        elif token.type == "list_item_open":
            item: list[dict[str, Any]] = []
            here.append({"t": "li", "c": item})
            stack.append(item)
        elif token.type == "blockquote_open":
            quote: dict[str, Any] = {"t": "quote", "c": []}
            here.append(quote)
            stack.append(quote["c"])
        elif token.type in ("bullet_list_close", "ordered_list_close", "list_item_close", "blockquote_close"):
            if len(stack) > 1:
                stack.pop()
        elif token.type in ("code_block", "fence", "html_block"):
            here.append({"t": "code", "s": printable(token.content.rstrip("\n"))})
    return root


def _field(name: str, value: Any) -> Any:
    if name == "options":  # (letter, Markdown text) pairs
        return [[letter, md_tree(text)] for letter, text in value]
    return _plain(value, name in MARKDOWN_FIELDS)


def _plain(value: Any, markdown: bool = False) -> Any:
    """A document's value as JSON data, Markdown fields as trees."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {f.name: _field(f.name, getattr(value, f.name)) for f in dataclasses.fields(value)}
        return _extras(value, data)
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a NamedTuple (worksheet items)
        data = {name: _field(name, getattr(value, name)) for name in value._fields}
        return _extras(value, data)
    if isinstance(value, list | tuple):
        return [_plain(item, markdown) for item in value]
    if isinstance(value, frozenset | set):
        return sorted(str(item) for item in value)
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, str):
        return md_tree(value) if markdown else printable(value)
    return value


def _extras(value: Any, data: dict[str, Any]) -> dict[str, Any]:
    """What the templates read from an item's properties: its type and how it prints."""
    spec = getattr(value, "spec", None)
    if spec is not None:
        data["type"] = value.type
        data["printed"] = spec.printed
        data["choices"] = [
            {"value": choice.value, "label": choice.label} for choice in getattr(spec, "choices", ()) or ()
        ]
    if "step" in data and "text" not in data:
        data["text"] = [{"t": "p", "c": [{"t": "s", "s": data["step"]}]}]
    return data


def document_data(document: Document) -> dict[str, Any]:
    """Everything a Typst template reads: the document, the catalog of its language, the provenance,
    and the type size its ``print_size`` parameter asks for."""
    cover = document.cover
    parameters = [
        [name, printable(json.dumps(value, ensure_ascii=False))] for name, value in cover.provenance.parameters
    ]
    described = [[printable(label), printable(value)] for label, value in cover.provenance.described]
    t = catalog(cover.lang)
    return {
        "doc": _plain(document),
        "t": t.messages,
        "date": t.date(cover.date),  # as the language writes it: 2026年12月1日, 2026-12-01
        "provenance": {"parameters": parameters, "described": described},
        "print_size": print_size(dict(cover.provenance.parameters)),
    }


def typst_dir() -> Path:
    from toolkit.render import package_dir

    return Path(package_dir(*TYPST_DIR.split("/")))


def has_template(kind: str) -> bool:
    """Whether documents of ``kind`` are laid out by Typst (their row names a ``pdf`` template)."""
    return "pdf" in document_kind(kind).templates


def template_path(kind: str) -> Path:
    """The Typst template of ``kind``: its ``pdf`` role, a name in ``typst/`` or an absolute path."""
    name = Path(document_kind(kind).templates["pdf"])
    return name if name.is_absolute() else typst_dir() / name


_STARTED = False  # whether Typst has run in this process (see typst_started)


def typst_started() -> bool:
    """Whether this process has started Typst. A process forked after that hangs at its first PDF (the
    compiler's threads are not copied by ``fork``, but the state that waits for them is), so a build
    forks workers only from a process that has not."""
    return _STARTED


@lru_cache(maxsize=4)
def compiler(root: str) -> Any:
    """One Typst compiler per process and root folder (the only folder Typst reads): the fonts are
    read once (the Noto CJK collections are large) and what Typst memoises is kept from one document
    to the next."""
    import typst

    global _STARTED
    _STARTED = True
    fonts = [path for path in FONT_DIRS if Path(path).is_dir()]
    return typst.Compiler(root=root, font_paths=fonts, ignore_system_fonts=True)


def compile_pdf(document: Document) -> tuple[bytes, tuple[str, ...]]:
    """The PDF of an assembled document and Typst's warnings (an unknown font, say).

    The PDF is PDF/UA-1. A text with a character none of the fonts draws cannot be PDF/UA-1 (the
    standard forbids a missing glyph); that document is made again without the standard's check,
    still tagged, with its title and language, and the warnings say so.
    """
    from toolkit.errors import requires_extra

    with requires_extra("pdf"):
        import typst

    template = template_path(document.cover.document)
    compile_with_warnings = compiler(str(template.parent)).compile_with_warnings
    data = json.dumps(document_data(document), ensure_ascii=False, sort_keys=True)
    options: dict[str, Any] = {"input": str(template), "sys_inputs": {"data": data}}
    notes: list[str] = []
    try:
        pdf, warnings = compile_with_warnings(pdf_standards=["ua-1"], **options)
    except typst.TypstError as exc:
        if "could not be displayed" not in str(exc):
            raise
        notes.append(" ".join(str(exc).split()))
        pdf, warnings = compile_with_warnings(**options)
    assert isinstance(pdf, bytes)
    return pdf, (*notes, *(warning.message for warning in warnings))


def to_pdf(document: Document) -> bytes:
    """The PDF of an assembled document (see :func:`compile_pdf`)."""
    return compile_pdf(document)[0]


def write_pdf(document: Document, target: Path) -> None:
    """Write the Typst PDF of ``document`` to ``target`` (the caller stages and renames it)."""
    target.write_bytes(to_pdf(document))


__all__ = [
    "FONT_DIRS",
    "compile_pdf",
    "document_data",
    "has_template",
    "md_tree",
    "printable",
    "template_path",
    "to_pdf",
    "write_pdf",
]
