"""Scheduled momentum and beta1 inside ``mx.compile``: a compiled run, an eager run and the
same run in torch 2.13 train a small MLP to the same parameters, step by step, with no
retrace; the naive way (assigning ``optimizer.momentum`` between compiled steps) is shown
to be ignored, so these tests can fail. Also the binding itself (``momentum.py``): a plain
MLX optimizer converted in place to ``mlx_lr_scheduler.optimizers``' same-named class.
More in ``tests/test_optimizers.py``."""

from functools import partial

import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim
import numpy as np
import pytest
import torch
from mlx.utils import tree_flatten
from small_mlp import MLP, flat, make_train_step, torch_mlp, training_data

from mlx_lr_scheduler import CyclicLR, OneCycleLR, optimizers
from oracle import MLX, TORCH

STEPS = 24
# Float32 tolerance for whole training runs: the largest parameter difference, relative to
# the largest parameter (MLX and torch round their float32 kernels differently). A momentum
# that does not take effect is off by 1e-2 to 1e-1 (see the naive tests).
TOLERANCE = 1e-4

WEIGHTS, INPUTS, TARGETS = training_data(seed=0, steps=STEPS)


# -- the same training run in MLX (eager or compiled) and in torch ---------------------------------


def mlx_run(optimizer, make_scheduler, *, compiled, before_step=None):
    """Train for STEPS steps; return the parameters after each step and the trace count then."""
    model = MLP(WEIGHTS)
    scheduler = make_scheduler(optimizer) if make_scheduler else None
    optimizer.init(model.trainable_parameters())  # the state's shape is fixed from here on
    train_step, traces = make_train_step(model, optimizer, compiled=compiled)
    params, trace_counts = [], []
    for k in range(STEPS):
        if before_step is not None:
            before_step(k, optimizer)
        train_step(mx.array(INPUTS[k]), mx.array(TARGETS[k]))
        mx.eval(model.state, optimizer.state)
        if scheduler is not None:
            scheduler.step()
        params.append(flat(dict(tree_flatten(model.parameters()))))
        trace_counts.append(traces[0])
    return np.array(params), trace_counts


def torch_run(make_optimizer, make_scheduler):
    forward, named = torch_mlp(WEIGHTS)
    optimizer = make_optimizer(list(named.values()))
    scheduler = make_scheduler(optimizer)
    params, momenta = [], []
    for k in range(STEPS):
        g = optimizer.param_groups[0]
        momenta.append(g["betas"][0] if "betas" in g else g["momentum"])
        optimizer.zero_grad()
        out = forward(torch.from_numpy(INPUTS[k]))
        ((out - torch.from_numpy(TARGETS[k])) ** 2).mean().backward()
        optimizer.step()
        scheduler.step()
        params.append(flat({name: t.detach().numpy() for name, t in named.items()}))
    return np.array(params), momenta


def difference(ours, reference):
    """(max abs difference, max difference relative to the largest parameter of that step)."""
    delta = np.abs(ours - reference)
    return float(delta.max()), float((delta / np.abs(reference).max(axis=1, keepdims=True)).max())


