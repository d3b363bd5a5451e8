"""``ConstantLR``: a constant factor for the first ``total_iters`` epochs (a warmup)."""

from __future__ import annotations

from typing import Any

from mlx_lr_scheduler import schedule_math as sm
from mlx_lr_scheduler import state as st
from mlx_lr_scheduler.scheduler import LRScheduler
from mlx_lr_scheduler.validation import LR, STEPS_PER_EPOCH, Arguments, Integer, Real

__all__ = ["ConstantLR", "constant_lr"]

ARGUMENTS = Arguments(
    base_lr=LR,
    factor=Real(low=0.0, low_open=True, high=1.0, reciprocal=True),
    total_iters=Integer(minimum=1),
    steps_per_epoch=STEPS_PER_EPOCH,
)


class ConstantLR(LRScheduler):
    r"""Scale each group's learning rate by ``factor`` until epoch ``total_iters``.

    .. math:: \eta_t = \eta_0 \cdot \begin{cases} f & t < T \\ 1 & t \ge T \end{cases}

    where :math:`\eta_0` is the group's initial learning rate, :math:`f` is
    ``factor`` and :math:`T` is ``total_iters``. Computed as torch does: the
    current learning rate is multiplied by :math:`f` at epoch 0 and by
    :math:`1/f` at epoch :math:`T`.

    Args:
        optimizer: MLX optimizer (one group) or ``MultiOptimizer`` (one group each).
        factor: the factor, in ``(0, 1]``. ``1`` leaves the learning rate
            unchanged. (torch also takes ``0``, then divides by zero at
            ``total_iters``; here ``0`` and the subnormal numbers whose reciprocal
            overflows are refused.) Default: ``1/3``.
        total_iters: number of epochs scaled, an integer ``>= 1``. (torch takes
            ``0``, then scales forever while its closed form says it does not.)
            Default: ``5``.
        last_epoch: index of the last epoch, ``-1`` to start fresh. Default: ``-1``.

    Example (the learning rate used by the optimizer update after ``epoch`` steps):
        >>> import mlx.optimizers as optim
        >>> scheduler = ConstantLR(optim.SGD(learning_rate=0.1), factor=0.5, total_iters=2)
        >>> for epoch in range(4):
        ...     print(f"epoch {epoch}: {scheduler.get_last_lr()[0]}")
        ...     scheduler.step()
        epoch 0: 0.05
        epoch 1: 0.05
        epoch 2: 0.1
        epoch 3: 0.1
    """

    _state_schema = {
        **st.fields(ARGUMENTS, "factor", "total_iters"),
        **LRScheduler._state_schema,
    }

    factor: float
    total_iters: int

    def __init__(
        self, optimizer: Any, factor: float = 1.0 / 3, total_iters: int = 5, last_epoch: int = -1
    ) -> None:
        self.factor = ARGUMENTS.check("factor", factor)
        self.total_iters = ARGUMENTS.check("total_iters", total_iters)
        super().__init__(optimizer, last_epoch)

    def _chain_lr(self, lr: float, base_lr: float, index: int) -> float:
        epoch = self.last_epoch
        if epoch == 0:
            return lr * self.factor
        if epoch != self.total_iters:
            return lr
        return lr * (1.0 / self.factor)

    def _get_closed_form_lr(self) -> list[float]:
        scale = self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor)
        return [base_lr * scale for base_lr in self.base_lrs]

    def _schedule(self, group: int) -> sm.Schedule:
        return constant_lr(self.base_lrs[group], self.factor, self.total_iters)


# -- the schedule function ------------------------------------------------------


def constant_lr(
    base_lr: float, factor: float = 1.0 / 3, total_iters: int = 5, steps_per_epoch: int = 1
) -> sm.Schedule:
    r""":class:`ConstantLR` as a function of the step: scaled by ``factor`` until ``total_iters``.

    :class:`ConstantLR`'s :math:`\eta_e` (its formula is there), at the epoch
    :math:`e = \lfloor t / k \rfloor` of step :math:`t`, with :math:`\eta_0` =
    ``base_lr`` and :math:`k` = ``steps_per_epoch``.

    Args:
        base_lr: the learning rate from epoch ``total_iters`` on, ``>= 0``.
        factor: the factor before that, in ``(0, 1]``; ``1`` is constant. Default: ``1/3``.
        total_iters: number of epochs scaled, an integer ``>= 1``. Default: ``5``.
        steps_per_epoch: steps in an epoch, an integer ``>= 1``. Default: ``1``.

    Returns:
        ``schedule(step)``: a float for an ``int`` step, float32 values for an
        ``mx.array`` of integer steps.

    Example:
        >>> import mlx.core as mx
        >>> schedule = constant_lr(0.1, factor=0.5, total_iters=2)
        >>> schedule(0), schedule(2)
        (0.05, 0.1)
        >>> schedule(mx.arange(4))
        array([0.05, 0.05, 0.1, 0.1], dtype=float32)
    """
    arguments = ARGUMENTS.check_all(locals())
    base_lr, factor, total_iters, steps_per_epoch = arguments.values()
    end = total_iters * steps_per_epoch
    scaled = base_lr * factor

    def schedule(step: Any) -> Any:
        t = sm.check_step(step)
        return sm.finish(sm.where(t < end, scaled, base_lr), t)

    return sm.Schedule(schedule, "constant_lr", **arguments)
