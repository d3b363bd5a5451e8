"""A scheduler written as text: ``"CosineAnnealingLR(T_max=100)"``, parsed safely.

A SPEC is one call of a torch-named scheduler class with literal arguments,
``optimizer`` left out::

    OneCycleLR(max_lr=0.1, total_steps=1000)
    SequentialLR([LinearLR(start_factor=0.1, total_iters=5), CosineAnnealingLR(T_max=95)],
                 milestones=[5])

Composites (``SequentialLR``, ``ChainedScheduler``, ``WarmupThenPlateau``) take
scheduler calls as arguments. The text is parsed with :func:`ast.parse` and
walked: only calls of the known class names, and literal arguments (numbers,
negative ones too, strings, booleans, ``None``, and lists, tuples and dicts of
them) are accepted. Nothing is evaluated: no other names, attributes, operators,
lambdas or subscripts. ``LambdaLR`` and ``MultiplicativeLR`` take functions and
so cannot be written as a SPEC.

A SPEC may also be the path of a ``.json``, ``.yaml`` or ``.yml`` config file, read
by :func:`mlx_lr_scheduler.from_config` (torch, transformers and mlx-lm names; also
``{"name": "StepLR", "arguments": {"step_size": 10}}``).

Example:
    >>> import mlx.optimizers as optim
    >>> spec = parse_spec("SequentialLR([LinearLR(start_factor=0.5, total_iters=2),"
    ...                   " StepLR(step_size=2)], milestones=[2])")
    >>> spec
    SequentialLR([LinearLR(start_factor=0.5, total_iters=2), StepLR(step_size=2)], milestones=[2])
    >>> scheduler = spec.build(optim.SGD(learning_rate=1.0))
    >>> type(scheduler).__name__, scheduler.get_last_lr()
    ('SequentialLR', [0.5])
    >>> parse_spec("__import__('os').system('true')")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mlx_lr_scheduler.spec.SpecError: a SPEC is a scheduler call ... is not a scheduler name ...
"""

from __future__ import annotations

import ast
import inspect
import os
from dataclasses import dataclass, field
from typing import Any

import mlx_lr_scheduler
from mlx_lr_scheduler.registry import SCHEDULES

__all__ = ["ConfigFileSpec", "SchedulerSpec", "SpecError", "parse_spec", "scheduler_names"]

#: Classes that take functions: a SPEC holds only literals.
_CALLABLE_TAKING = ("LambdaLR", "MultiplicativeLR")
_EXTRA_NAMES = ("WarmupThenPlateau",)
#: Classes that take another scheduler as an argument besides the composites.
_NESTING = ("WarmupLR",)
_COMPOSITES = {name for name, entry in SCHEDULES.items() if entry.composite} | {
    *_EXTRA_NAMES,
    *_NESTING,
}


class SpecError(ValueError):
    """A SPEC that is not a literal call of a known scheduler (the message says what is wrong)."""


def scheduler_names() -> list[str]:
    """The class names a SPEC may call, sorted."""
    return sorted({*SCHEDULES, *_EXTRA_NAMES} - set(_CALLABLE_TAKING))


def _known() -> str:
    return ", ".join(scheduler_names())


@dataclass(frozen=True)
class SchedulerSpec:
    """A parsed SPEC: a scheduler class name and its arguments, nested SPECs for composites."""

    name: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        parts = [_literal_repr(value) for value in self.args]
        parts += [f"{key}={_literal_repr(value)}" for key, value in self.kwargs.items()]
        return f"{self.name}({', '.join(parts)})"

    def build(self, optimizer: Any) -> Any:
        """Construct the scheduler (children first, in order) on ``optimizer``.

        Raises:
            SpecError: the class refused an argument (its ``ValueError``,
                ``TypeError`` or ``KeyError``, with the class name in front).
        """
        cls = getattr(mlx_lr_scheduler, self.name)
        args = tuple(_build_value(value, optimizer) for value in self.args)
        kwargs = {key: _build_value(value, optimizer) for key, value in self.kwargs.items()}
        parameters = inspect.signature(cls).parameters
        unknown = [key for key in kwargs if key not in parameters or key == "optimizer"]
        if unknown:
            accepted = [p for p in parameters if p not in ("optimizer", "last_epoch")]
            raise SpecError(
                f"{self.name} has no argument {unknown[0]!r} (it takes: {', '.join(accepted)})"
            )
        try:
            if next(iter(parameters)) == "optimizer":
                return cls(optimizer, *args, **kwargs)
            return cls(*args, optimizer=optimizer, **kwargs)
        except (ValueError, TypeError, KeyError) as error:
            message = error.args[0] if error.args else type(error).__name__
            raise SpecError(f"{self.name}: {message}") from error


def _build_value(value: Any, optimizer: Any) -> Any:
    if isinstance(value, SchedulerSpec):
        return value.build(optimizer)
    if isinstance(value, list):
        return [_build_value(item, optimizer) for item in value]
    if isinstance(value, tuple):
        return tuple(_build_value(item, optimizer) for item in value)
    return value


def _literal_repr(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_literal_repr(item) for item in value) + "]"
    return repr(value)


