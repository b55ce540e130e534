"""The trainer studio: search, picks, previews, coverage and the build spec it saves, driven without a
browser; the widgets driven programmatically; the notebook under papermill; a real build of a saved spec."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
import yaml

from tests.conftest import CASE, MakeLibrary
from toolkit import Library, load_library
from toolkit.batch.jobs import notebooks_dir
from toolkit.documents import DOCUMENTS, assemble
from toolkit.errors import LanguageError, ParameterError, SpecError
from toolkit.paths import bundled_library
from toolkit.render import render, scoped_stylesheet
from toolkit.studio import Studio, check_spec, open_studio
from toolkit.studio.core import normalize
from toolkit.studio.widgets import StudioUI

ZH_CASE = (
    CASE.format(id="zh-red-envelope")
    .replace('title: "A sample case"', 'title: "Red envelopes at Spring Festival"')
    .replace("A card under the mooncakes.", "A section chief takes red envelopes worth 20,000 yuan at Spring Festival.")
    .replace("date: 2022-06", "date: 2019-02")
    .replace("occasions: [mid-autumn]", "occasions: [spring-festival]")
)
EN_CASE = (
    CASE.format(id="banquet-road-works")
    .replace('title: "A sample case"', 'title: "A Banquet Paid by the Road Contractor"')
    .replace("kind: warning", "kind: typical-notice")
    .replace("risk_posts: [procurement]", "risk_posts: [construction]")
    .replace("date: 2022-06", "date: 2024-11")
    .replace("A card under the mooncakes.", "The contractor paid for a dinner after the bid.")
)


@pytest.fixture
def small(make_library: MakeLibrary) -> Library:
    """Three cases in an English library: the sample (2022), red envelopes (2019) and a typical-problem
    notice (2024)."""
    root = make_library({"cases/zh-red-envelope.md": ZH_CASE, "cases/banquet-road-works.md": EN_CASE})
    return load_library(root)


# A case in English and Chinese; the facts once, the text per language (casebook/README.md).
BILINGUAL_CASE = """\
---
id: {id}
kind: {kind}
audiences: [newly-promoted, key-posts]
disciplines:
  - {{discipline: integrity, types: [gifts-cash-cards]}}
risk_posts: [{post}]
occasions: [{occasion}]
subject: {{rank_level: township-section}}
outcome: {{party: serious-warning, four_forms: 2}}
date: {date}
en:
  title: "{en_title}"
  summary: "{en_summary}"
  subject: {{role: "section chief"}}
  sources: [{{publisher: "illustrative composite"}}]
zh-CN:
  title: "{zh_title}"
  summary: "{zh_summary}"
  subject: {{role: "某局科长"}}
  sources: [{{publisher: "教学用综合案例"}}]
---

# en

## Facts
{en_facts}

## Violations
He kept it.

## Handling
Serious warning.

## Rules
- Integrity discipline: gifts and cash gifts.

## Analysis
The first one was small.

## Lessons
- Say no the first time.

## Discussion questions
- When could he have stepped back?

# zh-CN

## 基本案情
{zh_facts}

## 违纪违法事实
他收下了。

## 处理结果
给予党内严重警告处分。

## 适用规定
- 廉洁纪律：收受礼品、礼金。

## 案例剖析
第一次金额不大。

## 警示启示
- 第一次就要拒绝。

## 讨论题
- 他本可以在什么时候回头？
"""
BILINGUAL_THEME = """\
---
id: sample-theme
kind: core
disciplines: [integrity]
cases: [gift-card]
en: {title: "Cautious independence", summary: "The same when no one is watching."}
zh-CN: {title: "慎独慎微", summary: "人前人后一个样。"}
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
BILINGUAL_CASES = {
    "gift-card": dict(
        kind="warning",
        post="procurement",
        occasion="mid-autumn",
        date="2022-06",
        en_title="A card under the mooncakes",
        zh_title="月饼盒里的购物卡",
        en_summary="A section chief keeps a festival gift card.",
        zh_summary="某科长收下一张节日礼品卡。",
        en_facts="A card under the mooncakes.",
        zh_facts="月饼盒里压着一张购物卡。",
    ),
    "red-envelope": dict(
        kind="warning",
        post="procurement",
        occasion="spring-festival",
        date="2019-02",
        en_title="Red envelopes at the Spring Festival",
        zh_title="春节收受红包礼金案",
        en_summary="Twenty thousand yuan in red envelopes.",
        zh_summary="春节期间收受红包共计两万元。",
        en_facts="The envelopes came by bank transfer.",
        zh_facts="某科长收受管理服务对象通过银行转账所送红包。",
    ),
    "banquet-road-works": dict(
        kind="typical-notice",
        post="construction",
        occasion="mid-autumn",
        date="2024-11",
        en_title="A Banquet Paid by the Road Contractor",
        zh_title="工程老板买单的宴请",
        en_summary="A dinner after the bid.",
        zh_summary="中标后接受宴请。",
        en_facts="After the integrity education session he came forward.",
        zh_facts="单位开展廉政教育后，他主动说明问题。",
    ),
    "integrity-lesson": dict(
        kind="warning",
        post="finance",
        occasion="mid-autumn",
        date="2021-03",
        en_title="An integrity lesson for new cadres",
        zh_title="新任干部的一堂廉政教育课",
        en_summary="A township head turns a lesson into habits.",
        zh_summary="乡长把一堂课变成习惯。",
        en_facts="He kept a notebook of every gift refused.",
        zh_facts="他把每一次拒收都记在本子上。",
    ),
}


