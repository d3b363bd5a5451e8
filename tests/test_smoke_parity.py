"""A first parity check: each foundation class against torch, one recipe each."""

import pytest

from oracle import first_mismatch, run_both

RECIPES = {
    "StepLR": lambda L, o: L.StepLR(o, 3, 0.5),
    "MultiStepLR": lambda L, o: L.MultiStepLR(o, [3, 7, 7, 20], 0.3),
    "ConstantLR": lambda L, o: L.ConstantLR(o, 0.3, 4),
    "LinearLR": lambda L, o: L.LinearLR(o, 0.1, 0.9, 7),
    "ExponentialLR": lambda L, o: L.ExponentialLR(o, 0.93),
    "PolynomialLR": lambda L, o: L.PolynomialLR(o, 9, 1.7),
    "CosineAnnealingLR": lambda L, o: L.CosineAnnealingLR(o, 7, 0.001),
    "LambdaLR": lambda L, o: L.LambdaLR(o, lambda e: 1 / (e + 1)),
    "MultiplicativeLR": lambda L, o: L.MultiplicativeLR(o, lambda e: 0.97),
    "SequentialLR": lambda L, o: L.SequentialLR(
        o, [L.LinearLR(o, 0.1, total_iters=5), L.CosineAnnealingLR(o, 20)], [5]
    ),
    "ChainedScheduler": lambda L, o: L.ChainedScheduler(
        [L.ConstantLR(o, 0.1, total_iters=5), L.ExponentialLR(o, 0.9)]
    ),
}


@pytest.mark.parametrize("name", sorted(RECIPES))
@pytest.mark.parametrize("lrs", [(0.1,), (0.1, 0.03)])
def test_bit_exact_with_torch(name, lrs):
    assert first_mismatch(*run_both(RECIPES[name], 40, lrs)) is None


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_bit_exact_after_manual_lr_and_resume(name):
    assert first_mismatch(*run_both(RECIPES[name], 40, manual_lr=(10, 0.05))) is None
    assert first_mismatch(*run_both(RECIPES[name], 40, (0.1, 0.02), resume_at=17)) is None
