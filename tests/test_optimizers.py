"""``mlx_lr_scheduler.optimizers``: momentum, beta1 and weight decay as schedule functions of
the step, held in the optimizer state, inside ``mx.compile``.

Compiled MLX training runs are compared with torch 2.13 driving the same values
(``OneCycleLR``/``CyclicLR`` for momentum and beta1, ``param_groups[0]["weight_decay"]``
set by hand for weight decay) on identical weights and data; the naive way (a plain MLX
optimizer's attribute assigned between compiled steps) is shown to be off, so these
comparisons can fail. Then the conversion of plain MLX optimizers by the schedulers,
pickling, and the argument checks.
"""

import math
import pickle

import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim
import numpy as np
import pytest
import torch
from mlx.utils import tree_flatten
from small_mlp import MLP, flat, make_train_step, torch_mlp, training_data

import mlx_lr_scheduler as lr_scheduler
from mlx_lr_scheduler import CyclicLR, OneCycleLR, optimizers, schedules

STEPS = 32
# The largest parameter difference to torch over a run, relative to the largest parameter
# (float32 kernels round differently; 1 - beta1 is formed in float32 here). A value that
# does not take effect is off by 1e-2 and more.
TOLERANCE = 2e-5

WEIGHTS, INPUTS, TARGETS = training_data(seed=1, steps=STEPS)


def mlx_train(optimizer, *, compiled=True, before_step=None, after_step=None, dtype=None):
    """Train STEPS steps; the parameters after each step, and the number of traces."""
    model = MLP(WEIGHTS)
    if dtype is not None:
        model.set_dtype(dtype)
    optimizer.init(model.trainable_parameters())
    train_step, traces = make_train_step(model, optimizer, compiled=compiled)
    params = []
    for k in range(STEPS):
        if before_step is not None:
            before_step(k, optimizer)
        x, y = mx.array(INPUTS[k]), mx.array(TARGETS[k])
        if dtype is not None:
            x, y = x.astype(dtype), y.astype(dtype)
        train_step(x, y)
        mx.eval(model.state, optimizer.state)
        if after_step is not None:
            after_step()
        named = {k: v.astype(mx.float32) for k, v in tree_flatten(model.parameters())}
        params.append(flat(named))
    return np.array(params), traces[0]


def torch_train(make_optimizer, *, scheduler=None, before_step=None):
    """The same run in torch: the parameters after each step."""
    forward, named = torch_mlp(WEIGHTS)
    opt = make_optimizer(list(named.values()))
    sched = scheduler(opt) if scheduler is not None else None
    params = []
    for k in range(STEPS):
        if before_step is not None:
            before_step(k, opt)
        opt.zero_grad()
        out = forward(torch.from_numpy(INPUTS[k]))
        ((out - torch.from_numpy(TARGETS[k])) ** 2).mean().backward()
        opt.step()
        if sched is not None:
            sched.step()
        params.append(flat({name: t.detach().numpy() for name, t in named.items()}))
    return np.array(params)


def difference(ours, reference):
    """(max abs difference, max difference relative to the largest parameter of that step)."""
    delta = np.abs(ours - reference)
    return float(delta.max()), float((delta / np.abs(reference).max(axis=1, keepdims=True)).max())


def _report(name, ours, reference):
    absolute, relative = difference(ours, reference)
    print(f"\n{name}: compiled vs torch: max abs {absolute:.2e}, max rel {relative:.2e}")
    return relative


# -- scheduled momentum and beta1, compiled, against torch's schedulers --------------------------

ONE_CYCLE = {"total_steps": STEPS, "pct_start": 0.25}
CYCLE = {"step_size_up": 4, "mode": "triangular2"}

