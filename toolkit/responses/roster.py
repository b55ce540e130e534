"""A session's roster: the learners a trainer loads from a CSV or XLSX file, and the printable page of
their personal links (one QR code each).

The file has a header row and two columns, the learner id and the name, in any order, headed in English
or Chinese (``learner`` / ``learner id`` / ``id`` / ``学员编号`` / ``编号`` / ``工号`` / ``学号``; ``name`` /
``姓名``). Other columns are ignored. A bad row is one line naming the file, the line and the field.

Tokens are stored hashed, so a link can be printed only when its token is issued: ``lianzheng roster
load ... --links links.html`` writes the page for the tokens it issues, ``lianzheng roster reissue``
issues new ones (the old links stop working) and writes their page. The page is written private
(mode 600) and never over an existing file, which may hold the only copy of links still in use.
"""

from __future__ import annotations

import csv
import os
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from markupsafe import Markup

from toolkit.errors import ResponseError, requires_extra
from toolkit.fileio import staged
from toolkit.render import environment
from toolkit.responses.store import ID, Issued

ID_HEADERS = ("learner", "learner id", "learner_id", "learner-id", "id", "学员编号", "学员", "编号", "工号", "学号")
NAME_HEADERS = ("name", "learner name", "full name", "姓名", "名字", "学员姓名")
MAX_NAME = 100
MAX_ROWS = 10_000


def _header(cell: object) -> str:
    return unicodedata.normalize("NFKC", str(cell or "")).strip().casefold()


def _rows(path: Path) -> list[tuple[int, list[object]]]:
    """The file's rows with their line (CSV) or row (XLSX) numbers, from 1."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise ResponseError(f"{path}: no such roster file (a CSV or XLSX file with learner id and name columns)")
    if suffix == ".xlsx":
        with requires_extra("xlsx"):
            from openpyxl import load_workbook
        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
            raise ResponseError(f"{path}: not an XLSX workbook ({type(exc).__name__})") from None
        try:
            sheet = book.worksheets[0]
            return [(n, list(row)) for n, row in enumerate(sheet.iter_rows(values_only=True), start=1)]
        finally:
            book.close()
    if suffix not in (".csv", ".txt"):
        raise ResponseError(f"{path}: a roster is a .csv or .xlsx file, not '{suffix or path.name}'")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ResponseError(f"{path}:{line}: not UTF-8; save the roster as 'CSV UTF-8'") from None
    rows: list[tuple[int, list[object]]] = []
    reader = csv.reader(text.splitlines())
    try:
        for row in reader:
            rows.append((reader.line_num, list(row)))
    except csv.Error as exc:
        raise ResponseError(f"{path}:{reader.line_num}: {exc}") from None
    return rows


def read_roster(path: Path) -> list[tuple[str, str]]:
    """The (learner id, name) rows of a roster file, checked; a :class:`ResponseError` on the first bad one."""
    rows = [(line, row) for line, row in _rows(path) if any(str(cell or "").strip() for cell in row)]
    if not rows:
        raise ResponseError(
            f"{path}: the roster is empty; it needs a header row (learner id, name) and a row a learner"
        )
    header_line, header = rows[0]
    headers = [_header(cell) for cell in header]
    id_col = next((n for n, h in enumerate(headers) if h in ID_HEADERS), None)
    name_col = next((n for n, h in enumerate(headers) if h in NAME_HEADERS), None)
    for column, what, valid in ((id_col, "learner id", ID_HEADERS), (name_col, "name", NAME_HEADERS)):
        if column is None:
            raise ResponseError(
                f"{path}:{header_line}: no {what} column in the header row; valid headings: {', '.join(valid)}"
            )
    assert id_col is not None and name_col is not None
    if len(rows) - 1 > MAX_ROWS:
        raise ResponseError(f"{path}: {len(rows) - 1} learners; a roster holds at most {MAX_ROWS}")
    learners: list[tuple[str, str]] = []
    seen: dict[str, int] = {}
    for line, row in rows[1:]:
        raw = row[id_col] if id_col < len(row) else None
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)  # a number column in a workbook: 1001.0 is learner 1001
        learner = "" if raw is None else str(raw).strip()
        name = str(row[name_col] if name_col < len(row) and row[name_col] is not None else "").strip()
        if not ID.fullmatch(learner):
            raise ResponseError(
                f"{path}:{line}: learner id {learner!r} is not valid: use 1 to 64 letters or digits, '.', '_', "
                "'@' or '-' (no spaces), starting with a letter or digit"
            )
        if learner in seen:
            raise ResponseError(f"{path}:{line}: learner id '{learner}' is already on line {seen[learner]}")
        if not name:
            raise ResponseError(f"{path}:{line}: name of learner '{learner}' is blank; give the learner's name")
        bad = next((c for c in name if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn")), None)
        if bad is not None:
            raise ResponseError(
                f"{path}:{line}: name of learner '{learner}' holds the control character U+{ord(bad):04X}; "
                "valid: printable text"
            )
        if len(name) > MAX_NAME:
            raise ResponseError(
                f"{path}:{line}: name of learner '{learner}' is {len(name)} characters; at most {MAX_NAME}"
            )
        seen[learner] = line
        learners.append((learner, name))
    if not learners:
        raise ResponseError(f"{path}: the roster lists no learners below its header row")
    return learners


def check_base_url(url: str) -> str:
    """The address a learner's link starts with: http or https, a host, no token of its own."""
    parts = urlsplit(url)
    try:
        port_ok = parts.port is None or 1 <= parts.port <= 65535
    except ValueError:  # a port that is not a number, or out of range
        port_ok = False
    host_ok = bool(parts.hostname) and not any(c.isspace() or ord(c) < 32 for c in url)
    if parts.scheme not in ("http", "https") or not host_ok or not port_ok or parts.fragment or "pass=" in parts.query:
        raise ResponseError(
            f"base URL {url!r} is not valid; valid: the page learners open, such as "
            "http://192.168.1.20:8866/ or http://192.168.1.20:8866/voila/render/quiz.ipynb",
            "base_url",
        )
    return url


