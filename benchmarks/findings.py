"""What the profile showed, with this run's numbers: the last section of the report."""

from __future__ import annotations

import os
from typing import Any

from benchmarks.checkpoint import HASH, LOAD, LOAD_HASHED, LOAD_PLAIN, SAVE, SAVE_HASHED, SAVE_PLAIN
from benchmarks.checkpoint import TARGET as CHECKPOINT_TARGET
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


def _mlp(label: str, ratios: dict[str, float]) -> str:
    kinds = [f"class {ratios['class']:.3f}x"]
    if "function" in ratios:
        kinds.append(f"function {ratios['function']:.3f}x")
    return (
        f"{label}: {', '.join(kinds)} (setups of the same constant step differ by up to "
        f"{ratios['spread']:.3f}x)"
    )


def _ratio(data: dict[str, Any], numerator: str, denominator: str) -> str:
    medians = data["medians"]
    return f"{medians[numerator] / medians[denominator]:.2f}x"


def _rate(data: dict[str, Any], name: str) -> str:
    return f"{data['megabytes'] / data['medians'][name]:.0f}"


def _numbered(sections: list[Section], number: int) -> Section:
    """The section whose title starts with ``number``."""
    return next(s for s in sections if s.title.startswith(f"{number}. "))


def section(sections: list[Section]) -> Section:
    step = _numbered(sections, 1)
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
    mlp = _numbered(sections, 2).data
    saved = _numbered(sections, 5).data
    ranges = _numbered(sections, 6).data
    hash_load = saved["medians"][HASH] / saved["medians"][LOAD_PLAIN]
    cores = os.cpu_count() or 1
    found = Section("7. Findings")
    found.add(
        f"**`step()` ≤ 1.0x torch (transformers' `LambdaLR` for the modern schedules): "
        f"met by {len(met)} of {len(targets)} classes**"
        + (f"; missed by {', '.join(f'`{n}`' for n in missed)}." if missed else "."),
        "",
        "**One step path.** `LRScheduler.step()` is torch's: count the step, warn once if "
        "it comes before any optimizer update, then `_update_lr()` computes every group's "
        "LR (`get_lr()`, torch's chainable form; `step(epoch)` takes the closed form) and "
        "`_set_lrs()` checks them all (a float, ≥ 0, below the overflow of the optimizer's "
        "dtype) before it writes any. "
        + ", ".join(f"`{n}`" for n in CHAINED)
        + " state their formula (torch's; transformers' for the modern schedules) once, "
        "for one group, in `_chain_lr(lr, base_lr, index)`, which the base `get_lr()` "
        "maps over the groups; `CyclicLR` and `OneCycleLR` compute each group's LR and "
        "momentum together, and the composites (`SequentialLR`, `ChainedScheduler`, "
        "`WarmupLR`, `WarmupThenPlateau`) step the schedulers they hold. As in torch, "
        "`CosineAnnealingWarmRestarts` (fractional epochs) and `ReduceLROnPlateau` (a "
        "metric) have their own `step()`; the first ends in the same `_set_lrs()`, the "
        "second writes only the groups it reduces, through the same "
        "`ParamGroup.set_lr`. The only shortcut is in "
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
        "* The modern schedules (`WarmupStableDecayLR`, `InverseSqrtLR`, `WarmupCosineLR`, "
        "`WarmupPolynomialLR`) take the same path; transformers' equivalents are a torch "
        "`LambdaLR` calling a Python function per step.",
        "* The machine is shared: under load `mx.array` slows down much more than plain "
        "Python, which makes every ratio of section 1 worse than on an idle machine. The "
        "ratios are taken within one interleaved row, so the load affects both sides of a "
        "row alike, but not both kinds of work alike.",
        "",
        "**Compiled train step.** The scheduler's `step()` (a few µs, plus reading the "
        "compiled step's pass-through copy of the LR once) and the in-graph function (a "
        "few scalar ops in the compiled graph) cost microseconds against a train step of "
        "milliseconds (MLX's CPU matmuls on this machine): "
        + "; ".join(_mlp(label, r) for label, r in mlp.items())
        + ". The cycled momentum is one more float32 input of the same compiled graph, "
        "written like the LR, so the graph is traced once, not again at each new value.",
        "",
        "**Checkpoints.** "
        f"`save_checkpoint` takes {_ratio(saved, SAVE, SAVE_PLAIN)} and `load_checkpoint` "
        f"{_ratio(saved, LOAD, LOAD_PLAIN)} the time of MLX alone on "
        f"{saved['megabytes']:.0f} MB. Where the time goes: the SHA-256 of every byte, "
        f"which hashlib computes at {saved['hash_rate']:.0f} MB/s on one core here "
        "(1 to 2 GB/s is typical of SHA-256 on a CPU core), while `mx.load` from the page "
        f"cache moves {_rate(saved, LOAD_PLAIN)} MB/s and `mx.save_safetensors` + fsync "
        f"{_rate(saved, SAVE_PLAIN)} MB/s: hashing alone takes "
        f"{saved['medians'][HASH] / saved['medians'][LOAD_PLAIN]:.1f}x as long as the plain "
        f"load, {saved['medians'][HASH] / saved['medians'][SAVE_PLAIN]:.2f}x as long as the "
        "plain save. MLX's part and then hashlib, one after the other, take "
        f"{_ratio(saved, SAVE_HASHED, SAVE_PLAIN)} (save) and "
        f"{_ratio(saved, LOAD_HASHED, LOAD_PLAIN)} (load) of MLX alone. Both functions "
        "hash the arrays already in memory (no second read of the file), each file on "
        "its own thread while the next is written or loaded, the largest first. A save's "
        "writes and fsyncs take long enough for part of the hashing to hide behind them; "
        "a load from the page cache is a copy much faster than the hash, so little can "
        "hide and a verified load costs about the plain load plus the hash. To stay "
        f"within {CHECKPOINT_TARGET:g}x, the hashing that does not overlap would have to "
        f"fit in {CHECKPOINT_TARGET - 1:.2f}x the plain load's time: here it takes "
        f"{hash_load:.1f}x on one core, {hash_load / cores:.1f}x even if spread over all "
        f"{cores} cores. The manifest, the rename and the `latest` pointer are a few small "
        "writes and fsyncs.",
        "",
        "**Range test.** `lr_find` runs the same compiled step as a plain loop; on top of "
        "it, per step, it sets the next LR (one `mx.array`), reads the loss back "
        "(`.item()`, which the plain loop does too) and smooths it, checks for "
        "divergence and keeps the history; once per sweep it keeps the model's and the "
        "optimizer's arrays to restore them after: "
        + "; ".join(f"{label}: {ratio:.3f}x plain training" for label, ratio in ranges.items())
        + ". That work is a few µs per step, against train steps of milliseconds here; "
        "the ratios' spread around 1 is the machine's noise.",
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
