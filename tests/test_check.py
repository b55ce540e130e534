"""The checker: every kind of problem is found, with the file and the line it is on."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CASE, QUESTIONS, THEME, MakeLibrary

from toolkit import LibraryError, Problem, load_library, read_library
from toolkit.paths import bundled_library


def problems_of(root: Path) -> list[Problem]:
    _library, problems = read_library(root)
    return problems


def only(root: Path) -> Problem:
    problems = problems_of(root)
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing ``needle``."""
    for number, line in enumerate(text.split("\n"), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


def test_the_small_library_is_valid(make_library: MakeLibrary) -> None:
    library, problems = read_library(make_library())
    assert problems == []
    assert library is not None
    assert [c.id for c in library.cases] == ["sample-case"]
    assert len(library.questions) == 2 and len(library.messages) == 2


def test_yaml_syntax_error_names_its_line(make_library: MakeLibrary) -> None:
    text = CASE.format(id="sample-case").replace('title: "A sample case"', 'title: "A sample case" and more')
    root = make_library({"cases/sample-case.md": text})
    problem = only(root)
    assert problem.path == f"{root}/cases/sample-case.md"
    assert problem.message.startswith("YAML syntax error")
    assert problem.line == line_of(text, "and more")


def test_yaml_syntax_error_in_a_list_file_names_its_line(make_library: MakeLibrary) -> None:
    text = QUESTIONS.format(case="sample-case").replace("  answer: B", "  answer: B\n bad indent: x")
    root = make_library({"questions/integrity.yaml": text})
    problem = only(root)
    assert str(problem).startswith(f"{root}/questions/integrity.yaml:{line_of(text, 'bad indent')}: YAML syntax error")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "audiences: [newly-promoted, key-posts]",
            "audiences: [newly-promotd, key-posts]",
            "unknown audience 'newly-promotd' (did you mean 'newly-promoted'?)",
        ),
        (
            "risk_posts: [procurement]",
            "risk_posts: [procurment]",
            "unknown risk post 'procurment' (did you mean 'procurement'?)",
        ),
        (
            "occasions: [mid-autumn]",
            "occasions: [midautumn]",
            "unknown occasion 'midautumn' (did you mean 'mid-autumn'?)",
        ),
        ("kind: warning", "kind: warnng", "unknown case kind 'warnng' (did you mean 'warning'?)"),
        (
            "rank_level: township-section",
            "rank_level: township",
            "unknown rank level 'township' (did you mean 'township-section'?)",
        ),
        (
            "party: serious-warning",
            "party: severe-warning",
            "unknown party sanction 'severe-warning' (did you mean 'serious-warning'?)",
        ),
        ("kind: gift,", "kind: gifts,", "unknown amount kind 'gifts' (did you mean 'gift'?)"),
        (
            "types: [gifts-cash-cards]",
            "types: [gift-cash-cards]",
            "unknown violation type 'gift-cash-cards' (did you mean 'gifts-cash-cards'?)",
        ),
        (
            "types: [gifts-cash-cards]",
            "types: [formalism]",
            "violation type 'formalism' belongs to discipline 'work', not 'integrity'",
        ),
        ("four_forms: 2", "four_forms: 5", "unknown form of supervision '5'"),
    ],
)
def test_unknown_taxonomy_term_says_what_is_valid(make_library: MakeLibrary, old: str, new: str, expected: str) -> None:
    text = CASE.format(id="sample-case").replace(old, new, 1)
    assert text != CASE.format(id="sample-case")
    root = make_library({"cases/sample-case.md": text})
    problem = only(root)
    assert problem.message.startswith(expected)
    assert problem.line == line_of(text, new)


def test_unknown_term_without_a_close_match_lists_the_valid_terms(make_library: MakeLibrary) -> None:
    text = CASE.format(id="sample-case").replace("occasions: [mid-autumn]", "occasions: [xyzzy]")
    problem = only(make_library({"cases/sample-case.md": text}))
    assert problem.message.startswith("unknown occasion 'xyzzy'; valid: spring-festival, lantern-festival")


