"""A compiled MLP train step: constant LR vs a torch-named class stepping it vs the function.

A third row cycles the momentum too: ``OneCycleLR`` on SGD with momentum 0.9, which
moves the momentum into the optimizer's state (a float32 array the compiled step
reads, like the LR) and writes it on every ``step()``.
"""

from __future__ import annotations

import statistics
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim

from benchmarks import harness
from benchmarks.report import Section, Target
from mlx_lr_scheduler import CosineAnnealingLR, LRScheduler, OneCycleLR
from mlx_lr_scheduler.schedules import cosine_annealing_lr

#: with a schedule / constant LR.
TARGET = 1.01
LR = 1e-2
T_MAX = 10**6
ONE_CYCLE_STEPS = 10**6


def _sgd(learning_rate: object) -> optim.Optimizer:
    return optim.SGD(learning_rate, momentum=0.9)  # type: ignore[arg-type]


def _adamw(learning_rate: object) -> optim.Optimizer:
    return optim.AdamW(learning_rate)  # type: ignore[arg-type]


def _cosine(optimizer: optim.Optimizer) -> LRScheduler:
    return CosineAnnealingLR(optimizer, T_max=T_MAX)


def _one_cycle(optimizer: optim.Optimizer) -> LRScheduler:
    """Cycles the LR and the momentum (moved into the optimizer state as an array); linear,
    so over the first 300,000 steps both change at every step, even in float32."""
    return OneCycleLR(optimizer, max_lr=LR, total_steps=ONE_CYCLE_STEPS, anneal_strategy="linear")


@dataclass(frozen=True)
class Row:
    """One row of the table: an optimizer, the class stepped after each update, and
    whether the in-graph function is timed too."""

    label: str
    make: Callable[[object], optim.Optimizer]
    scheduler: Callable[[optim.Optimizer], LRScheduler]
    #: What the class's column and target call it.
    stepping: str
    #: What the constant-LR column holds constant.
    constant: str
    in_graph: bool


ROWS = [
    Row("SGD (momentum 0.9)", _sgd, _cosine, "CosineAnnealingLR.step()", "constant LR", True),
    Row("AdamW", _adamw, _cosine, "CosineAnnealingLR.step()", "constant LR", True),
    Row(
        "SGD (momentum 0.9), momentum cycled",
        _sgd,
        _one_cycle,
        "OneCycleLR.step()",
        "constant LR and momentum",
        False,
    ),
]


def _loss(model: nn.Module, x: mx.array, y: mx.array) -> mx.array:
    return nn.losses.cross_entropy(model(x), y, reduction="mean")


def _setup(row: Row, in_graph: bool) -> tuple[Callable[[], None], Callable[[], None]]:
    """A compiled train step (784-256-10 MLP, batch 64, state in and out): ``(step, then)``.

    ``step`` runs one update and evaluates it; ``then`` runs it and steps the row's
    scheduler on the same optimizer, so the class is timed on the very same model,
    optimizer and compiled graph as the constant LR (and momentum). With
    ``in_graph`` the optimizer takes ``cosine_annealing_lr`` as its learning rate.
    """
    mx.random.seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    if in_graph:
        optimizer = row.make(cosine_annealing_lr(LR, T_max=T_MAX))
    else:
        optimizer = row.make(LR)
        scheduler = row.scheduler(optimizer)
    optimizer.init(model.trainable_parameters())
    state = [model.state, optimizer.state]
    grad_fn = nn.value_and_grad(model, _loss)

    @partial(mx.compile, inputs=state, outputs=state)
    def train_step(x: mx.array, y: mx.array) -> mx.array:
        loss, grads = grad_fn(model, x, y)
        optimizer.update(model, grads)
        return loss

    x = mx.random.normal((64, 784))
    y = mx.random.randint(0, 10, (64,))

    def step() -> None:
        mx.eval(train_step(x, y), state)

    def then_schedule() -> None:
        step()
        scheduler.step()

    for _ in range(3):  # compile and warm up
        step()
    return step, then_schedule


