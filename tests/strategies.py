"""Hypothesis strategies of *valid* scheduler configurations, keyed by class name.

A :class:`Config` is a class name and its constructor arguments; ``config.build``
constructs the same scheduler from either library, so it plugs straight into
``oracle.run_both(config.build, ...)``::

    config = data.draw(STRATEGIES["StepLR"](groups=2))
    run_both(config.build, steps=40, lrs=(0.1, 0.02))

**Adding a schedule** (the pattern to follow): write a function
``groups -> SearchStrategy[Config]`` that draws the constructor arguments of one
configuration of your class that is valid for an optimizer with ``groups``
parameter groups, and register it with ``@strategy_for("YourClass")``. A
per-group argument is a list of ``groups`` values; a scheduler argument is a
nested :class:`Config`; a function argument is a :class:`Factor` (so each
library gets a fresh callable); a scheduler stepped with arguments (a metric)
sets ``Config.step_args``. ``test_registry`` checks that every class in
``mlx_lr_scheduler.registry.SCHEDULES`` has a strategy; ``test_parity_properties``
runs each one side by side with torch.

The strategies stay inside the domain where torch's arithmetic is defined and
non-negative (e.g. no ``LinearLR`` ramp that torch rounds to a negative LR,
``eta_min`` below every LR): the divergences outside it are pinned by their
own tests.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as hs

__all__ = [
    "COMPOSABLE",
    "COMPOSABLE_LEAVES",
    "STRATEGIES",
    "Config",
    "Factor",
    "learning_rates",
    "same_shape",
    "strategy_for",
]

GroupsStrategy = Callable[[int], hs.SearchStrategy["Config"]]
STRATEGIES: dict[str, GroupsStrategy] = {}


def strategy_for(name: str) -> Callable[[GroupsStrategy], GroupsStrategy]:
    """Register ``groups -> SearchStrategy[Config]`` as the strategy of class ``name``."""

    def register(function: GroupsStrategy) -> GroupsStrategy:
        STRATEGIES[name] = function
        return function

    return register


# -- configurations --------------------------------------------------------------------


@dataclass(frozen=True)
class Factor:
    """A learning-rate lambda, built afresh for each library.

    ``kind`` names one of :data:`FACTOR_KINDS` (a callable class over its
    parameters); ``form`` is ``"object"`` (the callable object itself, whose
    ``__dict__`` torch saves in ``state_dict()``) or ``"function"`` (a plain
    function wrapping it, which torch does not save).
    """

    kind: str
    params: tuple[float, ...]
    form: str = "object"

    def make(self) -> Callable[[int], float]:
        target = FACTOR_KINDS[self.kind](*self.params)
        if self.form == "object":
            return target
        return lambda epoch: target(epoch)

    def __repr__(self) -> str:
        call = f"{self.kind}({', '.join(map(repr, self.params))})"
        return call if self.form == "object" else f"lambda e: {call}(e)"


class Exponential:
    def __init__(self, gamma: float) -> None:
        self.gamma = gamma

    def __call__(self, epoch: int) -> float:
        return self.gamma**epoch


class InverseTime:
    def __init__(self, rate: float) -> None:
        self.rate = rate

    def __call__(self, epoch: int) -> float:
        return 1.0 / (1.0 + self.rate * epoch)


class Staircase:
    def __init__(self, gamma: float, every: float) -> None:
        self.gamma = gamma
        self.every = int(every)

    def __call__(self, epoch: int) -> float:
        return self.gamma ** (epoch // self.every)


class Warmup:
    def __init__(self, epochs: float) -> None:
        self.epochs = epochs

    def __call__(self, epoch: int) -> float:
        return min(1.0, (epoch + 1) / self.epochs)


class Constant:
    def __init__(self, value: float) -> None:
        self.value = value

    def __call__(self, epoch: int) -> float:
        return self.value


FACTOR_KINDS: dict[str, Callable[..., Callable[[int], float]]] = {
    "Exponential": Exponential,
    "InverseTime": InverseTime,
    "Staircase": Staircase,
    "Warmup": Warmup,
    "Constant": Constant,
}


def _resolve(value: Any, lib: Any, optimizer: Any) -> Any:
    if isinstance(value, Config):
        return value.build(lib, optimizer)
    if isinstance(value, Factor):
        return value.make()
    if isinstance(value, list):
        return [_resolve(item, lib, optimizer) for item in value]
    return value


@dataclass(frozen=True)
class Config:
    """One scheduler configuration: ``name(optimizer=..., **kwargs)`` in either library."""

    name: str
    kwargs: tuple[tuple[str, Any], ...]
    #: ``k -> arguments of step k`` for schedulers stepped with arguments, else None.
    step_args: Callable[[int], tuple[Any, ...]] | None = field(default=None, compare=False)
    #: False to leave ``optimizer`` out (ChainedScheduler's is optional).
    pass_optimizer: bool = True

    def build(self, lib: Any, optimizer: Any) -> Any:
        """Build the scheduler (children first, in argument order) from ``lib`` on ``optimizer``."""
        kwargs = {key: _resolve(value, lib, optimizer) for key, value in self.kwargs}
        if self.pass_optimizer:
            kwargs["optimizer"] = optimizer
        return getattr(lib, self.name)(**kwargs)

    @property
    def arguments(self) -> dict[str, Any]:
        return dict(self.kwargs)

    def children(self) -> list[Config]:
        return [c for c in self.arguments.get("schedulers", []) if isinstance(c, Config)]

    def __repr__(self) -> str:
        args = ", ".join(f"{key}={value!r}" for key, value in self.kwargs)
        return f"{self.name}({args})"


def config(name: str, **kwargs: Any) -> Config:
    return Config(name, tuple(kwargs.items()))


# -- numbers -----------------------------------------------------------------------------


def _float32_decimal(value: float) -> float:
    # MLX keeps a learning rate as float32; the library recovers the shortest decimal
    # that rounds to it. Use that decimal on both sides, as a user typing it would.
    return float(str(np.float32(value)))


def learning_rates() -> hs.SearchStrategy[float]:
    """Learning rates as a user types them: decimals exactly representable after float32."""
    return hs.one_of(
        hs.sampled_from([0.1, 0.01, 1.0, 3e-4, 0.05, 2.5]),
        hs.floats(1e-3, 10.0).map(_float32_decimal),
    )


def decimal_lrs(smallest_exponent: int = -6) -> hs.SearchStrategy[float]:
    """Learning rates ``m * 10**e`` as typed: ``m`` of up to four digits, ``e`` from
    ``smallest_exponent`` to -1."""
    return hs.builds(
        lambda m, e: float(f"{m}e{e}"), hs.integers(1, 9999), hs.integers(smallest_exponent, -1)
    )


def _unit(low: float = 0.0) -> hs.SearchStrategy[float]:
    """A factor in [low, 1], mixing round values and arbitrary floats."""
    nice = [v for v in (0.0, 0.1, 0.25, 1 / 3, 0.5, 0.9, 1.0) if v >= low]
    return hs.one_of(hs.sampled_from(nice), hs.floats(low, 1.0))


# A factor the schedule divides by (ConstantLR.factor, LinearLR.start_factor). Smaller
# ones are valid, but undone by a division they overflow float32 once chained after a
# LambdaLR or applied to a larger hand-set LR (torch then sets an LR of 1e168 or inf;
# we raise): outside the domain compared here.
_DIVISOR_FACTOR_MIN = 1e-4


def _gamma(high: float = 1.2) -> hs.SearchStrategy[float]:
    return hs.one_of(
        hs.sampled_from([0.1, 0.5, 0.9, 0.95, 1.0, 0.0]),
        hs.floats(0.0, high, allow_subnormal=False),
    )


_EPOCHS = hs.integers(1, 30)


# -- schedules of the epoch: step, lambdas, factors, polynomial, cosine ---------------------


@strategy_for("StepLR")
def step_lr(groups: int) -> hs.SearchStrategy[Config]:
    return hs.builds(
        lambda step_size, gamma: config("StepLR", step_size=step_size, gamma=gamma),
        hs.integers(1, 20),
        _gamma(),
    )


@strategy_for("MultiStepLR")
def multi_step_lr(groups: int) -> hs.SearchStrategy[Config]:
    return hs.builds(
        lambda milestones, gamma: config("MultiStepLR", milestones=milestones, gamma=gamma),
        hs.lists(hs.integers(0, 60), max_size=6),  # unsorted, with repeats
        _gamma(),
    )


@strategy_for("ConstantLR")
def constant_lr(groups: int) -> hs.SearchStrategy[Config]:
    return hs.builds(
        lambda factor, total_iters: config("ConstantLR", factor=factor, total_iters=total_iters),
        _unit(_DIVISOR_FACTOR_MIN),
        _EPOCHS,
    )


def _linear_rounds_negative(start: float, end: float, total: int) -> bool:
    """True where torch's LinearLR arithmetic rounds a zero factor to a negative one."""
    ratio = 1.0 + (end - start) / (total * start + (total - 1) * (end - start))
    closed = start + (end - start) * total / total
    return ratio < 0 or closed < 0


