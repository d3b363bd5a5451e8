"""The demo: a small MLP learns scikit-learn's 8x8 digits, its LR scheduled per batch.

A compiled MLX train step (``mx.compile`` with the model's and the optimizer's
state as inputs and outputs) does the updates; a torch-named scheduler, given as a
SPEC, is stepped after each batch from Python and writes the LR (and a cycled
beta1) into the optimizer's state, which the compiled step reads with no retrace.
The default is a linear warmup then a cosine decay, on AdamW with bias
correction. The data ship with scikit-learn: nothing is downloaded.

``mlx-lr demo`` runs :func:`train` and saves :func:`plot_training`'s figure;
``mlx-lr find`` runs :func:`~mlx_lr_scheduler.lr_finder.lr_find` on the same
model and data (:func:`digits`, :func:`make_model`, :func:`loss_fn`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim

from mlx_lr_scheduler._extras import require
from mlx_lr_scheduler.lr_finder import LRFindResult, lr_find
from mlx_lr_scheduler.reduce_lr_on_plateau import ReduceLROnPlateau, WarmupThenPlateau
from mlx_lr_scheduler.spec import parse_spec

__all__ = [
    "DemoResult",
    "Digits",
    "accuracy",
    "batches",
    "batches_per_epoch",
    "default_spec",
    "digits",
    "loss_fn",
    "make_model",
    "plot_training",
    "range_test",
    "train",
]

SEED = 0
BATCH_SIZE = 64
WIDTH = 128
LEARNING_RATE = 1e-2
WEIGHT_DECAY = 1e-4
EPOCHS = 20


@dataclass(frozen=True)
class Digits:
    """The 8x8 digits (pixels scaled to [0, 1]), split 80/20 with a fixed seed."""

    x_train: mx.array
    y_train: mx.array
    x_test: mx.array
    y_test: mx.array


@dataclass(frozen=True)
class DemoResult:
    """What :func:`train` measured: per-update loss and LR, test accuracy, wall time."""

    spec: str
    epochs: int
    losses: list[float]
    lrs: list[float]
    momenta: list[float] | None
    test_accuracy: float
    seconds: float


def digits(seed: int = SEED) -> Digits:
    """scikit-learn's digits (1,797 images of 8x8 pixels, 10 classes), split 80/20."""
    datasets = require("sklearn.datasets", "mlx-lr demo")
    selection = require("sklearn.model_selection", "mlx-lr demo")
    data = datasets.load_digits()
    x_train, x_test, y_train, y_test = selection.train_test_split(
        data.data / 16.0, data.target, test_size=0.2, random_state=seed, stratify=data.target
    )
    return Digits(
        mx.array(x_train, dtype=mx.float32),
        mx.array(y_train, dtype=mx.int32),
        mx.array(x_test, dtype=mx.float32),
        mx.array(y_test, dtype=mx.int32),
    )


