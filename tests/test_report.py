"""The trainer report: its figures on stores with known answers (a small one computed by hand, a large
generated one with items built to be bad), privacy, the notebook under papermill, ``lianzheng report``
writing real HTML and PDF, errors in one line, and the same bytes from the same data."""

from __future__ import annotations

import hashlib
import json
import math
import re
import sqlite3
import statistics
import subprocess
from pathlib import Path
from typing import Any

import nbformat
import pytest

from toolkit import handout
from toolkit.cli import main
from toolkit.documents import DOCUMENTS
from toolkit.documents.report import analysis
from toolkit.errors import ParameterError
from toolkit.paths import notebooks_dir
from toolkit.responses.schema import connect
from toolkit.testing.synthetic import default_quiz, expected_difficulty, generate

DATE = "2026-12-01"


def make_report(**values: Any) -> handout.Handout:
    """The report as the notebook makes it: parameters checked, library loaded, assembled and rendered."""
    return handout.prepare("report", values)


# The hand-computed store. Session s1 (audience retired): four learners submit a quiz of four one-point
# questions (pass mark 0.5); a fifth answers self-checks but never submits. Session s2 (families): one
# learner opens the worksheet and types nothing (an empty save).
QUIZ = {  # learner: (q1, q2, q3, q4) correct; score is the sum
    "learner-alpha": (1, 1, 1, 0),  # 3
    "learner-bravo": (1, 1, 0, 0),  # 2
    "learner-charlie": (1, 0, 1, 0),  # 2
    "learner-delta": (0, 0, 0, 1),  # 1
}
CHECKS = {  # learner: {self-check item: answer}
    "learner-alpha": {"c1": "no", "c2": "yes"},
    "learner-bravo": {"c1": "no", "c2": "no"},
    "learner-charlie": {"c1": "yes", "c2": "unsure"},
    "learner-delta": {"c1": "no"},
    "learner-echo": {"c1": "yes", "c2": "no", "c3": "yes"},
}
NAMES = {learner: f"{learner.split('-')[1].title()} Example" for learner in [*CHECKS, "learner-foxtrot"]}


def _save(conn: sqlite3.Connection, session: str, sheet: str, learner: str, item: str, value: Any, n: int) -> None:
    when = f"2026-11-20T09:{n // 60:02d}:{n % 60:02d}.000000Z"
    cur = conn.execute(
        "INSERT INTO saves (session, sheet, learner, item, value, saved_at) VALUES (?, ?, ?, ?, ?, ?)",
        (session, sheet, learner, item, json.dumps(value), when),
    )
    conn.execute(
        "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?, ?)",
        (session, sheet, learner, item, json.dumps(value), when, cur.lastrowid),
    )


def _sheet(conn: sqlite3.Connection, session: str, sheet: str, audience: str, items: list[dict[str, Any]]) -> None:
    conn.execute(
        "INSERT INTO sheets VALUES (?, ?, ?, ?, ?, 'en', 'lib-v1', '{}', ?, '2026-11-20T09:00:00.000000Z')",
        (session, sheet, sheet, audience, f"The {sheet}", json.dumps(items)),
    )


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.db"
    conn = connect(path)
    conn.execute("BEGIN IMMEDIATE")
    options = [["A", "yes"], ["B", "no"]]
    quiz_items = [
        {"id": f"q{i}", "type": "single", "text": f"Question {i}", "options": options, "answer": "A"}
        for i in range(1, 5)
    ]
    check_items = [{"id": f"c{i}", "type": "self-check", "text": f"Check item {i}"} for i in range(1, 4)]
    _sheet(conn, "s1", "quiz", "retired", quiz_items)
    _sheet(conn, "s1", "worksheet", "retired", check_items)
    _sheet(conn, "s2", "worksheet", "families", check_items)
    for learner, name in NAMES.items():
        conn.execute("INSERT INTO learners VALUES (?, ?, '2026-11-20T09:00:00.000000Z')", (learner, name))
    n = 0
    for learner, answers in CHECKS.items():
        for item, value in answers.items():
            n += 1
            _save(conn, "s1", "worksheet", learner, item, value, n)
    _save(conn, "s2", "worksheet", "learner-foxtrot", "c1", "", n + 1)
    for learner, correct in QUIZ.items():
        for i, right in enumerate(correct, start=1):
            n += 1
            _save(conn, "s1", "quiz", learner, f"q{i}", "A" if right else "B", n)
            conn.execute(
                "INSERT INTO results VALUES ('s1', 'quiz', ?, ?, ?, ?, ?, 1)",
                (learner, f"q{i}", json.dumps("A" if right else "B"), right, float(right)),
            )
        score = sum(correct)
        conn.execute(
            "INSERT INTO submissions VALUES ('s1', 'quiz', ?, ?, ?, 4, ?, 0.5)",
            (learner, f"2026-11-20T10:00:{score:02d}.000000Z", float(score), int(score >= 2)),
        )
    conn.execute("COMMIT")
    conn.close()
    return path


