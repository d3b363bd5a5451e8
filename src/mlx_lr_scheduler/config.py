"""Schedules from a config: ``from_config(optimizer, config)`` and ``to_config(scheduler)``.

A config is plain data (a dict, or the path of a ``.json``, ``.yaml`` or ``.yml``
file holding one), never evaluated. Its ``"name"`` says which schedule it is, in one
of three vocabularies:

* **torch** — a class name of this library, with its constructor arguments (all but
  the optimizer) as the other keys; a scheduler argument is a nested config:

  ``{"name": "StepLR", "step_size": 30, "gamma": 0.1}``,
  ``{"name": "SequentialLR", "schedulers": [{"name": "LinearLR", "start_factor": 0.1,
  "total_iters": 5}, {"name": "CosineAnnealingLR", "T_max": 95}], "milestones": [5]}``.

  This is the format :func:`to_config` writes; the ``mlx-lr`` command's SPEC file form,
  the arguments under an ``"arguments"`` key (``{"name": "StepLR", "arguments":
  {"step_size": 30}}``), is read too. The schedulers of a composite are
  built on the optimizer first, in order, as one writes them in Python.
* **transformers** — a name of ``transformers.get_scheduler`` (``"linear"``,
  ``"cosine"``, ...), with ``num_warmup_steps``, ``num_training_steps`` and the
  schedule's own arguments (``get_scheduler``'s ``scheduler_specific_kwargs``) at the
  top level: ``{"name": "cosine", "num_warmup_steps": 100, "num_training_steps":
  1000, "num_cycles": 0.5}``. Built by
  :data:`mlx_lr_scheduler.transformers_names.TRANSFORMERS_SCHEDULES`, with
  ``get_scheduler``'s rules; the learning rates are transformers'.
* **mlx-lm** — the ``lr_schedule`` block of an mlx-lm training config (or the whole
  config holding it): the name of an MLX schedule function (``"cosine_decay"``,
  ``"exponential_decay"``, ``"linear_schedule"``, ``"step_decay"``), its positional
  ``"arguments"``, and optionally ``"warmup"`` steps from ``"warmup_init"``:
  ``{"name": "cosine_decay", "arguments": [1e-5, 1000, 1e-7], "warmup": 100,
  "warmup_init": 1e-7}``. As in mlx-lm, the schedule sets the learning rate itself
  (its first argument, or the end of a rising ``linear_schedule``): each group's
  learning rate becomes that value. The values are mlx-lm's
  (``mlx_lm.tuner.utils.build_schedule``), **including its late join**: mlx-lm joins
  the warmup and the schedule at step ``warmup + 1``, so the learning rate stays at
  the first argument for two steps (``warmup`` and ``warmup + 1``) before the schedule
  starts. A ``decay_rate`` is rounded to float32 first, as MLX raises it in float32.

The scheduler is built from this library's classes, so ``to_config`` of it gives its
torch-format config. YAML is read with a safe loader that also reads ``1e-5`` as a
number (as mlx-lm's loader does; plain YAML 1.1 reads it as a string).
"""

from __future__ import annotations

import inspect
import json
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import mlx.core as mx

from mlx_lr_scheduler import transformers_names
from mlx_lr_scheduler.composition import ChainedScheduler, SequentialLR
from mlx_lr_scheduler.constant_lr import ConstantLR
from mlx_lr_scheduler.cosine_annealing_lr import CosineAnnealingLR
from mlx_lr_scheduler.cosine_annealing_warm_restarts import CosineAnnealingWarmRestarts
from mlx_lr_scheduler.cyclic_lr import CyclicLR
from mlx_lr_scheduler.exponential_lr import ExponentialLR
from mlx_lr_scheduler.inverse_sqrt_lr import InverseSqrtLR
from mlx_lr_scheduler.lambda_lr import LambdaLR, MultiplicativeLR
from mlx_lr_scheduler.linear_lr import LinearLR
from mlx_lr_scheduler.momentum import restore_groups_on_failure
from mlx_lr_scheduler.multi_step_lr import MultiStepLR
from mlx_lr_scheduler.one_cycle_lr import OneCycleLR
from mlx_lr_scheduler.param_groups import param_groups
from mlx_lr_scheduler.polynomial_lr import PolynomialLR
from mlx_lr_scheduler.reduce_lr_on_plateau import ReduceLROnPlateau, WarmupThenPlateau
from mlx_lr_scheduler.scheduler import LRScheduler
from mlx_lr_scheduler.step_lr import StepLR
from mlx_lr_scheduler.swa_lr import SWALR
from mlx_lr_scheduler.transformers_names import TRANSFORMERS_ARGUMENTS
from mlx_lr_scheduler.validation import Integer, Real, Spec
from mlx_lr_scheduler.warmup_cosine_lr import WarmupCosineLR
from mlx_lr_scheduler.warmup_lr import WarmupLR
from mlx_lr_scheduler.warmup_polynomial_lr import WarmupPolynomialLR
from mlx_lr_scheduler.warmup_stable_decay_lr import WarmupStableDecayLR

