"""``save_checkpoint`` / ``load_checkpoint``: a loaded run continues bit for bit like the
uninterrupted one (every kind of scheduler, MultiOptimizer, scheduled momentum and betas,
a step compiled before the load, with no retrace); any corruption or mismatch raises one
``CheckpointError`` and changes nothing in memory or on disk; the layout and its atomic
update. Kills at random moments are in ``test_checkpoint_resume.py``."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from functools import partial
from pathlib import Path

import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim
import numpy as np
import pytest
from mlx.utils import tree_flatten

import mlx_lr_scheduler as lib
from mlx_lr_scheduler import CheckpointError, load_checkpoint, save_checkpoint
from mlx_lr_scheduler.checkpoint import FORMAT_VERSION

STEPS_BEFORE = 5
STEPS_AFTER = 6


class Model(nn.Module):
    """Named attributes, so a MultiOptimizer can split it by name."""

    def __init__(self, width: int = 8, dtype=mx.float32) -> None:
        super().__init__()
        self.backbone = nn.Linear(4, width)
        self.head = nn.Linear(width, 2)
        if dtype != mx.float32:
            self.set_dtype(dtype)

    def __call__(self, x):
        return self.head(nn.relu(self.backbone(x)))


class Nested(nn.Module):
    """Parameters under a list of layers and a dict of modules."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = [nn.Linear(4, 4), nn.Linear(4, 4)]
        self.heads = {"a": nn.Linear(4, 2), "b": nn.Linear(4, 2)}

    def __call__(self, x):
        for layer in self.layers:
            x = nn.relu(layer(x))
        return self.heads["a"](x) + self.heads["b"](x)


def batch(step):
    key = mx.random.key(step)
    x = mx.random.normal((8, 4), key=key)
    y = mx.random.randint(0, 2, (8,), key=mx.random.split(key)[1])
    return x, y


def loss_fn(model, x, y):
    return nn.losses.cross_entropy(model(x), y).mean()


def raw(array):
    """An array's exact bits (any dtype)."""
    flat = mx.contiguous(array.reshape(-1))
    return str(array.dtype), tuple(array.shape), bytes(np.array(flat.view(mx.uint8)))


def snapshot(model=None, optimizer=None, scheduler=None):
    """Every bit of state a load may change, for before/after comparisons."""
    out = {}
    if model is not None:
        out["model"] = {k: raw(v) for k, v in tree_flatten(model.parameters())}
    if optimizer is not None:
        out["optimizer"] = {k: raw(v) for k, v in tree_flatten(optimizer.state)}
    if scheduler is not None:
        out["scheduler"] = json.dumps(scheduler.state_dict())
        out["lr"] = scheduler.get_last_lr()
    return out


def files_digest(root: Path):
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def record(model, optimizer):
    """What one step leaves: LR, momentum/beta1 if scheduled, parameters, to the bit."""
    leaves = optimizer.optimizers if isinstance(optimizer, optim.MultiOptimizer) else [optimizer]
    scalars = [
        raw(leaf.state[key])
        for leaf in leaves
        for key in ("learning_rate", "momentum", "beta1")
        if key in leaf.state
    ]
    return scalars, snapshot(model=model)["model"]


# -- one table of setups: every scheduler kind, several optimizers ----------------------


def _sgd(model):
    return optim.SGD(learning_rate=0.1, momentum=0.9)


def _adamw(model):
    return optim.AdamW(learning_rate=1e-2)


def _multi(model):
    return optim.MultiOptimizer(
        [optim.SGD(learning_rate=0.1, momentum=0.9), optim.AdamW(learning_rate=1e-2)],
        [lambda name, weight: name.startswith("backbone")],
    )


class Halving(lib.LRScheduler):
    def get_lr(self):
        return [base / 2**self.last_epoch for base in self.base_lrs]


