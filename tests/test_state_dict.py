"""``state_dict()`` / ``load_state_dict()`` of the composable schedulers and their compositions.

* the state is plain JSON data, for every class, composites included;
* a state loaded into a scheduler built with other arguments continues exactly
  as torch continues when it loads the same state;
* a state written by torch 2.13 (``Counter``, private flags and all) loads and
  continues bit-exactly;
* a bad state (another class's, a missing key, a wrong type, a wrong number of
  groups, a bad nested child) raises and leaves the scheduler *and* the
  optimizer untouched;
* lambdas follow torch's rule (a plain function is not saved, a callable
  object's ``__dict__`` is, and is restored on load).
"""

from __future__ import annotations

import copy
import json
import math
import warnings
from collections import Counter

import mlx.optimizers as optim
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as hs
from strategies import COMPOSABLE, STRATEGIES, learning_rates, same_shape

import mlx_lr_scheduler as lib
from oracle import MLX, TORCH, first_mismatch, mlx_optimizer, record, run_both, torch_optimizer


def leaf_lrs(optimizer):
    """The float32 learning rate each MLX optimizer actually holds."""
    leaves = optimizer.optimizers if isinstance(optimizer, optim.MultiOptimizer) else [optimizer]
    return [leaf.state["learning_rate"].item() for leaf in leaves]


def snapshot(scheduler, optimizer):
    """Everything a failed load must leave as it was."""
    return (
        json.dumps(scheduler.state_dict(), sort_keys=True),
        leaf_lrs(optimizer),
        [dict(group) for group in scheduler.param_groups],
        scheduler.get_last_lr(),
    )


def json_types_only(value):
    if isinstance(value, dict):
        return all(isinstance(k, str) and json_types_only(v) for k, v in value.items())
    if isinstance(value, list):
        return all(json_types_only(v) for v in value)
    return value is None or isinstance(value, (bool, int, float, str))


@hs.composite
def groups_and_lrs(draw):
    groups = draw(hs.integers(1, 2))
    return tuple(draw(hs.lists(learning_rates(), min_size=groups, max_size=groups)))


# -- JSON ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", COMPOSABLE)
@settings(max_examples=25)
@given(data=hs.data())
def test_state_dict_is_plain_json_and_round_trips(name, data):
    lrs = data.draw(groups_and_lrs())
    config = data.draw(STRATEGIES[name](len(lrs)))
    steps = data.draw(hs.integers(0, 30))
    scheduler = config.build(MLX, mlx_optimizer(lrs))
    for _ in range(steps):
        scheduler.step()
    state = scheduler.state_dict()
    assert json_types_only(state)
    assert json.loads(json.dumps(state)) == state
    assert state["scheduler"] == name

    reloaded = config.build(MLX, mlx_optimizer(lrs))
    reloaded.load_state_dict(json.loads(json.dumps(state)))
    assert reloaded.state_dict() == state
    for _ in range(5):
        scheduler.step()
        reloaded.step()
        assert reloaded.get_last_lr() == scheduler.get_last_lr()


# -- loading into a scheduler built with other arguments, as torch does ---------------------------


@pytest.mark.parametrize("name", COMPOSABLE)
@settings(max_examples=50)
@given(data=hs.data())
def test_loading_into_other_arguments_continues_as_torch(name, data):
    lrs = data.draw(groups_and_lrs())
    saved = data.draw(STRATEGIES[name](len(lrs)), label="saved from")
    loaded = data.draw(same_shape(saved, len(lrs)), label="loaded into")
    steps = data.draw(hs.integers(1, 40))
    resume_at = data.draw(hs.integers(0, steps - 1))
    torch_lrs, mlx_lrs = run_both(
        saved.build, steps, lrs, resume_at=resume_at, rebuild=loaded.build
    )
    assert first_mismatch(torch_lrs, mlx_lrs) is None


