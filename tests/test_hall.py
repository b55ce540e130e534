"""A full training room on one machine: what a learner's kernel imports, and its memory.

Each open learner page is a kernel of its own, so whatever it imports is paid once per learner. The page
that ``lianzheng serve`` prepares opens a sheet assembled beforehand (``handout.prepared``) on the kernel
spec ``lianzheng-learner`` (no debugpy); these tests run that very copy in that kernel and fail when it
imports a module the page does not need. ``bench/hall.py`` measures the pages Voilà serves.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat
import pytest

from toolkit.cli import main
from toolkit.documents.params import PRINT_SIZES
from toolkit.library.model import PRINT_SIZES as MODEL_PRINT_SIZES
from toolkit.serve import KERNEL, template_root

# Modules a learner's page must never load: data frames and charts (the trainer report), the builder's
# exporters, Typst, the library's models and parser, the debugger.
FORBIDDEN = (
    "pandas",
    "numpy",
    "matplotlib",
    "nbconvert",
    "papermill",
    "typst",
    "pypandoc",
    "openpyxl",
    "pydantic",
    "debugpy",
    "toolkit.library",
    "toolkit.selection",
    "toolkit.batch",
    "toolkit.studio",
)


def test_the_parameters_table_and_the_models_name_the_same_print_sizes() -> None:
    assert PRINT_SIZES == MODEL_PRINT_SIZES


def _learner_kernel_modules(
    notebook: Path, query: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[str], dict[str, str]]:
    """Run a prepared copy cell by cell in the learner's kernel; the modules it loaded, and its outputs."""
    from jupyter_client.manager import start_new_kernel

    # Where lianzheng serve finds the kernel spec too (it puts the folder on JUPYTER_PATH for Voilà).
    monkeypatch.setenv(
        "JUPYTER_PATH", os.pathsep.join(p for p in (str(template_root()), os.environ.get("JUPYTER_PATH", "")) if p)
    )
    env = {
        **os.environ,
        "QUERY_STRING": query,
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(Path(__file__).parents[1]), os.environ.get("PYTHONPATH", "")) if p
        ),
    }
    nb = nbformat.read(notebook, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == KERNEL
    manager, client = start_new_kernel(kernel_name=KERNEL, env=env, cwd=str(notebook.parent))
    outputs: dict[str, str] = {}

    def keep(message: dict[str, object]) -> None:
        content = message["content"]
        if isinstance(content, dict):
            if message["msg_type"] == "stream":
                outputs["stream"] = outputs.get("stream", "") + str(content.get("text", ""))
            data = content.get("data")
            if isinstance(data, dict):
                for mime, value in data.items():
                    outputs[mime] = outputs.get(mime, "") + str(value)
            if message["msg_type"] == "error":
                outputs["error"] = "\n".join(content.get("traceback", []))  # type: ignore[arg-type]

    try:
        for cell in nb.cells:
            if cell.cell_type == "code":
                reply = client.execute_interactive(cell.source, timeout=120, output_hook=keep)
                assert reply["content"]["status"] == "ok", outputs.get("error")
        outputs.pop("stream", None)
        client.execute_interactive(
            "import sys, json; print(json.dumps(sorted(k for k, v in sys.modules.items() if v is not None)))",
            output_hook=keep,
        )
        return json.loads(outputs.pop("stream")), outputs
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
        manager.cleanup_resources()
        client.context.destroy(linger=0)
        manager.context.destroy(linger=0)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sheet", "title"), [("quiz", "Integrity knowledge quiz"), ("worksheet", "Self-reflection worksheet")]
)
def test_the_learner_kernel_imports_only_what_the_page_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sheet: str, title: str
) -> None:
    store = tmp_path / "responses.sqlite"
    argv = ["serve", "--store", str(store), "--session", "hall", "--audience", "retired", "--questions", "4"]
    assert main([*argv, "--open", "--date", "2026-12-01", "--dry-run"]) == 0
    folder = tmp_path / "hall"
    assert (folder / "worksheet.sheet.pickle").is_file() and (folder / "quiz.sheet.pickle").is_file()
    modules, shown = _learner_kernel_modules(folder / f"{sheet}.ipynb", "learner=li-ming", monkeypatch)
    loaded = sorted(m for m in modules if any(m == f or m.startswith(f + ".") for f in FORBIDDEN))
    assert loaded == [], f"the learner's kernel imported {loaded}"
    # It is the page all the same: the header, and the sheet opened for the learner in the address.
    assert title in shown["text/html"]
    assert "application/vnd.jupyter.widget-view+json" in shown
    from toolkit.responses.store import ResponseStore

    opened = ResponseStore(store)
    assert opened.conn.execute("SELECT learner FROM opens").fetchall() == [("li-ming",)]
    assert opened.sheet("hall", sheet).kind == sheet


def test_a_copy_whose_parameters_were_edited_assembles_its_sheet_anew(tmp_path: Path, bundled: object) -> None:
    """The kept sheet is used only with the parameters it was made with (a trainer may edit the copy)."""
    from toolkit import handout

    store = tmp_path / "responses.sqlite"
    argv = ["serve", "quiz", "--store", str(store), "--session", "hall", "--audience", "retired", "--questions", "4"]
    assert main([*argv, "--open", "--date", "2026-12-01", "--dry-run"]) == 0
    nb = nbformat.read(tmp_path / "hall" / "quiz.ipynb", as_version=4)
    namespace: dict[str, object] = {}
    for cell in nb.cells[:2]:
        exec(cell.source, namespace)
    namespace = {k: v for k, v in namespace.items() if not k.startswith("_")}
    kept = str(tmp_path / "hall" / "quiz.sheet.pickle")
    same = handout.prepared("quiz", namespace, kept)
    assert same.html == "" and len(same.document.answer_items()) == 4  # type: ignore[attr-defined]
    edited = handout.prepared("quiz", {**namespace, "questions": 3}, kept)
    assert edited.html != "" and len(edited.document.answer_items()) == 3  # type: ignore[attr-defined]
    assert sys.modules.get("toolkit.handout") is handout


@pytest.mark.slow
def test_five_learners_answering_at_once_lose_no_answer(tmp_path: Path) -> None:
    """bench/hall.py in small: five pages served by Voilà, answered and submitted over the kernels' websockets."""
    import subprocess

    bench = Path(__file__).parents[1] / "bench" / "hall.py"
    command = [sys.executable, str(bench), "--learners", "5", "--questions", "4", "--pause", "0.1", "--parallel", "2"]
    done = subprocess.run([*command, "--out", str(tmp_path), "--limit", "240"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    figures = json.loads((tmp_path / "hall.json").read_text())
    assert figures["lost"] == {"missing": 0, "wrong": 0, "unsubmitted": 0, "saves": 20, "clicks": 20}
    assert figures["saves"] == 20 and figures["memory_after_submit"]["kernels"] == 5
    assert figures["kernel_errors"] == 0
