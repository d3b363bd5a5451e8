"""The docs in the code and in ``docs/`` stay complete and point at real tests.

* Each registered class's docstring: a one-line summary, the formula, every
  constructor argument (with its default), and a runnable example
  (``pytest --doctest-modules`` runs it); the composable ones print the LR at
  named epochs.
* Each section of ``docs/differences-from-pytorch.md`` names the tests that pin
  it, and those tests exist.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest
from strategies import COMPOSABLE

import mlx_lr_scheduler as lib
from mlx_lr_scheduler.registry import SCHEDULES

ROOT = Path(__file__).resolve().parent.parent
DIFFERENCES = ROOT / "docs" / "differences-from-pytorch.md"


def argument_docs(doc: str) -> dict[str, str]:
    """The ``Args:`` section of a Google-style docstring, by argument name."""
    lines = doc.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "Args:")
    indent = len(lines[start + 1]) - len(lines[start + 1].lstrip())
    arguments: dict[str, str] = {}
    name = None
    for line in lines[start + 1 :]:
        if line.strip() and len(line) - len(line.lstrip()) < indent:
            break
        match = re.match(rf"^ {{{indent}}}(\w+):(.*)$", line)
        if match:
            name = match.group(1)
            arguments[name] = match.group(2)
        elif name is not None:
            arguments[name] += " " + line.strip()
    return arguments


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_docstring_has_summary_formula_arguments_and_an_example(name):
    cls = SCHEDULES[name].scheduler
    doc = inspect.getdoc(cls)
    assert doc, f"{name} has no docstring"
    summary, blank = doc.splitlines()[:2]
    assert summary.endswith(".") and not blank.strip(), f"{name}: one-line summary first"
    assert ":math:" in doc or ".. math::" in doc, f"{name}: the formula"
    documented = argument_docs(doc)
    parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    for parameter in parameters:
        assert parameter.name in documented, f"{name}: argument {parameter.name} undocumented"
        if parameter.default is not inspect.Parameter.empty and parameter.name != "optimizer":
            assert "Default: ``" in documented[parameter.name], (
                f"{name}: the default of {parameter.name}"
            )
    assert set(documented) == {p.name for p in parameters}, f"{name}: documents {documented}"
    assert re.search(r"^Example.*:$", doc, re.MULTILINE) and ">>> " in doc, (
        f"{name}: a runnable example"
    )


@pytest.mark.parametrize("name", COMPOSABLE)
def test_composable_docstring_has_the_formula_and_prints_the_lr_at_named_epochs(name):
    doc = inspect.getdoc(getattr(lib, name))
    assert ".. math::" in doc, f"{name}: the formula"
    assert re.search(r"^\s*epoch \d+: ", doc, re.MULTILINE), (
        f"{name}: an example printing the LR at named epochs"
    )


def _defined_tests(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }


def _sections() -> list[tuple[str, str]]:
    parts = re.split(r"^## ", DIFFERENCES.read_text(), flags=re.MULTILINE)[1:]
    return [(part.splitlines()[0], part) for part in parts]


def _references(text: str) -> list[tuple[str, str]]:
    """(test file, test name) for every ``tests/x.py::name`` and following ``::name``."""
    found = []
    current = None
    for match in re.finditer(r"`(tests/[\w/]+\.py)?(?:::(\w+))?", text):
        current = match.group(1) or current
        if match.group(2):
            assert current is not None, f"{match.group(0)} names no test file"
            found.append((current, match.group(2)))
    return found


@pytest.mark.parametrize("title, text", _sections(), ids=[t for t, _ in _sections()])
def test_each_difference_names_tests_that_exist(title, text):
    references = _references(text)
    assert references, f"section {title!r} names no pinning test"
    for file, name in references:
        path = ROOT / file
        assert path.exists(), f"{title!r}: {file} does not exist"
        assert name in _defined_tests(path), f"{title!r}: {file}::{name} does not exist"
