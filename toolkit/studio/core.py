"""The trainer studio without a browser: find cases, pick and order them, preview, save a build spec.

Everything the studio's widgets show is computed here, so tests drive it directly::

    studio = Studio(library)
    studio.set_filters(discipline="integrity", keyword="gift card")
    studio.results              # matching case ids, in library order
    studio.add(studio.results[0])
    studio.save(Path("session.yaml"))   # `lianzheng build session.yaml` builds exactly this

The studio shows and searches the library's text in its own language (``studio.texts``). Searching is
over a lowercase text per case made once (title, summary, body, subject, and the labels of its tags in
every language of the library), so a filter change over a thousand cases is a scan of strings. Several
words must all occur; Chinese has no spaces between words, so a word is any substring. A Chinese
studio also finds a word typed in pinyin, full or by initials (see :mod:`toolkit.studio.pinyin`).
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from toolkit.batch.formats import default_formats
from toolkit.batch.spec import BuildSpec, SpecModel, parse_spec, read_spec, resolve
from toolkit.documents import DOCUMENTS, DocumentKind, assemble
from toolkit.documents.common import case_view, reason_text
from toolkit.documents.params import Param, picked
from toolkit.errors import ParameterError, ToolkitError, did_you_mean
from toolkit.fileio import write_atomic
from toolkit.i18n import LANGUAGES, catalog
from toolkit.library.catalog import Library
from toolkit.library.languages import chinese
from toolkit.library.load import load_library
from toolkit.library.model import Case
from toolkit.paths import default_library
from toolkit.render import escape, render, render_case
from toolkit.selection import picked_cases
from toolkit.studio.pinyin import Speller

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from toolkit.batch.builder import BuildReport
    from toolkit.batch.worker import JobResult

# Facets a case is filtered and counted by: (Filters field, taxonomy list of its terms).
FACETS: tuple[tuple[str, str], ...] = (
    ("audience", "audiences"),
    ("discipline", "disciplines"),
    ("violation_type", "types"),
    ("risk_post", "risk_posts"),
    ("kind", "case_kinds"),
    ("occasion", "occasions"),
)
# The parameters the studio has controls for, set in every document that has them (the rest of a
# reopened spec's parameters are kept as they were). A document with ``picks`` takes the picked cases,
# as many as its ``cases`` parameter allows (the first ones); the studio previews those documents.
STUDIO_PARAMETERS: tuple[str, ...] = ("minutes", "picks", "theme")
NO_POST = ""  # the coverage column of cases tied to no risk post
PARTIAL_DATE = re.compile(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?")  # a date filter: YYYY, YYYY-MM or YYYY-MM-DD


def picking_documents() -> tuple[str, ...]:
    """The documents that take the studio's picks, in the table's order: what a new session prepares."""
    return tuple(name for name, kind in DOCUMENTS.items() if kind.param("picks"))


def studio_param(name: str) -> Param:
    """The first document's parameter called ``name`` (one of :data:`STUDIO_PARAMETERS`): its default
    and limits are the studio control's."""
    return next(param for kind in DOCUMENTS.values() if (param := kind.param(name)) is not None)


def case_limit(kind: DocumentKind) -> int:
    """How many of the picks a document takes: its ``cases`` parameter's maximum."""
    cases = kind.param("cases")
    return int(cases.maximum) if cases is not None and cases.maximum is not None else MAX_ANY


MAX_ANY = 10_000  # a document with picks and no limit on its cases


def max_picks() -> tuple[str, int]:
    """The document that holds the most picked cases, and how many (more could not all be printed)."""
    return max(((name, case_limit(DOCUMENTS[name])) for name in picking_documents()), key=lambda item: item[1])


def normalize(text: str) -> str:
    """Text as the search compares it: full-width forms folded (NFKC), then case-folded."""
    return unicodedata.normalize("NFKC", text).casefold()


@dataclass(frozen=True)
class Filters:
    """What the trainer is looking for; an empty value means any. Dates are YYYY, YYYY-MM or YYYY-MM-DD."""

    audience: str = ""
    discipline: str = ""
    violation_type: str = ""
    risk_post: str = ""
    kind: str = ""
    occasion: str = ""
    date_from: str = ""
    date_to: str = ""
    keyword: str = ""


