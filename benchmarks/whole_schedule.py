"""A whole schedule at once (for a plot): one ``mx.arange`` vs stepping torch's scheduler."""

from __future__ import annotations

import warnings

import mlx.core as mx
import torch.optim.lr_scheduler as torch_lr

from benchmarks import configurations, harness
from benchmarks.report import Section, Target
from mlx_lr_scheduler import CosineAnnealingLR
from mlx_lr_scheduler.schedules import cosine_annealing_lr, one_cycle_lr

#: torch stepping / ours over an array.
TARGET = 100.0


def run(settings: harness.Settings) -> Section:
    steps = 10**4 if settings.quick else 10**6
    repeats = 1 if settings.quick else 3
    section = Section("3. A whole schedule at once")
    schedule = cosine_annealing_lr(configurations.BASE_LR, T_max=steps)
    compiled = mx.compile(schedule)

    def ours() -> None:
        mx.eval(schedule(mx.arange(steps)))

    def ours_compiled() -> None:
        mx.eval(compiled(mx.arange(steps)))

    def ours_one_cycle() -> None:
        mx.eval(one_cycle_lr(configurations.BASE_LR, total_steps=steps)(mx.arange(steps)))

    def torch_stepping() -> None:
        scheduler = torch_lr.CosineAnnealingLR(configurations.torch_optimizer(), T_max=steps)
        values = [scheduler.get_last_lr()[0]]
        for _ in range(steps - 1):
            scheduler.step()
            values.append(scheduler.get_last_lr()[0])

    def class_stepping() -> None:
        scheduler = CosineAnnealingLR(configurations.mlx_optimizer(), T_max=steps)
        values = [scheduler.get_last_lr()[0]]
        for _ in range(steps - 1):
            scheduler.step()
            values.append(scheduler.get_last_lr()[0])

    ours_compiled()  # compile once, outside the timing
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        timing = {
            "torch `CosineAnnealingLR`, stepped, `get_last_lr()` collected": harness.time_once(
                torch_stepping, repeats
            ),
            "ours, `CosineAnnealingLR` stepped the same way": harness.time_once(
                class_stepping, repeats
            ),
            "ours, `cosine_annealing_lr(...)(mx.arange(n))`": harness.time_once(ours, 5),
            "ours, the same under `mx.compile`": harness.time_once(ours_compiled, 5),
            "ours, `one_cycle_lr(...)(mx.arange(n))`": harness.time_once(ours_one_cycle, 5),
        }
    torch_time = timing["torch `CosineAnnealingLR`, stepped, `get_last_lr()` collected"]
    eager = timing["ours, `cosine_annealing_lr(...)(mx.arange(n))`"]
    section.add(
        f"All n = {steps:,} values of a cosine schedule, as one would for a plot: the "
        "function over one `mx.arange(n)` (evaluated; median of 5) against stepping "
        f"torch's scheduler n times and collecting `get_last_lr()` (median of {repeats}). "
        "Target: ≥ 100x faster.",
        "",
    )
    section.table(
        ["how", "ms", "torch / this"],
        [[k, f"{v * 1e3:.2f}", f"{torch_time / v:.1f}x"] for k, v in timing.items()],
    )
    section.targets.append(
        Target(
            f"{steps:.0e}-step schedule: torch stepping / ours over `mx.arange`",
            torch_time / eager,
            ">=",
            TARGET,
        )
    )
    return section
