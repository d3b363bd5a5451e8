"""``LambdaLR`` and ``MultiplicativeLR``: learning rates from user functions of the epoch."""

from __future__ import annotations

import copy
import types
from collections.abc import Callable, Sequence
from typing import Any

from mlx_lr_scheduler import schedule_math as sm
from mlx_lr_scheduler import state as st
from mlx_lr_scheduler.scheduler import LRScheduler
from mlx_lr_scheduler.validation import LR, STEPS_PER_EPOCH, Arguments, Function

__all__ = ["LambdaLR", "MultiplicativeLR", "lambda_lr"]

LrLambda = Callable[[int], float]

ARGUMENTS = Arguments(base_lr=LR, lr_lambda=Function(), steps_per_epoch=STEPS_PER_EPOCH)


def _saves_state(fn: LrLambda) -> bool:
    """torch's rule: a callable object's ``__dict__`` is saved, a plain function is not."""
    return not isinstance(fn, types.FunctionType) and hasattr(fn, "__dict__")


def _dump_lambdas(lambdas: list[LrLambda]) -> list[dict[str, Any] | None]:
    return [copy.deepcopy(vars(fn)) if _saves_state(fn) else None for fn in lambdas]


def _load_lambdas(key: str, value: Any, n_groups: int) -> list[dict[str, Any] | None]:
    if not isinstance(value, (list, tuple)) or len(value) != n_groups:
        raise ValueError(
            f"{key} must be a list of {n_groups} entries (None or a dict), but got {value!r}"
        )
    for i, entry in enumerate(value):
        if entry is not None and not isinstance(entry, dict):
            raise TypeError(f"{key}[{i}] must be None or a dict, but got {type(entry).__name__}")
    return list(value)


class _LambdaScheduler(LRScheduler):
    _state_schema = {
        **LRScheduler._state_schema,
        "lr_lambdas": st.Field(_load_lambdas, _dump_lambdas),
    }

    lr_lambdas: list[LrLambda]

    def __init__(
        self, optimizer: Any, lr_lambda: LrLambda | Sequence[LrLambda], last_epoch: int = -1
    ) -> None:
        groups = self._bind(optimizer)
        self.lr_lambdas = ARGUMENTS.per_group("lr_lambda", lr_lambda, len(groups))
        super().__init__(optimizer, last_epoch)

    def _check_state(self, state_dict: Any) -> dict[str, Any]:
        checked = super()._check_state(state_dict)
        saved = checked["lr_lambdas"]
        for i, fn in enumerate(self.lr_lambdas):
            if saved[i] is not None and not _saves_state(fn):
                raise ValueError(
                    f"lr_lambdas[{i}] holds a callable object's state, but this scheduler's "
                    f"lr_lambda[{i}] is {fn!r}, which keeps no state"
                )
            if saved[i] is not None:  # checked now: nothing is applied before all of it is
                saved[i] = st.check_attributes(f"lr_lambdas[{i}]", vars(fn), saved[i])
        return checked

    def _apply_state(self, checked: dict[str, Any]) -> None:
        saved = checked.pop("lr_lambdas")
        super()._apply_state(checked)
        for fn, attributes in zip(self.lr_lambdas, saved):
            if attributes is not None:
                vars(fn).update(attributes)


class FactorLR(LRScheduler):
    """A scheduler whose learning rate is each group's initial one times ``_factor(epoch)``.

    A :class:`LambdaLR` with one built-in lambda (transformers' schedules): a
    subclass defines ``_factor``, and it serves both ``get_lr()`` and ``step(epoch)``.
    """

    def _factor(self, step: int) -> float:
        raise NotImplementedError

    def _chain_lr(self, lr: float, base_lr: float, index: int) -> float:
        return base_lr * self._factor(self.last_epoch)

    def _get_closed_form_lr(self) -> list[float]:
        factor = self._factor(self.last_epoch)
        return [base_lr * factor for base_lr in self.base_lrs]


