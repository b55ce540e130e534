"""The message catalog: every fixed phrase of a document, in each supported language.

Phrases live in ``toolkit/locales/<lang>.yaml`` as flat ``key: text`` pairs with ``{name}``
placeholders. Every language has the same keys and placeholders (a test keeps them in step), so a
Chinese handout takes exactly the code path of an English one.

>>> t = catalog("zh-CN")
>>> t("cover.date", date="2026-12-01")
'日期：2026-12-01'
"""

from __future__ import annotations

import string
from functools import cache
from importlib import resources

import yaml

from toolkit.errors import ParameterError

LANGUAGES: tuple[str, ...] = ("en", "zh-CN")


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
