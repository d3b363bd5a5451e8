"""Each torch-named class and its schedule function agree at every step.

The test iterates over :data:`mlx_lr_scheduler.registry.SCHEDULES`: every entry
either has a function, and its examples build both sides from the same arguments
(``Example.build`` the class, ``Example.schedule`` the function), or is listed in
:data:`NO_CLOSED_FORM` with the reason. A new class without either fails
:func:`test_every_registry_entry_is_covered`, so a class and its function cannot
drift apart unnoticed.

The class is stepped (torch's step-by-step arithmetic, bit-exact with torch
elsewhere); the function is evaluated in closed form: on Python ints (float64)
and on one ``mx.arange`` (float32), through the registry's factory and through
``scheduler.schedule()``. They agree to float32 rounding.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import mlx.core as mx
import mlx.optimizers as optim
import numpy as np
import pytest

import mlx_lr_scheduler as lib
from mlx_lr_scheduler import schedules
from mlx_lr_scheduler.registry import SCHEDULES, Example, every_example

BASE_LR = 0.1
#: Agreement, relative to max(|class value|, 1e-10 * peak): float64 closed form vs the
#: class's step-by-step float64 arithmetic, and float32 (a few ulp) vs the class.
FLOAT64_TOLERANCE = 1e-11
FLOAT32_TOLERANCE = 2**-20
#: Examples whose float32 evaluation is looser, and why.
FLOAT32_TOLERANCE_OF = {
    # The user's scale function, 0.97 ** x, runs on the float32 array: its own rounding
    # grows with x (1.1e-6 at x = 100), beyond what the library's arithmetic adds.
    "CyclicLR: custom scale_fn object on iterations": 2**-19,
}

#: Registry entries without a schedule function, and why.
NO_CLOSED_FORM = {
    "MultiplicativeLR": "each step multiplies by lr_lambda(epoch): a product, no closed form",
    "ChainedScheduler": "its schedulers' step-by-step forms compose by the LR they find",
    "ReduceLROnPlateau": "the LR depends on the metrics, not on the step count",
    "WarmupThenPlateau": "ends in ReduceLROnPlateau",
}

#: Examples with a closed form that the stepped class does not follow, and why.
CLASS_LEAVES_ITS_CLOSED_FORM = {
    "SequentialLR: a sequence first": (
        "torch's quirk, kept for parity: a composite nested first takes its first step "
        "when the outer one is built, so its phases start one step early"
    ),
}
#: Every example of every class with a schedule function, by ``"Class: label"``.
EXAMPLES: dict[str, Example] = {
    key: example
    for key, example in every_example().items()
    if example.has_closed_form and key not in CLASS_LEAVES_ITS_CLOSED_FORM
}
#: The examples of the classes that cycle momentum, with it cycled.
MOMENTUM_EXAMPLES: dict[str, Example] = {
    key: example
    for key, example in EXAMPLES.items()
    if SCHEDULES[example.scheduler].momentum_function is not None
    and example.arguments.get("cycle_momentum", True)
}


def _optimizer(lrs: tuple[float, ...] = (BASE_LR,)):
    if len(lrs) == 1:
        return optim.SGD(learning_rate=lrs[0], momentum=0.9)
    leaves = [optim.SGD(learning_rate=lr, momentum=0.9) for lr in lrs]
    return optim.MultiOptimizer(leaves, [lambda *_: False] * (len(lrs) - 1))


@pytest.mark.parametrize("key", sorted(MOMENTUM_EXAMPLES))
def test_momentum_function_agrees_with_the_stepped_class(key):
    example = MOMENTUM_EXAMPLES[key]
    optimizer = _optimizer()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = example.build(lib, optimizer)
        expected = [scheduler.param_groups[0]["momentum"]]
        for _ in range(example.steps):
            scheduler.step()
            expected.append(scheduler.param_groups[0]["momentum"])
    expected = np.array(expected)
    steps = len(expected)
    function, handed_out = example.momentum_schedule(), scheduler.momentum_schedule()
    as_ints = np.array([function(k) for k in range(steps)])
    assert _agreement(as_ints, expected) <= FLOAT64_TOLERANCE
    assert [handed_out(k) for k in range(steps)] == list(as_ints)
    assert _agreement(np.array(function(mx.arange(steps))), expected) <= FLOAT32_TOLERANCE


def test_momentum_schedule_needs_cycled_momentum():
    optimizer = optim.SGD(learning_rate=BASE_LR, momentum=0.9)
    with pytest.raises(TypeError, match="cycle_momentum=False"):
        lib.CyclicLR(optimizer, 0.01, 0.1, cycle_momentum=False).momentum_schedule()
    with pytest.raises(TypeError, match="StepLR does not schedule momentum"):
        lib.StepLR(optimizer, 3).momentum_schedule()


def _stepped(example: Example, steps: int, lrs: tuple[float, ...] = (BASE_LR,)):
    """The class, and its LR (per group) at epochs 0 to ``steps``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = example.build(lib, _optimizer(lrs))
        history = [scheduler.get_last_lr()]
        for _ in range(steps):
            scheduler.step()
            history.append(scheduler.get_last_lr())
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
            assert entry.examples, f"{name} has a schedule function but no example"
            assert name not in NO_CLOSED_FORM
    assert set(NO_CLOSED_FORM) <= set(SCHEDULES)


