"""Bad input to the composable schedulers: refused where it enters, never a later crash.

* A hypothesis fuzz of the constructor arguments (ints, floats with 0, negatives,
  NaN, inf and subnormals, bools, strings, None, lists of every length): every
  refusal is a ``ValueError``/``TypeError`` naming the argument, leaving the
  optimizer as it was; every accepted configuration, stepped, never sets a NaN,
  infinite or negative learning rate, in float64 or in the optimizer's float32.
* Each case where torch 2.13 accepts a value and then fails or misbehaves is
  pinned: the same test shows torch's behaviour and ours.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import math
import warnings

import mlx.optimizers as optim
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from strategies import COMPOSABLE

import mlx_lr_scheduler as lib
from mlx_lr_scheduler import schedules
from mlx_lr_scheduler.registry import SCHEDULES
from oracle import MLX, TORCH, mlx_optimizer, torch_optimizer


def leaf_lrs(optimizer):
    leaves = optimizer.optimizers if isinstance(optimizer, optim.MultiOptimizer) else [optimizer]
    return [leaf.state["learning_rate"].item() for leaf in leaves]


# -- the fuzz ----------------------------------------------------------------------------------

NASTY = hs.one_of(
    hs.integers(-5, 60),
    hs.sampled_from([0, -1, 2**70, 0.0, -0.0, -0.5, 1.5, 2.5, 3.0, 1e-320, 1e308]),
    hs.sampled_from([math.nan, math.inf, -math.inf]),
    hs.floats(),
    hs.booleans(),
    hs.sampled_from(["", "0.1", "3", "nan", "abc"]),  # strings
    hs.none(),
    hs.lists(hs.one_of(hs.integers(-3, 60), hs.floats(-1.0, 2.0), hs.none()), max_size=4),
)


class Half:
    def __call__(self, epoch):
        return 0.5


def _gamma():
    return hs.one_of(hs.sampled_from([0.1, 0.5, 1.0]), hs.floats(0.0, 1.2))


def _unit(open_low):
    return hs.floats(0.0, 1.0, exclude_min=open_low, allow_subnormal=False)


def _lambdas(groups):
    functions = hs.sampled_from([lambda e: 0.9**e, Half(), lambda e: 1.0 / (e + 1)])
    return hs.one_of(functions, hs.lists(functions, min_size=groups, max_size=groups))


def _nasty_lambdas(groups):
    functions = hs.sampled_from([lambda e: 0.9**e, Half()])
    return hs.one_of(
        NASTY,
        hs.lists(functions, min_size=0, max_size=4).filter(lambda fs: len(fs) != groups),
        hs.lists(hs.one_of(functions, NASTY), min_size=groups, max_size=groups),
    )


# Each argument: (valid values, nasty values); a value is a function of the optimizer, so
# that composites can be given schedulers bound to it (or to another optimizer).
def const(strategy):
    return strategy.map(lambda value: lambda optimizer: value)


def _children(kind):
    def make(optimizer):
        other = optim.SGD(learning_rate=0.1)
        return {
            "valid": [lib.StepLR(optimizer, 2), lib.ExponentialLR(optimizer, 0.9)],
            "empty": [],
            "not a list": lib.StepLR(optimizer, 2),
            "not a scheduler": [lib.StepLR(optimizer, 2), "StepLR"],
            "other optimizer": [lib.StepLR(optimizer, 2), lib.StepLR(other, 2)],
            "composite later": [
                lib.StepLR(optimizer, 2),
                lib.ChainedScheduler([lib.ExponentialLR(optimizer, 0.9)]),
            ],
        }[kind]

    return make


@functools.cache  # building strategies is costly: build each once
def _specs(name, groups):
    integer_1 = const(hs.integers(1, 20))
    specs = {
        "LambdaLR": {"lr_lambda": (const(_lambdas(groups)), const(_nasty_lambdas(groups)))},
        "MultiplicativeLR": {"lr_lambda": (const(_lambdas(groups)), const(_nasty_lambdas(groups)))},
        "StepLR": {"step_size": (integer_1, None), "gamma": (const(_gamma()), None)},
        "MultiStepLR": {
            "milestones": (const(hs.lists(hs.integers(0, 40), max_size=5)), None),
            "gamma": (const(_gamma()), None),
        },
        "ConstantLR": {"factor": (const(_unit(True)), None), "total_iters": (integer_1, None)},
        "LinearLR": {
            "start_factor": (const(_unit(True)), None),
            "end_factor": (const(_unit(False)), None),
            "total_iters": (integer_1, None),
        },
        "ExponentialLR": {"gamma": (const(_gamma()), None)},
        "PolynomialLR": {"total_iters": (integer_1, None), "power": (const(hs.floats(0, 4)), None)},
        "CosineAnnealingLR": {
            "T_max": (integer_1, None),
            "eta_min": (const(hs.floats(0.0, 1e-4)), None),
        },
        "SequentialLR": {
            "schedulers": (
                hs.just(_children("valid")),
                hs.one_of(
                    hs.sampled_from(
                        [
                            _children(kind)
                            for kind in (
                                "empty",
                                "not a list",
                                "not a scheduler",
                                "other optimizer",
                                "composite later",
                            )
                        ]
                    ),
                    const(NASTY),
                ),
            ),
            "milestones": (hs.just(lambda optimizer: [3]), None),
        },
        "ChainedScheduler": {
            "schedulers": (
                hs.just(_children("valid")),
                hs.one_of(
                    hs.sampled_from(
                        [_children(k) for k in ("empty", "not a list", "not a scheduler")]
                    ),
                    const(NASTY),
                ),
            ),
            "optimizer": (
                hs.sampled_from([lambda optimizer: optimizer, lambda optimizer: None]),
                hs.one_of(hs.just(lambda optimizer: optim.SGD(learning_rate=0.1)), const(NASTY)),
            ),
        },
    }[name]
    if name != "ChainedScheduler":
        specs["last_epoch"] = (hs.just(lambda optimizer: -1), None)
    return {
        key: (valid, const(NASTY) if nasty is None else nasty)
        for key, (valid, nasty) in specs.items()
    }


def construct(name, optimizer, makers):
    kwargs = {key: make(optimizer) for key, make in makers.items()}
    if name == "ChainedScheduler":
        return getattr(lib, name)(**kwargs)
    return getattr(lib, name)(optimizer, **kwargs)


def may_grow(scheduler):
    """True if the configuration can multiply the LR up without bound (gamma > 1)."""
    children = getattr(scheduler, "_schedulers", [scheduler])
    return any(getattr(s, "gamma", 0.0) > 1.0 or may_grow_child(s) for s in children)


def may_grow_child(scheduler):
    return hasattr(scheduler, "_schedulers") and may_grow(scheduler)


def assert_steps_safely(scheduler, optimizer, steps=30):
    growing = may_grow(scheduler)
    for _ in range(steps):
        if not growing:  # then the step must succeed
            scheduler.step()
        else:
            before = (scheduler.state_dict(), leaf_lrs(optimizer))
            try:
                scheduler.step()
            except ValueError as error:
                # Only an LR grown past float32 may stop the run, and then nothing changed.
                assert "computed learning rate" in str(error)
                assert (scheduler.state_dict(), leaf_lrs(optimizer)) == before
                return
        for lr in scheduler.get_last_lr() + leaf_lrs(optimizer):
            assert math.isfinite(lr) and lr >= 0, (scheduler, lr)


def _fuzz(name, data, bad_arguments):
    groups = data.draw(hs.integers(1, 2), label="groups")
    optimizer = mlx_optimizer([0.1, 0.02][:groups])
    specs = _specs(name, groups)
    makers = {key: data.draw(valid, label=key) for key, (valid, _) in specs.items()}
    fuzzed = bad_arguments(sorted(specs))
    for key in fuzzed:
        makers[key] = data.draw(specs[key][1], label=f"bad {key}")
    before = leaf_lrs(optimizer)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scheduler = construct(name, optimizer, makers)
    except (ValueError, TypeError) as error:
        if "computed learning rate" in str(error):
            # The initial step already overflows float32: a milestone 0 and a huge gamma.
            assert "gamma" in fuzzed and "at epoch 0" in str(error)
        else:
            assert any(key in str(error) for key in fuzzed), error
        assert leaf_lrs(optimizer) == before
        return
    except KeyError as error:  # torch's rule: resuming needs each group's initial_lr
        assert "last_epoch" in fuzzed and "initial_lr" in str(error)
        assert leaf_lrs(optimizer) == before
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_steps_safely(scheduler, optimizer)


@pytest.mark.parametrize("name", COMPOSABLE)
@given(data=hs.data())
def test_one_bad_argument_is_refused_naming_it_or_steps_safely(name, data):
    _fuzz(name, data, lambda keys: [data.draw(hs.sampled_from(keys), label="fuzzed")])


@pytest.mark.parametrize("name", COMPOSABLE)
@settings(max_examples=100)
@given(data=hs.data())
def test_bad_arguments_together_are_refused_naming_one_or_step_safely(name, data):
    _fuzz(name, data, lambda keys: data.draw(hs.sets(hs.sampled_from(keys), min_size=1)))


def test_a_non_optimizer_is_refused_naming_optimizer():
    for value in (None, "sgd", torch_optimizer([0.1]), optim.SGD):
        with pytest.raises(TypeError, match="optimizer"):
            lib.StepLR(value, 3)


# -- where torch accepts a value and fails later or misbehaves: torch's behaviour, then ours ----


def torch_history(build, steps, epochs=None, lr=0.1):
    """torch's LRs for ``steps`` steps (``step(epoch)`` where ``epochs`` gives one)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = build(TORCH, torch_optimizer([lr]))
        history = [scheduler.get_last_lr()[0]]
        for k in range(steps):
            scheduler.step(*([] if epochs is None else [epochs[k]]))
            history.append(scheduler.get_last_lr()[0])
    return history


