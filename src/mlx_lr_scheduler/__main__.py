"""``python -m mlx_lr_scheduler``: print a short example schedule.

Linear warmup then cosine decay (``SequentialLR([LinearLR, CosineAnnealingLR])``)
driving a real MLX optimizer for a few steps of a tiny regression.
"""

from __future__ import annotations

import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim

from mlx_lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR


def main() -> None:
    mx.random.seed(0)
    model = nn.Linear(4, 1)
    optimizer = optim.SGD(learning_rate=0.1, momentum=0.9)
    warmup = LinearLR(optimizer, start_factor=0.1, total_iters=3)
    cosine = CosineAnnealingLR(optimizer, T_max=9, eta_min=0.001)
    scheduler = SequentialLR(optimizer, [warmup, cosine], milestones=[3])

    x = mx.random.normal((64, 4))
    y = x @ mx.array([[1.0], [-2.0], [0.5], [3.0]])

    def loss_fn(model: nn.Module) -> mx.array:
        return nn.losses.mse_loss(model(x), y)

    loss_and_grad = nn.value_and_grad(model, loss_fn)
    print(
        "SequentialLR([LinearLR(start_factor=0.1, total_iters=3), "
        "CosineAnnealingLR(T_max=9, eta_min=0.001)], milestones=[3]) on SGD(lr=0.1)"
    )
    print(f"{'epoch':>5}  {'lr':>10}  {'loss':>10}")
    for epoch in range(12):
        lr = scheduler.get_last_lr()[0]
        loss, grads = loss_and_grad(model)
        optimizer.update(model, grads)
        mx.eval(model.parameters(), optimizer.state)
        print(f"{epoch:>5}  {lr:>10.6f}  {loss.item():>10.5f}")
        scheduler.step()


if __name__ == "__main__":
    main()
