"""Optional dependencies are pip extras: without them a library can be checked and HTML built, and
whatever needs one says in one line which extra to install."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATE = "2026-12-01"
# The top-level modules of every extra's packages: made unimportable, as after `pip install lianzheng`.
OPTIONAL = ("typst", "pypandoc", "ipywidgets", "jupyterlab", "voila", "matplotlib", "openpyxl", "segno")
BLOCKER = """\
import sys
from importlib.abc import MetaPathFinder

OPTIONAL = {modules!r}


class Blocker(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in OPTIONAL:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None


sys.meta_path.insert(0, Blocker())
"""


def test_the_test_extra_pulls_every_extra() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    every = sorted(set(extras) - {"all", "test", "bench"})
    assert every == ["docx", "pdf", "report", "serve", "studio", "xlsx"]
    assert extras["all"] == [f"lianzheng[{','.join(['pdf', 'docx', 'studio', 'serve', 'report', 'xlsx'])}]"]
    assert "lianzheng[all]" in extras["test"]
    # WeasyPrint is the benchmarks' alone (their naive loop); no extra the toolkit uses pulls it.
    assert extras["bench"] == ["weasyprint>=62"]
    assert not any("weasyprint" in requirement for name in set(extras) - {"bench"} for requirement in extras[name])


def blocked(tmp_path_factory: pytest.TempPathFactory, modules: tuple[str, ...]) -> dict[str, str]:
    """The environment of a process (and of the kernels it starts) that cannot import ``modules``."""
    site = tmp_path_factory.mktemp("blocked-site")
    (site / "sitecustomize.py").write_text(BLOCKER.format(modules=modules), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)])}
    env.pop("LIANZHENG_LIBRARY", None)
    return env


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a process (and of the kernels it starts) that cannot import any extra."""
    return blocked(tmp_path_factory, OPTIONAL)


def run(env: dict[str, str], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )


def test_the_blocker_blocks(bare: dict[str, str]) -> None:
    for module in OPTIONAL:
        result = run(bare, "-c", f"import {module}")
        assert result.returncode == 1 and f"No module named '{module}'" in result.stderr


def test_a_missing_extra_is_one_line_naming_it(bare: dict[str, str], tmp_path: Path) -> None:
    store = str(tmp_path / "answers.sqlite")
    roster = tmp_path / "roster.csv"
    roster.write_text("learner,name\nli-ming,Li Ming\n", encoding="utf-8")
    commands = {
        "xlsx": ["responses", "export", "--store", store, "--out", str(tmp_path / "answers.xlsx")],
        "serve": ["serve", "--store", store, "--session", "s1", "--dir", str(tmp_path / "served")],
        "roster": ["roster", "load", "--store", store, "--session", "s1", str(roster), "--base-url", "http://h:1/"],
    }
    for extra, args in commands.items():
        if extra == "roster":
            args = [*args, "--links", str(tmp_path / "links.html")]
        result = run(bare, "-m", "toolkit.cli", *args)
        assert result.returncode == 2, result.stderr
        package = {"xlsx": "openpyxl", "serve": "voila", "roster": "segno"}[extra]
        extra = "serve" if extra == "roster" else extra
        assert result.stderr == f"lianzheng: {package} is not installed: pip install 'lianzheng[{extra}]'\n"
    assert not (tmp_path / "links.html").exists()
    assert not Path(store).exists(), "refused before any token is issued (a token never printed is lost)"
    for module, extra in [("toolkit.studio.widgets", "studio"), ("toolkit.widgets.worksheet", "serve")]:
        result = run(bare, "-c", f"import {module}")
        assert result.stderr.splitlines()[-1] == (
            f"toolkit.errors.MissingDependencyError: ipywidgets is not installed: pip install 'lianzheng[{extra}]'"
        )


@pytest.mark.slow
def test_without_extras_a_library_is_checked_and_html_built(bare: dict[str, str], tmp_path: Path) -> None:
    check = run(bare, "-m", "toolkit.cli", "check")
    assert check.returncode == 0, check.stderr
    assert ": OK, " in check.stdout
    out = tmp_path / "out"
    build = ["-m", "toolkit.cli", "build", "--audience", "retired", "--documents", "outline", "--jobs", "1"]
    build += ["--quiet", "--date", DATE, "--out", str(out)]
    html = run(bare, *build, "--formats", "html")
    assert html.returncode == 0, html.stderr
    assert html.stderr == ""
    assert [path.name for path in (out / "retired").glob("*.html")] == ["outline.html"]
    pdf = run(bare, *build, "--formats", "pdf", "--force")
    assert pdf.returncode == 1
    named = [line for line in pdf.stderr.splitlines() if "lianzheng[pdf]" in line]
    # one line per job that asked for a PDF: retired cadres get a large-print one too
    assert sorted(line.split(":")[1].strip() for line in named) == ["retired/outline", "retired/outline-large"], (
        pdf.stderr
    )
    assert all("typst is not installed: pip install 'lianzheng[pdf]'" in line for line in named)
    assert "Traceback" not in pdf.stderr and not list(out.rglob("*.pdf"))


@pytest.mark.slow
def test_pdfs_are_built_without_weasyprint(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    """WeasyPrint is still in the shared environment (the benchmarks run it); blocked, a build makes its PDFs."""
    env = blocked(tmp_path_factory, ("weasyprint",))
    assert "No module named 'weasyprint'" in run(env, "-c", "import weasyprint").stderr
    out = tmp_path / "out"
    build = ["-m", "toolkit.cli", "build", "--audience", "retired", "--documents", "outline", "--formats", "pdf"]
    result = run(env, *build, "--print-sizes", "standard", "--jobs", "1", "--quiet", "--date", DATE, "--out", str(out))
    assert result.returncode == 0, result.stderr
    pdf = (out / "retired" / "outline.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and b"Typst" in pdf
