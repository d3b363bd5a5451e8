"""``WarmupStableDecayLR``: warmup, a constant stable phase, then a decay (WSD, MiniCPM)."""

from __future__ import annotations

import math
import warnings
from typing import Any

from mlx_lr_scheduler import schedule_math as sm
from mlx_lr_scheduler import state as st
from mlx_lr_scheduler.lambda_lr import FactorLR
from mlx_lr_scheduler.scheduler import LRScheduler
from mlx_lr_scheduler.validation import LR, Arguments, Choice, Integer, OrNone, Real
from mlx_lr_scheduler.warmup_lr import WARMUP_TYPES, warmup_shape, warmup_weight

__all__ = ["WarmupStableDecayLR", "warmup_stable_decay_lr"]

_STEPS = Integer(minimum=0)


ARGUMENTS = Arguments(
    base_lr=LR,
    num_warmup_steps=_STEPS,
    num_decay_steps=_STEPS,
    num_training_steps=OrNone(_STEPS),
    num_stable_steps=OrNone(_STEPS),
    decay_start=OrNone(_STEPS),
    warmup_type=Choice(*WARMUP_TYPES),
    decay_type=Choice("linear", "cosine", "1-sqrt"),
    min_lr_ratio=Real(low=0.0, high=1.0),
    num_cycles=Real(low=0.0),
)


def _decay_start(
    num_warmup_steps: int,
    num_decay_steps: int,
    num_training_steps: int | None,
    num_stable_steps: int | None,
) -> int | None:
    """The first step of the decay, from transformers' rules (None: not scheduled yet)."""
    if num_stable_steps is not None:
        if num_training_steps is not None:
            warnings.warn(
                "Both num_training_steps and num_stable_steps are specified. "
                "num_stable_steps will be used.",
                UserWarning,
                stacklevel=3,
            )
        return num_warmup_steps + num_stable_steps
    if num_training_steps is None:
        return None
    if num_training_steps < num_warmup_steps + num_decay_steps:
        raise ValueError(
            "num_training_steps must be >= num_warmup_steps + num_decay_steps "
            f"({num_warmup_steps} + {num_decay_steps}), but got {num_training_steps}"
        )
    return num_training_steps - num_decay_steps


