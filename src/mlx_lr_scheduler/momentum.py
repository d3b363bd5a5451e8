"""Scheduled momentum: how ``CyclicLR`` and ``OneCycleLR`` drive an MLX optimizer's
momentum (``SGD``) or first beta (``Adam``, ``AdamW``, ``Adamax``, ``Lion``).

torch's schedulers write ``group["momentum"]`` or ``group["betas"][0]``. MLX keeps
these hyperparameters as plain Python attributes (``optimizer.momentum``,
``optimizer.betas``), which a compiled train step reads once, at trace time, and
bakes in: assigning a new value between compiled steps is silently ignored.

So when a scheduler cycles momentum, the value moves into the optimizer's state,
next to ``learning_rate``, as a float32 scalar array:

* ``optimizer.state["momentum"]`` for an optimizer with a ``momentum`` (SGD, Muon);
* ``optimizer.state["beta1"]`` for one with ``betas`` (the Adam family, Lion); the
  other betas stay Python floats.

A compiled step that takes ``optimizer.state`` as input and output
(``mx.compile(step, inputs=[model.state, opt.state], outputs=...)``) then reads
each new value, with no retrace, exactly as it reads the scheduled learning rate.

Only the optimizer instances a scheduler cycles change, and only in two ways: their
class becomes a subclass of their own class (same name, ``isinstance`` still
holds) in which

* ``optimizer.momentum`` / ``optimizer.betas`` read the state: after each step
  ``optimizer.momentum`` and ``optimizer.betas[0]`` are **float32 mx.array
  scalars**, like MLX's own ``optimizer.learning_rate`` (compare with torch's float
  through ``float(np.float32(x))``, or read the exact float64 value torch holds
  from ``scheduler.param_groups[i]["momentum"]`` / ``["betas"]``). Assigning
  them still works and writes the state;
* the update keeps every array in the dtype it had (a float32 momentum times a
  bfloat16 buffer would otherwise promote it), and plain ``SGD``'s update, which
  branches in Python on ``momentum <= 0``, is replaced by the same arithmetic
  without the branch (with momentum 0 it gives the same parameters).

Nothing in MLX is patched globally.

The orchestration both schedulers share lives here too, in their base class
``MomentumCycling``: writing the momenta computed with the LRs, binding, and the
momentum's part of ``state_dict``/``load_state_dict`` (``use_beta1`` and the
per-group records of what torch keeps in its optimizer). Each scheduler keeps its
own schedule math and state fields.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar, cast

import mlx.core as mx
import mlx.optimizers as optim

from mlx_lr_scheduler.param_groups import GROUP_ATTRIBUTE, ParamGroup
from mlx_lr_scheduler.scheduler import LR_LIMIT, LRScheduler
from mlx_lr_scheduler.validation import check_real, missing_group_entry, per_group

__all__ = [
    "MomentumCycling",
    "check_momentum",
    "require_group_entries",
    "restore_groups_on_failure",
]

#: Keys of the scheduled values in an MLX optimizer's state.
MOMENTUM_KEY = "momentum"
BETA1_KEY = "beta1"
#: The state_dict key of the per-group records (torch keeps them in its optimizer).
_GROUPS_KEY = "param_groups"

_NO_MOMENTUM = "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"


def check_momentum(name: str, value: Any) -> float:
    """A momentum or beta1 must be a real number in [0, 1)."""
    return check_real(name, value, low=0.0, high=1.0, high_open=True)


def _group_of(optimizer: Any) -> ParamGroup:
    return cast(ParamGroup, optimizer.__dict__[GROUP_ATTRIBUTE])


def _scalar(value: float) -> mx.array:
    return mx.array(value, dtype=mx.float32)


def _keeping_dtypes(
    update: Callable[[mx.array, mx.array, dict[str, Any]], mx.array],
    gradient: mx.array,
    parameter: mx.array,
    state: dict[str, Any],
) -> mx.array:
    """Run ``update`` and cast the new parameter and state back to their dtypes.

    The scheduled momentum is a float32 array where MLX had a Python float, which
    would promote a bfloat16 or float16 buffer to float32. For float32 models
    nothing is cast (the check happens in Python, at trace time).
    """
    dtypes = {key: value.dtype for key, value in state.items() if isinstance(value, mx.array)}
    new_parameter = update(gradient, parameter, state)
    for key, dtype in dtypes.items():
        value = state[key]
        if isinstance(value, mx.array) and value.dtype != dtype:
            state[key] = value.astype(dtype)
    if new_parameter.dtype != parameter.dtype:
        new_parameter = new_parameter.astype(parameter.dtype)
    return new_parameter


class _MomentumFromState:
    """``optimizer.momentum`` read from, and written to, ``optimizer.state["momentum"]``."""

    state: Any

    @property
    def momentum(self) -> Any:
        value = self.state.get(MOMENTUM_KEY)
        if value is None:  # the state was replaced by one saved before the binding
            value = _scalar(_group_of(self)["momentum"])
        return value

    @momentum.setter
    def momentum(self, value: Any) -> None:
        _write_momentum(_group_of(self), float(value))

    def apply_single(self, gradient: mx.array, parameter: mx.array, state: dict[str, Any]) -> Any:
        return _keeping_dtypes(cast(Any, super()).apply_single, gradient, parameter, state)


class _SGDMomentumFromState(_MomentumFromState):
    """MLX's SGD update without its Python branch on the (now traced) momentum."""

    weight_decay: float
    dampening: float
    nesterov: bool
    learning_rate: Any

    def apply_single(self, gradient: mx.array, parameter: mx.array, state: dict[str, Any]) -> Any:
        return _keeping_dtypes(self._sgd_update, gradient, parameter, state)

    def _sgd_update(self, gradient: mx.array, parameter: mx.array, state: dict[str, Any]) -> Any:
        # v <- mu v + (1 - tau) g;  w <- w - lr (g + mu v if nesterov else v).
        # With mu = 0 this is w - lr g, MLX's momentum-free update.
        if self.weight_decay != 0:
            gradient = gradient + self.weight_decay * parameter
        momentum = self.momentum
        velocity = momentum * state["v"]
        velocity = velocity + ((1 - self.dampening) * gradient if self.dampening > 0 else gradient)
        state["v"] = velocity
        update = gradient + momentum * velocity if self.nesterov else velocity
        return parameter - self.learning_rate.astype(gradient.dtype) * update


