"""The layers of docs/architecture.md, as ``make lint`` checks them with import-linter: the package keeps
them, and an upward import or a cycle breaks them (run on a copy of the package with one import added)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` as ``make lint`` runs it, on the package and the configuration under ``root``."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The package's Python files and the project's configuration, in a folder of their own."""
    shutil.copytree(ROOT / "toolkit", tmp_path / "toolkit", ignore=shutil.ignore_patterns("__pycache__", "static"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def add_line(path: Path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "\n" + line + "\n", encoding="utf-8")


def test_the_package_keeps_its_layers() -> None:
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 kept, 0 broken" in done.stdout


def test_the_copy_keeps_them_too(copy: Path) -> None:
    """The other tests' failures come from the one import each adds, not from the copy."""
    done = lint_imports(copy)
    assert done.returncode == 0, done.stdout + done.stderr


def test_an_upward_import_fails(copy: Path) -> None:
    # The lowest layer importing the highest: also a cycle, errors being imported by every module.
    add_line(copy / "toolkit" / "errors.py", "from toolkit import cli  # noqa: E402")
    done = lint_imports(copy)
    assert done.returncode == 1
    assert "Layers: each part of toolkit imports only the parts below it BROKEN" in done.stdout
    assert "toolkit.errors -> toolkit.cli" in done.stdout


def test_a_lazy_upward_import_inside_a_function_fails(copy: Path) -> None:
    """The widgets used to import handout.py lazily inside a function: that counts as an import too."""
    add_line(
        copy / "toolkit" / "widgets" / "worksheet.py",
        "def _front() -> object:\n    from toolkit.handout import prepare\n\n    return prepare",
    )
    done = lint_imports(copy)
    assert done.returncode == 1
    assert "toolkit.widgets.worksheet -> toolkit.handout" in done.stdout


def test_a_cycle_inside_one_layer_fails(copy: Path) -> None:
    """Two modules of one package importing each other break no layer, but they are a cycle."""
    (copy / "toolkit" / "documents" / "first.py").write_text("from toolkit.documents import second\n")
    (copy / "toolkit" / "documents" / "second.py").write_text("from toolkit.documents import first\n")
    done = lint_imports(copy)
    assert done.returncode == 1
    assert "No cycles between the modules of any one package BROKEN" in done.stdout
    assert "Layers: each part of toolkit imports only the parts below it KEPT" in done.stdout


def test_a_new_top_level_module_must_be_given_a_layer(copy: Path) -> None:
    (copy / "toolkit" / "interop.py").write_text('"""Calendar files, later."""\n')
    done = lint_imports(copy)
    assert done.returncode == 1
    assert "toolkit.interop" in done.stdout + done.stderr