@pytest.fixture
def bilingual(make_library: MakeLibrary) -> Library:
    """Four cases with their text in English and Chinese (the bundled taxonomy, both languages)."""
    cases: dict[str, str | bytes | None] = {
        f"cases/{case_id}.md": BILINGUAL_CASE.format(id=case_id, **text) for case_id, text in BILINGUAL_CASES.items()
    }
    files: dict[str, str | bytes | None] = {
        "cases/sample-case.md": None,
        "themes/sample-theme.md": BILINGUAL_THEME,
        "questions/integrity.yaml": None,
        "prompts/self-check.yaml": None,
        "messages/mid-autumn.yaml": None,
        **cases,
    }
    root = make_library(files)
    (root / "taxonomy.yaml").write_text((bundled_library() / "taxonomy.yaml").read_text(encoding="utf-8"), "utf-8")
    return load_library(root)


# Search and filters


def test_keyword_search_is_case_blind_and_needs_every_word(small: Library) -> None:
    studio = Studio(small)
    assert studio.results == ["banquet-road-works", "sample-case", "zh-red-envelope"]
    assert studio.set_filters(keyword="BANQUET contractor") == ["banquet-road-works"]
    assert studio.set_filters(keyword="banquet mooncakes") == []
    # Body text counts, not only titles.
    assert studio.set_filters(keyword="under the MOONCAKES") == ["sample-case"]


def test_chinese_keywords_match_inside_text_without_spaces(bilingual: Library) -> None:
    studio = Studio(bilingual, lang="zh-CN")
    assert studio.set_filters(keyword="红包") == ["red-envelope"]
    assert studio.set_filters(keyword="两万元 春节") == ["red-envelope"]
    assert studio.set_filters(keyword="红包 mooncakes") == []
    # Taxonomy labels are searchable in every language of the library: the risk post 'construction'.
    for lang in ("zh-CN", "en"):
        label = bilingual.taxonomy.label("risk_posts", "construction", lang)
        assert studio.set_filters(keyword=label) == ["banquet-road-works"]
        assert Studio(bilingual).set_filters(keyword=label) == ["banquet-road-works"]


def test_the_studio_searches_and_shows_the_text_of_its_language(bilingual: Library) -> None:
    zh, en = Studio(bilingual, lang="zh-CN"), Studio(bilingual)
    assert zh.set_filters(keyword="购物卡") == ["gift-card"] and en.set_filters(keyword="购物卡") == []
    assert en.set_filters(keyword="mooncakes") == ["gift-card"] and zh.set_filters(keyword="mooncakes") == []
    assert zh.label("gift-card") == "月饼盒里的购物卡 (反面警示案例, 2022-06)"
    assert en.label("gift-card") == "A card under the mooncakes (Warning case, 2022-06)"
    preview = zh.preview("gift-card")
    assert "月饼盒里压着一张购物卡。" in preview and "A card under the mooncakes" not in preview


def test_a_studio_in_a_language_the_library_lacks_is_refused(small: Library) -> None:
    with pytest.raises(LanguageError, match=r"^the library at '.*' has no zh-CN text \(its languages: en\)"):
        Studio(small, lang="zh-CN")


# Pinyin: how many Chinese trainers type


