"""Composition: ``SequentialLR`` (one schedule after another) and ``ChainedScheduler``
(several schedules multiplied together)."""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mlx_lr_scheduler import schedule_math as sm
from mlx_lr_scheduler import state as st
from mlx_lr_scheduler.scheduler import LRScheduler
from mlx_lr_scheduler.validation import LAST_EPOCH, Arguments, Check, Function, check_int

__all__ = ["ChainedScheduler", "SequentialLR", "sequential_lr"]


def _check_scheduler_list(owner: str, schedulers: Any) -> list[LRScheduler]:
    if isinstance(schedulers, LRScheduler) or not isinstance(schedulers, Sequence):
        raise TypeError(
            f"schedulers must be a list of schedulers, but got {type(schedulers).__name__}"
        )
    if len(schedulers) < 1:
        raise ValueError(f"{owner} expects at least one scheduler in schedulers, but got none")
    for i, scheduler in enumerate(schedulers):
        if not isinstance(scheduler, LRScheduler):
            raise TypeError(
                f"{owner} expects mlx_lr_scheduler schedulers, but schedulers[{i}] is a "
                f"{type(scheduler).__name__}"
            )
        if scheduler._steps_on_metric:
            raise ValueError(
                f"{owner} does not support `ReduceLROnPlateau` scheduler as it requires "
                "additional kwargs to be specified when calling `step`, but got one at index "
                f"{i} in the given schedulers sequence."
            )
    return list(schedulers)


def _check_same_optimizer(owner: str, optimizer: Any, schedulers: list[LRScheduler]) -> None:
    for i, scheduler in enumerate(schedulers):
        if scheduler.optimizer is not optimizer:
            raise ValueError(
                f"{owner} expects all schedulers to belong to the same optimizer, but "
                f"schedulers[{i}] ({type(scheduler).__name__}) is bound to another optimizer"
            )


class _Composite(LRScheduler):
    """Shared state handling: a composite's state nests its children's."""

    _schedulers: list[LRScheduler]

    def _check_state(self, state_dict: Any) -> dict[str, Any]:
        owner = type(self).__name__
        # First the own keys: that check refuses a state that is not a mapping, or names
        # another class.
        own = state_dict
        if isinstance(state_dict, Mapping):
            own = {key: value for key, value in state_dict.items() if key != "_schedulers"}
        checked = super()._check_state(own)
        children = state_dict.get("_schedulers")
        if not isinstance(children, (list, tuple)) or len(children) != len(self._schedulers):
            raise ValueError(
                f"{owner} state_dict['_schedulers'] must be a list of {len(self._schedulers)} "
                f"scheduler states, but got {children!r}"
            )
        checked["_schedulers"] = [
            child._check_state(child_state)
            for child, child_state in zip(self._schedulers, children)
        ]
        return checked

    def _apply_state(self, checked: dict[str, Any]) -> None:
        for child, child_state in zip(self._schedulers, checked.pop("_schedulers")):
            child._apply_state(child_state)
        super()._apply_state(checked)

    def _restore_groups(self) -> None:
        # The children restored their own last LRs; the composite's is the one in force.
        for group, lr in zip(self.param_groups, self._last_lr):
            group.set_lr(lr)

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["_schedulers"] = [child.state_dict() for child in self._schedulers]
        return state


def _undo_initial_steps(scheduler: LRScheduler) -> None:
    """Take back the initial step of every leaf scheduler (composites have no epoch)."""
    children = getattr(scheduler, "_schedulers", None)
    if children is not None:
        for child in children:
            _undo_initial_steps(child)
    elif hasattr(scheduler, "last_epoch"):
        scheduler.last_epoch -= 1


def _check_milestones(name: str, milestones: Any) -> list[int]:
    if isinstance(milestones, (str, bytes, Mapping)) or not isinstance(milestones, Iterable):
        raise TypeError(f"{name} must be a list of integers, but got {milestones!r}")
    values = [check_int(f"{name}[{i}]", m, minimum=1) for i, m in enumerate(milestones)]
    if any(b <= a for a, b in itertools.pairwise(values)):
        raise ValueError(f"{name} must be strictly increasing, but got {values!r}")
    return values


ARGUMENTS = Arguments(milestones=Check(_check_milestones))


def _check_milestone_count(name: str, milestones: Any, schedules: int) -> list[int]:
    values = _check_milestones(name, milestones)
    if len(values) != schedules - 1:
        raise ValueError(
            f"{name} must have one entry fewer than the {schedules} schedules, "
            f"but got {len(values)}: {values!r}"
        )
    return values


