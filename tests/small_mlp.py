"""The small MLP and its data that the optimizer tests train, in MLX and in torch alike
(``test_optimizers.py``, ``test_momentum_compile.py``)."""

from functools import partial

import mlx.core as mx
import mlx.nn as nn
import numpy as np
import torch


def training_data(seed, steps):
    """``(weights, inputs, targets)``: a 4-16-1 MLP's weights by MLX name, and ``steps``
    batches of 32 inputs with their targets ``sin(sum of the inputs)``."""
    rng = np.random.default_rng(seed)
    weights = {
        "l1.weight": rng.standard_normal((16, 4)).astype(np.float32) * 0.5,
        "l1.bias": rng.standard_normal(16).astype(np.float32) * 0.1,
        "l2.weight": rng.standard_normal((1, 16)).astype(np.float32) * 0.3,
        "l2.bias": np.zeros(1, np.float32),
    }
    inputs = rng.standard_normal((steps, 32, 4)).astype(np.float32)
    targets = np.sin(inputs.sum(axis=2, keepdims=True)).astype(np.float32)
    return weights, inputs, targets


class MLP(nn.Module):
    def __init__(self, weights):
        super().__init__()
        self.l1 = nn.Linear(4, 16)
        self.l2 = nn.Linear(16, 1)
        self.load_weights([(name, mx.array(value)) for name, value in weights.items()])

    def __call__(self, x):
        return self.l2(nn.tanh(self.l1(x)))


def torch_mlp(weights):
    """The same MLP in torch: ``(forward, parameters by MLX name)``."""
    l1, l2 = torch.nn.Linear(4, 16), torch.nn.Linear(16, 1)
    named = {"l1.weight": l1.weight, "l1.bias": l1.bias, "l2.weight": l2.weight, "l2.bias": l2.bias}
    with torch.no_grad():
        for name, tensor in named.items():
            tensor.copy_(torch.from_numpy(weights[name]))
    return (lambda x: l2(torch.tanh(l1(x)))), named


def flat(named):
    """Parameters by name (MLX or torch values) as one vector, in name order."""
    return np.concatenate([np.asarray(named[name]).ravel() for name in sorted(named)])


def make_train_step(model, optimizer, *, compiled):
    """``(step, traces)``: ``step(x, y)`` updates ``model`` by ``optimizer`` on the mean
    squared error (compiled with both states as inputs and outputs, or eager); ``traces[0]``
    counts the times its Python body ran (each trace, when compiled)."""
    loss_and_grad = nn.value_and_grad(model, lambda m, x, y: ((m(x) - y) ** 2).mean())
    traces = [0]

    def step(x, y):
        traces[0] += 1
        loss, grads = loss_and_grad(model, x, y)
        optimizer.update(model, grads)
        return loss

    if compiled:
        state = [model.state, optimizer.state]
        step = partial(mx.compile, inputs=state, outputs=state)(step)
    return step, traces