# The small store's figures, computed by hand.


def test_completion_by_audience_and_session(small: Path) -> None:
    table = analysis.completion(analysis.read_store(small))
    rows = {row["session"]: row for row in table.to_dict("records")}
    assert (rows["s1"]["audience"], rows["s1"]["opened"], rows["s1"]["saved"], rows["s1"]["submitted"]) == (
        "retired",
        5,
        5,
        4,
    )
    assert rows["s1"]["submitted_rate"] == pytest.approx(4 / 5)
    # foxtrot opened the worksheet (an empty save) and did nothing else
    assert (rows["s2"]["opened"], rows["s2"]["saved"], rows["s2"]["submitted"]) == (1, 0, 0)
    assert rows["s2"]["saved_rate"] == 0
    total = analysis.completion_total(table)
    assert (total["opened"], total["saved"], total["submitted"]) == (6, 5, 4)
    assert total["submitted_rate"] == pytest.approx(4 / 6)


def test_score_distribution(small: Path) -> None:
    scores = analysis.score_summary(analysis.read_store(small))
    # scores 3, 2, 2, 1 of 4: 75 %, 50 %, 50 %, 25 %
    assert scores.count == 4 and scores.mean == 50 and scores.median == 50
    assert scores.passed == 3 and scores.pass_rate == 0.75 and scores.pass_mark == 50
    assert dict(zip(scores.bands["lower"], scores.bands["count"], strict=True)) == {
        0: 0, 10: 0, 20: 1, 30: 0, 40: 0, 50: 2, 60: 0, 70: 1, 80: 0, 90: 0,
    }  # fmt: skip
    quarters = analysis.score_summary(analysis.read_store(small), bands=4).bands
    assert list(quarters["count"]) == [0, 1, 2, 1]  # 25 % opens the second band; 75 % the last


def test_difficulty_and_discrimination_by_hand(small: Path) -> None:
    items = analysis.item_analysis(analysis.read_store(small)).set_index("item")
    assert list(items.index) == ["q1", "q2", "q3", "q4"]
    assert list(items["difficulty"]) == [0.75, 0.5, 0.5, 0.25]
    assert list(items["n"]) == [4, 4, 4, 4]
    # q1: item (1, 1, 1, 0) against the rest of the score (2, 1, 1, 1): deviations (.25, .25, .25, -.75) and
    # (.75, -.25, -.25, -.25); products sum to .25, squares to .75 and .75: r = .25 / .75 = 1/3.
    assert items.loc["q1", "discrimination"] == pytest.approx(1 / 3)
    # q2: item (1, 1, 0, 0), rest (2, 1, 2, 1): the rest is the same on average for both groups, r = 0.
    assert items.loc["q2", "discrimination"] == pytest.approx(0)
    assert items.loc["q3", "discrimination"] == pytest.approx(0)
    # q4: only delta, with the lowest total, is right: the point-biserial formula (M1 - M0) / s * sqrt(pq)
    # with rest (3, 2, 2, 0): M1 = 0, M0 = 7/3, s = sqrt(4.75 / 4), p = 1/4.
    assert items.loc["q4", "discrimination"] == pytest.approx((0 - 7 / 3) / math.sqrt(4.75 / 4) * math.sqrt(3 / 16))
    # upper-lower: 27 % of 4 is one learner a group; alpha (3) on top, delta (1) at the bottom
    assert list(items["upper_lower"]) == [1, 1, 1, -1]
    assert list(items["flags"]) == [(), ("low_discrimination",), ("low_discrimination",), ("negative",)]