def test_loading_into_other_arguments_takes_the_saved_arguments():
    # StepLR(3, 0.5) saved at epoch 4, loaded into StepLR(7, 0.9): decays at 6 by 0.5.
    torch_lrs, mlx_lrs = run_both(
        lambda L, o: L.StepLR(o, 3, 0.5),
        8,
        (1.0,),
        resume_at=4,
        rebuild=lambda L, o: L.StepLR(o, 7, 0.9),
    )
    assert first_mismatch(torch_lrs, mlx_lrs) is None
    assert [lr[0] for lr in mlx_lrs] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]


# -- a state written by torch 2.13 ------------------------------------------------------------


@pytest.mark.parametrize("name", COMPOSABLE)
@settings(max_examples=50)
@given(data=hs.data())
def test_torch_state_dict_loads_and_continues_bit_exactly(name, data):
    lrs = data.draw(groups_and_lrs())
    config = data.draw(STRATEGIES[name](len(lrs)), label="config")
    steps = data.draw(hs.integers(1, 40))
    load_at = data.draw(hs.integers(0, steps - 1))
    torch_lrs, mlx_lrs = run_both(config.build, steps, lrs, torch_state_at=load_at)
    assert first_mismatch(torch_lrs, mlx_lrs) is None


def test_torch_multistep_counter_loads_also_after_json():
    build = lambda L, o: L.MultiStepLR(o, [2, 5, 5, 9], 0.5)  # noqa: E731
    t_opt = torch_optimizer([0.1, 0.02])
    t_sched = build(TORCH, t_opt)
    for _ in range(3):
        t_sched.step()
    torch_state = t_sched.state_dict()
    assert dict(torch_state["milestones"]) == {2: 1, 5: 2, 9: 1}  # a Counter, int keys
    for state in (copy.deepcopy(torch_state), json.loads(json.dumps(torch_state))):
        m_sched = build(MLX, mlx_optimizer([0.1, 0.02]))
        m_sched.load_state_dict(state)
        assert m_sched.milestones == [2, 5, 5, 9]
        reference = copy.deepcopy(t_sched)
        t_hist, m_hist = [], []
        for _ in range(10):
            reference.step()
            m_sched.step()
            t_hist.append(reference.get_last_lr())
            m_hist.append(m_sched.get_last_lr())
        assert record(t_hist, m_hist)


# -- bad states: a clear error, and nothing changed ----------------------------------------------

EXAMPLES = {
    "LambdaLR": lambda L, o: L.LambdaLR(o, lambda e: 0.9**e),
    "MultiplicativeLR": lambda L, o: L.MultiplicativeLR(o, lambda e: 0.9),
    "StepLR": lambda L, o: L.StepLR(o, 3, 0.5),
    "MultiStepLR": lambda L, o: L.MultiStepLR(o, [2, 4, 4], 0.5),
    "ConstantLR": lambda L, o: L.ConstantLR(o, 0.5, 4),
    "LinearLR": lambda L, o: L.LinearLR(o, 0.2, 0.9, 6),
    "ExponentialLR": lambda L, o: L.ExponentialLR(o, 0.9),
    "PolynomialLR": lambda L, o: L.PolynomialLR(o, 8, 2.0),
    "CosineAnnealingLR": lambda L, o: L.CosineAnnealingLR(o, 6, 1e-3),
    "SequentialLR": lambda L, o: L.SequentialLR(
        o,
        [L.ChainedScheduler([L.ConstantLR(o, 0.5, 2), L.ExponentialLR(o, 0.9)]), L.StepLR(o, 2)],
        [3],
    ),
    "ChainedScheduler": lambda L, o: L.ChainedScheduler(
        [
            L.SequentialLR(o, [L.LinearLR(o, 0.5, total_iters=2), L.ExponentialLR(o, 0.8)], [2]),
            L.StepLR(o, 2, 0.5),
        ]
    ),
}
LRS = (0.1, 0.02)


