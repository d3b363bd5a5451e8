"""``WarmupLR``: a warmup in front of any scheduler (or of a constant learning rate)."""

from __future__ import annotations

import math
from typing import Any

from mlx_lr_scheduler import schedule_math as sm
from mlx_lr_scheduler import state as st
from mlx_lr_scheduler.composition import _Composite
from mlx_lr_scheduler.reduce_lr_on_plateau import _metric_value
from mlx_lr_scheduler.scheduler import LRScheduler
from mlx_lr_scheduler.validation import (
    LAST_EPOCH,
    LR,
    Arguments,
    Choice,
    Function,
    Integer,
    Real,
    missing_group_entry,
)

__all__ = ["WARMUP_TYPES", "WarmupLR", "warmup_lr", "warmup_weight"]

#: The warmup curves, by name (transformers' ``warmup_type`` names).
WARMUP_TYPES = ("linear", "cosine", "1-sqrt")

ARGUMENTS = Arguments(
    base_lr=LR,
    num_warmup_steps=Integer(minimum=0),
    warmup_type=Choice(*WARMUP_TYPES),
    start_factor=Real(low=0.0, high=1.0),
    scheduler=Function(),
)


def warmup_shape(step: int, num_warmup_steps: int, warmup_type: str) -> float:
    """The warmup curve at ``step`` in transformers' arithmetic (float64, for the classes).

    ``p = step / max(1, num_warmup_steps)``; ``"linear"``: ``p``; ``"cosine"``:
    ``(1 - cos(pi p)) / 2``; ``"1-sqrt"``: ``1 - sqrt(1 - p)``.
    """
    progress = float(step) / float(max(1, num_warmup_steps))
    if warmup_type == "linear":
        return progress
    if warmup_type == "cosine":
        return 0.5 * (1.0 - math.cos(math.pi * progress))
    return 1.0 - math.sqrt(1.0 - progress)


def _sqrt(x: Any) -> Any:
    return sm.real_power(x, 0.5)


def warmup_weight(t: Any, num_warmup_steps: int, warmup_type: str) -> Any:
    """:func:`warmup_shape` at ``min(t, num_warmup_steps)``, accurate in float32 for any step.

    ``"cosine"`` is ``sin(pi t / (2W))**2`` (no ``1 - cos``), ``"1-sqrt"`` is
    ``p / (1 + sqrt(1 - p))`` with ``1 - p = (W - t) / W`` exact.
    """
    length = max(1, num_warmup_steps)
    done = sm.minimum(t, num_warmup_steps)
    if warmup_type == "linear":
        return sm.as_float(done) / length
    if warmup_type == "cosine":
        return sm.sin_squared(done, math.pi / (2 * length))
    left = sm.as_float(num_warmup_steps - done) / length
    return (sm.as_float(done) / length) / (1.0 + _sqrt(left))


