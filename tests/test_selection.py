"""Selection: relevance to the audience, the audience's mix, seeded determinism, reasons, stratified draws."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import pytest
from conftest import THEME, MakeLibrary

from toolkit import Library, LibraryError, load_library
from toolkit.documents.outline import PARTS
from toolkit.i18n import catalog
from toolkit.selection import quotas, select_cases, select_prompts, select_questions, select_theme

# One violation type per discipline, enough to write a valid case for any discipline.
TYPE_OF = {
    "political": "cliques",
    "organizational": "vote-canvassing",
    "integrity": "gifts-cash-cards",
    "mass": "illegal-fees",
    "work": "formalism",
    "life": "extravagance",
}

WARNING_BODY = """
## Facts
Facts of {id}.

## Violations
What {id} did.

## Handling
How {id} was handled.

## Rules
- A rule.

## Analysis
How it grew.

## Lessons
- A lesson.

## Discussion questions
- A question?
"""

EXEMPLARY_BODY = """
## Deeds
What {id} did well.

## What to learn
- A habit.

## Discussion questions
- A question?
"""


def case_md(
    case_id: str,
    *,
    kind: str = "warning",
    audiences: Sequence[str] = ("families",),
    disciplines: Sequence[str] = ("integrity",),
    risk_posts: Sequence[str] = (),
) -> str:
    """A valid case file with the given tags (a warning case has an outcome, an exemplary one none)."""
    tags = "".join(f"  - discipline: {d}\n    types: [{TYPE_OF[d]}]\n" for d in disciplines)
    outcome = "outcome: {party: warning, four_forms: 2}\n" if kind == "warning" else ""
    return (
        "---\n"
        f"id: {case_id}\n"
        f'title: "Case {case_id}"\n'
        f"kind: {kind}\n"
        f'summary: "Summary of {case_id}."\n'
        f"audiences: [{', '.join(audiences)}]\n"
        f"disciplines:\n{tags}"
        f"risk_posts: [{', '.join(risk_posts)}]\n"
        'subject: {role: "section chief", rank_level: township-section}\n'
        f"{outcome}"
        "date: 2022-06\n"
        'sources: [{publisher: "illustrative composite"}]\n'
        "---\n" + (WARNING_BODY if kind == "warning" else EXEMPLARY_BODY).format(id=case_id)
    )


def ids(picks: Sequence[object]) -> list[str]:
    return [pick.case.id for pick in picks]  # type: ignore[attr-defined]


def audience_ids(library: Library) -> list[str]:
    return [audience.id for audience in library.taxonomy.audiences]


def share_counts(library: Library, case_ids: Sequence[str]) -> Counter[str]:
    kinds = library.taxonomy.terms("case_kinds")
    return Counter(kinds[library.case(cid).kind].share for cid in case_ids)


# --- select_cases ----------------------------------------------------------------------------------


def test_no_duplicates_and_count_respected_for_every_audience(bundled: Library) -> None:
    for audience in audience_ids(bundled):
        for count in (1, 3, 8, 20):
            picked = ids(select_cases(bundled, audience, count, seed=3))
            assert len(picked) == count, audience
            assert len(set(picked)) == count, audience


def test_count_is_capped_by_the_library_size(bundled: Library) -> None:
    picked = ids(select_cases(bundled, "retired", len(bundled.cases) + 25))
    assert sorted(picked) == sorted(case.id for case in bundled.cases)


def test_same_seed_same_selection(bundled: Library) -> None:
    for audience in audience_ids(bundled):
        assert select_cases(bundled, audience, 8, seed=11) == select_cases(bundled, audience, 8, seed=11)


def test_selection_does_not_depend_on_file_names_or_order(make_library: MakeLibrary) -> None:
    # Eight equally relevant cases: only the seeded tie-break orders them.
    names = [f"tie-{n}" for n in range(8)]
    forward = {f"cases/{n:02d}.md": case_md(cid) for n, cid in enumerate(names)}
    backward = {f"cases/{n:02d}.md": case_md(cid) for n, cid in enumerate(reversed(names))}
    first = load_library(make_library(forward))
    second = load_library(make_library(backward))
    assert [c.id for c in first.cases] != [c.id for c in second.cases]  # the files really are in another order
    for seed in range(6):
        for count in (1, 3, 5):
            assert ids(select_cases(first, "families", count, seed)) == ids(
                select_cases(second, "families", count, seed)
            )


def test_seed_breaks_ties_differently(bundled: Library) -> None:
    for audience in ("reserve-cadres", "families"):
        seen = {tuple(ids(select_cases(bundled, audience, 5, seed))) for seed in range(20)}
        assert len(seen) > 1, audience


def test_seed_orders_equal_cases_differently(make_library: MakeLibrary) -> None:
    library = load_library(make_library({f"cases/tie-{n}.md": case_md(f"tie-{n}") for n in range(6)}))
    seen = {tuple(ids(select_cases(library, "families", 2, seed))) for seed in range(20)}
    assert len(seen) > 1


@pytest.mark.parametrize("count", [1, 2, 3, 5, 7, 10, 13, 20])
def test_the_audiences_mix_is_honoured(bundled: Library, count: int) -> None:
    kinds = bundled.taxonomy.terms("case_kinds")
    available = Counter(kinds[case.kind].share for case in bundled.cases)
    checked = 0
    for audience in bundled.taxonomy.audiences:
        wanted = quotas(audience.mix, count)
        if any(available[share] < n for share, n in wanted.items()):
            continue
        picked = ids(select_cases(bundled, audience.id, count, seed=5))
        got = share_counts(bundled, picked)
        assert {share: got[share] for share in wanted} == wanted, audience.id
        checked += 1
    assert checked, "no audience could be checked"


def test_the_mix_counts_kinds_by_their_share(make_library: MakeLibrary) -> None:
    """A typical notice fills the warning share (counts_as), so exemplary cases still get theirs."""
    notice = case_md("notice-one").replace("kind: warning", "kind: typical-notice")
    notice = notice.replace("## Violations\nWhat notice-one did.\n\n", "").replace("## Analysis\nHow it grew.\n\n", "")
    notice = notice.replace("audiences: [families]", "audiences: [retired]")
    files = {"cases/notice-one.md": notice}
    files |= {f"cases/ex-{n}.md": case_md(f"ex-{n}", kind="exemplary") for n in range(4)}
    library = load_library(make_library(files))
    assert library.taxonomy.terms("case_kinds")["typical-notice"].share == "warning"
    # families: warning 0.6, exemplary 0.4 -> of 4, 2 of the warning share although the four
    # exemplary cases, tagged for families, are each more relevant than sample-case and the notice
    assert quotas({"warning": 0.6, "exemplary": 0.4}, 4) == {"warning": 2, "exemplary": 2}
    for seed in range(5):
        picked = ids(select_cases(library, "families", 4, seed))
        assert {"sample-case", "notice-one"} <= set(picked), seed


def test_result_is_grouped_by_share_in_the_order_of_the_mix(bundled: Library) -> None:
    for audience in bundled.taxonomy.audiences:
        picked = ids(select_cases(bundled, audience.id, 10, seed=2))
        kinds = bundled.taxonomy.terms("case_kinds")
        order = [list(audience.mix).index(kinds[bundled.case(cid).kind].share) for cid in picked]
        assert order == sorted(order), audience.id


def test_tagged_cases_rank_before_untagged_ones_of_the_same_kind(make_library: MakeLibrary) -> None:
    files = {}
    for kind in ("warning", "exemplary"):
        for n in range(2):
            files[f"cases/{kind}-tagged-{n}.md"] = case_md(f"{kind}-tagged-{n}", kind=kind, audiences=["retired"])
            files[f"cases/{kind}-other-{n}.md"] = case_md(f"{kind}-other-{n}", kind=kind, audiences=["families"])
    library = load_library(make_library(files))
    tagged = {cid for cid in (c.id for c in library.cases) if "-tagged-" in cid}
    # retired: warning 0.6, exemplary 0.4 -> 2 + 2 of 4; every case is on the integrity discipline
    assert quotas(library.taxonomy.terms("audiences")["retired"].mix, 4) == {"warning": 2, "exemplary": 2}
    for seed in range(10):
        assert set(ids(select_cases(library, "retired", 4, seed))) == tagged, seed


def test_preferred_discipline_ranks_before_other_discipline(make_library: MakeLibrary) -> None:
    # retired prefers integrity, organizational, life: a work case is less relevant than a life case
    files = {
        "cases/on-life.md": case_md("on-life", audiences=["families"], disciplines=["life"]),
        "cases/on-work.md": case_md("on-work", audiences=["families"], disciplines=["work"]),
    }
    library = load_library(make_library(files))
    for seed in range(10):
        picked = ids(select_cases(library, "retired", 2, seed, exclude=["sample-case"]))
        assert picked[0] == "on-life", seed


def test_every_pick_has_reasons_from_the_catalog(bundled: Library) -> None:
    en = catalog("en")
    tax = bundled.taxonomy
    lists = {"audience": "audiences", "discipline": "disciplines", "risk_post": "risk_posts", "kind": "case_kinds"}
    for audience in tax.audiences:
        for pick in select_cases(bundled, audience.id, len(bundled.cases), seed=4):
            assert pick.reasons, pick.case.id
            for reason in pick.reasons:
                assert reason.key in en, reason.key
                args = dict(reason.args)
                assert set(args) == en.placeholders(reason.key), reason
                for name, value in args.items():
                    assert value in tax.terms(lists[name]), reason
                if reason.key == "reason.audience":
                    assert audience.id in pick.case.audiences
                if reason.key == "reason.discipline":
                    assert args["discipline"] in pick.case.discipline_ids
                    assert args["discipline"] in audience.disciplines
                if reason.key == "reason.risk_post":
                    assert args["risk_post"] in pick.case.risk_posts
                    assert args["risk_post"] in audience.risk_posts


def test_exclude_leaves_cases_out(bundled: Library) -> None:
    first = ids(select_cases(bundled, "key-posts", 6))
    second = ids(select_cases(bundled, "key-posts", 6, exclude=first))
    assert len(second) == 6
    assert not set(first) & set(second)
    keep = [case.id for case in bundled.cases][:3]
    rest = [case.id for case in bundled.cases if case.id not in keep]
    assert sorted(ids(select_cases(bundled, "key-posts", 10, exclude=rest))) == sorted(keep)


# --- quotas ----------------------------------------------------------------------------------------


def test_quotas_sum_to_count_and_stay_within_one_of_the_share(bundled: Library) -> None:
    mixes = [audience.mix for audience in bundled.taxonomy.audiences]
    mixes += [{part: share for part, share, _ in PARTS}, {"a": 0.17, "b": 0.33, "c": 0.5}, {"only": 1.0}]
    for mix in mixes:
        for count in range(0, 301):
            result = quotas(mix, count)
            assert list(result) == list(mix)
            assert sum(result.values()) == count, (mix, count)
            for kind, share in mix.items():
                assert abs(result[kind] - share * count) < 1, (mix, count, kind)


def test_quotas_give_the_spare_unit_to_the_largest_remainder() -> None:
    # 1.7, 3.3, 5.0 -> 1, 3, 5 and the one left goes to a (0.7), not to c (the largest share)
    assert quotas({"a": 0.17, "b": 0.33, "c": 0.5}, 10) == {"a": 2, "b": 3, "c": 5}


def test_quotas_ties_go_to_the_earlier_share() -> None:
    assert quotas({"a": 0.5, "b": 0.5}, 3) == {"a": 2, "b": 1}
    assert quotas({"b": 0.5, "a": 0.5}, 3) == {"b": 2, "a": 1}
    assert quotas({"a": 0.25, "b": 0.25, "c": 0.5}, 2) == {"a": 1, "b": 0, "c": 1}


@pytest.mark.parametrize("count", [5, 15, 45, 85, 165, 175])
def test_quotas_tie_is_not_decided_by_float_noise(count: int) -> None:
    # 0.7 * 45 is 31.499999999999996 in floating point: still a tie of halves, so warning comes first
    assert quotas({"warning": 0.7, "exemplary": 0.3}, count) == {
        "warning": (7 * count + 5) // 10,
        "exemplary": (3 * count) // 10,
    }


# --- select_questions ------------------------------------------------------------------------------


def question_disciplines(library: Library) -> set[str]:
    return {q.discipline for q in library.questions}


@pytest.mark.parametrize("count", [6, 12, 20, 40])
def test_questions_are_stratified_across_disciplines(bundled: Library, count: int) -> None:
    with_questions = question_disciplines(bundled)
    assert count >= len(with_questions)
    for audience in bundled.taxonomy.audiences:
        drawn = select_questions(bundled, audience.id, count, seed=7)
        assert len(drawn) == count
        assert len({q.id for q in drawn}) == count
        per = Counter(q.discipline for q in drawn)
        assert set(per) == with_questions, audience.id
        preferred = [per[d] for d in with_questions if d in audience.disciplines]
        others = [per[d] for d in with_questions if d not in audience.disciplines]
        if preferred and others:
            assert min(preferred) >= max(others), (audience.id, per)


def test_questions_count_is_capped_and_every_question_is_used_once(bundled: Library) -> None:
    drawn = select_questions(bundled, "retired", len(bundled.questions) + 50)
    assert sorted(q.id for q in drawn) == sorted(q.id for q in bundled.questions)


def test_questions_are_ordered_by_type(bundled: Library) -> None:
    order = [term.id for term in bundled.taxonomy.question_types]
    for count in (5, 20, 90):
        drawn = select_questions(bundled, "newly-promoted", count, seed=9)
        positions = [order.index(q.type) for q in drawn]
        assert positions == sorted(positions)


def test_questions_are_deterministic_and_seeded(bundled: Library) -> None:
    assert select_questions(bundled, "retired", 20, 3) == select_questions(bundled, "retired", 20, 3)
    drawn = {tuple(q.id for q in select_questions(bundled, "retired", 20, seed)) for seed in range(10)}
    assert len(drawn) > 1


def test_questions_limited_to_given_disciplines(bundled: Library) -> None:
    drawn = select_questions(bundled, "families", 10, disciplines=["life", "mass"])
    assert len(drawn) == 10
    assert {q.discipline for q in drawn} == {"life", "mass"}


# --- select_prompts --------------------------------------------------------------------------------


def test_prompts_filter_by_kind_and_audience(bundled: Library) -> None:
    for audience in audience_ids(bundled):
        for kind in ("self-check", "reflection", "problem", "cause", "measure"):
            eligible = [p for p in bundled.prompts if p.kind == kind and (not p.audiences or audience in p.audiences)]
            chosen = select_prompts(bundled, audience, kind, len(bundled.prompts))
            assert sorted(p.id for p in chosen) == sorted(p.id for p in eligible)
            tagged = [audience in p.audiences for p in chosen]
            assert tagged == sorted(tagged, reverse=True), "audience-tagged prompts come first"


def test_prompts_tagged_only_for_others_are_left_out(bundled: Library) -> None:
    foreign = [p for p in bundled.prompts if p.kind == "reflection" and p.audiences and "retired" not in p.audiences]
    assert foreign, "the bundled library has audience-specific reflections"
    chosen = {p.id for p in select_prompts(bundled, "retired", "reflection", 100)}
    assert not chosen & {p.id for p in foreign}
    assert {p.id for p in bundled.prompts if p.kind == "reflection" and "retired" in p.audiences} <= chosen


def test_prompts_filter_by_discipline_and_risk_post(bundled: Library) -> None:
    for discipline in ("integrity", "work", "mass"):
        chosen = select_prompts(bundled, "key-posts", "self-check", 100, discipline=discipline)
        assert chosen
        assert all(discipline in p.disciplines and p.kind == "self-check" for p in chosen)
    for post in ("finance", "procurement", "approval"):
        chosen = select_prompts(bundled, "key-posts", "self-check", 100, risk_post=post)
        assert chosen
        assert all(post in p.risk_posts for p in chosen)
    assert len(select_prompts(bundled, "key-posts", "self-check", 2, discipline="integrity")) == 2


# --- select_theme ----------------------------------------------------------------------------------


def test_theme_tagged_for_the_audience_is_chosen(make_library: MakeLibrary) -> None:
    tagged = THEME.format(id="for-retired", case="sample-case").replace(
        "disciplines: [integrity]", "disciplines: [integrity]\naudiences: [retired]"
    )
    files = {
        "themes/sample-theme.md": None,
        "themes/a-untagged.md": THEME.format(id="untagged", case="sample-case"),
        "themes/b-tagged.md": tagged,
    }
    library = load_library(make_library(files))
    for seed in range(10):
        assert select_theme(library, "retired", seed).id == "for-retired"
    # for another audience the two themes tie, and the seed decides
    assert {select_theme(library, "families", seed).id for seed in range(20)} == {"untagged", "for-retired"}


def test_bundled_themes_tagged_for_an_audience_are_chosen_for_it(bundled: Library) -> None:
    checked = 0
    for audience in audience_ids(bundled):
        if any(audience in theme.audiences for theme in bundled.themes):
            assert audience in select_theme(bundled, audience).audiences
            checked += 1
    assert checked


def test_a_library_without_themes_is_a_library_error_naming_the_folder(make_library: MakeLibrary) -> None:
    library = load_library(make_library({"themes/sample-theme.md": None}))
    with pytest.raises(LibraryError) as raised:
        select_theme(library, "retired")
    assert str(raised.value) == (
        f"{library.root / 'themes'}: the library has no themes, and a lecture outline needs one "
        "(add a theme file to themes/)"
    )
