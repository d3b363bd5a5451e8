"""``PolynomialLR``: polynomial decay to zero over ``total_iters`` epochs."""

from __future__ import annotations

from typing import Any

from mlx_lr_scheduler import schedule_math as sm
from mlx_lr_scheduler import state as st
from mlx_lr_scheduler.scheduler import LRScheduler
from mlx_lr_scheduler.validation import LR, STEPS_PER_EPOCH, Arguments, Integer, Real

__all__ = ["PolynomialLR", "polynomial_lr"]

ARGUMENTS = Arguments(
    base_lr=LR, total_iters=Integer(minimum=1), power=Real(low=0.0), steps_per_epoch=STEPS_PER_EPOCH
)


class PolynomialLR(LRScheduler):
    r"""Decay each group's learning rate polynomially to 0 over ``total_iters`` epochs.

    .. math:: \eta_t = \eta_0 \left(1 - \frac{\min(t, T)}{T}\right)^{p}

    where :math:`\eta_0` is the group's initial learning rate, :math:`T` is
    ``total_iters`` and :math:`p` is ``power``. Computed as torch does: the
    current learning rate is multiplied by the ratio of consecutive factors.

    Args:
        optimizer: MLX optimizer (one group) or ``MultiOptimizer`` (one group each).
        total_iters: epochs until the learning rate reaches 0, an integer ``>= 1``.
            (torch takes ``0``, then never decays and divides by zero in its
            closed form.) Default: ``5``.
        power: the exponent, a finite number ``>= 0``; ``1`` is linear decay,
            ``0`` keeps the learning rate constant (it never reaches 0). (torch
            takes a negative power, then grows the learning rate and fails at
            ``total_iters``.) Default: ``1.0``.
        last_epoch: index of the last epoch, ``-1`` to start fresh. Default: ``-1``.

    Example (the learning rate used by the optimizer update after ``epoch`` steps):
        >>> import mlx.optimizers as optim
        >>> scheduler = PolynomialLR(optim.SGD(learning_rate=1.0), total_iters=4, power=2.0)
        >>> for epoch in range(6):
        ...     print(f"epoch {epoch}: {scheduler.get_last_lr()[0]}")
        ...     scheduler.step()
        epoch 0: 1.0
        epoch 1: 0.5625
        epoch 2: 0.25
        epoch 3: 0.0625
        epoch 4: 0.0
        epoch 5: 0.0
    """

    _state_schema = {
        **st.fields(ARGUMENTS, "total_iters", "power"),
        **LRScheduler._state_schema,
    }

    total_iters: int
    power: float

    def __init__(
        self, optimizer: Any, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1
    ) -> None:
        self.total_iters = ARGUMENTS.check("total_iters", total_iters)
        self.power = ARGUMENTS.check("power", power)
        super().__init__(optimizer, last_epoch)

    def _chain_lr(self, lr: float, base_lr: float, index: int) -> float:
        epoch, total = self.last_epoch, self.total_iters
        if self._is_initial or epoch > total:
            return lr
        factor: float = ((1.0 - epoch / total) / (1.0 - (epoch - 1) / total)) ** self.power
        return lr * factor

    def _get_closed_form_lr(self) -> list[float]:
        factor = (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters) ** self.power
        return [base_lr * factor for base_lr in self.base_lrs]

    def _schedule(self, group: int) -> sm.Schedule:
        return polynomial_lr(self.base_lrs[group], self.total_iters, self.power)


# -- the schedule function ------------------------------------------------------


def polynomial_lr(
    base_lr: float, total_iters: int = 5, power: float = 1.0, steps_per_epoch: int = 1
) -> sm.Schedule:
    r""":class:`PolynomialLR` as a function of the step: polynomial decay to 0.

    .. math:: \eta(t) = \eta_0 \left(\frac{T - \min(e, T)}{T}\right)^{p},
        \qquad e = \lfloor t / k \rfloor

    with :math:`\eta_0` = ``base_lr``, :math:`T` = ``total_iters``, :math:`p` =
    ``power`` and :math:`k` = ``steps_per_epoch``. The remaining fraction is
    formed from the exact integer :math:`T - \min(e, T)`, so the tail near 0 keeps
    its relative accuracy.

    Args:
        base_lr: the learning rate at step 0, ``>= 0``.
        total_iters: epochs until the LR reaches 0, an integer ``>= 1``. Default: ``5``.
        power: the exponent, ``>= 0``; ``1`` is linear decay, ``0`` keeps the LR
            constant (``0**0 = 1``). Default: ``1.0``.
        steps_per_epoch: steps in an epoch, an integer ``>= 1``. Default: ``1``.

    Returns:
        ``schedule(step)``: a float for an ``int`` step, float32 values for an
        ``mx.array`` of integer steps.

    Example:
        >>> import mlx.core as mx
        >>> schedule = polynomial_lr(1.0, total_iters=4, power=2.0)
        >>> schedule(0), schedule(2), schedule(4)
        (1.0, 0.25, 0.0)
        >>> schedule(mx.arange(6))
        array([1, 0.5625, 0.25, 0.0625, 0, 0], dtype=float32)
    """
    arguments = ARGUMENTS.check_all(locals())
    base_lr, total_iters, power, steps_per_epoch = arguments.values()

    def schedule(step: Any) -> Any:
        t = sm.check_step(step)
        left = total_iters - sm.minimum(sm.epoch_of(t, steps_per_epoch), total_iters)
        return sm.finish(base_lr * sm.real_power(sm.as_float(left) / total_iters, power), t)

    return sm.Schedule(schedule, "polynomial_lr", **arguments)
