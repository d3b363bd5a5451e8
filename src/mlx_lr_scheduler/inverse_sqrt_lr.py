"""``InverseSqrtLR``: a linear warmup, then decay with the inverse square root of the step."""

from __future__ import annotations

import math
from typing import Any

from mlx_lr_scheduler import schedule_math as sm
from mlx_lr_scheduler import state as st
from mlx_lr_scheduler.lambda_lr import FactorLR
from mlx_lr_scheduler.scheduler import LRScheduler
from mlx_lr_scheduler.validation import LR, Arguments, Integer, OrNone

__all__ = ["InverseSqrtLR", "inverse_sqrt_lr"]

_TIMESCALE = Integer(minimum=1)


ARGUMENTS = Arguments(
    base_lr=LR,
    num_warmup_steps=Integer(minimum=0),
    timescale=OrNone(_TIMESCALE),
)


def _timescale(timescale: int | None, num_warmup_steps: int) -> int:
    """transformers' default: the warmup's length, or 10 000 without a warmup."""
    return timescale if timescale is not None else (num_warmup_steps or 10_000)


class InverseSqrtLR(FactorLR):
    r"""A linear warmup to the initial learning rate, then its decay as :math:`1/\sqrt{t}`.

    .. math:: \eta_t = \eta_0 \cdot \begin{cases}
            t / \max(1, W) & t < W \\
            1 / \sqrt{(t + \tau - W) / \tau} & t \ge W
        \end{cases}

    with :math:`\eta_0` each group's initial learning rate, :math:`W` =
    ``num_warmup_steps`` and :math:`\tau` = ``timescale``. transformers'
    ``get_inverse_sqrt_schedule`` (after big_vision), bit for bit. The
    Transformer's schedule (Vaswani et al., "Attention is all you need", 2017,
    https://arxiv.org/abs/1706.03762) and fairseq's ``inverse_sqrt`` (with
    ``warmup_init_lr=0``) are ``timescale=num_warmup_steps``: the peak
    :math:`\eta_0` at step :math:`W`, then :math:`\eta_0 \sqrt{W / t}`.

    Args:
        optimizer: MLX optimizer (one group) or ``MultiOptimizer`` (one group each).
        num_warmup_steps: the warmup's length :math:`W`, an integer ``>= 0``.
        timescale: :math:`\tau`, an integer ``>= 1``: the decay halves the LR after
            :math:`3\tau` more steps. Default: ``None``, ``num_warmup_steps`` (or
            ``10_000`` without a warmup), as in transformers.
        last_epoch: index of the last epoch, ``-1`` to start fresh. Default: ``-1``.

    Example (warmup over 4 steps, then 1/sqrt):
        >>> import mlx.optimizers as optim
        >>> scheduler = InverseSqrtLR(optim.SGD(learning_rate=1.0), num_warmup_steps=4)
        >>> for step in range(17):
        ...     if step in (0, 2, 4, 9, 16):
        ...         print(f"step {step}: {scheduler.get_last_lr()[0]}")
        ...     scheduler.step()
        step 0: 0.0
        step 2: 0.5
        step 4: 1.0
        step 9: 0.6666666666666666
        step 16: 0.5
    """

    _state_schema = {
        **st.fields(ARGUMENTS, "num_warmup_steps"),
        "timescale": st.field(_TIMESCALE),
        **LRScheduler._state_schema,
    }

    num_warmup_steps: int
    timescale: int

    def __init__(
        self,
        optimizer: Any,
        num_warmup_steps: int,
        timescale: int | None = None,
        last_epoch: int = -1,
    ) -> None:
        self.num_warmup_steps = ARGUMENTS.check("num_warmup_steps", num_warmup_steps)
        self.timescale = _timescale(ARGUMENTS.check("timescale", timescale), self.num_warmup_steps)
        super().__init__(optimizer, last_epoch)

    def _factor(self, step: int) -> float:
        # transformers' _get_inverse_sqrt_schedule_lr_lambda, operation for operation.
        warmup, timescale = self.num_warmup_steps, self.timescale
        if step < warmup:
            return float(step) / float(max(1, warmup))
        shift = timescale - warmup
        return 1.0 / math.sqrt((step + shift) / timescale)

    def _schedule(self, group: int) -> sm.Schedule:
        return inverse_sqrt_lr(self.base_lrs[group], self.num_warmup_steps, self.timescale)


# -- the schedule function ------------------------------------------------------


def inverse_sqrt_lr(
    base_lr: float, num_warmup_steps: int, timescale: int | None = None
) -> sm.Schedule:
    r""":class:`InverseSqrtLR` as a function of the step: a linear warmup, then :math:`1/\sqrt{t}`.

    :class:`InverseSqrtLR`'s formula (there), with :math:`\eta_0` = ``base_lr``;
    :math:`t + \tau - W` is formed in integers (exact), then
    :math:`\eta_0\sqrt{\tau / (t + \tau - W)}`.

    Args:
        base_lr: the peak learning rate, ``>= 0``.
        num_warmup_steps: the warmup's length, an integer ``>= 0``.
        timescale: an integer ``>= 1``. Default: ``None``, ``num_warmup_steps`` (or
            ``10_000`` without a warmup).

    Example:
        >>> import mlx.core as mx
        >>> schedule = inverse_sqrt_lr(1.0, num_warmup_steps=4)
        >>> schedule(2), schedule(4), schedule(16)
        (0.5, 1.0, 0.5)
        >>> schedule(mx.array([0, 2, 4, 16]))
        array([0, 0.5, 1, 0.5], dtype=float32)
    """
    arguments = ARGUMENTS.check_all(locals())
    base_lr, num_warmup_steps, timescale = arguments.values()
    arguments["timescale"] = timescale = _timescale(timescale, num_warmup_steps)
    warmup_length = max(1, num_warmup_steps)

    def schedule(step: Any) -> Any:
        t = sm.check_step(step)
        warm = base_lr * (sm.as_float(sm.minimum(t, num_warmup_steps)) / warmup_length)
        shifted = sm.as_float(sm.maximum(t, num_warmup_steps) - num_warmup_steps + timescale)
        decay = base_lr * sm.real_power(timescale / shifted, 0.5)
        return sm.finish(sm.where(t < num_warmup_steps, warm, decay), t)

    return sm.Schedule(schedule, "inverse_sqrt_lr", **arguments)
