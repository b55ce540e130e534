"""Serving the interactive worksheet and quiz to learners with Voilà: no code in their way.

Voilà runs a notebook as it is and cannot inject papermill parameters, so :func:`prepare_sheets`
writes a copy of each notebook with the session's parameters and the interactive edition injected by
papermill (``prepare_only``: the copy is parameterized, not executed), and Voilà serves the copies::

    lianzheng serve --store responses.sqlite --session autumn-2026 --audience key-posts

is the same as preparing the copies and running::

    python -m voila responses/autumn-2026 --no-browser --port 8866 --Voila.ip=127.0.0.1

Who may answer: a session has a roster (``lianzheng roster load``), and a learner opens their sheet only
with the personal link issued to them, ``...worksheet.ipynb?pass=...`` (Voilà hands the query string to
the kernel, where :func:`toolkit.widgets.worksheet.resolve` reads it). ``serve`` refuses a session
without a roster unless the trainer passes ``--open``: a practice session, where a learner types any id.
``--key`` says when a learner sees the key and explanations (``release``, the default: once
``lianzheng release`` is run; ``submission``: on submitting); ``--shuffle`` gives every learner their
own order of questions and options. Both are kept in the store, per session and sheet.

Voilà runs with the template ``lianzheng`` (``toolkit/jupyter/voila/templates``): Voilà's own ``lab``
template without its stylesheet links to a CDN, so learner pages load nothing from the network.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.documents import check_learner_parameters, check_parameters, document_kind, learner_sheets
from toolkit.documents.params import INTERACTIVE
from toolkit.errors import ParameterError, ResponseError
from toolkit.fileio import staged
from toolkit.i18n import catalog
from toolkit.library.catalog import Library
from toolkit.responses.sheets import AnswerSheet, sheet_record
from toolkit.responses.store import KEY_SHOWN, ResponseStore, check_id

TEMPLATE = "lianzheng"  # the Voilà template learner pages are served with


def template_root() -> Path:
    """The folder put on ``JUPYTER_PATH`` so that Voilà finds the ``lianzheng`` template."""
    return Path(__file__).resolve().parent / "jupyter"


@dataclass(frozen=True)
class Served:
    """What ``lianzheng serve`` runs: the prepared notebooks, the folder Voilà serves and its command."""

    notebooks: tuple[Path, ...]
    root: Path
    command: tuple[str, ...]
    urls: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()  # added to the environment Voilà runs in


def page_metadata(nb: Any, lang: str, title: str) -> None:
    """What a learner's page shows before its widgets, in its language: the ``lianzheng`` Voilà
    template reads the page's language, title and loading text from the notebook's metadata."""
    t = catalog(lang)
    nb.metadata["title"] = title
    nb.metadata["lianzheng"] = {
        "lang": lang,
        "loading": t("learner.loading", title=title),
        "progress": t("learner.progress", index="{index}", count="{count}"),
    }


def prepare_sheets(
    folder: Path,
    documents: Sequence[str],
    values: Mapping[str, Any],
    library: Library,
    *,
    store: Path,
    session: str,
    pass_mark: int = 60,
) -> list[Path]:
    """Copies of the documents' notebooks in ``folder`` with the parameters injected (not executed).

    Every value is checked first, so a typo is a one-line error here, not a traceback in a learner's page.
    """
    import nbformat
    import papermill

    from toolkit.paths import notebooks_dir

    check_id(session, "session")
    paths = []
    for name in documents:
        kind = document_kind(name)
        if not kind.interactive:
            raise ParameterError(f"'{name}' cannot be served; valid: {', '.join(learner_sheets())}", "documents")
        if values.get("edition", INTERACTIVE) != INTERACTIVE:  # the answer key is never served to learners
            raise ParameterError(f"{name} is served in the {INTERACTIVE} edition, not '{values['edition']}'", "edition")
        accepted = {p.name for p in kind.params}
        params = {key: value for key, value in values.items() if key in accepted} | {"edition": INTERACTIVE}
        checked = check_parameters(name, params, library)
        # Serving a sheet again with other questions would mix answers: refused here, not in a learner's page.
        document = kind.assembler(library.in_language(checked["lang"]), checked)
        if not isinstance(document, AnswerSheet):  # a kind added with an interactive edition but nothing to answer
            raise ParameterError(f"'{name}' has no items for learners to answer", "documents")
        ResponseStore(store).check_same_items(sheet_record(document, checked, library.version, session, name))
        learner = {"store": str(store), "session": session, "pass_mark": pass_mark}
        check_learner_parameters(name, INTERACTIVE, learner, library)
        params = {**params, "library": str(library.root.resolve()), **learner}
        target = folder / kind.notebook
        with staged(target) as temp:
            papermill.execute_notebook(
                str(notebooks_dir() / kind.notebook),
                str(temp),
                parameters=params,
                prepare_only=True,
                progress_bar=False,
            )
            # The notebook's Markdown speaks to whoever edits it, not to learners: Voilà would show it.
            nb = nbformat.read(temp, as_version=4)
            nb.cells = [cell for cell in nb.cells if cell.cell_type != "markdown"]
            page_metadata(nb, checked["lang"], document.cover.title)
            _open_prepared(nb, name, folder / f"{Path(kind.notebook).stem}{PREPARED}", library)
            nbformat.write(nb, temp)
        paths.append(target)
    return paths


# -- the learner's kernel: a sheet assembled once, a kernel without the debugger ----------------------------
# Each open page is a kernel of its own. The copy Voilà serves opens the sheet that serve assembled (a file
# beside it) instead of loading the library in every kernel, and runs on the kernel spec
# ``lianzheng-learner`` (toolkit/jupyter/kernels), IPython's kernel without debugpy, which no learner
# uses. docs/benchmarks.md ("A full training room") has the memory per page.

PREPARED = ".sheet.pickle"  # beside the served copy: the assembled sheet (see toolkit.handout.prepared)
KERNEL = "lianzheng-learner"
IOPUB_TIMEOUT = 60  # seconds Voilà waits for a cell's outputs (bench/hall.py: 100 pages opened at once)


def _open_prepared(nb: Any, name: str, target: Path, library: Library) -> None:
    """Assemble the sheet with the copy's own parameters, keep it in ``target`` and make the copy open it."""
    from toolkit import handout

    namespace: dict[str, Any] = {}
    for cell in nb.cells:  # the parameters cell and papermill's: plain assignments, as the kernel runs them
        tags = cell.metadata.get("tags", [])
        if cell.cell_type == "code" and ("parameters" in tags or "injected-parameters" in tags):
            exec(cell.source, namespace)
    handout.save_prepared(target, name, namespace, library)
    calls = [cell for cell in nb.cells if cell.cell_type == "code" and "handout.prepare(" in cell.source]
    for cell in calls:
        cell.source = cell.source.replace(
            f"handout.prepare({name!r}, globals())", f"handout.prepared({name!r}, globals(), {str(target)!r})"
        ).replace(f'handout.prepare("{name}", globals())', f"handout.prepared({name!r}, globals(), {str(target)!r})")
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3 (learner)", "language": "python"}


