"""``SWALR``: anneal to a constant learning rate for stochastic weight averaging."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mlx_lr_scheduler import schedule_math as sm
from mlx_lr_scheduler import state as st
from mlx_lr_scheduler.scheduler import LRScheduler
from mlx_lr_scheduler.validation import (
    LAST_EPOCH,
    LOADED_LR,
    LR,
    STEPS_PER_EPOCH,
    Arguments,
    Choice,
    Integer,
)

__all__ = ["SWALR", "swa_lr"]


_ANNEAL: dict[str, Callable[[float], float]] = {
    "cos": lambda t: (1 - math.cos(math.pi * t)) / 2,
    "linear": lambda t: t,
}


ARGUMENTS = Arguments(
    base_lr=LR,
    swa_lr=LR,
    anneal_epochs=Integer(minimum=0),
    anneal_strategy=Choice(*_ANNEAL),
    steps_per_epoch=STEPS_PER_EPOCH,
)


def _load_swa_lrs(key: str, records: Any, n_groups: int) -> list[float]:
    """``[{"swa_lr": value}, ...]``, one per group, checked."""
    if not isinstance(records, (list, tuple)) or len(records) != n_groups:
        raise ValueError(
            f"{key} must be a list of one dict per parameter group ({n_groups}), "
            f"but got {records!r}"
        )
    values = []
    for i, record in enumerate(records):
        if not isinstance(record, Mapping) or set(record) != {"swa_lr"}:
            raise ValueError(f"{key}[{i}] must be {{'swa_lr': number}}, but got {record!r}")
        values.append(LOADED_LR.check(f"{key}[{i}]['swa_lr']", record["swa_lr"]))
    return values


class SWALR(LRScheduler):
    r"""Anneal each group's learning rate to ``swa_lr`` over ``anneal_epochs``, then hold it.

    torch's ``torch.optim.swa_utils.SWALR``. With :math:`A` = ``anneal_epochs``
    and :math:`\eta_{swa}` = ``swa_lr``, the LR at the k-th ``step()`` is

    .. math::
        \eta_k = \alpha_k\,\eta_{swa} + (1 - \alpha_k)\,\eta_{start}, \qquad
        \alpha_k = a\bigl(\min(1, k / \max(1, A))\bigr)

    where :math:`\eta_{start}` is the group's LR when annealing began and
    :math:`a(t) = (1 - \cos \pi t)/2` for ``"cos"``, :math:`a(t) = t` for
    ``"linear"``. Like torch, each step recovers :math:`\eta_{start}` from the
    current LR, so the anneal continues from whatever LR the group holds: the
    LR left by the schedule before it (see below), or one set by hand. The count
    :math:`k` is the number of ``step()`` calls, not ``last_epoch``.

    SWA after another schedule, as in torch: ``SequentialLR(opt, [cosine, swa],
    milestones=[m])``. At the milestone the LR stays at the cosine's last value
    for one epoch (torch 2.13's behaviour), then anneals to ``swa_lr``. Or step
    one or the other by hand (torch's documented pattern): ``swa.step() if epoch
    > swa_start else cosine.step()``. Averaging the weights themselves is up to
    the training loop. Izmailov et al., https://arxiv.org/abs/1803.05407.

    Args:
        optimizer: MLX optimizer (one group) or ``MultiOptimizer`` (one group each).
        swa_lr: the learning rate to anneal to, ``>= 0``, or a list with one per
            parameter group. Stored in each group as ``group["swa_lr"]`` (as in
            torch) and in ``state_dict()`` under ``"param_groups"``.
        anneal_epochs: epochs of annealing, an integer ``>= 0``. ``0`` sets
            ``swa_lr`` at once: at construction, or at the milestone of a
            ``SequentialLR``. Default: ``10``.
        anneal_strategy: ``"cos"`` or ``"linear"``. Default: ``"cos"``.
        last_epoch: index of the last epoch, ``-1`` to start fresh. Default: ``-1``.

    Example (from 1.0 to 0.25 over 3 epochs, linearly):
        >>> import mlx.optimizers as optim
        >>> opt = optim.SGD(learning_rate=1.0)
        >>> scheduler = SWALR(opt, swa_lr=0.25, anneal_epochs=3, anneal_strategy="linear")
        >>> for epoch in range(5):
        ...     print(f"epoch {epoch}: {scheduler.get_last_lr()[0]}")
        ...     scheduler.step()
        epoch 0: 1.0
        epoch 1: 0.7500000000000001
        epoch 2: 0.5
        epoch 3: 0.25
        epoch 4: 0.25
    """

    _state_schema = {
        "_anneal_strategy": st.field(ARGUMENTS["anneal_strategy"]),
        **st.fields(ARGUMENTS, "anneal_epochs"),
        **LRScheduler._state_schema,
        # Each group's swa_lr, which torch keeps in the optimizer's param groups.
        "param_groups": st.Field(
            _load_swa_lrs, lambda groups: [{"swa_lr": group["swa_lr"]} for group in groups]
        ),
    }

    def __init__(
        self,
        optimizer: Any,
        swa_lr: float | Sequence[float],
        anneal_epochs: int = 10,
        anneal_strategy: str = "cos",
        last_epoch: int = -1,
    ) -> None:
        groups = self._bind(optimizer)
        swa_lrs = ARGUMENTS.per_group("swa_lr", swa_lr, len(groups))
        self.anneal_epochs = ARGUMENTS.check("anneal_epochs", anneal_epochs)
        self._anneal_strategy = ARGUMENTS.check("anneal_strategy", anneal_strategy)
        LAST_EPOCH.check("last_epoch", last_epoch)
        self.swa_lrs = swa_lrs
        super().__init__(optimizer, last_epoch)

    @property
    def swa_lrs(self) -> list[float]:
        """Each group's ``swa_lr``, kept in the group as torch keeps it."""
        return [group["swa_lr"] for group in self.param_groups]

    @swa_lrs.setter
    def swa_lrs(self, values: list[float]) -> None:
        for group, value in zip(self.param_groups, values):
            group["swa_lr"] = value

    def _chain_lr(self, lr: float, base_lr: float, index: int) -> float:
        anneal = _ANNEAL[self._anneal_strategy]
        step = self._step_count - 1
        epochs = self.anneal_epochs
        span = epochs if epochs > 0 else 1
        if epochs == 0:
            step = step if step > 1 else 1
        # max(0, min(1, x)) as conditionals (x is never NaN here): the same values.
        t = (step - 1) / span
        t = t if t < 1 else 1
        previous_alpha = anneal(t if t > 0 else 0)
        t = step / span
        t = t if t < 1 else 1
        alpha = anneal(t if t > 0 else 0)
        # swa_lr is a group entry (torch keeps it in the optimizer's param groups).
        swa_lr: float = self.param_groups[index].entries["swa_lr"]
        # Undo the previous step's interpolation to find the LR the anneal started from.
        if previous_alpha == 1:
            start = swa_lr
        else:
            start = (lr - previous_alpha * swa_lr) / (1 - previous_alpha)
        return swa_lr * alpha + start * (1 - alpha)

    def _apply_state(self, checked: dict[str, Any]) -> None:
        swa_lrs = checked.pop("param_groups")
        super()._apply_state(checked)
        self.swa_lrs = swa_lrs

    #: SWALR anneals from the LR it finds: after another schedule in a SequentialLR
    #: that is not ``base_lr``, so no closed form holds there.
    _schedule_joins = False

    def _schedule(self, group: int) -> sm.Schedule:
        return swa_lr(
            self.base_lrs[group], self.swa_lrs[group], self.anneal_epochs, self._anneal_strategy
        )


# -- the schedule function ------------------------------------------------------


def swa_lr(
    base_lr: float,
    swa_lr: float,
    anneal_epochs: int = 10,
    anneal_strategy: str = "cos",
    steps_per_epoch: int = 1,
) -> sm.Schedule:
    r""":class:`SWALR` as a function of the step: anneal from ``base_lr`` to ``swa_lr``, then hold.

    .. math:: \eta(t) = \alpha\,\eta_{swa} + (1 - \alpha)\,\eta_0, \qquad
        \alpha = a\Big(\frac{\min(e, A)}{A}\Big),\ e = \lfloor t / k \rfloor

    with :math:`\eta_0` = ``base_lr``, :math:`\eta_{swa}` = ``swa_lr``, :math:`A` =
    ``anneal_epochs``, :math:`k` = ``steps_per_epoch``, and :math:`a(x) = (1 - \cos
    \pi x)/2 = \sin^2(\pi x / 2)` for ``"cos"``, :math:`a(x) = x` for ``"linear"``.
    Both weights are computed from exact integers (:math:`1 - \alpha` as
    :math:`\sin^2(\pi (A - \min(e, A)) / (2A))`), so neither end loses accuracy.
    Izmailov et al., "Averaging Weights Leads to Wider Optima and Better
    Generalization", https://arxiv.org/abs/1803.05407.

    Args:
        base_lr: the learning rate annealing starts from (the optimizer's when
            :class:`SWALR` is built), ``>= 0``.
        swa_lr: the learning rate to anneal to, ``>= 0``.
        anneal_epochs: epochs of annealing, an integer ``>= 0``; ``0`` is
            ``swa_lr`` from the start. Default: ``10``.
        anneal_strategy: ``"cos"`` or ``"linear"``. Default: ``"cos"``.
        steps_per_epoch: steps in an epoch, an integer ``>= 1``. Default: ``1``.

    Returns:
        ``schedule(step)``: a float for an ``int`` step, float32 values for an
        ``mx.array`` of integer steps.

    Example (from 1.0 to 0.25 over 3 steps, linearly):
        >>> import mlx.core as mx
        >>> schedule = swa_lr(1.0, swa_lr=0.25, anneal_epochs=3, anneal_strategy="linear")
        >>> schedule(0), schedule(2), schedule(3), schedule(100)
        (1.0, 0.5, 0.25, 0.25)
        >>> schedule(mx.arange(5))
        array([1, 0.75, 0.5, 0.25, 0.25], dtype=float32)
    """
    arguments = ARGUMENTS.check_all(locals())
    base_lr, target, anneal_epochs, anneal_strategy, steps_per_epoch = arguments.values()
    span = max(1, anneal_epochs)
    scale = math.pi / (2 * span)

    def schedule(step: Any) -> Any:
        t = sm.check_step(step)
        if anneal_epochs == 0:
            return sm.finish(target, t)
        done = sm.minimum(sm.epoch_of(t, steps_per_epoch), span)
        left = span - done
        if anneal_strategy == "cos":
            to_target, to_base = sm.sin_squared(done, scale), sm.sin_squared(left, scale)
        else:
            to_target, to_base = sm.as_float(done) / span, sm.as_float(left) / span
        return sm.finish(target * to_target + base_lr * to_base, t)

    return sm.Schedule(schedule, "swa_lr", **arguments)
