"""The interactive edition driven as a browser would, without one: widget values set, buttons clicked,
and the response store read back."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

import pytest
from ipywidgets import HTML

from toolkit import Library, handout
from toolkit.documents.handout import Handout
from toolkit.documents.worksheet import Worksheet
from toolkit.errors import ParameterError, ResponseError
from toolkit.responses.store import ResponseStore
from toolkit.widgets.worksheet import LearnerSheet, ManyControl, answer_text, resolve

SESSION = "autumn-2026"


def prepare(library: Library, store: Path, name: str = "worksheet", **values: Any) -> Handout:
    params: dict[str, Any] = {
        "audience": "key-posts",
        "date": "2026-12-01",
        "edition": "interactive",
        "store": str(store),
        "session": SESSION,
    }
    if name == "worksheet":
        params["questions"] = 4
    params.update(values)
    return handout.prepare(name, params, library)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "responses.sqlite"


def ids_of(sheet: LearnerSheet, kind: str) -> list[str]:
    assert sheet.record is not None
    return [item["id"] for item in sheet.record.items if item["type"] == kind]


def wrong_answer(item: dict[str, Any]) -> Any:
    if item["type"] == "true-false":
        return not item["answer"]
    if item["type"] == "multiple":
        return [letter for letter, _ in item["options"] if letter not in item["answer"]][:1]
    return next(letter for letter, _ in item["options"] if letter != item["answer"])


def give(sheet: LearnerSheet, item: dict[str, Any], value: Any) -> None:
    """Answer a question through its widget (a click on each letter's toggle for a multiple choice)."""
    control = sheet.controls[item["id"]]
    if isinstance(control, ManyControl):
        for letter in value:
            control.toggles[letter].value = True
    else:
        control.widget.value = value


def fill(sheet: LearnerSheet) -> dict[str, Any]:
    """Answer every item through its widgets: the first two questions right, the others wrong."""
    assert sheet.record is not None
    expected: dict[str, Any] = {}
    for n, item in enumerate(sheet.record.questions()):
        value = item["answer"] if n < 2 else wrong_answer(item)
        give(sheet, item, value)
        expected[item["id"]] = value
    for n, item_id in enumerate(ids_of(sheet, "self-check")):
        sheet.controls[item_id].widget.value = ("yes", "no", "unsure")[n % 3]
        expected[item_id] = ("yes", "no", "unsure")[n % 3]
    for item_id in ids_of(sheet, "reflection") + ids_of(sheet, "table"):
        sheet.controls[item_id].widget.value = f"My answer to {item_id}: 我会改正。"
        expected[item_id] = f"My answer to {item_id}: 我会改正。"
    return expected


def test_opened_as_it_is_the_sheet_asks_who_the_learner_is_and_writes_nothing(
    bundled: Library, store_path: Path
) -> None:
    sheet = LearnerSheet(prepare(bundled, store_path))
    assert sheet.store is None and sheet.controls == {}
    assert sheet.identity.children[1] is sheet.learner_id
    assert not store_path.exists()


def test_a_bad_learner_id_is_explained_and_nothing_opens(bundled: Library, store_path: Path) -> None:
    sheet = LearnerSheet(prepare(bundled, store_path))
    sheet.learner_id.value = "li ming"
    sheet.start_button.click()
    assert "learner id &#x27;li ming&#x27; is not valid" in sheet.message.value
    assert sheet.controls == {} and not store_path.exists()


def test_every_change_is_saved_and_reopening_restores_every_answer(bundled: Library, store_path: Path) -> None:
    sheet = LearnerSheet(prepare(bundled, store_path))
    sheet.learner_id.value = "li-ming"
    sheet.start_button.click()
    assert sheet.learner == "li-ming" and "Learner: li-ming" in sheet.identity.children[0].value
    shown = " ".join(getattr(child, "value", "") for child in sheet.body.children if isinstance(child, HTML))
    document = sheet.document
    assert isinstance(document, Worksheet)
    assert all(f"<h3>{escape(group.heading)}</h3>" in shown for group in document.checks)
    assert "<h2>1. Self-check</h2>" in shown and "<h2>4. Short quiz</h2>" in shown
    expected = fill(sheet)
    assert "Saved at" in sheet.status.value
    store = ResponseStore(store_path)
    assert store.answers(SESSION, "worksheet", "li-ming") == expected
    assert store.conn.execute("SELECT name FROM learners").fetchall() == [(None,)], "no name from an open page"
    # Every widget change is one save, nothing else (a multiple-choice toggle per letter).
    clicks = sum(len(v) if isinstance(v, list) else 1 for v in expected.values())
    assert store.counts()["saves"] == clicks
    again = LearnerSheet(prepare(bundled, store_path, learner="li-ming"))
    assert {item_id: control.value for item_id, control in again.controls.items()} == expected
    assert store.counts()["saves"] == clicks  # restoring saved nothing again
    assert not any(c.widget.disabled for c in again.controls.values() if not isinstance(c, ManyControl))


def test_submit_locks_checks_the_quiz_and_shows_score_explanations_and_rules(
    bundled: Library, store_path: Path
) -> None:
    ResponseStore(store_path).set_sheet_settings(SESSION, "worksheet", key_shown="submission")
    sheet = LearnerSheet(prepare(bundled, store_path, learner="li-ming", pass_mark=50))
    assert sheet.confirm_row.layout.display == "none"
    sheet.submit_button.click()  # the first click only asks
    assert sheet.confirm_row.layout.display == "flex" and sheet.submission is None
    assert f"Items not yet answered: {len(sheet.controls)}" in sheet.confirm_text.value
    sheet.cancel_button.click()
    assert sheet.confirm_row.layout.display == "none"
    fill(sheet)
    sheet.submit_button.click()
    assert "Items not yet answered: 0" in sheet.confirm_text.value
    assert ResponseStore(store_path).submission(SESSION, "worksheet", "li-ming") is None
    sheet.confirm_button.click()
    assert sheet.submission is not None and sheet.confirm_row.layout.display == "none"
    assert (sheet.submission.score, sheet.submission.max_score, sheet.submission.passed) == (2, 4, True)
    assert all(c.widget.disabled for c in sheet.controls.values() if not isinstance(c, ManyControl))
    assert all(t.disabled for c in sheet.controls.values() if isinstance(c, ManyControl) for t in c.toggles.values())
    assert sheet.submit_button.disabled
    html = sheet.result.value
    assert "Score: 2 of 4 (50%)" in html and "Passed (pass mark 50%)" in html
    assert sheet.record is not None
    for item in sheet.record.questions():
        assert f'data-item="{item["id"]}"' in html
        assert "Rule:" in html and item["rule"].split(",")[0].replace("'", "&#39;") in html
    assert html.count("Incorrect") == 2 and html.count("Correct") == 2
    # A value changed after submitting is refused by the store and the learner is told.
    check = ids_of(sheet, "self-check")[0]
    sheet.controls[check].widget.value = "unsure"
    assert "Not saved" in sheet.status.value and "locked" in sheet.status.value
    assert ResponseStore(store_path).answers(SESSION, "worksheet", "li-ming")[check] != "unsure"
    # Reopened, the sheet is still locked and shows the same result.
    again = LearnerSheet(prepare(bundled, store_path, learner="li-ming", pass_mark=50))
    assert again.submit_button.disabled and again.result.value == html


def test_a_failed_quiz_in_chinese(bundled: Library, store_path: Path) -> None:
    ResponseStore(store_path).set_sheet_settings(SESSION, "quiz", key_shown="submission")
    sheet = LearnerSheet(prepare(bundled, store_path, name="quiz", lang="zh-CN", questions=12, learner="wang-fang"))
    assert sheet.record is not None and sheet.record.kind == "quiz" and len(sheet.controls) == 12
    true_false = [c for c in sheet.controls.values() if c.item["type"] == "true-false"]
    assert true_false and [label for label, _ in true_false[0].widget.options] == ["对", "错"]
    submission = sheet.submit()
    assert submission is not None and submission.score == 0 and not submission.passed
    assert "得分：0/12（0%）" in sheet.result.value and "不合格（合格线60%）" in sheet.result.value
    assert "您的答案：未作答" in sheet.result.value


def test_the_learner_id_may_come_from_the_address(
    bundled: Library, store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUERY_STRING", "learner=zhao-lei&name=Zhao%20Lei&pass=abc")
    monkeypatch.setenv("LIANZHENG_SESSION", "from-env")
    settings = resolve(prepare(bundled, store_path, session=""))
    assert (settings.asked, settings.token, settings.learner, settings.session, settings.sheet) == (
        "zhao-lei",
        "abc",
        "",
        "from-env",
        "worksheet",
    )
    assert not hasattr(settings, "name"), "a name never comes from the page's address"
    assert settings.store == store_path and settings.pass_mark == 0.6


def test_the_store_defaults_to_the_environment_then_the_current_folder(
    bundled: Library, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("LIANZHENG_STORE", raising=False)
    monkeypatch.delenv("LIANZHENG_SESSION", raising=False)
    monkeypatch.delenv("QUERY_STRING", raising=False)
    monkeypatch.delenv("LIANZHENG_LEARNER", raising=False)
    quiz = {"audience": "retired", "edition": "interactive"}
    settings = resolve(handout.prepare("quiz", quiz, bundled))
    assert (settings.store, settings.session, settings.learner, settings.asked) == (
        Path("responses.sqlite"),
        "retired",
        "",
        "",
    )
    monkeypatch.setenv("LIANZHENG_STORE", str(tmp_path / "x.sqlite"))
    assert resolve(handout.prepare("quiz", quiz, bundled)).store == tmp_path / "x.sqlite"


def test_interactive_parameters_are_checked(bundled: Library) -> None:
    with pytest.raises(ParameterError, match="parameter 'edition' is 'widgets'; valid: learner, key, interactive"):
        handout.prepare("quiz", {"edition": "widgets"}, bundled)
    with pytest.raises(ParameterError, match="parameter 'pass_mark' is 120; valid: 0 to 100"):
        handout.prepare("quiz", {"edition": "interactive", "pass_mark": 120}, bundled)
    with pytest.raises(ParameterError, match="unknown parameter 'learner'"):
        handout.prepare("casebook", {"learner": "li-ming"}, bundled)
    printable = handout.prepare("worksheet", {"edition": "print"}, bundled)
    assert not printable.interactive and printable.learner is None
    assert set(printable.parameters).isdisjoint({"store", "session", "sheet", "learner", "pass_mark"})
    assert "store" not in printable.document.cover.provenance.parameters_text()
    interactive = handout.prepare("worksheet", {"edition": "interactive"}, bundled)
    assert interactive.interactive and interactive.learner is not None
    assert "store" not in interactive.document.cover.provenance.parameters_text()


@pytest.mark.parametrize("name", ["learner", "store", "session", "sheet", "pass_mark"])
def test_the_answer_key_refuses_learner_parameters_in_one_line(bundled: Library, name: str) -> None:
    """``edition="key"`` can never open a learner login: any learner parameter with it is an error."""
    value = 50 if name == "pass_mark" else "li-ming"
    with pytest.raises(ParameterError) as caught:
        handout.prepare("quiz", {"audience": "retired", "edition": "key", name: value}, bundled)
    message = str(caught.value)
    assert message == f"quiz parameters: parameter '{name}' is for the interactive edition only, not the key edition"
    assert "\n" not in message and caught.value.name == name
    # The same for the worksheet's printable edition.
    with pytest.raises(ParameterError, match=f"parameter '{name}' is for the interactive edition only"):
        handout.prepare("worksheet", {"audience": "retired", "edition": "print", name: value}, bundled)


def test_the_answer_key_never_builds_widgets(bundled: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    """Left at their defaults (as a notebook's parameters cell holds them) the learner parameters change
    nothing: the key is shown as HTML, and no learner sheet can be built over it."""
    import IPython.display

    defaults = {"store": "", "session": "", "sheet": "", "learner": "", "pass_mark": 60}
    key = handout.prepare("quiz", {"audience": "retired", "edition": "key", **defaults}, bundled)
    assert not key.interactive and key.learner is None and key.document.cover.edition == "key"
    with pytest.raises(ResponseError, match="'quiz' key edition has no widgets; valid: interactive"):
        LearnerSheet(key)
    shown: list[Any] = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **kwargs: shown.extend(objs))
    handout.show(key)
    assert len(shown) == 1 and shown[0]["text/html"] == key.html


def test_answers_read_as_words() -> None:
    from toolkit.i18n import catalog

    t = catalog("en")
    assert [answer_text(v, t) for v in (None, [], True, False, ["A", "C"], "B")] == [
        "no answer",
        "no answer",
        "True",
        "False",
        "AC",
        "B",
    ]


def test_typing_is_saved_once_it_pauses_and_before_submitting(bundled: Library, store_path: Path) -> None:
    """Under a running event loop (as in a kernel), keys are gathered and saved when typing pauses."""
    import asyncio
    import threading

    sheet = LearnerSheet(prepare(bundled, store_path, learner="li-ming"))
    assert not sheet.defer_typing, "outside a kernel, every value is saved at once"
    sheet.defer_typing, sheet.typing_pause = True, 0.2  # as in a kernel, whose event loop runs
    store = ResponseStore(store_path)
    first, second = ids_of(sheet, "reflection")[:2]
    check = ids_of(sheet, "self-check")[0]

    async def learner_types() -> None:
        box = sheet.controls[first].widget
        for n in range(1, 6):
            box.value = "I will report"[: n * 2]  # one key after another
            await asyncio.sleep(0.01)
        assert store.counts()["saves"] == 0, "nothing saved while typing"
        await asyncio.sleep(0.4)
        assert store.answers(SESSION, "worksheet", "li-ming") == {first: "I will rep"}
        assert store.counts()["saves"] == 1
        # Text still pending is saved before a click's answer, and before submitting.
        sheet.controls[second].widget.value = "half a thought"
        sheet.controls[check].widget.value = "no"
        assert store.answers(SESSION, "worksheet", "li-ming")[second] == "half a thought"
        sheet.controls[second].widget.value = "half a thought, finished"
        sheet.submit_button.click()
        sheet.confirm_button.click()

    # In a thread of its own: the main thread may already have a loop (Playwright's, in the browser tests).
    failures: list[BaseException] = []
    worker = threading.Thread(target=lambda: _run(asyncio.run, learner_types(), failures))
    worker.start()
    worker.join()
    assert failures == []
    assert store.answers(SESSION, "worksheet", "li-ming")[second] == "half a thought, finished"
    assert store.submission(SESSION, "worksheet", "li-ming") is not None
    assert store.counts()["saves"] == 4


def test_a_change_handled_in_another_thread_is_saved(bundled: Library, store_path: Path) -> None:
    """JupyterLab hands widget messages to a kernel subshell, a thread of its own."""
    import threading

    sheet = LearnerSheet(prepare(bundled, store_path, learner="li-ming"))
    check = ids_of(sheet, "self-check")[0]
    worker = threading.Thread(target=lambda: setattr(sheet.controls[check].widget, "value", "no"))
    worker.start()
    worker.join()
    assert "Saved at" in sheet.status.value
    assert ResponseStore(store_path).answers(SESSION, "worksheet", "li-ming") == {check: "no"}


def _run(function: Any, argument: Any, failures: list[BaseException]) -> None:
    try:
        function(argument)
    except BaseException as exc:  # reported by the test in the main thread
        failures.append(exc)


def test_what_learners_do_in_the_widgets_is_what_the_trainer_report_counts(bundled: Library, store_path: Path) -> None:
    from toolkit.documents.report import analysis

    # Three learners on the quiz: one all right, one half right, one who opens it and answers nothing.
    right = LearnerSheet(prepare(bundled, store_path, name="quiz", questions=4, learner="amber"))
    assert right.record is not None
    questions = right.record.questions()
    for item in questions:
        give(right, item, item["answer"])
    assert right.submit() is not None
    half = LearnerSheet(prepare(bundled, store_path, name="quiz", questions=4, learner="birch"))
    for n, item in enumerate(questions):
        give(half, item, item["answer"] if n < 2 else wrong_answer(item))
    assert half.submit() is not None
    LearnerSheet(prepare(bundled, store_path, name="quiz", questions=4, learner="cedar"))
    LearnerSheet(prepare(bundled, store_path, name="quiz", questions=4, learner="cedar"))
    opens = (
        ResponseStore(store_path)
        .conn.execute("SELECT times, opened_at <= last_opened_at FROM opens WHERE learner = 'cedar'")
        .fetchall()
    )
    assert opens == [(2, 1)]
    # One learner on the worksheet answers "no" to its first self-check item and submits nothing.
    sheet = LearnerSheet(prepare(bundled, store_path, learner="dune"))
    first_check = ids_of(sheet, "self-check")[0]
    sheet.controls[first_check].widget.value = "no"

    responses = analysis.read_store(store_path)
    (row,) = analysis.completion(responses).to_dict("records")
    assert (row["session"], row["opened"], row["saved"], row["submitted"]) == (SESSION, 4, 3, 2)
    assert responses.counts()["learners"] == 4  # the provenance line counts the learner who only looked too
    items = analysis.item_analysis(responses).set_index("item")
    for n, item in enumerate(questions):
        assert items.loc[item["id"], "difficulty"] == (1.0 if n < 2 else 0.5)
    noes = analysis.self_check_no(responses).to_dict("records")
    assert [(r["item"], r["answered"], r["no"]) for r in noes] == [(first_check, 1, 1)]
    records = analysis.training_records(responses, show_names=True).set_index("learner")
    assert sorted(records.index) == ["amber", "birch"]
    assert (records.loc["amber", "score"], records.loc["birch", "score"]) == (4, 2)
    assert bool(records.loc["amber", "passed"]) and not bool(records.loc["birch", "passed"])
