"""transformers' scheduler names (``get_scheduler(name, ...)``), built from this library's classes.

``TRANSFORMERS_SCHEDULES[name](optimizer, num_warmup_steps=None,
num_training_steps=None, **scheduler_specific_kwargs)`` takes the arguments
``transformers.get_scheduler(name, optimizer, num_warmup_steps,
num_training_steps, scheduler_specific_kwargs)`` takes, with its rules (which
names require which), and returns this library's scheduler whose learning rates
equal transformers', bit for bit.

Example (what ``TrainingArguments(lr_scheduler_type="cosine", warmup_steps=2)`` builds):
    >>> import mlx.optimizers as optim
    >>> optimizer = optim.AdamW(learning_rate=1e-3)
    >>> scheduler = TRANSFORMERS_SCHEDULES["cosine"](
    ...     optimizer, num_warmup_steps=2, num_training_steps=10)
    >>> scheduler
    WarmupCosineLR(last_epoch=0, last_lr=[0.0])
    >>> for _ in range(6):
    ...     scheduler.step()
    >>> scheduler.get_last_lr()  # step 6: half way down the cosine
    [0.0005]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mlx_lr_scheduler import schedule_math as sm
from mlx_lr_scheduler.inverse_sqrt_lr import InverseSqrtLR
from mlx_lr_scheduler.lambda_lr import LambdaLR
from mlx_lr_scheduler.reduce_lr_on_plateau import ReduceLROnPlateau
from mlx_lr_scheduler.scheduler import LRScheduler
from mlx_lr_scheduler.validation import check_int
from mlx_lr_scheduler.warmup_cosine_lr import WarmupCosineLR
from mlx_lr_scheduler.warmup_lr import WarmupLR
from mlx_lr_scheduler.warmup_polynomial_lr import WarmupPolynomialLR
from mlx_lr_scheduler.warmup_stable_decay_lr import WarmupStableDecayLR

__all__ = ["TRANSFORMERS_SCHEDULES", "LinearDecayWithWarmup"]


def _required(name: str, argument: str, value: int | None) -> int:
    if value is None:
        # transformers' get_scheduler message.
        raise ValueError(f"{name} requires `{argument}`, please provide that argument.")
    return value


#: The arguments transformers' schedule functions take beyond the optimizer and the
#: step counts (``get_scheduler``'s ``scheduler_specific_kwargs``).
TRANSFORMERS_ARGUMENTS: dict[str, tuple[str, ...]] = {
    "linear": (),
    "cosine": ("num_cycles",),
    "cosine_with_restarts": ("num_cycles",),
    "polynomial": ("lr_end", "power"),
    "constant": (),
    "constant_with_warmup": (),
    "inverse_sqrt": ("timescale",),
    "reduce_lr_on_plateau": (
        "mode",
        "factor",
        "patience",
        "threshold",
        "threshold_mode",
        "cooldown",
        "min_lr",
        "eps",
    ),
    "cosine_with_min_lr": ("num_cycles", "min_lr", "min_lr_rate"),
    "cosine_warmup_with_min_lr": ("num_cycles", "min_lr", "min_lr_rate", "warmup_lr_rate"),
    "warmup_stable_decay": (
        "num_decay_steps",
        "num_stable_steps",
        "warmup_type",
        "decay_type",
        "min_lr_ratio",
        "num_cycles",
    ),
}


def _only(name: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs``, if each is an argument transformers' function for ``name`` takes (or
    ``last_epoch``, which the scheduler takes)."""
    allowed = (*TRANSFORMERS_ARGUMENTS[name], "last_epoch")
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise TypeError(
            f"{name} takes the scheduler_specific_kwargs {sorted(allowed)}, but got {unknown}"
        )
    return kwargs


def _min_lr_given(name: str, kwargs: dict[str, Any]) -> None:
    if kwargs.get("min_lr") is None and kwargs.get("min_lr_rate") is None:
        raise ValueError(
            f"{name}: one of min_lr or min_lr_rate should be set through the "
            "`lr_scheduler_kwargs`, but got neither"
        )