def torch_fails(build, steps, error):
    """Assert torch builds the scheduler and raises ``error`` within ``steps`` steps."""
    with pytest.raises(error):
        torch_history(build, steps)


def ours_refuses(build, error, argument):
    with pytest.raises(error, match=argument):
        build(MLX, mlx_optimizer([0.1]))


def test_step_size_zero_torch_divides_by_zero_on_the_first_step():
    build = lambda L, o: L.StepLR(o, step_size=0)  # noqa: E731
    torch_fails(build, 1, ZeroDivisionError)
    ours_refuses(build, ValueError, "step_size must be an integer >= 1, but got 0")


def test_float_step_size_torch_decays_at_multiples_of_the_float():
    build = lambda L, o: L.StepLR(o, step_size=2.5, gamma=0.5)  # noqa: E731
    assert torch_history(build, 10) == [0.1] * 5 + [0.05] * 5 + [0.025]  # every 5, not 2.5
    ours_refuses(build, TypeError, "step_size must be an integer >= 1, but got 2.5")
    # An integral float works in torch; we still ask for an int.
    assert torch_history(lambda L, o: L.StepLR(o, 2.0, 0.5), 4)[-1] == 0.025
    ours_refuses(lambda L, o: L.StepLR(o, 2.0, 0.5), TypeError, "step_size")


