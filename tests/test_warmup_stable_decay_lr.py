"""``WarmupStableDecayLR``: transformers' ``get_wsd_schedule`` bit for bit, and ``start_decay()``.

The registry's examples and random configurations run side by side with transformers
in the parity suites; here: deciding the decay mid-run equals transformers' schedule
built with that stable length, also across a resume through JSON; the argument rules.
"""

from __future__ import annotations

import json
import warnings

import mlx.optimizers as optim
import pytest
import torch
from transformers.optimization import get_wsd_schedule

import mlx_lr_scheduler as lib
from mlx_lr_scheduler.schedules import warmup_stable_decay_lr
from oracle import first_mismatch, mlx_optimizer, record, torch_optimizer

LRS = (0.1, 0.03)


def _transformers_history(steps: int, **kwargs) -> list[list[float]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = get_wsd_schedule(torch_optimizer(LRS), **kwargs)
        history = [list(scheduler.get_last_lr())]
        for _ in range(steps):
            scheduler.step()
            history.append(list(scheduler.get_last_lr()))
    return history


def _ours(**kwargs):
    return lib.WarmupStableDecayLR(mlx_optimizer(LRS), **kwargs)


@pytest.mark.parametrize("resume_at", [None, 12, 30, 45])
@pytest.mark.parametrize("decay_type", ["linear", "cosine", "1-sqrt"])
def test_start_decay_mid_run_equals_transformers_with_that_stable_length(resume_at, decay_type):
    warmup, decided_at, decay, steps = 8, 25, 15, 60
    arguments = {"num_warmup_steps": warmup, "decay_type": decay_type, "min_lr_ratio": 0.1}
    expected = _transformers_history(
        steps, num_decay_steps=decay, num_stable_steps=decided_at + 1 - warmup, **arguments
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = _ours(num_decay_steps=99, **arguments)  # neither length: stable until told
        history = [scheduler.get_last_lr()]
        for k in range(steps):
            if k == decided_at:
                scheduler.start_decay(num_decay_steps=decay)
            if k == resume_at:
                saved = json.loads(json.dumps(scheduler.state_dict(), allow_nan=False))
                scheduler = _ours(num_decay_steps=99, **arguments)
                scheduler.load_state_dict(saved)
            scheduler.step()
            history.append(scheduler.get_last_lr())
    record(expected, history)
    assert first_mismatch(expected, history) is None
    assert scheduler.decay_start == decided_at + 1


def test_without_a_length_the_stable_phase_lasts_until_start_decay():
    scheduler = _ours(num_warmup_steps=2, num_decay_steps=4)
    for _ in range(10**4):
        scheduler.step()
    assert scheduler.get_last_lr() == list(LRS)
    assert scheduler.decay_start is None
    with pytest.raises(TypeError, match="call start_decay"):
        scheduler.schedule()
    scheduler.start_decay()
    function = scheduler.schedule()
    assert function(10**4) == 0.1 and function(10**4 + 1) == 0.1
    assert function(10**4 + 5) == 0.0  # the decay started at 10**4 + 1


def test_start_decay_shortens_a_scheduled_stable_phase_and_refuses_a_second_start():
    scheduler = _ours(num_warmup_steps=0, num_decay_steps=2, num_training_steps=100)
    assert scheduler.decay_start == 98
    scheduler.step()
    scheduler.start_decay()
    assert scheduler.decay_start == 2
    scheduler.step()
    scheduler.step()
    with pytest.raises(ValueError, match="the decay already started at step 2"):
        scheduler.start_decay()
    assert scheduler.get_last_lr() == [0.05, 0.015]


def test_schedule_after_start_decay_agrees_with_the_class():
    scheduler = _ours(num_warmup_steps=3, num_decay_steps=7, decay_type="linear")
    for _ in range(5):
        scheduler.step()
    scheduler.start_decay()
    function = scheduler.schedule(group=1)
    for step in range(6, 20):
        scheduler.step()
        assert function(step) == pytest.approx(scheduler.get_last_lr()[1], rel=1e-12)


def test_both_lengths_warn_and_the_stable_length_wins_as_in_transformers():
    with pytest.warns(UserWarning, match="num_stable_steps will be used"):
        scheduler = _ours(
            num_warmup_steps=1, num_decay_steps=2, num_training_steps=10, num_stable_steps=3
        )
    assert scheduler.decay_start == 4


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"warmup_type": "exp"}, ValueError, "warmup_type must be one of 'linear', 'cosine'"),
        ({"decay_type": "step"}, ValueError, "decay_type must be one of"),
        ({"num_training_steps": 5}, ValueError, r"num_training_steps must be >= .*\(4 \+ 3\)"),
        ({"num_stable_steps": -1}, ValueError, "num_stable_steps must be an integer >= 0"),
        ({"num_stable_steps": 2.0}, TypeError, "num_stable_steps must be an integer"),
        ({"min_lr_ratio": 1.5}, ValueError, r"min_lr_ratio must be in \[0.0, 1.0\]"),
        ({"num_cycles": -0.5}, ValueError, "num_cycles must be in"),
    ],
)
def test_bad_arguments_are_refused_naming_them(arguments, error, message):
    with pytest.raises(error, match=message):
        _ours(num_warmup_steps=4, num_decay_steps=3, **arguments)
    with pytest.raises(error, match=message):
        length = {} if "num_training_steps" in arguments else {"num_stable_steps": 1}
        warmup_stable_decay_lr(0.1, 4, 3, **{**length, **arguments})


def test_the_function_needs_a_fixed_length():
    with pytest.raises(ValueError, match="needs num_training_steps or num_stable_steps"):
        warmup_stable_decay_lr(0.1, 10, 20)


def test_start_decay_checks_its_argument():
    scheduler = _ours(num_warmup_steps=1, num_decay_steps=3)
    with pytest.raises(ValueError, match="num_decay_steps must be an integer >= 0"):
        scheduler.start_decay(num_decay_steps=-2)
    assert scheduler.decay_start is None


def test_minicpm_shape_warmup_stable_then_cosine_to_a_tenth():
    """The schedule of MiniCPM (arXiv 2404.06395), from its definition."""
    import math

    scheduler = lib.WarmupStableDecayLR(
        optim.SGD(learning_rate=1.0), 10, 20, num_training_steps=60, min_lr_ratio=0.1
    )
    for t in range(70):
        if t < 10:
            expected = 0.1 + 0.9 * t / 10
        elif t < 40:
            expected = 1.0
        elif t < 60:
            expected = 0.1 + 0.9 * (1 + math.cos(math.pi * (t - 40) / 20)) / 2
        else:
            expected = 0.1
        assert scheduler.get_last_lr()[0] == pytest.approx(expected, rel=1e-14)
        scheduler.step()


def test_the_oracle_is_transformers():
    assert isinstance(
        get_wsd_schedule(torch_optimizer((0.1,)), 1, 2, 5), torch.optim.lr_scheduler.LambdaLR
    )
