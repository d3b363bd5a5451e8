"""Arithmetic shared by the schedule functions, accurate in float32 for any step.

Every schedule function takes a *step* and is written once, against the helpers
here, which dispatch on the step's type:

* a Python ``int`` is computed in float64 with :mod:`math` and gives a Python
  ``float``;
* an ``mx.array`` of any integer dtype (a scalar such as an optimizer's uint64
  ``state["step"]``, or a whole ``mx.arange``) is computed elementwise with
  ``mx`` ops on uint64 steps and gives float32 values. Nothing reads an array's
  value in Python, so the functions run inside ``mx.compile`` and trace once.

Why each helper exists (float32 has a 24-bit significand):

* **Steps stay integers** until the last operation that needs a float, and every
  difference of steps is formed in integers as ``max(t, b) - b`` or
  ``b - min(t, b)`` (or in int64, :func:`distance`): exact, and a uint64 never
  wraps (``t - b`` before the boundary ``b`` would be ``2**64 - (b - t)``).
* **No ``1 + cos x``.** Near the trough it cancels: at ``x = pi*(T-1)/T`` its
  value is about ``(pi/T)**2 / 2`` while float32's rounding of ``cos x`` is
  ``6e-8``, so for ``T = 10**6`` the result is noise (MLX's ``cosine_decay``
  reaches 0 early). :func:`sin_squared` uses ``(1 + cos(pi*r/T))/2 =
  sin(pi*(T-r)/(2T))**2`` with ``T - r`` exact, accurate to a few ulp everywhere.
* **Powers** ``gamma**s``: ``gamma`` rounded to float32 is off by up to ``6e-8``
  (relative), and ``s`` steps multiply that: ``gamma**s`` is off by up to
  ``s * 6e-8`` (MLX's ``exponential_decay(0.1, 0.99999)``: ``1.4e-2`` at
  ``s = 10**6``). :class:`Power` takes ``log2(gamma)`` in
  float64 and splits both it and the step so that ``s*log2(gamma)`` is formed
  from exact float32 products, then evaluates ``2**n * exp(f*ln 2)`` with ``n``
  an integer and ``|f| <= 1/2``.
* **Steps above 2**24** are not exact in float32; the helpers convert a step (or
  a difference of steps) only where a relative error of ``6e-8`` is harmless.
"""

from __future__ import annotations

import math
import numbers
from bisect import bisect_right
from collections.abc import Callable, Sequence
from typing import Any

import mlx.core as mx

__all__ = [
    "MAX_STEP",
    "Boundaries",
    "Power",
    "Schedule",
    "Table",
    "as_float",
    "between",
    "check_step",
    "cosine_cycles",
    "difference",
    "distance",
    "epoch_of",
    "finish",
    "is_array",
    "maximum",
    "minimum",
    "real_power",
    "restarted_cosine",
    "sin_squared",
    "where",
]

#: Largest step (and boundary) held exactly: uint64 tables are built from int64.
MAX_STEP = 2**63 - 1
_LN2 = math.log(2.0)
# The step is split as s = hi * 2**_SPLIT + lo; see Power.
_SPLIT = 12
_LOW_MASK = (1 << _SPLIT) - 1


class Schedule:
    """A schedule function ``schedule(step)``: a Python int gives a float, an array float32.

    A thin callable that remembers the factory call that made it (``name`` and
    ``arguments``, also its ``repr``). MLX optimizers accept it as
    ``learning_rate=`` and call it on their uint64 ``state["step"]``.
    """

    __slots__ = ("arguments", "function", "name")

    def __init__(self, function: Callable[[Any], Any], name: str, **arguments: Any) -> None:
        self.function = function
        self.name = name
        self.arguments = arguments

    def __call__(self, step: Any) -> Any:
        """The value at ``step`` (an ``int``, or an ``mx.array`` of integer steps)."""
        return self.function(step)

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.arguments.items())
        return f"{self.name}({arguments})"


