"""Build specs: parsing, validation with file and line, defaults, command-line overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit import Library, load_library
from toolkit.batch.formats import default_formats
from toolkit.batch.jobs import expand
from toolkit.batch.spec import Overrides, default_spec, load_spec, parse_spec, resolve
from toolkit.documents import DOCUMENTS, handouts
from toolkit.errors import SpecError

GOOD = """\
library: lib
out: out
formats: [html, pdf]
seed: 7
unit: "County Commission for Discipline Inspection"
parameters:
  casebook: {cases: 3}
sessions:
  - audience: newly-promoted
    theme: cautious-independence
    date: 2027-01-20
    documents: [casebook, outline]
  - id: retired-spring
    audience: retired
    lang: zh-CN
    documents: [quiz]
    editions: {quiz: [key]}
    parameters:
      quiz: {questions: 5}
"""


def spec_problems(text: str, library: Library) -> list[str]:
    with pytest.raises(SpecError) as caught:
        model, where = parse_spec(text, "spec.yaml")
        resolve(model, library, where=where)
    return [str(problem) for problem in caught.value.problems]


def test_a_good_spec_resolves_sessions_parameters_and_paths(bundled: Library, tmp_path: Path) -> None:
    (tmp_path / "spec.yaml").write_text(GOOD, encoding="utf-8")
    spec, library = load_spec(tmp_path / "spec.yaml", lambda path: bundled)
    assert spec.library == (tmp_path / "lib").resolve()
    assert spec.out == (tmp_path / "out").resolve()
    assert spec.formats == ("html", "pdf")
    first, second = spec.sessions
    assert (first.id, first.documents) == ("newly-promoted", ("casebook", "outline"))
    assert first.parameters["casebook"]["cases"] == 3
    assert first.parameters["casebook"]["seed"] == 7
    assert first.parameters["outline"]["theme"] == "cautious-independence"
    assert first.parameters["outline"]["date"] == "2027-01-20"
    assert first.parameters["casebook"]["unit"] == "County Commission for Discipline Inspection"
    assert first.editions["casebook"] == DOCUMENTS["casebook"].editions
    assert (second.id, second.editions["quiz"]) == ("retired-spring", ("key",))
    assert second.parameters["quiz"]["lang"] == "zh-CN"
    assert second.parameters["quiz"]["questions"] == 5
    jobs = expand(spec, library)
    assert [job.id for job in jobs] == [
        "newly-promoted/casebook",
        "newly-promoted/casebook-trainer",
        "newly-promoted/outline",
        "retired-spring/quiz-key",
        "retired-spring/quiz-key-large",  # retired cadres get a large-print PDF too (the taxonomy says so)
    ]
    assert jobs[-2].outputs() == {
        "html": "retired-spring/quiz-key.html",
        "pdf": "retired-spring/quiz-key.pdf",
        "ipynb": "retired-spring/quiz-key.ipynb",
    }


def test_no_spec_means_every_audience_every_document(bundled: Library) -> None:
    spec = default_spec(bundled)
    assert [s.audience for s in spec.sessions] == [a.id for a in bundled.taxonomy.audiences]
    assert all(s.documents == handouts() for s in spec.sessions)
    assert spec.formats == default_formats() == ("html", "pdf", "docx", "slides")


def test_overrides_narrow_audiences_documents_and_set_seed(bundled: Library) -> None:
    spec = default_spec(bundled, Overrides(audiences=["retired", "families"], documents=["quiz"], seed=9))
    assert [s.audience for s in spec.sessions] == ["retired", "families"]
    assert all(s.documents == ("quiz",) for s in spec.sessions)
    assert spec.sessions[0].parameters["quiz"]["seed"] == 9
    assert len(default_spec(bundled, Overrides(audiences=["all"])).sessions) == len(bundled.taxonomy.audiences)


def test_overrides_apply_to_a_specs_sessions(bundled: Library) -> None:
    model, where = parse_spec(GOOD, "spec.yaml")
    spec = resolve(model, bundled, where=where, overrides=Overrides(audiences=["retired"], seed=3))
    assert [s.id for s in spec.sessions] == ["retired-spring"]
    assert spec.sessions[0].parameters["quiz"]["seed"] == 3


def test_bad_overrides_name_the_flag_and_the_valid_values(bundled: Library) -> None:
    with pytest.raises(SpecError) as caught:
        default_spec(bundled, Overrides(audiences=["retird"], documents=["casebok"], formats=["pfd"]))
    lines = [str(p) for p in caught.value.problems]
    assert lines[0].startswith("--audience: unknown audience 'retird' (did you mean 'retired'?)")
    assert lines[1].startswith("--documents: unknown document 'casebok' (did you mean 'casebook'?)")
    assert lines[2].startswith("--formats: unknown format 'pfd' (did you mean 'pdf'?); valid: html, pdf, docx")


def test_every_problem_is_reported_with_its_line(bundled: Library) -> None:
    text = """\
