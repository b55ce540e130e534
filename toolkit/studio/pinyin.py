"""Pinyin for the studio's search: many trainers type ``lianzheng``, ``lian zheng`` or ``lzjy`` for 廉政教育.

A :class:`Speller` is made once per studio from the characters of its library's text; it spells each
search row's Chinese text once, when the studio opens, into two strings: its full pinyin and its
initials. A polyphonic character is spelled by its first and second reading in pypinyin's heteronym
mode, the readings of words in pypinyin's phrase dictionary (行 as xing and hang, 长 as zhang and
chang; not 他 as tuo, a reading no common word uses); the text is spelled once by each character's
first reading, then the runs that read differently by their second. A keystroke is then still a scan
of strings: a word is looked for in the full pinyin if it has a vowel (every full syllable has one),
in the initials if it has no i, u or ü (no syllable starts with one)::

    >>> speller = Speller.of(["廉政教育，银行"])
    >>> spelled, initials = speller.spell("廉政教育，银行")
    >>> [form in spelled for form in ("lianzhengjiaoyu", "yinhang", "yinxing", "jiaoyuyin")], "lzjy" in initials
    ([True, True, True, False], True)
    >>> readings("行"), readings("他"), readings("绿")
    (('xing', 'hang', 'heng'), ('ta',), ('lv', 'lu'))
    >>> speller.forms("廉政jy"), speller.forms("lzjy"), speller.forms("lianzheng"), speller.forms("gift2")
    (('lianzhengjy', 'lzjy'), ('', 'lzjy'), ('lianzheng', ''), ('', ''))

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
VOWELS = frozenset("aeiouv")
NOT_INITIALS = frozenset("iuv")
READINGS = 2  # the readings of a polyphonic character that are spelled: 行 as xing and hang, 长 as zhang and chang


@cache
def readings(char: str) -> tuple[str, ...]:
    """A character's readings without tones, the most common first: its first reading in pypinyin's
    heteronym mode, then the others that a word of pypinyin's phrase dictionary uses; none for a
    character pypinyin does not know."""
    from pypinyin import Style, pinyin

    found = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
    if not found:
        return ()
    first, *others = found[0]
    used = in_words().get(char, frozenset())
    return (first, *(reading for reading in others if reading in used))


@cache
def in_words() -> dict[str, frozenset[str]]:
    """The readings (without tones) each character has in the words of pypinyin's phrase dictionary."""
    from pypinyin.contrib.tone_convert import to_normal
    from pypinyin.phrases_dict import phrases_dict

    found: dict[str, set[str]] = {}
    for phrase, spelled in phrases_dict.items():
        for char, options in zip(phrase, spelled, strict=False):
            found.setdefault(char, set()).update(options)
    return {char: frozenset(to_normal(reading) for reading in marked) for char, marked in found.items()}


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

    def spell(self, text: str) -> tuple[str, str]:
        """The full pinyin and the initials of ``text``'s Chinese characters, each reading rank's spelling on
        a line of its own ("" for none)."""
        runs = "\n".join(HAN.findall(text))
        return _variants(runs, self.syllables), _variants(runs, self.initials)

    def forms(self, word: str) -> tuple[str, str]:
        """What a normalized query word is looked for as in :meth:`spell`'s strings, its Chinese characters
        spelled too (``廉政jy``): its full spelling, and its initials ("" where it cannot be one, and
        both for a word that is not pinyin)."""
        if not PINYIN_WORD.fullmatch(word):
            return "", ""
        typed = word.replace("'", "").replace("ü", "v")
        full, initials = typed.translate(self.syllables[0]), typed.translate(self.initials[0])
        return (full if VOWELS & set(full) else ""), ("" if NOT_INITIALS & set(initials) else initials)


def _variants(runs: str, tables: tuple[dict[int, str], ...]) -> str:
    """The runs (a line each) spelled by the first table, then those that read differently by each other table."""
    first = runs.translate(tables[0])
    usual = first.split("\n")
    others = [
        other
        for table in tables[1:]
        for other, same in zip(runs.translate(table).split("\n"), usual, strict=True)
        if other != same
    ]
    return "\n".join((first, *others)) if others else first
