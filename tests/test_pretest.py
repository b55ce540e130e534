"""The pre-appointment test: papers drawn per candidate and stratified, the server's time limit, one re-sit,
the attempts in the store, the candidate's page, the printed papers and keys, and bad input in one line."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from toolkit import Library
from toolkit.cli import main
from toolkit.errors import AttemptsUsedError, ResponseError, SubmittedError, TimeUpError
from toolkit.responses import pretest
from toolkit.responses.pretest import Pretest, allocate, draw, eligible, strata
from toolkit.responses.store import ResponseStore
from toolkit.widgets.pretest import CandidatePage

SESSION = "appoint-2026"
AUDIENCE = "newly-promoted"
START = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


class Clock:
    """A clock the test moves by hand: the server's time as the store sees it."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def store(tmp_path: Path) -> ResponseStore:
    responses = ResponseStore(tmp_path / "responses.sqlite")
    responses.load_roster(SESSION, [("li-ming", "李明"), ("wang-fang", "王芳"), ("zhao-lei", "赵磊")])
    pretest.set_pretest(responses, Pretest(SESSION, AUDIENCE, "zh-CN", questions=40, minutes=30))
    return responses


def expected_allocation(library: Library, count: int, exclude: set[str] = frozenset()) -> dict[tuple[str, int], int]:
    """The allocation as docs/test.md states it, computed here independently with fractions."""
    from fractions import Fraction

    pool = [q for q in eligible(library, AUDIENCE) if q.id not in exclude]
    sizes = Counter((q.discipline, q.difficulty) for q in pool)
    disciplines = [d.id for d in library.taxonomy.disciplines]
    keys = sorted(sizes, key=lambda k: (disciplines.index(k[0]), k[1]))
    shares = {k: Fraction(count * sizes[k], len(pool)) for k in keys}
    places = {k: int(shares[k]) for k in keys}
    left = count - sum(places.values())
    for k in sorted(keys, key=lambda k: (-(shares[k] - places[k]), keys.index(k)))[:left]:
        places[k] += 1
    return {k: v for k, v in places.items() if v}


# -- the draw --------------------------------------------------------------------------------------------------


def test_allocate_is_proportional_by_largest_remainder_with_ties_to_the_earlier_stratum() -> None:
    assert allocate({"a": 5, "b": 3, "c": 2}, 4) == {"a": 2, "b": 1, "c": 1}  # 2.0, 1.2, 0.8
    assert allocate({"a": 1, "b": 1, "c": 1}, 2) == {"a": 1, "b": 1, "c": 0}  # a tie: the earlier strata
    assert allocate({"a": 2, "b": 1}, 10) == {"a": 2, "b": 1}  # never more than the pool
    assert sum(allocate({str(n): n + 1 for n in range(17)}, 40).values()) == 40


