"""``WarmupCosineLR``: a linear warmup, then a cosine decay (transformers' cosine schedules)."""

from __future__ import annotations

import math
from typing import Any

from mlx_lr_scheduler import schedule_math as sm
from mlx_lr_scheduler import state as st
from mlx_lr_scheduler.lambda_lr import FactorLR
from mlx_lr_scheduler.scheduler import LRScheduler
from mlx_lr_scheduler.validation import LR, Arguments, Flag, Integer, OrNone, Real

__all__ = ["WarmupCosineLR", "warmup_cosine_lr"]

_RATE = Real(low=0.0, high=1.0)


ARGUMENTS = Arguments(
    base_lr=LR,
    num_warmup_steps=Integer(minimum=0),
    num_training_steps=Integer(minimum=0),
    num_cycles=Real(low=0.0),
    min_lr=OrNone(LR),
    min_lr_rate=OrNone(_RATE),
    warmup_lr_rate=OrNone(_RATE),
    hard_restarts=Flag(),
    count_from_one=Flag(),
)


def _min_lr_rate(min_lr: float | None, min_lr_rate: float | None, lr_init: float) -> float:
    """transformers' rule: at most one of the two; ``min_lr`` as a fraction of ``lr_init``."""
    if min_lr is not None and min_lr_rate is not None:
        raise ValueError(
            f"only one of min_lr and min_lr_rate may be set, but got min_lr={min_lr!r} "
            f"and min_lr_rate={min_lr_rate!r}"
        )
    if min_lr is None:
        return 0.0 if min_lr_rate is None else min_lr_rate
    if min_lr > lr_init or (min_lr > 0 and lr_init == 0):
        raise ValueError(
            f"min_lr must be at most the initial learning rate ({lr_init!r}), but got {min_lr!r}"
        )
    return 0.0 if min_lr == 0 else min_lr / lr_init


