"""Learning-rate schedules as pure functions of the step: compile-safe, accurate in float32.

Each factory is named after its torch-named class in snake_case and takes that
class's arguments (without ``optimizer`` and ``last_epoch``; with ``base_lr``
first where the class reads the learning rate from the optimizer; with
``steps_per_epoch`` where the class counts epochs). It returns
``schedule(step)``, the same closed form the class computes, so the two agree at
every step (the tests hold them to it), and every torch-named class with a closed
form hands out its own: ``scheduler.schedule(group=0, steps_per_epoch=1)``.

**One step convention.** The value used by update ``k`` is ``schedule(k)``: an MLX
optimizer given ``learning_rate=schedule`` calls it with its ``state["step"]``
(``0`` for the first update) before incrementing it, as a class stepped after each
update sets ``f(k)`` for update ``k``.

**One return-type rule.** A Python ``int`` step gives a Python ``float``, computed
in float64. An ``mx.array`` of steps, of any integer dtype (the optimizer's uint64
``state["step"]``, a scalar, or a whole ``mx.arange`` for a plot), gives float32
values of the same shape, elementwise, eagerly or inside ``mx.compile`` (traced
once; no retrace as the step advances). A float, a bool or a negative ``int`` step
is refused (``TypeError``/``ValueError``); a negative entry of a signed array
counts as 0.

**Accuracy.** In float32 every schedule stays within ``1e-5`` of the float64
closed form, relative to ``max(|value|, 1e-10 * peak)``, at every step up to
``3 * 10**7`` and beyond ``2**24`` (where float32 no longer holds every integer):
decays approach 0 or ``eta_min`` with their relative accuracy intact, powers near 1
do not drift, restarts with ``T_mult > 1`` stay on their boundaries. See
:mod:`mlx_lr_scheduler.schedule_math` for how.

Arguments are checked when the schedule is made, with the classes' checks and
messages.

Example (a warmup then a cosine decay, inside a compiled train step):
    >>> import mlx.core as mx, mlx.optimizers as optim
    >>> schedule = sequential_lr(
    ...     [linear_lr(1e-3, start_factor=0.01, total_iters=100),
    ...      cosine_annealing_lr(1e-3, T_max=9_900)],
    ...     milestones=[100],
    ... )
    >>> optimizer = optim.AdamW(learning_rate=schedule)
    >>> schedule(0), schedule(100), schedule(10_000)
    (1e-05, 0.001, 0.0)
    >>> schedule(mx.array([50, 5_050]))
    array([0.000505, 0.0005], dtype=float32)
"""

from mlx_lr_scheduler.composition import sequential_lr
from mlx_lr_scheduler.constant_lr import constant_lr
from mlx_lr_scheduler.cosine_annealing_lr import cosine_annealing_lr
from mlx_lr_scheduler.cosine_annealing_warm_restarts import cosine_annealing_warm_restarts
from mlx_lr_scheduler.cyclic_lr import cyclic_lr, cyclic_momentum
from mlx_lr_scheduler.exponential_lr import exponential_lr
from mlx_lr_scheduler.inverse_sqrt_lr import inverse_sqrt_lr
from mlx_lr_scheduler.lambda_lr import lambda_lr
from mlx_lr_scheduler.linear_lr import linear_lr
from mlx_lr_scheduler.multi_step_lr import multi_step_lr
from mlx_lr_scheduler.one_cycle_lr import one_cycle_lr, one_cycle_momentum
from mlx_lr_scheduler.polynomial_lr import polynomial_lr
from mlx_lr_scheduler.schedule_math import Schedule
from mlx_lr_scheduler.step_lr import step_lr
from mlx_lr_scheduler.swa_lr import swa_lr
from mlx_lr_scheduler.warmup_cosine_lr import warmup_cosine_lr
from mlx_lr_scheduler.warmup_lr import warmup_lr
from mlx_lr_scheduler.warmup_polynomial_lr import warmup_polynomial_lr
from mlx_lr_scheduler.warmup_stable_decay_lr import warmup_stable_decay_lr

__all__ = [
    "Schedule",
    "constant_lr",
    "cosine_annealing_lr",
    "cosine_annealing_warm_restarts",
    "cyclic_lr",
    "cyclic_momentum",
    "exponential_lr",
    "inverse_sqrt_lr",
    "lambda_lr",
    "linear_lr",
    "multi_step_lr",
    "one_cycle_lr",
    "one_cycle_momentum",
    "polynomial_lr",
    "sequential_lr",
    "step_lr",
    "swa_lr",
    "warmup_cosine_lr",
    "warmup_lr",
    "warmup_polynomial_lr",
    "warmup_stable_decay_lr",
]
