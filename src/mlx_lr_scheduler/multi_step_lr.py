"""``MultiStepLR``: decay by ``gamma`` at each milestone epoch."""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from mlx_lr_scheduler import schedule_math as sm
from mlx_lr_scheduler import state as st
from mlx_lr_scheduler.scheduler import LRScheduler
from mlx_lr_scheduler.validation import (
    LR,
    STEPS_PER_EPOCH,
    Arguments,
    Check,
    Real,
    check_int,
    power,
)

__all__ = ["MultiStepLR", "multi_step_lr"]


def _check_milestones(name: str, milestones: Any) -> list[int]:
    """Milestones as a sorted list with repeats (a repeated epoch decays twice)."""
    if isinstance(milestones, (str, bytes, Mapping)) or not isinstance(milestones, Iterable):
        raise TypeError(f"{name} must be an iterable of integers, but got {milestones!r}")
    return sorted(check_int(f"{name}[{i}]", m, minimum=0) for i, m in enumerate(milestones))


ARGUMENTS = Arguments(
    base_lr=LR,
    milestones=Check(_check_milestones),
    gamma=Real(low=0.0),
    steps_per_epoch=STEPS_PER_EPOCH,
)


class MultiStepLR(LRScheduler):
    r"""Decay each group's learning rate by ``gamma`` at every milestone epoch.

    .. math:: \eta_t = \eta_0 \cdot \gamma^{\#\{m \in M \,:\, m \le t\}}

    where :math:`\eta_0` is the group's initial learning rate, :math:`M` is
    ``milestones`` (a milestone listed twice counts twice) and :math:`\gamma`
    is ``gamma``. Computed as torch does: the current learning rate is
    multiplied by :math:`\gamma^k` at an epoch listed :math:`k` times.

    Args:
        optimizer: MLX optimizer (one group) or ``MultiOptimizer`` (one group each).
        milestones: epochs at which to decay, integers ``>= 0``, in any order;
            repeats decay repeatedly. An empty list keeps the learning rate
            constant; a milestone ``0`` decays from the start. (torch also takes
            negative or non-integer milestones, which its step-by-step and
            closed forms then treat differently; both are refused here.)
        gamma: multiplicative factor, a finite number ``>= 0``. ``0`` drops the
            learning rate to 0 at the first milestone. Default: ``0.1``.
        last_epoch: index of the last epoch, ``-1`` to start fresh. Default: ``-1``.

    ``state_dict()["milestones"]`` is a sorted list with repeats; torch's
    ``Counter`` is accepted on load (see :mod:`mlx_lr_scheduler.torch_state`).

    Example (the learning rate used by the optimizer update after ``epoch`` steps):
        >>> import mlx.optimizers as optim
        >>> scheduler = MultiStepLR(optim.SGD(learning_rate=1.0), milestones=[3, 1], gamma=0.1)
        >>> for epoch in range(5):
        ...     print(f"epoch {epoch}: {scheduler.get_last_lr()[0]}")
        ...     scheduler.step()
        epoch 0: 1.0
        epoch 1: 0.1
        epoch 2: 0.1
        epoch 3: 0.010000000000000002
        epoch 4: 0.010000000000000002
    """

    _state_schema = {
        **st.fields(ARGUMENTS, "milestones", "gamma"),
        **LRScheduler._state_schema,
    }

    def __init__(
        self, optimizer: Any, milestones: Iterable[int], gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        self.milestones = ARGUMENTS.check("milestones", milestones)
        self.gamma = ARGUMENTS.check("gamma", gamma)
        super().__init__(optimizer, last_epoch)

    @property
    def milestones(self) -> list[int]:
        """The milestones, sorted, with repeats."""
        return self._milestones

    @milestones.setter
    def milestones(self, value: list[int]) -> None:
        self._milestones = value
        self._milestone_counts = Counter(value)

    def _chain_lr(self, lr: float, base_lr: float, index: int) -> float:
        count = self._milestone_counts.get(self.last_epoch)
        if count is None:
            return lr
        return lr * power(self.gamma, count)

    def _get_closed_form_lr(self) -> list[float]:
        factor = power(self.gamma, bisect_right(self._milestones, self.last_epoch))
        return [base_lr * factor for base_lr in self.base_lrs]

    def _schedule(self, group: int) -> sm.Schedule:
        return multi_step_lr(self.base_lrs[group], self._milestones, self.gamma)


# -- the schedule function ------------------------------------------------------


def multi_step_lr(
    base_lr: float, milestones: Iterable[int], gamma: float = 0.1, steps_per_epoch: int = 1
) -> sm.Schedule:
    r""":class:`MultiStepLR` as a function of the step: decay by ``gamma`` at each milestone.

    :class:`MultiStepLR`'s :math:`\eta_e` (its formula is there), at the epoch
    :math:`e = \lfloor t / k \rfloor` of step :math:`t`, with :math:`\eta_0` =
    ``base_lr`` and :math:`k` = ``steps_per_epoch``.

    Args:
        base_lr: the learning rate before the first milestone, ``>= 0``.
        milestones: epochs at which to decay, integers ``>= 0``, in any order.
            An empty list keeps the LR constant; a milestone at 0 decays from the start.
        gamma: multiplicative factor, ``>= 0``. Default: ``0.1``.
        steps_per_epoch: steps in an epoch, an integer ``>= 1``. Default: ``1``.

    Returns:
        ``schedule(step)``: a float for an ``int`` step, float32 values for an
        ``mx.array`` of integer steps. An array step costs a binary search:
        ``log2(len(milestones))`` gathers.

    Example:
        >>> import mlx.core as mx
        >>> schedule = multi_step_lr(1.0, milestones=[1, 3], gamma=0.5)
        >>> schedule(0), schedule(1), schedule(3)
        (1.0, 0.5, 0.25)
        >>> schedule(mx.arange(5))
        array([1, 0.5, 0.5, 0.25, 0.25], dtype=float32)
    """
    arguments = ARGUMENTS.check_all(locals())
    base_lr, epochs, gamma, steps_per_epoch = arguments.values()
    power = sm.Power(gamma)
    boundaries = sm.Boundaries([m * steps_per_epoch for m in epochs])

    def schedule(step: Any) -> Any:
        t = sm.check_step(step)
        return sm.finish(base_lr * power(boundaries.count(t)), t)

    return sm.Schedule(schedule, "multi_step_lr", **arguments)
