"""A candidate's page of the pre-appointment test: their own paper, the time left by the server, one re-sit.

``notebooks/test.ipynb`` calls :func:`candidate_page` and ``lianzheng serve test`` serves it. The page opens
only from a candidate's personal link (``?pass=<token>`` of the session's roster), shows the attempt the
candidate is at (the first is drawn and its clock started the first time the paper opens, and the same
paper comes back on every reload), saves each answer as it is given, and refuses one given after the
time limit with a sentence in the candidate's language; once the time is up the paper is handed in,
graded on the answers saved in time. The time left is the server's figure, refreshed by the kernel
(which runs on the server) every few seconds: the browser's clock is never asked.
Submitting grades the paper; a candidate who did not pass may start the one re-sit, a fresh paper with
none of the questions already seen; a third attempt is refused.

The logic needs no browser: tests build a :class:`CandidatePage` with a clock of their own, set widget
values as a browser would and read the store.
"""

from __future__ import annotations

import asyncio
from html import escape
from pathlib import Path
from typing import Any

from toolkit.errors import AttemptsUsedError, ResponseError, SubmittedError, TimeUpError, ToolkitError, requires_extra
from toolkit.i18n import catalog
from toolkit.library.catalog import Library
from toolkit.responses.pretest import (
    Attempt,
    Clock,
    Pretest,
    attempt_answers,
    attempts,
    open_attempt,
    read_pretest,
    save_answer,
    start_resit,
    submit_attempt,
    system_clock,
)
from toolkit.responses.store import ResponseStore
from toolkit.widgets.worksheet import (
    Control,
    confirm_question,
    format_number,
    in_kernel,
    item_html,
    make_control,
    query_parameters,
    submit_controls,
)

with requires_extra("serve"):
    import ipywidgets as widgets

TICK = 5.0  # seconds between two refreshes of the time left shown