__all__ = [
    "MLX_LM_SCHEDULES",
    "TRANSFORMERS_ARGUMENTS",
    "from_config",
    "read_config",
    "register",
    "to_config",
]

Arguments = Callable[[Any], dict[str, Any]]


# -- torch names: one reader of the constructor arguments per class ---------------------


def _one_or_per_group(values: Sequence[float]) -> float | list[float]:
    """One value for all groups, or a list where they differ."""
    return values[0] if all(value == values[0] for value in values) else list(values)


def _candidates(estimate: float, default: float | None = None) -> list[float]:
    """Values an argument may have had, given a value computed back from the state:
    the default, the shortest decimals near the estimate, then its neighbours."""
    found = [] if default is None else [default]
    if math.isfinite(estimate):
        found += [float(f"{estimate:.{digits}g}") for digits in range(1, 18)]
        below = above = estimate
        for _ in range(4):
            below, above = math.nextafter(below, -math.inf), math.nextafter(above, math.inf)
            found += [below, above]
    return list(dict.fromkeys(found))


def _recover(
    owner: str, name: str, estimate: float, fits: Callable[[float], bool], default: float | None
) -> float:
    """The argument ``name`` whose derived state ``fits`` (so the LR curve is the same)."""
    for candidate in _candidates(estimate, default):
        try:
            if fits(candidate):
                return candidate
        except (ArithmeticError, ValueError):
            continue
    raise ValueError(
        f"to_config: no value of {owner}'s {name} gives its current state (estimate "
        f"{estimate!r}); was its state loaded from another configuration?"
    )


def _attributes(*names: str) -> Arguments:
    return lambda scheduler: {name: getattr(scheduler, name) for name in names}


def _cyclic_lr(scheduler: CyclicLR) -> dict[str, Any]:
    if scheduler._scale_fn_custom is not None:
        raise TypeError(
            "to_config: this CyclicLR has a scale_fn (a Python function), which a config "
            "cannot hold; use mode='triangular', 'triangular2' or 'exp_range'"
        )
    total, ratio = scheduler.total_size, scheduler.step_ratio

    def fits_up(up: float) -> bool:
        return any(up + down == total and up / (up + down) == ratio for down in downs(up))

    def downs(up: float) -> list[float]:
        return [down for down in _candidates(total - up) if down >= 0]

    up = _recover("CyclicLR", "step_size_up", total * ratio, fits_up, None)
    down = next(down for down in downs(up) if up + down == total and up / (up + down) == ratio)
    arguments: dict[str, Any] = {
        "base_lr": _one_or_per_group(scheduler.base_lrs),
        "max_lr": _one_or_per_group(scheduler.max_lrs),
        "step_size_up": up,
        "step_size_down": down,
        "mode": scheduler.mode,
        "gamma": scheduler.gamma,
        "scale_mode": scheduler.scale_mode,
        "cycle_momentum": scheduler.cycle_momentum,
    }
    if scheduler.cycle_momentum:
        arguments["base_momentum"] = _one_or_per_group(scheduler.base_momentums)
        arguments["max_momentum"] = _one_or_per_group(scheduler.max_momentums)
    return arguments


def _ratio(numerators: Sequence[float], denominators: Sequence[float]) -> float:
    """The ratio of the first group where it is defined (NaN where no group has one)."""
    for numerator, denominator in zip(numerators, denominators):
        if denominator:
            return numerator / denominator
    return math.nan


