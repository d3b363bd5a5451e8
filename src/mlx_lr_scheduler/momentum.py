"""Scheduled momentum: how ``CyclicLR`` and ``OneCycleLR`` drive an optimizer's momentum
(``SGD``, ``Muon``) or first beta (``Adam``, ``AdamW``, ``Adamax``, ``Lion``).

torch's schedulers write ``group["momentum"]`` or ``group["betas"][0]``. MLX keeps
these hyperparameters as plain Python attributes, which a compiled train step reads
once, at trace time, and bakes in: assigning a new value between compiled steps is
silently ignored. The optimizers of :mod:`mlx_lr_scheduler.optimizers` keep them in
their state instead, next to ``learning_rate``, as float32 scalars
(``state["momentum"]``, ``state["beta1"]``); a compiled step that takes the state as
input and output (``mx.compile(step, inputs=[model.state, opt.state], outputs=...)``)
reads each new value, with no retrace, exactly as it reads the scheduled LR.

So a scheduler with ``cycle_momentum=True`` writes the momentum into that state:

* an optimizer of :mod:`mlx_lr_scheduler.optimizers` (or of a subclass) is used as
  it is; one whose momentum or beta1 already follows a schedule function is refused
  (the two would overwrite each other);
* a **plain MLX optimizer** (``mlx.optimizers.SGD(learning_rate=0.1, momentum=0.9)``,
  as a torch port writes it) is converted in place to the same-named class of
  :mod:`mlx_lr_scheduler.optimizers` (``optimizer.__class__`` becomes
  ``mlx_lr_scheduler.optimizers.SGD``, its momentum, betas[0] and weight decay move
  into its state; see :func:`mlx_lr_scheduler.optimizers.convert`), so it still cycles
  inside compiled steps. No class is made at run time: the converted optimizer
  pickles, and ``type(optimizer)`` is an importable class;
* an optimizer of a subclass of an MLX optimizer (or any other class with a
  ``momentum`` or ``betas``) is refused with ``TypeError``: build it from
  :mod:`mlx_lr_scheduler.optimizers`, or pass ``cycle_momentum=False``;
* one with neither momentum nor betas (``RMSprop``, ``Adafactor``, ...) raises
  torch's ``ValueError``.

After binding, ``optimizer.momentum`` and ``optimizer.betas[0]`` are **float32
mx.array scalars**, like ``optimizer.learning_rate``: torch's float rounded to float32.
The float64 value torch holds is kept in the parameter group
(``scheduler.param_groups[i]["momentum"]`` / ``["betas"]``); a value assigned to the
optimizer by hand is adopted there, as a hand-set LR is.

The orchestration both schedulers share lives here too, in their base class
``MomentumCycling``: writing the momenta computed with the LRs, binding, and the
momentum's part of ``state_dict``/``load_state_dict`` (``use_beta1`` and the
per-group records of what torch keeps in its optimizer). Each scheduler keeps its
own schedule math and state fields.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar, cast

import mlx.core as mx

from mlx_lr_scheduler import optimizers, torch_state
from mlx_lr_scheduler.optimizers import BETA1_KEY, MOMENTUM_KEY, WEIGHT_DECAY_KEY
from mlx_lr_scheduler.param_groups import ParamGroup, shortest_decimal
from mlx_lr_scheduler.scheduler import LRScheduler
from mlx_lr_scheduler.validation import (
    LAST_EPOCH,
    LOADED_LR,
    missing_group_entry,
    per_group,
)

__all__ = ["MomentumCycling", "check_momentum", "restore_groups_on_failure"]

#: The optimizer state keys a binding writes (restored on failure).
_STATE_KEYS = (MOMENTUM_KEY, BETA1_KEY, WEIGHT_DECAY_KEY)
#: The optimizer attributes a conversion moves into the state (restored on failure).
_ATTRIBUTES = ("momentum", "betas", "weight_decay", "_later_betas")
#: The state_dict key of the per-group records (torch keeps them in its optimizer).
_GROUPS_KEY = "param_groups"
_BOUNDS = ("max_momentum", "base_momentum")


def check_momentum(name: str, value: Any) -> float:
    """A momentum or beta1 must be a real number in [0, 1), also as the float32 the
    optimizer holds (``1 - 1e-8`` rounds to ``1.0`` there and is refused)."""
    return optimizers.check_fraction(name, value)


def _float32(value: float) -> float:
    return float(struct.unpack("f", struct.pack("f", value))[0])


class ScheduledMomentum:
    """The scheduled momentum (or beta1) of one parameter group.

    ``get()`` is the float64 value torch would hold in ``group["momentum"]`` or
    ``group["betas"][0]`` (``key``); ``set(value)`` stores it in the group and its
    float32 rounding in the optimizer state (``state["momentum"]`` or ``state["beta1"]``).
    """

    __slots__ = ("group", "key", "state_key", "uses_beta1")

    def __init__(self, group: ParamGroup, uses_beta1: bool) -> None:
        self.group = group
        self.uses_beta1 = uses_beta1
        self.key = "betas" if uses_beta1 else "momentum"
        self.state_key = BETA1_KEY if uses_beta1 else MOMENTUM_KEY
        if self.key not in group.entries:  # the first scheduler on this optimizer
            current = shortest_decimal(group.optimizer.state[self.state_key].item())
            self._store(current, getattr(group.optimizer, "betas", ()))

    def _store(self, value: float, betas: Sequence[float]) -> None:
        """Store ``value`` as the group's momentum, or as its beta1 before ``betas[1:]``."""
        self.group.entries[self.key] = (value, *betas[1:]) if self.uses_beta1 else value

    def get(self) -> float:
        """The float64 value; one assigned to the optimizer by hand since is adopted (the
        shortest decimal of its float32, as for a hand-set LR)."""
        entry = self.group.entries[self.key]
        value = float(entry[0] if self.uses_beta1 else entry)
        current = self.group.optimizer.state[self.state_key].item()
        if current != _float32(value):
            value = shortest_decimal(current)
            self._store(value, getattr(self.group.optimizer, "betas", ()))
        return value

    def set(self, value: float) -> None:
        """Store the float64 ``value`` and write its float32 rounding to the optimizer."""
        group = self.group
        entries = group.entries
        entries[self.key] = (value, *entries["betas"][1:]) if self.uses_beta1 else value
        group.optimizer.state[self.state_key] = mx.array(value, mx.float32)