@strategy_for("LinearLR")
def linear_lr(groups: int) -> hs.SearchStrategy[Config]:
    return hs.builds(
        lambda s, e, t: config("LinearLR", start_factor=s, end_factor=e, total_iters=t),
        _unit(_DIVISOR_FACTOR_MIN),
        _unit(0.0),
        _EPOCHS,
    ).filter(lambda c: not _linear_rounds_negative(*c.arguments.values()))


@strategy_for("ExponentialLR")
def exponential_lr(groups: int) -> hs.SearchStrategy[Config]:
    return _gamma().map(lambda gamma: config("ExponentialLR", gamma=gamma))


@strategy_for("PolynomialLR")
def polynomial_lr(groups: int) -> hs.SearchStrategy[Config]:
    return hs.builds(
        lambda total_iters, power: config("PolynomialLR", total_iters=total_iters, power=power),
        _EPOCHS,
        hs.one_of(hs.sampled_from([1.0, 2.0, 0.5, 0.0]), hs.floats(0.0, 5.0)),
    )


def _cosine(eta_min: hs.SearchStrategy[float]) -> hs.SearchStrategy[Config]:
    return hs.builds(
        lambda T_max, eta_min: config("CosineAnnealingLR", T_max=T_max, eta_min=eta_min),
        _EPOCHS,
        eta_min,
    )