def serve_plan(
    documents: Sequence[str],
    values: Mapping[str, Any],
    library: Library,
    *,
    store: Path,
    session: str,
    folder: Path | None = None,
    pass_mark: int = 60,
    port: int = 8866,
    ip: str = "127.0.0.1",
    key_shown: str = "release",
    shuffle: bool = False,
    open_session: bool = False,
) -> Served:
    """Create the store, prepare the notebooks and say how Voilà is started (nothing is started here).

    A session needs a roster (only learners' personal links open its sheets) unless ``open_session``;
    an open session with a roster is refused, as the roster would close it anyway.
    """
    store = store.resolve()
    responses = ResponseStore(store)
    responses.counts()  # created now, or refused now if it is not a store
    check_id(session, "session")
    if key_shown not in KEY_SHOWN:
        raise ResponseError(f"--key '{key_shown}' is not valid; valid: {', '.join(KEY_SHOWN)}", "key")
    learners = len(responses.roster(session))
    if not learners and not open_session:
        raise ResponseError(
            f"session '{session}' has no roster in {store}: load one first (lianzheng roster load --store {store} "
            f"--session {session} FILE --base-url URL --links LINKS.html), or pass --open for a practice session "
            "where anyone may answer as any learner id"
        )
    if learners and open_session:
        raise ResponseError(
            f"--open is for a session without a roster; session '{session}' has {learners} learners on its roster, "
            "who open their sheets with their own links"
        )
    folder = (folder or store.parent / session).resolve()
    notebooks = prepare_sheets(folder, documents, values, library, store=store, session=session, pass_mark=pass_mark)
    for name in documents:  # the sheet id is the document's name, as the learner's page registers it
        responses.set_sheet_settings(session, name, key_shown=key_shown, shuffle=shuffle)
    target = notebooks[0] if len(notebooks) == 1 else folder
    base = f"http://{ip}:{port}"
    if len(notebooks) == 1:
        urls: tuple[str, ...] = (f"{base}/",)
    else:
        urls = tuple(f"{base}/voila/render/{path.name}" for path in notebooks)
    return Served(tuple(notebooks), folder, voila_command(target, port, ip), urls, voila_environment())


