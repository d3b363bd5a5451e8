"""``scheduler.step()`` of every class against torch 2.13's, the floor, and where the time goes."""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from typing import Any

import mlx.core as mx

from benchmarks import configurations, harness
from benchmarks.report import Section, Target
from mlx_lr_scheduler.registry import LONG_RUN

#: ours / torch, per class.
TARGET = 1.0
#: Classes whose step() is taken apart, and the parts.
BREAKDOWNS = ("ExponentialLR", "CosineAnnealingLR")
TORCH_STEP = "torch: the whole `step()`"
OUR_STEP = "ours: the whole `step()`"
CHAIN_LR = "ours: `_chain_lr(lr, base_lr, 0)`, the class's torch-exact arithmetic"
READ_LR = "ours: `ParamGroup.get_lr()`, read the group's LR"
WRITE_LR = "ours: `ParamGroup.set_lr(lr)`, write a new LR"
ARRAY = "of which `mx.array(lr, mx.float32)`"
CALL = "a method call doing one attribute test (`_warn_if_outside_step`)"
ASSIGN = "`optimizer.learning_rate = x` (MLX's own setter)"


def _stepper(scheduler: Any, args: tuple[Any, ...]) -> Callable[[], object]:
    step = scheduler.step
    return functools.partial(step, *args) if args else step


def _floor(settings: harness.Settings) -> dict[str, float]:
    """What any step that changes the LR must do: make a float32 scalar, store it."""
    optimizer = configurations.mlx_optimizer()
    state = optimizer.state
    values = [0.1, 0.05]
    flip = [0]

    def assign() -> None:
        flip[0] ^= 1
        optimizer.learning_rate = values[flip[0]]

    def make_array() -> None:
        flip[0] ^= 1
        mx.array(values[flip[0]], mx.float32)

    def store() -> None:
        flip[0] ^= 1
        state["learning_rate"] = values[flip[0]]

    def cosine() -> None:
        flip[0] ^= 1
        math.cos(values[flip[0]])

    return harness.interleaved(
        {
            ASSIGN: assign,
            "`mx.array(x, mx.float32)` alone": make_array,
            "`optimizer.state['learning_rate'] = x` (a dict store)": store,
            "`math.cos(x)` (one line of Python arithmetic)": cosine,
        },
        settings.calls,
        settings.rounds,
    )


def _breakdown(name: str, settings: harness.Settings) -> dict[str, float]:
    """The parts of one class's ``step()``, all timed in one interleaved group."""
    example = configurations.EXAMPLES[name]
    stepped = example.build(configurations.MLX, configurations.mlx_optimizer())
    parts = example.build(configurations.MLX, configurations.mlx_optimizer())
    theirs = example.build(configurations.TORCH, configurations.torch_optimizer())
    parts.step()
    parts.step()
    parts._in_step = True  # _warn_if_outside_step() as inside step(): it does not warn
    group = parts.param_groups[0]
    lr, base_lr = group.get_lr(), parts.base_lrs[0]
    other = [lr, lr * 0.5]
    flip = [0]

    def set_lr() -> None:  # the write of a changing value
        flip[0] ^= 1
        group.set_lr(other[flip[0]])

    def make_array() -> None:
        flip[0] ^= 1
        mx.array(other[flip[0]], mx.float32)

    return harness.interleaved(
        {
            TORCH_STEP: theirs.step,
            OUR_STEP: stepped.step,
            CHAIN_LR: functools.partial(parts._chain_lr, lr, base_lr, 0),
            READ_LR: group.get_lr,
            WRITE_LR: set_lr,
            ARRAY: make_array,
            CALL: parts._warn_if_outside_step,
        },
        settings.calls,
        settings.rounds,
    )


