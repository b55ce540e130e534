"""The bundled library: every file is valid, and the sample covers what trainers need."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from toolkit import Library, read_library
from toolkit.paths import bundled_library

ROOT = bundled_library()
FOLDERS = ("cases", "themes", "questions", "prompts", "messages")
FILES = sorted(p.relative_to(ROOT).as_posix() for folder in FOLDERS for p in (ROOT / folder).rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def checked() -> tuple[Library, list[str]]:
    library, problems = read_library(ROOT)
    assert library is not None
    return library, [str(p) for p in problems]


def test_the_bundled_library_has_files_of_every_kind() -> None:
    assert {rel.split("/")[0] for rel in FILES} == set(FOLDERS)


@pytest.mark.parametrize("rel", FILES)
def test_library_file_is_valid(rel: str, checked: tuple[Library, list[str]]) -> None:
    library, problems = checked
    mine = [p for p in problems if p.startswith(f"{ROOT / rel}:")]
    assert mine == []
    entries = [e for name in FOLDERS for e in getattr(library, name) if e.origin and e.origin.path == rel]
    assert entries, f"{rel} produced no entries"


def test_no_problems_at_all(checked: tuple[Library, list[str]]) -> None:
    assert checked[1] == []


def test_case_file_names_are_their_ids(bundled: Library) -> None:
    assert [Path(c.origin.path).stem for c in bundled.cases] == [c.id for c in bundled.cases]


def test_enough_cases_by_discipline_kind_audience_post_and_occasion(bundled: Library) -> None:
    tax = bundled.taxonomy
    cases = bundled.cases
    assert len(cases) >= 36
    kinds = Counter(c.kind for c in cases)
    assert kinds["exemplary"] >= 10
    by_discipline = Counter(d for c in cases for d in set(c.discipline_ids))
    assert {d.id: by_discipline[d.id] for d in tax.disciplines if by_discipline[d.id] < 4} == {}
    by_audience = Counter(a for c in cases for a in c.audiences)
    assert {a.id: by_audience[a.id] for a in tax.audiences if by_audience[a.id] < 8} == {}
    by_post = Counter(p for c in cases for p in c.risk_posts)
    high = [p.id for p in tax.risk_posts if p.level == "high"]
    assert len(high) >= 5
    assert {p: by_post[p] for p in high if by_post[p] < 3} == {}
    by_occasion = Counter(o for c in cases for o in c.occasions)
    assert [o.id for o in tax.occasions if by_occasion[o.id] < 1] == []


def test_every_violation_type_has_a_case(bundled: Library) -> None:
    used = {t for c in bundled.cases for t in c.type_ids}
    assert [t for t in bundled.taxonomy.types if t not in used] == []


def test_every_audience_gets_both_warning_and_exemplary_cases(bundled: Library) -> None:
    for audience in bundled.taxonomy.audiences:
        kinds = {c.kind for c in bundled.cases if audience.id in c.audiences}
        assert {"warning", "exemplary"} <= kinds, audience.id


def test_the_six_cadre_groups_and_families_and_key_posts_are_audiences(bundled: Library) -> None:
    ids = {a.id for a in bundled.taxonomy.audiences}
    expected = {"incumbent-leaders", "newly-promoted", "reserve-cadres", "long-serving", "warning-signs", "retired"}
    assert expected | {"families", "key-posts"} <= ids


def test_themes_questions_prompts_messages(bundled: Library) -> None:
    tax = bundled.taxonomy
    assert len(bundled.themes) >= 14
    core = {t.id for t in bundled.themes if t.kind == "core"}
    assert len(core) >= 8
    per_discipline = Counter(d for t in bundled.themes if t.kind == "discipline" for d in t.disciplines)
    assert all(per_discipline[d.id] >= 1 for d in tax.disciplines)
    assert len(bundled.questions) >= 80
    questions = Counter(q.discipline for q in bundled.questions)
    assert all(questions[d.id] >= 8 for d in tax.disciplines), questions
    assert set(Counter(q.type for q in bundled.questions)) == {t.id for t in tax.question_types}
    assert len(bundled.prompts) >= 40
    assert {p.kind for p in bundled.prompts} == {k.id for k in tax.prompt_kinds}
    for occasion in tax.occasions:
        channels = {m.channel for m in bundled.messages if m.occasion == occasion.id}
        assert channels == {c.id for c in tax.message_channels}, occasion.id


def test_every_discipline_and_high_risk_post_has_self_check_prompts(bundled: Library) -> None:
    checks = [p for p in bundled.prompts if p.kind == "self-check"]
    for discipline in bundled.taxonomy.disciplines:
        assert any(discipline.id in p.disciplines for p in checks), discipline.id
    for post in bundled.taxonomy.risk_posts:
        assert any(post.id in p.risk_posts for p in checks), post.id


def test_sample_cases_are_anonymized_composites(bundled: Library) -> None:
    for case in bundled.cases:
        if case.kind == "historical-story":
            continue
        assert case.subject.anonymized, case.id
        assert any("composite" in s.publisher for s in case.sources), case.id


def test_warning_cases_have_the_depth_a_trainer_needs(bundled: Library) -> None:
    for case in bundled.cases:
        if case.kind != "warning":
            continue
        words = sum(len(case.text(s).split()) for s in case.sections)
        assert words >= 350, (case.id, words)
        assert len(case.sections["discussion"].items) >= 3, case.id
        assert case.outcome is not None and case.outcome.four_forms in (1, 2, 3, 4)


def test_correct_answers_are_spread_over_the_letters(bundled: Library) -> None:
    letters = Counter(q.answer for q in bundled.questions if q.type == "single")
    total = sum(letters.values())
    assert total >= 30
    assert max(letters.values()) <= 0.45 * total, letters


def test_messages_use_only_known_placeholders_and_sign_off(bundled: Library) -> None:
    known = set(bundled.taxonomy.message_placeholders)
    for message in bundled.messages:
        used = set(re.findall(r"{(\w+)}", message.body))
        assert used <= known, message.id
        if message.channel != "sms":
            assert message.subject, message.id