def is_array(value: Any) -> bool:
    return isinstance(value, mx.array)


def check_step(step: Any) -> Any:
    """The step as a non-negative ``int``, or as a uint64 array.

    Raises:
        TypeError: ``step`` is neither an integer nor an ``mx.array`` of integers.
        ValueError: ``step`` is a negative integer. (In an array, which cannot be
            checked without reading its values, a negative step counts as 0.)
    """
    if isinstance(step, mx.array):
        dtype = step.dtype
        if dtype == mx.uint64:
            return step
        if not mx.issubdtype(dtype, mx.integer):
            raise TypeError(
                f"step must be an int or an mx.array of integers, but got an array of {dtype}"
            )
        if mx.issubdtype(dtype, mx.signedinteger):
            step = mx.maximum(step, 0)
        return step.astype(mx.uint64)
    if isinstance(step, bool) or not isinstance(step, numbers.Integral):
        raise TypeError(
            f"step must be an int or an mx.array of integers, but got {step!r} "
            f"({type(step).__name__})"
        )
    step = int(step)
    if step < 0:
        raise ValueError(f"step must be an integer >= 0, but got {step}")
    return step


def epoch_of(t: Any, steps_per_epoch: int) -> Any:
    """The epoch of step ``t``, ``t // steps_per_epoch`` (no op for one step an epoch)."""
    return t if steps_per_epoch == 1 else t // steps_per_epoch


def distance(t: Any, boundary: int) -> Any:
    """``|t - boundary|`` for ``t, boundary < 2**62``, exact and without wrapping.

    In int64 for an array (uint64 ``t - boundary`` would wrap below the boundary).
    """
    if isinstance(t, mx.array):
        return mx.abs(t.astype(mx.int64) - boundary)
    return abs(t - boundary)


def minimum(a: Any, b: Any) -> Any:
    return mx.minimum(a, b) if isinstance(a, mx.array) else min(a, b)


def maximum(a: Any, b: Any) -> Any:
    return mx.maximum(a, b) if isinstance(a, mx.array) else max(a, b)


def where(condition: Any, a: Any, b: Any) -> Any:
    """``a`` where ``condition`` holds, else ``b`` (a Python conditional for scalars)."""
    if isinstance(condition, mx.array):
        return mx.where(condition, a, b)
    return a if condition else b


def as_float(t: Any) -> Any:
    """An integer (or uint64 array) as a float (float32 array): exact below 2**24."""
    return t.astype(mx.float32) if isinstance(t, mx.array) else float(t)


def finish(value: Any, t: Any) -> Any:
    """The schedule's value for step ``t``: a float, or a float32 array shaped like ``t``."""
    if not isinstance(t, mx.array):
        return float(value)
    if isinstance(value, mx.array):
        if value.dtype != mx.float32:
            value = value.astype(mx.float32)
        if value.shape != t.shape:
            value = mx.broadcast_to(value, t.shape)
        return value
    return mx.full(t.shape, value, mx.float32)


def difference(t: Any, c: float) -> Any:
    """``t - c`` for an integer step ``t`` and a real constant ``c``, without wrapping.

    The integer part of ``c`` is subtracted in integers (``max``/``min`` keep the
    uint64 difference from wrapping when ``t < c``), its fraction in floats.
    """
    whole = math.floor(c)
    fraction = c - whole
    if not isinstance(t, mx.array):
        return float(t - whole) - fraction
    if whole < 0:
        above = (t + min(-whole, MAX_STEP)).astype(mx.float32)
        return above - fraction if fraction else above
    whole = min(whole, MAX_STEP)
    above = (mx.maximum(t, whole) - whole).astype(mx.float32)
    below = (whole - mx.minimum(t, whole)).astype(mx.float32)
    return above - below - fraction if fraction else above - below