@strategy_for("CosineAnnealingLR")
def cosine_annealing_lr(groups: int) -> hs.SearchStrategy[Config]:
    # eta_min stays below every learning rate learning_rates() draws (>= 3e-4).
    return _cosine(hs.one_of(hs.just(0.0), hs.floats(0.0, 1e-4)))


def _factor(kinds: dict[str, hs.SearchStrategy[tuple[float, ...]]]) -> hs.SearchStrategy[Factor]:
    return hs.builds(
        lambda kind_params, form: Factor(kind_params[0], kind_params[1], form),
        hs.one_of([params.map(lambda p, k=k: (k, p)) for k, params in kinds.items()]),
        hs.sampled_from(["object", "function"]),
    )


_LAMBDA_FACTORS = {
    "Exponential": hs.tuples(hs.floats(0.5, 1.05)),
    "InverseTime": hs.tuples(hs.floats(0.0, 2.0)),
    "Staircase": hs.tuples(hs.floats(0.0, 1.0), hs.integers(1, 10).map(float)),
    "Warmup": hs.tuples(hs.integers(1, 20).map(float)),
    "Constant": hs.tuples(hs.floats(0.0, 2.0)),
}
# MultiplicativeLR multiplies the factors up: keep their product from overflowing.
_MULTIPLICATIVE_FACTORS = {
    "Exponential": hs.tuples(hs.floats(0.8, 1.0)),
    "InverseTime": hs.tuples(hs.floats(0.0, 2.0)),
    "Staircase": hs.tuples(hs.floats(0.0, 1.0), hs.integers(1, 10).map(float)),
    "Constant": hs.tuples(hs.floats(0.5, 1.1)),
}


