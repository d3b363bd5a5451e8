"""``python -m benchmarks [--quick] [--output PATH]``: run every benchmark, write the report.

Writes ``docs/benchmarks.md`` (or ``--output``): the machine, the date, every
comparison's medians and ratios, measured side by side in this one run, and
which of the targets were met. ``--quick`` runs everything briefly (a
smoke run for CI, seconds, numbers meaningless) and does not overwrite the
docs unless ``--output`` says where to write.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from benchmarks import (
    checkpoint,
    findings,
    harness,
    lr_finder,
    scaling,
    step_cost,
    train_step,
    whole_schedule,
)
from benchmarks.report import Section

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def report(sections: list[Section], settings: harness.Settings, seconds: float) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Written by `python -m benchmarks` (the code is in `benchmarks/`); every number "
        "below comes from that one run, each comparison measured side by side "
        "(interleaved rounds, medians). Timings on a shared machine are noisy: compare "
        "the ratios, which are taken within one row, rather than absolute µs between runs.",
        "",
    ]
    if settings.quick:
        lines += ["**`--quick` smoke run: the numbers are not measurements.**", ""]
    lines += ["| | |", "| --- | --- |"]
    lines += [f"| {key} | {value} |" for key, value in harness.machine()]
    lines += [f"| duration of the run | {seconds:.0f} s |", ""]
    targets = [target for section in sections for target in section.targets]
    met = sum(target.met for target in targets)
    lines += [
        "## Targets",
        "",
        f"{met} of {len(targets)} met.",
        "",
        "| benchmark | measured | target | |",
        "| --- | --- | --- | --- |",
        *(target.row() for target in targets),
        "",
    ]
    for section in sections:
        lines.append(section.markdown())
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    parser.add_argument("--output", type=Path, help=f"where to write (default {DOCS})")
    options = parser.parse_args(argv)
    settings = harness.Settings.make(options.quick)
    output = options.output or (None if options.quick else DOCS)
    start = time.perf_counter()
    sections = []
    for module in (step_cost, train_step, whole_schedule, scaling, checkpoint, lr_finder):
        print(f"running {module.__name__} ...", file=sys.stderr, flush=True)
        sections.append(module.run(settings))
    sections.append(findings.section(sections))
    text = report(sections, settings, time.perf_counter() - start)
    if output is None:
        print(text)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text)
        print(f"wrote {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