def _one_cycle_lr(scheduler: OneCycleLR) -> dict[str, Any]:
    owner = "OneCycleLR"
    total = scheduler.total_steps
    ends = [phase["end_step"] for phase in scheduler._schedule_phases]
    three_phase = len(ends) == 3

    def fits_pct(pct: float) -> bool:
        if not 0.0 <= pct <= 1.0 or float(pct * total) - 1 != ends[0]:
            return False
        return not three_phase or float(2 * pct * total) - 2 == ends[1]

    groups = scheduler.param_groups
    peaks = [group["max_lr"] for group in groups]
    initials = [group["initial_lr"] for group in groups]
    finals = [group["min_lr"] for group in groups]
    div_factor = _recover(
        owner,
        "div_factor",
        _ratio(peaks, initials),
        lambda d: d > 0 and all(p / d == i for p, i in zip(peaks, initials)),
        25.0,
    )
    final_div_factor = _recover(
        owner,
        "final_div_factor",
        _ratio(initials, finals),
        lambda f: f > 0 and all(i / f == m for i, m in zip(initials, finals)),
        1e4,
    )
    arguments: dict[str, Any] = {
        "max_lr": _one_or_per_group(peaks),
        "total_steps": total,
        "pct_start": _recover(owner, "pct_start", (ends[0] + 1) / total, fits_pct, 0.3),
        "anneal_strategy": scheduler._anneal_func_type,
        "cycle_momentum": scheduler.cycle_momentum,
    }
    if scheduler.cycle_momentum:
        arguments["base_momentum"] = _one_or_per_group([g["base_momentum"] for g in groups])
        arguments["max_momentum"] = _one_or_per_group([g["max_momentum"] for g in groups])
    arguments.update(
        div_factor=div_factor, final_div_factor=final_div_factor, three_phase=three_phase
    )
    return arguments


def _reduce_lr_on_plateau(scheduler: ReduceLROnPlateau) -> dict[str, Any]:
    min_lr = scheduler.default_min_lr
    return {
        "mode": scheduler.mode,
        "factor": scheduler.factor,
        "patience": scheduler.patience,
        "threshold": scheduler.threshold,
        "threshold_mode": scheduler.threshold_mode,
        "cooldown": scheduler.cooldown,
        "min_lr": list(scheduler.min_lrs) if min_lr is None else min_lr,
        "eps": scheduler.eps,
    }


def _swa_lr(scheduler: SWALR) -> dict[str, Any]:
    return {
        "swa_lr": _one_or_per_group(scheduler.swa_lrs),
        "anneal_epochs": scheduler.anneal_epochs,
        "anneal_strategy": scheduler._anneal_strategy,
    }


def _from_constructor(scheduler: Any) -> dict[str, Any]:
    """Each constructor argument read from the attribute of the same name."""
    arguments = {}
    for name in _parameters(type(scheduler)):
        if name == "last_epoch":
            continue
        if not hasattr(scheduler, name):
            raise TypeError(
                f"to_config: {type(scheduler).__name__} keeps no attribute {name!r} for its "
                "argument of that name; register it with an arguments function"
            )
        arguments[name] = getattr(scheduler, name)
    return arguments


def _warmup_cosine_lr(scheduler: Any) -> dict[str, Any]:
    arguments = _from_constructor(scheduler)
    # min_lr_rate holds min_lr over the first group's initial LR when min_lr was given.
    if scheduler.min_lr is not None:
        arguments["min_lr_rate"] = None
    return arguments


def _warmup_stable_decay_lr(scheduler: Any) -> dict[str, Any]:
    arguments = _from_constructor(scheduler)
    if arguments["num_stable_steps"] is not None:
        arguments["num_training_steps"] = None  # ignored (with a warning) when both are given
    start = scheduler.decay_start
    built = scheduler.num_warmup_steps + (
        scheduler.num_stable_steps
        if scheduler.num_stable_steps is not None
        else (scheduler.num_training_steps or 0)
        - scheduler.num_decay_steps
        - scheduler.num_warmup_steps
    )
    if start is not None and (
        start != built
        or (arguments["num_training_steps"] is None and arguments["num_stable_steps"] is None)
    ):
        # start_decay() fixed the stable phase: the config states its length.
        stable = start - scheduler.num_warmup_steps
        if stable < 0:
            raise TypeError(
                "to_config: this WarmupStableDecayLR started its decay during the warmup "
                "(start_decay()), which no constructor arguments reproduce"
            )
        arguments.update(num_training_steps=None, num_stable_steps=stable)
    return arguments


