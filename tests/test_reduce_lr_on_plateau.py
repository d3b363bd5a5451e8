"""ReduceLROnPlateau and WarmupThenPlateau against torch 2.13: noisy validation curves,
metric types, NaN metrics, state round trips, composite refusal and bad input."""

import json
import math
import random
import warnings

import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim
import numpy as np
import pytest
import torch
from hypothesis import given, reject
from hypothesis import strategies as hs
from strategies import decimal_lrs

from mlx_lr_scheduler import (
    ChainedScheduler,
    ExponentialLR,
    LinearLR,
    ReduceLROnPlateau,
    SequentialLR,
    WarmupThenPlateau,
)
from oracle import (
    TORCH,
    UnobservableHandSetLRError,
    first_mismatch,
    mlx_optimizer,
    run_both,
    torch_optimizer,
)

DECIMAL_LRS = decimal_lrs()


def validation_curve(epochs, seed, mode="min", nan_every=None):
    """A seeded noisy validation loss (mode "min") or accuracy ("max") that plateaus."""
    rng = random.Random(seed)
    curve = []
    for k in range(epochs):
        loss = 0.3 + 2.0 * math.exp(-k / 12) + rng.gauss(0.0, 0.03)
        value = loss if mode == "min" else 1.0 - loss / 3
        curve.append(math.nan if nan_every and k % nan_every == nan_every - 1 else value)
    return curve


def plateau(**kwargs):
    return lambda L, o: L.ReduceLROnPlateau(o, **kwargs)


def torch_plateau(lrs=(0.1,), **kwargs):
    return TORCH.ReduceLROnPlateau(torch_optimizer(list(lrs)), **kwargs)


# -- recipes: plateau on a noisy validation curve ------------------------------------------


@pytest.mark.parametrize("mode", ["min", "max"])
@pytest.mark.parametrize("threshold_mode", ["rel", "abs"])
@pytest.mark.parametrize("cooldown", [0, 3])
@pytest.mark.parametrize(("lrs", "min_lr"), [((0.1,), 1e-4), ((0.1, 0.03), [1e-3, 5e-3])])
def test_noisy_validation_curve_bit_exact(mode, threshold_mode, cooldown, lrs, min_lr):
    curve = validation_curve(150, seed=7, mode=mode, nan_every=17)
    threshold = 1e-2 if threshold_mode == "rel" else 5e-3
    build = plateau(
        mode=mode,
        factor=0.5,
        patience=4,
        threshold=threshold,
        threshold_mode=threshold_mode,
        cooldown=cooldown,
        min_lr=min_lr,
    )
    torch_lrs, mlx_lrs = run_both(build, len(curve), lrs, step_args=lambda k: (curve[k],))
    assert first_mismatch(torch_lrs, mlx_lrs) is None
    # The curve flattens: the LR must come down several times, to the floor.
    assert len({lr[0] for lr in mlx_lrs}) >= 4
    floors = min_lr if isinstance(min_lr, list) else [min_lr] * len(lrs)
    assert mlx_lrs[-1] == floors


@pytest.mark.parametrize("resume_at", [0, 1, 20, 41, 42, 43, 90])
def test_resume_mid_run_bit_exact(resume_at):
    curve = validation_curve(120, seed=3, nan_every=13)
    build = plateau(factor=0.3, patience=3, cooldown=2, min_lr=[2e-4, 1e-3], eps=1e-6)
    torch_lrs, mlx_lrs = run_both(
        build, len(curve), (0.1, 0.03), resume_at=resume_at, step_args=lambda k: (curve[k],)
    )
    assert first_mismatch(torch_lrs, mlx_lrs) is None


def test_hand_set_lr_is_reduced_from_like_torch():
    curve = validation_curve(80, seed=5)
    for k in (0, 30, 60):
        histories = run_both(
            plateau(patience=2),
            80,
            (0.1, 0.03),
            manual_lr=(k, 0.5),
            step_args=lambda j: (curve[j],),
        )
        assert first_mismatch(*histories) is None