def test_duplicate_id_points_at_the_first(make_library: MakeLibrary) -> None:
    root = make_library({"cases/again.md": CASE.format(id="sample-case")})
    problem = only(root)
    assert str(problem) == (
        f"{root}/cases/sample-case.md:1: duplicate case id 'sample-case' (first at {root}/cases/again.md:1)"
    )


def test_duplicate_question_id_across_files(make_library: MakeLibrary) -> None:
    root = make_library({"questions/more.yaml": QUESTIONS.format(case="sample-case").split("- id: q-two")[0]})
    problem = only(root)
    assert problem.path.endswith("questions/more.yaml") and problem.line == 1
    assert problem.message == f"duplicate question id 'q-one' (first at {root}/questions/integrity.yaml:1)"


def test_missing_required_field(make_library: MakeLibrary) -> None:
    text = CASE.format(id="sample-case").replace('summary: "A section chief keeps a festival gift card."\n', "")
    root = make_library({"cases/sample-case.md": text})
    assert str(only(root)) == f"{root}/cases/sample-case.md:2: missing required field 'summary'"


def test_missing_nested_field_names_the_path(make_library: MakeLibrary) -> None:
    text = CASE.format(id="sample-case").replace('role: "section chief", ', "")
    problem = only(make_library({"cases/sample-case.md": text}))
    assert problem.message == "missing required field 'subject.role'"
    assert problem.line == line_of(text, "subject:")


def test_unknown_field_suggests_the_right_one(make_library: MakeLibrary) -> None:
    text = CASE.format(id="sample-case").replace("summary:", "sumary:")
    problems = problems_of(make_library({"cases/sample-case.md": text}))
    messages = {p.message: p.line for p in problems}
    assert messages["unknown field 'sumary' (did you mean 'summary'?)"] == line_of(text, "sumary:")
    assert "missing required field 'summary'" in messages


def test_missing_section_and_misspelt_heading(make_library: MakeLibrary) -> None:
    text = CASE.format(id="sample-case").replace("## Analysis", "## Analysys")
    problem = only(make_library({"cases/sample-case.md": text}))
    assert problem.message == "missing section '## Analysis' (found '## Analysys': a misspelling?)"
    assert problem.line == 1


def test_empty_section(make_library: MakeLibrary) -> None:
    text = CASE.format(id="sample-case").replace("Serious warning.\n", "")
    problem = only(make_library({"cases/sample-case.md": text}))
    assert problem.message == "section '## Handling' is empty"
    assert problem.line == line_of(text, "## Handling")


def test_list_section_must_be_a_list(make_library: MakeLibrary) -> None:
    text = CASE.format(id="sample-case").replace("- When could he have stepped back?", "When could he step back?")
    problem = only(make_library({"cases/sample-case.md": text}))
    assert problem.message.startswith("section '## Discussion questions' is a list")
    assert problem.line == line_of(text, "When could he step back?")


def test_duplicate_section(make_library: MakeLibrary) -> None:
    text = CASE.format(id="sample-case") + "\n## Facts\nAgain.\n"
    problem = only(make_library({"cases/sample-case.md": text}))
    first = line_of(text, "## Facts")
    assert problem.message == f"section '## Facts' appears twice (first at line {first})"
    assert problem.line == text.split("\n").index("## Facts", first) + 1


