"""The studio end to end: JupyterLab on localhost, the notebook run in Chromium, a filter, a pick, a saved spec."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from toolkit import Library
from toolkit.batch.jobs import notebooks_dir
from toolkit.studio import Studio, check_spec
from toolkit.testing.lab import Lab, run_notebook


@pytest.fixture
def lab_page(
    jupyterlab: Lab, lab_folder: Path, browser: Any, artifacts: Path, bundled: Library, request: pytest.FixtureRequest
) -> Iterator[Any]:
    """A page with a copy of the studio notebook (in the test's folder) open in JupyterLab and run; only
    the server is reachable.

    On a failure the page is kept as ``<test>-failed.png`` and the browser's console is printed.
    """
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    lab = jupyterlab
    shutil.copy(notebooks_dir() / "studio.ipynb", lab_folder / "studio.ipynb")
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(lab.base) else route.abort())
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    failed = request.session.testsfailed
    try:
        total = len(bundled.cases)
        run_notebook(page, lab, f"{lab_folder.name}/studio.ipynb", f".lz-count:has-text('{total} of {total} cases')")
        yield page
    finally:
        if request.session.testsfailed > failed or sys.exc_info()[0] is not None:
            page.screenshot(path=str(artifacts / f"{request.node.name}-failed.png"), full_page=True)
            print("browser console:\n" + "\n".join(console[-30:]))
        context.close()


@pytest.mark.slow
@pytest.mark.browser
def test_a_trainer_filters_picks_and_saves_in_jupyterlab(
    lab_folder: Path, lab_page: Any, artifacts: Path, bundled: Library
) -> None:
    root = lab_folder
    page = lab_page
    expected = Studio(bundled).set_filters(keyword="gift card")
    assert len(expected) >= 2
    chosen = expected[1]

    page.fill(".lz-keyword input", "gift card", timeout=10_000)
    page.wait_for_selector(f".lz-count:has-text('{len(expected)} of {len(bundled.cases)} cases')", timeout=30_000)
    assert page.locator(".lz-results select option").count() == len(expected)
    page.select_option(".lz-results select", label=Studio(bundled).label(chosen), timeout=10_000)
    # The preview follows the selection: the case as the casebook prints it.
    heading = page.locator(".lz-preview section.lz-case h2")
    heading.filter(has_text=bundled.case(chosen).title).wait_for(timeout=30_000)
    page.click("button.lz-pick", timeout=10_000)
    page.wait_for_selector(".lz-picks select option", timeout=30_000)
    assert page.locator(".lz-picks select option").count() == 1

    page.click("button.lz-save", timeout=10_000)
    saved = root / "session.yaml"
    status = page.wait_for_selector(".lz-status:has-text('Saved ')", timeout=30_000)
    assert str(saved) in status.inner_text()
    page.screenshot(path=str(artifacts / "studio-jupyterlab.png"), full_page=True)

    spec = check_spec(saved.read_text(encoding="utf-8"), bundled, saved)
    (session,) = spec.sessions
    assert session.parameters["casebook"]["picks"] == chosen
    assert session.parameters["outline"]["picks"] == chosen
    assert spec.library == bundled.root.resolve()


@pytest.mark.slow
@pytest.mark.browser
def test_build_runs_from_the_page_with_progress_and_links(
    jupyterlab: Lab, lab_folder: Path, lab_page: Any, artifacts: Path
) -> None:
    root = lab_folder
    page = lab_page
    # The default documents (casebook in two editions, outline): three jobs, so the build's child
    # process (started afresh, not forked from the kernel) runs a pool of forked workers.
    page.select_option(".lz-formats select", value="html", timeout=10_000)
    page.click("button.lz-build", timeout=10_000)
    page.wait_for_selector(".lz-built:has-text('3 built, 0 unchanged, 0 failed')", timeout=180_000)
    bar = page.locator(".lz-progress .progress-bar")
    assert "width: 100%" in (bar.get_attribute("style", timeout=10_000) or "")
    built = root / "handouts" / "incumbent-leaders" / "outline.html"
    assert built.is_file() and (root / "handouts" / "incumbent-leaders" / "casebook-trainer.html").is_file()
    # The links are resolved by JupyterLab to files it serves.
    link = page.locator("a:has-text('incumbent-leaders/outline.html')")
    href = link.get_attribute("href", timeout=10_000) or ""
    assert "handouts/incumbent-leaders/outline.html" in href
    served = page.request.get(jupyterlab.files(f"{root.name}/handouts/incumbent-leaders/outline.html"))
    assert served.ok and served.body() == built.read_bytes()
    page.screenshot(path=str(artifacts / "studio-jupyterlab-build.png"), full_page=True)


@pytest.mark.slow  # `jupyter labextension list` takes about 5 s
def test_the_widgets_extension_is_enabled_in_jupyterlab() -> None:
    """Without it JupyterLab shows the studio as text ("VBox(children=...)") instead of controls."""
    listed = subprocess.run(
        [sys.executable, "-m", "jupyter", "labextension", "list"], capture_output=True, text=True, check=True
    )
    text = listed.stdout + listed.stderr
    line = next((row for row in text.splitlines() if "@jupyter-widgets/jupyterlab-manager" in row), "")
    assert "enabled" in line and "OK" in line, text
