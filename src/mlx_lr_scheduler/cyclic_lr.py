"""``CyclicLR``: the learning rate cycles between two bounds (and momentum the other way)."""

from __future__ import annotations

import math
import types
from collections.abc import Callable
from typing import Any

import mlx.core as mx

from mlx_lr_scheduler import schedule_math as sm
from mlx_lr_scheduler import state as st
from mlx_lr_scheduler.momentum import MomentumCycling, check_momentum
from mlx_lr_scheduler.scheduler import LRScheduler
from mlx_lr_scheduler.validation import (
    LR,
    Arguments,
    Check,
    Choice,
    Flag,
    Function,
    Real,
    power,
)

__all__ = ["CyclicLR", "cyclic_lr", "cyclic_momentum"]

_MODES = ("triangular", "triangular2", "exp_range")
_SCALE_MODES = ("cycle", "iterations")
ScaleFn = Callable[[int], float]
#: The arguments of the cycle, after the two bounds (``cyclic_lr``, ``cyclic_momentum``).
_CYCLE_KEYS = ("step_size_up", "step_size_down", "mode", "gamma", "scale_fn", "scale_mode")

ARGUMENTS = Arguments(
    base_lr=LR,
    max_lr=LR,
    # Divided by: a subnormal step size would overflow the position in the cycle.
    step_size_up=Real(low=0.0, low_open=True, reciprocal=True),
    step_size_down=Real(low=0.0),
    mode=Choice(*_MODES),
    gamma=Real(),
    scale_fn=Function(),
    scale_mode=Choice(*_SCALE_MODES),
    cycle_momentum=Flag(),
    base_momentum=Check(check_momentum),
    max_momentum=Check(check_momentum),
)
#: ``gamma`` where ``"exp_range"`` raises it to the step's power.
_EXP_RANGE_GAMMA = Real(low=0.0, low_open=True)


def _check_gamma(gamma: Any, mode: str, scale_fn: ScaleFn | None) -> float:
    spec = _EXP_RANGE_GAMMA if mode == "exp_range" and scale_fn is None else ARGUMENTS["gamma"]
    result: float = spec.check("gamma", gamma)
    return result


def _builtin_scale_mode(mode: str) -> str:
    """What a built-in mode scales by, whatever ``scale_mode`` says (as in torch)."""
    return "iterations" if mode == "exp_range" else "cycle"


def _load_scale_fn_state(key: str, value: Any, _n: int) -> dict[str, Any] | None:
    if value is not None and not isinstance(value, dict):
        raise TypeError(f"{key} must be None or a dict, but got {type(value).__name__}")
    return value


def _dump_scale_fn(fn: ScaleFn | None) -> dict[str, Any] | None:
    # torch's rule: a plain function is not saved; a callable object's __dict__ is.
    if fn is None or isinstance(fn, types.FunctionType):
        return None
    return dict(fn.__dict__)


