"""The registry's long-run example of every class, built with torch and with mlx_lr_scheduler.

An example builds from ``lib``, :data:`TORCH` or :data:`MLX` (two namespaces
holding each library's torch-named classes), so one configuration builds both
sides; the modern schedules torch lacks build from :data:`TRANSFORMERS` too
(transformers' functions, each returning a torch ``LambdaLR``: what a torch user
runs for them). The benchmarks time the example each registry entry labels
:data:`~mlx_lr_scheduler.registry.LONG_RUN`: configured so the learning rate keeps
changing over a long run without reaching an error (``OneCycleLR``'s
``total_steps`` is huge).
"""

from __future__ import annotations

import types

import mlx.optimizers as optim
import torch
import torch.optim.lr_scheduler as torch_lr
from torch.optim import swa_utils
from transformers import optimization as transformers_schedules

import mlx_lr_scheduler
from mlx_lr_scheduler.registry import LONG_RUN, SCHEDULES, Example

TORCH = types.SimpleNamespace(
    **{name: getattr(torch_lr, name) for name in torch_lr.__all__}, SWALR=swa_utils.SWALR
)
MLX = types.SimpleNamespace(
    **{name: getattr(mlx_lr_scheduler, name) for name in mlx_lr_scheduler.__all__}
)

BASE_LR = 0.1
MOMENTUM = 0.9

#: The long-run example of every registered class torch also has (``WarmupThenPlateau``
#: has no torch class to time against).
EXAMPLES: dict[str, Example] = {
    name: entry.example(LONG_RUN) for name, entry in SCHEDULES.items() if hasattr(TORCH, name)
}

#: transformers' function for each modern schedule: called with the optimizer and the
#: long-run example's arguments, it returns a torch ``LambdaLR``.
TRANSFORMERS = types.SimpleNamespace(
    WarmupStableDecayLR=transformers_schedules.get_wsd_schedule,
    InverseSqrtLR=transformers_schedules.get_inverse_sqrt_schedule,
    WarmupCosineLR=transformers_schedules.get_cosine_schedule_with_warmup,
    WarmupPolynomialLR=transformers_schedules.get_polynomial_decay_schedule_with_warmup,
)

#: The long-run example of every registered class torch lacks but transformers has.
MODERN: dict[str, Example] = {
    name: entry.example(LONG_RUN)
    for name, entry in SCHEDULES.items()
    if name not in EXAMPLES and hasattr(TRANSFORMERS, name)
}

#: The long-run example of the rest (``WarmupLR``, ``WarmupThenPlateau``): timed alone.
OWN: dict[str, Example] = {
    name: entry.example(LONG_RUN)
    for name, entry in SCHEDULES.items()
    if name not in EXAMPLES and name not in MODERN
}


def torch_optimizer(n_groups: int = 1) -> torch.optim.Optimizer:
    """SGD with momentum (CyclicLR and OneCycleLR cycle it), one tensor per group."""
    groups = [{"params": [torch.zeros(1, requires_grad=True)]} for _ in range(n_groups)]
    return torch.optim.SGD(groups, lr=BASE_LR, momentum=MOMENTUM)


def mlx_optimizer() -> optim.Optimizer:
    return optim.SGD(learning_rate=BASE_LR, momentum=MOMENTUM)