def _momentum_kinds(groups: Sequence[ParamGroup]) -> list[bool]:
    """For each group, True if its optimizer has ``betas``, False for ``momentum``; changes
    nothing.

    Raises:
        ValueError: a group's optimizer has neither (torch's message, naming the group and
            its optimizer), or a plain MLX optimizer's values cannot be converted.
        TypeError: a group's optimizer has no counterpart in ``mlx_lr_scheduler.optimizers``,
            or its momentum already follows a schedule function.
    """
    kinds = []
    for i, group in enumerate(groups):
        optimizer = group.optimizer
        name = type(optimizer).__qualname__
        has_betas = hasattr(optimizer, "betas")
        if not (has_betas or hasattr(optimizer, "momentum")):
            raise ValueError(
                "optimizer must support momentum or beta1 with `cycle_momentum` option enabled: "
                f"parameter group {i} ({name}) has neither `momentum` nor `betas`; pass "
                "cycle_momentum=False"
            )
        if optimizers.counterpart(optimizer) is None:
            raise TypeError(
                f"cycle_momentum needs the momentum in the optimizer's state (a compiled step "
                f"bakes a Python attribute in), but parameter group {i} is a {name}, which "
                "keeps it in a Python attribute and has no counterpart in "
                "mlx_lr_scheduler.optimizers: build it from mlx_lr_scheduler.optimizers "
                f"(e.g. a subclass of mlx_lr_scheduler.optimizers.{_mlx_base_name(optimizer)}), "
                "or pass cycle_momentum=False"
            )
        if (BETA1_KEY if has_betas else MOMENTUM_KEY) in optimizer._schedulers:
            raise TypeError(
                f"optimizer (parameter group {i}, {name}) already takes its "
                f"{'betas[0]' if has_betas else 'momentum'} from a schedule function; build "
                "it with a number to cycle it with a scheduler, or pass cycle_momentum=False"
            )
        kinds.append(has_betas)
    return kinds


