"""Choosing library entries for an audience: relevance, balance, a deterministic seeded order, reasons.

Every choice keeps the reasons it was made, as catalog keys with arguments, so that a trainer's
edition can say why a case is in the casebook. Ties are broken by a hash of the seed and the entry
id: the same library, audience, sizes and seed always give the same selection, whatever the order
of the files or the Python process.

>>> from toolkit import bundled_library, load_library
>>> library = load_library(bundled_library())
>>> picks = select_cases(library, "newly-promoted", count=6, seed=1)
>>> picks == select_cases(library, "newly-promoted", count=6, seed=1), len(picks)
(True, 6)
>>> picks[0].reasons[0]
Reason(key='reason.audience', args=(('audience', 'newly-promoted'),))
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from toolkit.errors import LibraryError
from toolkit.library.catalog import Library
from toolkit.library.check import no_themes
from toolkit.library.model import Audience, Case, Prompt, Question, Taxonomy, Theme

# Weights of the facets that make an entry relevant to an audience.
AUDIENCE_TAG = 10.0  # outweighs any mix of facets: a case tagged for the audience comes first
DISCIPLINE = 2.0
RISK_POST = 2.0
NEW_DISCIPLINE = 1.5
NEW_RISK_POST = 0.5


@dataclass(frozen=True)
class Reason:
    """Why an entry was chosen: a message-catalog key (``reason.*``) and its arguments, as term ids."""

    key: str
    args: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, key: str, **args: str) -> Reason:
        return cls(key, tuple(sorted(args.items())))


@dataclass(frozen=True)
class Pick:
    """A chosen case with its relevance score and reasons."""

    case: Case
    score: float
    reasons: tuple[Reason, ...] = field(default=())


def tiebreak(seed: int, entry_id: str) -> str:
    """A stable pseudo-random key for ``entry_id`` under ``seed`` (the same in every process)."""
    return hashlib.sha256(f"{seed}\x00{entry_id}".encode()).hexdigest()


def audience_of(taxonomy: Taxonomy, audience_id: str) -> Audience:
    audience: Audience = taxonomy.terms("audiences")[audience_id]
    return audience


def _preference(order: Sequence[str], term: str) -> float:
    """1.0 for the first preferred term, falling towards 0.5 for the last."""
    return 1.0 - 0.5 * order.index(term) / max(len(order), 1)


def case_relevance(case: Case, audience: Audience) -> tuple[float, tuple[Reason, ...]]:
    """How relevant a case is to an audience, and why."""
    score = 0.0
    reasons: list[Reason] = []
    if audience.id in case.audiences:
        score += AUDIENCE_TAG
        reasons.append(Reason.of("reason.audience", audience=audience.id))
    for discipline in dict.fromkeys(case.discipline_ids):
        if discipline in audience.disciplines:
            score += DISCIPLINE * _preference(audience.disciplines, discipline)
            reasons.append(Reason.of("reason.discipline", discipline=discipline))
    for post in case.risk_posts:
        if post in audience.risk_posts:
            score += RISK_POST * _preference(audience.risk_posts, post)
            reasons.append(Reason.of("reason.risk_post", risk_post=post))
    return score, tuple(reasons)


def quotas(mix: Mapping[str, float], count: int) -> dict[str, int]:
    """Split ``count`` by the shares in ``mix`` (largest remainder; ties go to the earlier share)."""
    # Rounded so that float noise (0.7 * 45 = 31.499999999999996) does not decide a tie.
    raw = {kind: round(share * count, 9) for kind, share in mix.items()}
    result = {kind: int(value) for kind, value in raw.items()}
    order = sorted(raw, key=lambda kind: (-(raw[kind] - result[kind]), list(raw).index(kind)))
    for kind in order[: count - sum(result.values())]:
        result[kind] += 1
    return result


def select_cases(
    library: Library,
    audience_id: str,
    count: int,
    seed: int = 1,
    *,
    exclude: Iterable[str] = (),
) -> tuple[Pick, ...]:
    """Choose ``count`` cases for an audience, following its profile in the taxonomy.

    The audience's tagged cases, preferred disciplines and risk posts come first; the audience's
    ``mix`` sets how many warning and exemplary cases (by each kind's ``counts_as``); each pick
    favours a preferred discipline or risk post not yet covered. The result is grouped by share in
    the order of the mix, most relevant first within each group.
    """
    tax = library.taxonomy
    audience = audience_of(tax, audience_id)
    kinds = tax.terms("case_kinds")
    excluded = set(exclude)
    scored = {case.id: (case, *case_relevance(case, audience)) for case in library.cases if case.id not in excluded}
    wanted = quotas(audience.mix, min(count, len(scored)))
    covered_disciplines: set[str] = set()
    covered_posts: set[str] = set()
    picks: list[tuple[str, Pick]] = []
    while scored and len(picks) < count:
        open_shares = {share for share, left in wanted.items() if left > 0}
        pool = [cid for cid, (case, _, _) in scored.items() if kinds[case.kind].share in open_shares] or list(scored)

        def value(
            case_id: str,
            disciplines: frozenset[str] = frozenset(covered_disciplines),
            posts: frozenset[str] = frozenset(covered_posts),
        ) -> tuple[float, str]:
            case, score, _ = scored[case_id]
            bonus = NEW_DISCIPLINE * bool(set(case.discipline_ids) & (set(audience.disciplines) - disciplines))
            bonus += NEW_RISK_POST * bool(set(case.risk_posts) & (set(audience.risk_posts) - posts))
            # max() takes the highest score, then the smallest hash: invert the hex digits to flip the order
            return score + bonus, _invert(tiebreak(seed, case_id))

        best = max(pool, key=value)
        case, score, reasons = scored.pop(best)
        share = kinds[case.kind].share
        if wanted.get(share, 0) > 0:
            wanted[share] -= 1
            reasons = (*reasons, Reason.of("reason.mix", kind=share))
        if not reasons:
            reasons = (Reason.of("reason.fill"),)
        covered_disciplines |= set(case.discipline_ids)
        covered_posts |= set(case.risk_posts)
        picks.append((share, Pick(case, score, reasons)))
    order = list(audience.mix)
    picks.sort(key=lambda item: order.index(item[0]) if item[0] in order else len(order))
    return tuple(pick for _, pick in picks)


def picked_cases(library: Library, audience_id: str, case_ids: Sequence[str]) -> tuple[Pick, ...]:
    """Cases chosen by hand, in the given order, with the reason "picked" and their relevance."""
    audience = audience_of(library.taxonomy, audience_id)
    picks = []
    for case_id in case_ids:
        case = library.case(case_id)
        score, reasons = case_relevance(case, audience)
        picks.append(Pick(case, score, (Reason.of("reason.picked"), *reasons)))
    return tuple(picks)


def _invert(digest: str) -> str:
    return digest.translate(str.maketrans("0123456789abcdef", "fedcba9876543210"))


def theme_relevance(theme: Theme, audience: Audience) -> float:
    score = AUDIENCE_TAG * (audience.id in theme.audiences)
    score += sum(
        DISCIPLINE * _preference(audience.disciplines, d) for d in theme.disciplines if d in audience.disciplines
    )
    score += sum(RISK_POST * _preference(audience.risk_posts, p) for p in theme.risk_posts if p in audience.risk_posts)
    return score


def select_theme(library: Library, audience_id: str, seed: int = 1) -> Theme:
    """The theme that fits an audience best (tagged audience, preferred disciplines and risk posts).

    A library without themes is a :class:`LibraryError`: a lecture outline cannot be made from it.
    """
    audience = audience_of(library.taxonomy, audience_id)
    if not library.themes:
        raise LibraryError([no_themes(library)])
    return max(
        library.themes,
        key=lambda theme: (theme_relevance(theme, audience), _invert(tiebreak(seed, theme.id))),
    )


def rank_cases(cases: Iterable[Case], audience: Audience, seed: int = 1) -> list[Pick]:
    """Cases in order of relevance to the audience (ties by the seeded hash)."""
    picks = [Pick(case, *case_relevance(case, audience)) for case in cases]
    picks.sort(key=lambda pick: (-pick.score, tiebreak(seed, pick.case.id)))
    return picks


def select_questions(
    library: Library,
    audience_id: str,
    count: int,
    seed: int = 1,
    *,
    disciplines: Sequence[str] | None = None,
) -> tuple[Question, ...]:
    """Draw ``count`` questions stratified across disciplines.

    Each discipline gets a quota by weight (the audience's preferred disciplines count double),
    capped by the questions it has; within a discipline, questions tagged for the audience come
    first, then a seeded draw. The paper is ordered by question type, then by discipline.
    """
    tax = library.taxonomy
    audience = audience_of(tax, audience_id)
    names = list(disciplines) if disciplines is not None else [d.id for d in tax.disciplines]
    by_discipline: dict[str, list[Question]] = {name: [] for name in names}
    for question in library.questions:
        if question.discipline in by_discipline:
            by_discipline[question.discipline].append(question)
    for pool in by_discipline.values():
        pool.sort(key=lambda q: (audience.id not in q.audiences, tiebreak(seed, q.id)))
    weights = {name: 2.0 if name in audience.disciplines else 1.0 for name in names if by_discipline[name]}
    total = sum(weights.values())
    target = min(count, sum(len(pool) for pool in by_discipline.values()))
    wanted = quotas({name: weight / total for name, weight in weights.items()}, target) if total else {}
    # Move quota from disciplines that run out to those that still have questions.
    while True:
        spare = sum(max(0, wanted[n] - len(by_discipline[n])) for n in wanted)
        if not spare:
            break
        for name in wanted:
            wanted[name] = min(wanted[name], len(by_discipline[name]))
        for name in sorted(wanted, key=lambda n: -weights[n]):
            room = len(by_discipline[name]) - wanted[name]
            take = min(room, spare)
            wanted[name] += take
            spare -= take
    chosen = [q for name in names for q in by_discipline[name][: wanted.get(name, 0)]]
    type_order = [term.id for term in tax.question_types]
    chosen.sort(key=lambda q: (type_order.index(q.type) if q.type in type_order else 99, names.index(q.discipline)))
    return tuple(chosen)


def select_prompts(
    library: Library,
    audience_id: str,
    kind: str,
    count: int,
    seed: int = 1,
    *,
    discipline: str | None = None,
    risk_post: str | None = None,
) -> tuple[Prompt, ...]:
    """Prompts of one kind, optionally for one discipline or risk post, audience-tagged ones first.

    Prompts tagged for other audiences only are left out; untagged prompts serve everyone.
    """
    candidates = [
        prompt
        for prompt in library.prompts
        if prompt.kind == kind
        and (not prompt.audiences or audience_id in prompt.audiences)
        and (discipline is None or discipline in prompt.disciplines)
        and (risk_post is None or risk_post in prompt.risk_posts)
    ]
    candidates.sort(key=lambda p: (audience_id not in p.audiences, tiebreak(seed, p.id)))
    return tuple(candidates[:count])
