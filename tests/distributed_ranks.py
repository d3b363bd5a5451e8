"""One rank of the two-rank runs of ``test_distributed.py`` (launched by it, not by pytest).

``python tests/distributed_ranks.py SCENARIO [DIRECTORY]`` with ``MLX_RANK`` and
``MLX_HOSTFILE`` set (the ring backend's environment, as ``mlx.launch`` writes it).
The rank prints one JSON line, its results, as its last line of output.
"""

from __future__ import annotations

import json
import math
import sys
import warnings
from pathlib import Path
from typing import Any

import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim

from mlx_lr_scheduler import (
    CheckpointError,
    LinearLR,
    ReduceLROnPlateau,
    WarmupThenPlateau,
    load_checkpoint_distributed,
    lr_find,
    save_checkpoint_distributed,
)

#: The validation metric each rank sees at each epoch: different on each rank, a NaN
#: on rank 1 at epoch 6. Alone, each rank would reduce its LR at other epochs than
#: their mean does (test_distributed.py checks it).
METRICS = {
    0: [1.0, 0.8, 0.9, 0.7, 0.7, 0.6, 0.7, 0.6, 0.5, 0.5, 0.45, 0.45],
    1: [1.0, 1.0, 0.7, 0.8, 0.6, math.nan, 0.6, 0.6, 0.6, 0.4, 0.5, 0.5],
}
PLATEAU = {"factor": 0.5, "patience": 1, "threshold": 0.01}


def plateau(world: mx.distributed.Group) -> dict[str, Any]:
    metrics = METRICS[world.rank()]
    opt = optim.SGD(learning_rate=1.0)
    scheduler = ReduceLROnPlateau(opt, **PLATEAU, distributed_group=world)
    lrs = []
    for index, metric in enumerate(metrics):
        # Rank 1 passes arrays and rank 0 floats: both are a metric.
        scheduler.step(mx.array(metric) if world.rank() == 1 and index % 2 else metric)
        lrs.append(scheduler.get_last_lr()[0])
    warm = optim.SGD(learning_rate=1.0)
    composite = WarmupThenPlateau(
        warm,
        LinearLR(warm, start_factor=0.25, total_iters=3),
        ReduceLROnPlateau(warm, **PLATEAU),
        milestone=3,
        distributed_group=world,
    )
    warm_lrs = []
    for metric in metrics:
        composite.step(metric)
        warm_lrs.append(composite.get_last_lr()[0])
    return {
        "lrs": lrs,
        "optimizer_lr": opt.learning_rate.item(),
        "warmup_then_plateau": warm_lrs,
        "state_keys": sorted(scheduler.state_dict()),
    }


def _regression(seed: int) -> tuple[mx.array, mx.array]:
    key = mx.random.key(seed)
    x = mx.random.normal((32, 4), key=key)
    return x, x @ mx.array([[1.0], [-2.0], [0.5], [3.0]])


def range_test(world: mx.distributed.Group) -> dict[str, Any]:
    mx.random.seed(0)  # the same initial model on every rank
    model = nn.Linear(4, 1)
    before = [value.tolist() for _, value in sorted(nn.utils.tree_flatten(model.parameters()))]
    shard = _regression(10 + world.rank())  # each rank its own data
    result = lr_find(
        model,
        optim.SGD(learning_rate=0.1),
        lambda m, x, y: nn.losses.mse_loss(m(x), y),
        [shard],
        start_lr=1e-4,
        end_lr=10.0,
        num_steps=40,
        distributed_group=world,
    )
    after = [value.tolist() for _, value in sorted(nn.utils.tree_flatten(model.parameters()))]
    return {
        "lrs": result.lrs,
        "losses": result.losses,
        "suggestion": result.suggestion,
        "diverged": result.diverged,
        "restored": before == after,
    }


def checkpoints(world: mx.distributed.Group, directory: Path) -> dict[str, Any]:
    mx.random.seed(0)
    model = nn.Linear(3, 2)
    opt = optim.Adam(learning_rate=0.01)
    opt.init(model.trainable_parameters())
    scheduler = ReduceLROnPlateau(opt, factor=0.5, patience=0, distributed_group=world)
    scheduler.step(1.0 + world.rank())
    scheduler.step(5.0)
    run = directory / "run"
    saved = save_checkpoint_distributed(
        run, group=world, model=model, optimizer=opt, scheduler=scheduler, extra={"epoch": 2}
    )
    out: dict[str, Any] = {"saved": str(saved), "lr_saved": scheduler.get_last_lr()}
    scheduler.step(9.0)  # moves the LR on: the load must bring it back
    out["extra"] = load_checkpoint_distributed(
        run, group=world, model=model, optimizer=opt, scheduler=scheduler
    )
    out["lr_loaded"] = scheduler.get_last_lr()
    # Rank 1 alone saves another state into its own directory and loads that: a stale
    # or foreign copy. Both ranks must refuse.
    other = directory / f"other-{world.rank()}"
    if world.rank() == 1:
        model.bias = model.bias + 1.0
        from mlx_lr_scheduler import save_checkpoint

        save_checkpoint(other, model=model, optimizer=opt, scheduler=scheduler, extra={"epoch": 2})
    source = other if world.rank() == 1 else run
    try:
        load_checkpoint_distributed(
            source, group=world, model=model, optimizer=opt, scheduler=scheduler
        )
        out["divergence"] = None
    except CheckpointError as error:
        out["divergence"] = str(error)
    # A rank that cannot load at all (rank 0 here: no such directory) stops both.
    try:
        load_checkpoint_distributed(
            directory / "missing" if world.rank() == 0 else run, group=world, model=model
        )
        out["missing"] = None
    except (CheckpointError, FileNotFoundError) as error:
        out["missing"] = f"{type(error).__name__}: {error}"
    # Rank 0 cannot save (the path is a file): every rank raises, none waits.
    blocked = directory / "blocked"
    blocked.write_text("")
    try:
        save_checkpoint_distributed(blocked, group=world, model=model)
        out["save_failed"] = None
    except (CheckpointError, OSError) as error:
        out["save_failed"] = f"{type(error).__name__}: {error}"
    return out


def main() -> None:
    # The LRs are what is compared here: no optimizer.update() runs between the steps.
    warnings.filterwarnings("ignore", message="Detected call of `lr_scheduler.step()`")
    world = mx.distributed.init(backend="ring", strict=True)
    scenario = sys.argv[1]
    if scenario == "plateau":
        result = plateau(world)
    elif scenario == "lr_find":
        result = range_test(world)
    else:
        result = checkpoints(world, Path(sys.argv[2]))
    print(json.dumps({"rank": world.rank(), "size": world.size(), **result}), flush=True)


if __name__ == "__main__":
    main()