class LinearDecayWithWarmup:
    """transformers' ``linear`` factor of the step, as a ``LambdaLR`` lambda (a callable
    object: its two integers go into ``state_dict()``, as torch saves them).

    An ``int`` step gives transformers' arithmetic, operation for operation:
    ``t / max(1, W)`` during the warmup, then ``max(0, (T - t) / max(1, T - W))``. An
    ``mx.array`` of steps (``scheduler.schedule()``, a compiled step) gives float32 values
    with ``T - t`` formed in integers, so the tail keeps its relative accuracy.

    Example:
        >>> factor = LinearDecayWithWarmup(num_warmup_steps=2, num_training_steps=6)
        >>> [factor(t) for t in range(8)]
        [0.0, 0.5, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    """

    def __init__(self, num_warmup_steps: int, num_training_steps: int) -> None:
        self.num_warmup_steps = check_int("num_warmup_steps", num_warmup_steps, minimum=0)
        self.num_training_steps = check_int("num_training_steps", num_training_steps, minimum=0)

    def __call__(self, step: Any) -> Any:
        warmup, total = self.num_warmup_steps, self.num_training_steps
        if not sm.is_array(step):
            if step < warmup:
                return float(step) / float(max(1, warmup))
            return max(0.0, float(total - step) / float(max(1, total - warmup)))
        t = sm.check_step(step)
        warm = sm.as_float(sm.minimum(t, warmup)) / max(1, warmup)
        top = max(total, warmup)  # past T (or T < W: at once) the factor is 0
        left = sm.as_float(top - sm.minimum(sm.maximum(t, warmup), top))
        return sm.where(t < warmup, warm, left / max(1, total - warmup))


def linear(
    optimizer: Any,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    **scheduler_specific_kwargs: Any,
) -> LRScheduler:
    """transformers' ``linear``: warmup from 0, then linear decay to 0 at ``num_training_steps``:
    a :class:`LambdaLR` of :class:`LinearDecayWithWarmup`."""
    warmup = _required("linear", "num_warmup_steps", num_warmup_steps)
    total = _required("linear", "num_training_steps", num_training_steps)
    kwargs = _only("linear", scheduler_specific_kwargs)
    return LambdaLR(optimizer, LinearDecayWithWarmup(warmup, total), **kwargs)


def cosine(
    optimizer: Any,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    **scheduler_specific_kwargs: Any,
) -> LRScheduler:
    """transformers' ``cosine``: a :class:`WarmupCosineLR`."""
    warmup = _required("cosine", "num_warmup_steps", num_warmup_steps)
    total = _required("cosine", "num_training_steps", num_training_steps)
    kwargs = _only("cosine", scheduler_specific_kwargs)
    return WarmupCosineLR(optimizer, warmup, total, **kwargs)


def cosine_with_restarts(
    optimizer: Any,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    **scheduler_specific_kwargs: Any,
) -> LRScheduler:
    """transformers' ``cosine_with_restarts``: a :class:`WarmupCosineLR` with hard restarts."""
    name = "cosine_with_restarts"
    warmup = _required(name, "num_warmup_steps", num_warmup_steps)
    total = _required(name, "num_training_steps", num_training_steps)
    kwargs = _only(name, scheduler_specific_kwargs)
    kwargs.setdefault("num_cycles", 1)
    return WarmupCosineLR(optimizer, warmup, total, hard_restarts=True, **kwargs)


def polynomial(
    optimizer: Any,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    **scheduler_specific_kwargs: Any,
) -> LRScheduler:
    """transformers' ``polynomial``: a :class:`WarmupPolynomialLR`."""
    warmup = _required("polynomial", "num_warmup_steps", num_warmup_steps)
    total = _required("polynomial", "num_training_steps", num_training_steps)
    kwargs = _only("polynomial", scheduler_specific_kwargs)
    return WarmupPolynomialLR(optimizer, warmup, total, **kwargs)


def constant(
    optimizer: Any,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    **scheduler_specific_kwargs: Any,
) -> LRScheduler:
    """transformers' ``constant``: the initial LR throughout (like transformers, it ignores
    every other argument): a :class:`WarmupLR` without warmup or scheduler."""
    return WarmupLR(optimizer, num_warmup_steps=0)


def constant_with_warmup(
    optimizer: Any,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    **scheduler_specific_kwargs: Any,
) -> LRScheduler:
    """transformers' ``constant_with_warmup``: a :class:`WarmupLR` without scheduler (like
    transformers, it ignores ``num_training_steps`` and the scheduler_specific_kwargs)."""
    warmup = _required("constant_with_warmup", "num_warmup_steps", num_warmup_steps)
    return WarmupLR(optimizer, num_warmup_steps=warmup)


