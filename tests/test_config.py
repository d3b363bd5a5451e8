"""Schedules from a config: ``from_config`` / ``to_config``.

* Round trip: ``from_config(opt, to_config(s))`` steps to the same learning rates (and
  momenta) bit for bit, for every registry example and random configurations from
  ``tests/strategies.py``, through strict JSON.
* transformers' names give transformers' learning rates (``transformers.get_scheduler``
  on a torch optimizer, stepped side by side).
* mlx-lm's ``lr_schedule`` blocks give mlx-lm's values (``build_schedule`` evaluated on
  the optimizer's step counts, as an MLX optimizer evaluates it).
* Bad input is refused where it enters, naming what was wrong.
"""

from __future__ import annotations

import json
import math
import struct
import sys
from typing import Any

import mlx.core as mx
import mlx.optimizers as optim
import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as hs
from strategies import STRATEGIES, Config, Factor, learning_rates

import mlx_lr_scheduler
from mlx_lr_scheduler import (
    LambdaLR,
    MultiplicativeLR,
    StepLR,
    from_config,
    to_config,
)
from mlx_lr_scheduler.config import MLX_LM_SCHEDULES, TRANSFORMERS_ARGUMENTS, register
from mlx_lr_scheduler.registry import Example, PerGroup, every_example
from mlx_lr_scheduler.transformers_names import TRANSFORMERS_SCHEDULES
from oracle import MLX, mlx_optimizer

LRS = (0.1, 0.02)


def _bits(values: list[float]) -> list[bytes]:
    return [struct.pack("<d", value) for value in values]


def _observed(scheduler: Any) -> list[Any]:
    """What a step changes: each group's LR (float64) and the scalars in the optimizer state."""
    state = [
        (key, group.optimizer.state[key].item())
        for group in scheduler.param_groups
        for key in ("learning_rate", "momentum", "beta1")
        if key in group.optimizer.state
    ]
    return [_bits(scheduler.get_last_lr()), state]


def _step_both(original: Any, rebuilt: Any, steps: int, step_args: Any) -> None:
    assert _observed(rebuilt) == _observed(original), "at step 0"
    for k in range(steps):
        args = step_args(k)
        original.step(*args)
        rebuilt.step(*args)
        assert _observed(rebuilt) == _observed(original), f"at step {k + 1}"