@dataclass(frozen=True)
class Row:
    """One case as the studio searches it: its terms by facet, its date, its search text and that
    text's Chinese spelled in pinyin, full and by initials (empty but in a Chinese studio)."""

    id: str
    title: str
    date: str
    terms: dict[str, frozenset[str]]
    text: str
    spelled: str = ""
    initials: str = ""


def search_row(case: Case, library: Library) -> Row:
    """The case as the studio's search sees it, in the language of ``case`` (the benchmark's naive
    search builds these too)."""
    tax = library.taxonomy
    terms = {
        "audience": frozenset(case.audiences),
        "discipline": frozenset(case.discipline_ids),
        "violation_type": frozenset(case.type_ids),
        "risk_post": frozenset(case.risk_posts),
        "kind": frozenset({case.kind}),
        "occasion": frozenset(case.occasions),
    }
    labels = [
        tax.label(kind, term, lang)
        for name, kind in FACETS
        for term in terms[name]
        for lang in tax.languages or LANGUAGES
    ]
    parts = [case.id, case.title, case.summary, case.subject.role, *labels]
    for section in (*case.sections.values(), *case.extra_sections):
        parts += [section.heading, section.text, *section.items]
    return Row(case.id, case.title, case.date, terms, normalize("\n".join(parts)))


def _in_dates(date: str, start: str, end: str) -> bool:
    """Whether a (partial) date lies in [start, end], each bound compared at its own precision."""
    return (not start or date[: len(start)] >= start) and (not end or date[: len(end)] <= end)


def spelled_rows(rows: Sequence[Row]) -> tuple[list[Row], Speller]:
    """The rows with their Chinese spelled in pinyin, and the speller that spells the search's words."""
    speller = Speller.of(row.text for row in rows)
    spelled = [speller.spell(row.text) for row in rows]
    return [
        replace(row, spelled=full, initials=initials) for row, (full, initials) in zip(rows, spelled, strict=True)
    ], speller


def search(rows: Sequence[Row], filters: Filters, speller: Speller | None = None) -> list[str]:
    """The ids of the rows that match every filter, in the rows' order; with a ``speller``, a word
    also matches the rows whose pinyin holds its spelling (see :meth:`Speller.forms`)."""
    words = [(word, *(speller.forms(word) if speller else ("", ""))) for word in normalize(filters.keyword).split()]
    wanted = [(name, value) for name, _ in FACETS if (value := getattr(filters, name))]
    return [
        row.id
        for row in rows
        if all(value in row.terms[name] for name, value in wanted)
        and (not (filters.date_from or filters.date_to) or _in_dates(row.date, filters.date_from, filters.date_to))
        and all(
            word in row.text or (initials and initials in row.initials) or (full and full in row.spelled)
            for word, full, initials in words
        )
    ]


def facet_counts(rows: dict[str, Row], ids: Iterable[str]) -> dict[str, Counter[str]]:
    """For each facet, how many of the cases ``ids`` carry each term."""
    counts: dict[str, Counter[str]] = {name: Counter() for name, _ in FACETS}
    for case_id in ids:
        terms = rows[case_id].terms
        for name, counter in counts.items():
            counter.update(terms[name])
    return counts