class CandidatePage:
    """The test page of one candidate (one page, one candidate: never switched once open)."""

    def __init__(
        self, library: Library, store: Path, session: str, *, clock: Clock = system_clock, tick: bool | None = None
    ) -> None:
        self.library = library
        self.store = ResponseStore(store)
        self.session = session
        self.clock = clock
        self.tick = in_kernel() if tick is None else tick
        self.test: Pretest = read_pretest(self.store, session)
        self.t = catalog(self.test.lang)
        self.learner = ""
        self.attempt: Attempt | None = None
        self.controls: dict[str, Control] = {}
        self._timer: asyncio.TimerHandle | None = None
        t = self.t
        self.message = widgets.HTML()
        self.identity = widgets.HTML()
        self.header = widgets.HTML()
        self.clock_line = widgets.HTML()
        self.body = widgets.VBox()
        self.status = widgets.HTML()
        self.submit_button, self.confirm_text, self.confirm_button, self.cancel_button, self.confirm_row = (
            submit_controls(t, self.ask_to_submit, self.submit)
        )
        self.result = widgets.HTML()
        self.resit_button = widgets.Button(description=t("test.resit"), button_style="primary")
        self.resit_button.on_click(lambda _: self.resit())
        self.resit_button.layout.display = "none"
        self.widget = widgets.VBox(
            [
                self.message,
                self.identity,
                self.header,
                self.clock_line,
                self.body,
                self.status,
                self.submit_button,
                self.confirm_row,
                self.result,
                self.resit_button,
            ]
        )

    # -- opening ----------------------------------------------------------------------------------

    def open(self, token: str) -> bool:
        """Open the paper of the roster's candidate whose token this is; refuse any other token, or none."""
        if self.attempt is not None:
            return False
        entry = None
        if token:
            try:
                entry = self.store.learner_for_token(self.session, token)
            except ToolkitError:
                entry = None
        if entry is None:
            self.message.value = f"<p class='lz-error lz-no-access'>{escape(self.t('learner.no_access'))}</p>"
            return False
        try:
            attempt = open_attempt(self.store, self.library, self.session, entry.learner, self.clock)
        except ToolkitError as exc:
            self.message.value = f"<p class='lz-error'>{escape(str(exc))}</p>"
            return False
        self.learner = entry.learner
        shown = f"{entry.name}{self.t('punct.paren', text=entry.learner)}" if entry.name else entry.learner
        self.identity.value = f"<p><strong>{escape(self.t('learner.signed_in', learner=shown))}</strong></p>"
        self._show(attempt)
        return True

    def _show(self, attempt: Attempt) -> None:
        t = self.t
        self.attempt = attempt
        self.controls = {}
        self.result.value = ""
        self.status.value = ""
        self.resit_button.layout.display = "none"
        self.submit_button.disabled = False
        self.submit_button.layout.display = None
        title = escape(t("test.title"))
        which = escape(t("test.attempt", attempt=attempt.attempt, attempts=self.test.attempts))
        instructions = t(
            "test.instructions",
            count=len(attempt.items),
            minutes=self.test.minutes,
            mark=round(attempt.pass_mark * 100),
        )
        self.header.value = f"<h1>{title}</h1><p><strong>{which}</strong></p><p>{escape(instructions)}</p>"
        answers = attempt_answers(self.store, attempt)
        rows: list[widgets.Widget] = []
        for number, item in enumerate(attempt.items, start=1):
            control = make_control(item, t)
            if answers.get(item["id"]) is not None:
                control.value = answers[item["id"]]  # restored before watching: not saved again
            control.watch(self._saver(item["id"]))
            self.controls[item["id"]] = control
            rows.append(widgets.HTML(item_html(item, number, t)))
            rows.append(control.widget)
        self.body.children = tuple(rows)
        if attempt.submitted:
            self._locked(attempt)
        else:
            self.refresh_clock()

    # -- the time left ----------------------------------------------------------------------------

    def seconds_left(self) -> int:
        return self.attempt.seconds_left(self.clock()) if self.attempt is not None else 0

    def refresh_clock(self) -> None:
        """Show the time left by the server's clock; once it is up, hand the paper in and say so."""
        if self.attempt is None or self.attempt.submitted:
            return
        left = self.seconds_left()
        if left <= 0:
            self.submit()  # graded on the answers saved in time
            self.clock_line.value = f"<p class='lz-error lz-time-up'>{escape(self.t('test.time_up'))}</p>"
            return
        text = self.t("test.time_left", minutes=left // 60, seconds=left % 60)
        self.clock_line.value = f"<p class='lz-time-left'><strong>{escape(text)}</strong></p>"
        if self.tick:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return
            if self._timer is not None:
                self._timer.cancel()
            self._timer = loop.call_later(TICK, self.refresh_clock)

    # -- answering and submitting -----------------------------------------------------------------

    def _saver(self, item_id: str) -> Any:
        return lambda value: self.save(item_id, value)

    def save(self, item_id: str, value: Any) -> bool:
        """Save one answer; refused after the time limit or the submission, with a sentence saying so."""
        if self.attempt is None:
            return False
        t = self.t
        try:
            save_answer(self.store, self.attempt, item_id, value, self.clock)
        except TimeUpError:
            self.status.value = f"<p class='lz-error'>{escape(t('test.not_saved_time_up'))}</p>"
            self.refresh_clock()
            return False
        except ToolkitError as exc:
            self.status.value = f"<p class='lz-error'>{escape(t('learner.not_saved', error=str(exc)))}</p>"
            return False
        moment = self.clock().astimezone().strftime("%H:%M:%S")
        self.status.value = f"<p class='lz-muted'>{escape(t('learner.saved', time=moment))}</p>"
        return True

    def ask_to_submit(self) -> None:
        unanswered = sum(control.value in (None, "", []) for control in self.controls.values())
        self.confirm_text.value = confirm_question(self.t, unanswered)
        self._show_confirm(True)

    def _show_confirm(self, shown: bool) -> None:
        self.confirm_row.layout.display = "flex" if shown else "none"

    def submit(self) -> Attempt | None:
        """Grade the answers saved in time and show the score; then the re-sit, if one is left."""
        if self.attempt is None:
            return None
        try:
            attempt = submit_attempt(self.store, self.attempt, self.clock)
        except SubmittedError:
            attempt = next(
                a for a in attempts(self.store, self.session, self.learner) if a.attempt == self.attempt.attempt
            )
        except ToolkitError as exc:
            self.status.value = f"<p class='lz-error'>{escape(str(exc))}</p>"
            return None
        self.attempt = attempt
        self._locked(attempt)
        return attempt

    def _locked(self, attempt: Attempt) -> None:
        t = self.t
        for control in self.controls.values():
            control.disable()
        self.submit_button.disabled = True
        self.submit_button.layout.display = "none"
        self._show_confirm(False)
        self.clock_line.value = ""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        score, top = attempt.score or 0.0, attempt.max_score or 0.0
        percent = round(100 * score / top) if top else 100
        mark = round(attempt.pass_mark * 100)
        lines = [
            t("learner.score", score=format_number(score), max_score=format_number(top), percent=percent),
            t("learner.passed", mark=mark) if attempt.passed else t("learner.not_passed", mark=mark),
        ]
        if attempt.passed:
            follow = ""
        elif attempt.attempt < self.test.attempts:
            follow = t("test.resit_offer")
            self.resit_button.layout.display = None
        else:
            follow = t("test.no_more_attempts")
        verdict = "lz-passed" if attempt.passed else "lz-not-passed"
        html = "".join(f"<p class='{verdict}'><strong>{escape(line)}</strong></p>" for line in lines)
        if follow:
            html += f"<p>{escape(follow)}</p>"
        self.result.value = html

    def resit(self) -> Attempt | None:
        """Start the re-sit: a fresh paper with none of the questions already seen; a third is refused."""
        if self.attempt is None:
            return None
        try:
            attempt = start_resit(self.store, self.library, self.session, self.learner, self.clock)
        except AttemptsUsedError:
            refusal = self.t("test.passed_no_resit") if self.attempt.passed else self.t("test.no_more_attempts")
            self.status.value = f"<p class='lz-error'>{escape(refusal)}</p>"
            self.resit_button.layout.display = "none"
            return None
        except ToolkitError as exc:
            self.status.value = f"<p class='lz-error'>{escape(str(exc))}</p>"
            return None
        self._show(attempt)
        return attempt


def candidate_page(store: str = "", session: str = "", library: str = "") -> CandidatePage:
    """The page a candidate's link opens (what ``notebooks/test.ipynb`` shows), opened with ``?pass=``.

    A blank ``store`` or ``session`` falls back to ``$LIANZHENG_STORE`` and ``$LIANZHENG_SESSION``.
    """
    import os

    from IPython.display import display

    store = store or os.environ.get("LIANZHENG_STORE", "")
    session = session or os.environ.get("LIANZHENG_SESSION", "")
    if not store or not session:
        raise ResponseError("the test page needs a store and a session: serve it with 'lianzheng serve test'")

    from toolkit.library.load import load_library
    from toolkit.paths import default_library

    lib = load_library(Path(library) if library else default_library())
    page = CandidatePage(lib, Path(store), session)
    page.open(query_parameters().get("pass", ""))
    display(page.widget)
    return page
