"""CyclicLR against torch 2.13: LRs and momenta bit-exact (one and two groups, SGD and the
Adam family, resumed, composed), state round trips, and bad input pinned next to torch."""

import json
import math
import warnings

import mlx.core as mx
import mlx.optimizers as optim
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as hs
from strategies import STRATEGIES

from mlx_lr_scheduler import CyclicLR
from mlx_lr_scheduler.registry import SCHEDULES
from oracle import MLX, TORCH, first_mismatch, mlx_optimizer, run_both, torch_optimizer

LRS = [(0.1,), (0.1, 0.03)]


# -- momenta side by side ------------------------------------------------------------------


def _f32(value):
    return float(np.float32(value))


class WithMomenta:
    """A scheduler whose ``get_last_lr()`` also lists each group's momentum, so
    ``run_both`` compares them bitwise: the float64 value (torch's ``group["momentum"]``
    or ``group["betas"][0]``), then the float32 value the optimizer reads (torch's
    rounded to float32; ours read from ``optimizer.momentum`` / ``optimizer.betas[0]``)."""

    def __init__(self, lib, scheduler, optimizer):
        self.lib, self.scheduler, self.optimizer = lib, scheduler, optimizer

    def step(self, *args):
        self.scheduler.step(*args)

    def state_dict(self):
        return self.scheduler.state_dict()

    def load_state_dict(self, state):
        self.scheduler.load_state_dict(state)

    def get_last_lr(self):
        lrs = list(self.scheduler.get_last_lr())
        if self.lib is TORCH:
            momenta = [
                g["betas"][0] if "betas" in g else g["momentum"]
                for g in self.optimizer.param_groups
            ]
            return lrs + momenta + [_f32(m) for m in momenta]
        groups = self.scheduler.param_groups
        momenta = [g["betas"][0] if "betas" in g else g["momentum"] for g in groups]
        leaves = getattr(self.optimizer, "optimizers", [self.optimizer])
        seen = [(leaf.betas[0] if hasattr(leaf, "betas") else leaf.momentum) for leaf in leaves]
        assert all(isinstance(v, mx.array) and v.dtype == mx.float32 for v in seen)
        return lrs + momenta + [v.item() for v in seen]


def with_momenta(build):
    return lambda L, o: WithMomenta(L, build(L, o), o)


def cyclic(*args, **kwargs):
    return lambda L, o: L.CyclicLR(o, *args, **kwargs)


class HalvingScale:
    """A callable-object scale function: torch saves its ``__dict__`` in ``state_dict()``."""

    def __init__(self, base):
        self.base = base

    def __call__(self, x):
        return self.base**x


# -- the registry's examples ------------------------------------------------------------------

EXAMPLES = {example.label: example for example in SCHEDULES["CyclicLR"].examples}


@pytest.mark.parametrize("label", sorted(EXAMPLES))
@pytest.mark.parametrize("lrs", LRS)
@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_examples_bit_exact_with_torch(label, lrs, kind):
    example = EXAMPLES[label]
    build = example.build
    if example.arguments.get("cycle_momentum", True):
        build = with_momenta(build)
    for resume_at in (None, 0, 13):
        history = run_both(build, 40, lrs, kind=kind, resume_at=resume_at)
        assert first_mismatch(*history) is None, (resume_at, first_mismatch(*history))


def test_recipe_values_from_the_formula():
    """triangular2, written out here: up 5, down 3, amplitude halving each cycle."""
    _, ours = run_both(with_momenta(cyclic(0.001, 0.1, 5, 3, "triangular2")), 40)
    for t, (lr, momentum, _) in enumerate(ours):
        c = math.floor(1 + t / 8)
        x = 1 + t / 8 - c
        h = x / (5 / 8) if x <= 5 / 8 else (x - 1) / (5 / 8 - 1)
        scale = 1 / 2 ** (c - 1)
        assert lr == pytest.approx(0.001 + 0.099 * h * scale, rel=1e-12)
        assert momentum == pytest.approx(0.9 - 0.1 * h * scale, rel=1e-12)


