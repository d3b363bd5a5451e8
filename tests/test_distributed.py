"""Data-parallel runs: two ranks on 127.0.0.1 over MLX's ring backend.

Each two-rank test starts two processes of ``tests/distributed_ranks.py`` (or the
example under ``mlx.launch``) with the ring backend's environment, on ports found
free by binding port 0, and reads one JSON line from each rank: a rank whose line
is missing fails the test (``mlx.launch`` exits 0 even when a rank fails). The
goldens come from torch fed the mean metric, or from one process trained on both
ranks' data.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim
import numpy as np
import pytest
import torch

import mlx_lr_scheduler as lib
from mlx_lr_scheduler.distributed import mean_over_ranks

ROOT = Path(__file__).resolve().parent.parent
RANKS = ROOT / "tests" / "distributed_ranks.py"
EXAMPLE = ROOT / "examples" / "distributed_train.py"
TIMEOUT = 30
GROUP_MESSAGE = r"^distributed_group must be an mx\.distributed\.Group"

sys.path.insert(0, str(ROOT / "tests"))
from distributed_ranks import METRICS, PLATEAU  # noqa: E402


def _free_ports(count: int) -> list[int]:
    """``count`` consecutive free TCP ports on 127.0.0.1 (mlx.launch numbers them so)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        sockets = []
        try:
            for port in range(first, first + count):
                sock = socket.socket()
                sockets.append(sock)
                sock.bind(("127.0.0.1", port))
            return list(range(first, first + count))
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError("no free consecutive ports on 127.0.0.1")


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    return env


def _rank_lines(output: str, size: int, what: str) -> list[dict[str, Any]]:
    """Each rank's JSON line (``{"rank": r, ...}``) from ``output``; fails if one is missing."""
    lines = {}
    for line in output.splitlines():
        if line.startswith("{"):
            data = json.loads(line)
            lines[data["rank"]] = data
    missing = sorted(set(range(size)) - set(lines))
    assert not missing, f"{what}: no result from ranks {missing}"
    return [lines[rank] for rank in range(size)]


def _two_ranks(tmp_path: Path, *args: str) -> list[dict[str, Any]]:
    """Run ``distributed_ranks.py *args`` as ranks 0 and 1 of a ring on 127.0.0.1."""
    hostfile = tmp_path / "hosts.json"
    hostfile.write_text(json.dumps([[f"127.0.0.1:{port}"] for port in _free_ports(2)]))
    processes = [
        subprocess.Popen(
            [sys.executable, str(RANKS), *args],
            env={**_environment(), "MLX_RANK": str(rank), "MLX_HOSTFILE": str(hostfile)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for rank in range(2)
    ]
    outputs = []
    try:
        for process in processes:
            stdout, stderr = process.communicate(timeout=TIMEOUT)
            outputs.append((stdout, stderr))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    results = []
    for rank, (stdout, stderr) in enumerate(outputs):
        assert processes[rank].returncode == 0, f"rank {rank} failed:\n{stderr}"
        lines = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
        assert lines and lines[-1]["rank"] == rank, f"rank {rank} printed no result:\n{stderr}"
        results.append(lines[-1])
    return results


def _float32_mean(values: list[float]) -> float:
    """The float32 sum of the float32 values, divided by their count in float32."""
    total = np.float32(0.0)
    for value in values:
        total = np.float32(total + np.float32(value))
    return float(total / np.float32(len(values)))


def _torch_plateau(metrics: list[float]) -> list[float]:
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=1.0)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **PLATEAU)
    lrs = []
    for metric in metrics:
        scheduler.step(metric)
        lrs.append(scheduler.get_last_lr()[0])
    return lrs


def _torch_warmup_then_plateau(metrics: list[float]) -> list[float]:
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=1.0)
    warmup = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.25, total_iters=3)
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **PLATEAU)
    lrs = []
    for epoch, metric in enumerate(metrics, start=1):
        if epoch <= 3:
            warmup.step()
        else:
            plateau.step(metric)
        lrs.append(opt.param_groups[0]["lr"])
    return lrs


