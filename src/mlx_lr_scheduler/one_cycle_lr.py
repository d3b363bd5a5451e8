"""``OneCycleLR``: the 1cycle policy, warm up to ``max_lr`` then anneal far below the start."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
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
    Integer,
    Real,
)

__all__ = ["OneCycleLR", "one_cycle_lr", "one_cycle_momentum"]

_STRATEGIES = ("cos", "linear")
_LR_ENTRIES = ("initial_lr", "max_lr", "min_lr")

# The phases, as in torch, by their number: which group entries each one anneals
# between. Each is (start_lr, end_lr, start_momentum, end_momentum).
_PHASES = {
    2: (
        ("initial_lr", "max_lr", "max_momentum", "base_momentum"),
        ("max_lr", "min_lr", "base_momentum", "max_momentum"),
    ),
    3: (
        ("initial_lr", "max_lr", "max_momentum", "base_momentum"),
        ("max_lr", "initial_lr", "base_momentum", "max_momentum"),
        ("initial_lr", "min_lr", "max_momentum", "max_momentum"),
    ),
}
_PHASE_KEYS = ("start_lr", "end_lr", "start_momentum", "end_momentum")


ARGUMENTS = Arguments(
    max_lr=LR,
    total_steps=Integer(minimum=1),
    epochs=Integer(minimum=1),
    steps_per_epoch=Integer(minimum=1),
    pct_start=Real(low=0.0, high=1.0),
    anneal_strategy=Choice(*_STRATEGIES),
    cycle_momentum=Flag(),
    base_momentum=Check(check_momentum),
    max_momentum=Check(check_momentum),
    div_factor=Real(low=0.0, low_open=True),
    final_div_factor=Real(low=0.0, low_open=True),
    three_phase=Flag(),
)


def _anneal_cos(start: float, end: float, pct: float) -> float:
    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)


def _anneal_linear(start: float, end: float, pct: float) -> float:
    return (end - start) * pct + start


def _check_first_phase(first_end: float, total_steps: int, where: str) -> None:
    # Phase 0 runs from step 0 to its end step: a width of exactly 0 makes torch
    # compute 0 / 0 on the very first step. (A negative width is allowed, as in
    # torch: the warmup is skipped. Later phases are reached only past the end of
    # the previous one, so they never have zero width in use.)
    if first_end == 0.0:
        raise ValueError(
            f"OneCycleLR's first phase has zero width ({where} gives pct_start * total_steps "
            f"= 1 with total_steps={total_steps}): torch fails with ZeroDivisionError. Use a "
            "larger pct_start or more steps (or pct_start=0.0 for no warmup)"
        )


def _load_phases(key: str, value: Any, _n: int) -> list[dict[str, Any]]:
    if not isinstance(value, (list, tuple)) or len(value) not in (2, 3):
        raise ValueError(f"{key} must be a list of 2 or 3 phases, but got {value!r}")
    for i, (phase, names) in enumerate(zip(value, _PHASES[len(value)])):
        expected = {"end_step", *_PHASE_KEYS}
        if not isinstance(phase, Mapping) or set(phase) != expected:
            raise ValueError(f"{key}[{i}] must be a dict with keys {sorted(expected)}: {phase!r}")
        if tuple(phase[k] for k in _PHASE_KEYS) != names:
            raise ValueError(
                f"{key}[{i}] must anneal {dict(zip(_PHASE_KEYS, names))}, but got {dict(phase)!r}"
            )
        end = phase["end_step"]
        if isinstance(end, bool) or not isinstance(end, numbers.Real) or not math.isfinite(end):
            raise ValueError(f"{key}[{i}]['end_step'] must be a finite number, but got {end!r}")
    return [dict(phase) for phase in value]


class OneCycleLR(MomentumCycling):
    r"""The 1cycle policy: warm up to ``max_lr``, then anneal to far below the start.

    With :math:`N` = ``total_steps``, :math:`p` = ``pct_start``,
    :math:`\eta_{max}` = ``max_lr``, :math:`\eta_0 = \eta_{max} / d` (``div_factor``)
    and :math:`\eta_{min} = \eta_0 / f` (``final_div_factor``), the two phases
    (fastai's default) are

    * steps :math:`0 \to pN - 1`: :math:`\eta_0 \to \eta_{max}`, momentum
      ``max_momentum`` :math:`\to` ``base_momentum``;
    * steps :math:`pN - 1 \to N - 1`: :math:`\eta_{max} \to \eta_{min}`, momentum back
      up to ``max_momentum``.

    ``three_phase=True`` (the paper's schedule) makes the second phase the mirror of
    the first (:math:`\eta_{max} \to \eta_0` by step :math:`2pN - 2`) and adds a third,
    :math:`\eta_0 \to \eta_{min}` at ``max_momentum``. Within a phase from step
    :math:`a` to :math:`b`, with :math:`u = (t - a) / (b - a)`, values go from
    :math:`s` to :math:`e` along ``"cos"``: :math:`e + (s - e)(1 + \cos \pi u) / 2`,
    or ``"linear"``: :math:`s + (e - s) u`.

    Unlike torch, the step :math:`t = N` (reached by stepping after each of the
    :math:`N` batches) keeps the last value, :math:`\eta_{min}`, where torch
    extrapolates past it (negative with ``"linear"``, torch issue #91765); as in
    torch, stepping beyond :math:`N` raises ``ValueError``. Paper: Smith & Topin,
    "Super-Convergence", https://arxiv.org/abs/1708.07120. Step it after every batch.

    Args:
        optimizer: MLX optimizer (one group) or ``MultiOptimizer`` (one group each).
        max_lr: peak learning rate, a number ``>= 0`` or one per group.
        total_steps: steps in the cycle, an integer ``>= 1``; if ``None``,
            ``epochs * steps_per_epoch``. Default: ``None``.
        epochs: with ``steps_per_epoch``, gives ``total_steps`` (integers ``>= 1``;
            ignored when ``total_steps`` is given, as in torch). Default: ``None``.
        steps_per_epoch: see ``epochs``. Default: ``None``.
        pct_start: fraction of the cycle spent warming up, in ``[0, 1]``. The first
            phase ends at step ``pct_start * total_steps - 1``; if that is exactly
            ``0`` (e.g. ``total_steps=10, pct_start=0.1``) it has zero width and is
            refused (torch divides by zero); if it is negative the warmup is
            skipped, as in torch. Default: ``0.3``.
        anneal_strategy: ``"cos"`` or ``"linear"``. Default: ``"cos"``.
        cycle_momentum: cycle the momentum (``SGD``, ``Muon``) or ``betas[0]`` (Adam
            family, ``Lion``) inversely to the LR, written into the optimizer's state
            so a compiled step follows it. An optimizer of
            :mod:`mlx_lr_scheduler.optimizers` is used as is; a plain
            ``mlx.optimizers.SGD`` (``Adam``, ...) is converted in place to the
            same-named class of :mod:`mlx_lr_scheduler.optimizers`; a user subclass of
            an MLX optimizer raises ``TypeError``, an optimizer with neither momentum
            nor betas ``ValueError`` (as in torch). See :mod:`mlx_lr_scheduler.momentum`.
            Default: ``True``.
        base_momentum: momentum at the LR's peak, in ``[0, 1)``, or one per group.
            Default: ``0.85``.
        max_momentum: momentum at the start and the end, in ``[0, 1)``, or one per
            group. Default: ``0.95``.
        div_factor: :math:`d`, ``> 0``: the cycle starts at ``max_lr / div_factor``.
            Default: ``25.0``.
        final_div_factor: :math:`f`, ``> 0``: it ends at
            ``max_lr / div_factor / final_div_factor``. Default: ``1e4``.
        three_phase: use the paper's three phases. Default: ``False``.
        last_epoch: index of the last *batch*, ``-1`` to start fresh. Default: ``-1``.

    Example (10 steps, warming up for 3, linear; step 10 holds the final value):
        >>> import mlx.optimizers as optim
        >>> opt = optim.SGD(learning_rate=0.1, momentum=0.9)
        >>> scheduler = OneCycleLR(opt, max_lr=1.0, total_steps=10, pct_start=0.4,
        ...                        anneal_strategy="linear", div_factor=10.0,
        ...                        final_div_factor=100.0)
        >>> lrs, momenta = [scheduler.get_last_lr()[0]], [opt.momentum.item()]
        >>> for step in range(1, 11):
        ...     scheduler.step()
        ...     lrs.append(scheduler.get_last_lr()[0])
        ...     momenta.append(opt.momentum.item())
        >>> [round(lr, 4) for lr in lrs]
        [0.1, 0.4, 0.7, 1.0, 0.8335, 0.667, 0.5005, 0.334, 0.1675, 0.001, 0.001]
        >>> [round(m, 4) for m in momenta]
        [0.95, 0.9167, 0.8833, 0.85, 0.8667, 0.8833, 0.9, 0.9167, 0.9333, 0.95, 0.95]
    """

    _state_schema = {
        **st.fields(ARGUMENTS, "total_steps"),
        "_schedule_phases": st.Field(_load_phases),
        "_anneal_func_type": st.field(ARGUMENTS["anneal_strategy"]),
        **st.fields(ARGUMENTS, "cycle_momentum"),
        **LRScheduler._state_schema,
    }

    # The group entries torch keeps in its optimizer, carried in our state_dict.
    _group_entries = _LR_ENTRIES
    _schedule_phases: list[dict[str, Any]]

    def __init__(
        self,
        optimizer: Any,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        groups = self._bind(optimizer)
        n_groups = len(groups)
        self.total_steps, end_steps, self._anneal_func_type = _check_phases(
            total_steps, epochs, steps_per_epoch, pct_start, anneal_strategy, three_phase
        )
        self._schedule_phases = [
            {"end_step": end, **dict(zip(_PHASE_KEYS, names))}
            for end, names in zip(end_steps, _PHASES[len(end_steps)])
        ]
        max_lrs = ARGUMENTS.per_group("max_lr", max_lr, n_groups)
        div_factor = ARGUMENTS.check("div_factor", div_factor)
        final_div_factor = ARGUMENTS.check("final_div_factor", final_div_factor)
        entries = [
            _lr_entries(peak, div_factor, final_div_factor, i) for i, peak in enumerate(max_lrs)
        ]
        self.cycle_momentum = ARGUMENTS.check("cycle_momentum", cycle_momentum)
        bounds = None
        needed: tuple[str, ...] = _LR_ENTRIES
        if self.cycle_momentum:
            high = ARGUMENTS.per_group("max_momentum", max_momentum, n_groups)
            bounds = (ARGUMENTS.per_group("base_momentum", base_momentum, n_groups), high)
            needed += ("max_momentum", "base_momentum")
        self._start(optimizer, last_epoch, entries, bounds, needed)

    # -- the schedule --------------------------------------------------------------
    def _lr_and_momentum(self, index: int) -> tuple[float, float | None]:
        step = self.last_epoch
        total = self.total_steps
        if step > total:
            raise ValueError(
                f"Tried to step {step} times. The specified number of total steps is {total}"
            )
        # Divergence from torch: step total_steps holds the final value instead of
        # extrapolating past the end of the last phase (torch issue #91765).
        step = min(step, total - 1)
        phases = self._schedule_phases
        start = 0.0  # the phase runs from the end of the previous one; the last one, on
        for phase in phases:
            end = phase["end_step"]
            if step <= end or phase is phases[-1]:
                break
            start = end
        pct = (step - start) / (end - start)
        anneal = _anneal_cos if self._anneal_func_type == "cos" else _anneal_linear
        # The bounds are group entries (torch keeps them in its optimizer), never "lr".
        entries = self.param_groups[index].entries
        lr = anneal(entries[phase["start_lr"]], entries[phase["end_lr"]], pct)
        if not self.cycle_momentum:
            return lr, None
        return lr, anneal(entries[phase["start_momentum"]], entries[phase["end_momentum"]], pct)

    # -- state (the momentum's part and the group entries: MomentumCycling) -------
    def _check_schedule_state(self, checked: dict[str, Any]) -> None:
        phases = checked["_schedule_phases"]
        total = checked["total_steps"]
        if phases[-1]["end_step"] != total - 1:
            raise ValueError(
                f"_schedule_phases must end at total_steps - 1 = {total - 1}, but the last "
                f"phase ends at {phases[-1]['end_step']!r}"
            )
        _check_first_phase(phases[0]["end_step"], total, "_schedule_phases")
        if checked["last_epoch"] > total:
            raise ValueError(
                f"last_epoch must be <= total_steps = {total}, but got {checked['last_epoch']}"
            )

    def _recompute_momenta(self) -> None:
        # Before step 0 no phase applies: the momentum set at construction stays.
        if self.last_epoch >= 0:
            super()._recompute_momenta()

    def _schedule(self, group: int) -> sm.Schedule:
        return self._phase_schedule("one_cycle_lr", group, 0)

    def _momentum_schedule(self, group: int) -> sm.Schedule:
        if not self.cycle_momentum:
            raise TypeError("OneCycleLR was built with cycle_momentum=False: no momentum schedule")
        return self._phase_schedule("one_cycle_momentum", group, 2)

    def _phase_schedule(self, name: str, group: int, first_key: int) -> sm.Schedule:
        phases = self._schedule_phases
        ends = [phase["end_step"] for phase in phases]
        values, strategy = self.param_groups[group], self._anneal_func_type
        return _one_cycle(name, ends, values, first_key, strategy, self.total_steps, phases=phases)


# -- the schedule functions -----------------------------------------------------


def _check_phases(
    total_steps: Any,
    epochs: Any,
    steps_per_epoch: Any,
    pct_start: Any,
    anneal_strategy: Any,
    three_phase: Any,
) -> tuple[int, list[float], str]:
    """``total_steps``, the phase ends (``pct_start * total - 1``, ...) and the strategy,
    checked (for the class and the functions alike)."""
    if total_steps is not None:
        total: int = ARGUMENTS.check("total_steps", total_steps)
    elif epochs is not None and steps_per_epoch is not None:
        epochs = ARGUMENTS.check("epochs", epochs)
        total = int(epochs * ARGUMENTS.check("steps_per_epoch", steps_per_epoch))
    else:
        raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
    pct_start = ARGUMENTS.check("pct_start", pct_start)
    three_phase = ARGUMENTS.check("three_phase", three_phase)
    first_end = float(pct_start * total) - 1
    _check_first_phase(first_end, total, f"pct_start={pct_start!r}")
    ends = [first_end, float(2 * pct_start * total) - 2] if three_phase else [first_end]
    return total, [*ends, total - 1], ARGUMENTS.check("anneal_strategy", anneal_strategy)


def _lr_entries(
    max_lr: float, div_factor: float, final_div_factor: float, group: int
) -> dict[str, float]:
    """A group's ``initial_lr``, ``max_lr`` and ``min_lr`` (checked finite), as torch sets them."""
    initial = max_lr / div_factor
    final = initial / final_div_factor
    if not (math.isfinite(initial) and math.isfinite(final)):
        raise ValueError(
            f"max_lr / div_factor / final_div_factor must be finite, but for parameter group "
            f"{group} got {max_lr!r} / {div_factor!r} / {final_div_factor!r}"
        )
    return {"initial_lr": initial, "max_lr": max_lr, "min_lr": final}


def _one_cycle(
    name: str,
    end_steps: list[float],
    values: Mapping[str, float],
    first_key: int,
    strategy: str,
    total_steps: int,
    /,
    **arguments: Any,
) -> sm.Schedule:
    """Anneal over phase ``i`` (from the previous end to ``end_steps[i]``) between the
    ``values`` its names at ``first_key`` (the LR's: 0, the momentum's: 2) and after.

    As in the class, phase ``i`` is the first whose end is ``>= t``, else the last;
    within it ``u = (t - start) / (end - start)``, and ``u`` and ``1 - u`` are both
    formed from exact step differences so each end of a phase keeps its accuracy.
    Step ``total_steps`` holds the value of ``total_steps - 1``, as the class does.
    """
    last = total_steps - 1
    phases = []
    start = 0.0
    for end, names in zip(end_steps, _PHASES[len(end_steps)]):
        first, final = values[names[first_key]], values[names[first_key + 1]]
        width = (end - start) or 1.0  # a zero-width phase is never reached
        phases.append((start, end, width, first, final))
        start = end
    half_pi = math.pi / 2

    def value_at(t: Any, phase: tuple[float, float, float, float, float]) -> Any:
        start, end, width, first, final = phase
        progress = sm.difference(t, start) / width
        remaining = -sm.difference(t, end) / width
        if strategy == "cos":
            # (1 + cos(pi u)) / 2 = sin^2(pi (1 - u) / 2), and 1 minus it is sin^2(pi u / 2).
            return sm.between(
                first, final, sm.sin_squared(progress, half_pi), sm.sin_squared(remaining, half_pi)
            )
        return sm.between(first, final, progress, remaining)

    def schedule(step: Any) -> Any:
        t = sm.check_step(step)
        if not sm.is_array(t):
            if t > total_steps:
                raise ValueError(
                    f"step must be an integer <= total_steps ({total_steps}): the cycle has no "
                    f"value past its end, but got {t}"
                )
            t = min(t, last)
            for i, phase in enumerate(phases):
                if t <= phase[1] or i == len(phases) - 1:
                    return float(value_at(t, phase))
        # An array cannot raise inside a compiled step: past the end, the final value.
        t_held = mx.minimum(t, last)
        value = value_at(t_held, phases[-1])
        for phase in reversed(phases[:-1]):
            if phase[1] >= 0:
                value = mx.where(t_held <= math.floor(phase[1]), value_at(t_held, phase), value)
        return sm.finish(value, t)

    return sm.Schedule(schedule, name, **arguments)


def one_cycle_lr(
    max_lr: float,
    total_steps: int | None = None,
    epochs: int | None = None,
    steps_per_epoch: int | None = None,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
) -> sm.Schedule:
    r""":class:`OneCycleLR` as a function of the step: the 1cycle policy.

    With :math:`N` = ``total_steps``, :math:`p` = ``pct_start``, :math:`\eta_{max}` =
    ``max_lr``, :math:`\eta_0 = \eta_{max} / d` and :math:`\eta_{min} = \eta_0 / f`
    (:math:`d` = ``div_factor``, :math:`f` = ``final_div_factor``): from step 0 to
    :math:`pN - 1` the LR goes :math:`\eta_0 \to \eta_{max}`, then to step
    :math:`N - 1` :math:`\eta_{max} \to \eta_{min}` (``three_phase``: :math:`\eta_{max}
    \to \eta_0` by :math:`2pN - 2`, then :math:`\eta_0 \to \eta_{min}`). Within a phase
    from :math:`a` to :math:`b` with :math:`u = (t - a)/(b - a)`, from :math:`s` to
    :math:`e`: ``"cos"`` :math:`e + (s - e)(1 + \cos \pi u)/2`, ``"linear"``
    :math:`s + (e - s) u`. Step :math:`N` keeps :math:`\eta_{min}` (as the class
    does); a Python ``int`` step past :math:`N` raises ``ValueError``, an array
    step past :math:`N` holds :math:`\eta_{min}` (an array cannot raise inside
    ``mx.compile``). Smith & Topin, "Super-Convergence",
    https://arxiv.org/abs/1708.07120.

    Args:
        max_lr: the peak learning rate, ``>= 0``.
        total_steps: steps in the cycle, an integer ``>= 1``; or ``None`` for
            ``epochs * steps_per_epoch``. Default: ``None``.
        epochs, steps_per_epoch: integers ``>= 1`` giving ``total_steps``. Default: ``None``.
        pct_start: fraction of the cycle warming up, in ``[0, 1]`` (a first phase
            ending exactly at step 0 is refused, as by the class). Default: ``0.3``.
        anneal_strategy: ``"cos"`` or ``"linear"``. Default: ``"cos"``.
        div_factor: :math:`d`, ``> 0``. Default: ``25.0``.
        final_div_factor: :math:`f`, ``> 0``. Default: ``1e4``.
        three_phase: the paper's three phases. Default: ``False``.

    Returns:
        ``schedule(step)``: a float for an ``int`` step, float32 values for an
        ``mx.array`` of integer steps. See :func:`one_cycle_momentum` for the momentum.

    Example (10 steps, warming up over the first 3, linear):
        >>> import mlx.core as mx
        >>> schedule = one_cycle_lr(1.0, total_steps=10, pct_start=0.4,
        ...                         anneal_strategy="linear", div_factor=10.0,
        ...                         final_div_factor=100.0)
        >>> round(schedule(0), 6), round(schedule(3), 6), round(schedule(9), 6)
        (0.1, 1.0, 0.001)
        >>> schedule(mx.array([0, 1, 3, 6, 9]))
        array([0.1, 0.4, 1, 0.5005, 0.001], dtype=float32)
    """
    phases = (total_steps, epochs, steps_per_epoch, pct_start, anneal_strategy, three_phase)
    total, end_steps, strategy = _check_phases(*phases)
    peak = ARGUMENTS.check("max_lr", max_lr)
    div_factor = ARGUMENTS.check("div_factor", div_factor)
    final_div_factor = ARGUMENTS.check("final_div_factor", final_div_factor)
    values = _lr_entries(peak, div_factor, final_div_factor, 0)
    return _one_cycle(
        "one_cycle_lr",
        end_steps,
        values,
        0,
        strategy,
        total,
        max_lr=peak,
        total_steps=total,
        pct_start=pct_start,
        anneal_strategy=strategy,
        div_factor=div_factor,
        final_div_factor=final_div_factor,
        three_phase=len(end_steps) == 3,
    )


def one_cycle_momentum(
    total_steps: int | None = None,
    epochs: int | None = None,
    steps_per_epoch: int | None = None,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    base_momentum: float = 0.85,
    max_momentum: float = 0.95,
    three_phase: bool = False,
) -> sm.Schedule:
    r"""The momentum of :class:`OneCycleLR` as a function of the step: against the LR.

    Over the phases of :func:`one_cycle_lr` (same steps, same annealing): from
    ``max_momentum`` down to ``base_momentum`` while the LR warms up, back up to
    ``max_momentum`` while it anneals (``three_phase``: and held there in the third).

    Args:
        total_steps, epochs, steps_per_epoch, pct_start, anneal_strategy, three_phase:
            as in :func:`one_cycle_lr`.
        base_momentum: the momentum at the LR's peak, in ``[0, 1)``. Default: ``0.85``.
        max_momentum: the momentum at the start and the end, in ``[0, 1)``. Default: ``0.95``.

    Returns:
        ``schedule(step)``: a float for an ``int`` step, float32 values for an
        ``mx.array`` of integer steps. Give it as ``momentum=`` or ``betas[0]`` to an
        optimizer of :mod:`mlx_lr_scheduler.optimizers` (MLX's own take a number).

    Example:
        >>> import mlx.core as mx
        >>> momentum = one_cycle_momentum(total_steps=10, pct_start=0.4,
        ...                               anneal_strategy="linear")
        >>> round(momentum(0), 6), round(momentum(3), 6), round(momentum(9), 6)
        (0.95, 0.85, 0.95)
        >>> momentum(mx.array([0, 3, 6, 9]))
        array([0.95, 0.85, 0.9, 0.95], dtype=float32)
        >>> from mlx_lr_scheduler import optimizers
        >>> opt = optimizers.SGD(
        ...     learning_rate=one_cycle_lr(1.0, total_steps=10, pct_start=0.4,
        ...                                anneal_strategy="linear"),
        ...     momentum=momentum)
        >>> opt.init({"w": mx.zeros(2)})
        >>> for _ in range(4):
        ...     _ = opt.apply_gradients({"w": mx.ones(2)}, {"w": mx.zeros(2)})
        >>> opt.learning_rate, opt.momentum  # the values update 3 used: the peak
        (array(1, dtype=float32), array(0.85, dtype=float32))
    """
    phases = (total_steps, epochs, steps_per_epoch, pct_start, anneal_strategy, three_phase)
    total, end_steps, strategy = _check_phases(*phases)
    high = ARGUMENTS.check("max_momentum", max_momentum)
    low = ARGUMENTS.check("base_momentum", base_momentum)
    values = {"max_momentum": high, "base_momentum": low}
    return _one_cycle(
        "one_cycle_momentum",
        end_steps,
        values,
        2,
        strategy,
        total,
        total_steps=total,
        pct_start=pct_start,
        anneal_strategy=strategy,
        base_momentum=low,
        max_momentum=high,
        three_phase=len(end_steps) == 3,
    )
