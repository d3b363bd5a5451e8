"""Argument checks shared by every scheduler.

Each check raises at the point bad input enters (a constructor or a state
loader) with the argument's name, the constraint and the value received, so a
wrong configuration never turns into a ZeroDivisionError or a silently wrong
learning rate a thousand steps later.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

__all__ = [
    "FLOAT32_MAX",
    "check_callable",
    "check_choice",
    "check_int",
    "check_real",
    "check_reciprocal",
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


def check_reciprocal(name: str, value: float) -> float:
    """Return ``value`` if ``1 / value`` is finite (a factor the schedule divides by).

    Refuses 0 and the subnormal floats (about ``5.6e-309`` and below) whose
    reciprocal overflows to ``inf`` and turns the learning rate into ``inf`` or NaN.
    """
    if value == 0 or not math.isfinite(1.0 / value):
        raise ValueError(
            f"{name} must have a finite reciprocal (the schedule divides by it), but got {value!r}"
        )
    return value


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


def check_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    """Return ``value`` if it is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {options}, but got {value!r}")
    return value


def check_callable(name: str, value: Any) -> Callable[..., Any]:
    """Return ``value`` if it is callable."""
    if not callable(value):
        raise TypeError(f"{name} must be callable, but got {_describe(value)}")
    return value  # type: ignore[no-any-return]


def per_group(name: str, value: Any, n_groups: int, check: Callable[[str, Any], T]) -> list[T]:
    """Expand a scalar or a per-group list/tuple into one checked value per group.

    Mirrors torch's rule: a list or tuple must have one entry per parameter
    group; anything else is broadcast to every group.
    """
    if isinstance(value, (list, tuple)):
        if len(value) != n_groups:
            raise ValueError(
                f"{name} must have one value per parameter group ({n_groups}), "
                f"but got {len(value)}: {value!r}"
            )
        return [check(f"{name}[{i}]", v) for i, v in enumerate(value)]
    checked = check(name, value)
    return [checked] * n_groups
