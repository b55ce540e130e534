"""The loaded library: typed records, lookups by id, and pandas views for querying."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.errors import LanguageError
from toolkit.library.model import Case, Message, Prompt, Question, Taxonomy, Theme

if TYPE_CHECKING:  # pandas is imported on first use of a frame, not with the package
    import pandas as pd


@dataclass(frozen=True, eq=False)
class Library:
    """A validated library. Entries keep the order of their files (sorted by path).

    ``version`` is a content hash of every file read: the same files give the same version, and
    handouts print it as their provenance.

    The entries are those of one ``language`` (by default the library's first); ``texts`` holds every
    language's, and :meth:`in_language` gives the same library in another language: the same entries
    with the same facts, their text in that language.
    """

    root: Path
    taxonomy: Taxonomy
    version: str
    cases: tuple[Case, ...] = ()
    themes: tuple[Theme, ...] = ()
    questions: tuple[Question, ...] = ()
    prompts: tuple[Prompt, ...] = ()
    messages: tuple[Message, ...] = ()
    language: str = ""
    texts: Mapping[str, Mapping[str, tuple[object, ...]]] = field(default_factory=dict, repr=False)

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages the library has its text in (those its taxonomy declares)."""
        return tuple(self.taxonomy.languages)

    def in_language(self, lang: str) -> Library:
        """The library with its text in ``lang``; :class:`LanguageError` when it has none in ``lang``.

        >>> from toolkit import bundled_library, load_library
        >>> library = load_library(bundled_library())
        >>> zh = library.in_language("zh-CN")
        >>> [case.id for case in zh.cases] == [case.id for case in library.cases], zh.cases[0].lang
        (True, 'zh-CN')
        """
        if lang == self.language or (not self.texts and lang in self.languages):
            return self
        if lang not in self.languages or lang not in self.texts:
            raise LanguageError(str(self.root), lang, self.languages)
        return self._views[lang]

    @cached_property
    def _views(self) -> dict[str, Library]:
        return {
            lang: Library(
                root=self.root,
                taxonomy=self.taxonomy,
                version=self.version,
                language=lang,
                texts=self.texts,
                **{kind: tuple(records) for kind, records in by_kind.items()},  # type: ignore[arg-type]
            )
            for lang, by_kind in self.texts.items()
        }

    @cached_property
    def _by_id(self) -> dict[str, dict[str, object]]:
        return {
            name: {entry.id: entry for entry in getattr(self, name)}
            for name in ("cases", "themes", "questions", "prompts", "messages")
        }

    def case(self, case_id: str) -> Case:
        """The case with this id; ``KeyError`` names the id when there is none."""
        return self._by_id["cases"][case_id]  # type: ignore[return-value]

    def theme(self, theme_id: str) -> Theme:
        return self._by_id["themes"][theme_id]  # type: ignore[return-value]

    def question(self, question_id: str) -> Question:
        return self._by_id["questions"][question_id]  # type: ignore[return-value]

    def cases_frame(self) -> pd.DataFrame:
        """One row per case: id, title, kind, date, rank level, total amount, tag lists, path.

        >>> from toolkit import bundled_library, load_library
        >>> library = load_library(bundled_library())
        >>> frame = library.cases_frame()
        >>> retired = frame[frame.audiences.apply(lambda a: "retired" in a)]
        >>> set(retired.id) == {case.id for case in library.cases if "retired" in case.audiences}
        True
        """
        import pandas as pd

        rows = [
            {
                "id": case.id,
                "title": case.title,
                "kind": case.kind,
                "date": case.date,
                "lang": case.lang,
                "rank_level": case.subject.rank_level,
                "amount_cny": sum(amount.value_cny for amount in case.amounts),
                "four_forms": case.outcome.four_forms if case.outcome else None,
                "audiences": list(case.audiences),
                "disciplines": case.discipline_ids,
                "types": case.type_ids,
                "risk_posts": list(case.risk_posts),
                "occasions": list(case.occasions),
                "path": case.origin.path,
            }
            for case in self.cases
        ]
        columns = [
            "id",
            "title",
            "kind",
            "date",
            "lang",
            "rank_level",
            "amount_cny",
            "four_forms",
            "audiences",
            "disciplines",
            "types",
            "risk_posts",
            "occasions",
            "path",
        ]
        return pd.DataFrame(rows, columns=columns)

    def tags_frame(self) -> pd.DataFrame:
        """One row per (case, facet, term): the long form for counting and cross-tabulating.

        Facets are ``audience``, ``discipline``, ``type``, ``risk_post``, ``occasion``.

        >>> from toolkit import bundled_library, load_library
        >>> tags = load_library(bundled_library()).tags_frame()
        >>> sorted(tags.facet.unique())
        ['audience', 'discipline', 'occasion', 'risk_post', 'type']
        """
        import pandas as pd

        facets = (
            ("audience", lambda c: c.audiences),
            ("discipline", lambda c: c.discipline_ids),
            ("type", lambda c: c.type_ids),
            ("risk_post", lambda c: c.risk_posts),
            ("occasion", lambda c: c.occasions),
        )
        rows = [
            (case.id, case.kind, facet, term) for case in self.cases for facet, terms in facets for term in terms(case)
        ]
        return pd.DataFrame(rows, columns=["case", "kind", "facet", "term"])