# -- two ranks ---------------------------------------------------------------------------


def test_two_ranks_hold_the_lrs_of_one_process_fed_the_mean_metric(tmp_path):
    rank0, rank1 = _two_ranks(tmp_path, "plateau")
    assert rank0["size"] == rank1["size"] == 2
    mean = [_float32_mean(list(pair)) for pair in zip(METRICS[0], METRICS[1])]
    assert math.isnan(mean[5])  # rank 1's NaN makes the mean NaN: a bad epoch on both
    expected = _torch_plateau(mean)
    assert rank0["lrs"] == rank1["lrs"] == expected
    assert expected[6] == 0.5  # the NaN and the next bad epoch reduce (patience=1)
    # The test can fail: alone, each rank would have followed another LR sequence.
    assert _torch_plateau(METRICS[0]) != expected != _torch_plateau(METRICS[1])
    assert rank0["optimizer_lr"] == rank1["optimizer_lr"] == expected[-1]
    warm = _torch_warmup_then_plateau(mean)
    assert rank0["warmup_then_plateau"] == rank1["warmup_then_plateau"] == warm
    assert "distributed_group" not in rank0["state_keys"]


def test_lr_find_on_two_ranks_is_one_sweep_over_both_ranks_data(tmp_path):
    rank0, rank1 = _two_ranks(tmp_path, "lr_find")
    assert {key: rank0[key] for key in rank0 if key != "rank"} == {
        key: rank1[key] for key in rank1 if key != "rank"
    }
    assert rank0["restored"] and rank0["diverged"]
    # Averaged gradients and losses over two equal shards: one process trained on both.
    from distributed_ranks import _regression

    mx.random.seed(0)
    model = nn.Linear(4, 1)
    (x0, y0), (x1, y1) = _regression(10), _regression(11)
    both = (mx.concatenate([x0, x1]), mx.concatenate([y0, y1]))
    single = lib.lr_find(
        model,
        optim.SGD(learning_rate=0.1),
        lambda m, x, y: nn.losses.mse_loss(m(x), y),
        [both],
        start_lr=1e-4,
        end_lr=10.0,
        num_steps=40,
    )
    assert single.lrs == rank0["lrs"] and single.diverged
    # Float rounding differs (two sums of 32 vs one of 64); the blow-up amplifies it.
    np.testing.assert_allclose(rank0["losses"][:-1], single.losses[:-1], rtol=1e-4)
    assert rank0["suggestion"] == pytest.approx(single.suggestion, rel=1e-6)


def test_checkpoint_saved_by_rank_0_loads_on_both_and_a_diverged_rank_stops_both(tmp_path):
    rank0, rank1 = _two_ranks(tmp_path, "checkpoint", str(tmp_path))
    assert rank0["saved"] == rank1["saved"] == str(tmp_path / "run" / "checkpoint-000001")
    for rank in (rank0, rank1):
        assert rank["extra"] == {"epoch": 2}
        assert rank["lr_loaded"] == rank["lr_saved"] == [0.005]
        # Rank 1 loaded another state: both ranks refuse, naming it.
        assert "ranks [1] hold a state that differs from rank 0's" in rank["divergence"]
    # Rank 0 could not load at all: it raises its own error, rank 1 names rank 0.
    assert rank0["missing"].startswith("FileNotFoundError: no checkpoint at")
    assert rank1["missing"].startswith("CheckpointError: ranks [0] could not load")
    # Rank 0 could not save: it raises its own error, rank 1 says so.
    assert rank0["save_failed"].startswith("FileExistsError")
    assert rank1["save_failed"].startswith("CheckpointError: rank 0 could not save")


