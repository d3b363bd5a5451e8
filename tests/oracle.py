"""Run torch 2.13 and mlx_lr_scheduler side by side on the same configuration.

A configuration is a ``build(lib, optimizer)`` function that constructs a
scheduler from ``lib``, which is either :data:`TORCH` or :data:`MLX` — two
namespaces holding the torch-named classes of each library — so the very same
code builds both schedulers.

Every side-by-side run is counted in :data:`TALLY` (a *case* is one run; it is
*bit-exact* when every step's learning rates are bitwise equal), and the
pytest session ends with a one-line summary of the count (``conftest.py``).
A test that compares with a tolerance instead goes through
:func:`max_relative_error`, which counts its run as not bit-exact.
"""

from __future__ import annotations

import copy
import json
import math
import struct
import types
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import mlx.optimizers as optim
import torch
import torch.optim.lr_scheduler as torch_lr
from torch.optim import swa_utils
from transformers import optimization as transformers_schedules

import mlx_lr_scheduler


class TorchWarmupThenPlateau:
    """torch's workaround for ``WarmupThenPlateau`` (torch #68978: ``SequentialLR`` refuses
    ``ReduceLROnPlateau``): ``warmup.step() if epoch < milestone else plateau.step(metric)``."""

    def __init__(self, optimizer: Any, warmup: Any, plateau: Any, milestone: int) -> None:
        self.warmup, self.plateau, self.milestone, self.epoch = warmup, plateau, milestone, 0
        self.last = warmup.get_last_lr()

    def step(self, metric: float) -> None:
        self.epoch += 1
        active = self.warmup if self.epoch <= self.milestone else self.plateau
        active.step(*(() if active is self.warmup else (metric,)))
        self.last = active.get_last_lr()

    def get_last_lr(self) -> list[float]:
        return self.last

    def state_dict(self) -> dict[str, Any]:
        own = {"epoch": self.epoch, "last": self.last, "milestone": self.milestone}
        return {**own, "warmup": self.warmup.state_dict(), "plateau": self.plateau.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.epoch, self.last, self.milestone = state["epoch"], state["last"], state["milestone"]
        self.warmup.load_state_dict(state["warmup"])
        self.plateau.load_state_dict(state["plateau"])


def _warmup_factor(step: int, warmup: int, warmup_type: str, start_factor: float) -> float:
    """WarmupLR's factor during the warmup, written here from its formula."""
    progress = float(step) / float(max(1, warmup))
    if warmup_type == "linear":
        shape = progress
    elif warmup_type == "cosine":
        shape = 0.5 * (1.0 - math.cos(math.pi * progress))
    else:
        shape = 1.0 - math.sqrt(1.0 - progress)
    return start_factor + (1.0 - start_factor) * shape


class TorchWarmupLR:
    """``WarmupLR`` in torch: a ``LambdaLR`` warmup stepped for ``num_warmup_steps`` steps, the
    scheduler's own epoch-0 learning rates put back at the end of it, then the scheduler
    stepped (with the metric, for ``ReduceLROnPlateau``, which ``SequentialLR`` refuses)."""

    def __init__(
        self,
        optimizer: Any,
        scheduler: Any = None,
        *,
        num_warmup_steps: int,
        warmup_type: str = "linear",
        start_factor: float = 0.0,
    ) -> None:
        self.optimizer, self.scheduler, self.warmup_steps = optimizer, scheduler, num_warmup_steps
        self.after = None if scheduler is None else list(scheduler.get_last_lr())

        def factor(step: int) -> float:
            if step >= num_warmup_steps:
                return 1.0
            return _warmup_factor(step, num_warmup_steps, warmup_type, start_factor)

        self.warmup = torch_lr.LambdaLR(optimizer, factor)
        self.epoch = 0
        self._settle()

    def _settle(self) -> None:
        if self.scheduler is not None and self.epoch == self.warmup_steps:
            for group, lr in zip(self.optimizer.param_groups, self.after):
                group["lr"] = lr
        self.last = [group["lr"] for group in self.optimizer.param_groups]

    def step(self, *metric: float) -> None:
        self.epoch += 1
        if self.scheduler is None or self.epoch < self.warmup_steps:
            self.warmup.step()
        elif self.epoch > self.warmup_steps:
            self.scheduler.step(*metric)
        self._settle()

    def get_last_lr(self) -> list[float]:
        return self.last

    def state_dict(self) -> dict[str, Any]:
        child = None if self.scheduler is None else self.scheduler.state_dict()
        own = {"epoch": self.epoch, "after": self.after, "last": self.last}
        return {**own, "warmup": self.warmup.state_dict(), "scheduler": child}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.epoch, self.after, self.last = state["epoch"], state["after"], state["last"]
        self.warmup.load_state_dict(state["warmup"])
        if self.scheduler is not None:
            self.scheduler.load_state_dict(state["scheduler"])


def transformers_cosine(
    optimizer: Any,
    num_warmup_steps: int,
    num_training_steps: int,
    num_cycles: float = 0.5,
    min_lr: float | None = None,
    min_lr_rate: float | None = None,
    warmup_lr_rate: float | None = None,
    hard_restarts: bool = False,
    count_from_one: bool = False,
    last_epoch: int = -1,
) -> Any:
    """transformers' cosine schedule that ``WarmupCosineLR``'s arguments select."""
    steps = (optimizer, num_warmup_steps, num_training_steps, num_cycles)
    rates = {"min_lr": min_lr, "min_lr_rate": min_lr_rate}
    if hard_restarts:
        if min_lr is not None or min_lr_rate is not None or count_from_one or warmup_lr_rate:
            raise ValueError("transformers has no cosine with hard restarts and a min_lr")
        return transformers_schedules.get_cosine_with_hard_restarts_schedule_with_warmup(
            *steps, last_epoch=last_epoch
        )
    if count_from_one or warmup_lr_rate is not None:
        if min_lr is None and min_lr_rate is None:
            rates["min_lr_rate"] = 0.0
        return transformers_schedules.get_cosine_with_min_lr_schedule_with_warmup_lr_rate(
            *steps, last_epoch=last_epoch, warmup_lr_rate=warmup_lr_rate, **rates
        )
    if min_lr is not None or min_lr_rate is not None:
        return transformers_schedules.get_cosine_with_min_lr_schedule_with_warmup(
            *steps, last_epoch=last_epoch, **rates
        )
    return transformers_schedules.get_cosine_schedule_with_warmup(*steps, last_epoch=last_epoch)


#: torch's classes by name; for ``WarmupThenPlateau`` and ``WarmupLR`` (no torch class) torch's
#: workarounds; for the modern schedules transformers' functions (each returns a torch LambdaLR).
TORCH = types.SimpleNamespace(
    **{name: getattr(torch_lr, name) for name in torch_lr.__all__},
    SWALR=swa_utils.SWALR,
    WarmupThenPlateau=TorchWarmupThenPlateau,
    WarmupLR=TorchWarmupLR,
    WarmupStableDecayLR=transformers_schedules.get_wsd_schedule,
    InverseSqrtLR=transformers_schedules.get_inverse_sqrt_schedule,
    WarmupCosineLR=transformers_cosine,
    WarmupPolynomialLR=transformers_schedules.get_polynomial_decay_schedule_with_warmup,
)
MLX = types.SimpleNamespace(
    **{name: getattr(mlx_lr_scheduler, name) for name in mlx_lr_scheduler.__all__}
)

Build = Callable[[types.SimpleNamespace, Any], Any]

# torch optimizer class and MLX optimizer factory, by name, with matching hyperparameters.
_TORCH_OPTIMIZERS: dict[str, Callable[..., torch.optim.Optimizer]] = {
    "sgd": lambda groups, **kw: torch.optim.SGD(groups, **kw),
    "adam": lambda groups, **kw: torch.optim.Adam(groups, **kw),
    "adamw": lambda groups, **kw: torch.optim.AdamW(groups, **kw),
}
_MLX_OPTIMIZERS: dict[str, Callable[..., optim.Optimizer]] = {
    "sgd": lambda lr, **kw: optim.SGD(learning_rate=lr, **kw),
    "adam": lambda lr, **kw: optim.Adam(learning_rate=lr, **kw),
    "adamw": lambda lr, **kw: optim.AdamW(learning_rate=lr, **kw),
}


# -- the parity count ----------------------------------------------------------


@dataclass
class ParityTally:
    """How many side-by-side runs the session made, and how many were bit-exact."""

    runs: int = 0
    bit_exact: int = 0
    #: Runs compared with a relative tolerance (counted in ``runs``, never in ``bit_exact``).
    tolerance_runs: int = 0
    worst_relative_error: float = 0.0

    def summary(self) -> str:
        line = f"parity: {self.runs} side-by-side runs, {self.bit_exact} bit-exact"
        if self.tolerance_runs:
            line += (
                f", {self.tolerance_runs} compared with a relative tolerance "
                f"(worst relative error {self.worst_relative_error:.3g})"
            )
        return line


TALLY = ParityTally()


class History(list[list[float]]):
    """One side's ``get_last_lr()`` after each step, tied to the run it came from."""

    run: _Run | None = None


@dataclass
class _Run:
    bit_exact: bool
    tolerance: bool = False


def _bits(value: float) -> bytes:
    return struct.pack("<d", value)


def _same_bits(a: Sequence[float], b: Sequence[float]) -> bool:
    return len(a) == len(b) and all(_bits(x) == _bits(y) for x, y in zip(a, b))


def record(torch_history: list[list[float]], mlx_history: list[list[float]]) -> bool:
    """Count one side-by-side run made outside :func:`run_both`; return True if bit-exact.

    Tags both histories with the run, so :func:`max_relative_error` on them
    re-counts it as a tolerance comparison instead of adding a run.
    """
    exact = len(torch_history) == len(mlx_history) and all(
        _same_bits(t, m) for t, m in zip(torch_history, mlx_history)
    )
    run = _Run(exact)
    TALLY.runs += 1
    TALLY.bit_exact += exact
    for history in (torch_history, mlx_history):
        if isinstance(history, History):
            history.run = run
    return exact


def max_relative_error(
    torch_history: Sequence[Sequence[float]], mlx_history: Sequence[Sequence[float]]
) -> float:
    """The largest ``|mlx - torch| / |torch|`` over every step and group.

    For a test that compares with a tolerance: the run counts as one parity
    case that is **not** bit-exact (a run from :func:`run_both` is re-counted,
    any other pair of histories is a new case). Where torch's value is 0 the
    error is 0 if ours is 0 too, and infinite otherwise.
    """
    if len(torch_history) != len(mlx_history):
        raise ValueError(
            f"histories of different lengths: {len(torch_history)} and {len(mlx_history)}"
        )
    worst = 0.0
    for t_step, m_step in zip(torch_history, mlx_history):
        if len(t_step) != len(m_step):
            raise ValueError(f"steps with different group counts: {t_step} and {m_step}")
        for t, m in zip(t_step, m_step):
            if t == m:
                continue
            error = abs(m - t) / abs(t) if t != 0 else math.inf
            worst = max(worst, error if not math.isnan(error) else math.inf)
    run = getattr(torch_history, "run", None) or getattr(mlx_history, "run", None)
    if run is None:
        TALLY.runs += 1
        run = _Run(bit_exact=False)
    elif run.bit_exact:
        TALLY.bit_exact -= 1
        run.bit_exact = False
    if not run.tolerance:
        run.tolerance = True
        TALLY.tolerance_runs += 1
    TALLY.worst_relative_error = max(TALLY.worst_relative_error, worst)
    return worst


# -- optimizers and the side-by-side run -----------------------------------------------


class UnobservableHandSetLRError(Exception):
    """``manual_lr`` would set a value that rounds to the group's current float32 LR.

    MLX keeps the LR as float32, so such a hand-set value cannot be told apart
    from the current one (a documented divergence, pinned in ``test_binding``);
    ``run_both`` raises this instead of running and does not count the run.
    """


def _float32(value: float) -> float:
    return float(struct.unpack("<f", struct.pack("<f", value))[0])


def torch_optimizer(lrs: Sequence[float], kind: str = "sgd", **kwargs: Any) -> Any:
    """A torch optimizer with one parameter group per entry of ``lrs``."""
    groups = [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs]
    return _TORCH_OPTIMIZERS[kind](groups, lr=lrs[0], **kwargs)


def mlx_optimizer(lrs: Sequence[float], kind: str = "sgd", **kwargs: Any) -> Any:
    """An MLX optimizer (a MultiOptimizer when there are several groups)."""
    leaves = [_MLX_OPTIMIZERS[kind](lr, **kwargs) for lr in lrs]
    if len(leaves) == 1:
        return leaves[0]
    return optim.MultiOptimizer(leaves, [lambda *_: False] * (len(leaves) - 1))


def group_count(optimizer: Any) -> int:
    """The number of parameter groups of a torch or MLX optimizer (for per-group arguments)."""
    if isinstance(optimizer, torch.optim.Optimizer):
        return len(optimizer.param_groups)
    if isinstance(optimizer, optim.MultiOptimizer):
        return sum(group_count(sub) for sub in optimizer.optimizers)
    return 1


def run_both(
    build: Build,
    steps: int,
    lrs: Sequence[float] = (0.1,),
    *,
    kind: str = "sgd",
    optimizer_kwargs: dict[str, Any] | None = None,
    manual_lr: tuple[int, float] | None = None,
    resume_at: int | None = None,
    rebuild: Build | None = None,
    torch_state_at: int | None = None,
    step_args: Callable[[int], tuple[Any, ...]] | None = None,
) -> tuple[History, History]:
    """Step both schedulers ``steps`` times; return both ``get_last_lr()`` histories.

    ``manual_lr=(k, lr)`` sets every group's LR by hand before step ``k``.
    ``resume_at=k`` saves both schedulers after ``k`` steps and continues with
    fresh optimizers and schedulers loaded from the saved state (ours through a
    JSON round trip; torch's optimizer state is loaded too, as torch users do);
    the fresh schedulers come from ``rebuild`` if given (e.g. built with other
    arguments), else from ``build``. ``torch_state_at=k`` replaces our scheduler
    after ``k`` steps with a fresh one (from ``rebuild`` or ``build``) that loads
    torch's ``state_dict()`` as torch wrote it; torch carries on undisturbed.
    ``step_args(k)`` gives the arguments of step ``k`` (e.g. a metric, or an epoch).

    The run is counted in :data:`TALLY`, bit-exact if every step matches bitwise.
    Raises :class:`UnobservableHandSetLRError` (and counts nothing) if ``manual_lr``
    sets a value MLX cannot tell from the current LR.
    """
    kwargs = optimizer_kwargs or {}
    t_hist, m_hist = History(), History()
    counted = True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_opt = torch_optimizer(lrs, kind, **kwargs)
            m_opt = mlx_optimizer(lrs, kind, **kwargs)
            t_sched = build(TORCH, t_opt)
            m_sched = build(MLX, m_opt)
            t_hist.append([float(v) for v in t_sched.get_last_lr()])
            m_hist.append(list(m_sched.get_last_lr()))
            for k in range(steps):
                if resume_at is not None and k == resume_at:
                    t_saved = (t_opt.state_dict(), t_sched.state_dict())
                    m_saved = json.loads(json.dumps(m_sched.state_dict()))
                    t_opt = torch_optimizer(lrs, kind, **kwargs)
                    t_sched = (rebuild or build)(TORCH, t_opt)
                    t_opt.load_state_dict(t_saved[0])
                    t_sched.load_state_dict(t_saved[1])
                    m_opt = mlx_optimizer(lrs, kind, **kwargs)
                    m_sched = (rebuild or build)(MLX, m_opt)
                    m_sched.load_state_dict(m_saved)
                if torch_state_at is not None and k == torch_state_at:
                    t_state = copy.deepcopy(t_sched.state_dict())
                    m_opt = mlx_optimizer(lrs, kind, **kwargs)
                    m_sched = (rebuild or build)(MLX, m_opt)
                    m_sched.load_state_dict(t_state)
                if manual_lr is not None and k == manual_lr[0]:
                    if any(
                        group["lr"] != manual_lr[1]
                        and _float32(group["lr"]) == _float32(manual_lr[1])
                        for group in t_opt.param_groups
                    ):
                        counted = False
                        raise UnobservableHandSetLRError(f"{manual_lr} at LRs {t_hist[-1]}")
                    for group in t_opt.param_groups:
                        group["lr"] = manual_lr[1]
                    m_opt.learning_rate = manual_lr[1]  # the MultiOptimizer setter sets all
                args = step_args(k) if step_args is not None else ()
                t_sched.step(*args)
                m_sched.step(*args)
                t_hist.append([float(v) for v in t_sched.get_last_lr()])
                m_hist.append(list(m_sched.get_last_lr()))
    finally:
        if counted:
            record(t_hist, m_hist)
    return t_hist, m_hist


def first_mismatch(
    torch_history: list[list[float]], mlx_history: list[list[float]]
) -> tuple[int, list[float], list[float]] | None:
    """The first step where the histories differ (bitwise), or None."""
    for k, (t, m) in enumerate(zip(torch_history, mlx_history, strict=True)):
        if not _same_bits(t, m):
            return k, t, m
    return None
