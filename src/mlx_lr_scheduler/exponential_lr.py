"""``ExponentialLR``: decay by ``gamma`` every epoch."""

from __future__ import annotations

from typing import Any

from mlx_lr_scheduler import state as st
from mlx_lr_scheduler.scheduler import LRScheduler
from mlx_lr_scheduler.validation import check_real

__all__ = ["ExponentialLR"]


class ExponentialLR(LRScheduler):
    r"""Multiply each group's learning rate by ``gamma`` every epoch.

    .. math:: \eta_t = \eta_0 \cdot \gamma^t

    Args:
        optimizer: MLX optimizer (one group) or ``MultiOptimizer`` (one group each).
        gamma: multiplicative factor, ``>= 0``; ``> 1`` grows the LR.
        last_epoch: index of the last epoch, ``-1`` to start fresh. Default: ``-1``.

    Example:
        >>> import mlx.optimizers as optim
        >>> scheduler = ExponentialLR(optim.SGD(learning_rate=1.0), gamma=0.5)
        >>> lrs = []
        >>> for epoch in range(4):
        ...     lrs.append(scheduler.get_last_lr()[0])
        ...     scheduler.step()
        >>> lrs
        [1.0, 0.5, 0.25, 0.125]
    """

    _state_schema = {"gamma": st.real(low=0.0), **LRScheduler._state_schema}

    def __init__(self, optimizer: Any, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = check_real("gamma", gamma, low=0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_if_outside_step()
        if self._is_initial:
            return self._group_lrs()
        return [lr * self.gamma for lr in self._group_lrs()]

    def _get_closed_form_lr(self) -> list[float]:
        factor = self.gamma**self.last_epoch
        return [base_lr * factor for base_lr in self.base_lrs]
