"""The message catalog: every fixed phrase of a document, in each supported language.

Phrases live in ``toolkit/locales/<lang>.yaml`` as flat ``key: text`` pairs with ``{name}``
placeholders. Every language has the same keys and placeholders (a test keeps them in step), so a
Chinese handout takes exactly the code path of an English one.

Dates, periods and amounts are written as each language's documents write them (:meth:`Catalog.date`,
:meth:`Catalog.period`, :meth:`Catalog.amount`): English keeps ISO dates and CNY with thousands
separators; Chinese writes 2026年12月1日, 2022年5月至2023年6月 and amounts in 元, 万元 or 亿元.

>>> t = catalog("zh-CN")
>>> t("cover.date", date=t.date("2026-12-01"))
'日期：2026年12月1日'
"""

from __future__ import annotations

import re
import string
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from importlib import resources

import yaml

from toolkit.errors import ParameterError

LANGUAGES: tuple[str, ...] = ("en", "zh-CN")

_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")
_WAN = 10_000
_YI = 100_000_000


def _chinese(lang: str) -> bool:
    return lang.startswith("zh")


def format_date(value: str, lang: str) -> str:
    """A date written ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` as ``lang``'s documents write it.

    English keeps the ISO form; Chinese writes the year, month and day with their characters and no
    leading zeros. Anything else (an empty date, free text) is returned as it is.

    >>> format_date("2026-12-02", "zh-CN"), format_date("2022-05", "zh-CN"), format_date("2022", "zh-CN")
    ('2026年12月2日', '2022年5月', '2022年')
    >>> format_date("2026-12-02", "en"), format_date("", "zh-CN"), format_date("spring", "zh-CN")
    ('2026-12-02', '', 'spring')
    """
    match = _DATE.fullmatch(value.strip()) if _chinese(lang) else None
    if not match:
        return value
    year, month, day = match.groups()
    text = f"{int(year)}年"
    if month:
        text += f"{int(month)}月"
    if day:
        text += f"{int(day)}日"
    return text


def _trimmed(value: Decimal) -> str:
    """At most two decimals, rounded half up, trailing zeros and a bare point dropped."""
    text = f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_amount(value: int, lang: str) -> str:
    """A sum in yuan as ``lang``'s documents write it, with its unit in Chinese and without in English.

    Chinese, as case notices write sums: under 10,000 in 元 as a plain number (8000元); from 10,000 in
    万元 and from 100,000,000 in 亿元, with at most two decimals, rounded half up, trailing zeros
    dropped (1.5万元, 12.35万元, 1460万元, 3.5亿元). A sum that rounds up to 10,000万 is written 1亿元.
    English writes the number with thousands separators (the catalog's phrase adds CNY).

    >>> [format_amount(v, "zh-CN") for v in (0, 8000, 9999, 10000, 15000, 23000, 123456)]
    ['0元', '8000元', '9999元', '1万元', '1.5万元', '2.3万元', '12.35万元']
    >>> [format_amount(v, "zh-CN") for v in (14_600_000, 99_999_999, 100_000_000, 350_000_000, 123_456_789)]
    ['1460万元', '1亿元', '1亿元', '3.5亿元', '1.23亿元']
    >>> format_amount(1_380_000, "en")
    '1,380,000'
    """
    if not _chinese(lang):
        return f"{value:,}"
    if value < _WAN:
        return f"{value}元"
    wan = Decimal(value) / _WAN
    if value < _YI and wan.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) < _WAN:
        return f"{_trimmed(wan)}万元"
    return f"{_trimmed(Decimal(value) / _YI)}亿元"


class Catalog:
    """The phrases of one language; call it with a key and the placeholder values."""

    def __init__(self, lang: str, messages: dict[str, str]) -> None:
        self.lang = lang
        self.messages = messages

    def __call__(self, key: str, /, **values: object) -> str:
        text = self.messages[key]
        return text.format(**values) if values else text

    def __contains__(self, key: str) -> bool:
        return key in self.messages

    def date(self, value: str) -> str:
        """A date (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) in this language's form: :func:`format_date`."""
        return format_date(value, self.lang)

    def period(self, start: str, end: str | None = None) -> str:
        """From ``start`` to ``end`` (partial dates), joined by the catalog's ``punct.range``.

        Chinese leaves out the end's year when both ends fall in the same year.

        >>> t = catalog("zh-CN")
        >>> t.period("2022-05", "2023-06"), t.period("2022-05", "2022-11"), t.period("2021")
        ('2022年5月至2023年6月', '2022年5月至11月', '2021年')
        >>> catalog("en").period("2022-05", "2023-06")
        '2022-05 – 2023-06'
        """
        t = self
        if not end:
            return t.date(start)
        last = self.date(end)
        if _chinese(self.lang) and start[:4] == end[:4] and len(end) > 4 and _DATE.fullmatch(end):
            last = last.removeprefix(f"{int(end[:4])}年")
        return t("punct.range", start=t.date(start), end=last)

    def amount(self, value: int) -> str:
        """A sum in yuan in this language's form: :func:`format_amount`."""
        return format_amount(value, self.lang)

    def placeholders(self, key: str) -> set[str]:
        """The ``{name}`` placeholders of a phrase."""
        return {name for _, name, _, _ in string.Formatter().parse(self.messages[key]) if name}


@cache
def catalog(lang: str) -> Catalog:
    """The catalog of ``lang``; an unknown language is a :class:`ParameterError` naming the valid ones."""
    if lang not in LANGUAGES:
        raise ParameterError(f"unknown language '{lang}'; valid: {', '.join(LANGUAGES)}", "lang")
    text = resources.files("toolkit").joinpath("locales", f"{lang}.yaml").read_text(encoding="utf-8")
    messages = yaml.safe_load(text)
    return Catalog(lang, {str(key): str(value) for key, value in messages.items()})
