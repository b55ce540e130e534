"""Who may answer, and when the key shows: rosters and personal links, every way of answering as someone
else (each refused), the key before and after release, shuffled papers that grade alike, the roster file's
errors, the printable links page, and the store's migration from schema version 1."""

from __future__ import annotations

import re
import sqlite3
import stat
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from ipywidgets import HTML, Text, Textarea, Widget

from toolkit import Library, handout
from toolkit.cli import main
from toolkit.documents.handout import Handout
from toolkit.errors import ResponseError
from toolkit.responses.papers import learner_paper
from toolkit.responses.roster import check_base_url, read_roster
from toolkit.responses.schema import SCHEMA_VERSION
from toolkit.responses.store import Issued, ResponseStore, token_hash
from toolkit.widgets.worksheet import LearnerSheet, ManyControl

SESSION = "autumn-2026"
OTHER = "spring-2027"


def prepare(library: Library, store: Path, name: str = "quiz", **values: Any) -> Handout:
    params: dict[str, Any] = {
        "audience": "key-posts",
        "date": "2026-12-01",
        "edition": "interactive",
        "store": str(store),
        "session": SESSION,
        "questions": 6,
    }
    params.update(values)
    return handout.prepare(name, params, library)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "responses.sqlite"


@pytest.fixture
def tokens(store_path: Path) -> dict[str, str]:
    """Two learners on this session's roster, one on another session's; their tokens by learner id."""
    store = ResponseStore(store_path)
    issued = store.load_roster(SESSION, [("li-ming", "李明"), ("wang-fang", "Wang Fang")]).issued
    other = store.load_roster(OTHER, [("zhao-lei", "Zhao Lei")]).issued
    store.close()
    return {entry.learner: entry.token for entry in (*issued, *other)}


def page(
    library: Library, store: Path, monkeypatch: pytest.MonkeyPatch, query: str = "", **values: Any
) -> LearnerSheet:
    """A learner's page as Voilà opens it: the address's query string in the kernel's environment."""
    monkeypatch.setenv("QUERY_STRING", query)
    return LearnerSheet(prepare(library, store, **values))


def widgets_of(root: Widget) -> list[Widget]:
    """Every widget of the page's tree: what a browser (or a forged comm message) can reach."""
    found = [root]
    for child in getattr(root, "children", ()):
        found += widgets_of(child)
    return found


def snapshot(store: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row a learner's page could change, to compare before and after an attempt."""
    conn = sqlite3.connect(store)
    try:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3").fetchall()
            for table in ("learners", "opens", "saves", "answers", "submissions", "results", "roster")
        }
    finally:
        conn.close()


def answer_everything(sheet: LearnerSheet, right: bool = True) -> None:
    """Click, in the learner's page, the right (or a wrong) option of every question."""
    assert sheet.record is not None
    for item in sheet.record.questions():
        control = sheet.controls[item["id"]]
        if item["type"] == "true-false":
            control.widget.value = item["answer"] if right else not item["answer"]
        elif isinstance(control, ManyControl):
            wanted = item["answer"] if right else [v for v in control.toggles if v not in item["answer"]][:1]
            for value in wanted:
                control.toggles[value].value = True
        else:
            values = [value for _, value in control.widget.options]
            control.widget.value = item["answer"] if right else next(v for v in values if v != item["answer"])


# -- impersonation: each attempt, with a real store and the real widgets, must open nothing of B's ------------

Attempt = Callable[[Library, Path, pytest.MonkeyPatch, dict[str, str]], None]


def _no_token(library: Library, store: Path, mp: pytest.MonkeyPatch, tokens: dict[str, str]) -> None:
    sheet = page(library, store, mp, "")
    assert sheet.refusal is not None and sheet.store is None


def _wrong_token(library: Library, store: Path, mp: pytest.MonkeyPatch, tokens: dict[str, str]) -> None:
    sheet = page(library, store, mp, "pass=" + "x" * 32)
    assert sheet.refusal is not None and sheet.store is None


def _another_sessions_token(library: Library, store: Path, mp: pytest.MonkeyPatch, tokens: dict[str, str]) -> None:
    sheet = page(library, store, mp, f"pass={tokens['zhao-lei']}")
    assert sheet.refusal is not None and sheet.store is None


def _the_stored_hash_as_token(library: Library, store: Path, mp: pytest.MonkeyPatch, tokens: dict[str, str]) -> None:
    sheet = page(library, store, mp, f"pass={token_hash(tokens['wang-fang'])}")
    assert sheet.refusal is not None and sheet.store is None