def _compare(
    examples: dict[str, Any], reference: Any, settings: harness.Settings, against: str
) -> tuple[list[list[str]], list[Target]]:
    """Each example's ``step()``, ours against the same example built from ``reference``."""
    rows, targets = [], []
    for name, example in examples.items():
        args = example.step_args(0)  # a metric-driven class: the same metric every step
        ours = example.build(configurations.MLX, configurations.mlx_optimizer())
        theirs = example.build(reference, configurations.torch_optimizer())
        cases = {"torch": _stepper(theirs, args), "ours": _stepper(ours, args)}
        timing = harness.interleaved(cases, settings.calls, settings.rounds)
        ratio = timing["ours"] / timing["torch"]
        rows.append(
            [
                f"`{name}`",
                harness.microseconds(timing["torch"]),
                harness.microseconds(timing["ours"]),
                f"{ratio:.2f}",
                "met" if ratio <= TARGET else "missed",
            ]
        )
        targets.append(Target(f"`{name}.step()` / {against}", ratio, "<=", TARGET))
    return rows, targets


def _alone(settings: harness.Settings) -> list[list[str]]:
    """The classes with no torch counterpart to time against: ours alone."""
    rows = []
    for name, example in configurations.OWN.items():
        args = example.step_args(0)
        ours = example.build(configurations.MLX, configurations.mlx_optimizer())
        timing = harness.interleaved(
            {"ours": _stepper(ours, args)}, settings.calls, settings.rounds
        )
        rows.append([f"`{name}`", f"`{example}`", harness.microseconds(timing["ours"])])
    return rows


def run(settings: harness.Settings) -> Section:
    section = Section("1. `scheduler.step()` against torch 2.13")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows, targets = _compare(configurations.EXAMPLES, configurations.TORCH, settings, "torch")
        modern, modern_targets = _compare(
            configurations.MODERN, configurations.TRANSFORMERS, settings, "transformers"
        )
        alone = _alone(settings)
        section.targets += targets + modern_targets
        floor = _floor(settings)
        breakdowns = {name: _breakdown(name, settings) for name in BREAKDOWNS}
    section.add(
        "Median µs per call of `step()` on a one-group SGD optimizer (momentum 0.9), "
        f"ours and torch's interleaved round by round ({settings.rounds} rounds of "
        f"{settings.calls} calls each), "
        f"each class as the registry's `{LONG_RUN}` example (configured so the LR keeps "
        "changing where the class allows it; `benchmarks/configurations.py`), "
        "the same example built with torch's class on a torch SGD. "
        "Target: ours ≤ 1.0 x torch.",
        "",
    )
    section.table(["class", "torch µs", "ours µs", "ours / torch", "≤ 1.0x"], rows)
    section.add(
        "**The modern schedules**, which torch lacks, against what a torch user runs for "
        "them: transformers' functions (`get_wsd_schedule`, `get_inverse_sqrt_schedule`, "
        "`get_cosine_schedule_with_warmup`, `get_polynomial_decay_schedule_with_warmup`), "
        "each a torch `LambdaLR` on the same torch SGD, built from the same long-run "
        "example's arguments and timed the same way. Target: ours ≤ 1.0 x transformers'.",
        "",
    )
    section.table(
        ["class", "transformers (torch `LambdaLR`) µs", "ours µs", "ours / transformers", "≤ 1.0x"],
        modern,
    )
    section.add(
        "**Classes with nothing to time against** (in torch, user code steps a warmup "
        "scheduler, then the other one), ours alone:",
        "",
    )
    section.table(["class", "long-run example", "ours µs"], alone)
    section.add(
        "**The floor.** A step that changes the LR must at least create a float32 "
        "scalar and store it in the optimizer state (a compiled step reads it from "
        "there); that is what MLX's own `optimizer.learning_rate = x` does:",
        "",
    )
    section.table(["operation", "µs"], [[k, harness.microseconds(v)] for k, v in floor.items()])
    for name, parts in breakdowns.items():
        section.add(f"**Where the time goes: `{name}`** (same run):", "")
        section.table(["part", "µs"], [[k, harness.microseconds(v)] for k, v in parts.items()])
    section.data.update(floor=floor, breakdowns=breakdowns)
    return section