def test_float_integer_arguments_torch_accepts_we_ask_for_an_int():
    cases = {
        "T_max": lambda L, o: L.CosineAnnealingLR(o, T_max=10.0),
        "total_iters": lambda L, o: L.PolynomialLR(o, total_iters=4.0),
        r"milestones\[0\]": lambda L, o: L.MultiStepLR(o, milestones=[2.0]),
        "last_epoch": lambda L, o: L.ExponentialLR(o, 0.9, last_epoch=-1.0),
    }
    for argument, build in cases.items():
        torch_history(build, 3)  # torch runs it
        ours_refuses(build, TypeError, argument)


def test_cosine_t_max_zero_torch_divides_by_zero_on_the_first_step():
    build = lambda L, o: L.CosineAnnealingLR(o, T_max=0)  # noqa: E731
    torch_fails(build, 1, ZeroDivisionError)
    ours_refuses(build, ValueError, "T_max must be an integer >= 1, but got 0")


def test_constant_factor_zero_torch_divides_by_zero_at_total_iters():
    build = lambda L, o: L.ConstantLR(o, factor=0.0, total_iters=3)  # noqa: E731
    with pytest.raises(ZeroDivisionError):
        torch_history(build, 3)
    assert torch_history(build, 2) == [0.0, 0.0, 0.0]  # silently 0 until then
    ours_refuses(build, ValueError, r"factor must be in \(0.0, 1.0\], but got 0.0")


