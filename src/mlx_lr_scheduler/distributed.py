"""Data-parallel runs with ``mx.distributed``: every rank takes the same decisions.

A schedule of the step count agrees across ranks by construction; one fed a
per-rank metric does not, and ranks that disagree on the learning rate silently
train different models. This module holds what keeps the ranks of a group
(``mx.distributed.init()``, launched by ``mlx.launch``) in step:

* :func:`mean_over_ranks`, the metric averaged over the group, which
  ``ReduceLROnPlateau``, ``WarmupThenPlateau`` and ``lr_find`` use when given
  ``distributed_group=``;
* :func:`save_checkpoint_distributed`: rank 0 writes (with
  :func:`~mlx_lr_scheduler.save_checkpoint`), and no rank returns before the write
  is complete;
* :func:`load_checkpoint_distributed`: every rank loads, then the ranks compare a
  digest of what they hold (:func:`state_digest`) with rank 0's, and all of them
  raise :class:`~mlx_lr_scheduler.CheckpointError` if one differs.

Each function is a collective: every rank of the group calls it, in the same order.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import mlx.core as mx
from mlx.utils import tree_flatten

from mlx_lr_scheduler.checkpoint import CheckpointError, load_checkpoint, save_checkpoint

__all__ = [
    "check_group",
    "load_checkpoint_distributed",
    "mean_over_ranks",
    "save_checkpoint_distributed",
    "state_digest",
]

_DIGEST_BYTES = hashlib.sha256().digest_size


def check_group(name: str, group: Any) -> mx.distributed.Group | None:
    """``group`` if an ``mx.distributed.Group`` or ``None``, else ``TypeError`` naming ``name``."""
    if group is not None and not isinstance(group, mx.distributed.Group):
        raise TypeError(
            f"{name} must be an mx.distributed.Group (from mx.distributed.init()) or None, "
            f"but got {group!r} ({type(group).__name__})"
        )
    return group


def _require_group(group: Any) -> mx.distributed.Group:
    if not isinstance(group, mx.distributed.Group):
        raise TypeError(
            "group must be an mx.distributed.Group (from mx.distributed.init()), "
            f"but got {group!r} ({type(group).__name__})"
        )
    return group


def mean_over_ranks(value: float, group: mx.distributed.Group) -> float:
    r"""The mean of ``value`` over the ranks of ``group``, the same float on every rank.

    .. math:: \bar m = \mathrm{fl_{32}}\Big(\sum_{r=0}^{n-1} \mathrm{fl_{32}}(m_r)\Big) / n

    with :math:`m_r` the ``value`` of rank :math:`r` and :math:`n` =
    ``group.size()``: one ``mx.distributed.all_sum`` of a float32 (the dtype
    every backend reduces, and the precision of an MLX loss), divided by
    :math:`n` in float32. A NaN on any rank makes the mean NaN on all. A group
    of one rank returns ``value`` itself, with no collective and no rounding.

    Example (a group of one rank, as ``mx.distributed.init()`` gives outside ``mlx.launch``):
        >>> import mlx.core as mx
        >>> mean_over_ranks(0.1, mx.distributed.init())
        0.1
    """
    size = group.size()
    if size == 1:
        return value
    total = mx.distributed.all_sum(mx.array(value, dtype=mx.float32), group=group)
    return float((total / size).item())


def state_digest(
    *,
    model: Any = None,
    optimizer: Any = None,
    scheduler: Any = None,
    extra: dict[str, Any] | None = None,
) -> bytes:
    """The SHA-256 of a training state: each array's name, dtype, shape and bytes, and the JSON.

    Hashes ``model.parameters()`` and ``optimizer.state`` (every array, in
    ``tree_flatten`` order, with its key, dtype and shape), then
    ``scheduler.state_dict()`` and ``extra`` as canonical JSON (sorted keys). Two
    ranks holding the same state have the same digest; a single changed bit, LR
    or counter changes it.

    Example:
        >>> import mlx.core as mx, mlx.nn as nn, mlx.optimizers as optim
        >>> model = nn.Linear(2, 2)
        >>> opt = optim.SGD(learning_rate=0.1)
        >>> before = state_digest(model=model, optimizer=opt)
        >>> len(before), before == state_digest(model=model, optimizer=opt)
        (32, True)
        >>> model.bias = model.bias + 1
        >>> before == state_digest(model=model, optimizer=opt)
        False
    """
    digest = hashlib.sha256()
    trees = []
    if model is not None:
        trees.append(("model", model.parameters()))
    if optimizer is not None:
        trees.append(("optimizer", optimizer.state))
    for section, tree in trees:
        leaves = tree_flatten(tree)
        mx.eval([value for _, value in leaves if isinstance(value, mx.array)])
        for key, value in leaves:
            if isinstance(value, mx.array):
                digest.update(f"{section}.{key} {value.dtype} {value.shape}\n".encode())
                digest.update(_array_bytes(value))
            else:
                digest.update(f"{section}.{key} {value!r}\n".encode())
    for section, data in (
        ("scheduler", None if scheduler is None else scheduler.state_dict()),
        ("extra", extra),
    ):
        if data is not None:
            digest.update(f"{section} {json.dumps(data, sort_keys=True)}\n".encode())
    return digest.digest()


def _array_bytes(value: mx.array) -> memoryview | bytes:
    """The bytes of ``value`` in row-major order (a transposed view is copied first)."""
    if value.size == 0:
        return b""
    view = memoryview(value)
    if not view.c_contiguous:
        value = mx.contiguous(value)
        mx.eval(value)
        view = memoryview(value)
    return view.cast("B")


def _one_hot(flag: bool, group: mx.distributed.Group) -> list[int]:
    """This rank's vote: a 1 at its own index if ``flag``."""
    return [int(flag and index == group.rank()) for index in range(group.size())]


