"""Kill a training run with SIGKILL at random moments, restart it from its last
checkpoint each time, and get the uninterrupted run's LR, momentum and parameters
at every step, bit for bit.

Each case runs ``resume_worker.py`` in real subprocesses: once without saving (the
reference), then again and again into one checkpoint directory, killed

* inside a save, just before one of its file-system calls (each fsync, the rename
  of the new checkpoint into place, the replace of ``latest``, the rotation), so
  every step of the save protocol is interrupted once across the cases;
* right after a save begins (a random delay of a few milliseconds);
* at a random moment.

Every record a run prints must equal the reference's at that step; a restarted run
must resume from the checkpoint ``latest`` named when it died (the previous one if
the kill came before the pointer was replaced) with the reference's state at that
step; the records, joined, must be the reference's. The kill times come from a fixed
seed.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import mlx_lr_scheduler

WORKER = Path(__file__).resolve().parent / "resume_worker.py"
SRC = Path(mlx_lr_scheduler.__file__).resolve().parent.parent
STEPS = 60
#: Hooked calls of one save with rotation: fsync of model, optimizer, manifest and the
#: temporary directory, rename into place, fsync of the run directory, fsync of the new
#: pointer, replace of ``latest``, fsync of the run directory, rename of the oldest aside.
CALLS_PER_SAVE = 10
#: case -> (save every, the calls of a save each crash stops before)
CASES = {
    "onecycle-sgd-compiled": (1, [1, 5, 8]),
    "warmup-cosine-adamw": (3, [2, 6, 9]),
    "warm-restarts-sgd": (1, [3, 7, 10]),
    "plateau-sgd": (2, [4, 8, 9]),
}
SURVIVED: dict[str, int] = {}


def _run(case, directory, save_every, crash=None, kill=None):
    """One worker process; returns its complete output lines and whether it was killed.

    ``kill``: ("marker", n, delay) kills ``delay`` s after the n-th SAVING line;
    ("timer", delay) kills ``delay`` s after the first line.
    """
    command = [sys.executable, str(WORKER), case, str(directory), str(STEPS), str(save_every)]
    if crash is not None:
        command += [str(crash[0]), str(crash[1])]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    lines, timer, savings = [], None, 0
    assert process.stdout is not None
    for line in process.stdout:
        if not line.endswith("\n"):
            break  # cut by the kill
        lines.append(line.split())
        if kill is not None and kill[0] == "timer" and timer is None:
            timer = threading.Timer(kill[1], process.send_signal, [signal.SIGKILL])
            timer.start()
        if kill is not None and kill[0] == "marker" and lines[-1][0] == "SAVING":
            savings += 1
            if savings == kill[1]:
                time.sleep(kill[2])
                process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    if timer is not None:
        timer.cancel()
    killed = process.returncode == -signal.SIGKILL
    assert killed or process.returncode == 0, f"worker failed with {process.returncode}"
    return lines, killed


@pytest.mark.parametrize("case", CASES)
def test_killed_and_resumed_runs_match_the_uninterrupted_run_bit_for_bit(tmp_path, case):
    save_every, stages = CASES[case]
    rng = random.Random(f"checkpoint-resume-{case}")
    reference_lines, _ = _run(case, tmp_path / "reference", 0)
    reference = {int(line[1]): line[2:] for line in reference_lines if line[0] == "REC"}
    assert sorted(reference) == list(range(1, STEPS + 1))

    # The rotation stage first (a process's third save rotates, from a fresh directory
    # on), the random-time kill last (it may come after the run's end); enough steps
    # that no plan runs out of them.
    plans: list = [("crash", (rng.randint(1, 2), stage)) for stage in stages if stage < 10]
    plans += [("marker", rng.randint(1, 3), rng.uniform(0.0, 0.004)) for _ in range(2)]
    rng.shuffle(plans)
    if 10 in stages:
        plans.insert(0, ("crash", (3, 10)))
    plans.append(("timer", rng.uniform(0.02, 0.15)))
    directory = tmp_path / "run"
    records: dict[int, list[str]] = {}
    resumable = {0}  # the steps the next run may resume from (0: from scratch)
    kills = interrupted_saves = 0
    for plan in [*plans, None]:
        crash = plan[1] if plan is not None and plan[0] == "crash" else None
        kill = plan if plan is not None and plan[0] != "crash" else None
        lines, killed = _run(case, directory, save_every, crash=crash, kill=kill)
        resumed = int(lines[0][1]) if lines and lines[0][0] == "RESUMED" else 0
        assert resumed in resumable, f"resumed from step {resumed}, expected one of {resumable}"
        records = {step: rest for step, rest in records.items() if step <= resumed}
        saved = saving = resumed
        replaced = None
        for kind, *fields in lines:
            step = int(fields[0]) if kind in ("RESUMED", "REC", "SAVING", "SAVED") else None
            if kind in ("RESUMED", "REC"):
                assert fields[1:] == reference[step], f"{kind} {step} differs from the reference"
                records[step] = fields[1:]
            elif kind == "SAVING":
                saving = step
            elif kind == "SAVED":
                saved = step
            elif kind == "CRASH":
                replaced = fields[2] == "True"
        if not killed:
            assert plan is None or plan[0] == "timer", f"the kill {plan} did not happen"
            resumable = {saved}
            continue
        kills += 1
        if saving == saved:  # killed between saves
            resumable = {saved}
        elif replaced is not None:  # killed just before a known call of the save
            resumable = {saving if replaced else saved}
        else:  # killed at some moment of the save: before or after the pointer moved
            resumable = {saved, saving}
        in_save = saving != saved
        interrupted_saves += in_save
    assert kills >= len(stages) + 2  # the timer may come too late
    assert sorted(records) == list(range(1, STEPS + 1))
    assert records == reference  # the joined records are the uninterrupted run's
    assert not [p.name for p in directory.iterdir() if p.name.startswith(".")]
    numbered = sorted(p.name for p in directory.iterdir() if p.name.startswith("checkpoint-"))
    assert len(numbered) == 2 and sorted(p.name for p in directory.iterdir()) == [
        *numbered,
        "latest",
    ]
    SURVIVED[case] = kills
    print(f"{case}: survived {kills} kills ({interrupted_saves} inside a save), bit-exact")