@pytest.mark.parametrize(
    ("keyword", "found"),
    [
        ("lzjy", ["banquet-road-works", "integrity-lesson"]),  # initials of 廉政教育: in a body, in a title
        ("lianzheng", ["banquet-road-works", "integrity-lesson"]),
        ("lianzhengjiaoyu", ["banquet-road-works", "integrity-lesson"]),
        ("lianzheng jiaoyu", ["banquet-road-works", "integrity-lesson"]),
        ("LianZheng", ["banquet-road-works", "integrity-lesson"]),
        ("ＬＺＪＹ", ["banquet-road-works", "integrity-lesson"]),
        ("lianzh", ["banquet-road-works", "integrity-lesson"]),  # typed so far: a syllable's start
        ("gwk", ["gift-card"]),  # 购物卡 (gòu wù kǎ), in the body only
        ("gwc", []),  # 卡 reads kǎ or qiǎ, never with a c
        ("gouwuka", ["gift-card"]),
        ("lipinka", ["gift-card"]),  # 礼品卡, in the summary only
        ("hongbao", ["red-envelope"]),
        ("春节 hongbao", ["red-envelope"]),  # Chinese and pinyin words
        ("廉政jy", ["banquet-road-works", "integrity-lesson"]),  # in one word
        ("xinren lzjy", ["integrity-lesson"]),
        ("yinhang", ["red-envelope"]),  # 银行: 行 read hang, its second reading
        ("yinxing", ["red-envelope"]),  # and xing, its first
        ("tashouxiale", ["banquet-road-works", "gift-card", "integrity-lesson", "red-envelope"]),  # 他收下了
        ("tuoshouxiale", []),  # 他 read tuo: a reading no common word uses
        (
            "xi'an",
            ["banquet-road-works", "integrity-lesson", "red-envelope"],
        ),  # inside xiang: 对象, 乡长, 项目 (an apostrophe is no boundary)
        ("beijing", []),
        ("lzjyx", []),
        ("gwk hongbao", []),
    ],
)
def test_a_chinese_studio_finds_cases_by_pinyin(bilingual: Library, keyword: str, found: list[str]) -> None:
    assert Studio(bilingual, lang="zh-CN").set_filters(keyword=keyword) == found


def test_pinyin_leaves_the_english_studio_alone(bilingual: Library) -> None:
    studio = Studio(bilingual)
    for keyword in ("lzjy", "lianzheng", "gwk", "hongbao"):
        assert studio.set_filters(keyword=keyword) == []
    assert studio.set_filters(keyword="integrity education") == ["banquet-road-works"]
    assert {(row.spelled, row.initials) for row in studio.rows.values()} == {("", "")}


