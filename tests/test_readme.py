"""Every MLX code block of the README runs as written.

Each ```python block that does not import torch is executed on its own, in a fresh
namespace holding only what the README's prose assumes the reader has: ``mx``,
``nn``, ``optim``, a ``model``, a ``loss_fn(model, x, y)`` and a few batches
(``loader``, ``batches``).
"""

from __future__ import annotations

import re
from pathlib import Path

import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim
import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
MLX_BLOCKS = [block for block in BLOCKS if "import torch" not in block]


class Model(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.backbone = nn.Linear(4, 8)
        self.head = nn.Linear(8, 2)

    def __call__(self, x: mx.array) -> mx.array:
        return self.head(nn.relu(self.backbone(x)))


def _namespace() -> dict[str, object]:
    mx.random.seed(0)
    batches = [(mx.random.normal((8, 4)), mx.random.randint(0, 2, (8,))) for _ in range(2)]

    def loss_fn(model: nn.Module, x: mx.array, y: mx.array) -> mx.array:
        return nn.losses.cross_entropy(model(x), y).mean()

    return {
        "mx": mx,
        "nn": nn,
        "optim": optim,
        "model": Model(),
        "loss_fn": loss_fn,
        "loader": batches,
        "batches": batches,
    }


def test_the_readme_has_mlx_blocks():
    assert len(MLX_BLOCKS) >= 3


@pytest.mark.parametrize("index", range(len(MLX_BLOCKS)))
def test_readme_block_runs_as_written(index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a block may write files (checkpoints)
    exec(compile(MLX_BLOCKS[index], f"README.md block {index}", "exec"), _namespace())
