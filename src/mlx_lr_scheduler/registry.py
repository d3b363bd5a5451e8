"""The registry of schedules: one entry per torch-named class, with its example configurations.

Tests and benchmarks iterate over :data:`SCHEDULES`. Adding a schedule means
writing its module (class and schedule function together, exported from the
package and from :mod:`mlx_lr_scheduler.schedules`), adding one entry here (the
class, its function, its examples), one hypothesis strategy in
``tests/strategies.py`` and, unless it is one of the composable schedules the
shared tests cover, ``tests/test_<module>.py``; ``tests/test_registry.py`` checks
each of these.

An :class:`Example` names a class and its constructor arguments (all but the
optimizer) and builds it from either library, torch's or this one, so the very
same configuration runs side by side with torch (the parity tests), against the
class's schedule function (the agreement tests), on an MLX optimizer (the
binding tests) and in the benchmarks.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from mlx_lr_scheduler.composition import ChainedScheduler, SequentialLR, sequential_lr
from mlx_lr_scheduler.constant_lr import ConstantLR, constant_lr
from mlx_lr_scheduler.cosine_annealing_lr import CosineAnnealingLR, cosine_annealing_lr
from mlx_lr_scheduler.cosine_annealing_warm_restarts import (
    CosineAnnealingWarmRestarts,
    cosine_annealing_warm_restarts,
)
from mlx_lr_scheduler.cyclic_lr import CyclicLR, cyclic_lr, cyclic_momentum
from mlx_lr_scheduler.exponential_lr import ExponentialLR, exponential_lr
from mlx_lr_scheduler.inverse_sqrt_lr import InverseSqrtLR, inverse_sqrt_lr
from mlx_lr_scheduler.lambda_lr import LambdaLR, MultiplicativeLR, lambda_lr
from mlx_lr_scheduler.linear_lr import LinearLR, linear_lr
from mlx_lr_scheduler.multi_step_lr import MultiStepLR, multi_step_lr
from mlx_lr_scheduler.one_cycle_lr import OneCycleLR, one_cycle_lr, one_cycle_momentum
from mlx_lr_scheduler.polynomial_lr import PolynomialLR, polynomial_lr
from mlx_lr_scheduler.reduce_lr_on_plateau import ReduceLROnPlateau, WarmupThenPlateau
from mlx_lr_scheduler.scheduler import LRScheduler
from mlx_lr_scheduler.step_lr import StepLR, step_lr
from mlx_lr_scheduler.swa_lr import SWALR, swa_lr
from mlx_lr_scheduler.warmup_cosine_lr import WarmupCosineLR, warmup_cosine_lr
from mlx_lr_scheduler.warmup_lr import WarmupLR, warmup_lr
from mlx_lr_scheduler.warmup_polynomial_lr import WarmupPolynomialLR, warmup_polynomial_lr
from mlx_lr_scheduler.warmup_stable_decay_lr import WarmupStableDecayLR, warmup_stable_decay_lr

__all__ = ["LONG_RUN", "SCHEDULES", "Example", "PerGroup", "ScheduleEntry", "every_example"]

#: The label of the example every entry has for the benchmarks: configured so the LR
#: keeps changing over a million steps without reaching an error.
LONG_RUN = "long run"


@dataclass(frozen=True)
class PerGroup:
    """A per-group argument: the first ``n`` of ``values`` on an optimizer with ``n`` groups."""

    values: tuple[Any, ...]


def _group_count(optimizer: Any) -> int:
    """The parameter groups of a torch optimizer, or of an MLX one (one per sub-optimizer)."""
    groups = getattr(optimizer, "param_groups", None)
    if isinstance(groups, list):  # torch
        return len(groups)
    optimizers = getattr(optimizer, "optimizers", None)  # MLX's MultiOptimizer
    if optimizers is not None:
        return sum(_group_count(sub) for sub in optimizers)
    return 1


@dataclass(frozen=True)
class Example:
    """One configuration of a torch-named class: its name and constructor arguments.

    An argument is a plain value, a :class:`PerGroup` list, or (a composite's
    schedulers, a warmup) another :class:`Example` or a list of them, built on the
    same optimizer first.

    Example (``lib`` is a namespace of torch-named classes: this package, or torch's):
        >>> import mlx.optimizers as optim
        >>> import mlx_lr_scheduler
        >>> example = SCHEDULES["StepLR"].example("halve every 2")
        >>> example
        StepLR(step_size=2, gamma=0.5)
        >>> scheduler = example.build(mlx_lr_scheduler, optim.SGD(learning_rate=0.1))
        >>> for epoch in range(5):
        ...     print(f"epoch {epoch}: {scheduler.get_last_lr()[0]}")
        ...     scheduler.step()
        epoch 0: 0.1
        epoch 1: 0.1
        epoch 2: 0.05
        epoch 3: 0.05
        epoch 4: 0.025
        >>> print(f"step_lr at epoch 4: {example.schedule(0.1)(4)}")
        step_lr at epoch 4: 0.025
    """

    scheduler: str
    arguments: Mapping[str, Any]
    #: What the configuration is (unique within its entry), e.g. ``"ResNet: / 10 every 30"``.
    label: str = ""
    #: How many ``step()`` calls it is meant for: the tests step it this often (a
    #: ``OneCycleLR`` stops short of ``total_steps``, where we deliberately differ from torch).
    steps: int = 100
    #: The metrics a scheduler stepped on a metric receives, in turn (repeated).
    metrics: tuple[float, ...] = ()

    def build(self, lib: Any, optimizer: Any) -> Any:
        """The scheduler from ``lib`` (a namespace of torch-named classes) on ``optimizer``."""
        arguments = {key: _built(value, lib, optimizer) for key, value in self.arguments.items()}
        return getattr(lib, self.scheduler)(optimizer=optimizer, **arguments)

    def step_args(self, k: int) -> tuple[Any, ...]:
        """The arguments of ``step()`` number ``k`` (a metric, or none)."""
        return (self.metrics[k % len(self.metrics)],) if self.metrics else ()

    @property
    def has_closed_form(self) -> bool:
        """True if the class and every scheduler among its arguments has a schedule function."""
        nested = [value for value in self.arguments.values() if isinstance(value, Example)]
        for value in self.arguments.values():
            if isinstance(value, list):
                nested.extend(item for item in value if isinstance(item, Example))
        return SCHEDULES[self.scheduler].function is not None and all(
            child.has_closed_form for child in nested
        )

    def schedule(self, base_lr: float, group: int = 0, **extra: Any) -> Any:
        """The registry's schedule function of this configuration, for ``group``.

        The function takes the class's arguments that it names (``group``'s value
        of a per-group one), with ``base_lr`` first where the class reads it from
        the optimizer; a composite takes its children's functions first. ``extra``
        goes to the function as well.
        """
        entry = SCHEDULES[self.scheduler]
        if entry.function is None:
            raise TypeError(f"{self.scheduler} has no schedule function")
        names = inspect.signature(entry.function).parameters
        arguments = {
            key: _function_argument(value, base_lr, group)
            for key, value in self.arguments.items()
            if key in names
        }
        arguments.update(extra)
        if entry.composite:
            children = _function_argument(self.arguments["schedulers"], base_lr, group)
            return entry.function(children, **arguments)
        if entry.takes_learning_rates:
            return entry.function(**arguments)
        return entry.function(base_lr, **arguments)

    def momentum_schedule(self, group: int = 0) -> Any:
        """The registry's momentum function of this configuration (a class cycling momentum)."""
        function = SCHEDULES[self.scheduler].momentum_function
        if function is None:
            raise TypeError(f"{self.scheduler} has no momentum function")
        names = inspect.signature(function).parameters
        return function(
            **{
                key: _function_argument(value, 0.0, group)
                for key, value in self.arguments.items()
                if key in names
            }
        )

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.arguments.items())
        return f"{self.scheduler}({arguments})"