def sin_squared(d: Any, scale: Any) -> Any:
    """``sin(d * scale)**2``: the cosine weights without cancellation.

    With ``scale = pi / (2T)`` and an exact ``0 <= d <= T`` (an integer, or a float
    formed without cancellation) this is ``(1 + cos(pi (T-d)/T))/2``, accurate to a
    few float32 ulp even where that is 1e-15 (``d`` near 0). ``scale`` may be a
    float32 array (one scale per element).
    """
    if isinstance(d, mx.array):
        if d.dtype != mx.float32:
            d = d.astype(mx.float32)
        return mx.square(mx.sin(d * scale))
    return math.sin(d * scale) ** 2


def between(start: float, end: float, toward_end: Any, toward_start: Any) -> Any:
    """``start + (end - start) * toward_end``, formed from the lower end so nothing cancels.

    ``toward_start`` is ``1 - toward_end``, computed by the caller without
    cancellation (from exact integers): the value is ``start + (end - start) w``
    when ``start <= end``, else ``end + (start - end) (1 - w)``, both sums of
    non-negative terms, so a value near the lower end keeps its relative accuracy.
    """
    if start <= end:
        return start + (end - start) * toward_end
    return end + (start - end) * toward_start


def _whole(value: float) -> int | None:
    """``value`` as an int if it is a (small) whole number, else None."""
    return int(value) if value == math.floor(value) and abs(value) < 2**20 else None


def _sin_squared_of_fraction(y: Any) -> Any:
    """``sin(pi*y)**2`` for float ``y`` (float32 values for an array)."""
    if isinstance(y, mx.array):
        return mx.square(mx.sin(y * math.pi))
    return math.sin(math.pi * y) ** 2


def cosine_cycles(a: Any, length: int, cycles: float) -> Any:
    """``(1 + cos(2 pi cycles a / length)) / 2`` for an integer step ``a >= 0``, no cancellation.

    The weight of transformers' cosine decays (``num_cycles`` = ``cycles``). It is
    ``cos(pi x)**2`` with ``x = cycles a / length``. Where ``2 cycles`` is a whole
    number ``K`` (``0.5``, the half cosine, and ``1``, ``1.5``, ...), ``x`` reduced
    modulo 1 is ``n / (2 length)`` with ``n = K a mod 2 length`` exact in integers, and
    the weight is ``sin(pi |length - n| / (2 length))**2``: accurate to a few ulp up to
    its zeros. Otherwise ``x`` is formed in floats and the weight near a zero is
    accurate only in absolute terms (about ``1e-7`` in float32).
    """
    twice = _whole(2.0 * cycles)
    if twice is not None:
        n = (a * twice) % (2 * length)
        return sin_squared(distance(n, length), math.pi / (2 * length))
    x = as_float(a) * (cycles / length) - 0.5
    if isinstance(x, mx.array):
        return _sin_squared_of_fraction(x - mx.round(x))
    return _sin_squared_of_fraction(x - round(x))


def restarted_cosine(a: Any, length: int, cycles: float) -> Any:
    """``(1 + cos(pi frac(cycles a / length))) / 2`` for an integer step ``0 <= a < length``.

    The weight of transformers' cosine with hard restarts. With ``y`` the fraction it
    is ``sin(pi (1 - y) / 2)**2``; for a whole ``cycles`` ``C``, ``1 - y`` is
    ``(length - n) / length`` with ``n = C a mod length`` exact in integers.
    """
    whole = _whole(cycles)
    if whole is not None:
        n = (a * whole) % length
        return sin_squared(length - n, math.pi / (2 * length))
    x = as_float(a) * (cycles / length)
    if isinstance(x, mx.array):
        return _sin_squared_of_fraction((1.0 - (x - mx.floor(x))) / 2)
    return _sin_squared_of_fraction((1.0 - (x - math.floor(x))) / 2)


def real_power(x: Any, exponent: float) -> Any:
    """``x**exponent`` for ``x >= 0`` (a float or float32 values), a real exponent; ``0**0 = 1``."""
    if isinstance(x, mx.array):
        return mx.power(x, exponent)
    return x**exponent