def test_nan_metric_is_a_bad_epoch_like_torch():
    metrics = [1.0, math.nan, math.nan, 0.5, math.nan, math.nan, math.nan, math.inf, 0.1]
    torch_lrs, mlx_lrs = run_both(
        plateau(factor=0.5, patience=1), len(metrics), step_args=lambda k: (metrics[k],)
    )
    assert first_mismatch(torch_lrs, mlx_lrs) is None
    # Counted here: the 2nd bad epoch in a row halves the LR (steps 3, 6 and 8; inf is bad too).
    expected = [0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125]
    assert [lr[0] for lr in mlx_lrs[1:]] == expected


def test_eps_skips_small_reductions_like_torch():
    metrics = [1.0] + [2.0] * 40
    build = plateau(factor=0.5, patience=0, eps=0.01)
    torch_lrs, mlx_lrs = run_both(build, len(metrics), step_args=lambda k: (metrics[k],))
    assert first_mismatch(torch_lrs, mlx_lrs) is None
    assert mlx_lrs[-1] == [0.0125]  # 0.0125 -> 0.00625 would lower it by 0.00625 <= eps


def test_step_with_epoch_warns_and_sets_last_epoch_like_torch():
    t, m = torch_plateau(patience=1), ReduceLROnPlateau(mlx_optimizer([0.1]), patience=1)
    for metric, epoch in [(1.0, None), (2.0, 10), (2.0, None), (2.0, 3)]:
        with pytest.warns(UserWarning) if epoch is not None else warnings.catch_warnings():
            t.step(metric, epoch)
        with pytest.warns(UserWarning, match="epoch parameter") if epoch else _NoWarning():
            m.step(metric, epoch)
        assert (m.last_epoch, m.get_last_lr()) == (t.last_epoch, t.get_last_lr())


@pytest.mark.parametrize(("epoch", "error"), [(-1, ValueError), (2.5, TypeError), ("3", TypeError)])
def test_bad_epoch_raises_and_changes_nothing(epoch, error):
    t = torch_plateau()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t.step(1.0, epoch)  # torch takes any epoch as the new last_epoch
    assert t.last_epoch == epoch
    m = ReduceLROnPlateau(optim.SGD(learning_rate=0.1))
    before = m.state_dict()
    with pytest.raises(error, match="epoch"):
        m.step(1.0, epoch)
    assert m.state_dict() == before


class _NoWarning(warnings.catch_warnings):
    def __enter__(self):
        super().__enter__()
        warnings.simplefilter("error")


# -- metrics: Python numbers and mx.array scalars --------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda v: v,
        lambda v: np.float32(v),
        lambda v: np.float64(v),
        lambda v: mx.array(v),
        lambda v: mx.array([v]),
        lambda v: mx.array(v, mx.bfloat16),
        lambda v: mx.array(v, mx.float16),
    ],
)
def test_metric_types_match_torch_float_of_the_same_value(make):
    values = [2.0, 1.5, 1.25, 1.25, 1.3, 1.25, 1.1, 1.2, 1.2, 1.2]
    t, m = (
        torch_plateau((0.1, 0.03), patience=1),
        ReduceLROnPlateau(mlx_optimizer([0.1, 0.03]), patience=1),
    )
    for value in values:
        metric = make(value)
        expected = float(metric.item()) if isinstance(metric, mx.array) else float(metric)
        t.step(torch.tensor(expected, dtype=torch.float64))
        m.step(metric)
        assert m.get_last_lr() == t.get_last_lr()
    assert m.best == t.best
    assert m.get_last_lr() != [0.1, 0.03]


def test_integer_metric_like_torch():
    torch_lrs, mlx_lrs = run_both(plateau(mode="max", patience=0), 6, step_args=lambda k: (k % 2,))
    assert first_mismatch(torch_lrs, mlx_lrs) is None


@pytest.mark.parametrize(
    ("metric", "error", "torch_accepts"),
    [
        ("0.5", TypeError, True),
        (True, TypeError, True),
        (None, TypeError, False),
        ([0.5], TypeError, False),
        (torch.tensor(0.5), TypeError, True),
        (mx.array([0.5, 0.4]), ValueError, None),
        (mx.array(True), TypeError, None),
        (mx.array(1 + 2j), TypeError, None),
    ],
)
def test_bad_metric_raises_type_error_and_changes_nothing(metric, error, torch_accepts):
    if torch_accepts is not None:
        t = torch_plateau()
        if torch_accepts:
            t.step(metric)  # torch's float(metrics) takes strings, bools, tensors
        else:
            with pytest.raises(TypeError):
                t.step(metric)
    m = ReduceLROnPlateau(optim.SGD(learning_rate=0.1), patience=0)
    m.step(1.0)
    before = m.state_dict()
    with pytest.raises(error, match="metrics"):
        m.step(metric)
    assert m.state_dict() == before