class WarmupStableDecayLR(FactorLR):
    r"""Warm up, hold the learning rate, then decay it: the warmup-stable-decay (WSD) schedule.

    .. math::
        \eta_t = \eta_0 \cdot \begin{cases}
            r + (1 - r)\,w(t / W) & t < W \\
            1 & W \le t < B \\
            r + (1 - r)\,d\big((t - B) / \max(1, D)\big) & B \le t < B + D \\
            r & t \ge B + D
        \end{cases}

    with :math:`\eta_0` each group's initial learning rate, :math:`W` =
    ``num_warmup_steps``, :math:`D` = ``num_decay_steps``, :math:`r` =
    ``min_lr_ratio``, :math:`B` the first step of the decay (``num_warmup_steps +
    num_stable_steps``, or ``num_training_steps - num_decay_steps``), the warmup
    :math:`w(p)` = :math:`p`, :math:`(1 - \cos\pi p)/2` or :math:`1 - \sqrt{1 - p}`
    (``warmup_type`` ``"linear"``, ``"cosine"``, ``"1-sqrt"``) and the decay
    :math:`d(p)` = :math:`1 - p`, :math:`(1 + \cos 2\pi c p)/2` (:math:`c` =
    ``num_cycles``) or :math:`1 - \sqrt{p}`. Each factor is computed as transformers'
    ``get_wsd_schedule`` computes it and multiplied by :math:`\eta_0` as torch's
    ``LambdaLR`` does: the learning rates are transformers' bit for bit. MiniCPM
    (Hu et al., 2024, https://arxiv.org/abs/2404.06395) introduced the schedule: the
    stable phase can be continued from any checkpoint and decayed when wanted.

    :meth:`start_decay` decides the decay during the run: it starts at the next
    step, whatever the stable length was. Built with neither ``num_training_steps``
    nor ``num_stable_steps``, the stable phase lasts until it is called. The step the
    decay starts at is part of ``state_dict()`` (``decay_start``), so a resumed run
    continues exactly.

    Args:
        optimizer: MLX optimizer (one group) or ``MultiOptimizer`` (one group each).
        num_warmup_steps: the warmup's length :math:`W`, an integer ``>= 0``.
        num_decay_steps: the decay's length :math:`D`, an integer ``>= 0`` (``0``:
            straight to :math:`r` after the stable phase).
        num_training_steps: the whole run, ``>= num_warmup_steps + num_decay_steps``;
            the stable phase fills the rest. Default: ``None``.
        num_stable_steps: the stable phase's length, an integer ``>= 0``; it wins
            over ``num_training_steps`` (with a warning, as in transformers).
            Default: ``None`` (both None: stable until :meth:`start_decay`).
        warmup_type: ``"linear"``, ``"cosine"`` or ``"1-sqrt"``. Default: ``"linear"``.
        decay_type: ``"linear"``, ``"cosine"`` or ``"1-sqrt"``. Default: ``"cosine"``.
        min_lr_ratio: :math:`r`, the factor the warmup starts from and the decay ends
            at, in ``[0, 1]``. Default: ``0.0``.
        num_cycles: :math:`c`, waves of the cosine decay, ``>= 0``; ``0.5`` is one
            half cosine down to :math:`r`. Default: ``0.5``.
        last_epoch: index of the last epoch, ``-1`` to start fresh. Default: ``-1``.

    Example (warmup 2, stable 2, linear decay over 4 to a tenth):
        >>> import mlx.optimizers as optim
        >>> scheduler = WarmupStableDecayLR(
        ...     optim.SGD(learning_rate=1.0), num_warmup_steps=2, num_decay_steps=4,
        ...     num_stable_steps=2, decay_type="linear", min_lr_ratio=0.1)
        >>> for step in range(9):
        ...     print(f"step {step}: {scheduler.get_last_lr()[0]:.3f}")
        ...     scheduler.step()
        step 0: 0.100
        step 1: 0.550
        step 2: 1.000
        step 3: 1.000
        step 4: 1.000
        step 5: 0.775
        step 6: 0.550
        step 7: 0.325
        step 8: 0.100

    Deciding the decay mid-run (the stable phase lasts until ``start_decay()``):
        >>> scheduler = WarmupStableDecayLR(
        ...     optim.SGD(learning_rate=1.0), num_warmup_steps=0, num_decay_steps=2,
        ...     decay_type="linear")
        >>> for _ in range(5):
        ...     scheduler.step()
        >>> scheduler.start_decay()
        >>> [scheduler.step() or scheduler.get_last_lr()[0] for _ in range(3)]
        [1.0, 0.5, 0.0]
        >>> scheduler.decay_start
        6
    """

    _state_schema = {
        **st.fields(
            ARGUMENTS,
            "num_warmup_steps",
            "num_decay_steps",
            "num_training_steps",
            "num_stable_steps",
            "decay_start",
            "warmup_type",
            "decay_type",
            "min_lr_ratio",
            "num_cycles",
        ),
        **LRScheduler._state_schema,
    }

    num_warmup_steps: int
    num_decay_steps: int
    num_training_steps: int | None
    num_stable_steps: int | None
    #: The first step of the decay; None while the stable phase has no end yet.
    decay_start: int | None
    warmup_type: str
    decay_type: str
    min_lr_ratio: float
    num_cycles: float

    def __init__(
        self,
        optimizer: Any,
        num_warmup_steps: int,
        num_decay_steps: int,
        num_training_steps: int | None = None,
        num_stable_steps: int | None = None,
        warmup_type: str = "linear",
        decay_type: str = "cosine",
        min_lr_ratio: float = 0.0,
        num_cycles: float = 0.5,
        last_epoch: int = -1,
    ) -> None:
        self.num_warmup_steps = ARGUMENTS.check("num_warmup_steps", num_warmup_steps)
        self.num_decay_steps = ARGUMENTS.check("num_decay_steps", num_decay_steps)
        self.num_training_steps = ARGUMENTS.check("num_training_steps", num_training_steps)
        self.num_stable_steps = ARGUMENTS.check("num_stable_steps", num_stable_steps)
        self.warmup_type = ARGUMENTS.check("warmup_type", warmup_type)
        self.decay_type = ARGUMENTS.check("decay_type", decay_type)
        self.min_lr_ratio = ARGUMENTS.check("min_lr_ratio", min_lr_ratio)
        self.num_cycles = ARGUMENTS.check("num_cycles", num_cycles)
        self.decay_start = _decay_start(
            self.num_warmup_steps,
            self.num_decay_steps,
            self.num_training_steps,
            self.num_stable_steps,
        )
        super().__init__(optimizer, last_epoch)

    def start_decay(self, num_decay_steps: int | None = None) -> None:
        """Start the decay at the next step (over ``num_decay_steps``, default: as built).

        Raises:
            ValueError: the decay has already started, or ``num_decay_steps`` is bad.
        """
        if self.decay_start is not None and self.decay_start <= self.last_epoch:
            raise ValueError(
                f"the decay already started at step {self.decay_start} (now at step "
                f"{self.last_epoch}): start_decay() starts it only once"
            )
        if num_decay_steps is not None:
            self.num_decay_steps = ARGUMENTS.check("num_decay_steps", num_decay_steps)
        self.decay_start = self.last_epoch + 1

    def _factor(self, step: int) -> float:
        # transformers' _get_wsd_scheduler_lambda, with the decay's start as a variable.
        start, ratio = self.decay_start, self.min_lr_ratio
        if start is None or step < start:
            if step < self.num_warmup_steps:
                factor = warmup_shape(step, self.num_warmup_steps, self.warmup_type)
                factor = factor * (1.0 - ratio) + ratio
                return max(0.0, factor)
            return 1.0
        if step < start + self.num_decay_steps:
            progress = float(step - start) / float(max(1, self.num_decay_steps))
            if self.decay_type == "linear":
                factor = 1.0 - progress
            elif self.decay_type == "cosine":
                factor = 0.5 * (1.0 + math.cos(math.pi * float(self.num_cycles) * 2.0 * progress))
            else:
                factor = 1.0 - math.sqrt(progress)
            factor = factor * (1.0 - ratio) + ratio
            return max(0.0, factor)
        return ratio

    def _schedule(self, group: int) -> sm.Schedule:
        if self.decay_start is None:
            raise TypeError(
                "WarmupStableDecayLR has no closed form before its decay is scheduled: "
                "call start_decay() or give num_training_steps or num_stable_steps"
            )
        return _wsd(
            self.base_lrs[group],
            self.num_warmup_steps,
            self.decay_start,
            self.num_decay_steps,
            self.warmup_type,
            self.decay_type,
            self.min_lr_ratio,
            self.num_cycles,
        )