class SequentialLR(_Composite):
    r"""Run ``schedulers`` one after another, switching at each of ``milestones``.

    .. math:: \eta_t = S_i(t - m_i) \quad\text{for } m_i \le t < m_{i+1}

    where :math:`S_i` is ``schedulers[i]``, :math:`m_0 = 0` and
    :math:`m_1 < m_2 < \dots` are ``milestones``. Each scheduler after the
    first starts at its own epoch 0 at its milestone, from the groups' initial
    learning rates (torch's semantics: it restarts its closed form at 0). The
    schedulers must be built on ``optimizer`` before the ``SequentialLR``,
    which then rewinds them so only the first has taken its initial step.

    Args:
        optimizer: the optimizer every scheduler is bound to.
        schedulers: the schedulers, at least one (with one, ``milestones`` is
            empty and the ``SequentialLR`` is that scheduler). Only the first may
            itself be a composite (torch 2.13 accepts one later on, then fails
            with ``NotImplementedError`` at its milestone), and none may be
            ``ReduceLROnPlateau``.
        milestones: ``len(schedulers) - 1`` strictly increasing integer epochs
            ``>= 1`` (torch also takes unsorted or zero milestones, then skips
            or reorders schedulers).
        last_epoch: index of the last epoch, ``-1`` to start fresh. Default: ``-1``.

    Example (linear warmup for 2 epochs, then cosine over 4):
        >>> import mlx.optimizers as optim
        >>> from mlx_lr_scheduler import CosineAnnealingLR, LinearLR
        >>> opt = optim.SGD(learning_rate=1.0)
        >>> warmup = LinearLR(opt, start_factor=0.5, total_iters=2)
        >>> cosine = CosineAnnealingLR(opt, T_max=4)
        >>> scheduler = SequentialLR(opt, [warmup, cosine], milestones=[2])
        >>> for epoch in range(7):
        ...     print(f"epoch {epoch}: {scheduler.get_last_lr()[0]}")
        ...     scheduler.step()
        epoch 0: 0.5
        epoch 1: 0.75
        epoch 2: 1.0
        epoch 3: 0.8535533905932737
        epoch 4: 0.5
        epoch 5: 0.14644660940672627
        epoch 6: 0.0
    """

    _state_schema = {
        "_milestones": st.field(ARGUMENTS["milestones"]),
        "last_epoch": st.integer(minimum=0),
        "_last_lr": st.lr_list(),
    }

    def __init__(
        self,
        optimizer: Any,
        schedulers: Sequence[LRScheduler],
        milestones: Sequence[int],
        last_epoch: int = -1,
    ) -> None:
        owner = type(self).__name__
        groups = self._bind(optimizer)
        children = _check_scheduler_list(owner, schedulers)
        _check_same_optimizer(owner, optimizer, children)
        for i, child in enumerate(children[1:], start=1):
            if isinstance(child, _Composite):
                raise ValueError(
                    f"{owner}: schedulers[{i}] is a {type(child).__name__}; only the first "
                    "scheduler may be a composite (a later one cannot restart at its milestone)"
                )
        checked_milestones = _check_milestone_count("milestones", milestones, len(children))
        last_epoch = LAST_EPOCH.check("last_epoch", last_epoch)
        for i, group in enumerate(groups):
            if "initial_lr" not in group:
                raise KeyError(f"param 'initial_lr' is not specified in param_groups[{i}]")
        self._schedulers = children
        self._milestones = checked_milestones
        self.last_epoch = last_epoch + 1
        # Start over from the initial LRs, as if only the active scheduler had been built.
        for group in groups:
            group.set_lr(group["initial_lr"])
        _undo_initial_steps(self)
        active = children[bisect_right(checked_milestones, 0)]
        active._initial_step()
        self._last_lr = active.get_last_lr()

    def _check_state(self, state_dict: Any) -> dict[str, Any]:
        checked = super()._check_state(state_dict)
        _check_milestone_count("_milestones", checked["_milestones"], len(self._schedulers))
        return checked

    def step(self) -> None:  # type: ignore[override]
        """Advance one epoch: step the active scheduler, or restart the next at its milestone."""
        epoch = self.last_epoch + 1
        milestones = self._milestones
        index = bisect_right(milestones, epoch)
        active = self._schedulers[index]
        if index > 0 and milestones[index - 1] == epoch:
            active._update_lr(0)
        else:
            active.step()
        # Only once the child's step succeeded (it undoes its own on an error).
        self.last_epoch = epoch
        # The child's list, shared: every scheduler replaces its _last_lr, never edits it.
        self._last_lr = active._last_lr

    def _schedule(self, group: int) -> sm.Schedule:
        first = self._schedulers[0]
        if isinstance(first, _Composite):
            raise TypeError(
                f"SequentialLR has no closed form with a {type(first).__name__} as its first "
                "scheduler: as in torch, that one takes its first step when the SequentialLR "
                "is built, so its values run one step ahead of its own closed form"
            )
        for child in self._schedulers[1:]:
            if not child._schedule_joins:
                raise TypeError(
                    f"SequentialLR has no closed form with a {type(child).__name__} after its "
                    "first scheduler: that one starts from the learning rate it finds there"
                )
        return sequential_lr(
            [child._schedule(group) for child in self._schedulers], self._milestones
        )

    def __repr__(self) -> str:
        return f"SequentialLR({self._schedulers!r}, milestones={self._milestones})"


