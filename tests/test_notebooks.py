"""The document notebooks: clean, thin, one parameters cell matching the parameters table, and each
one run for real with papermill."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import nbformat
import pytest

from toolkit.batch import kernels
from toolkit.batch.export import handout_metadata
from toolkit.documents import DOCUMENTS
from toolkit.documents.params import INTERACTIVE
from toolkit.paths import bundled_library, notebooks_dir

NOTEBOOKS = sorted(notebooks_dir().glob("*.ipynb"))
BY_NOTEBOOK = {kind.notebook: kind for kind in DOCUMENTS.values()}
# Notebooks that are tools rather than documents of the library, each tested in its own file.
OTHER_NOTEBOOKS = {"studio.ipynb": "tests/test_studio.py", "test.ipynb": "tests/test_pretest.py"}
DOCUMENT_NOTEBOOKS = [path for path in NOTEBOOKS if path.name not in OTHER_NOTEBOOKS]
# The trainer report reads a response store: tests/test_report.py runs its notebook on one.
HANDOUT_NOTEBOOKS = [path for path in DOCUMENT_NOTEBOOKS if BY_NOTEBOOK[path.name].handout]


def test_every_document_has_its_notebook() -> None:
    assert sorted(path.name for path in DOCUMENT_NOTEBOOKS) == sorted(BY_NOTEBOOK)
    assert {path.name for path in NOTEBOOKS} >= set(OTHER_NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_clean_and_thin(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code), "committed without outputs"
    tagged = [cell for cell in nb.cells if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one parameters cell"
    assert nb.metadata["kernelspec"]["name"] == "python3"
    # Thin: after the parameters, only calls into the toolkit, no definitions or loops.
    for cell in code:
        if cell is tagged[0]:
            continue
        for node in ast.walk(ast.parse(cell.source)):
            assert not isinstance(node, ast.FunctionDef | ast.ClassDef | ast.For | ast.While), (path.name, cell.source)


@pytest.mark.parametrize("path", DOCUMENT_NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_cell_matches_the_parameters_table(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    values: dict[str, Any] = {}
    for node in ast.parse(cell.source).body:
        assert isinstance(node, ast.Assign) and len(node.targets) == 1, "plain assignments only"
        target = node.targets[0]
        assert isinstance(target, ast.Name)
        values[target.id] = ast.literal_eval(node.value)
    kind = BY_NOTEBOOK[path.name]
    # The document's parameters, then (worksheet and quiz) the interactive edition's, which is what
    # the notebook is opened as; papermill's ``-p edition`` (the build) asks for a printable one.
    defaults = {param.name: param.default for param in (*kind.params, *kind.learner_params)}
    if kind.interactive:
        defaults["edition"] = INTERACTIVE
    assert values == defaults
    assert kind.interactive == (values["edition"] == INTERACTIVE)
    # papermill reads the same names (``papermill --help-notebook``), each from its own line: a second
    # '=' on a line, even in its comment, makes it skip that parameter with a warning in every build.
    from papermill.translators import PythonTranslator

    inferred = PythonTranslator.inspect(cell)
    assert [parameter.name for parameter in inferred] == list(values)


@pytest.mark.slow
@pytest.mark.parametrize("path", HANDOUT_NOTEBOOKS, ids=lambda p: p.name)
def test_papermill_runs_each_notebook(path: Path, tmp_path: Path, warm: None) -> None:
    import papermill

    kind = BY_NOTEBOOK[path.name]
    out = tmp_path / "out.ipynb"
    params = {"audience": "families", "date": "2026-12-01", "library": str(bundled_library())}
    nb = papermill.execute_notebook(
        str(path), str(out), parameters=params, engine_name=kernels.ENGINE, progress_bar=False
    )
    meta = handout_metadata(nb)
    assert meta["document"] == kind.name and meta["lang"] == "en" and meta["uses"]
    html = next(o for c in nb.cells for o in c.get("outputs", []) if "text/html" in o.get("data", {}))["data"][
        "text/html"
    ]
    assert "Cadres&#39; spouses and families" in html or "Cadres' spouses and families" in html
    assert "2026-12-01" in html


@pytest.mark.slow
def test_unknown_or_invalid_parameters_fail_at_once_with_the_valid_choices(tmp_path: Path, warm: None) -> None:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    path = notebooks_dir() / "quiz.ipynb"
    with pytest.raises(PapermillExecutionError) as caught:
        papermill.execute_notebook(
            str(path),
            str(tmp_path / "a.ipynb"),
            parameters={"audence": "retired"},
            engine_name=kernels.ENGINE,
            progress_bar=False,
        )
    assert caught.value.ename == "ParameterError"
    assert "unknown parameter 'audence' (did you mean 'audience'?); valid: audience," in caught.value.evalue
    with pytest.raises(PapermillExecutionError) as caught:
        papermill.execute_notebook(
            str(path),
            str(tmp_path / "b.ipynb"),
            parameters={"edition": "teacher"},
            engine_name=kernels.ENGINE,
            progress_bar=False,
        )
    assert "parameter 'edition' is 'teacher'; valid: learner, key, interactive" in caught.value.evalue


@pytest.mark.slow
def test_papermills_own_engine_runs_a_notebook_too(tmp_path: Path) -> None:
    """Nothing in the notebooks depends on the build's warm-kernel engine."""
    import papermill

    nb = papermill.execute_notebook(
        str(notebooks_dir() / "worksheet.ipynb"),
        str(tmp_path / "w.ipynb"),
        parameters={"audience": "key-posts", "date": "2026-12-01"},
        progress_bar=False,
    )
    assert handout_metadata(nb)["document"] == "worksheet"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["worksheet", "quiz"])
