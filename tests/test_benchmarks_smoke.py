"""``python -m benchmarks --quick`` runs and writes a complete report (no timings checked)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import torch.optim.lr_scheduler as torch_lr

from mlx_lr_scheduler.registry import SCHEDULES

ROOT = Path(__file__).resolve().parent.parent


def test_quick_benchmark_run_writes_every_section(tmp_path):
    output = tmp_path / "benchmarks.md"
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    report = output.read_text()
    assert "--quick` smoke run" in report
    for title in (
        "## Targets",
        "## 1. `scheduler.step()` against torch 2.13",
        "## 2. A compiled MLP train step",
        "## 3. A whole schedule at once",
        "## 4. Scaling",
        "## 5. Checkpoints",
        "## 6. The LR range test",
        "## 7. Findings",
    ):
        assert title in report, title
    for name in SCHEDULES:  # every class is timed
        assert f"| `{name}` |" in report, name
    for name in SCHEDULES:  # against torch's class where torch has one
        if hasattr(torch_lr, name) or name == "SWALR":
            assert f"| `{name}.step()` / torch |" in report, name
    for row in (  # the checkpoint and range-test targets
        "MB: `save_checkpoint` / `mx.save_safetensors + fsync` |",
        "MB: `load_checkpoint` / `mx.load` |",
        "| MLP step, SGD (momentum 0.9), momentum cycled, OneCycleLR.step() / constant LR",
    ):
        assert row in report, row
    assert "`lr_find`, MLP width 128" in report
