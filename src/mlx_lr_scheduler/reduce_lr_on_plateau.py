"""``ReduceLROnPlateau`` (reduce the LR when a metric stops improving) and
``WarmupThenPlateau`` (a warmup schedule, then ``ReduceLROnPlateau``)."""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import mlx.core as mx

from mlx_lr_scheduler import state as st
from mlx_lr_scheduler.composition import _Composite
from mlx_lr_scheduler.distributed import check_group, mean_over_ranks
from mlx_lr_scheduler.scheduler import EPOCH_DEPRECATION_WARNING, LRScheduler
from mlx_lr_scheduler.validation import LR, Arguments, Choice, Integer, Real, check_int

__all__ = ["ReduceLROnPlateau", "WarmupThenPlateau"]


def _metric_value(metrics: Any) -> float:
    """``metrics`` as a Python float: a real number, or an ``mx.array`` holding one.

    Reading an ``mx.array`` evaluates it (``.item()``), which waits for the
    computation behind it: a sync point, once per ``step``.
    """
    if type(metrics) is float:  # the common case, checked first: step() runs every epoch
        return metrics
    if isinstance(metrics, mx.array):
        dtype = metrics.dtype
        if not (mx.issubdtype(dtype, mx.floating) or mx.issubdtype(dtype, mx.integer)):
            raise TypeError(f"metrics must be a real number, but got an mx.array of {dtype}")
        if metrics.size != 1:
            raise ValueError(
                f"metrics must be a single value, but got an mx.array of shape {metrics.shape}"
            )
        return float(metrics.item())
    if isinstance(metrics, bool) or not isinstance(metrics, numbers.Real):
        raise TypeError(
            "metrics must be a real number or an mx.array holding one, but got "
            f"{metrics!r} ({type(metrics).__name__})"
        )
    return float(metrics)


ARGUMENTS = Arguments(
    mode=Choice("min", "max"),
    factor=Real(low=0.0, high=1.0, low_open=True, high_open=True),
    patience=Integer(minimum=0),
    threshold=Real(low=0.0),
    threshold_mode=Choice("rel", "abs"),
    cooldown=Integer(minimum=0),
    min_lr=LR,
    eps=Real(low=0.0),
)

#: How ``state_dict()`` writes an infinite ``best``/``mode_worse`` (JSON has no inf).
_INFINITIES = {"inf": math.inf, "-inf": -math.inf}


def _load_extended_real(key: str, value: Any, _n: int) -> float:
    # best and mode_worse are +-inf until a first metric, as in torch: ours are written
    # "inf"/"-inf" (plain JSON), torch's are floats.
    if isinstance(value, str) and value in _INFINITIES:
        return _INFINITIES[value]
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{key} must be a number or 'inf'/'-inf', but got {value!r}")
    if math.isnan(value):
        raise ValueError(f"{key} must be a number or 'inf'/'-inf', but got {value!r}")
    return float(value)


_EXTENDED_REAL = st.Field(
    _load_extended_real, lambda value: repr(value) if math.isinf(value) else value
)


def _check_threshold(mode: str, threshold: Any, threshold_mode: str) -> float:
    value: float = ARGUMENTS.check("threshold", threshold)
    if mode == "min" and threshold_mode == "rel" and value >= 1.0:
        # best * (1 - threshold) would be <= 0 (and NaN while best is inf): no metric
        # could ever count as an improvement, so the LR would drop on a timer.
        raise ValueError(
            "threshold must be in [0.0, 1.0) with mode='min' and threshold_mode='rel' "
            f"(no metric could improve on best * (1 - threshold)), but got {value!r}"
        )
    return value