def _mlx_base_name(optimizer: Any) -> str:
    for cls in type(optimizer).__mro__:
        if cls.__module__.startswith("mlx.optimizers") and cls.__name__ != "Optimizer":
            return cls.__name__
    return "SGD"


def _check_betas(name: str, value: Any) -> tuple[float, ...]:
    if not isinstance(value, (list, tuple)) or len(value) < 1:
        raise TypeError(f"{name} must be a list of betas, but got {value!r}")
    return tuple(check_momentum(f"{name}[{i}]", beta) for i, beta in enumerate(value))


@contextmanager
def restore_groups_on_failure(groups: Sequence[ParamGroup]) -> Iterator[None]:
    """Undo every change to the groups (LR, entries, scheduled momentum, a conversion of
    the optimizer) if the body raises.

    A constructor that fails halfway (e.g. a user's ``scale_fn`` raising on the
    initial step) leaves the optimizer as it found it.
    """
    saved = [
        (
            dict(group),
            {key: group.optimizer.state.get(key) for key in _STATE_KEYS},
            type(group.optimizer),
            {key: value for key, value in vars(group.optimizer).items() if key in _ATTRIBUTES},
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
            group.update(entries)
            for key, array in arrays.items():
                if array is None:
                    optimizer.state.pop(key, None)
                else:
                    optimizer.state[key] = array
            if type(optimizer) is not cls:  # converted by the failed constructor: undo
                optimizer.__class__ = cls
                for key in _ATTRIBUTES:
                    optimizer.__dict__.pop(key, None)
                optimizer.__dict__.update(attributes)
        raise


def _check_use_beta1(owner: str, value: Any, kinds: Sequence[bool]) -> None:
    """A loaded ``use_beta1`` (one bool, or one per group) must describe the optimizers
    this scheduler is bound to."""
    loaded = [value] * len(kinds) if isinstance(value, bool) else value
    if not isinstance(loaded, (list, tuple)) or [type(v) for v in loaded] != [bool] * len(kinds):
        raise TypeError(
            f"use_beta1 must be a bool or one bool per parameter group, but got {value!r}"
        )
    if list(loaded) != list(kinds):
        raise ValueError(
            f"{owner} state_dict has use_beta1={value!r}, but this scheduler's optimizer "
            f"cycles {['betas[0]' if b else 'momentum' for b in kinds]}: "
            "was it saved with another kind of optimizer?"
        )


class MomentumCycling(LRScheduler):
    """The base of ``CyclicLR`` and ``OneCycleLR``: the momentum cycled with the LR.

    A subclass keeps its schedule math (``_lr_and_momentum``) and its own state fields.
    This class writes the LRs and momenta of a step (all or nothing), binds the groups
    (:meth:`_start`), and carries the momentum in the state: ``use_beta1``
    (torch's) and, under ``"param_groups"``, each group's bounds and current momentum,
    which torch keeps in its optimizer. What differs is declared:

    * ``_group_entries``: the group LR entries carried in those per-group records
      (``OneCycleLR``'s ``initial_lr``, ``max_lr``, ``min_lr``); with none, the records
      exist only while momentum cycles;
    * ``_momentum_bound_keys``: state keys holding the momentum bounds, one value per
      group, and the group entry each one sets (``CyclicLR``'s ``base_momentums``
      and ``max_momentums``);
    * ``_check_schedule_state(checked)``: the subclass's own checks of a state.

    The loaded state decides whether momentum cycles (as in torch, whatever the
    scheduler was built with); the optimizer decides which kind.
    """

    _group_entries: ClassVar[tuple[str, ...]] = ()
    _momentum_bound_keys: ClassVar[Mapping[str, str]] = {}

    cycle_momentum: bool
    use_beta1: bool | list[bool]
    _momenta: list[ScheduledMomentum]
    _pending_momenta: list[float] | None = None

    def _lr_and_momentum(self, index: int) -> tuple[float, float | None]:
        """torch's arithmetic for group ``index`` at ``last_epoch``: its LR and, with
        ``cycle_momentum``, its momentum (else None). Each subclass states it here once."""
        raise NotImplementedError

    def get_lr(self) -> list[float]:
        """Each group's LR at ``last_epoch``; the momenta of the same step are left in
        ``_pending_momenta`` for ``_set_lrs`` to write with them."""
        if not self._in_step:
            self._warn_if_outside_step()
        lrs, momenta = [], []
        for index in range(len(self.param_groups)):
            lr, momentum = self._lr_and_momentum(index)
            lrs.append(lr)
            momenta.append(momentum)
        if self.cycle_momentum:
            self._pending_momenta = cast(list[float], momenta)
        return lrs

    def _bind_momenta(self) -> None:
        """Bind each group's momentum (or beta1) to its optimizer state, converting plain
        MLX optimizers once all are checked (:func:`_momentum_kinds`)."""
        kinds = _momentum_kinds(self.param_groups)
        for group in self.param_groups:
            optimizers.convert(group.optimizer)
        self._momenta = [ScheduledMomentum(g, b) for g, b in zip(self.param_groups, kinds)]
        # torch's use_beta1: one bool, or one per group when a MultiOptimizer mixes kinds.
        self.use_beta1 = kinds[0] if len(set(kinds)) == 1 else kinds

    def _start(
        self,
        optimizer: Any,
        last_epoch: Any,
        fresh: Sequence[Mapping[str, float]],
        bounds: tuple[Sequence[float], Sequence[float]] | None,
        needed: tuple[str, ...],
    ) -> None:
        """Once the subclass checked its arguments: check ``last_epoch`` (resuming needs the
        group entries ``needed``), then, all or nothing, set the groups' ``fresh`` entries
        and (``bounds``: base and max momentums, with ``cycle_momentum``) bind their
        momentum, at ``max_momentum`` on a fresh start, and take the initial step."""
        last_epoch = LAST_EPOCH.check("last_epoch", last_epoch)
        groups = self.param_groups
        for i, group in enumerate(groups if last_epoch != -1 else ()):
            missing = [key for key in needed if key not in group]
            if missing:  # resuming needs the entries an earlier scheduler set
                raise missing_group_entry(missing[0], i, last_epoch)
        with restore_groups_on_failure(groups):
            if last_epoch == -1:
                for group, entries in zip(groups, fresh):
                    group.update(entries)
            if bounds is not None:
                self._bind_momenta()
                for momentum, low, high in zip(self._momenta, *bounds):
                    if last_epoch == -1:
                        momentum.set(high)
                        momentum.group.update(max_momentum=high, base_momentum=low)
            LRScheduler.__init__(self, optimizer, last_epoch)

    def _set_lrs(self, values: Any) -> None:
        # The momenta computed with the LRs are written with them, all or nothing.
        momenta, self._pending_momenta = self._pending_momenta, None
        if momenta is not None:
            for i, value in enumerate(momenta):  # refused before anything is written
                if not 0.0 <= value < 1.0:  # NaN and inf included
                    raise ValueError(
                        f"{type(self).__name__} computed momentum {value!r} for parameter "
                        f"group {i} at epoch {self.last_epoch}; momentum must be in [0, 1)"
                    )
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
        (the LR entries, then the momentum bounds and current momentum)."""
        state = super().state_dict()
        records = [{key: group[key] for key in self._group_entries} for group in self.param_groups]
        if self.cycle_momentum:
            state["use_beta1"] = self.use_beta1
            for key in self._momentum_bound_keys:
                state[key] = list(getattr(self, key))
            for record, momentum in zip(records, self._momenta):
                record.update({bound: momentum.group[bound] for bound in _BOUNDS})
                value: Any = momentum.get()
                if momentum.uses_beta1:
                    value = [value, *momentum.group.optimizer.betas[1:]]
                record[momentum.key] = value
        if self.cycle_momentum or self._group_entries:
            state[_GROUPS_KEY] = records
        return state

    def _check_schedule_state(self, checked: dict[str, Any]) -> None:
        """The subclass's checks of its own fields of a state (already converted)."""

    def _check_state(self, state_dict: Any) -> dict[str, Any]:
        if not isinstance(state_dict, Mapping):
            return super()._check_state(state_dict)  # refuses it, naming the class
        owner = type(self).__name__
        rest = dict(state_dict)
        momentum_keys = ("use_beta1", *self._momentum_bound_keys)
        extras = {key: rest.pop(key) for key in momentum_keys if key in rest}
        has_records = _GROUPS_KEY in rest
        records = rest.pop(_GROUPS_KEY, None)
        checked = super()._check_state(rest)
        self._check_schedule_state(checked)
        n_groups = len(self.param_groups)
        kinds: list[bool | None] = [None] * n_groups
        if not checked["cycle_momentum"]:
            if has_records and not self._group_entries:  # the records are momentum's
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
            kinds = list(_momentum_kinds(self.param_groups))
            _check_use_beta1(owner, extras["use_beta1"], cast(list[bool], kinds))
            for key in self._momentum_bound_keys:
                bounds = extras[key]
                if not isinstance(bounds, (list, tuple)):
                    raise TypeError(f"{key} must be a list of numbers, but got {bounds!r}")
                checked[key] = per_group(key, bounds, n_groups, check_momentum)
            if not has_records:
                torch_state.check_momentum_without_records(self)
        if has_records:
            checked[_GROUPS_KEY] = self._check_records(records, kinds)
        return checked

    def _check_records(self, records: Any, kinds: Sequence[bool | None]) -> list[dict[str, Any]]:
        """Check the per-group records: the LR entries and, given the groups' momentum
        ``kinds`` (see :func:`_momentum_kinds`), the momentum entries; changes nothing."""
        if not isinstance(records, (list, tuple)):
            raise TypeError(f"{_GROUPS_KEY} must be a list of per-group dicts, but got {records!r}")
        if len(records) != len(kinds):
            raise ValueError(
                f"{_GROUPS_KEY} must have one entry per parameter group ({len(kinds)}), but got "
                f"{len(records)}"
            )
        checked = []
        for i, (record, uses_beta1) in enumerate(zip(records, kinds)):
            name = f"{_GROUPS_KEY}[{i}]"
            checks: dict[str, Callable[[str, Any], Any]]
            checks = dict.fromkeys(self._group_entries, LOADED_LR.check)
            if uses_beta1 is not None:  # the bounds and the current momentum, or betas
                checks |= dict.fromkeys(_BOUNDS, check_momentum)
                checks["betas" if uses_beta1 else "momentum"] = (
                    _check_betas if uses_beta1 else check_momentum
                )
            if not isinstance(record, Mapping):
                raise TypeError(f"{name} must be a dict, but got {record!r}")
            if set(record) != set(checks):
                raise ValueError(
                    f"{name} must have the keys {sorted(checks)}, but got {sorted(record)}"
                )
            checked.append({k: check(f"{name}[{k!r}]", record[k]) for k, check in checks.items()})
        return checked

    def _apply_state(self, checked: dict[str, Any]) -> None:
        records = checked.pop(_GROUPS_KEY, None)
        was_cycling = self.cycle_momentum
        super()._apply_state(checked)
        if self.cycle_momentum and not was_cycling:  # loading a state that cycles: bind now
            self._bind_momenta()
        if records is None:
            if self.cycle_momentum:
                torch_state.restore_momentum_without_records(self)
            return
        for group, record in zip(self.param_groups, records):
            group.update({key: record[key] for key in self._group_entries})
        if self.cycle_momentum:
            for record, momentum in zip(records, self._momenta):
                momentum.group.update({bound: record[bound] for bound in _BOUNDS})
                # beta2 is the optimizer's own hyperparameter: only beta1 is scheduled.
                momentum.set(record[momentum.key][0] if momentum.uses_beta1 else record["momentum"])