def make_model(width: int = WIDTH, seed: int = SEED) -> nn.Module:
    """An MLP 64 -> ``width`` -> ``width`` -> 10 with ReLUs, initialized from ``seed``."""
    mx.random.seed(seed)
    model = nn.Sequential(
        nn.Linear(64, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(), nn.Linear(width, 10)
    )
    mx.eval(model.parameters())
    return model


def loss_fn(model: nn.Module, x: mx.array, y: mx.array) -> mx.array:
    """Mean cross-entropy of the model's logits on a batch."""
    return nn.losses.cross_entropy(model(x), y, reduction="mean")


def batches(
    data: Digits, batch_size: int = BATCH_SIZE, seed: int = SEED
) -> Iterator[tuple[mx.array, mx.array]]:
    """Shuffled training minibatches of ``batch_size``, epoch after epoch, forever.

    The last partial batch of each epoch is left out, so every batch has one shape
    (the compiled step is traced once).
    """
    key = mx.random.key(seed)
    n = data.x_train.shape[0]
    while True:
        key, subkey = mx.random.split(key)
        order = mx.random.permutation(n, key=subkey)
        for start in range(0, n - batch_size + 1, batch_size):
            index = order[start : start + batch_size]
            yield data.x_train[index], data.y_train[index]


def batches_per_epoch(data: Digits, batch_size: int = BATCH_SIZE) -> int:
    """Full batches in one pass over the training set (the scheduler's steps per epoch)."""
    return int(data.x_train.shape[0]) // batch_size


def default_spec(total_steps: int) -> str:
    """Linear warmup over the first tenth of the updates, then a cosine decay to 0."""
    warmup = max(1, total_steps // 10)
    return (
        f"SequentialLR([LinearLR(start_factor=0.01, total_iters={warmup}), "
        f"CosineAnnealingLR(T_max={max(1, total_steps - warmup)})], milestones=[{warmup}])"
    )


def train(
    spec: str | None = None,
    epochs: int = EPOCHS,
    lr: float = LEARNING_RATE,
    progress: bool = True,
    seed: int = SEED,
) -> DemoResult:
    """Train the MLP for ``epochs`` epochs with the scheduler ``spec`` stepped per batch.

    Args:
        spec: a SPEC (see :mod:`mlx_lr_scheduler.spec`) counted in updates
            (batches); None for :func:`default_spec` over the whole run.
            ``ReduceLROnPlateau`` and ``WarmupThenPlateau`` step on each batch's loss.
        epochs: passes over the training set.
        lr: AdamW's learning rate, the scheduler's ``base_lr``.
        progress: show a tqdm progress bar (epoch, loss, accuracy, LR).
        seed: the seed of the split, the initialization and the shuffling.
    """
    started = time.perf_counter()
    data = digits(seed)
    per_epoch = batches_per_epoch(data)
    total = epochs * per_epoch
    text = spec if spec is not None else default_spec(total)
    model = make_model(seed=seed)
    optimizer = optim.AdamW(learning_rate=lr, weight_decay=WEIGHT_DECAY, bias_correction=True)
    scheduler = parse_spec(text).build(optimizer)
    on_metric = isinstance(scheduler, (ReduceLROnPlateau, WarmupThenPlateau))
    group = scheduler.param_groups[0]
    cycles_beta1 = "betas" in group

    optimizer.init(model.trainable_parameters())
    state = [model.state, optimizer.state]

    @partial(mx.compile, inputs=state, outputs=state)
    def train_step(x: mx.array, y: mx.array) -> tuple[mx.array, mx.array]:
        loss, grads = nn.value_and_grad(model, loss_fn)(model, x, y)
        optimizer.update(model, grads)
        return loss, mx.sum(mx.argmax(model(x), axis=1) == y)

    tqdm = require("tqdm", "mlx-lr demo").tqdm if progress else None
    losses: list[float] = []
    lrs: list[float] = []
    momenta: list[float] | None = [] if cycles_beta1 else None
    source = batches(data, seed=seed)
    test_accuracy = 0.0
    for epoch in range(1, epochs + 1):
        bar = (
            tqdm(total=per_epoch, desc=f"epoch {epoch:>2}/{epochs}", unit="batch", leave=False)
            if tqdm is not None
            else None
        )
        correct = seen = 0
        for _ in range(per_epoch):
            x, y = next(source)
            lrs.append(scheduler.get_last_lr()[0])
            if momenta is not None:
                momenta.append(float(group["betas"][0]))
            loss, hits = train_step(x, y)
            mx.eval(loss, hits, state)
            value = loss.item()
            losses.append(value)
            correct += int(hits.item())
            seen += int(x.shape[0])
            if on_metric:
                scheduler.step(value)
            else:
                scheduler.step()
            if bar is not None:
                bar.update(1)
                bar.set_postfix(
                    loss=f"{value:.3f}",
                    acc=f"{correct / seen:.3f}",
                    lr=f"{lrs[-1]:.2e}",
                    refresh=False,
                )
        test_accuracy = accuracy(model, data.x_test, data.y_test)
        if bar is not None and tqdm is not None:
            bar.close()
            tqdm.write(
                f"epoch {epoch:>2}/{epochs}  loss {sum(losses[-per_epoch:]) / per_epoch:.4f}  "
                f"train acc {correct / seen:.3f}  test acc {test_accuracy:.3f}  lr {lrs[-1]:.2e}"
            )
    return DemoResult(
        text, epochs, losses, lrs, momenta, test_accuracy, time.perf_counter() - started
    )


def accuracy(model: nn.Module, x: mx.array, y: mx.array) -> float:
    """The fraction of ``x`` the model classifies as ``y``."""
    return float(mx.mean(mx.argmax(model(x), axis=1) == y).item())


def plot_training(result: DemoResult, path: str) -> None:
    """Save the per-update training loss and LR (and beta1 if cycled), one above the other."""
    from mlx_lr_scheduler._extras import pyplot

    plt = pyplot("mlx-lr demo")
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    steps = range(len(result.losses))
    top.plot(steps, result.losses, color="tab:blue", alpha=0.35, linewidth=0.8, label="batch loss")
    window = max(1, len(result.losses) // 50)
    if window > 1:
        running = [
            sum(result.losses[max(0, i - window + 1) : i + 1]) / (i + 1 - max(0, i - window + 1))
            for i in steps
        ]
        top.plot(steps, running, color="tab:blue", label=f"mean of last {window}")
    top.set_yscale("log")
    top.set_ylabel("training loss (cross-entropy)")
    top.set_title(f"MLP on 8x8 digits: test accuracy {result.test_accuracy:.1%}")
    top.grid(alpha=0.3)
    top.legend()
    bottom.plot(steps, result.lrs, color="tab:red", label="learning rate")
    bottom.set_xlabel("update (batch)")
    bottom.set_ylabel("learning rate")
    bottom.grid(alpha=0.3)
    handles, labels = bottom.get_legend_handles_labels()
    if result.momenta is not None:
        right = bottom.twinx()
        right.plot(steps, result.momenta, color="tab:green", linestyle="--", label="beta1")
        right.set_ylabel("beta1")
        more_handles, more_labels = right.get_legend_handles_labels()
        handles, labels = handles + more_handles, labels + more_labels
    bottom.legend(handles, labels, loc="upper right")
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)


def range_test(
    start_lr: float, end_lr: float, num_steps: int, progress: bool = True
) -> LRFindResult:
    """:func:`~mlx_lr_scheduler.lr_finder.lr_find` on the demo's model (AdamW) and batches."""
    data = digits()
    model = make_model()
    optimizer = optim.AdamW(
        learning_rate=LEARNING_RATE, weight_decay=WEIGHT_DECAY, bias_correction=True
    )
    source = batches(data)
    stream = (next(source) for _ in range(num_steps))
    return lr_find(
        model,
        optimizer,
        loss_fn,
        stream,
        start_lr=start_lr,
        end_lr=end_lr,
        num_steps=num_steps,
        progress=progress,
    )