def _json(config: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(config, allow_nan=False)
    loaded = json.loads(text)
    assert isinstance(loaded, dict)
    return loaded


def _optimizer(lrs: tuple[float, ...] = LRS) -> Any:
    return mlx_optimizer(lrs, momentum=0.9)


_FUNCTION_CLASSES = ("LambdaLR", "MultiplicativeLR")


def _takes_a_function(value: Any) -> bool:
    """True if a registry example or a strategy's configuration holds a Python function."""
    if isinstance(value, Example):
        return value.scheduler in _FUNCTION_CLASSES or _takes_a_function(value.arguments)
    if isinstance(value, Config):
        return value.name in _FUNCTION_CLASSES or _takes_a_function(value.arguments)
    if isinstance(value, PerGroup):
        return _takes_a_function(value.values)
    if isinstance(value, dict):
        return _takes_a_function(list(value.values()))
    if isinstance(value, (list, tuple)):
        return any(_takes_a_function(item) for item in value)
    return callable(value) or isinstance(value, Factor)


# -- round trip ---------------------------------------------------------------------------

EXAMPLES = every_example()


@pytest.mark.parametrize("key", sorted(EXAMPLES))
def test_every_registry_example_round_trips_bit_exact(key):
    example = EXAMPLES[key]
    original = example.build(mlx_lr_scheduler, _optimizer())
    if _takes_a_function(example):
        with pytest.raises(TypeError, match="cannot hold"):
            to_config(original)
        return
    config = _json(to_config(original))
    rebuilt = from_config(_optimizer(), config)
    assert type(rebuilt) is type(original)
    assert to_config(rebuilt) == config
    _step_both(original, rebuilt, example.steps, example.step_args)


@pytest.mark.parametrize("name", sorted(STRATEGIES))
@settings(max_examples=40)
@given(data=hs.data())
def test_random_configuration_round_trips_bit_exact(name, data):
    groups = data.draw(hs.integers(1, 2), label="groups")
    lrs = tuple(data.draw(hs.lists(learning_rates(), min_size=groups, max_size=groups)))
    config = data.draw(STRATEGIES[name](groups), label="config")
    try:
        original = config.build(MLX, _optimizer(lrs))
    except ValueError:
        # A strategy's configuration that is invalid for these LRs (WarmupPolynomialLR's
        # lr_end up to 5e-4 against an LR of 3e-4): not what this test is about.
        reject()
    if _takes_a_function(config):
        with pytest.raises(TypeError, match="cannot hold"):
            to_config(original)
        return
    rebuilt = from_config(_optimizer(lrs), _json(to_config(original)))
    steps = data.draw(hs.integers(1, 60), label="steps")
    step_args = config.step_args or (lambda k: ())
    if name == "OneCycleLR":
        steps = min(steps, original.total_steps - 1)
    _step_both(original, rebuilt, steps, step_args)


def test_to_config_writes_the_documented_torch_format():
    opt = _optimizer((0.1,))
    warmup = mlx_lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=5)
    cosine = mlx_lr_scheduler.CosineAnnealingLR(opt, T_max=95, eta_min=1e-4)
    scheduler = mlx_lr_scheduler.SequentialLR(opt, [warmup, cosine], milestones=[5])
    assert to_config(scheduler) == {
        "name": "SequentialLR",
        "schedulers": [
            {"name": "LinearLR", "start_factor": 0.1, "end_factor": 1.0, "total_iters": 5},
            {"name": "CosineAnnealingLR", "T_max": 95, "eta_min": 1e-4},
        ],
        "milestones": [5],
    }


def test_to_config_gives_the_constructor_arguments_after_steps_and_a_loaded_state():
    opt = _optimizer((0.1,))
    scheduler = StepLR(opt, step_size=3, gamma=0.5)
    for _ in range(7):
        scheduler.step()
    other = StepLR(_optimizer((0.1,)), step_size=3, gamma=0.5)
    other.load_state_dict(scheduler.state_dict())
    assert (
        to_config(scheduler)
        == to_config(other)
        == {
            "name": "StepLR",
            "step_size": 3,
            "gamma": 0.5,
        }
    )


def test_cyclic_and_one_cycle_arguments_come_back_as_written():
    cyclic = mlx_lr_scheduler.CyclicLR(
        _optimizer((0.1,)), base_lr=0.01, max_lr=0.1, step_size_up=0.3, step_size_down=0.7
    )
    config = to_config(cyclic)
    assert (config["step_size_up"], config["step_size_down"]) == (0.3, 0.7)
    one_cycle = mlx_lr_scheduler.OneCycleLR(
        _optimizer((0.1,)),
        max_lr=0.3,
        total_steps=77,
        pct_start=0.13,
        div_factor=7.0,
        final_div_factor=3e3,
        three_phase=True,
    )
    config = to_config(one_cycle)
    assert (config["pct_start"], config["div_factor"], config["final_div_factor"]) == (
        0.13,
        7.0,
        3e3,
    )
    assert config["three_phase"] is True


# -- what a config cannot hold ---------------------------------------------------------------


def test_a_lambda_cannot_go_into_a_config():
    opt = _optimizer((0.1,))
    for scheduler in (LambdaLR(opt, lambda e: 0.9**e), MultiplicativeLR(opt, lambda e: 0.9)):
        with pytest.raises(TypeError, match=r"Python function \(lr_lambda\)"):
            to_config(scheduler)
    with pytest.raises(ValueError, match="LambdaLR takes a Python function"):
        from_config(opt, {"name": "LambdaLR", "lr_lambda": "lambda e: 0.9 ** e"})