@pytest.mark.parametrize("name", sorted(NO_CLOSED_FORM))
def test_classes_without_closed_form_say_so(name):
    cls = getattr(lib, name)
    with pytest.raises(TypeError, match="no closed form"):
        cls._schedule(object.__new__(cls), 0)


@pytest.mark.parametrize("key", sorted(EXAMPLES))
def test_function_agrees_with_the_stepped_class(key):
    example = EXAMPLES[key]
    scheduler, history = _stepped(example, example.steps)
    expected = np.array([lrs[0] for lrs in history])
    function = example.schedule(BASE_LR)
    handed_out = scheduler.schedule()
    steps = range(len(expected))

    as_ints = np.array([function(k) for k in steps])
    assert _agreement(as_ints, expected) <= FLOAT64_TOLERANCE
    assert [handed_out(k) for k in steps] == list(as_ints)

    as_array = np.array(function(mx.arange(len(expected))))
    assert _agreement(as_array, expected) <= FLOAT32_TOLERANCE_OF.get(key, FLOAT32_TOLERANCE)
    assert np.array_equal(np.array(handed_out(mx.arange(len(expected)))), as_array)


@pytest.mark.parametrize("key", sorted(CLASS_LEAVES_ITS_CLOSED_FORM))
def test_class_leaving_its_closed_form_does_so(key):
    name, label = key.split(": ", 1)
    example = SCHEDULES[name].example(label)
    _, history = _stepped(example, example.steps)
    function = example.schedule(BASE_LR)
    assert [lrs[0] for lrs in history] != [function(k) for k in range(len(history))]


