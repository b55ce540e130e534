"""The interactive edition of a worksheet or quiz: a learner opens their sheet, answers in widgets, every
change is saved to the response store (a click at once, text when typing pauses), reopening restores
every answer, and "Submit" locks the answers, checks the quiz and shows the score; the key with each
question's explanation and rule shows when the trainer says (at submission, or once released).

The logic lives here, not in the notebook, and needs no browser: tests build a :class:`LearnerSheet`,
set widget values as a browser would, and read the store.

Where answers go (each a notebook parameter; a blank one falls back as listed):

- ``store``: ``$LIANZHENG_STORE``, else ``responses.sqlite`` in the current folder;
- ``session``: ``$LIANZHENG_SESSION``, else the audience id;
- ``sheet``: the document's name (``worksheet`` or ``quiz``).

Who answers:

- a session with a roster (``lianzheng roster load``) opens a sheet only to a learner's personal link,
  ``?pass=...`` in the page's address (Voilà passes the query string to the kernel as ``$QUERY_STRING``);
  nothing else opens it (no learner id, typed or given), and the learner's name is the roster's;
- a session without a roster is open, for practice (``lianzheng serve --open``): the learner is the
  ``learner`` parameter, else ``?learner=`` in the address, else ``$LIANZHENG_LEARNER``, else an id the
  learner types. Anyone may give any id there; names are never taken from the page.
"""

from __future__ import annotations

import asyncio
import atexit
import datetime as dt
import os
import sqlite3
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from toolkit.documents.handout import Handout
from toolkit.documents.items import ItemType, item_type
from toolkit.documents.params import INTERACTIVE
from toolkit.documents.quiz import QuizPaper
from toolkit.documents.worksheet import Worksheet
from toolkit.errors import ResponseError, ToolkitError, requires_extra
from toolkit.i18n import Catalog, catalog
from toolkit.render import environment, md_inline
from toolkit.responses.papers import learner_paper, shown_answer
from toolkit.responses.sheets import sheet_items, sheet_record
from toolkit.responses.store import ResponseStore, SheetRecord, SheetSettings, Submission, check_id

with requires_extra("serve"):
    import ipywidgets as widgets

DEFAULT_STORE = "responses.sqlite"
TYPING_PAUSE = 0.8  # seconds without a key before a text box's value is saved


@dataclass(frozen=True)
class Settings:
    """Where the answers go and who gives them, every fallback resolved."""

    store: Path
    session: str
    sheet: str
    learner: str  # the learner parameter: an open session only
    pass_mark: float
    token: str = ""  # ?pass= in the page's address: a session with a roster
    asked: str = ""  # ?learner= in the page's address: an open session only


def query_parameters() -> dict[str, str]:
    """The page address's query parameters under Voilà (``$QUERY_STRING``); empty elsewhere."""
    parsed = parse_qs(os.environ.get("QUERY_STRING", ""))
    return {key: values[-1] for key, values in parsed.items() if values}


def resolve(handout: Handout) -> Settings:
    """The interactive edition's settings of an assembled worksheet or quiz (see the module docstring)."""
    values = handout.learner or {}
    query = query_parameters()
    return Settings(
        store=Path(values.get("store") or os.environ.get("LIANZHENG_STORE") or DEFAULT_STORE).expanduser(),
        session=values.get("session") or os.environ.get("LIANZHENG_SESSION") or handout.document.cover.audience,
        sheet=values.get("sheet") or handout.name,
        learner=values.get("learner") or "",
        pass_mark=int(values.get("pass_mark", 60)) / 100,
        token=query.get("pass", ""),
        asked=query.get("learner") or os.environ.get("LIANZHENG_LEARNER") or "",
    )


def answer_text(value: Any, t: Catalog) -> str:
    """An answer as the learner reads it: a letter, letters, true or false in words, or "no answer"."""
    if value is None or value == []:
        return t("learner.no_answer")
    if isinstance(value, bool):
        return t("quiz.true") if value else t("quiz.false")
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return str(value)


def _css_name(item_id: str) -> str:
    return "lz-item-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in item_id)