def test_a_subclass_needs_registering():
    class HalvingStepLR(StepLR):
        def __init__(self, optimizer: Any, step_size: int, last_epoch: int = -1) -> None:
            super().__init__(optimizer, step_size, gamma=0.5, last_epoch=last_epoch)

    scheduler = HalvingStepLR(_optimizer((0.1,)), step_size=2)
    with pytest.raises(TypeError, match="register it first"):
        to_config(scheduler)
    with pytest.raises(ValueError, match="unknown schedule name 'HalvingStepLR'"):
        from_config(_optimizer((0.1,)), {"name": "HalvingStepLR", "step_size": 2})
    register(HalvingStepLR)
    config = _json(to_config(scheduler))
    assert config == {"name": "HalvingStepLR", "step_size": 2}
    _step_both(scheduler, from_config(_optimizer((0.1,)), config), 9, lambda k: ())


def test_register_refuses_a_taken_name():
    class StepLR(mlx_lr_scheduler.StepLR):  # same name as the library's class
        pass

    with pytest.raises(ValueError, match="taken"):
        register(StepLR)
    with pytest.raises(TypeError, match="subclass of LRScheduler"):
        register(dict)  # type: ignore[arg-type]


def test_to_config_refuses_what_is_not_a_scheduler():
    with pytest.raises(TypeError, match="takes an mlx_lr_scheduler scheduler"):
        to_config({"name": "StepLR"})  # type: ignore[arg-type]


# -- files --------------------------------------------------------------------------------


def test_json_and_yaml_files(tmp_path):
    json_path = tmp_path / "schedule.json"
    json_path.write_text('{"name": "StepLR", "step_size": 2, "gamma": 0.5}')
    yaml_path = tmp_path / "schedule.yaml"
    yaml_path.write_text(
        "name: SequentialLR\n"
        "schedulers:\n"
        "  - {name: LinearLR, start_factor: 1e-2, total_iters: 3}\n"  # 1e-2: a float
        "  - name: ExponentialLR\n"
        "    gamma: 0.9\n"
        "milestones: [3]\n"
    )
    step = from_config(_optimizer((0.1,)), json_path)
    assert to_config(step) == {"name": "StepLR", "step_size": 2, "gamma": 0.5}
    sequence = from_config(_optimizer((0.1,)), str(yaml_path))
    assert to_config(sequence)["schedulers"][0]["start_factor"] == 0.01


def test_the_mlx_lr_spec_file_form_is_read(tmp_path):
    path = tmp_path / "spec.json"
    path.write_text(
        '{"name": "SequentialLR", "arguments": {"schedulers": [{"name": "LinearLR", '
        '"arguments": {"start_factor": 0.5, "total_iters": 2}}, {"name": "StepLR", '
        '"arguments": {"step_size": 2}}], "milestones": [2]}}'
    )
    from mlx_lr_scheduler.spec import parse_spec

    scheduler = from_config(_optimizer((0.1,)), path)
    _step_both(parse_spec(str(path)).build(_optimizer((0.1,))), scheduler, 9, lambda k: ())


def test_an_mlx_lm_training_config_file(tmp_path):
    path = tmp_path / "lora.yml"
    path.write_text(
        "model: some/model\n"
        "learning_rate: 1e-5\n"
        "lr_schedule:\n"
        "  name: cosine_decay\n"
        "  warmup: 10\n"
        "  warmup_init: 1e-7\n"
        "  arguments: [1e-5, 100, 1e-7]\n"
    )
    scheduler = from_config(_optimizer((0.1,)), path)
    assert scheduler.get_last_lr() == pytest.approx([1e-7])