class ReduceLROnPlateau(LRScheduler):
    r"""Reduce each group's learning rate by ``factor`` when a metric stops improving.

    Call ``step(metric)`` once per epoch with the validation metric. A metric
    is an improvement when it beats the best so far by the threshold:

    ==========  ====================================  ============================
    mode        ``threshold_mode="rel"``              ``threshold_mode="abs"``
    ==========  ====================================  ============================
    ``"min"``   :math:`m < best\,(1 - \tau)`          :math:`m < best - \tau`
    ``"max"``   :math:`m > best\,(1 + \tau)`          :math:`m > best + \tau`
    ==========  ====================================  ============================

    with :math:`\tau` = ``threshold``. Any other metric, NaN included, is a bad
    epoch. After more than ``patience`` bad epochs in a row, each group's LR
    becomes

    .. math:: \eta \leftarrow \max(\eta\,f,\ \eta_{min})

    with :math:`f` = ``factor`` and :math:`\eta_{min}` its ``min_lr``, unless that
    lowers it by ``eps`` or less; then ``cooldown`` epochs follow in which bad
    epochs are not counted. The reduction continues from each group's current
    LR, so it also works after an LR set by hand or by another scheduler (see
    :class:`WarmupThenPlateau` for a warmup).

    ``step(metrics)`` takes a Python number (``int``, ``float``, NumPy scalar)
    or an ``mx.array`` holding one value. An ``mx.array`` is read with
    ``.item()``, which evaluates it and waits for the computation behind it:
    one sync per ``step``, as torch's ``float(tensor)``. Anything else (a string,
    a ``bool``, a torch tensor) raises ``TypeError``.

    ``state_dict()`` has torch's keys; ``best`` and ``mode_worse`` are infinite
    before a first improvement, as in torch: written as the strings ``"inf"`` and
    ``"-inf"`` so the state is plain JSON (torch's float ``inf`` loads too).

    Args:
        optimizer: MLX optimizer (one group) or ``MultiOptimizer`` (one group each).
        mode: ``"min"`` (lower is better, e.g. a loss) or ``"max"`` (e.g. an
            accuracy). Default: ``"min"``.
        factor: multiplier of a reduction, in ``(0, 1)``. Default: ``0.1``.
        patience: bad epochs tolerated before a reduction, an integer ``>= 0``.
            ``0`` reduces at every bad epoch. Default: ``10``.
        threshold: the margin an improvement needs, ``>= 0`` (and ``< 1`` with
            ``mode="min"`` and ``threshold_mode="rel"``). Default: ``1e-4``.
        threshold_mode: ``"rel"`` (a fraction of best) or ``"abs"`` (an absolute
            margin). Default: ``"rel"``.
        cooldown: epochs after a reduction in which bad epochs are not counted, an
            integer ``>= 0``. Default: ``0``.
        min_lr: lower bound of the LR, ``>= 0``, or a list with one per parameter
            group. Default: ``0``.
        eps: reductions of ``eps`` or less are skipped, ``>= 0``. Default: ``1e-8``.
        distributed_group: in a data-parallel run, the ``mx.distributed.Group``
            over whose ranks each metric is averaged before every decision
            (:func:`~mlx_lr_scheduler.distributed.mean_over_ranks`: one
            ``all_sum`` per ``step``, in float32), so that every rank holds the
            same LR; a NaN on any rank is a bad epoch on all. Keyword-only, not
            in torch's signature nor in ``state_dict()``. Default: ``None``, the
            metric as given.

    Example (``patience=1``: the second bad epoch in a row reduces; then a 2-epoch cooldown):
        >>> import mlx.optimizers as optim
        >>> opt = optim.SGD(learning_rate=1.0)
        >>> scheduler = ReduceLROnPlateau(opt, factor=0.5, patience=1, cooldown=2)
        >>> losses = [1.0, 0.9, 0.95, 0.95, 0.93, 0.92, 0.92, 0.92, 0.92]
        >>> for epoch, loss in enumerate(losses):
        ...     scheduler.step(loss)
        ...     print(f"epoch {epoch + 1} (after loss {loss}): {scheduler.get_last_lr()[0]}")
        epoch 1 (after loss 1.0): 1.0
        epoch 2 (after loss 0.9): 1.0
        epoch 3 (after loss 0.95): 1.0
        epoch 4 (after loss 0.95): 0.5
        epoch 5 (after loss 0.93): 0.5
        epoch 6 (after loss 0.92): 0.5
        epoch 7 (after loss 0.92): 0.5
        epoch 8 (after loss 0.92): 0.25
        epoch 9 (after loss 0.92): 0.25
    """

    _steps_on_metric = True

    _state_schema = {
        **st.fields(ARGUMENTS, "factor"),
        "default_min_lr": st.optional(st.field(ARGUMENTS["min_lr"])),
        "min_lrs": st.lr_list(),
        **st.fields(ARGUMENTS, "patience", "cooldown", "eps"),
        "last_epoch": st.integer(minimum=0),
        "_last_lr": st.lr_list(),
        "mode_worse": _EXTENDED_REAL,
        **st.fields(ARGUMENTS, "mode", "threshold", "threshold_mode"),
        "best": _EXTENDED_REAL,
        "cooldown_counter": st.integer(minimum=0),
        "num_bad_epochs": st.integer(minimum=0),
    }

    default_min_lr: float | None

    def __init__(
        self,
        optimizer: Any,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | Sequence[float] = 0,
        eps: float = 1e-8,
        *,
        distributed_group: mx.distributed.Group | None = None,
    ) -> None:
        groups = self._bind(optimizer)
        self.distributed_group = check_group("distributed_group", distributed_group)
        self.factor = ARGUMENTS.check("factor", factor)
        self.min_lrs = ARGUMENTS.per_group("min_lr", min_lr, len(groups))
        self.default_min_lr = None if isinstance(min_lr, (list, tuple)) else self.min_lrs[0]
        self.patience = ARGUMENTS.check("patience", patience)
        self.cooldown = ARGUMENTS.check("cooldown", cooldown)
        self.eps = ARGUMENTS.check("eps", eps)
        self.mode = ARGUMENTS.check("mode", mode)
        self.threshold_mode = ARGUMENTS.check("threshold_mode", threshold_mode)
        self.threshold = _check_threshold(self.mode, threshold, self.threshold_mode)
        self.mode_worse = math.inf if self.mode == "min" else -math.inf
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0
        self.last_epoch = 0
        self._last_lr = self._group_lrs()

    @property
    def in_cooldown(self) -> bool:
        """True while bad epochs are not counted, after a reduction."""
        return self.cooldown_counter > 0

    def _is_better(self, metric: float, best: float) -> bool:
        threshold = self.threshold
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return metric < best * (1.0 - threshold)
            return metric < best - threshold
        if self.threshold_mode == "rel":
            return metric > best * (threshold + 1.0)
        return metric > best + threshold

    def step(self, metrics: Any, epoch: int | None = None) -> None:  # type: ignore[override]
        """Record one epoch's metric (a number or a one-value ``mx.array``) and reduce if due."""
        current = _metric_value(metrics)
        if self.distributed_group is not None:
            current = mean_over_ranks(current, self.distributed_group)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            epoch = check_int("epoch", epoch, minimum=0)
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        best, bad_epochs, cooldown_counter = self.best, self.num_bad_epochs, self.cooldown_counter
        if self._is_better(current, best):
            best, bad_epochs = current, 0
        else:
            bad_epochs += 1
        if cooldown_counter > 0:
            cooldown_counter -= 1
            bad_epochs = 0
        reductions: list[tuple[int, float]] = []
        if bad_epochs > self.patience:
            # The groups whose LR the reduction lowers by more than eps, with their new LR.
            for index, (group, min_lr) in enumerate(zip(self.param_groups, self.min_lrs)):
                old_lr = group.get_lr()
                new_lr = max(old_lr * self.factor, min_lr)
                if old_lr - new_lr > self.eps:
                    reductions.append((index, new_lr))
            cooldown_counter, bad_epochs = self.cooldown, 0
        # Everything is computed: apply it all at once.
        self.last_epoch = epoch
        self.best, self.num_bad_epochs, self.cooldown_counter = best, bad_epochs, cooldown_counter
        for index, lr in reductions:
            self.param_groups[index].set_lr(lr)
        self._last_lr = self._group_lrs()

    def _check_state(self, state_dict: Any) -> dict[str, Any]:
        checked = super()._check_state(state_dict)
        worse = math.inf if checked["mode"] == "min" else -math.inf
        if checked["mode_worse"] != worse:
            raise ValueError(
                f"mode_worse must be {worse} with mode={checked['mode']!r}, "
                f"but got {checked['mode_worse']!r}"
            )
        _check_threshold(checked["mode"], checked["threshold"], checked["threshold_mode"])
        return checked

    def _restore_groups(self) -> None:
        # torch keeps the LRs in the optimizer's state; ours come back from _last_lr.
        for group, lr in zip(self.param_groups, self._last_lr):
            group.set_lr(lr)


