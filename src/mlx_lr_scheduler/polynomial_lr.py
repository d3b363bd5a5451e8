"""``PolynomialLR``: polynomial decay to zero over ``total_iters`` epochs."""

from __future__ import annotations

from typing import Any

from mlx_lr_scheduler import state as st
from mlx_lr_scheduler.scheduler import LRScheduler
from mlx_lr_scheduler.validation import check_int, check_real

__all__ = ["PolynomialLR"]


class PolynomialLR(LRScheduler):
    r"""Decay each group's learning rate polynomially to 0 over ``total_iters`` epochs.

    .. math:: \eta_t = \eta_0 \left(1 - \frac{\min(t, T)}{T}\right)^{p}

    with :math:`T` = ``total_iters`` and :math:`p` = ``power``.

    Args:
        optimizer: MLX optimizer (one group) or ``MultiOptimizer`` (one group each).
        total_iters: epochs until the LR reaches 0, an integer ``>= 1``. Default: ``5``.
        power: the exponent, ``>= 0``; ``1`` is linear decay, ``0`` keeps the LR
            constant. Default: ``1.0``.
        last_epoch: index of the last epoch, ``-1`` to start fresh. Default: ``-1``.

    Example:
        >>> import mlx.optimizers as optim
        >>> scheduler = PolynomialLR(optim.SGD(learning_rate=1.0), total_iters=4, power=2.0)
        >>> lrs = []
        >>> for epoch in range(6):
        ...     lrs.append(scheduler.get_last_lr()[0])
        ...     scheduler.step()
        >>> lrs
        [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0]
    """

    _state_schema = {
        "total_iters": st.integer(minimum=1),
        "power": st.real(low=0.0),
        **LRScheduler._state_schema,
    }

    def __init__(
        self, optimizer: Any, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1
    ) -> None:
        self.total_iters = check_int("total_iters", total_iters, minimum=1)
        self.power = check_real("power", power, low=0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_if_outside_step()
        epoch, total = self.last_epoch, self.total_iters
        if self._is_initial or epoch > total:
            return self._group_lrs()
        factor = ((1.0 - epoch / total) / (1.0 - (epoch - 1) / total)) ** self.power
        return [lr * factor for lr in self._group_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        factor = (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters) ** self.power
        return [base_lr * factor for base_lr in self.base_lrs]