#: The torch-format names: each class and the function reading its constructor
#: arguments back (None: it takes a Python function, which a config cannot hold).
_TORCH: dict[str, tuple[type[LRScheduler], Arguments | None]] = {
    "LambdaLR": (LambdaLR, None),
    "MultiplicativeLR": (MultiplicativeLR, None),
    "StepLR": (StepLR, _attributes("step_size", "gamma")),
    "MultiStepLR": (
        MultiStepLR,
        lambda s: {"milestones": list(s.milestones), "gamma": s.gamma},
    ),
    "ConstantLR": (ConstantLR, _attributes("factor", "total_iters")),
    "LinearLR": (LinearLR, _attributes("start_factor", "end_factor", "total_iters")),
    "ExponentialLR": (ExponentialLR, _attributes("gamma")),
    "PolynomialLR": (PolynomialLR, _attributes("total_iters", "power")),
    "CosineAnnealingLR": (CosineAnnealingLR, _attributes("T_max", "eta_min")),
    "SequentialLR": (
        SequentialLR,
        lambda s: {"schedulers": list(s._schedulers), "milestones": list(s._milestones)},
    ),
    "ChainedScheduler": (ChainedScheduler, lambda s: {"schedulers": list(s._schedulers)}),
    "CosineAnnealingWarmRestarts": (
        CosineAnnealingWarmRestarts,
        _attributes("T_0", "T_mult", "eta_min"),
    ),
    "CyclicLR": (CyclicLR, _cyclic_lr),
    "OneCycleLR": (OneCycleLR, _one_cycle_lr),
    "SWALR": (SWALR, _swa_lr),
    "ReduceLROnPlateau": (ReduceLROnPlateau, _reduce_lr_on_plateau),
    "WarmupThenPlateau": (
        WarmupThenPlateau,
        lambda s: {"warmup": s._warmup, "plateau": s._plateau, "milestone": s.milestone},
    ),
    "WarmupStableDecayLR": (WarmupStableDecayLR, _warmup_stable_decay_lr),
    "InverseSqrtLR": (InverseSqrtLR, _from_constructor),
    "WarmupCosineLR": (WarmupCosineLR, _warmup_cosine_lr),
    "WarmupPolynomialLR": (WarmupPolynomialLR, _from_constructor),
    "WarmupLR": (
        WarmupLR,
        lambda s: {
            "scheduler": s._scheduler,
            "num_warmup_steps": s.num_warmup_steps,
            "warmup_type": s.warmup_type,
            "start_factor": s.start_factor,
        },
    ),
}

_BUILT_IN = frozenset(_TORCH)

#: The arguments of each torch-format name that are schedulers (nested configs), in
#: the order they are built.
_NESTED: dict[str, tuple[str, ...]] = {
    "SequentialLR": ("schedulers",),
    "ChainedScheduler": ("schedulers",),
    "WarmupThenPlateau": ("warmup", "plateau"),
    "WarmupLR": ("scheduler",),
}


def register(
    cls: type[LRScheduler],
    arguments: Callable[[Any], Mapping[str, Any]] | None = None,
    *,
    schedulers: Sequence[str] = (),
) -> None:
    """Make a scheduler class of your own available to configs, under its class name.

    Args:
        cls: a subclass of :class:`~mlx_lr_scheduler.LRScheduler`.
        arguments: ``arguments(scheduler)`` returns the constructor arguments (all
            but the optimizer) that rebuild ``scheduler``, for :func:`to_config`.
            Default: each constructor argument read from the attribute of the same
            name.
        schedulers: the names of its arguments that are schedulers (nested configs).

    Example:
        >>> import mlx.optimizers as optim
        >>> from mlx_lr_scheduler import StepLR
        >>> class Halving(StepLR):
        ...     def __init__(self, optimizer, step_size, last_epoch=-1):
        ...         super().__init__(optimizer, step_size, gamma=0.5, last_epoch=last_epoch)
        >>> register(Halving)
        >>> to_config(Halving(optim.SGD(learning_rate=0.1), step_size=3))
        {'name': 'Halving', 'step_size': 3}
    """
    if not (isinstance(cls, type) and issubclass(cls, LRScheduler)):
        raise TypeError(f"cls must be a subclass of LRScheduler, but got {cls!r}")
    name = cls.__name__
    if name in _BUILT_IN or name in _OTHER_NAMES:  # a name of your own may be registered again
        raise ValueError(f"the name {name!r} is taken by a schedule of this library")
    reader = _from_constructor if arguments is None else arguments
    _TORCH[name] = (cls, lambda scheduler: dict(reader(scheduler)))
    _NESTED[name] = tuple(schedulers)