class CyclicLR(MomentumCycling):
    r"""Cycle each group's learning rate between ``base_lr`` and ``max_lr`` (Smith, 2017).

    With :math:`T` = ``step_size_up + step_size_down``, :math:`r` = ``step_size_up / T``
    and :math:`t` the step count (``last_epoch``):

    .. math::
        c = \lfloor 1 + t / T \rfloor, \quad x = 1 + t / T - c, \quad
        h = \begin{cases} x / r & x \le r \\ (x - 1) / (r - 1) & x > r \end{cases}

    .. math:: \eta_t = \eta_{base} + (\eta_{max} - \eta_{base})\, h\, s(c \text{ or } t)

    where :math:`s` is the scale function: ``"triangular"`` :math:`s = 1`;
    ``"triangular2"`` :math:`s(c) = 1 / 2^{c - 1}` (the amplitude halves each cycle);
    ``"exp_range"`` :math:`s(t) = \gamma^t`; or ``scale_fn``, evaluated on the cycle
    number :math:`c` (``scale_mode="cycle"``) or the step :math:`t` (``"iterations"``).
    With ``cycle_momentum`` the momentum runs the other way:
    :math:`\mu_t = \mu_{max} - (\mu_{max} - \mu_{base})\, h\, s`.
    Paper: "Cyclical Learning Rates for Training Neural Networks",
    https://arxiv.org/abs/1506.01186. Step it after every batch.

    Args:
        optimizer: MLX optimizer (one group) or ``MultiOptimizer`` (one group each).
        base_lr: lower LR bound, a number ``>= 0`` or one per group. At construction
            (``last_epoch=-1``) it becomes each group's LR, as in torch.
        max_lr: upper LR bound, a number ``>= 0`` or one per group. It is reached only
            where the scale function is 1; ``max_lr < base_lr`` cycles upside down.
        step_size_up: steps in the rising half of a cycle, a number ``> 0`` (torch
            takes it as a float; ``0`` is refused: torch divides by zero). Default: ``2000``.
        step_size_down: steps in the falling half, a number ``>= 0`` (``0`` gives a
            sawtooth), or ``None`` for ``step_size_up``. Default: ``None``.
        mode: ``"triangular"``, ``"triangular2"`` or ``"exp_range"``; ignored when
            ``scale_fn`` is given (but still checked). Default: ``"triangular"``.
        gamma: base of ``"exp_range"``'s :math:`\gamma^t`, ``> 0`` in that mode (any
            finite number otherwise; unused). Default: ``1.0``.
        scale_fn: custom scale function of one number, with values in ``[0, 1]``; it
            replaces ``mode``. Default: ``None``.
        scale_mode: ``"cycle"`` or ``"iterations"``: what ``scale_fn`` is evaluated
            on. Built-in modes set it themselves (``triangular*``: cycle,
            ``exp_range``: iterations). Default: ``"cycle"``.
        cycle_momentum: cycle the momentum (``SGD``, ``Muon``) or ``betas[0]`` (Adam
            family, ``Lion``) inversely to the LR, written into the optimizer's state
            so a compiled step follows it. An optimizer of
            :mod:`mlx_lr_scheduler.optimizers` is used as is; a plain
            ``mlx.optimizers.SGD`` (``Adam``, ...) is converted in place to the
            same-named class of :mod:`mlx_lr_scheduler.optimizers`; a user subclass of
            an MLX optimizer raises ``TypeError``, an optimizer with neither momentum
            nor betas ``ValueError`` (as in torch). See :mod:`mlx_lr_scheduler.momentum`.
            Default: ``True``.
        base_momentum: lower momentum bound, in ``[0, 1)``, or one per group (the
            momentum at the LR's peak). Default: ``0.8``.
        max_momentum: upper momentum bound, in ``[0, 1)``, or one per group (the
            momentum at ``base_lr``). Default: ``0.9``.
        last_epoch: index of the last *batch*, ``-1`` to start fresh. Default: ``-1``.

    Example (rising for 2 steps, falling for 2; the amplitude halves each cycle):
        >>> import mlx.optimizers as optim
        >>> opt = optim.SGD(learning_rate=0.1, momentum=0.9)
        >>> scheduler = CyclicLR(opt, base_lr=0.1, max_lr=0.5, step_size_up=2,
        ...                      mode="triangular2")
        >>> lrs, momenta = [], []
        >>> for step in range(9):
        ...     lrs.append(round(scheduler.get_last_lr()[0], 6))
        ...     momenta.append(round(opt.momentum.item(), 4))
        ...     scheduler.step()
        >>> lrs
        [0.1, 0.3, 0.5, 0.3, 0.1, 0.2, 0.3, 0.2, 0.1]
        >>> momenta
        [0.9, 0.85, 0.8, 0.85, 0.9, 0.875, 0.85, 0.875, 0.9]
    """

    _state_schema = {
        "max_lrs": st.lr_list(),
        "total_size": st.field(ARGUMENTS["step_size_up"]),  # a cycle at least as long
        "step_ratio": st.real(low=0.0, high=1.0, low_open=True),
        **st.fields(ARGUMENTS, "mode", "gamma", "scale_mode", "cycle_momentum"),
        **LRScheduler._state_schema,
        "_scale_fn_custom": st.Field(_load_scale_fn_state, _dump_scale_fn),
    }

    # With cycle_momentum, torch's state keys for the bounds (and the group entries they set).
    _momentum_bound_keys = {"base_momentums": "base_momentum", "max_momentums": "max_momentum"}

    base_momentums: list[float]
    max_momentums: list[float]
    _scale_fn_custom: ScaleFn | None

    def __init__(
        self,
        optimizer: Any,
        base_lr: float | list[float],
        max_lr: float | list[float],
        step_size_up: float = 2000,
        step_size_down: float | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn: ScaleFn | None = None,
        scale_mode: str = "cycle",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.8,
        max_momentum: float | list[float] = 0.9,
        last_epoch: int = -1,
    ) -> None:
        groups = self._bind(optimizer)
        n_groups = len(groups)
        base_lrs = ARGUMENTS.per_group("base_lr", base_lr, n_groups)
        self.max_lrs = ARGUMENTS.per_group("max_lr", max_lr, n_groups)
        cycle = _check_cycle(step_size_up, step_size_down, mode, gamma, scale_fn, scale_mode)
        self.total_size = cycle["step_size_up"] + cycle["step_size_down"]
        self.step_ratio = cycle["step_size_up"] / self.total_size
        self.mode, self.gamma, self.scale_mode = cycle["mode"], cycle["gamma"], cycle["scale_mode"]
        self._scale_fn_custom = cycle["scale_fn"]
        self.cycle_momentum = ARGUMENTS.check("cycle_momentum", cycle_momentum)
        bounds = None
        if self.cycle_momentum:
            self.base_momentums = ARGUMENTS.per_group("base_momentum", base_momentum, n_groups)
            self.max_momentums = ARGUMENTS.per_group("max_momentum", max_momentum, n_groups)
            bounds = (self.base_momentums, self.max_momentums)
        # As in torch, the initial step uses the groups' initial_lr as base_lrs
        # (base_lr unless an earlier scheduler set it), then base_lr takes over.
        fresh = [{"lr": lr} for lr in base_lrs]
        self._start(optimizer, last_epoch, fresh, bounds, ("initial_lr",))
        self.base_lrs = base_lrs

    # -- the scale function ------------------------------------------------------
    def scale_fn(self, x: int) -> float:
        """The scale function in use (``scale_fn`` if given, else the mode's)."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            # torch's 1 / 2.0**(x - 1) overflows after 1,024 cycles (OverflowError); the
            # same exact powers of two, then 0 (subnormals on the way) where torch fails.
            return power(0.5, x - 1)
        return float(self.gamma**x)

    # -- the schedule --------------------------------------------------------------
    def _lr_and_momentum(self, index: int) -> tuple[float, float | None]:
        epoch = self.last_epoch
        total = self.total_size
        cycle = math.floor(1 + epoch / total)
        x = 1.0 + epoch / total - cycle
        ratio = self.step_ratio
        height = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
        at = cycle if self.scale_mode == "cycle" else epoch
        factor = self.scale_fn(at)
        low = self.base_lrs[index]
        lr = low + (self.max_lrs[index] - low) * height * factor
        if not self.cycle_momentum:
            return lr, None
        custom = self._scale_fn_custom
        if custom is not None:  # torch calls it again for the momentum (it may count calls)
            factor = custom(at)
        high = self.max_momentums[index]
        return lr, high - (high - self.base_momentums[index]) * height * factor

    # -- state (the momentum's part: MomentumCycling) ----------------------------
    def _check_schedule_state(self, checked: dict[str, Any]) -> None:
        _check_gamma(checked["gamma"], checked["mode"], self._scale_fn_custom)
        if self._scale_fn_custom is None:
            checked["scale_mode"] = _builtin_scale_mode(checked["mode"])
        saved_fn, scale_fn = checked["_scale_fn_custom"], self._scale_fn_custom
        if saved_fn is None:
            return
        if scale_fn is None or isinstance(scale_fn, types.FunctionType):
            raise ValueError(
                "_scale_fn_custom holds a callable object's state, but this scheduler's "
                "scale_fn is not a callable object"
            )
        checked["_scale_fn_custom"] = st.check_attributes(
            "_scale_fn_custom", vars(scale_fn), saved_fn
        )

    def _apply_state(self, checked: dict[str, Any]) -> None:
        saved_fn = checked.pop("_scale_fn_custom")
        if saved_fn is not None:  # checked: the scale_fn is a callable object
            vars(self._scale_fn_custom).update(saved_fn)
        super()._apply_state(checked)

    def _cycle_arguments(self) -> tuple[Any, ...]:
        """The cycle's arguments of ``cyclic_lr``/``cyclic_momentum``, after the two bounds."""
        up, down = _step_sizes(self.total_size, self.step_ratio)
        return (up, down, self.mode, self.gamma, self._scale_fn_custom, self.scale_mode)

    def _schedule(self, group: int) -> sm.Schedule:
        return cyclic_lr(self.base_lrs[group], self.max_lrs[group], *self._cycle_arguments())

    def _momentum_schedule(self, group: int) -> sm.Schedule:
        if not self.cycle_momentum:
            raise TypeError("CyclicLR was built with cycle_momentum=False: no momentum schedule")
        return cyclic_momentum(
            self.base_momentums[group], self.max_momentums[group], *self._cycle_arguments()
        )