@pytest.mark.parametrize("cls, argument", [("ConstantLR", "factor"), ("LinearLR", "start_factor")])
def test_subnormal_factor_torch_turns_the_lr_into_nan(cls, argument):
    build = lambda L, o: getattr(L, cls)(o, 5e-324, total_iters=2)  # noqa: E731
    history = torch_history(build, 3)
    assert history[0] == 0.0 and math.isnan(history[-1])
    ours_refuses(build, ValueError, f"{argument} must have a finite reciprocal")


def test_constant_total_iters_zero_torch_scales_forever_its_closed_form_does_not():
    build = lambda L, o: L.ConstantLR(o, factor=0.5, total_iters=0)  # noqa: E731
    assert torch_history(build, 5) == [0.05] * 6
    assert torch_history(build, 1, epochs=[5]) == [0.05, 0.1]
    ours_refuses(build, ValueError, "total_iters must be an integer >= 1, but got 0")


def test_polynomial_total_iters_zero_torch_never_decays_its_closed_form_divides_by_zero():
    build = lambda L, o: L.PolynomialLR(o, total_iters=0)  # noqa: E731
    assert torch_history(build, 5) == [0.1] * 6
    with pytest.raises(ZeroDivisionError):
        torch_history(build, 1, epochs=[3])
    ours_refuses(build, ValueError, "total_iters must be an integer >= 1, but got 0")


def test_linear_total_iters_zero_torch_never_ramps_its_closed_form_divides_by_zero():
    build = lambda L, o: L.LinearLR(o, start_factor=0.5, total_iters=0)  # noqa: E731
    assert torch_history(build, 5) == [0.05] * 6
    with pytest.raises(ZeroDivisionError):
        torch_history(build, 1, epochs=[3])
    ours_refuses(build, ValueError, "total_iters must be an integer >= 1, but got 0")


def test_negative_power_torch_grows_then_fails_at_total_iters():
    build = lambda L, o: L.PolynomialLR(o, total_iters=4, power=-1.0)  # noqa: E731
    assert torch_history(build, 3) == pytest.approx([0.1, 0.1 * 4 / 3, 0.2, 0.4], rel=1e-12)
    torch_fails(build, 4, ZeroDivisionError)
    ours_refuses(build, ValueError, r"power must be in \[0.0, inf\), but got -1.0")


def test_negative_gamma_torch_flips_the_sign_of_the_lr():
    build = lambda L, o: L.ExponentialLR(o, gamma=-0.5)  # noqa: E731
    assert torch_history(build, 3) == [0.1, -0.05, 0.025, -0.0125]
    ours_refuses(build, ValueError, r"gamma must be in \[0.0, inf\), but got -0.5")


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_non_finite_gamma_torch_sets_a_non_finite_lr(value):
    build = lambda L, o: L.StepLR(o, 2, gamma=value)  # noqa: E731
    history = torch_history(build, 2)
    assert not math.isfinite(history[-1])
    ours_refuses(build, ValueError, "gamma must be a finite number")


