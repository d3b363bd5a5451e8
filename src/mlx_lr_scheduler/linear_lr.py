"""``LinearLR``: a linear ramp of the factor over ``total_iters`` epochs (a warmup)."""

from __future__ import annotations

from typing import Any

from mlx_lr_scheduler import schedule_math as sm
from mlx_lr_scheduler import state as st
from mlx_lr_scheduler.scheduler import LRScheduler
from mlx_lr_scheduler.validation import LR, STEPS_PER_EPOCH, Arguments, Integer, Real

__all__ = ["LinearLR", "linear_lr"]

ARGUMENTS = Arguments(
    base_lr=LR,
    start_factor=Real(low=0.0, low_open=True, high=1.0, reciprocal=True),
    end_factor=Real(low=0.0, high=1.0),
    total_iters=Integer(minimum=1),
    steps_per_epoch=STEPS_PER_EPOCH,
)


class LinearLR(LRScheduler):
    r"""Ramp each group's learning rate factor linearly from ``start_factor`` to ``end_factor``.

    .. math:: \eta_t = \eta_0 \left(f_s + (f_e - f_s)\,\frac{\min(t, T)}{T}\right)

    where :math:`\eta_0` is the group's initial learning rate, :math:`f_s` is
    ``start_factor``, :math:`f_e` is ``end_factor`` and :math:`T` is
    ``total_iters``; constant at :math:`\eta_0 f_e` from epoch :math:`T` on.
    Computed as torch does: the current learning rate is multiplied by the
    ratio of consecutive factors, so a learning rate set by hand is ramped from.

    Args:
        optimizer: MLX optimizer (one group) or ``MultiOptimizer`` (one group each).
        start_factor: factor at epoch 0, in ``(0, 1]`` (the subnormal numbers
            whose reciprocal overflows are refused). Default: ``1/3``.
        end_factor: factor from epoch ``total_iters`` on, in ``[0, 1]``. ``0``
            decays linearly to 0; equal to ``start_factor`` keeps the factor
            constant. Default: ``1.0``.
        total_iters: length of the ramp, an integer ``>= 1``. (torch takes ``0``,
            then stays at ``start_factor`` forever and divides by zero in its
            closed form.) Default: ``5``.
        last_epoch: index of the last epoch, ``-1`` to start fresh. Default: ``-1``.

    With ``end_factor=0`` torch's rounding can end the ramp on a tiny negative
    learning rate (``-5e-18``); it is 0 here.

    Example (the learning rate used by the optimizer update after ``epoch`` steps):
        >>> import mlx.optimizers as optim
        >>> scheduler = LinearLR(optim.SGD(learning_rate=1.0), start_factor=0.25, total_iters=3)
        >>> for epoch in range(5):
        ...     print(f"epoch {epoch}: {scheduler.get_last_lr()[0]}")
        ...     scheduler.step()
        epoch 0: 0.25
        epoch 1: 0.5
        epoch 2: 0.75
        epoch 3: 1.0
        epoch 4: 1.0
    """

    _state_schema = {
        **st.fields(ARGUMENTS, "start_factor", "end_factor", "total_iters"),
        **LRScheduler._state_schema,
    }

    start_factor: float
    end_factor: float
    total_iters: int

    def __init__(
        self,
        optimizer: Any,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        self.start_factor = ARGUMENTS.check("start_factor", start_factor)
        self.end_factor = ARGUMENTS.check("end_factor", end_factor)
        self.total_iters = ARGUMENTS.check("total_iters", total_iters)
        super().__init__(optimizer, last_epoch)

    def _chain_lr(self, lr: float, base_lr: float, index: int) -> float:
        epoch = self.last_epoch
        if epoch == 0:
            return lr * self.start_factor
        if self._is_initial or epoch > self.total_iters:
            return lr
        # torch's ratio of consecutive factors, f(t) / f(t-1). It is >= 0 in exact
        # arithmetic, but rounds to a tiny negative number at the end of a ramp to
        # end_factor=0 for many start factors: clamp so the LR ends on 0, not -5e-18.
        start = self.start_factor
        delta = self.end_factor - start
        ratio = 1.0 + delta / (self.total_iters * start + (epoch - 1) * delta)
        return lr * (0.0 if ratio < 0.0 else ratio)  # max(ratio, 0.0), without the call

    def _get_closed_form_lr(self) -> list[float]:
        delta = self.end_factor - self.start_factor
        scale = (
            self.start_factor + delta * min(self.total_iters, self.last_epoch) / self.total_iters
        )
        return [base_lr * max(scale, 0.0) for base_lr in self.base_lrs]

    def _schedule(self, group: int) -> sm.Schedule:
        return linear_lr(self.base_lrs[group], self.start_factor, self.end_factor, self.total_iters)


# -- the schedule function ------------------------------------------------------


def linear_lr(
    base_lr: float,
    start_factor: float = 1.0 / 3,
    end_factor: float = 1.0,
    total_iters: int = 5,
    steps_per_epoch: int = 1,
) -> sm.Schedule:
    r""":class:`LinearLR` as a function of the step: a linear ramp of the factor, then constant.

    .. math:: \eta(t) = \eta_0\,\frac{f_s (T - m) + f_e\, m}{T},
        \qquad m = \min(e, T),\ e = \lfloor t / k \rfloor

    with :math:`\eta_0` = ``base_lr``, :math:`f_s` = ``start_factor``,
    :math:`f_e` = ``end_factor``, :math:`T` = ``total_iters`` and :math:`k` =
    ``steps_per_epoch``. (A weighted sum rather than ``f_s + (f_e - f_s) m / T``,
    so a ramp down to ``end_factor = 0`` keeps its relative accuracy at the end.)

    Args:
        base_lr: the learning rate the factors multiply, ``>= 0``.
        start_factor: factor at epoch 0, in ``(0, 1]``. Default: ``1/3``.
        end_factor: factor from epoch ``total_iters`` on, in ``[0, 1]``. Default: ``1.0``.
        total_iters: length of the ramp in epochs, an integer ``>= 1``. Default: ``5``.
        steps_per_epoch: steps in an epoch, an integer ``>= 1``. Default: ``1``.

    Returns:
        ``schedule(step)``: a float for an ``int`` step, float32 values for an
        ``mx.array`` of integer steps.

    Example:
        >>> import mlx.core as mx
        >>> schedule = linear_lr(1.0, start_factor=0.25, total_iters=3)
        >>> schedule(0), schedule(1), schedule(3), schedule(100)
        (0.25, 0.5, 1.0, 1.0)
        >>> schedule(mx.arange(5))
        array([0.25, 0.5, 0.75, 1, 1], dtype=float32)
    """
    arguments = ARGUMENTS.check_all(locals())
    base_lr, start_factor, end_factor, total_iters, steps_per_epoch = arguments.values()
    start_weight = base_lr * start_factor / total_iters
    end_weight = base_lr * end_factor / total_iters

    def schedule(step: Any) -> Any:
        t = sm.check_step(step)
        done = sm.minimum(sm.epoch_of(t, steps_per_epoch), total_iters)
        left = total_iters - done
        return sm.finish(sm.as_float(left) * start_weight + sm.as_float(done) * end_weight, t)

    return sm.Schedule(schedule, "linear_lr", **arguments)
