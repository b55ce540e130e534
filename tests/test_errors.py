"""The exceptions module: every error class lives there, in the hierarchy its docstring draws."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import toolkit
from toolkit import errors
from toolkit.errors import MissingDependencyError, ToolkitError, did_you_mean, requires_extra

ROOT = Path(toolkit.__file__).parent


def _modules() -> list[str]:
    return sorted(info.name for info in pkgutil.walk_packages([str(ROOT)], "toolkit."))


def test_every_exception_class_is_defined_in_errors() -> None:
    elsewhere = []
    for name in _modules():
        module = importlib.import_module(name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == name and name != "toolkit.errors":
                elsewhere.append(f"{name}.{value.__qualname__}")
    # A KeyboardInterrupt carrying the batch's results, typed by them: not an error (see errors.py).
    assert elsewhere == ["toolkit.batch.builder.Interrupted"]


def test_the_drawn_hierarchy_is_the_real_one() -> None:
    drawn: dict[str, str | None] = {}  # class -> the class drawn above it (None for a root)
    parents: list[str] = []
    for line in (errors.__doc__ or "").splitlines():
        found = re.match(r"^ {4}((?:[│ ] {3})*)(?:[├└]── )?([A-Z]\w+)\b", line)
        if found is None:
            continue
        depth = len(found.group(1)) // 4 + (1 if "──" in line else 0)
        del parents[depth:]
        drawn[found.group(2)] = parents[-1] if parents else None
        parents.append(found.group(2))
    classes = {
        name: value
        for name, value in vars(errors).items()
        if inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == "toolkit.errors"
    }
    assert set(classes) <= set(drawn), "every class is drawn"
    for name, value in classes.items():
        assert drawn[name] == (None if value is ToolkitError else value.__bases__[0].__name__), name


def test_only_errors_matches_names() -> None:
    users = [path.relative_to(ROOT).as_posix() for path in ROOT.rglob("*.py") if "difflib" in path.read_text()]
    assert users == ["errors.py"], "'did you mean' has one home: toolkit.errors.did_you_mean"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("retird", " (did you mean 'retired'?)"), ("zzz", ""), ("famillies", " (did you mean 'families'?)")],
)
def test_did_you_mean(value: str, expected: str) -> None:
    assert did_you_mean(value, ["retired", "families"]) == expected


def test_a_missing_optional_module_names_its_extra() -> None:
    with pytest.raises(MissingDependencyError) as raised, requires_extra("docx"):
        import lianzheng_no_such_module  # type: ignore[import-not-found]  # noqa: F401
    assert str(raised.value) == "lianzheng_no_such_module is not installed: pip install 'lianzheng[docx]'"
    assert isinstance(raised.value, ImportError) and raised.value.extra == "docx"
