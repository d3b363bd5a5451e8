"""Every example of the registry, and the training recipes among them, bit-exact with torch 2.13.

Each example of :data:`mlx_lr_scheduler.registry.SCHEDULES` (ResNet's step decay,
BERT's warmup, composites nested both ways, ...) runs side by side with torch
(``oracle.run_both``) with one and two parameter groups, with an LR set by hand
mid-run, after a ``state_dict()`` resume mid-run, and both. A few recipes are
also checked against their textbook formula, written here, so a shared misreading
of torch cannot pass.
"""

from __future__ import annotations

import dataclasses
import math
import warnings

import pytest
from strategies import COMPOSABLE_LEAVES

import oracle
from mlx_lr_scheduler.registry import SCHEDULES, every_example
from oracle import MLX, TORCH, first_mismatch, mlx_optimizer, run_both, torch_optimizer

#: Every example of every registered class, by ``"Class: label"``.
EXAMPLES = every_example()


def recipe(name, label):
    """The registry's example ``label`` of class ``name``."""
    return SCHEDULES[name].example(label)


GROUPS = {"1 group": (0.1,), "2 groups": (0.1, 0.01)}
MODES = ["plain", "hand-set LR", "resume", "hand-set LR then resume"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("groups", sorted(GROUPS))
@pytest.mark.parametrize("key", sorted(EXAMPLES))
def test_example_is_bit_exact_with_torch(key, groups, mode):
    example = EXAMPLES[key]
    steps = example.steps
    manual_lr = (steps // 3, 0.05) if "hand-set" in mode else None
    resume_at = steps // 2 + 1 if "resume" in mode else None
    torch_lrs, mlx_lrs = run_both(
        example.build,
        steps,
        GROUPS[groups],
        manual_lr=manual_lr,
        resume_at=resume_at,
        step_args=example.step_args,
    )
    assert len(mlx_lrs) == steps + 1
    assert first_mismatch(torch_lrs, mlx_lrs) is None


# -- the recipes mean what they say (formulas written here, not taken from torch) ----------


def test_resnet_step_decays_tenfold_every_30_epochs():
    _, mlx_lrs = run_both(recipe("StepLR", "ResNet: / 10 every 30").build, 90)
    expected = [0.1 * 0.1 ** (epoch // 30) for epoch in range(91)]
    assert [lr[0] for lr in mlx_lrs] == pytest.approx(expected, rel=1e-13)


def test_resnet_multistep_decays_at_each_milestone():
    _, mlx_lrs = run_both(recipe("MultiStepLR", "ResNet: / 10 at 30, 60, 80").build, 90)
    expected = [0.1 * 0.1 ** sum(epoch >= m for m in (30, 60, 80)) for epoch in range(91)]
    assert [lr[0] for lr in mlx_lrs] == pytest.approx(expected, rel=1e-13)


def test_warmup_cosine_follows_the_warmup_line_then_the_cosine():
    _, mlx_lrs = run_both(recipe("SequentialLR", "warmup 5, cosine to 95").build, 100)
    warmup = [0.1 * (0.1 + 0.9 * epoch / 5) for epoch in range(5)]
    cosine = [0.05 * (1 + math.cos(math.pi * t / 95)) for t in range(96)]
    assert [lr[0] for lr in mlx_lrs] == pytest.approx(warmup + cosine, rel=1e-12, abs=1e-17)


def test_bert_warmup_polynomial_rises_linearly_then_decays_linearly_to_zero():
    _, mlx_lrs = run_both(recipe("SequentialLR", "BERT: warmup, linear decay to 0").build, 100)
    warmup = [0.1 * (1e-3 + (1 - 1e-3) * epoch / 10) for epoch in range(10)]
    decay = [0.1 * (1 - t / 90) for t in range(91)]
    assert [lr[0] for lr in mlx_lrs] == pytest.approx(warmup + decay, rel=1e-12, abs=1e-17)


def test_chained_constant_exponential_is_the_product_of_both():
    _, mlx_lrs = run_both(recipe("ChainedScheduler", "constant, exponential").build, 40)
    expected = [0.1 * 0.9**epoch * (0.1 if epoch < 5 else 1.0) for epoch in range(41)]
    assert [lr[0] for lr in mlx_lrs] == pytest.approx(expected, rel=1e-12)


def test_lambda_per_group_applies_each_group_its_own_function():
    _, mlx_lrs = run_both(recipe("LambdaLR", "one lambda per group").build, 50, (0.1, 0.01))
    expected = [[0.1 * 0.95**e, 0.01 / (1 + 0.1 * e)] for e in range(51)]
    for got, want in zip(mlx_lrs, expected):
        assert got == pytest.approx(want, rel=1e-14)


# -- step(epoch): torch's deprecated closed-form jumps ---------------------------------------

JUMPS = [1, 2, 3, 10, 30, 31, 29, 59, 60, 61, 90, 5, 0, 44]
#: Every example of the composable classes (their ``step(epoch)`` jumps in closed form).
JUMPING = {
    key: example for key, example in EXAMPLES.items() if example.scheduler in COMPOSABLE_LEAVES
}


@pytest.mark.parametrize("groups", sorted(GROUPS))
@pytest.mark.parametrize("key", sorted(JUMPING))
def test_epoch_jumps_are_bit_exact_with_torch(key, groups):
    # Jumps, then plain steps continuing from the jumped-to LR, then jumps again.
    epochs = [*JUMPS, None, None, None, 7, None, 70, None]
    torch_lrs, mlx_lrs = run_both(
        JUMPING[key].build,
        len(epochs),
        GROUPS[groups],
        step_args=lambda k: () if epochs[k] is None else (epochs[k],),
    )
    assert first_mismatch(torch_lrs, mlx_lrs) is None


def _epoch_warnings(lib, optimizer, build, epoch):
    scheduler = build(lib, optimizer)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scheduler.step(epoch)
    return [(w.category, str(w.message)) for w in caught if "epoch parameter" in str(w.message)]


@pytest.mark.parametrize("name", COMPOSABLE_LEAVES)
def test_epoch_jump_emits_torchs_deprecation_warning(name):
    build = SCHEDULES[name].examples[0].build
    torch_warnings = _epoch_warnings(TORCH, torch_optimizer([0.1]), build, 12)
    mlx_warnings = _epoch_warnings(MLX, mlx_optimizer([0.1]), build, 12)
    assert len(torch_warnings) == 1
    assert torch_warnings[0][0] is UserWarning
    assert mlx_warnings == torch_warnings


# -- the parity count itself ----------------------------------------------------------------


def test_the_parity_count_counts_runs_and_tolerance_comparisons():
    saved = dataclasses.replace(oracle.TALLY)
    try:
        oracle.TALLY = oracle.ParityTally()
        torch_lrs, mlx_lrs = run_both(recipe("StepLR", "ResNet: / 10 every 30").build, 5)
        assert (oracle.TALLY.runs, oracle.TALLY.bit_exact) == (1, 1)
        oracle.record([[0.1], [0.2]], [[0.1], [0.2000001]])
        assert (oracle.TALLY.runs, oracle.TALLY.bit_exact) == (2, 1)
        # A run compared with a tolerance is re-counted as not bit-exact, once.
        assert oracle.max_relative_error(torch_lrs, mlx_lrs) == 0.0
        assert oracle.max_relative_error(torch_lrs, mlx_lrs) == 0.0
        assert (oracle.TALLY.runs, oracle.TALLY.bit_exact, oracle.TALLY.tolerance_runs) == (2, 0, 1)
        # Histories from elsewhere are a new case; -0.0 and 0.0 differ in bits.
        assert oracle.max_relative_error([[1.0, 0.0]], [[1.0 + 2**-52, 0.0]]) == 2**-52
        assert not oracle.record([[0.0]], [[-0.0]])
        assert oracle.TALLY.summary() == (
            "parity: 4 side-by-side runs, 0 bit-exact, 2 compared with a relative tolerance "
            "(worst relative error 2.22e-16)"
        )
    finally:
        oracle.TALLY = saved
