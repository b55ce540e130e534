"""Real builds: papermill runs, HTML, PDF (read back with pdftotext), DOCX (headings read back),
the manifest and index, the cache, failure isolation and atomic outputs."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from conftest import Tab

from toolkit import Library, load_library
from toolkit.batch import build, read_manifest
from toolkit.batch import jobs as jobs_module
from toolkit.batch.kernels import KernelPool
from toolkit.batch.spec import Overrides, default_spec
from toolkit.cli import main
from toolkit.paths import bundled_library

pytestmark = pytest.mark.slow
DATE = "2026-12-01"
ALL_FORMATS = ["html", "pdf", "docx", "ipynb", "slides"]
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, bundled: Library) -> Any:
    """One audience, every document and format, built once with two workers."""
    out = tmp_path_factory.mktemp("handouts")
    spec = default_spec(bundled, Overrides(audiences=["retired"], formats=ALL_FORMATS, date=DATE))
    report = build(spec, bundled, out, jobs=2)
    return report


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.refs.append((tag, name, value))


def test_every_job_is_built_with_every_format(built: Any) -> None:
    # Six handouts, and for retired cadres a large-print PDF of each (the taxonomy's print_sizes).
    assert built.counts() == {"built": 12, "cached": 0, "failed": 0}
    for result in built.results:
        for fmt, rel in result.outputs.items():
            path = built.out / rel
            assert path.is_file() and path.stat().st_size > 1000, (result.job.id, fmt)
        expected = {"html", "pdf", "docx", "ipynb"} | ({"slides"} if result.job.document == "outline" else set())
        if result.job.parameters["print_size"] == "large":
            expected = {"pdf", "ipynb"}
        assert set(result.outputs) == expected
    assert not list(built.out.rglob("*.part*")), "no temporary file may be left behind"


def test_manifest_has_one_entry_per_job(built: Any) -> None:
    data = json.loads((built.out / "manifest.json").read_text(encoding="utf-8"))
    entries = data["jobs"]
    assert [e["id"] for e in entries] == [r.job.id for r in built.results]
    for entry in entries:
        assert entry["audience"] == "retired"
        assert entry["status"] == "built"
        assert entry["document"] in ("casebook", "outline", "worksheet", "quiz")
        large = entry["parameters"]["print_size"] == "large"
        assert set(entry["outputs"]) >= ({"pdf"} if large else {"html", "pdf", "docx"})
        assert entry["id"].endswith("-large") == large
        assert entry["seconds"] > 0
        assert entry["uses"], "the notebook reports the library entries it used"
        assert entry["library_version"] == data["library_version"]
        assert "library" not in entry["parameters"]
        assert set(entry["timings"]) >= ({"execute", "pdf"} if large else {"execute", "html", "pdf", "docx"})


def test_executed_notebooks_are_kept_with_their_parameters(built: Any) -> None:
    import nbformat

    nb = nbformat.read(built.out / "retired" / "quiz-key.ipynb", as_version=4)
    params = nb.metadata["papermill"]["parameters"]
    assert params["audience"] == "retired" and params["edition"] == "key"
    assert [c.execution_count for c in nb.cells if c.cell_type == "code"] == [1, 2, 3, 4]
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)


def test_the_build_asks_for_the_printable_worksheet_and_quiz(built: Any) -> None:
    import nbformat

    for stem, edition in (("worksheet", "print"), ("quiz", "learner"), ("quiz-key", "key")):
        nb = nbformat.read(built.out / "retired" / f"{stem}.ipynb", as_version=4)
        assert nb.metadata["papermill"]["parameters"]["edition"] == edition
        outputs = [o for c in nb.cells for o in c.get("outputs", [])]
        assert not any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    html = (built.out / "retired" / "worksheet.html").read_text(encoding="utf-8")
    assert "lz-worksheet" in html and "Interactive edition" not in html
    manifest = json.loads((built.out / "manifest.json").read_text(encoding="utf-8"))
    assert all(entry["parameters"]["edition"] != "interactive" for entry in manifest["jobs"])
    assert all("store" not in entry["parameters"] for entry in manifest["jobs"])


def test_html_is_self_contained_and_hides_code(built: Any) -> None:
    for result in built.results:
        for fmt in ("html", "slides"):
            if fmt not in result.outputs:
                continue
            html = (built.out / result.outputs[fmt]).read_text(encoding="utf-8")
            parser = _Refs()
            parser.feed(html)
            external = [ref for ref in parser.refs if re.match(r"(https?:)?//", ref[2])]
            linked = [ref for ref in parser.refs if ref[0] in ("script", "link", "img")]
            assert not external and not linked, (result.job.id, fmt, external, linked)
            assert "@import" not in html
    page = (built.out / "retired" / "casebook.html").read_text(encoding="utf-8")
    assert "handout.prepare" not in page and "from toolkit import" not in page
    assert "@page" in page and "counter(pages)" in page, "print stylesheet inlined"


@needs_poppler
def test_pdf_text_carries_cover_provenance_and_content(built: Any, bundled: Library) -> None:
    text = pdf_text(built.out / "retired" / "casebook-trainer.pdf")
    flat = " ".join(text.split())
    assert "Retired cadres" in flat
    assert f"Library version {bundled.version}" in flat
    assert "Rules at a glance" in flat and "Why this case:" in flat
    manifest = read_manifest(built.out)
    case_ids = [ref.split(":", 1)[1] for ref in manifest["retired/casebook-trainer"]["uses"]]
    for case_id in case_ids:
        assert " ".join(bundled.case(case_id).title.split()[:4]) in flat
    info = subprocess.run(
        ["pdfinfo", str(built.out / "retired" / "casebook.pdf")], capture_output=True, text=True
    ).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
    assert pages > 5
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+", info), "A4"
    assert "Why this case:" not in " ".join(pdf_text(built.out / "retired" / "casebook.pdf").split())


@needs_poppler
def test_pdf_pages_are_numbered_after_the_cover(built: Any) -> None:
    pages = pdf_text(built.out / "retired" / "quiz.pdf").split("\f")
    total = len([p for p in pages if p.strip()])
    assert not re.search(rf"\b1\s*/\s*{total}\b", pages[0]), "the cover has no page number"
    assert re.search(rf"\b2\s*/\s*{total}\b", pages[1])


def test_docx_has_real_headings_lists_and_tables(built: Any) -> None:
    import docx

    document = docx.Document(str(built.out / "retired" / "outline.docx"))
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]
    names = [text for _, text in headings]
    assert any(text.startswith("Part two: learning from cases") for text in names)
    assert {style for style, _ in headings} >= {"Heading 1", "Heading 2", "Heading 3"}
    assert document.tables, "the timing table is a real table"
    header = [cell.text for cell in document.tables[0].rows[0].cells]
    assert header == ["Part", "Starts", "Minutes"]
    quiz = docx.Document(str(built.out / "retired" / "quiz-key.docx"))
    assert any(p.text.startswith("Answer:") for p in quiz.paragraphs)


def test_index_links_every_output(built: Any) -> None:
    index = (built.out / "index.html").read_text(encoding="utf-8")
    parser = _Refs()
    parser.feed(index)
    links = {value for tag, name, value in parser.refs if tag == "a"}
    for result in built.results:
        for rel in result.outputs.values():
            assert rel in links
            assert (built.out / rel).is_file()
    # Sessions by the audience's name, documents by their titles, in the handouts' language.
    assert '<html lang="en">' in index
    assert '<h2 id="session-retired">Retired cadres</h2>' in index
    assert "<strong>Warning and exemplary cases</strong>" in index
    assert "Quiz paper (Answer key)" in index


def _body_size(path: Path) -> float:
    """The type size most runs of text on the pages after the cover are set in (their ``Tf`` operators)."""
    import pikepdf

    with pikepdf.open(path) as pdf:
        sizes = [
            float(operands[1])
            for page in pdf.pages[1:3]
            for operands, operator in pikepdf.parse_content_stream(page)
            if str(operator) == "Tf"
        ]
    return max(set(sizes), key=sizes.count)


@needs_poppler
def test_retired_cadres_get_a_large_print_pdf_of_each_handout(built: Any) -> None:
    results = {result.job.id: result for result in built.results}
    index = (built.out / "index.html").read_text(encoding="utf-8")
    for stem in ("casebook", "casebook-trainer", "outline", "worksheet", "quiz", "quiz-key"):
        standard, large = built.out / "retired" / f"{stem}.pdf", built.out / "retired" / f"{stem}-large.pdf"
        assert results[f"retired/{stem}-large"].outputs["pdf"] == f"retired/{stem}-large.pdf"
        assert f'href="retired/{stem}.pdf"' in index and f'href="retired/{stem}-large.pdf"' in index
        assert _body_size(standard) < 12 and _body_size(large) >= 16, stem
    # The same handout, larger: the same words (the colophon names the print size), more pages.
    small, big = (
        pdf_text(built.out / "retired" / "casebook.pdf"),
        pdf_text(built.out / "retired" / "casebook-large.pdf"),
    )
    assert "large print" in big and "large print" not in small
    assert big.count("\f") > small.count("\f")
    assert "Casebook (Learner edition) (large print)</span>" in index
    assert index.count("(large print)</span>") == 6


def test_the_index_speaks_the_handouts_language(tmp_path: Path, bundled: Library) -> None:
    from toolkit.batch import BuildReport, write_index
    from toolkit.batch.jobs import expand
    from toolkit.batch.worker import JobResult
    from toolkit.documents import assemble

    def index_for(lang: str) -> str:
        spec = default_spec(bundled, Overrides(audiences=["retired", "families"], lang=lang, date=DATE))
        jobs = expand(spec, bundled)
        covers = {
            job.id: assemble(job.document, {k: v for k, v in job.parameters.items() if k != "library"}, bundled).cover
            for job in jobs
        }
        results = [JobResult(job, "failed", 0.0, cell=2, error="ValueError: bad") for job in jobs]
        write_index(BuildReport(tmp_path, results, 0.0, bundled.version), covers)
        return (tmp_path / "index.html").read_text(encoding="utf-8")

    zh = index_for("zh-CN")
    assert '<html lang="zh-CN">' in zh and "<h1>培训材料</h1>" in zh
    assert '<a href="#session-families">' in zh  # a list of sessions when there are several
    assert "退休干部" in zh and "失败：第2个单元格，ValueError: bad" in zh
    en = index_for("en")
    assert "failed: cell 2, ValueError: bad" in en and "Retired cadres" in en


@pytest.mark.browser
def test_a_trainer_follows_the_index_and_the_contents_in_a_browser(built: Any, tab: Tab, artifacts: Path) -> None:
    page = tab.page
    page.goto((built.out / "index.html").as_uri())
    page.locator("a[href='retired/casebook.html']").click()
    page.wait_for_load_state()
    assert page.url.endswith("/retired/casebook.html")
    links = page.locator(".lz-toc a[href^='#case-']")
    assert links.count() >= 3
    # The last case is far below the first screen; its contents link brings it into view.
    last = links.nth(links.count() - 1)
    target = last.get_attribute("href")
    assert target is not None
    heading = page.locator(f"{target} h2").first
    assert page.evaluate(f"document.querySelector('{target}').getBoundingClientRect().top") > 720
    last.click()
    page.wait_for_function(f"location.hash === '{target}'")
    top = page.evaluate(f"document.querySelector('{target}').getBoundingClientRect().top")
    assert -1 < top < 100, top  # scrolled to the case (to within a pixel)
    assert heading.inner_text().endswith(last.inner_text())
    page.screenshot(path=str(artifacts / "casebook-contents-link.png"))
    for name in ("outline.html", "worksheet.html", "quiz.html", "quiz-key.html", "outline.slides.html"):
        page.goto((built.out / "retired" / name).as_uri())
        page.wait_for_load_state("load")
    assert tab.refused == [], "a handout asked for something from the network"
    assert tab.errors == []


def test_same_inputs_give_the_same_bytes(built: Any, tmp_path: Path, bundled: Library) -> None:
    spec = default_spec(
        bundled, Overrides(audiences=["retired"], documents=["quiz"], formats=["html", "pdf", "docx"], date=DATE)
    )
    again = build(spec, bundled, tmp_path, jobs=1)
    assert again.counts()["built"] == 4  # the quiz and its key, each in standard and large print
    for stem, formats in (
        ("quiz", ("html", "pdf", "docx", "ipynb")),
        ("quiz-key", ("html", "pdf", "docx", "ipynb")),
        ("quiz-large", ("pdf", "ipynb")),
        ("quiz-key-large", ("pdf", "ipynb")),
    ):
        for fmt in formats:
            first = (built.out / "retired" / f"{stem}.{fmt}").read_bytes()
            assert (tmp_path / "retired" / f"{stem}.{fmt}").read_bytes() == first, (stem, fmt)


# --- the cache -------------------------------------------------------------------------------------


def test_a_build_where_every_job_is_cached_imports_no_runner_or_exporter(built: Any, tmp_path: Path) -> None:
    """Such a build only plans: papermill, nbconvert and Typst stay unimported (a fresh process)."""
    out = tmp_path / "out"
    shutil.copytree(built.out, out)
    script = f"""
