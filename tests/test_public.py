"""The public surface: the package root exports exactly its public names, the README's example runs
with them, and no module reaches into another's private names."""

from __future__ import annotations

import ast
import os
import re
import types
from pathlib import Path

import pytest

import toolkit

ROOT = Path(__file__).resolve().parent.parent


def test_all_is_exactly_the_public_names() -> None:
    public = {
        name
        for name, value in ((name, getattr(toolkit, name)) for name in dir(toolkit))  # loaded when first used
        if not name.startswith("_") and not isinstance(value, types.ModuleType)  # submodules are not exports
    }
    assert set(toolkit.__all__) == public | {"__version__"}
    assert toolkit.__all__ == sorted(toolkit.__all__)
    for name in toolkit.__all__:
        assert getattr(toolkit, name) is not None, name


def test_submodules_are_not_shadowed_by_exports() -> None:
    import toolkit.render
    import toolkit.version

    assert isinstance(toolkit.render, types.ModuleType) and isinstance(toolkit.version, types.ModuleType)


def test_the_readme_python_example_runs_and_imports_from_toolkit_only(monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert len(blocks) == 1
    code = blocks[0]
    imports = [node for node in ast.walk(ast.parse(code)) if isinstance(node, ast.Import | ast.ImportFrom)]
    assert [alias.name for node in imports for alias in node.names] == ["toolkit"]
    assert all(isinstance(node, ast.Import) for node in imports)
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert str(namespace["html"]).startswith("<article")


def _sources() -> list[Path]:
    found = []
    for folder in ("toolkit", "tests", "bench"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            found.append(path)
    return found


def _private_uses(path: Path) -> list[str]:
    """``from toolkit.x import _y`` and ``x._y`` where ``x`` names a toolkit module imported here."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules: set[str] = set()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("toolkit"):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{node.lineno}: from {node.module} import {alias.name}")
                modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("toolkit"):
                    modules.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            found.append(f"{node.lineno}: {node.value.id}.{node.attr}")
    return found


@pytest.mark.parametrize("path", _sources(), ids=lambda path: os.path.relpath(path, ROOT))
def test_no_private_name_is_used_across_modules(path: Path) -> None:
    assert _private_uses(path) == []