def _a_cut_token(library: Library, store: Path, mp: pytest.MonkeyPatch, tokens: dict[str, str]) -> None:
    for forged in (tokens["wang-fang"][:-1], tokens["wang-fang"] + "A", "", tokens["wang-fang"].upper()):
        sheet = page(library, store, mp, f"pass={forged}")
        assert sheet.refusal is not None and sheet.store is None


def _learner_in_the_address(library: Library, store: Path, mp: pytest.MonkeyPatch, tokens: dict[str, str]) -> None:
    sheet = page(library, store, mp, "learner=wang-fang&name=Mallory")
    assert sheet.refusal is not None and sheet.store is None


def _learner_in_the_environment(library: Library, store: Path, mp: pytest.MonkeyPatch, tokens: dict[str, str]) -> None:
    mp.setenv("LIANZHENG_LEARNER", "wang-fang")
    sheet = page(library, store, mp, "")
    assert sheet.refusal is not None and sheet.store is None


def _learner_parameter(library: Library, store: Path, mp: pytest.MonkeyPatch, tokens: dict[str, str]) -> None:
    sheet = page(library, store, mp, "", learner="wang-fang")
    assert sheet.refusal is not None and sheet.store is None


def _typed_id_on_a_refused_page(library: Library, store: Path, mp: pytest.MonkeyPatch, tokens: dict[str, str]) -> None:
    sheet = page(library, store, mp, "")
    sheet.learner_id.value = "wang-fang"  # the field is not shown; a forged comm message could still set it
    sheet.start_button.click()
    assert not sheet.start("wang-fang") and sheet.store is None


def _a_token_and_another_learner(library: Library, store: Path, mp: pytest.MonkeyPatch, tokens: dict[str, str]) -> None:
    sheet = page(library, store, mp, f"learner=wang-fang&pass={tokens['li-ming']}&name=Mallory")
    assert sheet.learner == "li-ming"
    answer_everything(sheet, right=False)
    sheet.submit()


def _switching_learner_after_opening(
    library: Library, store: Path, mp: pytest.MonkeyPatch, tokens: dict[str, str]
) -> None:
    sheet = page(library, store, mp, f"pass={tokens['li-ming']}")
    sheet.learner_id.value = "wang-fang"
    sheet.start_button.click()
    assert not sheet.start("wang-fang") and sheet.learner == "li-ming"
    answer_everything(sheet, right=False)
    sheet.submit()


def _every_widget_set_as_a_client_could(
    library: Library, store: Path, mp: pytest.MonkeyPatch, tokens: dict[str, str]
) -> None:
    """A's page: every text-like widget of the tree set to B's id or a new name, every button clicked."""
    sheet = page(library, store, mp, f"pass={tokens['li-ming']}")
    tree = widgets_of(sheet.root)
    assert not any(isinstance(w, Text) for w in tree), "no id or name field on a roster's page"
    for widget in tree:
        if isinstance(widget, Textarea):
            widget.value = "wang-fang"
        if hasattr(widget, "click"):
            widget.click()
    for widget in (sheet.learner_id,):  # built but never shown: forged values change nothing
        widget.value = "wang-fang"
    sheet.start_button.click()
    assert sheet.learner == "li-ming"


def _the_name_from_the_address(library: Library, store: Path, mp: pytest.MonkeyPatch, tokens: dict[str, str]) -> None:
    sheet = page(library, store, mp, f"pass={tokens['wang-fang']}&name=Mallory")
    assert sheet.learner == "wang-fang"  # B's own link: opens B, but B's name stays the roster's


ATTEMPTS: dict[str, Attempt] = {
    "no token": _no_token,
    "wrong token": _wrong_token,
    "another session's token": _another_sessions_token,
    "the stored hash as token": _the_stored_hash_as_token,
    "a cut, lengthened, empty or upper-cased token": _a_cut_token,
    "?learner= alone": _learner_in_the_address,
    "$LIANZHENG_LEARNER": _learner_in_the_environment,
    "learner parameter": _learner_parameter,
    "an id typed on a refused page": _typed_id_on_a_refused_page,
    "A's token with ?learner=B": _a_token_and_another_learner,
    "A's page switched to B": _switching_learner_after_opening,
    "every widget set as a client could": _every_widget_set_as_a_client_could,
    "?name= with B's own link": _the_name_from_the_address,
}