def stepped(name, steps=3):
    optimizer = mlx_optimizer(LRS)
    scheduler = EXAMPLES[name](MLX, optimizer)
    for _ in range(steps):
        scheduler.step()
    return scheduler, optimizer


def entries(state, path=()):
    """Every (path, key) of a state dict, nested children's included."""
    for key in state:
        yield path, key
    for i, child in enumerate(state.get("_schedulers", [])):
        yield from entries(child, (*path, i))


def at(state, path):
    for i in path:
        state = state["_schedulers"][i]
    return state


def assert_refused_untouched(scheduler, optimizer, bad_state, match=None):
    before = snapshot(scheduler, optimizer)
    with pytest.raises((ValueError, TypeError), match=match):
        scheduler.load_state_dict(bad_state)
    assert snapshot(scheduler, optimizer) == before


BAD_VALUES = [None, "x", math.nan, True, {"bogus": 1}, [[1.0]]]


@pytest.mark.parametrize("name", COMPOSABLE)
@settings(max_examples=60)
@given(data=hs.data())
def test_corrupted_state_is_refused_and_changes_nothing(name, data):
    scheduler, optimizer = stepped(name)
    # Another scheduler with another history, so a partial load would show.
    source, _ = stepped(name, steps=5)
    state = source.state_dict()
    path, key = data.draw(hs.sampled_from(list(entries(state))), label="entry")
    operation = data.draw(hs.sampled_from(["delete", "replace", "add key"]), label="operation")
    target = at(state, path)
    if operation == "delete":
        if key == "scheduler":  # optional: torch's state has no class tag
            return
        del target[key]
    elif operation == "add key":
        target["bogus"] = 1
    else:
        value = data.draw(hs.sampled_from(BAD_VALUES), label="value")
        if key == "scheduler" and value is None:  # an absent tag is allowed
            return
        target[key] = value
    assert_refused_untouched(scheduler, optimizer, state)


@pytest.mark.parametrize("name", COMPOSABLE)
def test_another_class_state_is_refused(name):
    scheduler, optimizer = stepped(name)
    other = "ExponentialLR" if name != "ExponentialLR" else "StepLR"
    ours, _ = stepped(other)
    assert_refused_untouched(scheduler, optimizer, ours.state_dict(), match="ExponentialLR|StepLR")
    # torch's state carries no class name: its keys give it away.
    t_sched = EXAMPLES[other](TORCH, torch_optimizer(LRS))
    assert_refused_untouched(scheduler, optimizer, t_sched.state_dict())


@pytest.mark.parametrize("name", COMPOSABLE)
def test_wrong_number_of_groups_is_refused(name):
    scheduler, optimizer = stepped(name)
    one_group = EXAMPLES[name](MLX, mlx_optimizer(LRS[:1]))
    assert_refused_untouched(scheduler, optimizer, one_group.state_dict(), match="group")


@pytest.mark.parametrize("name", ["SequentialLR", "ChainedScheduler"])
def test_nested_child_mismatch_is_refused(name):
    scheduler, optimizer = stepped(name)
    state = scheduler.state_dict()
    # A child of another class.
    bad = copy.deepcopy(state)
    bad["_schedulers"][-1] = stepped("ExponentialLR")[0].state_dict()
    assert_refused_untouched(scheduler, optimizer, bad, match="StepLR")
    # A child missing a key, deep down.
    bad = copy.deepcopy(state)
    del bad["_schedulers"][0]["_schedulers"][0]["last_epoch"]
    assert_refused_untouched(scheduler, optimizer, bad, match="last_epoch")
    # One child too many.
    bad = copy.deepcopy(state)
    bad["_schedulers"].append(copy.deepcopy(bad["_schedulers"][-1]))
    assert_refused_untouched(scheduler, optimizer, bad, match="_schedulers")