class WarmupCosineLR(FactorLR):
    r"""A linear warmup to the initial learning rate, then a cosine decay to ``min_lr``.

    .. math:: \eta_t = \eta_0 \cdot \begin{cases}
            t / \max(1, W) & t < W \\
            r + (1 - r)\,\tfrac{1}{2}\big(1 + \cos(2\pi c\,p)\big) & t \ge W
        \end{cases}
        \qquad p = \frac{t - W}{\max(1, T - W)}

    with :math:`\eta_0` each group's initial learning rate, :math:`W` =
    ``num_warmup_steps``, :math:`T` = ``num_training_steps``, :math:`c` =
    ``num_cycles`` and :math:`r` = ``min_lr_rate`` (or ``min_lr`` over the first
    group's initial learning rate). Like transformers, the cosine is not clamped:
    past :math:`T` it rises again (for :math:`c = 0.5`). With ``hard_restarts`` the
    decay is :math:`\tfrac{1}{2}(1 + \cos(\pi\,(c p \bmod 1)))`, :math:`c` cosines
    from the top each, and :math:`r` from :math:`T` on (SGDR's warm restarts,
    Loshchilov & Hutter, https://arxiv.org/abs/1608.03983).

    One class for transformers' four cosine schedules, each bit for bit (factor as
    transformers computes it, times :math:`\eta_0` as torch's ``LambdaLR``):
    ``cosine`` (the defaults), ``cosine_with_restarts`` (``hard_restarts=True``;
    its ``num_cycles`` defaults to 1 there), ``cosine_with_min_lr`` (``min_lr`` or
    ``min_lr_rate``) and ``cosine_warmup_with_min_lr`` (``count_from_one=True``
    and/or ``warmup_lr_rate``: steps count from one, the warmup is :math:`(t + 1)/W`
    or :math:`\rho + (1 - \rho)\,t / \max(1, W - 1)` with :math:`\rho` =
    ``warmup_lr_rate``, and :math:`p = (t + 1 - W)/\max(1, T - W)`).

    nanoGPT's ``get_lr`` (warmup :math:`(t + 1)/(W + 1)`, a half cosine to
    ``min_lr`` at ``lr_decay_iters``, then ``min_lr``) is a :class:`WarmupLR` with
    ``start_factor=1/(W + 1)`` in front of ``WarmupCosineLR(num_warmup_steps=0,
    num_training_steps=lr_decay_iters - W, num_cycles=1, hard_restarts=True,
    min_lr=min_lr)``.

    Args:
        optimizer: MLX optimizer (one group) or ``MultiOptimizer`` (one group each).
        num_warmup_steps: the warmup's length :math:`W`, an integer ``>= 0``.
        num_training_steps: :math:`T`, the step the decay ends at, an integer ``>= 0``.
        num_cycles: :math:`c`, ``>= 0``: waves of the cosine (``0.5``: one half
            cosine down), or the number of restarts with ``hard_restarts``.
            Default: ``0.5``.
        min_lr: the learning rate the decay ends at, ``>= 0`` and at most the first
            group's initial learning rate; not with ``min_lr_rate``. Default: ``None``.
        min_lr_rate: :math:`r`, in ``[0, 1]``. Default: ``None`` (``0``).
        warmup_lr_rate: :math:`\rho`, the factor of step 0, in ``[0, 1]``; implies
            counting from one. Default: ``None``.
        hard_restarts: restart the cosine ``num_cycles`` times. Default: ``False``.
        count_from_one: transformers' ``cosine_warmup_with_min_lr`` arithmetic.
            Default: ``False``.
        last_epoch: index of the last epoch, ``-1`` to start fresh. Default: ``-1``.

    Example (warmup 2, a half cosine to step 6):
        >>> import mlx.optimizers as optim
        >>> scheduler = WarmupCosineLR(
        ...     optim.SGD(learning_rate=1.0), num_warmup_steps=2, num_training_steps=6)
        >>> for step in range(7):
        ...     print(f"step {step}: {scheduler.get_last_lr()[0]:.4f}")
        ...     scheduler.step()
        step 0: 0.0000
        step 1: 0.5000
        step 2: 1.0000
        step 3: 0.8536
        step 4: 0.5000
        step 5: 0.1464
        step 6: 0.0000
    """

    _state_schema = {
        **st.fields(
            ARGUMENTS,
            "num_warmup_steps",
            "num_training_steps",
            "num_cycles",
            "min_lr",
            "warmup_lr_rate",
            "hard_restarts",
            "count_from_one",
        ),
        "min_lr_rate": st.field(_RATE),
        **LRScheduler._state_schema,
    }

    num_warmup_steps: int
    num_training_steps: int
    num_cycles: float
    min_lr: float | None
    #: :math:`r`: ``min_lr_rate``, or ``min_lr`` over the first group's initial LR.
    min_lr_rate: float
    warmup_lr_rate: float | None
    hard_restarts: bool
    count_from_one: bool

    def __init__(
        self,
        optimizer: Any,
        num_warmup_steps: int,
        num_training_steps: int,
        num_cycles: float = 0.5,
        min_lr: float | None = None,
        min_lr_rate: float | None = None,
        warmup_lr_rate: float | None = None,
        hard_restarts: bool = False,
        count_from_one: bool = False,
        last_epoch: int = -1,
    ) -> None:
        groups = self._bind(optimizer)
        self.num_warmup_steps = ARGUMENTS.check("num_warmup_steps", num_warmup_steps)
        self.num_training_steps = ARGUMENTS.check("num_training_steps", num_training_steps)
        self.num_cycles = ARGUMENTS.check("num_cycles", num_cycles)
        self.min_lr = ARGUMENTS.check("min_lr", min_lr)
        checked_rate = ARGUMENTS.check("min_lr_rate", min_lr_rate)
        self.warmup_lr_rate = ARGUMENTS.check("warmup_lr_rate", warmup_lr_rate)
        self.hard_restarts = ARGUMENTS.check("hard_restarts", hard_restarts)
        self.count_from_one = ARGUMENTS.check("count_from_one", count_from_one)
        first = groups[0]
        lr_init = first["initial_lr"] if "initial_lr" in first else first["lr"]
        self.min_lr_rate = _min_lr_rate(self.min_lr, checked_rate, lr_init)
        super().__init__(optimizer, last_epoch)

    def _factor(self, step: int) -> float:
        # transformers' lambdas, operation for operation.
        warmup, total, cycles, rate = (
            self.num_warmup_steps,
            self.num_training_steps,
            self.num_cycles,
            self.min_lr_rate,
        )
        if self.count_from_one or self.warmup_lr_rate is not None:
            current, warmup_f, total_f = float(step), float(warmup), float(total)
            if current < warmup_f:
                if self.warmup_lr_rate is None:
                    return (current + 1.0) / max(1.0, warmup_f)
                first = float(self.warmup_lr_rate)
                return first + (1.0 - first) * current / max(1, warmup_f - 1)
            progress = (current - warmup_f + 1.0) / max(1.0, total_f - warmup_f)
        else:
            if step < warmup:
                return float(step) / float(max(1, warmup))
            progress = float(step - warmup) / float(max(1, total - warmup))
        if self.hard_restarts:
            if progress >= 1.0:
                factor = 0.0
            else:
                phase = (float(cycles) * progress) % 1.0
                factor = max(0.0, 0.5 * (1.0 + math.cos(math.pi * phase)))
        else:
            factor = 0.5 * (1.0 + math.cos(math.pi * float(cycles) * 2.0 * progress))
        factor = factor * (1 - rate) + rate
        return max(0.0, factor)

    def _schedule(self, group: int) -> sm.Schedule:
        return warmup_cosine_lr(
            self.base_lrs[group],
            self.num_warmup_steps,
            self.num_training_steps,
            self.num_cycles,
            min_lr_rate=self.min_lr_rate,
            warmup_lr_rate=self.warmup_lr_rate,
            hard_restarts=self.hard_restarts,
            count_from_one=self.count_from_one,
        )