class LambdaLR(_LambdaScheduler):
    r"""Set each group's learning rate to its initial value times a function of the epoch.

    .. math:: \eta_t = \eta_0 \cdot \lambda(t)

    where :math:`\eta_0` is the group's initial learning rate and
    :math:`\lambda` is ``lr_lambda`` (the group's own entry when it is a list).

    Args:
        optimizer: MLX optimizer (one group) or ``MultiOptimizer`` (one group each).
        lr_lambda: a function of the epoch (an ``int``) returning a factor, or a
            list with one such function per parameter group, checked to be
            callable. A factor that makes the learning rate negative, NaN or
            infinite makes ``step()`` raise ``ValueError`` (nothing changes).
        last_epoch: index of the last epoch, ``-1`` to start fresh. Default: ``-1``.

    ``state_dict()`` follows torch's rule: it saves a callable object's
    ``__dict__`` (restored into the object on load) and nothing (``None``) for a
    plain function or lambda, which the scheduler you load into must supply.

    Example (the learning rate used by the optimizer update after ``epoch`` steps):
        >>> import mlx.optimizers as optim
        >>> scheduler = LambdaLR(optim.SGD(learning_rate=0.5), lambda epoch: 0.5**epoch)
        >>> for epoch in range(4):
        ...     print(f"epoch {epoch}: {scheduler.get_last_lr()[0]}")
        ...     scheduler.step()
        epoch 0: 0.5
        epoch 1: 0.25
        epoch 2: 0.125
        epoch 3: 0.0625
    """

    def _chain_lr(self, lr: float, base_lr: float, index: int) -> float:
        return base_lr * self.lr_lambdas[index](self.last_epoch)

    def _schedule(self, group: int) -> sm.Schedule:
        return lambda_lr(self.base_lrs[group], self.lr_lambdas[group])


class MultiplicativeLR(_LambdaScheduler):
    r"""Multiply each group's learning rate by a function of the epoch at every step.

    .. math:: \eta_t = \eta_{t-1} \cdot \lambda(t) \quad (t \ge 1)

    where :math:`\eta_0` is the group's initial learning rate and :math:`\lambda`
    is ``lr_lambda`` (the group's own entry when it is a list); it is not
    applied at epoch 0.

    Args:
        optimizer: MLX optimizer (one group) or ``MultiOptimizer`` (one group each).
        lr_lambda: a function of the epoch returning the factor applied at that
            epoch, or one such function per parameter group, checked to be
            callable. A factor that makes the learning rate negative, NaN or
            infinite makes ``step()`` raise ``ValueError`` (nothing changes).
        last_epoch: index of the last epoch, ``-1`` to start fresh. Default: ``-1``.

    ``state_dict()`` saves lambdas as :class:`LambdaLR` does.

    Example (the learning rate used by the optimizer update after ``epoch`` steps):
        >>> import mlx.optimizers as optim
        >>> scheduler = MultiplicativeLR(optim.SGD(learning_rate=1.0), lambda epoch: 0.5)
        >>> for epoch in range(4):
        ...     print(f"epoch {epoch}: {scheduler.get_last_lr()[0]}")
        ...     scheduler.step()
        epoch 0: 1.0
        epoch 1: 0.5
        epoch 2: 0.25
        epoch 3: 0.125
    """

    def _chain_lr(self, lr: float, base_lr: float, index: int) -> float:
        if self._is_initial:
            return lr
        return lr * self.lr_lambdas[index](self.last_epoch)


# -- the schedule function ------------------------------------------------------


def lambda_lr(base_lr: float, lr_lambda: LrLambda, steps_per_epoch: int = 1) -> sm.Schedule:
    r""":class:`LambdaLR` as a function of the step: ``base_lr`` times a function of the epoch.

    :class:`LambdaLR`'s :math:`\eta_e` (its formula is there), at the epoch
    :math:`e = \lfloor t / k \rfloor` of step :math:`t`, with :math:`\eta_0` =
    ``base_lr`` and :math:`k` = ``steps_per_epoch``.

    Args:
        base_lr: the learning rate ``lr_lambda`` scales, ``>= 0``.
        lr_lambda: the factor as a function of the epoch. It receives what the
            schedule receives: an ``int`` for an ``int`` step, and a uint64
            ``mx.array`` for an array step (inside ``mx.compile`` too), so write it
            with operators and ``mx`` functions (``0.95 ** e``, ``mx.minimum(e, 10) / 10``;
            not ``min`` or ``if``), and mind that ``e - 10`` wraps around below 10
            in uint64. Its accuracy in float32 is its own.
        steps_per_epoch: steps in an epoch, an integer ``>= 1``. Default: ``1``.

    Returns:
        ``schedule(step)``: a float for an ``int`` step, float32 values for an
        ``mx.array`` of integer steps.

    Example:
        >>> import mlx.core as mx
        >>> schedule = lambda_lr(0.5, lambda epoch: 0.5**epoch)
        >>> schedule(0), schedule(3)
        (0.5, 0.0625)
        >>> schedule(mx.arange(4))
        array([0.5, 0.25, 0.125, 0.0625], dtype=float32)
    """
    arguments = ARGUMENTS.check_all(locals())
    base_lr, lr_lambda, steps_per_epoch = arguments.values()

    def schedule(step: Any) -> Any:
        t = sm.check_step(step)
        return sm.finish(base_lr * lr_lambda(sm.epoch_of(t, steps_per_epoch)), t)

    return sm.Schedule(schedule, "lambda_lr", **arguments)
