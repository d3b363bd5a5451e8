"""Run torch 2.13 and mlx_lr_scheduler side by side on the same configuration.

A configuration is a ``build(lib, optimizer)`` function that constructs a
scheduler from ``lib``, which is either :data:`TORCH` or :data:`MLX` — two
namespaces holding the torch-named classes of each library — so the very same
code builds both schedulers.
"""

from __future__ import annotations

import json
import types
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import mlx.optimizers as optim
import torch
import torch.optim.lr_scheduler as torch_lr
from torch.optim import swa_utils

import mlx_lr_scheduler

TORCH = types.SimpleNamespace(
    **{name: getattr(torch_lr, name) for name in torch_lr.__all__}, SWALR=swa_utils.SWALR
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


def run_both(
    build: Build,
    steps: int,
    lrs: Sequence[float] = (0.1,),
    *,
    kind: str = "sgd",
    optimizer_kwargs: dict[str, Any] | None = None,
    manual_lr: tuple[int, float] | None = None,
    resume_at: int | None = None,
    step_args: Callable[[int], tuple[Any, ...]] | None = None,
) -> tuple[list[list[float]], list[list[float]]]:
    """Step both schedulers ``steps`` times; return both ``get_last_lr()`` histories.

    ``manual_lr=(k, lr)`` sets every group's LR by hand before step ``k``.
    ``resume_at=k`` saves both schedulers after ``k`` steps and continues with
    fresh optimizers and schedulers loaded from the saved state (ours through a
    JSON round trip; torch's optimizer state is loaded too, as torch users do).
    ``step_args(k)`` gives the arguments of step ``k`` (e.g. a metric).
    """
    kwargs = optimizer_kwargs or {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_opt = torch_optimizer(lrs, kind, **kwargs)
        m_opt = mlx_optimizer(lrs, kind, **kwargs)
        t_sched = build(TORCH, t_opt)
        m_sched = build(MLX, m_opt)
        t_hist = [list(t_sched.get_last_lr())]
        m_hist = [list(m_sched.get_last_lr())]
        for k in range(steps):
            if resume_at is not None and k == resume_at:
                t_saved = (t_opt.state_dict(), t_sched.state_dict())
                m_saved = json.loads(json.dumps(m_sched.state_dict()))
                t_opt = torch_optimizer(lrs, kind, **kwargs)
                t_sched = build(TORCH, t_opt)
                t_opt.load_state_dict(t_saved[0])
                t_sched.load_state_dict(t_saved[1])
                m_opt = mlx_optimizer(lrs, kind, **kwargs)
                m_sched = build(MLX, m_opt)
                m_sched.load_state_dict(m_saved)
            if manual_lr is not None and k == manual_lr[0]:
                for group in t_opt.param_groups:
                    group["lr"] = manual_lr[1]
                m_opt.learning_rate = manual_lr[1]  # the MultiOptimizer setter sets all
            args = step_args(k) if step_args is not None else ()
            t_sched.step(*args)
            m_sched.step(*args)
            t_hist.append([float(v) for v in t_sched.get_last_lr()])
            m_hist.append(list(m_sched.get_last_lr()))
    return t_hist, m_hist


def first_mismatch(
    torch_history: list[list[float]], mlx_history: list[list[float]]
) -> tuple[int, list[float], list[float]] | None:
    """The first step where the histories differ (bitwise), or None."""
    for k, (t, m) in enumerate(zip(torch_history, mlx_history, strict=True)):
        if t != m:
            return k, t, m
    return None