# -- to_config ------------------------------------------------------------------------


def to_config(scheduler: LRScheduler) -> dict[str, Any]:
    """The torch-format config that rebuilds ``scheduler``: JSON-compatible plain data.

    ``from_config(optimizer, to_config(scheduler))`` on an optimizer with the same
    learning rates gives the same learning rates, bit for bit, from a fresh start
    (the config holds the constructor arguments, not the progress: save that with
    ``state_dict()``). The learning rates the optimizer starts from are not in the
    config, except for the classes that take them as arguments (``CyclicLR``,
    ``OneCycleLR``, ``SWALR``'s ``swa_lr``).

    Raises:
        TypeError: ``scheduler`` takes a Python function (``LambdaLR``,
            ``MultiplicativeLR``, a ``CyclicLR`` with a ``scale_fn``), or is of a
            class of your own that was not :func:`register`-ed. The ``LambdaLR``
            that transformers' ``linear`` builds is written as ``{"name": "linear",
            "num_warmup_steps": ..., "num_training_steps": ...}``.

    Example:
        >>> import json, mlx.optimizers as optim
        >>> from mlx_lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR
        >>> opt = optim.SGD(learning_rate=0.1)
        >>> warmup = LinearLR(opt, start_factor=0.1, total_iters=5)
        >>> scheduler = SequentialLR(opt, [warmup, CosineAnnealingLR(opt, T_max=95)], [5])
        >>> print(json.dumps(to_config(scheduler)))
        {"name": "SequentialLR", "schedulers": [{"name": "LinearLR", "start_factor": 0.1, \
"end_factor": 1.0, "total_iters": 5}, {"name": "CosineAnnealingLR", "T_max": 95, \
"eta_min": 0.0}], "milestones": [5]}
    """
    if not isinstance(scheduler, LRScheduler):
        raise TypeError(
            f"to_config takes an mlx_lr_scheduler scheduler, but got {type(scheduler).__name__}"
        )
    cls = type(scheduler)
    name = cls.__name__
    known = _TORCH.get(name)
    if known is None or known[0] is not cls:
        raise TypeError(
            f"to_config: {cls.__module__}.{name} is not a schedule a config can name; "
            "register it first (mlx_lr_scheduler.config.register)"
        )
    reader = known[1]
    if isinstance(scheduler, LambdaLR) and _is_transformers_linear(scheduler):
        # transformers' linear has no class of its own: its config is transformers'.
        factor: Any = scheduler.lr_lambdas[0]
        return {
            "name": "linear",
            "num_warmup_steps": factor.num_warmup_steps,
            "num_training_steps": factor.num_training_steps,
        }
    if reader is None:
        raise TypeError(
            f"to_config: a {name} takes a Python function (lr_lambda), which a config cannot hold"
        )
    config = {"name": name}
    for key, value in reader(scheduler).items():
        config[key] = _plain(value)
    try:
        json.dumps(config, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"to_config: the config of this {name} is not plain data: {error}"
        ) from None
    return config


def _is_transformers_linear(scheduler: LambdaLR) -> bool:
    """A LambdaLR with transformers' linear factor, the same for every group."""
    factors = scheduler.lr_lambdas
    first = factors[0]
    return type(first) is transformers_names.LinearDecayWithWarmup and all(
        type(f) is type(first) and vars(f) == vars(first) for f in factors
    )


def _plain(value: Any) -> Any:
    if isinstance(value, LRScheduler):
        return to_config(value)
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


# -- from_config ------------------------------------------------------------------------