@pytest.mark.parametrize("attempt", ATTEMPTS, ids=list(ATTEMPTS))
def test_no_attempt_to_answer_as_another_learner_succeeds(
    bundled: Library, store_path: Path, monkeypatch: pytest.MonkeyPatch, tokens: dict[str, str], attempt: str
) -> None:
    """B (wang-fang) has answered one question. Whatever the attempt, B's answers, submission, opens and
    name are as they were, and no learner outside the roster appears in the store."""
    monkeypatch.delenv("LIANZHENG_LEARNER", raising=False)
    own = page(bundled, store_path, monkeypatch, f"pass={tokens['wang-fang']}")
    assert own.learner == "wang-fang" and own.record is not None
    answer_everything(own, right=True)
    before = snapshot(store_path)
    b_rows = {table: [row for row in rows if "wang-fang" in row] for table, rows in before.items()}

    ATTEMPTS[attempt](bundled, store_path, monkeypatch, tokens)

    after = snapshot(store_path)
    if attempt != "?name= with B's own link":  # B's own link may open B's sheet (one more open): nothing else
        assert {table: [row for row in rows if "wang-fang" in row] for table, rows in after.items()} == b_rows
    else:
        assert [r for r in after["answers"] if "wang-fang" in r] == b_rows["answers"]
    assert after["roster"] == before["roster"]
    names = dict((row[0], row[1]) for row in after["learners"])
    assert names == {"li-ming": "李明", "wang-fang": "Wang Fang", "zhao-lei": "Zhao Lei"}
    assert {row[2] for row in after["opens"]} <= {"li-ming", "wang-fang"}


def test_a_refused_page_shows_one_sentence_and_no_widget(
    bundled: Library, store_path: Path, monkeypatch: pytest.MonkeyPatch, tokens: dict[str, str]
) -> None:
    import IPython.display

    shown: list[Any] = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **kwargs: shown.extend(objs))
    monkeypatch.setenv("QUERY_STRING", "pass=forged")
    handout.show(prepare(bundled, store_path))
    assert not any(isinstance(obj, Widget) for obj in shown)
    assert "This page opens only from your personal link" in shown[-1]["text/html"]
    assert "lz-no-access" in shown[-1]["text/html"] and all(isinstance(obj, dict) for obj in shown)


def test_a_chinese_page_names_the_learner_with_full_width_brackets(
    bundled: Library, store_path: Path, monkeypatch: pytest.MonkeyPatch, tokens: dict[str, str]
) -> None:
    sheet = page(bundled, store_path, monkeypatch, f"pass={tokens['li-ming']}", lang="zh-CN")
    assert "学员：李明（li-ming）" in sheet.identity.children[0].value


def test_a_learner_opens_their_own_sheet_by_link_with_the_rosters_name(
    bundled: Library, store_path: Path, monkeypatch: pytest.MonkeyPatch, tokens: dict[str, str]
) -> None:
    sheet = page(bundled, store_path, monkeypatch, f"pass={tokens['li-ming']}")
    assert sheet.learner == "li-ming" and sheet.refusal is None and sheet.controls
    assert "李明 (li-ming)" in sheet.identity.children[0].value
    assert not any(isinstance(w, Text) for w in widgets_of(sheet.root))
    assert sheet.learner_id.comm is None and sheet.start_button.comm is None, "closed: no message reaches them"
    assert all(w.comm is not None for w in widgets_of(sheet.root))
    refused = page(bundled, store_path, monkeypatch, "pass=forged")
    built = [refused.learner_id, refused.start_button, refused.submit_button, refused.confirm_button]
    assert all(w.comm is None for w in [*widgets_of(refused.root), *built]), "a refused page keeps no widget open"