def test_pinyin_is_spelled_once_when_the_studio_opens(bilingual: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    from toolkit.studio import pinyin

    studio = Studio(bilingual, lang="zh-CN")
    row = studio.rows["gift-card"]
    assert "gouwuka" in row.spelled and "gwk" in row.initials and "goumaika" not in row.spelled

    def fail(*_args: Any) -> None:
        raise AssertionError("spelled again")

    monkeypatch.setattr(pinyin.Speller, "spell", fail)
    monkeypatch.setattr(pinyin, "readings", fail)
    assert studio.set_filters(keyword="gwk") == ["gift-card"]


def test_full_width_letters_match_ascii(small: Library) -> None:
    assert normalize("ＧＩＦＴ Card") == "gift card"
    assert Studio(small).set_filters(keyword="ＣＯＮＴＲＡＣＴＯＲ") == ["banquet-road-works"]


def test_facet_and_date_filters_combine(small: Library) -> None:
    studio = Studio(small)
    assert studio.set_filters(kind="typical-notice") == ["banquet-road-works"]
    assert studio.set_filters(kind="", risk_post="procurement") == ["sample-case", "zh-red-envelope"]
    assert studio.set_filters(occasion="spring-festival") == ["zh-red-envelope"]
    studio.set_filters(risk_post="", occasion="")
    assert studio.set_filters(date_from="2020", date_to="2023") == ["sample-case"]
    assert studio.set_filters(date_from="2022-07", date_to="") == ["banquet-road-works"]
    assert studio.set_filters(date_from="", date_to="2022-06") == ["sample-case", "zh-red-envelope"]
    assert studio.set_filters(date_to="", violation_type="gifts-cash-cards", audience="retired") == []
    assert studio.set_filters(audience="key-posts") == ["banquet-road-works", "sample-case", "zh-red-envelope"]


def test_unknown_filter_and_bad_dates_are_named(small: Library) -> None:
    with pytest.raises(ParameterError, match=r"unknown filter 'keywords'; valid: .*keyword"):
        Studio(small).set_filters(keywords="x")
    with pytest.raises(ParameterError, match="filter 'date_to' is '2023/05'; valid: YYYY, YYYY-MM or YYYY-MM-DD"):
        Studio(small).set_filters(date_to="2023/05")


def test_counts_follow_the_results(bundled: Library) -> None:
    studio = Studio(bundled)
    studio.set_filters(discipline="integrity")
    counts = studio.counts()
    assert counts["discipline"]["integrity"] == len(studio.results) > 0
    expected = sum(1 for cid in studio.results if "finance" in bundled.case(cid).risk_posts)
    assert counts["risk_post"]["finance"] == expected
    assert sum(counts["kind"].values()) == len(studio.results)


# Picks, previews, coverage


def test_picks_keep_order_and_move(small: Library) -> None:
    studio = Studio(small)
    for case_id in ("sample-case", "zh-red-envelope", "banquet-road-works", "sample-case"):
        studio.add(case_id)
    assert studio.picks == ["sample-case", "zh-red-envelope", "banquet-road-works"]
    studio.move("banquet-road-works", -1)
    assert studio.picks == ["sample-case", "banquet-road-works", "zh-red-envelope"]
    studio.move("sample-case", -1)  # already first
    studio.move("zh-red-envelope", 5)  # already last
    assert studio.picks == ["sample-case", "banquet-road-works", "zh-red-envelope"]
    studio.remove("sample-case")
    assert studio.picks == ["banquet-road-works", "zh-red-envelope"]
    with pytest.raises(
        ParameterError, match="no case 'sample-cases' in the library \\(did you mean 'sample-case'\\?\\)"
    ):
        studio.add("sample-cases")
    with pytest.raises(ParameterError, match="unknown audience 'retiree' \\(did you mean 'retired'\\?\\); valid: "):
        Studio(small, audience="retiree")


def test_picks_are_limited_to_what_a_casebook_holds(bundled: Library) -> None:
    # The limit is the casebook's own (its 'cases' parameter), the largest of the documents taking picks.
    limit = DOCUMENTS["casebook"].param("cases").maximum  # type: ignore[union-attr]
    assert limit == 60
    studio = Studio(bundled)
    studio.picks = [f"case-{number}" for number in range(limit)]
    with pytest.raises(ParameterError, match=f"a casebook holds at most {limit} cases"):
        studio.add(bundled.cases[0].id)


def test_case_preview_prints_the_case_with_why_it_suits_the_audience(small: Library) -> None:
    studio = Studio(small, audience="newly-promoted")
    html = studio.preview("zh-red-envelope")
    assert "Red envelopes at Spring Festival" in html and "Case 1." in html
    assert "tagged for Newly promoted cadres" in html
    studio.add("sample-case")
    studio.add("zh-red-envelope")
    assert "Case 2." in studio.preview("zh-red-envelope")


def test_casebook_and_outline_previews_show_the_picks_in_order(bundled: Library) -> None:
    studio = Studio(bundled, audience="retired")
    automatic = render(assemble("casebook", {"audience": "retired", "edition": "trainer"}, bundled))
    picked = [case.id for case in bundled.cases[-3:]]
    for case_id in reversed(picked):
        studio.add(case_id)
    casebook = studio.document_preview("casebook")
    assert casebook != automatic
    positions = [casebook.index(f'id="case-{case_id}"') for case_id in reversed(picked)]
    assert positions == sorted(positions)
    assert casebook.count('class="lz-case"') == 3 and "picked by the trainer" in casebook
    outline = studio.document_preview("outline")
    titles = [bundled.case(case_id).title for case_id in reversed(picked)]
    assert all(title.replace("'", "&#39;") in outline for title in titles)


def test_coverage_counts_discipline_and_risk_post_pairs(small: Library) -> None:
    studio = Studio(small)
    assert studio.coverage() == {("integrity", "procurement"): 2, ("integrity", "construction"): 1}
    assert studio.coverage(["banquet-road-works"]) == {("integrity", "construction"): 1}
    html = studio.coverage_html(caption="Whole library")
    assert ">Whole library</caption>" in html
    assert html.count('class="lz-heat"') == len(small.taxonomy.disciplines) * (len(small.taxonomy.risk_posts) + 1)
    assert ">2</td>" in html and ">1</td>" in html
    empty = studio.coverage_html([])
    assert ">1</td>" not in empty and ">2</td>" not in empty


# The picks parameter of the documents


def test_picks_parameter_puts_hand_chosen_cases_first(bundled: Library) -> None:
    first, second = bundled.cases[5].id, bundled.cases[2].id
    casebook = assemble("casebook", {"audience": "retired", "cases": 4, "picks": f"{first}, {second}"}, bundled)
    assert [view.id for view in casebook.cases][:2] == [first, second]
    assert len(casebook.cases) == 4 and len({view.id for view in casebook.cases}) == 4
    as_list = assemble("casebook", {"audience": "retired", "cases": 4, "picks": [first, second]}, bundled)
    assert as_list.cases == casebook.cases
    outline = assemble("outline", {"audience": "retired", "cases": 1, "picks": [second, first]}, bundled)
    assert [brief.id for part in outline.parts for brief in part.cases] == [second]


def test_picks_parameter_refuses_unknown_and_repeated_ids(bundled: Library) -> None:
    known = bundled.cases[0].id
    with pytest.raises(
        ParameterError, match=f"names '{known[:-1]}', which is not in the library \\(did you mean '{known}'\\?\\)"
    ):
        assemble("casebook", {"picks": known[:-1]}, bundled)
    with pytest.raises(ParameterError, match=f"names '{known}' twice"):
        assemble("casebook", {"picks": [known, known]}, bundled)
    with pytest.raises(ParameterError, match="must be a list of ids"):
        assemble("casebook", {"picks": 3}, bundled)


# The build spec


def test_saved_spec_passes_the_build_validator_and_builds_the_picks(bundled: Library, tmp_path: Path) -> None:
    studio = Studio(bundled, audience="young-cadres", minutes=60, date="2027-01-20", unit="County office")
    picked = [case.id for case in bundled.cases[:14]]
    for case_id in picked:
        studio.add(case_id)
    path = studio.save(tmp_path / "specs" / "spring.yaml")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# A session prepared in the Lianzheng studio")
    data = yaml.safe_load(text)
    assert data["sessions"][0]["parameters"]["casebook"] == {"cases": 14, "picks": picked}
    woven = DOCUMENTS["outline"].param("cases").maximum  # type: ignore[union-attr]
    assert woven == 12 and data["sessions"][0]["parameters"]["outline"]["picks"] == picked[:woven]
    spec = check_spec(text, bundled, path)
    (session,) = spec.sessions
    assert session.audience == "young-cadres" and session.documents == ("casebook", "outline")
    assert session.parameters["casebook"]["picks"] == ",".join(picked)
    assert session.parameters["outline"]["minutes"] == 60
    assert session.parameters["outline"]["date"] == "2027-01-20"
    assert spec.library == bundled.root.resolve()
    assert spec.out == (tmp_path / "specs" / "handouts").resolve()
    assert [p.name for p in path.parent.iterdir()] == ["spring.yaml"]  # no temporary file left


def test_opening_a_saved_spec_restores_the_studio(bundled: Library, tmp_path: Path) -> None:
    theme = bundled.themes[-1].id
    studio = Studio(
        bundled,
        lang="zh-CN",
        audience="retired",
        theme=theme,
        minutes=90,
        documents=["outline", "casebook", "quiz"],
        formats=["html", "pdf"],
        seed=7,
        date="2027-03-01",
        unit="某县纪委监委",
        out="out/spring",
    )
    studio.add(bundled.cases[3].id)
    studio.add(bundled.cases[1].id)
    path = studio.save(tmp_path / "s.yaml")
    assert "某县纪委监委" in path.read_text(encoding="utf-8")  # written as text, not escapes
    again = Studio.open(path)
    fields = ("lang", "audience", "theme", "minutes", "documents", "formats", "seed", "date", "unit", "out", "picks")
    assert {name: getattr(again, name) for name in fields} == {name: getattr(studio, name) for name in fields}
    assert again.library.root.resolve() == bundled.root.resolve()
    assert again.to_spec(path) == path.read_text(encoding="utf-8")
    from_text = Studio.from_spec(path.read_text(encoding="utf-8"), bundled, path)
    assert {name: getattr(from_text, name) for name in fields} == {name: getattr(studio, name) for name in fields}


def test_what_the_studio_does_not_edit_survives_open_and_save(bundled: Library, tmp_path: Path) -> None:
    case = bundled.cases[2].id
    spec = tmp_path / "hand.yaml"
    spec.write_text(
        f"""library: {bundled.root}
parameters:
  quiz: {{questions: 30}}
  casebook: {{title: "Spring warning education", cases: 5}}
sessions:
  - id: spring-retired
    audience: retired
    documents: [casebook, quiz, outline]
    editions: {{casebook: [trainer]}}
    parameters:
      outline: {{minutes: 60, cases: 2}}
      casebook: {{picks: [{case}]}}
""",
        encoding="utf-8",
    )
    studio = Studio.open(spec)
    assert studio.picks == [case] and studio.minutes == 60
    studio.add(bundled.cases[4].id)
    saved = studio.save(tmp_path / "again.yaml")
    (session,) = check_spec(saved.read_text(encoding="utf-8"), bundled, saved).sessions
    assert session.id == "spring-retired"
    assert session.editions["casebook"] == ("trainer",)
    assert session.parameters["quiz"]["questions"] == 30
    assert session.parameters["casebook"]["title"] == "Spring warning education"
    assert session.parameters["casebook"]["picks"] == f"{case},{bundled.cases[4].id}"
    assert session.parameters["casebook"]["cases"] == 2  # the picks, and only them
    assert session.parameters["outline"]["minutes"] == 60


def test_a_spec_of_several_sessions_is_not_opened(bundled: Library, tmp_path: Path) -> None:
    spec = tmp_path / "two.yaml"
    spec.write_text(f"library: {bundled.root}\naudiences: [retired, families]\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="the spec has 2 sessions; the studio edits a spec of one session"):
        Studio.open(spec)


def test_an_invalid_session_is_not_saved_and_the_old_file_stays(bundled: Library, tmp_path: Path) -> None:
    studio = Studio(bundled)
    path = studio.save(tmp_path / "s.yaml")
    before = path.read_bytes()
    studio.minutes = 5
    with pytest.raises(SpecError, match=r"s\.yaml:\d+: .*parameter 'minutes' is 5; valid: 15 to 480"):
        studio.save(path)
    assert path.read_bytes() == before


def test_a_session_with_no_document_or_format_is_refused(bundled: Library, tmp_path: Path) -> None:
    # In a spec an empty list means the defaults: saving one would build every document.
    with pytest.raises(ParameterError, match="choose at least one document"):
        Studio(bundled, documents=[]).save(tmp_path / "s.yaml")
    with pytest.raises(ParameterError, match="choose at least one format"):
        Studio(bundled, formats=[]).save(tmp_path / "s.yaml")
    assert not (tmp_path / "s.yaml").exists()


def test_a_spec_with_a_bad_pick_names_its_line(bundled: Library, tmp_path: Path) -> None:
    studio = Studio(bundled)
    studio.add(bundled.cases[0].id)
    text = studio.to_spec(tmp_path / "s.yaml").replace(bundled.cases[0].id, "no-such-case")
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        Studio.open(tmp_path / "s.yaml", bundled)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "picks:" in row)
    assert f"s.yaml:{line}: casebook parameters: parameter 'picks' names 'no-such-case'" in str(caught.value)


# The widgets, driven as a trainer would


def test_widgets_filter_pick_and_save(small: Library, tmp_path: Path) -> None:
    ui = StudioUI(Studio(small), tmp_path / "session.yaml")
    assert "3 of 3 cases" in ui.count.value
    ui.keyword.value = "envelopes"
    assert [value for _, value in ui.results.options] == ["zh-red-envelope"]
    assert "1 of 3 cases" in ui.count.value
    # Each facet's terms carry how many of the results have them; the chosen value stays chosen.
    assert ("Warning case · 1", "warning") in ui.facets["kind"].options
    assert ("Typical problem notice · 0", "typical-notice") in ui.facets["kind"].options
    assert 'class="lz-preview"' in ui.case_preview.value and "Red envelopes at Spring Festival" in ui.case_preview.value
    assert list(ui.previews) == ["casebook", "outline"]
    assert "srcdoc=" in ui.previews["casebook"].value and "srcdoc=" in ui.previews["outline"].value
    assert ui.minutes.min == 15 and ui.minutes.max == 480, "the outline's 'minutes' limits"
    assert [name for _, name in ui.documents.options] == ["casebook", "outline", "worksheet", "quiz"]
    ui.pick_button.click()
    ui.keyword.value = ""
    ui.facets["kind"].value = "typical-notice"
    assert [value for _, value in ui.results.options] == ["banquet-road-works"]
    assert ui.facets["kind"].value == "typical-notice"
    ui.pick_button.click()
    ui.picks.value = "banquet-road-works"
    ui.up.click()
    assert ui.studio.picks == ["banquet-road-works", "zh-red-envelope"]
    assert "Picked cases: 2" in ui.picks_label.value
    assert ui.coverage.value.count("<table") == 2
    ui.keyword.value = "nothing matches this"
    assert "No case matches" in ui.count.value and ui.case_preview.value == ""
    ui.minutes.value = 30
    ui.save_button.click()
    assert "Saved " in ui.status.value and str((tmp_path / "session.yaml").resolve()) in ui.status.value
    spec = check_spec((tmp_path / "session.yaml").read_text(encoding="utf-8"), small, tmp_path / "session.yaml")
    assert spec.sessions[0].parameters["casebook"]["picks"] == "banquet-road-works,zh-red-envelope"
    assert spec.sessions[0].parameters["outline"]["minutes"] == 30


def test_open_studio_reopens_a_spec_or_starts_one_saved_where_asked(bundled: Library, tmp_path: Path) -> None:
    fresh = tmp_path / "new.yaml"
    ui = open_studio(str(bundled.root), str(fresh), "zh-CN")
    assert ui.studio.lang == "zh-CN" and ui.studio.picks == []
    ui.studio.add(bundled.cases[0].id)
    ui.save_button.click()
    assert fresh.is_file() and "已保存" in ui.status.value
    again = open_studio(spec=str(fresh))
    assert again.studio.picks == [bundled.cases[0].id] and again.studio.lang == "zh-CN"
    assert again.status.value == f"已打开：{fresh}" and again.spec_path == fresh


def test_a_long_results_list_is_cut_and_says_so(small: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    from toolkit.studio import widgets

    monkeypatch.setattr(widgets, "MAX_LISTED", 2)
    ui = StudioUI(Studio(small))
    assert [value for _, value in ui.results.options] == ["banquet-road-works", "sample-case"]
    assert "3 of 3 cases" in ui.count.value and "The list shows the first 2" in ui.count.value
    ui.keyword.value = "mooncakes"
    assert "The list shows" not in ui.count.value and ui.results.value == "sample-case"


def test_the_inline_preview_stylesheet_stays_inside_its_box() -> None:
    css = scoped_stylesheet(".lz-preview")
    selectors = [part.strip() for rule in re.findall(r"([^{}]+)\{", css) for part in rule.split(",")]
    assert len(selectors) > 30 and all(sel == ".lz-preview" or sel.startswith(".lz-preview ") for sel in selectors)
    assert ".lz-preview h2 {" in css and ".lz-preview { margin: 0 auto;" in css
    assert "@page" not in css and "@media" not in css and "leader(" not in css


def test_widgets_report_a_save_that_fails(small: Library, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    ui = StudioUI(Studio(small), blocker / "session.yaml")
    assert ui.save() is None
    assert "Not saved:" in ui.status.value


def test_widgets_speak_chinese(bilingual: Library) -> None:
    ui = StudioUI(Studio(bilingual, lang="zh-CN"))
    assert "共4个案例，符合条件的4个" in ui.count.value
    assert ui.save_button.description == "保存配置"
    assert ui.facets["risk_post"].options[0] == ("（全部）", "")
    # The library's text in Chinese: the results, the case preview, the themes.
    assert [label.split("（")[0].split(" (")[0] for label, _ in ui.results.options] == [
        "工程老板买单的宴请",
        "月饼盒里的购物卡",
        "新任干部的一堂廉政教育课",
        "春节收受红包礼金案",
    ]
    assert "工程老板买单的宴请" in ui.case_preview.value and "Road Contractor" not in ui.case_preview.value
    assert ("慎独慎微", "sample-theme") in ui.theme.options
    ui.keyword.value = "lzjy"
    assert [value for _, value in ui.results.options] == ["banquet-road-works", "integrity-lesson"]


# The notebook, and a real build of a saved spec


def widget_states(notebook: Any) -> dict[str, dict[str, Any]]:
    """The saved state of each studio widget in an executed notebook, by its ``lz-`` class."""
    states = notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    return {
        name: model["state"]
        for model in states.values()
        for name in model["state"].get("_dom_classes", ())
        if name.startswith("lz-")
    }


@pytest.mark.slow
def test_studio_notebook_runs_under_papermill(tmp_path: Path, bundled: Library) -> None:
    import papermill

    source = notebooks_dir() / "studio.ipynb"
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(str(source), str(out), cwd=str(tmp_path), progress_bar=False, kernel_name="python3")
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    assert not [o for o in outputs if o.get("output_type") == "error"]
    states = widget_states(nb)
    assert states["lz-count"]["value"] == f"<b>{len(bundled.cases)} of {len(bundled.cases)} cases</b>"
    assert len(states["lz-results"]["_options_labels"]) == len(bundled.cases)
    # Reopening a saved spec through the parameters restores its picks and audience.
    studio = Studio(bundled, audience="retired")
    studio.add(bundled.cases[3].id)
    spec = studio.save(tmp_path / "saved.yaml")
    papermill.execute_notebook(
        str(source), str(out), parameters={"spec": str(spec)}, cwd=str(tmp_path), progress_bar=False
    )
    states = widget_states(nbformat.read(out, as_version=4))
    assert states["lz-picks"]["_options_labels"] == [f"1. {studio.label(bundled.cases[3].id)}"]
    assert states["lz-status"]["value"] == f"Opened {spec}"
    retired = bundled.taxonomy.label("audiences", "retired")
    assert states["lz-session-audience"]["_options_labels"][states["lz-session-audience"]["index"]] == retired


@pytest.mark.slow
def test_lianzheng_build_accepts_the_saved_spec_unchanged(bundled: Library, tmp_path: Path) -> None:
    studio = Studio(bundled, audience="families", formats=["html"], date="2026-12-01")
    picked = [bundled.cases[7].id, bundled.cases[0].id]
    for case_id in picked:
        studio.add(case_id)
    spec = studio.save(tmp_path / "session.yaml")
    run = subprocess.run(
        [sys.executable, "-m", "toolkit.cli", "build", str(spec), "--quiet", "--jobs", "2"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    manifest = json.loads((tmp_path / "handouts" / "manifest.json").read_text(encoding="utf-8"))
    casebooks = [job for job in manifest["jobs"] if job["document"] == "casebook"]
    assert {job["status"] for job in manifest["jobs"]} == {"built"}
    assert all(job["parameters"]["picks"] == ",".join(picked) for job in casebooks)
    html = (tmp_path / "handouts" / "families" / "casebook.html").read_text(encoding="utf-8")
    first, second = (html.index(f'id="case-{case_id}"') for case_id in picked)
    assert first < second and html.count('class="lz-case"') == 2


@pytest.mark.slow
def test_build_button_shows_progress_and_links(
    bundled: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    # The build runs in a child process started afresh: the kernel's own build code is never called.
    import toolkit.batch
    import toolkit.batch.builder

    def not_here(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the build ran in the kernel's process")

    monkeypatch.setattr(toolkit.batch, "build", not_here)
    monkeypatch.setattr(toolkit.batch.builder, "build", not_here)
    studio = Studio(bundled, audience="retired", documents=["outline"], formats=["html"], date="2026-12-01")
    ui = StudioUI(studio, tmp_path / "session.yaml")
    shown_status: list[str] = []
    ui.status.observe(lambda change: shown_status.append(change["new"]), names="value")
    report = ui.build()
    assert report is not None and report.counts() == {"built": 1, "cached": 0, "failed": 0}
    assert "Building 1 handout" in " ".join(shown_status), "the plan reached the page while building"
    assert ui.progress.value == ui.progress.max == 1
    assert "1 built, 0 unchanged, 0 failed" in ui.status.value
    assert (tmp_path / "handouts" / "retired" / "outline.html").is_file()
    shown = json.dumps(ui.links.outputs)
    assert 'href=\\"handouts/index.html\\"' in shown and 'href=\\"handouts/retired/outline.html\\"' in shown
    again = ui.build()
    assert again.counts() == {"built": 0, "cached": 1, "failed": 0}
    # Each finished job reaches the caller as it finishes; a problem in the child is one line on the page.
    seen: list[Any] = []
    studio.documents = ["outline", "quiz"]
    report = studio.build(tmp_path / "session.yaml", on_plan=lambda *counts: seen.append(counts), on_job=seen.append)
    assert seen[0] == (2, 1) and sorted(result.job.id for result in seen[1:]) == ["retired/quiz", "retired/quiz-key"]
    assert report.counts() == {"built": 2, "cached": 1, "failed": 0}
    (tmp_path / "blocked").write_text("a file where the output folder would go", encoding="utf-8")
    studio.out = "blocked"
    assert ui.build() is None and "lz-problem" in ui.status.value and "blocked" in ui.status.value