#: Setups per kind: each compiled step, with its own buffers, runs a little faster or
#: slower than another (memory layout); the ratios compare sums over several setups.
SETUPS = 3


def run(settings: harness.Settings) -> Section:
    section = Section("2. A compiled MLP train step")
    calls = 2 if settings.quick else 10
    rounds = 1 if settings.quick else 41
    setups = 1 if settings.quick else SETUPS
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for row in ROWS:
            kinds = ["constant", "class"] + (["function"] if row.in_graph else [])
            cases = {}
            for i in range(setups):
                cases[f"constant {i}"], cases[f"class {i}"] = _setup(row, in_graph=False)
                if row.in_graph:
                    cases[f"function {i}"], _ = _setup(row, in_graph=True)
            samples = harness.interleaved_samples(cases, calls, rounds)
            # Per kind and round: the time summed over the setups.
            totals = {
                kind: [
                    sum(values) for values in zip(*(samples[f"{kind} {i}"] for i in range(setups)))
                ]
                for kind in kinds
            }
            ratios = {
                kind: statistics.median(v / b for v, b in zip(totals[kind], totals["constant"]))
                for kind in kinds[1:]
            }
            each = [statistics.median(samples[f"constant {i}"]) for i in range(setups)]
            ratios["spread"] = max(each) / min(each)
            per_step = {kind: statistics.median(totals[kind]) / setups for kind in totals}
            function = (
                f"{harness.microseconds(per_step['function'])} ({ratios['function']:.3f}x)"
                if row.in_graph
                else "—"
            )
            rows.append(
                [
                    row.label,
                    harness.microseconds(per_step["constant"]),
                    f"`{row.stepping}`: {harness.microseconds(per_step['class'])} "
                    f"({ratios['class']:.3f}x)",
                    function,
                    f"{ratios['spread']:.3f}x",
                ]
            )
            section.data[row.label] = ratios
            for kind, what in (("class", row.stepping), ("function", "in-graph")):
                if kind in ratios:
                    section.targets.append(
                        Target(
                            f"MLP step, {row.label}, {what} / {row.constant}",
                            ratios[kind],
                            "<=",
                            TARGET,
                        )
                    )
    section.add(
        "A 784-256-10 MLP (ReLU), batch 64, cross-entropy, `mx.compile`d with "
        "`inputs=outputs=[model.state, optimizer.state]`; each iteration runs the "
        "step and `mx.eval`s the loss and state. Three variants: a constant LR; the "
        "same model, optimizer and compiled step with "
        f"`CosineAnnealingLR(T_max={T_MAX:g})` stepped after every update (it "
        "writes `optimizer.state['learning_rate']`); and a setup whose optimizer takes "
        f"`cosine_annealing_lr(T_max={T_MAX:g})` as `learning_rate=`, evaluated inside "
        "the compiled graph. The last row cycles the momentum as well: "
        f"`OneCycleLR(max_lr={LR:g}, total_steps={ONE_CYCLE_STEPS:g}, "
        "anneal_strategy='linear')` on SGD with "
        "momentum 0.9 moves the "
        "momentum into the optimizer state (a float32 array the compiled step takes as "
        "input, like the LR) and writes both, changed, on every `step()`, against the "
        "same compiled step left at its constant LR and momentum. "
        f"Each kind runs on {setups} setups (model, optimizer, "
        "compiled step): two setups of the same step differ by up to the spread in the "
        "last column (memory layout), so the ratios compare sums over the setups. "
        f"Interleaved, {rounds} rounds of {calls} steps per setup; median µs per step, "
        "and in parentheses the median over rounds of the ratio to the constant LR in "
        "the same round. Target: ≤ 1.01 x the constant LR.",
        "",
    )
    section.table(
        [
            "optimizer",
            "constant LR µs",
            "class stepping it µs",
            "in-graph function µs",
            "spread between constant-LR setups",
        ],
        rows,
    )
    return section
