"""The schedule functions inside ``mx.compile`` and inside a compiled optimizer update.

Every schedule of the registry (built from its entry's first example) is compiled
with a trace counter and called on the uint64 steps an optimizer passes, up to
and past 2^24: each call equals the eager result, and the function traces once.
Then each drives ``optim.SGD(learning_rate=schedule)`` in a train step compiled
with the model and optimizer state as inputs and outputs, the optimizer's step
jumped past 2^24 and 3*10^7 on the way: the learning rate of update k is
``schedule(k)`` and nothing retraces. The return-type rule is checked last.
"""

from __future__ import annotations

import math
from functools import partial

import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim
import numpy as np
import pytest

from mlx_lr_scheduler import schedules
from mlx_lr_scheduler.registry import SCHEDULES

#: Schedules that end: their steps stay below the end.
ENDS = {"OneCycleLR": 399}

SMALL_STEPS = [0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377]
LARGE_STEPS = [2**24 - 1, 2**24, 2**24 + 1, 3 * 10**7, 2**40 + 3]


def _warm_up_compile() -> None:
    # The first function a process compiles is traced twice (MLX 0.32, whatever the
    # function); the trace counts below are about the schedules, so start warm.
    warm = mx.compile(lambda x: x + 1)
    for k in range(2):
        warm(mx.array(k))


_warm_up_compile()


#: The registry's classes with a schedule function.
NAMES = sorted(name for name, entry in SCHEDULES.items() if entry.function is not None)


def _function(name):
    return SCHEDULES[name].examples[0].schedule(BASE_PEAK)


def _steps(name):
    end = ENDS.get(name)
    return SMALL_STEPS if end is not None else SMALL_STEPS + LARGE_STEPS


@pytest.mark.parametrize("name", NAMES)
def test_compiled_equals_eager_and_traces_once(name):
    schedule = _function(name)
    traces = 0

    def counted(step):
        nonlocal traces
        traces += 1
        return schedule(step)

    compiled = mx.compile(counted)
    for k in _steps(name):
        step = mx.array(k, mx.uint64)
        value = compiled(step)
        assert value.dtype == mx.float32 and value.shape == ()
        eager = schedule(step).item()
        assert value.item() == pytest.approx(eager, rel=2**-22, abs=1e-30)
        exact = schedule(k)
        assert eager == pytest.approx(exact, rel=1e-5, abs=1e-10 * BASE_PEAK)
    assert traces == 1


BASE_PEAK = 0.1


def _model_and_data():
    mx.random.seed(3)
    model = nn.Linear(4, 1)
    x = mx.random.normal((8, 4))
    y = mx.random.normal((8, 1))
    return model, x, y


def _loss(model, x, y):
    return nn.losses.mse_loss(model(x), y)


def _compiled_train_step(model, optimizer):
    optimizer.init(model.trainable_parameters())
    state = [model.state, optimizer.state]
    traces = [0]

    @partial(mx.compile, inputs=state, outputs=state)
    def train_step(x, y):
        traces[0] += 1
        loss, grads = nn.value_and_grad(model, _loss)(model, x, y)
        optimizer.update(model, grads)
        return loss

    return train_step, state, traces


@pytest.mark.parametrize("name", NAMES)
def test_drives_a_compiled_optimizer_update(name):
    schedule = _function(name)
    model, x, y = _model_and_data()
    optimizer = optim.SGD(learning_rate=schedule)
    train_step, state, traces = _compiled_train_step(model, optimizer)
    jumps = [None] if name in ENDS else [None, 2**24 - 2, 3 * 10**7 - 2]
    for jump in jumps:
        if jump is not None:
            optimizer.state["step"] = mx.array(jump, mx.uint64)
        for _ in range(4):
            k = optimizer.state["step"].item()
            train_step(x, y)
            mx.eval(state)
            assert optimizer.state["step"].item() == k + 1
            used = optimizer.state["learning_rate"]
            assert used.dtype == mx.float32
            assert used.item() == pytest.approx(schedule(mx.array(k, mx.uint64)).item(), rel=2**-22)
    assert traces[0] == 1