def test_negative_eta_min_torch_sets_negative_lrs():
    build = lambda L, o: L.CosineAnnealingLR(o, T_max=4, eta_min=-0.05)  # noqa: E731
    assert min(torch_history(build, 4)) == -0.05
    ours_refuses(
        build, ValueError, r"eta_min must be in \[0.0, 3.4028234663852886e\+38\], but got -0.05"
    )


def test_negative_milestone_torch_step_and_closed_form_disagree():
    build = lambda L, o: L.MultiStepLR(o, milestones=[-1, 3])  # noqa: E731
    step_by_step = torch_history(build, 4)
    closed_form = torch_history(build, 4, epochs=[1, 2, 3, 4])
    assert step_by_step[1] == 0.1 and closed_form[1] == pytest.approx(0.01)
    ours_refuses(build, ValueError, r"milestones\[0\] must be an integer >= 0, but got -1")


def test_sequential_composite_after_the_first_torch_fails_at_its_milestone():
    def build(L, o):
        later = L.ChainedScheduler([L.ExponentialLR(o, 0.5)])
        return L.SequentialLR(o, [L.ConstantLR(o, 0.5, 10), later], milestones=[3])

    assert torch_history(build, 2) == [0.05, 0.05, 0.05]
    torch_fails(build, 3, NotImplementedError)
    ours_refuses(build, ValueError, r"schedulers\[1\] is a ChainedScheduler")


def test_sequential_unsorted_milestones_torch_skips_a_scheduler():
    def build(L, o):
        schedulers = [L.ConstantLR(o, 0.5, 10), L.ExponentialLR(o, 0.5), L.StepLR(o, 1, 0.1)]
        return L.SequentialLR(o, schedulers, milestones=[5, 3])

    # The ExponentialLR never runs: the StepLR takes over at 3 and never yields.
    history = torch_history(build, 8)
    assert history[3:] == pytest.approx([0.1 * 0.1**k for k in range(6)], rel=1e-12)
    ours_refuses(build, ValueError, r"milestones must be strictly increasing, but got \[5, 3\]")


def test_sequential_milestone_zero_torch_never_runs_the_first_scheduler():
    def build(L, o):
        return L.SequentialLR(o, [L.ConstantLR(o, 0.5, 10), L.ExponentialLR(o, 0.5)], [0])

    assert torch_history(build, 2) == [0.1, 0.05, 0.025]  # no ConstantLR warmup at all
    ours_refuses(build, ValueError, r"milestones\[0\] must be an integer >= 1, but got 0")


def test_lambda_not_callable_torch_fails_without_naming_the_argument():
    with pytest.raises(TypeError, match="'int' object is not callable"):
        torch_history(lambda L, o: L.LambdaLR(o, 3), 0)
    ours_refuses(lambda L, o: L.LambdaLR(o, 3), TypeError, "lr_lambda must be callable")
    ours_refuses(
        lambda L, o: L.LambdaLR(o, [3]), TypeError, r"lr_lambda\[0\] must be callable, but got 3"
    )


def test_composite_of_a_foreign_object_torch_accepts_anything_with_an_optimizer():
    class Impostor:
        def __init__(self, optimizer):
            self.optimizer = optimizer

        def step(self):
            pass

    chained = TORCH.ChainedScheduler([Impostor(torch_optimizer([0.1]))])
    chained.step()  # torch takes it
    assert chained.get_last_lr() == [0.1]
    with pytest.raises(TypeError, match=r"schedulers\[0\] is a Impostor"):
        MLX.ChainedScheduler([Impostor(mlx_optimizer([0.1]))])


@pytest.mark.parametrize("epoch", [2.5, -1, True])
def test_step_epoch_must_be_an_integer_at_least_zero(epoch):
    build = lambda L, o: L.StepLR(o, step_size=3)  # noqa: E731
    torch_lrs = torch_history(build, 1, epochs=[epoch])
    if epoch == -1:  # torch jumps to 0.1 * 0.1 ** (-1 // 3): ten times the initial LR
        assert torch_lrs[-1] == pytest.approx(1.0)
    scheduler = build(MLX, mlx_optimizer([0.1]))
    before = scheduler.state_dict()
    with pytest.raises((TypeError, ValueError), match="epoch must be an integer >= 0"):
        scheduler.step(epoch)
    assert scheduler.state_dict() == before


