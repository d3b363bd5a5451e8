"""``InverseSqrtLR``: transformers' ``get_inverse_sqrt_schedule``, and fairseq's ``inverse_sqrt``.

Parity with transformers runs in the parity suites (registry examples, random
configurations); here: fairseq's schedule, written from its source's formula, is
``timescale=num_warmup_steps``; the default timescale; the argument rules.
"""

from __future__ import annotations

import mlx.core as mx
import mlx.optimizers as optim
import numpy as np
import pytest

import mlx_lr_scheduler as lib
from mlx_lr_scheduler.schedules import inverse_sqrt_lr


def fairseq_inverse_sqrt(num_updates: int, lr: float, warmup_updates: int) -> float:
    """fairseq's ``InverseSquareRootSchedule.step_update`` with ``warmup_init_lr=0``."""
    warmup_init_lr = 0.0
    lr_step = (lr - warmup_init_lr) / warmup_updates
    decay_factor = lr * warmup_updates**0.5
    if num_updates < warmup_updates:
        return warmup_init_lr + num_updates * lr_step
    return decay_factor * num_updates**-0.5


@pytest.mark.parametrize(("lr", "warmup"), [(5e-4, 4000), (1e-3, 7), (0.25, 1)])
def test_timescale_of_the_warmup_is_fairseqs_inverse_sqrt(lr, warmup):
    scheduler = lib.InverseSqrtLR(optim.Adam(learning_rate=lr), warmup, timescale=warmup)
    function = inverse_sqrt_lr(lr, warmup, timescale=warmup)
    steps = warmup * 3 + 50
    for t in range(steps):
        expected = fairseq_inverse_sqrt(t, lr, warmup)
        assert scheduler.get_last_lr()[0] == pytest.approx(expected, rel=1e-14, abs=0)
        assert function(t) == pytest.approx(expected, rel=1e-14, abs=0)
        scheduler.step()
    far = np.array([10**5, 10**6, 3 * 10**7])
    values = np.array(function(mx.array(far)))
    expected = np.array([fairseq_inverse_sqrt(int(t), lr, warmup) for t in far])
    assert np.max(np.abs(values - expected) / expected) < 1e-6


def test_timescale_defaults_to_the_warmup_or_ten_thousand():
    assert lib.InverseSqrtLR(optim.SGD(learning_rate=0.1), 25).timescale == 25
    assert lib.InverseSqrtLR(optim.SGD(learning_rate=0.1), 0).timescale == 10_000
    assert inverse_sqrt_lr(1.0, 0)(30_000) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"num_warmup_steps": -1}, ValueError, "num_warmup_steps must be an integer >= 0"),
        ({"num_warmup_steps": 4.0}, TypeError, "num_warmup_steps must be an integer"),
        ({"num_warmup_steps": 4, "timescale": 0}, ValueError, "timescale must be an integer >= 1"),
        ({"num_warmup_steps": 4, "timescale": 2.5}, TypeError, "timescale must be an integer"),
    ],
)
def test_bad_arguments_are_refused_naming_them(arguments, error, message):
    with pytest.raises(error, match=message):
        lib.InverseSqrtLR(optim.SGD(learning_rate=0.1), **arguments)
    with pytest.raises(error, match=message):
        inverse_sqrt_lr(0.1, **arguments)
