"""The message catalogs: every language in step with English, every key used, every used key present."""

from __future__ import annotations

import re
import string
from importlib import resources
from pathlib import Path

import pytest

import toolkit
from toolkit.documents import DOCUMENTS
from toolkit.documents.common import case_facts
from toolkit.documents.items import ITEM_TYPES, catalog_keys
from toolkit.documents.outline import PARTS
from toolkit.documents.params import PRINT_SIZES
from toolkit.errors import ParameterError
from toolkit.i18n import LANGUAGES, Catalog, catalog, format_amount, format_date
from toolkit.library.catalog import Library

PACKAGE = Path(toolkit.__file__).parent
TEMPLATES = PACKAGE / "render" / "templates"

# t("key", ...) with a plain literal key, in templates and code; Reason.of("key", ...) stores a key
# that common.reason_text later looks up with t(reason.key, ...).
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([A-Za-z0-9_.-]+)["']\s*[,)]""")
REASON_KEY = re.compile(r"""\bReason\.of\(\s*["']([A-Za-z0-9_.-]+)["']\s*[,)]""")
# Keys built at run time: t(f"outline.part.{part_id}") in code, t("document." ~ entry.document) in templates.
FSTRING_KEY = re.compile(r"""\bt\(\s*f(?:"([^"]+)"|'([^']+)')""")
CONCAT_KEY = re.compile(r"""\bt\(\s*["']([A-Za-z0-9_.-]+)["']\s*~""")
# Every call of the catalog; each must be one of the forms above or a known dynamic key.
ANY_CALL = re.compile(r"""\bt\(""")
# documents/common.py: reason_text, keys from Reason.of; widgets/worksheet.py: keys an item type's row names.
DYNAMIC_CALL = re.compile(r"""\bt\((?:reason\.key|kind\.\w+|choice\.label)\b""")

# Each key built at run time (f-string in code, "prefix." ~ value in templates), and its expansions.
EDITIONS = {f"edition.{edition}" for kind in DOCUMENTS.values() for edition in kind.editions}
EXPANSIONS: dict[str, set[str]] = {
    "edition.{params['edition']}": EDITIONS,
    "outline.part.{part_id}": {f"outline.part.{part_id}" for part_id, _, _ in PARTS},
    "outline.notes.{part_id}": {f"outline.notes.{part_id}" for part_id, _, _ in PARTS},
    "worksheet.table.{kind}": {f"worksheet.table.{kind}" for kind in ("problem", "cause", "measure")},
    "learner.{self.document.cover.document}_instructions": {
        f"learner.{name}_instructions" for name, kind in DOCUMENTS.items() if kind.interactive
    },
    # the studio's document list and preview tabs (studio/widgets.py)
    "document.{name}": {f"document.{name}" for name in DOCUMENTS},
    # the build index page (render/templates/index.html.j2)
    "document.": {f"document.{name}" for name in DOCUMENTS},
    "edition.": EDITIONS,
    "index.status.": {f"index.status.{status}" for status in ("built", "cached", "failed")},
    "print_size.": {f"print_size.{size}" for size in PRINT_SIZES},
    # the colophon's parameters in words (documents/common.py parameters_in_words)
    "language.{params['lang']}": {f"language.{lang}" for lang in LANGUAGES},
    "print_size.{value}": {f"print_size.{size}" for size in PRINT_SIZES},
    "param.{name}": {
        f"param.{param.name}"
        for kind in DOCUMENTS.values()
        if kind.handout
        for param in kind.params
        if param.name != "library"
    },
}

# The keys the item registry's rows name (their labels, parts, hints and choices).
ITEM_KEYS = {key for kind in ITEM_TYPES.values() for key in catalog_keys(kind)}

# Keys no code uses yet: slides.title is used by the slide deck being written in toolkit/render/slides.py.
NOT_YET_USED = {"slides.title"}


def _sources() -> list[Path]:
    return sorted(TEMPLATES.glob("*.j2")) + sorted(PACKAGE.rglob("*.py"))


def _literal_keys() -> set[str]:
    keys: set[str] = set()
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        keys |= set(LITERAL_KEY.findall(text))
        if path.suffix == ".py":
            keys |= set(REASON_KEY.findall(text))
    return keys


def _built_keys() -> set[str]:
    keys: set[str] = set()
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".py":
            keys |= {"".join(groups) for groups in FSTRING_KEY.findall(text)}
        else:
            keys |= set(CONCAT_KEY.findall(text))
    return keys