# -- a computed LR that is not a learning rate ------------------------------------------------


@pytest.mark.parametrize("value", [-1.0, math.nan, math.inf])
def test_lambda_making_a_bad_lr_torch_sets_it_we_raise_and_change_nothing(value):
    def build(L, o):
        return L.LambdaLR(o, lambda e: value if e >= 2 else 1.0)

    assert not torch_history(build, 2)[-1] >= 0 or math.isinf(value)  # torch sets it
    optimizer = mlx_optimizer([0.1])
    scheduler = build(MLX, optimizer)
    scheduler.step()
    before = (scheduler.state_dict(), leaf_lrs(optimizer))
    with pytest.raises(ValueError, match=r"computed learning rate .* at epoch 2"):
        scheduler.step()
    assert (scheduler.state_dict(), leaf_lrs(optimizer)) == before


def test_linear_decay_to_zero_torch_rounds_to_a_negative_lr_we_end_on_zero():
    build = lambda L, o: L.LinearLR(o, start_factor=0.7, end_factor=0.0, total_iters=3)  # noqa: E731
    torch_lrs = torch_history(build, 5)
    assert -1e-16 < torch_lrs[3] < 0 and torch_lrs[4:] == [torch_lrs[3]] * 2
    optimizer = mlx_optimizer([0.1])
    scheduler = build(MLX, optimizer)
    ours = [scheduler.get_last_lr()[0]]
    for _ in range(5):
        scheduler.step()
        ours.append(scheduler.get_last_lr()[0])
    assert ours[:3] == torch_lrs[:3]  # bit-exact up to the end of the ramp
    assert ours[3:] == [0.0, 0.0, 0.0]
    # The closed form (step(epoch)) rounds below zero too, for other start factors.
    build = lambda L, o: L.LinearLR(o, start_factor=0.1, end_factor=0.0, total_iters=3)  # noqa: E731
    assert -1e-16 < torch_history(build, 1, epochs=[3])[-1] < 0
    scheduler = build(MLX, mlx_optimizer([0.1]))
    with pytest.warns(UserWarning, match="epoch parameter"):
        scheduler.step(3)
    assert scheduler.get_last_lr() == [0.0]


def test_cosine_from_a_zero_lr_torch_rounds_to_a_negative_lr_we_set_zero():
    build = lambda L, o: L.CosineAnnealingLR(o, T_max=3, eta_min=0.1)  # noqa: E731
    torch_lrs = torch_history(build, 12, lr=0.0)
    assert min(torch_lrs) < 0
    scheduler = build(MLX, mlx_optimizer([0.0]))
    ours = [scheduler.get_last_lr()[0]]
    for _ in range(12):
        scheduler.step()
        ours.append(scheduler.get_last_lr()[0])
    assert all(lr >= 0 for lr in ours)
    assert [max(lr, 0.0) for lr in torch_lrs[:7]] == ours[:7]