def test_yaml_without_pyyaml_says_how_to_install_it(tmp_path, monkeypatch):
    path = tmp_path / "schedule.yaml"
    path.write_text("name: StepLR\nstep_size: 2\n")
    monkeypatch.setitem(sys.modules, "yaml", None)
    with pytest.raises(ImportError, match="pip install pyyaml"):
        from_config(_optimizer((0.1,)), path)


def test_yaml_is_read_safely(tmp_path):
    path = tmp_path / "schedule.yaml"
    path.write_text("name: !!python/object/apply:os.system ['echo no']\n")
    with pytest.raises(Exception, match="could not determine a constructor"):
        from_config(_optimizer((0.1,)), path)


def test_other_files_and_types_are_refused(tmp_path):
    with pytest.raises(ValueError, match=r"must end in \.json, \.yaml or \.yml"):
        from_config(_optimizer((0.1,)), tmp_path / "schedule.toml")
    path = tmp_path / "list.json"
    path.write_text("[1, 2]")
    with pytest.raises(TypeError, match="must be a dict"):
        from_config(_optimizer((0.1,)), path)
    for config in (None, 3, ["StepLR"], b"StepLR"):
        with pytest.raises(TypeError, match="config must be a dict or the path"):
            from_config(_optimizer((0.1,)), config)  # type: ignore[arg-type]


# -- bad input --------------------------------------------------------------------------


def test_an_unknown_name_lists_the_valid_ones_by_vocabulary():
    with pytest.raises(ValueError) as error:
        from_config(_optimizer((0.1,)), {"name": "cosine_annealing"})
    message = str(error.value)
    assert "unknown schedule name 'cosine_annealing'" in message
    torch_line, transformers_line, mlx_line = message.splitlines()[1:]
    assert torch_line.startswith("  torch: ") and "CosineAnnealingLR" in torch_line
    assert "LambdaLR" not in torch_line
    assert transformers_line == "  transformers: " + ", ".join(TRANSFORMERS_SCHEDULES)
    assert mlx_line == "  mlx-lm: " + ", ".join(MLX_LM_SCHEDULES)


def test_an_unknown_argument_lists_the_arguments_of_the_name():
    opt = _optimizer((0.1,))
    with pytest.raises(ValueError, match=r"'step' for 'StepLR'; its arguments are: step_size, "):
        from_config(opt, {"name": "StepLR", "step": 3})
    with pytest.raises(ValueError, match=r"num_training_steps, num_cycles$"):
        from_config(opt, {"name": "cosine", "num_warmup_steps": 1, "cycles": 2})
    with pytest.raises(ValueError, match="its arguments are: arguments, warmup, warmup_init"):
        from_config(opt, {"name": "cosine_decay", "arguments": [1e-3, 10], "warmup_steps": 3})


def test_an_invalid_value_names_the_argument_and_leaves_the_optimizer_alone():
    opt = _optimizer((0.1,))
    with pytest.raises(ValueError, match="step_size must be an integer >= 1, but got 0"):
        from_config(opt, {"name": "StepLR", "step_size": 0})
    with pytest.raises(
        TypeError,
        match=r"^config\['schedulers'\]\[1\]: T_max must be an integer >= 1, but got '10'",
    ):
        from_config(
            opt,
            {
                "name": "SequentialLR",
                "schedulers": [
                    {"name": "LinearLR", "start_factor": 0.5, "total_iters": 2},
                    {"name": "CosineAnnealingLR", "T_max": "10"},
                ],
                "milestones": [2],
            },
        )
    assert opt.state["learning_rate"].item() == pytest.approx(0.1)
    assert "initial_lr" not in mlx_lr_scheduler.param_groups.param_groups(opt)[0]
    with pytest.raises(ValueError, match="cosine_decay argument decay_steps must be an integer"):
        from_config(opt, {"name": "cosine_decay", "arguments": [1e-3, 0]})
    assert opt.state["learning_rate"].item() == pytest.approx(0.1)