# The contest's pages take their phrases in the page (contest/pages/contest.js calls its own t("...")),
# some built from a round's or a page's name.
CONTEST_SCRIPT = PACKAGE / "contest" / "pages" / "contest.js"
CONTEST_BUILT = {
    f"contest.{prefix}.{name}"
    for prefix, names in (
        ("round", ("required", "buzzer", "risk")),
        ("rule", ("required", "buzzer", "risk")),
        ("plan", ("required", "buzzer", "risk")),
        ("page", ("console", "projector", "team", "denied")),
    )
    for name in names
}


def _contest_keys() -> set[str]:
    return set(LITERAL_KEY.findall(CONTEST_SCRIPT.read_text(encoding="utf-8"))) | CONTEST_BUILT


def _used_keys() -> set[str]:
    keys = _literal_keys() | ITEM_KEYS | _contest_keys()
    for expanded in EXPANSIONS.values():
        keys |= expanded
    return keys


@pytest.fixture(scope="module")
def en() -> Catalog:
    return catalog("en")


def test_english_and_chinese_are_supported() -> None:
    assert LANGUAGES[0] == "en"
    assert "zh-CN" in LANGUAGES


@pytest.mark.parametrize("lang", LANGUAGES)
def test_same_keys_in_same_order(lang: str, en: Catalog) -> None:
    assert list(catalog(lang).messages) == list(en.messages)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_same_placeholders(lang: str, en: Catalog) -> None:
    t = catalog(lang)
    differ = {key: (en.placeholders(key), t.placeholders(key)) for key in en.messages if key in t}
    assert {key: pair for key, pair in differ.items() if pair[0] != pair[1]} == {}


# The space English puts between two pieces of text and Chinese leaves out: blank on purpose.
BLANK_ON_PURPOSE = {"punct.space"}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_empty_value(lang: str) -> None:
    blank = {key for key, text in catalog(lang).messages.items() if not text.strip()}
    assert blank - BLANK_ON_PURPOSE == set()
    assert catalog("en")("punct.space") == " "


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_value_is_double_quoted(lang: str) -> None:
    text = resources.files("toolkit").joinpath("locales", f"{lang}.yaml").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    assert [line for line in lines if not re.fullmatch(r'[A-Za-z0-9_.-]+: ".*"', line)] == []
    assert text.startswith("# ") and "Keys and {placeholders} match" in text.splitlines()[0]


def test_scan_finds_the_keys_it_should() -> None:
    # Guards the scan itself: a regex that matched nothing would make the next tests pass vacuously.
    literal = _literal_keys()
    assert {"cover.date", "casebook.rules", "quiz.true", "reason.fill", "worksheet.signature"} <= literal


def test_every_built_key_has_its_expansions_listed() -> None:
    assert _built_keys() == set(EXPANSIONS)


def test_every_call_has_a_key_the_scan_understands() -> None:
    # A key built some other way would be missed by the checks below: make such a call fail here.
    forms = (LITERAL_KEY, FSTRING_KEY, CONCAT_KEY, DYNAMIC_CALL)
    unknown = []
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        for call in ANY_CALL.finditer(text):
            if not any(form.match(text, call.start()) for form in forms):
                line = text.count("\n", 0, call.start()) + 1
                unknown.append(f"{path.relative_to(PACKAGE)}:{line}: {text[call.start() : call.start() + 40]}")
    assert unknown == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_used_key_exists(lang: str) -> None:
    t = catalog(lang)
    assert sorted(key for key in _used_keys() if key not in t) == []


def test_every_key_is_used(en: Catalog) -> None:
    assert set(en.messages) >= NOT_YET_USED, "stale exemption"
    assert sorted(set(en.messages) - _used_keys() - NOT_YET_USED) == []


def test_unknown_language_names_the_valid_ones() -> None:
    with pytest.raises(ParameterError) as info:
        catalog("fr")
    message = str(info.value)
    assert "fr" in message
    for lang in LANGUAGES:
        assert lang in message
    assert info.value.name == "lang"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_phrase_formats(lang: str) -> None:
    t = catalog(lang)
    for key in t.messages:
        values = {name: f"<{name}>" for name in t.placeholders(key)}
        text = t(key, **values)
        for value in values.values():
            assert value in text, key
        assert "{" not in text and "}" not in text, key


