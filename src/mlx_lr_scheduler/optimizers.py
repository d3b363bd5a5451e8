r"""MLX optimizers whose momentum, first beta and weight decay can follow a schedule.

MLX keeps an optimizer's ``learning_rate`` in ``optimizer.state`` (a schedule
function of the step, or a float, as a float32 array), but ``momentum``, ``betas``
and ``weight_decay`` as Python attributes, which a compiled train step reads once,
at trace time, and bakes in. Each class here is the MLX optimizer of the same name
(a subclass, with MLX's constructor signature and defaults) whose

* ``momentum`` (``SGD``, ``Muon``),
* ``betas[0]`` (``Adam``, ``AdamW``, ``Adamax``, ``Lion``),
* ``weight_decay`` (``SGD``, ``AdamW``, ``Lion``, ``Muon``)

take a float **or a schedule function of the step**, exactly as ``learning_rate``
does: MLX's own ``Optimizer._maybe_schedule`` puts the value in the state
(``state["momentum"]``, ``state["beta1"]``, ``state["weight_decay"]``) as a float32
scalar, and MLX's ``apply_gradients`` evaluates a schedule on ``state["step"]``
before every update (update ``k`` uses ``schedule(k)``, the convention of
:mod:`mlx_lr_scheduler.schedules`). A compiled step that takes ``optimizer.state``
as input and output sees every new value, traced once.

``optimizer.momentum``, ``optimizer.weight_decay`` and ``optimizer.betas`` (the pair
``(state["beta1"], beta2)``) read the state: float32 ``mx.array`` scalars, like MLX's
``optimizer.learning_rate``. Assigning a number or a schedule function writes it (a
number replaces a schedule). ``beta2`` stays a Python float.

**The updates are MLX's.** ``Adam``, ``AdamW`` and ``Adamax`` run MLX's own
``apply_single``. MLX's ``SGD`` (``if momentum <= 0``, ``if weight_decay != 0``),
``Lion`` (``if weight_decay > 0``) and ``Muon`` (``if weight_decay != 0``) branch in
Python on these values, which cannot work on an array inside ``mx.compile``; here
those branches are written as arithmetic with the same results (a decay of 0 adds
``0 * w`` or scales by ``1``; without momentum, SGD's velocity is kept as MLX keeps
it, through ``mx.where``). Every array keeps its dtype: with float16 or bfloat16
parameters the arithmetic with the float32 value runs in float32 and the new
parameters and buffers are cast back (MLX would round the Python float to the
parameters' dtype first).

**Precision.** The value in the state is the float32 rounding of the float (or the
schedule's float32 value), as in MLX and torch, whose kernels also use float32
scalars. One difference: ``1 - beta1`` (and ``1 - momentum`` in ``Muon``) is computed
from the float32 value, where MLX and torch round the float64 ``1 - beta1``: about
``1e-7`` relative. Over a training run the parameters agree with torch's to about
``1e-6`` (``tests/test_optimizers.py``).

**Checks**, at construction and on assignment, naming the argument: a momentum or a
beta must be in ``[0, 1)`` *as a float32* (``1 - 1e-8`` rounds to ``1.0`` and is
refused); a weight decay must be ``>= 0`` and finite. A schedule is checked on its
value at the current step (at construction, step 0), and must return a scalar; its
later values are not checked (they are computed inside the step).

**Pickling.** An optimizer built with numbers pickles with its state (and after
``CyclicLR``/``OneCycleLR`` cycled it); one holding schedule functions pickles if
they do (closures do not).

:func:`convert` turns a plain MLX optimizer (``mlx.optimizers.SGD(...)``) into its
counterpart here, in place; ``CyclicLR`` and ``OneCycleLR`` do that to the optimizer
whose momentum they cycle. Not here: ``Adafactor``, whose ``beta_1=None`` switches
its first moment off and changes the layout of its state (torch's ``Adafactor`` has
no momentum or betas either, so ``cycle_momentum`` refuses it as torch does);
``RMSprop``, ``Adagrad`` and ``AdaDelta`` have neither momentum nor betas.

Example (the 1cycle policy on LR and momentum, weight decay ramped up, compiled):
    >>> import mlx.core as mx, mlx.nn as nn
    >>> from functools import partial
    >>> from mlx_lr_scheduler import optimizers, schedules
    >>> model = nn.Linear(4, 1)
    >>> opt = optimizers.SGD(
    ...     learning_rate=schedules.one_cycle_lr(0.1, total_steps=100),
    ...     momentum=schedules.one_cycle_momentum(total_steps=100),
    ...     weight_decay=schedules.linear_lr(1e-4, start_factor=0.1, total_iters=50))
    >>> opt.init(model.trainable_parameters())
    >>> state = [model.state, opt.state]
    >>> @partial(mx.compile, inputs=state, outputs=state)
    ... def train_step(x, y):
    ...     loss_fn = lambda m, x, y: ((m(x) - y) ** 2).mean()
    ...     loss, grads = nn.value_and_grad(model, loss_fn)(model, x, y)
    ...     opt.update(model, grads)
    ...     return loss
    >>> for step in range(30):
    ...     loss = train_step(mx.ones((8, 4)), mx.zeros((8, 1)))
    ...     mx.eval(state)
    >>> opt.momentum, opt.weight_decay  # the values update 29 used
    (array(0.85, dtype=float32), array(6.22e-05, dtype=float32))
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import mlx.core as mx
import mlx.optimizers as optim

from mlx_lr_scheduler.validation import FLOAT32_MAX, check_int, check_real

__all__ = ["SGD", "Adam", "AdamW", "Adamax", "Lion", "Muon", "convert", "counterpart"]

#: The keys of the scheduled values in ``optimizer.state``.
MOMENTUM_KEY = "momentum"
BETA1_KEY = "beta1"
WEIGHT_DECAY_KEY = "weight_decay"

Check = Callable[[str, Any], float]


# -- checks ------------------------------------------------------------------------------
def _float32(value: float) -> float:
    return float(struct.unpack("f", struct.pack("f", value))[0])


def check_fraction(name: str, value: Any) -> float:
    """A momentum or a beta: a real number in ``[0, 1)`` whose float32 rounding (the
    value the optimizer holds) is below 1 too."""
    result = check_real(name, value, low=0.0, high=1.0, high_open=True)
    if _float32(result) == 1.0:
        raise ValueError(
            f"{name} must be in [0.0, 1.0) as a float32 (the optimizer holds it in float32), "
            f"but got {result!r}, which rounds to 1.0"
        )
    return result


def check_decay(name: str, value: Any) -> float:
    """A weight decay: a real number ``>= 0``, finite as a float32."""
    return check_real(name, value, low=0.0, high=FLOAT32_MAX)


def _number(value: Any) -> Any:
    """A one-element array as its Python number (a value read from a state)."""
    if isinstance(value, mx.array) and value.size == 1:
        return value.item()
    return value


class _Float32Schedule:
    """A schedule function of the step, its values as float32 arrays (as the state holds them)."""

    __slots__ = ("function",)

    def __init__(self, function: Callable[[mx.array], Any]) -> None:
        self.function = function

    def __call__(self, step: mx.array) -> mx.array:
        value = self.function(step)
        if isinstance(value, mx.array):
            return value.astype(mx.float32)
        return mx.array(value, dtype=mx.float32)

    def __repr__(self) -> str:
        return f"_Float32Schedule({self.function!r})"


def _first_value(name: str, value: Any, check: Check, step: mx.array) -> float:
    """``value`` checked, or a schedule's value at ``step`` checked; as a float."""
    if not callable(value):
        return check(name, _number(value))
    first = _Float32Schedule(value)(step)
    if first.ndim != 0:
        raise TypeError(
            f"{name} must be a number or a schedule function returning a scalar, but the "
            f"schedule returned shape {tuple(first.shape)} at step {step.item()}"
        )
    return check(f"{name} (the schedule's value at step {step.item()})", first.item())


