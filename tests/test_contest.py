"""The knowledge contest: scoring of every round type, the draw, the buzzer order under simultaneous
presses (in the room and over HTTP), what the store keeps, the report, bad input, escaping, and a real
browser with the console, the screen and two team pages."""

from __future__ import annotations

import json
import sqlite3
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from toolkit import handout
from toolkit.cli import main
from toolkit.contest import ContestRoom, Plan, Points, Settings, draw, points, standings
from toolkit.contest.rounds import Scored, check_given, check_stake, is_correct, missed
from toolkit.contest.server import Running
from toolkit.errors import ContestError
from toolkit.library.catalog import Library
from toolkit.testing.payloads import PAYLOADS
from toolkit.testing.synthetic import generate


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def room_for(library: Library, store: Path, teams: int = 2, plan: Plan | None = None, **kw: Any) -> ContestRoom:
    plan = plan or Plan(1, 2, 1)
    room = ContestRoom(library, store, Settings(session="s1", audience="newly-promoted", lang="zh-CN", plan=plan), **kw)
    room.setup([f"队{n}" for n in range(1, teams + 1)])
    return room


# --- scoring, pure ------------------------------------------------------------------------------------


def test_scoring_of_every_round_type() -> None:
    table = Points(required=10, buzzer=20, buzzer_wrong=5, stakes=(10, 20, 30))
    assert [points("required", c, table) for c in (True, False)] == [10, 0]
    assert [points("buzzer", c, table) for c in (True, False)] == [20, -5]
    assert [points("risk", c, table, stake=s) for c in (True, False) for s in (10, 30)] == [10, 30, -10, -30]
    with pytest.raises(ContestError, match=r"^stake 15 is not valid; valid: 10, 20, 30$"):
        points("risk", True, table, stake=15)
    with pytest.raises(ContestError, match="none was chosen"):
        points("risk", True, table)
    with pytest.raises(ContestError, match=r"^round 'final' is not valid; valid: required, buzzer, risk$"):
        points("final", True, table)
    with pytest.raises(ContestError, match="stake True"):
        check_stake(True, table)


def test_standings_and_most_missed() -> None:
    scored = [
        Scored("required", 1, True, 10, "q1"),
        Scored("required", 2, False, 0, "q2"),
        Scored("buzzer", 2, True, 10, "q3"),
        Scored("risk", 1, False, -20, "q4"),
        Scored("risk", 2, True, 0, "q4"),
        Scored("buzzer", None, None, 0, "q5"),
    ]
    board = standings([(1, "A"), (2, "B"), (3, "C")], scored)
    assert [(s.name, s.total, s.place) for s in board] == [("B", 10, 1), ("C", 0, 2), ("A", -10, 3)]
    assert board[2].by_round == {"required": 10, "buzzer": 0, "risk": -20}
    tied = standings([(1, "A"), (2, "B")], [])
    assert [s.place for s in tied] == [1, 1]
    assert missed(scored)[:2] == [("q2", 1, 1), ("q4", 2, 1)] and ("q1", 1, 0) in missed(scored)


def test_answers_checked_and_graded() -> None:
    single = {"id": "q", "options": [["A", "x"], ["B", "y"]], "answer": "B"}
    multiple = {"id": "m", "options": [["A", "x"], ["B", "y"], ["C", "z"]], "answer": ["A", "C"]}
    truth = {"id": "t", "options": [], "answer": False}
    assert is_correct(check_given("B", single), "B") and not is_correct(check_given("A", single), "B")
    assert is_correct(check_given(["C", "A"], multiple), ["A", "C"]) and not is_correct(["A"], ["A", "C"])
    assert is_correct(check_given(False, truth), False) and not is_correct(check_given(True, truth), False)
    for given, question, valid in (
        ("E", single, "valid: A, B$"),
        (["A", "A"], multiple, "valid: a list of one or more of A, B, C$"),
        ("false", truth, "valid: true, false$"),
    ):
        with pytest.raises(ContestError, match=valid):
            check_given(given, question)


# --- the draw -------------------------------------------------------------------------------------------