def link(base_url: str, token: str) -> str:
    """A learner's personal link: the page's address with their token."""
    return f"{base_url}{'&' if '?' in base_url else '?'}pass={token}"


def check_links_target(target: Path) -> None:
    """Refuse to write over a links page (it may hold the only copy of links in use) or into no folder,
    or without segno for the QR codes: all before a token is issued, since a token not printed is lost."""
    with requires_extra("serve"):
        import segno  # noqa: F401
    if target.exists() or target.is_symlink():
        raise ResponseError(
            f"{target} exists: it may hold the only copy of links still in use; give another --links file"
        )
    if target.suffix.lower() not in (".html", ".htm"):
        raise ResponseError(f"{target}: the links page is an HTML file (.html)")
    if not target.parent.is_dir():
        raise ResponseError(f"{target}: there is no folder '{target.parent}'")
    if not os.access(target.parent, os.W_OK):
        raise ResponseError(f"{target}: the folder '{target.parent}' is not writable")


def links_page(issued: Sequence[Issued], *, session: str, base_urls: Sequence[str], lang: str = "en") -> str:
    """The printable page: one row per learner with name, id, and a link and its QR code (inline SVG) for
    each page served (``base_urls``: a worksheet and a quiz served together are two pages, one token)."""
    with requires_extra("serve"):
        import segno
    rows = []
    for entry in issued:
        links = []
        for base_url in base_urls:
            url = link(base_url, entry.token)
            # segno writes only its own path data into the SVG: nothing of the learner's text reaches it.
            svg = segno.make_qr(url, error="m").svg_inline(scale=3, title=None)
            links.append({"url": url, "svg": Markup(svg)})
        rows.append({"name": entry.name, "learner": entry.learner, "links": links})
    template = environment(lang).get_template("roster_links.html.j2")
    return template.render(lang=lang, session=session, rows=rows)


def write_links(
    target: Path, issued: Sequence[Issued], *, session: str, base_urls: Sequence[str], lang: str = "en"
) -> None:
    """Write the links page, private to its owner (it holds secrets), staged and renamed."""
    html = links_page(issued, session=session, base_urls=base_urls, lang=lang)
    with staged(target) as temp:
        os.chmod(temp, 0o600)
        temp.write_text(html, encoding="utf-8")
