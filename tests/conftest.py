"""Shared fixtures: the bundled library, small libraries written into a temporary folder, and a real browser."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from toolkit import Library, load_library
from toolkit.paths import bundled_library
from toolkit.testing.lab import Lab, serve

CASE = """\
---
id: {id}
title: "A sample case"
kind: warning
summary: "A section chief keeps a festival gift card."
audiences: [newly-promoted, key-posts]
disciplines:
  - discipline: integrity
    types: [gifts-cash-cards]
risk_posts: [procurement]
occasions: [mid-autumn]
subject: {{role: "section chief", rank_level: township-section}}
amounts: [{{kind: gift, value_cny: 2000}}]
period: {{start: 2016-09, end: 2018-01}}
outcome: {{party: serious-warning, four_forms: 2}}
date: 2022-06
sources: [{{publisher: "illustrative composite"}}]
---

## Facts
A card under the mooncakes.

## Violations
He kept it.

## Handling
Serious warning.

## Rules
- Integrity discipline: gifts and cash gifts.

## Analysis
The first card was small.

## Lessons
- Return the first gift the same day.

## Discussion questions
- When could he have stepped back?
"""

THEME = """\
---
id: {id}
title: "Cautious independence"
kind: core
summary: "The same when no one is watching."
disciplines: [integrity]
cases: [{case}]
---

## Objectives
- Know the rule.

## Why it matters now
Because.

## Talking points
- One.

## Practical defences
- Two.

## Responsibility
- Three.

## Discussion prompts
- Four?
"""

QUESTIONS = """\
- id: q-one
  type: single
  stem: "What do you do with a gift card from a supplier?"
  options: ["Keep it", "Hand it in", "Give it away"]
  answer: B
  explanation: "It must be handed in."
  rule: "Integrity discipline: gifts"
  discipline: integrity
  types: [gifts-cash-cards]
  cases: [{case}]
- id: q-two
  type: true-false
  stem: "A birthday banquet paid by a supplier is fine."
  answer: false
  explanation: "It is not."
  rule: "Integrity discipline: banquets"
  discipline: integrity
"""

PROMPTS = """\
- id: p-one
  kind: self-check
  text: "Have I accepted gifts from anyone my work affects?"
  disciplines: [integrity]
"""

MESSAGES = """\
occasion: mid-autumn
messages:
  - id: mid-autumn-sms
    channel: sms
    body: "{unit} wishes you a clean Mid-Autumn: no gifts, no banquets."
  - id: mid-autumn-email
    channel: email
    subject: "Before {occasion} {year}"
    body: "Report to {hotline}. {sender}"
"""


def write(root: Path, rel: str, text: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


MakeLibrary = Callable[..., Path]


@pytest.fixture
def make_library(tmp_path: Path) -> MakeLibrary:
    """Write a small valid one-language library (the bundled taxonomy in English only, one of each
    entry), with files replaced or added.

    ``make_library({"cases/x.md": "..."})`` overrides or adds files; a value of ``None`` removes one.
    """

    def make(files: dict[str, str | bytes | None] | None = None) -> Path:
        root = tmp_path / "lib"
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir()
        # A one-language library (English): the entries below are written in English only.
        taxonomy = (bundled_library() / "taxonomy.yaml").read_text(encoding="utf-8")
        write(root, "taxonomy.yaml", taxonomy.replace("languages: [en, zh-CN]", "languages: [en]", 1))
        base: dict[str, str | bytes | None] = {
            "cases/sample-case.md": CASE.format(id="sample-case"),
            "themes/sample-theme.md": THEME.format(id="sample-theme", case="sample-case"),
            "questions/integrity.yaml": QUESTIONS.format(case="sample-case"),
            "prompts/self-check.yaml": PROMPTS,
            "messages/mid-autumn.yaml": MESSAGES,
        }
        base.update(files or {})
        for rel, text in base.items():
            if text is not None:
                write(root, rel, text)
        return root

    return make


@pytest.fixture(scope="session")
def bundled() -> Library:
    return load_library(bundled_library())


# Debian's Chromium driven by Playwright. Without the background-networking flags Chromium keeps trying to
# reach Google's hosts, which this machine's closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def chromium_path() -> str:
    path = os.environ.get("LIANZHENG_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail(
            "Chromium not found: `make test` installs Debian's chromium when run as root "
            "(scripts/system-packages.sh); elsewhere set LIANZHENG_CHROMIUM to a Chromium binary",
            pytrace=False,
        )
    return path


@dataclass
class Tab:
    """A browser page that may load only local files: every other request is refused and recorded."""

    page: Any
    refused: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def tab(browser: Any) -> Iterator[Tab]:
    """A fresh 1280 x 720 page (a projector's size) that records refused requests and script errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    tab = Tab(page)

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if url.startswith(("file:", "data:", "about:")):
            request_route.continue_()
        else:
            tab.refused.append(url)
            request_route.abort()

    context.route("**/*", route)
    page.on("pageerror", lambda error: tab.errors.append(str(error)))
    page.on("console", lambda message: tab.errors.append(message.text) if message.type == "error" else None)
    yield tab
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where tests keep what a person may want to look at afterwards (screenshots); not committed."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """JupyterLab on localhost, started once per test module; each test works in a folder of its own
    under ``root`` (see ``lab_folder``), so tests share the server and nothing else."""
    root = tmp_path_factory.mktemp("lab-root")
    with serve(root, tmp_path_factory.mktemp("lab-state"), start_seconds=120) as running:
        yield running


@pytest.fixture
def lab_folder(jupyterlab: Lab, request: pytest.FixtureRequest) -> Path:
    """This test's folder in the module's JupyterLab (its path relative to the served root is its name)."""
    folder = jupyterlab.root / re.sub(r"[^\w-]", "-", request.node.name)
    folder.mkdir()
    return folder


@pytest.fixture(scope="module")
def warm() -> Iterator[None]:
    """Papermill's ``lianzheng`` engine registered; the process's warm kernel killed after the module."""
    from toolkit.batch import kernels

    kernels.register()
    yield
    kernels.close_pool()