def test_sequential_milestones_must_fit_its_schedulers():
    scheduler, optimizer = stepped("SequentialLR")
    state = scheduler.state_dict()
    state["_milestones"] = [3, 5]
    assert_refused_untouched(scheduler, optimizer, state, match="_milestones")


def test_wrong_types_name_the_key():
    scheduler, optimizer = stepped("StepLR")
    for key, value in [
        ("last_epoch", "3"),
        ("last_epoch", 2.0),
        ("_step_count", -1),
        ("step_size", 0),
        ("gamma", -0.5),
        ("base_lrs", [0.1, "0.02"]),
        ("_last_lr", [0.1, math.inf]),
    ]:
        state = scheduler.state_dict()
        state[key] = value
        assert_refused_untouched(scheduler, optimizer, state, match=key)
    assert_refused_untouched(scheduler, optimizer, [("gamma", 0.5)], match="mapping")


def test_a_good_load_after_a_refused_one_applies_fully():
    scheduler, optimizer = stepped("SequentialLR")
    source, _ = stepped("SequentialLR", steps=6)
    bad = source.state_dict()
    bad["_schedulers"][1]["gamma"] = "x"
    with pytest.raises(TypeError):
        scheduler.load_state_dict(bad)
    scheduler.load_state_dict(source.state_dict())
    assert scheduler.state_dict() == source.state_dict()
    assert leaf_lrs(optimizer) == leaf_lrs(source.optimizer)


# -- lambdas: torch's rule ----------------------------------------------------------------------


class Decay:
    def __init__(self, gamma):
        self.gamma = gamma

    def __call__(self, epoch):
        return self.gamma**epoch


@pytest.mark.parametrize("cls", ["LambdaLR", "MultiplicativeLR"])
def test_plain_function_is_not_saved_callable_object_is(cls):
    def build(L, o):
        return getattr(L, cls)(o, [lambda e: 0.9, Decay(0.8)])

    t_sched = build(TORCH, torch_optimizer(LRS))
    m_sched = build(MLX, mlx_optimizer(LRS))
    assert t_sched.state_dict()["lr_lambdas"] == [None, {"gamma": 0.8}]
    assert m_sched.state_dict()["lr_lambdas"] == [None, {"gamma": 0.8}]


@pytest.mark.parametrize("cls", ["LambdaLR", "MultiplicativeLR"])
def test_callable_object_state_is_restored_on_load(cls):
    saved = getattr(MLX, cls)(mlx_optimizer(LRS), [lambda e: 0.9, Decay(0.5)])
    saved.step()
    state = json.loads(json.dumps(saved.state_dict()))
    fresh = Decay(0.99)
    loaded = getattr(MLX, cls)(mlx_optimizer(LRS), [lambda e: 0.9, fresh])
    loaded.load_state_dict(state)
    assert fresh.gamma == 0.5
    state["lr_lambdas"][1]["gamma"] = 0.25  # the loaded object does not alias the state
    assert fresh.gamma == 0.5
    # ... and both continue alike, as torch does.
    torch_lrs, mlx_lrs = run_both(
        lambda L, o: getattr(L, cls)(o, [lambda e: 0.9, Decay(0.5)]),
        10,
        LRS,
        resume_at=4,
        rebuild=lambda L, o: getattr(L, cls)(o, [lambda e: 0.9, Decay(0.99)]),
    )
    assert first_mismatch(torch_lrs, mlx_lrs) is None


# -- divergences, each shown in torch and in ours ------------------------------------------------


