"""OneCycleLR against torch 2.13: LRs and momenta bit-exact (one and two groups, SGD and
Adam, resumed, composed), the step at total_steps (torch issue #91765), state round trips,
and bad input pinned next to torch."""

import json
import math
import warnings

import mlx.optimizers as optim
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as hs
from strategies import one_cycle_lr, zero_width_first_phase

# Momenta side by side and random resumes: shared with the CyclicLR tests.
from test_cyclic_lr import WithMomenta, resumes

from mlx_lr_scheduler import OneCycleLR
from mlx_lr_scheduler.registry import SCHEDULES
from oracle import MLX, TORCH, first_mismatch, mlx_optimizer, run_both, torch_optimizer

LRS = [(0.1,), (0.1, 0.03)]


def with_momenta(build):
    return lambda L, o: WithMomenta(L, build(L, o), o)


def one_cycle(**kwargs):
    return lambda L, o: L.OneCycleLR(o, **kwargs)


def total_of(kwargs):
    return kwargs.get("total_steps") or kwargs["epochs"] * kwargs["steps_per_epoch"]


# -- the registry's examples ------------------------------------------------------------------

EXAMPLES = {example.label: example for example in SCHEDULES["OneCycleLR"].examples}


@pytest.mark.parametrize("label", sorted(EXAMPLES))
@pytest.mark.parametrize("lrs", LRS)
@pytest.mark.parametrize("kind", ["sgd", "adam", "adamw"])
def test_examples_bit_exact_with_torch(label, lrs, kind):
    example = EXAMPLES[label]
    build = example.build
    if example.arguments.get("cycle_momentum", True):
        build = with_momenta(build)
    steps = example.steps  # short of total_steps: see below
    for resume_at in {None, 0, steps // 2}:
        if resume_at is not None and resume_at >= steps:
            continue
        history = run_both(build, steps, lrs, kind=kind, resume_at=resume_at)
        assert first_mismatch(*history) is None, (resume_at, first_mismatch(*history))


def test_fastai_recipe_from_the_formula():
    """The fastai recipe, written out here: cos from max_lr/25 up to max_lr over the first
    quarter, then down to max_lr/25/1e4; beta1 the other way between 0.95 and 0.85."""
    build = with_momenta(EXAMPLES["fastai one-cycle"].build)
    _, ours = run_both(build, 49, kind="adam")
    peak, first_end = 3e-3, 0.25 * 50 - 1

    def cos(start, end, u):
        return end + (start - end) * (1 + math.cos(math.pi * u)) / 2

    for t, (lr, beta1, beta1_f32) in enumerate(ours):
        if t <= first_end:
            u, lr_ends, beta_ends = t / first_end, (peak / 25, peak), (0.95, 0.85)
        else:
            u, lr_ends, beta_ends = (
                (t - first_end) / (49 - first_end),
                (peak, peak / 25e4),
                (0.85, 0.95),
            )
        assert lr == pytest.approx(cos(*lr_ends, u), rel=1e-12)
        assert beta1 == pytest.approx(cos(*beta_ends, u), rel=1e-12)
        assert beta1_f32 == float(np.float32(beta1))


# -- the step at total_steps (torch issue #91765) -----------------------------------------------


@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize("three_phase", [False, True])
def test_step_at_total_steps_holds_the_final_value(strategy, three_phase):
    """Divergence: torch extrapolates at step total_steps (linear: a negative LR); we keep
    the last value, min_lr, and the last momentum. Past it, both raise."""
    kwargs = {
        "max_lr": 1.0,
        "total_steps": 10,
        "anneal_strategy": strategy,
        "three_phase": three_phase,
    }
    t_opt = torch_optimizer([0.1], "sgd", momentum=0.9)
    opt = optim.SGD(0.1, momentum=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_sched = TORCH.OneCycleLR(t_opt, **kwargs)
        sched = OneCycleLR(opt, **kwargs)
        for _ in range(9):
            t_sched.step()
            sched.step()
        last_lr = sched.get_last_lr()
        assert last_lr == t_sched.get_last_lr() == [pytest.approx(1.0 / 25 / 1e4, rel=1e-9)]
        last_momentum = opt.momentum.item()
        t_sched.step()
        sched.step()
    torch_lr = t_sched.get_last_lr()[0]
    if strategy == "linear":
        assert torch_lr < 0  # torch: (min_lr - initial_lr) * 10/9 + initial_lr
    else:
        assert torch_lr > 1.0 / 25 / 1e4  # the cosine turns back up
    assert sched.get_last_lr() == last_lr
    assert opt.momentum.item() == last_momentum == np.float32(0.95)
    with pytest.raises(ValueError, match="Tried to step 11 times"):
        t_sched.step()
    with pytest.raises(
        ValueError, match=r"Tried to step 11 times\. The specified number of total steps is 10"
    ):
        sched.step()
    assert sched.last_epoch == 10 and sched.get_last_lr() == last_lr


def test_warmup_only_does_not_divide_by_zero_at_total_steps():
    """pct_start=1.0 leaves the last phase zero steps wide: torch divides by zero at step
    total_steps; we hold max_lr."""
    t_opt = torch_optimizer([0.1], "sgd")
    t_sched = TORCH.OneCycleLR(t_opt, 1.0, total_steps=4, pct_start=1.0)
    sched = OneCycleLR(optim.SGD(0.1), 1.0, total_steps=4, pct_start=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(3):
            t_sched.step()
            sched.step()
        with pytest.raises(ZeroDivisionError):
            t_sched.step()
    sched.step()
    assert sched.get_last_lr() == t_sched.get_last_lr() == [1.0]


# -- hypothesis: random configurations ------------------------------------------------------------


def _zero_width(kwargs):
    return zero_width_first_phase(total_of(kwargs), kwargs["pct_start"])


def short_cycles(groups, zero_width=False):
    """strategies.one_cycle_lr (shared with test_parity_properties) with 1 to 60 steps."""
    return one_cycle_lr(groups, total_steps=(1, 60), zero_width=zero_width)


@given(data=hs.data())
def test_random_configurations_bit_exact(data):
    """LRs and momenta up to the end of the cycle, on SGD or Adam, resumed at a random
    step; then the step at total_steps, where we hold the last value."""
    groups = data.draw(hs.sampled_from([1, 2]), "groups")
    config = data.draw(short_cycles(groups), "config")
    kwargs = config.arguments
    kind = data.draw(hs.sampled_from(["sgd", "adam"]), "kind")
    steps = total_of(kwargs) - 1
    resume = data.draw(resumes(steps), "resume")
    build = with_momenta(config.build) if kwargs["cycle_momentum"] else config.build
    lrs = (0.1, 0.02)[:groups]
    history = run_both(build, steps, lrs, kind=kind, **resume)
    assert first_mismatch(*history) is None
    scheduler = build(MLX, mlx_optimizer(lrs, kind))
    for _ in range(steps + 1):
        scheduler.step()
    final = scheduler.get_last_lr()
    assert final == history[1][-1] and min(final) >= 0


@given(data=hs.data())
def test_zero_width_refused_exactly_where_torch_divides_by_zero(data):
    """For any configuration: we raise ValueError at construction iff torch raises
    ZeroDivisionError before the end of the cycle."""
    kwargs = data.draw(short_cycles(1, zero_width=True), "config").arguments
    t_opt = torch_optimizer([0.1], "sgd")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_sched = TORCH.OneCycleLR(t_opt, **kwargs)
            for _ in range(total_of(kwargs) - 1):
                t_sched.step()
        torch_divides_by_zero = False
    except ZeroDivisionError:
        torch_divides_by_zero = True
    assert torch_divides_by_zero == _zero_width(kwargs)
    if torch_divides_by_zero:
        with pytest.raises(ValueError, match="first phase has zero width"):
            OneCycleLR(optim.SGD(0.1), **kwargs)
    else:
        OneCycleLR(optim.SGD(0.1), **kwargs)


# -- state ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("three_phase", [False, True])
def test_resume_from_our_state_alone_into_other_arguments(kind, three_phase):
    """Our state_dict carries what torch keeps in the optimizer (initial/max/min LRs, the
    momentum bounds and the momentum in force): a scheduler built with other arguments on a
    fresh optimizer continues exactly where torch does."""
    build = with_momenta(
        one_cycle(
            max_lr=[1.0, 0.4],
            total_steps=40,
            three_phase=three_phase,
            base_momentum=0.7,
            anneal_strategy="linear",
        )
    )
    other = with_momenta(one_cycle(max_lr=9.0, total_steps=300, div_factor=2.0, max_momentum=0.99))
    history = run_both(build, 39, (0.1, 0.03), kind=kind, resume_at=17, rebuild=other)
    assert first_mismatch(*history) is None


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("three_phase", [False, True])
def test_loads_torch_state_dict(kind, three_phase):
    build = with_momenta(one_cycle(max_lr=[1.0, 0.4], total_steps=40, three_phase=three_phase))
    history = run_both(build, 39, (0.1, 0.03), kind=kind, torch_state_at=23)
    assert first_mismatch(*history) is None


def test_state_dict_is_json_and_names_torchs_keys():
    t_opt = torch_optimizer([0.1], "sgd", momentum=0.9)
    t_sched = TORCH.OneCycleLR(t_opt, 1.0, total_steps=10, three_phase=True)
    sched = OneCycleLR(optim.SGD(0.1, momentum=0.9), 1.0, total_steps=10, three_phase=True)
    ours = json.loads(json.dumps(sched.state_dict()))
    torch_state = t_sched.state_dict()
    torch_keys = set(torch_state) - {"_is_initial", "_get_lr_called_within_step"}
    assert set(ours) == torch_keys | {"scheduler", "param_groups"}
    assert ours["_schedule_phases"] == torch_state["_schedule_phases"]
    group = t_opt.param_groups[0]
    keys = ["initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum", "momentum"]
    assert ours["param_groups"] == [{key: group[key] for key in keys}]


BAD_STATES = [
    ("total_steps", 0, ValueError),
    ("_schedule_phases", [], ValueError),
    ("_anneal_func_type", "exp", ValueError),
    ("use_beta1", True, ValueError),
    ("cycle_momentum", False, ValueError),
    ("param_groups", [{"initial_lr": 0.1}], ValueError),
    ("param_groups", "x", TypeError),
    ("last_epoch", 1.5, TypeError),
    ("last_epoch", 21, ValueError),
]


@pytest.mark.parametrize(("key", "value", "error"), BAD_STATES)
def test_bad_state_is_refused_before_anything_changes(key, value, error):
    sched = OneCycleLR(mlx_optimizer([0.1, 0.02]), 1.0, total_steps=20)
    for _ in range(4):
        sched.step()
    good = sched.state_dict()
    fresh = OneCycleLR(mlx_optimizer([0.1, 0.02]), 0.5, total_steps=30, three_phase=True)
    leaves = fresh.optimizer.optimizers
    before = (fresh.state_dict(), [leaf.momentum.item() for leaf in leaves])
    with pytest.raises(error):
        fresh.load_state_dict({**good, key: value})
    assert (fresh.state_dict(), [leaf.momentum.item() for leaf in leaves]) == before


def test_phases_of_zero_width_or_not_ending_at_total_steps_are_refused():
    state = OneCycleLR(optim.SGD(0.1), 1.0, total_steps=20).state_dict()
    zero_width = json.loads(json.dumps(state))
    zero_width["_schedule_phases"][0]["end_step"] = 0.0
    fresh = OneCycleLR(optim.SGD(0.1), 1.0, total_steps=20)
    with pytest.raises(ValueError, match="first phase has zero width"):
        fresh.load_state_dict(zero_width)
    with pytest.raises(ValueError, match="must end at total_steps - 1 = 29"):
        fresh.load_state_dict({**state, "total_steps": 30})


@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_the_state_decides_whether_momentum_cycles(kind):
    """As in torch, a loaded state turns momentum cycling on or off, whatever the scheduler
    was built with (ours binds the optimizer then). Turned on, the momenta continue exactly;
    turned off, the LRs do (the momentum left in force is the optimizer's business)."""
    cycling = one_cycle(max_lr=1.0, total_steps=30, base_momentum=0.7)
    still = one_cycle(max_lr=0.5, total_steps=30, cycle_momentum=False)
    history = run_both(
        with_momenta(cycling), 29, LRS[1], kind=kind, resume_at=9, rebuild=with_momenta(still)
    )
    assert first_mismatch(*history) is None
    history = run_both(still, 29, LRS[1], kind=kind, resume_at=9, rebuild=cycling)
    assert first_mismatch(*history) is None


def test_a_torch_state_that_cycles_needs_a_scheduler_built_cycling():
    """torch's state_dict leaves the momentum bounds in torch's optimizer: we cannot turn
    cycling on from it (torch can, reading them from its optimizer's loaded state)."""
    t_opt = torch_optimizer([0.1], "sgd", momentum=0.9)
    state = TORCH.OneCycleLR(t_opt, 1.0, total_steps=10).state_dict()
    scheduler = OneCycleLR(optim.SGD(0.1), 1.0, total_steps=10, cycle_momentum=False)
    with pytest.raises(ValueError, match="cycles momentum but has no momentum bounds"):
        scheduler.load_state_dict(state)
    assert not scheduler.cycle_momentum and type(scheduler.optimizer) is optim.SGD


# -- composition ----------------------------------------------------------------------------

COMPOSED = {
    "warmup then one-cycle": (
        lambda L, o: L.SequentialLR(
            o, [L.LinearLR(o, 0.1, total_iters=5), L.OneCycleLR(o, 1.0, total_steps=30)], [5]
        ),
        34,
    ),
    "one-cycle then constant": (
        lambda L, o: L.SequentialLR(
            o, [L.OneCycleLR(o, 1.0, total_steps=20), L.ConstantLR(o, 0.5, 100)], [20]
        ),
        40,
    ),
    "one-cycle chained with exponential decay": (
        lambda L, o: L.ChainedScheduler(
            [L.OneCycleLR(o, 1.0, total_steps=30), L.ExponentialLR(o, 0.9)]
        ),
        29,
    ),
}


@pytest.mark.parametrize("name", sorted(COMPOSED))
@pytest.mark.parametrize("lrs", LRS)
@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_composed_bit_exact_with_torch(name, lrs, kind):
    build, steps = COMPOSED[name]
    for resume_at in (None, 11):
        history = run_both(with_momenta(build), steps, lrs, kind=kind, resume_at=resume_at)
        assert first_mismatch(*history) is None


# -- bad input, pinned next to torch -----------------------------------------------------------


def _torch_one_cycle(**kwargs):
    """Build torch's OneCycleLR on SGD and step it to total_steps - 1; return the LRs (or raise)."""
    opt = torch_optimizer([0.1], "sgd", momentum=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = TORCH.OneCycleLR(opt, **kwargs)
        values = [(sched.get_last_lr()[0], opt.param_groups[0]["momentum"])]
        for _ in range(total_of(kwargs) - 1):
            sched.step()
            values.append((sched.get_last_lr()[0], opt.param_groups[0]["momentum"]))
    return values


TORCH_CRASHES = [  # torch: ZeroDivisionError
    ({"pct_start": 0.1}, "first phase has zero width"),
    ({"pct_start": 0.1, "three_phase": True}, "first phase has zero width"),
    ({"total_steps": 4, "pct_start": 0.25}, "first phase has zero width"),
    ({"div_factor": 0.0}, r"div_factor must be in \(0.0, inf\), but got 0.0"),
    ({"final_div_factor": 0}, r"final_div_factor must be in \(0.0, inf\), but got 0.0"),
]


@pytest.mark.parametrize(("kwargs", "message"), TORCH_CRASHES)
def test_input_torch_divides_by_zero_on(kwargs, message):
    arguments = {"max_lr": 1.0, "total_steps": 10, **kwargs}
    with pytest.raises(ZeroDivisionError):
        _torch_one_cycle(**arguments)
    with pytest.raises(ValueError, match=message):
        OneCycleLR(optim.SGD(0.1), **arguments)


def _negative_lr(values):
    return min(lr for lr, _ in values) < 0


def _momentum_outside_unit_interval(values):
    return not all(0 <= m < 1 for _, m in values)


TORCH_ACCEPTS = [  # (arguments, what torch does with them, our error)
    ({"max_lr": -1.0}, _negative_lr, r"max_lr must be in \[0.0, inf\), but got -1.0"),
    ({"max_lr": [-1.0]}, _negative_lr, r"max_lr\[0\] must be in \[0.0, inf\)"),
    ({"div_factor": -2.0}, _negative_lr, r"div_factor must be in \(0.0, inf\), but got -2.0"),
    ({"final_div_factor": -1.0}, _negative_lr, r"final_div_factor must be in \(0.0, inf\)"),
    (
        {"max_momentum": 1.2},
        _momentum_outside_unit_interval,
        r"max_momentum must be in \[0.0, 1.0\)",
    ),
    (
        {"base_momentum": -0.1},
        _momentum_outside_unit_interval,
        r"base_momentum must be in \[0.0, 1",
    ),
]


@pytest.mark.parametrize(("kwargs", "torch_behaviour", "message"), TORCH_ACCEPTS)
def test_input_torch_lets_through(kwargs, torch_behaviour, message):
    arguments = {"max_lr": 1.0, "total_steps": 10, **kwargs}
    assert torch_behaviour(_torch_one_cycle(**arguments))
    with pytest.raises(ValueError, match=message):
        OneCycleLR(optim.SGD(0.1), **arguments)


TORCH_REFUSES = [  # torch raises ValueError too
    ({"total_steps": 0}, ValueError, "total_steps must be an integer >= 1, but got 0"),
    ({"total_steps": 10.0}, TypeError, r"total_steps must be an integer >= 1, but got 10\.0"),
    ({"total_steps": None}, ValueError, r"You must define either total_steps OR \(epochs AND"),
    ({"total_steps": None, "epochs": 2}, ValueError, "You must define either total_steps"),
    ({"total_steps": None, "epochs": 0, "steps_per_epoch": 3}, ValueError, "epochs must be"),
    ({"total_steps": None, "epochs": 2.0, "steps_per_epoch": 3}, TypeError, "epochs must be"),
    ({"total_steps": None, "epochs": 2, "steps_per_epoch": -1}, ValueError, "steps_per_epoch"),
    ({"pct_start": 1.5}, ValueError, r"pct_start must be in \[0.0, 1.0\], but got 1.5"),
    ({"pct_start": -0.1}, ValueError, r"pct_start must be in \[0.0, 1.0\]"),
    ({"anneal_strategy": "exp"}, ValueError, "anneal_strategy must be one of 'cos', 'linear'"),
    ({"max_lr": [1.0, 2.0]}, ValueError, r"max_lr must have one value per parameter group \(1\)"),
]


@pytest.mark.parametrize(("kwargs", "error", "message"), TORCH_REFUSES)
def test_input_torch_refuses(kwargs, error, message):
    arguments = {"max_lr": 1.0, "total_steps": 10, **kwargs}
    t_opt = torch_optimizer([0.1], "sgd", momentum=0.9)
    with pytest.raises(ValueError):
        TORCH.OneCycleLR(t_opt, **arguments)
    with pytest.raises(error, match=message):
        OneCycleLR(optim.SGD(0.1), **arguments)


def test_optimizer_without_momentum_raises_like_torch():
    t_opt = torch.optim.Adagrad([torch.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        TORCH.OneCycleLR(t_opt, 1.0, total_steps=10)
    opt = optim.Adagrad(0.1)
    with pytest.raises(ValueError, match=r"must support momentum or beta1.*group 0 \(Adagrad\)"):
        OneCycleLR(opt, 1.0, total_steps=10)
    assert type(opt) is optim.Adagrad and opt.learning_rate.item() == np.float32(0.1)
    without = OneCycleLR(opt, 1.0, total_steps=10, cycle_momentum=False)
    t_without = TORCH.OneCycleLR(t_opt, 1.0, total_steps=10, cycle_momentum=False)
    assert without.get_last_lr() == t_without.get_last_lr()


def test_other_bad_arguments():
    opt = optim.SGD(0.1)
    with pytest.raises(TypeError, match="three_phase must be a bool"):
        OneCycleLR(opt, 1.0, total_steps=10, three_phase=1)
    with pytest.raises(TypeError, match="cycle_momentum must be a bool"):
        OneCycleLR(opt, 1.0, total_steps=10, cycle_momentum=None)
    with pytest.raises(ValueError, match="max_lr / div_factor / final_div_factor must be finite"):
        OneCycleLR(opt, 1e300, total_steps=10, div_factor=1e-300)
    with pytest.raises(KeyError, match="'initial_lr' is not specified"):
        OneCycleLR(optim.SGD(0.1), 1.0, total_steps=10, last_epoch=3)
    assert type(opt) is optim.SGD and set(opt.state) == {"step", "learning_rate"}


def test_integer_pct_start_is_accepted():
    """Divergence: torch refuses pct_start=0 or 1 as integers (it wants a float); we take
    them as the numbers they are."""
    t_opt = torch_optimizer([0.1], "sgd")
    with pytest.raises(ValueError, match="Expected float between 0 and 1 pct_start, but got 1"):
        TORCH.OneCycleLR(t_opt, 1.0, total_steps=10, pct_start=1)
    torch_lrs, mlx_lrs = run_both(one_cycle(max_lr=1.0, total_steps=10, pct_start=1.0), 9)
    assert first_mismatch(torch_lrs, mlx_lrs) is None
    scheduler = OneCycleLR(optim.SGD(0.1), 1.0, total_steps=10, pct_start=1)
    as_int = [scheduler.get_last_lr()]
    for _ in range(9):
        scheduler.step()
        as_int.append(scheduler.get_last_lr())
    assert as_int == mlx_lrs