def _lambdas(groups: int, kinds: dict[str, Any]) -> hs.SearchStrategy[Any]:
    """One factor for every group, or a list with one per group."""
    return hs.one_of(_factor(kinds), hs.lists(_factor(kinds), min_size=groups, max_size=groups))


@strategy_for("LambdaLR")
def lambda_lr(groups: int) -> hs.SearchStrategy[Config]:
    return _lambdas(groups, _LAMBDA_FACTORS).map(lambda f: config("LambdaLR", lr_lambda=f))


@strategy_for("MultiplicativeLR")
def multiplicative_lr(groups: int) -> hs.SearchStrategy[Config]:
    return _lambdas(groups, _MULTIPLICATIVE_FACTORS).map(
        lambda f: config("MultiplicativeLR", lr_lambda=f)
    )


#: The schedules that compose freely (each is a function of the epoch and the LR it finds,
#: and takes ``step(epoch)``): the children of random compositions.
COMPOSABLE_LEAVES = [
    "LambdaLR",
    "MultiplicativeLR",
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "PolynomialLR",
    "CosineAnnealingLR",
]


@functools.cache  # building strategies is costly: build each once
def _leaf(groups: int, *, chained: bool = False) -> hs.SearchStrategy[Config]:
    strategies = [STRATEGIES[name](groups) for name in COMPOSABLE_LEAVES]
    if chained:
        # In a chain the LR falls below any eta_min > 0 (other schedulers multiply it
        # down), where torch's cosine goes negative: chain cosines to 0 only.
        strategies[COMPOSABLE_LEAVES.index("CosineAnnealingLR")] = _cosine(hs.just(0.0))
    return hs.one_of(strategies)


def _milestones(count: int) -> hs.SearchStrategy[list[int]]:
    return hs.lists(hs.integers(1, 40), min_size=count, max_size=count, unique=True).map(sorted)


@functools.cache
@hs.composite
def _sequential(draw: Any, groups: int, *, nested: bool = True, chained: bool = False) -> Config:
    size = draw(hs.integers(2, 4))
    first_options = [_leaf(groups, chained=chained)]
    if nested:  # a composite may come first (torch cannot restart one at a milestone)
        first_options.append(_chained(groups, nested=False))
        first_options.append(_sequential(groups, nested=False, chained=chained))
    first = draw(hs.one_of(first_options))
    rest = [draw(_leaf(groups, chained=chained)) for _ in range(size - 1)]
    return config("SequentialLR", schedulers=[first, *rest], milestones=draw(_milestones(size - 1)))


@functools.cache
@hs.composite
def _chained(draw: Any, groups: int, *, nested: bool = True) -> Config:
    size = draw(hs.integers(2, 4))
    options = [_leaf(groups, chained=True)]
    if nested:
        options.append(_sequential(groups, nested=False, chained=True))
    children = [draw(hs.one_of(options)) for _ in range(size)]
    pass_optimizer = draw(hs.booleans())
    return Config("ChainedScheduler", (("schedulers", children),), pass_optimizer=pass_optimizer)


#: The composable schedules and their compositions.
COMPOSABLE = [*COMPOSABLE_LEAVES, "SequentialLR", "ChainedScheduler"]


@strategy_for("SequentialLR")
def sequential_lr(groups: int) -> hs.SearchStrategy[Config]:
    return _sequential(groups)


@strategy_for("ChainedScheduler")
def chained_scheduler(groups: int) -> hs.SearchStrategy[Config]:
    return _chained(groups)