CASES = {
    # name: (MLX optimizer, torch optimizer, scheduler from either library (lib, optimizer, **kw))
    "OneCycleLR on SGD momentum": (
        lambda: optim.SGD(learning_rate=0.1, momentum=0.9),
        lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9),
        lambda L, o, **kw: L.OneCycleLR(o, max_lr=0.3, total_steps=STEPS, pct_start=0.25, **kw),
    ),
    "CyclicLR on Adam beta1 (bias correction)": (
        lambda: optim.Adam(learning_rate=0.01, bias_correction=True),
        lambda params: torch.optim.Adam(params, lr=0.01),
        lambda L, o, **kw: L.CyclicLR(o, 0.002, 0.05, step_size_up=4, mode="triangular2", **kw),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_compiled_eager_and_torch_train_alike(name):
    make_mlx, make_torch, build = CASES[name]
    reference, torch_momenta = torch_run(make_torch, partial(build, TORCH))
    assert len(set(torch_momenta)) > 5  # the momentum really is scheduled
    eager, _ = mlx_run(make_mlx(), partial(build, MLX), compiled=False)
    compiled, traces = mlx_run(make_mlx(), partial(build, MLX), compiled=True)
    assert traces == [1] * STEPS  # traced once: no retrace as momentum and LR change
    report = {
        "compiled vs torch": difference(compiled, reference),
        "eager vs torch": difference(eager, reference),
        "compiled vs eager": difference(compiled, eager),
    }
    print(
        f"\n{name}: " + "; ".join(f"{k}: abs {a:.2e}, rel {r:.2e}" for k, (a, r) in report.items())
    )
    for label, (_, relative) in report.items():
        assert relative <= TOLERANCE, (label, report)
    assert np.abs(reference[-1] - reference[0]).max() > 0.05  # it trained


@pytest.mark.parametrize("name", sorted(CASES))
def test_naive_momentum_assignment_is_ignored_by_a_compiled_step(name):
    """Without the binding (``cycle_momentum=False``: the scheduler drives only the LR), the
    torch schedule's momenta assigned to ``optimizer.momentum`` / ``betas`` by hand before
    each step: eager MLX follows them, and torch; the compiled step keeps the value it was
    traced with."""
    make_mlx, make_torch, build = CASES[name]
    reference, torch_momenta = torch_run(make_torch, partial(build, TORCH))
    without_binding = partial(build, MLX, cycle_momentum=False)

    def assign(momenta):
        def before_step(k, opt):
            if hasattr(opt, "betas"):
                opt.betas = [momenta[k], opt.betas[1]]
            else:
                opt.momentum = momenta[k]

        return before_step

    eager, _ = mlx_run(
        make_mlx(), without_binding, compiled=False, before_step=assign(torch_momenta)
    )
    assert difference(eager, reference)[1] <= TOLERANCE
    compiled, traces = mlx_run(
        make_mlx(), without_binding, compiled=True, before_step=assign(torch_momenta)
    )
    assert traces == [1] * STEPS
    assert difference(compiled, reference)[1] > 30 * TOLERANCE
    # Only the value at trace time was ever used: the same as holding it throughout.
    held = [torch_momenta[0]] * STEPS
    first_only, _ = mlx_run(make_mlx(), without_binding, compiled=False, before_step=assign(held))
    np.testing.assert_array_equal(compiled, first_only)


# -- the binding ------------------------------------------------------------------------------


def _grads(seed, shape=(3, 2)):
    return {"w": mx.array(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))}


def test_only_the_cycled_optimizer_changes():
    """A plain MLX optimizer whose momentum is cycled becomes the importable same-named
    class of mlx_lr_scheduler.optimizers, in place; no class is made at run time."""
    opt, other = optim.SGD(0.1, momentum=0.9), optim.SGD(0.1, momentum=0.9)
    CyclicLR(opt, 0.01, 0.1, step_size_up=3)
    assert type(opt) is optimizers.SGD and isinstance(opt, optim.SGD)
    assert type(other) is optim.SGD and other.momentum == 0.9  # untouched
    assert isinstance(opt.momentum, mx.array) and opt.momentum.dtype == mx.float32
    assert opt.momentum is opt.state["momentum"] and opt.momentum.item() == np.float32(0.9)
    adam = optim.AdamW(0.1, betas=[0.9, 0.98])
    OneCycleLR(adam, 1.0, total_steps=10, max_momentum=0.93)
    assert type(adam) is optimizers.AdamW
    beta1, beta2 = adam.betas
    assert beta1 is adam.state["beta1"] and beta1.item() == np.float32(0.93) and beta2 == 0.98
    assert adam.weight_decay.item() == np.float32(0.01)  # moved into the state too
    # A second scheduler on the same optimizer shares the binding.
    assert type(CyclicLR(opt, 0.01, 0.1).optimizer) is optimizers.SGD


def test_assigning_momentum_or_betas_still_works():
    """A value assigned by hand takes effect and is adopted in the records torch keeps in
    its optimizer (as a hand-set LR is); the next step's schedule takes over, as in torch."""
    opt = optim.SGD(0.1, momentum=0.9)
    sched = CyclicLR(opt, 0.01, 0.1, step_size_up=3)
    opt.momentum = 0.5
    assert opt.state["momentum"].item() == 0.5
    assert sched.state_dict()["param_groups"][0]["momentum"] == 0.5
    assert sched.param_groups[0]["momentum"] == 0.5
    sched.step()  # the schedule takes over again, as in torch
    assert sched.param_groups[0]["momentum"] == pytest.approx(0.9 - 0.1 / 3)
    adam = optim.Adam(0.1)
    sched = CyclicLR(adam, 0.01, 0.1)
    adam.betas = (0.7, 0.95)
    assert adam.betas[0].item() == np.float32(0.7) and adam.betas[1] == 0.95
    assert sched.state_dict()["param_groups"][0]["betas"] == [0.7, 0.95]
    assert sched.param_groups[0]["betas"] == (0.7, 0.95)