formats: [html, pfd]
sessions:
  - audience: retird
  - audience: retired
    documents: [quiz, casebok]
  - audience: families
    parameters:
      casebook: {cases: 0}
  - audience: families
"""
    problems = spec_problems(text, bundled)
    assert any(p.startswith("spec.yaml:1: unknown format 'pfd'") for p in problems)
    assert any(p.startswith("spec.yaml:3: unknown audience 'retird' (did you mean 'retired'?)") for p in problems)
    assert any(p.startswith("spec.yaml:5: unknown document 'casebok'") for p in problems)
    assert any(
        p.startswith("spec.yaml:8: casebook parameters: parameter 'cases' is 0; valid: 1 to 60") for p in problems
    )
    assert any(p.startswith("spec.yaml:9: two sessions are called 'families'") for p in problems)


def test_structure_errors_name_the_field_and_line(bundled: Library) -> None:
    problems = spec_problems("sessions:\n  - audience: retired\n    documnets: [quiz]\n", bundled)
    assert problems == ["spec.yaml:3: unknown field 'documnets' (did you mean 'documents'?)"]
    problems = spec_problems("sessions:\n  - audience: retired\n    parameters:\n      quiz: {questons: 5}\n", bundled)
    assert len(problems) == 1
    assert problems[0].startswith(
        "spec.yaml:4: quiz parameters: unknown parameter 'questons' (did you mean 'questions'?)"
    )


def test_yaml_errors_and_bad_dates_have_lines(bundled: Library) -> None:
    assert spec_problems("formats: [html\nseed: 2\n", bundled)[0].startswith("spec.yaml:2: YAML syntax error")
    problems = spec_problems("sessions:\n  - audience: retired\n    date: 2027-02-30\n", bundled)
    assert problems == ["spec.yaml:3: '2027-02-30' is not a date: write YYYY-MM-DD"]
    assert spec_problems("- just a list\n", bundled) == [
        "spec.yaml:1: a build spec is a mapping of keys such as 'sessions' and 'formats'"
    ]


def test_theme_must_exist(bundled: Library) -> None:
    problems = spec_problems("sessions:\n  - audience: retired\n    theme: no-such-theme\n", bundled)
    assert len(problems) == 1
    assert problems[0].startswith("spec.yaml:3: outline parameters: parameter 'theme' is 'no-such-theme'")


def test_a_missing_spec_file_is_one_clear_problem(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as caught:
        load_spec(tmp_path / "nope.yaml", load_library)
    assert str(caught.value) == f"{tmp_path / 'nope.yaml'}: no such build spec file"


def test_a_spec_cannot_ask_for_the_interactive_edition(bundled: Library) -> None:
    """The build makes printable handouts; the interactive edition is served, and its parameters are not
    the document's."""
    problems = spec_problems("parameters:\n  worksheet: {interactive: true}\n", bundled)
    assert len(problems) == 1 and "worksheet parameters: unknown parameter 'interactive'" in problems[0]
    problems = spec_problems("parameters:\n  quiz: {store: answers.sqlite}\n", bundled)
    assert len(problems) == 1 and "quiz parameters: unknown parameter 'store'" in problems[0]
    problems = spec_problems("editions:\n  quiz: [key, interactive]\n", bundled)
    assert problems == [
        "spec.yaml:2: the interactive edition of quiz is served to learners (lianzheng serve), not built; "
        "valid: learner, key"
    ]
    assert "\n" not in problems[0]


