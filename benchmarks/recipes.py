"""The same scheduler configuration built with torch and with mlx_lr_scheduler.

A recipe is ``build(lib, optimizer)``; ``lib`` is :data:`TORCH` or :data:`MLX`,
two namespaces holding each library's torch-named classes, so one line of code
builds both sides. Every class in :data:`mlx_lr_scheduler.registry.SCHEDULES` has
a recipe (``step_cost`` checks), chosen so the learning rate keeps changing over
a long run without reaching an error (``OneCycleLR``'s ``total_steps`` is huge).
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

import mlx.optimizers as optim
import torch
import torch.optim.lr_scheduler as torch_lr
from torch.optim import swa_utils

import mlx_lr_scheduler

TORCH = types.SimpleNamespace(
    **{name: getattr(torch_lr, name) for name in torch_lr.__all__}, SWALR=swa_utils.SWALR
)
MLX = types.SimpleNamespace(
    **{name: getattr(mlx_lr_scheduler, name) for name in mlx_lr_scheduler.__all__}
)

Build = Callable[[types.SimpleNamespace, Any], Any]

BASE_LR = 0.1
MOMENTUM = 0.9


def torch_optimizer(n_groups: int = 1) -> torch.optim.Optimizer:
    """SGD with momentum (CyclicLR and OneCycleLR cycle it), one tensor per group."""
    groups = [{"params": [torch.zeros(1, requires_grad=True)]} for _ in range(n_groups)]
    return torch.optim.SGD(groups, lr=BASE_LR, momentum=MOMENTUM)


def mlx_optimizer() -> optim.Optimizer:
    return optim.SGD(learning_rate=BASE_LR, momentum=MOMENTUM)


RECIPES: dict[str, Build] = {
    "LambdaLR": lambda L, o: L.LambdaLR(o, lambda epoch: 1.0 / (1.0 + 1e-6 * epoch)),
    "MultiplicativeLR": lambda L, o: L.MultiplicativeLR(o, lambda epoch: 0.9999999),
    "StepLR": lambda L, o: L.StepLR(o, step_size=30, gamma=0.99),
    "MultiStepLR": lambda L, o: L.MultiStepLR(o, milestones=[30, 80, 10**8], gamma=0.5),
    "ConstantLR": lambda L, o: L.ConstantLR(o, factor=0.5, total_iters=10**8),
    "LinearLR": lambda L, o: L.LinearLR(o, start_factor=0.1, total_iters=10**8),
    "ExponentialLR": lambda L, o: L.ExponentialLR(o, gamma=0.9999999),
    "PolynomialLR": lambda L, o: L.PolynomialLR(o, total_iters=10**8, power=2.0),
    "CosineAnnealingLR": lambda L, o: L.CosineAnnealingLR(o, T_max=10**6, eta_min=1e-4),
    "SequentialLR": lambda L, o: L.SequentialLR(
        o,
        [L.LinearLR(o, start_factor=0.1, total_iters=5), L.CosineAnnealingLR(o, T_max=10**6)],
        milestones=[5],
    ),
    "ChainedScheduler": lambda L, o: L.ChainedScheduler(
        [L.ConstantLR(o, factor=0.5, total_iters=5), L.ExponentialLR(o, gamma=0.9999999)]
    ),
    "CosineAnnealingWarmRestarts": lambda L, o: L.CosineAnnealingWarmRestarts(
        o, T_0=100, T_mult=2, eta_min=1e-4
    ),
    "CyclicLR": lambda L, o: L.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=500),
    "OneCycleLR": lambda L, o: L.OneCycleLR(o, max_lr=0.1, total_steps=10**9),
    "SWALR": lambda L, o: L.SWALR(o, swa_lr=0.05, anneal_epochs=10**6),
    "ReduceLROnPlateau": lambda L, o: L.ReduceLROnPlateau(o, patience=100, min_lr=1e-6),
}

#: ``step()`` arguments per class (the metric-driven ones), else none.
STEP_ARGS: dict[str, tuple[Any, ...]] = {"ReduceLROnPlateau": (1.0,)}

#: Classes of ours with no torch counterpart, and what they would be compared with.
OURS_ONLY = {"WarmupThenPlateau": "torch has no such class (torch issue #68978)"}