class _Beta1FromState:
    """``optimizer.betas[0]`` read from, and written to, ``optimizer.state["beta1"]``."""

    state: Any

    @property
    def betas(self) -> tuple[Any, ...]:
        stored = _group_of(self)["betas"]
        value = self.state.get(BETA1_KEY)
        if value is None:  # the state was replaced by one saved before the binding
            value = _scalar(stored[0])
        return (value, *stored[1:])

    @betas.setter
    def betas(self, value: Sequence[Any]) -> None:
        _write_betas(_group_of(self), tuple(float(beta) for beta in value))

    def apply_single(self, gradient: mx.array, parameter: mx.array, state: dict[str, Any]) -> Any:
        return _keeping_dtypes(cast(Any, super()).apply_single, gradient, parameter, state)


# The only writers of a scheduled momentum: the float64 value in the group (torch's
# group["momentum"] / group["betas"]), its float32 rounding in the optimizer state.
def _write_momentum(group: ParamGroup, value: float) -> None:
    group.entries["momentum"] = value
    group.write_scalar(MOMENTUM_KEY, value)


def _write_betas(group: ParamGroup, betas: tuple[float, ...]) -> None:
    group.entries["betas"] = betas
    group.write_scalar(BETA1_KEY, betas[0])


# One subclass per (MLX optimizer class, mixin), made on first use.
_SCHEDULED_CLASSES: dict[tuple[type, type], type] = {}


def _scheduled_class(cls: type, mixin: type) -> type:
    key = (cls, mixin)
    scheduled = _SCHEDULED_CLASSES.get(key)
    if scheduled is None:
        scheduled = type(
            cls.__name__,
            (mixin, cls),
            {
                "__doc__": f"{cls.__qualname__} whose scheduled momentum lives in its state "
                "(made by mlx_lr_scheduler.momentum).",
                "__qualname__": cls.__qualname__,
                "_lr_scheduler_original_class": cls,
            },
        )
        _SCHEDULED_CLASSES[key] = scheduled
    return scheduled