def test_point_biserial_matches_its_textbook_formula(small: Path) -> None:
    """The corrected item-total correlation equals (M1 - M0) / s_n * sqrt(p q) computed independently."""
    items = analysis.item_analysis(analysis.read_store(small)).set_index("item")
    for i in range(4):
        x = [QUIZ[learner][i] for learner in QUIZ]
        rest = [sum(QUIZ[learner]) - QUIZ[learner][i] for learner in QUIZ]
        m1 = statistics.mean(r for r, xi in zip(rest, x, strict=True) if xi)
        m0 = statistics.mean(r for r, xi in zip(rest, x, strict=True) if not xi)
        p = sum(x) / len(x)
        expected = (m1 - m0) / statistics.pstdev(rest) * math.sqrt(p * (1 - p))
        assert items.loc[f"q{i + 1}", "discrimination"] == pytest.approx(expected)


def test_thresholds_are_parameters(small: Path) -> None:
    responses = analysis.read_store(small)
    items = analysis.item_analysis(responses, easy=0.7, hard=0.3, low=-1).set_index("item")
    assert items.loc["q1", "flags"] == ("too_easy",)
    assert items.loc["q4", "flags"] == ("too_hard", "negative")
    assert items.loc["q2", "flags"] == ()


def test_self_checks_most_often_answered_no(small: Path) -> None:
    table = analysis.self_check_no(analysis.read_store(small))
    # c1: no from alpha, bravo, delta of 5; c2: no from bravo, echo of 4; c3: nobody said no (left out)
    assert table.to_dict("records") == [
        {"item": "c1", "text": "Check item 1", "answered": 5, "no": 3, "no_rate": 0.6},
        {"item": "c2", "text": "Check item 2", "answered": 4, "no": 2, "no_rate": 0.5},
    ]
    assert len(analysis.self_check_no(analysis.read_store(small), top=1)) == 1


def test_training_records_are_counted_without_names_and_listed_with_them(small: Path) -> None:
    responses = analysis.read_store(small)
    counted = analysis.training_records(responses)
    assert counted.to_dict("records") == [
        {
            "session": "s1",
            "sheet": "quiz",
            "title": "The quiz",
            "library_version": "lib-v1",
            "learners": 4,
            "passed": 3,
            "first": "2026-11-20T10:00:01.000000Z",
            "last": "2026-11-20T10:00:03.000000Z",
            "mean_percent": 50.0,
        }
    ]
    named = analysis.training_records(responses, show_names=True)
    assert list(named["learner"]) == sorted(QUIZ)
    assert list(named["name"]) == [NAMES[learner] for learner in sorted(QUIZ)]
    assert list(named["passed"]) == [1, 1, 1, 0]
    assert set(named["library_version"]) == {"lib-v1"}


def test_filters_by_session_and_audience(small: Path) -> None:
    only = analysis.read_store(small, audience="families")
    assert list(analysis.completion(only)["session"]) == ["s2"]
    assert analysis.item_analysis(only).empty and analysis.score_summary(only).count == 0
    # by audience, then session: families (s2) before retired (s1)
    assert list(analysis.completion(analysis.read_store(small, session="s1,s2"))["session"]) == ["s2", "s1"]
    with pytest.raises(analysis.StoreError, match=r"no session 's9' in the store; valid: s1, s2"):
        analysis.read_store(small, session="s9")
    with pytest.raises(analysis.StoreError, match=r"no audience 'retird' in the store; valid: families, retired"):
        analysis.read_store(small, audience="retird")
    quiz = analysis.read_store(small, sheet="quiz")
    assert list(analysis.completion(quiz)["opened"]) == [4]  # echo and foxtrot only touched worksheets
    assert set(quiz.answers["sheet"]) == {"quiz"} and len(quiz.results) == 16
    worksheets = analysis.read_store(small, sheet="worksheet")
    assert worksheets.submissions.empty and worksheets.results.empty
    assert len(worksheets.answers) == sum(map(len, CHECKS.values())) + 1
    with pytest.raises(analysis.StoreError, match=r"no sheet in the store matches audience families; sheet quiz"):
        analysis.read_store(small, audience="families", sheet="quiz")


