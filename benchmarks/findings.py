"""What the profile showed, with this run's numbers: the last section of the report."""

from __future__ import annotations

from benchmarks.report import Section
from benchmarks.step_cost import ASSIGN, CALL, CHAIN_LR, OUR_STEP, READ_LR, TORCH_STEP, WRITE_LR
from mlx_lr_scheduler import LRScheduler
from mlx_lr_scheduler.registry import SCHEDULES

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
    missed = sorted(name for name, t in targets.items() if not t.met)
    array = floor["`mx.array(x, mx.float32)` alone"]
    assign = floor[ASSIGN]
    exp = breakdowns["ExponentialLR"]
    cos = breakdowns["CosineAnnealingLR"]
    call = exp[CALL]
    mlp = sections[1].data
    found = Section("5. Findings")
    found.add(
        f"**`step()` ≤ 1.0x torch: met by {len(met)} of {len(targets)} classes**"
        + (f"; missed by {', '.join(f'`{n}`' for n in missed)}." if missed else "."),
        "",
        "**One step path.** `LRScheduler.step()` is torch's: count the step, warn once if "
        "it comes before any optimizer update, then `_update_lr()` computes every group's "
        "LR (`get_lr()`, torch's chainable form; `step(epoch)` takes the closed form) and "
        "`_set_lrs()` checks them all (a float, ≥ 0, below the overflow of the optimizer's "
        "dtype) before it writes any. "
        + ", ".join(f"`{n}`" for n in CHAINED)
        + " state torch's formula once, for one group, in `_chain_lr(lr, base_lr, index)`, "
        "which the base `get_lr()` maps over the groups. The only shortcut is in "
        "`ParamGroup.set_lr`: when the new LR equals the current one and the optimizer "
        "still holds the array we wrote, nothing is written, so most steps of `StepLR`, "
        "`MultiStepLR`, `ConstantLR` (and a finished warmup) make no MLX call at all. No "
        "MLX private attribute is read on the way (the state through `optimizer.state`).",
        "",
        "**Where the time goes** (this run):",
        "",
        f"* *The floor.* A step whose LR changes must create the optimizer's scalar and "
        f"store it in its state, where a compiled step reads it: `mx.array` alone takes "
        f"{_us(array)} here, MLX's own `optimizer.learning_rate = x` {_us(assign)}. torch "
        "stores a Python float in a dict. Overwriting the scalar's buffer in place instead "
        "would be unsafe: MLX evaluates lazily, so an update still pending on the old value "
        "would read the new.",
        f"* *The class's arithmetic*, torch's step-by-step formula kept for bit-exact "
        f"parity: {_us(exp[CHAIN_LR])} for `ExponentialLR`, {_us(cos[CHAIN_LR])} for "
        "`CosineAnnealingLR` (two `math.cos`, two divisions and the trough test).",
        f"* *The calls.* A Python call costs about {_us(call)} here; the path makes about "
        f"ten (`step`, `_update_lr`, `get_lr`, the group read, `_chain_lr`, `_set_lrs`, "
        "the group write, `mx.array`), torch's about as many.",
        f"* So `ExponentialLR`: read + arithmetic + write ≈ "
        f"{_us(exp[READ_LR] + exp[CHAIN_LR] + exp[WRITE_LR])}, the whole step "
        f"{_us(exp[OUR_STEP])} against torch's {_us(exp[TORCH_STEP])}; `CosineAnnealingLR` "
        f"≈ {_us(cos[READ_LR] + cos[CHAIN_LR] + cos[WRITE_LR])}, the whole step "
        f"{_us(cos[OUR_STEP])} against torch's {_us(cos[TORCH_STEP])}.",
        "* `CyclicLR` and `OneCycleLR` with `cycle_momentum` write two scalars per step "
        "(the LR, and the momentum or beta1 kept in the optimizer state so a compiled step "
        "sees it): twice the floor, where torch assigns two floats.",
        "* The machine is shared: under load `mx.array` slows down much more than plain "
        "Python, which makes every ratio of section 1 worse than on an idle machine. The "
        "ratios are taken within one interleaved row, so the load affects both sides of a "
        "row alike, but not both kinds of work alike.",
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
        + ".",
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