def _uses_beta1(optimizer: Any) -> bool | None:
    """True for ``betas``, False for ``momentum``, None for neither (torch prefers betas)."""
    if isinstance(optimizer, (_Beta1FromState, _MomentumFromState)):
        return isinstance(optimizer, _Beta1FromState)
    betas = getattr(optimizer, "betas", None)
    if isinstance(betas, (list, tuple)) and len(betas) >= 1:
        return True
    momentum = getattr(optimizer, "momentum", None)
    if isinstance(momentum, numbers.Real) or (
        isinstance(momentum, mx.array) and momentum.size == 1
    ):
        return False
    return None


def _bind(optimizer: Any, uses_beta1: bool) -> None:
    if isinstance(optimizer, (_Beta1FromState, _MomentumFromState)):
        return  # already bound by another scheduler
    cls = type(optimizer)
    if uses_beta1:
        betas = tuple(float(beta) for beta in optimizer.__dict__.pop("betas", optimizer.betas))
        optimizer.__class__ = _scheduled_class(cls, _Beta1FromState)
        _write_betas(_group_of(optimizer), betas)
        return
    momentum = float(optimizer.__dict__.pop("momentum", optimizer.momentum))
    plain_sgd = isinstance(optimizer, optim.SGD) and cls.apply_single is optim.SGD.apply_single
    optimizer.__class__ = _scheduled_class(
        cls, _SGDMomentumFromState if plain_sgd else _MomentumFromState
    )
    _write_momentum(_group_of(optimizer), momentum)


class ScheduledMomentum:
    """The scheduled momentum (or beta1) of one parameter group.

    ``get()`` is the float64 value torch would hold in ``group["momentum"]`` or
    ``group["betas"][0]``; ``set(value)`` stores it in the group and its float32
    rounding in the optimizer state.
    """

    __slots__ = ("group", "uses_beta1")

    def __init__(self, group: ParamGroup, uses_beta1: bool) -> None:
        self.group = group
        self.uses_beta1 = uses_beta1

    @property
    def key(self) -> str:
        """torch's name for the group entry: ``"betas"`` or ``"momentum"``."""
        return _momentum_key(self.uses_beta1)

    def get(self) -> float:
        if self.uses_beta1:
            return float(self.group["betas"][0])
        return float(self.group["momentum"])

    def set(self, value: float) -> None:
        group = self.group
        if self.uses_beta1:
            _write_betas(group, (value, *group.entries["betas"][1:]))
        else:
            _write_momentum(group, value)

    def __repr__(self) -> str:
        return f"ScheduledMomentum({self.key}={self.get()!r})"


def _momentum_kinds(groups: Sequence[ParamGroup]) -> list[bool]:
    """For each group, True if its optimizer has ``betas``, False for ``momentum``; changes nothing.

    Raises:
        ValueError: a group's optimizer has neither (torch's message, naming the
            group and its optimizer).
    """
    kinds = []
    for i, group in enumerate(groups):
        uses_beta1 = _uses_beta1(group.optimizer)
        if uses_beta1 is None:
            raise ValueError(
                f"{_NO_MOMENTUM}: parameter group {i} ({type(group.optimizer).__name__}) has "
                "neither `momentum` nor `betas`; pass cycle_momentum=False"
            )
        kinds.append(uses_beta1)
    return kinds


def _bind_momentum(groups: Sequence[ParamGroup]) -> list[ScheduledMomentum]:
    """Bind each group's momentum (or beta1) to its optimizer state; all groups or none.

    Raises:
        ValueError: as :func:`_momentum_kinds`, before anything is bound.
    """
    kinds = _momentum_kinds(groups)
    for group, uses_beta1 in zip(groups, kinds):
        _bind(group.optimizer, uses_beta1)
    return [ScheduledMomentum(group, uses_beta1) for group, uses_beta1 in zip(groups, kinds)]