class ChainedScheduler(_Composite):
    r"""Step several schedulers together, so their effects multiply.

    Each ``step()`` steps every scheduler in order, each continuing from the
    learning rate the previous one set (torch's chainable forms). A
    ``ConstantLR`` warmup (``factor`` :math:`f`, ``total_iters`` :math:`T`)
    chained with an ``ExponentialLR`` decay (``gamma`` :math:`\gamma`) gives

    .. math:: \eta_t = \eta_0 \, \gamma^t \cdot \begin{cases} f & t < T \\ 1 & t \ge T \end{cases}

    Schedules whose step-by-step form reads only the epoch (``LambdaLR``, a
    ``SequentialLR`` restarting at a milestone) overwrite, rather than
    multiply, what the previous ones set, as in torch.

    Args:
        schedulers: the schedulers, at least one (one alone is that scheduler),
            all bound to one optimizer; none may be ``ReduceLROnPlateau``. A
            ``SequentialLR`` may be one of them.
        optimizer: that optimizer. Default: ``None``, the first scheduler's.

    Example:
        >>> import mlx.optimizers as optim
        >>> from mlx_lr_scheduler import ConstantLR, ExponentialLR
        >>> opt = optim.SGD(learning_rate=1.0)
        >>> scheduler = ChainedScheduler(
        ...     [ConstantLR(opt, factor=0.5, total_iters=2), ExponentialLR(opt, gamma=0.5)]
        ... )
        >>> for epoch in range(4):
        ...     print(f"epoch {epoch}: {scheduler.get_last_lr()[0]}")
        ...     scheduler.step()
        epoch 0: 0.5
        epoch 1: 0.25
        epoch 2: 0.25
        epoch 3: 0.125
    """

    _state_schema = {"_last_lr": st.lr_list()}

    def __init__(self, schedulers: Sequence[LRScheduler], optimizer: Any = None) -> None:
        owner = type(self).__name__
        children = _check_scheduler_list(owner, schedulers)
        if optimizer is None:
            optimizer = children[0].optimizer
        self._bind(optimizer)
        _check_same_optimizer(owner, optimizer, children)
        self._schedulers = children
        self._last_lr = self._group_lrs()

    def step(self) -> None:  # type: ignore[override]
        """Step every scheduler, in order."""
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = self._group_lrs()

    def __repr__(self) -> str:
        return f"ChainedScheduler({self._schedulers!r})"


# -- the schedule function ------------------------------------------------------


def sequential_lr(schedules: Sequence[Any], milestones: Sequence[int]) -> sm.Schedule:
    r"""Join schedule functions one after another, as :class:`SequentialLR` joins schedulers.

    .. math:: \eta(t) = S_i(t - m_i) \quad\text{for } m_i \le t < m_{i+1}

    where :math:`S_i` is ``schedules[i]``, :math:`m_0 = 0` and :math:`m_1 < m_2 <
    \dots` are ``milestones``: each schedule after the first restarts at its own
    step 0 at its milestone (a warmup, then a decay that starts at its top).

    Args:
        schedules: the schedule functions, at least one: this module's, or any
            ``schedule(step)`` that takes an ``int`` and a uint64 ``mx.array`` (MLX's
            ``optim.cosine_decay`` and friends qualify). Each is evaluated on
            steps counted from its milestone, formed without wrapping.
        milestones: ``len(schedules) - 1`` strictly increasing integer steps ``>= 1``
            (empty for one schedule: the join is that schedule).

    Returns:
        ``schedule(step)``: a float for an ``int`` step, float32 values for an
        ``mx.array`` of integer steps. An array step evaluates every schedule and
        selects; an ``int`` step evaluates only the active one.

    Example (a linear warmup over 2 steps, then a cosine over 4):
        >>> import mlx.core as mx
        >>> from mlx_lr_scheduler.schedules import cosine_annealing_lr, linear_lr
        >>> warmup = linear_lr(1.0, start_factor=0.5, total_iters=2)
        >>> schedule = sequential_lr([warmup, cosine_annealing_lr(1.0, T_max=4)], milestones=[2])
        >>> schedule(0), schedule(2), schedule(4)
        (0.5, 1.0, 0.5)
        >>> schedule(mx.array([1, 3, 5, 6]))
        array([0.75, 0.853553, 0.146447, 0], dtype=float32)
    """
    functions = _check_schedule_list(schedules)
    starts = [0, *_check_milestone_count("milestones", milestones, len(functions))]

    def schedule(step: Any) -> Any:
        t = sm.check_step(step)
        if not sm.is_array(t):
            i = bisect_right(starts, t) - 1
            return sm.finish(functions[i](t - starts[i]), t)
        value = sm.finish(functions[0](t), t)
        for start, function in zip(starts[1:], functions[1:]):
            later = sm.finish(function(sm.maximum(t, start) - start), t)
            value = sm.where(t >= start, later, value)
        return value

    return sm.Schedule(schedule, "sequential_lr", schedules=functions, milestones=starts[1:])


def _check_schedule_list(schedules: Any) -> list[Any]:
    if callable(schedules) or not isinstance(schedules, Sequence) or isinstance(schedules, str):
        raise TypeError(f"schedules must be a list of schedule functions, but got {schedules!r}")
    if len(schedules) < 1:
        raise ValueError("sequential_lr expects at least one schedule, but got an empty list")
    return [Function().check(f"schedules[{i}]", function) for i, function in enumerate(schedules)]
