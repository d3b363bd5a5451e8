"""``ExponentialLR``: decay by ``gamma`` every epoch."""

from __future__ import annotations

from typing import Any

from mlx_lr_scheduler import schedule_math as sm
from mlx_lr_scheduler import state as st
from mlx_lr_scheduler.scheduler import LRScheduler
from mlx_lr_scheduler.validation import LR, STEPS_PER_EPOCH, Arguments, Real, power

__all__ = ["ExponentialLR", "exponential_lr"]

ARGUMENTS = Arguments(base_lr=LR, gamma=Real(low=0.0), steps_per_epoch=STEPS_PER_EPOCH)


class ExponentialLR(LRScheduler):
    r"""Multiply each group's learning rate by ``gamma`` every epoch.

    .. math:: \eta_t = \eta_0 \cdot \gamma^t

    where :math:`\eta_0` is the group's initial learning rate and
    :math:`\gamma` is ``gamma``. Computed as torch does: the current learning
    rate is multiplied by :math:`\gamma` at every step.

    Args:
        optimizer: MLX optimizer (one group) or ``MultiOptimizer`` (one group each).
        gamma: multiplicative factor, a finite number ``>= 0``. ``0`` drops the
            learning rate to 0 after the first step, ``1`` keeps it constant,
            ``> 1`` grows it (``step()`` raises ``ValueError`` once it would
            overflow). (torch takes a negative ``gamma`` and alternates the sign
            of the learning rate; refused here.)
        last_epoch: index of the last epoch, ``-1`` to start fresh. Default: ``-1``.

    Example (the learning rate used by the optimizer update after ``epoch`` steps):
        >>> import mlx.optimizers as optim
        >>> scheduler = ExponentialLR(optim.SGD(learning_rate=1.0), gamma=0.5)
        >>> for epoch in range(4):
        ...     print(f"epoch {epoch}: {scheduler.get_last_lr()[0]}")
        ...     scheduler.step()
        epoch 0: 1.0
        epoch 1: 0.5
        epoch 2: 0.25
        epoch 3: 0.125
    """

    _state_schema = {**st.fields(ARGUMENTS, "gamma"), **LRScheduler._state_schema}

    gamma: float

    def __init__(self, optimizer: Any, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = ARGUMENTS.check("gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def _chain_lr(self, lr: float, base_lr: float, index: int) -> float:
        if self._is_initial:
            return lr
        return lr * self.gamma

    def _get_closed_form_lr(self) -> list[float]:
        factor = power(self.gamma, self.last_epoch)
        return [base_lr * factor for base_lr in self.base_lrs]

    def _schedule(self, group: int) -> sm.Schedule:
        return exponential_lr(self.base_lrs[group], self.gamma)


# -- the schedule function ------------------------------------------------------


def exponential_lr(base_lr: float, gamma: float, steps_per_epoch: int = 1) -> sm.Schedule:
    r""":class:`ExponentialLR` as a function of the step: multiply by ``gamma`` every epoch.

    :class:`ExponentialLR`'s :math:`\eta_e` (its formula is there), at the epoch
    :math:`e = \lfloor t / k \rfloor` of step :math:`t`, with :math:`\eta_0` =
    ``base_lr`` and :math:`k` = ``steps_per_epoch``. In float32, :math:`\gamma^e` is
    formed from :math:`\log_2 \gamma` taken in float64 and an exactly split product (see
    :class:`~mlx_lr_scheduler.schedule_math.Power`): ``gamma = 0.99999`` stays
    within ``1e-6`` over ``3 * 10**7`` steps, where float32's ``gamma**t`` is off
    by ``1e-2`` at ``10**6``.

    Args:
        base_lr: the learning rate at step 0, ``>= 0``.
        gamma: multiplicative factor, ``>= 0``. ``0`` drops the LR to 0 after
            the first epoch, ``1`` keeps it constant, ``> 1`` grows it.
        steps_per_epoch: steps in an epoch, an integer ``>= 1``. Default: ``1``.

    Returns:
        ``schedule(step)``: a float for an ``int`` step, float32 values for an
        ``mx.array`` of integer steps.

    Example:
        >>> import mlx.core as mx
        >>> schedule = exponential_lr(1.0, gamma=0.5)
        >>> schedule(0), schedule(3)
        (1.0, 0.125)
        >>> schedule(mx.arange(4))
        array([1, 0.5, 0.25, 0.125], dtype=float32)
    """
    arguments = ARGUMENTS.check_all(locals())
    base_lr, gamma, steps_per_epoch = arguments.values()
    power = sm.Power(gamma)

    def schedule(step: Any) -> Any:
        t = sm.check_step(step)
        return sm.finish(base_lr * power(sm.epoch_of(t, steps_per_epoch)), t)

    return sm.Schedule(schedule, "exponential_lr", **arguments)
