"""Float32 accuracy of the schedule functions, against independent float64 formulas.

Every case evaluates a schedule over one array of steps (all of 0..10^4, two
steps on each side of every boundary of the schedule (of the first, the last and
a sample of the others when there are more than 60,000), steps around 2^24 where
float32 stops holding every integer, and a log-spaced and a random sample up to
3*10^7) eagerly and under ``mx.compile``, and compares with the schedule's
closed form written here in numpy, in the textbook form (``1 + cos``, ``gamma**t``)
and in extended precision where the platform has it, so the reference is not
the float32 formula in disguise. The check is the README's promise: relative error
``<= 1e-5``, relative to ``max(|value|, 1e-10 * peak)``.

MLX's own ``cosine_decay`` and ``exponential_decay`` fail the same check, which
shows that it can fail.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import mlx.core as mx
import mlx.optimizers as optim
import numpy as np
import pytest

from mlx_lr_scheduler import schedules

#: The accuracy the README promises, and the largest step it covers.
TOLERANCE = 1e-5
LAST_STEP = 3 * 10**7
#: Values below this fraction of the peak are compared to it instead (the floor).
FLOOR = 1e-10
#: Boundaries checked around (all of them, up to this many; else a sample).
MAX_BOUNDARIES = 60_000

# Extended precision where numpy has it (x86: 80-bit), else float64.
WIDE = np.longdouble
PI = np.arccos(WIDE(-1))


def _steps(boundaries: Iterable[int]) -> np.ndarray:
    rng = np.random.default_rng(20240)
    parts = [
        np.arange(10**4 + 1),
        np.geomspace(1, LAST_STEP, 4000).astype(np.int64),
        rng.integers(0, LAST_STEP + 1, 4000),
        np.arange(2**24 - 3, 2**24 + 4),
        np.arange(LAST_STEP - 3, LAST_STEP + 1),
    ]
    every = np.unique(np.fromiter(boundaries, dtype=np.int64))
    if len(every) > MAX_BOUNDARIES:  # a short period: the first, the last and a sample between
        third = MAX_BOUNDARIES // 3
        middle = rng.choice(every[third:-third], third, replace=False)
        every = np.concatenate([every[:third], middle, every[-third:]])
    near = (every[:, None] + np.arange(-2, 3)).ravel()
    parts.append(near[(near >= 0) & (near <= LAST_STEP)])
    return np.unique(np.concatenate(parts)).astype(np.uint64)


@dataclass
class Case:
    """A schedule, its closed form in numpy (of wide-float steps), and its boundaries."""

    schedule: Callable[[], Callable[..., object]]
    reference: Callable[[np.ndarray], np.ndarray]
    boundaries: Iterable[int] = field(default_factory=list)
    #: The last step an int may ask for (one_cycle: total_steps; arrays hold the end).
    last: int | None = None


def _every(period: float, start: int = 0) -> np.ndarray:
    """Multiples of ``period`` up to the last step (a sample when there are too many)."""
    count = int((LAST_STEP - start) // period) + 1
    if count > MAX_BOUNDARIES:
        third = MAX_BOUNDARIES // 3
        rng = np.random.default_rng(period.__hash__() % 2**32)
        middle = rng.choice(np.arange(third, count - third), third, replace=False)
        index = np.concatenate([np.arange(third), middle, np.arange(count - third, count)])
    else:
        index = np.arange(count)
    return np.floor(start + index * period).astype(np.int64)


def _cosine(base: float, low: float, position: np.ndarray, period) -> np.ndarray:
    return WIDE(low) + (WIDE(base) - WIDE(low)) * (1 + np.cos(PI * position / period)) / 2


def _epochs(t: np.ndarray, per: int) -> np.ndarray:
    return np.floor(t / per)


def _restarts(t: np.ndarray, T_0: int, T_mult: int) -> tuple[np.ndarray, np.ndarray]:
    """(T_cur, T_i) of each step, by walking the cycles in Python integers."""
    starts, lengths = [0], [T_0]
    while starts[-1] <= LAST_STEP:
        starts.append(starts[-1] + lengths[-1])
        lengths.append(lengths[-1] * T_mult)
    cycle = np.searchsorted(np.array(starts, dtype=np.float64), t.astype(np.float64), "right") - 1
    return t - np.array(starts, dtype=WIDE)[cycle], np.array(lengths, dtype=WIDE)[cycle]


CASES: dict[str, Case] = {
    "step_lr": Case(
        lambda: schedules.step_lr(0.1, step_size=1000, gamma=0.97),
        lambda t: 0.1 * WIDE(0.97) ** np.floor(t / 1000),
        _every(1000),
    ),
    "step_lr per epoch": Case(
        lambda: schedules.step_lr(0.1, step_size=3, gamma=0.5, steps_per_epoch=7),
        lambda t: 0.1 * WIDE(0.5) ** np.floor(_epochs(t, 7) / 3),
        _every(21),
    ),
    "multi_step_lr": Case(
        lambda: schedules.multi_step_lr(0.1, [10, 10**5, 10**5, 2 * 10**7], gamma=0.3),
        lambda t: 0.1 * WIDE(0.3) ** ((t >= 10) + 2 * (t >= 10**5) + (t >= 2 * 10**7)),
        [10, 10**5, 2 * 10**7],
    ),
    "multi_step_lr, 10^4 milestones": Case(
        lambda: schedules.multi_step_lr(1.0, range(0, LAST_STEP, 3000), gamma=0.999),
        lambda t: WIDE(0.999) ** (np.minimum(np.floor(t / 3000), 9999) + 1),
        _every(3000),
    ),
    "constant_lr": Case(
        lambda: schedules.constant_lr(0.1, factor=0.25, total_iters=10**6),
        lambda t: np.where(t < 10**6, WIDE(0.1) * WIDE(0.25), WIDE(0.1)),
        [10**6],
    ),
    "linear_lr to 0": Case(
        lambda: schedules.linear_lr(1.0, 1.0, 0.0, total_iters=LAST_STEP),
        lambda t: 1 + (0 - 1) * np.minimum(t, LAST_STEP) / LAST_STEP,
        [LAST_STEP],
    ),
    "linear_lr warmup per epoch": Case(
        lambda: schedules.linear_lr(0.1, 0.001, 1.0, total_iters=10**6, steps_per_epoch=3),
        lambda t: (
            WIDE(0.1) * (WIDE(0.001) + (1 - WIDE(0.001)) * np.minimum(_epochs(t, 3), 10**6) / 10**6)
        ),
        [3 * 10**6],
    ),
    "exponential_lr 0.99999": Case(
        lambda: schedules.exponential_lr(0.1, 0.99999),
        lambda t: WIDE(0.1) * WIDE(0.99999) ** t,
    ),
    "exponential_lr 0.9999999": Case(
        lambda: schedules.exponential_lr(0.1, 0.9999999),
        lambda t: WIDE(0.1) * WIDE(0.9999999) ** t,
    ),
    "exponential_lr 0.5": Case(
        lambda: schedules.exponential_lr(1.0, 0.5),
        lambda t: WIDE(0.5) ** t,
    ),
    "exponential_lr growing": Case(
        lambda: schedules.exponential_lr(1e-9, 1.0000007),
        lambda t: WIDE(1e-9) * WIDE(1.0000007) ** t,
    ),
    "polynomial_lr power 2": Case(
        lambda: schedules.polynomial_lr(0.1, total_iters=LAST_STEP, power=2.0),
        lambda t: WIDE(0.1) * (1 - np.minimum(t, LAST_STEP) / LAST_STEP) ** 2,
        [LAST_STEP],
    ),
    "polynomial_lr power 7.3": Case(
        lambda: schedules.polynomial_lr(0.1, total_iters=2 * 10**7, power=7.3),
        lambda t: WIDE(0.1) * (1 - np.minimum(t, 2 * 10**7) / 2e7) ** WIDE(7.3),
        [2 * 10**7],
    ),
    "polynomial_lr power 0.5": Case(
        lambda: schedules.polynomial_lr(0.1, total_iters=10**6, power=0.5),
        lambda t: WIDE(0.1) * (1 - np.minimum(t, 10**6) / 10**6) ** WIDE(0.5),
        [10**6],
    ),
    "cosine_annealing_lr T=3e7": Case(
        lambda: schedules.cosine_annealing_lr(0.1, T_max=LAST_STEP),
        lambda t: _cosine(0.1, 0.0, t, LAST_STEP),
        [LAST_STEP],
    ),
    "cosine_annealing_lr T=2^24+1": Case(
        lambda: schedules.cosine_annealing_lr(0.1, T_max=2**24 + 1),
        lambda t: _cosine(0.1, 0.0, t, 2**24 + 1),
        [2**24 + 1],
    ),
    "cosine_annealing_lr eta_min": Case(
        lambda: schedules.cosine_annealing_lr(0.1, T_max=10**6, eta_min=1e-4),
        lambda t: _cosine(0.1, 1e-4, t, 10**6),
        _every(10**6),
    ),
    "cosine_annealing_lr eta_min > base": Case(
        lambda: schedules.cosine_annealing_lr(1e-6, T_max=10**6, eta_min=1.0),
        lambda t: _cosine(1e-6, 1.0, t, 10**6),
        _every(10**6),
    ),
    "cosine_annealing_lr short period": Case(
        lambda: schedules.cosine_annealing_lr(0.1, T_max=7),
        lambda t: _cosine(0.1, 0.0, t, 7),
    ),
    "sequential_lr warmup + cosine": Case(
        lambda: schedules.sequential_lr(
            [
                schedules.linear_lr(0.1, start_factor=1e-3, total_iters=10**4),
                schedules.cosine_annealing_lr(0.1, T_max=LAST_STEP - 10**4),
            ],
            milestones=[10**4],
        ),
        lambda t: np.where(
            t < 10**4,
            WIDE(0.1) * (WIDE(1e-3) + (1 - WIDE(1e-3)) * t / 10**4),
            _cosine(0.1, 0.0, np.maximum(t - 10**4, 0), LAST_STEP - 10**4),
        ),
        [10**4, LAST_STEP],
    ),
}


def _cyclic(t, base, peak, up, down, scale, start=None, end=None):
    """torch's CyclicLR formula; ``scale(cycle, t)``; from ``start`` toward ``end``."""
    total = WIDE(up) + WIDE(down)
    cycle = np.floor(1 + t / total)
    x = 1 + t / total - cycle
    ratio = WIDE(up) / total
    with np.errstate(divide="ignore", invalid="ignore"):  # a sawtooth never falls
        height = np.where(x <= ratio, x / ratio, (x - 1) / (ratio - 1))
    return WIDE(base) + (WIDE(peak) - WIDE(base)) * height * scale(cycle, t)