@pytest.mark.parametrize("key", sorted(EXAMPLES))
def test_steps_per_epoch_and_groups(key):
    example = EXAMPLES[key]
    steps = min(60, example.steps)
    scheduler, history = _stepped(example, steps, lrs=(BASE_LR, 0.03))
    for group in (0, 1):
        expected = np.array([lrs[group] for lrs in history])
        per_epoch = scheduler.schedule(group, steps_per_epoch=3)
        values = np.array([per_epoch(k) for k in range(3 * len(expected))])
        assert _agreement(values, np.repeat(expected, 3)) <= FLOAT64_TOLERANCE
        array = np.array(per_epoch(mx.arange(3 * len(expected), dtype=mx.int32)))
        tolerance = FLOAT32_TOLERANCE_OF.get(key, FLOAT32_TOLERANCE)
        assert _agreement(array, np.repeat(expected, 3)) <= tolerance


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
    "WarmupStableDecayLR": [
        {"num_warmup_steps": -1, "num_decay_steps": 2, "num_stable_steps": 1},
        {"num_warmup_steps": 1, "num_decay_steps": 2.0, "num_stable_steps": 1},
        {"num_warmup_steps": 1, "num_decay_steps": 2, "num_training_steps": 2},
        {"num_warmup_steps": 1, "num_decay_steps": 2, "num_stable_steps": -1},
        {"num_warmup_steps": 1, "num_decay_steps": 2, "num_stable_steps": 1, "warmup_type": "x"},
        {"num_warmup_steps": 1, "num_decay_steps": 2, "num_stable_steps": 1, "decay_type": "x"},
        {"num_warmup_steps": 1, "num_decay_steps": 2, "num_stable_steps": 1, "min_lr_ratio": 2.0},
        {"num_warmup_steps": 1, "num_decay_steps": 2, "num_stable_steps": 1, "num_cycles": -1.0},
    ],
    "InverseSqrtLR": [
        {"num_warmup_steps": -1},
        {"num_warmup_steps": 2.5},
        {"num_warmup_steps": 2, "timescale": 0},
    ],
    "WarmupCosineLR": [
        {"num_warmup_steps": -1, "num_training_steps": 10},
        {"num_warmup_steps": 1, "num_training_steps": 10.0},
        {"num_warmup_steps": 1, "num_training_steps": 10, "num_cycles": -0.5},
        {"num_warmup_steps": 1, "num_training_steps": 10, "min_lr": 0.5},
        {"num_warmup_steps": 1, "num_training_steps": 10, "min_lr": 0.01, "min_lr_rate": 0.1},
        {"num_warmup_steps": 1, "num_training_steps": 10, "min_lr_rate": 2.0},
        {"num_warmup_steps": 1, "num_training_steps": 10, "warmup_lr_rate": -0.1},
        {"num_warmup_steps": 1, "num_training_steps": 10, "hard_restarts": "yes"},
        {"num_warmup_steps": 1, "num_training_steps": 10, "count_from_one": 1},
    ],
    "WarmupPolynomialLR": [
        {"num_warmup_steps": 5, "num_training_steps": 5},
        {"num_warmup_steps": -1, "num_training_steps": 5},
        {"num_warmup_steps": 1, "num_training_steps": 5, "lr_end": -1e-7},
        {"num_warmup_steps": 1, "num_training_steps": 5, "power": -1.0},
    ],
    "WarmupLR": [
        {"num_warmup_steps": -1},
        {"num_warmup_steps": 2.0},
        {"num_warmup_steps": 2, "warmup_type": "exp"},
        {"num_warmup_steps": 2, "start_factor": 1.5},
    ],
}


def test_every_function_has_bad_arguments_to_refuse():
    assert set(BAD_ARGUMENTS) == {
        name for name, entry in SCHEDULES.items() if entry.function and not entry.composite
    }


@pytest.mark.parametrize(
    "name, bad", [(name, bad) for name, cases in BAD_ARGUMENTS.items() for bad in cases], ids=str
)
def test_function_refuses_what_the_class_refuses(name, bad):
    entry = SCHEDULES[name]
    with pytest.raises((TypeError, ValueError)) as from_class:
        entry.scheduler(optim.SGD(learning_rate=BASE_LR), **bad)
    with pytest.raises((TypeError, ValueError)) as from_function:
        if entry.takes_learning_rates:
            entry.function(**bad)
        else:
            entry.function(BASE_LR, **bad)
    assert type(from_function.value) is type(from_class.value)
    assert str(from_function.value) == str(from_class.value)


@pytest.mark.parametrize(
    "name", sorted(name for name in BAD_ARGUMENTS if not SCHEDULES[name].takes_learning_rates)
)
def test_base_lr_and_steps_per_epoch_are_checked(name):
    example = SCHEDULES[name].examples[0]
    with pytest.raises(ValueError, match=r"base_lr must be in \[0.0, inf\), but got -0.5"):
        example.schedule(-0.5)
    if "steps_per_epoch" in inspect.signature(SCHEDULES[name].function).parameters:
        with pytest.raises(ValueError, match="steps_per_epoch must be an integer >= 1, but got 0"):
            example.schedule(BASE_LR, steps_per_epoch=0)


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
