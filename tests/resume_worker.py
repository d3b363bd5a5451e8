"""A tiny training run that checkpoints as it goes, for ``test_checkpoint_resume.py``.

    python resume_worker.py CASE CHECKPOINT_DIR STEPS SAVE_EVERY [CRASH_SAVE CRASH_CALL]

Resumes from ``CHECKPOINT_DIR`` if it holds a checkpoint, then trains up to ``STEPS``
steps, saving every ``SAVE_EVERY`` steps (``0``: never). Prints one line per event,
flushed, for the parent to read:

* ``RESUMED <step> <record>``: loaded the checkpoint saved after ``<step>``; the record
  of the state as loaded;
* ``REC <step> <record>``: after the step's update and scheduler step; a record is the
  LR and the momentum (``float.hex``, or ``-``) and the SHA-256 of every parameter's bytes;
* ``SAVING <step>`` / ``SAVED <step>`` around each save; ``DONE`` at the end.

With ``CRASH_SAVE CRASH_CALL``, the process kills itself with SIGKILL during its
``CRASH_SAVE``-th save, just before the ``CRASH_CALL``-th call to ``os.fsync``,
``os.rename`` or ``os.replace`` in it, after printing ``CRASH <call> <n> <replaced>``
(``replaced``: whether the save already replaced the ``latest`` pointer).
"""

from __future__ import annotations

import hashlib
import os
import signal
import sys
from functools import partial

import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim
import numpy as np
from mlx.utils import tree_flatten

import mlx_lr_scheduler as lib


class Model(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(16, 64)
        self.out = nn.Linear(64, 4)

    def __call__(self, x):
        return self.out(nn.tanh(self.hidden(x)))


def batch(step):
    key = mx.random.key(1000 + step)
    x = mx.random.normal((32, 16), key=key)
    y = mx.random.randint(0, 4, (32,), key=mx.random.split(key)[1])
    return x, y


def loss_fn(model, x, y):
    return nn.losses.cross_entropy(model(x), y).mean()


def build(case, steps):
    """Model, optimizer, scheduler and whether the step is compiled, for one case."""
    mx.random.seed(0)
    model = Model()
    if case == "onecycle-sgd-compiled":
        optimizer = optim.SGD(learning_rate=0.1, momentum=0.9)
        scheduler = lib.OneCycleLR(optimizer, max_lr=0.5, total_steps=steps)
        compiled = True
    elif case == "warmup-cosine-adamw":
        optimizer = optim.AdamW(learning_rate=1e-2, weight_decay=0.05)
        warmup = lib.LinearLR(optimizer, start_factor=0.1, total_iters=5)
        cosine = lib.CosineAnnealingLR(optimizer, T_max=steps - 5)
        scheduler = lib.SequentialLR(optimizer, [warmup, cosine], milestones=[5])
        compiled = False
    elif case == "warm-restarts-sgd":
        optimizer = optim.SGD(learning_rate=0.2, momentum=0.8)
        scheduler = lib.CosineAnnealingWarmRestarts(optimizer, T_0=4, T_mult=2, eta_min=1e-3)
        compiled = True
    elif case == "plateau-sgd":
        optimizer = optim.SGD(learning_rate=0.3, momentum=0.5)
        scheduler = lib.ReduceLROnPlateau(optimizer, factor=0.5, patience=1)
        compiled = False
    else:
        raise SystemExit(f"unknown case {case!r}")
    optimizer.init(model.trainable_parameters())
    return model, optimizer, scheduler, compiled


def record(model, optimizer):
    state = optimizer.state
    lr = state["learning_rate"].item().hex()
    momentum = state["momentum"].item().hex() if "momentum" in state else "-"
    digest = hashlib.sha256()
    for name, value in tree_flatten(model.parameters()):
        digest.update(name.encode())
        digest.update(np.array(value).tobytes())
    return f"{lr} {momentum} {digest.hexdigest()[:24]}"


def crash_during(save_number, call_number):
    """Make the process SIGKILL itself inside its ``save_number``-th save."""
    counts = {"save": 0, "call": 0, "replaced": False}
    originals = {name: getattr(os, name) for name in ("fsync", "rename", "replace")}

    def hooked(name):
        def call(*args, **kwargs):
            if counts["save"] == save_number:
                counts["call"] += 1
                if counts["call"] == call_number:
                    print(f"CRASH {name} {call_number} {counts['replaced']}", flush=True)
                    os.kill(os.getpid(), signal.SIGKILL)
                if name == "replace":
                    counts["replaced"] = True
            return originals[name](*args, **kwargs)

        return call

    for name in originals:
        setattr(os, name, hooked(name))
    return counts


def main(argv):
    case, directory, steps, save_every = argv[0], argv[1], int(argv[2]), int(argv[3])
    counts = crash_during(int(argv[4]), int(argv[5])) if len(argv) > 4 else None
    model, optimizer, scheduler, compiled = build(case, steps)
    state = [model.state, optimizer.state]

    def train_step(x, y):
        loss, grads = nn.value_and_grad(model, loss_fn)(model, x, y)
        optimizer.update(model, grads)
        return loss

    if compiled:  # built before the load: it must keep working after it
        train_step = partial(mx.compile, inputs=state, outputs=state)(train_step)

    start = 0
    if os.path.exists(os.path.join(directory, "latest")):
        extra = lib.load_checkpoint(
            directory, model=model, optimizer=optimizer, scheduler=scheduler
        )
        start = extra["step"]
        print(f"RESUMED {start} {record(model, optimizer)}", flush=True)

    for step in range(start + 1, steps + 1):
        loss = train_step(*batch(step))
        mx.eval(state, loss)
        if isinstance(scheduler, lib.ReduceLROnPlateau):
            scheduler.step(round(loss.item(), 2))
        else:
            scheduler.step()
        print(f"REC {step} {record(model, optimizer)}", flush=True)
        if save_every and step % save_every == 0:
            print(f"SAVING {step}", flush=True)
            if counts is not None:
                counts["save"] += 1
            lib.save_checkpoint(
                directory,
                model=model,
                optimizer=optimizer,
                scheduler=scheduler,
                extra={"step": step},
                keep_last=2,
            )
            print(f"SAVED {step}", flush=True)
    print("DONE", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
