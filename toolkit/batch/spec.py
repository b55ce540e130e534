"""Build specs: which handouts to make, for whom, in which formats. Validated like the library.

A spec is YAML (see ``docs/build-spec.md``)::

    library: ../casebook          # relative to this file; default: the default library
    out: handouts                 # relative to this file
    formats: [html, pdf, docx, slides]      # default: see toolkit/batch/formats.py
    documents: [casebook, outline]          # default: every kind in the documents table
    lang: en
    seed: 7
    unit: County Commission for Discipline Inspection
    parameters: {casebook: {cases: 6}}
    sessions:
      - audience: newly-promoted
        theme: first-lesson
        date: 2027-01-20
        documents: [casebook, outline]

Every problem is reported at once as ``path:line: message``; with no ``sessions`` there is one
session per audience (or per audience in ``audiences``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from toolkit.batch.formats import FORMATS, default_formats, format_names, missing_template
from toolkit.documents import DOCUMENTS, check_parameters, handouts
from toolkit.documents.params import INTERACTIVE
from toolkit.errors import LanguageError, ParameterError, ParseError, Problem, SpecError, did_you_mean
from toolkit.library.catalog import Library
from toolkit.library.check import Where, print_size_problems, validation_problems
from toolkit.library.model import PRINT_SIZES, Slug
from toolkit.library.parse import decode, parse_yaml

# Parameters a spec may set for every document at once.
SHARED = ("lang", "seed", "date", "unit")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SessionModel(_Model):
    id: Slug | None = None
    audience: str
    theme: str | None = None
    documents: list[str] | None = None
    editions: dict[str, list[str]] = {}
    lang: str | None = None
    seed: int | None = None
    date: str | None = None
    unit: str | None = None
    print_sizes: list[str] | None = None
    parameters: dict[str, dict[str, Any]] = {}


class SpecModel(_Model):
    library: str | None = None
    out: str | None = None
    formats: list[str] | None = None
    documents: list[str] | None = None
    editions: dict[str, list[str]] = {}
    audiences: list[str] | None = None
    lang: str | list[str] | None = None  # several: every session is built in each, OUT/<lang>/<session>
    seed: int | None = None
    date: str | None = None
    unit: str | None = None
    print_sizes: list[str] | None = None
    parameters: dict[str, dict[str, Any]] = {}
    sessions: list[SessionModel] = Field(default=[])


@dataclass(frozen=True)
class Session:
    """One training session: an audience, its documents and each document's parameters.

    ``print_sizes``: by document, the print sizes built, ``standard`` first when it is one of them.
    A document whose parameters name a ``print_size`` is built in that size alone, as one job."""

    id: str
    audience: str
    documents: tuple[str, ...]
    editions: dict[str, tuple[str, ...]]
    parameters: dict[str, dict[str, Any]]
    print_sizes: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class BuildSpec:
    """A resolved spec: absolute paths, formats, sessions with checked parameters."""

    library: Path | None
    out: Path | None
    formats: tuple[str, ...]
    sessions: tuple[Session, ...]
    source: str = "<defaults>"
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Overrides:
    """What the command line sets over a spec (``None`` leaves the spec's value)."""

    audiences: Sequence[str] | None = None
    documents: Sequence[str] | None = None
    formats: Sequence[str] | None = None
    print_sizes: Sequence[str] | None = None
    seed: int | None = None
    lang: str | Sequence[str] | None = None
    date: str | None = None


def _unknown(value: str, valid: Sequence[str], noun: str) -> str:
    if noun == "document" and value in DOCUMENTS:  # a kind made on its own, such as the trainer report
        return f"document '{value}' is not made for each session; valid: {', '.join(valid)}"
    return f"unknown {noun} '{value}'{did_you_mean(value, list(valid))}; valid: {', '.join(valid)}"


def _check_list(
    where: Where, loc: tuple[str | int, ...], values: Sequence[str], valid: Sequence[str], noun: str
) -> list[Problem]:
    problems = []
    for index, value in enumerate(values):
        if value not in valid:
            problems.append(
                where.at(
                    (*loc, index),
                    _unknown(value, valid, noun),
                )
            )
    return problems


def _print_sizes(model: SessionModel, spec: SpecModel, library: Library) -> tuple[str, ...]:
    """The print sizes a session is built in: its own, else the spec's, else its audience's in the
    taxonomy, else ``standard``; ``standard`` first, each once."""
    audience = next(term for term in library.taxonomy.audiences if term.id == model.audience)
    chosen = model.print_sizes or spec.print_sizes or audience.print_sizes or [PRINT_SIZES[0]]
    return tuple(sorted({size for size in chosen if size in PRINT_SIZES}, key=PRINT_SIZES.index))


def _session_problems(
    model: SessionModel, spec: SpecModel, library: Library, where: Where, index: int
) -> tuple[Session | None, list[Problem]]:
    loc: tuple[str | int, ...] = ("sessions", index) if index >= 0 else ()
    at = Where(where.path, where.doc, loc) if index >= 0 else where
    audiences = [audience.id for audience in library.taxonomy.audiences]
    problems: list[Problem] = print_size_problems(at, "print_sizes", model.print_sizes or [])
    if model.audience not in audiences:
        problems.append(
            at.at(
                ("audience",),
                _unknown(model.audience, audiences, "audience"),
            )
        )
        return None, problems
    if problems:  # a bad print size: the sizes below would not be sizes
        return None, problems
    documents = model.documents or spec.documents or list(handouts())
    problems += _check_list(at, ("documents",), documents, list(handouts()), "document")
    editions: dict[str, tuple[str, ...]] = {}
    for name in documents:
        if name not in DOCUMENTS:
            continue
        kind = DOCUMENTS[name]
        chosen = model.editions.get(name) or spec.editions.get(name) or list(kind.printable_editions)
        for position, edition in enumerate(chosen):
            if edition == INTERACTIVE and kind.interactive:  # learners answer it in Voila: nothing to build
                problems.append(
                    at.at(
                        ("editions", name, position),
                        f"the {INTERACTIVE} edition of {name} is served to learners (lianzheng serve), not built; "
                        f"valid: {', '.join(kind.printable_editions)}",
                    )
                )
        problems += _check_list(at, ("editions", name), chosen, kind.editions, f"edition of {name}")
        editions[name] = tuple(dict.fromkeys(chosen))
    parameters: dict[str, dict[str, Any]] = {}
    for name in documents:
        if name not in DOCUMENTS:
            continue
        values: dict[str, Any] = {"audience": model.audience}
        for shared in SHARED:
            value = getattr(model, shared) if getattr(model, shared) is not None else getattr(spec, shared)
            if value is not None:
                values[shared] = str(value) if shared == "date" else value
        values.update(spec.parameters.get(name, {}))
        values.update(model.parameters.get(name, {}))
        if model.theme is not None and DOCUMENTS[name].param("theme") is not None:  # a session's theme
            values["theme"] = model.theme
        values.pop("edition", None)
        try:
            parameters[name] = check_parameters(name, values, library)
        except ParameterError as exc:
            field_loc: tuple[str | int, ...] = (
                ("parameters", name, exc.name) if exc.name in model.parameters.get(name, {}) else ()
            )
            if exc.name in SHARED and getattr(model, exc.name) is not None:
                field_loc = (exc.name,)
            elif exc.name == "theme" and model.theme is not None:
                field_loc = ("theme",)
            problems.append(at.at(field_loc, str(exc)))
    for name in model.parameters:
        if name not in DOCUMENTS:
            problems += _check_list(at, ("parameters",), [name], list(DOCUMENTS), "document")
    sizes = _print_sizes(model, spec, library)
    print_sizes: dict[str, tuple[str, ...]] = {}
    for name, values in parameters.items():
        named = "print_size" in {**spec.parameters.get(name, {}), **model.parameters.get(name, {})}
        print_sizes[name] = (values["print_size"],) if named else sizes
    session = Session(
        id=model.id or model.audience,
        audience=model.audience,
        documents=tuple(name for name in documents if name in DOCUMENTS),
        editions=editions,
        parameters=parameters,
        print_sizes=print_sizes,
    )
    return (session if not problems else None), problems


def _languages(model: SpecModel, where: Where, problems: list[Problem]) -> list[str]:
    """The languages a spec builds in, each once: its ``lang`` as one language or a list."""
    if model.lang is None:
        return []
    langs = [model.lang] if isinstance(model.lang, str) else list(model.lang)
    if not langs:
        problems.append(where.at(("lang",), "'lang' names no language: give one, or a list such as [zh-CN, en]"))
    return list(dict.fromkeys(langs))


def resolve(
    model: SpecModel,
    library: Library,
    *,
    where: Where | None = None,
    base: Path | None = None,
    overrides: Overrides | None = None,
) -> BuildSpec:
    """Check a spec against the library and resolve its sessions; :class:`SpecError` lists every problem."""
    where = where or Where("<spec>")
    overrides = overrides or Overrides()
    audiences = [audience.id for audience in library.taxonomy.audiences]
    problems: list[Problem] = []
    for flag, values, valid, noun in (
        ("--audience", overrides.audiences, [*audiences, "all"], "audience"),
        ("--documents", overrides.documents, list(handouts()), "document"),
        ("--formats", overrides.formats, list(format_names()), "format"),
        ("--print-sizes", overrides.print_sizes, list(PRINT_SIZES), "print size"),
    ):
        if values is not None:
            problems += _check_list(Where(flag), (), values, valid, noun)
    if problems:
        raise SpecError(problems)
    update: dict[str, Any] = {}
    for name in ("documents", "formats", "print_sizes", "seed", "lang", "date"):
        value = getattr(overrides, name)
        if value is not None:
            update[name] = list(value) if isinstance(value, (list, tuple)) else value
    if isinstance(update.get("lang"), list) and len(update["lang"]) == 1:
        update["lang"] = update["lang"][0]
    if update:
        model = model.model_copy(update=update)
        if model.sessions:
            session_update = {
                k: v for k, v in update.items() if k in ("documents", "print_sizes", "seed", "lang", "date")
            }
            if isinstance(session_update.get("lang"), list):  # several: each session is made in each, below
                del session_update["lang"]
            model = model.model_copy(
                update={"sessions": [session.model_copy(update=session_update) for session in model.sessions]}
            )
    formats = model.formats or list(default_formats())
    problems += _check_list(where, ("formats",), formats, format_names(), "format")
    problems += print_size_problems(where, "print_sizes", model.print_sizes or [])
    for name in (*model.parameters, *model.editions):
        if name not in DOCUMENTS:
            problems.append(
                where.at(
                    ("parameters", name),
                    _unknown(name, list(DOCUMENTS), "document"),
                )
            )
    sessions_models = list(model.sessions)
    wanted = list(overrides.audiences) if overrides.audiences is not None else None
    if wanted is not None and "all" in wanted:
        wanted = None
    if not sessions_models:
        chosen = model.audiences or audiences
        if model.audiences:
            problems += _check_list(where, ("audiences",), model.audiences, audiences, "audience")
        if wanted is not None:
            chosen = wanted
        sessions_models = [SessionModel(audience=audience) for audience in chosen]
        indices = [-1] * len(sessions_models)
    else:
        indices = list(range(len(sessions_models)))
        if wanted is not None:
            keep = [i for i, s in enumerate(sessions_models) if s.audience in wanted]
            sessions_models = [sessions_models[i] for i in keep]
            indices = keep
    langs = _languages(model, where, problems)
    missing = [lang for lang in langs if lang not in library.languages]
    if missing:  # one line, not one per document of every session
        at = Where("--lang") if overrides.lang is not None else where
        message = str(LanguageError(str(library.root), missing[0], library.languages))
        raise SpecError([at.at(("lang",) if overrides.lang is None else (), message)])
    if len(langs) > 1:  # each session once per language, in a folder of the language
        sessions_models = [
            session.model_copy(update={"lang": lang, "id": f"{lang}/{session.id or session.audience}"})
            for lang in langs
            for session in sessions_models
        ]
        indices = [index for _ in langs for index in indices]
    elif langs:
        model = model.model_copy(update={"lang": langs[0]})
    sessions: list[Session] = []
    seen: dict[str, int] = {}
    for index, session_model in zip(indices, sessions_models, strict=True):
        session_id = session_model.id or session_model.audience
        if session_id in seen:
            problems.append(
                Where(where.path, where.doc, ("sessions", index)).at(
                    ("id",), f"two sessions are called '{session_id}': give each an 'id' of its own"
                )
            )
        seen[session_id] = index
        session, found = _session_problems(session_model, model, library, where, index)
        problems += found
        if session is not None:
            sessions.append(session)
    if model.formats:  # named, by the spec or --formats: a kind that cannot be written in one is refused
        named = Where("--formats") if overrides.formats is not None else where.within("formats")
        for fmt in dict.fromkeys(formats):
            if fmt not in FORMATS:
                continue
            for name in dict.fromkeys(doc for session in sessions for doc in session.documents):
                refusal = missing_template(FORMATS[fmt], DOCUMENTS[name])
                if refusal:
                    problems.append(named.at((), refusal))
    if problems:
        raise SpecError(sorted(set(problems), key=lambda p: (p.line or 0, p.message)))
    base = base or Path.cwd()
    return BuildSpec(
        library=(base / model.library).resolve() if model.library else None,
        out=(base / model.out).resolve() if model.out else None,
        formats=tuple(dict.fromkeys(formats)),
        sessions=tuple(sessions),
        source=where.path,
    )


def parse_spec(text: str, path: str = "<spec>") -> tuple[SpecModel, Where]:
    """Parse a spec's YAML and structure; :class:`SpecError` with file and line otherwise."""
    try:
        doc = parse_yaml(text)
    except ParseError as exc:
        raise SpecError([Problem(path, exc.line, exc.message)]) from None
    where = Where(path, doc)
    data = doc.data
    if data is None:
        message = (
            "spec file is empty; name what to build (such as 'audiences: [...]' or 'sessions: [...]'), "
            "or leave out --spec to build every handout for every audience"
        )
        raise SpecError([Problem(path, 1, message)])
    if not isinstance(data, Mapping):
        raise SpecError([Problem(path, 1, "a build spec is a mapping of keys such as 'sessions' and 'formats'")])
    try:
        model = SpecModel.model_validate(dict(data))
    except ValidationError as exc:
        raise SpecError(validation_problems(exc, where, SpecModel)) from None
    for index, session in enumerate(model.sessions):
        if session.date is not None:
            try:
                dt.date.fromisoformat(session.date)
            except ValueError:
                raise SpecError(
                    [where.at(("sessions", index, "date"), f"'{session.date}' is not a date: write YYYY-MM-DD")]
                ) from None
    return model, where


def read_spec(path: Path) -> str:
    """A spec file's text (BOM and CRLF handled as for the library); a :class:`SpecError` when it is
    missing or not UTF-8."""
    shown = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SpecError([Problem(shown, None, "no such build spec file")]) from None
    try:
        return decode(raw)
    except ParseError as exc:
        raise SpecError([Problem(shown, exc.line, exc.message)]) from None


def load_spec(
    path: Path, library_for: Callable[[Path | None], Library], overrides: Overrides | None = None
) -> tuple[BuildSpec, Library]:
    """Read and resolve a spec file. ``library_for(path_or_None)`` loads the library the spec names."""
    shown = str(path)
    model, where = parse_spec(read_spec(path), shown)
    base = path.resolve().parent
    library = library_for((base / model.library).resolve() if model.library else None)
    return resolve(model, library, where=where, base=base, overrides=overrides), library


def default_spec(library: Library, overrides: Overrides | None = None) -> BuildSpec:
    """The spec used without a file: every audience, every document, the default formats."""
    return resolve(SpecModel(), library, overrides=overrides)