def _check_betas(betas: Any, step: mx.array) -> tuple[float, ...]:
    """``(beta1, beta2)`` checked (``beta1`` may be a schedule: its value at ``step``)."""
    if not isinstance(betas, (list, tuple)) or len(betas) != 2:
        raise TypeError(f"betas must be a pair (beta1, beta2), but got {betas!r}")
    return (
        _first_value("betas[0]", betas[0], check_fraction, step),
        check_fraction("betas[1]", _number(betas[1])),
    )


_STEP_0 = mx.array(0, mx.uint64)


# -- the values in the state -------------------------------------------------------------
def _put(optimizer: Any, key: str, name: str, value: Any, check: Check) -> None:
    """Check ``value`` (a number or a schedule function of the step) and hand it to MLX's
    ``_maybe_schedule``, which puts it in ``optimizer.state[key]`` (a schedule: its value
    now, and again before every update)."""
    step = optimizer.step
    first = _first_value(name, value, check, step)
    if callable(value):
        optimizer._maybe_schedule(key, _Float32Schedule(value))
    else:
        optimizer._schedulers.pop(key, None)
        optimizer._maybe_schedule(key, first)


def _state_property(key: str, name: str, check: Check, doc: str) -> property:
    def read(self: Any) -> Any:
        return self.state[key]

    def write(self: Any, value: Any) -> None:
        _put(self, key, name, value, check)

    return property(read, write, doc=doc)


