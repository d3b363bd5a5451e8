"""Each torch-named class and its schedule function agree at every step.

The test iterates over :data:`mlx_lr_scheduler.registry.SCHEDULES`: every entry
either has a function, and a recipe here to build both sides from the same
arguments, or is listed in :data:`NO_CLOSED_FORM` with the reason. A new class
without either fails :func:`test_every_registry_entry_is_covered`, so a class and
its function cannot drift apart unnoticed.

The class is stepped (torch's step-by-step arithmetic, bit-exact with torch
elsewhere); the function is evaluated in closed form: on Python ints (float64)
and on one ``mx.arange`` (float32), through the registry's factory and through
``scheduler.schedule()``. They agree to float32 rounding.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mlx.core as mx
import mlx.optimizers as optim
import numpy as np
import pytest

import mlx_lr_scheduler as lib
from mlx_lr_scheduler import schedules
from mlx_lr_scheduler.registry import SCHEDULES

BASE_LR = 0.1
#: Agreement, relative to max(|class value|, 1e-10 * peak): float64 closed form vs the
#: class's step-by-step float64 arithmetic, and float32 (a few ulp) vs the class.
FLOAT64_TOLERANCE = 1e-11
FLOAT32_TOLERANCE = 2**-20

#: Registry entries without a schedule function, and why.
NO_CLOSED_FORM = {
    "MultiplicativeLR": "each step multiplies by lr_lambda(epoch): a product, no closed form",
    "ChainedScheduler": "its schedulers' step-by-step forms compose by the LR they find",
    "ReduceLROnPlateau": "the LR depends on the metrics, not on the step count",
    "WarmupThenPlateau": "ends in ReduceLROnPlateau",
}


@dataclass(frozen=True)
class Recipe:
    """One configuration: the class built on an optimizer, and the function built alike.

    ``make_class(cls, optimizer)`` and ``make_function(factory)`` receive the
    registry's class and factory, so the test exercises what the registry lists.
    """

    make_class: Callable[[Any, Any], Any]
    make_function: Callable[[Callable[..., Any]], Any]
    steps: int = 400


def same(**kwargs: Any) -> Recipe:
    """The usual shape: ``Class(optimizer, **kwargs)`` and ``function(BASE_LR, **kwargs)``."""
    return Recipe(lambda cls, o: cls(o, **kwargs), lambda f: f(BASE_LR, **kwargs))


def _sequential_class(cls: Any, o: Any) -> Any:
    return cls(
        o,
        [lib.LinearLR(o, start_factor=0.1, total_iters=20), lib.CosineAnnealingLR(o, T_max=150)],
        milestones=[30],
    )


def _sequential_function(factory: Callable[..., Any]) -> Any:
    return factory(
        [
            schedules.linear_lr(BASE_LR, start_factor=0.1, total_iters=20),
            schedules.cosine_annealing_lr(BASE_LR, T_max=150),
        ],
        milestones=[30],
    )


RECIPES: dict[str, Recipe] = {
    "LambdaLR": same(lr_lambda=lambda epoch: 1.0 / (1.0 + 0.05 * epoch)),
    "StepLR": same(step_size=7, gamma=0.5),
    "MultiStepLR": same(milestones=[3, 50, 50, 120], gamma=0.3),
    "ConstantLR": same(factor=0.25, total_iters=40),
    "LinearLR": same(start_factor=0.05, end_factor=0.7, total_iters=300),
    "ExponentialLR": same(gamma=0.98),
    "PolynomialLR": same(total_iters=300, power=1.7),
    "CosineAnnealingLR": same(T_max=90, eta_min=1e-3),
    "SequentialLR": Recipe(_sequential_class, _sequential_function),
    "CosineAnnealingWarmRestarts": same(T_0=5, T_mult=2, eta_min=1e-4),
    "SWALR": same(swa_lr=0.02, anneal_epochs=60),
    # These two take their learning rates as arguments (the class sets the optimizer's).
    "CyclicLR": Recipe(
        lambda cls, o: cls(o, base_lr=0.01, max_lr=0.1, step_size_up=7, step_size_down=12.5),
        lambda f: f(0.01, 0.1, step_size_up=7, step_size_down=12.5),
    ),
    "OneCycleLR": Recipe(
        lambda cls, o: cls(o, max_lr=0.1, total_steps=400, pct_start=0.25),
        lambda f: f(0.1, total_steps=400, pct_start=0.25),
    ),
}

#: The momentum functions, and the classes' configurations that cycle momentum.
MOMENTUM_RECIPES: dict[str, tuple[Callable[[Any], Any], Callable[[], Any]]] = {
    "CyclicLR triangular2": (
        lambda o: lib.CyclicLR(o, 0.01, 0.1, step_size_up=5, mode="triangular2"),
        lambda: schedules.cyclic_momentum(0.8, 0.9, step_size_up=5, mode="triangular2"),
    ),
    "CyclicLR exp_range": (
        lambda o: lib.CyclicLR(
            o, 0.01, 0.1, 9, 4, mode="exp_range", gamma=0.995, base_momentum=0.7
        ),
        lambda: schedules.cyclic_momentum(0.7, 0.9, 9, 4, mode="exp_range", gamma=0.995),
    ),
    "OneCycleLR three phases": (
        lambda o: lib.OneCycleLR(o, 0.1, total_steps=400, three_phase=True, pct_start=0.2),
        lambda: schedules.one_cycle_momentum(total_steps=400, three_phase=True, pct_start=0.2),
    ),
    "OneCycleLR linear": (
        lambda o: lib.OneCycleLR(
            o, 0.1, epochs=8, steps_per_epoch=50, anneal_strategy="linear", max_momentum=0.99
        ),
        lambda: schedules.one_cycle_momentum(
            epochs=8, steps_per_epoch=50, anneal_strategy="linear", max_momentum=0.99
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(MOMENTUM_RECIPES))
def test_momentum_function_agrees_with_the_stepped_class(name):
    make_class, make_function = MOMENTUM_RECIPES[name]
    optimizer = optim.SGD(learning_rate=BASE_LR, momentum=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = make_class(optimizer)
        expected = []
        for _ in range(400):
            expected.append(scheduler.param_groups[0]["momentum"])
            scheduler.step()
    expected = np.array(expected)
    function, handed_out = make_function(), scheduler.momentum_schedule()
    as_ints = np.array([function(k) for k in range(400)])
    assert _agreement(as_ints, expected) <= FLOAT64_TOLERANCE
    assert [handed_out(k) for k in range(400)] == list(as_ints)
    assert _agreement(np.array(function(mx.arange(400))), expected) <= FLOAT32_TOLERANCE


def test_momentum_schedule_needs_cycled_momentum():
    optimizer = optim.SGD(learning_rate=BASE_LR, momentum=0.9)
    with pytest.raises(TypeError, match="cycle_momentum=False"):
        lib.CyclicLR(optimizer, 0.01, 0.1, cycle_momentum=False).momentum_schedule()
    with pytest.raises(TypeError, match="StepLR does not schedule momentum"):
        lib.StepLR(optimizer, 3).momentum_schedule()


def _stepped(recipe: Recipe, cls: Any, lrs: tuple[float, ...] = (BASE_LR,)) -> tuple[Any, list]:
    """The class, and its LR (per group) before each of ``recipe.steps`` updates."""
    if len(lrs) == 1:
        optimizer = optim.SGD(learning_rate=lrs[0], momentum=0.9)
    else:
        leaves = [optim.SGD(learning_rate=lr, momentum=0.9) for lr in lrs]
        optimizer = optim.MultiOptimizer(leaves, [lambda *_: False] * (len(lrs) - 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = recipe.make_class(cls, optimizer)
        history = []
        for _ in range(recipe.steps):
            history.append(scheduler.get_last_lr())
            scheduler.step()
    return scheduler, history


def _agreement(values: np.ndarray, expected: np.ndarray) -> float:
    peak = np.max(np.abs(expected))
    scale = np.maximum(np.abs(expected), 1e-10 * peak)
    return float(np.max(np.abs(values.astype(np.float64) - expected) / scale))


def test_every_registry_entry_is_covered():
    for name, entry in SCHEDULES.items():
        if entry.function is None:
            assert name in NO_CLOSED_FORM, f"{name} has no schedule function and no reason why"
        else:
            assert name in RECIPES, f"{name} has a schedule function but no agreement recipe"
            assert name not in NO_CLOSED_FORM
    assert set(RECIPES) <= set(SCHEDULES)


@pytest.mark.parametrize("name", sorted(NO_CLOSED_FORM))
def test_classes_without_closed_form_say_so(name):
    cls = getattr(lib, name)
    with pytest.raises(TypeError, match="no closed form"):
        cls._schedule(object.__new__(cls), 0)


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_function_agrees_with_the_stepped_class(name):
    entry, recipe = SCHEDULES[name], RECIPES[name]
    scheduler, history = _stepped(recipe, entry.scheduler)
    expected = np.array([lrs[0] for lrs in history])
    function = recipe.make_function(entry.function)
    handed_out = scheduler.schedule()
    steps = range(recipe.steps)

    as_ints = np.array([function(k) for k in steps])
    assert _agreement(as_ints, expected) <= FLOAT64_TOLERANCE
    assert [handed_out(k) for k in steps] == list(as_ints)

    as_array = np.array(function(mx.arange(recipe.steps)))
    assert _agreement(as_array, expected) <= FLOAT32_TOLERANCE
    assert np.array_equal(np.array(handed_out(mx.arange(recipe.steps))), as_array)


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_steps_per_epoch_and_groups(name):
    entry, recipe = SCHEDULES[name], RECIPES[name]
    short = Recipe(recipe.make_class, recipe.make_function, steps=60)
    scheduler, history = _stepped(short, entry.scheduler, lrs=(BASE_LR, 0.03))
    for group in (0, 1):
        expected = np.array([lrs[group] for lrs in history])
        per_epoch = scheduler.schedule(group, steps_per_epoch=3)
        values = np.array([per_epoch(k) for k in range(3 * short.steps)])
        assert _agreement(values, np.repeat(expected, 3)) <= FLOAT64_TOLERANCE
        array = np.array(per_epoch(mx.arange(3 * short.steps, dtype=mx.int32)))
        assert _agreement(array, np.repeat(expected, 3)) <= FLOAT32_TOLERANCE


def test_schedule_arguments_are_checked():
    scheduler = lib.StepLR(optim.SGD(learning_rate=0.1), step_size=3)
    with pytest.raises(ValueError, match="group must be the index of a parameter group"):
        scheduler.schedule(1)
    with pytest.raises(ValueError, match="steps_per_epoch must be an integer >= 1"):
        scheduler.schedule(steps_per_epoch=0)
    with pytest.raises(TypeError, match="group must be an integer"):
        scheduler.schedule(0.0)


def test_sequential_lr_with_swalr_later_has_no_closed_form():
    optimizer = optim.SGD(learning_rate=0.1)
    cosine = lib.CosineAnnealingLR(optimizer, T_max=10)
    swa = lib.SWALR(optimizer, swa_lr=0.01, anneal_epochs=5)
    scheduler = lib.SequentialLR(optimizer, [cosine, swa], milestones=[10])
    with pytest.raises(TypeError, match="SWALR after its first scheduler"):
        scheduler.schedule()


#: Arguments each class refuses; its function must refuse them with the same error.
BAD_ARGUMENTS: dict[str, list[dict[str, Any]]] = {
    "LambdaLR": [{"lr_lambda": 3}],
    "StepLR": [{"step_size": 0}, {"step_size": 2.5}, {"step_size": 3, "gamma": -0.1}],
    "MultiStepLR": [
        {"milestones": [-1]},
        {"milestones": "12"},
        {"milestones": [1], "gamma": float("nan")},
    ],
    "ConstantLR": [{"factor": 0.0}, {"factor": 1.5}, {"total_iters": 0}],
    "LinearLR": [{"start_factor": 0.0}, {"end_factor": 1.5}, {"total_iters": 0}],
    "ExponentialLR": [{"gamma": -1.0}, {"gamma": "0.5"}],
    "PolynomialLR": [{"total_iters": 0}, {"power": -1.0}],
    "CosineAnnealingLR": [{"T_max": 0}, {"T_max": 10, "eta_min": -1.0}, {"T_max": 1.5}],
    "CosineAnnealingWarmRestarts": [
        {"T_0": 0},
        {"T_0": 2, "T_mult": 0},
        {"T_0": 2, "eta_min": -1.0},
    ],
    "SWALR": [
        {"swa_lr": -1.0},
        {"swa_lr": 0.1, "anneal_epochs": -1},
        {"swa_lr": 0.1, "anneal_strategy": "quadratic"},
    ],
    # The cyclic ones take every argument the class takes (but the optimizer).
    "CyclicLR": [
        {"base_lr": -0.1, "max_lr": 0.1},
        {"base_lr": 0.1, "max_lr": float("inf")},
        {"base_lr": 0.1, "max_lr": 1.0, "step_size_up": 0},
        {"base_lr": 0.1, "max_lr": 1.0, "step_size_down": -1},
        {"base_lr": 0.1, "max_lr": 1.0, "mode": "sine"},
        {"base_lr": 0.1, "max_lr": 1.0, "mode": "exp_range", "gamma": 0.0},
        {"base_lr": 0.1, "max_lr": 1.0, "scale_fn": "half"},
        {"base_lr": 0.1, "max_lr": 1.0, "scale_mode": "epoch"},
        {"base_lr": 0.1, "max_lr": 1.0, "step_size_up": 1e308, "step_size_down": 1e308},
    ],
    "OneCycleLR": [
        {"max_lr": -1.0, "total_steps": 10},
        {"max_lr": 1.0},
        {"max_lr": 1.0, "total_steps": 0},
        {"max_lr": 1.0, "epochs": 2, "steps_per_epoch": 0},
        {"max_lr": 1.0, "total_steps": 10, "pct_start": 1.5},
        {"max_lr": 1.0, "total_steps": 10, "pct_start": 0.1},
        {"max_lr": 1.0, "total_steps": 10, "anneal_strategy": "cosine"},
        {"max_lr": 1.0, "total_steps": 10, "div_factor": 0.0},
        {"max_lr": 1.0, "total_steps": 10, "final_div_factor": -1.0},
        {"max_lr": 1.0, "total_steps": 10, "three_phase": 1},
        {"max_lr": 1e300, "total_steps": 10, "div_factor": 1e-300},
    ],
}
#: Functions taking exactly the class's arguments (no base_lr of their own).
OWN_LEARNING_RATES = {"CyclicLR", "OneCycleLR"}


def test_every_function_has_bad_arguments_to_refuse():
    assert set(BAD_ARGUMENTS) == {name for name in RECIPES if name != "SequentialLR"}


@pytest.mark.parametrize(
    "name, bad", [(name, bad) for name, cases in BAD_ARGUMENTS.items() for bad in cases], ids=str
)
def test_function_refuses_what_the_class_refuses(name, bad):
    entry = SCHEDULES[name]
    with pytest.raises((TypeError, ValueError)) as from_class:
        entry.scheduler(optim.SGD(learning_rate=BASE_LR), **bad)
    with pytest.raises((TypeError, ValueError)) as from_function:
        if name in OWN_LEARNING_RATES:
            entry.function(**bad)
        else:
            entry.function(BASE_LR, **bad)
    assert type(from_function.value) is type(from_class.value)
    assert str(from_function.value) == str(from_class.value)


@pytest.mark.parametrize("name", sorted(set(BAD_ARGUMENTS) - OWN_LEARNING_RATES))
def test_base_lr_and_steps_per_epoch_are_checked(name):
    recipe = RECIPES[name]
    with pytest.raises(ValueError, match=r"base_lr must be in \[0.0, inf\), but got -0.5"):
        recipe.make_function(lambda base_lr, **kw: SCHEDULES[name].function(-0.5, **kw))
    if "steps_per_epoch" in SCHEDULES[name].function.__code__.co_varnames:
        with pytest.raises(ValueError, match="steps_per_epoch must be an integer >= 1, but got 0"):
            recipe.make_function(
                lambda base_lr, **kw: SCHEDULES[name].function(base_lr, **kw, steps_per_epoch=0)
            )


def test_sequential_lr_checks_its_arguments():
    sequential_lr = schedules.sequential_lr
    segment = schedules.constant_lr(0.1)
    with pytest.raises(ValueError, match="milestones must be strictly increasing"):
        sequential_lr([segment, segment, segment], milestones=[5, 5])
    with pytest.raises(ValueError, match="milestones must have one entry fewer"):
        sequential_lr([segment, segment], milestones=[])
    with pytest.raises(TypeError, match=r"schedules\[1\] must be callable"):
        sequential_lr([segment, 0.1], milestones=[3])
    with pytest.raises(ValueError, match="at least one schedule"):
        sequential_lr([], milestones=[])
    with pytest.raises(ValueError, match=r"milestones\[0\] must be an integer >= 1"):
        sequential_lr([segment, segment], milestones=[0])