def test_state_dict_keys_versus_torch():
    def build(L, o):
        return L.SequentialLR(
            o,
            [
                L.ChainedScheduler([L.ConstantLR(o, 0.5, 2), L.MultiStepLR(o, [3, 1, 3])]),
                L.StepLR(o, 2),
            ],
            [4],
        )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch_state = build(TORCH, torch_optimizer(LRS)).state_dict()
    ours = build(MLX, mlx_optimizer(LRS)).state_dict()
    torch_chain, our_chain = torch_state["_schedulers"][0], ours["_schedulers"][0]
    torch_leaf, our_leaf = torch_chain["_schedulers"][1], our_chain["_schedulers"][1]
    # torch: private flags (and a composite's _step_count) and a Counter of milestones.
    assert {"_is_initial", "_get_lr_called_within_step"} <= set(torch_leaf)
    assert {"_step_count", "_is_initial"} <= set(torch_chain)
    assert torch_leaf["milestones"] == Counter({3: 2, 1: 1})
    # ours: none of those, a sorted list, and the class name.
    assert set(torch_leaf) - set(our_leaf) == {"_is_initial", "_get_lr_called_within_step"}
    assert set(our_leaf) - set(torch_leaf) == {"scheduler"}
    assert set(torch_chain) - set(our_chain) == {"_step_count", "_is_initial"}
    assert our_leaf["milestones"] == [1, 3, 3]
    assert [ours["scheduler"], our_chain["scheduler"]] == ["SequentialLR", "ChainedScheduler"]


