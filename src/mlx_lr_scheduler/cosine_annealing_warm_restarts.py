"""``CosineAnnealingWarmRestarts``: cosine annealing that restarts every ``T_i`` epochs (SGDR)."""

from __future__ import annotations

import math
import numbers
from typing import Any

import mlx.core as mx

from mlx_lr_scheduler import schedule_math as sm
from mlx_lr_scheduler import state as st
from mlx_lr_scheduler.scheduler import LRScheduler
from mlx_lr_scheduler.validation import (
    LAST_EPOCH,
    LR,
    STEPS_PER_EPOCH,
    Arguments,
    Check,
    Integer,
)

__all__ = ["CosineAnnealingWarmRestarts", "cosine_annealing_warm_restarts"]


def _check_position(name: str, value: Any) -> float | int:
    """A finite epoch (or position in a cycle) ``>= 0``; an ``int`` stays an ``int``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a real number >= 0, but got {value!r} ({type(value).__name__})"
        )
    result = int(value) if isinstance(value, numbers.Integral) else float(value)
    if not (math.isfinite(result) and result >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, but got {result!r}")
    return result


def _cycle_at(epoch: float | int, T_0: int, T_mult: int) -> tuple[float | int, int]:
    """``(T_cur, T_i)``: the position of ``epoch`` in its cycle, and that cycle's length.

    Cycle ``n`` starts at epoch ``T_0 (T_mult^n - 1) / (T_mult - 1)``. torch finds ``n``
    as ``int(log(...))``, which rounds down one cycle too far when the logarithm of an
    exact power lands just below an integer (``log(243, 3) = 4.999...``); walking the
    cycle starts in integers finds it exactly.
    """
    if epoch < T_0:
        return epoch, T_0
    if T_mult == 1:
        return epoch % T_0, T_0
    start, length = 0, T_0
    while start + length <= epoch:
        start += length
        length *= T_mult
    # A float, as torch's T_cur is on this path (its start is a true division).
    return epoch - float(start), length


ARGUMENTS = Arguments(
    base_lr=LR,
    T_0=Integer(minimum=1),
    T_mult=Integer(minimum=1),
    eta_min=LR,
    steps_per_epoch=STEPS_PER_EPOCH,
    epoch=Check(_check_position),
)


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""Anneal each group's learning rate along a cosine, restarting every ``T_i`` epochs.

    .. math::
        \eta_t = \eta_{min} + (\eta_0 - \eta_{min})\,
                 \frac{1 + \cos(\pi\,T_{cur} / T_i)}{2}

    where :math:`\eta_0` is the group's initial learning rate,
    :math:`\eta_{min}` = ``eta_min``, :math:`T_{cur}` the epochs since the last
    restart and :math:`T_i` the length of the current cycle: :math:`T_0` =
    ``T_0`` at first, multiplied by ``T_mult`` at each restart. At a restart
    :math:`T_{cur} = 0` and the LR is back to :math:`\eta_0`; the LR reaches
    :math:`\eta_{min}` only in the limit, never on a whole epoch. SGDR: Loshchilov
    & Hutter, https://arxiv.org/abs/1608.03983.

    ``step()`` advances one epoch. ``step(epoch)`` jumps to ``epoch``, which may
    be fractional, to anneal per batch as torch's documentation does it:
    ``scheduler.step(epoch + i / iters)`` for batch ``i`` of ``iters``. Both
    calls can be interleaved: after ``step(26)``, ``step()`` goes to 27. Unlike
    the other schedulers, ``step(epoch)`` is not deprecated here and does not warn.

    Args:
        optimizer: MLX optimizer (one group) or ``MultiOptimizer`` (one group each).
        T_0: length of the first cycle in epochs, an integer ``>= 1``.
        T_mult: factor by which each cycle is longer than the last, an integer
            ``>= 1``. Default: ``1`` (every cycle ``T_0`` long).
        eta_min: the minimum learning rate, ``>= 0``. Default: ``0.0``.
            ``eta_min`` above the initial LR turns the cosine upside down.
        last_epoch: index of the last epoch, ``-1`` to start fresh. Default: ``-1``.

    Raises:
        TypeError, ValueError: an argument, or the ``epoch`` of ``step(epoch)``,
            is of the wrong type or out of range (``step(epoch)`` needs a finite
            ``epoch >= 0``).

    Example (``T_0=2, T_mult=2``: cycles of 2, 4, 8, ... epochs, restarts at 2 and 6):
        >>> import mlx.optimizers as optim
        >>> scheduler = CosineAnnealingWarmRestarts(optim.SGD(learning_rate=1.0), T_0=2, T_mult=2)
        >>> for epoch in range(7):
        ...     print(f"epoch {epoch}: {scheduler.get_last_lr()[0]}")
        ...     scheduler.step()
        epoch 0: 1.0
        epoch 1: 0.5
        epoch 2: 1.0
        epoch 3: 0.8535533905932737
        epoch 4: 0.5
        epoch 5: 0.14644660940672627
        epoch 6: 1.0

    Per batch, as in torch's documentation (two batches an epoch, ``T_0=2``):
        >>> scheduler = CosineAnnealingWarmRestarts(optim.SGD(learning_rate=1.0), T_0=2)
        >>> iters = 2
        >>> for epoch in range(2):
        ...     for i in range(iters):
        ...         # ... optimizer.update(model, grads) on batch i ...
        ...         scheduler.step(epoch + i / iters)
        ...         print(f"epoch {epoch + i / iters}: {scheduler.get_last_lr()[0]}")
        epoch 0.0: 1.0
        epoch 0.5: 0.8535533905932737
        epoch 1.0: 0.5
        epoch 1.5: 0.14644660940672627
    """

    _state_schema = {
        "T_0": st.field(ARGUMENTS["T_0"]),
        "T_i": st.field(ARGUMENTS["T_0"]),  # the current cycle's length, a T_0 after restarts
        **st.fields(ARGUMENTS, "T_mult", "eta_min"),
        "T_cur": st.field(ARGUMENTS["epoch"]),  # the position in the cycle, as step(epoch)'s
        **LRScheduler._state_schema,
    }

    T_cur: float | int

    def __init__(
        self,
        optimizer: Any,
        T_0: int,
        T_mult: int = 1,
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        self.T_0 = ARGUMENTS.check("T_0", T_0)
        self.T_i = self.T_0
        self.T_mult = ARGUMENTS.check("T_mult", T_mult)
        self.eta_min = ARGUMENTS.check("eta_min", eta_min)
        # torch starts the count at last_epoch; the initial step() moves it to the next epoch.
        self.T_cur = LAST_EPOCH.check("last_epoch", last_epoch)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_if_outside_step()
        eta_min = self.eta_min
        cosine = 1 + math.cos(math.pi * self.T_cur / self.T_i)
        return [eta_min + (base_lr - eta_min) * cosine / 2 for base_lr in self.base_lrs]

    def step(self, epoch: float | None = None) -> None:
        """Advance one epoch, or jump to ``epoch`` (a number ``>= 0``, fractional allowed)."""
        if epoch is None and self.last_epoch >= 0:
            T_cur, T_i = self.T_cur + 1, self.T_i
            if T_cur >= T_i:
                T_cur, T_i = T_cur % T_i, T_i * self.T_mult
            last_epoch = self.last_epoch + 1
        else:
            target = 0 if epoch is None else ARGUMENTS.check("epoch", epoch)
            T_cur, T_i = _cycle_at(target, self.T_0, self.T_mult)
            last_epoch = math.floor(target)
        previous = (self.T_cur, self.T_i, self.last_epoch)
        self.T_cur, self.T_i, self.last_epoch = T_cur, T_i, last_epoch
        self._in_step = True
        try:
            self._set_lrs(self.get_lr())
        except BaseException:
            self.T_cur, self.T_i, self.last_epoch = previous
            raise
        finally:
            self._in_step = False

    def _schedule(self, group: int) -> sm.Schedule:
        return cosine_annealing_warm_restarts(
            self.base_lrs[group], self.T_0, self.T_mult, self.eta_min
        )


# -- the schedule function ------------------------------------------------------


def cosine_annealing_warm_restarts(
    base_lr: float, T_0: int, T_mult: int = 1, eta_min: float = 0.0, steps_per_epoch: int = 1
) -> sm.Schedule:
    r""":class:`CosineAnnealingWarmRestarts` as a function of the step: SGDR's cosine cycles.

    .. math:: \eta(t) = \eta_{min} + (\eta_0 - \eta_{min})\,
        \frac{1 + \cos(\pi T_{cur} / T_i)}{2}
        = \eta_{min} + (\eta_0 - \eta_{min}) \sin^2\!\Big(\frac{\pi (T_i - T_{cur})}{2 T_i}\Big)

    with :math:`\eta_0` = ``base_lr``, :math:`\eta_{min}` = ``eta_min``; epoch
    :math:`e = \lfloor t / k \rfloor` for :math:`k` = ``steps_per_epoch`` lies in
    cycle :math:`n`, which starts at :math:`s_n = T_0 (m^n - 1)/(m - 1)` (at
    :math:`n T_0` for :math:`m` = ``T_mult`` = 1) and lasts :math:`T_i = T_0 m^n`;
    :math:`T_{cur} = e - s_n`. The cycle is found by counting cycle starts in
    integers (no logarithm, so no cycle is missed at an exact power), and
    :math:`T_i - T_{cur}`, the distance to the next restart, is exact: the tail of
    every cycle keeps its relative accuracy, over millions of steps and cycles.
    SGDR: Loshchilov & Hutter, https://arxiv.org/abs/1608.03983.

    Args:
        base_lr: the learning rate at each restart, ``>= 0``.
        T_0: length of the first cycle in epochs, an integer ``>= 1``.
        T_mult: factor by which each cycle is longer than the last, an integer
            ``>= 1``. Default: ``1``.
        eta_min: the minimum learning rate, ``>= 0`` (above ``base_lr`` the cosine
            turns upside down). Default: ``0.0``.
        steps_per_epoch: steps in an epoch, an integer ``>= 1``. Default: ``1``.

    Returns:
        ``schedule(step)``: a float for an ``int`` step, float32 values for an
        ``mx.array`` of integer steps.

    Example (cycles of 2, 4, 8, ... steps: restarts at 2 and 6):
        >>> import mlx.core as mx
        >>> schedule = cosine_annealing_warm_restarts(1.0, T_0=2, T_mult=2)
        >>> schedule(1), schedule(2), round(schedule(5), 6), schedule(6)
        (0.5, 1.0, 0.146447, 1.0)
        >>> schedule(mx.array([0, 1, 2, 4, 6]))
        array([1, 0.5, 1, 0.5, 1], dtype=float32)
    """
    arguments = ARGUMENTS.check_all(locals())
    base_lr, T_0, T_mult, eta_min, steps_per_epoch = arguments.values()
    low, high = sorted((base_lr, eta_min))
    base_on_top = base_lr >= eta_min
    # Every cycle that starts below 2**63: at most 63 of them when T_mult >= 2.
    starts, lengths = [0], [T_0]
    while T_mult > 1 and starts[-1] + lengths[-1] <= sm.MAX_STEP:
        starts.append(starts[-1] + lengths[-1])
        lengths.append(lengths[-1] * T_mult)
    restarts = sm.Boundaries(starts[1:])
    start_of = sm.Table(starts, mx.uint64)
    length_of = sm.Table([min(n, sm.MAX_STEP) for n in lengths], mx.uint64)
    scale_of = sm.Table([math.pi / (2 * n) for n in lengths], mx.float32)
    scale = math.pi / (2 * T_0)

    def schedule(step: Any) -> Any:
        t = sm.check_step(step)
        epoch = sm.epoch_of(t, steps_per_epoch)
        if T_mult == 1:
            position, length, cycle_scale = epoch % T_0, T_0, scale
        else:
            cycle = restarts.count(epoch)
            position = epoch - start_of[cycle]
            length, cycle_scale = length_of[cycle], scale_of[cycle]
        to_restart = length - position
        weight = sm.sin_squared(to_restart if base_on_top else position, cycle_scale)
        return sm.finish(low + (high - low) * weight, t)

    return sm.Schedule(schedule, "cosine_annealing_warm_restarts", **arguments)
