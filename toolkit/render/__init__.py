"""Rendering documents to HTML fragments with Jinja templates shipped in the package.

Every text is untrusted (the library's, a spec's, a learner's) and is escaped where it is written
into HTML: by the templates, whose environment escapes every value, and elsewhere by :func:`escape`,
the same function, which leaves HTML made here (``Markup``) as it is, so nothing is escaped twice.
Library text is Markdown written by people outside the code, so it is rendered with raw HTML
turned off (it is escaped, not passed through), links only to web and mail addresses or within the
page (a ``javascript:``, ``data:`` or ``file:`` link stays text) and images shown as their alt
text: a handout never loads anything from the network.

>>> from toolkit import assemble, bundled_library, load_library
>>> quiz = assemble("quiz", {"audience": "retired", "questions": 5}, load_library(bundled_library()))
>>> render(quiz).startswith('<article class="lz-handout lz-quiz" lang="en">')
True
>>> md_inline("<script>alert(1)</script> ![chart](https://example.org/c.png)")
Markup('&lt;script&gt;alert(1)&lt;/script&gt; chart')
>>> md_inline("[a](javascript:alert(1)) [b](data:image/png;base64,AA==) [c](https://example.org)")
Markup('[a](javascript:alert(1)) [b](data:image/png;base64,AA==) <a href="https://example.org">c</a>')
>>> escape("</title><script>"), escape(md_inline("*a*"))
(Markup('&lt;/title&gt;&lt;script&gt;'), Markup('<em>a</em>'))
"""

from __future__ import annotations

import re
from collections.abc import Callable, MutableMapping, Sequence
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, FunctionLoader, StrictUndefined
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import OptionsDict
from markupsafe import Markup
from markupsafe import escape as _markupsafe_escape

from toolkit.documents import Document, document_kind
from toolkit.documents.common import CaseView
from toolkit.i18n import catalog

TEMPLATES = "render/templates"
# The schemes a link in library Markdown may have; a link without a scheme points within the page.
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):", re.IGNORECASE)


def escape(value: object) -> Markup:
    """Any value as HTML text (``&``, ``<``, ``>``, quotes escaped), safe in an element or a quoted
    attribute; HTML made here (``Markup``) is kept as it is. The escaping of the templates, for the
    HTML written outside them."""
    return _markupsafe_escape(value)


def style_text(css: str) -> Markup:
    """A stylesheet to inline in a ``<style>`` element, which HTML does not escape: it must not close
    the element itself."""
    if "</style" in css.lower():
        raise RuntimeError("a stylesheet that contains </style> cannot be inlined")
    return Markup(css)


def safe_link(url: str) -> bool:
    """Whether library Markdown may link to ``url`` (normalised, entities decoded): a web or mail
    address, or an address without a scheme. Anything else (``javascript:``, ``data:``, ``file:``...)
    is left as the text the author wrote."""
    scheme = _SCHEME.match(url.strip())
    return scheme is None or scheme.group(1).lower() in LINK_SCHEMES


class _Markdown(MarkdownIt):
    def validateLink(self, url: str) -> bool:  # markdown-it's name
        return safe_link(url)


def _no_image(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: MutableMapping[str, Any]
) -> str:
    """Render an image as its alt text: handouts load nothing from outside.

    ``add_render_rule`` binds the rule to the renderer, so it is called with the renderer first.
    """
    from html import escape

    return escape(tokens[idx].content)


@lru_cache(maxsize=1)
def markdown() -> MarkdownIt:
    md = _Markdown("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
    md.add_render_rule("image", _no_image)
    return md


def md_block(text: str) -> Markup:
    """Markdown to HTML, safe for untrusted text."""
    return Markup(markdown().render(text or ""))


def md_inline(text: str) -> Markup:
    """Inline Markdown (emphasis, code, links) to HTML, without a wrapping paragraph."""
    return Markup(markdown().renderInline(text or ""))


def package_dir(*parts: str) -> str:
    return str(resources.files("toolkit").joinpath(*parts))


def _outside(name: str) -> tuple[str, str, Callable[[], bool]] | None:
    """A template given by absolute path (a document kind registered from outside the package)."""
    path = Path(name)
    if not path.is_absolute() or not path.is_file():
        return None
    mtime = path.stat().st_mtime_ns
    return path.read_text(encoding="utf-8"), str(path), lambda: path.is_file() and path.stat().st_mtime_ns == mtime


@cache
def environment(lang: str) -> Environment:
    """The Jinja environment of one language: autoescaping, Markdown filters and the catalog as ``t``."""
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(package_dir(*TEMPLATES.split("/"))), FunctionLoader(_outside)]),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_block
    env.filters["md_inline"] = md_inline
    env.globals["t"] = catalog(lang)
    return env


def render(document: Document) -> str:
    """A document as an HTML fragment (an ``<article>``), in the language of its cover, with the
    ``page`` template of its row in the documents table."""
    cover = document.cover
    template = environment(cover.lang).get_template(document_kind(cover.document).templates["page"])
    return template.render(doc=document)


def render_case(case: CaseView, lang: str, number: int = 1) -> str:
    """One case as the casebook prints it, with why it was chosen: an ``<article>``."""
    return environment(lang).get_template("case.html.j2").render(case=case, number=number, lang=lang)


def page(fragment: str, lang: str) -> str:
    """A fragment as a whole HTML page with the stylesheet inlined (for a frame of its own)."""
    return (
        f'<!DOCTYPE html><html lang="{escape(lang)}"><head><meta charset="utf-8">'
        f"<style>{style_text(stylesheet())}</style></head><body>{fragment}</body></html>"
    )


@cache
def scoped_stylesheet(scope: str) -> str:
    """The screen rules of the stylesheet confined to the element matching ``scope``.

    For showing a fragment inside another page (the studio's previews in JupyterLab) without a
    frame: ``:root``, ``html`` and ``body`` become the scope itself, every other selector is put
    under it, and the print rules (``@page``, ``@media print``) are left out.
    """
    import re

    screen = stylesheet().split("@page", 1)[0]
    screen = re.sub(r"/\*.*?\*/", "", screen, flags=re.DOTALL)
    rules = []
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", screen):
        scoped = []
        for selector in selectors.split(","):
            selector = selector.strip()
            scoped.append(scope if selector in (":root", "html", "body") else f"{scope} {selector}")
        rules.append(f"{', '.join(scoped)} {{{body}}}")
    return "\n".join(rules)


@lru_cache(maxsize=1)
def stylesheet() -> str:
    """The handout stylesheet (screen and print)."""
    return resources.files("toolkit").joinpath("render", "static", "handout.css").read_text(encoding="utf-8")
