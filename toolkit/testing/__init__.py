"""Helpers for the tests and benchmarks, not for handouts: JupyterLab driven by a browser (``lab``) and
response stores with known answers (``synthetic``).

Nothing a handout is built from lives here, so this folder is left out of the build cache key
(:func:`toolkit.version.source_digest`): editing the harness does not rebuild every handout.
"""
