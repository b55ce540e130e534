"""Printed papers of the pre-appointment test, for a sitting without computers: one PDF per candidate's
paper and one PDF key per paper (``lianzheng test-papers``).

Each paper is the one :func:`toolkit.responses.pretest.draw` gives the candidate's first attempt in the
named session, laid out by the quiz's Typst template (``render/typst/quiz.typ``): the learner edition
for the paper, the key edition (each answer with its explanation and rule) for the key. The same
library, session, seed, candidates and date give the same bytes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import OutputError
from toolkit.fileio import staged
from toolkit.i18n import catalog
from toolkit.library.catalog import Library
from toolkit.responses.pretest import Pretest, check_pretest, draw, paper_document, paper_seed
from toolkit.responses.store import check_id

NUMBERED = "paper-{number:03d}"  # a candidate's id when papers are counted, not named


@dataclass(frozen=True)
class Printed:
    """One candidate's paper and its key, as written."""

    learner: str
    paper: Path
    key: Path
    questions: tuple[str, ...]


def numbered(count: int) -> list[tuple[str, str]]:
    """``count`` unnamed candidates: ``paper-001``, ``paper-002``..."""
    return [(NUMBERED.format(number=n), "") for n in range(1, count + 1)]


def write_papers(
    library: Library,
    candidates: Sequence[tuple[str, str]],
    out: Path,
    *,
    audience: str,
    lang: str = "en",
    questions: int = 40,
    session: str = "print",
    seed: int = 1,
    date: str = "",
    unit: str = "",
) -> list[Printed]:
    """Write ``<id>.pdf`` and ``<id>.key.pdf`` in ``out`` for each (id, name) of ``candidates``."""
    from toolkit.render.pdf import to_pdf

    check_pretest(Pretest(session, audience, lang, questions, attempts=1, seed=seed), library)
    for learner, _ in candidates:
        check_id(learner, "learner")  # a file name as well: letters, digits, '.', '_', '@', '-'
    if out.exists() and not out.is_dir():
        raise OutputError(out, "is not a folder; give the folder the papers go to")
    out.mkdir(parents=True, exist_ok=True)
    date = date or dt.date.today().isoformat()
    t = catalog(lang)
    printed = []
    for learner, name in candidates:
        drawn = draw(library, audience, questions, session=session, learner=learner, attempt=1, seed=seed)
        option_seed = paper_seed(session, seed, learner, 1)
        who = t("test.who", name=name, id=learner) if name else learner
        documents = [
            paper_document(
                library,
                drawn,
                audience=audience,
                lang=lang,
                option_seed=option_seed,
                key=key,
                title=t("test.candidate_key_title", candidate=who) if key else t("test.candidate_title", candidate=who),
                unit=unit,
                date=date,
            )
            for key in (False, True)
        ]
        targets = (out / f"{learner}.pdf", out / f"{learner}.key.pdf")
        for document, target in zip(documents, targets, strict=True):
            with staged(target) as temp:
                temp.write_bytes(to_pdf(document))
        printed.append(Printed(learner, *targets, tuple(q.id for q in drawn)))
    return printed