@pytest.mark.parametrize("optimizer", ["AdamW", "Adamax", "Lion"])
def test_beta1_of_the_adam_family_and_lion(optimizer):
    """torch has no Lion: its beta1 schedule is torch's Adam one (the values do not depend
    on the optimizer), read as float32 from ``optimizer.betas[0]``."""
    build = cyclic(0.001, 0.01, step_size_up=3, mode="triangular2")
    t_opt = torch_optimizer([0.1], "adam")
    t_sched = build(TORCH, t_opt)
    opt = getattr(optim, optimizer)(learning_rate=0.1)
    beta2 = opt.betas[1]
    sched = build(MLX, opt)
    for _ in range(20):
        torch_beta1 = t_opt.param_groups[0]["betas"][0]
        assert sched.param_groups[0]["betas"] == (torch_beta1, beta2)
        assert opt.betas[0].item() == _f32(torch_beta1) and opt.betas[1] == beta2
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_sched.step()
        sched.step()


def test_multi_optimizer_mixing_sgd_and_adam():
    """Each sub-optimizer is a group with its own kind (torch has one kind per optimizer)."""
    opt = optim.MultiOptimizer([optim.SGD(0.1, momentum=0.5), optim.Adam(0.1)], [lambda *_: True])
    sched = CyclicLR(opt, 0.01, 0.1, step_size_up=3, base_momentum=[0.8, 0.7], max_momentum=0.9)
    references = []
    for kind, low in (("sgd", 0.8), ("adam", 0.7)):
        t_opt = torch_optimizer([0.1], kind)
        references.append((t_opt, TORCH.CyclicLR(t_opt, 0.01, 0.1, 3, base_momentum=low)))
    assert sched.state_dict()["use_beta1"] == [False, True]
    for _ in range(10):
        (sgd, t_sgd), (adam, t_adam) = references
        assert opt.optimizers[0].momentum.item() == _f32(sgd.param_groups[0]["momentum"])
        assert opt.optimizers[1].betas[0].item() == _f32(adam.param_groups[0]["betas"][0])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_sgd.step()
            t_adam.step()
        sched.step()


# -- hypothesis: random configurations --------------------------------------------------------


def resumes(steps):
    """No resume, or a resume from our state (JSON round trip) or from torch's, at a random step."""
    if steps < 1:
        return hs.just({})
    at = hs.integers(0, steps - 1)
    return hs.one_of(
        hs.just({}),
        at.map(lambda k: {"resume_at": k}),
        at.map(lambda k: {"torch_state_at": k}),
    )


@given(data=hs.data())
def test_random_configurations_bit_exact(data):
    """LRs and momenta, on SGD or Adam, resumed at a random step (the configurations:
    strategies.cyclic_lr, shared with test_parity_properties)."""
    groups = data.draw(hs.sampled_from([1, 2]), "groups")
    config = data.draw(STRATEGIES["CyclicLR"](groups), "config")
    kind = data.draw(hs.sampled_from(["sgd", "adam"]), "kind")
    steps = 30
    resume = data.draw(resumes(steps), "resume")
    build = config.build
    if config.arguments["cycle_momentum"]:
        build = with_momenta(build)
    history = run_both(build, steps, (0.1, 0.02)[:groups], kind=kind, **resume)
    assert first_mismatch(*history) is None


# -- state --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_resume_from_our_state_alone_into_other_arguments(kind):
    """Our state_dict carries the bounds and the momentum in force: a scheduler built with
    other arguments on a fresh optimizer continues exactly where torch does."""
    build = with_momenta(cyclic([0.01, 0.02], 0.1, 4, 2, "exp_range", 0.97, base_momentum=0.7))
    other = with_momenta(cyclic(0.5, 0.9, 11, mode="triangular2", base_momentum=0.1))
    history = run_both(build, 40, (0.1, 0.03), kind=kind, resume_at=17, rebuild=other)
    assert first_mismatch(*history) is None


@pytest.mark.parametrize("scale_fn", [None, HalvingScale(0.9)])
@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_loads_torch_state_dict(scale_fn, kind):
    build = with_momenta(cyclic(0.01, 0.1, 4, mode="exp_range", gamma=0.98, scale_fn=scale_fn))
    history = run_both(build, 40, (0.1, 0.03), kind=kind, torch_state_at=11)
    assert first_mismatch(*history) is None


def test_state_dict_is_json_and_names_torchs_keys():
    opt = optim.Adam(0.1)
    sched = CyclicLR(opt, 0.01, 0.1, step_size_up=3, scale_fn=HalvingScale(0.5))
    t_opt = torch_optimizer([0.1], "adam")
    t_sched = TORCH.CyclicLR(t_opt, 0.01, 0.1, 3, scale_fn=HalvingScale(0.5))
    ours = json.loads(json.dumps(sched.state_dict()))
    torch_keys = set(t_sched.state_dict()) - {"_is_initial", "_get_lr_called_within_step"}
    assert set(ours) == torch_keys | {"scheduler", "param_groups"}
    assert ours["_scale_fn_custom"] == {"base": 0.5}
    assert ours["param_groups"] == [
        {"max_momentum": 0.9, "base_momentum": 0.8, "betas": [0.9, 0.999]}
    ]