class Control:
    """One item's widget: ``value`` in the store's form, ``changed`` called with each new value."""

    def __init__(self, item: dict[str, Any], widget: widgets.Widget, *, typing: bool = False) -> None:
        self.item = item
        self.widget = widget
        self.typing = typing  # a text box: its value changes at every key
        self.widget.add_class(_css_name(item["id"]))
        self.changed: Callable[[Any], None] = lambda value: None

    @property
    def value(self) -> Any:
        return self.widget.value

    @value.setter
    def value(self, value: Any) -> None:
        self.widget.value = value

    def watch(self, changed: Callable[[Any], None]) -> None:
        self.changed = changed
        self.widget.observe(lambda change: self.changed(self.value), names="value")

    def disable(self) -> None:
        self.widget.disabled = True


class ManyControl(Control):
    """A multiple-choice question: one toggle a letter; the value is the sorted list of letters chosen."""

    def __init__(self, item: dict[str, Any]) -> None:
        # One toggle per option in the learner's order, labelled with the letter they see, keyed by its value.
        self.toggles = {
            value: widgets.ToggleButton(description=shown, value=False, layout=widgets.Layout(width="3.5em"))
            for shown, value in _option_values(item)
        }
        super().__init__(item, widgets.HBox(list(self.toggles.values())))

    @property
    def value(self) -> Any:
        return sorted(letter for letter, toggle in self.toggles.items() if toggle.value)

    @value.setter
    def value(self, value: Any) -> None:
        for letter, toggle in self.toggles.items():
            toggle.value = letter in (value or [])

    def watch(self, changed: Callable[[Any], None]) -> None:
        self.changed = changed
        for toggle in self.toggles.values():
            toggle.observe(lambda change: self.changed(self.value), names="value")

    def disable(self) -> None:
        for toggle in self.toggles.values():
            toggle.disabled = True


def _option_values(item: dict[str, Any]) -> list[tuple[str, str]]:
    """(letter shown, value stored) of each option, in the order the learner sees them."""
    values = item.get("values") or {}
    return [(shown, values.get(shown, shown)) for shown, _ in item["options"]]


def _choice_options(kind: ItemType, t: Catalog) -> list[tuple[str, Any]]:
    return [(t(choice.label) if choice.label else str(choice.value), choice.value) for choice in kind.choices]


def buttons_control(item: dict[str, Any], kind: ItemType, t: Catalog) -> Control:
    """One button per fixed answer of the type (yes / no / unsure, true / false...)."""
    return Control(item, widgets.ToggleButtons(options=_choice_options(kind, t), value=None))


def letter_control(item: dict[str, Any], kind: ItemType, t: Catalog) -> Control:
    """One button per option letter of the question; one may be chosen."""
    return Control(item, widgets.ToggleButtons(options=_option_values(item), value=None))


def letters_control(item: dict[str, Any], kind: ItemType, t: Catalog) -> Control:
    """One toggle per option letter of the question; any may be chosen."""
    return ManyControl(item)


def text_control(item: dict[str, Any], kind: ItemType, t: Catalog) -> Control:
    """A text box, saved when typing pauses."""
    area = widgets.Textarea(
        value="",
        placeholder=t("learner.placeholder"),
        continuous_update=True,  # every key reaches the kernel; LearnerSheet.typed saves when typing pauses
        rows=4,
        layout=widgets.Layout(width="100%"),
    )
    return Control(item, area, typing=True)


# The controls an item type names (ItemType.widget): the registry sits below this layer.
WIDGETS: dict[str, Callable[[dict[str, Any], ItemType, Catalog], Control]] = {
    "buttons": buttons_control,
    "letter": letter_control,
    "letters": letters_control,
    "text": text_control,
}


def make_control(item: dict[str, Any], t: Catalog) -> Control:
    """The widget of one item, the one its type names."""
    kind = item_type(item["type"])
    try:
        build = WIDGETS[kind.widget]
    except KeyError:
        raise ResponseError(f"item '{item['id']}': no widget '{kind.widget}' for type '{kind.name}'") from None
    return build(item, kind, t)


