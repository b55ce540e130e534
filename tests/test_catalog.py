"""The loaded library: lookups, the pandas views, the version hash, the public surface."""

from __future__ import annotations

import inspect
import shutil
from pathlib import Path

import pytest
from conftest import CASE, MakeLibrary

import toolkit
from toolkit import Library, load_library


def test_lookup_by_id(bundled: Library) -> None:
    case = bundled.case("festival-gift-cards-county-procurement")
    assert case.kind == "warning"
    assert case.amounts[0].value_cny == 186000
    assert "mooncakes" in case.text("facts")
    assert case.sections["lessons"].items[0].startswith("The first gift is the real decision.")
    with pytest.raises(KeyError):
        bundled.case("no-such-case")


def test_cases_frame_answers_questions(bundled: Library) -> None:
    frame = bundled.cases_frame()
    assert len(frame) == len(bundled.cases)
    assert frame.id.is_unique
    retired = frame[frame.audiences.apply(lambda a: "retired" in a)]
    assert set(retired.id) == {c.id for c in bundled.cases if "retired" in c.audiences}
    row = frame.set_index("id").loc["festival-gift-cards-county-procurement"]
    assert (
        row.amount_cny == 186000
        and row.four_forms == 4
        and row.path == "cases/festival-gift-cards-county-procurement.md"
    )


def test_tags_frame_agrees_with_stats(bundled: Library) -> None:
    tags = bundled.tags_frame()
    stats = toolkit.library_stats(bundled)
    counts = tags[tags.facet == "risk_post"].groupby("term").case.nunique().to_dict()
    assert counts == {k: v for k, v in stats["by_risk_post"].items() if v}


def test_version_changes_with_content_only(make_library: MakeLibrary, tmp_path: Path) -> None:
    root = make_library()
    first = load_library(root).version
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    assert load_library(copy).version == first
    (copy / "cases" / "sample-case.md").write_text(CASE.format(id="sample-case").replace("mooncakes", "zongzi"))
    assert load_library(copy).version != first


def test_public_surface_is_exported() -> None:
    for name in toolkit.__all__:
        assert hasattr(toolkit, name), name
    public = {name for name, value in vars(toolkit).items() if not name.startswith("_") and not inspect.ismodule(value)}
    assert public - {"PackageNotFoundError", "version"} == set(toolkit.__all__) - {"__version__"}
    assert set(toolkit.library.__all__) <= set(toolkit.__all__)


def test_a_large_library_read_in_parallel_is_the_same(tmp_path: Path) -> None:
    """Above PARALLEL_FROM files the library is read by a process pool: same records, problems, version."""
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1] / "bench"))
    from library_load import generate

    from toolkit.library.load import PARALLEL_FROM, read_library

    root = tmp_path / "big"
    root.mkdir()
    generate(root, PARALLEL_FROM + 20)
    broken = next((root / "cases").rglob("*.md"))
    broken.write_text(broken.read_text(encoding="utf-8").replace("kind: ", "kind: x", 1), encoding="utf-8")
    serial, serial_problems = read_library(root, workers=1)
    pooled, pooled_problems = read_library(root, workers=2)
    assert serial is not None and pooled is not None
    assert len(serial_problems) == 1 and pooled_problems == serial_problems
    assert pooled.version == serial.version
    assert pooled.cases == serial.cases and len(pooled.cases) == PARALLEL_FROM + 20
    assert pooled.questions == serial.questions and pooled.messages == serial.messages
