"""The studio end to end: JupyterLab on localhost, the notebook run in Chromium, a filter, a pick, a saved spec."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from toolkit import Library
from toolkit.build.jobs import notebooks_dir
from toolkit.studio import Studio, check_spec

START_SECONDS = 90


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """JupyterLab serving a folder that holds a copy of the studio notebook: (URL with token, folder)."""
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(notebooks_dir() / "studio.ipynb", root / "studio.ipynb")
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    for name, folder in (
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("JUPYTERLAB_SETTINGS_DIR", "settings"),
        ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
    ):
        env[name] = str(tmp_path / folder)
    log = (tmp_path / "lab.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            "--allow-root",  # a container's user; harmless elsewhere
            f"--ServerApp.root_dir={root}",
            "--LabApp.news_url=",
            "--LabApp.extension_manager=readonly",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(
                    f"JupyterLab did not start in {START_SECONDS} s:\n" + (tmp_path / "lab.log").read_text()[-3000:]
                )
            time.sleep(0.3)
        yield f"{base}/lab/tree/studio.ipynb?token={token}", root
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture
def lab_page(
    lab: tuple[str, Path], browser: Any, artifacts: Path, bundled: Library, request: pytest.FixtureRequest
) -> Iterator[Any]:
    """A page with the studio notebook open in JupyterLab and run; only the server is reachable.

    On a failure the page is kept as ``<test>-failed.png`` and the browser's console is printed.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    url, _ = lab
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    server = url.split("/lab/")[0]
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(server) else route.abort())
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.goto(url, timeout=60_000)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    # JupyterLab may ask which kernel to start (it does when it is not sure of the notebook's): the default.
    accept = page.locator(".jp-Dialog button.jp-mod-accept")
    try:
        accept.wait_for(timeout=8_000)
        accept.click()
    except PlaywrightTimeout:
        pass
    # The kernel is up when the toolbar's indicator says idle.
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
    page.click("li.lm-MenuBar-item:has-text('Run')", timeout=10_000)
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click(timeout=10_000)
    page.wait_for_selector(".lz-studio", timeout=90_000)
    total = len(bundled.cases)
    page.wait_for_selector(f".lz-count:has-text('{total} of {total} cases')", timeout=30_000)
    no_news = page.locator(".jp-toast-button:has-text('No')")
    if no_news.count():
        no_news.first.click()
    failed = request.session.testsfailed
    yield page
    if request.session.testsfailed > failed:
        page.screenshot(path=str(artifacts / f"{request.node.name}-failed.png"), full_page=True)
        print("browser console:\n" + "\n".join(console[-30:]))
    context.close()


@pytest.mark.slow
@pytest.mark.browser
def test_a_trainer_filters_picks_and_saves_in_jupyterlab(
    lab: tuple[str, Path], lab_page: Any, artifacts: Path, bundled: Library
) -> None:
    _, root = lab
    page = lab_page
    expected = Studio(bundled).set_filters(keyword="gift card")
    assert len(expected) >= 2
    chosen = expected[1]

    page.fill(".lz-keyword input", "gift card", timeout=10_000)
    page.wait_for_selector(f".lz-count:has-text('{len(expected)} of {len(bundled.cases)} cases')", timeout=30_000)
    assert page.locator(".lz-results select option").count() == len(expected)
    page.select_option(".lz-results select", label=Studio(bundled).label(chosen), timeout=10_000)
    # The preview frame follows the selection: the case as the casebook prints it.
    heading = page.frame_locator(".lz-frame").first.locator("section.lz-case h2")
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
    lab: tuple[str, Path], lab_page: Any, artifacts: Path
) -> None:
    url, root = lab
    page = lab_page
    page.select_option(".lz-documents select", label="Lecture outline", timeout=10_000)
    page.select_option(".lz-formats select", value="html", timeout=10_000)
    page.click("button.lz-build", timeout=10_000)
    page.wait_for_selector(".lz-built:has-text('1 built, 0 unchanged, 0 failed')", timeout=120_000)
    bar = page.locator(".lz-progress .progress-bar")
    assert "width: 100%" in (bar.get_attribute("style", timeout=10_000) or "")
    built = root / "handouts" / "incumbent-leaders" / "outline.html"
    assert built.is_file()
    # The links are resolved by JupyterLab to files it serves.
    link = page.locator("a:has-text('incumbent-leaders/outline.html')")
    href = link.get_attribute("href", timeout=10_000) or ""
    assert "handouts/incumbent-leaders/outline.html" in href
    token = url.split("token=")[1]
    served = page.request.get(f"{url.split('/lab/')[0]}/files/handouts/incumbent-leaders/outline.html?token={token}")
    assert served.ok and served.body() == built.read_bytes()
    page.screenshot(path=str(artifacts / "studio-jupyterlab-build.png"), full_page=True)


def test_the_widgets_extension_is_enabled_in_jupyterlab() -> None:
    """Without it JupyterLab shows the studio as text ("VBox(children=...)") instead of controls."""
    listed = subprocess.run(
        [sys.executable, "-m", "jupyter", "labextension", "list"], capture_output=True, text=True, check=True
    )
    text = listed.stdout + listed.stderr
    line = next((row for row in text.splitlines() if "@jupyter-widgets/jupyterlab-manager" in row), "")
    assert "enabled" in line and "OK" in line, text