# -- the schedule functions -----------------------------------------------------

#: The functions count in steps scaled by 2**shift; a step size must be a multiple
#: of 2**-_MAX_SHIFT (an integer, a half, ...) for the scaled cycle to be exact.
_MAX_SHIFT = 16


def _scaled(name: str, value: float) -> tuple[int, int]:
    """``(n, shift)`` with ``value == n / 2**shift``, the smallest such ``shift``."""
    for shift in range(_MAX_SHIFT + 1):
        scaled = value * (1 << shift)
        if scaled == math.floor(scaled):
            return int(scaled), shift
    raise ValueError(
        f"{name} must be a multiple of 2**-{_MAX_SHIFT} (an integer, a half, ...) for the "
        f"schedule function to place every step exactly in its cycle, but got {value!r}"
    )


class _Cycle:
    """Where a step lies in CyclicLR's cycle, in exact integers.

    ``__call__(t)`` gives the cycle number ``c`` (from 1), the height ``h`` in
    ``[0, 1]`` (rising over ``step_size_up``, falling over ``step_size_down``) and
    ``1 - h``, each formed from the exact position in the cycle.
    """

    def __init__(self, step_size_up: float, step_size_down: float) -> None:
        up, up_shift = _scaled("step_size_up", step_size_up)
        down, down_shift = _scaled("step_size_down", step_size_down)
        self.shift = max(up_shift, down_shift)
        self.up = up << (self.shift - up_shift)
        self.down = down << (self.shift - down_shift)
        self.total = self.up + self.down

    def __call__(self, t: Any) -> tuple[Any, Any, Any]:
        up, down, total = self.up, self.down, self.total
        scaled = t * (1 << self.shift) if self.shift else t
        cycle = scaled // total + 1
        r = scaled % total
        rising = (sm.as_float(r) / up, sm.as_float(up - sm.minimum(r, up)) / up)
        if down == 0:
            return cycle, rising[0], rising[1]
        falling = (sm.as_float(total - r) / down, sm.as_float(sm.maximum(r, up) - up) / down)
        up_side = r <= up
        height = sm.where(up_side, rising[0], falling[0])
        rest = sm.where(up_side, rising[1], falling[1])
        return cycle, height, rest


