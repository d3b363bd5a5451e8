"""``python -m benchmarks.lr_finder [--rounds N] [--steps N]``: the LR range test's overhead.

Times :func:`mlx_lr_scheduler.lr_find` against the same number of plain compiled
training steps (``mx.compile`` with the model's and the optimizer's state as
inputs and outputs, ``mx.eval`` of the loss and the state after each step, the
function compiled inside the timed region as lr_find compiles its own), on the
same model, optimizer and batches, in interleaved rounds that alternate which
runs first. Prints the median times and the median per-round ratio (target: at
most 1.1). The sweep's LR range is kept low so it never stops early: both run
every step.
"""

from __future__ import annotations

import argparse
import statistics
import time
from functools import partial
from typing import Any

import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim

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
    assert not result.diverged and len(result.lrs) == len(batches)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=200)
    arguments = parser.parse_args()
    print(f"{'model':<28} {'plain (ms)':>11} {'lr_find (ms)':>13} {'ratio':>6}  target")
    print("(medians over rounds; ratio: the median of the per-round ratios)")
    for width, batch in ((128, 64), (256, 128)):
        plain_s, sweep_s, ratio = measure(width, batch, arguments.steps, arguments.rounds)
        label = f"MLP width {width}, batch {batch}"
        met = "met" if ratio <= TARGET else "MISSED"
        print(
            f"{label:<28} {plain_s * 1e3:>11.1f} {sweep_s * 1e3:>13.1f} {ratio:>6.3f}  "
            f"<= {TARGET} {met}"
        )


if __name__ == "__main__":
    main()
