"""JupyterLab on localhost for one folder, and running the studio in a page of it.

The studio's end-to-end test and its browser benchmark both need a real JupyterLab: started from
this Python (``python -m jupyter lab``) on a free port with a token, no browser, no news or update
checks, its settings and runtime files in a folder of their own; stopped on leaving the block.
``run_notebook`` drives a Playwright page (passed in; Playwright is not a dependency of the toolkit).
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.errors import ToolkitError

if TYPE_CHECKING:
    from playwright.sync_api import Page

START_SECONDS = 90.0


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab: its address, token and the folder it serves."""

    base: str
    token: str
    root: Path
    log: Path

    def url(self, notebook: str) -> str:
        """The address that opens ``notebook`` (relative to the served folder), token included, in a
        workspace of its own: a notebook opened earlier in another page is not restored beside it."""
        workspace = Path(notebook).with_suffix("").as_posix().replace("/", "-")
        return f"{self.base}/lab/workspaces/{workspace}/tree/{notebook}?token={self.token}"

    def files(self, rel: str) -> str:
        """The address of a file of the served folder, as JupyterLab serves it."""
        return f"{self.base}/files/{rel}?token={self.token}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(root: Path, state: Path, start_seconds: float = START_SECONDS) -> Iterator[Lab]:
    """JupyterLab serving ``root``; its settings, workspaces, runtime files and log go in ``state``."""
    state.mkdir(parents=True, exist_ok=True)
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    for name, folder in (
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("JUPYTERLAB_SETTINGS_DIR", "settings"),
        ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
    ):
        env[name] = str(state / folder)
    log_path = state / "lab.log"
    with log_path.open("wb") as log:
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
        lab = Lab(f"http://127.0.0.1:{port}", token, root, log_path)
        try:
            _wait_until_up(lab, server, start_seconds)
            yield lab
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _wait_until_up(lab: Lab, server: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{lab.base}/api/status?token={lab.token}", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            tail = lab.log.read_text(encoding="utf-8", errors="replace")[-3000:]
            raise ToolkitError(f"JupyterLab did not start in {seconds:.0f} s; its log ends:\n{tail}")
        time.sleep(0.3)


def run_notebook(page: Page, lab: Lab, notebook: str, ready: str, seconds: float = 90.0) -> None:
    """Open ``notebook`` in a Playwright page, run all its cells, and wait for the selector ``ready``."""
    timeout = seconds * 1000
    page.goto(lab.url(notebook), timeout=timeout)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=timeout)
    # JupyterLab may ask which kernel to start (when it is not sure of the notebook's): take the default.
    accept = page.locator(".jp-Dialog button.jp-mod-accept")
    try:
        accept.wait_for(timeout=8_000)
        accept.click()
    except Exception as exc:  # Playwright's TimeoutError: no question asked
        if "Timeout" not in type(exc).__name__:
            raise
    # The kernel is up when the toolbar's indicator says idle.
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=timeout)
    page.click("li.lm-MenuBar-item:has-text('Run')", timeout=10_000)
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click(timeout=10_000)
    page.wait_for_selector(ready, timeout=timeout)
    no_news = page.locator(".jp-toast-button:has-text('No')")  # "notified about Jupyter news?"
    if no_news.count():
        no_news.first.click()
