"""``LRScheduler``: the base of every torch-named scheduler.

The step convention, stated once: a scheduler is created at epoch 0 and sets
each group's learning rate to f(0); every ``step()`` advances ``last_epoch``
by one and sets f(last_epoch). The update made right after the k-th call to
``step()`` therefore uses f(k), exactly as in torch.

A custom subclass implements torch's chainable ``get_lr()`` (it may read the
current ``group["lr"]`` of each of ``self.param_groups``), as in torch. The
built-in classes state that formula once, for one group, in
``_chain_lr(lr, base_lr, index)``: the base ``get_lr()`` maps it over the groups,
and ``step()`` calls it directly for one group (the per-batch hot path). Where a
closed form exists, ``_get_closed_form_lr()`` serves ``step(epoch)``.
"""

from __future__ import annotations

import copy
import json
import warnings
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from mlx_lr_scheduler import state as st
from mlx_lr_scheduler import torch_state
from mlx_lr_scheduler.param_groups import ParamGroup, param_groups
from mlx_lr_scheduler.schedule_math import Schedule, check_step
from mlx_lr_scheduler.validation import check_int, missing_group_entry

__all__ = ["EPOCH_DEPRECATION_WARNING", "LR_LIMIT", "LRScheduler"]

# The optimizer holds each LR as a float32: from here up it would round to inf there.
LR_LIMIT = 2.0**128 - 2.0**103

EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being "
    "deprecated where possible. Please use `scheduler.step()` to step the "
    "scheduler. During the deprecation, if epoch is different from None, the "
    "closed form is used instead of the new chainable form, where available. "
    "Please open an issue if you are unable to replicate your use case: "
    "https://github.com/pytorch/pytorch/issues/new/choose."
)

_GET_LR_OUTSIDE_STEP = (
    "To get the last learning rate computed by the scheduler, please use `get_last_lr()`."
)
_STEP_BEFORE_OPTIMIZER = (
    "Detected call of `lr_scheduler.step()` before `optimizer.update()`. The "
    "scheduler's first value is meant for the first update; stepping the "
    "scheduler first skips it. Call `optimizer.update()` (or your train step) "
    "before `lr_scheduler.step()`."
)


