"""The registry of schedules: one entry per torch-named class.

Tests iterate over :data:`SCHEDULES`, so adding a schedule means writing its
module (class and schedule function together) and adding one entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mlx_lr_scheduler.composition import ChainedScheduler, SequentialLR, sequential_lr
from mlx_lr_scheduler.constant_lr import ConstantLR, constant_lr
from mlx_lr_scheduler.cosine_annealing_lr import CosineAnnealingLR, cosine_annealing_lr
from mlx_lr_scheduler.cosine_annealing_warm_restarts import (
    CosineAnnealingWarmRestarts,
    cosine_annealing_warm_restarts,
)
from mlx_lr_scheduler.cyclic_lr import CyclicLR, cyclic_lr
from mlx_lr_scheduler.exponential_lr import ExponentialLR, exponential_lr
from mlx_lr_scheduler.lambda_lr import LambdaLR, MultiplicativeLR, lambda_lr
from mlx_lr_scheduler.linear_lr import LinearLR, linear_lr
from mlx_lr_scheduler.multi_step_lr import MultiStepLR, multi_step_lr
from mlx_lr_scheduler.one_cycle_lr import OneCycleLR, one_cycle_lr
from mlx_lr_scheduler.polynomial_lr import PolynomialLR, polynomial_lr
from mlx_lr_scheduler.reduce_lr_on_plateau import ReduceLROnPlateau
from mlx_lr_scheduler.scheduler import LRScheduler
from mlx_lr_scheduler.step_lr import StepLR, step_lr
from mlx_lr_scheduler.swa_lr import SWALR, swa_lr

__all__ = ["SCHEDULES", "ScheduleEntry"]


@dataclass(frozen=True)
class ScheduleEntry:
    """A torch-named scheduler class and, where it has a closed form, its schedule function."""

    scheduler: type[LRScheduler]
    #: Factory in :mod:`mlx_lr_scheduler.schedules` returning ``schedule(step)``, taking the
    #: class's arguments (``base_lr`` first where the class reads it from the optimizer);
    #: None only where the class has no closed form.
    function: Callable[..., Any] | None = None
    #: True for composites (their arguments are other schedulers).
    composite: bool = False

    @property
    def name(self) -> str:
        return self.scheduler.__name__


SCHEDULES: dict[str, ScheduleEntry] = {
    entry.name: entry
    for entry in [
        ScheduleEntry(LambdaLR, function=lambda_lr),
        ScheduleEntry(MultiplicativeLR),
        ScheduleEntry(StepLR, function=step_lr),
        ScheduleEntry(MultiStepLR, function=multi_step_lr),
        ScheduleEntry(ConstantLR, function=constant_lr),
        ScheduleEntry(LinearLR, function=linear_lr),
        ScheduleEntry(ExponentialLR, function=exponential_lr),
        ScheduleEntry(PolynomialLR, function=polynomial_lr),
        ScheduleEntry(CosineAnnealingLR, function=cosine_annealing_lr),
        ScheduleEntry(SequentialLR, function=sequential_lr, composite=True),
        ScheduleEntry(ChainedScheduler, composite=True),
        ScheduleEntry(CosineAnnealingWarmRestarts, function=cosine_annealing_warm_restarts),
        ScheduleEntry(CyclicLR, function=cyclic_lr),
        ScheduleEntry(OneCycleLR, function=one_cycle_lr),
        ScheduleEntry(SWALR, function=swa_lr),
        ScheduleEntry(ReduceLROnPlateau),
    ]
}