def test_load_restores_the_groups_lr_and_initial_lr_torch_leaves_them():
    def run(L, optimizer, set_lr, get_group):
        source = L.StepLR(optimizer, 2, 0.5)
        for _ in range(3):
            source.step()
        state = copy.deepcopy(source.state_dict())
        set_lr(0.7)  # by hand, after saving
        get_group()["initial_lr"] = 0.9
        L.StepLR(optimizer, 5, 0.1).load_state_dict(state)
        return get_group()["lr"], get_group()["initial_lr"]

    t_opt = torch_optimizer([0.1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch_group = run(
            TORCH,
            t_opt,
            lambda lr: t_opt.param_groups[0].update(lr=lr),
            lambda: t_opt.param_groups[0],
        )
    assert torch_group == (0.7, 0.9)  # torch's optimizer state_dict carries these
    m_opt = optim.SGD(learning_rate=0.1)
    scheduler = lib.StepLR(m_opt, 2)
    ours = run(
        MLX,
        m_opt,
        lambda lr: setattr(m_opt, "learning_rate", lr),
        lambda: scheduler.param_groups[0],
    )
    assert ours == (0.05, 0.1)  # the saved _last_lr and base_lrs
    assert m_opt.state["learning_rate"].item() == pytest.approx(0.05, rel=1e-7)


def test_callable_without_a_dict_saves_nothing_torch_fails():
    t_sched = TORCH.LambdaLR(torch_optimizer([0.1]), abs)
    with pytest.raises(AttributeError, match="__dict__"):
        t_sched.state_dict()
    scheduler = lib.LambdaLR(optim.SGD(learning_rate=0.1), abs)
    assert scheduler.state_dict()["lr_lambdas"] == [None]


def test_callable_object_state_into_a_plain_function_is_refused_torch_sets_attributes():
    def state_of(L, optimizer):
        return L.LambdaLR(optimizer, Decay(0.5)).state_dict()

    plain = lambda e: 1.0  # noqa: E731
    torch_state = state_of(TORCH, torch_optimizer([0.1]))
    TORCH.LambdaLR(torch_optimizer([0.1]), plain).load_state_dict(torch_state)
    assert plain.gamma == 0.5  # torch wrote the object's attributes onto the function
    other = lambda e: 1.0  # noqa: E731
    scheduler = lib.LambdaLR(optim.SGD(learning_rate=0.1), other)
    assert_refused_untouched(
        scheduler, scheduler.optimizer, state_of(MLX, optim.SGD(learning_rate=0.1)), "lr_lambdas"
    )
    assert not hasattr(other, "gamma")


# -- state checks: strict JSON, float32 learning rates, callable objects, last_epoch -----------


@pytest.mark.parametrize("name", sorted(STRATEGIES))
@settings(max_examples=15)
@given(data=hs.data())
def test_every_state_dict_is_strict_json_and_loads_back(name, data):
    lrs = data.draw(groups_and_lrs())
    config = data.draw(STRATEGIES[name](len(lrs)))
    steps = data.draw(hs.integers(0, 12))
    kind = "adam" if name in ("CyclicLR", "OneCycleLR") and data.draw(hs.booleans()) else "sgd"
    scheduler = config.build(MLX, mlx_optimizer(lrs, kind=kind))
    for k in range(steps):
        scheduler.step(*(config.step_args(k) if config.step_args else ()))
    text = json.dumps(scheduler.state_dict(), allow_nan=False)  # no inf, no NaN
    reloaded = config.build(MLX, mlx_optimizer(lrs, kind=kind))
    reloaded.load_state_dict(json.loads(text))
    assert json.dumps(reloaded.state_dict(), allow_nan=False) == text


def test_plateau_infinite_best_is_written_as_a_string_torch_writes_inf():
    torch_state = TORCH.ReduceLROnPlateau(torch_optimizer([0.1])).state_dict()
    assert torch_state["best"] == torch_state["mode_worse"] == math.inf
    with pytest.raises(ValueError, match="Out of range float values"):
        json.dumps(torch_state, allow_nan=False)
    scheduler = lib.ReduceLROnPlateau(mlx_optimizer([0.1]), mode="max")
    assert scheduler.state_dict()["best"] == scheduler.state_dict()["mode_worse"] == "-inf"
    scheduler.load_state_dict(torch_state | {"mode": "min"})  # torch's inf loads as it is
    assert scheduler.best == scheduler.mode_worse == math.inf


@pytest.mark.parametrize(
    ("build", "key"),
    [
        (lambda o: lib.StepLR(o, 2), "_last_lr"),
        (lambda o: lib.StepLR(o, 2), "base_lrs"),
        (lambda o: lib.CyclicLR(o, 0.01, 0.1, step_size_up=4), "max_lrs"),
        (lambda o: lib.ReduceLROnPlateau(o), "min_lrs"),
    ],
)
def test_a_learning_rate_past_float32_in_a_state_is_refused(build, key):
    optimizer = mlx_optimizer([0.1])
    scheduler = build(optimizer)
    state = scheduler.state_dict() | {key: [1e39]}  # inf as the optimizer's float32
    assert_refused_untouched(scheduler, optimizer, state, match=rf"{key}\[0\] must be in")


def test_a_per_group_record_past_float32_is_refused():
    for build, entry in (
        (lambda o: lib.OneCycleLR(o, 0.1, total_steps=20), "max_lr"),
        (lambda o: lib.SWALR(o, swa_lr=0.05), "swa_lr"),
    ):
        optimizer = mlx_optimizer([0.1])
        scheduler = build(optimizer)
        state = scheduler.state_dict()
        state["param_groups"][0][entry] = 1e39
        assert_refused_untouched(scheduler, optimizer, state, match=rf"\['{entry}'\]")


@pytest.mark.parametrize("cls", ["LambdaLR", "MultiplicativeLR"])
def test_callable_object_state_of_the_wrong_kind_is_refused_before_anything_changes(cls):
    saved = getattr(lib, cls)(mlx_optimizer(LRS), [lambda e: 0.9, Decay(0.5)])
    for _ in range(4):
        saved.step()
    optimizer = mlx_optimizer(LRS)
    decay = Decay(0.8)
    scheduler = getattr(lib, cls)(optimizer, [lambda e: 0.9, decay])
    for attributes, error in (
        ({"gamma": "abc"}, "must be a number"),
        ({"gamma": math.nan}, "must be a finite number"),
    ):
        state = saved.state_dict()
        state["lr_lambdas"][1] = attributes
        assert_refused_untouched(scheduler, optimizer, state, match=error)
        assert decay.gamma == 0.8 and scheduler.last_epoch == 0


def test_custom_scale_fn_state_of_the_wrong_kind_is_refused():
    class Halving:
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, x):
            return self.rate ** (x - 1)

    optimizer = mlx_optimizer([0.1])
    scale = Halving(0.5)
    scheduler = lib.CyclicLR(optimizer, 0.01, 0.1, step_size_up=4, scale_fn=scale)
    state = scheduler.state_dict()
    assert state["_scale_fn_custom"] == {"rate": 0.5}
    state["_scale_fn_custom"] = {"rate": "abc"}
    assert_refused_untouched(scheduler, optimizer, state, match=r"_scale_fn_custom\['rate'\]")
    assert scale.rate == 0.5


def test_negative_last_epoch_torch_leaves_the_cycle_we_refuse_it_on_its_own():
    def build(L, optimizer):
        return L.CyclicLR(optimizer, 0.01, 0.1, step_size_up=4, mode="triangular2")

    t_sched = build(TORCH, torch_optimizer([0.1]))
    t_sched.load_state_dict(t_sched.state_dict() | {"last_epoch": -20})
    t_sched.step()
    assert t_sched.get_last_lr()[0] > 0.1  # above max_lr: cycle -4 scales by 2**5
    optimizer = mlx_optimizer([0.1])
    ours = build(MLX, optimizer)
    state = ours.state_dict() | {"last_epoch": -20}
    assert_refused_untouched(ours, optimizer, state, match="last_epoch must be an integer >= -1")


def test_a_scheduler_waiting_at_minus_two_in_a_nested_sequential_lr_loads():
    def build(L, optimizer):
        inner = L.SequentialLR(
            optimizer, [L.ConstantLR(optimizer, 0.5, 2), L.ExponentialLR(optimizer, 0.9)], [2]
        )
        return L.SequentialLR(optimizer, [inner, L.StepLR(optimizer, 2, 0.5)], [4])

    torch_lrs, mlx_lrs = run_both(build, 8, LRS, resume_at=1)
    assert first_mismatch(torch_lrs, mlx_lrs) is None
    state = build(MLX, mlx_optimizer(LRS)).state_dict()
    assert state["_schedulers"][0]["_schedulers"][1]["last_epoch"] == -2


def warmup_class(base):
    class Warmup(base):
        """A user's scheduler with attributes of its own, as torch users write them."""

        def __init__(self, optimizer, warmup, note="linear", last_epoch=-1):
            self.warmup = warmup
            self.note = note
            self.history = []
            super().__init__(optimizer, last_epoch)

        def get_lr(self):
            self.history.append(self.last_epoch)
            scale = min(1.0, (self.last_epoch + 1) / self.warmup)
            return [base * scale for base in self.base_lrs]

    return Warmup


Warmup = warmup_class(lib.LRScheduler)


def test_custom_subclass_attributes_are_saved_and_restored_as_torch_does():
    TorchWarmup = warmup_class(torch.optim.lr_scheduler.LRScheduler)
    t_sched = TorchWarmup(torch_optimizer([0.1]), 4, note="saved")
    ours = Warmup(mlx_optimizer([0.1]), 4, note="saved")
    for _ in range(2):
        t_sched.step()
        ours.step()
    state = ours.state_dict()
    assert {key: state[key] for key in ("warmup", "note", "history")} == {
        key: t_sched.state_dict()[key] for key in ("warmup", "note", "history")
    }
    for source in (json.loads(json.dumps(state)), t_sched.state_dict()):
        loaded = Warmup(mlx_optimizer([0.1]), 10, note="fresh")
        loaded.load_state_dict(source)
        assert (loaded.warmup, loaded.note, loaded.history) == (4, "saved", [0, 1, 2])
        loaded.step()
        assert loaded.get_last_lr() == [0.1]
    bad = Warmup(mlx_optimizer([0.1]), 10)
    assert_refused_untouched(bad, bad.optimizer, state | {"warmup": "four"}, match="warmup")