MOMENTUM_CASES = {
    # name: (our optimizer with schedule functions, torch optimizer, torch scheduler)
    "SGD momentum, one_cycle": (
        lambda: optimizers.SGD(
            learning_rate=schedules.one_cycle_lr(0.3, **ONE_CYCLE),
            momentum=schedules.one_cycle_momentum(**ONE_CYCLE),
        ),
        lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9),
        lambda opt: torch.optim.lr_scheduler.OneCycleLR(opt, 0.3, **ONE_CYCLE),
    ),
    "SGD nesterov momentum, cyclic": (
        lambda: optimizers.SGD(
            learning_rate=schedules.cyclic_lr(0.01, 0.2, **CYCLE),
            momentum=schedules.cyclic_momentum(0.5, 0.9, **CYCLE),
            nesterov=True,
        ),
        lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True),
        lambda opt: torch.optim.lr_scheduler.CyclicLR(
            opt, 0.01, 0.2, base_momentum=0.5, max_momentum=0.9, **CYCLE
        ),
    ),
    "Adam beta1, one_cycle": (
        lambda: optimizers.Adam(
            learning_rate=schedules.one_cycle_lr(0.05, **ONE_CYCLE),
            betas=(schedules.one_cycle_momentum(base_momentum=0.5, **ONE_CYCLE), 0.999),
            bias_correction=True,
        ),
        lambda params: torch.optim.Adam(params, lr=0.01),
        lambda opt: torch.optim.lr_scheduler.OneCycleLR(opt, 0.05, base_momentum=0.5, **ONE_CYCLE),
    ),
    "Adam beta1, cyclic": (
        lambda: optimizers.Adam(
            learning_rate=schedules.cyclic_lr(0.002, 0.05, **CYCLE),
            betas=(schedules.cyclic_momentum(0.8, 0.9, **CYCLE), 0.999),
            bias_correction=True,
        ),
        lambda params: torch.optim.Adam(params, lr=0.01),
        lambda opt: torch.optim.lr_scheduler.CyclicLR(opt, 0.002, 0.05, **CYCLE),
    ),
}


@pytest.mark.parametrize("name", sorted(MOMENTUM_CASES))
def test_scheduled_momentum_compiled_trains_as_torch(name):
    make_ours, make_torch, torch_scheduler = MOMENTUM_CASES[name]
    reference = torch_train(make_torch, scheduler=torch_scheduler)
    compiled, traces = mlx_train(make_ours())
    assert traces == 1  # one trace for all STEPS steps, as the values change
    assert _report(name, compiled, reference) <= TOLERANCE
    eager, _ = mlx_train(make_ours(), compiled=False)
    assert difference(compiled, eager)[1] <= 1e-6
    assert np.abs(reference[-1] - reference[0]).max() > 0.05  # it trained


@pytest.mark.parametrize("name", sorted(MOMENTUM_CASES))
def test_naive_attribute_assignment_between_compiled_steps_is_off(name):
    """A plain MLX optimizer given the same LR schedule and the momentum (or beta1) assigned
    to its attribute before each compiled step: the step keeps the value it was traced
    with, so the comparison above can fail."""
    make_ours, make_torch, torch_scheduler = MOMENTUM_CASES[name]
    reference = torch_train(make_torch, scheduler=torch_scheduler)
    ours = make_ours()
    schedule = ours._schedulers["momentum" if hasattr(ours, "momentum") else "beta1"].function
    lr = ours._schedulers["learning_rate"]
    if isinstance(ours, optim.SGD):
        plain = optim.SGD(learning_rate=lr, momentum=schedule(0), nesterov=ours.nesterov)
    else:
        plain = optim.Adam(learning_rate=lr, betas=[schedule(0), 0.999], bias_correction=True)

    def assign(k, opt):
        if hasattr(opt, "betas"):
            opt.betas = [schedule(k), 0.999]
        else:
            opt.momentum = schedule(k)

    naive, traces = mlx_train(plain, before_step=assign)
    assert traces == 1
    assert difference(naive, reference)[1] > 30 * TOLERANCE


# -- scheduled weight decay (beyond torch), compiled, against torch stepped by hand ----------------

DECAY = schedules.linear_lr(0.5, start_factor=0.02, total_iters=STEPS)