def from_config(optimizer: Any, config: Mapping[str, Any] | str | os.PathLike[str]) -> LRScheduler:
    """Build the scheduler a config describes, on ``optimizer``.

    Args:
        optimizer: an MLX optimizer (one parameter group) or a ``MultiOptimizer``.
        config: a dict (see the module docstring for the three formats), or the path
            of a ``.json``, ``.yaml`` or ``.yml`` file holding one. An mlx-lm training
            config (a dict with an ``"lr_schedule"`` key and no ``"name"``) is read
            for its ``lr_schedule`` block.

    Raises:
        TypeError: ``config`` is neither a dict nor a path, or a value has the wrong
            type.
        ValueError: an unknown name (the message lists the valid ones, by
            vocabulary), an unknown argument (the message lists the name's
            arguments) or an invalid value (the message names the argument).
            The optimizer is left as it was.
        ImportError: a YAML file without PyYAML installed.

    Example:
        >>> import mlx.optimizers as optim
        >>> opt = optim.SGD(learning_rate=0.1)
        >>> scheduler = from_config(opt, {"name": "StepLR", "step_size": 2, "gamma": 0.5})
        >>> for epoch in range(5):
        ...     print(f"epoch {epoch}: {scheduler.get_last_lr()[0]}")
        ...     scheduler.step()
        epoch 0: 0.1
        epoch 1: 0.1
        epoch 2: 0.05
        epoch 3: 0.05
        epoch 4: 0.025
        >>> block = {"name": "cosine_decay", "arguments": [1e-3, 100], "warmup": 2}
        >>> scheduler = from_config(opt, block)  # mlx-lm's: the LR is 1e-3 at steps 2 and 3
        >>> for step in range(5):
        ...     print(f"step {step}: {scheduler.get_last_lr()[0]:.6g}")
        ...     scheduler.step()
        step 0: 0
        step 1: 0.0005
        step 2: 0.001
        step 3: 0.001
        step 4: 0.000999753
    """
    data = read_config(config)
    if "name" not in data and "lr_schedule" in data:
        data = _checked_mapping("lr_schedule", data["lr_schedule"])
    groups = param_groups(optimizer)
    with restore_groups_on_failure(groups):
        return _build(optimizer, data, "config")


def _build(optimizer: Any, config: Mapping[str, Any], where: str) -> LRScheduler:
    """The scheduler of ``config``; an error in a nested one says where it is."""
    try:
        return _build_named(optimizer, config, where)
    except (TypeError, ValueError) as error:
        if where == "config" or type(error) not in (TypeError, ValueError):
            raise
        if str(error).startswith(where):
            raise
        raise type(error)(f"{where}: {error}") from None


def _build_named(optimizer: Any, config: Mapping[str, Any], where: str) -> LRScheduler:
    name = config.get("name")
    if name is None:
        raise ValueError(f"{where} needs a 'name' (the schedule), but has keys {sorted(config)}")
    if not isinstance(name, str):
        raise TypeError(f"{where}['name'] must be a string, but got {name!r}")
    arguments = {key: value for key, value in config.items() if key != "name"}
    if (
        name in _TORCH
        and set(arguments) == {"arguments"}
        and isinstance(arguments["arguments"], Mapping)
    ):
        arguments = dict(arguments["arguments"])  # the mlx-lr command's SPEC file form
    if name in _TORCH:
        return _build_torch(optimizer, name, arguments, where)
    if name in transformers_names.TRANSFORMERS_SCHEDULES:
        return _build_transformers(optimizer, name, arguments)
    if name in MLX_LM_SCHEDULES:
        return _build_mlx_lm(optimizer, name, arguments)
    raise ValueError(f"{where}: unknown schedule name {name!r}; the valid names are\n{_names()}")


def _names() -> str:
    torch = [name for name, (_, reader) in _TORCH.items() if reader is not None]
    return "\n".join(
        [
            "  torch: " + ", ".join(torch),
            "  transformers: " + ", ".join(transformers_names.TRANSFORMERS_SCHEDULES),
            "  mlx-lm: " + ", ".join(MLX_LM_SCHEDULES),
        ]
    )


def _check_arguments(name: str, arguments: Mapping[str, Any], valid: Sequence[str]) -> None:
    unknown = [key for key in arguments if key not in valid]
    if unknown:
        raise ValueError(
            f"unknown argument {unknown[0]!r} for {name!r}; its arguments are: "
            + (", ".join(valid) if valid else "none")
        )


def _parameters(cls: type) -> list[str]:
    names = [
        parameter.name
        for parameter in inspect.signature(cls).parameters.values()
        if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)
    ]
    return [name for name in names if name != "optimizer"]


