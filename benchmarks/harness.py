"""Timing: interleaved rounds, medians, and a description of the machine."""

from __future__ import annotations

import argparse
import datetime
import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mlx.core as mx
import torch


@dataclass(frozen=True)
class Settings:
    """How long to measure: ``--quick`` shrinks everything to a smoke run."""

    quick: bool
    rounds: int
    calls: int

    @classmethod
    def make(cls, quick: bool) -> Settings:
        return cls(quick=quick, rounds=2 if quick else 21, calls=20 if quick else 4000)


def interleaved(
    cases: dict[str, Callable[[], object]],
    calls: int,
    rounds: int,
    setup: dict[str, Callable[[], object]] | None = None,
) -> dict[str, float]:
    """Median seconds per call of each case, the cases timed in turn within every round.

    Each round times ``calls`` calls of every case (in a rotated order, so no
    case always runs right after the same one), after its untimed ``setup`` if
    it has one; the result is the median over the rounds. Garbage collection is
    paused while timing.
    """
    samples = interleaved_samples(cases, calls, rounds, setup)
    return {name: statistics.median(values) for name, values in samples.items()}


def interleaved_samples(
    cases: dict[str, Callable[[], object]],
    calls: int,
    rounds: int,
    setup: dict[str, Callable[[], object]] | None = None,
) -> dict[str, list[float]]:
    """Seconds per call of each case in each round (see :func:`interleaved`)."""
    names = list(cases)
    samples: dict[str, list[float]] = {name: [] for name in names}
    setup = setup or {}
    enabled = gc.isenabled()
    gc.disable()
    try:
        for round_index in range(rounds):
            shift = round_index % len(names)
            for name in names[shift:] + names[:shift]:
                if name in setup:
                    setup[name]()
                function = cases[name]
                loop = range(calls)
                start = time.perf_counter()
                for _ in loop:
                    function()
                samples[name].append((time.perf_counter() - start) / calls)
    finally:
        if enabled:
            gc.enable()
    return samples


def time_once(function: Callable[[], object], repeats: int) -> float:
    """Median seconds of ``repeats`` runs of ``function``."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def machine() -> list[tuple[str, str]]:
    """What the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        load = "n/a"
    return [
        ("date", datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")),
        ("machine", f"{platform.system()} {platform.release()} {platform.machine()}"),
        ("cpu", f"{cpu}, {os.cpu_count()} logical cores"),
        ("load average at start (1, 5, 15 min)", load),
        ("python", sys.version.split()[0]),
        ("mlx", f"{mx.__version__} (default device {mx.default_device()})"),
        ("torch", torch.__version__),
    ]


def microseconds(seconds: float) -> str:
    return f"{seconds * 1e6:.2f}"


def ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}x"


def run_section_alone(run: Callable[[Settings], Any], description: str, quick: str) -> None:
    """``python -m benchmarks.<section> [--quick]``: run one section, print it, its
    targets and the machine."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help=quick)
    section = run(Settings.make(parser.parse_args().quick))
    print(section.markdown())
    print("\n".join(target.row() for target in section.targets))
    print("", *(f"- {key}: {value}" for key, value in machine()), sep="\n")
