"""The lianzheng command line: check and stats, exit codes, output forms."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CASE, MakeLibrary

from toolkit import Library
from toolkit.cli import main
from toolkit.library.stats import STATS_KEYS
from toolkit.paths import bundled_library

BIN = Path(sys.executable).parent


def test_check_valid_library_says_what_it_checked(
    make_library: MakeLibrary, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_library()
    assert main(["check", str(root)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        f"{root}: OK, 1 cases, 1 themes, 2 questions, 1 prompts and 2 messages checked against 10 audiences"
    )
    assert "library version " in out


def test_check_lists_every_problem_and_exits_1(make_library: MakeLibrary, capsys: pytest.CaptureFixture[str]) -> None:
    bad = CASE.format(id="sample-case").replace("kind: warning", "kind: warnng")
    root = make_library({"cases/sample-case.md": bad, "cases/empty.md": ""})
    assert main(["check", str(root)]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        f"{root}/cases/empty.md:1: empty file",
        f"{root}/cases/sample-case.md:4: unknown case kind 'warnng' (did you mean 'warning'?)",
    ]
    assert captured.err.strip() == f"{root}: 2 problems in 2 files"


def test_missing_library_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err == f"lianzheng: no library at '{tmp_path / 'nowhere'}' (a library is a folder holding taxonomy.yaml)\n"


def test_stats_json_is_stable(bundled: Library, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", str(bundled_library()), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert set(STATS_KEYS) <= set(stats)
    assert stats["cases"] == len(bundled.cases)
    assert stats["questions"] == len(bundled.questions)
    assert list(stats["by_discipline"]) == [d.id for d in bundled.taxonomy.disciplines]
    assert list(stats["by_occasion"]) == [o.id for o in bundled.taxonomy.occasions]
    assert stats["by_kind"]["exemplary"] == sum(c.kind == "exemplary" for c in bundled.cases)
    retired = sum("retired" in c.audiences for c in bundled.cases)
    assert stats["by_audience"]["retired"] == retired
    integrity_for_families = sum("integrity" in c.discipline_ids and "families" in c.audiences for c in bundled.cases)
    assert stats["coverage"]["integrity"]["families"] == integrity_for_families


def test_stats_counts_a_small_library_exactly(make_library: MakeLibrary, capsys: pytest.CaptureFixture[str]) -> None:
    second = CASE.format(id="second").replace("audiences: [newly-promoted, key-posts]", "audiences: [retired]")
    root = make_library({"cases/second.md": second})
    assert main(["stats", str(root), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["cases"] == 2
    assert stats["by_kind"] == {
        "warning": 2,
        "exemplary": 0,
        "typical-notice": 0,
        "guiding-case": 0,
        "historical-story": 0,
    }
    assert stats["by_audience"]["newly-promoted"] == 1 and stats["by_audience"]["retired"] == 1
    assert stats["by_audience"]["families"] == 0
    assert stats["by_risk_post"]["procurement"] == 2
    assert stats["by_occasion"]["mid-autumn"] == 2
    assert stats["by_type"]["gifts-cash-cards"] == 2 and stats["by_type"]["banquets"] == 0
    assert (stats["themes"], stats["questions"], stats["prompts"], stats["messages"]) == (1, 2, 1, 2)


def test_stats_table_shows_coverage_with_gaps(make_library: MakeLibrary, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", str(make_library())]) == 0
    out = capsys.readouterr().out
    assert "Coverage: cases per audience and discipline" in out
    unused = next(line for line in out.splitlines() if line.startswith("Violation types with no case:"))
    assert "Banquets that may affect official duties" in unused
    assert "Accepting gifts, cash gifts and consumption cards" not in unused
    leaders = next(line for line in out.splitlines() if line.strip().startswith("Newly promoted cadres"))
    assert leaders.split()[-7:] == ["·", "·", "1", "·", "·", "·", "1"]


def test_stats_in_chinese(make_library: MakeLibrary, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", str(make_library()), "--lang", "zh-CN"]) == 0
    out = capsys.readouterr().out
    assert "新提拔干部" in out and "廉洁纪律" in out and "反面警示案例" in out


def test_stats_refuses_an_invalid_library(make_library: MakeLibrary, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_library({"cases/empty.md": ""})
    assert main(["stats", str(root)]) == 1
    captured = capsys.readouterr()
    assert captured.out == f"{root}/cases/empty.md:1: empty file\n"
    assert f"run 'lianzheng check {root}'" in captured.err


def test_console_script_defaults_to_the_library_in_the_current_folder(tmp_path: Path) -> None:
    """The installed entry point, run as a user would, from a folder holding ./casebook."""
    os.symlink(bundled_library(), tmp_path / "casebook")
    result = subprocess.run([BIN / "lianzheng", "check"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("casebook: OK,")


def test_environment_variable_chooses_the_library(make_library: MakeLibrary, tmp_path: Path) -> None:
    root = make_library({"cases/empty.md": ""})
    env = {**os.environ, "LIANZHENG_LIBRARY": str(root)}
    result = subprocess.run(
        [BIN / "lianzheng", "stats"], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert result.stdout == f"{root}/cases/empty.md:1: empty file\n"
    assert "Traceback" not in result.stderr


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["chek"])
    assert raised.value.code == 2
    assert "invalid choice: 'chek'" in capsys.readouterr().err


def test_check_json_for_editors(make_library: MakeLibrary, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_library()
    assert main(["check", str(root), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and report["problems"] == []
    assert report["checked"] == {"cases": 1, "themes": 1, "questions": 2, "prompts": 1, "messages": 2}
    bad = CASE.format(id="sample-case").replace("kind: warning", "kind: warnng")
    root = make_library({"cases/sample-case.md": bad})
    assert main(["check", str(root), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert report["problems"] == [
        {
            "path": f"{root}/cases/sample-case.md",
            "line": 4,
            "message": "unknown case kind 'warnng' (did you mean 'warning'?)",
        }
    ]


def test_stats_refuses_an_unknown_language(make_library: MakeLibrary, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", str(make_library()), "--lang", "zh-cn"]) == 2
    assert capsys.readouterr().err == "lianzheng: unknown language 'zh-cn' (did you mean 'zh-CN'?)\n"


def test_check_warns_about_a_library_without_themes(
    make_library: MakeLibrary, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_library({"themes/sample-theme.md": None})
    assert main(["check", str(root)]) == 0, "a warning, not a failure"
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{root}: OK, 1 cases, 0 themes")
    assert out[1:] == [
        f"{root}/themes: warning: the library has no themes, and a lecture outline needs one (add a theme file to themes/)"
    ]
    assert main(["check", str(root), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True
    assert report["warnings"] == [
        {
            "path": f"{root}/themes",
            "line": None,
            "message": "the library has no themes, and a lecture outline needs one (add a theme file to themes/)",
        }
    ]
    assert main(["check", str(make_library())]) == 0
    assert "warning" not in capsys.readouterr().out


def test_building_an_outline_without_themes_is_one_line(
    make_library: MakeLibrary, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_library({"themes/sample-theme.md": None})
    args = ["build", "--library", str(root), "--audience", "retired", "--documents", "outline", "--formats", "html"]
    assert main([*args, "--out", str(tmp_path / "out"), "--jobs", "1", "--quiet"]) == 2
    assert capsys.readouterr().err == (
        f"lianzheng: {root}/themes: the library has no themes, and a lecture outline needs one "
        "(add a theme file to themes/)\n"
    )