def parse_spec(text: str) -> SchedulerSpec | ConfigFileSpec:
    """Parse a SPEC (a scheduler call, or the path of a JSON file) without evaluating anything.

    Raises:
        SpecError: the text is not a literal call of a known scheduler, or the
            file cannot be read; the message says what was found.
    """
    if not isinstance(text, str):
        raise SpecError(f"a SPEC must be a string, but got {type(text).__name__}")
    stripped = text.strip()
    if stripped.endswith((".json", ".yaml", ".yml")) or (
        os.path.isfile(stripped) and "(" not in stripped
    ):
        return ConfigFileSpec(stripped)
    try:
        tree = ast.parse(stripped, mode="eval")
        return _call(tree.body, top=True)
    except SyntaxError as error:
        reason = error.msg
    except (ValueError, RecursionError, MemoryError) as error:  # null bytes, deep nesting
        if isinstance(error, SpecError):
            raise
        reason = str(error) or type(error).__name__
    raise SpecError(
        f"cannot parse SPEC {_clip(text)}: {reason} (write e.g. 'StepLR(step_size=10)')"
    )


def _clip(text: str, width: int = 80) -> str:
    shown = repr(text)
    return shown if len(shown) <= width else shown[: width - 3] + "..."


def _call(node: ast.expr, top: bool = False) -> SchedulerSpec:
    if isinstance(node, ast.Name) and node.id in scheduler_names():
        raise SpecError(f"{node.id} needs its arguments: write {node.id}(...)")
    if not isinstance(node, ast.Call):
        what = "a SPEC" if top else "a composite's scheduler"
        raise SpecError(
            f"{what} must be a scheduler call such as 'StepLR(step_size=10)', "
            f"but got {ast.unparse(node)!r}"
        )
    if not isinstance(node.func, ast.Name):
        raise SpecError(
            "a SPEC is a scheduler call such as 'StepLR(step_size=10)'; "
            f"{ast.unparse(node.func)!r} is not a scheduler name (known: {_known()})"
        )
    name = node.func.id
    if name in _CALLABLE_TAKING:
        raise SpecError(
            f"{name} takes a function, which a SPEC cannot hold (it holds only literals); "
            "build it in Python and use mlx_lr_scheduler.preview.preview"
        )
    if name not in scheduler_names():
        raise SpecError(
            "a SPEC is a scheduler call such as 'StepLR(step_size=10)'; "
            f"{name!r} is not a scheduler name (known: {_known()})"
        )
    composite = name in _COMPOSITES
    args = []
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            raise SpecError(f"{name}: *arguments are not allowed in a SPEC")
        args.append(_value(arg, name, composite))
    kwargs: dict[str, Any] = {}
    for keyword in node.keywords:
        if keyword.arg is None:
            raise SpecError(f"{name}: **arguments are not allowed in a SPEC")
        if keyword.arg == "optimizer":
            raise SpecError(f"{name}: leave out optimizer, the command supplies it")
        kwargs[keyword.arg] = _value(keyword.value, name, composite)
    return SchedulerSpec(name, tuple(args), kwargs)


def _value(node: ast.expr, owner: str, composite: bool) -> Any:
    """A literal argument; in a composite, also a scheduler call or a list of them."""
    if isinstance(node, ast.Call):
        if not composite:
            raise SpecError(
                f"{owner}: arguments must be literals, but got the call {ast.unparse(node)!r}"
            )
        return _call(node)
    if isinstance(node, ast.Constant) and (
        node.value is None or isinstance(node.value, (bool, int, float, str))
    ):
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, (ast.USub, ast.UAdd))
        and isinstance(node.operand, ast.Constant)
        and isinstance(node.operand.value, (int, float))
        and not isinstance(node.operand.value, bool)
    ):
        value = node.operand.value
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.List):
        return [_value(item, owner, composite) for item in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(_value(item, owner, composite) for item in node.elts)
    if isinstance(node, ast.Dict):
        out = {}
        for key, item in zip(node.keys, node.values):
            if key is None:
                raise SpecError(f"{owner}: **mappings are not allowed in a SPEC")
            out[_value(key, owner, False)] = _value(item, owner, False)
        return out
    raise SpecError(
        f"{owner}: arguments must be literals (numbers, strings, True/False/None, lists), "
        f"but got {ast.unparse(node)!r}"
    )


@dataclass(frozen=True)
class ConfigFileSpec:
    """A SPEC that names a config file: built by :func:`mlx_lr_scheduler.from_config`."""

    path: str

    @property
    def name(self) -> str:
        """The ``name`` the config gives (a torch class, transformers or mlx-lm name)."""
        try:
            return str(_read_config(self.path).get("name", "config"))
        except (OSError, ValueError, TypeError, ImportError) as error:
            raise SpecError(f"cannot read SPEC file {self.path!r}: {_reason(error)}") from None

    def build(self, optimizer: Any) -> Any:
        """Construct the scheduler the file describes on ``optimizer``.

        Raises:
            SpecError: the file cannot be read or describes no valid scheduler.
        """
        from mlx_lr_scheduler.config import from_config

        try:
            return from_config(optimizer, self.path)
        except (OSError, ValueError, TypeError, KeyError, ImportError) as error:
            raise SpecError(f"SPEC file {self.path!r}: {_reason(error)}") from None


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error.args[0]) if error.args else type(error).__name__


def _read_config(path: str) -> dict[str, Any]:
    from mlx_lr_scheduler.config import read_config

    return read_config(path)
