"""How the schedulers bind to MLX optimizers.

* after every step the optimizer holds each group's LR as a float32 ``()`` array
  equal to ``float32(get_last_lr())``;
* a compiled train step (the optimizer state as input and output) sees every
  LR change without retracing and lands on the eager run's parameters;
* a ``MultiOptimizer`` is one group per sub-optimizer, in order, nested ones
  flattened; an optimizer on a schedule function, or a non-optimizer, is refused;
* a hand-set LR is adopted; the "step before update" warning; torch's resume
  rule; a user subclass implementing ``get_lr()``.
"""

from __future__ import annotations

import struct
import warnings

import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from mlx.utils import tree_flatten

import mlx_lr_scheduler as lib
from mlx_lr_scheduler.registry import SCHEDULES, every_example
from oracle import MLX, TORCH, first_mismatch, mlx_optimizer, record, run_both, torch_optimizer


def float32(value):
    return struct.unpack("<f", struct.pack("<f", value))[0]


def leaves(optimizer):
    return optimizer.optimizers if isinstance(optimizer, optim.MultiOptimizer) else [optimizer]


#: Every example of every registered class, by ``"Class: label"``.
EXAMPLES = every_example()


@pytest.mark.parametrize("lrs", [(0.1,), (0.1, 0.03)])
@pytest.mark.parametrize("key", sorted(EXAMPLES))
def test_optimizer_holds_a_float32_scalar_equal_to_the_last_lr(key, lrs):
    example = EXAMPLES[key]
    optimizer = mlx_optimizer(lrs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = example.build(MLX, optimizer)
        steps = min(12, example.steps)
        for k in range(steps + 1):
            for lr, leaf in zip(scheduler.get_last_lr(), leaves(optimizer), strict=True):
                held = leaf.state["learning_rate"]
                assert isinstance(held, mx.array)
                assert held.dtype == mx.float32 and held.shape == ()
                assert held.item() == float32(lr)
            if k < steps:
                scheduler.step(*example.step_args(k))


# -- mx.compile ----------------------------------------------------------------------------


def _train(multi, *, compiled, schedule=True, epochs=8, batches=3):
    """Train a small model; return (traces, parameters, LRs seen by the optimizer)."""
    mx.random.seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 1))
    x, y = mx.random.normal((16, 3)), mx.random.normal((16, 1))
    if multi:
        optimizer = optim.MultiOptimizer(
            [optim.SGD(learning_rate=0.1, momentum=0.9), optim.Adam(learning_rate=0.01)],
            [lambda name, _: name.startswith("layers.0")],
        )
    else:
        optimizer = optim.SGD(learning_rate=0.1, momentum=0.9)
    optimizer.init(model.trainable_parameters())
    scheduler = lib.SequentialLR(
        optimizer,
        [lib.LinearLR(optimizer, 0.25, total_iters=3), lib.CosineAnnealingLR(optimizer, 5)],
        milestones=[3],
    )
    traces = 0

    def loss_fn(model, x, y):
        return nn.losses.mse_loss(model(x), y)

    def train_step(x, y):
        nonlocal traces
        traces += 1
        loss, grads = nn.value_and_grad(model, loss_fn)(model, x, y)
        optimizer.update(model, grads)
        return loss

    if compiled:
        state = [model.state, optimizer.state]
        train_step = mx.compile(train_step, inputs=state, outputs=state)
    seen = []
    for _ in range(epochs):
        for _ in range(batches):
            train_step(x, y)
            mx.eval(model.state, optimizer.state)
        seen.append([leaf.state["learning_rate"].item() for leaf in leaves(optimizer)])
        if schedule:
            scheduler.step()
    return traces, tree_flatten(model.parameters()), seen