DECAY_CASES = {
    "SGD": (
        lambda decay: optimizers.SGD(learning_rate=0.05, momentum=0.9, weight_decay=decay),
        lambda params: torch.optim.SGD(params, lr=0.05, momentum=0.9, weight_decay=0.0),
    ),
    "AdamW": (
        lambda decay: optimizers.AdamW(
            learning_rate=0.01, weight_decay=decay, bias_correction=True
        ),
        lambda params: torch.optim.AdamW(params, lr=0.01, weight_decay=0.0),
    ),
}


@pytest.mark.parametrize("name", sorted(DECAY_CASES))
def test_scheduled_weight_decay_compiled_trains_as_torch_stepped_by_hand(name):
    make_ours, make_torch = DECAY_CASES[name]

    def set_decay(k, opt):
        opt.param_groups[0]["weight_decay"] = DECAY(k)

    reference = torch_train(make_torch, before_step=set_decay)
    compiled, traces = mlx_train(make_ours(DECAY))
    assert traces == 1
    assert _report(f"{name} weight decay", compiled, reference) <= TOLERANCE
    # Held at its first value, the decay makes a visible difference: the test can fail.
    held, _ = mlx_train(make_ours(DECAY(0)))
    assert difference(held, reference)[1] > 30 * TOLERANCE


# -- every class, compiled: the schedule takes effect, traced once, dtypes kept -----------------

MOMENTUM = schedules.one_cycle_momentum(total_steps=STEPS, pct_start=0.5, base_momentum=0.5)
RISING_DECAY = schedules.linear_lr(0.2, start_factor=0.05, total_iters=STEPS)
EVERY_CLASS = {
    "SGD": lambda m, d: optimizers.SGD(0.05, momentum=m, weight_decay=d),
    "Adam": lambda m, d: optimizers.Adam(0.01, betas=(m, 0.999)),
    "AdamW": lambda m, d: optimizers.AdamW(0.01, betas=(m, 0.999), weight_decay=d),
    "Adamax": lambda m, d: optimizers.Adamax(0.01, betas=(m, 0.999)),
    "Lion": lambda m, d: optimizers.Lion(0.001, betas=(m, 0.99), weight_decay=d),
    "Muon": lambda m, d: optimizers.Muon(0.01, momentum=m, weight_decay=d),
}


@pytest.mark.parametrize("name", sorted(EVERY_CLASS))
def test_every_class_follows_its_schedules_in_a_compiled_step(name):
    make = EVERY_CLASS[name]
    compiled, traces = mlx_train(make(MOMENTUM, RISING_DECAY))
    assert traces == 1
    eager, _ = mlx_train(make(MOMENTUM, RISING_DECAY), compiled=False)
    np.testing.assert_allclose(compiled, eager, rtol=0, atol=2e-6)
    held, _ = mlx_train(make(MOMENTUM(0), RISING_DECAY(0)))
    assert difference(compiled, held)[1] > 30 * TOLERANCE


@pytest.mark.parametrize("name", sorted(EVERY_CLASS))
def test_every_class_keeps_low_precision_dtypes(name):
    opt = EVERY_CLASS[name](MOMENTUM, RISING_DECAY)
    params, traces = mlx_train(opt, dtype=mx.bfloat16)
    assert traces == 1 and np.isfinite(params).all()
    buffers = {v.dtype for k, v in tree_flatten(opt.state) if k.startswith(("l1", "l2"))}
    assert buffers == {mx.bfloat16}


class _W(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = mx.array(np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2))


def _grads(seed):
    return {"w": mx.array(np.random.default_rng(seed).standard_normal((3, 2)).astype(np.float32))}


