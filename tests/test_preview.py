"""preview(): every scheduler class stepped without a model, against torch 2.13 side by side,
without a single warning; schedule functions evaluated at once on a million steps."""

from __future__ import annotations

import math
import time
import warnings

import mlx.optimizers as optim
import numpy as np
import pytest
import torch
import torch.optim.lr_scheduler as torch_lr

import mlx_lr_scheduler as ours
from mlx_lr_scheduler import preview, schedules
from mlx_lr_scheduler.registry import SCHEDULES
from mlx_lr_scheduler.spec import SpecError
from oracle import TORCH, record

PLATEAU_METRICS = [1.0, 0.9, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.7] * 3


def torch_run(build, steps, lr=0.1, kind="sgd", metrics=None):
    """torch's LR (and momentum or beta1, where a key holds it) for each of ``steps`` updates."""
    parameter = torch.zeros(1, requires_grad=True)
    if kind == "sgd":
        optimizer = torch.optim.SGD([parameter], lr=lr, momentum=0.9)
    else:
        optimizer = torch.optim.Adam([parameter], lr=lr)
    scheduler = build(optimizer)
    group = optimizer.param_groups[0]
    lrs, momenta = [], []
    for k in range(steps):
        lrs.append(group["lr"])
        momenta.append(group["betas"][0] if kind == "adam" else group["momentum"])
        if k < steps - 1:
            optimizer.step()
            if metrics is not None:
                scheduler.step(metrics[k])
            else:
                scheduler.step()
    return lrs, momenta


# (name, build(module, optimizer), steps, metrics): the same call on torch's module and ours.
CASES = [
    ("LambdaLR", lambda L, o: L.LambdaLR(o, lambda e: 0.9**e + 0.01 * e), 12, None),
    ("MultiplicativeLR", lambda L, o: L.MultiplicativeLR(o, lambda e: 0.95), 12, None),
    ("StepLR", lambda L, o: L.StepLR(o, step_size=3, gamma=0.3), 12, None),
    ("MultiStepLR", lambda L, o: L.MultiStepLR(o, milestones=[2, 5, 9], gamma=0.5), 12, None),
    ("ConstantLR", lambda L, o: L.ConstantLR(o, factor=0.25, total_iters=4), 8, None),
    ("LinearLR", lambda L, o: L.LinearLR(o, start_factor=0.1, total_iters=7), 10, None),
    ("ExponentialLR", lambda L, o: L.ExponentialLR(o, gamma=0.9), 12, None),
    ("PolynomialLR", lambda L, o: L.PolynomialLR(o, total_iters=8, power=2.0), 10, None),
    ("CosineAnnealingLR", lambda L, o: L.CosineAnnealingLR(o, T_max=7, eta_min=0.001), 20, None),
    (
        "SequentialLR",
        lambda L, o: L.SequentialLR(
            o, [L.LinearLR(o, start_factor=0.1, total_iters=3), L.ExponentialLR(o, 0.8)], [3]
        ),
        10,
        None,
    ),
    (
        "ChainedScheduler",
        lambda L, o: L.ChainedScheduler([L.StepLR(o, 2, 0.5), L.ExponentialLR(o, 0.95)]),
        10,
        None,
    ),
    (
        "CosineAnnealingWarmRestarts",
        lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2),
        20,
        None,
    ),
    ("CyclicLR", lambda L, o: L.CyclicLR(o, 0.01, 0.1, step_size_up=3, mode="exp_range"), 15, None),
    ("OneCycleLR", lambda L, o: L.OneCycleLR(o, max_lr=0.2, total_steps=15), 15, None),
    ("SWALR", lambda L, o: L.SWALR(o, swa_lr=0.05, anneal_epochs=4), 8, None),
    (
        "ReduceLROnPlateau",
        lambda L, o: L.ReduceLROnPlateau(o, factor=0.5, patience=2),
        len(PLATEAU_METRICS),
        PLATEAU_METRICS,
    ),
    (
        "WarmupThenPlateau",
        lambda L, o: L.WarmupThenPlateau(
            o,
            L.LinearLR(o, start_factor=0.1, total_iters=4),
            L.ReduceLROnPlateau(o, factor=0.5, patience=1),
            milestone=4,
        ),
        len(PLATEAU_METRICS),
        PLATEAU_METRICS,
    ),
    (
        "WarmupStableDecayLR",
        lambda L, o: L.WarmupStableDecayLR(o, 3, 5, num_training_steps=12, decay_type="linear"),
        14,
        None,
    ),
    ("InverseSqrtLR", lambda L, o: L.InverseSqrtLR(o, 4), 12, None),
    ("WarmupCosineLR", lambda L, o: L.WarmupCosineLR(o, 3, 12, min_lr_rate=0.1), 14, None),
    (
        "WarmupPolynomialLR",
        lambda L, o: L.WarmupPolynomialLR(o, 3, 12, lr_end=1e-3, power=2.0),
        14,
        None,
    ),
    (
        "WarmupLR",
        lambda L, o: L.WarmupLR(
            o, L.ReduceLROnPlateau(o, factor=0.5, patience=1), num_warmup_steps=4
        ),
        len(PLATEAU_METRICS),
        PLATEAU_METRICS,
    ),
]