# -- the schedule function ------------------------------------------------------


def warmup_stable_decay_lr(
    base_lr: float,
    num_warmup_steps: int,
    num_decay_steps: int,
    num_training_steps: int | None = None,
    num_stable_steps: int | None = None,
    warmup_type: str = "linear",
    decay_type: str = "cosine",
    min_lr_ratio: float = 0.0,
    num_cycles: float = 0.5,
) -> sm.Schedule:
    r""":class:`WarmupStableDecayLR` as a function of the step (a fixed length is required).

    :class:`WarmupStableDecayLR`'s formula (there), with :math:`\eta_0` = ``base_lr``.
    In float32 the curves are formed without cancellation: the cosine warmup as
    :math:`\sin^2`, the cosine decay from the exact integer distance to its zero
    (for ``num_cycles`` a multiple of ``0.5``), ``1 - sqrt(p)`` as
    :math:`(1 - p)/(1 + \sqrt{p})` with :math:`1 - p` from integers.

    Args:
        base_lr: the learning rate of the stable phase, ``>= 0``.
        num_warmup_steps: the warmup's length, an integer ``>= 0``.
        num_decay_steps: the decay's length, an integer ``>= 0``.
        num_training_steps: the whole run, ``>= num_warmup_steps + num_decay_steps``.
            Default: ``None``.
        num_stable_steps: the stable phase's length, an integer ``>= 0``; one of the
            two is required. Default: ``None``.
        warmup_type: ``"linear"``, ``"cosine"`` or ``"1-sqrt"``. Default: ``"linear"``.
        decay_type: ``"linear"``, ``"cosine"`` or ``"1-sqrt"``. Default: ``"cosine"``.
        min_lr_ratio: the factor the warmup starts from and the decay ends at, in
            ``[0, 1]``. Default: ``0.0``.
        num_cycles: waves of the cosine decay, ``>= 0``. Default: ``0.5``.

    Example:
        >>> import mlx.core as mx
        >>> schedule = warmup_stable_decay_lr(1.0, 2, 4, num_stable_steps=2, decay_type="linear")
        >>> schedule(1), schedule(3), schedule(6), schedule(100)
        (0.5, 1.0, 0.5, 0.0)
        >>> schedule(mx.array([1, 3, 5, 7, 8]))
        array([0.5, 1, 0.75, 0.25, 0], dtype=float32)
    """
    arguments = ARGUMENTS.check_all(locals())
    base_lr, warmup, decay, training, stable, *shape = arguments.values()
    start = _decay_start(warmup, decay, training, stable)
    if start is None:
        raise ValueError(
            "warmup_stable_decay_lr needs num_training_steps or num_stable_steps "
            "(a schedule function has a fixed length), but got neither"
        )
    return _wsd(base_lr, warmup, start, decay, *shape)