class LearnerSheet:
    """The interactive edition of one worksheet or quiz paper, for one learner at a time."""

    def __init__(self, handout: Handout, settings: Settings | None = None) -> None:
        if not isinstance(handout.document, Worksheet | QuizPaper):
            raise ResponseError(f"'{handout.name}' has no interactive edition; valid: worksheet, quiz")
        if not handout.interactive:  # the answer key above all: no learner ever opens it in widgets
            edition = handout.parameters.get("edition")
            raise ResponseError(f"'{handout.name}' {edition} edition has no widgets; valid: {INTERACTIVE}")
        self.handout = handout
        self.document: Worksheet | QuizPaper = handout.document
        self.settings = settings or resolve(handout)
        self.t = catalog(self.document.cover.lang)
        self.store: ResponseStore | None = None
        self.record: SheetRecord | None = None
        self.learner = ""
        self.controls: dict[str, Control] = {}
        self.submission: Submission | None = None
        self.typing_pause = TYPING_PAUSE
        # Deferred only in a kernel, whose loop runs: elsewhere a running loop may be another library's.
        self.defer_typing = in_kernel()
        self._pending: dict[str, Any] = {}
        self._timer: asyncio.TimerHandle | None = None
        atexit.register(_flush_at_exit, weakref.ref(self))
        t = self.t
        labels = {"description_width": "initial"}  # the whole label, in either language
        self.learner_id = widgets.Text(description=t("learner.id"), placeholder="li-ming", style=labels)
        self.start_button = widgets.Button(description=t("learner.start"), button_style="primary")
        self.start_button.on_click(lambda _: self.start(self.learner_id.value.strip()))
        self.message = widgets.HTML()
        self.status = widgets.HTML()
        self.submit_button, self.confirm_text, self.confirm_button, self.cancel_button, self.confirm_row = (
            submit_controls(t, self.ask_to_submit, self.submit)
        )
        self.result = widgets.HTML()
        for widget, name in (
            (self.learner_id, "lz-learner-id"),
            (self.start_button, "lz-start"),
            (self.submit_button, "lz-submit"),
            (self.confirm_row, "lz-confirm-row"),
            (self.confirm_button, "lz-confirm"),
            (self.cancel_button, "lz-cancel"),
            (self.status, "lz-status"),
            (self.message, "lz-message"),
            (self.result, "lz-result-box"),
        ):
            widget.add_class(name)  # hooks for the page's style and for tests that drive a browser
        self.body = widgets.VBox()
        self.paper: dict[str, dict[str, Any]] = {}  # the items as this learner sees them (see responses.papers)
        self.order: list[str] = []
        # Who may answer: a roster's token, or anyone in an open session (see the module docstring).
        self.rostered = _has_roster(self.settings.store, self.settings.session)
        self.refusal: str | None = None  # set when the page opens nothing: shown instead of any widget
        if self.rostered or self.settings.token:
            # No id to type: the field and its button are closed, so no message from the page reaches them.
            self.learner_id.close()
            self.start_button.close()
            self.identity = widgets.VBox([self.message])
            self.root = widgets.VBox([self.identity, self.body])
            self.root.add_class("lz-learner-sheet")
            self._open_with_token(self.settings.token)
            if self.refusal is not None:  # nothing opens: every widget closed, the page shows one sentence
                for widget in (self.submit_button, self.confirm_row, self.confirm_text, self.confirm_button):
                    widget.close()
                for widget in (self.cancel_button, self.status, self.result, self.message, self.body):
                    widget.close()
                self.identity.close()
                self.root.close()
            return
        intro = widgets.HTML(f"<p>{escape(t('learner.identify'))}</p>")
        self.identity = widgets.VBox([intro, self.learner_id, self.start_button, self.message])
        self.root = widgets.VBox([self.identity, self.body])
        self.root.add_class("lz-learner-sheet")
        given = self.settings.learner or self.settings.asked
        if given:
            self.start(given)

    # -- what the notebook shows ------------------------------------------------------------------

    def header_html(self) -> str:
        """The sheet's header: title, audience, date, how to answer, and provenance."""
        questions = sum(item_type(item["type"]).graded for item in sheet_items(self.document))
        instructions = self.t(f"learner.{self.document.cover.document}_instructions", count=questions)
        template = environment(self.t.lang).get_template("learner_header.html.j2")
        return template.render(doc=self.document, instructions=instructions)

    # -- identifying ------------------------------------------------------------------------------

    def refusal_html(self) -> str:
        """What a page that opens nothing shows: one plain sentence, no widget."""
        return f"<p class='lz-error lz-no-access'>{escape(self.t('learner.no_access'))}</p>"

    def _open_with_token(self, token: str) -> bool:
        """Open the sheet of the roster's learner whose token this is; refuse any other token, or none."""
        entry = None
        if token and self.rostered:
            try:
                entry = ResponseStore(self.settings.store).learner_for_token(self.settings.session, token)
            except ToolkitError:
                entry = None
        if entry is None:
            self.refusal = self.refusal_html()
            self.message.value = self.refusal
            return False
        return self._open(entry.learner)

    def start(self, learner: str) -> bool:
        """Open the sheet for a learner id given in an open session (no roster); refused in any other."""
        if self.rostered or self.settings.token:  # only a token opens a sheet of a session with a roster
            self.refusal = self.refusal_html()
            self.message.value = self.refusal
            return False
        return self._open(learner)

    def _open(self, learner: str) -> bool:
        """Open the sheet in the store for ``learner`` and show the items with their answers."""
        if self.store is not None:  # one learner per page: opened once, never switched
            return False
        try:
            check_id(learner, "learner")
            store = ResponseStore(self.settings.store)
            if not self.rostered:
                store.register_learner(learner)
            record = store.register_sheet(
                sheet_record(
                    self.document,
                    self.handout.parameters,
                    self.handout.library_version,
                    self.settings.session,
                    self.settings.sheet,
                )
            )
            store.record_open(record.session, record.sheet, learner)
            answers = store.answers(record.session, record.sheet, learner)
            submission = store.submission(record.session, record.sheet, learner)
            shuffle = store.sheet_settings(record.session, record.sheet).shuffle
        except ToolkitError as exc:
            self.message.value = f"<p class='lz-error'>{escape(str(exc))}</p>"
            return False
        self.store, self.record, self.learner = store, record, learner
        paper = learner_paper(record.items, record.session, learner, shuffle=shuffle)
        self.paper = {item["id"]: item for item in paper}
        self.order = [item["id"] for item in paper]
        name = self._name(store, learner)
        shown = f"{name}{self.t('punct.paren', text=learner)}" if name else learner
        signed = self.t("learner.signed_in", learner=shown)
        self.identity.children = (widgets.HTML(f"<p><strong>{escape(signed)}</strong></p>"),)
        self._build(paper, answers)
        if submission is not None:
            self._locked(submission)
        return True

    def _name(self, store: ResponseStore, learner: str) -> str:
        if not self.rostered:
            return ""
        entries = [entry for entry in store.roster(self.settings.session) if entry.learner == learner]
        return entries[0].name if entries else ""

    def _build(self, paper: tuple[dict[str, Any], ...], answers: dict[str, Any]) -> None:
        t = self.t
        rows: list[widgets.Widget] = []
        heading: str | None = None
        group: str | None = None
        number = 0
        # Parts are headed only on a sheet of several (a worksheet), not on a quiz of questions alone.
        sections = {item_type(item["type"]).section for item in paper}
        for item in paper:
            kind = item_type(item["type"])
            section = t(kind.section) if len(sections) > 1 else None
            if section and section != heading:
                rows.append(widgets.HTML(f"<h2>{escape(section)}</h2>"))
                heading = section
            if item.get("group") and item["group"] != group:  # a self-check group: a discipline or risk post
                group = item["group"]
                rows.append(widgets.HTML(f"<h3>{escape(group)}</h3>"))
            control = make_control(item, t)
            if item["id"] in answers and answers[item["id"]] is not None:
                control.value = answers[item["id"]]  # restored before watching: not saved again
            control.watch(self._saver(item["id"], control.typing))
            self.controls[item["id"]] = control
            if kind.graded:
                number += 1
            rows.append(widgets.HTML(item_html(item, number, t)))
            rows.append(control.widget)
        hint = widgets.HTML(f"<p>{escape(t('learner.submit_hint'))}</p>")
        rows += [hint, self.submit_button, self.confirm_row, self.status]
        rows.append(self.result)
        self.body.children = tuple(rows)

    # -- saving and submitting --------------------------------------------------------------------

    def _saver(self, item_id: str, typing: bool) -> Callable[[Any], None]:
        if typing:
            return lambda value: self.typed(item_id, value)
        return lambda value: self.save(item_id, value)

    def typed(self, item_id: str, value: Any) -> None:
        """A text box's value at one key: saved once typing pauses for ``typing_pause`` seconds.

        The pending value is also saved before any other answer, before submitting, and when the kernel
        exits; a page closed before the pause leaves the kernel running, which saves it once the pause
        passes. Outside a kernel (a script, a test) it is saved at once.
        """
        loop = self._loop()
        if loop is None:
            self.save(item_id, value)
            return
        self._pending[item_id] = value
        if self._timer is not None:
            self._timer.cancel()
        self._timer = loop.call_later(self.typing_pause, self.flush)

    def _loop(self) -> asyncio.AbstractEventLoop | None:
        """The event loop that will run a deferred save: the kernel's; ``None`` outside a kernel."""
        if not self.defer_typing:
            return None
        try:
            return asyncio.get_running_loop()
        except RuntimeError:
            return None

    def flush(self) -> None:
        """Save the text still waiting for a pause in typing."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        pending, self._pending = self._pending, {}
        for item_id, value in pending.items():
            self.save(item_id, value)

    def save(self, item_id: str, value: Any) -> None:
        """Save one answer now; the status line says when, or why it was not saved."""
        if self.store is None or self.record is None:
            return
        if self._pending:
            self.flush()
        try:
            self.store.save(self.record.session, self.record.sheet, self.learner, item_id, value)
        except ToolkitError as exc:
            self.status.value = f"<p class='lz-error'>{escape(self.t('learner.not_saved', error=str(exc)))}</p>"
            return
        self.status.value = f"<p class='lz-muted'>{escape(self.t('learner.saved', time=_clock()))}</p>"

    def unanswered(self) -> list[str]:
        """The items with no answer yet (a text box left blank counts as unanswered)."""
        return [item_id for item_id, control in self.controls.items() if control.value in (None, "", [])]

    def ask_to_submit(self) -> None:
        """The first click on Submit: ask to confirm, saying how many items are left unanswered."""
        self.flush()
        self.confirm_text.value = confirm_question(self.t, len(self.unanswered()))
        self._show_confirm(True)

    def _show_confirm(self, shown: bool) -> None:
        self.confirm_row.layout.display = "flex" if shown else "none"

    def submit(self) -> Submission | None:
        """Lock the answers, grade the quiz and show the score and each question's explanation and rule."""
        if self.store is None or self.record is None:
            return None
        self.flush()
        submission: Submission | None
        try:
            submission = self.store.submit(
                self.record.session, self.record.sheet, self.learner, pass_mark=self.settings.pass_mark
            )
        except ToolkitError as exc:
            self.status.value = f"<p class='lz-error'>{escape(str(exc))}</p>"
            submission = self.store.submission(self.record.session, self.record.sheet, self.learner)
            if submission is None:
                return None
        self._locked(submission)
        return submission

    def _locked(self, submission: Submission) -> None:
        self.submission = submission
        for control in self.controls.values():
            control.disable()
        self.submit_button.disabled = True
        self._show_confirm(False)
        assert self.store is not None
        self.result.value = self.result_html(
            submission, self.store.sheet_settings(submission.session, submission.sheet)
        )

    def result_html(self, submission: Submission, settings: SheetSettings | None = None) -> str:
        """The score; with each question's answer, explanation and rule only once the key may be shown."""
        assert self.record is not None
        t = self.t
        shown = (settings or SheetSettings()).key_visible
        results = {row["item"]: row for row in submission.results}
        questions = []
        if shown:
            order = self.order or [item["id"] for item in self.record.items]
            for number, item_id in enumerate((i for i in order if i in results), start=1):
                row = results[item_id]
                item = self.paper.get(item_id) or self.record.item(item_id)
                questions.append(
                    {
                        "id": item_id,
                        "number": number,
                        "text": item["text"],
                        "correct": row["correct"],
                        "given": answer_text(shown_answer(item, row["given"]), t),
                        "answer": answer_text(shown_answer(item, item["answer"]), t),
                        "explanation": item.get("explanation", ""),
                        "rule": item.get("rule", ""),
                    }
                )
        percent = round(100 * submission.score / submission.max_score) if submission.max_score else 100
        template = environment(t.lang).get_template("learner_result.html.j2")
        return template.render(
            lang=t.lang,
            score=format_number(submission.score),
            max_score=format_number(submission.max_score),
            percent=percent,
            passed=submission.passed,
            mark=round(submission.pass_mark * 100),
            submitted_at=_local(submission.submitted_at),
            key_shown=shown,
            questions=questions,
        )


