"""``step()`` cost as the run gets long and the schedule gets big: it should stay flat."""

from __future__ import annotations

import copy
import functools
import warnings
from collections.abc import Callable
from typing import Any

from benchmarks import configurations, harness
from benchmarks.report import Section, Target

#: late / early, many / few.
TARGET = 1.2

#: Classes timed at step 10 and at step 10^6.
LONG_RUN = [
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "SequentialLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "OneCycleLR",
    "ReduceLROnPlateau",
]


def _at(build: Callable[[Any], Any], steps: int, args: tuple[Any, ...] = ()) -> tuple[Any, Any]:
    """A scheduler stepped ``steps`` times, and a setup that puts it back there."""
    scheduler = build(configurations.mlx_optimizer())
    for _ in range(steps):
        scheduler.step(*args)
    saved = copy.deepcopy(scheduler.state_dict())
    return scheduler, lambda: scheduler.load_state_dict(saved)


def _compare(
    early: tuple[Any, Any],
    late: tuple[Any, Any],
    settings: harness.Settings,
    args: tuple[Any, ...] = (),
) -> dict[str, float]:
    def stepper(scheduler: Any) -> Callable[[], object]:
        return functools.partial(scheduler.step, *args) if args else scheduler.step

    return harness.interleaved(
        {"early": stepper(early[0]), "late": stepper(late[0])},
        settings.calls,
        settings.rounds,
        setup={"early": early[1], "late": late[1]},
    )


def run(settings: harness.Settings) -> Section:
    far = 10**3 if settings.quick else 10**6
    section = Section("4. Scaling")
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in LONG_RUN:
            example = configurations.EXAMPLES[name]
            args = example.step_args(0)  # a metric-driven class: the same metric every step
            build = functools.partial(example.build, configurations.MLX)
            timing = _compare(_at(build, 10, args), _at(build, far, args), settings, args)
            ratio = timing["late"] / timing["early"]
            rows.append(
                [
                    f"`{name}`: step 10 vs step {far:.0e}",
                    harness.microseconds(timing["early"]),
                    harness.microseconds(timing["late"]),
                    f"{ratio:.2f}",
                ]
            )
            section.targets.append(
                Target(f"`{name}.step()` at step {far:.0e} / at 10", ratio, "<=", TARGET)
            )

        # MultiStepLR: 3 milestones vs 10^4, both timed from epoch 500,050.
        def multi_step(milestones: list[int]) -> tuple[Any, Any]:
            scheduler = configurations.MLX.MultiStepLR(
                configurations.mlx_optimizer(), milestones, gamma=0.9999
            )
            state = scheduler.state_dict()
            state.update(last_epoch=500_050, _step_count=500_051)
            return scheduler, lambda: scheduler.load_state_dict(copy.deepcopy(state))

        many = [100 * k for k in range(1, 10**4 + 1)]
        timing = _compare(multi_step([250_000, 500_000, 750_000]), multi_step(many), settings)
        ratio = timing["late"] / timing["early"]
        rows.append(
            [
                "`MultiStepLR`: 3 vs 10^4 milestones",
                harness.microseconds(timing["early"]),
                harness.microseconds(timing["late"]),
                f"{ratio:.2f}",
            ]
        )
        section.targets.append(
            Target("`MultiStepLR.step()`, 10^4 / 3 milestones", ratio, "<=", TARGET)
        )

        # SequentialLR: 2 segments vs 100, both timed from epoch 9,950 (the last segment).
        def sequential(segments: int) -> Callable[[Any], Any]:
            def build(optimizer: Any) -> Any:
                children = [
                    configurations.MLX.ExponentialLR(optimizer, gamma=0.9999)
                    for _ in range(segments)
                ]
                milestones = [100 * k for k in range(1, segments)]
                return configurations.MLX.SequentialLR(optimizer, children, milestones)

            return build

        timing = _compare(_at(sequential(2), 9_950), _at(sequential(100), 9_950), settings)
        ratio = timing["late"] / timing["early"]
        rows.append(
            [
                "`SequentialLR`: 2 vs 100 segments",
                harness.microseconds(timing["early"]),
                harness.microseconds(timing["late"]),
                f"{ratio:.2f}",
            ]
        )
        section.targets.append(
            Target("`SequentialLR.step()`, 100 / 2 segments", ratio, "<=", TARGET)
        )
    section.add(
        "Median µs per `step()`, the two configurations of each row interleaved; before "
        "each timed round every scheduler is put back where it was (`load_state_dict`), "
        "so the rows compare the same positions throughout. Target: ≤ 1.2x.",
        "",
    )
    section.table(["what", "few / early µs", "many / late µs", "ratio"], rows)
    return section