@pytest.mark.parametrize("multi", [False, True], ids=["Optimizer", "MultiOptimizer"])
def test_compiled_step_sees_every_lr_change_without_retracing(multi):
    traces, compiled_params, compiled_lrs = _train(multi, compiled=True)
    eager_traces, eager_params, eager_lrs = _train(multi, compiled=False)
    assert traces == 1 and eager_traces == 24
    assert compiled_lrs == eager_lrs
    assert len({tuple(lrs) for lrs in compiled_lrs}) == len(compiled_lrs)  # all different
    for (name, got), (_, want) in zip(compiled_params, eager_params):
        assert mx.array_equal(got, want), name
    # The LR matters: without the schedule the parameters end elsewhere.
    _, constant_params, _ = _train(multi, compiled=True, schedule=False)
    assert not all(mx.array_equal(a, b) for (_, a), (_, b) in zip(constant_params, eager_params))


# -- parameter groups ---------------------------------------------------------------------------


def test_multioptimizer_is_one_group_per_sub_optimizer_nested_ones_flattened():
    everything = lambda name, _: True  # noqa: E731
    optimizer = optim.MultiOptimizer(
        [
            optim.SGD(learning_rate=0.1),
            optim.MultiOptimizer(
                [optim.Adam(learning_rate=0.2), optim.AdamW(learning_rate=0.3)], [everything]
            ),
            optim.SGD(learning_rate=0.4),
        ],
        [everything, everything],
    )
    flat = [optimizer.optimizers[0], *optimizer.optimizers[1].optimizers, optimizer.optimizers[2]]
    scheduler = lib.LambdaLR(optimizer, [lambda e, k=k: 1.0 / (k + 1) ** e for k in range(4)])
    assert scheduler.get_last_lr() == [0.1, 0.2, 0.3, 0.4]
    scheduler.step()
    assert scheduler.get_last_lr() == [0.1, 0.1, 0.3 / 3, 0.1]
    assert [leaf.state["learning_rate"].item() for leaf in flat] == [
        float32(lr) for lr in scheduler.get_last_lr()
    ]
    with pytest.raises(ValueError, match=r"one function per parameter group \(4\)"):
        lib.LambdaLR(optimizer, [lambda e: 1.0] * 3)


def test_optimizer_on_a_schedule_function_is_refused():
    optimizer = optim.SGD(learning_rate=optim.cosine_decay(0.1, 100))
    with pytest.raises(TypeError, match="learning_rate from a schedule function"):
        lib.StepLR(optimizer, 3)
    mixed = optim.MultiOptimizer(
        [optim.SGD(learning_rate=0.1), optim.Adam(learning_rate=optim.linear_schedule(0, 1, 10))],
        [lambda name, _: True],
    )
    with pytest.raises(TypeError, match="parameter group 1"):
        lib.ExponentialLR(mixed, 0.9)


@pytest.mark.parametrize("value", [None, {"lr": 0.1}, optim.SGD, "adam"])
def test_a_non_optimizer_is_refused(value):
    with pytest.raises(TypeError, match=r"optimizer must be an mlx\.optimizers\.Optimizer"):
        lib.ExponentialLR(value, 0.9)
    with pytest.raises(TypeError, match="is not an Optimizer"):  # torch refuses too
        TORCH.ExponentialLR(value, 0.9)


def test_a_torch_optimizer_is_refused():
    with pytest.raises(TypeError, match="but got SGD"):
        lib.StepLR(torch_optimizer([0.1]), 3)


# -- hand-set learning rates --------------------------------------------------------------------


def test_hand_set_lr_is_adopted_exactly():
    optimizer = optim.SGD(learning_rate=0.1)
    scheduler = lib.ExponentialLR(optimizer, 0.5)
    scheduler.step()
    optimizer.learning_rate = 0.05
    scheduler.step()
    assert scheduler.get_last_lr() == [0.025]  # 0.05 * 0.5, from 0.05 exactly
    halving = SCHEDULES["StepLR"].example("halve every 2").build
    assert run_both(halving, 10, (0.1, 0.03), manual_lr=(4, 0.05))[1][5] == [0.05, 0.05]