def _built(value: Any, lib: Any, optimizer: Any) -> Any:
    if isinstance(value, Example):
        return value.build(lib, optimizer)
    if isinstance(value, PerGroup):
        return list(value.values[: _group_count(optimizer)])
    if isinstance(value, list):
        return [_built(item, lib, optimizer) for item in value]
    return value


def _function_argument(value: Any, base_lr: float, group: int) -> Any:
    if isinstance(value, Example):
        return value.schedule(base_lr, group)
    if isinstance(value, PerGroup):
        return value.values[group]
    if isinstance(value, list):
        return [_function_argument(item, base_lr, group) for item in value]
    return value


def _example(scheduler: str, label: str = "", **arguments: Any) -> Example:
    """``Example(scheduler, arguments, label)``, the arguments as keywords."""
    return Example(scheduler, arguments, label)


@dataclass(frozen=True)
class ScheduleEntry:
    """A torch-named scheduler class, its schedule function and its example configurations."""

    scheduler: type[LRScheduler]
    #: Factory in :mod:`mlx_lr_scheduler.schedules` returning ``schedule(step)``, taking the
    #: class's arguments that it names (``base_lr`` first where the class reads it from the
    #: optimizer; a composite's schedules first); None only where the class has no closed form.
    function: Callable[..., Any] | None = None
    #: True for composites (their arguments are other schedulers).
    composite: bool = False
    #: True where the class takes its learning rates as arguments (its function then
    #: takes exactly the class's arguments, no ``base_lr``).
    takes_learning_rates: bool = False
    #: The momentum schedule function of a class that cycles momentum, taking the
    #: class's arguments that it names.
    momentum_function: Callable[..., Any] | None = None
    #: Example configurations: at least one, and one labelled :data:`LONG_RUN`.
    examples: Sequence[Example] = field(default_factory=tuple)

    @property
    def name(self) -> str:
        return self.scheduler.__name__

    def example(self, label: str) -> Example:
        """The example labelled ``label``."""
        for candidate in self.examples:
            if candidate.label == label:
                return candidate
        raise KeyError(f"{self.name} has no example labelled {label!r}")


