"""Argument checks shared by every scheduler.

Each check raises at the point bad input enters (a constructor, a schedule
function or a state loader) with the argument's name, the constraint and the
value received, so a wrong configuration never turns into a ZeroDivisionError
or a silently wrong learning rate a thousand steps later.

Each schedule module states its arguments' constraints once, as an
:class:`Arguments` of specs; the class, the schedule function and the state
schema (:func:`mlx_lr_scheduler.state.fields`) all check through it:

>>> ARGUMENTS = Arguments(step_size=Integer(minimum=1), gamma=Real(low=0.0))
>>> ARGUMENTS.check("gamma", 0.5)
0.5
>>> ARGUMENTS.check("step_size", 0)
Traceback (most recent call last):
ValueError: step_size must be an integer >= 1, but got 0
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = [
    "FLOAT32_MAX",
    "LAST_EPOCH",
    "LOADED_LR",
    "LR",
    "STEPS_PER_EPOCH",
    "Arguments",
    "Check",
    "Choice",
    "Flag",
    "Function",
    "Integer",
    "Real",
    "Spec",
    "check_int",
    "check_real",
    "missing_group_entry",
    "per_group",
    "power",
]

T = TypeVar("T")

#: The largest learning rate an MLX optimizer can hold (it keeps a float32).
FLOAT32_MAX = 3.4028234663852886e38


def _describe(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})"


def check_int(name: str, value: Any, *, minimum: int | None = None) -> int:
    """Return ``value`` as an ``int`` if it is an integer ``>= minimum``.

    Booleans and floats are refused, even integral ones: torch's integer
    arguments (``step_size``, ``T_max``, ...) silently misbehave when given a
    float, so we refuse at the door.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        constraint = "an integer" if minimum is None else f"an integer >= {minimum}"
        raise TypeError(f"{name} must be {constraint}, but got {_describe(value)}")
    result = int(value)
    if minimum is not None and result < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, but got {result}")
    return result