# Privacy


def test_default_report_names_nobody(small: Path) -> None:
    html = make_report(store=str(small), date=DATE).html
    for learner, name in NAMES.items():
        assert learner not in html and name not in html
    assert "Aggregates only" in html
    assert "Check item 1" in html and "Question 4" in html  # the figures are there


def test_names_appear_when_asked(small: Path) -> None:
    html = make_report(store=str(small), date=DATE, edition="named").html
    for learner in QUIZ:
        assert learner in html and NAMES[learner] in html
    assert "keep it confidential" in html


# A large generated store: the figures match what the data was made from.


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    path = tmp_path_factory.mktemp("generated") / "store.db"
    return path, generate(path, 800, sessions=4, seed=7)


def test_the_items_built_to_be_bad_are_the_flagged_ones(generated: tuple[Path, Any]) -> None:
    path, truth = generated
    items = analysis.item_analysis(analysis.read_store(path)).set_index("item")
    flagged = {item: flags for item, flags in items["flags"].items() if flags}
    assert set(flagged) == set(truth.bad_items)
    # an item that does not discriminate at all correlates around 0, a little below by chance or a little above
    reasons = {"too_easy": {"too_easy"}, "too_hard": {"too_hard"}, "negative": {"negative"}}
    reasons["no_discrimination"] = {"low_discrimination", "negative"}
    for item, built_as in truth.bad_items.items():
        assert reasons[built_as] & set(flagged[item]), (item, built_as, flagged[item])


def test_generated_figures_match_what_was_drawn(generated: tuple[Path, Any]) -> None:
    path, truth = generated
    responses = analysis.read_store(path)
    table = analysis.completion(responses).set_index("session")
    for session, audience in truth.sessions.items():
        row = table.loc[session]
        assert (row["audience"], row["opened"], row["saved"], row["submitted"]) == (
            audience,
            truth.opened[session],
            truth.saved[session],
            truth.submitted[session],
        )
    scores = analysis.score_summary(responses)
    assert scores.count == len(truth.scores) and scores.passed == truth.passed
    assert scores.mean == pytest.approx(100 * statistics.mean(truth.scores) / len(truth.quiz))
    checks = analysis.self_check_no(responses, top=0).set_index("item")
    for spec in truth.checks:
        assert checks.loc[spec.id, "no"] == truth.no_counts[spec.id]
        assert checks.loc[spec.id, "answered"] == truth.check_answers[spec.id]
    # the most often "no" first: the generator's rates rise with the item number
    assert list(checks.index) == [spec.id for spec in reversed(truth.checks)]