def _cycle_scale(arguments: dict[str, Any]) -> Callable[[Any, Any], tuple[Any, Any]]:
    """``(cycle, t) -> (s, 1 - s)``: CyclicLR's scale, and its complement without cancellation."""
    mode, gamma, custom = arguments["mode"], arguments["gamma"], arguments["scale_fn"]
    if custom is None and mode == "exp_range":
        decay, log_gamma = sm.Power(gamma), math.log(gamma)

        def exp_range(cycle: Any, t: Any) -> tuple[Any, Any]:
            # 1 - gamma**t = -expm1(t log gamma): accurate while gamma**t is near 1.
            if sm.is_array(t):
                return decay(t), -mx.expm1(t.astype(mx.float32) * log_gamma)
            return decay(t), -math.expm1(t * log_gamma)

        return exp_range
    if custom is None and mode == "triangular":
        return lambda cycle, t: (1.0, 0.0)
    by_cycle, halving = arguments["scale_mode"] == "cycle", sm.Power(0.5)

    def scale(cycle: Any, t: Any) -> tuple[Any, Any]:
        s = halving(cycle - 1) if custom is None else custom(cycle if by_cycle else t)
        return s, 1 - s

    return scale


def _cyclic(
    name: str, start: float, end: float, bounds: dict[str, float], *cycle_arguments: Any
) -> sm.Schedule:
    """``start + (end - start) h s``: the LR rises from base_lr, the momentum falls from max."""
    arguments = _check_cycle(*cycle_arguments)
    cycle_of = _Cycle(arguments["step_size_up"], arguments["step_size_down"])
    scale = _cycle_scale(arguments)

    def schedule(step: Any) -> Any:
        t = sm.check_step(step)
        cycle, height, rest = cycle_of(t)
        s, one_minus_s = scale(cycle, t)
        toward_end = height * s
        toward_start = rest + height * one_minus_s
        return sm.finish(sm.between(start, end, toward_end, toward_start), t)

    return sm.Schedule(schedule, name, **bounds, **arguments)