import sys
from pathlib import Path
from toolkit import bundled_library, load_library
from toolkit.batch import Overrides, build, default_spec
library = load_library(bundled_library())
spec = default_spec(library, Overrides(audiences=["retired"], formats={ALL_FORMATS!r}, date={DATE!r}))
print(build(spec, library, Path({str(out)!r}), jobs=2).counts())
print(sorted(name for name in ("papermill", "nbconvert", "nbclient", "typst", "pypandoc") if name in sys.modules))
"""
    done = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True)
    assert done.stdout.splitlines() == ["{'built': 0, 'cached': 12, 'failed': 0}", "[]"], done.stderr


@pytest.fixture
def library_copy(tmp_path: Path) -> Path:
    root = tmp_path / "casebook"
    shutil.copytree(bundled_library(), root)
    return root


def _quick_spec(library: Library, **overrides: Any) -> Any:
    values = {"audiences": ["retired", "young-cadres"], "documents": ["casebook"], "formats": ["html"], "date": DATE}
    values.update(overrides)
    return default_spec(library, Overrides(**values))


def test_cache_hit_miss_after_edit_and_force(library_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    library = load_library(library_copy)
    first = build(_quick_spec(library), library, out, jobs=1)
    assert first.counts() == {"built": 4, "cached": 0, "failed": 0}
    second = build(_quick_spec(library), library, out, jobs=1)
    assert second.counts() == {"built": 0, "cached": 4, "failed": 0}

    manifest = read_manifest(out)
    retired_cases = {ref.split(":")[1] for ref in manifest["retired/casebook"]["uses"]}
    young_cases = {ref.split(":")[1] for ref in manifest["young-cadres/casebook"]["uses"]}
    only_retired = sorted(retired_cases - young_cases)
    assert only_retired, "the two audiences' casebooks differ in at least one case"
    edited = library.case(only_retired[0])
    path = library_copy / edited.origin.path
    path.write_text(
        path.read_text(encoding="utf-8").replace("## Facts\n", "## Facts\nEDITED FOR THE TEST. "), encoding="utf-8"
    )
    library = load_library(library_copy)
    third = build(_quick_spec(library), library, out, jobs=1)
    status = {r.job.id: r.status for r in third.results}
    assert status == {
        "retired/casebook": "built",
        "retired/casebook-trainer": "built",
        "young-cadres/casebook": "cached",
        "young-cadres/casebook-trainer": "cached",
    }
    assert "EDITED FOR THE TEST." in (out / "retired" / "casebook.html").read_text(encoding="utf-8")

    forced = build(_quick_spec(library), library, out, jobs=1, force=True)
    assert forced.counts() == {"built": 4, "cached": 0, "failed": 0}


def test_a_deleted_or_altered_output_is_rebuilt(library_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    library = load_library(library_copy)
    spec = _quick_spec(library, audiences=["retired"], documents=["quiz"])
    build(spec, library, out, jobs=1)
    (out / "retired" / "quiz.html").write_text("tampered", encoding="utf-8")
    (out / "retired" / "quiz-key.ipynb").unlink()
    again = build(spec, library, out, jobs=1)
    assert {r.job.id: r.status for r in again.results} == {"retired/quiz": "built", "retired/quiz-key": "built"}


def test_a_prose_edit_in_a_notebook_keeps_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bundled: Library
) -> None:
    import nbformat

    notebooks = tmp_path / "notebooks"
    shutil.copytree(jobs_module.notebooks_dir(), notebooks)
    monkeypatch.setattr(jobs_module, "notebooks_dir", lambda: notebooks)
    spec = _quick_spec(bundled, audiences=["retired"], documents=["quiz"])
    out = tmp_path / "out"
    build(spec, bundled, out, jobs=1)
    nb = nbformat.read(notebooks / "quiz.ipynb", as_version=4)
    nb.cells[0].source += "\n\nAn extra sentence for trainers."
    nbformat.write(nb, notebooks / "quiz.ipynb")
    assert build(spec, bundled, out, jobs=1).counts()["cached"] == 2
    nb.cells[3].source += "\nassert True"
    nbformat.write(nb, notebooks / "quiz.ipynb")
    assert build(spec, bundled, out, jobs=1).counts()["built"] == 2


# --- failures --------------------------------------------------------------------------------------


def _break_notebook(folder: Path, name: str) -> None:
    import nbformat

    nb = nbformat.read(folder / name, as_version=4)
    nb.cells[2].source = 'raise RuntimeError("deliberately broken")\n' + nb.cells[2].source
    nbformat.write(nb, folder / name)


def test_a_failed_job_is_isolated_and_keeps_the_previous_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bundled: Library, capsys: pytest.CaptureFixture[str]
) -> None:
    notebooks = tmp_path / "notebooks"
    shutil.copytree(jobs_module.notebooks_dir(), notebooks)
    monkeypatch.setattr(jobs_module, "notebooks_dir", lambda: notebooks)
    out = tmp_path / "out"
    args = [
        "build",
        "--audience",
        "retired",
        "--documents",
        "worksheet,quiz",
        "--formats",
        "html,docx",
        "--out",
        str(out),
        "--date",
        DATE,
        "--quiet",
        "--jobs",
        "1",
    ]
    assert main(args) == 0
    good = (out / "retired" / "quiz.html").read_bytes()

    _break_notebook(notebooks, "quiz.ipynb")
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "failed: retired/quiz: quiz.ipynb cell 2: RuntimeError: deliberately broken" in err
    manifest = read_manifest(out)
    entry = manifest["retired/quiz"]
    assert entry["status"] == "failed" and entry["cell"] == 2
    assert entry["error"] == "RuntimeError: deliberately broken"
    assert (out / entry["failed_notebook"]).is_file()
    assert entry["outputs"]["html"] == "retired/quiz.html", "the index still links the previous good output"
    assert manifest["retired/worksheet"]["status"] == "cached"
    assert (out / "retired" / "quiz.html").read_bytes() == good
    assert not list(out.rglob("*.part*"))
    assert "failed" in (out / "index.html").read_text(encoding="utf-8")


def test_a_failure_while_exporting_publishes_no_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bundled: Library
) -> None:
    from toolkit.batch import export

    out = tmp_path / "out"
    spec = _quick_spec(bundled, audiences=["retired"], documents=["quiz"], formats=["html", "docx"])
    build(spec, bundled, out, jobs=1)
    before = _files(out / "retired")

    def half_written(html: str, target: Path, lang: str, date: str) -> None:
        target.write_bytes(b"PK half a file")
        raise OSError("disk full")

    monkeypatch.setattr(export, "write_docx", half_written)
    report = build(spec, bundled, out, jobs=1, force=True)
    assert report.counts()["failed"] == 2
    assert report.failed[0].error == "OSError: disk full"
    after = _files(out / "retired")
    assert after == before, "neither the new HTML nor the half-written DOCX replaced the good files"


def test_a_missing_pdf_engine_fails_only_the_jobs_that_want_pdf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bundled: Library, capsys: pytest.CaptureFixture[str]
) -> None:
    # As on a machine without the PDF extra: Typst cannot be imported (forked workers inherit this).
    monkeypatch.setitem(sys.modules, "typst", None)
    out = tmp_path / "out"
    args = ["build", "--audience", "retired", "--documents", "quiz", "--formats", "html,pdf", "--jobs", "2", "--quiet"]
    code = main([*args, "--out", str(out), "--date", DATE])
    assert code == 1
    err = capsys.readouterr().err
    assert err.count("PDF export is unavailable: typst could not be imported (") == 4  # with the large-print ones
    assert "pip install 'lianzheng[pdf]'" in err and "Traceback" not in err and "BrokenProcessPool" not in err
    assert not list((out / "retired").glob("*.pdf"))
    # The same build without PDF succeeds on that machine.
    spec = _quick_spec(bundled, audiences=["retired"], documents=["quiz"], formats=["html"])
    report = build(spec, bundled, out, jobs=1)
    assert report.counts()["built"] == 2


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


LATER = "2026-12-02"
SESSIONS = ("retired", "young-cadres")
LIANZHENG = [sys.executable, "-m", "toolkit.cli", "build", "--audience", ",".join(SESSIONS)]
LIANZHENG += ["--documents", "quiz,worksheet,outline", "--formats", "html,pdf", "--print-sizes", "standard"]
LIANZHENG += ["--jobs", "2", "--quiet"]


@pytest.fixture(scope="module")
def before_and_after(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same 8 handouts built whole for two dates: every file differs between the two."""
    old, new = tmp_path_factory.mktemp("old"), tmp_path_factory.mktemp("new")
    subprocess.run([*LIANZHENG, "--out", str(old), "--date", DATE], check=True, capture_output=True)
    subprocess.run([*LIANZHENG, "--out", str(new), "--date", LATER], check=True, capture_output=True)
    return old, new


