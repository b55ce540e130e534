"""What the notebooks call: read the parameters cell, assemble the document, display it.

A notebook is thin: a ``parameters`` cell of plain values, then::

    from toolkit import handout
    document = handout.prepare("casebook", globals())
    handout.show(document)

``prepare`` refuses unknown parameter names (a typo in papermill's ``-p`` would otherwise be
ignored silently) and invalid values, naming the valid choices. ``show`` displays the interactive
edition of a worksheet or quiz as widgets (:mod:`toolkit.widgets`), any other edition as HTML. The
record both pass around, :class:`~toolkit.documents.handout.Handout`, lives below this module and
the widgets, so neither imports the other's callers.
"""

from __future__ import annotations

import pickle
import types
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.documents import DocumentKind, check_learner_parameters, document_kind
from toolkit.documents.handout import Handout
from toolkit.documents.params import validate
from toolkit.errors import ParameterError, did_you_mean
from toolkit.paths import default_library

# The library and the renderer load when a document is assembled (prepare), not with this module: a
# learner's page served by ``lianzheng serve`` opens a sheet assembled beforehand (prepared) and needs
# neither the library's models nor the handout templates (tests/test_hall.py).
if TYPE_CHECKING:
    from toolkit.library.catalog import Library

MIME = "application/vnd.lianzheng.handout+json"


def ipython_names() -> set[str]:
    """Names IPython itself put in the namespace (In, Out, exit, ...), when running in a kernel."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the kernel
        return set()
    shell = get_ipython()
    return set(getattr(shell, "user_ns_hidden", {}) or {})


def notebook_parameters(name: str, namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The values of a document's parameters found in a notebook namespace.

    Any other name the user defined (not a module, not private, not IPython's own) is an unknown
    parameter, typically one injected by ``papermill -p`` with a typo: that is an error.
    """
    kind = document_kind(name)
    known = [param.name for param in (*kind.params, *kind.learner_params)]
    hidden = ipython_names()
    values: dict[str, Any] = {}
    for key, value in namespace.items():
        if key in known:
            values[key] = value
        elif not (key.startswith("_") or key in hidden or isinstance(value, types.ModuleType) or key == "handout"):
            raise ParameterError(
                f"{name} parameters: unknown parameter '{key}'{did_you_mean(key, known)}; valid: {', '.join(known)}",
                key,
            )
    return values


_cache: dict[Path, tuple[tuple[tuple[str, int, int], ...], Library]] = {}


def _fingerprint(root: Path) -> tuple[tuple[str, int, int], ...]:
    """Every library file's path, modification time and size: any edit, addition or removal changes
    it. The files are those the loader reads or reports, so that what ``lianzheng check`` ignores (a
    dangling link beside the entry folders) cannot fail a build; one that cannot be examined is marked,
    and the loader reports it."""
    from toolkit.library.load import library_files

    found = []
    for path in library_files(root):
        try:
            info = path.stat()
            found.append((str(path), info.st_mtime_ns, info.st_size))
        except OSError:
            found.append((str(path), -1, -1))
    return tuple(found)


def cached_library(path: str) -> Library:
    """The library at ``path``, loaded again only when a file changed.

    A build runs many notebooks in one kernel, resetting its namespace between them; modules and
    this cache stay, so each job does not parse the same library again.
    """
    from toolkit.library.load import load_library

    root = (Path(path) if path else default_library()).resolve()
    stamp = _fingerprint(root)
    cached = _cache.get(root)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    library = load_library(root)
    _cache[root] = (stamp, library)
    return library


def remember_library(library: Library) -> None:
    """Put a library already loaded in the cache, as the library at its root with its files as they
    are now: a build's kernels, forked from its workers, use the build's own library."""
    root = library.root.resolve()
    _cache[root] = (_fingerprint(root), library)


def prepare(name: str, namespace: Mapping[str, Any], library: Library | None = None) -> Handout:
    """Check the notebook's parameters, load the library, assemble and render the document."""
    from toolkit.render import render

    kind = document_kind(name)
    values = notebook_parameters(name, namespace)
    if library is None:
        library = cached_library(str(values.get("library", "")))
    document_values = {key: value for key, value in values.items() if key not in learner_names(kind)}
    params = validate(name, kind.params, document_values, library)
    learner = check_learner_parameters(name, params["edition"], values, library) if kind.interactive else None
    document = kind.assembler(library.in_language(params["lang"]), params)
    return Handout(name, params, document, render(document), document.cover.provenance.library_version, learner)


def save_prepared(target: Path, name: str, namespace: Mapping[str, Any], library: Library) -> Handout:
    """Assemble a sheet as :func:`prepare` does in the notebook, and keep it in ``target`` for :func:`prepared`.

    ``lianzheng serve`` does this once for every learner's page: the page then opens the sheet from the file
    instead of loading the library and assembling it again in each learner's kernel. The rendered HTML
    fragment is left out: the interactive edition shows widgets, not the fragment.
    """
    from dataclasses import replace

    from toolkit.fileio import staged

    values = notebook_parameters(name, namespace)
    handout = replace(prepare(name, namespace, library), html="")
    with staged(target) as temp:
        temp.write_bytes(pickle.dumps((name, values, handout), protocol=pickle.HIGHEST_PROTOCOL))
    return handout


def prepared(name: str, namespace: Mapping[str, Any], path: str) -> Handout:
    """The sheet :func:`save_prepared` kept in ``path`` when the notebook's parameters are still those it was
    made with; otherwise (a parameter edited in JupyterLab, the file gone) :func:`prepare` assembles it anew.

    The file is written by ``lianzheng serve`` beside the notebook it serves, by the same hand: whoever can
    change the file can change the notebook, so unpickling it trusts nothing more than running the notebook.
    """
    values = notebook_parameters(name, namespace)
    try:
        with open(path, "rb") as file:
            kept_name, kept_values, handout = pickle.load(file)
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, ImportError):
        return prepare(name, namespace)
    if kept_name != name or kept_values != values or not isinstance(handout, Handout):
        return prepare(name, namespace)
    return handout


def learner_names(kind: DocumentKind) -> set[str]:
    """The names of the interactive edition's parameters of a document (none for most documents)."""
    return {param.name for param in kind.learner_params}


def show(handout: Handout) -> None:
    """Display the handout: its HTML, with its metadata for the builder; or, for the interactive edition
    of a worksheet or quiz, its header and the widgets learners answer in (see :mod:`toolkit.widgets`)."""
    from IPython.display import display

    if handout.interactive:
        from toolkit.widgets.worksheet import learner_sheet  # ipywidgets: only for the page learners answer in

        app = learner_sheet(handout)
        display(
            {"text/html": app.header_html(), "text/plain": f"<{handout.name}: {handout.document.cover.title}>"},
            raw=True,
            metadata={"lianzheng": {**handout.metadata(), "interactive": True}},
        )
        if app.refusal is not None:  # no learner: a plain sentence, no widget at all
            display({"text/html": app.refusal, "text/plain": app.refusal}, raw=True)
        else:
            display(app.root)
        return

    display(
        {"text/html": handout.html, "text/plain": f"<{handout.name}: {handout.document.cover.title}>"},
        raw=True,
        metadata={"lianzheng": handout.metadata()},
    )