def _round_to_bits(value: float, bits: int) -> float:
    """``value`` rounded to ``bits`` significant bits (exactly representable in float32)."""
    mantissa, exponent = math.frexp(value)
    return math.ldexp(round(mantissa * (1 << bits)), exponent - bits)


class Power:
    r"""``s -> gamma**s`` for integer steps ``s``, to a few float32 ulp for every ``s < 2**25``.

    In float32 ``gamma**s = 2**(s*m)`` with :math:`m = \log_2 \gamma` taken in
    float64 and split as ``m_hi + m_lo`` (``m_hi`` with 11 significant bits), and
    ``s = hi * 2**12 + lo`` split in integers. ``hi * (2**12 m_hi)`` and
    ``lo * m_hi`` are then exact float32 products for ``s < 2**25``; each is split
    into an integer and a fraction exactly, ``s * m_lo`` is small, and the value
    is ``2**n * exp(f ln 2)`` with integer ``n`` and ``|f| <= 1/2``. Larger steps
    lose accuracy gradually (the products round) but never wrap or overflow.

    ``gamma = 0`` gives ``0**0 = 1`` then 0; ``gamma > 1`` grows to ``inf``.
    """

    __slots__ = ("_m_hi", "_m_hi_block", "_m_lo", "gamma")

    def __init__(self, gamma: float) -> None:
        self.gamma = gamma
        m = math.log2(gamma) if gamma > 0 else 0.0
        self._m_hi = _round_to_bits(m, 11) if m else 0.0
        self._m_hi_block = self._m_hi * (1 << _SPLIT)
        self._m_lo = m - self._m_hi

    def __call__(self, s: Any) -> Any:
        gamma = self.gamma
        if not isinstance(s, mx.array):
            try:
                return gamma**s
            except OverflowError:
                return math.inf
        if gamma == 0.0:
            return mx.where(s == 0, 1.0, 0.0).astype(mx.float32)
        if gamma == 1.0:
            return mx.ones(s.shape, mx.float32)
        p_hi = (s >> _SPLIT).astype(mx.float32) * self._m_hi_block
        p_lo = (s & _LOW_MASK).astype(mx.float32) * self._m_hi
        n_hi = mx.round(p_hi)
        n_lo = mx.round(p_lo)
        fraction = (p_hi - n_hi) + (p_lo - n_lo) + s.astype(mx.float32) * self._m_lo
        n_rest = mx.round(fraction)
        exponent = (n_hi + n_lo) + n_rest
        return mx.power(2.0, exponent) * mx.exp((fraction - n_rest) * _LN2)


class Boundaries:
    """Sorted integer boundaries, counting how many are ``<= t`` (repeats count twice).

    For an array ``t`` the count is a branchless binary search (``log2`` of the
    number of boundaries gathers), so ten thousand milestones cost 14 steps.
    """

    __slots__ = ("_padded", "values")

    def __init__(self, values: Sequence[int]) -> None:
        self.values = sorted(min(int(v), MAX_STEP) for v in values)
        size = 1 << len(self.values).bit_length()
        self._padded = mx.array(self.values + [MAX_STEP] * (size - len(self.values)), mx.uint64)

    def count(self, t: Any) -> Any:
        """The number of boundaries ``<= t``: an ``int``, or a uint64 array."""
        if not isinstance(t, mx.array):
            return bisect_right(self.values, t)
        position = mx.zeros(t.shape, mx.uint64)
        half = self._padded.size // 2
        while half:
            probe = mx.take(self._padded, position + (half - 1))
            position = mx.where(probe <= t, position + half, position)
            half //= 2
        return position


class Table:
    """A table of constants indexed by an integer (or uint64 array of) index."""

    __slots__ = ("_array", "values")

    def __init__(self, values: Sequence[Any], dtype: Any) -> None:
        self.values = list(values)
        self._array = mx.array(self.values, dtype)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, mx.array):
            return mx.take(self._array, index)
        return self.values[index]