def _cycle_starts(T_0: int, T_mult: int) -> list[int]:
    starts = [0]
    length = T_0
    while starts[-1] <= LAST_STEP:
        starts.append(starts[-1] + length)
        length *= T_mult
    return starts


def _one_cycle(t, total, end_steps, endpoints, strategy):
    """torch's OneCycleLR phases, t held at total - 1 past the end (as the class does)."""
    t = np.minimum(t, WIDE(total - 1))
    value = np.zeros_like(t)
    done = np.zeros(t.shape, dtype=bool)
    start = WIDE(0)
    for i, (end, (first, final)) in enumerate(zip(end_steps, endpoints)):
        here = ~done & ((t <= WIDE(end)) | (i == len(end_steps) - 1))
        pct = (t - start) / (WIDE(end) - start)
        if strategy == "cos":
            annealed = WIDE(final) + (WIDE(first) - WIDE(final)) / 2 * (np.cos(PI * pct) + 1)
        else:
            annealed = (WIDE(final) - WIDE(first)) * pct + WIDE(first)
        value = np.where(here, annealed, value)
        done |= here
        start = WIDE(end)
    return value


def _swa(t, base, target, anneal, strategy):
    x = np.minimum(1, t / max(1, anneal)) if anneal else np.ones_like(t)
    alpha = (1 - np.cos(PI * x)) / 2 if strategy == "cos" else x
    return WIDE(target) * alpha + WIDE(base) * (1 - alpha)