@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGKILL"])
def test_an_interrupted_build_leaves_whole_files_and_resumes(
    tmp_path: Path, before_and_after: tuple[Path, Path], signal_name: str
) -> None:
    """Ctrl-C (SIGINT to the process group, as a terminal sends it) or a kill in the middle of a build."""
    import os
    import signal
    import time

    out = tmp_path / "out"
    shutil.copytree(before_and_after[0], out)
    old = {session: _files(out / session) for session in SESSIONS}
    new = {session: _files(before_and_after[1] / session) for session in SESSIONS}

    def as_at_a_terminal() -> None:
        # A shell that starts a command in the background makes it ignore Ctrl-C, and Python keeps that.
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    process = subprocess.Popen(
        [*LIANZHENG, "--out", str(out), "--date", LATER],
        start_new_session=True,
        preexec_fn=as_at_a_terminal,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Stop it as soon as the first handout of the later date is in place, with other jobs still to go.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and all(_files(out / s).items() <= old[s].items() for s in SESSIONS):
        time.sleep(0.02)
    os.killpg(process.pid, getattr(signal, signal_name))
    _, stderr = process.communicate(timeout=60)
    if signal_name == "SIGINT":
        assert process.returncode == 130, stderr
        assert "interrupted" in stderr and "Traceback" not in stderr
    for session in SESSIONS:
        for name, data in _files(out / session).items():
            if ".part" in name:
                assert signal_name == "SIGKILL", f"{name} left behind after Ctrl-C"
                continue
            assert data in (old[session].get(name), new[session].get(name)), f"{session}/{name} is half-written"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))  # whole and readable
    assert len(manifest["jobs"]) == 8

    # Running the command again completes the build; after Ctrl-C, the jobs that finished are not redone.
    finished = sum(1 for entry in manifest["jobs"] if entry["parameters"]["date"] == LATER)
    again = subprocess.run([*LIANZHENG, "--out", str(out), "--date", LATER], check=True, capture_output=True, text=True)
    if signal_name == "SIGINT":
        assert 1 <= finished < 8
        assert f"{8 - finished} built, {finished} unchanged" in again.stdout
    for session in SESSIONS:
        assert _files(out / session) == new[session], f"{session}: stale temporary files or wrong handouts"