SETUPS = {
    "OneCycleLR-SGD": (_sgd, lambda o: lib.OneCycleLR(o, max_lr=0.5, total_steps=40)),
    "OneCycleLR-AdamW-beta1": (_adamw, lambda o: lib.OneCycleLR(o, max_lr=0.05, total_steps=40)),
    "SequentialLR-warmup-cosine": (
        _adamw,
        lambda o: lib.SequentialLR(
            o,
            [lib.LinearLR(o, start_factor=0.1, total_iters=3), lib.CosineAnnealingLR(o, T_max=20)],
            milestones=[3],
        ),
    ),
    "ChainedScheduler": (
        _sgd,
        lambda o: lib.ChainedScheduler(
            [lib.ExponentialLR(o, gamma=0.9), lib.StepLR(o, step_size=2, gamma=0.5)]
        ),
    ),
    "CosineAnnealingWarmRestarts": (
        _sgd,
        lambda o: lib.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=1e-3),
    ),
    "CyclicLR-SGD": (_sgd, lambda o: lib.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3)),
    "ReduceLROnPlateau": (_sgd, lambda o: lib.ReduceLROnPlateau(o, factor=0.5, patience=0)),
    "WarmupThenPlateau": (
        _adamw,
        lambda o: lib.WarmupThenPlateau(
            o,
            lib.LinearLR(o, start_factor=0.25, total_iters=3),
            lib.ReduceLROnPlateau(o, factor=0.5, patience=0),
            milestone=3,
        ),
    ),
    "custom-subclass": (_sgd, Halving),
    "MultiOptimizer-LambdaLR": (
        _multi,
        lambda o: lib.LambdaLR(o, [lambda e: 0.9**e, lambda e: 1.0 / (e + 1)]),
    ),
    "MultiOptimizer-OneCycleLR": (_multi, lambda o: lib.OneCycleLR(o, max_lr=0.1, total_steps=40)),
}


def build(name, *, init=True):
    mx.random.seed(0)
    model = Model()
    make_optimizer, make_scheduler = SETUPS[name]
    optimizer = make_optimizer(model)
    if init:
        optimizer.init(model.trainable_parameters())
    return model, optimizer, make_scheduler(optimizer)


def train(model, optimizer, scheduler, steps, start):
    """Eager training; the plateau schedulers step on the loss."""
    grad_fn = nn.value_and_grad(model, loss_fn)
    records = []
    for step in range(start, start + steps):
        loss, grads = grad_fn(model, *batch(step))
        optimizer.update(model, grads)
        mx.eval(model.parameters(), optimizer.state)
        if scheduler._steps_on_metric:
            scheduler.step(round(loss.item(), 1))  # rounded: plateaus happen
        else:
            scheduler.step()
        records.append(record(model, optimizer))
    return records


@pytest.mark.parametrize("name", SETUPS)
def test_a_loaded_run_continues_bit_for_bit(tmp_path, name):
    model, optimizer, scheduler = build(name)
    train(model, optimizer, scheduler, STEPS_BEFORE, 0)
    save_checkpoint(tmp_path, model=model, optimizer=optimizer, scheduler=scheduler)
    expected = train(model, optimizer, scheduler, STEPS_AFTER, STEPS_BEFORE)

    # Into fresh objects, the optimizer not even initialised (its state is created).
    model, optimizer, scheduler = build(name, init=False)
    assert load_checkpoint(tmp_path, model=model, optimizer=optimizer, scheduler=scheduler) == {}
    assert train(model, optimizer, scheduler, STEPS_AFTER, STEPS_BEFORE) == expected


