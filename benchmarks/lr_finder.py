"""The LR range test's overhead: section 6 of the report.

Times :func:`mlx_lr_scheduler.lr_find` against the same number of plain compiled
training steps (``mx.compile`` with the model's and the optimizer's state as
inputs and outputs, ``mx.eval`` of the loss and the state after each step, the
function compiled inside the timed region as lr_find compiles its own), on the
same model, optimizer and batches, in interleaved rounds that alternate which
runs first. Reports the median times and the median per-round ratio (target: at
most 1.1). The sweep's LR range is kept low so it never stops early: both run
every step. ``python -m benchmarks.lr_finder [--quick]`` prints this section alone.
"""

from __future__ import annotations

import statistics
import time
from functools import partial
from typing import Any

import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim

from benchmarks import harness
from benchmarks.report import Section, Target
from mlx_lr_scheduler import lr_find

TARGET = 1.1


def make(width: int, batch: int, count: int) -> tuple[nn.Module, list[tuple[mx.array, mx.array]]]:
    mx.random.seed(0)
    model = nn.Sequential(
        nn.Linear(64, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(), nn.Linear(width, 10)
    )
    batches = [
        (mx.random.normal((batch, 64)), mx.random.randint(0, 10, (batch,))) for _ in range(count)
    ]
    mx.eval(model.parameters(), batches)
    return model, batches


def loss_fn(model: nn.Module, x: mx.array, y: mx.array) -> mx.array:
    return nn.losses.cross_entropy(model(x), y, reduction="mean")


def plain(model: nn.Module, optimizer: Any, batches: list[Any]) -> None:
    optimizer.init(model.trainable_parameters())
    state = [model.state, optimizer.state]

    @partial(mx.compile, inputs=state, outputs=state)
    def step(x: mx.array, y: mx.array) -> mx.array:
        loss, grads = nn.value_and_grad(model, loss_fn)(model, x, y)
        optimizer.update(model, grads)
        return loss

    for x, y in batches:
        loss = step(x, y)
        mx.eval(loss, state)
        loss.item()


def sweep(model: nn.Module, optimizer: Any, batches: list[Any]) -> None:
    result = lr_find(
        model, optimizer, loss_fn, batches, start_lr=1e-6, end_lr=1e-4, num_steps=len(batches)
    )
    if result.diverged or len(result.lrs) != len(batches):
        raise RuntimeError(f"lr_find stopped after {len(result.lrs)} of {len(batches)} steps")


def measure(width: int, batch: int, steps: int, rounds: int) -> tuple[float, float, float]:
    """Median times of both, and the median of the per-round ratios (each round's two runs
    are adjacent in time, so they share the machine's load: the paired ratio is steadier)."""
    model, batches = make(width, batch, steps)
    times: dict[str, list[float]] = {"plain": [], "sweep": []}
    order = [("plain", plain), ("sweep", sweep)]
    for _ in range(rounds):
        order.reverse()  # alternate which goes first: no edge from a warm cache
        for name, run in order:
            optimizer = optim.AdamW(learning_rate=1e-4, bias_correction=True)
            start = time.perf_counter()
            run(model, optimizer, batches)
            times[name].append(time.perf_counter() - start)
    ratios = [s / p for s, p in zip(times["sweep"], times["plain"])]
    return (
        statistics.median(times["plain"]),
        statistics.median(times["sweep"]),
        statistics.median(ratios),
    )


#: (width, batch) of the MLPs timed.
MODELS = ((128, 64), (256, 128))


def run(settings: harness.Settings) -> Section:
    steps, rounds = (5, 2) if settings.quick else (200, 7)
    models = MODELS[:1] if settings.quick else MODELS
    section = Section("6. The LR range test")
    section.add(
        f"`lr_find(start_lr=1e-6, end_lr=1e-4, num_steps={steps})` (the range kept low "
        "so it never stops early) against the same number of plain compiled training "
        "steps (`mx.compile` with the model's and the optimizer's state as inputs and "
        "outputs, `mx.eval` of the loss and the state and `loss.item()` after each "
        "step, compiled inside the timed region as `lr_find` compiles its own), on the "
        "same MLP (64-width-width-10, ReLU), AdamW, cross-entropy and batches. "
        f"{rounds} rounds, each running both, alternating which goes first; median "
        "ms per run, and the median of the per-round ratios (each round's two runs "
        f"share the machine's load). Target: ≤ {TARGET:g} x plain training.",
        "",
    )
    rows = []
    for width, batch in models:
        plain_s, sweep_s, ratio = measure(width, batch, steps, rounds)
        label = f"MLP width {width}, batch {batch}, {steps} steps"
        rows.append([label, f"{plain_s * 1e3:.1f}", f"{sweep_s * 1e3:.1f}", f"{ratio:.3f}x"])
        section.targets.append(Target(f"`lr_find`, {label} / plain training", ratio, "<=", TARGET))
        section.data[label] = ratio
    section.table(["model", "plain training ms", "`lr_find` ms", "`lr_find` / plain"], rows)
    return section


def main() -> None:
    harness.run_section_alone(run, __doc__.splitlines()[0], "a few steps, two rounds")


if __name__ == "__main__":
    main()
