"""``TRANSFORMERS_SCHEDULES``: every name of transformers' ``get_scheduler``, against transformers.

Each name is built by transformers' ``get_scheduler`` on a torch optimizer and by our
builder on an MLX one, with the same arguments, and stepped side by side: the learning
rates are bit-exact. The builders also follow ``get_scheduler``'s argument rules.
"""

from __future__ import annotations

import warnings

import mlx.core as mx
import numpy as np
import pytest
from transformers import get_scheduler
from transformers.trainer_utils import SchedulerType

from mlx_lr_scheduler.registry import every_example
from mlx_lr_scheduler.transformers_names import TRANSFORMERS_SCHEDULES
from oracle import first_mismatch, mlx_optimizer, record, run_both, torch_optimizer

LRS = (0.1, 0.03)
STEPS = 150
METRICS = (3.0, 2.0, 2.5, 2.0, 2.1, 2.2, 1.0, 1.5, 1.5, 1.5, 1.5)

#: name -> (num_warmup_steps, num_training_steps, scheduler_specific_kwargs), per case.
CASES = {
    "linear": (10, 100, {}),
    "linear, no decay steps": (10, 10, {}),
    "cosine": (10, 100, {}),
    "cosine, 2 cycles": (10, 100, {"num_cycles": 2.0}),
    "cosine_with_restarts": (10, 100, {}),
    "cosine_with_restarts, 3": (10, 100, {"num_cycles": 3}),
    "polynomial": (10, 100, {"lr_end": 1e-5, "power": 2.0}),
    "constant": (None, None, {}),
    "constant_with_warmup": (10, None, {}),
    "inverse_sqrt": (10, None, {"timescale": 20}),
    "reduce_lr_on_plateau": (None, None, {"factor": 0.5, "patience": 2}),
    "cosine_with_min_lr": (10, 100, {"min_lr": 1e-3}),
    "cosine_with_min_lr, rate": (10, 100, {"min_lr_rate": 0.05, "num_cycles": 1.5}),
    "cosine_warmup_with_min_lr": (10, 100, {"min_lr_rate": 0.1}),
    "cosine_warmup_with_min_lr, warmup_lr_rate": (
        10,
        100,
        {"min_lr": 1e-3, "warmup_lr_rate": 0.05},
    ),
    "warmup_stable_decay": (10, 100, {"num_decay_steps": 30}),
    "warmup_stable_decay, stable 40": (
        10,
        None,
        {"num_decay_steps": 30, "num_stable_steps": 40, "decay_type": "1-sqrt"},
    ),
}


def _histories(key: str):
    name = key.split(",")[0]
    warmup, total, kwargs = CASES[key]
    on_metric = name == "reduce_lr_on_plateau"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = get_scheduler(name, torch_optimizer(LRS), warmup, total, dict(kwargs))
        ours = TRANSFORMERS_SCHEDULES[name](mlx_optimizer(LRS), warmup, total, **kwargs)
        t_hist, m_hist = [list(theirs.get_last_lr())], [ours.get_last_lr()]
        for k in range(STEPS):
            args = (METRICS[k % len(METRICS)],) if on_metric else ()
            theirs.step(*args)
            ours.step(*args)
            t_hist.append([float(v) for v in theirs.get_last_lr()])
            m_hist.append(ours.get_last_lr())
    return name, t_hist, m_hist


def test_every_get_scheduler_name_has_a_builder():
    names = {member.value for member in SchedulerType} - {"greedy"}
    assert set(TRANSFORMERS_SCHEDULES) == names
    assert {key.split(",")[0] for key in CASES} == names


@pytest.mark.parametrize("key", sorted(CASES))
def test_each_name_equals_transformers(key):
    name, theirs, ours = _histories(key)
    record(theirs, ours)
    assert first_mismatch(theirs, ours) is None, f"{name}: {first_mismatch(theirs, ours)}"


def test_linear_has_an_accurate_compile_safe_closed_form():
    scheduler = TRANSFORMERS_SCHEDULES["linear"](mlx_optimizer((1.0,)), 1000, 3 * 10**7)
    function = scheduler.schedule()
    steps = [0, 500, 1000, 10**6, 2**24 + 1, 3 * 10**7 - 1, 3 * 10**7, 3 * 10**7 + 5]
    expected = [min(t / 1000, max(0, (3 * 10**7 - t) / (3 * 10**7 - 1000))) for t in steps]
    values = np.array(mx.compile(function)(mx.array(steps)))
    floor = 1e-10
    assert np.max(np.abs(values - expected) / np.maximum(expected, floor)) <= 1e-6


@pytest.mark.parametrize(
    ("name", "warmup", "total", "kwargs", "error", "message"),
    [
        ("linear", None, 100, {}, ValueError, "linear requires `num_warmup_steps`"),
        ("cosine", 10, None, {}, ValueError, "cosine requires `num_training_steps`"),
        ("polynomial", 10, None, {}, ValueError, "polynomial requires `num_training_steps`"),
        ("inverse_sqrt", None, None, {}, ValueError, "inverse_sqrt requires `num_warmup_steps`"),
        ("cosine", 10, 100, {"min_lr": 0.01}, TypeError, r"cosine takes the .*\['min_lr'\]"),
        ("cosine_with_min_lr", 10, 100, {}, ValueError, "one of min_lr or min_lr_rate"),
        ("cosine_warmup_with_min_lr", 10, 100, {}, ValueError, "one of min_lr or min_lr_rate"),
        ("warmup_stable_decay", 10, None, {"num_decay_steps": 5}, ValueError, "Either num_tr"),
        ("warmup_stable_decay", 10, 100, {}, TypeError, "requires num_decay_steps"),
        ("reduce_lr_on_plateau", None, None, {"gamma": 0.5}, TypeError, "gamma"),
    ],
)
def test_get_schedulers_argument_rules(name, warmup, total, kwargs, error, message):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error):
            get_scheduler(name, torch_optimizer(LRS), warmup, total, dict(kwargs))
    with pytest.raises(error, match=message):
        TRANSFORMERS_SCHEDULES[name](mlx_optimizer(LRS), warmup, total, **kwargs)


def test_constant_ignores_the_other_arguments_as_transformers_does():
    scheduler = TRANSFORMERS_SCHEDULES["constant"](mlx_optimizer(LRS), 10, 100, power=3.0)
    scheduler.step()
    assert scheduler.get_last_lr() == list(LRS)


MODERN_EXAMPLES = {
    key: example
    for key, example in every_example().items()
    if example.scheduler
    in ("WarmupStableDecayLR", "InverseSqrtLR", "WarmupCosineLR", "WarmupPolynomialLR")
}


@pytest.mark.parametrize("key", sorted(MODERN_EXAMPLES))
def test_transformers_state_dict_loads_and_continues_bit_exactly(key):
    example = MODERN_EXAMPLES[key]
    steps = min(example.steps, 150)
    torch_lrs, mlx_lrs = run_both(example.build, steps, LRS, torch_state_at=steps // 2)
    assert first_mismatch(torch_lrs, mlx_lrs) is None