def test_the_default_editions_are_the_printable_ones(bundled: Library) -> None:
    spec = resolve(parse_spec("audiences: [retired]\n", "spec.yaml")[0], bundled)
    editions = spec.sessions[0].editions
    assert editions["worksheet"] == ("print",) and editions["quiz"] == ("learner", "key")
    assert all("interactive" not in chosen for chosen in editions.values())
    assert all(editions[name] == DOCUMENTS[name].printable_editions for name in handouts())


def test_retired_cadres_get_large_print_pdfs_beside_the_standard_ones(bundled: Library) -> None:
    spec = default_spec(bundled, Overrides(audiences=["retired", "families"]))
    retired, families = spec.sessions
    assert set(retired.print_sizes.values()) == {("standard", "large")}  # from the audience in the taxonomy
    assert set(families.print_sizes.values()) == {("standard",)}
    jobs = {job.id: job for job in expand(spec, bundled)}
    assert [job_id for job_id in jobs if job_id.endswith("-large")] == [
        f"retired/{stem}-large" for stem in ("casebook", "casebook-trainer", "outline", "worksheet", "quiz", "quiz-key")
    ]
    large, standard = jobs["retired/casebook-large"], jobs["retired/casebook"]
    assert large.parameters == {**standard.parameters, "print_size": "large"}
    assert standard.parameters["print_size"] == "standard"
    # Print size changes only the PDF's pages: the large job writes the PDF (and its notebook), no more.
    assert large.outputs() == {"pdf": "retired/casebook-large.pdf", "ipynb": "retired/casebook-large.ipynb"}
    assert set(standard.outputs()) == {"html", "pdf", "docx", "ipynb"}
    # Without a format that print size changes there is no large-print job.
    spec = default_spec(bundled, Overrides(audiences=["retired"], formats=["html", "docx"]))
    assert not [job for job in expand(spec, bundled) if job.stem.endswith("-large")]


def test_a_spec_or_session_names_its_print_sizes(bundled: Library) -> None:
    text = """\
formats: [html, pdf]
documents: [quiz]
editions: {quiz: [learner]}
print_sizes: [large, standard]
sessions:
  - audience: families
  - audience: retired
    print_sizes: [standard]
  - id: retired-large
    audience: retired
    print_sizes: [large]
  - id: retired-one
    audience: retired
    parameters: {quiz: {print_size: large}}
"""
    model, where = parse_spec(text, "spec.yaml")
    jobs = expand(resolve(model, bundled, where=where), bundled)
    assert [(job.id, job.formats) for job in jobs] == [
        ("families/quiz", ("html", "pdf")),
        ("families/quiz-large", ("pdf",)),
        ("retired/quiz", ("html", "pdf")),
        # One size alone is the document's only job, in every format.
        ("retired-large/quiz-large", ("html", "pdf")),
        ("retired-one/quiz-large", ("html", "pdf")),
    ]
    assert [job.parameters["print_size"] for job in jobs] == ["standard", "large", "standard", "large", "large"]


def test_a_bad_print_size_is_one_line(bundled: Library) -> None:
    assert spec_problems("print_sizes: [standard, huge]\n", bundled) == [
        "spec.yaml:1: unknown print size 'huge'; valid: standard, large"
    ]
    problems = spec_problems("sessions:\n  - audience: retired\n    print_sizes: [larg]\n", bundled)
    assert problems == ["spec.yaml:3: unknown print size 'larg' (did you mean 'large'?)"]