@pytest.mark.parametrize("name", ["OneCycleLR-SGD", "MultiOptimizer-OneCycleLR"])
def test_a_loaded_run_continues_bit_for_bit_in_the_live_objects(tmp_path, name):
    model, optimizer, scheduler = build(name)
    train(model, optimizer, scheduler, STEPS_BEFORE, 0)
    save_checkpoint(tmp_path, model=model, optimizer=optimizer, scheduler=scheduler)
    expected = train(model, optimizer, scheduler, STEPS_AFTER, STEPS_BEFORE)

    def state_dicts():
        return [leaf.state for leaf in getattr(optimizer, "optimizers", [optimizer])]

    before = state_dicts()
    load_checkpoint(tmp_path, model=model, optimizer=optimizer, scheduler=scheduler)
    assert all(a is b for a, b in zip(state_dicts(), before))  # the same dicts, updated
    assert train(model, optimizer, scheduler, STEPS_AFTER, STEPS_BEFORE) == expected


def test_a_step_compiled_before_the_load_keeps_working_without_a_retrace(tmp_path):
    def run(load_from=None):
        model, optimizer, scheduler = build("OneCycleLR-SGD")
        state = [model.state, optimizer.state]
        traces = [0]

        @partial(mx.compile, inputs=state, outputs=state)
        def step(x, y):
            traces[0] += 1
            loss, grads = nn.value_and_grad(model, loss_fn)(model, x, y)
            optimizer.update(model, grads)
            return loss

        records = []
        start = 0
        if load_from is not None:
            step(*batch(99))  # traced and run once: the load must replace its effect
            mx.eval(state)
            load_checkpoint(load_from, model=model, optimizer=optimizer, scheduler=scheduler)
            start = STEPS_BEFORE
        for i in range(start, STEPS_BEFORE + STEPS_AFTER):
            step(*batch(i))
            mx.eval(state)
            scheduler.step()
            records.append(record(model, optimizer))
            if load_from is None and i == STEPS_BEFORE - 1:
                save_checkpoint(tmp_path, model=model, optimizer=optimizer, scheduler=scheduler)
        return records, traces[0]

    uninterrupted, traces = run()
    resumed, traces_after_load = run(load_from=tmp_path)
    assert traces == traces_after_load == 1
    assert resumed == uninterrupted[STEPS_BEFORE:]


def test_keys_survive_nested_lists_and_dicts(tmp_path):
    mx.random.seed(1)
    model = Nested()
    optimizer = optim.Adam(learning_rate=1e-2)
    optimizer.init(model.trainable_parameters())
    grads = nn.value_and_grad(model, lambda m, x: m(x).sum())(model, mx.ones((2, 4)))[1]
    optimizer.update(model, grads)
    optimizer.state["weight_decay"] = mx.array(0.01)  # a scheduled hyper-parameter
    before = snapshot(model, optimizer)
    save_checkpoint(tmp_path, model=model, optimizer=optimizer)

    mx.random.seed(2)
    fresh = Nested()
    fresh_optimizer = optim.Adam(learning_rate=1e-2)
    fresh_optimizer.init(fresh.trainable_parameters())
    fresh_optimizer.state["weight_decay"] = mx.array(0.5)
    assert snapshot(fresh, fresh_optimizer) != before
    load_checkpoint(tmp_path, model=fresh, optimizer=fresh_optimizer)
    assert snapshot(fresh, fresh_optimizer) == before
    assert isinstance(fresh_optimizer.state["layers"], list)
    assert isinstance(fresh_optimizer.state["heads"], dict)


def test_the_model_file_is_what_model_load_weights_reads(tmp_path):
    model = build("OneCycleLR-SGD")[0]
    saved = save_checkpoint(tmp_path, model=model)
    other = Model()
    other.load_weights(str(saved / "model.safetensors"))
    assert snapshot(other) == snapshot(model)


