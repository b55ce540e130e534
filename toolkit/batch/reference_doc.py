"""What pandoc needs to write a DOCX in a language other than English: its own translations and East
Asian fonts in the styles.

For a language in :data:`DOCX_LANGUAGES`, :func:`pandoc_docx_args` makes (once per process) a pandoc
data folder holding

- ``translations/<lang>.yaml``: pandoc's translations for the language under its own code (pandoc
  ships ``zh-Hans``, not ``zh-CN``, and otherwise warns that it has none);
- ``reference.docx``: pandoc's default reference document with the East Asian fonts of its styles
  set: the body's (``minorEastAsia`` theme font) and the headings' (``majorEastAsia``), each in
  ``word/fontTable.xml`` with the font Word should use where it is not installed (``w:altName``) and
  its character set, so Word on a Chinese Windows shows SimSun and SimHei and Linux the Noto CJK fonts.

The files are made from pandoc's own defaults the same way each time, so the same handout gives
the same DOCX bytes. Other languages (English) use pandoc's defaults unchanged.
"""

from __future__ import annotations

import atexit
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path


@dataclass(frozen=True)
class Font:
    """A font for East Asian text, and what Word falls back to without it."""

    name: str
    alt: str  # the font Word uses where ``name`` is missing (w:altName)
    charset: str  # the Windows character set, hex (86: GB2312, 88: Big5)
    family: str  # roman (serif) or swiss (sans serif)


@dataclass(frozen=True)
class DocxLanguage:
    """How a DOCX in one language is written: pandoc's translations to use, and the East Asian fonts."""

    translations: str  # the name of pandoc's translations file (without .yaml)
    body: Font
    headings: Font


DOCX_LANGUAGES: dict[str, DocxLanguage] = {
    "zh-CN": DocxLanguage(
        translations="zh-Hans",
        body=Font("Noto Serif CJK SC", "SimSun", "86", "roman"),
        headings=Font("Noto Sans CJK SC", "SimHei", "86", "swiss"),
    ),
    "zh-TW": DocxLanguage(
        translations="zh-Hant",
        body=Font("Noto Serif CJK TC", "PMingLiU", "88", "roman"),
        headings=Font("Noto Sans CJK TC", "Microsoft JhengHei", "88", "swiss"),
    ),
}
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the date of every member of the reference document: the same bytes each time


def pandoc_docx_args(lang: str) -> list[str]:
    """pandoc's arguments for a DOCX in ``lang``: its ``lang`` metadata, and for a language of
    :data:`DOCX_LANGUAGES` the data folder and reference document made for it.

    >>> pandoc_docx_args("en")
    ['--metadata', 'lang=en']
    """
    args = ["--metadata", f"lang={lang}"]
    if lang in DOCX_LANGUAGES:
        folder = data_dir(lang)
        args += ["--data-dir", str(folder), "--reference-doc", str(folder / "reference.docx")]
    return args


@cache
def data_dir(lang: str) -> Path:
    """The pandoc data folder for ``lang`` (made once per process, removed when it ends)."""
    setting = DOCX_LANGUAGES[lang]
    folder = Path(tempfile.mkdtemp(prefix=f"lianzheng-pandoc-{lang}-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    (folder / "translations").mkdir()
    (folder / "translations" / f"{lang}.yaml").write_bytes(pandoc_data(f"translations/{setting.translations}.yaml"))
    (folder / "reference.docx").write_bytes(reference_docx(pandoc_data("reference.docx"), setting))
    return folder


def pandoc_data(name: str) -> bytes:
    """One of pandoc's default data files (``reference.docx``, ``translations/zh-Hans.yaml``)."""
    import pypandoc

    done = subprocess.run(
        [pypandoc.get_pandoc_path(), "--print-default-data-file", name], capture_output=True, check=False
    )
    if done.returncode:
        raise RuntimeError(f"pandoc has no data file '{name}': {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def reference_docx(default: bytes, setting: DocxLanguage) -> bytes:
    """pandoc's default reference document with ``setting``'s East Asian fonts in its styles and font table."""
    import io

    edits: dict[str, Callable[[str], str]] = {
        "word/styles.xml": lambda xml: styles_xml(xml, setting),
        "word/fontTable.xml": font_table(setting),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(default)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename in edits:
                data = edits[info.filename](data.decode("utf-8")).encode("utf-8")
            target.writestr(zipfile.ZipInfo(info.filename, FIXED_TIME), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def styles_xml(xml: str, setting: DocxLanguage) -> str:
    """The styles with explicit East Asian fonts where they named the theme's: the body's (minor) and the
    headings' (major)."""
    for theme, font in (("minorEastAsia", setting.body), ("majorEastAsia", setting.headings)):
        xml = xml.replace(f'w:eastAsiaTheme="{theme}"', f'w:eastAsia="{font.name}"')
    if "eastAsiaTheme=" in xml:
        raise RuntimeError("pandoc's reference.docx has an East Asian theme font this toolkit does not set")
    return xml


def font_table(setting: DocxLanguage) -> Callable[[str], str]:
    """A function adding ``setting``'s fonts to ``word/fontTable.xml``, each with its fallback."""

    def edit(xml: str) -> str:
        fonts = "".join(
            f'<w:font w:name="{font.name}"><w:altName w:val="{font.alt}"/><w:charset w:val="{font.charset}"/>'
            f'<w:family w:val="{font.family}"/><w:pitch w:val="variable"/></w:font>'
            for font in (setting.body, setting.headings)
        )
        edited, count = re.subn(r"</w:fonts>\s*$", fonts + "</w:fonts>", xml)
        if count != 1:
            raise RuntimeError("pandoc's reference.docx has no font table to add the East Asian fonts to")
        return edited

    return edit
