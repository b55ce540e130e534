"""Temporary files beside their targets, and the clean-up of those a killed writer left."""

from __future__ import annotations

from pathlib import Path

from toolkit.fileio import remove_staged, stage, write_atomic


def test_remove_staged_takes_only_what_stage_made(tmp_path: Path) -> None:
    leftovers = [stage(tmp_path / "casebook.pdf"), stage(tmp_path / "quiz.ipynb"), stage(tmp_path / "notes")]
    kept = ["casebook.pdf", ".hidden", "report.part.pdf", ".casebook.draft.pdf"]
    for name in kept:
        write_atomic(tmp_path / name, "whole")
    remove_staged(tmp_path)
    assert not any(path.exists() for path in leftovers)
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(kept)


def test_remove_staged_ignores_a_missing_folder(tmp_path: Path) -> None:
    remove_staged(tmp_path / "absent")