def test_the_manifest_records_versions_shapes_classes_steps_and_hashes(tmp_path):
    model, optimizer, scheduler = build("MultiOptimizer-OneCycleLR")
    train(model, optimizer, scheduler, 3, 0)
    saved = save_checkpoint(
        tmp_path, model=model, optimizer=optimizer, scheduler=scheduler, extra={"epoch": 3}
    )
    assert sorted(p.name for p in saved.iterdir()) == [
        "checkpoint.json",
        "model.safetensors",
        "optimizer.safetensors",
    ]
    manifest = json.loads((saved / "checkpoint.json").read_text())
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["library_version"] == lib.__version__
    assert manifest["model"]["arrays"]["backbone.weight"] == {"dtype": "float32", "shape": [8, 4]}
    assert manifest["optimizer"]["groups"] == [
        {"class": "SGD", "step": 3},
        {"class": "AdamW", "step": 3},
    ]
    assert manifest["optimizer"]["arrays"]["states.0.step"] == {"dtype": "uint64", "shape": []}
    assert manifest["scheduler"]["class"] == "OneCycleLR"
    assert manifest["scheduler"]["last_epoch"] == 3
    assert manifest["extra"] == {"epoch": 3}
    for section in ("model", "optimizer"):
        data = (saved / manifest[section]["file"]).read_bytes()
        assert manifest[section]["sha256"] == hashlib.sha256(data).hexdigest()
        assert manifest[section]["bytes"] == len(data)


def test_extra_round_trips_and_must_be_json(tmp_path):
    scheduler = build("OneCycleLR-SGD")[2]
    extra = {"epoch": 3, "metrics": [0.5, None, True], "name": "run1"}
    save_checkpoint(tmp_path, scheduler=scheduler, extra=extra)
    assert load_checkpoint(tmp_path, scheduler=scheduler) == extra
    for bad in ({"x": float("nan")}, {"x": (1, 2)}, {1: "a"}, {"x": mx.array(1)}, [1]):
        with pytest.raises(TypeError, match="extra"):
            save_checkpoint(tmp_path, scheduler=scheduler, extra=bad)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint-000001", "latest"]


# -- the layout, the pointer, rotation, interrupted saves ----------------------------------


def test_numbered_checkpoints_the_latest_pointer_and_keep_last(tmp_path):
    model, optimizer, scheduler = build("OneCycleLR-SGD")
    for i in range(1, 5):
        train(model, optimizer, scheduler, 1, i)
        save_checkpoint(
            tmp_path, model=model, optimizer=optimizer, scheduler=scheduler, keep_last=2
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "checkpoint-000003",
        "checkpoint-000004",
        "latest",
    ]
    assert (tmp_path / "latest").read_text() == "checkpoint-000004\n"
    assert load_checkpoint(tmp_path, scheduler=scheduler) == {}
    assert scheduler.last_epoch == 4
    # One checkpoint by its own path.
    load_checkpoint(tmp_path / "checkpoint-000003", scheduler=scheduler)
    assert scheduler.last_epoch == 3
    with pytest.raises(ValueError, match="keep_last"):
        save_checkpoint(tmp_path, scheduler=scheduler, keep_last=0)


def test_a_save_that_fails_midway_leaves_the_previous_checkpoint(tmp_path, monkeypatch):
    model, optimizer, scheduler = build("OneCycleLR-SGD")
    save_checkpoint(tmp_path, model=model, optimizer=optimizer, scheduler=scheduler)
    before = files_digest(tmp_path)
    train(model, optimizer, scheduler, 2, 0)

    def failing_rename(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "rename", failing_rename)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(tmp_path, model=model, optimizer=optimizer, scheduler=scheduler)
    monkeypatch.undo()
    assert files_digest(tmp_path) == before  # the temporary directory is gone too
    load_checkpoint(tmp_path, model=model, optimizer=optimizer, scheduler=scheduler)
    assert scheduler.last_epoch == 0


def test_leftovers_of_a_killed_save_are_removed_by_the_next(tmp_path):
    scheduler = build("OneCycleLR-SGD")[2]
    save_checkpoint(tmp_path, scheduler=scheduler)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(dead.stdout)
    leftover = tmp_path / f".checkpoint-000002.tmp-{pid}-0a1b2c3d"
    leftover.mkdir()
    (leftover / "model.safetensors").write_bytes(b"half")
    mine = tmp_path / f".checkpoint-000009.tmp-{os.getpid()}-0a1b2c3d"  # a live process's
    mine.mkdir()
    assert load_checkpoint(tmp_path, scheduler=scheduler) == {}  # ignored by a load
    save_checkpoint(tmp_path, scheduler=scheduler)
    assert not leftover.exists() and mine.exists()
    assert (tmp_path / "latest").read_text() == "checkpoint-000002\n"