def test_mx_array_loss_from_a_compiled_step_drives_the_plateau():
    # The documented use: step(loss) with the loss array of a compiled train step (one sync).
    model = nn.Linear(2, 1)
    opt = optim.SGD(learning_rate=0.1)
    opt.init(model.trainable_parameters())
    scheduler = ReduceLROnPlateau(opt, factor=0.5, patience=0)
    state = [model.state, opt.state]
    x, y = mx.array([[1.0, 2.0], [3.0, -1.0]]), mx.array([[1.0], [0.0]])
    traces = []

    def train_step():
        traces.append(1)
        loss, grads = nn.value_and_grad(model, lambda m: nn.losses.mse_loss(m(x), y))(model)
        opt.update(model, grads)
        return loss

    step = mx.compile(train_step, inputs=state, outputs=state)
    torch_twin = torch_plateau((0.1,), factor=0.5, patience=0)
    for _ in range(12):
        loss = step()
        scheduler.step(loss)
        torch_twin.step(loss.item())
        assert scheduler.get_last_lr() == torch_twin.get_last_lr()
        assert opt.learning_rate.item() == pytest.approx(scheduler.get_last_lr()[0], rel=1e-7)
    assert len(traces) == 1


# -- state -------------------------------------------------------------------------------------


def test_torch_state_dict_loads_and_continues_bit_exact():
    curve = validation_curve(90, seed=11, mode="max", nan_every=9)
    kwargs = {"mode": "max", "factor": 0.5, "patience": 2, "cooldown": 1, "min_lr": [1e-3, 0.0]}
    t = torch_plateau((0.1, 0.03), **kwargs)
    for metric in curve[:45]:
        t.step(metric)
    m = ReduceLROnPlateau(mlx_optimizer([0.7, 0.7]), patience=50)  # other arguments
    m.load_state_dict(json.loads(json.dumps(t.state_dict())))
    assert m.get_last_lr() == t.get_last_lr()
    assert [g.get_lr() for g in m.param_groups] == t.get_last_lr()
    for metric in curve[45:]:
        t.step(metric)
        m.step(metric)
        assert m.get_last_lr() == t.get_last_lr()


def test_state_dict_has_torch_keys_and_round_trips_through_json():
    t, m = torch_plateau(), ReduceLROnPlateau(mlx_optimizer([0.1]))
    ours = m.state_dict()
    assert set(ours) - {"scheduler"} == set(t.state_dict())
    plain = json.loads(json.dumps(ours, allow_nan=False))  # best: inf, written "inf"
    assert plain["best"] == "inf"
    m.load_state_dict(plain)
    assert m.best == math.inf


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("factor", 1.0),
        ("patience", -1),
        ("patience", 2.5),
        ("min_lrs", [0.0, 0.0]),
        ("min_lrs", [-1e-3]),
        ("mode", "avg"),
        ("mode_worse", -math.inf),
        ("best", math.nan),
        ("num_bad_epochs", -2),
        ("threshold", 1.5),
        ("cooldown_counter", None),
    ],
)
def test_bad_state_dict_raises_before_changing_anything(key, value):
    m = ReduceLROnPlateau(mlx_optimizer([0.1]), patience=0)
    m.step(1.0)
    m.step(2.0)
    state, lr = m.state_dict(), m.param_groups[0].get_lr()
    with pytest.raises((TypeError, ValueError), match=key):
        m.load_state_dict({**state, key: value})
    assert (m.state_dict(), m.param_groups[0].get_lr()) == (state, lr)


# -- refused by the composites, with torch's error ----------------------------------------------


@pytest.mark.parametrize("composite", ["SequentialLR", "ChainedScheduler"])
def test_composites_refuse_it_with_torchs_error(composite):
    messages = []
    for lib, opt in ((TORCH, torch_optimizer([0.1])), (None, mlx_optimizer([0.1]))):
        if lib is None:
            first, second = ExponentialLR(opt, 0.9), ReduceLROnPlateau(opt)
            make = SequentialLR if composite == "SequentialLR" else ChainedScheduler
        else:
            first, second = lib.ExponentialLR(opt, 0.9), lib.ReduceLROnPlateau(opt)
            make = getattr(lib, composite)
        with pytest.raises(ValueError) as error:
            if composite == "SequentialLR":
                make(opt, [first, second], [3])
            else:
                make([first, second])
        messages.append(str(error.value))
    assert messages[0] == messages[1]
    assert "does not support `ReduceLROnPlateau`" in messages[1]