# -- what torch keeps in the optimizer's param groups, carried in our state_dict ----------
def _momentum_records(momenta: Sequence[ScheduledMomentum]) -> list[dict[str, Any]]:
    """Each group's momentum bounds and current momentum (or betas), as plain data."""
    records = []
    for momentum in momenta:
        group = momentum.group
        current = list(group["betas"]) if momentum.uses_beta1 else group["momentum"]
        records.append(
            {
                "max_momentum": group["max_momentum"],
                "base_momentum": group["base_momentum"],
                momentum.key: current,
            }
        )
    return records


def _check_record_momentum(name: str, value: Any, uses_beta1: bool) -> Any:
    if not uses_beta1:
        return check_momentum(name, value)
    if not isinstance(value, (list, tuple)) or len(value) < 1:
        raise TypeError(f"{name} must be a list of betas, but got {value!r}")
    return tuple(check_momentum(f"{name}[{i}]", beta) for i, beta in enumerate(value))


def _momentum_key(uses_beta1: bool) -> str:
    return "betas" if uses_beta1 else "momentum"


def _check_param_group_records(
    key: str,
    records: Any,
    n_groups: int,
    fields: Mapping[str, Callable[[str, Any], Any]],
    kinds: Sequence[bool] | None = None,
) -> list[dict[str, Any]]:
    """Check per-group records holding ``fields`` plus, given the groups' momentum
    ``kinds`` (see :func:`_momentum_kinds`), the momentum entries.

    Returns the checked records; changes nothing.
    """
    if not isinstance(records, (list, tuple)):
        raise TypeError(f"{key} must be a list of per-group dicts, but got {records!r}")
    if len(records) != n_groups:
        raise ValueError(
            f"{key} must have one entry per parameter group ({n_groups}), but got {len(records)}"
        )
    checked = []
    for i, record in enumerate(records):
        name = f"{key}[{i}]"
        if not isinstance(record, Mapping):
            raise TypeError(f"{name} must be a dict, but got {record!r}")
        expected = set(fields)
        uses_beta1 = None if kinds is None else kinds[i]
        if uses_beta1 is not None:
            expected |= {"max_momentum", "base_momentum", _momentum_key(uses_beta1)}
        if set(record) != expected:
            raise ValueError(
                f"{name} must have the keys {sorted(expected)}, but got {sorted(record)}"
            )
        out = {field: check(f"{name}[{field!r}]", record[field]) for field, check in fields.items()}
        if uses_beta1 is not None:
            for bound in ("max_momentum", "base_momentum"):
                out[bound] = check_momentum(f"{name}[{bound!r}]", record[bound])
            current = _momentum_key(uses_beta1)
            out[current] = _check_record_momentum(
                f"{name}[{current!r}]", record[current], uses_beta1
            )
        checked.append(out)
    return checked


def _apply_momentum_records(
    records: Sequence[Mapping[str, Any]], momenta: Sequence[ScheduledMomentum]
) -> None:
    """Restore the bounds and the current momentum from checked records."""
    for record, momentum in zip(records, momenta):
        momentum.group["max_momentum"] = record["max_momentum"]
        momentum.group["base_momentum"] = record["base_momentum"]
        if momentum.uses_beta1:
            _write_betas(momentum.group, tuple(record["betas"]))
        else:
            _write_momentum(momentum.group, record["momentum"])


def _check_computed_momenta(owner: str, values: Sequence[float], epoch: int) -> None:
    """Refuse a computed momentum outside [0, 1) before anything is written."""
    for i, value in enumerate(values):
        if not (math.isfinite(value) and 0.0 <= value < 1.0):
            raise ValueError(
                f"{owner} computed momentum {value!r} for parameter group {i} at epoch {epoch}; "
                "momentum must be in [0, 1)"
            )