def test_a_state_saved_before_the_binding_still_reads():
    opt = optim.SGD(0.1, momentum=0.9)
    opt.init({"w": mx.zeros((3, 2))})
    saved = dict(opt.state)
    CyclicLR(opt, 0.01, 0.1, base_momentum=0.9, max_momentum=0.9)
    opt.state = saved  # e.g. a checkpoint written before the scheduler existed
    assert opt.momentum.item() == np.float32(0.9)
    opt.update(_Params(), _grads(0))


class _Params(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = mx.zeros((3, 2))


SGD_SETTINGS = [
    {"momentum": 0.0},
    {"momentum": 0.9},
    {"momentum": 0.9, "nesterov": True},
    {"momentum": 0.8, "dampening": 0.3, "weight_decay": 0.01},
]


@pytest.mark.parametrize("settings", SGD_SETTINGS)
def test_branch_free_sgd_update_is_mlx_update_bit_for_bit(settings):
    """Held at a constant momentum, the bound SGD gives exactly MLX's own SGD updates
    (momentum 0 included, where MLX takes its other branch)."""
    plain, bound = optim.SGD(0.1, **settings), optim.SGD(0.1, **settings)
    m = settings["momentum"]
    CyclicLR(bound, 0.1, 0.1, base_momentum=m, max_momentum=m)
    a, b = _Params(), _Params()
    for seed in range(5):
        plain.update(a, _grads(seed))
        bound.update(b, _grads(seed))
    np.testing.assert_array_equal(np.array(a.w), np.array(b.w))


@pytest.mark.parametrize("kind", ["Adam", "AdamW", "Adamax", "Lion", "SGD", "MultiOptimizer"])
def test_scheduled_beta1_takes_effect_in_a_compiled_step(kind):
    """For every optimizer family: compiled == eager, traced once, and different from a run
    whose momentum is not scheduled."""

    def make():
        if kind == "MultiOptimizer":
            return optim.MultiOptimizer(
                [optim.SGD(0.1, momentum=0.9), optim.Adam(0.01)],
                [lambda name, _: name.startswith("l1")],
            )
        return getattr(optim, kind)(learning_rate=0.01)

    def schedule(o, cycle_momentum=True):
        return OneCycleLR(
            o,
            0.05,
            total_steps=STEPS,
            pct_start=0.5,
            base_momentum=0.5,
            cycle_momentum=cycle_momentum,
        )

    eager, _ = mlx_run(make(), schedule, compiled=False)
    compiled, traces = mlx_run(make(), schedule, compiled=True)
    assert traces == [1] * STEPS
    np.testing.assert_allclose(compiled, eager, rtol=0, atol=1e-6)
    if kind != "SGD":  # (SGD built without momentum: with cycle_momentum=False it has none)
        held, _ = mlx_run(make(), partial(schedule, cycle_momentum=False), compiled=True)
        assert difference(compiled, held)[1] > 30 * TOLERANCE


@pytest.mark.parametrize("kind", ["Adam", "SGD"])
def test_low_precision_parameters_keep_their_dtype(kind):
    model = MLP(WEIGHTS)
    model.set_dtype(mx.bfloat16)
    opt = getattr(optim, kind)(learning_rate=0.01)
    CyclicLR(opt, 0.001, 0.01, step_size_up=2)
    opt.init(model.trainable_parameters())
    state = [model.state, opt.state]

    @partial(mx.compile, inputs=state, outputs=state)
    def step(x, y):
        loss, grads = nn.value_and_grad(model, lambda m, x, y: ((m(x) - y) ** 2).mean())(
            model, x, y
        )
        opt.update(model, grads)
        return loss

    step(mx.array(INPUTS[0]).astype(mx.bfloat16), mx.array(TARGETS[0]).astype(mx.bfloat16))
    dtypes = {v.dtype for _, v in tree_flatten(model.parameters())}
    buffers = {v.dtype for k, v in tree_flatten(opt.state) if k.startswith(("l1", "l2"))}
    assert dtypes == buffers == {mx.bfloat16}