def statement_prompt(item: dict[str, Any], number: int, hint: str) -> str:
    return f"<p class='lz-check'>{md_inline(item['text'])}</p>{hint}"


def reflection_prompt(item: dict[str, Any], number: int, hint: str) -> str:
    return f"<p class='lz-reflection'>{md_inline(item['text'])}</p>{hint}"


def table_row_prompt(item: dict[str, Any], number: int, hint: str) -> str:
    hints = "".join(f"<li>{md_inline(hint)}</li>" for hint in item.get("hints", []))
    return f"<h3>{escape(item['text'])}</h3><ul class='lz-muted'>{hints}</ul>{hint}"


def question_prompt(item: dict[str, Any], number: int, hint: str) -> str:
    options = "".join(f"<li>{escape(letter)}. {md_inline(text)}</li>" for letter, text in item.get("options", []))
    stem = f"<p>{number}. {md_inline(item['text'])}</p>"
    return f"<div class='lz-question'>{stem}<ul class='lz-options'>{options}</ul>{hint}</div>"


# How the learner's page shows an item above its control (ItemType.prompt), with the type's hint
# (already HTML) where it belongs.
PROMPTS: dict[str, Callable[[dict[str, Any], int, str], str]] = {
    "statement": statement_prompt,
    "reflection": reflection_prompt,
    "table_row": table_row_prompt,
    "question": question_prompt,
}


