"""The pre-appointment integrity test: a paper of its own for each candidate, its time limit, pass mark and re-sit.

A session's test (``lianzheng serve test``; a row of ``tests``) says the audience, the language, the
number of questions (40 by default), the time limit in minutes, the pass mark and the attempts allowed
(the first sitting and one re-sit). Each attempt is a row of ``attempts``: the paper drawn for it (the
question ids in order and the items as the page shows them), when it was first opened, its deadline by
the server's clock, and once submitted its score and whether it passed. Answers go to ``saves`` and
``answers``, graded questions to ``results``, under the sheet ``test:<attempt>``.

**The draw.** The questions suited to the audience are those whose ``audiences`` include it or are
empty. They fall into strata, one per discipline and difficulty (disciplines in the taxonomy's order,
difficulty 1 to 3). A paper of ``n`` questions from a pool of ``N`` gives each stratum of ``s``
questions ``floor(n * s / N)`` places, and the places left over go one each to the strata with the
largest remainders ``n * s mod N``, a tie going to the stratum that comes first (:func:`allocate`; whole
numbers throughout, so no rounding decides anything). Within a stratum the questions are ranked by the
SHA-256 of the session, the seed, the candidate, the attempt and the question id, and the first ones
are taken; the paper is ordered by question type (the taxonomy's order), then by the same hash, and each
question's options are shuffled by a seed made of the same parts. Nothing random is kept in memory: the
same session, candidate and attempt always give the same paper, and the paper drawn is stored with the
attempt anyway. A re-sit draws from the pool without every question the candidate already saw.

>>> allocate({"a": 5, "b": 3, "c": 2}, 4)
{'a': 2, 'b': 1, 'c': 1}
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from toolkit.documents.common import cover
from toolkit.documents.quiz import QuizPaper, group_items, quiz_items
from toolkit.errors import AttemptsUsedError, ResponseError, SubmittedError, TimeUpError
from toolkit.i18n import LANGUAGES, catalog
from toolkit.library.catalog import Library
from toolkit.library.model import Question
from toolkit.responses.grading import check_pass_mark, grade, grading_key
from toolkit.responses.store import ResponseStore, check_id, check_value, insert_results
from toolkit.selection import audience_of

DEFAULT_QUESTIONS = 40
DEFAULT_MINUTES = 60
DEFAULT_PASS_MARK = 60  # percent
ATTEMPTS = 2  # the first sitting and one re-sit
SHEET = "test:{attempt}"  # the sheet an attempt's answers are saved under (':' is in no served sheet's id)
DIFFICULTIES = (1, 2, 3)

Clock = Callable[[], dt.datetime]
K = TypeVar("K", bound=Hashable)


def system_clock() -> dt.datetime:
    """The server's time, UTC: the only clock a test's time limit is counted by."""
    return dt.datetime.now(dt.UTC)


def stamp(moment: dt.datetime) -> str:
    """A time as the store writes it: ISO 8601, UTC, microseconds, ``Z``."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_stamp(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


def sheet_of(attempt: int) -> str:
    return SHEET.format(attempt=attempt)


# -- the draw ------------------------------------------------------------------------------------------------


def eligible(library: Library, audience: str) -> list[Question]:
    """The questions suited to ``audience``: tagged for it, or for no audience in particular."""
    audience_of(library.taxonomy, audience)
    return [q for q in library.questions if not q.audiences or audience in q.audiences]


def strata(library: Library, questions: Sequence[Question]) -> dict[tuple[str, int], list[Question]]:
    """The questions by (discipline, difficulty): disciplines in the taxonomy's order, difficulty 1 to 3."""
    order = [d.id for d in library.taxonomy.disciplines]
    known = {d for d in order}
    order += sorted({q.discipline for q in questions} - known)
    groups: dict[tuple[str, int], list[Question]] = {}
    for discipline in order:
        for difficulty in DIFFICULTIES:
            members = [q for q in questions if q.discipline == discipline and q.difficulty == difficulty]
            if members:
                groups[discipline, difficulty] = members
    return groups


