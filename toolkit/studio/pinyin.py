"""Pinyin for the studio's search: many trainers type ``lianzheng``, ``lian zheng`` or ``lzjy`` for 廉政教育.

A :class:`Speller` is made once per studio from the characters of its library's text; it spells each
search row's Chinese text once, when the studio opens, into one string holding every spelling the
search accepts (full pinyin and initials, each with a polyphonic character's first and second reading
as pypinyin's heteronym mode gives them), so a keystroke is still a scan of strings::

    >>> speller = Speller.of(["廉政教育，银行"])
    >>> spelled = speller.spell("廉政教育，银行")
    >>> [form in spelled for form in ("lianzhengjiaoyu", "lzjy", "yinhang", "yinxing", "jiaoyuyin")]
    [True, True, True, True, False]
    >>> speller.forms("廉政jy"), speller.forms("gift2"), speller.forms("红包")
    (('lianzhengjy', 'lzjy'), (), ())

Runs of Chinese characters are spelled apart (punctuation and other text end a run), so a query
matches inside a run only. A query whose polyphonic characters need different readings (the first for
one, the second for another) is not found by its pinyin; its characters still are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

# CJK unified ideographs, extension A and the compatibility block: what pypinyin has readings for.
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
# A query word spelled in pinyin: letters (ü typed as v or ü), apostrophes (xi'an), Chinese characters.
PINYIN_WORD = re.compile(
    r"[a-zü'\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]*[a-zü][a-zü'\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]*"
)
READINGS = 2  # the readings of a polyphonic character that are spelled: 行 as xing and hang, 长 as zhang and chang


@cache
def readings(char: str) -> tuple[str, ...]:
    """A character's readings without tones, the most common first (``绿`` -> ``('lv', 'lu')``); none for
    a character pypinyin does not know."""
    from pypinyin import Style, pinyin

    found = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
    return tuple(found[0]) if found else ()


@dataclass(frozen=True)
class Speller:
    """Spells Chinese text in pinyin: one translation table per reading rank, for full syllables and for initials."""

    syllables: tuple[dict[int, str], ...]
    initials: tuple[dict[int, str], ...]

    @classmethod
    def of(cls, texts: Iterable[str]) -> Speller:
        """A speller for the Chinese characters of ``texts``."""
        chars = set("".join(run for text in texts for run in HAN.findall(text)))
        known = {char: found for char in sorted(chars) if (found := readings(char))}
        syllables = tuple(
            {ord(char): found[min(rank, len(found) - 1)] for char, found in known.items()} for rank in range(READINGS)
        )
        initials = tuple({code: spelled[0] for code, spelled in table.items()} for table in syllables)
        return cls(syllables, initials)

    def spell(self, text: str) -> str:
        """Every spelling of ``text``'s Chinese characters the search accepts, one per line ("" for none)."""
        runs = "\n".join(HAN.findall(text))
        if not runs:
            return ""
        spelled: list[str] = []
        for table in (*self.syllables, *self.initials):
            variant = runs.translate(table)
            if variant not in spelled:
                spelled.append(variant)
        return "\n".join(spelled)

    def forms(self, word: str) -> tuple[str, ...]:
        """What a normalized query word is looked for as in :meth:`spell`'s text: its full spelling and its
        initials, its Chinese characters spelled too (``廉政jy``); none for a word that is not pinyin."""
        if not PINYIN_WORD.fullmatch(word):
            return ()
        typed = word.replace("'", "").replace("ü", "v")
        return tuple(dict.fromkeys((typed.translate(self.syllables[0]), typed.translate(self.initials[0]))))