def submit_controls(
    t: Catalog, ask: Callable[[], object], submit: Callable[[], object]
) -> tuple[widgets.Button, widgets.HTML, widgets.Button, widgets.Button, widgets.VBox]:
    """Submit, and the confirmation it asks for first, since submitting cannot be undone: the button,
    the question (see :func:`confirm_question`), confirm, cancel, and their row (hidden until asked)."""
    submit_button = widgets.Button(description=t("learner.submit"), button_style="warning")
    submit_button.on_click(lambda _: ask())
    question = widgets.HTML()
    confirm_button = widgets.Button(description=t("learner.confirm"), button_style="danger")
    confirm_button.on_click(lambda _: submit())
    cancel_button = widgets.Button(description=t("learner.cancel"))
    row = widgets.VBox([question, widgets.HBox([confirm_button, cancel_button])], layout=widgets.Layout(display="none"))
    cancel_button.on_click(lambda _: setattr(row.layout, "display", "none"))
    return submit_button, question, confirm_button, cancel_button, row


def confirm_question(t: Catalog, unanswered: int) -> str:
    """The confirmation's question, with how many items are still unanswered."""
    question = escape(t("learner.confirm_question"))
    left = escape(t("learner.unanswered", count=unanswered))
    return f"<p><strong>{question}</strong>{escape(t('punct.space'))}{left}</p>"


