"""The optimizer side of a parameter group (``param_groups.py``).

* an optimizer and its state are freed by reference counting once the last
  reference to them is gone: nothing a scheduler attaches refers back to it
  (torch's ``test_no_cyclic_references``);
* the learning rate keeps the dtype and shape the optimizer holds it in
  (float16, bfloat16, shape ``(1,)``), with no retrace in a compiled step; an
  integer one becomes a float32 scalar; one that is not a single number is
  refused where it enters, naming ``learning_rate``.
"""

from __future__ import annotations

import gc
import weakref

import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim
import pytest
import torch

import mlx_lr_scheduler as lib
from mlx_lr_scheduler.param_groups import shortest_decimal

BUILDS = {
    "LambdaLR": lambda o: lib.LambdaLR(o, lambda epoch: 1.0),
    "StepLR": lambda o: lib.StepLR(o, 2, 0.5),
    "OneCycleLR": lambda o: lib.OneCycleLR(o, max_lr=0.1, total_steps=20),
    "SequentialLR": lambda o: lib.SequentialLR(
        o, [lib.LinearLR(o, 0.1, total_iters=3), lib.CosineAnnealingLR(o, 10)], [3]
    ),
    "ReduceLROnPlateau": lambda o: lib.ReduceLROnPlateau(o, patience=0),
    "SWALR": lambda o: lib.SWALR(o, swa_lr=0.05, anneal_epochs=3),
}


def _bound_and_stepped(name: str, leaves: list[weakref.ref]) -> None:
    model = nn.Linear(256, 256)
    optimizer = optim.SGD(learning_rate=0.1, momentum=0.9)
    optimizer.init(model.trainable_parameters())
    scheduler = BUILDS[name](optimizer)
    for epoch in range(5):
        scheduler.step(1.0 / (epoch + 1)) if name == "ReduceLROnPlateau" else scheduler.step()
    mx.eval(optimizer.state)
    leaves.append(weakref.ref(optimizer))
    leaves.append(weakref.ref(scheduler))


@pytest.mark.parametrize("name", sorted(BUILDS))
def test_optimizer_and_scheduler_are_freed_without_the_cycle_collector(name):
    leaves: list[weakref.ref] = []
    gc.collect()
    gc.disable()
    try:
        _bound_and_stepped(name, leaves)
        assert [ref() for ref in leaves] == [None, None]
    finally:
        gc.enable()


def test_the_check_can_fail_a_cycle_is_seen():
    # The same check sees a reference cycle through the optimizer.
    gc.collect()
    gc.disable()
    try:
        optimizer = optim.SGD(learning_rate=0.1)
        lib.StepLR(optimizer, 2)
        optimizer.myself = optimizer  # a cycle
        ref = weakref.ref(optimizer)
        del optimizer
        assert ref() is not None
    finally:
        gc.enable()
        gc.collect()


def _torch_lrs(build, lr: float, steps: int) -> list[float]:
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    scheduler = build(opt)
    lrs = []
    for _ in range(steps):
        opt.step()
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
    return lrs


@pytest.mark.parametrize("dtype", [mx.float16, mx.bfloat16, mx.float32])
@pytest.mark.parametrize("shape", [(), (1,)])
def test_learning_rate_keeps_its_dtype_and_shape(dtype, shape):
    optimizer = optim.SGD(learning_rate=mx.array(0.1, dtype).reshape(shape))
    scheduler = lib.StepLR(optimizer, step_size=2, gamma=0.5)
    assert scheduler.base_lrs == [0.1]  # the number typed, not its float16 rounding
    want = _torch_lrs(lambda o: torch.optim.lr_scheduler.StepLR(o, 2, 0.5), 0.1, 8)
    for lr in want:
        scheduler.step()
        held = optimizer.state["learning_rate"]
        assert held.dtype == dtype and held.shape == shape
        assert scheduler.get_last_lr() == [lr]  # the float64 arithmetic is torch's
        assert mx.array_equal(held, mx.array(lr, dtype).reshape(shape))


def test_compiled_step_with_a_bfloat16_learning_rate_traces_once():
    model = nn.Linear(4, 1)
    model.set_dtype(mx.bfloat16)
    optimizer = optim.SGD(learning_rate=mx.array(0.1, mx.bfloat16))
    optimizer.init(model.trainable_parameters())
    scheduler = lib.ExponentialLR(optimizer, gamma=0.7)
    traces = []
    state = [model.state, optimizer.state]

    def loss_fn(model, x):
        return model(x).sum()

    def step(x):
        traces.append(1)
        loss, grads = nn.value_and_grad(model, loss_fn)(model, x)
        optimizer.update(model, grads)
        return loss

    step = mx.compile(step, inputs=state, outputs=state)
    x = mx.ones((2, 4), mx.bfloat16)
    for _ in range(6):
        step(x)
        mx.eval(state)
        scheduler.step()
    assert len(traces) == 1
    assert optimizer.state["learning_rate"].dtype == mx.bfloat16


def test_an_integer_learning_rate_becomes_a_float32_scalar():
    optimizer = optim.SGD(learning_rate=1)
    assert optimizer.state["learning_rate"].dtype == mx.int32
    scheduler = lib.ExponentialLR(optimizer, gamma=0.5)
    scheduler.step()
    assert optimizer.state["learning_rate"].dtype == mx.float32
    assert optimizer.state["learning_rate"].item() == 0.5


@pytest.mark.parametrize("value", [mx.array([0.1, 0.2]), mx.zeros((2, 2))])
def test_a_learning_rate_of_several_numbers_is_refused_naming_it(value):
    optimizer = optim.SGD(learning_rate=0.1)
    optimizer.state["learning_rate"] = value
    with pytest.raises(ValueError, match=r"learning_rate must be one number.*shape \(2"):
        lib.StepLR(optimizer, 2)


def test_float16_learning_rate_beyond_its_range_is_refused_not_inf():
    optimizer = optim.SGD(learning_rate=mx.array(1000.0, mx.float16))
    scheduler = lib.ExponentialLR(optimizer, gamma=100.0)
    with pytest.raises(ValueError, match=r"finite as a float16 \(< 65520.0\)"):
        scheduler.step()
    assert optimizer.state["learning_rate"].item() == 1000.0  # nothing half-applied


@pytest.mark.parametrize(
    ("dtype", "typed"),
    [(mx.float16, 0.1), (mx.float16, 3e-4), (mx.bfloat16, 0.01), (mx.float32, 0.123456)],
)
def test_shortest_decimal_recovers_the_typed_number(dtype, typed):
    stored = mx.array(typed, dtype).item()
    assert stored != typed  # the dtype rounds it ...
    assert shortest_decimal(stored, dtype) == typed  # ... and we recover what was typed