def test_a_paper_is_stratified_by_discipline_and_difficulty(bundled: Library) -> None:
    paper = draw(bundled, AUDIENCE, 40, session=SESSION, learner="li-ming", attempt=1)
    assert len(paper) == len({q.id for q in paper}) == 40
    suited = {q.id for q in eligible(bundled, AUDIENCE)}
    assert {q.id for q in paper} <= suited
    # Suited: tagged for the audience or for none; a question tagged only for others is never drawn.
    others = [q for q in bundled.questions if q.audiences and AUDIENCE not in q.audiences]
    assert others and not {q.id for q in others} & suited
    counts = Counter((q.discipline, q.difficulty) for q in paper)
    assert counts == expected_allocation(bundled, 40)
    pool = strata(bundled, eligible(bundled, AUDIENCE))
    assert all(counts[key] >= 40 * len(members) // 84 >= 0 for key, members in pool.items())  # at least its floor
    assert len(counts) >= len(pool) - 1  # 18 strata; only life/3, one question of 84 (0.48 of a place), may miss out
    # The paper is ordered by question type, as the printed quiz groups it.
    types = [t.id for t in bundled.taxonomy.question_types]
    assert [types.index(q.type) for q in paper] == sorted(types.index(q.type) for q in paper)


def test_draws_are_deterministic_per_candidate_and_differ_between_candidates(bundled: Library) -> None:
    def ids(learner: str, attempt: int = 1, session: str = SESSION) -> list[str]:
        return [q.id for q in draw(bundled, AUDIENCE, 40, session=session, learner=learner, attempt=attempt)]

    assert ids("li-ming") == ids("li-ming")
    assert ids("li-ming") != ids("wang-fang")
    assert ids("li-ming") != ids("li-ming", session="other")
    assert set(ids("li-ming")) != set(ids("wang-fang"))
    # Same draw in a fresh interpreter: nothing random lives in memory only.
    code = (
        "from toolkit import load_library, bundled_library; from toolkit.responses.pretest import draw; "
        f"print(','.join(q.id for q in draw(load_library(bundled_library()), '{AUDIENCE}', 40, "
        f"session='{SESSION}', learner='li-ming', attempt=1)))"
    )

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out.split(",") == ids("li-ming")


# -- attempts, the time limit and the re-sit ------------------------------------------------------------------


def test_the_same_paper_on_reload_and_the_start_time_kept(bundled: Library, store: ResponseStore) -> None:
    clock = Clock()
    first = pretest.open_attempt(store, bundled, SESSION, "li-ming", clock)
    clock.advance(minutes=10)
    again = pretest.open_attempt(ResponseStore(store.path), bundled, SESSION, "li-ming", clock)
    assert again == first and first.started_at == "2026-12-02T09:00:00.000000Z"
    assert first.deadline_at == "2026-12-02T09:30:00.000000Z"
    expected = [q.id for q in draw(bundled, AUDIENCE, 40, session=SESSION, learner="li-ming", attempt=1)]
    assert list(first.questions) == expected == [item["id"] for item in first.items]
    # The draw is stored with the attempt: question ids in order, the items with the answer in this paper's letters.
    row = store.conn.execute("SELECT questions, items FROM attempts WHERE learner = 'li-ming'").fetchone()
    assert json.loads(row[0]) == expected and len(json.loads(row[1])) == 40
    assert first.items[0]["discipline"] and first.items[0]["difficulty"] in (1, 2, 3)


def test_answers_after_the_time_limit_are_refused_by_the_servers_clock(bundled: Library, store: ResponseStore) -> None:
    clock = Clock()
    attempt = pretest.open_attempt(store, bundled, SESSION, "li-ming", clock)
    item = attempt.items[0]
    clock.advance(minutes=29, seconds=59)
    pretest.save_answer(store, attempt, item["id"], item["answer"], clock)
    assert attempt.seconds_left(clock()) == 1
    clock.advance(seconds=2)
    with pytest.raises(TimeUpError, match="time limit passed at 2026-12-02T09:30:00"):
        pretest.save_answer(store, attempt, attempt.items[1]["id"], attempt.items[1]["answer"], clock)
    assert attempt.seconds_left(clock()) == 0
    assert list(pretest.attempt_answers(store, attempt)) == [item["id"]]  # the late answer is nowhere
    done = pretest.submit_attempt(store, attempt, clock)  # submitting after the limit grades what came in time
    assert (done.score, done.max_score, done.passed) == (1.0, 40.0, False)
    with pytest.raises(SubmittedError):
        pretest.save_answer(store, done, item["id"], item["answer"], clock)


def test_a_paper_left_open_past_its_time_is_handed_in_when_next_opened(bundled: Library, store: ResponseStore) -> None:
    clock = Clock()
    attempt = pretest.open_attempt(store, bundled, SESSION, "li-ming", clock)
    for item in attempt.items[:3]:
        pretest.save_answer(store, attempt, item["id"], item["answer"], clock)
    clock.advance(minutes=45)  # the candidate closed the page and never submitted
    closed = pretest.open_attempt(store, bundled, SESSION, "li-ming", clock)
    assert closed.submitted and (closed.score, closed.passed) == (3.0, False)
    assert pretest.start_resit(store, bundled, SESSION, "li-ming", clock).attempt == 2


def answer_all(store: ResponseStore, attempt: pretest.Attempt, clock: Clock, right: int) -> pretest.Attempt:
    for n, item in enumerate(attempt.items):
        value = item["answer"] if n < right else _wrong(item)
        pretest.save_answer(store, attempt, item["id"], value, clock)
    return pretest.submit_attempt(store, attempt, clock)


def _wrong(item: dict[str, object]) -> object:
    answer = item["answer"]
    if isinstance(answer, bool):
        return not answer
    letters = [option[0] for option in item["options"]]  # type: ignore[union-attr, index]
    if isinstance(answer, list):
        return [letter for letter in letters if letter not in answer][:1] or letters[:1]
    return next(letter for letter in letters if letter != answer)


def test_one_resit_without_a_question_seen_and_a_third_attempt_refused(bundled: Library, store: ResponseStore) -> None:
    clock = Clock()
    first = pretest.open_attempt(store, bundled, SESSION, "wang-fang", clock)
    with pytest.raises(ResponseError, match="still open"):
        pretest.start_resit(store, bundled, SESSION, "wang-fang", clock)
    first = answer_all(store, first, clock, right=20)  # 50%: not passed at 60
    assert (first.score, first.passed) == (20.0, False)
    clock.advance(hours=1)
    second = pretest.start_resit(store, bundled, SESSION, "wang-fang", clock)
    assert second.attempt == 2 and second.started_at == "2026-12-02T10:00:00.000000Z"
    assert not set(second.questions) & set(first.questions)
    assert len(second.questions) == 40
    counts = Counter((i["discipline"], i["difficulty"]) for i in second.items)
    labels = {d.id: bundled.taxonomy.label("disciplines", d.id, "zh-CN") for d in bundled.taxonomy.disciplines}
    expected = expected_allocation(bundled, 40, exclude=set(first.questions))
    assert counts == {(labels[d], n): c for (d, n), c in expected.items()}
    assert pretest.open_attempt(store, bundled, SESSION, "wang-fang", clock) == second  # the latest on reload
    second = answer_all(store, second, clock, right=23)
    assert not second.passed
    with pytest.raises(AttemptsUsedError, match="all 2 attempts"):
        pretest.start_resit(store, bundled, SESSION, "wang-fang", clock)
    assert len(pretest.attempts(store, SESSION, "wang-fang")) == 2


def test_no_resit_after_a_pass(bundled: Library, store: ResponseStore) -> None:
    clock = Clock()
    done = answer_all(store, pretest.open_attempt(store, bundled, SESSION, "zhao-lei", clock), clock, right=24)
    assert done.passed and done.score == 24.0  # exactly at the pass mark passes
    with pytest.raises(AttemptsUsedError, match="no re-sit after a pass"):
        pretest.start_resit(store, bundled, SESSION, "zhao-lei", clock)


def test_every_attempt_is_recorded_with_who_when_paper_score_and_passed(bundled: Library, store: ResponseStore) -> None:
    clock = Clock()
    attempt = pretest.open_attempt(store, bundled, SESSION, "li-ming", clock)
    clock.advance(minutes=12)
    answer_all(store, attempt, clock, right=30)
    rows = store.conn.execute(
        "SELECT session, learner, attempt, started_at, submitted_at, score, max_score, passed, pass_mark, questions "
        "FROM attempts"
    ).fetchall()
    assert rows == [
        (
            SESSION,
            "li-ming",
            1,
            "2026-12-02T09:00:00.000000Z",
            "2026-12-02T09:12:00.000000Z",
            30.0,
            40.0,
            1,
            0.6,
            json.dumps(list(attempt.questions)),
        )
    ]
    graded = store.conn.execute("SELECT count(*), sum(correct) FROM results WHERE sheet = 'test:1'").fetchone()
    assert graded == (40, 30)


# -- the candidate's page ---------------------------------------------------------------------------------------


def test_the_page_opens_only_by_the_candidates_own_link_and_shows_the_servers_time(
    bundled: Library, store: ResponseStore
) -> None:
    (issued,) = store.reissue(SESSION, ["li-ming"])
    clock = Clock()
    for token in ("", "wrong", "li-ming"):
        page = CandidatePage(bundled, store.path, SESSION, clock=clock)
        assert not page.open(token)
        assert "个人链接" in page.message.value and not page.controls
    page = CandidatePage(bundled, store.path, SESSION, clock=clock)
    assert page.open(issued.token)
    assert "李明" in page.identity.value and len(page.controls) == 40
    assert "剩余时间：30分0秒" in page.clock_line.value
    assert "本卷共40题" in page.header.value and "第1次考试" in page.header.value
    first = page.attempt
    assert first is not None
    item = first.items[0]
    page.controls[item["id"]].value = item["answer"]  # as the browser sets it
    assert pretest.attempt_answers(store, first) == {item["id"]: item["answer"]}
    clock.advance(minutes=20, seconds=5)
    page.refresh_clock()
    assert "剩余时间：9分55秒" in page.clock_line.value
    # A reload (a new kernel) shows the same paper, the answer given, and the time left as the server counts it.
    again = CandidatePage(bundled, store.path, SESSION, clock=clock)
    assert again.open(issued.token)
    assert [i["id"] for i in again.attempt.items] == list(first.questions)  # type: ignore[union-attr]
    assert again.controls[item["id"]].value == item["answer"]
    assert "剩余时间：9分55秒" in again.clock_line.value
    clock.advance(minutes=10)
    second = first.items[1]
    again.controls[second["id"]].value = second["answer"]
    assert "未保存：本卷考试时间已到。" in again.status.value and "自动交卷" in again.clock_line.value
    assert second["id"] not in pretest.attempt_answers(store, first)
    assert again.submit_button.disabled  # handed in at the limit, on the answers saved in time
    done = again.submit()
    assert done is not None and done.score == 1.0 and not done.passed
    assert "不合格" in again.result.value and "补考机会" in again.result.value
    assert again.resit_button.layout.display is None
    resit = again.resit()
    assert resit is not None and resit.attempt == 2 and not set(resit.questions) & set(first.questions)
    assert "第2次考试" in again.header.value
    done = again.submit()
    assert done is not None and "不能再次参加" in again.result.value
    assert again.resit() is None and "不能再次参加" in again.status.value


def test_the_page_speaks_english_for_an_english_test(bundled: Library, tmp_path: Path) -> None:
    responses = ResponseStore(tmp_path / "r.sqlite")
    (issued,) = responses.load_roster("s", [("li-ming", "Li Ming")]).issued
    pretest.set_pretest(responses, Pretest("s", AUDIENCE, "en", questions=10, minutes=1))
    clock = Clock()
    page = CandidatePage(bundled, responses.path, "s", clock=clock)
    assert page.open(issued.token)
    assert "Time left: 1 min 0 s" in page.clock_line.value
    clock.advance(minutes=2)
    item = page.attempt.items[0]  # type: ignore[union-attr]
    page.controls[item["id"]].value = item["answer"]
    assert "Not saved: the time limit for this paper has passed." in page.status.value


# -- printing -----------------------------------------------------------------------------------------------------


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_printed_papers_and_keys_hold_that_papers_questions_and_answers(bundled: Library, tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("learner,name\nli-ming,李明\nwang-fang,王芳\n", encoding="utf-8")
    args = ["--audience", AUDIENCE, "--candidates", str(roster), "--lang", "zh-CN", "--questions", "12"]
    args += ["--date", "2026-12-02", "--session", SESSION]
    assert main(["test-papers", *args, "--out", str(tmp_path / "a")]) == 0
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [
        "li-ming.key.pdf",
        "li-ming.pdf",
        "wang-fang.key.pdf",
        "wang-fang.pdf",
    ]
    lib = bundled.in_language("zh-CN")
    by_id = {q.id: q for q in lib.questions}
    for learner in ("li-ming", "wang-fang"):
        drawn = draw(bundled, AUDIENCE, 12, session=SESSION, learner=learner, attempt=1)
        paper = "".join(pdf_text(tmp_path / "a" / f"{learner}.pdf").split())  # no line breaks in Chinese text
        key = " ".join(pdf_text(tmp_path / "a" / f"{learner}.key.pdf").split())
        assert "任前廉政法规知识测试" in paper and "参考答案" not in paper
        assert all("".join(by_id[q.id].stem.split())[:30] in paper for q in drawn)
        others = {q.id for q in eligible(bundled, AUDIENCE)} - {q.id for q in drawn}
        assert not any("".join(by_id[i].stem.split())[:30] in paper for i in others)
        items = pretest.paper_items(bundled, drawn, AUDIENCE, "zh-CN", pretest.paper_seed(SESSION, 1, learner, 1))
        keyed = [f"参考答案：{_shown(i)}" for i in items]
        found = [line for line in key.split("参考答案：")[1:]]
        assert [f"参考答案：{part.split()[0]}" for part in found] == keyed
    # Deterministic: the same options give the same bytes.
    assert main(["test-papers", *args, "--out", str(tmp_path / "b")]) == 0
    for name in ("li-ming.pdf", "li-ming.key.pdf"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def _shown(item: dict[str, object]) -> str:
    answer = item["answer"]
    if isinstance(answer, bool):
        return "对" if answer else "错"
    return "".join(answer) if isinstance(answer, list) else str(answer)


# -- bad input: one line -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--count", "2", "--audience", "nobody"], "audience 'nobody' is not valid; valid: incumbent-leaders"),
        (["--count", "2", "--questions", "90"], "too few for a paper of 90; valid: --questions 84 or fewer"),
        (["--candidates", "missing.csv"], "missing.csv"),
    ],
)
def test_bad_input_to_test_papers_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["test-papers", *args, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
    assert not (tmp_path / "out").exists()


def test_a_count_below_one_is_a_usage_error_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["test-papers", "--count", "0", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert "0 is out of range; valid: 1 or more" in err and err.count("\n") == 1, err


def test_serve_test_refuses_without_a_roster_too_large_papers_and_open(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "r.sqlite"
    base = ["serve", "test", "--store", str(store), "--session", SESSION, "--dry-run"]
    assert main(base) == 2
    assert "has no roster" in capsys.readouterr().err
    ResponseStore(store).load_roster(SESSION, [("li-ming", "李明")])
    for extra, message in (
        (["--questions", "50"], "valid: --questions 42 or fewer"),
        (["--open"], "--open is not for a test"),
        (["--lang", "fr"], "language 'fr' is not valid; valid: en, zh-CN"),
        (["--pass-mark", "120"], "--pass-mark 120 is not valid"),
    ):
        assert main([*base, *extra]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
    for extra, message in ((["--minutes", "0"], "0 is out of range"),):
        with pytest.raises(SystemExit):
            main([*base, *extra])
        assert message in capsys.readouterr().err
    base[1] = "quiz,test"
    for extra, message in (([], "'test' is served alone, not with other sheets"),):
        assert main([*base, *extra]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
    base[1] = "test"
    assert main([*base, "--minutes", "45", "--lang", "zh-CN"]) == 0
    assert "45 minutes" in capsys.readouterr().out
    settings = pretest.read_pretest(ResponseStore(store), SESSION)
    assert (settings.questions, settings.minutes, settings.pass_mark, settings.lang) == (40, 45, 0.6, "zh-CN")
    assert (tmp_path / SESSION / "test.ipynb").is_file()


# -- records: the trainer report and the export ------------------------------------------------------------------


@pytest.fixture
def sat(bundled: Library, store: ResponseStore) -> ResponseStore:
    """Li Ming fails, re-sits and passes; Wang Fang has opened her paper and not submitted it."""
    clock = Clock()
    answer_all(store, pretest.open_attempt(store, bundled, SESSION, "li-ming", clock), clock, right=20)
    clock.advance(hours=2)
    resit = pretest.start_resit(store, bundled, SESSION, "li-ming", clock)
    clock.advance(minutes=25)
    answer_all(store, resit, clock, right=31)
    pretest.open_attempt(store, bundled, SESSION, "wang-fang", clock)
    return store


def test_the_report_lists_every_attempt_and_names_nobody_unless_asked(sat: ResponseStore, tmp_path: Path) -> None:
    from toolkit import handout

    values = {"store": str(sat.path), "lang": "zh-CN", "date": "2026-12-02"}
    named = handout.prepare("report", {**values, "edition": "named"})
    rows = [row.cells for row in named.document.attempts]
    assert rows == [
        ("li-ming", "李明", SESSION, "1", "2026-12-02 09:00", "2026-12-02 09:00", "20 / 40", "否"),
        ("li-ming", "李明", SESSION, "2", "2026-12-02 11:00", "2026-12-02 11:25", "31 / 40", "是"),
        ("wang-fang", "王芳", SESSION, "1", "2026-12-02 11:25", "–", "–", "–"),
    ]
    assert named.document.attempts_line == "共2人参加考试3人次，合格1人次。"
    assert "任前廉政法规知识测试考试记录" in named.html and "王芳" in named.html
    from toolkit.render.pdf import to_pdf

    (tmp_path / "report.pdf").write_bytes(to_pdf(named.document))
    printed = "".join(pdf_text(tmp_path / "report.pdf").split())
    assert "任前廉政法规知识测试考试记录" in printed and "31/40" in printed and "王芳" in printed
    aggregate = handout.prepare("report", values)
    assert [row.cells for row in aggregate.document.attempts] == [
        (SESSION, "1", "2", "1", "0", "50.0%"),
        (SESSION, "2", "1", "1", "1", "77.5%"),
    ]
    assert not any(who in aggregate.html for who in ("li-ming", "李明", "wang-fang", "王芳"))
    # Filters apply: the test's audience and sheet keep them, another sheet leaves them out.
    assert len(handout.prepare("report", {**values, "audience": AUDIENCE}).document.attempts) == 2
    assert len(handout.prepare("report", {**values, "sheet": "test"}).document.attempts) == 2
    from toolkit.errors import StoreError

    with pytest.raises(StoreError, match="no sheet 'quiz' in the store; valid: test"):
        handout.prepare("report", {**values, "sheet": "quiz"})


def test_the_export_gains_the_attempts(sat: ResponseStore, tmp_path: Path) -> None:
    import csv

    from openpyxl import load_workbook

    from toolkit.responses.export import export_answers

    made = pretest.attempts(sat, SESSION, "li-ming")
    (opened,) = pretest.attempts(sat, SESSION, "wang-fang")
    assert export_answers(sat.path, tmp_path / "out.csv") == 3 + 80
    with (tmp_path / "out.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    papers = [row for row in rows if row["item"] == "paper"]
    assert [(r["sheet"], r["learner"], r["type"], r["value"].split()) for r in papers] == [
        ("test:1", "li-ming", "attempt", list(made[0].questions)),
        ("test:2", "li-ming", "attempt", list(made[1].questions)),
        ("test:1", "wang-fang", "attempt", list(opened.questions)),
    ]
    assert {r["score"] for r in papers[2:]} == {""}  # not submitted: no score
    resit = [row for row in rows if row["sheet"] == "test:2" and row["item"] != "paper"]
    assert len(resit) == 40 and {r["score"] for r in resit} == {"31.0"} and {r["passed"] for r in resit} == {"True"}
    assert export_answers(sat.path, tmp_path / "out.xlsx") == 83
    sheet = load_workbook(tmp_path / "out.xlsx")["attempts"]
    values = list(sheet.values)
    assert values[0][:3] == ("session", "learner", "attempt")
    assert [(v[1], v[2], v[6], v[8]) for v in values[1:]] == [
        ("li-ming", 1, 20, False),
        ("li-ming", 2, 31, True),
        ("wang-fang", 1, None, None),
    ]
    assert values[2][-1].split() == list(made[1].questions)


# -- end to end: lianzheng serve test, which becomes Voilà ----------------------------------------------------------


@pytest.mark.slow
@pytest.mark.browser
def test_serve_test_in_a_real_browser_paper_by_link_time_left_and_the_same_paper_on_reload(
    browser: Any, tmp_path: Path
) -> None:
    from tests.test_serve import _wait_for, listening, stop
    from toolkit.testing.lab import free_port

    store = tmp_path / "responses.sqlite"
    (issued,) = ResponseStore(store).load_roster(SESSION, [("li-ming", "李明")]).issued
    port = free_port()
    command = [
        sys.executable,
        "-c",
        "import sys; from toolkit.cli import main; sys.exit(main())",
        *("serve", "test", "--store", str(store), "--session", SESSION, "--lang", "zh-CN"),
        *("--questions", "6", "--minutes", "20", "--port", str(port)),
    ]
    log = (tmp_path / "voila.log").open("w")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    base = f"http://127.0.0.1:{port}/"
    refused: list[str] = []

    def route(request_route: Any) -> None:  # an offline room: nothing may leave the server
        if request_route.request.url.startswith(base):
            request_route.continue_()
        else:
            refused.append(request_route.request.url)
            request_route.abort()

    context.route("**/*", route)
    page = context.new_page()
    try:
        listening(server, port, tmp_path / "voila.log")
        page.goto(f"{base}?pass=not-a-token", timeout=90_000)
        page.wait_for_selector(".lz-no-access", timeout=90_000)
        assert not pretest.attempts(ResponseStore(store), SESSION)
        page.goto(f"{base}?pass={issued.token}", timeout=90_000)
        page.wait_for_selector(".lz-time-left", timeout=90_000)
        assert "剩余时间：19分" in page.locator(".lz-time-left").inner_text()  # the server's figure
        (made,) = pretest.attempts(ResponseStore(store), SESSION)
        assert (made.learner, made.attempt, len(made.questions)) == ("li-ming", 1, 6)
        first = made.items[0]
        css = ".lz-item-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in first["id"])
        label = first["answer"] if isinstance(first["answer"], str) else None
        button = page.locator(f"{css} button", has_text=label) if label else page.locator(f"{css} button").first
        button.click()
        saved = _wait_for(lambda: pretest.attempt_answers(ResponseStore(store), made))
        assert list(saved) == [first["id"]]
        page.reload()
        page.wait_for_selector(".lz-time-left", timeout=90_000)
        assert pretest.attempts(ResponseStore(store), SESSION) == [made]  # the same paper, the same start
        chosen = page.locator(f"{css} button.mod-active")
        assert chosen.count() == 1
        assert refused == [], refused
    finally:
        context.close()
        stop(server)
        log.close()


# -- hostile text: the library's questions and the candidates' names --------------------------------------------


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Library:
    from toolkit import load_library
    from toolkit.paths import bundled_library
    from toolkit.testing.payloads import plant_library

    return load_library(plant_library(bundled_library(), tmp_path_factory.mktemp("planted") / "library").root)


class Tags:
    """Every tag and attribute of an HTML text, to tell markup that the page made from markup that got in."""

    def __init__(self, html: str) -> None:
        from html.parser import HTMLParser

        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str]] = []
        tags, attributes = self.tags, self.attributes

        class Parser(HTMLParser):
            def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
                tags.add(tag)
                attributes.extend((name, value or "") for name, value in attrs)

        Parser().feed(html)


def test_hostile_questions_and_names_are_text_on_the_page_and_in_print(planted: Library, tmp_path: Path) -> None:
    from toolkit.responses.printing import write_papers
    from toolkit.testing.payloads import PAYLOADS, traced

    responses = ResponseStore(tmp_path / "r.sqlite")
    names = [p.text for p in PAYLOADS if p.one_line and len(p.text) < 200][:6]
    roster = [(f"c{n}", name) for n, name in enumerate(names)]
    issued = {i.learner: i.token for i in responses.load_roster("s", roster).issued}
    suited = len(eligible(planted, AUDIENCE))
    pretest.set_pretest(responses, Pretest("s", AUDIENCE, "en", questions=suited // 2, minutes=30))
    shown = []
    for learner, _ in roster:
        page = CandidatePage(planted, responses.path, "s", clock=Clock())
        assert page.open(issued[learner]), page.message.value
        html = page.identity.value + page.header.value
        html += "".join(w.value for w in page.body.children if hasattr(w, "value") and isinstance(w.value, str))
        shown.append(html)
    found = Tags("".join(shown))
    assert found.tags <= {"p", "strong", "h1", "div", "ul", "li", "em", "code", "a", "br"}, found.tags
    assert not [name for name, _ in found.attributes if name.startswith("on")]
    assert all(
        value.startswith(("http://", "https://", "mailto:", "#")) for name, value in found.attributes if name == "href"
    )
    # Printed: the names and the questions as text, whatever they hold.
    printed = write_papers(planted, roster[:2], tmp_path / "papers", audience=AUDIENCE, questions=8, date="2026-12-02")
    text = pdf_text(printed[0].paper)
    assert traced(text) and "LZ" in text  # the planted markers are there, as letters on the page
