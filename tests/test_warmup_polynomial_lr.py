"""``WarmupPolynomialLR``: transformers' ``get_polynomial_decay_schedule_with_warmup``.

Parity with transformers runs in the parity suites; here: BERT's linear decay, written
from its definition; the argument rules (transformers' own, and the divisions it lets
through).
"""

from __future__ import annotations

import mlx.optimizers as optim
import pytest

import mlx_lr_scheduler as lib
from mlx_lr_scheduler.schedules import warmup_polynomial_lr


def test_bert_warmup_then_linear_decay_to_zero():
    scheduler = lib.WarmupPolynomialLR(
        optim.AdamW(learning_rate=1e-4), num_warmup_steps=10, num_training_steps=100, lr_end=0.0
    )
    for t in range(120):
        expected = 1e-4 * t / 10 if t < 10 else 1e-4 * max(0, 100 - t) / 90
        assert scheduler.get_last_lr()[0] == pytest.approx(expected, rel=1e-13, abs=1e-22)
        scheduler.step()


def test_power_zero_holds_the_peak_until_the_end_then_drops_to_lr_end():
    function = warmup_polynomial_lr(0.1, 2, 10, lr_end=1e-3, power=0.0)
    assert [function(t) for t in (2, 10, 11)] == [0.1, 0.1, 1e-3]


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"lr_end": 0.1}, ValueError, r"lr_end must be smaller than the initial learning rate"),
        ({"num_training_steps": 4}, ValueError, r"num_training_steps must be > num_warmup_steps"),
        ({"power": -1.0}, ValueError, "power must be in"),
        ({"lr_end": -1e-7}, ValueError, "lr_end must be in"),
    ],
)
def test_bad_arguments_are_refused_naming_them(arguments, error, message):
    given = {"num_warmup_steps": 4, "num_training_steps": 10, **arguments}
    with pytest.raises(error, match=message):
        lib.WarmupPolynomialLR(optim.SGD(learning_rate=0.1), **given)


def test_the_function_refuses_an_end_above_its_base():
    with pytest.raises(ValueError, match="lr_end must be at most base_lr"):
        warmup_polynomial_lr(0.1, 4, 10, lr_end=0.2)