CASES.update(
    {
        "cosine_annealing_warm_restarts T_mult=2": Case(
            lambda: schedules.cosine_annealing_warm_restarts(0.1, T_0=10, T_mult=2),
            lambda t: _cosine(0.1, 0.0, *_restarts(t, 10, 2)),
            _cycle_starts(10, 2),
        ),
        "cosine_annealing_warm_restarts T_mult=3, eta_min": Case(
            lambda: schedules.cosine_annealing_warm_restarts(0.1, 1000, T_mult=3, eta_min=1e-5),
            lambda t: _cosine(0.1, 1e-5, *_restarts(t, 1000, 3)),
            _cycle_starts(1000, 3),
        ),
        "cosine_annealing_warm_restarts T_mult=1": Case(
            lambda: schedules.cosine_annealing_warm_restarts(0.1, T_0=10**6),
            lambda t: _cosine(0.1, 0.0, *_restarts(t, 10**6, 1)),
            _cycle_starts(10**6, 1),
        ),
        "cosine_annealing_warm_restarts per epoch": Case(
            lambda: schedules.cosine_annealing_warm_restarts(0.1, 3, 2, steps_per_epoch=1000),
            lambda t: _cosine(0.1, 0.0, *_restarts(_epochs(t, 1000), 3, 2)),
            [1000 * s for s in _cycle_starts(3, 2)],
        ),
        "cyclic_lr triangular": Case(
            lambda: schedules.cyclic_lr(0.001, 0.1, step_size_up=2000),
            lambda t: _cyclic(t, 0.001, 0.1, 2000, 2000, lambda c, t: 1),
            _every(2000),
        ),
        "cyclic_lr triangular2, uneven halves": Case(
            lambda: schedules.cyclic_lr(0.0, 0.1, 10, 30, mode="triangular2"),
            lambda t: _cyclic(t, 0.0, 0.1, 10, 30, lambda c, t: WIDE(0.5) ** (c - 1)),
            np.concatenate([_every(40), _every(40) + 10]),
        ),
        "cyclic_lr exp_range": Case(
            lambda: schedules.cyclic_lr(1e-4, 0.1, 500, mode="exp_range", gamma=0.9999995),
            lambda t: _cyclic(t, 1e-4, 0.1, 500, 500, lambda c, t: WIDE(0.9999995) ** t),
            _every(500),
        ),
        "cyclic_lr upside down, half steps": Case(
            lambda: schedules.cyclic_lr(0.1, 0.0, step_size_up=2.5, step_size_down=7.5),
            lambda t: _cyclic(t, 0.1, 0.0, 2.5, 7.5, lambda c, t: 1),
            np.concatenate([_every(10), _every(10, start=3)]),
        ),
        "cyclic_lr sawtooth": Case(
            lambda: schedules.cyclic_lr(0.0, 0.1, step_size_up=1000, step_size_down=0),
            lambda t: _cyclic(t, 0.0, 0.1, 1000, 0, lambda c, t: 1),
            _every(1000),
        ),
        "cyclic_momentum": Case(
            lambda: schedules.cyclic_momentum(0.8, 0.9, 100, mode="triangular2"),
            lambda t: _cyclic(t, 0.9, 0.8, 100, 100, lambda c, t: WIDE(0.5) ** (c - 1)),
            _every(100),
        ),
        "one_cycle_lr": Case(
            lambda: schedules.one_cycle_lr(0.1, total_steps=LAST_STEP),
            lambda t: _one_cycle(
                t,
                LAST_STEP,
                [0.3 * LAST_STEP - 1, LAST_STEP - 1],
                [(0.1 / 25, 0.1), (0.1, 0.1 / 25 / 1e4)],
                "cos",
            ),
            [round(0.3 * LAST_STEP) - 1, LAST_STEP - 1],
            last=LAST_STEP,
        ),
        "one_cycle_lr three phases, linear": Case(
            lambda: schedules.one_cycle_lr(
                0.1, total_steps=10**6, pct_start=0.35, anneal_strategy="linear", three_phase=True
            ),
            lambda t: _one_cycle(
                t,
                10**6,
                [float(0.35 * 10**6) - 1, float(2 * 0.35 * 10**6) - 2, 10**6 - 1],
                [(0.004, 0.1), (0.1, 0.004), (0.004, 0.004 / 1e4)],
                "linear",
            ),
            [349_999, 699_998, 10**6 - 1],
            last=10**6,
        ),
        "one_cycle_momentum": Case(
            lambda: schedules.one_cycle_momentum(epochs=100, steps_per_epoch=10**5),
            lambda t: _one_cycle(
                t, 10**7, [0.3 * 10**7 - 1, 10**7 - 1], [(0.95, 0.85), (0.85, 0.95)], "cos"
            ),
            [3 * 10**6 - 1, 10**7 - 1],
            last=10**7,
        ),
        "swa_lr cos": Case(
            lambda: schedules.swa_lr(0.1, swa_lr=1e-3, anneal_epochs=10**6),
            lambda t: _swa(t, 0.1, 1e-3, 10**6, "cos"),
            [10**6],
        ),
        "swa_lr linear per epoch, to 0": Case(
            lambda: schedules.swa_lr(0.1, 0.0, 10**4, "linear", steps_per_epoch=3000),
            lambda t: _swa(_epochs(t, 3000), 0.1, 0.0, 10**4, "linear"),
            [3 * 10**7],
        ),
        "swa_lr no annealing": Case(
            lambda: schedules.swa_lr(0.1, swa_lr=0.05, anneal_epochs=0),
            lambda t: _swa(t, 0.1, 0.05, 0, "cos"),
        ),
    }
)