def test_the_shape_of_a_config_is_checked():
    opt = _optimizer((0.1,))
    with pytest.raises(ValueError, match="needs a 'name'"):
        from_config(opt, {"step_size": 3})
    with pytest.raises(TypeError, match=r"config\['name'\] must be a string"):
        from_config(opt, {"name": 3})
    with pytest.raises(TypeError, match=r"config\['schedulers'\] must be a list of configs"):
        from_config(opt, {"name": "ChainedScheduler", "schedulers": {"name": "StepLR"}})
    with pytest.raises(TypeError, match=r"config\['schedulers'\]\[1\] must be a dict"):
        from_config(
            opt,
            {
                "name": "ChainedScheduler",
                "schedulers": [{"name": "ExponentialLR", "gamma": 0.9}, "StepLR"],
            },
        )
    with pytest.raises(TypeError, match="'arguments' must be a list"):
        from_config(opt, {"name": "step_decay", "arguments": "1e-3, 0.9, 10"})
    with pytest.raises(ValueError, match="a rising cosine"):
        from_config(opt, {"name": "cosine_decay", "arguments": [1e-4, 10, 1e-3]})
    with pytest.raises(ValueError, match="a rising linear_schedule after a warmup"):
        from_config(opt, {"name": "linear_schedule", "arguments": [0.0, 1e-3, 9], "warmup": 3})
    with pytest.raises(ValueError, match=r"step_decay takes 3 to 3 arguments"):
        from_config(opt, {"name": "step_decay", "arguments": [1e-3, 0.9]})


def test_transformers_argument_table_matches_transformers():
    import inspect

    from transformers import optimization

    functions = optimization.TYPE_TO_SCHEDULER_FUNCTION
    for name, arguments in TRANSFORMERS_ARGUMENTS.items():
        function = functions[optimization.SchedulerType(name)]
        if name == "reduce_lr_on_plateau":
            import torch

            function = torch.optim.lr_scheduler.ReduceLROnPlateau
        parameters = inspect.signature(function).parameters
        own = [
            p
            for p in parameters
            if p not in ("optimizer", "num_warmup_steps", "num_training_steps", "last_epoch")
            and parameters[p].kind is not inspect.Parameter.VAR_KEYWORD
        ]
        assert sorted(own) == sorted(arguments), name


# -- transformers -------------------------------------------------------------------------

#: One configuration per transformers name, with every argument it takes set away from
#: its default where that changes the curve.
TRANSFORMERS_CASES: dict[str, dict[str, Any]] = {
    "linear": {"num_warmup_steps": 7, "num_training_steps": 60},
    "cosine": {"num_warmup_steps": 7, "num_training_steps": 60, "num_cycles": 0.7},
    "cosine_with_restarts": {"num_warmup_steps": 5, "num_training_steps": 60, "num_cycles": 3},
    "polynomial": {"num_warmup_steps": 5, "num_training_steps": 50, "lr_end": 1e-4, "power": 2.0},
    "constant": {},
    "constant_with_warmup": {"num_warmup_steps": 9},
    "inverse_sqrt": {"num_warmup_steps": 10, "timescale": 13},
    "reduce_lr_on_plateau": {"factor": 0.5, "patience": 2, "min_lr": 1e-4},
    "cosine_with_min_lr": {"num_warmup_steps": 6, "num_training_steps": 50, "min_lr": 1e-3},
    "cosine_warmup_with_min_lr": {
        "num_warmup_steps": 6,
        "num_training_steps": 50,
        "min_lr_rate": 0.1,
        "warmup_lr_rate": 0.2,
    },
    "warmup_stable_decay": {
        "num_warmup_steps": 5,
        "num_training_steps": 60,
        "num_decay_steps": 20,
        "decay_type": "1-sqrt",
        "min_lr_ratio": 0.05,
    },
}
_METRICS = (3.0, 2.0, 2.5, 2.0, 2.1, 2.2, 1.0, 1.5, 1.5, 1.5, 1.5)
#: The names built from a class whose arithmetic is not transformers' own, and the
#: relative difference allowed (none at present: every name is bit-exact).
TRANSFORMERS_ULPS: dict[str, float] = {}
#: The worst relative difference to transformers seen per name (for the report).
TRANSFORMERS_DIFFERENCES: dict[str, float] = {}


