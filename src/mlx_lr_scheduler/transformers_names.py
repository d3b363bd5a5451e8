"""transformers' scheduler names (``get_scheduler(name, ...)``), built from this library's classes.

``TRANSFORMERS_SCHEDULES[name](optimizer, num_warmup_steps=None,
num_training_steps=None, **scheduler_specific_kwargs)`` takes the arguments
``transformers.get_scheduler(name, optimizer, num_warmup_steps,
num_training_steps, scheduler_specific_kwargs)`` takes, with its rules (which
names require which), and returns this library's scheduler whose learning rates
equal transformers'.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mlx_lr_scheduler.scheduler import LRScheduler

__all__ = ["TRANSFORMERS_SCHEDULES"]


def linear(
    optimizer: Any,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    **scheduler_specific_kwargs: Any,
) -> LRScheduler:
    raise NotImplementedError


def cosine(
    optimizer: Any,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    **scheduler_specific_kwargs: Any,
) -> LRScheduler:
    raise NotImplementedError


def cosine_with_restarts(
    optimizer: Any,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    **scheduler_specific_kwargs: Any,
) -> LRScheduler:
    raise NotImplementedError


def polynomial(
    optimizer: Any,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    **scheduler_specific_kwargs: Any,
) -> LRScheduler:
    raise NotImplementedError


def constant(
    optimizer: Any,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    **scheduler_specific_kwargs: Any,
) -> LRScheduler:
    raise NotImplementedError


def constant_with_warmup(
    optimizer: Any,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    **scheduler_specific_kwargs: Any,
) -> LRScheduler:
    raise NotImplementedError


def inverse_sqrt(
    optimizer: Any,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    **scheduler_specific_kwargs: Any,
) -> LRScheduler:
    raise NotImplementedError


def reduce_lr_on_plateau(
    optimizer: Any,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    **scheduler_specific_kwargs: Any,
) -> LRScheduler:
    raise NotImplementedError


def cosine_with_min_lr(
    optimizer: Any,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    **scheduler_specific_kwargs: Any,
) -> LRScheduler:
    raise NotImplementedError


def cosine_warmup_with_min_lr(
    optimizer: Any,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    **scheduler_specific_kwargs: Any,
) -> LRScheduler:
    raise NotImplementedError


def warmup_stable_decay(
    optimizer: Any,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    **scheduler_specific_kwargs: Any,
) -> LRScheduler:
    raise NotImplementedError


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
