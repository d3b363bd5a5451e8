"""``CosineAnnealingLR``: cosine annealing from the initial LR to ``eta_min``."""

from __future__ import annotations

import math
from typing import Any

from mlx_lr_scheduler import schedule_math as sm
from mlx_lr_scheduler import state as st
from mlx_lr_scheduler.scheduler import LRScheduler
from mlx_lr_scheduler.validation import FLOAT32_MAX, LR, STEPS_PER_EPOCH, Arguments, Integer, Real

__all__ = ["CosineAnnealingLR", "cosine_annealing_lr"]

ARGUMENTS = Arguments(
    base_lr=LR,
    T_max=Integer(minimum=1),
    eta_min=Real(low=0.0, high=FLOAT32_MAX),
    steps_per_epoch=STEPS_PER_EPOCH,
)

_cos, _PI = math.cos, math.pi  # module globals: a step reads them without attribute lookups


class CosineAnnealingLR(LRScheduler):
    r"""Anneal each group's learning rate along a cosine from its initial value to ``eta_min``.

    .. math:: \eta_t = \eta_{min} + (\eta_0 - \eta_{min})\,\frac{1 + \cos(\pi t / T)}{2}

    where :math:`\eta_0` is the group's initial learning rate, :math:`T` is
    ``T_max`` and :math:`\eta_{min}` is ``eta_min``. Like torch, the curve keeps
    going past :math:`T` (back up to :math:`\eta_0` at :math:`2T`, and so on):
    it is not clamped. Computed as torch does, step by step from the current
    learning rate (``(1 + cos(pi t/T)) / (1 + cos(pi (t-1)/T))`` times its
    distance to :math:`\eta_{min}`). This is SGDR's annealing without the
    restarts (Loshchilov & Hutter, https://arxiv.org/abs/1608.03983).

    Args:
        optimizer: MLX optimizer (one group) or ``MultiOptimizer`` (one group each).
        T_max: half-period in epochs, an integer ``>= 1``. (torch takes ``0``,
            then fails with ``ZeroDivisionError`` on the first step.)
        eta_min: the minimum learning rate, ``>= 0`` and at most the largest
            float32 (an MLX optimizer holds its LR as one). It may exceed the
            initial learning rate (the cosine then rises to it).
            (torch takes a negative ``eta_min`` and sets negative learning
            rates.) Default: ``0.0``.
        last_epoch: index of the last epoch, ``-1`` to start fresh. Default: ``-1``.

    Where torch's step-by-step form produces a negative learning rate (from
    rounding when the initial learning rate is 0, or from a learning rate set
    by hand below ``eta_min``), the learning rate is 0 here.

    Example (the learning rate used by the optimizer update after ``epoch`` steps):
        >>> import mlx.optimizers as optim
        >>> scheduler = CosineAnnealingLR(optim.SGD(learning_rate=1.0), T_max=4)
        >>> for epoch in range(6):
        ...     print(f"epoch {epoch}: {scheduler.get_last_lr()[0]}")
        ...     scheduler.step()
        epoch 0: 1.0
        epoch 1: 0.8535533905932737
        epoch 2: 0.5
        epoch 3: 0.14644660940672627
        epoch 4: 0.0
        epoch 5: 0.1464466094067262
    """

    _state_schema = {
        **st.fields(ARGUMENTS, "T_max", "eta_min"),
        **LRScheduler._state_schema,
    }

    T_max: int
    eta_min: float

    def __init__(
        self, optimizer: Any, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        self.T_max = ARGUMENTS.check("T_max", T_max)
        self.eta_min = ARGUMENTS.check("eta_min", eta_min)
        super().__init__(optimizer, last_epoch)

    def _chain_lr(self, lr: float, base_lr: float, index: int) -> float:
        epoch, period, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return lr
        if self._step_count == 1 and epoch > 0:
            return eta_min + (base_lr - eta_min) * (1 + math.cos(epoch * math.pi / period)) / 2
        # The step-by-step forms below start from the current LR, so they can go
        # negative where the closed form cannot (an LR below eta_min while the
        # cosine rises, or rounding around an LR of 0): never set a negative LR.
        if (epoch - 1 - period) % (2 * period) == 0:
            # Leaving the trough: the ratio form below would divide by zero.
            rise = 1 - _cos(_PI / period)
            lr = lr + (base_lr - eta_min) * rise / 2
        else:
            ratio = (1 + _cos(_PI * epoch / period)) / (1 + _cos(_PI * (epoch - 1) / period))
            lr = ratio * (lr - eta_min) + eta_min
        return 0.0 if lr < 0.0 else lr  # max(lr, 0.0), without the call

    def _get_closed_form_lr(self) -> list[float]:
        epoch, period, eta_min = self.last_epoch, self.T_max, self.eta_min
        cosine = 1 + math.cos(math.pi * epoch / period)
        return [eta_min + (base_lr - eta_min) * cosine / 2 for base_lr in self.base_lrs]

    def _schedule(self, group: int) -> sm.Schedule:
        return cosine_annealing_lr(self.base_lrs[group], self.T_max, self.eta_min)


# -- the schedule function ------------------------------------------------------


def cosine_annealing_lr(
    base_lr: float, T_max: int, eta_min: float = 0.0, steps_per_epoch: int = 1
) -> sm.Schedule:
    r""":class:`CosineAnnealingLR` as a function of the step: a cosine down to ``eta_min``.

    .. math:: \eta(t) = \eta_{min} + (\eta_0 - \eta_{min})\,\frac{1 + \cos(\pi e / T)}{2}
        = \eta_{min} + (\eta_0 - \eta_{min}) \sin^2\!\Big(\frac{\pi\,|T - r|}{2T}\Big)

    with :math:`\eta_0` = ``base_lr``, :math:`\eta_{min}` = ``eta_min``, :math:`T` =
    ``T_max``, :math:`e = \lfloor t / k \rfloor` for :math:`k` = ``steps_per_epoch``
    and :math:`r = e \bmod 2T`. Like the class (and torch), the curve is not
    clamped: past :math:`T` it rises back to :math:`\eta_0` at :math:`2T`. The
    :math:`\sin^2` of the exact distance to the trough keeps the relative accuracy
    in the tail, where ``1 + cos`` cancels. Loshchilov & Hutter,
    https://arxiv.org/abs/1608.03983.

    Args:
        base_lr: the learning rate at step 0, ``>= 0``.
        T_max: half-period in epochs, an integer ``>= 1``.
        eta_min: the minimum learning rate, ``>= 0`` and at most the largest
            float32. It may exceed ``base_lr`` (the curve then rises to it).
            Default: ``0.0``.
        steps_per_epoch: steps in an epoch, an integer ``>= 1``. Default: ``1``.

    Returns:
        ``schedule(step)``: a float for an ``int`` step, float32 values for an
        ``mx.array`` of integer steps.

    Example:
        >>> import mlx.core as mx
        >>> schedule = cosine_annealing_lr(1.0, T_max=4)
        >>> schedule(0), round(schedule(1), 6), schedule(4)
        (1.0, 0.853553, 0.0)
        >>> schedule(mx.arange(5))
        array([1, 0.853553, 0.5, 0.146447, 0], dtype=float32)
    """
    arguments = ARGUMENTS.check_all(locals())
    base_lr, T_max, eta_min, steps_per_epoch = arguments.values()
    # Rise from the lower end with the weight of the upper one: nothing cancels,
    # whichever of base_lr and eta_min is larger.
    low, high = sorted((base_lr, eta_min))
    base_on_top = base_lr >= eta_min
    scale = math.pi / (2 * T_max)

    def schedule(step: Any) -> Any:
        t = sm.check_step(step)
        to_trough = sm.distance(sm.epoch_of(t, steps_per_epoch) % (2 * T_max), T_max)
        weight = sm.sin_squared(to_trough if base_on_top else T_max - to_trough, scale)
        return sm.finish(low + (high - low) * weight, t)

    return sm.Schedule(schedule, "cosine_annealing_lr", **arguments)
