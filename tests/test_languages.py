"""The library in two languages: facts once, text per language, and what the checker reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import MakeLibrary, write
from toolkit import load_library
from toolkit.errors import LanguageError, ParameterError, Problem
from toolkit.library.languages import wrong_language
from toolkit.library.load import read_library
from toolkit.library.stats import library_stats
from toolkit.paths import bundled_library

CASE = """\
---
id: sample-case
kind: warning
audiences: [newly-promoted, key-posts]
disciplines:
  - {discipline: integrity, types: [gifts-cash-cards]}
subject: {rank_level: township-section}
amounts: [{kind: gift, value_cny: 23000}]
period: {start: 2016-09, end: 2018-01}
outcome: {party: serious-warning, four_forms: 2}
legal_basis:
  - {instrument: party-discipline-regulations, revision: 2018}
date: 2019-06
en:
  title: "A card under the mooncakes"
  summary: "A section chief keeps a festival gift card."
  subject: {role: "section chief"}
  legal_basis:
    - {article: "integrity discipline: gifts and cash gifts"}
  sources:
    - {publisher: "illustrative composite"}
zh-CN:
  title: "月饼盒里的购物卡"
  summary: "某科长收下一张节日购物卡。"
  subject: {role: "某县卫生健康局科长"}
  legal_basis:
    - {article: "廉洁纪律：收受礼品、礼金"}
  sources:
    - {publisher: "教学用综合案例"}
---

# en

## Facts
A card under the mooncakes.

## Violations
He kept it.

## Handling
Serious warning.

## Rules
- Integrity discipline: gifts and cash gifts.

## Analysis
The first card was small.

## Lessons
- Return the first gift the same day.
- Report what you cannot return.

## Discussion questions
- When could he have stepped back?

# zh-CN

## 基本案情
月饼盒里压着一张购物卡。

## 违纪违法事实
经查，该科长收受购物卡，
价值2.3万元。

## 处理结果
给予党内严重警告处分。

## 适用规定
- 廉洁纪律：收受礼品、礼金。

## 案例剖析
第一张卡金额不大。

## 警示启示
- 第一份礼当天退回。
- 无法退回的及时上交登记。

## 讨论题
- 他本可以在什么时候回头？
"""

QUESTIONS = """\
- id: q-one
  type: single
  answer: B
  discipline: integrity
  types: [gifts-cash-cards]
  cases: [sample-case]
  en:
    stem: "What do you do with a gift card from a supplier?"
    options: ["Keep it", "Hand it in", "Give it away"]
    explanation: "It must be handed in."
    rule: "Integrity discipline: gifts"
  zh-CN:
    stem: "供应商送来购物卡，应当怎么办？"
    options: ["自己留用", "上交登记", "转送他人"]
    explanation: "应当上交。"
    rule: "廉洁纪律：收受礼品"
"""

MESSAGES = """\
occasion: mid-autumn
messages:
  - id: mid-autumn-sms
    channel: sms
    en:
      body: "{unit} wishes you a clean Mid-Autumn: no gifts, no banquets."
    zh-CN:
      body: "中秋将至，{unit}提醒您：不收礼、不吃请。"
"""

THEME = """\
---
id: sample-theme
kind: core
disciplines: [integrity]
cases: [sample-case]
en:
  title: "Cautious independence"
  summary: "The same when no one is watching."
zh-CN:
  title: "慎独慎微"
  summary: "人前人后一个样。"
---

# en

## Objectives
- Know the rule.

## Why it matters now
Because.

## Talking points
- One.

## Practical defences
- Two.

## Responsibility
- Three.

## Discussion prompts
- Four?

# zh-CN

## 教学目标
- 知规矩。

## 为什么现在讲
因为。

## 要点
- 其一。

## 防范之策
- 其二。

## 责任落实
- 其三。

## 研讨题
- 其四？
"""

PROMPTS = """\
- id: p-one
  kind: self-check
  disciplines: [integrity]
  en:
    text: "Have I accepted gifts from anyone my work affects?"
  zh-CN:
    text: "我是否收受过管理服务对象的礼品？"