_MOMENTUM = _state_property(
    MOMENTUM_KEY,
    "momentum",
    check_fraction,
    'The momentum, ``state["momentum"]`` (float32); assign a number or a schedule.',
)
_WEIGHT_DECAY = _state_property(
    WEIGHT_DECAY_KEY,
    "weight_decay",
    check_decay,
    'The weight decay, ``state["weight_decay"]`` (float32); assign a number or a schedule.',
)


def _read_betas(self: Any) -> tuple[Any, ...]:
    return (self.state[BETA1_KEY], *self._later_betas)


def _write_betas(self: Any, betas: Any) -> None:
    checked = _check_betas(betas, self.step)
    _put(self, BETA1_KEY, "betas[0]", betas[0], check_fraction)
    self._later_betas = checked[1:]


_BETAS = property(
    _read_betas,
    _write_betas,
    doc='``(beta1, beta2)``: ``state["beta1"]`` (float32) and a float; assign a pair, '
    "``beta1`` a number or a schedule.",
)


def _keeping_dtypes(
    update: Callable[[mx.array, mx.array, dict[str, Any]], mx.array],
    gradient: mx.array,
    parameter: mx.array,
    state: dict[str, Any],
) -> mx.array:
    """Run ``update`` and cast the new parameter and buffers back to their dtypes.

    A float32 value from the state times a bfloat16 buffer gives float32, where MLX's
    Python float kept bfloat16. For float32 models nothing is cast (the check runs in
    Python, at trace time).
    """
    dtypes = {key: value.dtype for key, value in state.items() if isinstance(value, mx.array)}
    new_parameter = update(gradient, parameter, state)
    for key, dtype in dtypes.items():
        value = state[key]
        if isinstance(value, mx.array) and value.dtype != dtype:
            state[key] = value.astype(dtype)
    if new_parameter.dtype != parameter.dtype:
        new_parameter = new_parameter.astype(parameter.dtype)
    return new_parameter


class _ScheduledValues:
    """What the classes here share: the state keys they hold, the update run keeping the
    dtypes, and a state replaced by one without those keys keeping the values in force."""

    #: The attributes MLX keeps in Python and the classes here keep in the state.
    _attributes: ClassVar[tuple[str, ...]]
    #: Their keys in the state.
    _state_keys: ClassVar[tuple[str, ...]]

    _state: dict[str, Any]
    _initialized: bool

    @property
    def state(self) -> dict[str, Any]:
        """The optimizer's state dictionary (MLX's), with the scheduled values."""
        return self._state

    @state.setter
    def state(self, state: dict[str, Any]) -> None:
        # A state saved before this optimizer held these values (a checkpoint of a plain
        # MLX optimizer) keeps the values in force.
        for key in self._state_keys:
            if key not in state and key in self._state:
                state[key] = self._state[key]
        self._initialized = False
        self._state = state

    def apply_single(self, gradient: mx.array, parameter: mx.array, state: dict[str, Any]) -> Any:
        return _keeping_dtypes(self._scheduled_update, gradient, parameter, state)

    def _scheduled_update(
        self, gradient: mx.array, parameter: mx.array, state: dict[str, Any]
    ) -> Any:
        """The update, reading the values from the state: MLX's own where it has no
        Python branch on them."""
        return super().apply_single(gradient, parameter, state)  # type: ignore[misc]

    def _keep_schedules(self, **values: Any) -> None:
        """After MLX's constructor has put the first values in the state: each value that
        is a schedule replaces it (and is evaluated from then on)."""
        for name, value in values.items():
            if callable(value):
                setattr(self, name, value)