class WarmupLR(_Composite):
    r"""A warmup of ``num_warmup_steps`` steps, then ``scheduler`` from its start.

    .. math:: \eta_t = \eta_0 \big(s + (1 - s)\,w(t / W)\big) \ \text{ for } t < W, \qquad
              \eta_t = S(t - W) \ \text{ for } t \ge W

    with :math:`\eta_0` each group's initial learning rate, :math:`W` =
    ``num_warmup_steps``, :math:`s` = ``start_factor``, :math:`w` the
    ``warmup_type`` curve (``"linear"``: :math:`p`; ``"cosine"``:
    :math:`(1 - \cos \pi p)/2`; ``"1-sqrt"``: :math:`1 - \sqrt{1 - p}`) and
    :math:`S` the scheduler: at step :math:`W` the learning rates it set when it was
    built (its epoch 0) come back, and each later ``step()`` steps it. Without a
    scheduler the learning rate stays at :math:`\eta_0` (transformers'
    ``constant_with_warmup``, bit for bit with ``start_factor=0``).

    A :class:`ReduceLROnPlateau` may follow the warmup (torch's ``SequentialLR``
    refuses it): then call ``step(metric)`` every epoch; the warmup's epochs ignore
    the metric, and from epoch :math:`W + 1` on it goes to the plateau scheduler,
    which reduces from :math:`\eta_0`. This generalises :class:`WarmupThenPlateau`.

    Args:
        optimizer: the optimizer ``scheduler`` is bound to.
        scheduler: any scheduler of this library built on ``optimizer`` and not
            stepped yet (a composite such as ``SequentialLR`` too), or ``None`` for a
            constant learning rate after the warmup. Default: ``None``.
        num_warmup_steps: the warmup's length :math:`W`, an integer ``>= 0``
            (keyword only); ``0`` is no warmup (the scheduler alone).
        warmup_type: ``"linear"``, ``"cosine"`` or ``"1-sqrt"``. Default: ``"linear"``.
        start_factor: the factor :math:`s` of step 0, in ``[0, 1]``. Default: ``0.0``.
        last_epoch: index of the last epoch, ``-1`` to start fresh; another value
            resumes the warmup at the next epoch (the scheduler keeps its own epoch).
            Default: ``-1``.

    Example (3 warmup steps in front of a ``StepLR`` halving every 2 steps):
        >>> import mlx.optimizers as optim
        >>> from mlx_lr_scheduler import StepLR
        >>> opt = optim.SGD(learning_rate=1.0)
        >>> scheduler = WarmupLR(opt, StepLR(opt, step_size=2, gamma=0.5), num_warmup_steps=3)
        >>> for step in range(8):
        ...     print(f"step {step}: {scheduler.get_last_lr()[0]:.4f}")
        ...     scheduler.step()
        step 0: 0.0000
        step 1: 0.3333
        step 2: 0.6667
        step 3: 1.0000
        step 4: 1.0000
        step 5: 0.5000
        step 6: 0.5000
        step 7: 0.2500
    """

    _state_schema = {
        **st.fields(ARGUMENTS, "num_warmup_steps", "warmup_type", "start_factor"),
        "base_lrs": st.lr_list(),
        "last_epoch": st.integer(minimum=0),
        "_last_lr": st.lr_list(),
    }

    num_warmup_steps: int
    warmup_type: str
    start_factor: float

    def __init__(
        self,
        optimizer: Any,
        scheduler: LRScheduler | None = None,
        *,
        num_warmup_steps: int,
        warmup_type: str = "linear",
        start_factor: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        groups = self._bind(optimizer)
        if scheduler is not None:
            if not isinstance(scheduler, LRScheduler):
                raise TypeError(
                    "scheduler must be an mlx_lr_scheduler scheduler or None, but got "
                    f"{type(scheduler).__name__}"
                )
            if scheduler.optimizer is not optimizer:
                raise ValueError(
                    f"WarmupLR expects scheduler ({type(scheduler).__name__}) to be bound to "
                    "its optimizer, but it is bound to another one"
                )
        self.num_warmup_steps = ARGUMENTS.check("num_warmup_steps", num_warmup_steps)
        self.warmup_type = ARGUMENTS.check("warmup_type", warmup_type)
        self.start_factor = ARGUMENTS.check("start_factor", start_factor)
        last_epoch = LAST_EPOCH.check("last_epoch", last_epoch)
        for index, group in enumerate(groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise missing_group_entry("initial_lr", index, last_epoch)
        self.base_lrs = [group["initial_lr"] for group in groups]
        self._scheduler = scheduler
        self._schedulers = [] if scheduler is None else [scheduler]
        # A ReduceLROnPlateau after the warmup makes this one step on a metric too.
        self.__dict__["_steps_on_metric"] = scheduler is not None and scheduler._steps_on_metric
        self.last_epoch = last_epoch + 1
        if scheduler is None or self.last_epoch < self.num_warmup_steps:
            self._set_epoch_lrs(self.last_epoch)
        else:  # past the warmup (a resume): the scheduler, built at its own epoch, is in force
            for group, lr in zip(groups, scheduler._last_lr):
                group.set_lr(lr)
            self._last_lr = list(scheduler._last_lr)

    def _factor(self, epoch: int) -> float:
        start = self.start_factor
        return start + (1.0 - start) * warmup_shape(epoch, self.num_warmup_steps, self.warmup_type)

    def _set_epoch_lrs(self, epoch: int, metric: tuple[float, ...] = ()) -> None:
        """Set the LRs of ``epoch``: the warmup's, the scheduler's epoch 0, or its next step."""
        scheduler = self._scheduler
        if epoch < self.num_warmup_steps:
            factor = self._factor(epoch)
            self._set_lrs([base_lr * factor for base_lr in self.base_lrs])
        elif scheduler is None:
            self._set_lrs([base_lr * 1.0 for base_lr in self.base_lrs])
        elif epoch == self.num_warmup_steps:
            # The scheduler's epoch 0: the learning rates it set when it was built.
            for group, lr in zip(self.param_groups, scheduler._last_lr):
                group.set_lr(lr)
            self._last_lr = list(scheduler._last_lr)
        else:
            scheduler.step(*metric)  # type: ignore[arg-type]
            self._last_lr = scheduler.get_last_lr()

    def step(self, metrics: Any = None) -> None:
        """Advance one step (with the epoch's metric in front of a ``ReduceLROnPlateau``)."""
        if self._steps_on_metric:
            if metrics is None:
                raise TypeError(
                    "WarmupLR in front of a ReduceLROnPlateau steps on a metric: call step(metrics)"
                )
            metric: tuple[float, ...] = (_metric_value(metrics),)
        elif metrics is not None:
            raise TypeError(
                f"WarmupLR in front of {type(self._scheduler).__name__} steps without a "
                f"metric, but got {metrics!r}"
            )
        else:
            metric = ()
        epoch = self.last_epoch + 1
        self._set_epoch_lrs(epoch, metric)
        self.last_epoch = epoch

    def _schedule(self, group: int) -> sm.Schedule:
        after = None
        if self._scheduler is not None:
            if not self._scheduler._schedule_joins:
                raise TypeError(
                    f"WarmupLR has no closed form in front of a {type(self._scheduler).__name__}: "
                    "that one starts from the learning rate it finds"
                )
            after = self._scheduler._schedule(group)
        return warmup_lr(
            self.base_lrs[group], self.num_warmup_steps, after, self.warmup_type, self.start_factor
        )

    def __repr__(self) -> str:
        return (
            f"WarmupLR({self._scheduler!r}, num_warmup_steps={self.num_warmup_steps}, "
            f"warmup_type={self.warmup_type!r}, start_factor={self.start_factor})"
        )


# -- the schedule function ------------------------------------------------------


def warmup_lr(
    base_lr: float,
    num_warmup_steps: int,
    scheduler: Any = None,
    warmup_type: str = "linear",
    start_factor: float = 0.0,
) -> sm.Schedule:
    r""":class:`WarmupLR` as a function of the step: a warmup, then ``scheduler`` from its step 0.

    .. math:: \eta(t) = \eta_0 \big(s + (1 - s)\,w(t / W)\big) \ (t < W), \qquad
              \eta(t) = S(t - W) \ (t \ge W)

    with :math:`\eta_0` = ``base_lr``, :math:`W` = ``num_warmup_steps``, :math:`s` =
    ``start_factor``, :math:`w` the ``warmup_type`` curve (as in the class) and
    :math:`S` = ``scheduler``, a schedule function (``None``: :math:`\eta_0`). The
    cosine curve is evaluated as :math:`\sin^2(\pi t / 2W)`, ``"1-sqrt"`` as
    :math:`p / (1 + \sqrt{1 - p})`: no cancellation in float32.

    Args:
        base_lr: the learning rate the warmup rises to, ``>= 0``.
        num_warmup_steps: the warmup's length, an integer ``>= 0``.
        scheduler: the schedule function after the warmup (this module's, or any
            ``schedule(step)`` taking an ``int`` and a uint64 ``mx.array``), or
            ``None`` for a constant ``base_lr``. Default: ``None``.
        warmup_type: ``"linear"``, ``"cosine"`` or ``"1-sqrt"``. Default: ``"linear"``.
        start_factor: the factor of step 0, in ``[0, 1]``. Default: ``0.0``.

    Example:
        >>> import mlx.core as mx
        >>> schedule = warmup_lr(1.0, num_warmup_steps=4)
        >>> schedule(0), schedule(2), schedule(10)
        (0.0, 0.5, 1.0)
        >>> schedule(mx.arange(6))
        array([0, 0.25, 0.5, 0.75, 1, 1], dtype=float32)
    """
    base_lr = ARGUMENTS.check("base_lr", base_lr)
    num_warmup_steps = ARGUMENTS.check("num_warmup_steps", num_warmup_steps)
    if scheduler is not None:
        scheduler = ARGUMENTS.check("scheduler", scheduler)
    warmup_type = ARGUMENTS.check("warmup_type", warmup_type)
    start_factor = ARGUMENTS.check("start_factor", start_factor)
    length = num_warmup_steps

    def schedule(step: Any) -> Any:
        t = sm.check_step(step)
        warm = base_lr * (
            start_factor + (1.0 - start_factor) * warmup_weight(t, length, warmup_type)
        )
        if scheduler is None:
            after: Any = base_lr
        elif sm.is_array(t):
            after = sm.finish(scheduler(sm.maximum(t, length) - length), t)
        elif t >= length:
            return sm.finish(scheduler(t - length), t)
        else:
            after = 0.0
        return sm.finish(sm.where(t < length, warm, after), t)

    return sm.Schedule(
        schedule,
        "warmup_lr",
        base_lr=base_lr,
        num_warmup_steps=num_warmup_steps,
        scheduler=scheduler,
        warmup_type=warmup_type,
        start_factor=start_factor,
    )
