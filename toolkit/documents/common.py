"""Parts every document shares: the cover with its provenance, and localized views of cases."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from toolkit.documents.params import picked
from toolkit.i18n import Catalog, catalog
from toolkit.version import toolkit_version

# The library's models and the selection load when a document is assembled, not on import: a learner's
# page shows a sheet assembled beforehand and needs neither (tests/test_hall.py).
if TYPE_CHECKING:
    from toolkit.library.catalog import Library
    from toolkit.library.model import Case, Taxonomy
    from toolkit.selection import Reason


@dataclass(frozen=True)
class Provenance:
    """Where a handout came from: library version, toolkit version, parameters and date.

    ``described`` holds the parameters in words, in the handout's language (label, value), as the
    colophon at the end of the handout prints them; ``parameters`` keeps their values as given.
    """

    library_version: str
    toolkit_version: str
    parameters: tuple[tuple[str, Any], ...]
    date: str
    described: tuple[tuple[str, str], ...] = ()

    def parameters_text(self) -> str:
        """The parameters as one line, library path left out (it differs between machines)."""
        return ", ".join(f"{name}={json.dumps(value, ensure_ascii=False)}" for name, value in self.parameters)


@dataclass(frozen=True)
class Cover:
    title: str
    document: str
    audience: str
    audience_label: str
    education: str
    emphasis: str
    unit: str
    date: str
    lang: str
    edition: str
    edition_label: str
    provenance: Provenance


class Document(Protocol):
    """What every assembled document has, whatever its kind (a bundled one, or one registered from
    outside the package): its cover, and the library entries it shows (which its cache key is made of)."""

    @property
    def cover(self) -> Cover: ...

    @property
    def uses(self) -> frozenset[str]: ...


@dataclass(frozen=True)
class SectionView:
    """A body section ready to print: heading in the document's language, Markdown text, list items."""

    id: str
    heading: str
    text: str
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class CaseView:
    """A case as a document shows it: labels in the document's language, sections in the kind's order."""

    id: str
    title: str
    kind: str
    kind_label: str
    summary: str
    facts: tuple[tuple[str, str], ...]
    sections: tuple[SectionView, ...]
    reasons: tuple[str, ...] = ()


def cover(
    library: Library, params: dict[str, Any], document: str, default_title: str, t: Catalog | None = None
) -> Cover:
    t = t or catalog(params["lang"])
    tax = library.taxonomy
    lang = params["lang"]
    from toolkit.selection import audience_of

    audience = audience_of(tax, params["audience"])
    shown = tuple((name, value) for name, value in params.items() if name != "library")
    return Cover(
        title=params["title"] or default_title,
        document=document,
        audience=audience.id,
        audience_label=tax.label("audiences", audience.id, lang),
        education=audience.education.get(lang) or audience.education["en"],
        emphasis=audience.emphasis.get(lang) or audience.emphasis["en"],
        unit=params["unit"],
        date=params["date"],
        lang=lang,
        edition=params["edition"],
        edition_label=t(f"edition.{params['edition']}"),
        provenance=Provenance(
            library.version, toolkit_version(), shown, params["date"], parameters_in_words(params, library, t)
        ),
    )


def parameters_in_words(params: dict[str, Any], library: Library, t: Catalog) -> tuple[tuple[str, str], ...]:
    """A handout's parameters as a reader reads them: each name's label and its value in words (the
    audience's and the edition's labels, the language's name, the date as the language writes it), in
    the catalog's language. The library's path and parameters left blank are left out; a parameter the
    catalog has no label for (a document kind registered from outside) keeps its name and value."""
    tax = library.taxonomy
    rows: list[tuple[str, str]] = []
    for name, value in params.items():
        if name == "library" or value in ("", None):
            continue
        if name == "audience":
            text = tax.label("audiences", value, t.lang)
        elif name == "edition":
            text = t(f"edition.{params['edition']}")
        elif name == "lang":
            text = t(f"language.{params['lang']}")
        elif name == "date":
            text = t.date(value)
        elif name == "theme" and value in {theme.id for theme in library.themes}:
            text = library.theme(value).title
        elif name == "print_size":
            text = t(f"print_size.{value}")
        elif name == "picks":
            text = t("punct.list").join(picked(params))
        else:
            text = str(value)
        label = t(f"param.{name}") if f"param.{name}" in t else name
        rows.append((label, text))
    return tuple(rows)