class _MomentumAndDecay(_ScheduledValues):
    """SGD's and Muon's scheduled values: the momentum and the weight decay."""

    _attributes = ("momentum", "weight_decay")
    _state_keys = (MOMENTUM_KEY, WEIGHT_DECAY_KEY)
    momentum = _MOMENTUM
    weight_decay = _WEIGHT_DECAY


# -- the optimizers ----------------------------------------------------------------------
class SGD(_MomentumAndDecay, optim.SGD):  # type: ignore[misc]
    r"""``mlx.optimizers.SGD`` whose ``momentum`` and ``weight_decay`` may be schedules.

    .. math::
        g_t \leftarrow g_t + \lambda_t w_t, \quad
        v_{t+1} = \mu_t v_t + (1 - \tau) g_t, \quad
        w_{t+1} = w_t - \eta_t v_{t+1}

    (with ``nesterov``, :math:`w_{t+1} = w_t - \eta_t (g_t + \mu_t v_{t+1})`), where
    :math:`\eta_t` = ``learning_rate``, :math:`\mu_t` = ``momentum`` and
    :math:`\lambda_t` = ``weight_decay`` are each a number or a schedule function of
    the step. With :math:`\mu_t = 0` the update is :math:`w_t - \eta_t g_t` and
    :math:`v` is left as it was, as in MLX (and torch).

    Args:
        learning_rate: :math:`\eta`, a number or a schedule (MLX's).
        momentum: :math:`\mu`, in ``[0, 1)`` as a float32, or a schedule. Default: ``0.0``.
        weight_decay: :math:`\lambda` (L2 penalty), ``>= 0``, or a schedule. Default: ``0.0``.
        dampening: :math:`\tau`. Default: ``0.0``.
        nesterov: Nesterov momentum; needs a momentum ``> 0`` (a schedule's at step 0)
            and no dampening. Default: ``False``.

    Example:
        >>> import mlx.core as mx
        >>> from mlx_lr_scheduler import schedules
        >>> opt = SGD(learning_rate=schedules.one_cycle_lr(0.1, total_steps=100),
        ...           momentum=schedules.one_cycle_momentum(total_steps=100))
        >>> opt.momentum  # the value at step 0
        array(0.95, dtype=float32)
        >>> opt.init({"w": mx.zeros(3)})
        >>> for step in range(30):
        ...     _ = opt.apply_gradients({"w": mx.ones(3)}, {"w": mx.zeros(3)})
        >>> opt.momentum  # the value update 29 used: the LR's peak, the momentum's low
        array(0.85, dtype=float32)
    """

    def __init__(
        self,
        learning_rate: Any,
        momentum: Any = 0.0,
        weight_decay: Any = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        first_momentum = _first_value("momentum", momentum, check_fraction, _STEP_0)
        first_decay = _first_value("weight_decay", weight_decay, check_decay, _STEP_0)
        dampening = check_real("dampening", dampening)
        if nesterov and (first_momentum <= 0 or dampening != 0):
            raise ValueError(
                "nesterov=True needs a momentum > 0 and dampening 0, but got "
                f"momentum={first_momentum!r} and dampening={dampening!r}"
            )
        # MLX assigns the values, which puts them in the state; then the schedules.
        super().__init__(learning_rate, first_momentum, first_decay, dampening, nesterov)
        self._keep_schedules(momentum=momentum, weight_decay=weight_decay)

    def _scheduled_update(
        self, gradient: mx.array, parameter: mx.array, state: dict[str, Any]
    ) -> Any:
        # MLX's SGD update with its Python branches as arithmetic: a decay of 0 adds 0 * w;
        # without momentum, v stays as it was and the step is -lr g.
        gradient = gradient + self.weight_decay * parameter
        momentum = self.momentum
        velocity = state["v"]
        new_velocity = momentum * velocity + (
            (1 - self.dampening) * gradient if self.dampening > 0 else gradient
        )
        moving = momentum > 0
        state["v"] = mx.where(moving, new_velocity, velocity)
        if self.nesterov:
            update = gradient + momentum * new_velocity
        elif self.dampening > 0:
            update = mx.where(moving, new_velocity, gradient)
        else:
            update = new_velocity  # = g where momentum is 0
        return parameter - self.learning_rate.astype(gradient.dtype) * update


class Adam(_ScheduledValues, optim.Adam):  # type: ignore[misc]
    r"""``mlx.optimizers.Adam`` whose ``betas[0]`` may be a schedule.

    .. math::
        m_{t+1} = \beta_{1,t} m_t + (1 - \beta_{1,t}) g_t, \quad
        v_{t+1} = \beta_2 v_t + (1 - \beta_2) g_t^2, \quad
        w_{t+1} = w_t - \eta_t \frac{m_{t+1}}{\sqrt{v_{t+1}} + \epsilon}

    (MLX's update, run as is; with ``bias_correction`` the moments are divided by
    :math:`1 - \beta_{1,t}^{t+1}` and :math:`1 - \beta_2^{t+1}`, as torch always does).

    Args:
        learning_rate: :math:`\eta`, a number or a schedule (MLX's).
        betas: ``(beta1, beta2)``, each in ``[0, 1)`` as a float32; ``beta1`` may be a
            schedule. Default: ``(0.9, 0.999)``.
        eps: :math:`\epsilon`, ``>= 0``. Default: ``1e-8``.
        bias_correction: correct the moments' bias (torch does). Default: ``False``.

    Example:
        >>> from mlx_lr_scheduler import schedules
        >>> opt = Adam(learning_rate=1e-3, betas=(schedules.one_cycle_momentum(
        ...     total_steps=100, base_momentum=0.85, max_momentum=0.95), 0.999))
        >>> opt.betas
        (array(0.95, dtype=float32), 0.999)
        >>> opt.state["beta1"] is opt.betas[0]
        True
    """

    _attributes = ("betas",)
    _state_keys = (BETA1_KEY,)
    _later_betas: tuple[float, ...]
    betas = _BETAS

    def __init__(
        self,
        learning_rate: Any,
        betas: Any = (0.9, 0.999),
        eps: float = 1e-8,
        bias_correction: bool = False,
    ) -> None:
        first = _check_betas(betas, _STEP_0)
        eps = check_real("eps", eps, low=0.0)
        super().__init__(learning_rate, list(first), eps, bias_correction)
        if callable(betas[0]):
            self.betas = betas


class AdamW(_ScheduledValues, optim.AdamW):  # type: ignore[misc]
    r"""``mlx.optimizers.AdamW`` whose ``betas[0]`` and ``weight_decay`` may be schedules.

    .. math::
        w_{t+1} = w_t (1 - \eta_t \lambda_t) - \eta_t \frac{m_{t+1}}{\sqrt{v_{t+1}} + \epsilon}

    with :math:`m` and :math:`v` as in :class:`Adam` (MLX's update, run as is; torch's
    ``AdamW`` with ``bias_correction=True``).

    Args:
        learning_rate: :math:`\eta`, a number or a schedule (MLX's).
        betas: ``(beta1, beta2)``, each in ``[0, 1)`` as a float32; ``beta1`` may be a
            schedule. Default: ``(0.9, 0.999)``.
        eps: :math:`\epsilon`, ``>= 0``. Default: ``1e-8``.
        weight_decay: :math:`\lambda`, ``>= 0``, or a schedule. Default: ``0.01``.
        bias_correction: correct the moments' bias (torch does). Default: ``False``.

    Example (the weight decay follows the LR's cosine):
        >>> from mlx_lr_scheduler import schedules
        >>> opt = AdamW(learning_rate=schedules.cosine_annealing_lr(1e-3, T_max=1000),
        ...             weight_decay=schedules.cosine_annealing_lr(0.05, T_max=1000))
        >>> opt.weight_decay, opt.betas
        (array(0.05, dtype=float32), (array(0.9, dtype=float32), 0.999))
    """

    _attributes = ("betas", "weight_decay")
    _state_keys = (BETA1_KEY, WEIGHT_DECAY_KEY)
    _later_betas: tuple[float, ...]
    betas = _BETAS
    weight_decay = _WEIGHT_DECAY

    def __init__(
        self,
        learning_rate: Any,
        betas: Any = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: Any = 0.01,
        bias_correction: bool = False,
    ) -> None:
        first = _check_betas(betas, _STEP_0)
        eps = check_real("eps", eps, low=0.0)
        first_decay = _first_value("weight_decay", weight_decay, check_decay, _STEP_0)
        super().__init__(learning_rate, list(first), eps, first_decay, bias_correction)
        if callable(betas[0]):
            self.betas = betas
        self._keep_schedules(weight_decay=weight_decay)


class Adamax(_ScheduledValues, optim.Adamax):  # type: ignore[misc]
    r"""``mlx.optimizers.Adamax`` whose ``betas[0]`` may be a schedule.

    .. math::
        m_{t+1} = \beta_{1,t} m_t + (1 - \beta_{1,t}) g_t, \quad
        v_{t+1} = \max(\beta_2 v_t, |g_t|), \quad
        w_{t+1} = w_t - \eta_t \frac{m_{t+1}}{v_{t+1} + \epsilon}

    (MLX's update, run as is).

    Args:
        learning_rate: :math:`\eta`, a number or a schedule (MLX's).
        betas: ``(beta1, beta2)``, each in ``[0, 1)`` as a float32; ``beta1`` may be a
            schedule. Default: ``(0.9, 0.999)``.
        eps: :math:`\epsilon`, ``>= 0``. Default: ``1e-8``.

    Example:
        >>> opt = Adamax(learning_rate=2e-3, betas=(lambda step: 0.9 - 0.1 * (step < 10), 0.99))
        >>> opt.betas
        (array(0.8, dtype=float32), 0.99)
    """

    _attributes = ("betas",)
    _state_keys = (BETA1_KEY,)
    _later_betas: tuple[float, ...]
    betas = _BETAS

    def __init__(self, learning_rate: Any, betas: Any = (0.9, 0.999), eps: float = 1e-8) -> None:
        first = _check_betas(betas, _STEP_0)
        eps = check_real("eps", eps, low=0.0)
        super().__init__(learning_rate, list(first), eps)
        if callable(betas[0]):
            self.betas = betas


class Lion(_ScheduledValues, optim.Lion):  # type: ignore[misc]
    r"""``mlx.optimizers.Lion`` whose ``betas[0]`` and ``weight_decay`` may be schedules.

    .. math::
        c_{t+1} = \beta_{1,t} m_t + (1 - \beta_{1,t}) g_t, \quad
        m_{t+1} = \beta_2 m_t + (1 - \beta_2) g_t, \quad
        w_{t+1} = w_t (1 - \eta_t \lambda_t) - \eta_t\, \mathrm{sign}(c_{t+1})

    (MLX's update; its ``if weight_decay > 0`` is the factor :math:`1 - \eta_t \lambda_t`,
    which is 1 without decay).

    Args:
        learning_rate: :math:`\eta`, a number or a schedule (MLX's).
        betas: ``(beta1, beta2)``, each in ``[0, 1)`` as a float32; ``beta1`` may be a
            schedule. Default: ``(0.9, 0.99)``.
        weight_decay: :math:`\lambda`, ``>= 0``, or a schedule. Default: ``0.0``.

    Example:
        >>> opt = Lion(learning_rate=1e-4, weight_decay=0.1)
        >>> opt.weight_decay, opt.betas[1]
        (array(0.1, dtype=float32), 0.99)
    """

    _attributes = ("betas", "weight_decay")
    _state_keys = (BETA1_KEY, WEIGHT_DECAY_KEY)
    _later_betas: tuple[float, ...]
    betas = _BETAS
    weight_decay = _WEIGHT_DECAY

    def __init__(
        self, learning_rate: Any, betas: Any = (0.9, 0.99), weight_decay: Any = 0.0
    ) -> None:
        first = _check_betas(betas, _STEP_0)
        first_decay = _first_value("weight_decay", weight_decay, check_decay, _STEP_0)
        super().__init__(learning_rate, list(first), first_decay)
        if callable(betas[0]):
            self.betas = betas
        self._keep_schedules(weight_decay=weight_decay)

    def _scheduled_update(
        self, gradient: mx.array, parameter: mx.array, state: dict[str, Any]
    ) -> Any:
        # MLX's Lion update; its `if weight_decay > 0` as a factor that is 1 without decay.
        lr = self.learning_rate.astype(gradient.dtype)
        b1, b2 = self.betas
        m = state["m"]
        c = b1 * m + (1 - b1) * gradient
        state["m"] = b2 * m + (1 - b2) * gradient
        parameter = (1 - lr * self.weight_decay) * parameter
        return parameter - lr * mx.sign(c)


class Muon(_MomentumAndDecay, optim.Muon):  # type: ignore[misc]
    r"""``mlx.optimizers.Muon`` whose ``momentum`` and ``weight_decay`` may be schedules.

    .. math::
        g_t \leftarrow g_t + \lambda_t w_t, \quad
        v_{t+1} = \mu_t v_t + (1 - \mu_t) g_t, \quad
        w_{t+1} = w_t - \eta_t\, \mathrm{NS}(u_{t+1})

    where :math:`u_{t+1}` is :math:`v_{t+1}`, or with ``nesterov``
    :math:`(1 - \mu_t) g_t + \mu_t v_{t+1}`, and :math:`\mathrm{NS}` MLX's
    Newton-Schulz orthogonalisation for 2-D and larger parameters (MLX's update; its
    ``if weight_decay != 0`` adds :math:`0 \cdot w` without decay).

    Args:
        learning_rate: :math:`\eta`, a number or a schedule (MLX's).
        momentum: :math:`\mu`, in ``[0, 1)`` as a float32, or a schedule. Default: ``0.95``.
        weight_decay: :math:`\lambda` (L2 penalty), ``>= 0``, or a schedule. Default: ``0.01``.
        nesterov: Nesterov momentum. Default: ``True``.
        ns_steps: Newton-Schulz iterations, an integer ``>= 0``. Default: ``5``.

    Example:
        >>> opt = Muon(learning_rate=0.02, momentum=lambda step: 0.85 + 0.1 * (step >= 300))
        >>> opt.momentum, opt.weight_decay
        (array(0.85, dtype=float32), array(0.01, dtype=float32))
    """

    def __init__(
        self,
        learning_rate: Any,
        momentum: Any = 0.95,
        weight_decay: Any = 0.01,
        nesterov: bool = True,
        ns_steps: int = 5,
    ) -> None:
        first_momentum = _first_value("momentum", momentum, check_fraction, _STEP_0)
        first_decay = _first_value("weight_decay", weight_decay, check_decay, _STEP_0)
        ns_steps = check_int("ns_steps", ns_steps, minimum=0)
        super().__init__(learning_rate, first_momentum, first_decay, nesterov, ns_steps)
        self._keep_schedules(momentum=momentum, weight_decay=weight_decay)

    def _scheduled_update(
        self, gradient: mx.array, parameter: mx.array, state: dict[str, Any]
    ) -> Any:
        # MLX's Muon update; its `if weight_decay != 0` adds 0 * w without decay.
        gradient = gradient + self.weight_decay * parameter
        momentum = self.momentum
        v = momentum * state["v"] + (1 - momentum) * gradient
        state["v"] = v
        update = gradient * (1 - momentum) + v * momentum if self.nesterov else v
        lr = self.learning_rate.astype(gradient.dtype)
        if update.ndim >= 2:
            shape = update.shape
            if update.ndim > 2:
                update = mx.reshape(update, (shape[0], -1))
            update = self._zeropower_via_newtonschulz5(update, steps=self.ns_steps)
            if len(shape) > 2:
                update = mx.reshape(update, shape)
            lr = lr * max(1, update.shape[-2] / update.shape[-1]) ** 0.5
        return parameter - lr * update


# -- a plain MLX optimizer, converted -----------------------------------------------------
#: The MLX class each class here is named after, and the class.
_COUNTERPARTS: Mapping[type, type[_ScheduledValues]] = {
    optim.SGD: SGD,
    optim.Adam: Adam,
    optim.AdamW: AdamW,
    optim.Adamax: Adamax,
    optim.Lion: Lion,
    optim.Muon: Muon,
}

_CHECKS: Mapping[str, Check] = {"momentum": check_fraction, "weight_decay": check_decay}


_NAMES = ", ".join(cls.__name__ for cls in _COUNTERPARTS)


def counterpart(optimizer: Any) -> type[_ScheduledValues] | None:
    """The class of this module that ``optimizer`` is, or that :func:`convert` makes it.

    Its own class for an instance of a class here (or of a subclass); the same-named
    class for an instance of exactly ``mlx.optimizers.SGD``, ``Adam``, ``AdamW``,
    ``Adamax``, ``Lion`` or ``Muon``; ``None`` for any other optimizer (a subclass of
    an MLX optimizer may change its update: it is not converted).

    Raises:
        ValueError: an MLX optimizer's momentum, betas or weight decay could not be held
            by its counterpart (e.g. a momentum of ``1.0``, a negative weight decay).

    Example:
        >>> import mlx.optimizers as optim
        >>> counterpart(optim.AdamW(1e-3)), counterpart(optim.RMSprop(1e-3))
        (<class 'mlx_lr_scheduler.optimizers.AdamW'>, None)
    """
    if isinstance(optimizer, _ScheduledValues):
        return type(optimizer)
    cls = _COUNTERPARTS.get(type(optimizer))
    if cls is not None:
        for name in cls._attributes:
            value = optimizer.__dict__[name]
            if name == "betas":
                _check_betas(value, optimizer.step)
            else:
                _first_value(name, value, _CHECKS[name], optimizer.step)
    return cls


def convert(optimizer: Any) -> Any:
    """Turn a plain MLX optimizer into the same-named class of this module, in place.

    ``optimizer.__class__`` becomes, e.g., :class:`SGD`; its momentum, betas[0] and
    weight decay move from Python attributes into its state, where a compiled step
    reads them and a schedule can drive them. Everything else (learning rate,
    buffers, step count) stays. An optimizer already of a class here is returned as
    is. ``CyclicLR`` and ``OneCycleLR`` call this on the optimizer whose momentum
    they cycle.

    Returns:
        ``optimizer`` itself.

    Raises:
        TypeError: ``optimizer`` has no counterpart here (see :func:`counterpart`).
        ValueError: as :func:`counterpart`; the optimizer is then left unchanged.

    Example:
        >>> import mlx.optimizers as optim
        >>> opt = optim.SGD(learning_rate=0.1, momentum=0.9)
        >>> convert(opt) is opt, type(opt).__module__, opt.state["momentum"]
        (True, 'mlx_lr_scheduler.optimizers', array(0.9, dtype=float32))
        >>> opt.momentum = lambda step: 0.9 - 0.4 * (step >= 100)  # now it can be scheduled
    """
    cls = counterpart(optimizer)
    if cls is None:
        raise TypeError(
            f"optimizer must be an instance of exactly one of mlx.optimizers.{_NAMES} or of "
            f"mlx_lr_scheduler.optimizers, but got {type(optimizer).__qualname__}: build it "
            "from mlx_lr_scheduler.optimizers"
        )
    if isinstance(optimizer, cls):
        return optimizer
    values = {name: optimizer.__dict__.pop(name) for name in cls._attributes}
    optimizer.__class__ = cls
    for name, value in values.items():
        setattr(optimizer, name, value)
    return optimizer
