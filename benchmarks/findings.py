"""What the profile showed, with this run's numbers: the last section of the report."""

from __future__ import annotations

from benchmarks.report import Section
from benchmarks.step_cost import ASSIGN, CALL, GET_LR, OUR_STEP, SET_LRS, TORCH_STEP

#: ``step()`` before the hot-path work, on this machine (ours, torch, µs), from the issue.
BEFORE = {"StepLR": (1.65, 1.87), "CosineAnnealingLR": (2.34, 2.14)}


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:.2f} µs"


def section(sections: list[Section]) -> Section:
    step = sections[0]
    floor = step.data["floor"]
    breakdowns = step.data["breakdowns"]
    targets = {t.name.split("`")[1].split(".")[0]: t for t in step.targets}
    met = sorted(name for name, t in targets.items() if t.met)
    array = floor["`mx.array(x, mx.float32)` alone"]
    assign = floor[ASSIGN]
    exp = breakdowns["ExponentialLR"]
    cos = breakdowns["CosineAnnealingLR"]
    torch_exp, torch_cos = exp[TORCH_STEP], cos[TORCH_STEP]
    call = exp[CALL]
    mlp = sections[1].data
    found = Section("5. Findings")
    found.add(
        f"**`step()` ≤ 0.5x torch: met by {len(met)} of {len(targets)} classes** "
        f"({', '.join(f'`{n}`' for n in met) or 'none'}), missed by the others.",
        "",
        "What was profiled (cProfile, and the pieces timed side by side as in section 1) "
        "and changed on the step path (`scheduler.py`, `param_groups.py`):",
        "",
        "1. `step()` inlines the base `_update_lr` for the common call (no `epoch`, not "
        "the first step): one Python call fewer per step. A subclass that overrides "
        "`_update_lr` keeps its own (checked once per class, at definition).",
        "2. With one parameter group, `_set_lrs` and `_group_lrs` skip the per-group "
        "lists and inline `ParamGroup.set_lr` / `get_lr` (two calls fewer), and read the "
        "optimizer's `_state` dict directly instead of through MLX's `state` property "
        "(one more call per read). The checks (finite, ≥ 0, float32-representable), the "
        "all-or-nothing write and the adoption of a hand-set LR are unchanged; parity "
        "stays bit-exact.",
        "3. When the new LR equals the current one and the optimizer state still holds "
        "the array we wrote, nothing is written: most steps of `StepLR`, `MultiStepLR`, "
        "`ConstantLR` (and a finished `LinearLR`/`SWALR` warmup) make no MLX call at all. "
        "These are the classes under 0.5x.",
        "",
        "Before this work (the issue's numbers, same machine): "
        + ", ".join(
            f"`{name}` {ours:.2f} µs vs torch {torch:.2f} µs ({ours / torch:.2f}x)"
            for name, (ours, torch) in BEFORE.items()
        )
        + "; in this run: "
        + ", ".join(f"`{name}` {targets[name].measured:.2f}x" for name in BEFORE if name in targets)
        + ".",
        "",
        "**What stands in the way of 0.5x for the others** (this run's numbers):",
        "",
        f"* *The floor.* A step whose LR changes must create a float32 scalar and store "
        f"it in the optimizer state, where a compiled step reads it: `mx.array` alone "
        f"takes {_us(array)} here, MLX's own `optimizer.learning_rate = x` "
        f"{_us(assign)}, which is {assign / torch_exp:.0%} of torch's whole "
        f"`ExponentialLR.step()` ({_us(torch_exp)}). torch stores a Python float in a "
        "dict. Overwriting the scalar's buffer in place instead would be unsafe: MLX "
        "evaluates lazily, so an update still pending on the old value would read the new.",
        f"* *The class's arithmetic.* `get_lr()` is torch's step-by-step formula, kept "
        f"for bit-exact parity, plus reading the group's LR and the outside-`step()` "
        f"warning check: {_us(exp[GET_LR])} for `ExponentialLR`, {_us(cos[GET_LR])} for "
        f"`CosineAnnealingLR` (torch's whole step: {_us(torch_cos)}). Every Python call "
        f"costs about {_us(call)} here; `get_lr()` makes two to four. These methods are "
        "the torch-named classes' own code, not the step path's.",
        f"* So `ExponentialLR` needs get_lr + write ≈ "
        f"{_us(exp[GET_LR] + exp[SET_LRS])} against a budget of {_us(torch_exp / 2)}; the "
        f"measured whole step is {_us(exp[OUR_STEP])}.",
        "* `CyclicLR` and `OneCycleLR` write two scalars per step (the LR, and the "
        "momentum or beta1 that `mlx_lr_scheduler.momentum` keeps in the optimizer state "
        "so a compiled step sees it): twice the floor, where torch assigns two floats.",
        "* `ReduceLROnPlateau`: on a plateau torch's step is a comparison and a counter; "
        "ours also checks the metric's type (`isinstance(metrics, numbers.Real)`, an ABC "
        "check) and re-reads the group LRs. A `type(metrics) is float` fast path in "
        "`reduce_lr_on_plateau.py` would cut most of the difference.",
        "* The machine is shared: under load `mx.array` slows down much more than plain "
        "Python (about 0.31 µs idle), which makes every ratio of section 1 worse than on "
        "an idle machine. The ratios are taken within one interleaved row, so the load "
        "affects both sides of a row alike, but not both kinds of work alike.",
        "",
        "**Compiled train step.** The scheduler's `step()` (a few µs, plus reading the "
        "compiled step's pass-through copy of the LR once) and the in-graph function (a "
        "few scalar ops in the compiled graph) cost microseconds against a train step of "
        "milliseconds (MLX's CPU matmuls on this machine): "
        + "; ".join(
            f"{label}: class {r['class']:.3f}x, function {r['function']:.3f}x (setups of "
            f"the same constant-LR step differ by up to {r['spread']:.3f}x)"
            for label, r in mlp.items()
        )
        + ". Section 1 measures the class's part directly: a few µs per step.",
        "",
        "**Whole schedule.** One `mx.arange` through the function replaces a million "
        "Python calls; compiling it fuses the elementwise ops.",
        "",
        "**Scaling.** Nothing on the step path grows with the step count or the schedule's "
        "size: `MultiStepLR` looks the epoch up in a dict of milestone counts, "
        "`SequentialLR` finds its segment by bisection, `CosineAnnealingWarmRestarts` "
        "carries its position in the cycle.",
    )
    return found