def test_difficulty_estimates_the_models_proportion_correct(generated: tuple[Path, Any]) -> None:
    path, truth = generated
    items = analysis.item_analysis(analysis.read_store(path)).set_index("item")
    n = len(truth.scores)
    for spec in truth.quiz[:: len(truth.quiz) // 8]:
        p = expected_difficulty(spec)
        margin = 4 * math.sqrt(p * (1 - p) / n) + 0.01
        assert abs(items.loc[spec.id, "difficulty"] - p) < margin, spec


def test_generated_store_with_the_librarys_own_items(bundled: Any, tmp_path: Path) -> None:
    path = tmp_path / "library.db"
    truth = generate(path, 300, library=bundled)
    quiz = json.loads(sqlite3.connect(path).execute("SELECT items FROM sheets WHERE sheet = 'quiz'").fetchone()[0])
    assert [item["id"] for item in quiz] == [spec.id for spec in truth.quiz]
    assert all(bundled.question(item["id"]).stem == item["text"] for item in quiz)
    responses = analysis.read_store(path)
    items = analysis.item_analysis(responses).set_index("item")
    assert {item for item, flags in items["flags"].items() if flags} == set(truth.bad_items)
    checks = analysis.self_check_no(responses, top=0)
    assert set(checks["item"]) == {spec.id for spec in truth.checks}
    prompts = {prompt.id: prompt.text for prompt in bundled.prompts}
    assert all(text == prompts[item] for item, text in zip(checks["item"], checks["text"], strict=True))
    records = analysis.training_records(responses)
    assert set(records["library_version"]) == {bundled.version}
    html = make_report(store=str(path), date=DATE).html
    assert bundled.version in html and "Integrity knowledge quiz" in html


def test_generator_is_deterministic(tmp_path: Path) -> None:
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    generate(a, 60, seed=3)
    generate(b, 60, seed=3)
    dump = [list(sqlite3.connect(p).iterdump()) for p in (a, b)]
    assert dump[0] == dump[1]
    assert len(default_quiz(40)) == 40 and len(default_quiz(6)) == 6


# The rendered report


def test_report_html_has_each_part_and_charts(generated: tuple[Path, Any]) -> None:
    path, truth = generated
    report = make_report(store=str(path), date=DATE)
    html = report.html
    for heading in ("Completion by audience and session", "Score distribution", "Question analysis"):
        assert f"<h2>{heading}</h2>" in html
    assert "Self-check items most often answered “no”" in html and "Training records" in html
    assert html.count("<svg") == 4
    assert "<script" not in html and "<metadata>" not in html
    assert re.findall(r'(?:src|href)="(?!#)[^"]*"', html) == []  # loads nothing: only links within the page
    assert f"{len(truth.bad_items)} of {len(truth.quiz)} questions to review." in html
    assert report.document.counts["submissions"] == len(truth.scores)
    assert f"{report.document.counts['saves']} saves" in html and "library version synthetic-0001" in html


def test_a_library_named_explicitly_must_load(small: Path, tmp_path: Path) -> None:
    from toolkit.errors import LibraryError

    with pytest.raises(LibraryError, match="no library at"):
        make_report(store=str(small), library=str(tmp_path / "nowhere"))


def test_chinese_report(small: Path) -> None:
    html = make_report(store=str(small), date=DATE, lang="zh-CN", library="").html
    assert "培训成效报告" in html and "试题分析" in html and "退休干部" in html  # the audience's label
    assert "Question analysis" not in html


def test_same_data_same_bytes(generated: tuple[Path, Any], tmp_path: Path) -> None:
    path, _ = generated
    first = make_report(store=str(path), date=DATE).html
    assert make_report(store=str(path), date=DATE).html == first
    # the same data written again into another store: the same page but for the store's path
    again = tmp_path / "again.db"
    generate(again, 800, sessions=4, seed=7)
    second = make_report(store=str(again), date=DATE).html
    assert second.replace(str(again), str(path)) == first
    svg = re.findall(r"<svg.*?</svg>", first, re.S)
    assert svg and not any("<dc:date>" in chart for chart in svg)
    ids = re.findall(r'\bid="([^"]+)"', first)
    assert len(ids) == len(set(ids)) > 100, "the charts share no element id"
    for target in re.findall(r'(?:href="#|url\(#)([^")]+)', first):
        assert target in ids


def test_the_store_is_read_as_of_one_moment(small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A learner who submits while the report reads the store is in every table or in none."""
    read = analysis.pd.read_sql_query
    writer = connect(small)

    def read_then_submit(sql: str, *args: Any, **kwargs: Any) -> Any:
        frame = read(sql, *args, **kwargs)
        if "FROM answers" in sql:  # between reading the answers and the submissions, echo submits
            writer.execute("BEGIN IMMEDIATE")
            writer.execute("INSERT INTO submissions VALUES ('s1', 'quiz', 'learner-echo', 'now', 4, 4, 1, 0.5)")
            _save(writer, "s1", "quiz", "learner-echo", "q1", "A", 99)
            writer.execute("COMMIT")
        return frame

    monkeypatch.setattr(analysis.pd, "read_sql_query", read_then_submit)
    responses = analysis.read_store(small)
    assert "learner-echo" not in set(responses.submissions["learner"])
    assert len(responses.answers) == sum(map(len, CHECKS.values())) + 1 + 16
    monkeypatch.undo()
    assert "learner-echo" in set(analysis.read_store(small).submissions["learner"])  # it was committed
    writer.close()


def test_reading_leaves_the_store_as_it_was(small: Path) -> None:
    before = hashlib.sha256(small.read_bytes()).hexdigest()
    make_report(store=str(small), date=DATE)
    assert hashlib.sha256(small.read_bytes()).hexdigest() == before


# Errors


def test_missing_empty_and_foreign_stores_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(analysis.StoreError) as caught:
        analysis.read_store(tmp_path / "none.db")
    assert str(caught.value) == f"{tmp_path / 'none.db'}: no response store there (the file does not exist)"
    empty = tmp_path / "empty.db"
    connect(empty).close()
    with pytest.raises(analysis.StoreError, match=r"empty.db: the store is empty \(no worksheet or quiz"):
        analysis.read_store(empty)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE x (a)").connection.commit()
    with pytest.raises(analysis.StoreError, match=r"other.db: not a response store \(no table sheets, learners"):
        analysis.read_store(other)
    text = tmp_path / "notes.db"
    text.write_text("not a database at all, just some text " * 40)
    with pytest.raises(analysis.StoreError, match=r"notes.db: not a response store \(file is not a database\)"):
        analysis.read_store(text)


def test_bad_parameters_name_what_is_valid(small: Path) -> None:
    with pytest.raises(ParameterError, match=r"unknown parameter 'editon' \(did you mean 'edition'\?\)"):
        make_report(store=str(small), editon="named")
    with pytest.raises(
        ParameterError, match=r"'edition' is 'names' \(did you mean 'named'\?\); valid: aggregate, named"
    ):
        make_report(store=str(small), edition="names")
    with pytest.raises(ParameterError, match=r"'store' is empty"):
        make_report()
    with pytest.raises(ParameterError, match=r"parameter 'lang' is 'fr'; valid: en, zh-CN"):
        make_report(store=str(small), lang="fr")
    with pytest.raises(ParameterError, match=r"parameter 'date' is '1 Dec'; valid: a date as YYYY-MM-DD"):
        make_report(store=str(small), date="1 Dec")
    with pytest.raises(ParameterError, match=r"parameter 'easy' is 95; valid: -1 to 1"):
        make_report(store=str(small), easy=95)
    with pytest.raises(ParameterError, match=r"parameter 'top_checks' is -1; valid: 0 or more"):
        make_report(store=str(small), top_checks=-1)


def test_numbers_take_text_and_refuse_what_is_not_a_number(small: Path) -> None:
    """The report's thresholds are float parameters: papermill's -p and the command line pass text."""
    assert make_report(store=str(small), date=DATE, easy="0.9").parameters["easy"] == 0.9
    assert make_report(store=str(small), date=DATE, hard=0).parameters["hard"] == 0.0
    with pytest.raises(ParameterError, match=r"parameter 'easy' must be a number, not True"):
        make_report(store=str(small), easy=True)
    with pytest.raises(ParameterError, match=r"parameter 'low_discrimination' must be a number, not 'low'"):
        make_report(store=str(small), low_discrimination="low")
    with pytest.raises(ParameterError, match=r"parameter 'hard' is -1.5; valid: -1 to 1"):
        make_report(store=str(small), hard=-1.5)


def test_the_report_is_a_document_kind_but_not_a_handout(bundled: Any, tmp_path: Path) -> None:
    """A row of the documents table, made alone: no default build makes it for each audience, and a
    spec or --documents asking for it is refused in one line naming the handouts."""
    from toolkit.batch.spec import Overrides, default_spec, load_spec
    from toolkit.documents import handouts
    from toolkit.errors import SpecError

    assert "report" in DOCUMENTS and "report" not in handouts()
    assert all("report" not in session.documents for session in default_spec(bundled).sessions)
    with pytest.raises(
        SpecError,
        match=r"--documents: document 'report' is not made for each session; valid: casebook, outline, worksheet, quiz$",
    ):
        default_spec(bundled, Overrides(documents=["report"]))
    spec = tmp_path / "spec.yaml"
    spec.write_text("documents: [quiz, report]\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"spec.yaml:1: document 'report' is not made for each session"):
        load_spec(spec, lambda path: bundled)


def test_one_today_for_the_report_and_every_handout(small: Path, bundled: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A blank date is the same "today" everywhere: the report's cover and the handouts' come from one
    function (the local date of the machine building them), not one clock each."""
    from toolkit.documents import assemble, params

    monkeypatch.setattr(params, "today", lambda: "2031-02-03")
    assert make_report(store=str(small)).document.cover.date == "2031-02-03"
    assert "2031-02-03" in make_report(store=str(small)).html
    for name in ("casebook", "outline", "worksheet", "quiz"):
        assert assemble(name, {"audience": "retired"}, bundled).cover.date == "2031-02-03"


def test_the_reports_cover_escapes_its_title_and_unit(small: Path) -> None:
    html = make_report(store=str(small), date=DATE, title="Before <Spring Festival> & after", unit="<b>Unit</b>").html
    assert "<Spring Festival>" not in html and "<b>Unit</b>" not in html
    assert "Before &lt;Spring Festival&gt; &amp; after" in html and "&lt;b&gt;Unit&lt;/b&gt;" in html


def test_a_file_of_the_wrong_format_is_refused_before_anything_runs(small: Path, tmp_path: Path) -> None:
    from toolkit.batch import build_file, file_format

    assert file_format("report", tmp_path / "r.pdf").name == "pdf"
    assert file_format("outline", tmp_path / "o.slides.html").name == "slides"
    with pytest.raises(ParameterError, match=r"unknown report format '.docx'; valid: .html, .pdf$"):
        build_file("report", {"store": str(small)}, handout.cached_library(""), tmp_path / "r.docx")
    with pytest.raises(ParameterError, match=r"parameter 'edition' is 'all'"):
        build_file("report", {"store": str(small), "edition": "all"}, handout.cached_library(""), tmp_path / "r.html")
    with pytest.raises(ParameterError, match=r"the interactive edition of quiz is not built; valid: learner, key"):
        build_file("quiz", {"edition": "interactive"}, handout.cached_library(""), tmp_path / "q.html")
    assert list(tmp_path.iterdir()) == [small]  # nothing written


def test_a_session_with_nothing_submitted(small: Path) -> None:
    html = make_report(store=str(small), date=DATE, audience="families").html
    assert "Nothing has been submitted yet." in html and "No quiz has been graded yet." in html
    assert "No self-check item has been answered “no”." in html
    assert html.count("<svg") == 1  # completion only: no scores, questions or "no" answers to draw


def test_cli_errors_are_one_line(small: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--store", str(tmp_path / "none.db"), "--out", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no response store there" in err
    empty = tmp_path / "empty.db"
    connect(empty).close()
    assert main(["report", "--store", str(empty), "--out", str(tmp_path / "r.html")]) == 2
    assert "the store is empty" in capsys.readouterr().err
    assert main(["report", "--store", str(small), "--session", "s9", "--out", str(tmp_path / "r.html")]) == 2
    assert capsys.readouterr().err == f"lianzheng: {small}: no session 's9' in the store; valid: s1, s2\n"
    assert main(["report", "--store", str(empty), "--out", str(tmp_path / "r.docx")]) == 2
    assert "unknown report format '.docx'; valid: .html, .pdf" in capsys.readouterr().err
    assert sorted(tmp_path.iterdir()) == sorted([empty, small])  # nothing written


# The notebook and the command


@pytest.mark.slow
def test_notebook_runs_under_papermill(small: Path, tmp_path: Path) -> None:
    import papermill

    nb = papermill.execute_notebook(
        str(notebooks_dir() / "report.ipynb"),
        str(tmp_path / "out.ipynb"),
        parameters={"store": str(small), "date": DATE, "session": "s1"},
        progress_bar=False,
    )
    html = next(o for c in nb.cells for o in c.get("outputs", []) if "text/html" in o.get("data", {}))["data"][
        "text/html"
    ]
    assert "Question analysis" in html and "Check item 1" in html and "s2" not in html
    assert not any(learner in html for learner in NAMES)
    meta = next(o for c in nb.cells for o in c.get("outputs", []) if "lianzheng" in o.get("metadata", {}))
    assert meta["metadata"]["lianzheng"]["document"] == "report"


@pytest.mark.slow
def test_lianzheng_report_writes_html_and_pdf(
    generated: tuple[Path, Any], tmp_path: Path, warm: None, capsys: pytest.CaptureFixture[str]
) -> None:
    path, truth = generated
    html_path, pdf_path = tmp_path / "report.html", tmp_path / "report.pdf"
    assert main(["report", "--store", str(path), "--out", str(html_path), "--date", DATE]) == 0
    out = capsys.readouterr().out
    assert f"{html_path}: trainer report of {path.resolve()}" in out and f"{len(truth.scores)} submissions" in out
    html = html_path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert re.search(r'<meta content="2026-12-01" name="dcterms.created"', html)
    assert re.search(r'<meta content="synthetic-0001" name="lianzheng:library-version"', html)
    assert "<h2>Question analysis</h2>" in html and html.count("<svg") == 4
    assert not re.search(r"Learner \d{4}|L\d{4}", html)
    first = html_path.read_bytes()
    assert main(["report", "--store", str(path), "--out", str(html_path), "--date", DATE]) == 0
    assert html_path.read_bytes() == first, "same data, same bytes"

    assert main(["report", "--store", str(path), "--out", str(pdf_path), "--date", DATE, "--show-names"]) == 0
    assert pdf_path.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-layout", str(pdf_path), "-"], capture_output=True, text=True, check=True)
    assert "Training results report" in text.stdout and "Question analysis" in text.stdout
    first_learner = sqlite3.connect(path).execute("SELECT min(learner) FROM submissions").fetchone()[0]
    assert first_learner in text.stdout and "keep it confidential" in text.stdout
    flow = subprocess.run(["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, check=True).stdout
    # the name, wrapped in its column: pdftotext reads the next cells' first lines in between
    assert re.search(rf"Learner\s+(?:\S+\s+){{0,6}}{first_learner[1:]}\b", flow)
    pdf = pdf_path.read_bytes()
    assert main(["report", "--store", str(path), "--out", str(pdf_path), "--date", DATE, "--show-names"]) == 0
    assert pdf_path.read_bytes() == pdf
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "report.pdf"]  # no staged files left


@pytest.mark.slow
@pytest.mark.browser
def test_report_page_in_chromium(
    generated: tuple[Path, Any], tmp_path: Path, warm: None, tab: Any, artifacts: Path
) -> None:
    """The exported page in a real browser: charts drawn at a readable size, nothing wider than the
    window, nothing loaded from outside, the questions to review highlighted."""
    from toolkit import bundled_library, load_library
    from toolkit.batch import build_file

    path, truth = generated
    page_path = tmp_path / "report.html"
    build_file("report", {"store": str(path), "date": DATE}, load_library(bundled_library()), page_path)
    tab.page.goto(page_path.as_uri())
    sizes = tab.page.evaluate(
        "[...document.querySelectorAll('figure.lz-chart svg')].map(s => s.getBoundingClientRect())"
        ".map(r => [r.width, r.height])"
    )
    assert len(sizes) == 4 and all(width > 300 and height > 100 for width, height in sizes), sizes
    assert tab.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    flagged = tab.page.locator("table.lz-items tr.lz-flagged td:nth-child(2)").all_inner_texts()
    assert sorted(flagged) == sorted(truth.bad_items)
    tab.page.screenshot(path=str(artifacts / "trainer-report.png"), full_page=True)
    assert tab.refused == [] and tab.errors == []


@pytest.mark.slow
def test_a_failed_run_leaves_the_previous_report(
    small: Path, tmp_path: Path, warm: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from toolkit import paths

    out = tmp_path / "out" / "report.html"
    assert main(["report", "--store", str(small), "--out", str(out), "--date", DATE]) == 0
    before = out.read_bytes()
    broken = tmp_path / "notebooks"
    broken.mkdir()
    nb = nbformat.read(notebooks_dir() / "report.ipynb", as_version=4)
    nb.cells[-1].source = "raise RuntimeError('the disk is full')"
    nbformat.write(nb, broken / "report.ipynb")
    monkeypatch.setattr(paths, "notebooks_dir", lambda: broken)
    assert main(["report", "--store", str(small), "--out", str(out), "--date", "2026-12-02"]) == 2
    assert capsys.readouterr().err == "lianzheng: report notebook failed: RuntimeError: the disk is full\n"
    assert out.read_bytes() == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["report.html"]  # no staged files left