def allocate(sizes: Mapping[K, int], count: int) -> dict[K, int]:
    """Places per stratum, proportional to its size, by the largest remainder (ties: the earlier stratum).

    ``count`` above the pool's size is cut to it; no stratum gets more places than it has questions.
    """
    total = sum(sizes.values())
    count = min(count, total)
    if total == 0:
        return {key: 0 for key in sizes}
    places = {key: count * size // total for key, size in sizes.items()}
    order = list(sizes)
    left = sorted(order, key=lambda key: (-(count * sizes[key] % total), order.index(key)))
    for key in left[: count - sum(places.values())]:
        places[key] += 1
    return places


def _hash(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8", "surrogatepass")).hexdigest()


def paper_seed(session: str, seed: int, learner: str, attempt: int) -> int:
    """The whole number an attempt's option order is drawn with (from the same parts as its questions)."""
    return int(_hash(session, seed, learner, attempt, "options")[:15], 16)


def draw(
    library: Library,
    audience: str,
    count: int,
    *,
    session: str,
    learner: str,
    attempt: int,
    seed: int = 1,
    exclude: Sequence[str] = (),
) -> tuple[Question, ...]:
    """The questions of one candidate's paper, stratified, in the paper's order (see the module)."""
    seen = set(exclude)
    pool = [q for q in eligible(library, audience) if q.id not in seen]
    groups = strata(library, pool)
    places = allocate({key: len(members) for key, members in groups.items()}, count)

    def rank(question: Question) -> str:
        return _hash(session, seed, learner, attempt, question.id)

    chosen = [q for key, members in groups.items() for q in sorted(members, key=rank)[: places[key]]]
    types = [term.id for term in library.taxonomy.question_types]
    return tuple(sorted(chosen, key=lambda q: (types.index(q.type) if q.type in types else len(types), rank(q))))


def paper_document(
    library: Library,
    questions: Sequence[Question],
    *,
    audience: str,
    lang: str,
    option_seed: int,
    key: bool = False,
    title: str = "",
    unit: str = "",
    date: str = "",
) -> QuizPaper:
    """A candidate's paper as a quiz document (the learner or key edition), for the page and for print."""
    t = catalog(lang)
    tax = library.taxonomy
    lib = library.in_language(lang)
    by_id = {q.id: q for q in lib.questions}
    shown = [by_id[q.id] for q in questions]
    items = quiz_items(shown, tax, t, option_seed)
    params: dict[str, Any] = {
        "audience": audience,
        "lang": lang,
        "edition": "key" if key else "learner",
        "title": title,
        "unit": unit,
        "date": date or dt.date.today().isoformat(),
        "questions": len(items),
    }
    heading = t("test.key_title") if key else t("test.title")
    instructions = t("test.key_instructions") if key else t("test.print_instructions", count=len(items))
    return QuizPaper(
        cover=cover(lib, params, "quiz", heading, t),
        instructions=(instructions,),
        groups=group_items(items, tax, t),
        show_key=key,
        uses=frozenset(f"question:{q.id}" for q in questions),
    )


def paper_items(
    library: Library, questions: Sequence[Question], audience: str, lang: str, option_seed: int
) -> list[dict[str, Any]]:
    """The paper's items as the store keeps them with the attempt (``difficulty`` added to each)."""
    document = paper_document(library, questions, audience=audience, lang=lang, option_seed=option_seed)
    difficulty = {q.id: q.difficulty for q in questions}
    return [{**item, "difficulty": difficulty[item["id"]]} for item in document.answer_items()]


# -- the session's test and its attempts ---------------------------------------------------------------------


@dataclass(frozen=True)
class Pretest:
    """A session's test (a row of ``tests``)."""

    session: str
    audience: str
    lang: str
    questions: int = DEFAULT_QUESTIONS
    minutes: int = DEFAULT_MINUTES
    pass_mark: float = DEFAULT_PASS_MARK / 100
    attempts: int = ATTEMPTS
    seed: int = 1
    library_version: str = ""
    params: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Attempt:
    """One attempt (a row of ``attempts``)."""

    session: str
    learner: str
    attempt: int
    questions: tuple[str, ...]
    items: tuple[dict[str, Any], ...]
    started_at: str
    deadline_at: str
    pass_mark: float
    submitted_at: str | None = None
    score: float | None = None
    max_score: float | None = None
    passed: bool | None = None

    @property
    def sheet(self) -> str:
        return sheet_of(self.attempt)

    @property
    def submitted(self) -> bool:
        return self.submitted_at is not None

    def seconds_left(self, now: dt.datetime) -> int:
        """Whole seconds left before the deadline at ``now`` (the server's time), never below 0."""
        return max(0, int((parse_stamp(self.deadline_at) - now).total_seconds()))

    def item(self, item_id: str) -> dict[str, Any]:
        for item in self.items:
            if item["id"] == item_id:
                return item
        raise ResponseError(f"attempt {self.attempt} of '{self.learner}' has no question '{item_id}'", "item")


def check_pretest(settings: Pretest, library: Library) -> Pretest:
    """The settings if a paper and a re-sit can be drawn from the library; a one-line error otherwise."""
    check_id(settings.session, "session")
    audiences = [a.id for a in library.taxonomy.audiences]
    if settings.audience not in audiences:
        raise ResponseError(f"audience '{settings.audience}' is not valid; valid: {', '.join(audiences)}", "audience")
    if settings.lang not in LANGUAGES:
        raise ResponseError(f"language '{settings.lang}' is not valid; valid: {', '.join(LANGUAGES)}", "lang")
    for name, value in (("questions", settings.questions), ("minutes", settings.minutes)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ResponseError(f"--{name} {value!r} is not valid; valid: a whole number, 1 or more", name)
    check_pass_mark(settings.pass_mark)
    pool = len(eligible(library, settings.audience))
    needed = settings.questions * settings.attempts
    if pool < needed:
        papers = (
            f"{settings.attempts} papers of {settings.questions} with no question seen twice ({needed} needed)"
            if settings.attempts > 1
            else f"a paper of {settings.questions}"
        )
        raise ResponseError(
            f"the library has {pool} questions suited to '{settings.audience}': too few for {papers}; "
            f"valid: --questions {pool // settings.attempts} or fewer",
            "questions",
        )
    return settings


def set_pretest(store: ResponseStore, settings: Pretest) -> None:
    """Make ``settings`` the session's test (``lianzheng serve test`` writes it); attempts already made stay."""
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO tests (session, audience, lang, questions, minutes, pass_mark, attempts, seed, "
            "library_version, params, set_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (session) DO "
            "UPDATE SET audience = excluded.audience, lang = excluded.lang, questions = excluded.questions, "
            "minutes = excluded.minutes, pass_mark = excluded.pass_mark, attempts = excluded.attempts, "
            "seed = excluded.seed, library_version = excluded.library_version, params = excluded.params, "
            "set_at = excluded.set_at",
            (
                settings.session,
                settings.audience,
                settings.lang,
                settings.questions,
                settings.minutes,
                settings.pass_mark,
                settings.attempts,
                settings.seed,
                settings.library_version,
                json.dumps(dict(settings.params or {}), ensure_ascii=False, sort_keys=True),
                stamp(system_clock()),
            ),
        )


def read_pretest(store: ResponseStore, session: str) -> Pretest:
    """The session's test; a one-line error when the session has none."""
    row = store.conn.execute(
        "SELECT audience, lang, questions, minutes, pass_mark, attempts, seed, library_version, params "
        "FROM tests WHERE session = ?",
        (session,),
    ).fetchone()
    if row is None:
        raise ResponseError(f"session '{session}' has no test in {store.path}; start one with 'lianzheng serve test'")
    audience, lang, questions, minutes, pass_mark, attempts, seed, version, params = row
    return Pretest(session, audience, lang, questions, minutes, pass_mark, attempts, seed, version, json.loads(params))


_COLUMNS = (
    "session, learner, attempt, questions, items, started_at, deadline_at, pass_mark, submitted_at, score, "
    "max_score, passed"
)


def _attempt(row: Sequence[Any]) -> Attempt:
    session, learner, number, questions, items, started, deadline, mark, submitted, score, max_score, passed = row
    return Attempt(
        session,
        learner,
        int(number),
        tuple(json.loads(questions)),
        tuple(json.loads(items)),
        started,
        deadline,
        float(mark),
        submitted,
        score,
        max_score,
        None if passed is None else bool(passed),
    )


def attempts(store: ResponseStore, session: str, learner: str | None = None) -> list[Attempt]:
    """The session's attempts (of one candidate when ``learner`` is given), by candidate and attempt."""
    where, args = ("session = ?", [session]) if learner is None else ("session = ? AND learner = ?", [session, learner])
    rows = store.conn.execute(
        f"SELECT {_COLUMNS} FROM attempts WHERE {where} ORDER BY learner, attempt", args
    ).fetchall()
    return [_attempt(row) for row in rows]


def _new_attempt(
    store: ResponseStore, library: Library, test: Pretest, learner: str, number: int, clock: Clock
) -> Attempt:
    seen = [q for earlier in attempts(store, test.session, learner) for q in earlier.questions]
    questions = draw(
        library,
        test.audience,
        test.questions,
        session=test.session,
        learner=learner,
        attempt=number,
        seed=test.seed,
        exclude=seen,
    )
    option_seed = paper_seed(test.session, test.seed, learner, number)
    items = paper_items(library, questions, test.audience, test.lang, option_seed)
    started = clock()
    deadline = started + dt.timedelta(minutes=test.minutes)
    with store.transaction() as conn:
        # Two pages of one candidate opening at once: the first one's paper and start time are kept.
        conn.execute(
            "INSERT OR IGNORE INTO attempts (session, learner, attempt, questions, items, started_at, deadline_at, "
            "pass_mark) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                test.session,
                learner,
                number,
                json.dumps([q.id for q in questions]),
                json.dumps(items, ensure_ascii=False),
                stamp(started),
                stamp(deadline),
                test.pass_mark,
            ),
        )
    return next(a for a in attempts(store, test.session, learner) if a.attempt == number)


def open_attempt(
    store: ResponseStore, library: Library, session: str, learner: str, clock: Clock = system_clock
) -> Attempt:
    """The candidate's latest attempt; the first is drawn and its clock started when the paper is first opened."""
    check_id(learner, "learner")
    test = read_pretest(store, session)
    made = attempts(store, session, learner)
    if made:
        return close_if_expired(store, made[-1], clock)
    return _new_attempt(store, library, test, learner, 1, clock)


def close_if_expired(store: ResponseStore, attempt: Attempt, clock: Clock = system_clock) -> Attempt:
    """An open attempt whose time is up, handed in (graded on the answers saved in time); any other as it is."""
    if attempt.submitted or clock() <= parse_stamp(attempt.deadline_at):
        return attempt
    try:
        return submit_attempt(store, attempt, clock)
    except SubmittedError:  # another page of the candidate handed it in meanwhile
        return _current(store, attempt.session, attempt.learner, attempt.attempt)


def start_resit(
    store: ResponseStore, library: Library, session: str, learner: str, clock: Clock = system_clock
) -> Attempt:
    """The next attempt, drawn afresh without any question the candidate has seen.

    Refused while the last attempt is open, after a pass, and beyond the attempts the test allows.
    """
    test = read_pretest(store, session)
    made = attempts(store, session, learner)
    if not made:
        return open_attempt(store, library, session, learner, clock)
    last = close_if_expired(store, made[-1], clock)
    if not last.submitted:
        raise ResponseError(f"attempt {last.attempt} of '{learner}' is still open; submit it first", "attempt")
    if last.passed:
        raise AttemptsUsedError(
            f"'{learner}' passed attempt {last.attempt}; there is no re-sit after a pass", "attempt"
        )
    if last.attempt >= test.attempts:
        raise AttemptsUsedError(
            f"'{learner}' has made all {test.attempts} attempts the test allows (one sitting and one re-sit); "
            "a further attempt is refused",
            "attempt",
        )
    return _new_attempt(store, library, test, learner, last.attempt + 1, clock)


def _current(store: ResponseStore, session: str, learner: str, number: int) -> Attempt:
    for attempt in attempts(store, session, learner):
        if attempt.attempt == number:
            return attempt
    raise ResponseError(f"'{learner}' has no attempt {number} in session '{session}'", "attempt")


def save_answer(
    store: ResponseStore,
    attempt: Attempt,
    item: str,
    value: Any,
    clock: Clock = system_clock,
) -> int:
    """Save one answer of an attempt, by the server's clock: refused once its time is up or it is submitted."""
    value = check_value(attempt.item(item), value)
    text = json.dumps(value, ensure_ascii=False)
    with store.transaction() as conn:
        row = conn.execute(
            "SELECT submitted_at, deadline_at FROM attempts WHERE session = ? AND learner = ? AND attempt = ?",
            (attempt.session, attempt.learner, attempt.attempt),
        ).fetchone()
        if row is None:
            raise ResponseError(f"'{attempt.learner}' has no attempt {attempt.attempt}", "attempt")
        submitted, deadline = row
        if submitted is not None:
            raise SubmittedError(
                f"attempt {attempt.attempt} of '{attempt.learner}' was submitted at {submitted}; the answers are locked"
            )
        moment = clock()
        if moment > parse_stamp(deadline):
            raise TimeUpError(
                f"attempt {attempt.attempt} of '{attempt.learner}': the time limit passed at {deadline}; "
                "the answer was not saved",
                "time",
            )
        when = stamp(moment)
        save_id = store.append_save(conn, attempt.session, attempt.sheet, attempt.learner, item, text, when)
        store.update_answer(conn, attempt.session, attempt.sheet, attempt.learner, item, text, when, save_id)
    return save_id


def attempt_answers(store: ResponseStore, attempt: Attempt) -> dict[str, Any]:
    return store.answers(attempt.session, attempt.sheet, attempt.learner)


def submit_attempt(store: ResponseStore, attempt: Attempt, clock: Clock = system_clock) -> Attempt:
    """Grade the answers saved in time and close the attempt (also after the time limit: nothing more is saved)."""
    keys = [grading_key(item) for item in attempt.items]
    with store.transaction() as conn:
        row = conn.execute(
            "SELECT submitted_at FROM attempts WHERE session = ? AND learner = ? AND attempt = ?",
            (attempt.session, attempt.learner, attempt.attempt),
        ).fetchone()
        if row is None or row[0] is not None:
            raise SubmittedError(f"attempt {attempt.attempt} of '{attempt.learner}' was already submitted")
        rows = conn.execute(
            "SELECT item, value FROM answers WHERE session = ? AND sheet = ? AND learner = ?",
            (attempt.session, attempt.sheet, attempt.learner),
        ).fetchall()
        result = grade(keys, {item: json.loads(value) for item, value in rows}, attempt.pass_mark)
        conn.execute(
            "UPDATE attempts SET submitted_at = ?, score = ?, max_score = ?, passed = ? "
            "WHERE session = ? AND learner = ? AND attempt = ?",
            (
                stamp(clock()),
                result.score,
                result.max_score,
                int(result.passed),
                attempt.session,
                attempt.learner,
                attempt.attempt,
            ),
        )
        insert_results(conn, attempt.session, attempt.sheet, attempt.learner, result)
    return _current(store, attempt.session, attempt.learner, attempt.attempt)


def all_attempts(store: ResponseStore) -> list[Attempt]:
    """Every attempt in the store, by session, candidate and attempt (none in a store older than version 3)."""
    conn = store.conn
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'attempts'").fetchone():
        return []
    rows = conn.execute(f"SELECT {_COLUMNS} FROM attempts ORDER BY session, learner, attempt").fetchall()
    return [_attempt(row) for row in rows]