@dataclass
class Studio:
    """The state of one session being prepared: filters and results, picks, session settings."""

    library: Library
    lang: str = "en"
    audience: str = ""
    theme: str = ""  # '' for the theme that fits the audience best
    minutes: int = field(default_factory=lambda: int(studio_param("minutes").default))
    documents: list[str] = field(default_factory=lambda: list(picking_documents()))
    formats: list[str] = field(default_factory=lambda: list(default_formats()))
    seed: int = 1
    date: str = ""
    unit: str = ""
    out: str = "handouts"
    picks: list[str] = field(default_factory=list)
    # What a reopened spec set that the studio has no control for, written back unchanged on save:
    # other parameters by document (a title, the quiz's questions...), editions, the session's id.
    kept: dict[str, dict[str, Any]] = field(default_factory=dict)
    editions: dict[str, list[str]] = field(default_factory=dict)
    session_id: str | None = None
    filters: Filters = field(default_factory=Filters)
    results: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        catalog(self.lang)  # an unknown language fails here, naming the valid ones
        texts = self.texts  # and a language the library has no text in, naming its languages
        rows = [search_row(case, texts) for case in texts.cases]
        self._speller: Speller | None = None
        if chinese(self.lang):
            rows, self._speller = spelled_rows(rows)
        self.rows = {row.id: row for row in rows}
        self._ordered = rows
        audiences = [audience.id for audience in self.library.taxonomy.audiences]
        self.audience = self.audience or audiences[0]
        if self.audience not in audiences:
            hint = did_you_mean(self.audience, audiences)
            raise ParameterError(f"unknown audience '{self.audience}'{hint}; valid: {', '.join(audiences)}", "audience")
        self.results = search(self._ordered, self.filters, self._speller)

    @property
    def texts(self) -> Library:
        """The library with its text in the studio's language: what the studio shows and searches."""
        return self.library.in_language(self.lang)

    # Finding cases

    def set_filters(self, **changes: str) -> list[str]:
        """Change some filters (``keyword="gift"``, ``discipline=""``...) and return the new results."""
        known = {f.name for f in fields(Filters)}
        for name in changes:
            if name not in known:
                raise ParameterError(f"unknown filter '{name}'; valid: {', '.join(sorted(known))}", name)
        for name in ("date_from", "date_to"):
            value = changes.get(name, "")
            if value and not PARTIAL_DATE.fullmatch(value):
                raise ParameterError(f"filter '{name}' is '{value}'; valid: YYYY, YYYY-MM or YYYY-MM-DD, or ''", name)
        self.filters = replace(self.filters, **changes)
        self.results = search(self._ordered, self.filters, self._speller)
        return self.results

    def counts(self) -> dict[str, Counter[str]]:
        """Per facet, how many of the current results carry each term."""
        return facet_counts(self.rows, self.results)

    def options(self, facet: str) -> list[tuple[str, str]]:
        """(label, term id) of every term of a facet, in taxonomy order, labels in the studio's language."""
        kind = dict(FACETS)[facet]
        tax = self.library.taxonomy
        return [(tax.label(kind, term, self.lang), term) for term in tax.terms(kind)]

    def years(self) -> tuple[int, int]:
        """The first and last year of the library's cases."""
        found = [int(row.date[:4]) for row in self._ordered if row.date[:4].isdigit()]
        return (min(found), max(found)) if found else (2000, 2000)

    def label(self, case_id: str) -> str:
        """A case as the results list shows it: title, kind and date."""
        case = self.texts.case(case_id)
        kind = self.library.taxonomy.label("case_kinds", case.kind, self.lang)
        return f"{case.title} ({kind}, {case.date})"

    def preview(self, case_id: str) -> str:
        """One case as the casebook prints it, with why it suits the session's audience."""
        tax = self.library.taxonomy
        t = catalog(self.lang)
        (pick,) = picked_cases(self.texts, self.audience, [case_id])
        reasons = tuple(reason_text(reason, tax, t) for reason in pick.reasons[1:])
        number = self.picks.index(case_id) + 1 if case_id in self.picks else 1
        return render_case(case_view(pick.case, tax, t, reasons), self.lang, number)

    # Picking and ordering

    def add(self, case_id: str) -> None:
        """Pick a case (at the end); picking it again changes nothing."""
        if case_id not in self.rows:
            hint = did_you_mean(case_id, list(self.rows))
            raise ParameterError(f"no case '{case_id}' in the library{hint}", "picks")
        if case_id in self.picks:
            return
        holder, limit = max_picks()
        if len(self.picks) >= limit:
            raise ParameterError(f"a {holder} holds at most {limit} cases; remove one first", "picks")
        self.picks.append(case_id)

    def remove(self, case_id: str) -> None:
        if case_id in self.picks:
            self.picks.remove(case_id)

    def move(self, case_id: str, step: int) -> None:
        """Move a picked case ``step`` places (negative: earlier), stopping at either end."""
        index = self.picks.index(case_id)
        target = max(0, min(len(self.picks) - 1, index + step))
        self.picks.insert(target, self.picks.pop(index))

    # The session's documents

    def parameters(self, document: str) -> dict[str, Any]:
        """What the spec sets for one document of the session (beyond audience, lang, seed, date, unit)."""
        kind = DOCUMENTS[document]
        values: dict[str, Any] = {}
        if kind.param("minutes"):
            values["minutes"] = self.minutes
        if kind.param("picks") and self.picks:
            chosen = self.picks[: case_limit(kind)]
            values.update(cases=len(chosen), picks=chosen)
        kept = {name: value for name, value in self.kept.get(document, {}).items() if name not in values}
        return {**kept, **values}

    def _values(self, document: str) -> dict[str, Any]:
        values: dict[str, Any] = {"audience": self.audience, "lang": self.lang, "seed": self.seed}
        values.update(date=self.date, unit=self.unit, **self.parameters(document))
        kind = DOCUMENTS[document]
        if kind.param("theme"):
            values["theme"] = self.theme
        if "trainer" in kind.editions:
            values["edition"] = "trainer"
        return values

    def document_preview(self, document: str) -> str:
        """A document that takes the picks, as it prints (the trainer's edition when it has one)."""
        return render(assemble(document, self._values(document), self.library))

    def coverage(self, case_ids: Iterable[str] | None = None) -> dict[tuple[str, str], int]:
        """Cases per (discipline, risk post) among ``case_ids`` (default: the whole library)."""
        counts: Counter[tuple[str, str]] = Counter()
        for case_id in self.rows if case_ids is None else case_ids:
            terms = self.rows[case_id].terms
            for discipline in terms["discipline"]:
                for post in terms["risk_post"] or {NO_POST}:
                    counts[discipline, post] += 1
        return dict(counts)

    def coverage_html(self, case_ids: Iterable[str] | None = None, caption: str = "") -> str:
        """A heat map of :meth:`coverage` as an HTML table: darker cells hold more cases, empty ones are gaps."""
        tax = self.library.taxonomy
        t = catalog(self.lang)
        counts = self.coverage(case_ids)
        posts = [*tax.terms("risk_posts"), NO_POST]
        top = max(counts.values(), default=0) or 1
        edge = "border:1px solid #ccc;padding:2px 4px;"
        head = "".join(
            f'<th style="{edge}font-weight:normal;font-size:85%">'
            f"{escape(tax.label('risk_posts', p, self.lang) if p else t('studio.coverage.no_post'))}</th>"
            for p in posts
        )
        rows = []
        for discipline in tax.terms("disciplines"):
            cells = []
            for post in posts:
                n = counts.get((discipline, post), 0)
                fill = f"background:rgba(140,28,19,{0.12 + 0.88 * n / top:.2f});" if n else "background:#fff;"
                ink = "color:#fff;" if n / top > 0.5 else ""
                cells.append(f'<td class="lz-heat" style="{edge}{fill}{ink}text-align:center">{n or ""}</td>')
            label = escape(tax.label("disciplines", discipline, self.lang))
            rows.append(f'<tr><th scope="row" style="{edge}text-align:left">{label}</th>{"".join(cells)}</tr>')
        caption_html = (
            f'<caption style="font-weight:bold;text-align:left">{escape(caption)}</caption>' if caption else ""
        )
        corner = escape(t("studio.coverage.corner"))
        return (
            f'<table class="lz-coverage" style="border-collapse:collapse;font-size:12px;margin:0 0 1em;'
            f'table-layout:fixed">{caption_html}<thead><tr><th style="{edge}">{corner}</th>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>"
        )

    # The build spec

    def spec_data(self, spec_path: Path | None = None) -> dict[str, Any]:
        """The session as a build spec (a mapping), paths relative to where the spec is saved."""
        base = (spec_path.resolve().parent if spec_path else Path.cwd()).resolve()
        # An empty list in a spec means the defaults (every document, the usual formats): refuse it here.
        if not self.documents:
            raise ParameterError("choose at least one document to build", "documents")
        if not self.formats:
            raise ParameterError("choose at least one format to build", "formats")
        data: dict[str, Any] = {
            "library": _relative(self.library.root.resolve(), base),
            "out": self.out,
            "formats": list(self.formats),
            "lang": self.lang,
            "seed": self.seed,
        }
        if self.date:
            data["date"] = self.date
        if self.unit:
            data["unit"] = self.unit
        session: dict[str, Any] = {"id": self.session_id} if self.session_id else {}
        session.update(audience=self.audience, documents=list(self.documents))
        editions = {name: list(chosen) for name, chosen in self.editions.items() if name in self.documents}
        if editions:
            session["editions"] = editions
        if self.theme and any(DOCUMENTS[name].param("theme") for name in self.documents):
            session["theme"] = self.theme
        parameters = {name: values for name in self.documents if (values := self.parameters(name))}
        if parameters:
            session["parameters"] = parameters
        data["sessions"] = [session]
        return data

    def to_spec(self, spec_path: Path | None = None) -> str:
        """The build spec as YAML text, checked by the same validator as ``lianzheng build``."""
        data = self.spec_data(spec_path)
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=None, width=100)
        t = catalog(self.lang)
        text = t("studio.spec_header") + "\n" + text
        check_spec(text, self.library, spec_path)
        return text

    def save(self, spec_path: Path) -> Path:
        """Write the spec (through a temporary file and a rename); the path written."""
        spec_path = Path(spec_path)
        write_atomic(spec_path, self.to_spec(spec_path))
        return spec_path

    @classmethod
    def open(cls, spec_path: Path, library: Library | None = None, **settings: Any) -> Studio:
        """A studio restored from a saved spec file; the library the spec names unless given one."""
        spec_path = Path(spec_path)
        text = read_spec(spec_path)
        if library is None:
            model, _ = parse_spec(text, str(spec_path))
            base = spec_path.resolve().parent
            library = load_library((base / model.library) if model.library else default_library())
        return cls.from_spec(text, library, spec_path, **settings)

    @classmethod
    def from_spec(cls, text: str, library: Library, spec_path: Path | None = None, **settings: Any) -> Studio:
        """A studio restored from spec text (its first session), checked as ``lianzheng build`` checks it."""
        shown = str(spec_path) if spec_path else "<studio>"
        model, resolved = _checked(text, library, spec_path)
        if not resolved.sessions:
            raise ParameterError(f"{shown}: the spec has no session to open", "sessions")
        if len(resolved.sessions) > 1:
            raise ParameterError(
                f"{shown}: the spec has {len(resolved.sessions)} sessions; the studio edits a spec of one session "
                "(build this one with 'lianzheng build')",
                "sessions",
            )
        first = resolved.sessions[0]
        values = next(iter(first.parameters.values()))

        def set_by(name: str) -> dict[str, Any]:
            """The checked parameters of the session's first document (in table order) that has ``name``."""
            found = (first.parameters[doc] for doc in DOCUMENTS if doc in first.parameters)
            return next((given for given in found if name in given), {})

        raw = model.sessions[0] if model.sessions else None
        kept: dict[str, dict[str, Any]] = {}
        for layer in (model.parameters, raw.parameters if raw else {}):
            for name, given in layer.items():
                kept.setdefault(name, {}).update(given)
        for name, given in kept.items():
            kind = DOCUMENTS.get(name)
            for managed in STUDIO_PARAMETERS:
                if kind is not None and kind.param(managed):
                    given.pop(managed, None)
        return cls(
            library,
            lang=values["lang"],
            audience=first.audience,
            theme=set_by("theme").get("theme", ""),
            minutes=set_by("minutes").get("minutes", studio_param("minutes").default),
            documents=list(first.documents),
            formats=list(resolved.formats),
            seed=values["seed"],
            # the spec's own date: the checked parameters hold today's for a blank one
            date=str((model.sessions[0].date if model.sessions else None) or model.date or ""),
            unit=values["unit"],
            out=model.out or "handouts",
            picks=next(
                (chosen for doc in picking_documents() if (chosen := picked(first.parameters.get(doc, {})))), []
            ),
            kept={name: given for name, given in kept.items() if given},
            editions={**model.editions, **(raw.editions if raw else {})},
            session_id=raw.id if raw else None,
            **settings,
        )

    def build(
        self,
        spec_path: Path,
        *,
        jobs: int | None = None,
        on_plan: Callable[[int, int], None] | None = None,
        on_job: Callable[[JobResult], None] | None = None,
    ) -> BuildReport:
        """Save the spec and build it as ``lianzheng build SPEC`` would; the build report.

        The build runs in a child process started afresh (not a fork of the Jupyter kernel, whose
        threads and sockets a fork would copy), given this studio's library; ``on_plan`` and
        ``on_job`` are called here as its messages arrive. Interrupting this call interrupts the
        build as Ctrl-C does: the jobs in hand finish and are recorded.
        """
        import multiprocessing
        import signal

        self.save(spec_path)
        receiver, sender = multiprocessing.Pipe(duplex=False)
        child = multiprocessing.get_context("spawn").Process(
            target=build_in_child, args=(Path(spec_path), self.library, jobs, sender), name="lianzheng-build"
        )
        child.start()
        sender.close()
        try:
            while True:
                try:
                    kind, value = receiver.recv()
                except EOFError:
                    child.join()
                    raise RuntimeError(f"the build process ended unexpectedly (exit code {child.exitcode})") from None
                except KeyboardInterrupt:
                    if child.pid is not None and child.is_alive():
                        os.kill(child.pid, signal.SIGINT)
                    continue
                if kind == "plan" and on_plan is not None:
                    on_plan(*value)
                elif kind == "job" and on_job is not None:
                    on_job(value)
                elif kind == "done":
                    return value
                elif kind == "interrupted":
                    raise KeyboardInterrupt
                elif kind == "error":
                    raise ToolkitError(value)
                elif kind == "oserror":
                    raise OSError(value)
                elif kind == "bug":
                    raise RuntimeError(f"the build failed:\n{value}")
        finally:
            receiver.close()
            child.join()