def test_the_draw_is_seeded_stratified_and_assigns_rounds(bundled: Library) -> None:
    plan = Plan(required=2, buzzer=4, risk=1)
    first = draw(bundled, "newly-promoted", "zh-CN", 3, plan, seed=5)
    assert first == draw(bundled, "newly-promoted", "zh-CN", 3, plan, seed=5)
    assert [q.item["id"] for q in first] != [q.item["id"] for q in draw(bundled, "newly-promoted", "zh-CN", 3, plan, 6)]
    assert [(q.round, q.team) for q in first] == [
        *[("required", t) for t in (1, 2, 3, 1, 2, 3)],
        *[("buzzer", None)] * 4,
        *[("risk", t) for t in (1, 2, 3)],
    ]
    assert len({q.item["id"] for q in first}) == 13  # no question twice
    assert len({q.item["discipline"] for q in first}) >= 5  # stratified across the six disciplines
    assert all("\u4e00" <= q.item["text"][0] <= "\u9fff" or q.item["text"][0] in "“《" for q in first)
    risk_difficulty = [bundled.question(q.item["id"]).difficulty for q in first if q.round == "risk"]
    assert min(risk_difficulty) >= max(bundled.question(q.item["id"]).difficulty for q in first[:3]) - 1


# --- the buzzer ------------------------------------------------------------------------------------------


def to_buzzer(room: ContestRoom) -> None:
    """Move the room to its first buzzer question, shown."""
    while room.current is not None and room.current.question.round != "buzzer":
        room.act("show", {})
        room.act("judge", {"correct": True})
        room.act("next", {})
    room.act("show", {})