def _decay_weight(a: Any, length: int, decay_type: str, num_cycles: float) -> Any:
    """The decay curve after ``a <= length`` of its ``length`` steps, without cancellation."""
    if decay_type == "linear":
        return sm.as_float(length - a) / length
    if decay_type == "cosine":
        return sm.cosine_cycles(a, length, num_cycles)
    left = sm.as_float(length - a) / length
    return left / (1.0 + sm.real_power(sm.as_float(a) / length, 0.5))


def _wsd(
    base_lr: float,
    num_warmup_steps: int,
    decay_start: int,
    num_decay_steps: int,
    warmup_type: str,
    decay_type: str,
    min_lr_ratio: float,
    num_cycles: float,
) -> sm.Schedule:
    ratio, start, length = min_lr_ratio, decay_start, max(1, num_decay_steps)
    end = start + num_decay_steps

    def schedule(step: Any) -> Any:
        t = sm.check_step(step)
        warm = ratio + (1.0 - ratio) * warmup_weight(t, num_warmup_steps, warmup_type)
        a = sm.minimum(sm.maximum(t, start) - start, length)
        decay = ratio + (1.0 - ratio) * _decay_weight(a, length, decay_type, num_cycles)
        before = sm.where(t < num_warmup_steps, warm, 1.0)
        after = sm.where(t < end, decay, ratio)
        return sm.finish(base_lr * sm.where(t < start, before, after), t)

    return sm.Schedule(
        schedule,
        "warmup_stable_decay_lr",
        base_lr=base_lr,
        num_warmup_steps=num_warmup_steps,
        decay_start=decay_start,
        num_decay_steps=num_decay_steps,
        warmup_type=warmup_type,
        decay_type=decay_type,
        min_lr_ratio=min_lr_ratio,
        num_cycles=num_cycles,
    )