def test_example_trains_two_ranks_under_mlx_launch_and_resumes_bit_exact(tmp_path):
    launcher = Path(sys.executable).parent / "mlx.launch"
    if not launcher.exists():
        pytest.skip("mlx.launch is not installed next to this python")
    run = tmp_path / "checkpoints"

    def launch(epochs: int, hosts: list[str], run: Path = run) -> list[dict[str, Any]]:
        command = [str(launcher), *hosts, "--starting-port", str(_free_ports(2)[0])]
        command += [sys.executable, str(EXAMPLE), "--epochs", str(epochs)]
        command += ["--checkpoint-dir", str(run), "--json"]
        # A session of its own: on a timeout, the launcher and its ranks end together.
        launched = subprocess.Popen(
            command,
            env=_environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            stdout, stderr = launched.communicate(timeout=TIMEOUT)
        finally:
            if launched.poll() is None:
                os.killpg(launched.pid, signal.SIGKILL)
                launched.wait()
        return _rank_lines(stdout, 2, f"{stdout}\n{stderr}")

    # A hostfile as the README shows, both machines being this one.
    hostfile = tmp_path / "hosts.json"
    machine = {"ssh": "127.0.0.1", "ips": ["127.0.0.1"]}
    hostfile.write_text(json.dumps({"backend": "ring", "hosts": [machine, machine]}))
    first = launch(2, ["-n", "2", "--backend", "ring"])
    assert first[0]["lrs"] == first[1]["lrs"] and len(first[0]["lrs"]) == 2
    assert first[0]["digest"] == first[1]["digest"]
    assert first[0]["start_epoch"] == 1
    # Picks up after epoch 2 from the checkpoint: one more epoch.
    resumed = launch(3, ["--hostfile", str(hostfile)])
    assert resumed[0]["start_epoch"] == resumed[1]["start_epoch"] == 3
    assert resumed[0]["lrs"] == resumed[1]["lrs"] and len(resumed[0]["lrs"]) == 1
    assert resumed[0]["digest"] == resumed[1]["digest"] != first[0]["digest"]
    # Bit for bit the state of a run that was never interrupted.
    straight = launch(3, ["-n", "2", "--backend", "ring"], tmp_path / "straight")
    assert straight[0]["lrs"][2:] == resumed[0]["lrs"]
    assert straight[0]["digest"] == straight[1]["digest"] == resumed[0]["digest"]


# -- one process -------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["ring", 0, object()])
def test_distributed_group_must_be_a_group_or_none(bad):
    opt = optim.SGD(learning_rate=1.0)
    with pytest.raises(TypeError, match=GROUP_MESSAGE):
        lib.ReduceLROnPlateau(opt, distributed_group=bad)
    with pytest.raises(TypeError, match=GROUP_MESSAGE):
        lib.WarmupThenPlateau(
            opt, lib.LinearLR(opt), lib.ReduceLROnPlateau(opt), 5, distributed_group=bad
        )
    with pytest.raises(TypeError, match=GROUP_MESSAGE):
        lib.lr_find(nn.Linear(1, 1), opt, lambda m, x: m(x).sum(), [], distributed_group=bad)
    with pytest.raises(TypeError, match=r"^group must be an mx\.distributed\.Group"):
        lib.save_checkpoint_distributed("unused", group=bad, extra={})
    with pytest.raises(TypeError, match=r"^group must be an mx\.distributed\.Group"):
        lib.load_checkpoint_distributed("unused", group=bad)


def test_distributed_group_is_the_last_argument_keyword_only_and_not_in_state():
    for function in (lib.ReduceLROnPlateau, lib.WarmupThenPlateau, lib.lr_find):
        last = list(inspect.signature(function).parameters.values())[-1]
        assert last.name == "distributed_group" and last.kind is inspect.Parameter.KEYWORD_ONLY
        assert last.default is None
    torch_names = list(inspect.signature(torch.optim.lr_scheduler.ReduceLROnPlateau).parameters)
    ours = list(inspect.signature(lib.ReduceLROnPlateau).parameters)
    assert ours == [*torch_names, "distributed_group"]
    opt = optim.SGD(learning_rate=1.0)
    grouped = lib.ReduceLROnPlateau(opt, distributed_group=mx.distributed.init())
    assert grouped.state_dict() == lib.ReduceLROnPlateau(opt).state_dict()


def test_the_group_is_given_to_warmup_then_plateau_or_its_plateau_not_both():
    opt = optim.SGD(learning_rate=1.0)
    world = mx.distributed.init()
    plateau = lib.ReduceLROnPlateau(opt, distributed_group=world)
    with pytest.raises(ValueError, match="not both"):
        lib.WarmupThenPlateau(opt, lib.LinearLR(opt), plateau, 5, distributed_group=world)


def test_a_group_of_one_rank_changes_nothing():
    # Outside mlx.launch, mx.distributed.init() is one rank: bit-exact with torch,
    # metrics that float32 would round included.
    world = mx.distributed.init()
    assert world.size() == 1
    metrics = [0.1, 0.30000000000000004, 0.1 + 1e-12, 0.2, 0.2, 0.2, 1 / 3, 1 / 3, 1 / 3, 0.05]
    assert mean_over_ranks(1 / 3, world) == 1 / 3
    opt = optim.SGD(learning_rate=1.0)
    scheduler = lib.ReduceLROnPlateau(opt, **PLATEAU, distributed_group=world)
    lrs = []
    for metric in metrics:
        scheduler.step(metric)
        lrs.append(scheduler.get_last_lr()[0])
    assert lrs == _torch_plateau(metrics)
    assert scheduler.best == 0.05


def test_state_digest_sees_every_value_and_reads_any_array_layout():
    from mlx_lr_scheduler.distributed import state_digest

    model = nn.Linear(3, 2)
    opt = optim.SGD(learning_rate=0.1)
    scheduler = lib.ReduceLROnPlateau(opt)

    def digest(epoch: int) -> bytes:
        return state_digest(model=model, optimizer=opt, scheduler=scheduler, extra={"e": epoch})

    reference = digest(1)
    assert reference == digest(1) and reference != digest(2)
    scheduler.step(1.0)  # best and last_epoch change, not the LR
    assert reference != digest(1)
    # A transposed (non-contiguous) parameter hashes as its row-major copy; empty arrays too.
    weight = mx.arange(6, dtype=mx.float32).reshape(3, 2)
    model.weight = weight.T
    transposed = state_digest(model=model)
    model.weight = mx.array(weight.T.tolist())
    assert transposed == state_digest(model=model)
    model.bias = mx.zeros((0,))
    assert len(state_digest(model=model)) == 32


def test_distributed_checkpoint_with_one_rank_round_trips(tmp_path):
    world = mx.distributed.init()
    model = nn.Linear(2, 2)
    opt = optim.SGD(learning_rate=0.5)
    scheduler = lib.ReduceLROnPlateau(opt, patience=0, distributed_group=world)
    scheduler.step(1.0)
    scheduler.step(2.0)
    saved = lib.save_checkpoint_distributed(
        tmp_path, group=world, model=model, optimizer=opt, scheduler=scheduler, extra={"e": 2}
    )
    assert saved == tmp_path / "checkpoint-000001"
    scheduler.step(3.0)
    assert scheduler.get_last_lr() == [0.5 * 0.1 * 0.1]
    extra = lib.load_checkpoint_distributed(
        tmp_path, group=world, model=model, optimizer=opt, scheduler=scheduler
    )
    assert extra == {"e": 2} and scheduler.get_last_lr() == [0.5 * 0.1]
    with pytest.raises(TypeError, match="extra must"):
        lib.save_checkpoint_distributed(tmp_path, group=world, extra={"e": {1, 2}})  # type: ignore[dict-item]