def test_simultaneous_presses_one_first_all_kept_in_order(bundled: Library, tmp_path: Path) -> None:
    room = room_for(bundled, tmp_path / "s.sqlite", teams=12, plan=Plan(0, 1, 0))
    to_buzzer(room)
    start = threading.Barrier(12)
    ranks: dict[int, int] = {}

    def press(team: int) -> None:
        start.wait()
        ranks[team] = room.act("buzz", {}, team=team)["rank"]

    threads = [threading.Thread(target=press, args=(team,)) for team in range(1, 13)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(ranks.values()) == list(range(1, 13))  # exactly one first, no rank twice
    first = next(team for team, rank in ranks.items() if rank == 1)
    assert room.snapshot("console")["floor"] == first
    with closing(sqlite3.connect(tmp_path / "s.sqlite")) as conn:
        rows = conn.execute("SELECT id, team, rank, pressed_at FROM contest_presses ORDER BY id").fetchall()
    assert [rank for _, _, rank, _ in rows] == list(range(1, 13))  # arrival order is rank order
    assert [at for *_, at in rows] == sorted(at for *_, at in rows)  # the server's clock never runs back
    assert {team: rank for _, team, rank, _ in rows} == ranks
    assert room.act("buzz", {}, team=first)["rank"] == 1  # a second tap keeps its place
    with pytest.raises(ContestError, match="not your team's turn"):
        room.act("answer", {"given": "A"}, team=first % 12 + 1)
    room.close()


def http(url: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


@pytest.fixture
def running(bundled: Library, tmp_path: Path) -> Iterator[Running]:
    room = ContestRoom(
        bundled, tmp_path / "live.sqlite", Settings(session="live", audience="retired", lang="en", plan=Plan(1, 2, 1))
    )
    server = Running(room)
    yield server
    server.stop()
    room.close()


def test_presses_over_http_from_many_clients(running: Running) -> None:
    room = running.room
    names = [p.text[:40] for p in PAYLOADS if p.one_line and p.text.strip()][:8]
    status, result = http(f"{running.url}/api/setup", {"key": room.console_key, "teams": names})
    assert status == 200, result
    to_buzzer(room)
    start = threading.Barrier(len(names))
    results: dict[int, dict[str, Any]] = {}

    def press(team: int) -> None:
        start.wait()
        results[team] = http(
            f"{running.url}/api/act", {"team": team, "key": room.team_keys[team - 1], "action": "buzz"}
        )[1]

    threads = [threading.Thread(target=press, args=(team,)) for team in range(1, len(names) + 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r["rank"] for r in results.values()) == list(range(1, len(names) + 1))
    status, state = http(f"{running.url}/api/state?view=projector")
    assert [p["rank"] for p in state["presses"]] == list(range(1, len(names) + 1))
    assert state["floor"] == state["presses"][0]["team"] and "key" not in state  # no answer before it is revealed
    assert [t["name"] for t in state["teams"]] == [" ".join(n.split()) for n in names]  # names kept as text
    # a team's key does not open another team, and the console's actions need the console's key
    assert http(f"{running.url}/api/act", {"team": 2, "key": room.team_keys[0], "action": "buzz"})[0] == 400
    assert http(f"{running.url}/api/act", {"key": "guess", "action": "reveal"})[0] == 403
    status, bad = http(
        f"{running.url}/api/act", {"key": room.console_key, "action": "judge", "args": {"correct": "yes"}}
    )
    assert status == 400 and bad == {"error": "correct 'yes' is not valid; valid: true, false"}


def test_pages_escape_and_load_nothing_else(running: Running) -> None:
    room = running.room
    room.setup(["<script>alert(1)</script>", "B"])
    with urllib.request.urlopen(f"{running.url}/team/1?key={room.team_keys[0]}") as response:
        page = response.read().decode()
        policy = response.headers["Content-Security-Policy"]
    assert "<script>alert(1)" not in page and "default-src 'none'" in policy and "http" not in page.split("</title>")[1]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{running.url}/console?key=wrong")
    refused.value.close()
    assert refused.value.code == 403


# --- the store and the report ------------------------------------------------------------------------


def play(room: ContestRoom) -> None:
    """Two teams: required (team 1 right, team 2 wrong), two buzzer questions (team 2 first and right;
    nobody), risk (team 1 stakes 30, wrong; team 2 stakes 10, answers right from its page)."""
    room.act("show", {})
    room.act("judge", {"correct": True})
    room.act("next", {})
    room.act("show", {})
    room.act("judge", {"correct": False})
    room.act("next", {})
    room.act("show", {})
    room.act("buzz", {}, team=2)
    room.act("buzz", {}, team=1)
    room.act("judge", {"correct": True})
    room.act("next", {})
    room.act("show", {})
    room.act("reveal", {})
    room.act("next", {})
    room.act("stake", {"stake": 30})
    room.act("show", {})
    room.act("judge", {"correct": False})
    room.act("next", {})
    with pytest.raises(ContestError, match="has not chosen its stake"):
        room.act("show", {})
    room.act("stake", {"stake": 10}, team=2)
    room.act("show", {})
    room.act("answer", {"given": room.current.question.item["answer"]}, team=2)  # type: ignore[union-attr]
    room.act("next", {})  # past the last question: the contest is over


def test_results_in_the_store_and_the_report(bundled: Library, tmp_path: Path) -> None:
    store = tmp_path / "r.sqlite"
    generate(store, 20, sessions=1, seed=3)  # learners' sheets too: a report needs them
    room = room_for(bundled, store)
    play(room)
    assert room.finished
    board = {line["name"]: line for line in room.snapshot("projector")["scoreboard"]}
    assert board["队1"]["total"] == 10 - 30 and board["队2"]["total"] == 10 + 10
    room.close()
    with closing(sqlite3.connect(store)) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("3",)
        assert conn.execute("SELECT contest, session, finished_at IS NOT NULL FROM contests").fetchall() == [
            ("s1/1", "s1", 1)
        ]
        assert conn.execute("SELECT team, name FROM contest_teams").fetchall() == [(1, "队1"), (2, "队2")]
        assert conn.execute("SELECT count(*) FROM contest_questions").fetchone() == (6,)
        assert conn.execute("SELECT team, rank FROM contest_presses ORDER BY id").fetchall() == [(2, 1), (1, 2)]
        answers = conn.execute(
            "SELECT number, team, correct, stake, points FROM contest_answers ORDER BY number"
        ).fetchall()
    assert answers == [(1, 1, 1, None, 10), (2, 2, 0, None, 0), (3, 2, 1, None, 10), (4, None, None, None, 0),
                       (5, 1, 0, 30, -30), (6, 2, 1, 10, 10)]  # fmt: skip
    html = handout.prepare("report", {"store": str(store), "lang": "zh-CN", "date": "2026-12-02"}).html
    part = html[html.index('class="lz-report-part lz-contest"') :]
    assert "知识竞赛" in part and "各轮得分" in part and "失分最多的题目" in part
    scores = part[part.index("lz-contest-scores") : part.index("</table>")]
    assert "队1" in scores and "-20" in scores and ">-30<" in scores and ">20<" in scores
    missed_part = part[part.index("lz-contest-missed") :]
    assert missed_part.count("<tr") == 1 + 3  # questions 2, 4 and 5 were missed


# --- bad input ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--teams", "Only"], "lianzheng: 1 teams given; valid: from 2 to 12 team names"),
        (["--teams", "A,A"], "lianzheng: team name 'A' is given twice; valid: a different name for each team"),
        (
            ["--teams", "A,B", "--buzzer", "500"],
            "lianzheng: buzzer questions: 500 is not valid; valid: a whole number from 0 to 200",
        ),
        (["--teams", "A,B", "--buzzer", "100"], "lianzheng: the library has 90 questions and the contest needs 106"),
        (["--audience", "mayors"], "lianzheng: --audience is 'mayors'; valid: incumbent-leaders,"),
        (["--stakes", "10,0"], "lianzheng contest: argument --stakes: 0 is out of range; valid: from 1 to 1000"),
    ],
)
def test_bad_input_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    try:
        status = main(["contest", "--store", str(tmp_path / "x.sqlite"), "--session", "s", *args])
    except SystemExit as exit_:  # a usage error, from the argument parser
        status = int(exit_.code or 0)
    err = capsys.readouterr().err
    assert status == 2 and len(err.strip().splitlines()) == 1 and err.startswith(message), err
    assert not (tmp_path / "x.sqlite").exists() or "--buzzer" in args  # refused before the store is made


def test_actions_out_of_turn_are_one_line(bundled: Library, tmp_path: Path) -> None:
    room = ContestRoom(bundled, tmp_path / "o.sqlite", Settings(session="s", audience="retired", lang="en"))
    with pytest.raises(ContestError, match=r"^no contest yet"):
        room.act("show", {})
    room.setup(["A", "B"])
    for action, args, team, message in (
        ("next", {}, None, r"^not now: question 1 is between; valid in revealed$"),
        ("buzz", {}, 1, "^this is not a buzzer question$"),
        ("show", {}, 1, "^a team may not 'show'"),
        ("dance", {}, None, "^action 'dance' is not valid"),
        ("stake", {"stake": 10}, None, "not in the risk round"),
    ):
        with pytest.raises(ContestError, match=message):
            room.act(action, args, team=team)
    room.close()


# --- a real browser -----------------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.slow
def test_console_screen_and_two_teams_in_a_browser(browser: Any, bundled: Library, tmp_path: Path) -> None:
    hostile = next(p for p in PAYLOADS if p.one_line and "<img" in p.text and len(p.text) <= 40)
    room = ContestRoom(
        bundled,
        tmp_path / "b.sqlite",
        Settings(session="b", audience="retired", lang="zh-CN", plan=Plan(0, 2, 0)),
    )
    server = Running(room)
    dialogs: list[str] = []
    try:
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        refused: list[str] = []
        context.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(server.url)
                else (refused.append(route.request.url), route.abort())
            ),
        )
        console = context.new_page()
        console.on("dialog", lambda d: d.accept() if d.type == "confirm" else (dialogs.append(d.message), d.dismiss()))
        console.goto(f"{server.url}/console?key={room.console_key}")
        name = " ".join(hostile.text.split())
        console.fill("[data-lz=teams]", f"{name}\n蓝队")
        console.fill("[data-lz=plan-required]", "0")
        console.fill("[data-lz=plan-risk]", "0")
        console.click("[data-lz=draw]")
        console.wait_for_selector("[data-lz=show]")
        links = [console.get_attribute(f"[data-team-link='{n}']", "href") for n in (1, 2)]
        screen = context.new_page()
        screen.goto(f"{server.url}/projector")
        teams = []
        for link in links:
            page = context.new_page()
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(f"{server.url}{link}")
            teams.append(page)
        teams[1].wait_for_selector("text=蓝队")
        console.click("[data-lz=show]")
        for page in teams:
            page.wait_for_selector("[data-lz=buzz]:not([disabled])")
        teams[1].click("[data-lz=buzz]")  # blue presses first...
        teams[1].wait_for_selector("[data-lz=my-press]")
        teams[0].click("[data-lz=buzz]", force=True, no_wait_after=True)  # ...then the other, if still open
        screen.wait_for_selector("[data-lz=first]:has-text('蓝队抢答成功')")
        console.wait_for_selector("[data-lz=presses] tr:nth-child(2) >> text=蓝队")
        console.wait_for_selector("[data-lz=presses] tr:nth-child(3)")  # the later press is kept, second
        teams[1].reload()  # a reload loses nothing: the press is the server's
        assert "本队是第1个按下的" in teams[1].inner_text("[data-lz=my-press]")
        teams[1].click("[data-lz=answer-" + room.current.question.item["answer"] + "]")  # type: ignore[union-attr,operator]
        screen.wait_for_selector("[data-lz=key]")
        row = screen.locator("[data-lz=scoreboard] tr[data-team='2'] [data-lz=total]")
        assert row.inner_text() == "10"
        screen.reload()
        assert screen.locator("[data-lz=scoreboard] tr[data-team='2'] [data-lz=total]").inner_text() == "10"
        assert "依据条规" in screen.inner_text("[data-lz=key]")
        console.reload()
        console.wait_for_selector("[data-lz=next]")
        assert "蓝队" in console.inner_text("[data-lz=presses]")
        assert [p["team"] for p in room.snapshot("console")["presses"]] == [2, 1]
        assert teams[0].inner_text("[data-lz=me]") == name  # the hostile name shown as text
        for page in (console, screen, *teams):
            assert page.locator("main img, main svg, main iframe").count() == 0
        assert not dialogs and not refused
        console.click("[data-lz=finish]")  # asks first; the test's dialog handler says yes
        screen.wait_for_selector("text=比赛结束，最终得分")
        assert room.finished
        context.close()
    finally:
        server.stop()
        room.close()