def _same_shape_lambdas(value: Any, kinds: dict[str, Any]) -> hs.SearchStrategy[Any]:
    def like(factor: Factor) -> hs.SearchStrategy[Factor]:
        return _factor(kinds).map(lambda f: Factor(f.kind, f.params, factor.form))

    if isinstance(value, list):
        return hs.tuples(*(like(f) for f in value)).map(list)
    return like(value)


def same_shape(base: Config, groups: int) -> hs.SearchStrategy[Config]:
    """Other arguments for the same classes, nested the same way.

    The scheduler such a configuration builds can load ``base``'s state (a
    state dict fixes every argument but the lambdas; a lambda keeps its form:
    a callable object's ``__dict__`` loads only into a callable object).
    """
    args = base.arguments
    if base.name in ("SequentialLR", "ChainedScheduler"):
        children = hs.tuples(*(same_shape(child, groups) for child in args["schedulers"]))
        if base.name == "ChainedScheduler":
            return children.map(
                lambda kids: Config(
                    base.name, (("schedulers", list(kids)),), pass_optimizer=base.pass_optimizer
                )
            )
        return hs.builds(
            lambda kids, steps: config(base.name, schedulers=list(kids), milestones=steps),
            children,
            _milestones(len(args["milestones"])),
        )
    if "lr_lambda" in args:
        kinds = _LAMBDA_FACTORS if base.name == "LambdaLR" else _MULTIPLICATIVE_FACTORS
        return _same_shape_lambdas(args["lr_lambda"], kinds).map(
            lambda f: config(base.name, lr_lambda=f)
        )
    return STRATEGIES[base.name](groups)


# -- warm restarts, SWALR, ReduceLROnPlateau and WarmupThenPlateau ----------------------


@strategy_for("CosineAnnealingWarmRestarts")
def cosine_annealing_warm_restarts(groups: int) -> hs.SearchStrategy[Config]:
    # Any eta_min >= 0 keeps the LR between eta_min and the initial LR (never negative).
    return hs.builds(
        lambda T_0, T_mult, eta_min: config(
            "CosineAnnealingWarmRestarts", T_0=T_0, T_mult=T_mult, eta_min=eta_min
        ),
        hs.integers(1, 15),
        hs.integers(1, 4),
        hs.one_of(hs.just(0.0), hs.floats(0.0, 0.01)),
    )


# A hand-set LR whose float32 equals the group's current one is not noticed (param_groups.py
# cannot tell it from the LR it wrote), so the float64 LRs part by an ulp when the current
# LR is not the decimal the user types: SWALR ends a hair off swa_lr (0.009999999999999998
# for 0.01), a plateau lands on min_lr, and a factor of 0.1 makes 0.010000000000000002 of 0.1.
# So swa_lr is drawn below every LR learning_rates() sets by hand, min_lr is such a decimal
# and the round factors are powers of two (exact).
_SWA_LRS = hs.floats(1e-5, 2.5e-4).map(_float32_decimal)


@strategy_for("SWALR")
def swa_lr(groups: int) -> hs.SearchStrategy[Config]:
    swa_lr = _SWA_LRS
    return hs.builds(
        lambda swa_lr, anneal_epochs, strategy: config(
            "SWALR", swa_lr=swa_lr, anneal_epochs=anneal_epochs, anneal_strategy=strategy
        ),
        hs.one_of(swa_lr, hs.lists(swa_lr, min_size=groups, max_size=groups)),
        hs.integers(0, 12),
        hs.sampled_from(["cos", "linear"]),
    )


# Metrics with ties, repeats, NaN and inf, repeated cyclically over the run.
_METRICS = hs.lists(
    hs.one_of(
        hs.sampled_from([0.0, 0.5, 1.0, 2.0, -1.0, float("nan"), float("inf")]), hs.floats(-3, 3)
    ),
    min_size=1,
    max_size=15,
)