def _warmup_curve(t, warmup, kind):
    p = np.minimum(t, warmup) / max(1, warmup)
    if kind == "linear":
        return p
    if kind == "cosine":
        return (1 - np.cos(PI * p)) / 2
    return 1 - np.sqrt(1 - p)


def _wsd(t, warmup, start, decay, warmup_type, decay_type, ratio=0.0, cycles=0.5):
    """transformers' warmup-stable-decay factor, the textbook way."""
    ratio = WIDE(ratio)
    warm = ratio + (1 - ratio) * _warmup_curve(t, warmup, warmup_type)
    p = np.clip(t - start, 0, decay) / max(1, decay)
    if decay_type == "linear":
        down = 1 - p
    elif decay_type == "cosine":
        down = (1 + np.cos(2 * PI * WIDE(cycles) * p)) / 2
    else:
        down = 1 - np.sqrt(p)
    falling = np.where(t < start + decay, ratio + (1 - ratio) * down, ratio)
    return np.where(t < start, np.where(t < warmup, warm, 1), falling)


def _warmup_cosine(t, warmup, total, cycles=0.5, rate=0.0, hard=False, from_one=False):
    """transformers' cosine schedules with warmup, the textbook way."""
    rate, shift = WIDE(rate), int(from_one)
    warm = (np.minimum(t, warmup) + shift) / max(1, warmup)
    p = np.maximum(t + shift - warmup, 0) / max(1, total - warmup)
    if hard:
        y = np.mod(WIDE(cycles) * p, 1)
        down = np.where(p >= 1, 0, (1 + np.cos(PI * y)) / 2)
    else:
        down = (1 + np.cos(2 * PI * WIDE(cycles) * p)) / 2
    return np.where(t < warmup, warm, rate + (1 - rate) * down)