@pytest.mark.slow
def test_the_report_pdf_shows_the_contest(bundled: Library, tmp_path: Path) -> None:
    import subprocess

    from toolkit.documents import assemble, check_parameters
    from toolkit.render.pdf import to_pdf

    store = tmp_path / "p.sqlite"
    generate(store, 20, sessions=1, seed=3)
    room = room_for(bundled, store)
    play(room)
    room.close()
    params = check_parameters("report", {"store": str(store), "lang": "zh-CN", "date": "2026-12-02"}, bundled)
    (tmp_path / "r.pdf").write_bytes(to_pdf(assemble("report", params, bundled)))
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "知识竞赛" in text and "各轮得分" in text and "失分最多的题目" in text and "队1" in text


def test_the_command_serves_the_pages(tmp_path: Path) -> None:
    import os
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "toolkit.cli", "contest", "--store", str(tmp_path / "c.sqlite")]
    command += ["--session", "cli", "--teams", "甲队,乙队", "--lang", "zh-CN", "--port", str(port)]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        lines = [process.stdout.readline() for _ in range(5)]  # type: ignore[union-attr]
        assert lines[0].startswith("results go to") and "/console?key=" in lines[1]
        assert lines[3].startswith("team 1 (甲队): http://127.0.0.1:") and "/team/1?key=" in lines[3]
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                status, state = http(f"{base}/api/state?view=projector")
                break
            except OSError:
                time.sleep(0.05)
        assert status == 200 and [t["name"] for t in state["teams"]] == ["甲队", "乙队"]
        assert state["phase"] == "between" and "question" not in state  # announced, not shown
        with urllib.request.urlopen(lines[3].split(": ", 1)[1].strip()) as response:
            assert "参赛队答题页" in response.read().decode()
    finally:
        process.terminate()
        process.communicate(timeout=10)