def _check_cycle(
    step_size_up: Any, step_size_down: Any, mode: Any, gamma: Any, scale_fn: Any, scale_mode: Any
) -> dict[str, Any]:
    """The cycle's arguments, checked (for the class and the functions alike)."""
    up = ARGUMENTS.check("step_size_up", step_size_up)
    down = up if step_size_down is None else ARGUMENTS.check("step_size_down", step_size_down)
    if not math.isfinite(up + down):
        raise ValueError(
            "step_size_up + step_size_down must be finite, but got "
            f"{step_size_up!r} + {step_size_down!r}"
        )
    mode = ARGUMENTS.check("mode", mode)
    gamma = _check_gamma(gamma, mode, scale_fn)
    scale_fn = None if scale_fn is None else ARGUMENTS.check("scale_fn", scale_fn)
    scale_mode = ARGUMENTS.check("scale_mode", scale_mode)
    if scale_fn is None:
        scale_mode = _builtin_scale_mode(mode)
    return dict(zip(_CYCLE_KEYS, (up, down, mode, gamma, scale_fn, scale_mode)))


def cyclic_lr(
    base_lr: float,
    max_lr: float,
    step_size_up: float = 2000,
    step_size_down: float | None = None,
    mode: str = "triangular",
    gamma: float = 1.0,
    scale_fn: ScaleFn | None = None,
    scale_mode: str = "cycle",
) -> sm.Schedule:
    r""":class:`CyclicLR` as a function of the step: the LR cycles between two bounds.

    .. math:: \eta(t) = \eta_{base} + (\eta_{max} - \eta_{base})\, h(t)\, s

    where, with :math:`U` = ``step_size_up``, :math:`D` = ``step_size_down`` and
    :math:`r = t \bmod (U + D)`, the height :math:`h` is :math:`r / U` while rising
    (:math:`r \le U`) and :math:`(U + D - r) / D` while falling; :math:`c = \lfloor t /
    (U + D) \rfloor + 1` is the cycle, and the scale :math:`s` is 1 (``"triangular"``),
    :math:`2^{1 - c}` (``"triangular2"``), :math:`\gamma^t` (``"exp_range"``) or
    ``scale_fn`` of :math:`c` or :math:`t` (``scale_mode``). The position in the
    cycle is an exact integer (step sizes are scaled to integers), so cycles stay
    on time over any number of steps. Smith, "Cyclical Learning Rates for Training
    Neural Networks", https://arxiv.org/abs/1506.01186.

    Args:
        base_lr: lower bound, ``>= 0``: the LR at the start of every cycle.
        max_lr: upper bound, ``>= 0`` (reached where the scale is 1; below ``base_lr``
            the cycle runs upside down).
        step_size_up: steps in the rising half, ``> 0``; for the function a multiple
            of ``2**-16`` (an integer, a half, ...). Default: ``2000``.
        step_size_down: steps in the falling half, ``>= 0`` (``0``: a sawtooth), or
            ``None`` for ``step_size_up``. Default: ``None``.
        mode: ``"triangular"``, ``"triangular2"`` or ``"exp_range"``. Default: ``"triangular"``.
        gamma: base of ``"exp_range"``'s :math:`\gamma^t`, ``> 0`` in that mode. Default: ``1.0``.
        scale_fn: a custom scale of one argument replacing ``mode``. It receives an
            ``int`` for an ``int`` step, and a uint64 ``mx.array`` for an array step
            (write it with operators and ``mx`` functions). Default: ``None``.
        scale_mode: ``"cycle"`` or ``"iterations"``: what ``scale_fn`` receives
            (the built-in modes choose their own). Default: ``"cycle"``.

    Returns:
        ``schedule(step)``: a float for an ``int`` step, float32 values for an
        ``mx.array`` of integer steps. See :func:`cyclic_momentum` for the momentum.

    Example (rising for 2 steps, falling for 2; the amplitude halves each cycle):
        >>> import mlx.core as mx
        >>> schedule = cyclic_lr(0.1, 0.5, step_size_up=2, mode="triangular2")
        >>> round(schedule(2), 6), round(schedule(4), 6), round(schedule(6), 6)
        (0.5, 0.1, 0.3)
        >>> schedule(mx.array([0, 1, 2, 5, 6]))
        array([0.1, 0.3, 0.5, 0.2, 0.3], dtype=float32)
    """
    base_lr = ARGUMENTS.check("base_lr", base_lr)
    max_lr = ARGUMENTS.check("max_lr", max_lr)
    cycle = (step_size_up, step_size_down, mode, gamma, scale_fn, scale_mode)
    return _cyclic("cyclic_lr", base_lr, max_lr, {"base_lr": base_lr, "max_lr": max_lr}, *cycle)