@hs.composite
def _reduce_lr_on_plateau(draw: Any, groups: int) -> Config:
    mode = draw(hs.sampled_from(["min", "max"]))
    threshold_mode = draw(hs.sampled_from(["rel", "abs"]))
    # threshold >= 1 with min/rel is refused (no metric could improve): stay below it.
    top = 0.9 if (mode, threshold_mode) == ("min", "rel") else 2.0
    min_lr = hs.one_of(hs.just(0.0), hs.floats(1e-4, 0.05).map(_float32_decimal))
    metrics = tuple(draw(_METRICS))
    return Config(
        "ReduceLROnPlateau",
        tuple(
            {
                "mode": mode,
                "factor": draw(hs.one_of(hs.sampled_from([0.5, 0.25]), hs.floats(0.01, 0.99))),
                "patience": draw(hs.integers(0, 5)),
                "threshold": draw(hs.one_of(hs.just(1e-4), hs.floats(0.0, top))),
                "threshold_mode": threshold_mode,
                "cooldown": draw(hs.integers(0, 3)),
                "min_lr": draw(
                    hs.one_of(min_lr, hs.lists(min_lr, min_size=groups, max_size=groups))
                ),
                "eps": draw(hs.sampled_from([1e-8, 0.0, 1e-3])),
            }.items()
        ),
        step_args=lambda k: (metrics[k % len(metrics)],),
    )


@strategy_for("ReduceLROnPlateau")
def reduce_lr_on_plateau(groups: int) -> hs.SearchStrategy[Config]:
    return _reduce_lr_on_plateau(groups)


@strategy_for("WarmupThenPlateau")
@hs.composite
def warmup_then_plateau(draw: Any, groups: int) -> Config:
    """A composable schedule (or a sequence of them) for ``milestone`` epochs, then a plateau."""
    warmup = draw(hs.one_of(_leaf(groups), _sequential(groups, nested=False)))
    plateau = draw(_reduce_lr_on_plateau(groups))
    return Config(
        "WarmupThenPlateau",
        (("warmup", warmup), ("plateau", plateau), ("milestone", draw(hs.integers(1, 30)))),
        step_args=plateau.step_args,
    )


# -- the cyclic schedules: CyclicLR and OneCycleLR ---------------------------------------
# Both also cycle momentum: on the oracle's SGD (torch's has "momentum" in its defaults,
# MLX's a momentum attribute) that is valid. tests/test_cyclic_lr.py and
# tests/test_one_cycle_lr.py draw from these too, and compare the momenta as well.

#: CyclicLR scale functions: values in [0, 1] for x >= 0 (torch's documented contract;
#: beyond it torch hands out a negative momentum, which we refuse).
_SCALE_FACTORS = {
    "Exponential": hs.tuples(hs.floats(0.5, 1.0)),
    "InverseTime": hs.tuples(hs.floats(0.0, 2.0)),
    "Staircase": hs.tuples(hs.floats(0.0, 1.0), hs.integers(1, 10).map(float)),
    "Warmup": hs.tuples(hs.integers(1, 20).map(float)),
    "Constant": hs.tuples(hs.floats(0.0, 1.0)),
}


def _one_or_per_group(groups: int, values: hs.SearchStrategy[Any]) -> hs.SearchStrategy[Any]:
    return hs.one_of(values, hs.lists(values, min_size=groups, max_size=groups))


def _momenta() -> hs.SearchStrategy[float]:
    return hs.one_of(hs.sampled_from([0.0, 0.8, 0.85, 0.9, 0.95]), hs.floats(0.0, 0.99))


def _lr_or_zero() -> hs.SearchStrategy[float]:
    return hs.one_of(hs.just(0.0), learning_rates())


