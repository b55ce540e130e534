"""Shared fixtures: the bundled library, and small libraries written into a temporary folder."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from toolkit import Library, load_library
from toolkit.paths import bundled_library

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
    """Write a small valid library (bundled taxonomy, one of each entry), with files replaced or added.

    ``make_library({"cases/x.md": "..."})`` overrides or adds files; a value of ``None`` removes one.
    """

    def make(files: dict[str, str | bytes | None] | None = None) -> Path:
        root = tmp_path / "lib"
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir()
        shutil.copy(bundled_library() / "taxonomy.yaml", root / "taxonomy.yaml")
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
