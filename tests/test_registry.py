"""Adding a schedule touches the places the README names, and every one is checked here.

Every scheduler class exported by ``mlx_lr_scheduler`` has: a registry entry
(``registry.py``) with example configurations, one of them the benchmarks' long run;
a hypothesis strategy (``tests/strategies.py``); a docstring with a runnable example;
and a test file covering it (``tests/test_<its module>.py``, or, for the composable
schedules, the shared tests parametrised over ``strategies.COMPOSABLE``). Every
entry with a closed form has its function in ``mlx_lr_scheduler.schedules.__all__``.
The README's "Where things are" row on adding a schedule names each of these places.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from strategies import COMPOSABLE, STRATEGIES

import mlx_lr_scheduler as lib
from mlx_lr_scheduler import schedules
from mlx_lr_scheduler.registry import LONG_RUN, SCHEDULES, Example, PerGroup
from oracle import MLX, TORCH, mlx_optimizer, torch_optimizer

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
README = ROOT / "README.md"
#: The tests that cover the composable schedules by name (parametrised over COMPOSABLE).
SHARED_TESTS = ["test_validation.py", "test_state_dict.py", "test_doctest_coverage.py"]

#: Every scheduler class the package exports (the base class is not a schedule).
EXPORTED = sorted(
    name
    for name in lib.__all__
    if inspect.isclass(getattr(lib, name))
    and issubclass(getattr(lib, name), lib.LRScheduler)
    and getattr(lib, name) is not lib.LRScheduler
)


def test_the_check_sees_the_schedulers():
    assert {"StepLR", "SequentialLR", "ReduceLROnPlateau", "WarmupThenPlateau"} <= set(EXPORTED)
    assert "LRScheduler" not in EXPORTED


def test_registry_lists_exactly_the_exported_schedulers():
    assert sorted(SCHEDULES) == EXPORTED
    for name, entry in SCHEDULES.items():
        assert entry.scheduler is getattr(lib, name)


@pytest.mark.parametrize("name", EXPORTED)
def test_scheduler_has_a_strategy(name):
    assert name in STRATEGIES, f"add a @strategy_for({name!r}) to tests/strategies.py"


def _nested(example: Example):
    """Every example among ``example``'s arguments, at any depth."""
    for value in example.arguments.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, Example):
                yield item
                yield from _nested(item)


def _steps_on_a_metric(cls) -> bool:
    """True if ``step()`` needs an argument (``ReduceLROnPlateau.step(metrics)``)."""
    parameters = list(inspect.signature(cls.step).parameters.values())[1:]
    return any(p.default is inspect.Parameter.empty for p in parameters)


@pytest.mark.parametrize("name", EXPORTED)
def test_scheduler_has_examples_and_a_long_run(name):
    entry = SCHEDULES[name]
    labels = [example.label for example in entry.examples]
    assert labels, f"{name}: no examples in its registry entry"
    assert len(set(labels)) == len(labels), f"{name}: example labels repeat: {labels}"
    assert LONG_RUN in labels, f"{name}: no {LONG_RUN!r} example for the benchmarks"
    for example in entry.examples:
        assert example.scheduler == name and example.label and example.steps >= 0
        for child in _nested(example):
            assert child.scheduler in SCHEDULES, f"{name}: {child!r} is not registered"
        if _steps_on_a_metric(entry.scheduler):
            assert example.metrics, f"{name}: {example.label!r} needs metrics to step on"


@pytest.mark.parametrize("name", EXPORTED)
def test_every_example_builds_in_both_libraries(name):
    for example in SCHEDULES[name].examples:
        for lrs in [(0.1,), (0.1, 0.03)]:
            ours = example.build(MLX, mlx_optimizer(lrs))
            theirs = example.build(TORCH, torch_optimizer(lrs))
            assert type(ours) is getattr(lib, name)
            assert len(ours.get_last_lr()) == len(theirs.get_last_lr()) == len(lrs)


def test_per_group_arguments_take_one_value_per_group():
    example = Example("SWALR", {"swa_lr": PerGroup((0.05, 0.002))})
    assert example.build(MLX, mlx_optimizer((0.1,))).swa_lrs == [0.05]
    assert example.build(MLX, mlx_optimizer((0.1, 0.2))).swa_lrs == [0.05, 0.002]
    assert example.schedule(0.1, group=1)(10**6) == 0.002


@pytest.mark.parametrize("name", EXPORTED)
def test_scheduler_has_a_runnable_example_in_its_docstring(name):
    doc = inspect.getdoc(getattr(lib, name)) or ""
    assert re.search(r"^\s*>>> ", doc, re.MULTILINE), f"{name}: no doctest example"


@pytest.mark.parametrize("name", EXPORTED)
def test_scheduler_has_a_test_file(name):
    module = getattr(lib, name).__module__.rsplit(".", 1)[-1]
    own = TESTS / f"test_{module}.py"
    if name in COMPOSABLE:
        for shared in SHARED_TESTS:
            assert "COMPOSABLE" in (TESTS / shared).read_text(), shared
    else:
        assert own.exists(), f"{name}: no {own.relative_to(ROOT)}"
        assert name in own.read_text(), f"{name}: {own.relative_to(ROOT)} does not name it"


@pytest.mark.parametrize("name", sorted(n for n, e in SCHEDULES.items() if e.function))
def test_schedule_functions_are_public(name):
    entry = SCHEDULES[name]
    for function in (entry.function, entry.momentum_function):
        if function is not None:
            assert function.__name__ in schedules.__all__, f"{name}: {function.__name__}"
            assert getattr(schedules, function.__name__) is function


def _adding_a_schedule_row() -> str:
    rows = [line for line in README.read_text().splitlines() if line.startswith("| adding a")]
    assert len(rows) == 1, "README's 'Where things are' has one row on adding a schedule"
    return rows[0]


def test_readme_says_what_adding_a_schedule_takes():
    row = _adding_a_schedule_row()
    for place in (
        "src/mlx_lr_scheduler/<snake_case_name>.py",
        "__init__.py",
        "schedules.py",
        "registry.py",
        "tests/strategies.py",
        "tests/test_<snake_case_name>.py",
        "strategies.COMPOSABLE",
        "tests/test_registry.py",
    ):
        assert f"`{place}`" in row, f"README's row on adding a schedule does not name {place}"
    assert f"`{LONG_RUN}`" in row