def test_a_missing_path_is_file_not_found(tmp_path):
    scheduler = build("OneCycleLR-SGD")[2]
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_checkpoint(tmp_path / "nowhere", scheduler=scheduler)
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        load_checkpoint(tmp_path, scheduler=scheduler)


# -- all or nothing: every mismatch is one clear error, nothing changes ------------------


@pytest.fixture
def saved_run(tmp_path):
    """A checkpoint of OneCycleLR + SGD after 3 steps, and live objects 2 steps further."""
    model, optimizer, scheduler = build("OneCycleLR-SGD")
    train(model, optimizer, scheduler, 3, 0)
    save_checkpoint(
        tmp_path, model=model, optimizer=optimizer, scheduler=scheduler, extra={"epoch": 3}
    )
    train(model, optimizer, scheduler, 2, 3)
    return tmp_path, tmp_path / "checkpoint-000001", (model, optimizer, scheduler)


def _refused(root, match, model=None, optimizer=None, scheduler=None):
    """Loading raises CheckpointError(match) and changes neither the objects nor the files."""
    before = snapshot(model, optimizer, scheduler)
    on_disk = files_digest(root)
    with pytest.raises(CheckpointError, match=match):
        load_checkpoint(root, model=model, optimizer=optimizer, scheduler=scheduler)
    assert snapshot(model, optimizer, scheduler) == before
    assert files_digest(root) == on_disk


def _flip_byte(path, offset):
    data = bytearray(path.read_bytes())
    data[offset % len(data)] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("filename", ["model.safetensors", "optimizer.safetensors"])
