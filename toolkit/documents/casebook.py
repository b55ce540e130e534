"""The casebook: cover, introduction, contents, the chosen cases in full, rules at a glance, discussion."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from toolkit.documents.common import CaseView, Cover, case_view, cover, reason_text
from toolkit.documents.params import picked
from toolkit.i18n import Catalog, catalog

# The library's models and the selection load when a document is assembled, not on import: a learner's
# page shows a sheet assembled beforehand and needs neither (tests/test_hall.py).
if TYPE_CHECKING:
    from toolkit.library.catalog import Library
    from toolkit.library.model import LegalBasis, Taxonomy

DISCUSSION_PER_CASE = 1
DISCUSSION_MAX = 10


@dataclass(frozen=True)
class RuleRef:
    """One instrument the cases apply, and the cases (by title) that cite it."""

    rule: str
    cases: tuple[str, ...]


@dataclass(frozen=True)
class Casebook:
    cover: Cover
    introduction: tuple[str, ...]
    cases: tuple[CaseView, ...]
    rules: tuple[RuleRef, ...]
    discussion: tuple[str, ...]
    show_reasons: bool
    uses: frozenset[str]


def assemble_casebook(library: Library, params: dict[str, Any]) -> Casebook:
    """Assemble a casebook for ``params["audience"]`` from checked parameters (see ``params.validate``)."""
    from toolkit.selection import picked_cases, select_cases

    t = catalog(params["lang"])
    tax = library.taxonomy
    chosen = picked(params)[: params["cases"]]
    picks = picked_cases(library, params["audience"], chosen)
    if len(picks) < params["cases"]:
        picks += select_cases(library, params["audience"], params["cases"] - len(picks), params["seed"], exclude=chosen)
    page = cover(library, params, "casebook", t("casebook.title"), t)
    views = tuple(
        case_view(pick.case, tax, t, tuple(reason_text(reason, tax, t) for reason in pick.reasons)) for pick in picks
    )
    warning = sum(1 for pick in picks if tax.terms("case_kinds")[pick.case.kind].share == "warning")
    introduction = (
        t("casebook.intro.education", audience=page.audience_label, education=page.education),
        page.emphasis,
        t("casebook.intro.contents", count=len(picks), warning=warning, exemplary=len(picks) - warning),
        t("casebook.intro.use"),
    )
    cited: dict[str, list[str]] = {}
    for pick in picks:
        for basis in pick.case.legal_basis:
            name = cited_rule(basis, tax, t)
            titles = cited.setdefault(name, [])
            if pick.case.title not in titles:
                titles.append(pick.case.title)
    rules = tuple(
        RuleRef(name, tuple(titles)) for name, titles in sorted(cited.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    )
    discussion: list[str] = []
    for pick in picks:
        section = pick.case.sections.get("discussion")
        for item in (section.items if section else ())[:DISCUSSION_PER_CASE]:
            if item not in discussion:
                discussion.append(item)
    return Casebook(
        cover=page,
        introduction=introduction,
        cases=views,
        rules=rules,
        discussion=tuple(discussion[:DISCUSSION_MAX]),
        show_reasons=params["edition"] == "trainer",
        uses=frozenset(f"case:{pick.case.id}" for pick in picks),
    )


def cited_rule(basis: LegalBasis, tax: Taxonomy, t: Catalog) -> str:
    """A rule a case applies, as the handout's language cites it: the instrument's title (in
    book-title marks in Chinese), the revision, the part.

    >>> from toolkit import bundled_library, load_library
    >>> from toolkit.i18n import catalog
    >>> tax = load_library(bundled_library()).taxonomy
    >>> from toolkit.library.model import LegalBasis
    >>> basis = LegalBasis(instrument="party-discipline-regulations", revision=2023, article="廉洁纪律")
    >>> cited_rule(basis, tax, catalog("zh-CN"))
    '《中国共产党纪律处分条例》（2023年版）廉洁纪律'
    """
    name = t("casebook.instrument", name=tax.label("instruments", basis.instrument, t.lang))
    if basis.revision:
        name += t("casebook.revision", revision=basis.revision)
    if basis.article:
        name += t("casebook.article", article=basis.article)
    return name
