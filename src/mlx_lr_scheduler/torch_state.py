"""Loading torch 2.13's scheduler ``state_dict()``: every difference from ours, in one place.

Our ``state_dict()`` uses torch's keys and adds a class tag (``"scheduler"``) and, where
torch keeps values in its optimizer's param groups, a ``"param_groups"`` record. A state
without the tag is torch's (or ours with the tag taken off): :func:`from_torch_state`
turns it into ours, then it is checked like any other. What it converts:

* torch's private flags (``_is_initial``, ``_get_lr_called_within_step``,
  ``_scale_fn_ref``), which carry no state, are dropped;
* a composite's ``_step_count`` (torch writes it when the composite is the first
  scheduler of a ``SequentialLR``) is dropped, and each nested state in
  ``_schedulers`` is converted for the child it belongs to;
* ``MultiStepLR.milestones``, torch's ``Counter`` ``{epoch: count}`` (its keys strings
  after JSON), becomes our sorted list with repeats;
* ``SWALR``'s ``swa_lr``, which torch keeps in its optimizer's param groups, is taken
  from the groups of the scheduler loading it;
* ``ReduceLROnPlateau``'s ``best`` and ``mode_worse``, ``inf`` in torch, load as they are;
* the modern schedules (``WarmupStableDecayLR``, ...) load the state of transformers'
  ``LambdaLR`` they reproduce: its ``lr_lambdas`` is dropped, their arguments are their own;
* a custom subclass's state is its ``__dict__``: its private attributes cannot be told
  from torch's own and are dropped; its public ones load (see ``LRScheduler.state_dict``).

``CyclicLR`` and ``OneCycleLR`` (:class:`~mlx_lr_scheduler.momentum.MomentumCycling`)
keep their momentum bounds and entries in the groups too: without the record, the
entries already in the groups stay and the momentum is recomputed at ``last_epoch``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mlx_lr_scheduler.state import CLASS_KEY
from mlx_lr_scheduler.validation import check_int

__all__ = ["TORCH_PRIVATE_KEYS", "from_torch_state", "is_torch_state"]

#: torch writes these private flags into its state dicts; they carry no state.
TORCH_PRIVATE_KEYS = frozenset({"_is_initial", "_get_lr_called_within_step", "_scale_fn_ref"})


def is_torch_state(state: Any) -> bool:
    """True for a state without our class tag (torch's, or ours with the tag removed)."""
    return isinstance(state, Mapping) and CLASS_KEY not in state


def _milestone_key(key: Any) -> int:
    # A torch Counter that went through JSON has its integer keys as strings.
    if isinstance(key, str):
        try:
            key = int(key)
        except ValueError:
            raise ValueError(f"milestones keys must be integers >= 0, but got {key!r}") from None
    return check_int("milestones key", key, minimum=0)


def _multi_step(scheduler: Any, state: dict[str, Any]) -> None:
    counts = state.get("milestones")
    if isinstance(counts, Mapping):
        milestones = []
        for key, count in counts.items():
            count = check_int(f"milestones[{key!r}]", count, minimum=1)
            milestones += [_milestone_key(key)] * count
        state["milestones"] = sorted(milestones)


def _swa(scheduler: Any, state: dict[str, Any]) -> None:
    state.setdefault("param_groups", [{"swa_lr": value} for value in scheduler.swa_lrs])


def _composite(scheduler: Any, state: dict[str, Any]) -> None:
    state.pop("_step_count", None)
    children = state.get("_schedulers")
    if isinstance(children, (list, tuple)) and len(children) == len(scheduler._schedulers):
        state["_schedulers"] = [
            from_torch_state(child, child_state) if is_torch_state(child_state) else child_state
            for child, child_state in zip(scheduler._schedulers, children)
        ]


def _transformers_lambda(scheduler: Any, state: dict[str, Any]) -> None:
    # transformers' schedules are torch LambdaLRs: their state has the epoch and LRs, and a
    # lr_lambdas entry ([None]: a functools.partial saves nothing); the arguments are the
    # scheduler's own (as a LambdaLR loading a state keeps its lambda).
    state.pop("lr_lambdas", None)
    for key in scheduler._state_schema:
        if key not in state and not key.startswith("_") and key not in ("base_lrs", "last_epoch"):
            state[key] = scheduler.state_dict()[key]


#: Per class (and its subclasses), by name: what else its torch state needs.
_HOOKS: dict[str, Callable[[Any, dict[str, Any]], None]] = {
    "MultiStepLR": _multi_step,
    "SWALR": _swa,
    "_Composite": _composite,
    # The modern schedules load the state of the transformers LambdaLR they reproduce.
    "WarmupStableDecayLR": _transformers_lambda,
    "InverseSqrtLR": _transformers_lambda,
    "WarmupCosineLR": _transformers_lambda,
    "WarmupPolynomialLR": _transformers_lambda,
}


def from_torch_state(scheduler: Any, state: Mapping[str, Any]) -> dict[str, Any]:
    """Our form of torch's ``state`` for ``scheduler``; checks only what it converts.

    The result is then checked as our own states are (``load_state_dict``).
    """
    ours = {key: value for key, value in state.items() if key not in TORCH_PRIVATE_KEYS}
    if type(scheduler).__module__.split(".")[0] != __package__:
        # A custom subclass: torch saved its whole __dict__, private attributes included,
        # which cannot be told from torch's own; ours keeps (and loads) the public ones.
        keep = {*scheduler._state_schema, "_schedulers"}
        ours = {key: value for key, value in ours.items() if not key.startswith("_") or key in keep}
    for cls in type(scheduler).__mro__:
        hook = _HOOKS.get(cls.__name__)
        if hook is not None:
            hook(scheduler, ours)
    return ours