def test_cosine_hand_set_below_eta_min_torch_goes_negative_we_stop_at_zero():
    def run(L, optimizer, set_lr):
        scheduler = L.CosineAnnealingLR(optimizer, T_max=4, eta_min=0.05)
        history = []
        for epoch in range(10):
            if epoch == 5:
                set_lr(0.001)
            scheduler.step()
            history.append(scheduler.get_last_lr()[0])
        return history

    t_opt = torch_optimizer([0.1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch_lrs = run(TORCH, t_opt, lambda lr: t_opt.param_groups[0].update(lr=lr))
    assert min(torch_lrs) < 0
    m_opt = mlx_optimizer([0.1])
    ours = run(MLX, m_opt, lambda lr: setattr(m_opt, "learning_rate", lr))
    assert ours[:5] == torch_lrs[:5]
    assert all(lr >= 0 for lr in ours)
    assert [max(lr, 0.0) for lr in torch_lrs][5] == ours[5]


def test_lr_beyond_float32_torch_sets_it_we_raise_and_change_nothing():
    build = lambda L, o: L.ExponentialLR(o, gamma=1e10)  # noqa: E731
    assert torch_history(build, 4)[-1] == pytest.approx(1e39)  # fine for torch's float64
    optimizer = mlx_optimizer([0.1])
    scheduler = build(MLX, optimizer)
    for _ in range(3):
        scheduler.step()
    assert leaf_lrs(optimizer) == [pytest.approx(1e29, rel=1e-6)]
    before = (scheduler.state_dict(), leaf_lrs(optimizer))
    # An MLX optimizer holds a float32: 1e39 would be inf there.
    with pytest.raises(ValueError, match="finite as a float32"):
        scheduler.step()
    assert (scheduler.state_dict(), leaf_lrs(optimizer)) == before


def test_power_overflow_torch_raises_overflow_error_we_raise_value_error():
    # torch computes gamma ** k in Python floats, which raise instead of giving inf.
    repeated = lambda L, o: L.MultiStepLR(o, milestones=[0, 0], gamma=1e155)  # noqa: E731
    with pytest.raises(OverflowError):
        torch_history(repeated, 0)
    with pytest.raises(ValueError, match=r"computed learning rate inf .* at epoch 0"):
        repeated(MLX, mlx_optimizer([0.1]))
    jump = lambda L, o: L.ExponentialLR(o, gamma=2.0)  # noqa: E731
    with pytest.raises(OverflowError):
        torch_history(jump, 1, epochs=[2000])
    optimizer = mlx_optimizer([0.1])
    scheduler = jump(MLX, optimizer)
    before = (scheduler.state_dict(), leaf_lrs(optimizer))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="computed learning rate inf"):
            scheduler.step(2000)
        assert (scheduler.state_dict(), leaf_lrs(optimizer)) == before
        shrinking = MLX.StepLR(mlx_optimizer([0.1]), step_size=1, gamma=0.5)
        shrinking.step(10**400)  # a vanishing power of a giant epoch is 0, not an error
    assert shrinking.get_last_lr() == [0.0]


# -- CyclicLR: a subnormal step size and a long triangular2 run -------------------------------


def test_subnormal_step_size_up_torch_overflows_at_the_first_step_we_refuse_it():
    build = lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=1e-310)  # noqa: E731
    torch_fails(build, 1, OverflowError)  # t / (2e-310) is inf: floor(inf) raises
    message = r"step_size_up must have a finite reciprocal .* but got 1e-310"
    ours_refuses(build, ValueError, message)
    with pytest.raises(ValueError, match=message):
        schedules.cyclic_lr(0.01, 0.1, step_size_up=1e-310)