@contextmanager
def restore_groups_on_failure(groups: Sequence[ParamGroup]) -> Iterator[None]:
    """Undo every change to the groups (LR, entries, scheduled momentum) if the body raises.

    A constructor that fails halfway (e.g. a user's ``scale_fn`` raising on the
    initial step) leaves the optimizer as it found it.
    """
    saved = [
        (
            dict(group),
            {key: group.optimizer.state.get(key) for key in (MOMENTUM_KEY, BETA1_KEY)},
            type(group.optimizer),
            {
                key: group.optimizer.__dict__[key]
                for key in ("momentum", "betas")
                if key in group.optimizer.__dict__
            },
        )
        for group in groups
    ]
    try:
        yield
    except BaseException:
        for group, (entries, arrays, cls, attributes) in zip(groups, saved):
            optimizer = group.optimizer
            for key in [key for key in group if key not in entries]:
                del group[key]
            for key, value in entries.items():
                group[key] = value
            for key, array in arrays.items():
                if array is None:
                    optimizer.state.pop(key, None)
                else:
                    optimizer.state[key] = array
            if type(optimizer) is not cls:  # bound by the failed constructor: unbind
                optimizer.__class__ = cls
                optimizer.__dict__.update(attributes)
        raise


# -- use_beta1 and resuming --------------------------------------------------------
def _load_use_beta1(key: str, value: Any, n_groups: int) -> list[bool]:
    if isinstance(value, bool):
        return [value] * n_groups
    if (
        not isinstance(value, (list, tuple))
        or len(value) != n_groups
        or not all(isinstance(v, bool) for v in value)
    ):
        raise TypeError(f"{key} must be a bool or one bool per parameter group, but got {value!r}")
    return list(value)


def _dump_use_beta1(kinds: Sequence[bool]) -> bool | list[bool]:
    """torch's ``use_beta1``: one bool, or one per group when a MultiOptimizer mixes kinds."""
    return kinds[0] if len(set(kinds)) == 1 else list(kinds)


def _check_use_beta1(owner: str, key: str, value: Any, kinds: Sequence[bool]) -> None:
    """A loaded ``use_beta1`` must describe the optimizers this scheduler is bound to."""
    loaded = _load_use_beta1(key, value, len(kinds))
    if loaded != list(kinds):
        raise ValueError(
            f"{owner} state_dict has {key}={value!r}, but this scheduler's optimizer "
            f"cycles {['betas[0]' if b else 'momentum' for b in kinds]}: "
            "was it saved with another kind of optimizer?"
        )


def require_group_entries(
    groups: Sequence[ParamGroup], last_epoch: int, keys: tuple[str, ...]
) -> None:
    """Resuming with ``last_epoch >= 0`` needs entries an earlier scheduler set."""
    for i, group in enumerate(groups):
        for key in keys:
            if key not in group:
                raise missing_group_entry(key, i, last_epoch)


# -- the base of the schedulers that cycle momentum ------------------------------------
def _as_list(key: str, value: Any) -> list[Any]:
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{key} must be a list of numbers, but got {value!r}")
    return list(value)