class TorchWarmupThenPlateau:
    """torch's manual switch that WarmupThenPlateau is: warmup.step() for the first
    ``milestone`` epochs, then plateau.step(metric)."""

    def __init__(self, optimizer, warmup, plateau, milestone):
        self.warmup, self.plateau, self.milestone, self.epoch = warmup, plateau, milestone, 0

    def step(self, metric):
        self.epoch += 1
        if self.epoch <= self.milestone:
            self.warmup.step()
        else:
            self.plateau.step(metric)


def _on(module):
    """The namespace a case's build reads: torch's lr_scheduler (+ SWALR, and the manual
    warmup-then-plateau switch), or ours."""
    if module is torch_lr:

        class Torch:
            def __getattr__(self, name):
                if name == "WarmupThenPlateau":
                    return TorchWarmupThenPlateau
                if not hasattr(torch_lr, name) and hasattr(TORCH, name):
                    return getattr(TORCH, name)  # transformers' functions, TorchWarmupLR
                return getattr(torch.optim.swa_utils if name == "SWALR" else torch_lr, name)

        return Torch()
    return ours


def test_cases_cover_every_registered_class():
    assert {name for name, *_ in CASES} == set(SCHEDULES)


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize(("name", "build", "steps", "metrics"), CASES, ids=[c[0] for c in CASES])
def test_preview_matches_torch_without_warnings(name, build, steps, metrics, kind):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = preview(
            lambda o: build(_on(ours), o), steps, lr=0.1, metrics=metrics, optimizer=kind
        )
    torch_lrs, torch_momenta = torch_run(
        lambda o: build(_on(torch_lr), o), steps, lr=0.1, kind=kind, metrics=metrics
    )
    assert result.steps == list(range(steps))
    assert record([[v] for v in torch_lrs], [[v] for v in result.lrs]), name
    if name in ("CyclicLR", "OneCycleLR"):  # the classes that cycle momentum
        assert result.momenta == torch_momenta
    else:
        assert result.momenta is None


def test_stepping_a_fresh_optimizer_does_warn():
    # What preview's no-op update avoids: without it the first step() warns.
    scheduler = ours.StepLR(optim.SGD(learning_rate=0.1), step_size=2)
    with pytest.warns(UserWarning, match="before `optimizer.update"):
        scheduler.step()


def test_spec_string_gives_the_factorys_values():
    text = "SequentialLR([LinearLR(start_factor=0.1, total_iters=5), CosineAnnealingLR(T_max=95)], milestones=[5])"  # noqa: E501
    from_spec = preview(text, 100, lr=0.1)

    def factory(o):
        warm = ours.LinearLR(o, start_factor=0.1, total_iters=5)
        return ours.SequentialLR(o, [warm, ours.CosineAnnealingLR(o, T_max=95)], milestones=[5])

    assert from_spec == preview(factory, 100, lr=0.1)


def test_warmup_then_plateau_takes_metrics():
    result = preview(
        "WarmupThenPlateau(LinearLR(start_factor=0.5, total_iters=2), "
        "ReduceLROnPlateau(factor=0.5, patience=0), milestone=2)",
        6,
        lr=1.0,
        metrics=[5.0, 5.0, 4.0, 4.0, 4.0],
    )
    # Warmup 0.5, 0.75, 1.0; then the plateau's baseline is epoch 2's metric (4.0):
    # no improvement at epochs 3 and 4 halves the LR each time (patience 0).
    assert result.lrs == [0.5, 0.75, 1.0, 1.0, 0.5, 0.25]


def test_schedule_function_million_steps_fast_and_right():
    steps = 10**6
    schedule = schedules.cosine_annealing_lr(0.1, T_max=steps)
    start = time.perf_counter()
    result = preview(schedule, steps)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, elapsed
    assert len(result.lrs) == steps and result.momenta is None
    k = np.arange(steps, dtype=np.float64)
    expected = 0.05 * (1 + np.cos(np.pi * k / steps))
    got = np.asarray(result.lrs)
    scale = np.maximum(np.abs(expected), 1e-10 * 0.1)
    assert np.max(np.abs(got - expected) / scale) < 1e-5


@pytest.mark.parametrize(
    ("schedule", "kwargs", "error", "match"),
    [
        ("StepLR(step_size=2)", {"steps": 0}, ValueError, "steps"),
        ("StepLR(step_size=2)", {"steps": 3, "lr": -1.0}, ValueError, "lr"),
        ("StepLR(step_size=2)", {"steps": 3, "optimizer": "rmsprop"}, ValueError, "optimizer"),
        ("StepLR(step_size=2)", {"steps": 3, "metrics": [1.0, 2.0]}, ValueError, "metrics"),
        ("ReduceLROnPlateau()", {"steps": 3}, ValueError, "metrics"),
        ("ReduceLROnPlateau()", {"steps": 5, "metrics": [1.0]}, ValueError, "4"),
        ("Nope(step_size=2)", {"steps": 3}, SpecError, "Nope"),
        (ours.StepLR, {"steps": 3}, TypeError, "factory"),
        (lambda o: 0.1, {"steps": 3}, TypeError, "returned float"),
        (42, {"steps": 3}, TypeError, "int"),
    ],
)
def test_bad_arguments_are_named(schedule, kwargs, error, match):
    with pytest.raises(error, match=match):
        preview(schedule, **kwargs)


def test_no_warning_after_many_steps_of_a_cycling_scheduler():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = preview("CyclicLR(base_lr=0.001, max_lr=0.1, step_size_up=50)", 1000)
    assert math.isclose(max(result.lrs), 0.1) and result.momenta is not None