@pytest.mark.browser
@pytest.mark.slow
def test_planted_questions_stay_text_on_every_page(browser: Any, tmp_path: Path) -> None:
    from toolkit.library.load import load_library
    from toolkit.paths import default_library
    from toolkit.testing.payloads import plant_library

    planting = plant_library(default_library(), tmp_path / "library")
    library = load_library(planting.root)
    settings = Settings(session="p", audience="retired", lang=library.language, plan=Plan(1, 1, 0))
    room = ContestRoom(library, tmp_path / "p.sqlite", settings)
    room.setup([PAYLOADS[0].text[:40], PAYLOADS[1].text[:40]])
    server = Running(room)
    errors: list[str] = []
    try:
        context = browser.new_context()
        context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(server.url) else r.abort())
        pages = {
            "console": f"/console?key={room.console_key}",
            "projector": "/projector",
            "team": f"/team/1?key={room.team_keys[0]}",
        }
        opened = {}
        for name, path in pages.items():
            page = context.new_page()
            page.on("dialog", lambda d: (errors.append(d.message), d.dismiss()))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(server.url + path)
            opened[name] = page
        room.act("show", {})
        room.act("reveal", {})
        stem = room.current.question.item["text"]  # type: ignore[union-attr]
        for name, page in opened.items():
            page.wait_for_selector("[data-lz=key]")
            shown = page.inner_text("main")
            assert " ".join(stem.split())[:30] in " ".join(shown.split()), name
            assert page.locator("main img, main svg, main iframe, main script, main a[href*=evil]").count() == 0
        assert errors == []
        context.close()
    finally:
        server.stop()
        room.close()