def reason_text(reason: Reason, tax: Taxonomy, t: Catalog) -> str:
    """A selection reason in words, term ids turned into labels."""
    kinds = {"audience": "audiences", "discipline": "disciplines", "risk_post": "risk_posts", "kind": "case_kinds"}
    values = {name: tax.label(kinds[name], value, t.lang) for name, value in reason.args}
    return t(reason.key, **values)


def _amount(value: int, approximate: bool, t: Catalog) -> str:
    text = t("case.amount_value", value=t.amount(value))
    return t("case.approximately", amount=text) if approximate else text


def case_facts(case: Case, tax: Taxonomy, t: Catalog) -> tuple[tuple[str, str], ...]:
    """The front matter of a case as label/value rows: subject, disciplines, amounts, period, outcome."""
    lang = t.lang
    rows: list[tuple[str, str]] = []
    subject = case.subject
    who = subject.role + t("punct.paren", text=tax.label("rank_levels", subject.rank_level, lang))
    if subject.region:
        who += t("punct.comma") + subject.region
    rows.append((t("case.subject"), who))
    violations = []
    for tag in case.disciplines:
        types = t("punct.list").join(tax.label("types", vtype, lang) for vtype in tag.types)
        label = tax.label("disciplines", tag.discipline, lang)
        violations.append(t("punct.labelled", label=label, text=types) if types else label)
    rows.append((t("case.disciplines"), t("punct.list").join(violations)))
    if case.amounts:
        rows.append(
            (
                t("case.amounts"),
                t("punct.list").join(
                    t(
                        "case.amount",
                        kind=tax.label("amount_kinds", a.kind, lang),
                        amount=_amount(a.value_cny, a.approximate, t),
                    )
                    for a in case.amounts
                ),
            )
        )
    if case.period:
        rows.append((t("case.period"), t.period(case.period.start, case.period.end)))
    if case.outcome:
        out = case.outcome
        parts = []
        if out.party:
            parts.append(tax.label("sanctions.party", out.party, lang))
        if out.government:
            parts.append(tax.label("sanctions.government", out.government, lang))
        parts += [tax.label("sanctions.organizational", o, lang) for o in out.organizational]
        if out.four_forms:
            parts.append(tax.label("four_forms", out.four_forms, lang))
        if out.criminal:
            parts.append(out.criminal)
        rows.append((t("case.outcome"), t("punct.list").join(parts)))
    if case.risk_posts:
        rows.append(
            (t("case.risk_posts"), t("punct.list").join(tax.label("risk_posts", p, lang) for p in case.risk_posts))
        )
    return tuple(rows)


def case_view(case: Case, tax: Taxonomy, t: Catalog, reasons: tuple[str, ...] = ()) -> CaseView:
    kind = tax.terms("case_kinds")[case.kind]
    listed = {section.id for section in tax.sections if section.list}
    sections = [
        SectionView(
            sid,
            tax.label("sections", sid, t.lang),
            case.sections[sid].text,
            case.sections[sid].items if sid in listed else (),
        )
        for sid in kind.sections
        if sid in case.sections
    ]
    sections += [SectionView("", extra.heading, extra.text, ()) for extra in case.extra_sections]
    return CaseView(
        id=case.id,
        title=case.title,
        kind=case.kind,
        kind_label=tax.label("case_kinds", case.kind, t.lang),
        summary=case.summary,
        facts=case_facts(case, tax, t),
        sections=tuple(sections),
        reasons=reasons,
    )