def _relative(a: float, b: float) -> float:
    return 0.0 if a == b else abs(a - b) / max(abs(a), abs(b))


def test_every_transformers_name_has_a_case():
    assert set(TRANSFORMERS_CASES) == set(TRANSFORMERS_SCHEDULES)


#: More configurations: defaults, no warmup, the other warmup and decay shapes.
TRANSFORMERS_MORE_CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "linear, no warmup": ("linear", {"num_warmup_steps": 0, "num_training_steps": 33}),
    "cosine, defaults": ("cosine", {"num_warmup_steps": 3, "num_training_steps": 41}),
    "cosine_with_restarts, defaults": (
        "cosine_with_restarts",
        {"num_warmup_steps": 0, "num_training_steps": 37},
    ),
    "polynomial, defaults": ("polynomial", {"num_warmup_steps": 4, "num_training_steps": 29}),
    "inverse_sqrt, default timescale": ("inverse_sqrt", {"num_warmup_steps": 12}),
    "cosine_with_min_lr, min_lr_rate": (
        "cosine_with_min_lr",
        {"num_warmup_steps": 2, "num_training_steps": 30, "min_lr_rate": 0.05, "num_cycles": 1.5},
    ),
    "warmup_stable_decay, stable steps, cosine warmup": (
        "warmup_stable_decay",
        {
            "num_warmup_steps": 6,
            "num_decay_steps": 9,
            "num_stable_steps": 11,
            "warmup_type": "cosine",
            "decay_type": "linear",
        },
    ),
}


@pytest.mark.parametrize("label", sorted(TRANSFORMERS_CASES) + sorted(TRANSFORMERS_MORE_CASES))
def test_transformers_name_gives_transformers_learning_rates(label):
    name, case = TRANSFORMERS_MORE_CASES.get(label, (label, TRANSFORMERS_CASES.get(label, {})))
    import torch
    from transformers import get_scheduler

    from oracle import record, torch_optimizer

    counts = {key: case[key] for key in ("num_warmup_steps", "num_training_steps") if key in case}
    specific = {key: value for key, value in case.items() if key not in counts}
    torch_sched = get_scheduler(
        name, torch_optimizer(LRS), **counts, scheduler_specific_kwargs=specific
    )
    ours = from_config(_optimizer(), {"name": name, **case})
    on_metric = isinstance(torch_sched, torch.optim.lr_scheduler.ReduceLROnPlateau)
    steps = case.get("num_training_steps", 40) + 10
    theirs_history = [[float(v) for v in torch_sched.get_last_lr()]]
    ours_history = [ours.get_last_lr()]
    for k in range(steps):
        args = (_METRICS[k % len(_METRICS)],) if on_metric else ()
        torch_sched.step(*args)
        ours.step(*args)
        theirs_history.append([float(v) for v in torch_sched.get_last_lr()])
        ours_history.append(ours.get_last_lr())
    TRANSFORMERS_DIFFERENCES[label] = max(
        _relative(a, b)
        for theirs, mine in zip(theirs_history, ours_history)
        for a, b in zip(theirs, mine)
    )
    if name in TRANSFORMERS_ULPS:  # not counted as a parity run: not meant bit-exact
        assert TRANSFORMERS_DIFFERENCES[label] <= TRANSFORMERS_ULPS[name]
    else:
        assert record(theirs_history, ours_history), (
            f"{label}: worst relative difference {TRANSFORMERS_DIFFERENCES[label]:.3g}"
        )
    rebuilt = from_config(_optimizer(), _json(to_config(ours)))
    fresh = from_config(_optimizer(), {"name": name, **case})
    _step_both(fresh, rebuilt, steps, lambda k: (_METRICS[k % len(_METRICS)],) if on_metric else ())