# -- the schedule function ------------------------------------------------------


def warmup_cosine_lr(
    base_lr: float,
    num_warmup_steps: int,
    num_training_steps: int,
    num_cycles: float = 0.5,
    min_lr: float | None = None,
    min_lr_rate: float | None = None,
    warmup_lr_rate: float | None = None,
    hard_restarts: bool = False,
    count_from_one: bool = False,
) -> sm.Schedule:
    r""":class:`WarmupCosineLR` as a function of the step: a linear warmup, then a cosine.

    :class:`WarmupCosineLR`'s formula (there), with :math:`\eta_0` = ``base_lr``.
    The cosine is evaluated from the exact integer distance to its zero for
    ``num_cycles`` a multiple of ``0.5`` (a whole number with ``hard_restarts``),
    so its tail keeps its relative accuracy in float32.

    Args:
        base_lr: the peak learning rate, ``>= 0``.
        num_warmup_steps: the warmup's length, an integer ``>= 0``.
        num_training_steps: the step the decay ends at, an integer ``>= 0``.
        num_cycles: waves of the cosine, or restarts with ``hard_restarts``, ``>= 0``.
            Default: ``0.5``.
        min_lr: the learning rate the decay ends at, at most ``base_lr``; not with
            ``min_lr_rate``. Default: ``None``.
        min_lr_rate: the same as a fraction of ``base_lr``, in ``[0, 1]``.
            Default: ``None`` (``0``).
        warmup_lr_rate: the factor of step 0, in ``[0, 1]``; implies counting from
            one. Default: ``None``.
        hard_restarts: restart the cosine ``num_cycles`` times. Default: ``False``.
        count_from_one: transformers' ``cosine_warmup_with_min_lr`` arithmetic.
            Default: ``False``.

    Example:
        >>> import mlx.core as mx
        >>> schedule = warmup_cosine_lr(1.0, num_warmup_steps=2, num_training_steps=6)
        >>> schedule(1), schedule(2), schedule(4), schedule(6)
        (0.5, 1.0, 0.5, 0.0)
        >>> schedule(mx.array([1, 2, 3, 5, 6]))
        array([0.5, 1, 0.853553, 0.146447, 0], dtype=float32)
    """
    arguments = ARGUMENTS.check_all(locals())
    base_lr, warmup, total, cycles, min_lr, min_lr_rate, first, hard_restarts, shifted = (
        arguments.values()
    )
    # Recorded as the class passes them: the rate resolved, counting from one implied.
    del arguments["min_lr"]
    arguments["min_lr_rate"] = rate = _min_lr_rate(min_lr, min_lr_rate, base_lr)
    arguments["count_from_one"] = shifted = shifted or first is not None
    length = max(1, total - warmup)
    offset = 1 if shifted else 0

    def schedule(step: Any) -> Any:
        t = sm.check_step(step)
        done = sm.minimum(t, warmup)
        if not shifted:
            warm = sm.as_float(done) / max(1, warmup)
        elif first is None:
            warm = sm.as_float(done + 1) / max(1, warmup)
        else:
            warm = first + (1.0 - first) * (sm.as_float(done) / max(1, warmup - 1))
        a = sm.maximum(t + offset, warmup) - warmup
        if hard_restarts:
            inside = sm.restarted_cosine(sm.minimum(a, length - 1), length, cycles)
            weight = sm.where(a >= length, 0.0, inside)
        else:
            weight = sm.cosine_cycles(a, length, cycles)
        decay = rate + (1.0 - rate) * weight
        return sm.finish(base_lr * sm.where(t < warmup, warm, decay), t)

    return sm.Schedule(schedule, "warmup_cosine_lr", **arguments)
