"""Adding a document kind or an output format is one row in a table plus what is really new.

A small kind (a "memo" listing a few cases: its row, assembler, templates (HTML page, Typst PDF, text)
and notebook, all written to a temporary folder, and its catalog phrase) and a small format (plain text
made from the assembled document: one row and one writer) are registered for the test only, then built
end to end by the real ``build()`` on real kernels, in a pool of forked workers and in one process. A
kind whose row names no Typst template cannot be made as PDF: asking for one is refused in one line.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import jinja2
import nbformat
import pytest

from toolkit import Library
from toolkit.batch import build, read_manifest
from toolkit.batch.builder import file_format
from toolkit.batch.formats import DOCUMENT, FORMATS, Format, Made, default_formats, format_names, registered_format
from toolkit.batch.jobs import expand
from toolkit.batch.spec import Overrides, default_spec
from toolkit.cli import main
from toolkit.documents import DOCUMENTS, registered_document
from toolkit.errors import ParameterError, SpecError
from toolkit.i18n import catalog

pytestmark = pytest.mark.slow
DATE = "2026-12-01"

# The new kind's module: its data, assembler and row. The notebook imports it too, since it runs in a
# kernel of its own; a kind added to the package would be a row in toolkit/documents/__init__.py.
KIND_MODULE = """
from dataclasses import dataclass
from pathlib import Path

from toolkit.documents import DocumentKind, register_document
from toolkit.documents.common import Cover, cover
from toolkit.documents.params import Param, params_for

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Memo:
    cover: Cover
    titles: tuple
    uses: frozenset


def assemble_memo(library, params):
    chosen = library.cases[: params["cases"]]
    return Memo(
        cover(library, params, "memo", "Cases to read before the session"),
        tuple(case.title for case in chosen),
        frozenset(f"case:{case.id}" for case in chosen),
    )


KIND = DocumentKind(
    "memo",
    str(HERE / "memo.ipynb"),
    {"page": str(HERE / "memo.html.j2"), "pdf": str(HERE / "typst" / "memo.typ"), "txt": str(HERE / "memo.txt.j2")},
    ("learner",),
    params_for(("learner",), Param("cases", 2, "how many cases", minimum=1, maximum=5)),
    assemble_memo,
    weight=0.5,
)


def register():
    return register_document(KIND)
