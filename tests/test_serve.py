"""``lianzheng serve`` and ``lianzheng responses export``: prepared notebooks, the Voilà command line, exports
read back with pandas and openpyxl, clear errors; and the learner's page end to end in a real browser."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from toolkit import Library
from toolkit.cli import main
from toolkit.documents import assemble
from toolkit.i18n import catalog
from toolkit.responses.export import COLUMNS
from toolkit.responses.sheets import sheet_record
from toolkit.responses.store import ResponseStore
from toolkit.testing import lab
from toolkit.testing.lab import free_port

SESSION = "autumn-2026"


def test_serve_prepares_parameterized_notebooks_and_prints_the_voila_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "responses.sqlite"
    argv = ["serve", "--store", str(store), "--session", SESSION, "--audience", "retired", "--questions", "4"]
    assert main([*argv, "--lang", "zh-CN", "--port", "9001", "--open", "--dry-run"]) == 0
    out = capsys.readouterr().out
    folder = tmp_path / SESSION
    assert f"voila: {sys.executable} -m voila {folder} --no-browser --port=9001 --Voila.ip=127.0.0.1" in out
    assert "--template=lianzheng" in out
    assert "open: http://127.0.0.1:9001/voila/render/worksheet.ipynb   with any learner id (open session)" in out
    assert store.is_file() and ResponseStore(store).counts()["sheets"] == 0
    for name in ("worksheet", "quiz"):
        nb = nbformat.read(folder / f"{name}.ipynb", as_version=4)
        assert [c.cell_type for c in nb.cells] == ["code"] * 4, "no Markdown for the learner to read"
        assert all(c.outputs == [] for c in nb.cells), "parameterized, not executed"
        injected = nb.metadata["papermill"]["parameters"]
        assert injected["store"] == str(store.resolve()) and injected["session"] == SESSION
        assert injected["lang"] == "zh-CN" and injected["questions"] == 4 and injected["edition"] == "interactive"
        assert Path(injected["library"]).is_dir()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["casebook", "--session", SESSION], "lianzheng: 'casebook' cannot be served; valid: worksheet, quiz"),
        (["--session", "a b"], "lianzheng: session id 'a b' is not valid"),
        (["--session", SESSION, "--audience", "retird"], "parameter 'audience' is 'retird' (did you mean 'retired'?)"),
        (["--session", SESSION, "--pass-mark", "150"], "parameter 'pass_mark' is 150; valid: 0 to 100"),
        (["quiz", "--session", SESSION, "--questions", "0"], "parameter 'questions' is 0; valid: 1 to 200"),
    ],
)
def test_serve_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["serve", *args, "--store", str(tmp_path / "r.sqlite"), "--open", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_serve_refuses_a_session_whose_sheet_was_opened_with_other_questions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bundled: Library
) -> None:
    store = tmp_path / "r.sqlite"
    params = {"audience": "retired", "questions": 4}
    ResponseStore(store).register_sheet(
        sheet_record(assemble("quiz", params, bundled), params, bundled.version, SESSION, "quiz")  # type: ignore[arg-type]
    )
    argv = [
        "serve",
        "quiz",
        "--store",
        str(store),
        "--session",
        SESSION,
        "--audience",
        "retired",
        "--open",
        "--dry-run",
    ]
    assert main([*argv, "--questions", "4", "--date", "2027-01-05"]) == 0  # the same questions: fine
    capsys.readouterr()
    assert main([*argv, "--questions", "6"]) == 2
    assert "sheet 'quiz' of session 'autumn-2026' is already open with other items" in capsys.readouterr().err


def test_serve_serves_the_interactive_edition_only(tmp_path: Path, bundled: Library) -> None:
    """The answer key is never served to learners: asking for another edition is refused before any file is written."""
    from toolkit.errors import ParameterError
    from toolkit.serve import serve_plan

    store = tmp_path / "r.sqlite"
    with pytest.raises(ParameterError, match=r"^quiz is served in the interactive edition, not 'key'$"):
        serve_plan(
            ["quiz"],
            {"audience": "retired", "edition": "key"},
            bundled,
            store=store,
            session=SESSION,
            open_session=True,
        )
    assert not (tmp_path / SESSION).exists()


def test_serve_refuses_a_file_that_is_not_a_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "notes.sqlite"
    junk.write_text("meeting notes " * 200)
    assert main(["serve", "--store", str(junk), "--session", SESSION, "--open", "--dry-run"]) == 2
    assert "not a response store" in capsys.readouterr().err
    assert junk.read_text().startswith("meeting notes")


# -- export -----------------------------------------------------------------------------------------


@pytest.fixture
def filled(tmp_path: Path, bundled: Library) -> Path:
    """A store with two learners' answers; one of them submitted."""
    path = tmp_path / "responses.sqlite"
    store = ResponseStore(path)
    params = {"audience": "retired", "date": "2026-12-01", "questions": 12, "lang": "zh-CN"}
    record = store.register_sheet(
        sheet_record(assemble("quiz", params, bundled), params, bundled.version, SESSION, "quiz")
    )  # type: ignore[arg-type]
    questions = record.questions()
    for item in questions:
        store.save(SESSION, "quiz", "li-ming", item["id"], item["answer"])
    store.save(SESSION, "quiz", "wang-fang", questions[0]["id"], questions[0]["answer"])
    store.submit(SESSION, "quiz", "li-ming")
    store.close()
    return path


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_writes_one_row_per_answer_with_the_score(
    filled: Path, tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import pandas as pd

    out = tmp_path / f"answers{suffix}"
    assert main(["responses", "export", "--store", str(filled), "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"13 answers written to {out}"
    frame = (
        pd.read_csv(out, encoding="utf-8-sig", dtype={"value": str}, keep_default_na=False)
        if suffix == ".csv"
        else pd.read_excel(out, sheet_name="answers", dtype={"value": str}, keep_default_na=False)
    )
    assert list(frame.columns) == list(COLUMNS) and len(frame) == 13
    li = frame[frame.learner == "li-ming"]
    assert {float(v) for v in li.score} == {12.0} and {float(v) for v in li.max_score} == {12.0} and len(li) == 12
    assert set(li.passed.astype(str)) == {"True"}
    wang = frame[frame.learner == "wang-fang"]
    assert len(wang) == 1 and wang.score.astype(str).iloc[0] in ("", "nan")
    types = set(frame.type)
    assert types <= {"single", "multiple", "true-false"} and "true-false" in types
    assert set(frame[frame.type == "true-false"].value) <= {"true", "false"}
    assert all(v.isalpha() and v.isupper() for v in frame[frame.type == "single"].value)
    assert all(s.endswith("Z") for s in frame.saved_at)


def test_xlsx_is_a_real_workbook(filled: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "answers.xlsx"
    assert main(["responses", "export", "--store", str(filled), "--out", str(out)]) == 0
    book = load_workbook(out, read_only=True)
    try:
        rows = list(book["answers"].iter_rows(values_only=True))
    finally:
        book.close()  # a read-only workbook keeps its file open until closed
    assert rows[0] == COLUMNS and len(rows) == 14
    assert rows[1][0] == SESSION


def test_export_errors_are_one_line_and_keep_an_earlier_file(
    filled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["responses", "export", "--store", str(tmp_path / "nope.sqlite"), "--out", str(tmp_path / "a.csv")]) == 2
    )
    assert (
        capsys.readouterr().err
        == f"lianzheng: {tmp_path / 'nope.sqlite'}: no response store there (the file does not exist)\n"
    )
    assert not (tmp_path / "a.csv").exists()
    earlier = tmp_path / "a.json"
    earlier.write_text("{}")
    assert main(["responses", "export", "--store", str(filled), "--out", str(earlier)]) == 2
    assert capsys.readouterr().err == f"lianzheng: {earlier}: cannot export to '.json'; valid: .csv, .xlsx\n"
    assert earlier.read_text() == "{}"
    assert not list(tmp_path.glob(".*part*"))


# -- end to end: Voilà on localhost, Debian's Chromium -----------------------------------------------


def listening(server: subprocess.Popen[Any], port: int, log: Path | None) -> None:
    """Wait until the server this test started accepts connections; fail with its log if it exits."""
    deadline = time.monotonic() + 90
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
            return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start: {log.read_text()[-2000:] if log else server.args}")
            time.sleep(0.5)


def stop(server: subprocess.Popen[Any]) -> None:
    """Stop a server this test started: it leads its own process group, with its kernels in it."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
        try:
            os.killpg(server.pid, sig)
        except ProcessLookupError:
            break
        try:
            server.wait(wait)
            break
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture
def voila(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``lianzheng serve`` (which becomes Voilà) on a free localhost port with a temporary store."""
    port = free_port()
    store = tmp_path / "responses.sqlite"
    command = [
        sys.executable,
        "-c",
        "import sys; from toolkit.cli import main; sys.exit(main())",
        "serve",
        "worksheet",
        *("--store", str(store), "--session", SESSION, "--audience", "retired", "--questions", "4"),
        *("--date", "2026-12-01", "--port", str(port), "--open", "--key", "submission"),
    ]
    log = (tmp_path / "voila.log").open("w")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        listening(server, port, tmp_path / "voila.log")
        yield base, store
    finally:
        stop(server)
        log.close()


@pytest.mark.slow
def test_plain_voila_with_the_store_in_the_environment_and_the_learner_in_the_address(tmp_path: Path) -> None:
    """The documented command line without ``lianzheng serve``: the original notebook, as it is."""
    from toolkit.batch.jobs import notebooks_dir

    port = free_port()
    store = tmp_path / "responses.sqlite"
    env = {**os.environ, "LIANZHENG_STORE": str(store), "LIANZHENG_SESSION": "plain-voila"}
    command = [sys.executable, "-m", "voila", str(notebooks_dir() / "quiz.ipynb"), "--no-browser", f"--port={port}"]
    server = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        listening(server, port, None)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/?learner=zhao-lei", timeout=120) as response:
            page = response.read().decode("utf-8")
        assert "Interactive edition" in page and "Integrity knowledge quiz" in page
        record = _wait_for(lambda: store.exists() and ResponseStore(store).counts()["learners"] == 1)
        assert record
        opened = ResponseStore(store)
        assert opened.sheet("plain-voila", "quiz").kind == "quiz"
        assert opened.conn.execute("SELECT learner FROM learners").fetchall() == [("zhao-lei",)]
    finally:
        stop(server)


def _answers(store: Path) -> dict[str, Any]:
    if not store.exists():
        return {}
    return ResponseStore(store).answers(SESSION, "worksheet", "li-ming")


def _wait_for(condition: Any, seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


@pytest.mark.slow
@pytest.mark.browser
def test_a_learner_answers_reloads_and_submits_in_a_real_browser(
    browser: Any, voila: tuple[str, Path], artifacts: Path
) -> None:
    base, store = voila
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    refused: list[str] = []
    errors: list[str] = []

    def route(request_route: Any) -> None:
        if request_route.request.url.startswith(base):
            request_route.continue_()
        else:  # nothing may leave the server: an offline training room has no CDN
            refused.append(request_route.request.url)
            request_route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{base}/", timeout=90_000)
        page.locator(".lz-learner-id input").fill("li-ming", timeout=90_000)
        page.locator(".lz-start").click()
        page.wait_for_selector(".widget-toggle-buttons", timeout=60_000)
        record = ResponseStore(store).sheet(SESSION, "worksheet")
        check = next(i for i in record.items if i["type"] == "self-check")
        reflection = next(i for i in record.items if i["type"] == "reflection")
        question = next(i for i in record.questions() if i["type"] == "single")
        css = lambda item: ".lz-item-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in item["id"])  # noqa: E731
        page.locator(f"{css(check)} button", has_text="No").click()
        area = page.locator(f"{css(reflection)} textarea")
        area.press_sequentially("I accepted a festival card in 2025 and handed it in late.", delay=5)
        # No click elsewhere: the text is saved once typing pauses.
        page.locator(f"{css(question)} button", has_text=question["answer"]).click()
        expected = {
            check["id"]: "no",
            reflection["id"]: "I accepted a festival card in 2025 and handed it in late.",
            question["id"]: question["answer"],
        }
        _wait_for(lambda: _answers(store) == expected)
        typed = ResponseStore(store).conn.execute("SELECT count(*) FROM saves WHERE item = ?", (reflection["id"],))
        assert typed.fetchone()[0] <= 3, "saved when typing paused, not at every key"
        page.wait_for_selector(".lz-status :text('Saved at')")

        page.reload()
        page.locator(".lz-learner-id input").fill("li-ming", timeout=90_000)
        page.locator(".lz-start").click()
        page.wait_for_selector(f"{css(reflection)} textarea", timeout=60_000)
        assert page.locator(f"{css(reflection)} textarea").input_value() == expected[reflection["id"]]
        assert "mod-active" in (page.locator(f"{css(check)} button", has_text="No").get_attribute("class") or "")
        chosen = page.locator(f"{css(question)} button", has_text=question["answer"])
        assert "mod-active" in (chosen.get_attribute("class") or "")

        page.locator(".lz-submit").click()
        asked = page.locator(".lz-confirm-row")
        asked.wait_for(timeout=30_000)
        assert "Submit now? Your answers will be locked." in asked.inner_text()
        assert f"Items not yet answered: {len(record.items) - 3}" in asked.inner_text()
        page.locator(".lz-confirm").click()  # submitting asks first
        result = page.locator(".lz-result")
        result.wait_for(timeout=60_000)
        text = result.inner_text()
        assert "Score: 1 of 4 (25%)" in text and "Not passed (pass mark 60%)" in text
        assert text.count("Rule:") == 4 and question["explanation"][:40] in text
        assert page.locator(f"{css(reflection)} textarea").is_disabled()
        assert page.locator(".lz-submit button, button.lz-submit").first.is_disabled()
        # Voilà scrolls inside its own container: bring the result into view, then keep the screen as seen.
        result.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "learner-worksheet-submitted.png"))
        submission = ResponseStore(store).submission(SESSION, "worksheet", "li-ming")
        assert submission is not None and submission.score == 1 and not submission.passed
        assert errors == [], errors
        assert refused == [], refused
    finally:
        context.close()


@pytest.mark.slow
@pytest.mark.browser
def test_the_same_notebook_works_in_jupyterlab(
    browser: Any, tmp_path: Path, artifacts: Path, jupyterlab: lab.Lab, lab_folder: Path
) -> None:
    """A trainer's copy prepared by ``lianzheng serve --dry-run``, opened and run in a real JupyterLab."""
    store = tmp_path / "responses.sqlite"
    argv = ["serve", "quiz", "--store", str(store), "--session", SESSION, "--audience", "families", "--open"]
    argv += ["--key", "submission", "--dry-run"]
    assert main([*argv, "--questions", "3", "--date", "2026-12-01", "--dir", str(lab_folder)]) == 0
    # The module's JupyterLab (started once), its runtime files and workspaces in a test folder, not the user's.
    server = jupyterlab
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(server.base) else r.abort())
    try:
        page = context.new_page()
        lab.run_notebook(page, server, f"{lab_folder.name}/quiz.ipynb", ".lz-learner-id input", seconds=120)
        page.locator(".lz-learner-id input").fill("li-ming", timeout=120_000)
        page.locator(".lz-start").click()
        question = page.locator(".widget-toggle-buttons").first
        question.locator("button").first.click(timeout=60_000)
        answers = _wait_for(lambda: store.exists() and ResponseStore(store).answers(SESSION, "quiz", "li-ming"))
        assert len(answers) == 1 and next(iter(answers.values())) == "A"
        page.locator(".lz-submit").click()
        page.locator(".lz-confirm").click()  # submitting asks first
        result = page.locator(".lz-result")
        result.wait_for(timeout=60_000)
        assert "of 3" in result.inner_text() and result.inner_text().count("Rule:") == 3
        result.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "learner-quiz-jupyterlab.png"))
    finally:
        context.close()


