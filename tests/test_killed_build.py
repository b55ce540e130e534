"""A build killed with SIGKILL leaves no process behind: its pool workers and their warm kernels die with it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "bench"))

from killed_build import trial

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; PR_SET_PDEATHSIG is Linux's"),
]


@pytest.mark.parametrize("jobs", [2, 1], ids=["pool-workers", "in-process"])
def test_no_kernel_or_worker_outlives_a_killed_builder(jobs: int) -> None:
    result = trial(jobs=jobs)
    assert len(result.kernels) >= 1, "the build was killed before any kernel ran"
    if jobs > 1:
        assert result.workers, "the build was killed before its workers ran"
    assert result.kernels_alive == 0
    assert result.workers_alive == 0