def test_callable_object_state_round_trips():
    """torch's rule: a callable object's ``__dict__`` is saved and restored; a function's is not."""
    opt = optim.SGD(0.1)
    fn = HalvingScale(0.5)
    sched = CyclicLR(opt, 0.01, 0.1, step_size_up=3, scale_fn=fn, scale_mode="iterations")
    state = sched.state_dict()
    fn.base = 0.1
    sched.load_state_dict(state)
    assert fn.base == 0.5
    plain = CyclicLR(optim.SGD(0.1), 0.01, 0.1, step_size_up=3, scale_fn=lambda x: 0.5**x)
    with pytest.raises(ValueError, match="_scale_fn_custom holds a callable object's state"):
        plain.load_state_dict(state)


BAD_STATES = [
    ("total_size", 0.0, ValueError),
    ("step_ratio", 1.5, ValueError),
    ("mode", "foo", ValueError),
    ("gamma", "x", TypeError),
    ("scale_mode", "foo", ValueError),
    ("base_momentums", [0.8, 1.5], ValueError),
    ("max_momentums", [0.9], ValueError),
    ("use_beta1", True, ValueError),
    ("cycle_momentum", False, ValueError),
    ("param_groups", [{"momentum": 0.9}], ValueError),
    ("_last_lr", [-1.0, 0.1], ValueError),
]


@pytest.mark.parametrize(("key", "value", "error"), BAD_STATES)
def test_bad_state_is_refused_before_anything_changes(key, value, error):
    opt = mlx_optimizer([0.1, 0.02], "sgd")
    sched = CyclicLR(opt, 0.01, 0.1, step_size_up=3)
    for _ in range(4):
        sched.step()
    good = sched.state_dict()
    fresh = CyclicLR(mlx_optimizer([0.1, 0.02], "sgd"), 0.5, 0.9, step_size_up=7)
    before = (
        fresh.state_dict(),
        [leaf.state["momentum"].item() for leaf in fresh.optimizer.optimizers],
    )
    with pytest.raises(error):
        fresh.load_state_dict({**good, key: value})
    after = (
        fresh.state_dict(),
        [leaf.state["momentum"].item() for leaf in fresh.optimizer.optimizers],
    )
    assert after == before


@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_the_state_decides_whether_momentum_cycles(kind):
    """As in torch, a loaded state turns momentum cycling on or off, whatever the scheduler
    was built with (ours binds the optimizer then). Turned on, the momenta continue exactly;
    turned off, the LRs do (the momentum left in force is the optimizer's business)."""
    cycling = cyclic(0.01, 0.1, 4, mode="triangular2", base_momentum=0.7)
    still = cyclic(0.01, 0.1, 4, mode="triangular2", cycle_momentum=False)
    history = run_both(
        with_momenta(cycling), 30, LRS[1], kind=kind, resume_at=9, rebuild=with_momenta(still)
    )
    assert first_mismatch(*history) is None
    history = run_both(still, 30, LRS[1], kind=kind, resume_at=9, rebuild=cycling)
    assert first_mismatch(*history) is None


# -- composition --------------------------------------------------------------------------

COMPOSED = {
    "warmup then cyclic": lambda L, o: L.SequentialLR(
        o, [L.LinearLR(o, 0.1, total_iters=5), L.CyclicLR(o, 0.01, 0.1, 4)], [5]
    ),
    "cyclic then constant": lambda L, o: L.SequentialLR(
        o, [L.CyclicLR(o, 0.01, 0.1, 4, mode="triangular2"), L.ConstantLR(o, 0.5, 100)], [17]
    ),
    "cyclic chained with exponential decay": lambda L, o: L.ChainedScheduler(
        [L.CyclicLR(o, 0.01, 0.1, 3), L.ExponentialLR(o, 0.95)]
    ),
}


@pytest.mark.parametrize("name", sorted(COMPOSED))
@pytest.mark.parametrize("lrs", LRS)
@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_composed_bit_exact_with_torch(name, lrs, kind):
    build = with_momenta(COMPOSED[name])
    for resume_at in (None, 9):
        history = run_both(build, 40, lrs, kind=kind, resume_at=resume_at)
        assert first_mismatch(*history) is None


# -- momentum binding -----------------------------------------------------------------------


