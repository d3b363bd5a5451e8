"""``WarmupCosineLR``: transformers' four cosine schedules, and nanoGPT's by composition.

Parity with transformers (each schedule its arguments select) runs in the parity
suites; here: nanoGPT's ``get_lr``, written from its source, is a ``WarmupLR`` in
front of a ``WarmupCosineLR`` (as the class's docstring says); the min_lr rules.
"""

from __future__ import annotations

import math

import mlx.core as mx
import mlx.optimizers as optim
import numpy as np
import pytest

import mlx_lr_scheduler as lib
from mlx_lr_scheduler.schedules import warmup_cosine_lr, warmup_lr


def nanogpt_get_lr(it: int, learning_rate, warmup_iters, lr_decay_iters, min_lr) -> float:
    """nanoGPT's ``train.py`` ``get_lr``."""
    if it < warmup_iters:
        return learning_rate * (it + 1) / (warmup_iters + 1)
    if it > lr_decay_iters:
        return min_lr
    decay_ratio = (it - warmup_iters) / (lr_decay_iters - warmup_iters)
    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))
    return min_lr + coeff * (learning_rate - min_lr)


def nanogpt(optimizer, warmup_iters: int, lr_decay_iters: int, min_lr: float):
    cosine = lib.WarmupCosineLR(
        optimizer,
        num_warmup_steps=0,
        num_training_steps=lr_decay_iters - warmup_iters,
        num_cycles=1,
        hard_restarts=True,
        min_lr=min_lr,
    )
    return lib.WarmupLR(
        optimizer, cosine, num_warmup_steps=warmup_iters, start_factor=1 / (warmup_iters + 1)
    )


@pytest.mark.parametrize(
    ("learning_rate", "warmup", "decay_iters", "min_lr"),
    [(6e-4, 20, 300, 6e-5), (1e-3, 100, 5000, 1e-4), (6e-4, 1, 50, 0.0)],
)
def test_nanogpt_get_lr_is_a_warmup_in_front_of_a_restarted_cosine(
    learning_rate, warmup, decay_iters, min_lr
):
    scheduler = nanogpt(optim.AdamW(learning_rate=learning_rate), warmup, decay_iters, min_lr)
    function = scheduler.schedule()
    for it in range(decay_iters + 50):
        expected = nanogpt_get_lr(it, learning_rate, warmup, decay_iters, min_lr)
        assert scheduler.get_last_lr()[0] == pytest.approx(expected, rel=1e-13, abs=1e-20)
        assert function(it) == pytest.approx(expected, rel=1e-13, abs=1e-20)
        scheduler.step()


def test_nanogpt_defaults_as_a_function_over_the_whole_run():
    """nanoGPT's GPT-2 run: 6e-4, warmup 2000, decay to 6e-5 at 600 000."""
    function = warmup_lr(
        6e-4,
        2000,
        warmup_cosine_lr(6e-4, 0, 598_000, num_cycles=1, hard_restarts=True, min_lr=6e-5),
        start_factor=1 / 2001,
    )
    steps = np.concatenate([np.arange(0, 3000), np.linspace(3000, 700_000, 5000).astype(int)])
    expected = np.array([nanogpt_get_lr(int(t), 6e-4, 2000, 600_000, 6e-5) for t in steps])
    as_ints = np.array([function(int(t)) for t in steps])
    assert np.max(np.abs(as_ints - expected) / expected) < 1e-13
    as_float32 = np.array(function(mx.array(steps)))
    assert np.max(np.abs(as_float32 - expected) / expected) < 1e-6


def test_min_lr_is_a_fraction_of_the_first_groups_initial_lr():
    optimizer = optim.MultiOptimizer(
        [optim.SGD(learning_rate=0.1), optim.SGD(learning_rate=0.02)], [lambda *_: False]
    )
    scheduler = lib.WarmupCosineLR(optimizer, 0, 10, min_lr=0.01)
    assert scheduler.min_lr_rate == pytest.approx(0.1)
    for _ in range(10):
        scheduler.step()
    assert scheduler.get_last_lr() == pytest.approx([0.01, 0.002])


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"min_lr": 0.01, "min_lr_rate": 0.1}, ValueError, "only one of min_lr and min_lr_rate"),
        ({"min_lr": 0.5}, ValueError, r"min_lr must be at most the initial learning rate"),
        ({"min_lr_rate": 1.5}, ValueError, r"min_lr_rate must be in \[0.0, 1.0\]"),
        ({"warmup_lr_rate": -0.1}, ValueError, r"warmup_lr_rate must be in \[0.0, 1.0\]"),
        ({"hard_restarts": 1}, TypeError, "hard_restarts must be a bool"),
        ({"num_cycles": -1.0}, ValueError, "num_cycles must be in"),
        ({"num_training_steps": -1}, ValueError, "num_training_steps must be an integer >= 0"),
    ],
)
def test_bad_arguments_are_refused_naming_them(arguments, error, message):
    given = {"num_warmup_steps": 2, "num_training_steps": 10, **arguments}
    with pytest.raises(error, match=message):
        lib.WarmupCosineLR(optim.SGD(learning_rate=0.1), **given)
    with pytest.raises(error, match=message):
        warmup_cosine_lr(0.1, **given)