@strategy_for("CyclicLR")
@hs.composite
def cyclic_lr(draw: Any, groups: int) -> Config:
    cycle_momentum = draw(hs.booleans())
    kwargs: dict[str, Any] = {
        "base_lr": draw(_one_or_per_group(groups, _lr_or_zero())),
        "max_lr": draw(_one_or_per_group(groups, _lr_or_zero())),
        "step_size_up": draw(hs.one_of(hs.integers(1, 20), hs.floats(0.25, 20))),
        "step_size_down": draw(hs.one_of(hs.none(), hs.integers(0, 20), hs.floats(0.0, 20))),
        "mode": draw(hs.sampled_from(["triangular", "triangular2", "exp_range"])),
        # exp_range with gamma > 1 scales past 1: torch hands out a negative momentum,
        # and a negative LR when max_lr < base_lr.
        "gamma": draw(hs.floats(0.8, 1.0)),
        "cycle_momentum": cycle_momentum,
        "base_momentum": draw(_one_or_per_group(groups, _momenta())),
        "max_momentum": draw(_one_or_per_group(groups, _momenta())),
    }
    if draw(hs.booleans()):
        kwargs["scale_fn"] = draw(_factor(_SCALE_FACTORS))
        kwargs["scale_mode"] = draw(hs.sampled_from(["cycle", "iterations"]))
    return config("CyclicLR", **kwargs)


def zero_width_first_phase(total: int, pct_start: float) -> bool:
    """True where the first phase has zero width (torch: ZeroDivisionError; we refuse it)."""
    return float(pct_start * total) - 1 == 0


