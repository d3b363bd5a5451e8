"""``WarmupPolynomialLR``: a linear warmup, then a polynomial decay to ``lr_end`` (BERT's)."""

from __future__ import annotations

from typing import Any

from mlx_lr_scheduler import schedule_math as sm
from mlx_lr_scheduler import state as st
from mlx_lr_scheduler.lambda_lr import FactorLR
from mlx_lr_scheduler.scheduler import LRScheduler
from mlx_lr_scheduler.validation import LR, Arguments, Integer, Real

__all__ = ["WarmupPolynomialLR", "warmup_polynomial_lr"]

ARGUMENTS = Arguments(
    base_lr=LR,
    num_warmup_steps=Integer(minimum=0),
    num_training_steps=Integer(minimum=1),
    lr_end=LR,
    power=Real(low=0.0),
)


def _check_length(num_warmup_steps: int, num_training_steps: int) -> None:
    if num_training_steps <= num_warmup_steps:
        # transformers divides by num_training_steps - num_warmup_steps at that step.
        raise ValueError(
            f"num_training_steps must be > num_warmup_steps ({num_warmup_steps}), "
            f"but got {num_training_steps}"
        )


class WarmupPolynomialLR(FactorLR):
    r"""A linear warmup, then a polynomial decay from the initial learning rate to ``lr_end``.

    .. math:: \eta_t = \frac{\eta_0}{\eta_{init}} \cdot \begin{cases}
            \eta_{init}\, t / \max(1, W) & t < W \\
            (\eta_{init} - \eta_{end}) \big(1 - \frac{t - W}{T - W}\big)^{k} + \eta_{end}
                & W \le t \le T \\
            \eta_{end} & t > T
        \end{cases}

    with :math:`\eta_0` each group's initial learning rate, :math:`\eta_{init}` the
    first group's (transformers reads ``optimizer.defaults["lr"]``; the other
    groups scale by the same factor), :math:`W` = ``num_warmup_steps``, :math:`T` =
    ``num_training_steps``, :math:`\eta_{end}` = ``lr_end`` and :math:`k` =
    ``power``. transformers' ``get_polynomial_decay_schedule_with_warmup``, bit for
    bit; ``power=1`` is BERT's linear decay (after fairseq's ``polynomial_decay``).

    Args:
        optimizer: MLX optimizer (one group) or ``MultiOptimizer`` (one group each).
        num_warmup_steps: the warmup's length :math:`W`, an integer ``>= 0``.
        num_training_steps: :math:`T`, an integer ``> num_warmup_steps`` (transformers
            divides by zero at :math:`T = W`).
        lr_end: the final learning rate, ``>= 0`` and below the first group's initial
            learning rate (as in transformers). Default: ``1e-7``.
        power: the exponent :math:`k`, ``>= 0``. Default: ``1.0``.
        last_epoch: index of the last epoch, ``-1`` to start fresh. Default: ``-1``.

    Example (warmup 2, then a quadratic decay to 0.1 at step 6):
        >>> import mlx.optimizers as optim
        >>> scheduler = WarmupPolynomialLR(
        ...     optim.SGD(learning_rate=1.0), num_warmup_steps=2, num_training_steps=6,
        ...     lr_end=0.1, power=2.0)
        >>> for step in range(8):
        ...     print(f"step {step}: {scheduler.get_last_lr()[0]:.4f}")
        ...     scheduler.step()
        step 0: 0.0000
        step 1: 0.5000
        step 2: 1.0000
        step 3: 0.6062
        step 4: 0.3250
        step 5: 0.1562
        step 6: 0.1000
        step 7: 0.1000
    """

    _state_schema = {
        **st.fields(ARGUMENTS, "num_warmup_steps", "num_training_steps", "lr_end", "power"),
        **LRScheduler._state_schema,
    }

    num_warmup_steps: int
    num_training_steps: int
    lr_end: float
    power: float

    def __init__(
        self,
        optimizer: Any,
        num_warmup_steps: int,
        num_training_steps: int,
        lr_end: float = 1e-7,
        power: float = 1.0,
        last_epoch: int = -1,
    ) -> None:
        groups = self._bind(optimizer)
        self.num_warmup_steps = ARGUMENTS.check("num_warmup_steps", num_warmup_steps)
        self.num_training_steps = ARGUMENTS.check("num_training_steps", num_training_steps)
        _check_length(self.num_warmup_steps, self.num_training_steps)
        self.lr_end = ARGUMENTS.check("lr_end", lr_end)
        self.power = ARGUMENTS.check("power", power)
        first = groups[0]
        lr_init = first["initial_lr"] if "initial_lr" in first else first["lr"]
        if not lr_init > self.lr_end:
            raise ValueError(
                f"lr_end must be smaller than the initial learning rate ({lr_init!r}), "
                f"but got {self.lr_end!r}"
            )
        super().__init__(optimizer, last_epoch)

    def _factor(self, step: int) -> float:
        # transformers' lambda, operation for operation (lr_init: the first group's).
        warmup, total, lr_end = self.num_warmup_steps, self.num_training_steps, self.lr_end
        lr_init = self.base_lrs[0]
        if step < warmup:
            return float(step) / float(max(1, warmup))
        if step > total:
            return lr_end / lr_init
        lr_range = lr_init - lr_end
        decay_steps = total - warmup
        pct_remaining = 1 - (step - warmup) / decay_steps
        decay: float = lr_range * pct_remaining**self.power + lr_end
        return decay / lr_init

    def _schedule(self, group: int) -> sm.Schedule:
        base_lr = self.base_lrs[group]
        scale = base_lr / self.base_lrs[0]
        return warmup_polynomial_lr(
            base_lr,
            self.num_warmup_steps,
            self.num_training_steps,
            self.lr_end * scale,
            self.power,
        )


