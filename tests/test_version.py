"""The toolkit's part of a job's cache key: code that handouts are made from, and nothing else."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import toolkit.version as version_module
from toolkit import Library
from toolkit.batch.jobs import expand, job_key
from toolkit.batch.spec import Overrides, default_spec
from toolkit.documents import assemble


@pytest.fixture
def package_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the toolkit package that ``source_digest`` reads instead of the real one."""
    root = tmp_path / "toolkit"
    shutil.copytree(version_module.PACKAGE_ROOT, root, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(version_module, "PACKAGE_ROOT", root)
    version_module.source_digest.cache_clear()
    yield root
    version_module.source_digest.cache_clear()


def test_the_test_harness_is_not_in_a_job_key_and_the_renderer_is(package_copy: Path, bundled: Library) -> None:
    spec = default_spec(bundled, Overrides(audiences=["retired"], documents=["quiz"], date="2026-12-01"))
    job = expand(spec, bundled)[0]
    document = assemble(job.document, {k: v for k, v in job.parameters.items() if k != "library"}, bundled)

    def key() -> str:
        version_module.source_digest.cache_clear()
        return job_key(job, document, bundled)

    before = key()
    for harness in ("testing/lab.py", "testing/synthetic.py", "testing/__init__.py"):
        with (package_copy / harness).open("a", encoding="utf-8") as file:
            file.write("\n# edited\n")
    (package_copy / "testing" / "new_helper.py").write_text("X = 1\n", encoding="utf-8")
    assert key() == before, "editing the test harness must not invalidate every built handout"
    with (package_copy / "render" / "__init__.py").open("a", encoding="utf-8") as file:
        file.write("\n# edited\n")
    assert key() != before, "editing the renderer must rebuild"
