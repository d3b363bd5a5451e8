"""See a schedule before training with it: its LR (and cycled momentum) step by step.

:func:`preview` runs any scheduler on a throwaway MLX optimizer, with no model,
and returns the values each update would use. It takes

* a SPEC string (``"OneCycleLR(max_lr=0.1, total_steps=1000)"``, see
  :mod:`mlx_lr_scheduler.spec`);
* a factory, ``lambda optimizer: SomeScheduler(optimizer, ...)``, for every class,
  ``LambdaLR`` and ``MultiplicativeLR`` included, and ``ReduceLROnPlateau`` /
  ``WarmupThenPlateau`` given ``metrics``;
* a schedule function from :mod:`mlx_lr_scheduler.schedules`, evaluated at once
  on ``mx.arange(steps)`` (a million steps take milliseconds).

A scheduler is stepped exactly as in training, so its values are the class's
float64 values, torch's bit for bit; a schedule function gives its float32 values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import mlx.core as mx
import mlx.optimizers as optim

from mlx_lr_scheduler.schedule_math import Schedule
from mlx_lr_scheduler.scheduler import LRScheduler
from mlx_lr_scheduler.spec import parse_spec
from mlx_lr_scheduler.validation import check_int, check_real

__all__ = ["Preview", "preview"]

_OPTIMIZERS = ("sgd", "adam")


@dataclass(frozen=True)
class Preview:
    """A schedule's values: ``lrs[k]`` (and ``momenta[k]``) are used by update ``k``.

    ``momenta`` holds the momentum (SGD) or beta1 (Adam) where the scheduler
    cycles it, else None.
    """

    steps: list[int]
    lrs: list[float]
    momenta: list[float] | None = None


def preview(
    schedule: str | Callable[[Any], Any],
    steps: int,
    lr: float = 0.1,
    metrics: Sequence[float] | None = None,
    optimizer: str = "sgd",
) -> Preview:
    """The learning rate (and cycled momentum) of each of ``steps`` updates.

    Args:
        schedule: a SPEC string, a factory ``optimizer -> scheduler``, or a schedule
            function from :mod:`mlx_lr_scheduler.schedules`.
        steps: how many updates, an integer ``>= 1``.
        lr: the optimizer's learning rate, which the scheduler starts from
            (``base_lr``); default ``0.1``. Unused for a schedule function.
        metrics: for ``ReduceLROnPlateau`` and ``WarmupThenPlateau``, the metric
            seen after each update: ``metrics[k]`` is passed to ``step`` after
            update ``k`` (at least ``steps - 1`` values). None for the others.
        optimizer: ``"sgd"`` (momentum 0.9) or ``"adam"``: which momentum a
            cycling scheduler drives (``momentum`` or ``beta1``). Default ``"sgd"``.

    Returns:
        a :class:`Preview`; no warnings are raised on the way (the throwaway
        optimizer makes one no-op update before the scheduler's first step).

    Raises:
        ValueError, TypeError: a bad argument, named; a SPEC's problem
            (:class:`~mlx_lr_scheduler.spec.SpecError`); or the scheduler's own
            constructor's complaint.

    Example:
        >>> p = preview("StepLR(step_size=2, gamma=0.5)", steps=5, lr=1.0)
        >>> p.lrs
        [1.0, 1.0, 0.5, 0.5, 0.25]
        >>> from mlx_lr_scheduler import OneCycleLR, schedules
        >>> p = preview(lambda opt: OneCycleLR(opt, max_lr=1.0, total_steps=4), steps=4)
        >>> [round(v, 4) for v in p.lrs], [round(m, 4) for m in p.momenta]
        ([0.04, 0.8117, 0.2831, 0.0], [0.95, 0.8688, 0.9217, 0.95])
        >>> preview(schedules.step_lr(1.0, step_size=2), steps=3).lrs
        [1.0, 1.0, 0.10000000149011612]
    """
    steps = check_int("steps", steps, minimum=1)
    if isinstance(schedule, Schedule):
        values = schedule(mx.arange(steps, dtype=mx.uint64))
        return Preview(list(range(steps)), values.tolist())
    lr = check_real("lr", lr, low=0.0, low_open=True)
    if optimizer not in _OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {_OPTIMIZERS}, but got {optimizer!r}")
    if isinstance(schedule, type):
        raise TypeError(
            f"schedule must be a SPEC, a factory or a schedule function, but got the class "
            f"{schedule.__name__}: pass lambda optimizer: {schedule.__name__}(optimizer, ...)"
        )
    throwaway: optim.Optimizer = (
        optim.SGD(learning_rate=lr, momentum=0.9) if optimizer == "sgd" else optim.Adam(lr)
    )
    if isinstance(schedule, str):
        scheduler = parse_spec(schedule).build(throwaway)
    elif callable(schedule):
        scheduler = schedule(throwaway)
        if not isinstance(scheduler, LRScheduler):
            raise TypeError(
                "schedule must be a SPEC, a factory returning an mlx_lr_scheduler scheduler "
                "or a schedule function from mlx_lr_scheduler.schedules, but the callable "
                f"returned {type(scheduler).__name__}"
            )
    else:
        raise TypeError(
            "schedule must be a SPEC, a factory or a schedule function, but got "
            f"{type(schedule).__name__}"
        )
    # ReduceLROnPlateau, WarmupThenPlateau, and a WarmupLR in front of a ReduceLROnPlateau.
    on_metric = scheduler._steps_on_metric
    if on_metric:
        if metrics is None or len(metrics) < steps - 1:
            got = "None" if metrics is None else f"{len(metrics)} values"
            raise ValueError(
                f"metrics must hold at least steps - 1 = {steps - 1} values for "
                f"{type(scheduler).__name__}, but got {got}"
            )
    elif metrics is not None:
        raise ValueError(
            "metrics is only for a scheduler stepped on a metric (ReduceLROnPlateau, "
            f"WarmupThenPlateau, a WarmupLR in front of one), not {type(scheduler).__name__}"
        )
    _no_op_update(throwaway)
    return _run(scheduler, steps, metrics)


def _no_op_update(optimizer: optim.Optimizer) -> None:
    """One update of a zero parameter with a zero gradient: the optimizer has now
    stepped, as in training, so the scheduler has nothing to warn about."""
    zero = {"unused": mx.zeros((1,))}
    mx.eval(optimizer.apply_gradients(zero, zero), optimizer.state)


def _run(scheduler: Any, steps: int, metrics: Sequence[float] | None) -> Preview:
    group = scheduler.param_groups[0]
    key = "betas" if "betas" in group else "momentum" if "momentum" in group else None
    lrs = [scheduler.get_last_lr()[0]]
    momenta = None if key is None else [_momentum(group, key)]
    for k in range(steps - 1):
        if metrics is not None:
            scheduler.step(metrics[k])
        else:
            scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
        if momenta is not None and key is not None:
            momenta.append(_momentum(group, key))
    return Preview(list(range(steps)), lrs, momenta)


def _momentum(group: Any, key: str) -> float:
    value = group[key]
    return float(value[0] if key == "betas" else value)