def test_chinese_phrases() -> None:
    t = catalog("zh-CN")
    assert t("cover.date", date=t.date("2026-12-01")) == "日期：2026年12月1日"
    assert t("case.amount", kind="受贿", amount=t("case.amount_value", value=t.amount(186_000))) == "受贿18.6万元"
    assert t("case.approximately", amount=t("case.amount_value", value=t.amount(2000))) == "约2000元"
    assert t.period("2022-05", "2023-06") == "2022年5月至2023年6月"
    assert t("quiz.group", type="判断题", count=5) == "判断题（共5题）"
    assert t("outline.timing", minutes=45) == "时间安排（共45分钟）"


def test_chinese_true_false_matches_the_instructions() -> None:
    t = catalog("zh-CN")
    instructions = t("quiz.instructions", count=20)
    assert f"“{t('quiz.true')}”" in instructions
    assert f"“{t('quiz.false')}”" in instructions


def test_chinese_uses_full_width_punctuation() -> None:
    t = catalog("zh-CN")
    half_width = re.compile(r"[,.:;?!()]")
    bad = {key: text for key, text in t.messages.items() if half_width.search(_without_placeholders(text))}
    assert bad == {}


def _without_placeholders(text: str) -> str:
    return "".join(literal for literal, *_ in string.Formatter().parse(text))


# --- dates, periods and sums in each language's form --------------------------------------------


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [
        (0, "0元", "0"),
        (800, "800元", "800"),
        (9_999, "9999元", "9,999"),
        (10_000, "1万元", "10,000"),
        (15_000, "1.5万元", "15,000"),
        (23_000, "2.3万元", "23,000"),
        (123_456, "12.35万元", "123,456"),
        (123_449, "12.34万元", "123,449"),
        (99_995, "10万元", "99,995"),
        (14_600_000, "1460万元", "14,600,000"),
        (99_994_999, "9999.5万元", "99,994,999"),
        (99_999_999, "1亿元", "99,999,999"),
        (100_000_000, "1亿元", "100,000,000"),
        (350_000_000, "3.5亿元", "350,000,000"),
        (1_234_567_890, "12.35亿元", "1,234,567,890"),
    ],
)
def test_sums(value: int, zh: str, en: str) -> None:
    assert format_amount(value, "zh-CN") == zh
    assert format_amount(value, "en") == en


@pytest.mark.parametrize(
    ("value", "zh"),
    [
        ("2026-12-02", "2026年12月2日"),
        ("2026-01-09", "2026年1月9日"),
        ("2022-05", "2022年5月"),
        ("2022", "2022年"),
        ("", ""),
        ("late 2022", "late 2022"),
    ],
)
def test_dates(value: str, zh: str) -> None:
    assert format_date(value, "zh-CN") == zh
    assert format_date(value, "en") == value


def test_periods() -> None:
    zh, en = catalog("zh-CN"), catalog("en")
    assert zh.period("2022-05", "2023-06") == "2022年5月至2023年6月"
    assert zh.period("2022-05", "2022-11") == "2022年5月至11月"
    assert zh.period("2022-05-03", "2022-05-20") == "2022年5月3日至5月20日"
    assert zh.period("2020", "2022") == "2020年至2022年"
    assert zh.period("2021-03") == zh.period("2021-03", None) == "2021年3月"
    assert en.period("2022-05", "2023-06") == "2022-05 – 2023-06"
    assert en.period("2021-03") == "2021-03"


def test_case_facts_write_sums_and_periods_as_each_language_does(bundled: Library) -> None:
    case = next(case for case in bundled.cases if case.amounts and case.period and case.period.end)
    tax = bundled.taxonomy
    for lang in LANGUAGES:
        t = catalog(lang)
        facts = dict(case_facts(case, tax, t))
        first = case.amounts[0]
        sum_text = t("case.amount_value", value=t.amount(first.value_cny))
        if first.approximate:
            sum_text = t("case.approximately", amount=sum_text)
        assert (
            t("case.amount", kind=tax.label("amount_kinds", first.kind, lang), amount=sum_text)
            in facts[t("case.amounts")]
        )
        assert facts[t("case.period")] == t.period(case.period.start, case.period.end)
    zh = dict(case_facts(case, tax, catalog("zh-CN")))
    assert re.search(r"\d年\d{1,2}月至", zh["起止时间"]) and re.search(r"[万亿]?元", zh["涉及金额"])
    assert " " not in zh["涉及金额"]