def test_headings_in_chinese_are_recognised(make_library: MakeLibrary) -> None:
    text = (
        CASE.format(id="sample-case").replace("## Facts", "## 基本案情").replace("## Discussion questions", "## 讨论题")
    )
    root = make_library({"cases/sample-case.md": text})
    library = load_library(root)
    assert library.case("sample-case").text("facts") == "A card under the mooncakes."
    assert library.case("sample-case").sections["discussion"].items == ("When could he have stepped back?",)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("date: 2022-06", "date: 2022-13", "field 'date': '2022-13' is not a valid date (month must be in 1..12)"),
        (
            "date: 2022-06",
            "date: June 2022",
            "field 'date': 'June 2022' is not a date: write YYYY, YYYY-MM or YYYY-MM-DD",
        ),
        (
            "date: 2022-06",
            "date: 2022-02-30",
            "field 'date': '2022-02-30' is not a valid date (day is out of range for month)",
        ),
        ("end: 2018-01", "end: 2015-01", "period ends (2015-01) before it starts (2016-09)"),
    ],
)
def test_bad_dates(make_library: MakeLibrary, old: str, new: str, expected: str) -> None:
    text = CASE.format(id="sample-case").replace(old, new)
    problem = only(make_library({"cases/sample-case.md": text}))
    assert problem.message == expected
    assert problem.line == line_of(text, new.split(":")[0] + ":")


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("value_cny: -5", "field 'amounts[0].value_cny': input should be greater than or equal to 0"),
        (
            "value_cny: lots",
            "field 'amounts[0].value_cny': input should be a valid integer, unable to parse string as an integer (found 'lots')",
        ),
        (
            "value_cny: 12.5",
            "field 'amounts[0].value_cny': input should be a valid integer, got a number with a fractional part",
        ),
    ],
)
def test_bad_amounts(make_library: MakeLibrary, amount: str, expected: str) -> None:
    text = CASE.format(id="sample-case").replace("value_cny: 2000", amount)
    problem = only(make_library({"cases/sample-case.md": text}))
    assert problem.message.startswith(expected)
    assert problem.line == line_of(text, "amounts:")


def test_theme_and_question_referring_to_a_missing_case(make_library: MakeLibrary) -> None:
    theme = THEME.format(id="sample-theme", case="sample-cas")
    questions = QUESTIONS.format(case="no-such-case")
    root = make_library({"themes/sample-theme.md": theme, "questions/integrity.yaml": questions})
    problems = [str(p) for p in problems_of(root)]
    assert problems == [
        f"{root}/questions/integrity.yaml:{line_of(questions, 'cases:')}: unknown case 'no-such-case' (no case has this id)",
        f"{root}/themes/sample-theme.md:{line_of(theme, 'cases:')}: unknown case 'sample-cas' (did you mean 'sample-case'?) "
        "(no case has this id)",
    ]


def test_empty_file(make_library: MakeLibrary) -> None:
    root = make_library({"cases/empty.md": "  \n"})
    assert str(only(root)) == f"{root}/cases/empty.md:1: empty file"


def test_empty_yaml_list_file(make_library: MakeLibrary) -> None:
    root = make_library({"prompts/empty.yaml": ""})
    assert (
        str(only(root)) == f"{root}/prompts/empty.yaml:1: expected a YAML list of items, each starting with '- id: ...'"
    )


def test_file_that_is_not_utf8(make_library: MakeLibrary) -> None:
    raw = CASE.format(id="gbk-case").encode("utf-8").replace(b"A card under", "月饼下的卡".encode("gbk"))
    root = make_library({"cases/gbk-case.md": raw})
    problem = only(root)
    assert problem.path == f"{root}/cases/gbk-case.md"
    assert problem.line == line_of(CASE, "A card under")
    assert problem.message.startswith("not UTF-8: byte 0x")


def test_crlf_and_byte_order_mark_are_accepted(make_library: MakeLibrary) -> None:
    raw = b"\xef\xbb\xbf" + CASE.format(id="sample-case").replace("\n", "\r\n").encode("utf-8")
    library = load_library(make_library({"cases/sample-case.md": raw}))
    case = library.case("sample-case")
    assert case.title == "A sample case"
    assert case.text("facts") == "A card under the mooncakes."


def test_crlf_keeps_line_numbers(make_library: MakeLibrary) -> None:
    text = CASE.format(id="sample-case").replace("kind: warning", "kind: warnng")
    problem = only(make_library({"cases/sample-case.md": text.replace("\n", "\r\n").encode()}))
    assert problem.line == line_of(text, "kind: warnng")


def test_front_matter_missing_or_unclosed(make_library: MakeLibrary) -> None:
    root = make_library({"cases/a.md": "# Just a heading\n", "cases/b.md": "---\nid: b\n"})
    assert [str(p) for p in problems_of(root)] == [
        f"{root}/cases/a.md:1: front matter missing: the file must start with a line '---'",
        f"{root}/cases/b.md:1: front matter not closed: add a line '---' after the YAML fields",
    ]