# -- mlx-lm -------------------------------------------------------------------------------

MLX_LM_CASES: dict[str, dict[str, Any]] = {
    "cosine_decay": {"name": "cosine_decay", "arguments": [1e-5, 200, 1e-7]},
    "cosine_decay, default end": {"name": "cosine_decay", "arguments": [3e-4, 150]},
    "cosine_decay, warmup": {
        "name": "cosine_decay",
        "arguments": [1e-5, 200, 1e-7],
        "warmup": 20,
        "warmup_init": 1e-7,
    },
    "cosine_decay, warmup from 0": {
        "name": "cosine_decay",
        "arguments": [2e-4, 100],
        "warmup": 10,
    },
    "exponential_decay": {"name": "exponential_decay", "arguments": [1e-3, 0.97]},
    "exponential_decay, warmup": {
        "name": "exponential_decay",
        "arguments": [1e-3, 0.97],
        "warmup": 5,
        "warmup_init": 1e-5,
    },
    "step_decay": {"name": "step_decay", "arguments": [1e-3, 0.5, 30]},
    "step_decay, warmup": {"name": "step_decay", "arguments": [1e-3, 0.5, 30], "warmup": 8},
    "linear_schedule, decay": {"name": "linear_schedule", "arguments": [1e-3, 1e-5, 120]},
    "linear_schedule, decay to 0, warmup": {
        "name": "linear_schedule",
        "arguments": [1e-3, 0.0, 120],
        "warmup": 12,
    },
    "linear_schedule, rise": {"name": "linear_schedule", "arguments": [0.0, 1e-3, 50]},
    "linear_schedule, rise from above 0": {
        "name": "linear_schedule",
        "arguments": [1e-4, 1e-3, 50],
    },
}
#: The worst relative difference to mlx-lm seen per case (for the report), and the
#: worst absolute difference relative to the schedule's peak.
MLX_LM_DIFFERENCES: dict[str, tuple[float, float]] = {}


def test_every_mlx_schedule_function_has_a_case():
    assert {case["name"] for case in MLX_LM_CASES.values()} == set(MLX_LM_SCHEDULES)
    import mlx.optimizers.schedulers as mlx_schedulers

    public = {name for name in dir(mlx_schedulers) if not name.startswith("_")}
    assert set(MLX_LM_SCHEDULES) == public - {"join_schedules", "math", "mx", "Callable", "List"}


@pytest.mark.parametrize("label", sorted(MLX_LM_CASES))
def test_mlx_lm_block_gives_mlx_lm_values(label):
    from mlx_lm.tuner.utils import build_schedule

    block = MLX_LM_CASES[label]
    schedule = build_schedule(block)
    scheduler = from_config(optim.SGD(learning_rate=0.5), {"lr_schedule": block})
    steps = 260
    expected = schedule(mx.arange(steps + 1, dtype=mx.uint64)).tolist()
    got = [scheduler.get_last_lr()[0]]
    for _ in range(steps):
        scheduler.step()
        got.append(scheduler.get_last_lr()[0])
    got32 = [struct.unpack("<f", struct.pack("<f", value))[0] for value in got]
    peak = max(abs(value) for value in expected)
    relative = max(_relative(a, b) for a, b in zip(expected, got32))
    absolute = max(abs(a - b) for a, b in zip(expected, got32)) / peak
    MLX_LM_DIFFERENCES[label] = (relative, absolute)
    # float32 arithmetic (MLX) against float64 rounded once (ours): a few float32 ulps of
    # the peak; relative to a value near 0 at the end of a cosine, more (MLX cancels).
    assert absolute <= 4e-7, f"{label}: {absolute:.3g} of the peak"
    fresh = from_config(optim.SGD(learning_rate=0.5), {"lr_schedule": block})
    rebuilt = from_config(optim.SGD(learning_rate=fresh.base_lrs[0]), _json(to_config(fresh)))
    _step_both(fresh, rebuilt, steps, lambda k: ())


