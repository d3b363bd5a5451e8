"""What the profile showed, with this run's numbers: the last section of the report."""

from __future__ import annotations

from benchmarks.report import Section
from benchmarks.step_cost import ASSIGN, CALL, CHAIN_LR, OUR_STEP, READ_LR, TORCH_STEP, WRITE_LR
from mlx_lr_scheduler import LRScheduler
from mlx_lr_scheduler.registry import SCHEDULES

#: ``step()`` before the hot-path work, on this machine (ours, torch, µs), as first measured.
BEFORE = {"StepLR": (1.65, 1.87), "CosineAnnealingLR": (2.34, 2.14)}
#: ``step()`` before ``_chain_lr`` (ours, torch, µs): the full report of commit 7f14bb2.
BEFORE_CHAIN = {
    "LambdaLR": (1.52, 2.35),
    "MultiplicativeLR": (1.67, 2.27),
    "LinearLR": (1.84, 2.01),
    "ExponentialLR": (1.48, 1.75),
    "PolynomialLR": (1.60, 1.96),
    "CosineAnnealingLR": (2.17, 2.30),
}
#: ``step()`` before this round's work on the classes off the hot path (ours, torch,
#: µs): the full report of commit daa6810.
BEFORE_ROUND = {
    "CyclicLR": (4.63, 3.67),
    "OneCycleLR": (4.14, 2.90),
    "SWALR": (3.85, 6.26),
    "SequentialLR": (1.54, 2.35),
    "CosineAnnealingWarmRestarts": (2.32, 3.28),
    "ReduceLROnPlateau": (0.86, 1.17),
}
#: The classes whose torch formula is stated once per group, in ``_chain_lr`` (read
#: off the classes, so the findings cannot drift from the code).
CHAINED = tuple(
    name
    for name, entry in SCHEDULES.items()
    if entry.scheduler._chain_lr is not LRScheduler._chain_lr
)


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
        "and changed on the step path (`scheduler.py`, `param_groups.py`, the classes):",
        "",
        "1. **One formula per class, one loop in the base.** "
        + ", ".join(f"`{n}`" for n in CHAINED)
        + " state torch's chainable formula once, for one group, in "
        "`_chain_lr(lr, base_lr, index)` (same operations in the same order, so parity "
        "stays bit-exact). The base class's `get_lr()` (torch's public API) maps it over "
        "the groups, and `step()`'s hot path (one group, no `epoch`, past the first "
        "`step()`, a class that keeps the base `get_lr`, `_update_lr` and `_set_lrs`) "
        "calls it once, on the group it found when it was bound: read the group's "
        "float64 LR (`ParamGroup.get_lr`: an identity "
        "check of the state's array against the one we wrote, `.item()` only for a "
        "hand-set one), compute, check it (finite, ≥ 0, below float32 overflow), write it "
        "(`ParamGroup.set_lr`: only if it changed), set `_last_lr`. No lists, no "
        "outside-`step()` warning check, no `_set_lrs`; on an error `last_epoch`, "
        "`_step_count`, the LR and `_last_lr` stay as they were. A user subclass that "
        "implements `get_lr()` as in torch takes the general path.",
        "2. The group's read and write live in `ParamGroup` only: the copies inlined into "
        "`_set_lrs` and `_group_lrs` are gone (their one-group cases now call "
        "`ParamGroup`). `ParamGroup` still reads the optimizer's `_state` dict directly "
        "instead of through MLX's `state` property.",
        "3. Inside the formulas: `max(x, 0.0)` written as a conditional (same result, NaN "
        "and -0.0 included) and `math.cos`/`math.pi` bound once at module level "
        "(`CosineAnnealingLR`, `LinearLR`).",
        "4. **`CyclicLR` and `OneCycleLR`** state torch's arithmetic for one group once, in "
        "`_lr_and_momentum(index)` (the LR and, with `cycle_momentum`, the momentum, from "
        "the same intermediate values, as torch computes them); their common base "
        "`MomentumCycling` (`momentum.py`) maps it over the groups in `get_lr()` (torch's API, "
        "the general path) and, for one group past the first `step()`, its `step()` calls it "
        "once, checks the momentum then the LR (as `_set_lrs` does), then writes the LR "
        "(`ParamGroup.set_lr`) and the momentum (`ScheduledMomentum.set`, through the "
        "module's one momentum/beta1 writer and `ParamGroup.write_scalar`): no lists, no "
        "pending-momenta hand-over, no `_set_lrs`; on an error nothing changes. Per-step "
        "constants are derived once, at construction and on loading a state: `CyclicLR`'s "
        "scale function in use and whether it scales by cycle or by iteration, "
        "`OneCycleLR`'s phase table (start, end, keys) and anneal function (no dispatch by "
        "string, no dict lookups per phase); the bounds are read from `ParamGroup.entries` "
        "directly. A subclass overriding `get_lr`/`_set_lrs` takes the general path.",
        "5. **`SWALR`** states its step (the undo of the previous interpolation, then the "
        "new one) in `_chain_lr`, so it takes the base's hot path; `max(0, min(1, x))` is "
        "written as conditionals (the same values). **`SequentialLR`** steps the active "
        "child, then advances its own `last_epoch` (only once the child's step succeeded) "
        "and takes the child's `_last_lr` list instead of a copy through `get_last_lr()` "
        "(every scheduler replaces that list, none edits it).",
        "6. Unchanged: when the new LR equals the current one and the optimizer state "
        "still holds the array we wrote, nothing is written, so most steps of `StepLR`, "
        "`MultiStepLR`, `ConstantLR` (and a finished `LinearLR`/`SWALR` warmup) make no "
        "MLX call at all.",
        "",
        "Before the hot-path work (as first measured, same machine): "
        + ", ".join(
            f"`{name}` {ours:.2f} µs vs torch {torch:.2f} µs ({ours / torch:.2f}x)"
            for name, (ours, torch) in BEFORE.items()
        )
        + ". Before `_chain_lr` (the previous full report): "
        + ", ".join(f"`{name}` {ours / torch:.2f}x" for name, (ours, torch) in BEFORE_CHAIN.items())
        + "; in this run: "
        + ", ".join(
            f"`{name}` {targets[name].measured:.2f}x" for name in BEFORE_CHAIN if name in targets
        )
        + ". Before this round's work on the classes that were off the hot path (the "
        "previous full report): "
        + ", ".join(
            f"`{name}` {ours:.2f} µs vs torch {torch:.2f} µs ({ours / torch:.2f}x)"
            for name, (ours, torch) in BEFORE_ROUND.items()
        )
        + "; in this run: "
        + ", ".join(
            f"`{name}` {targets[name].measured:.2f}x" for name in BEFORE_ROUND if name in targets
        )
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
        f"* *The class's arithmetic.* `_chain_lr` is torch's step-by-step formula, kept "
        f"for bit-exact parity: {_us(exp[CHAIN_LR])} for `ExponentialLR`, "
        f"{_us(cos[CHAIN_LR])} for `CosineAnnealingLR` (two `math.cos`, two divisions and "
        f"the trough test, as torch computes it; torch's whole step: {_us(torch_cos)}).",
        f"* *The calls.* The hot path makes three Python calls (`ParamGroup.get_lr`, "
        f"`_chain_lr`, `ParamGroup.set_lr`); a call costs about {_us(call)} here. "
        "Inlining the two `ParamGroup` ones into `step()` saved about 0.07 µs when tried, but "
        "duplicates the group's read/write logic, which we keep in one place.",
        f"* So `ExponentialLR` needs read + arithmetic + write ≈ "
        f"{_us(exp[READ_LR] + exp[CHAIN_LR] + exp[WRITE_LR])} against a budget of "
        f"{_us(torch_exp / 2)}; the measured whole step is {_us(exp[OUR_STEP])}; "
        f"`CosineAnnealingLR` ≈ {_us(cos[READ_LR] + cos[CHAIN_LR] + cos[WRITE_LR])} "
        f"against {_us(torch_cos / 2)}, measured {_us(cos[OUR_STEP])}.",
        "* `CyclicLR` and `OneCycleLR` write two scalars per step (the LR, and the "
        "momentum or beta1 that `mlx_lr_scheduler.momentum` keeps in the optimizer state "
        "so a compiled step sees it): twice the floor, where torch assigns two floats. "
        "Their lean step is `MomentumCycling`'s, beside the base's `_chain_lr` hot path "
        "rather than on it: it writes two values and reads no current LR. What is left is "
        "the arithmetic (`OneCycleLR`: the phase lookup and two anneals, each a `math.cos`) "
        "and about eight Python calls (the step, the arithmetic and its anneal or scale "
        "function, `ParamGroup.set_lr`, and three for the momentum write).",
        "* `CosineAnnealingWarmRestarts` keeps its own `step()`/`get_lr()` (the cycle "
        "bookkeeping; torch's `CosineAnnealingWarmRestarts.step()` never counts "
        "`_step_count`, which our state keeps as torch does, so the base's hot path, gated "
        "on it, does not apply): a list, a warning check and `_set_lrs` per step, unchanged "
        "in this round. `SequentialLR` and `ChainedScheduler` pay their child's step plus "
        "their own bookkeeping (a bisection, a call).",
        "* `ReduceLROnPlateau` (unchanged in this round): torch's step on a plateau is a "
        "comparison and a counter (well under a µs); ours also converts the metric (a "
        "`type(metrics) is float` fast path first), calls `_is_better` and re-reads the "
        "group's LR into `_last_lr`, a handful of Python calls against a budget of a few.",
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
