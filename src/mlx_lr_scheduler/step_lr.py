"""``StepLR``: decay by ``gamma`` every ``step_size`` epochs."""

from __future__ import annotations

from typing import Any

from mlx_lr_scheduler import schedule_math as sm
from mlx_lr_scheduler import state as st
from mlx_lr_scheduler.scheduler import LRScheduler
from mlx_lr_scheduler.validation import LR, STEPS_PER_EPOCH, Arguments, Integer, Real, power

__all__ = ["StepLR", "step_lr"]

ARGUMENTS = Arguments(
    base_lr=LR, step_size=Integer(minimum=1), gamma=Real(low=0.0), steps_per_epoch=STEPS_PER_EPOCH
)


class StepLR(LRScheduler):
    r"""Decay each group's learning rate by ``gamma`` every ``step_size`` epochs.

    .. math:: \eta_t = \eta_0 \cdot \gamma^{\lfloor t / s \rfloor}

    where :math:`\eta_0` is the group's initial learning rate, :math:`s` is
    ``step_size`` and :math:`\gamma` is ``gamma``. Computed as torch does: the
    current learning rate is multiplied by :math:`\gamma` at every multiple of
    :math:`s`, so a learning rate set by hand in between is decayed from.

    Args:
        optimizer: MLX optimizer (one group) or ``MultiOptimizer`` (one group each).
        step_size: period of the decay, an integer ``>= 1`` (torch divides by
            zero on the first step for ``0`` and decays at odd epochs for a
            non-integer ``2.5``; both are refused here). ``1`` decays every epoch.
        gamma: multiplicative factor, a finite number ``>= 0``. ``0`` drops the
            learning rate to 0 at the first decay, ``1`` keeps it constant, ``> 1``
            grows it. Default: ``0.1``.
        last_epoch: index of the last epoch, ``-1`` to start fresh. Default: ``-1``.

    Example (the learning rate used by the optimizer update after ``epoch`` steps):
        >>> import mlx.optimizers as optim
        >>> scheduler = StepLR(optim.SGD(learning_rate=0.1), step_size=2, gamma=0.5)
        >>> for epoch in range(5):
        ...     print(f"epoch {epoch}: {scheduler.get_last_lr()[0]}")
        ...     scheduler.step()
        epoch 0: 0.1
        epoch 1: 0.1
        epoch 2: 0.05
        epoch 3: 0.05
        epoch 4: 0.025
    """

    _state_schema = {
        **st.fields(ARGUMENTS, "step_size", "gamma"),
        **LRScheduler._state_schema,
    }

    step_size: int
    gamma: float

    def __init__(
        self, optimizer: Any, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        self.step_size = ARGUMENTS.check("step_size", step_size)
        self.gamma = ARGUMENTS.check("gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def _chain_lr(self, lr: float, base_lr: float, index: int) -> float:
        epoch = self.last_epoch
        if epoch == 0 or epoch % self.step_size != 0:
            return lr
        return lr * self.gamma

    def _get_closed_form_lr(self) -> list[float]:
        factor = power(self.gamma, self.last_epoch // self.step_size)
        return [base_lr * factor for base_lr in self.base_lrs]

    def _schedule(self, group: int) -> sm.Schedule:
        return step_lr(self.base_lrs[group], self.step_size, self.gamma)


# -- the schedule function ------------------------------------------------------


def step_lr(
    base_lr: float, step_size: int, gamma: float = 0.1, steps_per_epoch: int = 1
) -> sm.Schedule:
    r""":class:`StepLR` as a function of the step: decay by ``gamma`` every ``step_size`` epochs.

    :class:`StepLR`'s :math:`\eta_e` (its formula is there), at the epoch
    :math:`e = \lfloor t / k \rfloor` of step :math:`t`, with :math:`\eta_0` =
    ``base_lr`` and :math:`k` = ``steps_per_epoch``.

    Args:
        base_lr: the learning rate at step 0, ``>= 0``.
        step_size: period of the decay in epochs, an integer ``>= 1``.
        gamma: multiplicative factor, ``>= 0``. ``0`` drops the LR to 0 at the
            first decay; ``> 1`` grows it. Default: ``0.1``.
        steps_per_epoch: steps in an epoch, an integer ``>= 1``. Default: ``1``
            (``t`` counts epochs).

    Returns:
        ``schedule(step)``: a float for an ``int`` step, float32 values for an
        ``mx.array`` of integer steps (see :mod:`mlx_lr_scheduler.schedules`).

    Example:
        >>> import mlx.core as mx
        >>> schedule = step_lr(0.1, step_size=2, gamma=0.5)
        >>> schedule(0), schedule(2), schedule(4)
        (0.1, 0.05, 0.025)
        >>> schedule(mx.arange(5))
        array([0.1, 0.1, 0.05, 0.05, 0.025], dtype=float32)
    """
    arguments = ARGUMENTS.check_all(locals())
    base_lr, step_size, gamma, steps_per_epoch = arguments.values()
    power = sm.Power(gamma)
    period = step_size * steps_per_epoch

    def schedule(step: Any) -> Any:
        t = sm.check_step(step)
        return sm.finish(base_lr * power(t // period), t)

    return sm.Schedule(schedule, "step_lr", **arguments)
