"""Batch builds: expand a spec into jobs, skip those whose inputs are unchanged, run the rest in
parallel with papermill, and write ``manifest.json`` and ``index.html``.

The build is in :mod:`toolkit.batch.builder`, the spec in :mod:`~toolkit.batch.spec`, the jobs and
their keys in :mod:`~toolkit.batch.jobs`, one job's run in :mod:`~toolkit.batch.worker` and the
output formats in :mod:`~toolkit.batch.formats`.
"""

from toolkit.batch.builder import (
    BuildReport,
    Interrupted,
    build,
    build_file,
    check_target,
    file_format,
    read_manifest,
    write_index,
)
from toolkit.batch.spec import BuildSpec, Overrides, default_spec, load_spec

__all__ = [
    "BuildReport",
    "BuildSpec",
    "Interrupted",
    "Overrides",
    "build",
    "build_file",
    "check_target",
    "default_spec",
    "file_format",
    "load_spec",
    "read_manifest",
    "write_index",
]