def test_triangular2_after_1024_cycles_torch_overflows_we_scale_to_zero():
    def build(L, optimizer):
        return L.CyclicLR(optimizer, 0.01, 0.1, step_size_up=8, mode="triangular2")

    # Step 16,384 starts cycle 1,025: torch's 1 / 2.0**1024 raises OverflowError.
    torch_scheduler = build(TORCH, torch_optimizer([0.1]))
    ours = build(MLX, mlx_optimizer([0.1]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch_scheduler.step(16_380)
        ours.step(16_380)
        for _ in range(3):  # the last steps torch can take: bit-exact
            torch_scheduler.step()
            ours.step()
            assert ours.get_last_lr() == torch_scheduler.get_last_lr()
        with pytest.raises(OverflowError):
            torch_scheduler.step()
    schedule = schedules.cyclic_lr(0.01, 0.1, step_size_up=8, mode="triangular2")
    for step in (16_384, 16_388, 10**6, 10**9):  # a valid configuration never crashes
        if step > 16_384:
            ours.load_state_dict({**ours.state_dict(), "last_epoch": step - 1})
        ours.step()
        assert ours.get_last_lr() == [0.01] == [schedule(step)]


def test_missing_group_entry_on_resume_starts_with_torch_wording():
    with pytest.raises(KeyError) as torch_error:
        TORCH.StepLR(torch_optimizer([0.1]), 3, last_epoch=4)
    torch_words = torch_error.value.args[0].split("\n")[0].rstrip(".")
    assert torch_words == (
        "param 'initial_lr' is not specified in param_groups[0] when resuming scheduler "
        "with last_epoch >= 0"
    )
    with pytest.raises(KeyError) as ours:
        MLX.StepLR(mlx_optimizer([0.1]), 3, last_epoch=4)
    assert ours.value.args[0].startswith(torch_words + " ")
    # The same words for the other entries a resumed OneCycleLR needs (torch: a bare KeyError).
    optimizer = mlx_optimizer([0.1])
    MLX.StepLR(optimizer, 3)  # sets initial_lr, not max_lr
    with pytest.raises(KeyError) as ours:
        MLX.OneCycleLR(optimizer, 1.0, total_steps=10, last_epoch=4)
    assert ours.value.args[0].startswith(torch_words.replace("'initial_lr'", "'max_lr'") + " ")


# -- one spec per argument: the constructor, the function and the loader say the same -----------

VALID_ARGUMENTS = {
    "LambdaLR": {"lr_lambda": lambda e: 1.0},
    "StepLR": {"step_size": 3, "gamma": 0.5},
    "MultiStepLR": {"milestones": [2, 4], "gamma": 0.5},
    "ConstantLR": {"factor": 0.5, "total_iters": 4},
    "LinearLR": {"start_factor": 0.5, "end_factor": 1.0, "total_iters": 4},
    "ExponentialLR": {"gamma": 0.9},
    "PolynomialLR": {"total_iters": 4, "power": 2.0},
    "CosineAnnealingLR": {"T_max": 5, "eta_min": 0.0},
    "CosineAnnealingWarmRestarts": {"T_0": 3, "T_mult": 2, "eta_min": 0.0},
    "CyclicLR": {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4, "mode": "triangular2"},
    "OneCycleLR": {"max_lr": 0.1, "total_steps": 20, "pct_start": 0.3, "div_factor": 25.0},
    "SWALR": {"swa_lr": 0.05, "anneal_epochs": 3, "anneal_strategy": "cos"},
}
BAD_VALUES = [math.nan, "bogus", 2.5, -3, 1e-310]


def refusal(call):
    with pytest.raises((TypeError, ValueError)) as error:
        call()
    return type(error.value), str(error.value)


@pytest.mark.parametrize("name", sorted(VALID_ARGUMENTS))
def test_each_argument_is_refused_alike_by_constructor_function_and_loader(name):
    entry = SCHEDULES[name]
    arguments = importlib.import_module(entry.scheduler.__module__).ARGUMENTS
    valid = VALID_ARGUMENTS[name]
    function_parameters = inspect.signature(entry.function).parameters
    function_valid = {k: v for k, v in valid.items() if k in function_parameters}
    if "base_lr" in function_parameters:
        function_valid.setdefault("base_lr", 0.1)
    checked = 0
    for key in valid:
        bad = next(v for v in BAD_VALUES if raises(arguments[key].check, key, v))
        expected = refusal(lambda: arguments[key].check(key, bad))  # noqa: B023
        optimizer = mlx_optimizer([0.1])
        assert refusal(lambda: entry.scheduler(optimizer, **(valid | {key: bad}))) == expected  # noqa: B023
        if key in function_parameters:
            assert refusal(lambda: entry.function(**(function_valid | {key: bad}))) == expected  # noqa: B023
        scheduler = entry.scheduler(optimizer, **valid)
        if key in scheduler._state_schema:
            state = scheduler.state_dict() | {key: bad}
            assert refusal(lambda: scheduler.load_state_dict(state)) == expected  # noqa: B023
        checked += 1
    assert checked == len(valid)


def raises(check, key, value):
    """True if ``check`` refuses ``value`` for ``key``."""
    try:
        check(key, value)
    except (TypeError, ValueError):
        return True
    return False