def save_checkpoint_distributed(
    path: str | os.PathLike[str],
    *,
    group: mx.distributed.Group,
    model: Any = None,
    optimizer: Any = None,
    scheduler: Any = None,
    extra: dict[str, Any] | None = None,
    keep_last: int | None = None,
) -> Path:
    """:func:`~mlx_lr_scheduler.save_checkpoint` in a data-parallel run: rank 0 writes.

    Every rank of ``group`` calls it. Rank 0 saves (the arguments as for
    ``save_checkpoint``); the others wait for it in one ``all_sum``, which also
    carries the new checkpoint's number and whether the save failed, so no rank
    returns, and so none can read the checkpoint, before rank 0's write is
    complete. The ranks hold the same state (gradients averaged, the same LR), so
    one copy is the checkpoint of all.

    Args:
        path: the run's checkpoint directory (on a file system every rank that will
            load it can read).
        group: the ``mx.distributed.Group`` of the run.
        model, optimizer, scheduler, extra, keep_last: as for ``save_checkpoint``;
            only rank 0's are read.

    Returns:
        The new checkpoint's directory, the same path on every rank.

    Raises:
        Rank 0 raises what ``save_checkpoint`` raised; the other ranks raise
        :class:`~mlx_lr_scheduler.CheckpointError` saying that rank 0 failed.

    Example (a group of one rank: the same as ``save_checkpoint``):
        >>> import tempfile, mlx.core as mx, mlx.nn as nn, mlx.optimizers as optim
        >>> from mlx_lr_scheduler import StepLR
        >>> model, opt = nn.Linear(2, 2), optim.SGD(learning_rate=0.1)
        >>> sched = StepLR(opt, step_size=1)
        >>> run = tempfile.mkdtemp()
        >>> save_checkpoint_distributed(run, group=mx.distributed.init(), model=model,
        ...                             optimizer=opt, scheduler=sched).name
        'checkpoint-000001'
    """
    group = _require_group(group)
    failure: Exception | None = None
    number = 0
    if group.rank() == 0:
        try:
            target = save_checkpoint(
                path,
                model=model,
                optimizer=optimizer,
                scheduler=scheduler,
                extra=extra,
                keep_last=keep_last,
            )
            number = int(target.name.rsplit("-", 1)[1])
        except Exception as error:  # the others must hear of it, or they wait forever
            failure = error
    status = mx.array([int(failure is not None), number], dtype=mx.int32)
    failed, number = mx.distributed.all_sum(status, group=group).tolist()
    if failure is not None:
        raise failure
    if failed:
        raise CheckpointError(f"rank 0 could not save the checkpoint in {path} (see its error)")
    return Path(path) / f"checkpoint-{number:06d}"