class LRScheduler:
    """Base class of the schedulers: torch's ``LRScheduler`` on an MLX optimizer.

    Args:
        optimizer: an ``mlx.optimizers.Optimizer`` (one parameter group) or a
            ``MultiOptimizer`` (one group per sub-optimizer).
        last_epoch: index of the last epoch, ``-1`` for a fresh start. Any other
            value resumes, and needs each group's ``initial_lr``, set by an
            earlier scheduler on the same optimizer (as in torch).

    Subclass it as in torch: implement ``get_lr()`` returning one float per
    group, reading ``self.last_epoch``, ``self.base_lrs`` and
    ``group["lr"] for group in self.param_groups``.

    Example:
        >>> import mlx.optimizers as optim
        >>> class Halving(LRScheduler):
        ...     def get_lr(self):
        ...         return [base / 2**self.last_epoch for base in self.base_lrs]
        >>> scheduler = Halving(optim.SGD(learning_rate=1.0))
        >>> scheduler.step(); scheduler.step()
        >>> scheduler.get_last_lr()
        [0.25]
    """

    #: The fields of ``state_dict()``, by torch's key names.
    _state_schema: ClassVar[dict[str, st.Field]] = {
        "base_lrs": st.lr_list(),
        # Not bounded below: a scheduler waiting in a SequentialLR nested first in
        # another sits at -2 (both SequentialLRs rewind it), in torch as here.
        "last_epoch": st.integer(),
        "_step_count": st.integer(minimum=0),
        "_last_lr": st.lr_list(),
    }

    optimizer: Any
    param_groups: list[ParamGroup]
    base_lrs: list[float]
    last_epoch: int
    _step_count: int
    _last_lr: list[float]
    _is_initial: bool = False
    _in_step: bool = False
    #: True for schedulers whose ``step()`` needs a metric (``ReduceLROnPlateau``);
    #: composites refuse them, as torch does.
    _steps_on_metric: ClassVar[bool] = False

    def __init__(self, optimizer: Any, last_epoch: int = -1) -> None:
        groups = self._bind(optimizer)
        last_epoch = check_int("last_epoch", last_epoch, minimum=-1)
        if last_epoch == -1:
            for group in groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(groups):
                if "initial_lr" not in group:
                    raise missing_group_entry("initial_lr", i, last_epoch)
        self.base_lrs = [group["initial_lr"] for group in groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _bind(self, optimizer: Any) -> list[ParamGroup]:
        """Attach the optimizer's parameter groups (once; subclasses may bind early)."""
        if getattr(self, "optimizer", None) is not optimizer or not hasattr(self, "param_groups"):
            self.param_groups = param_groups(optimizer)
            self.optimizer = optimizer
        return self.param_groups

    def _initial_step(self) -> None:
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    # -- stepping ------------------------------------------------------------
    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch (or jump to ``epoch``, deprecated) and set the new LRs."""
        if epoch is not None:
            epoch = self._check_epoch(epoch)
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        if self._step_count == 1:
            self._warn_if_optimizer_not_updated()
        self._step_count += 1
        try:
            self._update_lr(epoch)
        except BaseException:
            self._step_count -= 1
            raise

    def _check_epoch(self, epoch: Any) -> Any:
        return check_int("epoch", epoch, minimum=0)

    def _warn_if_optimizer_not_updated(self) -> None:
        if self.param_groups[0].optimizer.state["step"].item() == 0:
            warnings.warn(_STEP_BEFORE_OPTIMIZER, UserWarning, stacklevel=3)

    def _update_lr(self, epoch: int | None = None) -> None:
        """Move to the next epoch (or to ``epoch``, closed form) and set its LRs, all or nothing."""
        previous_epoch = self.last_epoch
        self._in_step = True
        try:
            if epoch is None:
                self.last_epoch = previous_epoch + 1
                values = self.get_lr()
            else:
                self.last_epoch = epoch
                closed_form = getattr(self, "_get_closed_form_lr", None)
                values = closed_form() if closed_form is not None else self.get_lr()
            self._set_lrs(values)
        except BaseException:
            self.last_epoch = previous_epoch
            raise
        finally:
            self._in_step = False

    def _raise_bad_lr(self, lrs: list[float]) -> None:
        """Raise for the first of ``lrs`` that its group cannot hold."""
        for index, (group, lr) in enumerate(zip(self.param_groups, lrs)):
            if not 0.0 <= lr < group.lr_limit:
                raise ValueError(
                    f"{type(self).__name__} computed learning rate {lr!r} for parameter "
                    f"group {index} at epoch {self.last_epoch}; learning rates must be "
                    f">= 0 and finite as a {group.lr_dtype_name} (< {group.lr_limit!r})"
                )

    def _set_lrs(self, values: Any) -> None:
        """Check every value, then write them all (never a half-applied step)."""
        groups = self.param_groups
        if type(values) is not list:
            values = list(values)
        lrs: list[float] = []
        for group, value in zip(groups, values):
            lr = value if type(value) is float else float(value)
            if not 0.0 <= lr < group.record.limit:
                self._raise_bad_lr([*lrs, lr])
            lrs.append(lr)
        if len(values) != len(groups):
            raise ValueError(
                f"{type(self).__name__}.get_lr() returned {len(values)} values for "
                f"{len(groups)} parameter groups"
            )
        for group, lr in zip(groups, lrs):
            group.set_lr(lr)
        self._last_lr = lrs

    def _group_lrs(self) -> list[float]:
        """Each group's current learning rate (torch's ``group["lr"]``)."""
        return [group.get_lr() for group in self.param_groups]

    def _chain_lr(self, lr: float, base_lr: float, index: int) -> float:
        """torch's chainable formula for one group at ``last_epoch``.

        ``lr`` is the group's current learning rate, ``base_lr`` its initial one,
        ``index`` its position (for per-group lambdas). Built-in classes state their
        arithmetic here once; ``get_lr()`` maps it over the groups.
        """
        raise NotImplementedError

    def get_lr(self) -> list[float]:
        """Compute each group's learning rate at ``last_epoch`` (torch's chainable form)."""
        if not self._in_step:
            self._warn_if_outside_step()
        chain_lr = self._chain_lr
        base_lrs = self.base_lrs
        return [
            chain_lr(group.get_lr(), base_lrs[index], index)
            for index, group in enumerate(self.param_groups)
        ]

    def _warn_if_outside_step(self) -> None:
        if not self._in_step:
            warnings.warn(_GET_LR_OUTSIDE_STEP, UserWarning, stacklevel=3)

    def get_last_lr(self) -> list[float]:
        """The learning rates set by the last ``step()``, one Python float per group."""
        return list(self._last_lr)

    # -- the schedule function ---------------------------------------------------
    def schedule(self, group: int = 0, *, steps_per_epoch: int = 1) -> Schedule:
        """This scheduler's closed form as a schedule function of the optimizer step.

        ``schedule(step)`` is the learning rate this scheduler sets for parameter
        group ``group`` after ``step // steps_per_epoch`` calls to ``step()``, from
        a fresh start: computed from ``base_lrs`` and the hyperparameters, so a
        learning rate set by hand does not carry over. Give it to an MLX optimizer
        (``optim.AdamW(learning_rate=scheduler.schedule(steps_per_epoch=len(loader)))``)
        to run the schedule inside a compiled train step; it follows the rules of
        :mod:`mlx_lr_scheduler.schedules`.

        Raises:
            TypeError: this scheduler has no closed form (``MultiplicativeLR``,
                ``ChainedScheduler``, ``ReduceLROnPlateau``, a custom subclass).
            ValueError: ``group`` or ``steps_per_epoch`` out of range.

        Example:
            >>> import mlx.core as mx, mlx.optimizers as optim
            >>> from mlx_lr_scheduler import StepLR
            >>> scheduler = StepLR(optim.SGD(learning_rate=0.1), step_size=2, gamma=0.5)
            >>> schedule = scheduler.schedule(steps_per_epoch=10)
            >>> schedule(0), schedule(19), schedule(20)
            (0.1, 0.1, 0.05)
            >>> schedule(mx.array([0, 20, 40]))
            array([0.1, 0.05, 0.025], dtype=float32)
        """
        return self._per_step(self._schedule, group, steps_per_epoch)

    def _per_step(
        self, make: Callable[[int], Schedule], group: int, steps_per_epoch: int
    ) -> Schedule:
        n_groups = len(self.param_groups)
        group = check_int("group", group, minimum=0)
        if group >= n_groups:
            raise ValueError(
                f"group must be the index of a parameter group, in [0, {n_groups - 1}], "
                f"but got {group}"
            )
        steps_per_epoch = check_int("steps_per_epoch", steps_per_epoch, minimum=1)
        function = make(group)
        if steps_per_epoch == 1:
            return function
        return Schedule(
            lambda step: function(check_step(step) // steps_per_epoch),
            "every",
            schedule=function,
            steps_per_epoch=steps_per_epoch,
        )

    def momentum_schedule(self, group: int = 0, *, steps_per_epoch: int = 1) -> Schedule:
        """The momentum (or beta1) this scheduler sets, as a schedule function of the step.

        Like :meth:`schedule`, for ``CyclicLR`` and ``OneCycleLR`` built with
        ``cycle_momentum=True``; any other scheduler raises ``TypeError``.
        """
        return self._per_step(self._momentum_schedule, group, steps_per_epoch)

    def _momentum_schedule(self, group: int) -> Schedule:
        raise TypeError(f"{type(self).__name__} does not schedule momentum")

    #: False where ``_schedule()`` holds only from a fresh start, not after another
    #: scheduler in a ``SequentialLR`` (``SWALR`` anneals from the LR it finds).
    _schedule_joins: ClassVar[bool] = True

    def _schedule(self, group: int) -> Schedule:
        """The schedule function of ``group``, one unit per ``step()`` (closed-form classes)."""
        raise TypeError(
            f"{type(self).__name__} has no closed form, so no schedule function: its learning "
            "rate depends on more than the step count"
        )

    # -- state -----------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state as plain JSON-serialisable data (torch's key names).

        A custom subclass's own public attributes holding plain data are saved too
        (torch saves its ``__dict__``) and restored on load.
        """
        state: dict[str, Any] = {st.CLASS_KEY: type(self).__name__}
        for key, entry in self._state_schema.items():
            state[key] = entry.dump(getattr(self, key))
        for key in self._own_attributes():
            value = getattr(self, key)
            try:
                json.dumps(value, allow_nan=False)
            except (TypeError, ValueError):
                continue  # not plain data (a model, an array): the subclass rebuilds it
            state[key] = copy.deepcopy(value)
        return state

    def _own_attributes(self) -> list[str]:
        """The public attributes a subclass outside this library adds to the scheduler
        (those the library declares, in its classes' annotations, are not its own)."""
        package = __name__.split(".")[0]
        library = [cls for cls in type(self).__mro__ if cls.__module__.split(".")[0] == package]
        if type(self) is library[0]:
            return []
        declared = {name for cls in library for name in getattr(cls, "__annotations__", {})}
        return [
            key
            for key in vars(self)
            if not key.startswith("_") and key not in self._state_schema and key not in declared
        ]

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Load a ``state_dict()`` (ours or torch 2.13's) after checking all of it.

        Also restores each group's learning rate (the last one the scheduler
        set) and ``initial_lr``, which torch keeps in the optimizer's state.
        """
        if torch_state.is_torch_state(state_dict):
            state_dict = torch_state.from_torch_state(self, state_dict)
        checked = self._check_state(state_dict)
        # Only a scheduler waiting in a nested SequentialLR sits below -1 (and restarts
        # at 0 there); stepped from there, torch's formulas leave their domain.
        epoch = checked.get("last_epoch", -1)
        if epoch < -1:
            raise ValueError(
                f"last_epoch must be an integer >= -1 for a {type(self).__name__} loaded on "
                f"its own, but got {epoch}"
            )
        self._apply_state(checked)

    def _check_state(self, state_dict: Any) -> dict[str, Any]:
        own = {key: getattr(self, key) for key in self._own_attributes()}
        saved = {}
        if own and isinstance(state_dict, Mapping):
            saved = {key: value for key, value in state_dict.items() if key in own}
            state_dict = {key: value for key, value in state_dict.items() if key not in own}
        checked = st.check_state_dict(
            type(self).__name__, state_dict, self._state_schema, len(self.param_groups)
        )
        checked.update(st.check_attributes(f"{type(self).__name__} state_dict", own, saved))
        return checked

    def _apply_state(self, checked: dict[str, Any]) -> None:
        for key, value in checked.items():
            setattr(self, key, value)
        self._restore_groups()

    def _restore_groups(self) -> None:
        for group, base_lr, lr in zip(self.param_groups, self.base_lrs, self._last_lr):
            group["initial_lr"] = base_lr
            group.set_lr(lr)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, last_lr={self._last_lr})"
