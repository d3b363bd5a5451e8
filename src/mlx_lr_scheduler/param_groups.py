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
  break bit-exact parity), stored with the other per-group entries
  (``initial_lr``, ``max_lr``, ...) in a dict attached to the MLX optimizer, so
  every scheduler bound to that optimizer shares it, as in torch;
* the **float32 scalar** ``optimizer.state["learning_rate"]`` that the optimizer
  (and a compiled train step that takes the optimizer state as input) reads.
  We replace that entry in place, with the same dtype and shape, so a compiled
  step sees each change without retracing.

An LR set by hand (``optimizer.learning_rate = 0.05``) is noticed the next
time a scheduler reads the group: the float32 value in the state no longer
matches the one we wrote, so the group adopts it, as torch continues from a
hand-set ``group["lr"]``. The float64 value adopted is the shortest decimal
that rounds to that float32 (``0.05``, not ``0.05000000074505806``): the
number the user typed.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator, MutableMapping
from typing import Any

import mlx.core as mx
import mlx.optimizers as optim

__all__ = ["ParamGroup", "param_groups"]

# Name of the attribute holding an MLX optimizer's ParamGroup.
GROUP_ATTRIBUTE = "_lr_scheduler_param_group"
_FLOAT32 = mx.float32
_OPTIMIZER_STATE = optim.Optimizer.__dict__["state"]


def _round_to_float32(value: float) -> float:
    return float(struct.unpack("f", struct.pack("f", value))[0])


def float64_from_float32(value32: float) -> float:
    """The shortest decimal (as a float64) that rounds to the float32 ``value32``."""
    if not math.isfinite(value32) or value32 == 0.0:
        return value32
    for digits in range(6, 10):
        candidate = float(f"{value32:.{digits}g}")
        if _round_to_float32(candidate) == value32:
            return candidate
    return value32


class ParamGroup(MutableMapping[str, Any]):
    """torch's ``param_group`` dict for one MLX optimizer.

    There is one per MLX optimizer, shared by every scheduler bound to it (as
    torch's schedulers share ``optimizer.param_groups``). ``group["lr"]`` reads
    and writes the optimizer's learning rate as described in the module
    docstring; every other key (``"initial_lr"``, ``"max_lr"``, ...) is plain
    per-group data.
    """

    __slots__ = ("_direct_state", "_lr", "_written", "entries", "optimizer")

    def __init__(self, optimizer: optim.Optimizer) -> None:
        self.optimizer = optimizer
        # MLX's ``Optimizer.state`` property returns ``optimizer._state``; reading the
        # attribute saves a property call twice per step. An optimizer class with its
        # own ``state`` is read through it.
        self._direct_state = type(optimizer).state is _OPTIMIZER_STATE and hasattr(
            optimizer, "_state"
        )
        #: Every entry but ``"lr"`` (plain data): a schedule's per-step reads go here directly.
        self.entries: dict[str, Any] = {}
        self._written: Any = None  # the array we last put in the optimizer state
        self._lr = 0.0
        self._adopt(optimizer.state["learning_rate"])

    # -- the learning rate -------------------------------------------------
    def get_lr(self) -> float:
        """The group's float64 learning rate, adopting a value set by hand."""
        optimizer = self.optimizer
        state = optimizer._state if self._direct_state else optimizer.state
        current = state["learning_rate"]
        if current is not self._written:
            self._adopt(current)
        return self._lr

    def _adopt(self, current: Any) -> None:
        # The state holds an array we did not write: a compiled step's pass-through
        # copy of ours (same value), or an LR set by hand (adopt it).
        value32 = current.item()
        if self._written is None or value32 != self._written.item():
            self._lr = float64_from_float32(value32)
        self._written = current

    def set_lr(self, value: float) -> None:
        """Set the float64 value and write its float32 rounding to the optimizer state."""
        optimizer = self.optimizer
        state = optimizer._state if self._direct_state else optimizer.state
        if value == self._lr and state["learning_rate"] is self._written:
            return  # the state already holds exactly this (most steps of a step decay)
        array = mx.array(value, _FLOAT32)
        state["learning_rate"] = array
        self._lr = value
        self._written = array

    def write_scalar(self, key: str, value: float) -> None:
        """Store ``value`` as a float32 scalar at ``optimizer.state[key]`` (a scheduled
        momentum or beta1, read by a compiled step like the learning rate)."""
        optimizer = self.optimizer
        state = optimizer._state if self._direct_state else optimizer.state
        state[key] = mx.array(value, _FLOAT32)

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

    def __repr__(self) -> str:
        return f"ParamGroup({type(self.optimizer).__name__}, {dict(self)!r})"


def _leaf_optimizers(optimizer: optim.Optimizer) -> list[optim.Optimizer]:
    if isinstance(optimizer, optim.MultiOptimizer):
        return [leaf for sub in optimizer.optimizers for leaf in _leaf_optimizers(sub)]
    return [optimizer]


def _group_of(optimizer: optim.Optimizer) -> ParamGroup:
    group = optimizer.__dict__.get(GROUP_ATTRIBUTE)
    if group is None:
        group = ParamGroup(optimizer)
        setattr(optimizer, GROUP_ATTRIBUTE, group)
    return group  # type: ignore[no-any-return]


def param_groups(optimizer: Any) -> list[ParamGroup]:
    """The parameter groups of an MLX optimizer, checked for use by a scheduler.

    Raises:
        TypeError: ``optimizer`` is not an ``mlx.optimizers.Optimizer``, or its
            learning rate is already driven by a schedule function.
        ValueError: an optimizer's current learning rate is negative or not finite.
    """
    if not isinstance(optimizer, optim.Optimizer):
        raise TypeError(
            f"optimizer must be an mlx.optimizers.Optimizer, but got {type(optimizer).__name__}"
        )
    leaves = _leaf_optimizers(optimizer)
    for i, leaf in enumerate(leaves):
        if "learning_rate" in getattr(leaf, "_schedulers", {}):
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
    groups = [_group_of(leaf) for leaf in leaves]
    for i, group in enumerate(groups):
        lr = group.get_lr()
        if not (math.isfinite(lr) and lr >= 0.0):
            raise ValueError(
                f"optimizer learning rate (parameter group {i}) must be finite and >= 0, "
                f"but got {lr!r}"
            )
    return groups
