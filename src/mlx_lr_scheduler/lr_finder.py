"""The learning-rate range test: train briefly while the LR grows, and read where the loss falls.

:func:`lr_find` raises the learning rate from ``start_lr`` to ``end_lr`` over
``num_steps`` updates (Smith, "Cyclical Learning Rates for Training Neural
Networks", 2017, section 3.3; the fastai ``lr_find`` recipe), records the
exponentially smoothed loss, stops early once it diverges, and restores the
model and the optimizer as they were. The result suggests a learning rate.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim
from mlx.utils import tree_map

from mlx_lr_scheduler.validation import check_int, check_real

__all__ = ["LRFindResult", "lr_find"]


@dataclass(frozen=True)
class LRFindResult:
    """The range test's record and its suggested learning rates.

    ``lrs[i]`` is the LR of update ``i`` and ``losses[i]`` the smoothed loss after
    it. The suggestions (each None when the sweep is too short to tell):

    * ``steepest``: where the smoothed loss falls fastest per decade of LR, before its
      lowest point;
    * ``valley``: two thirds of the way down the longest stretch over which the
      loss keeps falling (fastai's default, and :attr:`suggestion`);
    * ``minimum_over_10``: a tenth of the LR at the lowest loss.
    """

    lrs: list[float]
    losses: list[float]
    steepest: float | None
    valley: float | None
    minimum_over_10: float | None
    diverged: bool

    @property
    def suggestion(self) -> float | None:
        """The suggested learning rate: :attr:`valley`, else :attr:`steepest`."""
        return self.valley if self.valley is not None else self.steepest

    def plot(self, path: str) -> None:
        """Save the loss against the LR (log scale), the suggestions marked, as a PNG.

        Needs matplotlib (the ``cli`` extra).
        """
        from mlx_lr_scheduler._extras import pyplot

        plt = pyplot()
        figure, axes = plt.subplots(figsize=(7, 4.2))
        axes.plot(self.lrs, self.losses, color="tab:blue", label="smoothed loss")
        axes.set_xscale("log" if self.lrs[-1] > 10 * self.lrs[0] else "linear")
        marks = [
            ("valley", self.valley, "tab:red"),
            ("steepest", self.steepest, "tab:orange"),
            ("minimum / 10", self.minimum_over_10, "tab:green"),
        ]
        for label, lr, color in marks:
            if lr is not None:
                axes.axvline(lr, color=color, linestyle="--", label=f"{label}: {lr:.3g}")
        axes.set_xlabel("learning rate")
        axes.set_ylabel("loss (smoothed)")
        axes.set_title("LR range test")
        axes.grid(alpha=0.3)
        axes.legend()
        figure.tight_layout()
        figure.savefig(path, dpi=100)
        plt.close(figure)


def lr_find(
    model: nn.Module,
    optimizer: Any,
    loss_fn: Callable[..., mx.array],
    batches: Iterable[Any],
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_steps: int = 100,
    mode: str = "exp",
    smooth: float = 0.98,
    diverge_threshold: float = 4.0,
    progress: bool = False,
) -> LRFindResult:
    r"""Sweep the learning rate over ``num_steps`` training updates; suggest one.

    Update :math:`i` (of :math:`N` = ``num_steps``) uses

    .. math:: \eta_i = \eta_s (\eta_e / \eta_s)^{i/(N-1)} \ (\text{exp}), \qquad
              \eta_i = \eta_s + (\eta_e - \eta_s)\, i/(N-1) \ (\text{linear})

    with :math:`\eta_s` = ``start_lr``, :math:`\eta_e` = ``end_lr``. The recorded
    loss is the bias-corrected exponential average
    :math:`\bar\ell_i = a_i / (1 - \beta^{i+1})`, :math:`a_i = \beta a_{i-1} +
    (1-\beta)\ell_i`, :math:`\beta` = ``smooth``; the sweep stops after an update
    whose :math:`\bar\ell_i` exceeds ``diverge_threshold`` times the lowest so far
    (or is not finite).

    The train step is compiled (``mx.compile`` with the model's and optimizer's
    state as inputs and outputs). The optimizer's state is initialized first if
    it was not (as a first update would), then the model's parameters and the
    optimizer's state are restored when the sweep ends, also on an error: every
    array is the one it was before.

    Args:
        model: the ``mlx.nn.Module`` to train.
        optimizer: one ``mlx.optimizers.Optimizer`` with a fixed learning rate, not a
            schedule function (the sweep writes ``state["learning_rate"]`` before each
            update, and restores it).
        loss_fn: ``loss_fn(model, *batch)``, a scalar loss.
        batches: an iterable of batches (tuples of arguments for ``loss_fn``); it
            is cycled if it holds fewer than ``num_steps``.
        start_lr: the first learning rate, ``> 0``. Default ``1e-7``.
        end_lr: the last one, ``> start_lr``. Default ``10.0``.
        num_steps: updates in the sweep, ``>= 2``. Default ``100``.
        mode: ``"exp"`` (geometric steps) or ``"linear"``. Default ``"exp"``.
        smooth: the averaging factor :math:`\beta` in ``[0, 1)``; ``0`` records
            the raw losses. Default ``0.98``.
        diverge_threshold: the early stop's factor, ``> 1``. Default ``4.0``.
        progress: show a progress bar (tqdm, from the ``cli`` extra). Default False.

    Returns:
        an :class:`LRFindResult`.

    Example:
        >>> import mlx.core as mx, mlx.nn as nn, mlx.optimizers as optim
        >>> mx.random.seed(0)
        >>> model = nn.Linear(4, 1)
        >>> x = mx.random.normal((64, 4)); y = x.sum(axis=1, keepdims=True)
        >>> loss = lambda m, x, y: nn.losses.mse_loss(m(x), y)
        >>> result = lr_find(model, optim.SGD(learning_rate=0.1), loss, [(x, y)],
        ...                  start_lr=1e-4, end_lr=10.0, num_steps=50)
        >>> 1e-3 < result.suggestion < 2.0, result.diverged
        (True, True)
    """
    start_lr = check_real("start_lr", start_lr, low=0.0, low_open=True)
    end_lr = check_real("end_lr", end_lr, low=start_lr, low_open=True)
    num_steps = check_int("num_steps", num_steps, minimum=2)
    if not isinstance(mode, str) or mode not in ("exp", "linear"):
        raise ValueError(f"mode must be one of 'exp', 'linear', but got {mode!r}")
    smooth = check_real("smooth", smooth, low=0.0, high=1.0, high_open=True)
    diverge_threshold = check_real("diverge_threshold", diverge_threshold, low=1.0, low_open=True)
    if not isinstance(optimizer, optim.Optimizer) or isinstance(optimizer, optim.MultiOptimizer):
        raise TypeError(
            "optimizer must be one mlx.optimizers.Optimizer (not a MultiOptimizer), "
            f"but got {type(optimizer).__name__}"
        )
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an mlx.nn.Module, but got {type(model).__name__}")
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable, but got {type(loss_fn).__name__}")
    optimizer.init(model.trainable_parameters())
    saved_parameters = tree_map(lambda value: value, model.parameters())
    saved_state = tree_map(lambda value: value, optimizer.state)
    try:
        lrs, losses, diverged = _sweep(
            model,
            optimizer,
            loss_fn,
            batches,
            start_lr,
            end_lr,
            num_steps,
            mode,
            smooth,
            diverge_threshold,
            progress,
        )
    finally:
        model.update(saved_parameters)
        state = optimizer.state
        state.clear()
        state.update(saved_state)
    return _result(lrs, losses, diverged)


def _sweep(
    model: nn.Module,
    optimizer: Any,
    loss_fn: Callable[..., mx.array],
    batches: Iterable[Any],
    start_lr: float,
    end_lr: float,
    num_steps: int,
    mode: str,
    smooth: float,
    diverge_threshold: float,
    progress: bool,
) -> tuple[list[float], list[float], bool]:
    state = [model.state, optimizer.state]
    loss_and_grad = nn.value_and_grad(model, loss_fn)

    @partial(mx.compile, inputs=state, outputs=state)
    def train_step(*batch: Any) -> mx.array:
        loss, grads = loss_and_grad(model, *batch)
        optimizer.update(model, grads)
        return loss

    def lr_at(i: int) -> float:
        fraction = i / (num_steps - 1)
        if mode == "exp":
            return float(start_lr * (end_lr / start_lr) ** fraction)
        return start_lr + (end_lr - start_lr) * fraction

    bar = _progress_bar(num_steps) if progress else None
    lrs: list[float] = []
    losses: list[float] = []
    average, best, diverged = 0.0, math.inf, False
    source = _cycle(batches)
    try:
        for i in range(num_steps):
            lr = lr_at(i)
            optimizer.state["learning_rate"] = mx.array(lr, dtype=mx.float32)
            batch = next(source)
            loss = train_step(*(batch if isinstance(batch, (tuple, list)) else (batch,)))
            mx.eval(loss, state)
            value = loss.item()
            average = smooth * average + (1.0 - smooth) * value
            smoothed = average / (1.0 - smooth ** (i + 1))
            lrs.append(lr)
            losses.append(smoothed)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(lr=f"{lr:.2e}", loss=f"{smoothed:.4f}", refresh=False)
            if not math.isfinite(smoothed) or smoothed > diverge_threshold * best:
                diverged = True
                break
            best = min(best, smoothed)
    finally:
        if bar is not None:
            bar.close()
    return lrs, losses, diverged


def _cycle(batches: Iterable[Any]) -> Any:
    kept: list[Any] = []
    for batch in batches:
        kept.append(batch)
        yield batch
    if not kept:
        raise ValueError("batches must hold at least one batch, but it was empty")
    while True:
        yield from kept


def _progress_bar(total: int) -> Any:
    from mlx_lr_scheduler._extras import require

    tqdm = require("tqdm", "lr_find(progress=True)").tqdm
    return tqdm(total=total, desc="LR range test", unit="step", leave=False)


def _result(lrs: list[float], losses: list[float], diverged: bool) -> LRFindResult:
    n = len(losses)
    finite = [i for i in range(n) if math.isfinite(losses[i])]
    if not finite:
        return LRFindResult(lrs, losses, None, None, None, diverged)
    lowest = min(finite, key=losses.__getitem__)
    # As fastai: leave out the first tenth (the average is still settling) and, when
    # the sweep ran long enough, the last few points (the blow-up).
    start, end = n // 10, n - 5 if n >= 20 else n
    ys = losses[start:end]
    if len(ys) < 3 or not all(math.isfinite(y) for y in ys):
        return LRFindResult(lrs, losses, None, None, lrs[lowest] / 10, diverged)
    # The steepest fall comes before the lowest loss: past it the loss only climbs.
    descent = min(end, lowest + 1)
    xs = [math.log10(lr) for lr in lrs[start:descent]]
    slopes = [(ys[i + 1] - ys[i - 1]) / (xs[i + 1] - xs[i - 1]) for i in range(1, len(xs) - 1)]
    steepest = lrs[start + 1 + min(range(len(slopes)), key=slopes.__getitem__)] if slopes else None
    return LRFindResult(
        lrs, losses, steepest, _valley(lrs[start:end], ys), lrs[lowest] / 10, diverged
    )


def _valley(lrs: list[float], losses: list[float]) -> float:
    """Two thirds down the longest strictly decreasing subsequence of the loss (fastai)."""
    n = len(losses)
    run = [1] * n  # run[i]: length of the longest decreasing subsequence ending at i
    for i in range(1, n):
        run[i] = 1 + max((run[j] for j in range(i) if losses[j] > losses[i]), default=0)
    end = max(range(n), key=run.__getitem__)
    start = end - run[end] + 1
    third = (end - start) / 3
    return lrs[start + int(third) + int(third / 2)]