def cyclic_momentum(
    base_momentum: float = 0.8,
    max_momentum: float = 0.9,
    step_size_up: float = 2000,
    step_size_down: float | None = None,
    mode: str = "triangular",
    gamma: float = 1.0,
    scale_fn: ScaleFn | None = None,
    scale_mode: str = "cycle",
) -> sm.Schedule:
    r"""The momentum of :class:`CyclicLR` as a function of the step: it cycles against the LR.

    .. math:: \mu(t) = \mu_{max} - (\mu_{max} - \mu_{base})\, h(t)\, s

    with :math:`h` and :math:`s` as in :func:`cyclic_lr` (same step sizes and scale):
    ``max_momentum`` where the LR is at ``base_lr``, ``base_momentum`` at its peak.

    Args:
        base_momentum: the momentum at the LR's peak, in ``[0, 1)``. Default: ``0.8``.
        max_momentum: the momentum at ``base_lr``, in ``[0, 1)``. Default: ``0.9``.
        step_size_up, step_size_down, mode, gamma, scale_fn, scale_mode: as in
            :func:`cyclic_lr`.

    Returns:
        ``schedule(step)``: a float for an ``int`` step, float32 values for an
        ``mx.array`` of integer steps. Give it as ``momentum=`` or ``betas[0]`` to an
        optimizer of :mod:`mlx_lr_scheduler.optimizers` (MLX's own take a number).

    Example:
        >>> import mlx.core as mx
        >>> momentum = cyclic_momentum(0.8, 0.9, step_size_up=2)
        >>> round(momentum(0), 6), round(momentum(1), 6), round(momentum(2), 6)
        (0.9, 0.85, 0.8)
        >>> momentum(mx.array([0, 2, 3, 4]))
        array([0.9, 0.8, 0.85, 0.9], dtype=float32)
        >>> from mlx_lr_scheduler import optimizers
        >>> opt = optimizers.Adam(learning_rate=cyclic_lr(1e-3, 1e-2, step_size_up=2),
        ...                       betas=(momentum, 0.999))
        >>> opt.betas  # at step 0; the optimizer evaluates it before every update
        (array(0.9, dtype=float32), 0.999)
    """
    low = ARGUMENTS.check("base_momentum", base_momentum)
    high = ARGUMENTS.check("max_momentum", max_momentum)
    bounds = {"base_momentum": low, "max_momentum": high}
    cycle = (step_size_up, step_size_down, mode, gamma, scale_fn, scale_mode)
    return _cyclic("cyclic_momentum", high, low, bounds, *cycle)


def _step_sizes(total_size: float, step_ratio: float) -> tuple[float, float]:
    """The ``step_size_up`` and ``step_size_down`` a CyclicLR was built with."""
    for shift in range(_MAX_SHIFT + 1):
        unit = 1 << shift
        up = round(step_ratio * total_size * unit) / unit
        if up > 0 and up / total_size == step_ratio:
            return up, total_size - up
    raise ValueError(
        f"CyclicLR's step sizes (total {total_size!r}, ratio {step_ratio!r}) are not "
        f"multiples of 2**-{_MAX_SHIFT}: it has no exact schedule function"
    )