def _build_torch(optimizer: Any, name: str, arguments: dict[str, Any], where: str) -> LRScheduler:
    cls, reader = _TORCH[name]
    if reader is None:
        raise ValueError(
            f"{where}: {name} takes a Python function (lr_lambda), which a config cannot "
            f"hold; the names a config can use are\n{_names()}"
        )
    _check_arguments(name, arguments, _parameters(cls))
    for key in _NESTED.get(name, ()):
        if key not in arguments:
            continue
        value = arguments[key]
        path = f"{where}[{key!r}]"
        if key == "schedulers":
            if not isinstance(value, (list, tuple)):
                raise TypeError(f"{path} must be a list of configs, but got {value!r}")
            arguments[key] = [
                _build(optimizer, _checked_mapping(f"{path}[{i}]", item), f"{path}[{i}]")
                for i, item in enumerate(value)
            ]
        elif value is not None:
            arguments[key] = _build(optimizer, _checked_mapping(path, value), path)
    return cls(optimizer=optimizer, **arguments)


def _build_transformers(optimizer: Any, name: str, arguments: dict[str, Any]) -> LRScheduler:
    valid = ["num_warmup_steps", "num_training_steps", *TRANSFORMERS_ARGUMENTS[name]]
    _check_arguments(name, arguments, valid)
    builder = transformers_names.TRANSFORMERS_SCHEDULES[name]
    return builder(optimizer, **arguments)


# -- mlx-lm ---------------------------------------------------------------------------

_VALUE = Real(low=0.0)
_STEPS = Integer(minimum=1)

#: MLX's schedule functions (``mlx.optimizers.schedulers``) an mlx-lm ``lr_schedule``
#: names: each one's positional arguments, their checks and defaults (None: required).
MLX_LM_SCHEDULES: dict[str, tuple[tuple[str, Spec, float | None], ...]] = {
    "cosine_decay": (("init", _VALUE, None), ("decay_steps", _STEPS, None), ("end", _VALUE, 0.0)),
    "exponential_decay": (("init", _VALUE, None), ("decay_rate", _VALUE, None)),
    "linear_schedule": (("init", _VALUE, None), ("end", _VALUE, None), ("steps", _STEPS, None)),
    "step_decay": (
        ("init", _VALUE, None),
        ("decay_rate", _VALUE, None),
        ("step_size", _STEPS, None),
    ),
}
_MLX_LM_KEYS = ("arguments", "warmup", "warmup_init")


def _as_float32(decay_rate: float) -> float:
    """``decay_rate`` as MLX raises it to the step's power: rounded to float32 (0.99999 is
    0.9999899864...; over 10^5 steps the two powers differ by 0.14%)."""
    rounded = float(mx.array(decay_rate, mx.float32).item())
    if not math.isfinite(rounded):
        raise ValueError(f"decay_rate must be finite as a float32, but got {decay_rate!r}")
    return rounded