"""


@pytest.fixture
def bilingual(make_library: MakeLibrary) -> MakeLibrary:
    """A small library in English and Chinese; ``bilingual({...})`` replaces or adds files."""

    def make(files: dict[str, str | bytes | None] | None = None) -> Path:
        root = make_library(
            {
                "cases/sample-case.md": CASE,
                "themes/sample-theme.md": THEME,
                "questions/integrity.yaml": QUESTIONS,
                "prompts/self-check.yaml": PROMPTS,
                "messages/mid-autumn.yaml": MESSAGES,
                **(files or {}),
            }
        )
        write(root, "taxonomy.yaml", (bundled_library() / "taxonomy.yaml").read_text(encoding="utf-8"))
        return root

    return make


def problems_of(root: Path) -> list[Problem]:
    return read_library(root)[1]


def lines(problems: list[Problem]) -> list[tuple[int | None, str]]:
    return [(problem.line, problem.message) for problem in problems]


def test_a_bilingual_library_loads_with_the_facts_once(bilingual: MakeLibrary) -> None:
    library = load_library(bilingual())
    zh = library.in_language("zh-CN")
    en, case = library.case("sample-case"), zh.case("sample-case")
    assert (en.title, case.title) == ("A card under the mooncakes", "月饼盒里的购物卡")
    assert case.lang == "zh-CN" and en.lang == "en"
    # the facts are the shared ones, merged into each language's record
    for record in (en, case):
        assert record.outcome is not None and record.outcome.party == "serious-warning"
        assert record.amounts[0].value_cny == 23000 and record.subject.rank_level == "township-section"
        assert record.legal_basis[0].instrument == "party-discipline-regulations"
        assert record.legal_basis[0].revision == 2018
    assert case.legal_basis[0].article == "廉洁纪律：收受礼品、礼金"
    assert case.subject.role == "某县卫生健康局科长"
    # the wrapped Chinese line joins without a space
    assert case.sections["violations"].text == "经查，该科长收受购物卡，价值2.3万元。"
    assert case.sections["lessons"].items == ("第一份礼当天退回。", "无法退回的及时上交登记。")
    assert zh.question("q-one").options == ["自己留用", "上交登记", "转送他人"]
    assert zh.question("q-one").answer == library.question("q-one").answer == "B"
    assert zh.messages[0].body.startswith("中秋将至") and zh.messages[0].occasion == "mid-autumn"
    assert library_stats(library)["languages"] == {
        lang: {"cases": 1, "themes": 1, "questions": 1, "prompts": 1, "messages": 1} for lang in ("en", "zh-CN")
    }


def test_every_bundled_entry_has_both_languages_with_the_same_ids() -> None:
    library = load_library(bundled_library())
    zh = library.in_language("zh-CN")
    for kind in ("cases", "themes", "questions", "prompts", "messages"):
        ours, theirs = getattr(library, kind), getattr(zh, kind)
        assert [entry.id for entry in ours] == [entry.id for entry in theirs], kind
        assert {entry.lang for entry in theirs} == {"zh-CN"}
    counts = library_stats(library)["languages"]
    assert counts["zh-CN"] == counts["en"] and counts["en"]["cases"] == len(library.cases)


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        (
            '    options: ["自己留用", "上交登记", "转送他人"]',
            '    options: ["自己留用", "上交登记"]',
            14,
            "'options' has 2 items in zh-CN and 3 items in en",
        ),
        (
            '    rule: "廉洁纪律：收受礼品"\n',
            "",
            12,
            "the zh-CN block does not match en: rule missing",
        ),
        (
            '    explanation: "应当上交。"',
            '    explanation: "应当上交 the card。"',
            15,
            "English in the zh-CN text: 'the card'",
        ),
        (
            '    explanation: "It must be handed in."',
            '    explanation: "必须上交登记处理。"',
            10,
            "Chinese in the en text: '必须上交登记处理'",
        ),
        (
            "  cases: [sample-case]\n",
            '  cases: [sample-case]\n  zh-cn:\n    stem: "x"\n',
            7,
            "unknown language 'zh-cn' (did you mean 'zh-CN'?); this library's languages are en, zh-CN",
        ),
        (
            '    rule: "廉洁纪律：收受礼品"\n',
            '    rule: "廉洁纪律：收受礼品"\n    answer: C\n',
            17,
            "'answer' is written twice: it is a fact shared by every language; keep it once, outside the language blocks",
        ),
        (
            "  type: single\n",
            '  type: single\n  stem: "What?"\n',
            3,
            "'stem' is text: write it in each language's block, not once for all",
        ),
    ],
    ids=["options", "missing-field", "english-in-zh", "chinese-in-en", "unknown-language", "fact-twice", "text-shared"],
)
def test_question_translation_problems(bilingual: MakeLibrary, old: str, new: str, line: int, message: str) -> None:
    assert old in QUESTIONS
    root = bilingual({"questions/integrity.yaml": QUESTIONS.replace(old, new)})
    found = problems_of(root)
    assert (line, message) in lines(found), lines(found)
    assert all(problem.path.endswith("questions/integrity.yaml") for problem in found), lines(found)


def test_a_missing_translation(bilingual: MakeLibrary) -> None:
    without = QUESTIONS[: QUESTIONS.index("  zh-CN:")]
    flat = '- id: p-one\n  kind: self-check\n  text: "Have I accepted gifts?"\n'  # English only
    found = problems_of(bilingual({"questions/integrity.yaml": without, "prompts/self-check.yaml": flat}))
    assert lines(found) == [
        (
            1,
            "written in en only; this library's languages are en, zh-CN: "
            "put the text in language blocks ('en:' and 'zh-CN:')",
        ),
        (1, "no zh-CN text: add a 'zh-CN:' block with the same fields as 'en:'"),
    ]
    assert [Path(problem.path).name for problem in found] == ["self-check.yaml", "integrity.yaml"]


def test_placeholders_must_match(bilingual: MakeLibrary) -> None:
    text = MESSAGES.replace("中秋将至，{unit}提醒您", "中秋将至，{sender}提醒您")
    found = problems_of(bilingual({"messages/mid-autumn.yaml": text}))
    assert lines(found) == [(8, "the zh-CN text has placeholders {sender}; the en text has {unit}")]


def test_body_problems_are_at_their_lines(bilingual: MakeLibrary) -> None:
    fewer = CASE.replace("- 第一份礼当天退回。\n- 无法退回的及时上交登记。\n", "- 第一份礼当天退回。\n")
    assert lines(problems_of(bilingual({"cases/sample-case.md": fewer}))) == [
        (74, "section '## 警示启示' has 1 item; '## Lessons' in en has 2")
    ]
    missing = CASE.replace("## 讨论题\n- 他本可以在什么时候回头？\n", "")
    assert lines(problems_of(bilingual({"cases/sample-case.md": missing}))) == [
        (56, "missing section '## 讨论题' of the zh-CN text")
    ]
    no_part = CASE[: CASE.index("# zh-CN")]
    assert lines(problems_of(bilingual({"cases/sample-case.md": no_part}))) == [
        (54, "no '# zh-CN' part in the body: add '# zh-CN' and its sections")
    ]
    intro = CASE.replace("---\n\n# en\n", "---\nA stray line.\n# en\n")
    assert lines(problems_of(bilingual({"cases/sample-case.md": intro}))) == [
        (31, "text before the first language part: start the body with '# en'")
    ]


def test_front_matter_problems_are_in_the_right_block(bilingual: MakeLibrary) -> None:
    twice = CASE.replace('  title: "月饼盒里的购物卡"\n', '  title: "月饼盒里的购物卡"\n  kind: exemplary\n')
    assert lines(problems_of(bilingual({"cases/sample-case.md": twice}))) == [
        (
            24,
            "'kind' is written twice: it is a fact shared by every language; keep it once, outside the language blocks",
        )
    ]
    empty = CASE.replace('  title: "月饼盒里的购物卡"', '  title: "  "')
    assert lines(problems_of(bilingual({"cases/sample-case.md": empty}))) == [
        (23, "field 'title': string should have at least 1 character (found '  ')")
    ]
    sources = CASE.replace(
        '    - {publisher: "教学用综合案例"}\n', '    - {publisher: "教学用综合案例"}\n    - {publisher: "某报"}\n'
    )
    assert (28, "'sources' has 2 items in zh-CN and 1 item in en") in lines(
        problems_of(bilingual({"cases/sample-case.md": sources}))
    )
    instrument = CASE.replace("instrument: party-discipline-regulations", "instrument: party-disciplne-regulations")
    assert lines(problems_of(bilingual({"cases/sample-case.md": instrument}))) == [
        (12, "unknown instrument 'party-disciplne-regulations' (did you mean 'party-discipline-regulations'?)")
    ]


def test_a_one_language_library_refuses_another_language(tmp_path: Path) -> None:
    root = tmp_path / "zh-only"
    taxonomy = (bundled_library() / "taxonomy.yaml").read_text(encoding="utf-8")
    write(root, "taxonomy.yaml", taxonomy.replace("languages: [en, zh-CN]", "languages: [zh-CN]", 1))
    zh_case = (
        "---\nid: sample-case\nlang: zh-CN\nkind: warning\ntitle: 月饼盒里的购物卡\nsummary: 某科长收下一张节日购物卡。\n"
        "audiences: [key-posts]\ndisciplines: [{discipline: integrity}]\n"
        "subject: {role: 某县卫生健康局科长, rank_level: township-section}\n"
        "outcome: {party: serious-warning}\ndate: 2019-06\nsources: [{publisher: 教学用综合案例}]\n---\n\n"
        + CASE[CASE.index("## 基本案情") :]
    )
    write(root, "cases/sample-case.md", zh_case)
    library = load_library(root)
    assert library.languages == ("zh-CN",) and library.cases[0].title == "月饼盒里的购物卡"
    with pytest.raises(LanguageError) as caught:
        library.in_language("en")
    assert str(caught.value) == (
        f"the library at '{root}' has no en text (its languages: zh-CN); build in zh-CN, or add en text to the library"
    )
    from toolkit.documents import assemble

    with pytest.raises(ParameterError, match=r"^casebook parameters: the library at .* has no en text"):
        assemble("casebook", {"audience": "key-posts", "lang": "en", "cases": 1}, library)
    book = assemble("casebook", {"audience": "key-posts", "lang": "zh-CN", "cases": 1}, library)
    assert book.cases[0].title == "月饼盒里的购物卡"


@pytest.mark.parametrize(
    ("text", "lang", "reason"),
    [
        ("经查，某科长收受KTV消费卡和APP充值。", "zh-CN", None),
        ("登录 https://www.ccdi.gov.cn 举报，或发邮件至 jubao@example.org", "zh-CN", None),
        ("{unit}提醒您：{{注意}}", "zh-CN", None),
        ("他收下了 gift card。", "zh-CN", "English in the zh-CN text: 'gift card'"),
        ("见第3条（integrity）", "zh-CN", "English in the zh-CN text: 'integrity'"),
        ("The term 廉洁 means clean.", "en", None),
        ("He said 天知地知你知我知.", "en", "Chinese in the en text: '天知地知你知我知'"),
    ],
)
def test_wrong_language(text: str, lang: str, reason: str | None) -> None:
    assert wrong_language(text, lang) == reason


def test_english_prose_in_a_chinese_body_is_reported_at_its_section(bilingual: MakeLibrary) -> None:
    english = CASE.replace("第一张卡金额不大。", "第一张卡金额不大，but he never returned it。")
    chinese = CASE.replace("The first card was small.", "第一张卡金额不大，他却一直没有退回。")
    found = lines(problems_of(bilingual({"cases/sample-case.md": english})))
    assert found == [(71, "section '## 案例剖析': English in the zh-CN text: 'but he never returned'")]
    found = lines(problems_of(bilingual({"cases/sample-case.md": chinese})))
    assert found == [(46, "section '## Analysis': Chinese in the en text: '第一张卡金额不大'")]


def test_a_one_language_entry_is_checked_for_its_language_too(make_library: MakeLibrary) -> None:
    from tests.conftest import CASE as FLAT

    case = FLAT.format(id="sample-case").replace('title: "A sample case"', 'title: "春节收受红包礼金案"')
    found = lines(problems_of(make_library({"cases/sample-case.md": case})))
    assert found == [(3, "Chinese in the en text: '春节收受红包礼金案'")]