def test_every_problem_is_reported_at_once(make_library: MakeLibrary) -> None:
    bad_case = CASE.format(id="bad-case").replace("kind: warning", "kind: warnng").replace("- When could", "When could")
    root = make_library(
        {
            "cases/bad-case.md": bad_case,
            "cases/empty.md": "",
            "themes/sample-theme.md": THEME.format(id="sample-theme", case="nope"),
            "prompts/self-check.yaml": "- id: p-one\n  kind: selfcheck\n  text: x\n",
        }
    )
    problems = problems_of(root)
    assert len(problems) == 5
    assert len({p.path for p in problems}) == 4
    with pytest.raises(LibraryError) as raised:
        load_library(root)
    assert raised.value.problems == tuple(problems)
    assert "(and 4 more problems)" in str(raised.value)


def test_kind_decides_whether_an_outcome_is_needed(make_library: MakeLibrary) -> None:
    warning = CASE.format(id="sample-case").replace("outcome: {party: serious-warning, four_forms: 2}\n", "")
    problem = only(make_library({"cases/sample-case.md": warning}))
    assert problem.message == "a warning case needs an 'outcome' (how it was handled)"
    exemplary = CASE.format(id="sample-case").replace("kind: warning", "kind: exemplary")
    messages = [p.message for p in problems_of(make_library({"cases/sample-case.md": exemplary}))]
    assert "an exemplary case has no 'outcome'; remove it or change 'kind'" in messages
    assert "missing section '## Deeds'" in messages


def test_question_answer_problems(make_library: MakeLibrary) -> None:
    questions = (
        QUESTIONS.format(case="sample-case").replace("answer: B", "answer: E").replace("answer: false", "answer: maybe")
        + '- id: q-three\n  type: multiple\n  stem: "Which?"\n  options: ["a", "b", "a"]\n  answer: A\n'
        '  explanation: "x"\n  rule: "y"\n  discipline: integrity\n'
    )
    root = make_library({"questions/integrity.yaml": questions})
    problems = {p.message: p.line for p in problems_of(root)}
    assert problems == {
        "answer 'E' is not an option; options are A, B, C": line_of(questions, "answer: E"),
        "the answer to a true-false question is true or false (found 'maybe')": line_of(questions, "answer: maybe"),
        "option C repeats option A": line_of(questions, 'options: ["a", "b", "a"]'),
        "a multiple-choice answer is a list of two or more letters of A, B, C": line_of(questions, "answer: A"),
    }


def test_yes_no_read_as_booleans_get_a_hint(make_library: MakeLibrary) -> None:
    questions = QUESTIONS.format(case="sample-case").replace(
        'options: ["Keep it", "Hand it in", "Give it away"]', "options: [Yes, No, Maybe]"
    )
    problems = problems_of(make_library({"questions/integrity.yaml": questions}))
    assert problems and "put the text in quotes" in problems[0].message


def test_message_problems(make_library: MakeLibrary) -> None:
    messages = (
        "occasion: mid-autumn\nmessages:\n"
        '  - id: m-one\n    channel: sms\n    body: "Dear {recipient}, ' + "x" * 300 + '"\n'
        '  - id: m-two\n    channel: letter\n    body: "{unit"\n'
    )
    root = make_library({"messages/mid-autumn.yaml": messages})
    problems = [p.message for p in problems_of(root)]
    assert problems == [
        "a short message body is at most 300 characters (found 318)",
        "unknown placeholder '{recipient}'; valid: {unit}, {occasion}, {year}, {date}, {sender}, {hotline}",
        "unknown message channel 'letter' (did you mean 'open-letter'?)",
        "expected '}' before end of string: write a literal brace as '{{' or '}}'",
    ]


def test_misplaced_file_is_reported(make_library: MakeLibrary) -> None:
    root = make_library({"cases/notes.txt": "notes"})
    assert str(only(root)) == f"{root}/cases/notes.txt:1: not a case file: cases/ holds *.md files"


