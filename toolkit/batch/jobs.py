"""Jobs: one notebook run per (session, document, edition), and the content-aware cache key of each.

A job's key hashes only what changes its handouts: the notebook's code cells, the parameters, the
library entries the document uses (by content, not by file), the taxonomy, the formats, and the
toolkit's code and templates (and those of a document kind registered from outside the package).
Prose edits in a notebook's Markdown, outputs, cell ids and every library entry the document does not
use leave the key as it was.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from toolkit.batch.formats import FORMATS, print_sized_formats
from toolkit.batch.spec import BuildSpec
from toolkit.documents import DOCUMENTS, Document, DocumentKind
from toolkit.documents.params import PRINT_SIZES
from toolkit.library.catalog import Library
from toolkit.paths import notebooks_dir
from toolkit.version import source_digest

STANDARD = PRINT_SIZES[0]


@dataclass(frozen=True)
class Job:
    """One notebook run and the files it writes under ``OUT/<session>/<stem>.<format>``."""

    session: str
    audience: str
    document: str
    edition: str
    stem: str
    notebook: Path
    parameters: dict[str, Any]
    formats: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.session}/{self.stem}"

    def outputs(self) -> dict[str, str]:
        """Format -> path relative to the output folder: the formats asked for that apply to the
        document, then those written for every job (the executed notebook)."""
        kind = DOCUMENTS[self.document]
        result = {}
        for fmt in self.formats:
            if FORMATS[fmt].applies(kind):
                result[fmt] = f"{self.session}/{self.stem}{FORMATS[fmt].suffix}"
        for row in FORMATS.values():
            if row.always:
                result.setdefault(row.name, f"{self.session}/{self.stem}{row.suffix}")
        return result


def expand(spec: BuildSpec, library: Library) -> list[Job]:
    """The jobs of a spec, session by session, in the order of the documents table."""
    jobs = []
    for session in spec.sessions:
        for name in session.documents:
            kind = DOCUMENTS[name]
            sizes = session.print_sizes.get(name) or (session.parameters[name].get("print_size", STANDARD),)
            for edition in session.editions[name]:
                stem = name if edition == kind.editions[0] else f"{name}-{edition}"
                for size in sizes:
                    # One size alone is the document's only job; beside another, a size other than
                    # standard is a job of its own writing only the formats whose pages it changes.
                    extra = len(sizes) > 1 and size != STANDARD
                    formats = print_sized_formats(spec.formats) if extra else spec.formats
                    if extra and not formats:
                        continue
                    params = {**session.parameters[name], "edition": edition, "print_size": size}
                    params["library"] = str(library.root.resolve())
                    jobs.append(
                        Job(
                            session=session.id,
                            audience=session.audience,
                            document=name,
                            edition=edition,
                            stem=f"{stem}-{size}" if size != STANDARD else stem,
                            notebook=notebooks_dir() / kind.notebook,
                            parameters=params,
                            formats=formats,
                        )
                    )
    return jobs


@cache
def _notebook_code(path: Path, mtime_ns: int) -> str:
    """The code cells of a notebook, joined: what the cache key takes from the notebook."""
    import json as _json

    cells = _json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    return "\n\x00".join(
        "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for cell in cells
        if cell.get("cell_type") == "code"
    )


def notebook_code(path: Path) -> str:
    return _notebook_code(path, path.stat().st_mtime_ns)


@cache
def _file_digest(path: Path, mtime_ns: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def outside_templates(kind: DocumentKind) -> dict[str, str]:
    """Digests of a kind's templates given by absolute path (the package's own are in the toolkit's
    digest): a kind registered from outside the package is rebuilt when its templates change."""
    paths = {role: Path(name) for role, name in kind.templates.items() if Path(name).is_absolute()}
    return {role: _file_digest(path, path.stat().st_mtime_ns) for role, path in paths.items()}


def entry_digest(entry: BaseModel) -> str:
    """A content hash of one library entry (its fields and body, not its file's other entries)."""
    data = entry.model_dump(mode="json", exclude={"origin"})
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def uses_digests(library: Library, uses: frozenset[str]) -> dict[str, str]:
    lookups: dict[str, dict[str, BaseModel]] = {
        "case": {case.id: case for case in library.cases},
        "theme": {theme.id: theme for theme in library.themes},
        "question": {q.id: q for q in library.questions},
        "prompt": {p.id: p for p in library.prompts},
        "message": {m.id: m for m in library.messages},
    }
    result = {}
    for ref in sorted(uses):
        kind, _, entry_id = ref.partition(":")
        result[ref] = entry_digest(lookups[kind][entry_id])
    return result


def job_key(job: Job, document: Document, library: Library) -> str:
    """The cache key of a job, from the document it assembles to (see the module docstring)."""
    params = {name: value for name, value in job.parameters.items() if name != "library"}
    material = {
        "toolkit": source_digest(),
        "notebook": notebook_code(job.notebook),
        "parameters": params,
        "formats": sorted(job.formats),
        "taxonomy": entry_digest(library.taxonomy),
        "uses": uses_digests(library, document.uses),
    }
    templates = outside_templates(DOCUMENTS[job.document])
    if templates:
        material["templates"] = templates
    return hashlib.sha256(json.dumps(material, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:24]