def _case(label: str, arguments: dict[str, Any], **fields: Any) -> Example:
    """An example of the entry it is listed in (which fills in the class name)."""
    return Example("", arguments, label, **fields)


def _entry(scheduler: type[LRScheduler], examples: list[Example], **fields: Any) -> ScheduleEntry:
    named = tuple(replace(each, scheduler=scheduler.__name__) for each in examples)
    return ScheduleEntry(scheduler, examples=named, **fields)


class _Power:
    """``base ** x``: a CyclicLR scale function that is a callable object (torch saves its
    ``__dict__`` in ``state_dict()``, a plain function it leaves out)."""

    def __init__(self, base: float) -> None:
        self.base = base

    def __call__(self, x: Any) -> Any:
        return self.base**x


SCHEDULES: dict[str, ScheduleEntry] = {
    entry.name: entry
    for entry in [
        _entry(
            LambdaLR,
            [
                _case(
                    "inverse time",
                    {"lr_lambda": lambda epoch: 1.0 / (1.0 + 0.05 * epoch)},
                    steps=400,
                ),
                _case(
                    "one lambda per group",
                    {"lr_lambda": PerGroup((lambda e: 0.95**e, lambda e: 1.0 / (1.0 + 0.1 * e)))},
                    steps=50,
                ),
                _case("1 / (1 + epoch)", {"lr_lambda": lambda e: 1 / (1 + e)}),
                _case(LONG_RUN, {"lr_lambda": lambda epoch: 1.0 / (1.0 + 1e-6 * epoch)}),
            ],
            function=lambda_lr,
        ),
        _entry(
            MultiplicativeLR,
            [
                _case("0.9 per epoch", {"lr_lambda": lambda e: 0.9}),
                _case(
                    "one factor per group",
                    {"lr_lambda": PerGroup((lambda e: 0.9, lambda e: 0.99))},
                    steps=50,
                ),
                _case(LONG_RUN, {"lr_lambda": lambda epoch: 0.9999999}),
            ],
        ),
        _entry(
            StepLR,
            [
                _case("halve every 7", {"step_size": 7, "gamma": 0.5}, steps=400),
                _case("halve every 2", {"step_size": 2, "gamma": 0.5}, steps=12),
                _case("ResNet: / 10 every 30", {"step_size": 30, "gamma": 0.1}, steps=90),
                _case(LONG_RUN, {"step_size": 30, "gamma": 0.99}),
            ],
            function=step_lr,
        ),
        _entry(
            MultiStepLR,
            [
                _case(
                    "repeated milestones",
                    {"milestones": [3, 50, 50, 120], "gamma": 0.3},
                    steps=400,
                ),
                _case(
                    "ResNet: / 10 at 30, 60, 80",
                    {"milestones": [30, 60, 80], "gamma": 0.1},
                    steps=90,
                ),
                _case(LONG_RUN, {"milestones": [30, 80, 10**8], "gamma": 0.5}),
            ],
            function=multi_step_lr,
        ),
        _entry(
            ConstantLR,
            [
                _case("quarter for 40", {"factor": 0.25, "total_iters": 40}, steps=400),
                _case("quarter for 30", {"factor": 0.25, "total_iters": 30}),
                _case(LONG_RUN, {"factor": 0.5, "total_iters": 10**8}),
            ],
            function=constant_lr,
        ),
        _entry(
            LinearLR,
            [
                _case(
                    "0.05 to 0.7 over 300",
                    {"start_factor": 0.05, "end_factor": 0.7, "total_iters": 300},
                    steps=400,
                ),
                _case(
                    "0.1 to 1 over 4",
                    {"start_factor": 0.1, "end_factor": 1.0, "total_iters": 4},
                    steps=12,
                ),
                _case(
                    "0.1 to 0.5 over 40",
                    {"start_factor": 0.1, "end_factor": 0.5, "total_iters": 40},
                ),
                _case(LONG_RUN, {"start_factor": 0.1, "total_iters": 10**8}),
            ],
            function=linear_lr,
        ),
        _entry(
            ExponentialLR,
            [
                _case("0.98", {"gamma": 0.98}, steps=400),
                _case("0.95", {"gamma": 0.95}),
                _case(LONG_RUN, {"gamma": 0.9999999}),
            ],
            function=exponential_lr,
        ),
        _entry(
            PolynomialLR,
            [
                _case("power 1.7 over 300", {"total_iters": 300, "power": 1.7}, steps=400),
                _case("quadratic over 60", {"total_iters": 60, "power": 2.0}),
                _case(LONG_RUN, {"total_iters": 10**8, "power": 2.0}),
            ],
            function=polynomial_lr,
        ),
        _entry(
            CosineAnnealingLR,
            [
                _case("T_max 90 to 1e-3", {"T_max": 90, "eta_min": 1e-3}, steps=400),
                _case("T_max 5 to 1e-3", {"T_max": 5, "eta_min": 1e-3}, steps=12),
                _case("T_max 30 to 1e-3", {"T_max": 30, "eta_min": 1e-3}),
                _case(LONG_RUN, {"T_max": 10**6, "eta_min": 1e-4}),
            ],
            function=cosine_annealing_lr,
        ),
        _entry(
            SequentialLR,
            [
                _case(
                    "warmup 20, cosine",
                    {
                        "schedulers": [
                            _example("LinearLR", start_factor=0.1, total_iters=20),
                            _example("CosineAnnealingLR", T_max=150),
                        ],
                        "milestones": [30],
                    },
                    steps=400,
                ),
                _case(
                    "constant, then exponential",
                    {
                        "schedulers": [
                            _example("ConstantLR", factor=0.3, total_iters=2),
                            _example("ExponentialLR", gamma=0.8),
                        ],
                        "milestones": [3],
                    },
                    steps=12,
                ),
                _case(
                    "warmup 5, cosine to 95",
                    {
                        "schedulers": [
                            _example("LinearLR", start_factor=0.1, total_iters=5),
                            _example("CosineAnnealingLR", T_max=95),
                        ],
                        "milestones": [5],
                    },
                ),
                _case(
                    "BERT: warmup, linear decay to 0",
                    {
                        "schedulers": [
                            _example("LinearLR", start_factor=1e-3, end_factor=1.0, total_iters=10),
                            _example("PolynomialLR", total_iters=90, power=1.0),
                        ],
                        "milestones": [10],
                    },
                ),
                _case(
                    "constant warmup, three phases",
                    {
                        "schedulers": [
                            _example("ConstantLR", factor=0.25, total_iters=3),
                            _example("StepLR", step_size=10, gamma=0.5),
                            _example("ExponentialLR", gamma=0.95),
                            _example("CosineAnnealingLR", T_max=30, eta_min=1e-4),
                        ],
                        "milestones": [3, 33, 50],
                    },
                    steps=90,
                ),
                _case(
                    "a chain first",
                    {
                        "schedulers": [
                            _example(
                                "ChainedScheduler",
                                schedulers=[
                                    _example("ConstantLR", factor=0.5, total_iters=4),
                                    _example("ExponentialLR", gamma=0.9),
                                ],
                            ),
                            _example("CosineAnnealingLR", T_max=30, eta_min=1e-3),
                        ],
                        "milestones": [10],
                    },
                    steps=45,
                ),
                _case(
                    "a sequence first",
                    {
                        "schedulers": [
                            _example(
                                "SequentialLR",
                                schedulers=[
                                    _example("LinearLR", start_factor=0.1, total_iters=3),
                                    _example("ExponentialLR", gamma=0.8),
                                ],
                                milestones=[3],
                            ),
                            _example("MultiStepLR", milestones=[5, 9], gamma=0.3),
                        ],
                        "milestones": [8],
                    },
                    steps=30,
                ),
                _case(
                    LONG_RUN,
                    {
                        "schedulers": [
                            _example("LinearLR", start_factor=0.1, total_iters=5),
                            _example("CosineAnnealingLR", T_max=10**6),
                        ],
                        "milestones": [5],
                    },
                ),
            ],
            function=sequential_lr,
            composite=True,
        ),
        _entry(
            ChainedScheduler,
            [
                _case(
                    "constant, exponential",
                    {
                        "schedulers": [
                            _example("ConstantLR", factor=0.1, total_iters=5),
                            _example("ExponentialLR", gamma=0.9),
                        ]
                    },
                    steps=40,
                ),
                _case(
                    "half for 3, exponential",
                    {
                        "schedulers": [
                            _example("ConstantLR", factor=0.5, total_iters=3),
                            _example("ExponentialLR", gamma=0.9),
                        ]
                    },
                    steps=12,
                ),
                _case(
                    "a sequence inside",
                    {
                        "schedulers": [
                            _example(
                                "SequentialLR",
                                schedulers=[
                                    _example("LinearLR", start_factor=0.2, total_iters=4),
                                    _example("StepLR", step_size=5, gamma=0.5),
                                ],
                                milestones=[4],
                            ),
                            _example("ExponentialLR", gamma=0.97),
                        ]
                    },
                    steps=40,
                ),
                _case(
                    LONG_RUN,
                    {
                        "schedulers": [
                            _example("ConstantLR", factor=0.5, total_iters=5),
                            _example("ExponentialLR", gamma=0.9999999),
                        ]
                    },
                ),
            ],
            composite=True,
        ),
        _entry(
            CosineAnnealingWarmRestarts,
            [
                _case("T_0 5, doubling", {"T_0": 5, "T_mult": 2, "eta_min": 1e-4}, steps=400),
                _case(LONG_RUN, {"T_0": 100, "T_mult": 2, "eta_min": 1e-4}),
            ],
            function=cosine_annealing_warm_restarts,
        ),
        _entry(
            CyclicLR,
            [
                _case(
                    "triangular, asymmetric",
                    {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 7, "step_size_down": 12.5},
                    steps=400,
                ),
                _case(
                    "triangular2",
                    {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 5, "mode": "triangular2"},
                    steps=400,
                ),
                _case(
                    "exp_range",
                    {
                        "base_lr": 0.01,
                        "max_lr": 0.1,
                        "step_size_up": 9,
                        "step_size_down": 4,
                        "mode": "exp_range",
                        "gamma": 0.995,
                        "base_momentum": 0.7,
                    },
                    steps=400,
                ),
                _case("triangular, up 4", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4}),
                _case(
                    "triangular2, per-group bounds and momenta",
                    {
                        "base_lr": PerGroup((0.001, 0.002)),
                        "max_lr": PerGroup((0.1, 0.05)),
                        "step_size_up": 5,
                        "step_size_down": 3,
                        "mode": "triangular2",
                        "base_momentum": 0.85,
                        "max_momentum": 0.95,
                    },
                ),
                _case(
                    "exp_range, per-group momenta",
                    {
                        "base_lr": 0.001,
                        "max_lr": 0.1,
                        "step_size_up": 6,
                        "mode": "exp_range",
                        "gamma": 0.99,
                        "base_momentum": PerGroup((0.8, 0.7)),
                        "max_momentum": 0.9,
                    },
                ),
                _case(
                    "sawtooth (step_size_down=0)",
                    {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3, "step_size_down": 0},
                ),
                _case(
                    "fractional step sizes",
                    {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 2.5, "step_size_down": 1.5},
                ),
                _case(
                    "upside down (max_lr < base_lr)",
                    {"base_lr": 0.1, "max_lr": 0.01, "step_size_up": 3},
                ),
                _case(
                    "custom scale_fn on cycles",
                    {
                        "base_lr": 0.01,
                        "max_lr": 0.1,
                        "step_size_up": 3,
                        "scale_fn": lambda c: 1 / c,
                    },
                ),
                _case(
                    "custom scale_fn object on iterations",
                    {
                        "base_lr": 0.01,
                        "max_lr": 0.1,
                        "step_size_up": 3,
                        "scale_fn": _Power(0.97),
                        "scale_mode": "iterations",
                    },
                ),
                _case(
                    "no momentum",
                    {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3, "cycle_momentum": False},
                ),
                _case(LONG_RUN, {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 500}),
            ],
            function=cyclic_lr,
            takes_learning_rates=True,
            momentum_function=cyclic_momentum,
        ),
        _entry(
            OneCycleLR,
            [
                _case(
                    "400 steps",
                    {"max_lr": 0.1, "total_steps": 400, "pct_start": 0.25},
                    steps=399,
                ),
                _case(
                    "three phases",
                    {"max_lr": 0.1, "total_steps": 400, "three_phase": True, "pct_start": 0.2},
                    steps=399,
                ),
                _case(
                    "8 epochs of 50, linear",
                    {
                        "max_lr": 0.1,
                        "epochs": 8,
                        "steps_per_epoch": 50,
                        "anneal_strategy": "linear",
                        "max_momentum": 0.99,
                    },
                    steps=399,
                ),
                _case(
                    "fastai one-cycle",
                    {
                        "max_lr": 3e-3,
                        "total_steps": 50,
                        "pct_start": 0.25,
                        "div_factor": 25.0,
                        "final_div_factor": 1e4,
                    },
                    steps=49,
                ),
                _case(
                    "super-convergence, three phases, linear",
                    {
                        "max_lr": 1.0,
                        "total_steps": 45,
                        "three_phase": True,
                        "anneal_strategy": "linear",
                        "base_momentum": 0.85,
                        "max_momentum": 0.95,
                    },
                    steps=44,
                ),
                _case(
                    "5 epochs of 8",
                    {"max_lr": 0.5, "epochs": 5, "steps_per_epoch": 8},
                    steps=39,
                ),
                _case(
                    "per-group bounds",
                    {
                        "max_lr": PerGroup((1.0, 0.3)),
                        "total_steps": 30,
                        "base_momentum": PerGroup((0.8, 0.85)),
                        "max_momentum": PerGroup((0.9, 0.99)),
                    },
                    steps=29,
                ),
                _case(
                    "no momentum",
                    {"max_lr": 0.5, "total_steps": 30, "cycle_momentum": False},
                    steps=29,
                ),
                _case(
                    "no warmup (pct_start=0)",
                    {"max_lr": 0.5, "total_steps": 30, "pct_start": 0.0},
                    steps=29,
                ),
                _case(
                    "warmup only (pct_start=1)",
                    {"max_lr": 0.5, "total_steps": 30, "pct_start": 1.0},
                    steps=29,
                ),
                _case(
                    "warmup shorter than a step",
                    {"max_lr": 0.5, "total_steps": 3, "pct_start": 0.3},
                    steps=2,
                ),
                _case(
                    "three phases, no warmup",
                    {"max_lr": 0.5, "total_steps": 20, "pct_start": 0.0, "three_phase": True},
                    steps=19,
                ),
                _case("a single step", {"max_lr": 0.5, "total_steps": 1}, steps=0),
                _case(LONG_RUN, {"max_lr": 0.1, "total_steps": 10**9}),
            ],
            function=one_cycle_lr,
            takes_learning_rates=True,
            momentum_function=one_cycle_momentum,
        ),
        _entry(
            SWALR,
            [
                _case("to 0.02 over 60", {"swa_lr": 0.02, "anneal_epochs": 60}, steps=400),
                _case(
                    "per group, linear",
                    {
                        "swa_lr": PerGroup((0.005, 0.002)),
                        "anneal_epochs": 8,
                        "anneal_strategy": "linear",
                    },
                    steps=20,
                ),
                _case(LONG_RUN, {"swa_lr": 0.05, "anneal_epochs": 10**6}),
            ],
            function=swa_lr,
        ),
        _entry(
            ReduceLROnPlateau,
            [
                _case(
                    "halve after 3 bad epochs",
                    {"factor": 0.5, "patience": 3, "cooldown": 1, "min_lr": 1e-4},
                    metrics=(3.0, 2.0, 2.5, 2.0, 2.1, 2.2, 1.0, 1.5, 1.5, 1.5, 1.5),
                ),
                _case(LONG_RUN, {"patience": 100, "min_lr": 1e-6}, metrics=(1.0,)),
            ],
        ),
        _entry(
            WarmupThenPlateau,
            [
                _case(
                    "linear warmup over 5, then halve on plateaus",
                    {
                        "warmup": _example("LinearLR", start_factor=0.1, total_iters=5),
                        "plateau": _example("ReduceLROnPlateau", factor=0.5, patience=2),
                        "milestone": 5,
                    },
                    metrics=(3.0, 2.0, 2.5, 2.0, 2.1, 2.2, 1.0, 1.5, 1.5, 1.5, 1.5),
                ),
                _case(
                    LONG_RUN,
                    {
                        "warmup": _example("LinearLR", start_factor=0.1, total_iters=5),
                        "plateau": _example("ReduceLROnPlateau", patience=100, min_lr=1e-6),
                        "milestone": 5,
                    },
                    metrics=(1.0,),
                ),
            ],
            composite=True,
        ),
        _entry(
            WarmupStableDecayLR,
            [
                _case(
                    "MiniCPM: linear warmup, stable, cosine decay to a tenth",
                    {
                        "num_warmup_steps": 20,
                        "num_decay_steps": 100,
                        "num_training_steps": 400,
                        "min_lr_ratio": 0.1,
                    },
                    steps=420,
                ),
                _case(
                    "cosine warmup, 1-sqrt decay",
                    {
                        "num_warmup_steps": 10,
                        "num_decay_steps": 50,
                        "num_stable_steps": 40,
                        "warmup_type": "cosine",
                        "decay_type": "1-sqrt",
                    },
                    steps=120,
                ),
                _case(
                    "1-sqrt warmup, linear decay",
                    {
                        "num_warmup_steps": 8,
                        "num_decay_steps": 30,
                        "num_training_steps": 60,
                        "warmup_type": "1-sqrt",
                        "decay_type": "linear",
                        "min_lr_ratio": 0.05,
                    },
                    steps=70,
                ),
                _case(
                    "cosine decay of 1.5 cycles",
                    {
                        "num_warmup_steps": 5,
                        "num_decay_steps": 60,
                        "num_stable_steps": 10,
                        "num_cycles": 1.5,
                    },
                ),
                _case(
                    LONG_RUN,
                    {
                        "num_warmup_steps": 10_000,
                        "num_decay_steps": 10**7,
                        "num_stable_steps": 10**5,
                        "min_lr_ratio": 0.01,
                    },
                ),
            ],
            function=warmup_stable_decay_lr,
        ),
        _entry(
            InverseSqrtLR,
            [
                _case("fairseq: warmup 40", {"num_warmup_steps": 40}, steps=400),
                _case("timescale 10 after 25", {"num_warmup_steps": 25, "timescale": 10}),
                _case("no warmup (timescale 10 000)", {"num_warmup_steps": 0}),
                _case(LONG_RUN, {"num_warmup_steps": 4000}),
            ],
            function=inverse_sqrt_lr,
        ),
        _entry(
            WarmupCosineLR,
            [
                _case(
                    "cosine: warmup 10 of 100, then on",
                    {"num_warmup_steps": 10, "num_training_steps": 100},
                    steps=150,
                ),
                _case(
                    "3 hard restarts",
                    {
                        "num_warmup_steps": 10,
                        "num_training_steps": 100,
                        "num_cycles": 3,
                        "hard_restarts": True,
                    },
                    steps=120,
                ),
                _case(
                    "min_lr 1e-5",
                    {"num_warmup_steps": 10, "num_training_steps": 90, "min_lr": 1e-5},
                ),
                _case(
                    "min_lr_rate 0.1, 1.5 cycles",
                    {
                        "num_warmup_steps": 5,
                        "num_training_steps": 80,
                        "min_lr_rate": 0.1,
                        "num_cycles": 1.5,
                    },
                ),
                _case(
                    "warmup_lr_rate 0.05, min_lr_rate 0.1",
                    {
                        "num_warmup_steps": 10,
                        "num_training_steps": 90,
                        "min_lr_rate": 0.1,
                        "warmup_lr_rate": 0.05,
                    },
                ),
                _case(
                    "counting from one, min_lr_rate 0.1",
                    {
                        "num_warmup_steps": 10,
                        "num_training_steps": 90,
                        "min_lr_rate": 0.1,
                        "count_from_one": True,
                    },
                ),
                _case(LONG_RUN, {"num_warmup_steps": 2000, "num_training_steps": 10**7}),
            ],
            function=warmup_cosine_lr,
        ),
        _entry(
            WarmupPolynomialLR,
            [
                _case(
                    "BERT: linear to 0 after warmup 10",
                    {"num_warmup_steps": 10, "num_training_steps": 100, "lr_end": 0.0},
                    steps=120,
                ),
                _case(
                    "quadratic to 1e-4",
                    {
                        "num_warmup_steps": 5,
                        "num_training_steps": 80,
                        "lr_end": 1e-4,
                        "power": 2.0,
                    },
                ),
                _case(
                    LONG_RUN,
                    {"num_warmup_steps": 1000, "num_training_steps": 10**7, "power": 2.0},
                ),
            ],
            function=warmup_polynomial_lr,
        ),
        _entry(
            WarmupLR,
            [
                _case(
                    "linear 5, then StepLR",
                    {
                        "scheduler": _example("StepLR", step_size=10, gamma=0.5),
                        "num_warmup_steps": 5,
                    },
                ),
                _case(
                    "cosine 8 from 0.1, then CosineAnnealingLR",
                    {
                        "scheduler": _example("CosineAnnealingLR", T_max=50, eta_min=1e-4),
                        "num_warmup_steps": 8,
                        "warmup_type": "cosine",
                        "start_factor": 0.1,
                    },
                ),
                _case(
                    "1-sqrt 6, then SequentialLR",
                    {
                        "scheduler": _example(
                            "SequentialLR",
                            schedulers=[
                                _example("ConstantLR", factor=0.5, total_iters=10),
                                _example("ExponentialLR", gamma=0.95),
                            ],
                            milestones=[10],
                        ),
                        "num_warmup_steps": 6,
                        "warmup_type": "1-sqrt",
                    },
                ),
                _case(
                    "linear 5, then halve on plateaus",
                    {
                        "scheduler": _example("ReduceLROnPlateau", factor=0.5, patience=2),
                        "num_warmup_steps": 5,
                    },
                    metrics=(3.0, 2.0, 2.5, 2.0, 2.1, 2.2, 1.0, 1.5, 1.5, 1.5, 1.5),
                ),
                _case("constant after 10", {"num_warmup_steps": 10}),
                _case(
                    LONG_RUN,
                    {
                        "scheduler": _example("CosineAnnealingLR", T_max=10**6),
                        "num_warmup_steps": 1000,
                    },
                ),
            ],
            function=warmup_lr,
            composite=False,
        ),
    ]
}


def every_example() -> dict[str, Example]:
    """Every example of every entry, keyed ``"Class: label"``."""
    return {
        f"{name}: {example.label}": example
        for name, entry in SCHEDULES.items()
        for example in entry.examples
    }
