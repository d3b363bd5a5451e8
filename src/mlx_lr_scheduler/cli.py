"""``mlx-lr``: plot or tabulate a schedule, run the training demo, find a learning rate.

::

    mlx-lr plot "OneCycleLR(max_lr=0.1, total_steps=1000)" --steps 1000 -o onecycle.png
    mlx-lr table "CosineAnnealingLR(T_max=100)" --lr 0.1 --steps 100 --csv
    mlx-lr demo                     # an MLP on 8x8 digits, warmup + cosine per batch
    mlx-lr find -o find.png         # the LR range test on the demo's model
    mlx-lr pictures docs/pictures   # the README's pictures

A SPEC is a scheduler call with literal arguments, the optimizer left out (see
:mod:`mlx_lr_scheduler.spec`), or the path of a JSON file. ``python -m
mlx_lr_scheduler`` is the same command. Errors are one line on stderr, exit code 2.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from mlx_lr_scheduler._extras import MissingExtraError, pyplot, require
from mlx_lr_scheduler.preview import Preview, preview
from mlx_lr_scheduler.spec import SpecError, parse_spec, scheduler_names

__all__ = ["main"]

PROG = "mlx-lr"


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error as one line (and exit code 2)."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{self.prog}: error: {message} (see {self.prog} --help)")


def _plot_options(command: argparse.ArgumentParser, default: str) -> None:
    """The options of a command that trains and plots: where the PNG goes, and --quiet."""
    command.add_argument(
        "-o",
        "--output",
        metavar="PNG",
        default=default,
        help=f"where to save the plot (default {default})",
    )
    command.add_argument("--quiet", action="store_true", help="no progress bar")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Learning-rate schedules for MLX: preview them, train with them, find an LR.",
        epilog='SPEC: a scheduler call, e.g. "OneCycleLR(max_lr=0.1, total_steps=1000)" or '
        '"SequentialLR([LinearLR(start_factor=0.1, total_iters=5), CosineAnnealingLR(T_max=95)],'
        ' milestones=[5])", or the path of a JSON file {"name": ..., "arguments": {...}}. '
        f"Schedulers: {', '.join(scheduler_names())}.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    def add_schedule_arguments(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--lr",
            type=float,
            default=0.1,
            help="the optimizer's learning rate, the schedule's base_lr (default 0.1)",
        )
        sub.add_argument("--steps", type=int, required=True, help="number of updates to show")
        sub.add_argument(
            "--optimizer",
            choices=["sgd", "adam"],
            default="sgd",
            help="whose momentum a cycling schedule drives: SGD's momentum "
            "or Adam's beta1 (default sgd)",
        )

    plot = commands.add_parser(
        "plot",
        help="plot schedules (a PNG with -o, else in the terminal)",
        description="Plot the LR of each SPEC over --steps updates (and the momentum or beta1 "
        "where the schedule cycles it), overlaid on one plot.",
    )
    plot.add_argument("specs", nargs="+", metavar="SPEC", help="a scheduler call or JSON file")
    add_schedule_arguments(plot)
    plot.add_argument("-o", "--output", metavar="PNG", help="write a PNG here (matplotlib)")
    plot.set_defaults(run=_plot)

    table = commands.add_parser(
        "table",
        help="the schedule's values, step by step",
        description="Print the LR (and cycled momentum) that each of --steps updates uses.",
    )
    table.add_argument("spec", metavar="SPEC", help="a scheduler call or JSON file")
    add_schedule_arguments(table)
    table.add_argument(
        "--csv", action="store_true", help="CSV: a header row, then step,lr[,momentum or beta1]"
    )
    table.set_defaults(run=_table)

    from mlx_lr_scheduler import demo

    run_demo = commands.add_parser(
        "demo",
        help="train a small MLP on 8x8 digits with a scheduled LR",
        description="Train an MLP on scikit-learn's 8x8 digits (a compiled MLX train step, "
        "AdamW with bias correction, the scheduler stepped per batch), print the test "
        "accuracy and wall time, and save a plot of the loss and the LR.",
    )
    run_demo.add_argument(
        "--scheduler",
        metavar="SPEC",
        help="the schedule, stepped per batch (22 per epoch: 440 updates in the default 20 "
        "epochs); default: linear warmup over the first tenth, then cosine to 0",
    )
    run_demo.add_argument(
        "--epochs",
        type=int,
        default=demo.EPOCHS,
        help=f"passes over the training set (default {demo.EPOCHS})",
    )
    run_demo.add_argument(
        "--lr",
        type=float,
        default=demo.LEARNING_RATE,
        help=f"AdamW's base learning rate (default {demo.LEARNING_RATE})",
    )
    _plot_options(run_demo, "demo.png")
    run_demo.set_defaults(run=_demo)

    find = commands.add_parser(
        "find",
        help="the LR range test on the demo's model and data",
        description="Raise the LR exponentially over --steps updates of the demo's MLP, "
        "print the suggested LR and save the loss-vs-LR plot.",
    )
    find.add_argument("--start-lr", type=float, default=1e-7, help="first LR (default 1e-7)")
    find.add_argument("--end-lr", type=float, default=10.0, help="last LR (default 10)")
    find.add_argument("--steps", type=int, default=100, help="updates in the sweep (default 100)")
    _plot_options(find, "find.png")
    find.set_defaults(run=_find)

    pictures = commands.add_parser(
        "pictures",
        help="draw the README's pictures",
        description="Write one PNG per schedule family, and the demo's plot, into DIRECTORY.",
    )
    pictures.add_argument("directory", help="where to write the PNG files")
    pictures.set_defaults(run=_pictures)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``mlx-lr`` with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    parser = _build_parser()
    try:
        arguments = parser.parse_args(argv)
    except _UsageError as error:
        print(error, file=sys.stderr)
        return 2
    try:
        arguments.run(arguments)
    except KeyboardInterrupt:
        print(f"{PROG} {arguments.command}: interrupted", file=sys.stderr)
        return 130
    except (SpecError, MissingExtraError, ValueError, TypeError, KeyError, OSError) as error:
        message = error.args[0] if error.args else type(error).__name__
        if isinstance(error, MissingExtraError):  # it names the command already
            print(message, file=sys.stderr)
            return 2
        if isinstance(error, OSError) and error.strerror:
            message = f"{error.strerror}: {error.filename}"
        print(f"{PROG} {arguments.command}: error: {message}", file=sys.stderr)
        return 2
    return 0


# -- plot and table -----------------------------------------------------------
def _previews(specs: Sequence[str], arguments: argparse.Namespace) -> list[tuple[str, Preview]]:
    out = []
    for text in specs:
        name = parse_spec(text).name
        if name in ("ReduceLROnPlateau", "WarmupThenPlateau", "reduce_lr_on_plateau"):
            raise SpecError(
                f"{name} steps on a metric, which the command does not have: preview it in "
                "Python with mlx_lr_scheduler.preview(..., metrics=[...])"
            )
        out.append(
            (text, preview(text, arguments.steps, lr=arguments.lr, optimizer=arguments.optimizer))
        )
    return out


def _momentum_label(optimizer: str) -> str:
    return "beta1" if optimizer == "adam" else "momentum"


def _plot(arguments: argparse.Namespace) -> None:
    if arguments.steps < 1:
        raise ValueError(f"--steps must be >= 1, but got {arguments.steps}")
    curves = _previews(arguments.specs, arguments)
    label = _momentum_label(arguments.optimizer)
    if arguments.output:
        save_plot(curves, arguments.output, title="learning-rate schedule", momentum_label=label)
        print(f"wrote {arguments.output}")
    else:
        _terminal_plot(curves, label)


def save_plot(
    curves: Sequence[tuple[str, Preview]],
    path: str,
    title: str,
    momentum_label: str = "momentum",
    metric: Sequence[float] | None = None,
) -> None:
    """Save LR curves (solid, left axis) and cycled momenta (dashed, right axis) as a PNG."""
    plt = pyplot(f"{PROG} plot -o")
    figure, axes = plt.subplots(figsize=(7.5, 4.2))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    right = None
    for i, (label, curve) in enumerate(curves):
        color = colors[i % len(colors)]
        axes.plot(curve.steps, curve.lrs, color=color, label=_short(label), drawstyle="steps-post")
        if curve.momenta is not None:
            right = right or axes.twinx()
            right.plot(
                curve.steps,
                curve.momenta,
                color=color,
                linestyle="--",
                alpha=0.7,
                label=f"{momentum_label}: {_short(label, 60)}",
            )
    if metric is not None:
        right = right or axes.twinx()
        right.plot(range(len(metric)), metric, color="0.5", linestyle=":", label="metric (loss)")
        right.set_ylabel("metric")
    elif right is not None:
        right.set_ylabel(momentum_label)
    axes.set_xlabel("step (update)")
    axes.set_ylabel("learning rate")
    axes.set_title(title)
    axes.grid(alpha=0.3)
    handles, labels = axes.get_legend_handles_labels()
    if right is not None:
        more = right.get_legend_handles_labels()
        handles, labels = handles + more[0], labels + more[1]
    # Below the axes, where it hides no curve.
    axes.legend(
        handles,
        labels,
        fontsize="small",
        loc="upper center",
        bbox_to_anchor=(0.5, -0.14),
        ncol=2 if len(labels) > 3 and max(map(len, labels)) <= 50 else 1,
        frameon=False,
    )
    figure.savefig(path, dpi=80, bbox_inches="tight")
    plt.close(figure)


def _short(label: str, width: int = 80) -> str:
    return label if len(label) <= width else label[: width - 3] + "..."


def _terminal_plot(curves: Sequence[tuple[str, Preview]], momentum_label: str) -> None:
    """Draw the curves in the terminal (plotext 6's figure API), momenta on the right axis."""
    figure = require("plotext", f"{PROG} plot").figure
    figure.clear.all()
    for label, curve in curves:
        lrs = figure.signal(curve.steps, curve.lrs)
        lrs.label(_short(label, 40)).lines()
        figure.draw(lrs)
        if curve.momenta is not None:
            momenta = figure.signal(curve.steps, curve.momenta, yside="right")
            momenta.label(f"{momentum_label} (right axis)").lines()
            figure.draw(momenta)
    figure.title("learning-rate schedule")
    figure.label("step", axis="x")
    figure.label("learning rate", axis="y")
    columns = shutil.get_terminal_size((100, 25)).columns
    figure.plot_size(max(40, min(columns, 120)), 25)
    # Printed through Python, so a redirect or a capture sees it (show() writes to the fd).
    print(figure.build().string(colorless=not sys.stdout.isatty()))


def _table(arguments: argparse.Namespace) -> None:
    ((_, curve),) = _previews([arguments.spec], arguments)
    label = _momentum_label(arguments.optimizer)
    momenta: Sequence[float | None] = curve.momenta or [None] * len(curve.lrs)
    rows = zip(curve.steps, curve.lrs, momenta)
    if arguments.csv:
        print("step,lr" + (f",{label}" if curve.momenta is not None else ""))
        for step, lr, momentum in rows:
            print(f"{step},{lr!r}" + (f",{momentum!r}" if momentum is not None else ""))
        return
    print(f"{'step':>8}  {'lr':>24}" + (f"  {label:>24}" if curve.momenta is not None else ""))
    for step, lr, momentum in rows:
        print(f"{step:>8}  {lr!r:>24}" + (f"  {momentum!r:>24}" if momentum is not None else ""))


# -- demo and find ------------------------------------------------------------
def _demo(arguments: argparse.Namespace) -> None:
    from mlx_lr_scheduler import demo

    if arguments.epochs < 1:
        raise ValueError(f"--epochs must be >= 1, but got {arguments.epochs}")
    for module in ("tqdm", "sklearn", "matplotlib"):
        require(module, f"{PROG} demo")
    if arguments.scheduler is not None:
        parse_spec(arguments.scheduler)  # a bad SPEC fails before the data load
    result = demo.train(
        arguments.scheduler, epochs=arguments.epochs, lr=arguments.lr, progress=not arguments.quiet
    )
    demo.plot_training(result, arguments.output)
    print(
        f"scheduler: {result.spec} on AdamW(learning_rate={arguments.lr}), "
        f"{len(result.lrs)} updates"
    )
    print(f"test accuracy: {result.test_accuracy:.2%}  wall time: {result.seconds:.1f} s")
    print(f"wrote {arguments.output}")


def _find(arguments: argparse.Namespace) -> None:
    from mlx_lr_scheduler import demo

    for module in ("tqdm", "sklearn", "matplotlib"):
        require(module, f"{PROG} find")
    result = demo.range_test(
        arguments.start_lr, arguments.end_lr, arguments.steps, progress=not arguments.quiet
    )
    result.plot(arguments.output)
    if result.suggestion is None:
        print("no suggestion: the sweep stopped too early (raise --steps or lower --start-lr)")
    else:
        print(f"suggested LR: {result.suggestion:.3g} (valley)")
        alternatives = [("steepest", result.steepest), ("minimum/10", result.minimum_over_10)]
        print(
            "  "
            + "  ".join(f"{name}: {value:.3g}" for name, value in alternatives if value is not None)
        )
    print(f"wrote {arguments.output}")


# -- pictures -------------------------------------------------------------------
def decay_started_by_hand(steps: int, decide_at: int = 60) -> Preview:
    """An open-ended ``WarmupStableDecayLR`` whose decay ``start_decay()`` starts mid-run.

    Warmup 10, stable until ``start_decay()`` is called before update ``decide_at``,
    then a linear decay over 20 updates to 0 (base LR 0.1): a decision a SPEC cannot
    hold, so the run is stepped here, as in training (the update, then the scheduler).

    Example:
        >>> [round(lr, 3) for lr in decay_started_by_hand(100).lrs[58:63]]  # steps 58 to 62
        [0.1, 0.1, 0.1, 0.095, 0.09]
    """
    import mlx.core as mx
    import mlx.optimizers as optim

    from mlx_lr_scheduler import WarmupStableDecayLR

    optimizer = optim.SGD(learning_rate=0.1)
    scheduler = WarmupStableDecayLR(
        optimizer, num_warmup_steps=10, num_decay_steps=20, decay_type="linear"
    )
    zero = {"unused": mx.zeros((1,))}
    lrs = []
    for step in range(steps):
        lrs.append(scheduler.get_last_lr()[0])
        optimizer.apply_gradients(zero, zero)
        if step + 1 == decide_at:
            scheduler.start_decay()  # the decay starts at the next step
        scheduler.step()
    return Preview(list(range(steps)), lrs)


#: A curve of a picture: a SPEC, or a label and a function of the number of steps.
Curve = str | tuple[str, Callable[[int], Preview]]

#: One picture per schedule family: file name, title, curves, optimizer (base LR 0.1).
FAMILIES: list[tuple[str, str, list[Curve], str]] = [
    (
        "step-decays.png",
        "Step decays (StepLR, MultiStepLR, ExponentialLR, PolynomialLR)",
        [
            "StepLR(step_size=30, gamma=0.5)",
            "MultiStepLR(milestones=[40, 70, 90], gamma=0.3)",
            "ExponentialLR(gamma=0.97)",
            "PolynomialLR(total_iters=100, power=2.0)",
        ],
        "sgd",
    ),
    (
        "warmup-cosine.png",
        "Warmup then cosine (SequentialLR, LinearLR, CosineAnnealingLR)",
        [
            "SequentialLR([LinearLR(start_factor=0.01, total_iters=10), "
            "CosineAnnealingLR(T_max=90)], milestones=[10])",
            "CosineAnnealingLR(T_max=100, eta_min=0.01)",
            "SequentialLR([ConstantLR(factor=0.1, total_iters=10), "
            "PolynomialLR(total_iters=90, power=1.0)], milestones=[10])",
        ],
        "sgd",
    ),
    (
        "cyclic-one-cycle.png",
        "One cycle and cyclic LR, with the momentum they cycle (dashed)",
        [
            "OneCycleLR(max_lr=0.1, total_steps=100)",
            "CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=15, mode='triangular2')",
        ],
        "sgd",
    ),
    (
        "warm-restarts.png",
        "Warm restarts (CosineAnnealingWarmRestarts)",
        [
            "CosineAnnealingWarmRestarts(T_0=10, T_mult=2)",
            "CosineAnnealingWarmRestarts(T_0=25, eta_min=0.01)",
        ],
        "sgd",
    ),
    (
        "modern-llm.png",
        "Modern LLM schedules (WarmupStableDecayLR, InverseSqrtLR, WarmupCosineLR)",
        [
            "WarmupStableDecayLR(10, 30, 100, decay_type='linear')",
            "WarmupStableDecayLR(10, 30, 100, decay_type='cosine')",
            "WarmupStableDecayLR(10, 30, 100, decay_type='1-sqrt')",
            (
                "WarmupStableDecayLR(10, 20, decay_type='linear'), start_decay() before step 60",
                decay_started_by_hand,
            ),
            "InverseSqrtLR(num_warmup_steps=10)",
            "WarmupCosineLR(10, 100, min_lr_rate=0.1)",
        ],
        "sgd",
    ),
    (
        "warmups.png",
        "Warmups in front (WarmupLR), warmup + restarts, warmup + polynomial",
        [
            "WarmupLR(StepLR(step_size=30, gamma=0.5), num_warmup_steps=10, start_factor=0.1)",
            "WarmupLR(CosineAnnealingLR(T_max=90), num_warmup_steps=10, warmup_type='cosine')",
            "WarmupCosineLR(10, 100, num_cycles=3, hard_restarts=True)",
            "WarmupPolynomialLR(10, 100, lr_end=0.01, power=2.0)",
        ],
        "sgd",
    ),
]


def plateau_metric(steps: int) -> list[float]:
    """A made-up validation loss that falls, then stalls in steps (for the plateau picture)."""
    return [max(1.0 / (1 + 0.15 * k), 0.45 - 0.05 * (k // 30)) for k in range(steps)]


def draw_families(directory: str, steps: int = 100) -> list[str]:
    """Draw each of :data:`FAMILIES`, and the plateau schedules, into ``directory``.

    Returns the paths written.
    """
    os.makedirs(directory, exist_ok=True)
    paths = []
    for name, title, family, optimizer in FAMILIES:
        curves = [
            (curve, preview(curve, steps, lr=0.1, optimizer=optimizer))
            if isinstance(curve, str)
            else (curve[0], curve[1](steps))
            for curve in family
        ]
        paths.append(os.path.join(directory, name))
        save_plot(curves, paths[-1], title)
    metric = plateau_metric(steps)
    curves = [
        (spec, preview(spec, steps, lr=0.1, metrics=metric))
        for spec in [
            "ReduceLROnPlateau(factor=0.5, patience=5)",
            "WarmupThenPlateau(LinearLR(start_factor=0.1, total_iters=10), "
            "ReduceLROnPlateau(factor=0.5, patience=5, threshold=0.01), milestone=10)",
        ]
    ]
    paths.append(os.path.join(directory, "plateau.png"))
    save_plot(curves, paths[-1], "Reduce on plateau (of the dotted metric)", metric=metric)
    return paths


def _pictures(arguments: argparse.Namespace) -> None:
    from mlx_lr_scheduler import demo

    for path in draw_families(arguments.directory):
        print(f"wrote {path}")
    result = demo.train(progress=False)
    path = os.path.join(arguments.directory, "demo.png")
    demo.plot_training(result, path)
    print(f"wrote {path} (test accuracy {result.test_accuracy:.2%})")
