"""lr_find: the sweep's LRs and smoothed losses from independent formulas and a plain replay,
the early stop, the suggestions, bad arguments, and the model and optimizer restored bitwise
(also when the sweep fails half-way)."""

from __future__ import annotations

import math

import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim
import numpy as np
import pytest
from mlx.utils import tree_flatten

from mlx_lr_scheduler import lr_find


def regression(seed=0):
    mx.random.seed(seed)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
    x = mx.random.normal((64, 4))
    y = x @ mx.array([[1.0], [-2.0], [0.5], [3.0]])
    mx.eval(model.parameters(), x, y)
    return model, x, y


def mse(model, x, y):
    return nn.losses.mse_loss(model(x), y)


def leaves(tree):
    return [(key, value) for key, value in tree_flatten(tree) if isinstance(value, mx.array)]


def assert_same_arrays(before, after):
    assert [key for key, _ in before] == [key for key, _ in after]
    for (key, a), (_, b) in zip(before, after):
        assert a.dtype == b.dtype and mx.array_equal(a, b).item(), key


def trained_adam(model, x, y):
    """An AdamW a few updates into training, so its state is not all zeros."""
    optimizer = optim.AdamW(learning_rate=1e-2, bias_correction=True)
    grad_fn = nn.value_and_grad(model, mse)
    for _ in range(3):
        _, grads = grad_fn(model, x, y)
        optimizer.update(model, grads)
        mx.eval(model.parameters(), optimizer.state)
    return optimizer


def test_model_and_optimizer_restored_bitwise():
    model, x, y = regression()
    optimizer = trained_adam(model, x, y)
    params, state = leaves(model.parameters()), leaves(optimizer.state)
    result = lr_find(model, optimizer, mse, [(x, y)], num_steps=40)
    assert len(result.lrs) > 5  # it did train
    assert_same_arrays(params, leaves(model.parameters()))
    assert_same_arrays(state, leaves(optimizer.state))
    # ... and training afterwards goes on from where it was.
    _, grads = nn.value_and_grad(model, mse)(model, x, y)
    optimizer.update(model, grads)
    assert optimizer.state["step"].item() == 4


def test_restored_when_the_sweep_fails_half_way():
    model, x, y = regression()
    optimizer = trained_adam(model, x, y)
    params, state = leaves(model.parameters()), leaves(optimizer.state)

    def failing_batches():
        for _ in range(5):
            yield x, y
        raise RuntimeError("the data loader broke")

    with pytest.raises(RuntimeError, match="data loader"):
        lr_find(model, optimizer, mse, failing_batches(), num_steps=20)
    assert_same_arrays(params, leaves(model.parameters()))
    assert_same_arrays(state, leaves(optimizer.state))


@pytest.mark.parametrize("mode", ["exp", "linear"])
def test_lrs_and_smoothed_losses_from_a_plain_replay(mode):
    start, end, n, beta = 1e-4, 0.05, 12, 0.9
    model, x, y = regression()
    result = lr_find(
        model, optim.SGD(learning_rate=0.1), mse, [(x, y)], start, end, n, mode, smooth=beta
    )
    fractions = np.arange(n) / (n - 1)
    if mode == "exp":
        expected_lrs = start * (end / start) ** fractions
    else:
        expected_lrs = start + (end - start) * fractions
    np.testing.assert_allclose(result.lrs, expected_lrs, rtol=1e-12)
    assert not result.diverged and len(result.losses) == n
    # Replay: plain SGD steps at those LRs (rounded to float32 as the optimizer holds them)
    # on the model, which lr_find has restored, and a smoothed loss written out here.
    replay = optim.SGD(learning_rate=0.1)
    grad_fn = nn.value_and_grad(model, mse)
    average, expected = 0.0, []
    for i, lr in enumerate(result.lrs):
        replay.learning_rate = mx.array(lr, dtype=mx.float32)
        loss, grads = grad_fn(model, x, y)
        replay.update(model, grads)
        mx.eval(model.parameters())
        average = beta * average + (1 - beta) * loss.item()
        expected.append(average / (1 - beta ** (i + 1)))
    np.testing.assert_allclose(result.losses, expected, rtol=1e-4)


def test_stops_once_the_loss_diverges_and_suggests_below_it():
    model, x, y = regression()
    result = lr_find(model, optim.SGD(learning_rate=0.1), mse, [(x, y)], 1e-5, 100.0, 100)
    assert result.diverged and len(result.lrs) < 100
    assert result.losses[-1] > 4.0 * min(result.losses[:-1]) or not math.isfinite(result.losses[-1])
    lowest = result.lrs[int(np.argmin(result.losses))]
    for lr in (result.suggestion, result.steepest, result.valley, result.minimum_over_10):
        assert lr is not None and 1e-5 <= lr <= lowest
    assert result.minimum_over_10 == pytest.approx(lowest / 10, rel=1e-12)


def test_plot_writes_a_png(tmp_path):
    model, x, y = regression()
    result = lr_find(model, optim.SGD(learning_rate=0.1), mse, [(x, y)], num_steps=30)
    path = tmp_path / "find.png"
    result.plot(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"start_lr": 0.0}, "start_lr"),
        ({"start_lr": 1.0, "end_lr": 0.5}, "end_lr"),
        ({"num_steps": 1}, "num_steps"),
        ({"num_steps": 2.5}, "num_steps"),
        ({"mode": "log"}, "mode"),
        ({"smooth": 1.0}, "smooth"),
        ({"diverge_threshold": 1.0}, "diverge_threshold"),
    ],
)
def test_bad_arguments_are_refused_at_entry(kwargs, match):
    model, x, y = regression()
    optimizer = optim.SGD(learning_rate=0.1)
    with pytest.raises((ValueError, TypeError), match=match):
        lr_find(model, optimizer, mse, [(x, y)], **kwargs)
    assert "learning_rate" in optimizer.state and optimizer.state["step"].item() == 0


def test_empty_batches_refused():
    model, _, _ = regression()
    with pytest.raises(ValueError, match="batches"):
        lr_find(model, optim.SGD(learning_rate=0.1), mse, [], num_steps=5)


def test_a_multi_optimizer_is_refused():
    model, x, y = regression()
    multi = optim.MultiOptimizer([optim.SGD(0.1), optim.SGD(0.01)], [lambda name, _: "0" in name])
    with pytest.raises(TypeError, match="MultiOptimizer"):
        lr_find(model, multi, mse, [(x, y)])
