"""Data-parallel training of a small MLP with mx.distributed, ReduceLROnPlateau and checkpoints.

On one machine, two processes over the ring backend::

    mlx.launch -n 2 --backend ring python examples/distributed_train.py

Across machines, with a hostfile (see the README, "Data-parallel training")::

    mlx.launch --hostfile hosts.json --backend ring python examples/distributed_train.py

Without ``mlx.launch`` it runs as one process (a group of one rank). Every rank
builds the same model (the same seed), trains on its own shard of the data, and
averages its gradients with the others' before each update, so the ranks hold one
model. The validation loss of each rank's shard is averaged over the ranks by
``ReduceLROnPlateau(distributed_group=...)`` before every decision, so the ranks
hold one learning rate. Rank 0 writes a checkpoint after every epoch; a new launch
with the same ``--checkpoint-dir`` resumes from it on every rank, and stops if a
rank would resume from another state.
"""

from __future__ import annotations

import argparse
import json
from functools import partial
from pathlib import Path

import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim

from mlx_lr_scheduler import (
    ReduceLROnPlateau,
    load_checkpoint_distributed,
    save_checkpoint_distributed,
)
from mlx_lr_scheduler.distributed import state_digest

FEATURES, CLASSES = 16, 4


def synthetic_data(samples: int, seed: int) -> tuple[mx.array, mx.array]:
    """Points labelled by a fixed random linear teacher (the same on every rank)."""
    key_x, key_w = mx.random.split(mx.random.key(seed))
    x = mx.random.normal((samples, FEATURES), key=key_x)
    teacher = mx.random.normal((FEATURES, CLASSES), key=key_w)
    return x, mx.argmax(x @ teacher, axis=1)


class MLP(nn.Module):
    def __init__(self, hidden: int = 64) -> None:
        super().__init__()
        self.layers = [nn.Linear(FEATURES, hidden), nn.Linear(hidden, CLASSES)]

    def __call__(self, x: mx.array) -> mx.array:
        return self.layers[1](nn.relu(self.layers[0](x)))


def loss_fn(model: MLP, x: mx.array, y: mx.array) -> mx.array:
    return nn.losses.cross_entropy(model(x), y, reduction="mean")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64, help="per rank")
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkpoint-dir", type=Path, default=Path("checkpoints/distributed"))
    parser.add_argument("--json", action="store_true", help="every rank prints a JSON summary")
    args = parser.parse_args()

    world = mx.distributed.init()
    rank, size = world.rank(), world.size()

    # The same data and the same initial model on every rank; each trains on its shard.
    x, y = synthetic_data(4096, args.seed)
    x_train, y_train = x[:3072][rank::size], y[:3072][rank::size]
    x_valid, y_valid = x[3072:][rank::size], y[3072:][rank::size]
    mx.random.seed(args.seed)
    model = MLP()
    opt = optim.SGD(learning_rate=args.lr, momentum=0.9)
    opt.init(model.trainable_parameters())
    scheduler = ReduceLROnPlateau(opt, factor=0.5, patience=2, distributed_group=world)

    # Resume if any rank sees a checkpoint (a vote: load_checkpoint_distributed is a
    # collective, so all ranks must call it or none; one lacking the files then fails
    # on every rank instead of hanging).
    found = (args.checkpoint_dir / "latest").exists()
    if mx.distributed.all_sum(mx.array(int(found)), group=world).item() > 0:
        extra = load_checkpoint_distributed(
            args.checkpoint_dir, group=world, model=model, optimizer=opt, scheduler=scheduler
        )
        start = extra["epoch"] + 1
    else:
        start = 1

    state = [model.state, opt.state]
    loss_and_grad = nn.value_and_grad(model, loss_fn)

    @partial(mx.compile, inputs=state, outputs=state)
    def train_step(xb: mx.array, yb: mx.array) -> mx.array:
        loss, grads = loss_and_grad(model, xb, yb)
        grads = nn.average_gradients(grads, group=world)  # sum over ranks / size
        opt.update(model, grads)
        return loss

    lrs = []
    for epoch in range(start, args.epochs + 1):
        order = mx.random.permutation(x_train.shape[0], key=mx.random.key(epoch))
        for i in range(0, x_train.shape[0], args.batch_size):
            batch = order[i : i + args.batch_size]
            train_step(x_train[batch], y_train[batch])
            mx.eval(state)
        valid_loss = loss_fn(model, x_valid, y_valid)
        scheduler.step(valid_loss)  # averaged over the ranks: one LR on all of them
        lrs.append(scheduler.get_last_lr()[0])
        save_checkpoint_distributed(
            args.checkpoint_dir,
            group=world,
            model=model,
            optimizer=opt,
            scheduler=scheduler,
            extra={"epoch": epoch},
            keep_last=2,
        )
        if rank == 0 and not args.json:
            loss = valid_loss.item()
            print(f"epoch {epoch}: validation loss (rank 0) {loss:.4f}, lr {lrs[-1]:.4g}")

    if args.json:
        digest = state_digest(model=model, optimizer=opt, scheduler=scheduler).hex()
        summary = {"rank": rank, "size": size, "start_epoch": start, "lrs": lrs, "digest": digest}
        print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