def check_real(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a finite ``float`` inside the given interval.

    ``low``/``high`` bound the interval; ``low_open``/``high_open`` exclude
    the bound itself. NaN and infinities are always refused.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, but got {_describe(value)}")
    result = float(value)
    lo = "-inf" if low is None else repr(low)
    hi = "inf" if high is None else repr(high)
    left = "(" if low is None or low_open else "["
    right = ")" if high is None or high_open else "]"
    interval = f"{left}{lo}, {hi}{right}"
    if not math.isfinite(result):
        raise ValueError(f"{name} must be a finite number in {interval}, but got {result!r}")
    too_low = low is not None and (result <= low if low_open else result < low)
    too_high = high is not None and (result >= high if high_open else result > high)
    if too_low or too_high:
        raise ValueError(f"{name} must be in {interval}, but got {result!r}")
    return result


def power(base: float, exponent: int) -> float:
    """``base ** exponent`` for a factor ``base >= 0``, ``inf`` where it overflows.

    Python raises ``OverflowError`` where a product would give ``inf`` (``2.0 ** 2000``,
    or any float to a power beyond the float range such as ``0.5 ** 10**400``). Here
    a growing power is ``inf``, which ``step()`` then refuses with a ``ValueError``
    like any other LR past float32, and a shrinking one is ``0.0``.
    """
    try:
        return base**exponent
    except OverflowError:
        if base == 1.0:
            return 1.0
        return math.inf if (base > 1.0) == (exponent > 0) else 0.0


def per_group(
    name: str, value: Any, n_groups: int, check: Callable[[str, Any], T], noun: str = "value"
) -> list[T]:
    """Expand a scalar or a per-group list/tuple into one checked value per group.

    Mirrors torch's rule: a list or tuple must have one entry per parameter
    group; anything else is broadcast to every group.
    """
    if isinstance(value, (list, tuple)):
        if len(value) != n_groups:
            raise ValueError(
                f"{name} must have one {noun} per parameter group ({n_groups}), "
                f"but got {len(value)}: {value!r}"
            )
        return [check(f"{name}[{i}]", v) for i, v in enumerate(value)]
    checked = check(name, value)
    return [checked] * n_groups


def missing_group_entry(key: str, index: int, last_epoch: int) -> KeyError:
    """The error for a resumed scheduler whose group lacks ``key``: torch's words, then ours."""
    return KeyError(
        f"param {key!r} is not specified in param_groups[{index}] when resuming scheduler "
        f"with last_epoch >= 0 (here last_epoch={last_epoch}): create the scheduler with "
        "last_epoch=-1 and load its state_dict() instead"
    )


# -- argument specs: each constraint stated once, checked wherever the value enters ---------


class Spec:
    """One argument's constraint: ``check(name, value)`` returns the value, converted,
    or raises ``TypeError``/``ValueError`` naming ``name``, the rule and the value."""

    def check(self, name: str, value: Any) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class Integer(Spec):
    """An ``int`` (not a ``bool`` or float) ``>= minimum``."""

    minimum: int | None = None

    def check(self, name: str, value: Any) -> int:
        return check_int(name, value, minimum=self.minimum)


@dataclass(frozen=True)
class Real(Spec):
    """A finite float in an interval (see :func:`check_real`); with ``reciprocal``,
    also one whose reciprocal is finite (the schedule divides by it)."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    reciprocal: bool = False

    def check(self, name: str, value: Any) -> float:
        result = check_real(
            name,
            value,
            low=self.low,
            high=self.high,
            low_open=self.low_open,
            high_open=self.high_open,
        )
        if self.reciprocal and (result == 0 or not math.isfinite(1.0 / result)):
            # 0, and the subnormals (about 5.6e-309 and below) whose reciprocal is inf.
            raise ValueError(
                f"{name} must have a finite reciprocal (the schedule divides by it), "
                f"but got {result!r}"
            )
        return result


class Choice(Spec):
    """One of a few strings."""

    def __init__(self, *options: str) -> None:
        self.options = options

    def check(self, name: str, value: Any) -> str:
        if not isinstance(value, str) or value not in self.options:
            options = ", ".join(repr(option) for option in self.options)
            raise ValueError(f"{name} must be one of {options}, but got {value!r}")
        return value


class Flag(Spec):
    """A ``bool`` (``1`` or ``"yes"`` are refused)."""

    def check(self, name: str, value: Any) -> bool:
        if not isinstance(value, bool):
            raise TypeError(f"{name} must be a bool, but got {_describe(value)}")
        return value


class Function(Spec):
    """A callable."""

    def check(self, name: str, value: Any) -> Callable[..., Any]:
        if not callable(value):
            raise TypeError(f"{name} must be callable, but got {_describe(value)}")
        return value  # type: ignore[no-any-return]


class Check(Spec):
    """A constraint written as a function ``check(name, value)`` (milestones, ...)."""

    def __init__(self, check: Callable[[str, Any], Any]) -> None:
        self._check = check

    def check(self, name: str, value: Any) -> Any:
        return self._check(name, value)


class OrNone(Spec):
    """``None`` (the argument is not given), or a value that ``spec`` accepts."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec

    def check(self, name: str, value: Any) -> Any:
        return None if value is None else self.spec.check(name, value)


#: A learning rate (or a bound of one): a finite number >= 0.
LR = Real(low=0.0)
#: A learning rate read from a state: it goes straight to the optimizer's float32.
LOADED_LR = Real(low=0.0, high=FLOAT32_MAX)
#: Steps in an epoch, for the schedule functions.
STEPS_PER_EPOCH = Integer(minimum=1)
#: A scheduler's ``last_epoch`` argument: -1 for a fresh start.
LAST_EPOCH = Integer(minimum=-1)


class Arguments:
    """A schedule's arguments and their specs, declared once per module.

    ``check(name, value)`` serves the constructor and the schedule function;
    ``per_group(name, value, n_groups)`` a scalar-or-list argument;
    :func:`mlx_lr_scheduler.state.fields` turns entries into state fields.
    """

    def __init__(self, **specs: Spec) -> None:
        self.specs = specs

    def __getitem__(self, name: str) -> Spec:
        return self.specs[name]

    def check(self, name: str, value: Any) -> Any:
        return self.specs[name].check(name, value)

    def check_all(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Each of a schedule function's arguments checked, in order: called first thing
        as ``ARGUMENTS.check_all(locals())``, it returns the arguments its ``Schedule``
        records."""
        return {name: self.check(name, value) for name, value in values.items()}

    def per_group(self, name: str, value: Any, n_groups: int) -> list[Any]:
        spec = self.specs[name]
        noun = "function" if isinstance(spec, Function) else "value"
        return per_group(name, value, n_groups, spec.check, noun)
