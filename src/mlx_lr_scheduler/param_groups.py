"""The binding between torch's parameter groups and MLX optimizers.

torch schedulers read and write ``group["lr"]`` for each of
``optimizer.param_groups``. In MLX:

* an :class:`mlx.optimizers.Optimizer` is **one** parameter group;
* a :class:`mlx.optimizers.MultiOptimizer` is one group per sub-optimizer, in
  order (nested ones are flattened). Its own ``learning_rate`` property reads
  only the first sub-optimizer and its setter overwrites all, so we never use
  it.

Each group keeps its learning rate twice:

* the **float64 value** the chainable formulas continue from (torch keeps a
  Python float in ``group["lr"]``; rounding it to float32 between steps would
  break bit-exact parity), kept with the other per-group entries
  (``initial_lr``, ``max_lr``, ...) in a :class:`GroupRecord` attached to the MLX
  optimizer, so every scheduler bound to that optimizer shares them, as in torch;
* the **array** ``optimizer.state["learning_rate"]`` that the optimizer (and a
  compiled train step that takes the optimizer state as input) reads. We
  replace that entry in place, keeping the dtype and shape the optimizer was
  built with (a float32 scalar for ``learning_rate=0.1``), so a compiled step
  sees each change without retracing. An integer learning rate
  (``learning_rate=1``) becomes a float32 scalar at the first write.

An LR set by hand (``optimizer.learning_rate = 0.05``) is noticed the next
time a scheduler reads the group: the value in the state no longer matches
the one we wrote, so the group adopts it, as torch continues from a hand-set
``group["lr"]``. The float64 value adopted is the shortest decimal that rounds
to the stored value (``0.05``, not ``0.05000000074505806``): the number the user
typed.

The record attached to the optimizer holds no reference back to it, so an
optimizer and its state are freed by reference counting as soon as the last
scheduler and user reference are gone.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, MutableMapping
from typing import Any

import mlx.core as mx
import mlx.optimizers as optim

__all__ = ["GroupRecord", "ParamGroup", "param_groups", "shortest_decimal"]

# Name of the attribute holding an MLX optimizer's GroupRecord.
RECORD_ATTRIBUTE = "_lr_scheduler_group"
_FLOAT32 = mx.float32

#: Significant digits each floating dtype always keeps: a decimal typed with this
#: many digits comes back unchanged from :func:`shortest_decimal`.
_DIGITS = {mx.float16: 3, mx.bfloat16: 2, mx.float32: 6}
#: The largest finite value of each dtype a learning rate may take (from here up it
#: rounds to inf).
_LIMITS = {
    mx.float16: 65520.0,
    mx.bfloat16: 2.0**128 - 2.0**119,
    mx.float32: 2.0**128 - 2.0**103,
}


def shortest_decimal(value: float, dtype: Any = _FLOAT32) -> float:
    """The shortest decimal (as a float64) that rounds to ``value`` in ``dtype``."""
    start = _DIGITS.get(dtype)
    if start is None or not math.isfinite(value) or value == 0.0:
        return value
    for digits in range(start, 18):
        candidate = float(f"{value:.{digits}g}")
        if mx.array(candidate, dtype).item() == value:
            return candidate
    return value


class GroupRecord:
    """What torch keeps in one ``param_group``, attached to an MLX optimizer.

    ``entries`` holds every key but ``"lr"`` (``initial_lr``, ``max_lr``, ...);
    ``lr`` is the float64 learning rate and ``written`` the array we last put in
    the optimizer's state (``None`` before the first read). ``dtype`` and ``shape``
    are those of the optimizer's learning rate; ``limit`` the largest LR it holds.
    """

    __slots__ = ("dtype", "entries", "limit", "lr", "shape", "written")

    def __init__(self) -> None:
        self.entries: dict[str, Any] = {}
        self.lr = 0.0
        self.written: Any = None
        self.dtype: Any = _FLOAT32
        self.shape: tuple[int, ...] = ()
        self.limit = _LIMITS[_FLOAT32]

    def __getstate__(self) -> dict[str, Any]:
        state = {key: getattr(self, key) for key in self.__slots__}
        state["dtype"] = str(self.dtype).rsplit(".", 1)[-1]  # an mx.Dtype does not pickle
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            setattr(self, key, getattr(mx, value) if key == "dtype" else value)


class ParamGroup(MutableMapping[str, Any]):
    """torch's ``param_group`` dict for one MLX optimizer.

    A view over the optimizer's :class:`GroupRecord`, shared by every scheduler
    bound to it (as torch's schedulers share ``optimizer.param_groups``).
    ``group["lr"]`` reads and writes the optimizer's learning rate as described
    in the module docstring; every other key (``"initial_lr"``, ``"max_lr"``, ...)
    is plain per-group data, also reachable directly as ``group.entries``.
    """

    __slots__ = ("entries", "optimizer", "record")

    def __init__(self, optimizer: optim.Optimizer, record: GroupRecord) -> None:
        self.optimizer = optimizer
        self.record = record
        self.entries = record.entries

    # -- the learning rate -------------------------------------------------
    def get_lr(self) -> float:
        """The group's float64 learning rate, adopting a value set by hand."""
        record = self.record
        current = self.optimizer.state["learning_rate"]
        if current is not record.written:
            _adopt(record, current)
        return record.lr

    def set_lr(self, value: float) -> None:
        """Set the float64 value and write its rounding to the optimizer state."""
        record = self.record
        state = self.optimizer.state
        if value == record.lr and state["learning_rate"] is record.written:
            return  # the state already holds exactly this (most steps of a step decay)
        if record.shape:
            array = mx.full(record.shape, value, record.dtype)
        else:
            array = mx.array(value, record.dtype)
        state["learning_rate"] = record.written = array
        record.lr = value

    @property
    def lr_limit(self) -> float:
        """The learning rates this group can hold are below this (past it: inf)."""
        return self.record.limit

    @property
    def lr_dtype_name(self) -> str:
        """The name of the dtype the optimizer holds the learning rate in."""
        return str(self.record.dtype).rsplit(".", 1)[-1]

    # -- mapping protocol ----------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        if key == "lr":
            return self.get_lr()
        return self.entries[key]

    def __setitem__(self, key: str, value: Any) -> None:
        if key == "lr":
            self.set_lr(value)
        else:
            self.entries[key] = value

    def __delitem__(self, key: str) -> None:
        if key == "lr":
            raise KeyError("the learning rate of a parameter group cannot be deleted")
        del self.entries[key]

    def __iter__(self) -> Iterator[str]:
        yield "lr"
        yield from self.entries

    def __len__(self) -> int:
        return 1 + len(self.entries)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ParamGroup):
            return self.record is other.record
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ParamGroup({type(self.optimizer).__name__}, {dict(self)!r})"