def test_optimizer_without_momentum_raises_like_torch():
    t_opt = torch.optim.Adagrad([torch.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        TORCH.CyclicLR(t_opt, 0.01, 0.1)
    opt = optim.MultiOptimizer([optim.SGD(0.1), optim.RMSprop(0.1)], [lambda *_: True])
    with pytest.raises(ValueError, match=r"must support momentum or beta1.*group 1 \(RMSprop\)"):
        CyclicLR(opt, 0.01, 0.1)
    # Nothing was bound: not even the SGD group that could have been.
    assert type(opt.optimizers[0]) is optim.SGD and "momentum" not in opt.optimizers[0].state
    assert CyclicLR(opt, 0.01, 0.1, cycle_momentum=False).get_last_lr() == [0.01, 0.01]


def test_failed_construction_leaves_the_optimizer_as_it_was():
    opt = optim.SGD(learning_rate=0.1, momentum=0.3)

    def scale_fn(x):
        raise RuntimeError("user code fails")

    with pytest.raises(RuntimeError, match="user code fails"):
        CyclicLR(opt, 0.01, 0.2, step_size_up=3, scale_fn=scale_fn)
    assert type(opt) is optim.SGD and opt.momentum == 0.3
    assert opt.learning_rate.item() == np.float32(0.1) and set(opt.state) == {
        "step",
        "learning_rate",
    }
    assert CyclicLR(opt, 0.01, 0.2).param_groups[0]["initial_lr"] == 0.01


# -- bad input, pinned next to torch -------------------------------------------------------------


def _torch_cyclic(**kwargs):
    """Build torch's CyclicLR on SGD and step it 6 times; return the LRs and momenta (or raise)."""
    opt = torch_optimizer([0.1], "sgd", momentum=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = TORCH.CyclicLR(opt, **kwargs)
        values = [(sched.get_last_lr()[0], opt.param_groups[0]["momentum"])]
        for _ in range(6):
            sched.step()
            values.append((sched.get_last_lr()[0], opt.param_groups[0]["momentum"]))
    return values


TORCH_CRASHES = [  # torch: ZeroDivisionError on the first step
    ({"step_size_up": 0}, "step_size_up must be in \\(0.0, inf\\), but got 0.0"),
    ({"step_size_up": 0, "step_size_down": 0}, "step_size_up must be in"),
    ({"step_size_up": 0, "step_size_down": 3}, "step_size_up must be in"),
    ({"step_size_up": 2, "step_size_down": -2}, r"step_size_down must be in \[0.0, inf\)"),
]


@pytest.mark.parametrize(("kwargs", "message"), TORCH_CRASHES)
def test_zero_step_size_up(kwargs, message):
    with pytest.raises(ZeroDivisionError):
        _torch_cyclic(base_lr=0.01, max_lr=0.1, **kwargs)
    with pytest.raises(ValueError, match=message):
        CyclicLR(optim.SGD(0.1), 0.01, 0.1, **kwargs)


def _negative_lr(values):
    return min(lr for lr, _ in values) < 0


def _momentum_outside_unit_interval(values):
    return not all(0 <= m < 1 for _, m in values)


def _runs(values):
    return len(values) == 7


TORCH_ACCEPTS = [  # (arguments, what torch does with them, our error)
    ({"base_lr": -0.01}, _negative_lr, r"base_lr must be in \[0.0, inf\), but got -0.01"),
    ({"max_lr": [-0.1]}, _negative_lr, r"max_lr\[0\] must be in \[0.0, inf\)"),
    ({"mode": "exp_range", "gamma": -1.0}, _negative_lr, r"gamma must be in \(0.0, inf\)"),
    (  # gamma = 0: the cycle is gone, the LR stays at base_lr
        {"mode": "exp_range", "gamma": 0.0},
        lambda values: {lr for lr, _ in values} == {0.01},
        r"gamma must be in \(0.0, inf\), but got 0.0",
    ),
    (
        {"max_momentum": 1.5},
        _momentum_outside_unit_interval,
        r"max_momentum must be in \[0.0, 1.0\)",
    ),
    (
        {"base_momentum": -0.5},
        _momentum_outside_unit_interval,
        r"base_momentum must be in \[0.0, 1",
    ),
    ({"mode": "foo", "scale_fn": lambda x: 1.0}, _runs, "mode must be one of"),
    (  # an unknown scale_mode silently means "iterations"
        {"scale_fn": lambda x: 0.5**x, "scale_mode": "epochs"},
        lambda values: (
            values
            == _torch_cyclic(
                base_lr=0.01,
                max_lr=0.1,
                step_size_up=2,
                scale_fn=lambda x: 0.5**x,
                scale_mode="iterations",
            )
        ),
        "scale_mode must be one of 'cycle', 'iterations', but got 'epochs'",
    ),
    ({"step_size_down": -1}, _runs, r"step_size_down must be in \[0.0, inf\), but got -1.0"),
]


@pytest.mark.parametrize(("kwargs", "torch_behaviour", "message"), TORCH_ACCEPTS)
def test_input_torch_lets_through(kwargs, torch_behaviour, message):
    arguments = {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 2, **kwargs}
    assert torch_behaviour(_torch_cyclic(**arguments))
    with pytest.raises(ValueError, match=message):
        CyclicLR(optim.SGD(0.1), **arguments)


TORCH_REFUSES = [  # torch raises too (sometimes only when it first steps)
    ({"mode": "foo"}, ValueError, "mode must be one of 'triangular'"),
    (
        {"base_lr": [0.01, 0.02]},
        ValueError,
        r"base_lr must have one value per parameter group \(1\)",
    ),
    ({"scale_fn": 3}, TypeError, "scale_fn must be callable, but got 3"),
    ({"step_size_up": float("nan")}, ValueError, "step_size_up must be a finite number"),
    ({"base_lr": "0.1"}, TypeError, "base_lr must be a real number"),
]


@pytest.mark.parametrize(("kwargs", "error", "message"), TORCH_REFUSES)
def test_input_torch_refuses(kwargs, error, message):
    arguments = {"base_lr": 0.01, "max_lr": 0.1, **kwargs}
    with pytest.raises((ValueError, TypeError)):
        _torch_cyclic(**arguments)
    with pytest.raises(error, match=message):
        CyclicLR(optim.SGD(0.1), **arguments)


def test_other_bad_arguments():
    opt = optim.SGD(0.1)
    with pytest.raises(TypeError, match="cycle_momentum must be a bool"):
        CyclicLR(opt, 0.01, 0.1, cycle_momentum="yes")
    with pytest.raises(TypeError, match="last_epoch must be an integer"):
        CyclicLR(opt, 0.01, 0.1, last_epoch=1.0)
    with pytest.raises(KeyError, match="'initial_lr' is not specified"):
        CyclicLR(optim.SGD(0.1), 0.01, 0.1, last_epoch=3)
    with pytest.raises(ValueError, match="step_size_up \\+ step_size_down must be finite"):
        CyclicLR(opt, 0.01, 0.1, step_size_up=1e308, step_size_down=1e308)
    with pytest.raises(TypeError, match=r"optimizer must be an mlx\.optimizers\.Optimizer"):
        CyclicLR(object(), 0.01, 0.1)


def test_scale_fn_driving_momentum_out_of_range_raises_at_the_step():
    """Divergence: torch hands the optimizer a negative momentum; we refuse the step."""
    arguments = {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 2, "scale_fn": lambda c: 10.0}
    torch_momenta = [m for _, m in _torch_cyclic(**arguments)]
    assert min(torch_momenta) < 0
    opt = optim.SGD(0.1)
    sched = CyclicLR(opt, **arguments)
    sched.step()  # momentum 0.9 - 0.1 * 0.5 * 10 = 0.4: fine
    before = (sched.last_epoch, sched.get_last_lr(), opt.momentum.item())
    with pytest.raises(
        ValueError, match=r"computed momentum -0\.0999\d* for parameter group 0 at epoch 2"
    ):
        sched.step()
    assert (sched.last_epoch, sched.get_last_lr(), opt.momentum.item()) == before


def test_get_lr_outside_step_does_not_move_the_momentum():
    """Divergence: torch's get_lr() sets the momentum as a side effect, even when called by
    hand; ours computes it and writes it only with the LRs, in step()."""
    t_opt = torch_optimizer([0.1], "sgd", momentum=0.9)
    t_sched = TORCH.CyclicLR(t_opt, 0.01, 0.1, step_size_up=2)
    t_sched.last_epoch = 1
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        t_sched.get_lr()
    assert t_opt.param_groups[0]["momentum"] == pytest.approx(0.85)
    opt = optim.SGD(0.1, momentum=0.9)
    sched = CyclicLR(opt, 0.01, 0.1, step_size_up=2)
    sched.last_epoch = 1
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()
    assert sched.param_groups[0]["momentum"] == 0.9 and opt.momentum.item() == np.float32(0.9)