# -- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kwargs", "error", "torch_error"),
    [
        ("factor", {"factor": 1.0}, ValueError, ValueError),
        ("factor", {"factor": 0.0}, ValueError, None),
        ("factor", {"factor": -0.5}, ValueError, None),
        ("factor", {"factor": math.nan}, ValueError, None),
        ("patience", {"patience": -1}, ValueError, None),
        ("patience", {"patience": 2.5}, TypeError, None),
        ("patience", {"patience": math.inf}, TypeError, None),
        ("cooldown", {"cooldown": -1}, ValueError, None),
        ("eps", {"eps": -1e-8}, ValueError, None),
        ("threshold", {"threshold": -1e-4}, ValueError, None),
        ("threshold", {"threshold": 1.0}, ValueError, None),
        ("min_lr", {"min_lr": -0.01}, ValueError, None),
        ("min_lr", {"min_lr": [0.0, 0.0]}, ValueError, ValueError),
        ("min_lr", {"min_lr": "0"}, TypeError, None),
        ("mode", {"mode": "avg"}, ValueError, ValueError),
        ("threshold_mode", {"threshold_mode": "pct"}, ValueError, ValueError),
    ],
)
def test_bad_arguments_raise_at_construction(name, kwargs, error, torch_error):
    if torch_error is None:
        torch_plateau(**kwargs)  # torch accepts it
    else:
        with pytest.raises(torch_error):
            torch_plateau(**kwargs)
    with pytest.raises(error, match=name):
        ReduceLROnPlateau(optim.SGD(learning_rate=0.1), **kwargs)


def test_what_torch_does_with_the_arguments_it_lets_through():
    def lrs_after(metrics, **kwargs):
        t = torch_plateau(**kwargs)
        for metric in metrics:
            t.step(metric)
        return t.get_last_lr()[0]

    worse = [1.0, 2.0, 2.0]
    assert lrs_after(worse, factor=0.0, patience=0) == 0.0  # the LR is wiped out
    assert lrs_after(worse, factor=-0.5, patience=0, min_lr=-1.0) == pytest.approx(-0.05)
    assert lrs_after([1.0, 0.5, 0.25], patience=-1) == pytest.approx(1e-4)  # cut while improving
    assert lrs_after(worse, patience=0, eps=-1.0, min_lr=0.5) == 0.5  # "reduced" up to min_lr
    # A negative relative threshold calls a slowly worsening loss an improvement: never reduces.
    assert lrs_after([1.0 + k / 1000 for k in range(30)], patience=0, threshold=-0.01) == 0.1
    # threshold >= 1 in min/rel mode: best * (1 - threshold) is NaN or <= 0, nothing improves.
    assert lrs_after([3.0, 2.0, 1.0, 0.5], patience=1, threshold=1.0) == pytest.approx(0.001)


# -- warmup, then reduce on plateau (torch issue #68978) ------------------------------------


WARMUPS = {
    "linear": (lambda L, o: L.LinearLR(o, 0.1, total_iters=5), 5),
    "linear-half-then-hold": (lambda L, o: L.LinearLR(o, 0.2, 0.5, total_iters=4), 6),
    "constant": (lambda L, o: L.ConstantLR(o, 0.1, total_iters=3), 3),
    "exponential-growth": (lambda L, o: L.ExponentialLR(o, 1.5), 4),
    "sequential": (
        lambda L, o: L.SequentialLR(
            o, [L.ConstantLR(o, 0.05, total_iters=2), L.LinearLR(o, 0.2, total_iters=3)], [2]
        ),
        5,
    ),
}

# Same classes, other arguments: to load a state into.
OTHER_WARMUPS = {"other-linear": (lambda L, o: L.LinearLR(o, 0.5, 0.7, total_iters=2), 9)}


