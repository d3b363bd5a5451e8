"""Atomic, verified checkpoints against MLX's own save and load: section 5 of the report.

Saves and loads a model with over 100 MB of parameters (and its AdamW state, twice
that) with ``save_checkpoint`` / ``load_checkpoint``, and the same arrays with MLX's
own ``mx.save_safetensors`` plus an fsync of each file and of the directory /
``mx.load``, in the same run: interleaved rounds, medians. ``--quick`` is a smoke
run on a small model. ``python -m benchmarks.checkpoint [--quick]`` prints this
section alone.

The extra work of a checkpoint is the SHA-256 of every byte (on threads, while the
next file is written or loaded), the manifest, the rename and the pointer. A third
column does MLX's part plus ``hashlib.sha256`` of each file, one after the other: the
floor of any verified checkpoint done the simple way; the hash alone is timed too.
Loads read from the page cache. The files go to a temporary directory, removed after.
"""

from __future__ import annotations

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
from benchmarks.report import Section, Target
from mlx_lr_scheduler import OneCycleLR, load_checkpoint, save_checkpoint

#: ours / MLX alone, save and load.
TARGET = 1.25
SAVE, SAVE_PLAIN, SAVE_HASHED = "save_checkpoint", "mx.save_safetensors + fsync", "save+hash"
LOAD, LOAD_PLAIN, LOAD_HASHED = "load_checkpoint", "mx.load", "load+hash"
HASH = "hashlib.sha256"


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


def run(settings: harness.Settings) -> Section:
    width, layers, rounds = (256, 2, 3) if settings.quick else (2048, 6, 15)
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
            {SAVE: save_ours, SAVE_PLAIN: save_plain, SAVE_HASHED: save_plain_hashed},
            calls=1,
            rounds=rounds,
            setup={
                SAVE: lambda: clear(ours),
                SAVE_PLAIN: lambda: clear(plain),
                SAVE_HASHED: lambda: clear(plain),
            },
        )
        save_ours()
        save_plain()
        loads = harness.interleaved_samples(
            {
                LOAD: load_ours,
                LOAD_PLAIN: load_plain,
                LOAD_HASHED: load_plain_hashed,
                HASH: sha256_plain,
            },
            calls=1,
            rounds=rounds,
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    medians = {name: statistics.median(v) for name, v in {**saves, **loads}.items()}
    megabytes = total / 1e6
    section = Section("5. Checkpoints")
    section.add(
        f"A checkpoint of {megabytes:.0f} MB of arrays (an MLP of {len(model_arrays) // 2} "
        f"{width}x{width} layers, {megabytes / 3:.0f} MB of parameters, and its AdamW "
        "state, twice that; with a `OneCycleLR`), saved to and loaded from a temporary "
        "directory. `save_checkpoint` (SHA-256 of every file, manifest, atomic rename, "
        "`latest` pointer, fsyncs) against `mx.save_safetensors` of the same two trees "
        "plus an fsync of each file and of the directory; `load_checkpoint` (verifies "
        "every hash, then loads) against `mx.load` + `mx.eval` of both files from the "
        "page cache. A third column does MLX's part and then `hashlib.sha256` of each "
        "file, one after the other. "
        f"{rounds} interleaved rounds of one call each, medians. "
        f"Target: ≤ {TARGET:g} x MLX alone.",
        "",
    )
    rows = []
    for label, ours_name, plain_name, hashed_name in (
        ("save", SAVE, SAVE_PLAIN, SAVE_HASHED),
        ("load", LOAD, LOAD_PLAIN, LOAD_HASHED),
    ):
        mine, theirs, hashed = medians[ours_name], medians[plain_name], medians[hashed_name]
        rows.append(
            [
                f"{label}: `{ours_name}` vs `{plain_name}`",
                f"{mine * 1e3:.0f} ms",
                f"{theirs * 1e3:.0f} ms",
                harness.ratio(mine, theirs),
                f"{hashed * 1e3:.0f} ms",
                harness.ratio(mine, hashed),
                f"{megabytes / mine:.0f}, {megabytes / theirs:.0f}",
            ]
        )
        section.targets.append(
            Target(
                f"{label} {megabytes:.0f} MB: `{ours_name}` / `{plain_name}`",
                mine / theirs,
                "<=",
                TARGET,
            )
        )
    section.table(
        [
            "operation",
            "this library",
            "MLX alone",
            f"ratio (target ≤ {TARGET:g}x)",
            "MLX, then hashlib SHA-256",
            "library / that",
            "MB/s: library, MLX",
        ],
        rows,
    )
    hash_rate = megabytes / medians[HASH]
    section.add(
        f"`hashlib.sha256` of both files alone, one thread: {medians[HASH] * 1e3:.0f} ms, "
        f"{hash_rate:.0f} MB/s.",
        "",
    )
    section.data.update(medians=medians, megabytes=megabytes, hash_rate=hash_rate)
    return section


def main() -> None:
    harness.run_section_alone(run, __doc__.splitlines()[0], "a small model, a few rounds")


if __name__ == "__main__":
    main()
