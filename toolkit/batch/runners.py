"""What a build's workers run jobs with, imported once: papermill, nbconvert's exporter, and each
format's optional dependency (Typst, pypandoc).

A build with several workers imports them in the builder before it forks, so that the workers share
them instead of each importing them again (about 0.5 s of CPU each). Importing Typst starts nothing:
only a compile does, after which a process must not fork (``render.pdf.typst_started``).

nbformat validates notebooks with jsonschema, whose format checkers import ``rfc3987_syntax`` when it
is installed (JupyterLab's dependencies bring it); that module builds some thirty Lark parsers as it is
imported, 1.2 s of CPU in every process that imports nbformat, for the ``iri`` format no notebook
schema uses (python-jsonschema/jsonschema#1428). :func:`defer_iri_grammar` puts off that import
until an ``iri`` is really checked.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from toolkit.library.catalog import Library

_IRI = "rfc3987_syntax"


class _DeferredModule(types.ModuleType):
    """Stands in ``sys.modules`` for a module until one of its names is used, then imports it."""

    def _real(self) -> types.ModuleType:
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return importlib.import_module(self.__name__)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # what the import system asks of a module: not a use
            raise AttributeError(name)
        return getattr(self._real(), name)

    def is_valid_syntax(self, term: str, value: str) -> Any:
        """``rfc3987_syntax.is_valid_syntax``, the one name jsonschema takes from it."""
        return self._real().is_valid_syntax(term, value)


def defer_iri_grammar() -> None:
    """Put off importing ``rfc3987_syntax`` until jsonschema checks an ``iri`` with it (see above).
    Does nothing when it is imported already or not installed."""
    if _IRI in sys.modules or importlib.util.find_spec(_IRI) is None:
        return
    sys.modules[_IRI] = _DeferredModule(_IRI)


def load() -> dict[str, str]:
    """Import what jobs run with and build nbconvert's exporter; the formats whose optional dependency
    cannot be imported, each with the reason (their jobs fail; the others are built)."""
    from toolkit.batch.formats import FORMATS, unavailable
    from toolkit.errors import requires_extra

    defer_iri_grammar()
    import nbformat  # noqa: F401
    import papermill  # noqa: F401

    from toolkit.batch import kernels
    from toolkit.batch.export import html_exporter

    kernels.register()
    missing: dict[str, str] = {}
    for row in FORMATS.values():
        if row.module is not None:
            try:
                with requires_extra(row.extra or row.name):
                    importlib.import_module(row.module)
            except Exception as exc:
                missing[row.name] = unavailable(row, exc)
    html_exporter()
    return missing


def load_for_kernels(library: Library) -> None:
    """What a kernel forked from a pool worker needs, loaded in the builder before it forks them: the
    kernel's own modules (ipykernel, IPython), what every notebook imports (``toolkit.handout``), and
    the build's library in the notebooks' cache (:func:`toolkit.handout.cached_library`), so that no
    kernel reads it again."""
    import ipykernel.kernelapp  # noqa: F401

    from toolkit import handout

    handout.remember_library(library)