def item_html(item: dict[str, Any], number: int, t: Catalog) -> str:
    kind = item_type(item["type"])
    hint = f"<p class='lz-muted'>{escape(t(kind.hint))}</p>" if kind.hint else ""
    return PROMPTS[kind.prompt](item, number, hint)


def _has_roster(store: Path, session: str) -> bool:
    """Whether the session has a roster (a store not yet made has none, and is not made here)."""
    if not store.is_file():
        return False
    try:
        return ResponseStore(store).has_roster(session)
    except (ToolkitError, sqlite3.Error):  # unreadable: closed, as if a roster were there
        return True


def format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _clock() -> str:
    return dt.datetime.now().strftime("%H:%M:%S")


def _local(stamp: str) -> str:
    """A store time (UTC) in the machine's time zone, to the minute."""
    moment = dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def in_kernel() -> bool:
    """Whether this runs in a Jupyter kernel (Voilà, JupyterLab, papermill), not a script or a test."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return False
    return getattr(get_ipython(), "kernel", None) is not None


def _flush_at_exit(ref: weakref.ReferenceType[LearnerSheet]) -> None:
    sheet = ref()
    if sheet is not None:
        sheet.flush()


def learner_sheet(handout: Handout) -> LearnerSheet:
    """The interactive edition of an assembled worksheet or quiz (what ``handout.show`` displays)."""
    return LearnerSheet(handout)