@pytest.mark.parametrize("where", ["header length", "header", "middle", "last byte"])
def test_a_flipped_byte_is_an_error_naming_the_file(saved_run, filename, where):
    root, directory, live = saved_run
    size = (directory / filename).stat().st_size
    offset = {"header length": 0, "header": 20, "middle": size // 2, "last byte": size - 1}
    _flip_byte(directory / filename, offset[where])
    _refused(root, f"{filename} does not match its SHA-256", *live)


def test_a_flipped_byte_in_the_manifest_is_an_error(saved_run):
    root, directory, live = saved_run
    text = (directory / "checkpoint.json").read_text()
    (directory / "checkpoint.json").write_text(text.replace('"epoch": 3', '"epoch": 4'))
    _refused(root, "checkpoint.json does not match its SHA-256", *live)
    (directory / "checkpoint.json").write_text(text[: len(text) // 2])
    _refused(root, "checkpoint.json is not valid JSON", *live)


@pytest.mark.parametrize("filename", ["model.safetensors", "optimizer.safetensors"])
def test_a_truncated_or_missing_file_is_an_error(saved_run, filename):
    root, directory, live = saved_run
    path = directory / filename
    path.write_bytes(path.read_bytes()[:-10])
    _refused(root, f"{filename} has .* bytes.*truncated", *live)
    path.unlink()
    _refused(root, f"{filename} is missing", *live)


def test_a_manifest_that_matches_its_hash_but_lacks_an_entry_is_an_error(saved_run):
    root, directory, live = saved_run
    manifest = json.loads((directory / "checkpoint.json").read_text())
    del manifest["model"]["arrays"], manifest["checksum"]
    canonical = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    manifest["checksum"] = hashlib.sha256(canonical).hexdigest()
    (directory / "checkpoint.json").write_text(json.dumps(manifest))
    _refused(root, "checkpoint.json is malformed: KeyError", *live)


def test_the_latest_pointer_is_checked_and_can_be_missing(saved_run):
    root, _, live = saved_run
    (root / "latest").write_text("../elsewhere\n")
    _refused(root, "must name a checkpoint-NNNNNN directory", *live)
    (root / "latest").write_text("checkpoint-000007\n")
    with pytest.raises(FileNotFoundError, match="names checkpoint-000007"):
        load_checkpoint(root, scheduler=live[2])
    (root / "latest").unlink()  # then the highest numbered checkpoint
    assert load_checkpoint(root, scheduler=live[2]) == {"epoch": 3}
    assert live[2].last_epoch == 3


def test_another_scheduler_class_is_an_error(saved_run):
    root, _, (model, optimizer, _) = saved_run
    other = lib.CyclicLR(optimizer, base_lr=0.01, max_lr=0.1)
    _refused(
        root, "holds a OneCycleLR scheduler's state, not a CyclicLR's", model, optimizer, other
    )


def test_another_number_of_parameter_groups_is_an_error(saved_run):
    root, _, (model, _, _) = saved_run
    multi = _multi(model)
    multi.init(model.trainable_parameters())
    _refused(root, "holds a SGD optimizer, not a MultiOptimizer|1 parameter groups", model, multi)


def test_another_optimizer_class_is_an_error(saved_run):
    root, _, (model, _, _) = saved_run
    adam = optim.Adam(learning_rate=0.1)
    adam.init(model.trainable_parameters())
    _refused(root, "holds a SGD optimizer, not a Adam", model, adam)


def test_other_shapes_or_dtypes_are_an_error(saved_run):
    root, _, _live = saved_run
    _refused(
        root,
        r"'backbone.weight' is float32 of shape \(8, 4\), the live one float32 "
        r"of shape \(16, 4\)",
        Model(width=16),
    )
    _refused(
        root, "'backbone.weight' is float32 .* the live one bfloat16", Model(dtype=mx.bfloat16)
    )


def test_missing_or_extra_keys_are_an_error(saved_run):
    root, _, (model, _, _) = saved_run
    bigger = Model()
    bigger.extra = nn.Linear(2, 2)
    _refused(root, r"model lacks keys \['extra.bias', 'extra.weight'\]", bigger)
    smaller = Model()
    smaller.head = nn.Linear(8, 2, bias=False)
    _refused(root, r"model has keys the live one does not, \['head.bias'\]", smaller)
    plain = optim.SGD(learning_rate=0.1)  # no momentum: no per-parameter buffers
    plain.init(model.trainable_parameters())
    _refused(root, "optimizer state has keys the live one does not", model, plain)


def test_a_part_the_checkpoint_lacks_is_an_error(tmp_path):
    model, optimizer, _scheduler = build("OneCycleLR-SGD")
    save_checkpoint(tmp_path, model=model)
    _refused(tmp_path, "has no optimizer state", model, optimizer)


def test_a_scheduler_state_its_loader_refuses_changes_nothing(tmp_path):
    """The scheduler's loader runs last, after the model and optimizer state are in;
    when it refuses the state they are rolled back, bit for bit."""

    class Tampered(lib.OneCycleLR):
        def state_dict(self):
            state = super().state_dict()
            state["total_steps"] = -5
            return state

    Tampered.__name__ = "OneCycleLR"  # the class the state names
    model, optimizer, _ = build("OneCycleLR-SGD")
    tampered = Tampered(optimizer, max_lr=0.5, total_steps=40)
    train(model, optimizer, tampered, 2, 0)
    save_checkpoint(tmp_path, model=model, optimizer=optimizer, scheduler=tampered)

    model, optimizer, scheduler = build("OneCycleLR-SGD")
    train(model, optimizer, scheduler, 4, 0)
    state = optimizer.state
    _refused(tmp_path, "did not load: total_steps", model, optimizer, scheduler)
    assert optimizer.state is state
    # and the run goes on as if nothing happened
    reference = build("OneCycleLR-SGD")
    train(*reference, 4, 0)
    assert train(model, optimizer, scheduler, 2, 4) == train(*reference, 2, 4)


def test_save_refuses_what_it_cannot_save(tmp_path):
    model, optimizer, _scheduler = build("OneCycleLR-SGD")
    with pytest.raises(TypeError, match=r"optimizer must be an mlx\.optimizers\.Optimizer"):
        save_checkpoint(tmp_path, optimizer=model)
    with pytest.raises(ValueError, match="at least one of"):
        save_checkpoint(tmp_path)
    optimizer.state["note"] = "text"
    with pytest.raises(TypeError, match=r"'note' must be an mx\.array"):
        save_checkpoint(tmp_path, optimizer=optimizer)
    assert not any(tmp_path.iterdir())


def test_the_scheduler_state_survives_a_json_round_trip_with_infinities(tmp_path):
    scheduler = build("ReduceLROnPlateau")[2]
    assert scheduler.state_dict()["best"] == "inf"  # plain JSON for an infinite best
    save_checkpoint(tmp_path, scheduler=scheduler)
    other = build("ReduceLROnPlateau")[2]
    other.step(3.0)
    assert other.state_dict() != scheduler.state_dict()
    load_checkpoint(tmp_path, scheduler=other)
    assert other.state_dict() == scheduler.state_dict()


def test_the_readme_example_resumes_when_run_again(tmp_path, monkeypatch):
    from test_readme import MLX_BLOCKS, _namespace

    (block,) = [block for block in MLX_BLOCKS if "save_checkpoint(run" in block]
    monkeypatch.chdir(tmp_path)
    first = _namespace()
    exec(block, first)
    assert first["start"] == 0
    again = _namespace()  # a new process: fresh model, optimizer, scheduler
    exec(block, again)
    assert again["start"] == 3
    assert snapshot(again["model"], again["opt"], again["sched"]) == snapshot(
        first["model"], first["opt"], first["sched"]
    )
    assert sorted(p.name for p in (tmp_path / "checkpoints" / "run1").iterdir()) == [
        "checkpoint-000002",
        "checkpoint-000003",
        "latest",
    ]


def test_the_benchmark_runs():
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "src"), str(root)])}
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.checkpoint", "--quick"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "| save: `save_checkpoint` vs `mx.save_safetensors + fsync` |" in result.stdout
    assert "| load: `load_checkpoint` vs `mx.load` |" in result.stdout