"""
PAGE = """<article class="lz-memo"><h1>{{ doc.cover.title }}</h1>
<ol>{% for title in doc.titles %}<li>{{ title }}</li>{% endfor %}</ol></article>
"""
# The PDF's template: the document arrives as JSON data (see toolkit/render/pdf.py); its folder is the only
# one Typst may read.
TYPST = """#let data = json(bytes(sys.inputs.data))
#let doc = data.doc
#let (year, month, day) = doc.cover.date.split("-").map(int)
#set document(title: doc.cover.title, date: datetime(year: year, month: month, day: day))
#set text(lang: "en", font: "DejaVu Sans")
= #doc.cover.title
#for title in doc.titles [- #title
]
"""
TEXT = """{{ doc.cover.title }} ({{ doc.cover.audience_label }})
{% for title in doc.titles %}- {{ title }}
{% endfor %}"""


def memo_notebook(folder: Path, kind: ModuleType) -> nbformat.NotebookNode:
    parameters = "\n".join(f"{param.name} = {param.default!r}" for param in kind.KIND.params)
    cells = [
        nbformat.v4.new_markdown_cell("# Memo"),
        nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            f"import sys\nsys.path.insert(0, {str(folder)!r})\nimport memo_kind\nmemo_kind.register()\n"
            "from toolkit import handout\ndocument = handout.prepare('memo', globals())"
        ),
        nbformat.v4.new_code_cell("handout.show(document)"),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def write_txt(made: Made, target: Path) -> None:
    """The new format's writer: the document through the kind's ``txt`` template, as plain text."""
    source = Path(DOCUMENTS[made.job.document].templates["txt"]).read_text(encoding="utf-8")
    target.write_text(jinja2.Template(source, keep_trailing_newline=True).render(doc=made.document), encoding="utf-8")


TXT = Format("txt", ".txt", DOCUMENT, write_txt)


@pytest.fixture
def memo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The memo kind and the txt format, registered for one test; the tables are as before afterwards."""
    folder = tmp_path / "memo"
    folder.mkdir()
    (folder / "memo_kind.py").write_text(KIND_MODULE, encoding="utf-8")
    (folder / "memo.html.j2").write_text(PAGE, encoding="utf-8")
    (folder / "memo.txt.j2").write_text(TEXT, encoding="utf-8")
    (folder / "typst").mkdir()
    (folder / "typst" / "memo.typ").write_text(TYPST, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("memo_kind", folder / "memo_kind.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "memo_kind", module)
    spec.loader.exec_module(module)
    nbformat.write(memo_notebook(folder, module), folder / "memo.ipynb")
    for lang, label in (("en", "Memo"), ("zh-CN", "备忘")):
        monkeypatch.setitem(catalog(lang).messages, "document.memo", label)
    before = (list(DOCUMENTS), list(FORMATS))
    with registered_document(module.KIND), registered_format(TXT):
        yield module
    assert (list(DOCUMENTS), list(FORMATS)) == before


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("jobs", [2, 1], ids=["forked-workers", "one-process"])
def test_a_registered_kind_and_format_build_end_to_end(
    memo: ModuleType, bundled: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    assert "memo" in DOCUMENTS and "txt" in format_names() and "txt" not in default_formats()
    # Workers use the library the build was given (the pool's initializer), never load one again.
    monkeypatch.setattr("toolkit.library.load.load_library", _refuse)
    out = tmp_path / "out"
    overrides = Overrides(
        audiences=["retired"],
        documents=["memo", "quiz"],
        formats=["html", "txt", "pdf"],
        print_sizes=["standard"],
        date=DATE,
    )
    spec = default_spec(bundled, overrides)
    report = build(spec, bundled, out, jobs=jobs)
    assert report.counts() == {"built": 3, "cached": 0, "failed": 0}, [r.error for r in report.failed]

    titles = [case.title for case in bundled.cases[:2]]
    text = (out / "retired" / "memo.txt").read_text(encoding="utf-8")
    assert text == "Cases to read before the session (Retired cadres)\n" + "".join(f"- {t}\n" for t in titles)
    page = (out / "retired" / "memo.html").read_text(encoding="utf-8")
    assert 'class="lz-memo"' in page and all(t in html.unescape(page) for t in titles)
    assert "<title>Cases to read before the session</title>" in page
    printed = " ".join(pdf_text(out / "retired" / "memo.pdf").split())  # lines wrapped by the page
    assert "Cases to read before the session" in printed and all(t in printed for t in titles)

    manifest = read_manifest(out)
    entry = manifest["retired/memo"]
    assert entry["document"] == "memo" and entry["status"] == "built"
    assert list(entry["outputs"]) == ["html", "txt", "pdf", "ipynb"]
    assert entry["outputs"]["txt"] == "retired/memo.txt"
    assert entry["hashes"] == {fmt: _sha256(out / rel) for fmt, rel in entry["outputs"].items()}
    assert sorted(entry["uses"]) == sorted(f"case:{case.id}" for case in bundled.cases[:2])
    # The txt format applies only to kinds whose row has a txt template: not to the quiz.
    assert set(manifest["retired/quiz"]["outputs"]) == {"html", "pdf", "ipynb"}
    assert not (out / "retired" / "quiz.txt").exists()
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="retired/memo.txt"' in index and ">Memo (Learner edition)<" in index
    data = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert data["formats"] == ["html", "txt", "pdf"]

    # Unchanged: cached. A changed template of the kind, or a deleted output: that job only is built again.
    again = build(spec, bundled, out, jobs=jobs)
    assert again.counts() == {"built": 0, "cached": 3, "failed": 0}
    template = Path(memo.KIND.templates["txt"])
    template.write_text(TEXT.replace("- ", "* "), encoding="utf-8")
    edited = build(spec, bundled, out, jobs=jobs)
    assert [(r.job.id, r.status) for r in edited.results if r.status == "built"] == [("retired/memo", "built")]
    assert (out / "retired" / "memo.txt").read_text(encoding="utf-8").count("* ") == 2
    (out / "retired" / "memo.txt").unlink()
    rebuilt = build(spec, bundled, out, jobs=jobs)
    assert rebuilt.counts() == {"built": 1, "cached": 2, "failed": 0}
    assert (out / "retired" / "memo.txt").is_file()


def _refuse(*args: object, **kwargs: object) -> None:
    raise AssertionError("a worker loaded the library again")


def test_the_rows_are_gone_after_the_block(bundled: Library) -> None:
    assert "memo" not in DOCUMENTS and "txt" not in FORMATS
    with pytest.raises(SpecError, match="unknown format 'txt'"):
        default_spec(bundled, Overrides(formats=["txt"]))
    with pytest.raises(SpecError, match="unknown document 'memo'"):
        default_spec(bundled, Overrides(documents=["memo"]))


def test_registering_a_different_row_under_a_taken_name_is_refused() -> None:
    from toolkit.batch.formats import register_format
    from toolkit.documents import register_document
    from toolkit.errors import ParameterError

    with pytest.raises(ParameterError, match="a different format is already called 'html'"):
        register_format(Format("html", ".htm", DOCUMENT, write_txt))
    with pytest.raises(ParameterError, match="a different document kind is already called 'quiz'"):
        register_document(DOCUMENTS["casebook"].__class__(**{**DOCUMENTS["quiz"].__dict__, "weight": 9.0}))
    assert FORMATS["html"].suffix == ".html" and DOCUMENTS["quiz"].weight == 1.0


def test_a_kind_without_a_typst_template_is_refused_a_pdf_in_one_line(
    memo: ModuleType, bundled: Library, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    templates = {role: name for role, name in memo.KIND.templates.items() if role != "pdf"}
    note = dataclasses.replace(memo.KIND, name="note", templates=templates)
    why = "document 'note' cannot be made as PDF: its row in the documents table names no Typst template"
    with registered_document(note):
        for formats in (["html", "pdf"], ["pdf"]):
            with pytest.raises(SpecError) as refused:
                default_spec(bundled, Overrides(audiences=["retired"], documents=["note", "memo"], formats=formats))
            assert [str(problem) for problem in refused.value.problems] == [
                f"--formats: {why} under the 'pdf' role; add one (docs/architecture.md, \"Adding a document kind "
                "or an output format\") or leave 'pdf' out of the formats"
            ]
        # Refused before any job runs: the command prints that one line and writes nothing.
        out = tmp_path / "out"
        args = ["build", "--audience", "retired", "--documents", "note", "--formats", "html,pdf", "--quiet"]
        assert main([*args, "--out", str(out), "--date", DATE]) == 2
        err = capsys.readouterr().err
        assert len(err.splitlines()) == 1 and why in err and "Traceback" not in err, err
        assert not out.exists()
        # The formats left to their defaults: the note is planned without a PDF, the memo with one.
        spec = default_spec(
            bundled, Overrides(audiences=["retired"], documents=["note", "memo"], print_sizes=["standard"])
        )
        outputs = {job.document: job.outputs() for job in expand(spec, bundled)}
        assert "pdf" not in outputs["note"] and "pdf" in outputs["memo"]
        # One file: its name asks for the PDF.
        with pytest.raises(ParameterError, match=f"note.pdf: {why}"):
            file_format("note", tmp_path / "note.pdf")


def test_typst_reads_nothing_outside_a_registered_templates_folder(memo: ModuleType, bundled: Library) -> None:
    from typst import TypstError

    from toolkit.documents import assemble
    from toolkit.render.pdf import compile_pdf

    template = Path(memo.KIND.templates["pdf"])
    template.write_text(TYPST + '#read("../memo_kind.py")\n', encoding="utf-8")
    document = assemble("memo", {"audience": "retired", "date": DATE}, bundled)
    with pytest.raises(TypstError, match="would escape the project root"):
        compile_pdf(document)