def voila_command(target: Path, port: int, ip: str) -> tuple[str, ...]:
    """How Voilà is started on learners' pages: the ``lianzheng`` template, no tracebacks shown."""
    return (
        sys.executable,
        "-m",
        "voila",
        str(target),
        "--no-browser",
        f"--port={port}",
        f"--Voila.ip={ip}",
        "--show_tracebacks=False",
        f"--template={TEMPLATE}",
        # A page's outputs are what its kernel sent within this time after running each cell: nbclient's 4 s
        # is short when a whole room opens its pages at once, and a page then came without its sheet.
        f"--VoilaExecutor.iopub_timeout={IOPUB_TIMEOUT}",
    )


def voila_environment() -> tuple[tuple[str, str], ...]:
    """The environment Voilà needs: ``JUPYTER_PATH`` with the folder of the template and the learner kernel."""
    jupyter_path = os.pathsep.join(p for p in (str(template_root()), os.environ.get("JUPYTER_PATH", "")) if p)
    return (("JUPYTER_PATH", jupyter_path),)


# -- the pre-appointment test (lianzheng serve test) ------------------------------------------------------------


def pretest_plan(
    library: Library,
    *,
    store: Path,
    session: str,
    audience: str,
    lang: str = "en",
    questions: int | None = None,
    minutes: int | None = None,
    pass_mark: int = 60,
    seed: int = 1,
    params: Mapping[str, Any] | None = None,
    folder: Path | None = None,
    port: int = 8866,
    ip: str = "127.0.0.1",
) -> Served:
    """Keep the session's test in the store, prepare ``notebooks/test.ipynb`` and say how Voilà serves it.

    Every candidate comes from the session's roster and opens their paper with their own link: a session
    without a roster is refused. So is a library with too few questions for a paper and a re-sit that
    repeats none.
    """
    import nbformat
    import papermill

    from toolkit.paths import notebooks_dir
    from toolkit.responses.pretest import DEFAULT_MINUTES, DEFAULT_QUESTIONS, Pretest, check_pretest, set_pretest

    store = store.resolve()
    check_id(session, "session")
    if isinstance(pass_mark, bool) or not isinstance(pass_mark, int) or not 0 <= pass_mark <= 100:
        raise ResponseError(
            f"--pass-mark {pass_mark!r} is not valid; valid: a whole percent from 0 to 100", "pass_mark"
        )
    settings = check_pretest(
        Pretest(
            session=session,
            audience=audience,
            lang=lang,
            questions=DEFAULT_QUESTIONS if questions is None else questions,
            minutes=DEFAULT_MINUTES if minutes is None else minutes,
            pass_mark=pass_mark / 100,
            seed=seed,
            library_version=library.version,
            params=dict(params or {}),
        ),
        library,
    )
    responses = ResponseStore(store)
    responses.counts()  # created now, or refused now if it is not a store
    if not responses.roster(session):
        raise ResponseError(
            f"session '{session}' has no roster in {store}: a test is sat only from candidates' own links; load one "
            f"first (lianzheng roster load --store {store} --session {session} FILE --base-url URL --links LINKS.html)"
        )
    folder = (folder or store.parent / session).resolve()
    target = folder / "test.ipynb"
    with staged(target) as temp:
        papermill.execute_notebook(
            str(notebooks_dir() / "test.ipynb"),
            str(temp),
            parameters={"store": str(store), "session": session, "library": str(library.root.resolve())},
            prepare_only=True,
            progress_bar=False,
        )
        nb = nbformat.read(temp, as_version=4)
        nb.cells = [cell for cell in nb.cells if cell.cell_type != "markdown"]
        page_metadata(nb, lang, catalog(lang)("test.title"))
        nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3 (learner)", "language": "python"}
        nbformat.write(nb, temp)
    set_pretest(responses, settings)
    return Served((target,), folder, voila_command(target, port, ip), (f"http://{ip}:{port}/",), voila_environment())


# -- end of the pre-appointment test ------------------------------------------------------------------------------
