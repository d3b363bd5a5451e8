"""``CosineAnnealingLR``: cosine annealing from the initial LR to ``eta_min``."""

from __future__ import annotations

import math
from typing import Any

from mlx_lr_scheduler import state as st
from mlx_lr_scheduler.scheduler import LRScheduler
from mlx_lr_scheduler.validation import check_int, check_real

__all__ = ["CosineAnnealingLR"]


class CosineAnnealingLR(LRScheduler):
    r"""Anneal each group's learning rate along a cosine from its initial value to ``eta_min``.

    .. math:: \eta_t = \eta_{min} + (\eta_0 - \eta_{min})\,\frac{1 + \cos(\pi t / T)}{2}

    with :math:`T` = ``T_max``. Like torch, the curve keeps going past
    :math:`T` (back up to :math:`\eta_0` at :math:`2T`, and so on): it is not
    clamped. This is SGDR's annealing without the restarts (Loshchilov &
    Hutter, https://arxiv.org/abs/1608.03983); see
    :class:`CosineAnnealingWarmRestarts` for the restarts.

    Args:
        optimizer: MLX optimizer (one group) or ``MultiOptimizer`` (one group each).
        T_max: half-period in epochs, an integer ``>= 1``.
        eta_min: the minimum learning rate, ``>= 0``. Default: ``0.0``.
        last_epoch: index of the last epoch, ``-1`` to start fresh. Default: ``-1``.

    Example:
        >>> import mlx.optimizers as optim
        >>> scheduler = CosineAnnealingLR(optim.SGD(learning_rate=1.0), T_max=4)
        >>> lrs = []
        >>> for epoch in range(5):
        ...     lrs.append(round(scheduler.get_last_lr()[0], 6))
        ...     scheduler.step()
        >>> lrs
        [1.0, 0.853553, 0.5, 0.146447, 0.0]
    """

    _state_schema = {
        "T_max": st.integer(minimum=1),
        "eta_min": st.real(low=0.0),
        **LRScheduler._state_schema,
    }

    def __init__(
        self, optimizer: Any, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        self.T_max = check_int("T_max", T_max, minimum=1)
        self.eta_min = check_real("eta_min", eta_min, low=0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_if_outside_step()
        epoch, period, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._group_lrs()
        if self._step_count == 1 and epoch > 0:
            return [
                eta_min + (base_lr - eta_min) * (1 + math.cos(epoch * math.pi / period)) / 2
                for base_lr in self.base_lrs
            ]
        if (epoch - 1 - period) % (2 * period) == 0:
            # Leaving the trough: the ratio form below would divide by zero.
            rise = 1 - math.cos(math.pi / period)
            return [
                lr + (base_lr - eta_min) * rise / 2
                for base_lr, lr in zip(self.base_lrs, self._group_lrs())
            ]
        ratio = (1 + math.cos(math.pi * epoch / period)) / (
            1 + math.cos(math.pi * (epoch - 1) / period)
        )
        return [ratio * (lr - eta_min) + eta_min for lr in self._group_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        epoch, period, eta_min = self.last_epoch, self.T_max, self.eta_min
        cosine = 1 + math.cos(math.pi * epoch / period)
        return [eta_min + (base_lr - eta_min) * cosine / 2 for base_lr in self.base_lrs]