def load_checkpoint_distributed(
    path: str | os.PathLike[str],
    *,
    group: mx.distributed.Group,
    model: Any = None,
    optimizer: Any = None,
    scheduler: Any = None,
) -> dict[str, Any]:
    """:func:`~mlx_lr_scheduler.load_checkpoint` on every rank, then a check that all agree.

    Every rank of ``group`` loads ``path`` into its objects, then computes
    :func:`state_digest` of what it holds (model, optimizer, scheduler, extra).
    Two ``all_sum`` calls follow: the first brings rank 0's digest to every rank
    and counts the ranks whose load failed; the second counts the ranks whose
    digest differs from rank 0's (a stale copy of the directory on another
    machine, another model...). Either way every rank raises, so that no rank
    trains on alone with a state the others do not have.

    Args:
        path: the run directory or one checkpoint directory, as for ``load_checkpoint``.
        group: the ``mx.distributed.Group`` of the run.
        model, optimizer, scheduler: as for ``load_checkpoint``.

    Returns:
        The ``extra`` dict saved with the checkpoint, the same on every rank.

    Raises:
        A rank whose load failed raises its own error (``FileNotFoundError``,
        ``CheckpointError``); the others raise ``CheckpointError`` naming it. A rank
        whose state differs from rank 0's: ``CheckpointError`` naming the ranks, on
        every rank.

    Example (a group of one rank: the same as ``load_checkpoint``):
        >>> import tempfile, mlx.core as mx, mlx.nn as nn, mlx.optimizers as optim
        >>> model, opt = nn.Linear(2, 2), optim.SGD(learning_rate=0.1)
        >>> world, run = mx.distributed.init(), tempfile.mkdtemp()
        >>> _ = save_checkpoint_distributed(run, group=world, model=model, extra={"epoch": 3})
        >>> load_checkpoint_distributed(run, group=world, model=model)
        {'epoch': 3}
    """
    group = _require_group(group)
    failure: Exception | None = None
    extra: dict[str, Any] = {}
    digest = bytes(_DIGEST_BYTES)
    try:
        extra = load_checkpoint(path, model=model, optimizer=optimizer, scheduler=scheduler)
        digest = state_digest(model=model, optimizer=optimizer, scheduler=scheduler, extra=extra)
    except Exception as error:  # the others must hear of it, or they wait forever
        failure = error
    mine = list(digest) if group.rank() == 0 else [0] * _DIGEST_BYTES
    votes = mx.array(mine + _one_hot(failure is not None, group), dtype=mx.int32)
    summed = mx.distributed.all_sum(votes, group=group).tolist()
    reference, failed = bytes(summed[:_DIGEST_BYTES]), summed[_DIGEST_BYTES:]
    failed_ranks = [rank for rank, flag in enumerate(failed) if flag]
    if failure is not None:
        raise failure
    if failed_ranks:
        raise CheckpointError(
            f"ranks {failed_ranks} could not load {path} (see their errors); "
            "the ranks would train different models"
        )
    differs = mx.array(_one_hot(digest != reference, group), dtype=mx.int32)
    differing = [
        rank
        for rank, flag in enumerate(mx.distributed.all_sum(differs, group=group).tolist())
        if flag
    ]
    if differing:
        raise CheckpointError(
            f"after loading {path}, ranks {differing} hold a state that differs from rank 0's "
            f"(rank 0's state digest {reference.hex()[:16]}..., rank {group.rank()}'s "
            f"{digest.hex()[:16]}...): the ranks would train different models"
        )
    return extra