def test_warm_kernels_forget_the_previous_job() -> None:
    pool = KernelPool()
    try:
        kernel = pool.take()
        kernel.kc.execute_interactive("import json\nleftover = 42", timeout=30)
        kernel.kc.execute_interactive("leftover + 1", timeout=30)  # an output, kept in Out and _
        kernel = pool.take()
        outputs: list[dict[str, Any]] = []
        reply = kernel.kc.execute_interactive("leftover", timeout=30, output_hook=outputs.append)
        assert reply["content"]["status"] == "error"
        assert reply["content"]["ename"] == "NameError"
        assert reply["content"]["execution_count"] == 1, "the next notebook is numbered from 1"
        outputs.clear()
        kernel.kc.execute_interactive(
            "print(sorted(k for k in ('json', '_', 'Out') if globals().get(k)), ('leftover ' + '= 42') in '\\n'.join(In))",
            timeout=30,
            output_hook=outputs.append,
        )
        printed = "".join(o["content"].get("text", "") for o in outputs if o["msg_type"] == "stream")
        assert printed.strip() == "[] False", printed  # no import, no output, no input of the last run
        first = pool._kernel
        pool.discard()
        assert pool._kernel is not first and pool.take().used == 1
    finally:
        pool.close()


def test_cli_reports_spec_problems_without_building(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "sessions:\n  - audience: retird\n  - audience: retired\n    documents: [quizz]\n", encoding="utf-8"
    )
    assert main(["build", str(spec), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{spec}:2: unknown audience 'retird'" in err
    assert f"{spec}:4: unknown document 'quizz' (did you mean 'quiz'?)" in err
    assert not (tmp_path / "out").exists()


def test_a_kernel_killed_right_after_it_started_leaves_no_thread_failing(monkeypatch: pytest.MonkeyPatch) -> None:
    """A failed job's successor is started at once and may be killed at once (the end of a run): no
    client thread may then open a socket on the destroyed context."""
    import threading
    import time

    from toolkit.batch.kernels import WarmKernel

    failures: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: failures.append(args.exc_value))
    for _ in range(12):
        WarmKernel().kill()
    time.sleep(1)  # time for a late thread to fail
    assert failures == []


@pytest.mark.slow
def test_each_phase_of_a_job_is_timed_once(
    bundled: Library, tmp_path: Path, warm: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The handout page is made once, for the first format that needs it, and counted as html's time
    only, not again in the writer that asked for it (the manifest's timings add up to the job)."""
    import time

    from toolkit.batch import export

    made_page = export.to_html

    def slow_page(*args: Any, **kwargs: Any) -> str:
        time.sleep(0.5)
        return made_page(*args, **kwargs)

    monkeypatch.setattr(export, "to_html", slow_page)
    spec = _quick_spec(
        bundled, audiences=["retired"], documents=["quiz"], formats=["pdf", "html"], print_sizes=["standard"]
    )
    report = build(spec, bundled, tmp_path / "out", jobs=1)
    for result in report.results:
        assert 0.5 <= result.timings["html"] < 0.9, result.timings
        assert result.timings["pdf"] < result.seconds - 0.5, result.timings
        assert sum(result.timings.values()) <= result.seconds