def _rewrite_manifest(directory, edit):
    manifest = json.loads((directory / "checkpoint.json").read_text())
    del manifest["checksum"]
    edit(manifest)
    canonical = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    manifest["checksum"] = hashlib.sha256(canonical).hexdigest()
    (directory / "checkpoint.json").write_text(json.dumps(manifest))


def test_the_optimizer_step_count_and_the_scheduler_epoch_are_checked_against_each_other(
    saved_run,
):
    root, directory, live = saved_run
    original = (directory / "checkpoint.json").read_text()

    def older_optimizer(manifest):  # the optimizer state from another save than the scheduler
        manifest["optimizer"]["groups"][0]["step"] -= 1

    _rewrite_manifest(directory, older_optimizer)
    _refused(root, "holds step 3, the manifest recorded step 2", *live)
    (directory / "checkpoint.json").write_text(original)

    def other_epoch(manifest):
        manifest["scheduler"]["last_epoch"] += 1

    _rewrite_manifest(directory, other_epoch)
    _refused(root, "scheduler state disagrees with its manifest", *live)


def test_a_scheduler_bound_to_another_optimizer_is_refused(saved_run):
    root, _, (model, _optimizer, scheduler) = saved_run
    _, other_optimizer, _ = build("OneCycleLR-SGD")
    with pytest.raises(CheckpointError, match="bound to another optimizer"):
        load_checkpoint(root, model=model, optimizer=other_optimizer, scheduler=scheduler)