def test_a_store_with_only_a_contest_has_a_report(bundled: Library, tmp_path: Path) -> None:
    store = tmp_path / "only.sqlite"
    room = room_for(bundled, store)
    play(room)
    room.close()
    html = handout.prepare("report", {"store": str(store), "lang": "en", "date": "2026-12-02"}).html
    assert "Knowledge contests" in html and "s1/1: 2 teams, 6 questions asked" in html


def test_a_restarted_server_carries_on(bundled: Library, tmp_path: Path) -> None:
    store = tmp_path / "again.sqlite"
    room = room_for(bundled, store)
    room.act("show", {})
    room.act("judge", {"correct": True})  # question 1: team 1 +10
    room.act("next", {})
    room.act("show", {})
    room.act("judge", {"correct": True})  # question 2: team 2 +10
    room.act("next", {})
    room.act("show", {})
    room.act("buzz", {}, team=2)  # question 3 (buzzer): team 2 pressed when the server stopped
    before = room.snapshot("projector")
    room.close()
    again = ContestRoom(bundled, store, room.settings)
    assert again.resume() == "s1/1"
    after = again.snapshot("projector")
    assert after["scoreboard"] == before["scoreboard"] and after["number"] == 3
    assert after["phase"] == "answering" and after["floor"] == 2
    kept = [{k: p[k] for k in ("team", "rank", "at")} for p in after["presses"]]
    assert kept == [{k: p[k] for k in ("team", "rank", "at")} for p in before["presses"]]
    again.act("judge", {"correct": True})
    assert {line["name"]: line["total"] for line in again.snapshot("projector")["scoreboard"]} == {"队1": 10, "队2": 20}
    again.close()
    again = ContestRoom(bundled, store, room.settings)
    again.resume()
    assert again.setup(["甲", "乙"]) == "s1/2"  # a new contest ends the one under way
    again.close()
    with closing(sqlite3.connect(store)) as conn:
        assert conn.execute("SELECT contest FROM contests WHERE finished_at IS NOT NULL").fetchall() == [("s1/1",)]
    fresh = ContestRoom(bundled, tmp_path / "new.sqlite", room.settings)
    assert fresh.resume() is None and fresh.snapshot("projector")["phase"] == "setup"
    fresh.close()


def test_a_team_name_reaches_the_terminal_escaped() -> None:
    from toolkit.contest.draw import check_teams

    with pytest.raises(ContestError) as refused:
        check_teams(["\x1b[2Jred", "\x1b[2Jred"])
    assert "\x1b" not in str(refused.value) and "given twice" in str(refused.value)
