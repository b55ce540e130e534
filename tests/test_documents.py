"""Documents: structural invariants of every kind for every audience, provenance, parameter checks."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from toolkit import Library
from toolkit.documents import DOCUMENTS, assemble, check_parameters, handouts
from toolkit.documents.casebook import Casebook
from toolkit.documents.outline import Outline, timings
from toolkit.documents.quiz import LETTERS, QuizPaper
from toolkit.documents.worksheet import RISK_POST_ITEMS, Worksheet
from toolkit.errors import ParameterError
from toolkit.i18n import LANGUAGES, catalog
from toolkit.paths import bundled_library
from toolkit.render import render
from toolkit.selection import select_theme
from toolkit.version import toolkit_version

DATE = "2026-03-01"
# The audiences of the bundled taxonomy, read once for the test ids (the library itself is a fixture).
AUDIENCES = [a["id"] for a in yaml.safe_load((bundled_library() / "taxonomy.yaml").read_text("utf-8"))["audiences"]]
# The handouts, made for an audience (the trainer report, made from a store, is tested in test_report.py).
KIND_EDITIONS = [(name, edition) for name in handouts() for edition in DOCUMENTS[name].editions]
en = catalog("en")


def make(name: str, library: Library, **values: Any) -> Any:
    return assemble(name, {"date": DATE, **values}, library)


# --- casebook --------------------------------------------------------------------------------------


@pytest.mark.parametrize("edition", ["learner", "trainer"])
@pytest.mark.parametrize("audience", AUDIENCES)
def test_casebook_cases_and_reasons(bundled: Library, audience: str, edition: str) -> None:
    book: Casebook = make("casebook", bundled, audience=audience, edition=edition, cases=8)
    assert len(book.cases) == 8
    assert len({case.id for case in book.cases}) == 8
    assert book.uses == {f"case:{case.id}" for case in book.cases}
    assert all(case.reasons for case in book.cases)
    html = render(book)
    assert book.show_reasons is (edition == "trainer")
    assert (en("casebook.why_chosen") in html) is (edition == "trainer")
    assert ('class="lz-reasons"' in html) is (edition == "trainer")


def test_casebook_is_capped_by_the_library(bundled: Library) -> None:
    book: Casebook = make("casebook", bundled, audience="families", cases=60)
    assert sorted(case.id for case in book.cases) == sorted(case.id for case in bundled.cases)


@pytest.mark.parametrize("audience", AUDIENCES)
def test_casebook_rules_come_from_the_chosen_cases(bundled: Library, audience: str) -> None:
    book: Casebook = make("casebook", bundled, audience=audience, cases=10, seed=3)
    chosen = {case.id: bundled.case(case.id) for case in book.cases}
    by_title = {case.title: case for case in chosen.values()}
    names = {term.id: term.label["en"] for term in bundled.taxonomy.instruments}
    cited = {names[basis.instrument] for case in chosen.values() for basis in case.legal_basis}
    assert cited, "the chosen cases cite rules"
    shown = set()
    for rule in book.rules:
        assert rule.cases, rule.rule
        assert len(set(rule.cases)) == len(rule.cases)
        instruments = {i for i in cited if rule.rule.startswith(i)}
        assert instruments, f"{rule.rule!r} is not cited by a chosen case"
        shown |= instruments
        for title in rule.cases:
            assert title in by_title, title
            assert any(
                rule.rule.startswith(names[basis.instrument]) and (basis.article or "") in rule.rule
                for basis in by_title[title].legal_basis
            ), (title, rule.rule)
    assert shown == cited


def test_casebook_discussion_comes_from_the_chosen_cases(bundled: Library) -> None:
    book: Casebook = make("casebook", bundled, audience="retired", cases=6)
    asked = {item for case in book.cases for s in case.sections if s.id == "discussion" for item in s.items}
    assert book.discussion
    assert set(book.discussion) <= asked
    assert len(set(book.discussion)) == len(book.discussion)


# --- outline ---------------------------------------------------------------------------------------


def test_timings_add_up_for_every_length() -> None:
    for minutes in range(15, 481):
        parts = timings(minutes)
        assert sum(parts) == minutes, minutes
        assert all(part >= 0 for part in parts)


@pytest.mark.parametrize("minutes", [15, 30, 45])
def test_every_part_gets_time_in_a_short_session(minutes: int) -> None:
    assert min(timings(minutes)) >= 1


@pytest.mark.parametrize("audience", AUDIENCES)
@pytest.mark.parametrize("minutes", [15, 45, 90, 240])
def test_outline_parts_run_back_to_back(bundled: Library, audience: str, minutes: int) -> None:
    outline: Outline = make("outline", bundled, audience=audience, minutes=minutes)
    assert outline.minutes == minutes
    assert sum(part.minutes for part in outline.parts) == minutes
    starts = [part.start for part in outline.parts]
    assert starts[0] == 0
    for before, after in zip(outline.parts, outline.parts[1:], strict=False):
        assert after.start == before.start + before.minutes
    assert [part.number for part in outline.parts] == list(range(len(outline.parts)))


@pytest.mark.parametrize("audience", AUDIENCES)
def test_outline_blank_theme_is_the_best_fit_and_uses_are_exact(bundled: Library, audience: str) -> None:
    outline: Outline = make("outline", bundled, audience=audience, seed=4)
    assert outline.theme_id == select_theme(bundled, audience, 4).id
    shown = [case.id for part in outline.parts for case in part.cases]
    assert len(shown) == 4
    assert outline.uses == {f"theme:{outline.theme_id}", *(f"case:{cid}" for cid in shown)}
    assert [part.cases != () for part in outline.parts].count(True) == 1


def test_outline_uses_the_given_theme_and_its_cases_first(bundled: Library) -> None:
    for theme in bundled.themes:
        few: Outline = make("outline", bundled, audience="retired", theme=theme.id, cases=3)
        assert few.theme_id == theme.id
        assert few.theme_title == theme.title
        briefs = [case.id for part in few.parts for case in part.cases]
        assert len(briefs) == 3
        assert set(briefs) <= set(theme.cases)
        many: Outline = make("outline", bundled, audience="retired", theme=theme.id, cases=12)
        briefs = [case.id for part in many.parts for case in part.cases]
        assert len(briefs) == 12
        assert len(set(briefs)) == 12
        assert set(briefs[: len(theme.cases)]) == set(theme.cases), theme.id
        assert not set(briefs[len(theme.cases) :]) & set(theme.cases)


def test_outline_points_come_from_the_theme(bundled: Library) -> None:
    theme = bundled.theme("discipline-mass")
    outline: Outline = make("outline", bundled, audience="party-members", theme=theme.id)
    parts = {part.id: part for part in outline.parts}
    assert parts["defences"].points == theme.sections["defences"].items
    assert outline.objectives == theme.sections["objectives"].items
    assert parts["cases"].heading == en("outline.part.cases")


# --- worksheet -------------------------------------------------------------------------------------


def eligible_self_checks(library: Library, audience: str, **where: str) -> set[str]:
    field = {"discipline": "disciplines", "risk_post": "risk_posts"}
    return {
        p.id
        for p in library.prompts
        if p.kind == "self-check"
        and (not p.audiences or audience in p.audiences)
        and all(value in getattr(p, field[name]) for name, value in where.items())
    }


@pytest.mark.parametrize("self_checks", [1, 3, 6])
@pytest.mark.parametrize("audience", AUDIENCES)
def test_worksheet_self_checks(bundled: Library, audience: str, self_checks: int) -> None:
    tax = bundled.taxonomy
    sheet: Worksheet = make("worksheet", bundled, audience=audience, self_checks=self_checks)
    groups = {group.heading: [pid for pid, _ in group.items] for group in sheet.checks}
    listed = [pid for ids in groups.values() for pid in ids]
    assert len(listed) == len(set(listed)), "a prompt is asked twice"
    prompts = {p.id: p for p in bundled.prompts}
    assert all(prompts[pid].kind == "self-check" for pid in listed)
    profile = tax.terms("audiences")[audience]
    for discipline in profile.disciplines:
        eligible = eligible_self_checks(bundled, audience, discipline=discipline)
        if not eligible:
            continue
        heading = en("worksheet.check.discipline", name=tax.label("disciplines", discipline))
        assert heading in groups, heading
        assert set(groups[heading]) <= eligible
        # a group is short only when its discipline has nothing left that another group did not take
        assert len(groups[heading]) == self_checks or eligible <= set(listed), heading
    for post in profile.risk_posts:
        eligible = eligible_self_checks(bundled, audience, risk_post=post)
        heading = en("worksheet.check.risk_post", name=tax.label("risk_posts", post))
        if heading in groups:
            assert set(groups[heading]) <= eligible
            assert len(groups[heading]) == RISK_POST_ITEMS or eligible <= set(listed), heading
        else:
            assert eligible <= set(listed), heading
    expected = len(profile.disciplines) + len(profile.risk_posts)
    assert len(sheet.checks) <= expected


def test_worksheet_has_a_risk_post_group_when_prompts_are_left(bundled: Library) -> None:
    sheet: Worksheet = make("worksheet", bundled, audience="key-posts", self_checks=1)
    headings = [group.heading for group in sheet.checks]
    tax = bundled.taxonomy
    for post in tax.terms("audiences")["key-posts"].risk_posts:
        assert en("worksheet.check.risk_post", name=tax.label("risk_posts", post)) in headings


@pytest.mark.parametrize("audience", AUDIENCES)
def test_worksheet_table_quiz_and_uses(bundled: Library, audience: str) -> None:
    sheet: Worksheet = make("worksheet", bundled, audience=audience, reflections=4, questions=5, writing_lines=6)
    assert [row.step for row in sheet.table] == [
        en("worksheet.table.problem"),
        en("worksheet.table.cause"),
        en("worksheet.table.measure"),
    ]
    assert all(row.hints for row in sheet.table)
    assert len(sheet.reflections) == 4
    assert len(sheet.quiz) == 5
    assert sheet.writing_lines == 6
    profile = bundled.taxonomy.terms("audiences")[audience]
    assert {item.discipline_label for item in sheet.quiz} <= {
        bundled.taxonomy.label("disciplines", d) for d in profile.disciplines
    }
    by_text = {(p.kind, p.text): p.id for p in bundled.prompts}
    hint_ids = {
        by_text[(kind, text)]
        for kind, row in zip(("problem", "cause", "measure"), sheet.table, strict=True)
        for text in row.hints
    }
    shown = {pid for group in sheet.checks for pid, _ in group.items} | {pid for pid, _ in sheet.reflections}
    assert sheet.uses == {
        *(f"prompt:{pid}" for pid in shown | hint_ids),
        *(f"question:{item.id}" for item in sheet.quiz),
    }


# --- quiz ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("audience", AUDIENCES)
@pytest.mark.parametrize("questions", [1, 6, 20, 40])
def test_quiz_has_n_distinct_questions(bundled: Library, audience: str, questions: int) -> None:
    paper: QuizPaper = make("quiz", bundled, audience=audience, questions=questions)
    ids = [item.id for item in paper.items]
    assert len(ids) == questions
    assert len(set(ids)) == questions
    assert [item.number for item in paper.items] == list(range(1, questions + 1))
    assert paper.uses == {f"question:{qid}" for qid in ids}
    order = [term.id for term in bundled.taxonomy.question_types]
    assert [order.index(group.type) for group in paper.groups] == sorted(order.index(g.type) for g in paper.groups)


@pytest.mark.parametrize("audience", AUDIENCES)
def test_quiz_editions_hold_the_same_items(bundled: Library, audience: str) -> None:
    learner: QuizPaper = make("quiz", bundled, audience=audience, questions=20, seed=8)
    key: QuizPaper = make("quiz", bundled, audience=audience, questions=20, seed=8, edition="key")
    assert not learner.show_key
    assert key.show_key
    assert [(i.id, i.stem, i.options) for i in learner.items] == [(i.id, i.stem, i.options) for i in key.items]
    assert en("quiz.answer") in render(key)
    assert en("quiz.answer") not in render(learner)


@pytest.mark.parametrize("seed", [1, 2, 99])
def test_shuffled_options_keep_the_right_answer(bundled: Library, seed: int) -> None:
    paper: QuizPaper = make("quiz", bundled, audience="retired", questions=200, seed=seed)
    assert len(paper.items) == len(bundled.questions)
    for item in paper.items:
        question = bundled.question(item.id)
        if question.type == "true-false":
            assert item.options == ()
            assert item.answer == en("quiz.true" if question.answer else "quiz.false")
            continue
        assert question.options
        assert sorted(text for _, text in item.options) == sorted(question.options)
        assert [letter for letter, _ in item.options] == list(LETTERS[: len(question.options)])
        letters = question.answer if isinstance(question.answer, list) else [question.answer]
        right = {question.options[LETTERS.index(letter.upper())] for letter in letters}
        shown = dict(item.options)
        assert len(item.answer) == len(letters)
        assert {shown[letter] for letter in item.answer} == right, item.id
        assert list(item.answer) == sorted(item.answer)


def test_different_seeds_shuffle_options_differently(bundled: Library) -> None:
    first: QuizPaper = make("quiz", bundled, audience="retired", questions=200, seed=1)
    second: QuizPaper = make("quiz", bundled, audience="retired", questions=200, seed=2)
    one = {item.id: item.options for item in first.items if item.options}
    two = {item.id: item.options for item in second.items if item.options}
    assert one.keys() == two.keys()
    assert any(one[qid] != two[qid] for qid in one)


# --- every kind ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "edition"), KIND_EDITIONS, ids=[f"{n}-{e}" for n, e in KIND_EDITIONS])
def test_provenance_holds_version_and_parameters_without_the_path(bundled: Library, name: str, edition: str) -> None:
    values = {"audience": "young-cadres", "edition": edition, "library": "/home/someone/private/lib", "date": DATE}
    document = assemble(name, values, bundled)
    provenance = document.cover.provenance
    assert provenance.library_version == bundled.version
    assert provenance.toolkit_version == toolkit_version()
    assert provenance.date == DATE
    expected = check_parameters(name, values, bundled)
    del expected["library"]
    assert dict(provenance.parameters) == expected
    assert "private" not in provenance.parameters_text()
    assert "/home/someone" not in render(document)
    assert document.cover.edition == edition
    assert document.cover.date == DATE


@pytest.mark.parametrize("audience", AUDIENCES)
@pytest.mark.parametrize("name", handouts())
def test_assembling_twice_gives_the_same_document(bundled: Library, name: str, audience: str) -> None:
    first = make(name, bundled, audience=audience, seed=12)
    second = make(name, bundled, audience=audience, seed=12)
    assert first == second
    assert render(first) == render(second)
    assert first.cover.audience == audience
    assert first.uses, "a document shows library entries"
    for use in first.uses:
        kind, _, entry = use.partition(":")
        assert entry in {e.id for e in getattr(bundled, f"{kind}s")}, use


def test_blank_date_is_today(bundled: Library) -> None:
    import datetime as dt

    before = dt.date.today().isoformat()
    date = check_parameters("quiz", {"date": ""}, bundled)["date"]
    assert date in {before, dt.date.today().isoformat()}


# --- parameter checks ------------------------------------------------------------------------------


def valid_names(name: str) -> str:
    return ", ".join(param.name for param in DOCUMENTS[name].params)


def test_unknown_parameter_suggests_and_lists_the_valid_names(bundled: Library) -> None:
    with pytest.raises(ParameterError) as caught:
        check_parameters("casebook", {"case": 3}, bundled)
    message = str(caught.value)
    assert "unknown parameter 'case'" in message
    assert "did you mean 'cases'?" in message
    assert message.endswith(f"valid: {valid_names('casebook')}")
    assert caught.value.name == "case"


def test_unknown_parameter_without_a_close_name(bundled: Library) -> None:
    with pytest.raises(ParameterError, match="unknown parameter 'zzz'; valid: ") as caught:
        check_parameters("quiz", {"zzz": 1}, bundled)
    assert "did you mean" not in str(caught.value)


def test_invalid_audience_names_the_valid_audiences(bundled: Library) -> None:
    with pytest.raises(ParameterError) as caught:
        check_parameters("quiz", {"audience": "retird"}, bundled)
    message = str(caught.value)
    assert "did you mean 'retired'?" in message
    assert message.endswith("valid: " + ", ".join(a.id for a in bundled.taxonomy.audiences))
    assert caught.value.name == "audience"


@pytest.mark.parametrize(
    ("name", "param", "value"),
    [
        ("casebook", "cases", 0),
        ("casebook", "cases", 61),
        ("outline", "minutes", 14),
        ("quiz", "questions", 201),
        ("quiz", "seed", -1),
    ],
)
def test_out_of_range_number(bundled: Library, name: str, param: str, value: int) -> None:
    spec = {p.name: p for p in DOCUMENTS[name].params}[param]
    with pytest.raises(ParameterError) as caught:
        check_parameters(name, {param: value}, bundled)
    assert f"parameter '{param}' is {value}; valid: {spec.minimum} to {spec.maximum}" in str(caught.value)
    assert caught.value.name == param


@pytest.mark.parametrize("value", ["ten", "", "3.5", "--5", "²", "1e3", True, 2.0, None])
def test_not_a_whole_number(bundled: Library, value: object) -> None:
    with pytest.raises(ParameterError, match="parameter 'cases' must be a whole number") as caught:
        check_parameters("casebook", {"cases": value}, bundled)
    assert caught.value.name == "cases"


@pytest.mark.parametrize("value", ["12", " 12 "])
def test_whole_number_as_text_is_accepted(bundled: Library, value: str) -> None:
    assert check_parameters("casebook", {"cases": value}, bundled)["cases"] == 12


@pytest.mark.parametrize("value", ["2026-02-30", "01/03/2026", "20260301", "2026-W09-7", "2026-3-1", "tomorrow"])
def test_bad_date(bundled: Library, value: str) -> None:
    with pytest.raises(ParameterError, match="valid: a date as YYYY-MM-DD") as caught:
        check_parameters("quiz", {"date": value}, bundled)
    assert f"'{value}'" in str(caught.value)
    assert caught.value.name == "date"


def test_good_date_is_kept(bundled: Library) -> None:
    assert check_parameters("quiz", {"date": "2024-02-29"}, bundled)["date"] == "2024-02-29"


@pytest.mark.parametrize("name", list(DOCUMENTS))
def test_bad_edition_names_the_kinds_editions(bundled: Library, name: str) -> None:
    with pytest.raises(ParameterError) as caught:
        check_parameters(name, {"edition": "deluxe"}, bundled)
    assert str(caught.value).endswith("valid: " + ", ".join(DOCUMENTS[name].editions))
    assert caught.value.name == "edition"


def test_edition_of_another_kind_is_refused(bundled: Library) -> None:
    with pytest.raises(ParameterError, match="parameter 'edition' is 'key'"):
        check_parameters("casebook", {"edition": "key"}, bundled)


def test_bad_lang_names_the_languages(bundled: Library) -> None:
    with pytest.raises(ParameterError) as caught:
        check_parameters("worksheet", {"lang": "fr"}, bundled)
    assert str(caught.value).endswith("valid: " + ", ".join(LANGUAGES))
    assert caught.value.name == "lang"


def test_unknown_theme_names_the_themes(bundled: Library) -> None:
    with pytest.raises(ParameterError, match="did you mean 'discipline-mass'") as caught:
        check_parameters("outline", {"theme": "discipline-mas"}, bundled)
    assert str(caught.value).endswith("valid: " + ", ".join(t.id for t in bundled.themes))


def test_text_parameter_must_be_text(bundled: Library) -> None:
    with pytest.raises(ParameterError, match="parameter 'title' must be text, not 5"):
        check_parameters("quiz", {"title": 5}, bundled)


def test_unknown_document(bundled: Library) -> None:
    with pytest.raises(ParameterError) as caught:
        assemble("casebok", {}, bundled)
    message = str(caught.value)
    assert "unknown document 'casebok' (did you mean 'casebook'?)" in message
    assert message.endswith("valid: " + ", ".join(DOCUMENTS))


def test_parameter_error_is_a_value_error_and_nothing_is_assembled(bundled: Library) -> None:
    with pytest.raises(ValueError, match="parameter 'questions'"):
        assemble("quiz", {"questions": "many"}, bundled)