class MomentumCycling(LRScheduler):
    """The base of ``CyclicLR`` and ``OneCycleLR``: the momentum cycled with the LR.

    A subclass keeps its schedule math and its own state fields. Its ``get_lr()``
    computes the LRs and, with ``cycle_momentum``, leaves the momenta of the same
    step in ``_pending_momenta``; this class writes both (all or nothing), binds the
    groups (:meth:`_start_momenta`), and carries the momentum in the state:
    ``use_beta1`` (torch's) and, under ``"param_groups"``, each group's bounds and
    current momentum, which torch keeps in its optimizer. What differs is declared:

    * ``_group_entry_checks``: other group entries carried in those per-group records,
      with their checks (``OneCycleLR``'s ``initial_lr``, ``max_lr``, ``min_lr``);
      with none, the records exist only while momentum cycles;
    * ``_momentum_bound_keys``: state keys holding the momentum bounds, one value per
      group, and the group entry each one sets (``CyclicLR``'s ``base_momentums``
      and ``max_momentums``); with none, a torch state (without records) can only be
      loaded into a scheduler built cycling, whose groups hold the bounds;
    * ``_check_schedule_state(checked)``: the subclass's own checks of a state.

    The loaded state decides whether momentum cycles (as in torch, whatever the
    scheduler was built with); the optimizer decides which kind.
    """

    _group_entry_checks: ClassVar[Mapping[str, Callable[[str, Any], Any]]] = {}
    _momentum_bound_keys: ClassVar[Mapping[str, str]] = {}

    cycle_momentum: bool
    use_beta1: bool | list[bool]
    _momenta: list[ScheduledMomentum]
    _pending_momenta: list[float] | None = None
    #: The one group step()'s lean path writes (None: the general path).
    _cycle_group: ParamGroup | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # The lean step() computes with _lr_and_momentum and writes itself: only for a
        # class that keeps this get_lr and _set_lrs and the base _update_lr.
        cls._cycles_lean = (
            cls.get_lr is MomentumCycling.get_lr
            and cls._set_lrs is MomentumCycling._set_lrs
            and cls._update_lr is LRScheduler._update_lr
        )

    _cycles_lean: ClassVar[bool] = False

    # -- the schedule ----------------------------------------------------------------
    def _lr_and_momentum(self, index: int) -> tuple[float, float | None]:
        """torch's arithmetic for group ``index`` at ``last_epoch``: its LR and, with
        ``cycle_momentum``, its momentum (else None). Each subclass states it here once."""
        raise NotImplementedError

    def get_lr(self) -> list[float]:
        """Each group's LR at ``last_epoch``; the momenta of the same step are left in
        ``_pending_momenta`` for ``_set_lrs`` to write with them."""
        self._warn_if_outside_step()
        values = [self._lr_and_momentum(index) for index in range(len(self.param_groups))]
        if self.cycle_momentum:
            self._pending_momenta = [cast(float, momentum) for _, momentum in values]
        return [lr for lr, _ in values]

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch (or jump to ``epoch``, deprecated); set the LRs and momenta."""
        group = self._cycle_group
        if group is None or epoch is not None or self._step_count <= 1:
            super().step(epoch)
            return
        # The per-batch path for one group: LR and momentum computed once, checked,
        # then both written (all or nothing), without lists.
        previous_epoch = self.last_epoch
        self.last_epoch = previous_epoch + 1
        try:
            lr, momentum = self._lr_and_momentum(0)
            # The momentum first, then the LR, as _set_lrs checks them.
            if momentum is not None and not 0.0 <= momentum < 1.0:
                _check_computed_momenta(type(self).__name__, [momentum], self.last_epoch)
            if type(lr) is not float:
                lr = float(lr)
            if not 0.0 <= lr < LR_LIMIT:
                self._raise_bad_lr(lr, 0)
        except BaseException:
            self.last_epoch = previous_epoch
            raise
        self._step_count += 1
        group.set_lr(lr)
        if momentum is not None:
            self._momenta[0].set(momentum)
        self._last_lr = [lr]

    # -- binding -------------------------------------------------------------------
    def _bind(self, optimizer: Any) -> list[ParamGroup]:
        groups = super()._bind(optimizer)
        self._cycle_group = groups[0] if self._cycles_lean and len(groups) == 1 else None
        return groups

    def _bind_momenta(self) -> None:
        self._momenta = _bind_momentum(self.param_groups)
        self.use_beta1 = _dump_use_beta1([m.uses_beta1 for m in self._momenta])

    def _start_momenta(
        self, last_epoch: int, base_momentums: Sequence[float], max_momentums: Sequence[float]
    ) -> None:
        """Bind the groups' momentum; a fresh start (``last_epoch=-1``) sets it to
        ``max_momentum`` and records both bounds in the groups."""
        self._bind_momenta()
        if last_epoch == -1:
            for momentum, low, high in zip(self._momenta, base_momentums, max_momentums):
                momentum.set(high)
                momentum.group["max_momentum"] = high
                momentum.group["base_momentum"] = low

    def _set_lrs(self, values: Any) -> None:
        # The momenta computed with the LRs are written with them, all or nothing.
        momenta, self._pending_momenta = self._pending_momenta, None
        if momenta is not None:
            _check_computed_momenta(type(self).__name__, momenta, self.last_epoch)
        super()._set_lrs(values)
        if momenta is not None:
            for momentum, value in zip(self._momenta, momenta):
                momentum.set(value)

    def _recompute_momenta(self) -> None:
        """Set the momentum in force at ``last_epoch``, as ``get_lr()`` computes it."""
        self._in_step = True
        try:
            self.get_lr()
        finally:
            self._in_step = False
        pending, self._pending_momenta = self._pending_momenta, None
        for momentum, value in zip(self._momenta, pending or ()):
            momentum.set(value)

    # -- state -------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """torch's keys (``use_beta1`` and any bound keys only with ``cycle_momentum``)
        plus ``param_groups``: each group's entries that torch keeps in its optimizer
        (the other group entries, then the momentum bounds and current momentum)."""
        state = super().state_dict()
        records: list[dict[str, Any]] | None = None
        if self._group_entry_checks:
            records = [
                {key: group[key] for key in self._group_entry_checks} for group in self.param_groups
            ]
        if self.cycle_momentum:
            state["use_beta1"] = self.use_beta1
            for key in self._momentum_bound_keys:
                state[key] = list(getattr(self, key))
            momenta = _momentum_records(self._momenta)
            records = momenta if records is None else [r | m for r, m in zip(records, momenta)]
        if records is not None:
            state[_GROUPS_KEY] = records
        return state

    def _check_schedule_state(self, checked: dict[str, Any]) -> None:
        """The subclass's checks of its own fields of a state (already converted)."""

    def _check_state(self, state_dict: Any) -> dict[str, Any]:
        owner = type(self).__name__
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"{owner} state_dict must be a mapping, but got {type(state_dict).__name__}"
            )
        rest = dict(state_dict)
        momentum_keys = ("use_beta1", *self._momentum_bound_keys)
        extras = {key: rest.pop(key) for key in momentum_keys if key in rest}
        has_records = _GROUPS_KEY in rest
        records = rest.pop(_GROUPS_KEY, None)
        checked = super()._check_state(rest)
        self._check_schedule_state(checked)
        n_groups = len(self.param_groups)
        kinds = None
        if not checked["cycle_momentum"]:
            if has_records and not self._group_entry_checks:  # the records are momentum's
                extras[_GROUPS_KEY] = records
            if extras:
                raise ValueError(
                    f"{owner} state_dict has momentum keys {sorted(extras)}, but "
                    "cycle_momentum=False"
                )
        else:
            missing = sorted(set(momentum_keys) - set(extras))
            if missing:
                raise ValueError(f"{owner} state_dict is missing keys {missing}")
            kinds = _momentum_kinds(self.param_groups)
            _check_use_beta1(owner, "use_beta1", extras["use_beta1"], kinds)
            for key in self._momentum_bound_keys:
                checked[key] = per_group(key, _as_list(key, extras[key]), n_groups, check_momentum)
            if not (has_records or self._momentum_bound_keys or self.cycle_momentum):
                raise ValueError(
                    f"{owner} state_dict cycles momentum but has no momentum bounds (torch "
                    "keeps them in the optimizer): build this scheduler with cycle_momentum=True"
                )
        if has_records:
            checked[_GROUPS_KEY] = _check_param_group_records(
                _GROUPS_KEY, records, n_groups, self._group_entry_checks, kinds
            )
        return checked

    def _apply_state(self, checked: dict[str, Any]) -> None:
        records = checked.pop(_GROUPS_KEY, None)
        was_cycling = self.cycle_momentum
        super()._apply_state(checked)
        self._schedule_state_applied()
        if self.cycle_momentum and not was_cycling:  # loading a state that cycles: bind now
            self._bind_momenta()
        if records is not None:
            for group, record in zip(self.param_groups, records):
                for key in self._group_entry_checks:
                    group[key] = record[key]
            if self.cycle_momentum:
                _apply_momentum_records(records, self._momenta)
            return
        if not self.cycle_momentum:
            return
        # A torch state_dict: torch keeps the group entries in the optimizer. Those set
        # when this scheduler was built stay, but for bounds the state carries; the
        # momentum in force is recomputed at last_epoch.
        for key, entry in self._momentum_bound_keys.items():
            for momentum, value in zip(self._momenta, getattr(self, key)):
                momentum.group[entry] = value
        self._recompute_momenta()

    def _schedule_state_applied(self) -> None:
        """Rebuild what derives from the subclass's state fields, before the momentum
        is recomputed from them."""
