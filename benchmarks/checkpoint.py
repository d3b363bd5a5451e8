"""``python -m benchmarks.checkpoint [--quick]``: the cost of atomic, verified checkpoints.

Saves and loads a model with over 100 MB of parameters (and its AdamW state, twice
that) with ``save_checkpoint`` / ``load_checkpoint``, and the same arrays with MLX's
own ``mx.save_safetensors`` plus an fsync of each file and of the directory /
``mx.load``, in the same run: interleaved rounds, medians. Prints a markdown table
with the ratios and the throughput. ``--quick`` is a smoke run on a small model.

The extra work of a checkpoint is the SHA-256 of every byte (on threads, while the
next file is written or loaded), the manifest, the rename and the pointer. A third
column does MLX's part plus ``hashlib.sha256`` of each file, one after the other: the
floor of any verified checkpoint done the simple way. Loads read from the page cache.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import tempfile
from pathlib import Path

import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim
from mlx.utils import tree_flatten

from benchmarks import harness
from mlx_lr_scheduler import OneCycleLR, load_checkpoint, save_checkpoint


def _model(width: int, layers: int) -> nn.Module:
    model = nn.Sequential(*[nn.Linear(width, width) for _ in range(layers)])
    mx.eval(model.parameters())
    return model


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def run(quick: bool) -> str:
    width, layers, rounds = (256, 2, 3) if quick else (2048, 6, 15)
    model = _model(width, layers)
    optimizer = optim.AdamW(learning_rate=1e-3)
    scheduler = OneCycleLR(optimizer, max_lr=1e-3, total_steps=1000)
    optimizer.init(model.trainable_parameters())
    grads = nn.value_and_grad(model, lambda m, x: (m(x) ** 2).mean())(model, mx.ones((4, width)))
    optimizer.update(model, grads[1])
    scheduler.step()
    mx.eval(model.parameters(), optimizer.state)
    model_arrays = dict(tree_flatten(model.parameters()))
    total = sum(a.nbytes for a in model_arrays.values())
    total += sum(a.nbytes for _, a in tree_flatten(optimizer.state))

    scratch = Path(tempfile.mkdtemp(prefix="checkpoint-benchmark-"))
    ours, plain = scratch / "run", scratch / "plain"

    def clear(directory: Path) -> None:
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir()

    def save_ours() -> None:
        save_checkpoint(ours, model=model, optimizer=optimizer, scheduler=scheduler)

    def save_plain() -> None:
        for name, tree in (("model", model.parameters()), ("optimizer", optimizer.state)):
            path = plain / f"{name}.safetensors"
            mx.save_safetensors(str(path), dict(tree_flatten(tree)))
            _fsync(path)
        _fsync(plain)

    def load_ours() -> None:
        load_checkpoint(ours, model=model, optimizer=optimizer, scheduler=scheduler)

    def load_plain() -> None:
        for name in ("model", "optimizer"):
            mx.eval(mx.load(str(plain / f"{name}.safetensors")))

    def sha256_plain() -> None:
        for name in ("model", "optimizer"):
            digest = hashlib.sha256()
            with open(plain / f"{name}.safetensors", "rb") as file:
                while chunk := file.read(8 << 20):
                    digest.update(chunk)

    def save_plain_hashed() -> None:
        save_plain()
        sha256_plain()

    def load_plain_hashed() -> None:
        sha256_plain()
        load_plain()

    try:
        clear(ours)
        clear(plain)
        save_ours()
        save_plain()
        saves = harness.interleaved_samples(
            {
                "save_checkpoint": save_ours,
                "mx.save_safetensors + fsync": save_plain,
                "save+hash": save_plain_hashed,
            },
            calls=1,
            rounds=rounds,
            setup={
                "save_checkpoint": lambda: clear(ours),
                "mx.save_safetensors + fsync": lambda: clear(plain),
                "save+hash": lambda: clear(plain),
            },
        )
        save_ours()
        save_plain()
        loads = harness.interleaved_samples(
            {"load_checkpoint": load_ours, "mx.load": load_plain, "load+hash": load_plain_hashed},
            calls=1,
            rounds=rounds,
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    medians = {name: statistics.median(v) for name, v in {**saves, **loads}.items()}
    megabytes = total / 1e6
    lines = [
        f"Checkpoint of {megabytes:.0f} MB of arrays ({megabytes / 3:.0f} MB of parameters, "
        f"AdamW state), {rounds} interleaved rounds, medians"
        + (" (`--quick` smoke run: numbers meaningless)" if quick else "")
        + ".",
        "",
        "| operation | this library | MLX alone | ratio (target <= 1.25x) "
        "| MLX, then hashlib SHA-256 | ratio | MB/s: library, MLX |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, ours_name, plain_name, hashed_name in (
        ("save", "save_checkpoint", "mx.save_safetensors + fsync", "save+hash"),
        ("load", "load_checkpoint", "mx.load", "load+hash"),
    ):
        mine, theirs, hashed = medians[ours_name], medians[plain_name], medians[hashed_name]
        lines.append(
            f"| {label}: `{ours_name}` vs `{plain_name}` | {mine * 1e3:.0f} ms | "
            f"{theirs * 1e3:.0f} ms | {harness.ratio(mine, theirs)} | {hashed * 1e3:.0f} ms | "
            f"{harness.ratio(mine, hashed)} | {megabytes / mine:.0f}, {megabytes / theirs:.0f} |"
        )
    lines += ["", *(f"- {key}: {value}" for key, value in harness.machine())]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small model, a few rounds")
    args = parser.parse_args()
    print(run(args.quick))


if __name__ == "__main__":
    main()