def _inverse_sqrt(t, warmup, timescale):
    after = 1 / np.sqrt((np.maximum(t, warmup) - warmup + timescale) / WIDE(timescale))
    return np.where(t < warmup, t / max(1, warmup), after)


def _warmup_polynomial(t, base, warmup, total, end, power):
    done = np.clip(t, warmup, total)
    decay = (WIDE(base) - WIDE(end)) * (1 - (done - warmup) / (total - warmup)) ** WIDE(power)
    after = np.where(t > total, WIDE(end), decay + WIDE(end))
    return np.where(t < warmup, WIDE(base) * t / max(1, warmup), after)


CASES.update(
    {
        "warmup_stable_decay_lr cosine to 0": Case(
            lambda: schedules.warmup_stable_decay_lr(0.1, 10**4, 10**7, num_stable_steps=10**6),
            lambda t: 0.1 * _wsd(t, 10**4, 101 * 10**4, 10**7, "linear", "cosine"),
            [10**4, 101 * 10**4, 1101 * 10**4],
        ),
        "warmup_stable_decay_lr cosine warmup, 1-sqrt decay": Case(
            lambda: schedules.warmup_stable_decay_lr(
                0.1, 10**5, 2 * 10**7, LAST_STEP, warmup_type="cosine", decay_type="1-sqrt"
            ),
            lambda t: 0.1 * _wsd(t, 10**5, 10**7, 2 * 10**7, "cosine", "1-sqrt"),
            [10**5, 10**7, LAST_STEP],
        ),
        "warmup_stable_decay_lr 1-sqrt warmup, 1.5 cycles, ratio": Case(
            lambda: schedules.warmup_stable_decay_lr(
                0.1,
                1000,
                10**7,
                num_stable_steps=0,
                warmup_type="1-sqrt",
                min_lr_ratio=0.01,
                num_cycles=1.5,
            ),
            lambda t: 0.1 * _wsd(t, 1000, 1000, 10**7, "1-sqrt", "cosine", 0.01, 1.5),
            [1000, 1000 + 10**7 // 3, 1000 + 2 * 10**7 // 3, 1000 + 10**7],
        ),
        "warmup_stable_decay_lr linear decay": Case(
            lambda: schedules.warmup_stable_decay_lr(0.1, 0, 2**24 + 1, num_stable_steps=5),
            lambda t: 0.1 * _wsd(t, 0, 5, 2**24 + 1, "linear", "cosine"),
            [5, 2**24 + 6],
        ),
        "inverse_sqrt_lr warmup 4000": Case(
            lambda: schedules.inverse_sqrt_lr(0.1, 4000),
            lambda t: 0.1 * _inverse_sqrt(t, 4000, 4000),
            [4000],
        ),
        "inverse_sqrt_lr no warmup": Case(
            lambda: schedules.inverse_sqrt_lr(0.1, 0),
            lambda t: 0.1 * _inverse_sqrt(t, 0, 10_000),
        ),
        "inverse_sqrt_lr timescale 100": Case(
            lambda: schedules.inverse_sqrt_lr(0.1, 10**6, timescale=100),
            lambda t: 0.1 * _inverse_sqrt(t, 10**6, 100),
            [10**6],
        ),
        "warmup_cosine_lr": Case(
            lambda: schedules.warmup_cosine_lr(0.1, 2000, LAST_STEP),
            lambda t: 0.1 * _warmup_cosine(t, 2000, LAST_STEP),
            [2000, LAST_STEP],
        ),
        "warmup_cosine_lr 5 hard restarts": Case(
            lambda: schedules.warmup_cosine_lr(
                0.1, 1000, 2 * 10**7, num_cycles=5, hard_restarts=True
            ),
            lambda t: 0.1 * _warmup_cosine(t, 1000, 2 * 10**7, 5, hard=True),
            [1000 + k * 3_999_800 for k in range(6)],
        ),
        "warmup_cosine_lr from one, min_lr_rate, 2 cycles": Case(
            lambda: schedules.warmup_cosine_lr(
                0.1, 10**4, 10**7, num_cycles=2.0, min_lr_rate=0.1, count_from_one=True
            ),
            lambda t: 0.1 * _warmup_cosine(t, 10**4, 10**7, 2.0, 0.1, from_one=True),
            [10**4, 10**7],
        ),
        "warmup_polynomial_lr power 2": Case(
            lambda: schedules.warmup_polynomial_lr(0.1, 1000, LAST_STEP, lr_end=1e-7, power=2.0),
            lambda t: _warmup_polynomial(t, 0.1, 1000, LAST_STEP, 1e-7, 2.0),
            [1000, LAST_STEP],
        ),
        "warmup_polynomial_lr power 0.5 to 0": Case(
            lambda: schedules.warmup_polynomial_lr(0.1, 10, 10**7, lr_end=0.0, power=0.5),
            lambda t: _warmup_polynomial(t, 0.1, 10, 10**7, 0.0, 0.5),
            [10, 10**7],
        ),
        "warmup_lr cosine, then cosine_annealing_lr": Case(
            lambda: schedules.warmup_lr(
                0.1, 10**5, schedules.cosine_annealing_lr(0.1, T_max=LAST_STEP), "cosine"
            ),
            lambda t: np.where(
                t < 10**5,
                0.1 * _warmup_curve(t, 10**5, "cosine"),
                _cosine(0.1, 0.0, np.maximum(t - 10**5, 0), LAST_STEP),
            ),
            [10**5],
        ),
        "warmup_lr 1-sqrt from 0.01, constant": Case(
            lambda: schedules.warmup_lr(0.1, 2 * 10**7, None, "1-sqrt", start_factor=0.01),
            lambda t: (
                WIDE(0.1) * (WIDE(0.01) + (1 - WIDE(0.01)) * _warmup_curve(t, 2 * 10**7, "1-sqrt"))
            ),
            [2 * 10**7],
        ),
    }
)


def max_relative_error(values: np.ndarray, reference: np.ndarray) -> tuple[float, int]:
    """The accuracy measure: max |value - ref| / max(|ref|, 1e-10 * peak), and where."""
    reference = reference.astype(WIDE)
    peak = np.max(np.abs(reference))
    scale = np.maximum(np.abs(reference), FLOOR * peak)
    errors = (np.abs(values.astype(WIDE) - reference) / scale).astype(np.float64)
    worst = int(np.argmax(errors))
    return float(errors[worst]), worst


@pytest.mark.parametrize("name", sorted(CASES))
def test_float32_within_1e_5_of_the_closed_form(name):
    case = CASES[name]
    steps = _steps(case.boundaries)
    schedule = case.schedule()
    reference = case.reference(steps.astype(WIDE))
    mx_steps = mx.array(steps)
    for mode, values in (
        ("eager", schedule(mx_steps)),
        ("compiled", mx.compile(schedule)(mx_steps)),
    ):
        assert values.dtype == mx.float32 and values.shape == mx_steps.shape
        error, where = max_relative_error(np.array(values), reference)
        where = steps[where]
        assert error <= TOLERANCE, f"{name} ({mode}): relative error {error:.3g} at step {where}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_python_int_steps_are_float64(name):
    case = CASES[name]
    steps = _steps(case.boundaries)
    sample = np.unique(np.concatenate([steps[:: max(1, len(steps) // 150)], steps[-5:]]))
    if case.last is not None:
        sample = sample[sample <= case.last]
    schedule = case.schedule()
    values = np.array([schedule(int(t)) for t in sample], dtype=np.float64)
    assert all(type(schedule(int(t))) is float for t in sample[:3])
    error, where = max_relative_error(values, case.reference(sample.astype(WIDE)))
    # float64 (1e-16) plus the reference's own rounding, relative to the 1e-10 floor.
    assert error <= 1e-9, f"{name}: relative error {error:.3g} at step {sample[where]}"


def test_the_check_catches_mlx_cosine_decay():
    # 1 + cos collapses at the end of a long decay: the LR reaches 0 steps early.
    steps = np.arange(10**6 + 1, dtype=np.uint64)
    values = np.array(optim.cosine_decay(1.0, 10**6)(mx.array(steps)))
    error, _ = max_relative_error(values, _cosine(1.0, 0.0, steps.astype(WIDE), 10**6))
    assert error > 100 * TOLERANCE, f"MLX cosine_decay passed the check ({error:.3g})"
    ours = np.array(schedules.cosine_annealing_lr(1.0, 10**6)(mx.array(steps)))
    assert max_relative_error(ours, _cosine(1.0, 0.0, steps.astype(WIDE), 10**6))[0] <= TOLERANCE


def test_the_check_catches_mlx_exponential_decay():
    # gamma rounded to float32, raised to the 10^6th power.
    steps = np.arange(0, 10**6 + 1, 97, dtype=np.uint64)
    values = np.array(optim.exponential_decay(0.1, 0.99999)(mx.array(steps)))
    reference = WIDE(0.1) * WIDE(0.99999) ** steps.astype(WIDE)
    error, _ = max_relative_error(values, reference)
    assert error > 1e-3, f"MLX exponential_decay passed the check ({error:.3g})"
    ours = np.array(schedules.exponential_lr(0.1, 0.99999)(mx.array(steps)))
    assert max_relative_error(ours, reference)[0] <= TOLERANCE


def test_steps_beyond_the_bound_stay_sane():
    # Past 3*10^7 accuracy degrades gracefully; values stay finite, in range, unwrapped.
    far = mx.array([2**40, 2**52 + 1, 2**62], dtype=mx.uint64)
    assert np.allclose(np.array(schedules.exponential_lr(1.0, 0.5)(far)), 0.0)
    cosine = np.array(schedules.cosine_annealing_lr(1.0, T_max=2**40)(far))
    assert np.all((cosine >= 0) & (cosine <= 1)) and cosine[0] == 0.0
    step = np.array(schedules.multi_step_lr(1.0, [2**41], gamma=0.5)(far))
    assert list(step) == [1.0, 0.5, 0.5]
    assert math.isfinite(schedules.cosine_annealing_lr(1.0, T_max=3)(2**70))


def test_one_cycle_past_its_end():
    schedule = schedules.one_cycle_lr(1.0, total_steps=100)
    final = schedule(99)
    assert schedule(100) == final  # the class's step total_steps holds the last value
    with pytest.raises(ValueError, match=r"step must be an integer <= total_steps \(100\)"):
        schedule(101)
    held = np.array(schedule(mx.array([99, 100, 101, 10**9], mx.uint64)))
    assert np.all(held == np.float32(final))


def test_step_differences_never_wrap():
    # uint64 t - b below a boundary b would be 2**64 - (b - t); the helpers never form it.
    from mlx_lr_scheduler import schedule_math as sm

    t = mx.array([0, 3, 7, 8, 2**40], mx.uint64)
    assert np.array(sm.distance(t, 7)).tolist() == [7, 4, 0, 1, 2**40 - 7]
    expected = np.float32([-7.5, -4.5, -0.5, 0.5, 2.0**40 - 7.5])  # float32 values
    assert np.array_equal(np.array(sm.difference(t, 7.5)), expected)
    expected = np.float32([2.25, 5.25, 9.25, 10.25, 2.0**40 + 2.25])
    assert np.array_equal(np.array(sm.difference(t, -2.25)), expected)
    assert [sm.difference(k, 7.5) for k in (0, 8)] == [-7.5, 0.5]
    counts = sm.Boundaries([5, 5, 9]).count(mx.array([0, 4, 5, 8, 9, 2**62], mx.uint64))
    assert np.array(counts).tolist() == [0, 0, 2, 2, 3, 3]