# -- the schedule function ------------------------------------------------------


def warmup_polynomial_lr(
    base_lr: float,
    num_warmup_steps: int,
    num_training_steps: int,
    lr_end: float = 1e-7,
    power: float = 1.0,
) -> sm.Schedule:
    r""":class:`WarmupPolynomialLR` as a function of the step: warmup, then a polynomial decay.

    :class:`WarmupPolynomialLR`'s formula (there), with :math:`\eta_0 = \eta_{init}`
    = ``base_lr``; :math:`1 - (t - W)/(T - W)` is formed as :math:`(T - t)/(T - W)`
    from integers (exact).

    Args:
        base_lr: the peak learning rate, ``>= lr_end``.
        num_warmup_steps: the warmup's length, an integer ``>= 0``.
        num_training_steps: the step the decay ends at, ``> num_warmup_steps``.
        lr_end: the final learning rate, ``>= 0``. Default: ``1e-7``.
        power: the exponent, ``>= 0``. Default: ``1.0``.

    Example:
        >>> import mlx.core as mx
        >>> schedule = warmup_polynomial_lr(1.0, 2, 6, lr_end=0.0, power=2.0)
        >>> schedule(1), schedule(4), schedule(6), schedule(9)
        (0.5, 0.25, 0.0, 0.0)
        >>> schedule(mx.array([1, 2, 3, 5, 6]))
        array([0.5, 1, 0.5625, 0.0625, 0], dtype=float32)
    """
    arguments = ARGUMENTS.check_all(locals())
    base_lr, warmup, total, lr_end, power = arguments.values()
    _check_length(warmup, total)
    if lr_end > base_lr:
        raise ValueError(f"lr_end must be at most base_lr ({base_lr!r}), but got {lr_end!r}")
    length = total - warmup

    def schedule(step: Any) -> Any:
        t = sm.check_step(step)
        warm = base_lr * (sm.as_float(sm.minimum(t, warmup)) / max(1, warmup))
        left = total - sm.minimum(sm.maximum(t, warmup), total)
        pct = sm.real_power(sm.as_float(left) / length, power)
        decay = (base_lr - lr_end) * pct + lr_end
        after = sm.where(t > total, lr_end, decay)
        return sm.finish(sm.where(t < warmup, warm, after), t)

    return sm.Schedule(schedule, "warmup_polynomial_lr", **arguments)