PLAIN_SETTINGS = [
    ("SGD", {"momentum": 0.0}),
    ("SGD", {"momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"momentum": 0.8, "dampening": 0.3}),
    ("Adam", {"betas": [0.8, 0.99], "bias_correction": True}),
    ("AdamW", {"weight_decay": 0.1}),
    ("Adamax", {}),
    ("Lion", {"weight_decay": 0.0}),
    ("Lion", {"weight_decay": 0.1}),
    ("Muon", {"weight_decay": 0.0}),
    ("Muon", {"momentum": 0.9, "nesterov": False}),
]


@pytest.mark.parametrize(("name", "settings"), PLAIN_SETTINGS)
def test_numbers_give_mlx_own_updates(name, settings):
    """Built with numbers, each class updates as MLX's own: bit for bit for SGD (its
    branches replaced by arithmetic, momentum 0 included); to float32 rounding where
    ``1 - beta`` is now formed from the float32 value."""
    mlx_opt, ours = (
        getattr(optim, name)(0.05, **settings),
        getattr(optimizers, name)(0.05, **settings),
    )
    a, b = _W(), _W()
    for seed in range(6):
        mlx_opt.update(a, _grads(seed))
        ours.update(b, _grads(seed))
    if name == "SGD":
        np.testing.assert_array_equal(np.array(a.w), np.array(b.w))
    else:
        np.testing.assert_allclose(np.array(b.w), np.array(a.w), rtol=2e-6, atol=1e-7)


@pytest.mark.parametrize("dampening", [0.0, 0.3])
def test_sgd_momentum_scheduled_through_zero_freezes_the_velocity_as_mlx(dampening):
    """With momentum 0, MLX (and torch) take a plain step and leave the velocity as it was;
    the branch-free update does the same, so a momentum schedule may pass through 0."""
    values = [0.9, 0.9, 0.0, 0.0, 0.7, 0.9, 0.0, 0.5]

    def momentum(step):
        return mx.array(values)[step]

    plain = optim.SGD(0.05, momentum=0.9, dampening=dampening)
    ours = optimizers.SGD(0.05, momentum=momentum, dampening=dampening)
    a, b = _W(), _W()
    for k in range(len(values)):
        plain.momentum = values[k]
        plain.update(a, _grads(k))
        ours.update(b, _grads(k))
        np.testing.assert_array_equal(np.array(a.w), np.array(b.w))


# -- momentum cycling: plain MLX optimizers converted in place -------------------------------------

# (scheduler, its arguments for SGD, for Adam)
SCHEDULERS = {
    "OneCycleLR": ({"max_lr": 0.3, **ONE_CYCLE}, {"max_lr": 0.05, **ONE_CYCLE}),
    "CyclicLR": (
        {"base_lr": 0.01, "max_lr": 0.2, **CYCLE},
        {"base_lr": 0.002, "max_lr": 0.05, **CYCLE},
    ),
}


@pytest.mark.parametrize("scheduler", sorted(SCHEDULERS))
@pytest.mark.parametrize("kind", ["SGD", "Adam"])
def test_plain_mlx_optimizer_is_converted_and_cycles_in_compiled_steps(scheduler, kind):
    """A torch port's ``optim.SGD(...)`` under OneCycleLR/CyclicLR becomes
    ``optimizers.SGD`` in place and trains, compiled, exactly as one built from
    ``optimizers`` directly, and as torch."""
    settings = {"momentum": 0.9} if kind == "SGD" else {"bias_correction": True}
    arguments = SCHEDULERS[scheduler][kind == "Adam"]
    plain = getattr(optim, kind)(learning_rate=0.1, **settings)
    sched = getattr(lr_scheduler, scheduler)(plain, **arguments)
    assert type(plain) is getattr(optimizers, kind)
    converted, traces = mlx_train(plain, after_step=sched.step)
    assert traces == 1
    direct = getattr(optimizers, kind)(learning_rate=0.1, **settings)
    direct_sched = getattr(lr_scheduler, scheduler)(direct, **arguments)
    built, _ = mlx_train(direct, after_step=direct_sched.step)
    # (Two compiled MLX runs of the same code can differ in the last bits on the CPU.)
    np.testing.assert_allclose(converted, built, rtol=0, atol=1e-6)
    torch_settings = {"momentum": 0.9} if kind == "SGD" else {}
    reference = torch_train(
        lambda p: getattr(torch.optim, kind)(p, lr=0.1, **torch_settings),
        scheduler=lambda o: getattr(torch.optim.lr_scheduler, scheduler)(o, **arguments),
    )
    assert _report(f"{scheduler} on plain {kind}", converted, reference) <= TOLERANCE


def test_scheduler_and_schedule_function_give_the_same_run():
    """OneCycleLR stepped between compiled steps and the schedule functions inside the
    step: the same LR and momentum at every update, so the same parameters."""
    opt = optimizers.SGD(learning_rate=0.1, momentum=0.9)
    sched = OneCycleLR(opt, 0.3, total_steps=STEPS, pct_start=0.25)
    by_scheduler, _ = mlx_train(opt, after_step=sched.step)
    by_function, _ = mlx_train(MOMENTUM_CASES["SGD momentum, one_cycle"][0]())
    np.testing.assert_allclose(by_scheduler, by_function, rtol=0, atol=1e-6)


class _MySGD(optim.SGD):
    pass


class _MyScheduledSGD(optimizers.SGD):
    pass


def test_a_user_subclass_without_counterpart_is_refused():
    opt = _MySGD(0.1, momentum=0.9)
    with pytest.raises(TypeError, match=r"_MySGD.*build it from mlx_lr_scheduler\.optimizers"):
        OneCycleLR(opt, 0.1, total_steps=10)
    assert type(opt) is _MySGD and opt.momentum == 0.9 and "momentum" not in opt.state
    OneCycleLR(opt, 0.1, total_steps=10, cycle_momentum=False)  # the way out it names
    ok = _MyScheduledSGD(0.1, momentum=0.9)  # a subclass of ours: used as it is
    OneCycleLR(ok, 0.1, total_steps=10, max_momentum=0.93)
    assert type(ok) is _MyScheduledSGD and ok.momentum.item() == np.float32(0.93)


def test_refusals_at_binding():
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        CyclicLR(optim.Adafactor(learning_rate=0.01, beta_1=0.9), 0.01, 0.1)
    scheduled = optimizers.SGD(0.1, momentum=lambda step: 0.9 - 0.0 * step)
    with pytest.raises(TypeError, match="already takes its momentum from a schedule function"):
        CyclicLR(scheduled, 0.01, 0.1)
    bad = optim.SGD(0.1, momentum=0.9, weight_decay=-1.0)  # MLX takes it; we cannot hold it
    with pytest.raises(ValueError, match=r"weight_decay must be in \[0.0"):
        CyclicLR(bad, 0.01, 0.1)
    assert type(bad) is optim.SGD and bad.weight_decay == -1.0


def test_a_failed_constructor_undoes_the_conversion():
    def failing_scale(x):
        raise RuntimeError("boom")

    opt = optim.AdamW(0.1, betas=[0.85, 0.98], weight_decay=0.05)
    with pytest.raises(RuntimeError, match="boom"):
        CyclicLR(opt, 0.01, 0.1, scale_fn=failing_scale)
    assert type(opt) is optim.AdamW
    assert opt.betas == [0.85, 0.98] and opt.weight_decay == 0.05
    assert not {"beta1", "weight_decay"} & set(opt.state)


def test_convert_and_counterpart():
    opt = optim.Lion(1e-4, betas=[0.95, 0.98], weight_decay=0.1)
    opt.init({"w": mx.zeros(2)})
    state = opt.state
    assert optimizers.counterpart(opt) is optimizers.Lion
    assert optimizers.convert(opt) is opt and type(opt) is optimizers.Lion
    assert opt.state is state and opt.betas[1] == 0.98
    assert opt.state["beta1"].item() == np.float32(0.95)
    assert opt.state["weight_decay"].item() == np.float32(0.1)
    assert optimizers.convert(opt) is opt  # already converted: unchanged
    assert optimizers.counterpart(optim.RMSprop(0.1)) is None
    with pytest.raises(TypeError, match="got RMSprop"):
        optimizers.convert(optim.RMSprop(0.1))
    with pytest.raises(ValueError, match=r"momentum must be in \[0.0, 1.0\)"):
        optimizers.convert(optim.SGD(0.1, momentum=1.0))


# -- pickling ------------------------------------------------------------------------------------


def _trained(opt, steps=3):
    model = _W()
    for seed in range(steps):
        opt.update(model, _grads(seed))
    mx.eval(opt.state)
    return model


def _same_state(a, b):
    flat_a, flat_b = dict(tree_flatten(a.state)), dict(tree_flatten(b.state))
    assert flat_a.keys() == flat_b.keys()
    for key, value in flat_a.items():
        assert value.dtype == flat_b[key].dtype
        np.testing.assert_array_equal(np.array(value), np.array(flat_b[key]))


@pytest.mark.parametrize(
    "make",
    [
        lambda: optimizers.SGD(0.1, momentum=0.9, weight_decay=1e-3, nesterov=True),
        lambda: optimizers.Adam(0.01, betas=(0.8, 0.99), bias_correction=True),
        lambda: optimizers.AdamW(0.01, weight_decay=0.1),
        lambda: optimizers.Adamax(0.01),
        lambda: optimizers.Lion(1e-3, weight_decay=0.1),
        lambda: optimizers.Muon(0.01),
    ],
)
def test_pickle_round_trip(make):
    opt = make()
    model = _trained(opt)
    copy = pickle.loads(pickle.dumps(opt))
    assert type(copy) is type(opt)
    _same_state(opt, copy)
    # Both continue alike.
    other = _W()
    other.update(model.parameters())
    opt.update(model, _grads(10))
    copy.update(other, _grads(10))
    np.testing.assert_array_equal(np.array(model.w), np.array(other.w))


@pytest.mark.parametrize("kind", ["SGD", "AdamW"])
def test_pickle_round_trip_after_a_scheduler_cycled_it(kind):
    opt = getattr(optim, kind)(learning_rate=0.1)
    sched = OneCycleLR(opt, 0.3, total_steps=10)
    _trained(opt)
    for _ in range(3):
        sched.step()
    copy = pickle.loads(pickle.dumps(opt))
    assert type(copy) is getattr(optimizers, kind)
    _same_state(opt, copy)
    key = "beta1" if kind == "AdamW" else "momentum"
    group = sched.param_groups[0]
    assert copy.state[key].item() == np.float32(
        group["betas"][0] if kind == "AdamW" else group["momentum"]
    )
    # The scheduler and its state pickle too (plain data and the optimizer).
    restored = pickle.loads(pickle.dumps(sched))
    restored.step()
    sched.step()
    assert restored.get_last_lr() == sched.get_last_lr()
    assert restored.optimizer.state[key].item() == opt.state[key].item()


# -- argument checks ------------------------------------------------------------------------------


def test_a_momentum_that_rounds_to_one_in_float32_is_refused():
    assert np.float32(1 - 1e-8) == 1.0 and np.float32(1 - 1e-7) < 1.0
    with pytest.raises(
        ValueError,
        match=r"momentum must be in \[0.0, 1.0\) as a float32.*0\.99999999.*rounds to 1\.0",
    ):
        optimizers.SGD(0.1, momentum=1 - 1e-8)
    with pytest.raises(ValueError, match=r"betas\[0\] must be .* as a float32"):
        optimizers.Adam(0.1, betas=(1 - 1e-8, 0.999))
    with pytest.raises(ValueError, match=r"betas\[1\] must be .* as a float32"):
        optimizers.Lion(0.1, betas=(0.9, 1 - 2e-8))
    with pytest.raises(ValueError, match=r"momentum \(the schedule's value at step 0\) must be"):
        optimizers.Muon(0.1, momentum=lambda step: 1 - 1e-8 + 0 * step)
    assert optimizers.SGD(0.1, momentum=1 - 1e-7).momentum.item() < 1.0


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (
            lambda: optimizers.SGD(0.1, momentum=-0.1),
            ValueError,
            r"momentum must be in \[0.0, 1.0\), but got -0.1",
        ),
        (
            lambda: optimizers.SGD(0.1, momentum="0.9"),
            TypeError,
            r"momentum must be a real number, but got '0.9' \(str\)",
        ),
        (lambda: optimizers.SGD(0.1, momentum=True), TypeError, "momentum must be a real number"),
        (
            lambda: optimizers.SGD(0.1, weight_decay=-1e-4),
            ValueError,
            r"weight_decay must be in \[0.0, .*\], but got -0.0001",
        ),
        (
            lambda: optimizers.AdamW(0.1, weight_decay=math.inf),
            ValueError,
            "weight_decay must be a finite number",
        ),
        (lambda: optimizers.Lion(0.1, weight_decay=1e39), ValueError, "weight_decay must be in"),
        (
            lambda: optimizers.SGD(0.1, nesterov=True),
            ValueError,
            r"nesterov=True needs a momentum > 0 and dampening 0, but got momentum=0.0",
        ),
        (
            lambda: optimizers.SGD(0.1, momentum=0.9, dampening=math.nan),
            ValueError,
            "dampening must be a finite number",
        ),
        (
            lambda: optimizers.Adam(0.1, betas=(0.9,)),
            TypeError,
            r"betas must be a pair \(beta1, beta2\), but got \(0.9,\)",
        ),
        (lambda: optimizers.Adam(0.1, betas=0.9), TypeError, "betas must be a pair"),
        (
            lambda: optimizers.Adamax(0.1, betas=(0.9, 1.0)),
            ValueError,
            r"betas\[1\] must be in \[0.0, 1.0\), but got 1.0",
        ),
        (lambda: optimizers.Adam(0.1, eps=-1e-8), ValueError, r"eps must be in \[0.0, inf\)"),
        (lambda: optimizers.Muon(0.1, ns_steps=-1), ValueError, "ns_steps must be an integer >= 0"),
        (
            lambda: optimizers.SGD(0.1, momentum=lambda step: mx.array([0.9, 0.9])),
            TypeError,
            r"momentum must be a number or a schedule function returning a scalar, but the "
            r"schedule returned shape \(2,\)",
        ),
        (
            lambda: optimizers.AdamW(0.1, weight_decay=lambda step: -0.1 + 0 * step),
            ValueError,
            r"weight_decay \(the schedule's value at step 0\) must be in",
        ),
    ],
)
def test_bad_arguments_are_named(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_assignment_is_checked_and_replaces_a_schedule():
    opt = optimizers.SGD(0.1, momentum=lambda step: 0.5 + 0 * step)
    opt.init({"w": mx.zeros(2)})
    with pytest.raises(ValueError, match="momentum must be in"):
        opt.momentum = 1.5
    assert "momentum" in opt._schedulers and opt.momentum.item() == 0.5  # unchanged
    opt.momentum = 0.8  # a number replaces the schedule
    assert "momentum" not in opt._schedulers
    opt.apply_gradients({"w": mx.ones(2)}, {"w": mx.zeros(2)})
    assert opt.momentum.item() == np.float32(0.8)
    opt.weight_decay = lambda step: step.astype(mx.float32) * 0.01  # and a schedule replaces it
    opt.apply_gradients({"w": mx.ones(2)}, {"w": mx.zeros(2)})
    assert opt.weight_decay.item() == np.float32(0.01)  # the value update 1 used
    adam = optimizers.Adam(0.1)
    with pytest.raises(ValueError, match=r"betas\[1\]"):
        adam.betas = (0.5, 1.0)
    assert adam.betas[0].item() == np.float32(0.9) and adam.betas[1] == 0.999


@pytest.mark.parametrize("name", ["OneCycleLR", "CyclicLR"])
@pytest.mark.parametrize("bound", ["max_momentum", "base_momentum"])
def test_a_momentum_bound_that_rounds_to_one_in_float32_is_refused_where_torch_takes_it(
    name, bound
):
    arguments = {
        "OneCycleLR": {"max_lr": 0.1, "total_steps": 10},
        "CyclicLR": {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4},
    }[name]
    almost_one = 1 - 1e-8  # in [0, 1) as a float64, 1.0 as the float32 MLX would hold
    t_opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    getattr(torch.optim.lr_scheduler, name)(t_opt, **arguments, **{bound: almost_one})
    opt = optim.SGD(learning_rate=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=rf"{bound} must be in \[0.0, 1.0\) as a float32"):
        getattr(lr_scheduler, name)(opt, **arguments, **{bound: almost_one})
    assert type(opt) is optim.SGD  # nothing converted, nothing half-applied