def test_mlx_lm_late_join_is_kept():
    block = {"name": "exponential_decay", "arguments": [1e-3, 0.5], "warmup": 2}
    scheduler = from_config(optim.SGD(learning_rate=0.5), block)
    lrs = [scheduler.get_last_lr()[0]]
    for _ in range(5):
        scheduler.step()
        lrs.append(scheduler.get_last_lr()[0])
    # warmup 0 -> 1e-3 over 2 steps; 1e-3 at steps 2 *and* 3; the decay starts at 3.
    assert lrs == pytest.approx([0.0, 5e-4, 1e-3, 1e-3, 5e-4, 2.5e-4], rel=1e-12)


def test_mlx_lm_sets_the_learning_rate_itself():
    block = {"name": "step_decay", "arguments": [1e-3, 0.5, 2]}
    opt = optim.SGD(learning_rate=0.5)
    scheduler = from_config(opt, block)
    assert scheduler.get_last_lr() == [1e-3]
    assert opt.learning_rate.item() == pytest.approx(1e-3)
    assert math.isclose(scheduler.base_lrs[0], 1e-3)


def test_a_decay_started_by_hand_becomes_the_stable_length():
    from mlx_lr_scheduler import WarmupStableDecayLR

    def started(opt: Any) -> Any:
        scheduler = WarmupStableDecayLR(opt, num_warmup_steps=3, num_decay_steps=10)
        for _ in range(8):
            scheduler.step()
        scheduler.start_decay(num_decay_steps=6)
        return scheduler

    config = _json(to_config(started(_optimizer())))
    assert config["num_stable_steps"] == 6 and config["num_decay_steps"] == 6
    assert config["num_training_steps"] is None
    # The rebuilt schedule, from a fresh start, is the one the run followed.
    original = WarmupStableDecayLR(_optimizer(), num_warmup_steps=3, num_decay_steps=10)
    rebuilt = from_config(_optimizer(), config)
    assert _observed(rebuilt) == _observed(original)
    for k in range(25):
        if k == 8:
            original.start_decay(num_decay_steps=6)
        original.step()
        rebuilt.step()
        assert _observed(rebuilt) == _observed(original), f"at step {k + 1}"


@pytest.mark.parametrize(
    "block",
    [
        {"name": "exponential_decay", "arguments": [1e-3, 0.99999]},
        {"name": "cosine_decay", "arguments": [1e-5, 100_000, 1e-7], "warmup": 1000},
    ],
    ids=["exponential_decay", "cosine_decay"],
)
def test_mlx_lm_long_runs_stay_with_mlx_lm(block):
    # Over 10^5 steps MLX's float32 decay_rate (0.99999 is 0.9999899864) drifts 0.14% from
    # the decimal's powers: the config follows MLX's.
    from mlx_lm.tuner.utils import build_schedule

    steps = 101_500
    expected = build_schedule(block)(mx.arange(steps, dtype=mx.uint64)).tolist()
    scheduler = from_config(optim.SGD(learning_rate=0.5), block)
    got = [scheduler.get_last_lr()[0]]
    for _ in range(steps - 1):
        scheduler.step()
        got.append(scheduler.get_last_lr()[0])
    got32 = [struct.unpack("<f", struct.pack("<f", value))[0] for value in got]
    peak = max(expected)
    assert max(abs(a - b) for a, b in zip(expected, got32)) <= 4e-7 * peak
    if block["name"] == "exponential_decay":
        assert max(_relative(a, b) for a, b in zip(expected, got32)) <= 1e-6