def build_in_child(spec_path: Path, library: Library, jobs: int | None, sender: Connection) -> None:
    """What :meth:`Studio.build`'s child process runs: the build of a saved spec, each step sent as a
    ``(kind, value)`` message: ``plan``, ``job`` (a result), then ``done`` (the report) or why not."""
    from toolkit.batch import build, load_spec

    def send(kind: str, value: Any) -> None:
        sender.send((kind, value))

    if hasattr(os, "setpgrp"):
        os.setpgrp()  # Ctrl-C (the kernel's interrupt) reaches it once, forwarded by Studio.build
    try:
        spec, library = load_spec(spec_path, lambda _path: library)
        out = spec.out or spec_path.resolve().parent / "handouts"
        report = build(
            spec,
            library,
            out,
            jobs=jobs,
            on_plan=lambda todo, cached: send("plan", (todo, cached)),
            on_job=lambda result: send("job", result),
        )
        send("done", report)
    except KeyboardInterrupt:  # Interrupted too: the finished jobs are recorded
        send("interrupted", None)
    except ToolkitError as exc:
        send("error", str(exc))
    except OSError as exc:
        send("oserror", str(exc))
    except Exception:
        import traceback

        send("bug", traceback.format_exc())
    finally:
        sender.close()


def check_spec(text: str, library: Library, spec_path: Path | None = None) -> BuildSpec:
    """Validate spec text exactly as ``lianzheng build`` does; a :class:`SpecError` otherwise."""
    return _checked(text, library, spec_path)[1]


def _checked(text: str, library: Library, spec_path: Path | None) -> tuple[SpecModel, BuildSpec]:
    """The spec text as parsed, and as ``lianzheng build`` resolves it."""
    shown = str(spec_path) if spec_path else "<studio>"
    model, where = parse_spec(text, shown)
    base = Path(spec_path).resolve().parent if spec_path else Path.cwd()
    return model, resolve(model, library, where=where, base=base)


def _relative(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` when they are close (the spec moves with its library), else absolute."""
    rel = os.path.relpath(path, base)
    return rel if rel.split(os.sep)[:3].count("..") < 3 else str(path)
