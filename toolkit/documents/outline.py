"""The lecture outline: objectives, the four-part lecture with timings, cases woven in, speaker notes.

The session is cut into an opening, the usual four parts (why it matters now; learning from cases;
practical defences; responsibility and follow-through) and a closing discussion. Minutes are shared
by fixed weights with the largest-remainder rule, so the parts always add up to the session length.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from toolkit.documents.common import Cover, cover
from toolkit.documents.params import picked
from toolkit.i18n import Catalog, catalog

# The library's models and the selection load when a document is assembled, not on import: a learner's
# page shows a sheet assembled beforehand and needs neither (tests/test_hall.py).
if TYPE_CHECKING:
    from toolkit.library.catalog import Library
    from toolkit.library.model import Theme

# (part id, share of the session, theme section printed as the part's points)
PARTS: tuple[tuple[str, float, str | None], ...] = (
    ("opening", 0.05, None),
    ("why-now", 0.15, "why-now"),
    ("cases", 0.35, "talking-points"),
    ("defences", 0.20, "defences"),
    ("responsibility", 0.10, "responsibility"),
    ("discussion", 0.15, "discussion-prompts"),
)


@dataclass(frozen=True)
class CaseBrief:
    id: str
    title: str
    kind_label: str
    summary: str
    lesson: str


@dataclass(frozen=True)
class Part:
    id: str
    number: int
    heading: str
    minutes: int
    start: int
    text: str
    points: tuple[str, ...]
    cases: tuple[CaseBrief, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Outline:
    cover: Cover
    theme_id: str
    theme_title: str
    summary: str
    objectives: tuple[str, ...]
    parts: tuple[Part, ...]
    minutes: int
    uses: frozenset[str]


def timings(minutes: int) -> list[int]:
    """Minutes per part, adding up to ``minutes``."""
    from toolkit.selection import quotas

    shares = quotas({part: share for part, share, _ in PARTS}, minutes)
    return [shares[part] for part, _, _ in PARTS]


def _briefs(library: Library, theme: Theme, params: dict[str, Any], t: Catalog) -> tuple[CaseBrief, ...]:
    from toolkit.selection import audience_of, rank_cases, select_cases

    audience = audience_of(library.taxonomy, params["audience"])
    known = {case.id: case for case in library.cases}
    hand_ids = picked(params)
    hand = [known[cid] for cid in hand_ids]
    ranked = [
        pick.case
        for pick in rank_cases(
            (known[cid] for cid in theme.cases if cid in known and cid not in hand_ids), audience, params["seed"]
        )
    ]
    chosen = [*hand, *ranked][: params["cases"]]
    if len(chosen) < params["cases"]:
        extra = select_cases(
            library, audience.id, params["cases"] - len(chosen), params["seed"], exclude=[c.id for c in chosen]
        )
        chosen += [pick.case for pick in extra]
    briefs = []
    for case in chosen:
        lessons = case.sections.get("lessons") or case.sections.get("what-to-learn")
        lesson = lessons.items[0] if lessons and lessons.items else ""
        briefs.append(
            CaseBrief(
                case.id, case.title, library.taxonomy.label("case_kinds", case.kind, t.lang), case.summary, lesson
            )
        )
    return tuple(briefs)


def assemble_outline(library: Library, params: dict[str, Any]) -> Outline:
    """Assemble a lecture outline for a theme (the audience's best theme when ``theme`` is blank)."""
    from toolkit.selection import select_theme

    t = catalog(params["lang"])
    theme = (
        library.theme(params["theme"]) if params["theme"] else select_theme(library, params["audience"], params["seed"])
    )
    page = cover(library, params, "outline", params["title"] or theme.title, t)
    briefs = _briefs(library, theme, params, t)
    parts = []
    start = 0
    for number, ((part_id, _, section), minutes) in enumerate(zip(PARTS, timings(params["minutes"]), strict=True)):
        found = theme.sections.get(section) if section else None
        items = found.items if found and found.items else ()
        text = found.text if found and not found.items else ""
        notes = [t(f"outline.notes.{part_id}", minutes=minutes, cases=len(briefs), audience=page.audience_label)]
        if part_id == "cases":
            notes += [t("outline.notes.per_case", minutes=max(1, minutes // max(len(briefs), 1)))]
        parts.append(
            Part(
                id=part_id,
                number=number,
                heading=t(f"outline.part.{part_id}"),
                minutes=minutes,
                start=start,
                text=text,
                points=items,
                cases=briefs if part_id == "cases" else (),
                notes=tuple(notes),
            )
        )
        start += minutes
    objectives = theme.sections.get("objectives")
    return Outline(
        cover=page,
        theme_id=theme.id,
        theme_title=theme.title,
        summary=theme.summary,
        objectives=objectives.items if objectives else (),
        parts=tuple(parts),
        minutes=params["minutes"],
        uses=frozenset({f"theme:{theme.id}", *(f"case:{brief.id}" for brief in briefs)}),
    )