@strategy_for("OneCycleLR")
@hs.composite
def one_cycle_lr(
    draw: Any, groups: int, total_steps: tuple[int, int] = (61, 200), zero_width: bool = False
) -> Config:
    """``total_steps`` in the given range, either given or as ``epochs * steps_per_epoch``.

    The default range starts past the 60 steps of test_parity_properties' runs: at step
    total_steps we deliberately differ from torch (which extrapolates, then raises), see
    tests/test_one_cycle_lr.py. ``zero_width=True`` also draws first phases of zero width.
    """
    low, high = total_steps
    kwargs: dict[str, Any] = {"max_lr": draw(_one_or_per_group(groups, _lr_or_zero()))}
    if draw(hs.booleans()):
        total = kwargs["total_steps"] = draw(hs.integers(low, high))
    else:
        epochs = kwargs["epochs"] = draw(hs.integers(1, 6))
        shortest = -(-low // epochs)
        steps_per_epoch = draw(hs.integers(shortest, max(shortest, high // epochs)))
        kwargs["steps_per_epoch"] = steps_per_epoch
        total = epochs * steps_per_epoch
    pct_start = draw(
        hs.one_of(
            hs.floats(0.0, 1.0),
            hs.sampled_from([0.0, 0.25, 0.3, 0.5, 1.0]),
            hs.just(1 / total),  # pct_start * total == 1 (but not always exactly)
            hs.integers(1, total).map(lambda k: k / total),
        )
    )
    if not zero_width and zero_width_first_phase(total, pct_start):
        pct_start = 0.3  # 0.3 * total is never exactly 1
    cycle_momentum = draw(hs.booleans())
    kwargs.update(
        pct_start=pct_start,
        anneal_strategy=draw(hs.sampled_from(["cos", "linear"])),
        three_phase=draw(hs.booleans()),
        cycle_momentum=cycle_momentum,
        base_momentum=draw(_one_or_per_group(groups, _momenta())),
        max_momentum=draw(_one_or_per_group(groups, _momenta())),
        div_factor=draw(hs.one_of(hs.just(25.0), hs.floats(0.5, 1000.0))),
        final_div_factor=draw(hs.one_of(hs.just(1e4), hs.floats(0.5, 1e5))),
    )
    return config("OneCycleLR", **kwargs)


# -- the modern schedules (transformers' functions are their oracle) ------------------------

_WARMUP_TYPES = hs.sampled_from(["linear", "cosine", "1-sqrt"])
_CYCLES = hs.one_of(hs.sampled_from([0.5, 1.0, 1.5, 0.0]), hs.floats(0.0, 3.0))


@strategy_for("WarmupStableDecayLR")
@hs.composite
def warmup_stable_decay_lr(draw: Any, groups: int) -> Config:
    warmup, decay, stable = draw(hs.integers(0, 20)), draw(hs.integers(0, 40)), draw(_EPOCHS)
    lengths = draw(
        hs.sampled_from(
            [
                {"num_training_steps": warmup + decay + stable},
                {"num_stable_steps": stable},
                {"num_training_steps": warmup + decay, "num_stable_steps": stable},
            ]
        )
    )
    return config(
        "WarmupStableDecayLR",
        num_warmup_steps=warmup,
        num_decay_steps=decay,
        **lengths,
        warmup_type=draw(_WARMUP_TYPES),
        decay_type=draw(_WARMUP_TYPES),
        min_lr_ratio=draw(_unit()),
        num_cycles=draw(_CYCLES),
    )


@strategy_for("InverseSqrtLR")
def inverse_sqrt_lr(groups: int) -> hs.SearchStrategy[Config]:
    return hs.builds(
        lambda warmup, timescale: config(
            "InverseSqrtLR", num_warmup_steps=warmup, timescale=timescale
        ),
        hs.integers(0, 30),
        hs.none() | hs.integers(1, 50),
    )


@strategy_for("WarmupCosineLR")
@hs.composite
def warmup_cosine_lr(draw: Any, groups: int) -> Config:
    """One of transformers' four cosine schedules (the arguments that select each)."""
    kind = draw(hs.sampled_from(["cosine", "restarts", "min_lr", "min_lr_rate", "from one"]))
    extra: dict[str, Any] = {"num_cycles": draw(_CYCLES)}
    if kind == "restarts":
        extra = {"num_cycles": draw(hs.integers(0, 4)), "hard_restarts": True}
    elif kind == "min_lr":  # at most every learning rate learning_rates() draws (>= 3e-4)
        extra["min_lr"] = draw(hs.floats(0.0, 2.5e-4))
    elif kind == "min_lr_rate":
        extra["min_lr_rate"] = draw(_unit())
    elif kind == "from one":
        extra["min_lr_rate"] = draw(_unit())
        rate = draw(hs.none() | _unit())
        extra.update({"count_from_one": True} if rate is None else {"warmup_lr_rate": rate})
    return config(
        "WarmupCosineLR",
        num_warmup_steps=draw(hs.integers(0, 20)),
        num_training_steps=draw(hs.integers(0, 80)),
        **extra,
    )


@strategy_for("WarmupPolynomialLR")
@hs.composite
def warmup_polynomial_lr(draw: Any, groups: int) -> Config:
    warmup = draw(hs.integers(0, 20))
    return config(
        "WarmupPolynomialLR",
        num_warmup_steps=warmup,
        num_training_steps=warmup + draw(hs.integers(1, 60)),
        lr_end=draw(hs.one_of(hs.just(1e-7), hs.floats(0.0, 2.5e-4))),  # below every LR drawn
        power=draw(hs.one_of(hs.sampled_from([1.0, 2.0, 0.5, 0.0]), hs.floats(0.0, 4.0))),
    )


@strategy_for("WarmupLR")
@hs.composite
def warmup_lr(draw: Any, groups: int) -> Config:
    """A warmup in front of nothing, a composable schedule, a sequence or a plateau."""
    scheduler = draw(
        hs.none()
        | _leaf(groups)
        | _sequential(groups, nested=False)
        | _reduce_lr_on_plateau(groups)
    )
    arguments = {
        "num_warmup_steps": draw(hs.integers(0, 15)),
        "warmup_type": draw(_WARMUP_TYPES),
        "start_factor": draw(_unit()),
    }
    if scheduler is None:
        return Config("WarmupLR", tuple(arguments.items()))
    return Config(
        "WarmupLR",
        (("scheduler", scheduler), *arguments.items()),
        step_args=scheduler.step_args,
    )