@pytest.mark.parametrize("key", sorted(EXAMPLES))
def test_hand_set_lr_continues_as_in_torch(key):
    example = EXAMPLES[key]
    steps = min(12, example.steps)
    # 0.0731: no example's LR at step steps // 2 has the same float32 (which MLX could not
    # tell apart: a documented divergence, pinned below).
    torch_lrs, mlx_lrs = run_both(
        example.build,
        steps,
        (0.1, 0.03),
        manual_lr=(steps // 2, 0.0731),
        step_args=example.step_args,
    )
    assert first_mismatch(torch_lrs, mlx_lrs) is None


def test_lr_adopted_from_mlx_is_the_shortest_decimal_of_its_float32():
    # torch keeps the float64 the user typed; MLX keeps only float32(lr), from which we
    # recover the shortest decimal rounding to it: the typed value when it has <= 6 digits.
    t_sched = TORCH.ExponentialLR(torch_optimizer([0.1 / 3]), 1.0)
    assert t_sched.get_last_lr() == [0.03333333333333333]
    assert lib.ExponentialLR(optim.SGD(learning_rate=0.1 / 3), 1.0).get_last_lr() == [0.033333335]
    for typed in (0.1, 0.05, 3e-4, 1e-3, 2.5e-5, 0.123456):
        assert lib.ExponentialLR(optim.SGD(learning_rate=typed), 1.0).get_last_lr() == [typed]


@settings(max_examples=100)
@given(digits=hs.integers(100_000, 999_999), exponent=hs.integers(-12, 2))
def test_any_six_digit_lr_is_adopted_as_typed(digits, exponent):
    typed = float(f"{digits}e{exponent - 5}")  # six significant digits: float32 keeps them
    assert lib.ExponentialLR(optim.SGD(learning_rate=typed), 1.0).get_last_lr() == [typed]


def test_hand_set_lr_with_the_same_float32_is_not_noticed():
    # After 0.1 * 0.1 the LR is 0.010000000000000002; setting 0.01 by hand leaves the
    # float32 in the optimizer unchanged, so it cannot be told from the current LR.
    def run(L, optimizer, set_lr):
        scheduler = L.StepLR(optimizer, 1, 0.1)
        scheduler.step()
        set_lr(0.01)
        scheduler.step()
        return scheduler.get_last_lr()

    t_opt = torch_optimizer([0.1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert run(TORCH, t_opt, lambda lr: t_opt.param_groups[0].update(lr=lr)) == [0.001]
    m_opt = optim.SGD(learning_rate=0.1)
    assert run(MLX, m_opt, lambda lr: setattr(m_opt, "learning_rate", lr)) == [
        0.0010000000000000002
    ]


# -- the "step before update" warning -----------------------------------------------------------


def _warnings_of(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [str(w.message) for w in caught if "before" in str(w.message)]


def test_stepping_before_any_update_warns_and_not_after_an_update():
    optimizer = optim.SGD(learning_rate=0.1)
    scheduler = lib.StepLR(optimizer, 2)
    (message,) = _warnings_of(scheduler.step)
    assert message.startswith("Detected call of `lr_scheduler.step()` before `optimizer.update()`.")
    # torch says the same of optimizer.step().
    t_opt = torch_optimizer([0.1])
    (torch_message,) = _warnings_of(TORCH.StepLR(t_opt, 2).step)
    assert torch_message.startswith(
        "Detected call of `lr_scheduler.step()` before `optimizer.step()`."
    )

    model = nn.Linear(2, 1)
    optimizer = optim.SGD(learning_rate=0.1)
    scheduler = lib.StepLR(optimizer, 2)
    grads = nn.value_and_grad(model, lambda m: m(mx.ones((1, 2))).sum())(model)[1]
    optimizer.update(model, grads)
    assert _warnings_of(scheduler.step) == []
    assert _warnings_of(scheduler.step) == []  # and never again


# -- torch's resume rule and subclasses -----------------------------------------------------------


@pytest.mark.parametrize("name", ["StepLR", "CosineAnnealingLR", "LinearLR"])
def test_last_epoch_without_initial_lr_is_a_key_error_as_in_torch(name):
    build = {
        "StepLR": lambda L, o: L.StepLR(o, 2, last_epoch=4),
        "CosineAnnealingLR": lambda L, o: L.CosineAnnealingLR(o, 5, last_epoch=0),
        "LinearLR": lambda L, o: L.LinearLR(o, last_epoch=2),
    }[name]
    with pytest.raises(KeyError, match="initial_lr"):
        build(TORCH, torch_optimizer([0.1]))
    with pytest.raises(KeyError, match=r"'initial_lr' is not specified in param_groups\[0\]"):
        build(MLX, mlx_optimizer([0.1]))


def test_last_epoch_resumes_from_initial_lr_as_in_torch():
    # A first scheduler sets initial_lr; a second one resumes at epoch 4 from it.
    def build(L, o):
        L.StepLR(o, 2, 0.5)
        return L.StepLR(o, 2, 0.5, last_epoch=4)

    assert first_mismatch(*run_both(build, 6, (0.1, 0.03))) is None


class TorchHalving(TORCH.LRScheduler):
    def get_lr(self):
        if self._is_initial:
            return [group["lr"] for group in self.optimizer.param_groups]
        return [group["lr"] * 0.5 for group in self.optimizer.param_groups]


class Halving(lib.LRScheduler):
    """The same schedule on ours: groups are ``self.param_groups``."""

    def get_lr(self):
        if self._is_initial:
            return [group["lr"] for group in self.param_groups]
        return [group["lr"] * 0.5 for group in self.param_groups]


class Closed(lib.LRScheduler):
    def get_lr(self):
        return [base / (1 + self.last_epoch) for base in self.base_lrs]


def test_user_subclass_implementing_get_lr_works_as_in_torch():
    t_opt, m_opt = torch_optimizer([0.1, 0.03]), mlx_optimizer([0.1, 0.03])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_sched, m_sched = TorchHalving(t_opt), Halving(m_opt)
        t_hist, m_hist = [t_sched.get_last_lr()], [m_sched.get_last_lr()]
        for k in range(10):
            if k == 4:
                t_opt.param_groups[0]["lr"] = m_opt.optimizers[0].learning_rate = 0.5
            t_sched.step()
            m_sched.step()
            t_hist.append(t_sched.get_last_lr())
            m_hist.append(m_sched.get_last_lr())
    assert record(t_hist, m_hist)
    # State, composition and epoch jumps come with the base class.
    scheduler = Closed(mlx_optimizer([1.0]))
    chained = lib.ChainedScheduler([scheduler, lib.ExponentialLR(scheduler.optimizer, 0.5)])
    chained.step()
    assert chained.get_last_lr() == [0.25]
    with pytest.warns(UserWarning, match="epoch parameter"):
        scheduler.step(3)
    assert scheduler.get_last_lr() == [0.25]
    assert scheduler.state_dict()["scheduler"] == "Closed"


def test_torchs_self_optimizer_param_groups_does_not_exist_on_mlx():
    class TorchStyle(lib.LRScheduler):
        def get_lr(self):
            return [group["lr"] for group in self.optimizer.param_groups]

    assert len(TorchHalving(torch_optimizer([0.1])).optimizer.param_groups) == 1
    with pytest.raises(AttributeError, match="param_groups"):
        TorchStyle(optim.SGD(learning_rate=0.1))


def test_get_last_lr_returns_a_copy():
    t_sched = TORCH.StepLR(torch_optimizer([0.1]), 2)
    t_sched.get_last_lr().append(5.0)
    assert t_sched.get_last_lr() == [0.1, 5.0]  # torch hands out its own list
    scheduler = lib.StepLR(optim.SGD(learning_rate=0.1), 2)
    scheduler.get_last_lr().append(5.0)
    assert scheduler.get_last_lr() == [0.1]