@pytest.mark.slow
@pytest.mark.browser
def test_text_typed_just_before_the_page_is_closed_is_saved(browser: Any, voila: tuple[str, Path]) -> None:
    """Closing the tab before typing has paused loses nothing: the kernel outlives the page and saves it."""
    base, store = voila
    context = browser.new_context()
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
    page = context.new_page()
    page.goto(f"{base}/?learner=li-ming", timeout=90_000)
    record_items = _wait_for(lambda: store.exists() and ResponseStore(store).sheet(SESSION, "worksheet").items)
    reflection = next(i for i in record_items if i["type"] == "reflection")
    css = ".lz-item-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in reflection["id"])
    area = page.locator(f"{css} textarea")
    area.wait_for(timeout=60_000)
    area.press_sequentially("Last words before closing.", delay=5)
    page.wait_for_timeout(300)  # the keys reach the kernel; the typing pause (0.8 s) has not passed
    context.close()
    text = "Last words before closing."
    assert _wait_for(lambda: _answers(store).get(reflection["id"]) == text, seconds=30)


@pytest.mark.slow
def test_a_chinese_sheet_speaks_chinese_before_its_widgets(tmp_path: Path, bundled: Library) -> None:
    """The page around the widgets is in the sheet's language too: <html lang>, the title, and the
    loading text in place of Voilà's English "Running ..." and "Executing 3 of 7"."""
    port = free_port()
    store = tmp_path / "responses.sqlite"
    command = [
        sys.executable,
        "-c",
        "import sys; from toolkit.cli import main; sys.exit(main())",
        "serve",
        "quiz",
        *("--store", str(store), "--session", SESSION, "--audience", "retired", "--questions", "4"),
        *("--date", "2026-12-01", "--port", str(port), "--open", "--lang", "zh-CN"),
    ]
    log_path = tmp_path / "voila.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            listening(server, port, log_path)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/?learner=li-ming", timeout=120) as response:
                page = response.read().decode("utf-8")
        finally:
            stop(server)
    title = catalog("zh-CN")("quiz.title")
    assert '<html lang="zh-CN">' in page
    assert f"<title>{title}</title>" in page
    assert json.dumps(catalog("zh-CN")("learner.loading", title=title)) in page
    assert json.dumps(catalog("zh-CN")("learner.progress", index="{index}", count="{count}")) in page
    script = page.split('id="loading_text"', 1)[1]
    assert script.index("loading.textContent =") < script.index("cell-index=")  # before the first cell