def _build_mlx_lm(optimizer: Any, name: str, block: dict[str, Any]) -> LRScheduler:
    _check_arguments(name, block, _MLX_LM_KEYS)
    parameters = MLX_LM_SCHEDULES[name]
    given = block.get("arguments")
    signature = f"{name}({', '.join(p for p, _, _ in parameters)})"
    if not isinstance(given, (list, tuple)):
        raise TypeError(f"{name}'s 'arguments' must be a list, {signature}, but got {given!r}")
    required = sum(default is None for _, _, default in parameters)
    if not required <= len(given) <= len(parameters):
        raise ValueError(
            f"{name} takes {required} to {len(parameters)} arguments, {signature}, but got "
            f"{len(given)}: {list(given)!r}"
        )
    values = {
        parameter: spec.check(f"{name} argument {parameter}", value)
        for (parameter, spec, _), value in zip(parameters, given)
    }
    for parameter, _, default in parameters[len(given) :]:
        values[parameter] = default
    warmup = Integer(minimum=0).check("warmup", block.get("warmup", 0))
    warmup_init = _VALUE.check("warmup_init", block.get("warmup_init", 0.0))

    init = values["init"]
    rising = name == "linear_schedule" and values["end"] > init
    if rising and warmup:
        raise ValueError(
            "a rising linear_schedule after a warmup is not supported: its learning rate "
            "would exceed the warmup's target (arguments[0])"
        )
    if name == "cosine_decay" and values["end"] > init:
        raise ValueError(
            f"cosine_decay: a rising cosine (end {values['end']!r} > init {init!r}) is not "
            "supported: end must be <= init"
        )
    peak = values["end"] if rising else init
    if peak == 0.0 or (warmup and warmup_init > init):
        raise ValueError(
            f"{name}: the schedule must start at its highest value, > 0 (warmup_init <= "
            f"arguments[0]), but got arguments {list(given)!r} and warmup_init {warmup_init!r}"
        )
    for group in param_groups(optimizer):
        group["lr"] = peak
        group["initial_lr"] = peak

    def ratio(value: float) -> float:
        return float(value / peak)

    main: dict[str, Any]
    if name == "exponential_decay":
        main = {"name": "ExponentialLR", "gamma": _as_float32(values["decay_rate"])}
    elif name == "step_decay":
        gamma = _as_float32(values["decay_rate"])
        main = {"name": "StepLR", "step_size": values["step_size"], "gamma": gamma}
    elif name == "cosine_decay":
        main = {
            "name": "WarmupStableDecayLR",
            "num_warmup_steps": 0,
            "num_decay_steps": values["decay_steps"],
            "num_stable_steps": 0,
            "decay_type": "cosine",
            "min_lr_ratio": ratio(values["end"]),
        }
    elif rising:
        main = {
            "name": "WarmupLR",
            "num_warmup_steps": values["steps"],
            "start_factor": ratio(init),
        }
    else:
        main = {
            "name": "LinearLR",
            "start_factor": 1.0,
            "end_factor": ratio(values["end"]),
            "total_iters": values["steps"],
        }
    if warmup:
        # mlx-lm's join: the warmup reaches the peak at step `warmup`, which holds one more
        # step before the schedule's step 0 (join_schedules(..., [warmup + 1])).
        hold = {"name": "ConstantLR", "factor": 1.0, "total_iters": 1}
        main = {
            "name": "WarmupLR",
            "scheduler": {"name": "SequentialLR", "schedulers": [hold, main], "milestones": [1]},
            "num_warmup_steps": warmup,
            "start_factor": ratio(warmup_init),
        }
    return _build(optimizer, main, f"{name} as {main['name']}")


# -- reading a config -------------------------------------------------------------------

_OTHER_NAMES = (*transformers_names.TRANSFORMERS_SCHEDULES, *MLX_LM_SCHEDULES)


def _checked_mapping(where: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"{where} must be a dict (a config), but got {type(value).__name__}")
    for key in value:
        if not isinstance(key, str):
            raise TypeError(f"{where} keys must be strings, but got {key!r}")
    return dict(value)


def read_config(config: Any) -> dict[str, Any]:
    """The config as a dict: ``config`` itself, or the .json/.yaml/.yml file it names."""
    if isinstance(config, Mapping):
        return _checked_mapping("config", config)
    if not isinstance(config, (str, os.PathLike)):
        raise TypeError(
            "config must be a dict or the path of a .json, .yaml or .yml file, but got "
            f"{type(config).__name__}"
        )
    path = Path(config)
    suffix = path.suffix.lower()
    if suffix == ".json":
        with path.open(encoding="utf-8") as file:
            try:
                data = json.load(file)
            except json.JSONDecodeError as error:
                raise ValueError(f"{str(path)!r} is not valid JSON: {error}") from None
        return _checked_mapping(f"the config in {path}", data)
    if suffix in (".yaml", ".yml"):
        with path.open(encoding="utf-8") as file:
            return _checked_mapping(f"the config in {path}", _load_yaml(file.read()))
    raise ValueError(f"config file must end in .json, .yaml or .yml, but got {str(path)!r}")


#: YAML 1.1 floats, and also ``1e-5`` (no dot), which plain YAML 1.1 reads as a string.
_YAML_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.VERBOSE,
)


def _load_yaml(text: str) -> Any:
    try:
        import yaml  # type: ignore[import-untyped]
    except ImportError:
        raise ImportError("reading a YAML config needs PyYAML: pip install pyyaml") from None

    # The safe loader, reading ``1e-5`` as a float (as mlx-lm's loader does).
    Loader: Any = type("Loader", (yaml.SafeLoader,), {})
    Loader.add_implicit_resolver("tag:yaml.org,2002:float", _YAML_FLOAT, list("-+0123456789."))
    return yaml.load(text, Loader)