@pytest.mark.parametrize("make_optimizer", [optim.SGD, optim.AdamW], ids=["SGD", "AdamW"])
def test_update_k_uses_schedule_of_k(make_optimizer):
    # The LR halves every step, so f(k) and f(k+1) are easy to tell apart.
    schedule = schedules.exponential_lr(0.5, gamma=0.5)
    model, x, y = _model_and_data()
    optimizer = make_optimizer(learning_rate=schedule)
    twin = make_optimizer(learning_rate=0.5)  # the same update with the LR set by hand
    twin_model, _, _ = _model_and_data()
    train_step, state, traces = _compiled_train_step(model, optimizer)
    grad_fn = nn.value_and_grad(twin_model, _loss)
    for k in range(6):
        twin.learning_rate = 0.5 * 0.5**k
        _, grads = grad_fn(twin_model, x, y)
        twin.update(twin_model, grads)
        train_step(x, y)
        mx.eval(state, twin_model.parameters())
        np.testing.assert_allclose(
            np.array(model.weight), np.array(twin_model.weight), rtol=1e-6, atol=1e-7
        )
    assert traces[0] == 1


# -- the return-type rule ---------------------------------------------------------

INTEGER_DTYPES = [
    mx.int8,
    mx.int16,
    mx.int32,
    mx.int64,
    mx.uint8,
    mx.uint16,
    mx.uint32,
    mx.uint64,
]


def test_int_gives_float():
    schedule = schedules.cosine_annealing_lr(1.0, T_max=10)
    assert type(schedule(3)) is float
    assert type(schedule(np.int64(3))) is float
    assert schedule(np.int64(3)) == schedule(3)


@pytest.mark.parametrize("dtype", INTEGER_DTYPES, ids=str)
def test_any_integer_array_gives_float32_of_its_shape(dtype):
    schedule = schedules.cosine_annealing_lr(1.0, T_max=10)
    reference = schedule(mx.arange(20, dtype=mx.uint64))
    values = schedule(mx.arange(20, dtype=dtype))
    assert values.dtype == mx.float32 and values.shape == (20,)
    assert np.array_equal(np.array(values), np.array(reference))
    scalar = schedule(mx.array(7, dtype))
    assert scalar.dtype == mx.float32 and scalar.shape == ()
    grid = schedule(mx.arange(20, dtype=dtype).reshape(4, 5))
    assert grid.shape == (4, 5)


def test_constant_schedules_still_give_arrays_of_the_steps_shape():
    schedule = schedules.swa_lr(0.1, swa_lr=0.05, anneal_epochs=0)
    values = schedule(mx.arange(6))
    assert values.dtype == mx.float32 and values.shape == (6,)
    assert np.all(np.array(values) == np.float32(0.05))


def test_negative_entries_of_signed_arrays_count_as_zero():
    schedule = schedules.exponential_lr(1.0, gamma=0.5)
    values = np.array(schedule(mx.array([-5, -1, 0, 1], mx.int32)))
    assert list(values) == [1.0, 1.0, 1.0, 0.5]


@pytest.mark.parametrize(
    "step, error, message",
    [
        (1.0, TypeError, "step must be an int or an mx.array of integers, but got 1.0"),
        (True, TypeError, "step must be an int or an mx.array of integers, but got True"),
        ("3", TypeError, "but got '3' \\(str\\)"),
        (-1, ValueError, "step must be an integer >= 0, but got -1"),
        (mx.array([1.0, 2.0]), TypeError, "but got an array of mlx.core.float32"),
        (mx.array([True]), TypeError, "but got an array of mlx.core.bool"),
    ],
)
def test_bad_steps_are_refused(step, error, message):
    schedule = schedules.step_lr(0.1, step_size=3)
    with pytest.raises(error, match=message):
        schedule(step)


def test_a_join_takes_mlx_schedules():
    # sequential_lr accepts MLX's own schedule functions as segments.
    schedule = schedules.sequential_lr(
        [optim.linear_schedule(0.0, 0.1, steps=10), schedules.exponential_lr(0.1, gamma=0.5)],
        milestones=[10],
    )
    values = np.array(schedule(mx.arange(13)))
    np.testing.assert_allclose(values[:11], np.float32([0.01 * k for k in range(10)] + [0.1]))
    assert list(values[11:]) == [np.float32(0.05), np.float32(0.025)]
    assert math.isclose(schedule(12), 0.025)