def test_opened_as_it_is_a_worksheet_or_quiz_is_the_interactive_edition(name: str, tmp_path: Path, warm: None) -> None:
    """Run for real: the header with the builder's metadata, then the widgets; the learner's sheet is in the store."""
    import papermill

    from toolkit.responses.store import ResponseStore

    store = tmp_path / "responses.sqlite"
    params = {"audience": "retired", "date": "2026-12-01", "store": str(store), "learner": "li-ming"}
    nb = papermill.execute_notebook(
        str(notebooks_dir() / DOCUMENTS[name].notebook),
        str(tmp_path / "out.ipynb"),
        parameters=params,
        engine_name=kernels.ENGINE,
        progress_bar=False,
    )
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    assert handout_metadata(nb)["interactive"] is True
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    record = ResponseStore(store).sheet("retired", name)
    assert record.kind == name and record.items
    assert ResponseStore(store).counts()["learners"] == 1


@pytest.mark.slow
def test_the_answer_key_never_opens_a_learner_login(tmp_path: Path, warm: None) -> None:
    """Run for real: a learner id with the key edition is refused in one line; the key alone shows no widgets."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    path = notebooks_dir() / "quiz.ipynb"
    store = tmp_path / "responses.sqlite"
    params = {"audience": "retired", "date": "2026-12-01", "edition": "key"}
    with pytest.raises(PapermillExecutionError) as caught:
        papermill.execute_notebook(
            str(path),
            str(tmp_path / "a.ipynb"),
            parameters={**params, "learner": "li-ming", "store": str(store)},
            engine_name=kernels.ENGINE,
            progress_bar=False,
        )
    assert caught.value.ename == "ParameterError"
    assert caught.value.evalue.endswith("is for the interactive edition only, not the key edition")
    assert not store.exists(), "no store opened"
    nb = papermill.execute_notebook(
        str(path), str(tmp_path / "b.ipynb"), parameters=params, engine_name=kernels.ENGINE, progress_bar=False
    )
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    assert handout_metadata(nb)["edition"] == "key" and "interactive" not in handout_metadata(nb)
    assert not any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