def _check_lr_array(current: Any) -> None:
    if not isinstance(current, mx.array) or current.size != 1:
        shape = getattr(current, "shape", None)
        raise ValueError(
            "optimizer learning_rate must be one number (a float, or an mx.array of one "
            f"element), but got {type(current).__name__} of shape {shape}"
        )


def _adopt(record: GroupRecord, current: Any) -> None:
    """Take the optimizer's learning rate ``current``, an array we did not write: a
    compiled step's pass-through copy of ours (same value), or an LR set by hand."""
    _check_lr_array(current)
    if mx.issubdtype(current.dtype, mx.floating):
        record.dtype = current.dtype
        record.shape = tuple(current.shape)
        record.limit = _LIMITS.get(current.dtype, math.inf)
    value = float(current.item())
    if record.written is None or value != record.written.item():
        record.lr = shortest_decimal(value, record.dtype)
    record.written = current


def _leaf_optimizers(optimizer: optim.Optimizer) -> list[optim.Optimizer]:
    if isinstance(optimizer, optim.MultiOptimizer):
        return [leaf for sub in optimizer.optimizers for leaf in _leaf_optimizers(sub)]
    return [optimizer]


def group_of(optimizer: optim.Optimizer) -> ParamGroup:
    """The parameter group of a single (leaf) MLX optimizer, created on first use."""
    record = vars(optimizer).get(RECORD_ATTRIBUTE)
    if record is None:
        record = GroupRecord()
        setattr(optimizer, RECORD_ATTRIBUTE, record)
    return ParamGroup(optimizer, record)


def _takes_lr_from_schedule(optimizer: optim.Optimizer) -> bool:
    # MLX keeps the schedule functions given to an optimizer in ``_schedulers`` and
    # has no public way to ask for them: this is the one private attribute we read.
    return "learning_rate" in vars(optimizer).get("_schedulers", {})


def param_groups(optimizer: Any) -> list[ParamGroup]:
    """The parameter groups of an MLX optimizer, checked for use by a scheduler.

    Raises:
        TypeError: ``optimizer`` is not an ``mlx.optimizers.Optimizer``, or its
            learning rate is already driven by a schedule function.
        ValueError: an optimizer's current learning rate is not one number, or is
            negative or not finite.
    """
    if not isinstance(optimizer, optim.Optimizer):
        raise TypeError(
            f"optimizer must be an mlx.optimizers.Optimizer, but got {type(optimizer).__name__}"
        )
    leaves = _leaf_optimizers(optimizer)
    for i, leaf in enumerate(leaves):
        if _takes_lr_from_schedule(leaf):
            raise TypeError(
                f"optimizer (parameter group {i}, {type(leaf).__name__}) already takes its "
                "learning_rate from a schedule function; build it with a float learning rate "
                "to drive it with a scheduler class, or use mlx_lr_scheduler.schedules instead"
            )
        if "learning_rate" not in leaf.state:
            raise TypeError(
                f"optimizer (parameter group {i}, {type(leaf).__name__}) has no learning_rate "
                "in its state"
            )
        _check_lr_array(leaf.state["learning_rate"])
    groups = [group_of(leaf) for leaf in leaves]
    for i, group in enumerate(groups):
        lr = group.get_lr()
        if not (math.isfinite(lr) and lr >= 0.0):
            raise ValueError(
                f"optimizer learning rate (parameter group {i}) must be finite and >= 0, "
                f"but got {lr!r}"
            )
    return groups
