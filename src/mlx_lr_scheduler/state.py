"""Named, checked scheduler state.

Every scheduler declares the fields of its ``state_dict()`` once, as a mapping
from torch's key name to a :class:`Field`. The same declaration drives
``state_dict()`` (plain JSON-serialisable data) and ``load_state_dict()``
(every value checked before anything changes). Keys follow torch 2.13's
``state_dict()`` so a torch scheduler's state can be loaded as it is.
"""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mlx_lr_scheduler.validation import (
    LOADED_LR,
    Arguments,
    Integer,
    Real,
    Spec,
)

__all__ = [
    "CLASS_KEY",
    "Field",
    "check_attributes",
    "check_state_dict",
    "field",
    "fields",
    "integer",
    "lr_list",
    "optional",
    "real",
]

#: Key naming the scheduler class in our state dicts (absent from torch's; optional on load).
CLASS_KEY = "scheduler"


@dataclass(frozen=True)
class Field:
    """One entry of a state dict.

    ``load(key, value, n_groups)`` checks a loaded value and returns it in the
    form the scheduler stores; ``dump(value)`` turns the stored value back
    into plain data.
    """

    load: Callable[[str, Any, int], Any]
    dump: Callable[[Any], Any] = copy.deepcopy


def field(spec: Spec) -> Field:
    """The state field of an argument spec: loaded values are checked as arguments are."""
    return Field(lambda key, value, _n: spec.check(key, value))


def fields(arguments: Arguments, *names: str) -> dict[str, Field]:
    """The state fields of a schedule's ``arguments`` ``names`` (same key as the argument)."""
    return {name: field(arguments[name]) for name in names}


def integer(minimum: int | None = None) -> Field:
    return field(Integer(minimum))


def real(**bounds: Any) -> Field:
    return field(Real(**bounds))


def optional(inner: Field) -> Field:
    return Field(
        lambda key, value, n: None if value is None else inner.load(key, value, n),
        lambda value: None if value is None else inner.dump(value),
    )


def lr_list() -> Field:
    """One learning rate per parameter group, each one an optimizer can hold (float32)."""

    def load(key: str, value: Any, n_groups: int) -> list[float]:
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"{key} must be a list of numbers, but got {type(value).__name__}")
        if len(value) != n_groups:
            raise ValueError(
                f"{key} must have one value per parameter group ({n_groups}), but got {len(value)}"
            )
        return [LOADED_LR.check(f"{key}[{i}]", item) for i, item in enumerate(value)]

    return Field(load, list)


def check_state_dict(
    owner: str, state: Any, schema: Mapping[str, Field], n_groups: int
) -> dict[str, Any]:
    """Check ``state`` against ``schema`` and return the converted values.

    Raises ``TypeError``/``ValueError`` naming the offending key; never
    changes anything, so a caller can apply the result all at once.
    """
    if not isinstance(state, Mapping):
        raise TypeError(f"{owner} state_dict must be a mapping, but got {type(state).__name__}")
    tag = state.get(CLASS_KEY)
    if tag is not None and tag != owner:
        raise ValueError(f"state_dict belongs to a {tag}, not a {owner}")
    unknown = sorted(set(state) - set(schema) - {CLASS_KEY})
    if unknown:
        raise ValueError(
            f"{owner} state_dict has unexpected keys {unknown}: is it another scheduler's state?"
        )
    missing = sorted(set(schema) - set(state))
    if missing:
        raise ValueError(f"{owner} state_dict is missing keys {missing}")
    return {key: entry.load(key, state[key], n_groups) for key, entry in schema.items()}


def _kind(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, numbers.Real):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, Mapping):
        return "a dict"
    return type(value).__name__


def check_attributes(key: str, current: Mapping[str, Any], saved: Any) -> dict[str, Any]:
    """Attributes to set on an object (a callable object's ``__dict__``, a subclass's own
    fields), checked against the ones it holds: each keeps its kind (a number stays a
    finite number, a string a string, ...); an attribute it holds as ``None`` takes any.

    Returns a copy to apply; changes nothing.
    """
    if not isinstance(saved, Mapping):
        raise TypeError(f"{key} must be a dict of attributes, but got {_kind(saved)}")
    checked = {}
    for name, value in saved.items():
        if not isinstance(name, str):
            raise TypeError(f"{key} attribute names must be strings, but got {name!r}")
        if name in current and current[name] is not None:
            expected, received = _kind(current[name]), _kind(value)
            if received != expected:
                raise TypeError(
                    f"{key}[{name!r}] must be {expected}, as the object's own "
                    f"{name} is, but got {value!r}"
                )
            if expected == "a number" and not math.isfinite(value):
                raise ValueError(f"{key}[{name!r}] must be a finite number, but got {value!r}")
        checked[name] = copy.deepcopy(value)
    return checked