def test_a_hostile_name_from_the_roster_is_text_in_the_page(
    bundled: Library, store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = '"><img src=x onerror=alert(1)><script>fetch("http://evil.test/")</script>'
    (issued,) = ResponseStore(store_path).load_roster(SESSION, [("li-ming", name)]).issued
    sheet = page(bundled, store_path, monkeypatch, f"pass={issued.token}")
    shown = sheet.identity.children[0].value
    assert "<img" not in shown and "<script" not in shown and "&lt;img src=x onerror=alert(1)&gt;" in shown


# -- the key: hidden until released, shown at submission when the trainer says so ------------------------------


def _page_text(sheet: LearnerSheet) -> str:
    return " ".join(str(getattr(w, "value", "")) for w in widgets_of(sheet.root) if isinstance(w, HTML))


def test_the_key_is_not_shown_before_release_and_is_after(
    bundled: Library, store_path: Path, monkeypatch: pytest.MonkeyPatch, tokens: dict[str, str]
) -> None:
    sheet = page(bundled, store_path, monkeypatch, f"pass={tokens['li-ming']}")
    assert sheet.record is not None
    answer_everything(sheet, right=False)
    submission = sheet.submit()
    assert submission is not None and submission.score == 0
    text = _page_text(sheet)
    assert "Score: 0 of 6" in text and "shown once the trainer releases them" in text
    assert "data-item=" not in text and "Answer:" not in text and "Rule:" not in text  # no key, no explanation
    # Reopened before release: still hidden.
    again = page(bundled, store_path, monkeypatch, f"pass={tokens['li-ming']}")
    assert "Rule:" not in _page_text(again) and again.submission is not None
    assert main(["release", "--store", str(store_path), "--session", SESSION, "--sheet", "quiz"]) == 0
    released = page(bundled, store_path, monkeypatch, f"pass={tokens['li-ming']}")
    text = _page_text(released)
    assert text.count("Rule:") == 6 and text.count("data-item=") == 6 and "shown once the trainer releases" not in text


def test_the_key_shows_on_submitting_when_the_trainer_says_so(
    bundled: Library, store_path: Path, monkeypatch: pytest.MonkeyPatch, tokens: dict[str, str]
) -> None:
    ResponseStore(store_path).set_sheet_settings(SESSION, "quiz", key_shown="submission")
    sheet = page(bundled, store_path, monkeypatch, f"pass={tokens['wang-fang']}")
    answer_everything(sheet, right=True)
    sheet.submit()
    assert _page_text(sheet).count("Rule:") == 6 and "Score: 6 of 6" in _page_text(sheet)


def test_release_errors_are_one_line(store_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ResponseStore(store_path).set_sheet_settings(SESSION, "quiz")
    assert main(["release", "--store", str(store_path), "--session", SESSION, "--sheet", "quizz"]) == 2
    assert capsys.readouterr().err == f"lianzheng: session '{SESSION}' has no sheet 'quizz'; valid: quiz\n"
    assert main(["release", "--store", str(store_path), "--session", "nobody"]) == 2
    assert "session 'nobody' has no sheets" in capsys.readouterr().err


# -- shuffled papers ------------------------------------------------------------------------------------------


def test_shuffled_papers_differ_per_learner_and_grade_identically(
    bundled: Library, store_path: Path, monkeypatch: pytest.MonkeyPatch, tokens: dict[str, str]
) -> None:
    ResponseStore(store_path).set_sheet_settings(SESSION, "quiz", key_shown="submission", shuffle=True)
    a = page(bundled, store_path, monkeypatch, f"pass={tokens['li-ming']}", questions=8)
    b = page(bundled, store_path, monkeypatch, f"pass={tokens['wang-fang']}", questions=8)
    assert a.record is not None and b.record is not None and a.record == b.record  # one paper in the store

    def shown(sheet: LearnerSheet) -> list[tuple[str, list[str]]]:
        return [(item_id, [text for _, text in sheet.paper[item_id]["options"]]) for item_id in sheet.order]

    assert shown(a) != shown(b), "each learner has their own order"
    assert sorted(a.order) == sorted(b.order) == sorted(i["id"] for i in a.record.items)
    again = page(bundled, store_path, monkeypatch, f"pass={tokens['li-ming']}", questions=8)
    assert shown(again) == shown(a), "the same order every time the learner opens it"
    # Both choose the right option through their own widgets, whatever letter or place it has there.
    for sheet in (a, b):
        answer_everything(sheet, right=True)
    store = ResponseStore(store_path)
    assert store.answers(SESSION, "quiz", "li-ming") == store.answers(SESSION, "quiz", "wang-fang")
    sa, sb = a.submit(), b.submit()
    assert sa is not None and sb is not None
    assert (sa.score, sa.max_score) == (sb.score, sb.max_score) == (8, 8)
    # Each result speaks the learner's own letters: the key of a single choice is the letter they saw.
    for sheet in (a, b):
        html = sheet.result.value
        assert re.findall(r'data-item="([^"]+)"', html) == sheet.order, "in the learner's order"
        for item_id in sheet.order:
            item = sheet.paper[item_id]
            if item["type"] == "single":
                letter = next(s for s, v in item["values"].items() if v == item["answer"])
                block = re.search(rf'data-item="{re.escape(item_id)}">(.*?)</div>', html, re.S)
                assert block is not None and f"Answer: {letter}<" in block.group(1)


def test_a_paper_keeps_the_worksheets_parts_and_moves_only_questions() -> None:
    items = (
        {"id": "p1", "type": "self-check"},
        {"id": "q1", "type": "true-false", "answer": True},
        {"id": "q2", "type": "single", "options": [["A", "x"], ["B", "y"]], "answer": "B"},
        {"id": "r1", "type": "reflection"},
        {"id": "q3", "type": "single", "options": [["A", "u"], ["B", "v"], ["C", "w"]], "answer": "A"},
    )
    papers = {learner: learner_paper(items, SESSION, learner, shuffle=True) for learner in ("a", "b", "c", "d")}
    for paper in papers.values():
        ids = [item["id"] for item in paper]
        assert (ids[0], ids[3]) == ("p1", "r1")
        for item in paper:
            original = next(i for i in items if i["id"] == item["id"])
            texts = {letter: text for letter, text in original.get("options", [])}
            # Each letter shown maps to the option value whose text it shows.
            assert all(texts[item["values"][shown]] == text for shown, text in item["options"])
    assert len({str(paper) for paper in papers.values()}) > 1, "not every learner has the same paper"


# -- serve: a roster or --open -----------------------------------------------------------------------------------


def test_serve_needs_a_roster_unless_open_and_keeps_the_settings(
    store_path: Path, tokens: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["serve", "quiz", "--store", str(store_path), "--audience", "retired", "--dry-run"]
    assert main([*argv, "--session", "no-roster"]) == 2
    err = capsys.readouterr().err
    assert "session 'no-roster' has no roster" in err and "--open" in err and err.count("\n") == 1
    assert main([*argv, "--session", SESSION, "--open"]) == 2
    assert "--open is for a session without a roster; session 'autumn-2026' has 2 learners" in capsys.readouterr().err
    assert main([*argv, "--session", SESSION, "--shuffle", "--key", "submission"]) == 0
    settings = ResponseStore(store_path).sheet_settings(SESSION, "quiz")
    assert (settings.key_shown, settings.shuffle, settings.released_at) == ("submission", True, None)
    assert main([*argv, "--session", SESSION]) == 0  # served again: the default, release
    assert ResponseStore(store_path).sheet_settings(SESSION, "quiz").key_shown == "release"
    assert main([*argv, "--session", "no-roster", "--open"]) == 0


# -- the roster file and the links page --------------------------------------------------------------------------


def test_a_roster_in_csv_with_chinese_headers_and_in_xlsx(tmp_path: Path) -> None:
    from openpyxl import Workbook

    csv_file = tmp_path / "roster.csv"
    csv_file.write_text("\ufeff姓名,学员编号,部门\n李明,li-ming,财务\n王芳,1002,采购\n\n", encoding="utf-8")
    assert read_roster(csv_file) == [("li-ming", "李明"), ("1002", "王芳")]
    book = Workbook()
    sheet = book.active
    sheet.append(["Learner ID", "Name"])
    sheet.append([1001, "Zhao Lei"])
    sheet.append(["wang-fang", "Wang Fang"])
    book.save(tmp_path / "roster.xlsx")
    assert read_roster(tmp_path / "roster.xlsx") == [("1001", "Zhao Lei"), ("wang-fang", "Wang Fang")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("learner,name\nli ming,Li\n", "roster.csv:2: learner id 'li ming' is not valid"),
        (
            "learner,name\nli-ming,Li\nwang,W\nli-ming,Again\n",
            "roster.csv:4: learner id 'li-ming' is already on line 2",
        ),
        ("learner,name\nli-ming,\n", "roster.csv:2: name of learner 'li-ming' is blank"),
        (
            "learner,name\nli-ming,Li\x07Ming\n",
            "roster.csv:2: name of learner 'li-ming' holds the control character U+0007",
        ),
        ("id,department\nli-ming,x\n", "roster.csv:1: no name column in the header row; valid headings: name"),
        ("姓名,部门\n李明,x\n", "roster.csv:1: no learner id column in the header row"),
        ("learner,name\n", "roster.csv: the roster lists no learners below its header row"),
        ("", "roster.csv: the roster is empty"),
        (b"learner,name\nli-ming,\xc0\xc1\n", "roster.csv:2: not UTF-8; save the roster as 'CSV UTF-8'"),
    ],
)
def test_a_bad_roster_is_one_line_naming_file_line_and_field(
    tmp_path: Path, store_path: Path, capsys: pytest.CaptureFixture[str], text: str | bytes, message: str
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    argv = ["roster", "load", "--store", str(store_path), "--session", SESSION, str(roster)]
    assert main([*argv, "--base-url", "http://127.0.0.1:8866/", "--links", str(tmp_path / "links.html")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"lianzheng: {tmp_path / message.split(':')[0]}") and message.split(" ", 1)[1] in err
    assert err.count("\n") == 1
    assert not (tmp_path / "links.html").exists()
    assert ResponseStore(store_path).roster(SESSION) == []


def test_loading_writes_a_private_page_of_links_that_open_and_reloading_keeps_them(
    tmp_path: Path, store_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = tmp_path / "roster.csv"
    payload = '"><img src=x onerror=alert(1)><script>alert(2)</script>'
    roster.write_text('learner,name\nli-ming,李明\nwang-fang,"' + payload.replace('"', '""') + '"\n', encoding="utf-8")
    links = tmp_path / "links.html"
    base = ["roster", "load", "--store", str(store_path), "--session", SESSION, str(roster)]
    url = "http://10.0.0.5:8866/voila/render/quiz.ipynb"
    assert main([*base, "--base-url", url, "--links", str(links)]) == 0
    assert "2 new links, 0 kept their links" in capsys.readouterr().out
    assert stat.S_IMODE(links.stat().st_mode) == 0o600
    html = links.read_text(encoding="utf-8")
    assert html.count("<svg") == 2 and "<script>" not in html and "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "李明" in html
    found = re.findall(re.escape(url) + r"\?pass=([A-Za-z0-9_-]+)", html)
    assert len(set(found)) == 2 and all(len(token) >= 22 for token in found)  # >= 128 bits
    store = ResponseStore(store_path)
    assert {store.learner_for_token(SESSION, t).learner for t in found} == {"li-ming", "wang-fang"}  # type: ignore[union-attr]
    stored = store.conn.execute("SELECT token_hash FROM roster").fetchall()
    assert all(token not in str(stored) for token in found), "only hashes are stored"
    # Loaded again: the same links still open; the earlier page is never written over.
    assert main([*base, "--base-url", url, "--links", str(links)]) == 2
    assert "links.html exists: it may hold the only copy" in capsys.readouterr().err
    assert main([*base, "--base-url", url, "--links", str(tmp_path / "again.html")]) == 0
    assert "0 new links, 2 kept their links" in capsys.readouterr().out
    assert not (tmp_path / "again.html").exists()
    assert all(store.learner_for_token(SESSION, t) is not None for t in found)
    # Reissued for one learner: their old link stops opening, the other's still opens.
    li = next(t for t in found if store.learner_for_token(SESSION, t).learner == "li-ming")  # type: ignore[union-attr]
    reissue = ["roster", "reissue", "--store", str(store_path), "--session", SESSION, "--learner", "li-ming"]
    assert main([*reissue, "--base-url", url, "--links", str(tmp_path / "new.html")]) == 0
    assert store.learner_for_token(SESSION, li) is None
    new = re.findall(r"pass=([A-Za-z0-9_-]+)", (tmp_path / "new.html").read_text(encoding="utf-8"))
    assert store.learner_for_token(SESSION, new[0]).learner == "li-ming"  # type: ignore[union-attr]
    # A learner left out of a new file is removed: their link opens nothing.
    roster.write_text("learner,name\nli-ming,李明\n", encoding="utf-8")
    assert main([*base, "--base-url", url, "--links", str(tmp_path / "third.html")]) == 0
    assert "1 removed" in capsys.readouterr().out
    assert [entry.learner for entry in store.roster(SESSION)] == ["li-ming"]


def test_a_bad_workbook_and_a_bad_row_in_one_are_one_line(tmp_path: Path) -> None:
    from openpyxl import Workbook

    fake = tmp_path / "roster.xlsx"
    fake.write_text("learner,name\nli-ming,Li\n", encoding="utf-8")
    with pytest.raises(ResponseError, match=r"roster.xlsx: not an XLSX workbook \(\w+\)$"):
        read_roster(fake)
    book = Workbook()
    book.active.append(["姓名", "学员编号"])
    book.active.append(["李明", "li-ming"])
    book.active.append(["王芳", "wang fang"])
    book.save(fake)
    with pytest.raises(ResponseError, match=r"roster.xlsx:3: learner id 'wang fang' is not valid"):
        read_roster(fake)
    with pytest.raises(ResponseError, match=r"roster.ods: a roster is a .csv or .xlsx file, not '.ods'"):
        (tmp_path / "roster.ods").write_text("x")
        read_roster(tmp_path / "roster.ods")


def test_the_roster_list_shows_no_token(
    store_path: Path, tokens: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["roster", "list", "--store", str(store_path), "--session", SESSION]) == 0
    out = capsys.readouterr().out
    assert "li-ming\t李明\tlink issued" in out and "wang-fang" in out and "zhao-lei" not in out
    assert all(token not in out and token_hash(token) not in out for token in tokens.values())


def test_one_token_gives_a_link_and_a_qr_code_for_each_page_served(store_path: Path, tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("learner,name\nli-ming,Li\nwang-fang,Wang\n", encoding="utf-8")
    pages = [f"http://10.0.0.5:8866/voila/render/{name}.ipynb" for name in ("worksheet", "quiz")]
    argv = ["roster", "load", "--store", str(store_path), "--session", SESSION, str(roster)]
    argv += ["--base-url", pages[0], "--base-url", pages[1], "--links", str(tmp_path / "links.html")]
    assert main(argv) == 0
    html = (tmp_path / "links.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 4
    links = re.findall(r"(http://[^<]+)\?pass=([A-Za-z0-9_-]+)", html)
    assert [page for page, _ in links] == pages * 2
    assert links[0][1] == links[1][1] != links[2][1] == links[3][1]


def test_a_bad_base_url_is_refused_before_anything_is_issued(tmp_path: Path, store_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("learner,name\nli-ming,Li\n", encoding="utf-8")
    bad = ("javascript:alert(1)", "ftp://x/", "http://x/?pass=abc", "8866", "http://x:0/", "http://x:70000/")
    for url in (*bad, "http://x:port/", "http://:8866/", "http://a b/", "http://x/\n"):
        argv = ["roster", "load", "--store", str(store_path), "--session", SESSION, str(roster), "--base-url", url]
        assert main([*argv, "--links", str(tmp_path / "l.html")]) == 2
    assert ResponseStore(store_path).roster(SESSION) == []
    assert check_base_url("http://192.168.1.20:8866/voila/render/quiz.ipynb").endswith("quiz.ipynb")


def test_reissue_names_an_unknown_learner(store_path: Path, tokens: dict[str, str], tmp_path: Path) -> None:
    with pytest.raises(ResponseError, match="learner 'nobody' is not on the roster of session 'autumn-2026'"):
        ResponseStore(store_path).reissue(SESSION, ["nobody"])
    assert isinstance(ResponseStore(store_path).reissue(SESSION)[0], Issued)


# -- the schema: version 2, migrated from version 1 in one transaction ------------------------------------------

V1_SHEETS = """CREATE TABLE sheets (
    session TEXT NOT NULL, sheet TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('worksheet', 'quiz')),
    audience TEXT NOT NULL, title TEXT NOT NULL, lang TEXT NOT NULL, library_version TEXT NOT NULL,
    params TEXT NOT NULL, items TEXT NOT NULL, registered_at TEXT NOT NULL, PRIMARY KEY (session, sheet))"""


def v1_store(path: Path) -> None:
    """A store as version 1 wrote it (the tables a version 1 store holds, ``sheets`` with its CHECK)."""
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "INSERT INTO meta VALUES ('schema_version', '1');"
        + V1_SHEETS
        + ";INSERT INTO sheets VALUES ('s', 'quiz', 'quiz', 'retired', 'T', 'en', 'v', '{}', '[]', 'now');"
        "CREATE TABLE learners (learner TEXT PRIMARY KEY, name TEXT, registered_at TEXT NOT NULL);"
    )
    conn.commit()
    conn.close()


def test_a_version_1_store_opened_by_a_writer_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    v1_store(path)
    with pytest.raises(sqlite3.IntegrityError), closing(sqlite3.connect(path)) as conn:  # v1 refuses a third kind
        conn.execute("INSERT INTO sheets VALUES ('s', 'r', 'risk-register', 'a', 'T', 'en', 'v', '{}', '[]', 'n')")
    store = ResponseStore(path)
    assert store.counts()["sheets"] == 1  # the row kept
    conn = store.conn
    assert conn.execute("SELECT value FROM meta").fetchone()[0] == str(SCHEMA_VERSION) == "3"
    conn.execute("INSERT INTO sheets VALUES ('s', 'r', 'risk-register', 'a', 'T', 'en', 'v', '{}', '[]', 'n')")
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"roster", "sheet_settings", "releases", "tests", "attempts"} <= tables and "sheets_v2" not in tables
    assert store.sheet("s", "quiz").kind == "quiz"
    store.close()
    assert ResponseStore(path).counts()["sheets"] == 2  # opened again: nothing migrated twice


def test_a_migration_that_fails_half_way_leaves_the_version_1_store_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    v1_store(path)
    with closing(sqlite3.connect(path)) as conn:  # a table in the way of the rebuild: the second step fails
        conn.execute("CREATE TABLE sheets_v2 (x)")
        conn.commit()
    before = path.read_bytes()
    with pytest.raises(ResponseError):
        _ = ResponseStore(path).conn
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT value FROM meta").fetchone()[0] == "1"
    assert "CHECK (kind IN" in conn.execute("SELECT sql FROM sqlite_master WHERE name = 'sheets'").fetchone()[0]
    assert conn.execute("SELECT count(*) FROM sheets").fetchone()[0] == 1
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "roster" not in names
    conn.close()
    assert len(before) > 0


def test_roster_list_reads_a_version_1_store_without_changing_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "old.sqlite"
    made = ResponseStore(path)
    assert made.counts()["sheets"] == 0
    made.close()
    with closing(sqlite3.connect(path)) as conn:  # back to what version 1 held: no roster, no settings
        conn.executescript(
            "DROP TABLE roster; DROP TABLE sheet_settings; DROP TABLE releases;"
            "UPDATE meta SET value = '1' WHERE key = 'schema_version'; PRAGMA journal_mode = DELETE;"
        )
    before = path.read_bytes()
    assert main(["roster", "list", "--store", str(path), "--session", SESSION]) == 0
    assert "0 learners" in capsys.readouterr().err
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["old.sqlite"]


# -- end to end: a roster, two links, Voilà on localhost, Debian's Chromium ------------------------------------


@pytest.mark.slow
@pytest.mark.browser
def test_personal_links_in_a_real_browser_with_no_request_leaving_the_server(
    browser: Any, tmp_path: Path, artifacts: Path
) -> None:
    import os
    import subprocess
    import sys

    from tests.test_serve import _wait_for, listening, stop
    from toolkit.testing.lab import free_port

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    store = tmp_path / "responses.sqlite"
    roster = tmp_path / "roster.csv"
    roster.write_text("学员编号,姓名\nli-ming,李明\nwang-fang,王芳\n", encoding="utf-8")
    links = tmp_path / "links.html"
    load = ["roster", "load", "--store", str(store), "--session", SESSION, str(roster)]
    assert main([*load, "--base-url", f"{base}/", "--links", str(links)]) == 0
    rows = re.findall(r'data-learner="([^"]+)".*?<td class="lz-link">([^<]+)</td>', links.read_text(), re.S)
    link = dict(rows)
    assert set(link) == {"li-ming", "wang-fang"} and link["li-ming"] != link["wang-fang"]
    command = [
        sys.executable,
        "-c",
        "import sys; from toolkit.cli import main; sys.exit(main())",
        "serve",
        "quiz",
        *("--store", str(store), "--session", SESSION, "--audience", "retired", "--questions", "3"),
        *("--date", "2026-12-01", "--port", str(port), "--shuffle"),
    ]
    log_path = tmp_path / "voila.log"
    log = log_path.open("w")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=os.environ)
    requested: list[str] = []
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    # Every request any learner page makes is recorded; one leaving the server is refused (and counted).
    context.on("request", lambda request: requested.append(request.url))
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
    try:
        listening(server, port, log_path)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(link["li-ming"], timeout=90_000)
        page.wait_for_selector(".widget-toggle-buttons", timeout=90_000)
        assert "李明 (li-ming)" in page.inner_text(".lz-learner-sheet")
        assert page.locator(".lz-learner-id").count() == 0, "no id to type"
        for group in page.locator(".widget-toggle-buttons").all():
            group.locator("button").first.click()
        answered = _wait_for(lambda: len(ResponseStore(store).answers(SESSION, "quiz", "li-ming")) >= 1)
        assert answered
        page.locator(".lz-submit").click()
        page.locator(".lz-confirm").click()
        result = page.locator(".lz-result")
        result.wait_for(timeout=60_000)
        text = result.inner_text()
        assert "Score:" in text and "of 3" in text and "shown once the trainer releases them" in text
        assert "Rule:" not in text and "Answer:" not in text
        assert ResponseStore(store).submission(SESSION, "quiz", "wang-fang") is None
        result.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "learner-quiz-before-release.png"))
        # No token, a forged one, another learner's id: a sentence, and no widget at all.
        for address in (f"{base}/", f"{base}/?pass=forged-{'x' * 30}", f"{base}/?learner=wang-fang"):
            other = context.new_page()
            other.goto(address, timeout=90_000)
            other.wait_for_selector(".lz-no-access", timeout=90_000)
            cells = other.locator("#rendered_cells")
            assert cells.locator("button, input, textarea, .widget-toggle-buttons, .jupyter-widgets").count() == 0
            other.close()
        assert ResponseStore(store).answers(SESSION, "quiz", "wang-fang") == {}
        mistyped = context.new_page()  # Voilà's own pages (an address that is not a sheet) count too
        mistyped.goto(f"{base}/voila/tree/nope", timeout=90_000)
        mistyped.wait_for_load_state("networkidle", timeout=60_000)
        mistyped.close()
        # Released: the learner who reopens sees the key.
        assert main(["release", "--store", str(store), "--session", SESSION]) == 0
        page.reload()
        result = page.locator(".lz-result")
        result.wait_for(timeout=90_000)
        assert result.inner_text().count("Rule:") == 3
        assert errors == [], errors
        leaving = [url for url in requested if not url.startswith((base, "data:", "blob:"))]
        print(f"requests: {len(requested)}, leaving the server: {len(leaving)}")
        assert leaving == [], leaving
    finally:
        context.close()
        stop(server)
        log.close()