def inverse_sqrt(
    optimizer: Any,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    **scheduler_specific_kwargs: Any,
) -> LRScheduler:
    """transformers' ``inverse_sqrt``: an :class:`InverseSqrtLR` (``num_training_steps`` unused)."""
    warmup = _required("inverse_sqrt", "num_warmup_steps", num_warmup_steps)
    kwargs = _only("inverse_sqrt", scheduler_specific_kwargs)
    return InverseSqrtLR(optimizer, warmup, **kwargs)


def reduce_lr_on_plateau(
    optimizer: Any,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    **scheduler_specific_kwargs: Any,
) -> LRScheduler:
    """transformers' ``reduce_lr_on_plateau``: a :class:`ReduceLROnPlateau` built with the
    scheduler_specific_kwargs (like transformers, the step counts are ignored)."""
    return ReduceLROnPlateau(optimizer, **scheduler_specific_kwargs)


def cosine_with_min_lr(
    optimizer: Any,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    **scheduler_specific_kwargs: Any,
) -> LRScheduler:
    """transformers' ``cosine_with_min_lr``: a :class:`WarmupCosineLR` with ``min_lr`` or
    ``min_lr_rate`` (one is required)."""
    name = "cosine_with_min_lr"
    warmup = _required(name, "num_warmup_steps", num_warmup_steps)
    total = _required(name, "num_training_steps", num_training_steps)
    kwargs = _only(name, scheduler_specific_kwargs)
    _min_lr_given(name, kwargs)
    return WarmupCosineLR(optimizer, warmup, total, **kwargs)


def cosine_warmup_with_min_lr(
    optimizer: Any,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    **scheduler_specific_kwargs: Any,
) -> LRScheduler:
    """transformers' ``cosine_warmup_with_min_lr``: a :class:`WarmupCosineLR` counting from
    one, with ``min_lr`` or ``min_lr_rate`` (one is required) and ``warmup_lr_rate``."""
    name = "cosine_warmup_with_min_lr"
    warmup = _required(name, "num_warmup_steps", num_warmup_steps)
    total = _required(name, "num_training_steps", num_training_steps)
    kwargs = _only(name, scheduler_specific_kwargs)
    _min_lr_given(name, kwargs)
    return WarmupCosineLR(optimizer, warmup, total, count_from_one=True, **kwargs)


def warmup_stable_decay(
    optimizer: Any,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    **scheduler_specific_kwargs: Any,
) -> LRScheduler:
    """transformers' ``warmup_stable_decay``: a :class:`WarmupStableDecayLR`
    (``num_decay_steps`` in the scheduler_specific_kwargs, and ``num_training_steps`` or
    ``num_stable_steps``)."""
    name = "warmup_stable_decay"
    warmup = _required(name, "num_warmup_steps", num_warmup_steps)
    kwargs = _only(name, scheduler_specific_kwargs)
    if "num_decay_steps" not in kwargs:
        raise TypeError(f"{name} requires num_decay_steps in the scheduler_specific_kwargs")
    if num_training_steps is None and kwargs.get("num_stable_steps") is None:
        raise ValueError("Either num_training_steps or num_stable_steps must be specified.")
    return WarmupStableDecayLR(
        optimizer, num_warmup_steps=warmup, num_training_steps=num_training_steps, **kwargs
    )


#: One builder per name transformers' ``get_scheduler`` takes (``"greedy"`` aside).
TRANSFORMERS_SCHEDULES: dict[str, Callable[..., LRScheduler]] = {
    "linear": linear,
    "cosine": cosine,
    "cosine_with_restarts": cosine_with_restarts,
    "polynomial": polynomial,
    "constant": constant,
    "constant_with_warmup": constant_with_warmup,
    "inverse_sqrt": inverse_sqrt,
    "reduce_lr_on_plateau": reduce_lr_on_plateau,
    "cosine_with_min_lr": cosine_with_min_lr,
    "cosine_warmup_with_min_lr": cosine_warmup_with_min_lr,
    "warmup_stable_decay": warmup_stable_decay,
}