_MILESTONE = Integer(minimum=1)


class WarmupThenPlateau(_Composite):
    r"""A warmup schedule for ``milestone`` epochs, then ``ReduceLROnPlateau`` from where it ends.

    torch cannot put ``ReduceLROnPlateau`` in a ``SequentialLR`` (torch issue
    #68978); this is that join. Call ``step(metric)`` once per epoch. For the
    first ``milestone`` steps it steps ``warmup`` (the metric is checked but not
    used: those epochs trained at a warming-up LR), so the LR of epoch
    :math:`t \le m` is exactly the warmup's :math:`W(t)`. From then on it passes
    the metric to ``plateau``, whose first baseline is the metric of epoch
    :math:`m`, trained at :math:`W(m)`, and whose reductions start from
    :math:`W(m)`:

    .. math:: \eta_t = W(t) \text{ for } t \le m, \qquad
              \eta_t = P(\text{metrics of epochs } m, \dots, t-1) \text{ for } t > m

    It is torch's manual switch, ``warmup.step() if epoch < m else
    plateau.step(metric)``, as one scheduler with one ``state_dict()``.

    Args:
        optimizer: the optimizer both schedulers are bound to.
        warmup: any scheduler that steps without a metric, e.g. ``LinearLR``
            (it may itself be a composite), built on ``optimizer`` and not stepped
            yet: its epoch 0 is the composite's.
        plateau: a :class:`ReduceLROnPlateau`.
        milestone: the epoch at which ``plateau`` takes over, an integer ``>= 1``;
            usually the warmup's length (``total_iters``).
        distributed_group: in a data-parallel run, the ``mx.distributed.Group``
            over whose ranks each metric is averaged before ``plateau`` sees it
            (the warmup epochs need no metric, so no collective); give it here or
            to ``plateau``, not both. Keyword-only. Default: ``None``.

    Example (LR 0.25 -> 1.0 over 3 epochs, then halve at the second bad epoch in a row):
        >>> import mlx.optimizers as optim
        >>> from mlx_lr_scheduler import LinearLR
        >>> opt = optim.SGD(learning_rate=1.0)
        >>> warmup = LinearLR(opt, start_factor=0.25, total_iters=3)
        >>> plateau = ReduceLROnPlateau(opt, factor=0.5, patience=1)
        >>> scheduler = WarmupThenPlateau(opt, warmup, plateau, milestone=3)
        >>> print(f"epoch 0: {scheduler.get_last_lr()[0]}")
        epoch 0: 0.25
        >>> for epoch, loss in enumerate([3.0, 2.0, 1.5, 1.0, 1.0, 1.0, 0.5]):
        ...     scheduler.step(loss)
        ...     print(f"epoch {epoch + 1} (after loss {loss}): {scheduler.get_last_lr()[0]}")
        epoch 1 (after loss 3.0): 0.5
        epoch 2 (after loss 2.0): 0.75
        epoch 3 (after loss 1.5): 1.0
        epoch 4 (after loss 1.0): 1.0
        epoch 5 (after loss 1.0): 1.0
        epoch 6 (after loss 1.0): 0.5
        epoch 7 (after loss 0.5): 0.5
    """

    _steps_on_metric = True

    _state_schema = {
        "milestone": st.field(_MILESTONE),
        "last_epoch": st.integer(minimum=0),
        "_last_lr": st.lr_list(),
    }

    def __init__(
        self,
        optimizer: Any,
        warmup: LRScheduler,
        plateau: ReduceLROnPlateau,
        milestone: int,
        *,
        distributed_group: mx.distributed.Group | None = None,
    ) -> None:
        owner = type(self).__name__
        self._bind(optimizer)
        self.distributed_group = check_group("distributed_group", distributed_group)
        if not isinstance(warmup, LRScheduler):
            raise TypeError(
                f"warmup must be an mlx_lr_scheduler scheduler, but got {type(warmup).__name__}"
            )
        if warmup._steps_on_metric:
            raise ValueError(
                f"warmup must step without a metric, but got a {type(warmup).__name__}"
            )
        if not isinstance(plateau, ReduceLROnPlateau):
            raise TypeError(
                f"plateau must be a ReduceLROnPlateau, but got {type(plateau).__name__}"
            )
        for name, scheduler in (("warmup", warmup), ("plateau", plateau)):
            if scheduler.optimizer is not optimizer:
                raise ValueError(
                    f"{owner} expects both schedulers to belong to its optimizer, but {name} "
                    f"({type(scheduler).__name__}) is bound to another optimizer"
                )
        if distributed_group is not None and plateau.distributed_group is not None:
            raise ValueError(
                "distributed_group must be given to WarmupThenPlateau or to its plateau, "
                "not both (the metric would be averaged twice)"
            )
        self.milestone = _MILESTONE.check("milestone", milestone)
        self._warmup, self._plateau = warmup, plateau
        self._schedulers = [warmup, plateau]
        # Neither is stepped here: the warmup stands at its epoch 0 (if freshly built) and
        # building a ReduceLROnPlateau changes no LR, so the LRs in force are epoch 0's.
        self.last_epoch = 0
        self._last_lr = self._group_lrs()

    def step(self, metrics: Any) -> None:  # type: ignore[override]
        """Advance one epoch with that epoch's metric: warmup until ``milestone``, then plateau."""
        current = _metric_value(metrics)
        epoch = self.last_epoch + 1
        if epoch <= self.milestone:
            self._warmup.step()
            self._last_lr = self._warmup.get_last_lr()
        else:
            if self.distributed_group is not None:
                current = mean_over_ranks(current, self.distributed_group)
            self._plateau.step(current)
            self._last_lr = self._plateau.get_last_lr()
        self.last_epoch = epoch

    def __repr__(self) -> str:
        return f"WarmupThenPlateau({self._warmup!r}, {self._plateau!r}, milestone={self.milestone})"