def test_taxonomy_problems_stop_the_check(make_library: MakeLibrary) -> None:
    root = make_library()
    path = root / "taxonomy.yaml"
    text = (
        (bundled_library() / "taxonomy.yaml")
        .read_text(encoding="utf-8")
        .replace("disciplines: [integrity, organizational, life]", "disciplines: [integrity, organisational, life]", 1)
    )
    text = text.replace('{id: low, label: {en: "Low", zh-CN: "低"}}', '{id: low, label: {en: "Low"}}')
    path.write_text(text, encoding="utf-8")
    library, problems = read_library(root)
    assert library is None
    assert [p.message for p in problems] == [
        "unknown discipline 'organisational' (did you mean 'organizational'?)",
        "label has no 'zh-CN' form",
    ]
    assert problems[0].line == line_of(text, "organisational")
    assert problems[1].line == line_of(text, "{id: low,")


def test_no_library_at_path(tmp_path: Path) -> None:
    with pytest.raises(LibraryError, match="no library at"):
        read_library(tmp_path / "nowhere")


def test_a_repeated_field_is_an_error(make_library: MakeLibrary) -> None:
    text = CASE.format(id="sample-case").replace('title: "A sample case"', 'title: "A sample case"\ntitle: "Another"')
    problem = only(make_library({"cases/sample-case.md": text}))
    assert problem.message == f"'title' appears twice in one mapping (first at line {line_of(text, 'title:')})"
    assert problem.line == line_of(text, 'title: "Another"')


def test_terms_are_checked_even_when_the_structure_is_broken(make_library: MakeLibrary) -> None:
    """A bad date does not hide an unknown kind or audience in the same entry."""
    text = (
        CASE.format(id="sample-case")
        .replace("kind: warning", "kind: warnng")
        .replace("date: 2022-06", "date: 2022-13")
        .replace("audiences: [newly-promoted, key-posts]", "audiences: [retird]")
        .replace(
            "outcome: {party: serious-warning, four_forms: 2}", "outcome: {party: serious-warning, four_forms: two}"
        )
    )
    root = make_library({"cases/sample-case.md": text})
    problems = {p.message: p.line for p in problems_of(root)}
    assert problems == {
        "unknown case kind 'warnng' (did you mean 'warning'?)": line_of(text, "kind: warnng"),
        "unknown audience 'retird' (did you mean 'retired'?)": line_of(text, "audiences:"),
        "field 'date': '2022-13' is not a valid date (month must be in 1..12)": line_of(text, "date: 2022-13"),
        "field 'outcome.four_forms': input should be a valid integer, unable to parse string as an integer (found 'two')": line_of(
            text, "outcome:"
        ),
    }


def test_question_terms_are_checked_when_another_field_is_broken(make_library: MakeLibrary) -> None:
    questions = QUESTIONS.format(case="sample-case").replace(
        "discipline: integrity\n  types", "discipline: integrty\n  difficulty: 9\n  types", 1
    )
    problems = sorted(p.message for p in problems_of(make_library({"questions/integrity.yaml": questions})))
    assert problems == [
        "field 'difficulty': input should be less than or equal to 3 (found 9)",
        "unknown discipline 'integrty' (did you mean 'integrity'?)",
    ]


def test_an_audiences_print_sizes_are_print_sizes(make_library: MakeLibrary) -> None:
    root = make_library()
    path = root / "taxonomy.yaml"
    text = path.read_text(encoding="utf-8")
    assert "print_sizes: [standard, large]" in text  # the bundled taxonomy: retired cadres get both
    text = text.replace("print_sizes: [standard, large]", "print_sizes: [standard, larg, standard]", 1)
    path.write_text(text, encoding="utf-8")
    library, problems = read_library(root)
    assert library is None
    assert sorted(str(p) for p in problems) == [
        f"{path}:{line_of(text, 'larg,')}: 'standard' is listed twice in 'print_sizes'",
        f"{path}:{line_of(text, 'larg,')}: unknown print size 'larg' (did you mean 'large'?)",
    ]