def warmup_then_plateau(warmup_name, **plateau_kwargs):
    make_warmup, milestone = WARMUPS.get(warmup_name) or OTHER_WARMUPS[warmup_name]

    def build(L, o):
        warmup, plateau = make_warmup(L, o), L.ReduceLROnPlateau(o, **plateau_kwargs)
        return L.WarmupThenPlateau(o, warmup, plateau, milestone)

    return build


@pytest.mark.parametrize("warmup_name", sorted(WARMUPS))
@pytest.mark.parametrize("lrs", [(0.1,), (0.1, 0.03)])
def test_warmup_then_plateau_matches_torchs_manual_switch(warmup_name, lrs):
    curve = validation_curve(100, seed=13, nan_every=19)
    build = warmup_then_plateau(warmup_name, factor=0.5, patience=3, cooldown=1, min_lr=1e-4)
    torch_lrs, mlx_lrs = run_both(build, len(curve), lrs, step_args=lambda k: (curve[k],))
    assert first_mismatch(torch_lrs, mlx_lrs) is None
    # The LR follows the warmup exactly (the warmup alone in torch, without metrics)...
    make_warmup, milestone = WARMUPS[warmup_name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alone = make_warmup(TORCH, torch_optimizer(list(lrs)))
        warmup_lrs = [alone.get_last_lr()]
        for _ in range(milestone):
            alone.step()
            warmup_lrs.append(alone.get_last_lr())
    assert mlx_lrs[: milestone + 1] == warmup_lrs
    # ...then reductions start from the post-warmup LR W(milestone).
    first_cut = next(k for k in range(milestone, len(mlx_lrs)) if mlx_lrs[k] != mlx_lrs[milestone])
    assert all(lr == warmup_lrs[-1] for lr in mlx_lrs[milestone:first_cut])
    assert mlx_lrs[first_cut] == [lr * 0.5 for lr in warmup_lrs[-1]]


def test_torch_cannot_sequence_a_warmup_and_a_plateau_ours_can():
    # torch issue #68978: SequentialLR refuses ReduceLROnPlateau, so there is no join in torch.
    t_opt = torch_optimizer([0.1])
    t_warmup, t_plateau = TORCH.LinearLR(t_opt, 0.1, total_iters=3), TORCH.ReduceLROnPlateau(t_opt)
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        TORCH.SequentialLR(t_opt, [t_warmup, t_plateau], milestones=[3])
    opt = optim.SGD(learning_rate=0.1)
    warmup, plateau = LinearLR(opt, 0.1, total_iters=3), ReduceLROnPlateau(opt, patience=0)
    scheduler = WarmupThenPlateau(opt, warmup, plateau, milestone=3)
    lrs = [scheduler.get_last_lr()[0]]
    for loss in [1.0, 1.0, 1.0, 1.0, 2.0]:
        scheduler.step(loss)
        lrs.append(scheduler.get_last_lr()[0])
    assert lrs == pytest.approx([0.01, 0.04, 0.07, 0.1, 0.1, 0.01], rel=1e-12)


@pytest.mark.parametrize("resume_at", [0, 2, 5, 6, 30, 61])
def test_warmup_then_plateau_state_dict_round_trip(resume_at):
    curve = validation_curve(90, seed=17)
    build = warmup_then_plateau("linear", factor=0.5, patience=2, min_lr=[1e-3, 2e-3])
    # Rebuilt with other arguments: the saved state decides.
    rebuild = warmup_then_plateau("other-linear", factor=0.9, patience=20, min_lr=0.05)
    histories = run_both(
        build,
        len(curve),
        (0.1, 0.03),
        resume_at=resume_at,
        rebuild=rebuild,
        step_args=lambda k: (curve[k],),
    )
    assert first_mismatch(*histories) is None


def test_warmup_then_plateau_bad_input():
    opt, other = optim.SGD(learning_rate=0.1), optim.SGD(learning_rate=0.1)
    warmup, plateau = LinearLR(opt, 0.1, total_iters=5), ReduceLROnPlateau(opt)
    with pytest.raises(TypeError, match="warmup must be"):
        WarmupThenPlateau(opt, lambda epoch: 0.1, plateau, 5)
    with pytest.raises(ValueError, match="warmup must step without a metric"):
        WarmupThenPlateau(opt, ReduceLROnPlateau(opt), plateau, 5)
    with pytest.raises(TypeError, match="plateau must be a ReduceLROnPlateau"):
        WarmupThenPlateau(opt, warmup, ExponentialLR(opt, 0.9), 5)
    with pytest.raises(ValueError, match=r"plateau .* another optimizer"):
        WarmupThenPlateau(opt, warmup, ReduceLROnPlateau(other), 5)
    with pytest.raises(ValueError, match=r"warmup .* another optimizer"):
        WarmupThenPlateau(opt, LinearLR(other, 0.1), plateau, 5)
    with pytest.raises(ValueError, match="milestone must be an integer >= 1"):
        WarmupThenPlateau(opt, warmup, plateau, 0)
    with pytest.raises(TypeError, match="milestone"):
        WarmupThenPlateau(opt, warmup, plateau, 5.0)
    scheduler = WarmupThenPlateau(opt, warmup, plateau, 5)
    with pytest.raises(TypeError, match="metrics"):
        scheduler.step("0.5")  # checked during the warmup too
    assert scheduler.last_epoch == 0
    # Composites refuse it as they refuse ReduceLROnPlateau (it needs a metric).
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        ChainedScheduler([scheduler])
    with pytest.raises((TypeError, ValueError), match="_schedulers"):
        scheduler.load_state_dict({**scheduler.state_dict(), "_schedulers": []})


# -- hypothesis --------------------------------------------------------------------------------


@hs.composite
def plateau_runs(draw):
    lrs = tuple(draw(hs.lists(DECIMAL_LRS, min_size=1, max_size=2)))
    mode = draw(hs.sampled_from(["min", "max"]))
    threshold_mode = draw(hs.sampled_from(["rel", "abs"]))
    top = 0.99 if (mode, threshold_mode) == ("min", "rel") else 2.0
    kwargs = {
        "mode": mode,
        "factor": draw(hs.sampled_from([0.1, 0.5, 0.3, 0.9, 0.999])),
        "patience": draw(hs.integers(0, 4)),
        "threshold": draw(hs.one_of(hs.just(0.0), hs.floats(0.0, top))),
        "threshold_mode": threshold_mode,
        "cooldown": draw(hs.integers(0, 3)),
        "min_lr": draw(
            hs.one_of(
                hs.just(0),
                DECIMAL_LRS.map(lambda v: v / 10),
                hs.lists(DECIMAL_LRS.map(lambda v: v / 10), min_size=len(lrs), max_size=len(lrs)),
            )
        ),
        "eps": draw(hs.sampled_from([0.0, 1e-8, 1e-4])),
    }
    # Metrics from a small set, so ties, repeats and plateaus are common; NaN and inf too.
    values = hs.sampled_from([-2.0, -0.5, 0.0, 0.25, 0.5, 0.75, 1.0, 3.0, math.nan, math.inf])
    metrics = draw(hs.lists(hs.one_of(values, hs.floats(-5, 5)), min_size=1, max_size=40))
    resume_at = draw(hs.one_of(hs.none(), hs.integers(0, len(metrics) - 1)))
    manual_lr = draw(hs.one_of(hs.none(), hs.tuples(hs.integers(0, len(metrics) - 1), DECIMAL_LRS)))
    return lrs, kwargs, metrics, resume_at, manual_lr


@given(plateau_runs())
def test_random_configurations_bit_exact_with_torch(run):
    lrs, kwargs, metrics, resume_at, manual_lr = run
    try:
        histories = run_both(
            plateau(**kwargs),
            len(metrics),
            lrs,
            resume_at=resume_at,
            manual_lr=manual_lr,
            step_args=lambda k: (metrics[k],),
        )
    except UnobservableHandSetLRError:
        reject()  # a documented divergence, pinned in test_binding
    assert first_mismatch(*histories) is None


@given(
    hs.sampled_from(sorted(WARMUPS)),
    hs.lists(hs.floats(0, 3), min_size=1, max_size=30),
    hs.integers(0, 3),
    hs.one_of(hs.none(), hs.integers(0, 29)),
)
def test_random_warmup_then_plateau_bit_exact_with_torch(warmup_name, metrics, patience, resume):
    resume_at = None if resume is None else resume % len(metrics)
    build = warmup_then_plateau(warmup_name, factor=0.5, patience=patience)
    histories = run_both(
        build, len(metrics), (0.1, 0.02), resume_at=resume_at, step_args=lambda k: (metrics[k],)
    )
    assert first_mismatch(*histories) is None
