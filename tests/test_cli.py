"""The ``mlx-lr`` command: bad and code-looking SPECs give one line and exit code 2, ``table
--csv`` equals torch 2.13, plots are written, the demo learns the digits, ``find`` restores,
the README's pictures are the ones ``mlx-lr pictures`` draws."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.optim.lr_scheduler as torch_lr

import mlx_lr_scheduler
from mlx_lr_scheduler import demo
from mlx_lr_scheduler.cli import FAMILIES, decay_started_by_hand, draw_families, main
from mlx_lr_scheduler.spec import parse_spec, scheduler_names
from oracle import record

SRC = str(Path(mlx_lr_scheduler.__file__).resolve().parents[1])
PNG = b"\x89PNG\r\n\x1a\n"


def run(*argv):
    """``python -m mlx_lr_scheduler ARGV`` in a subprocess, this checkout first on the path."""
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run(
        [sys.executable, "-m", "mlx_lr_scheduler", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def assert_one_line_error(code, err, *needles):
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


@pytest.mark.parametrize(
    "spec",
    [
        "__import__('os').system('echo PWNED')",
        "StepLR(step_size=__import__('os').system('echo PWNED'))",
    ],
)
def test_code_looking_spec_is_refused_in_a_subprocess(spec, tmp_path):
    result = run("table", spec, "--steps", "3")
    assert_one_line_error(result.returncode, result.stderr, "mlx-lr table: error:")
    assert result.stdout == ""  # echo did not run


def test_python_dash_m_runs_the_command():
    result = run("table", "StepLR(step_size=2, gamma=0.5)", "--lr", "1.0", "--steps", "4", "--csv")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["step,lr", "0,1.0", "1,1.0", "2,0.5", "3,0.5"]


BAD_SPECS = [
    ("Foo(a=1)", ["'Foo' is not a scheduler name", "StepLR", "OneCycleLR"]),
    ("StepLR(step_size=0)", ["StepLR", "step_size", "got 0"]),
    ("StepLR(step=3)", ["StepLR has no argument 'step'", "step_size"]),
    ("StepLR(step_size='3')", ["StepLR", "step_size"]),
    ("StepLR(step_size=x)", ["literals", "'x'"]),
    ("StepLR(step_size=1 + 1)", ["literals", "1 + 1"]),
    ("StepLR(step_size=(lambda: 3)())", ["literals"]),
    ("StepLR(step_size=os.sep)", ["literals", "os.sep"]),
    ("StepLR(**{'step_size': 2})", ["**"]),
    ("StepLR(step_size=[x for x in ()])", ["literals"]),
    ("os.system('x')", ["'os.system' is not a scheduler name"]),
    ("LambdaLR(lr_lambda=0.9)", ["LambdaLR takes a function"]),
    ("MultiplicativeLR()", ["MultiplicativeLR takes a function"]),
    ("StepLR", ["StepLR needs its arguments"]),
    ("StepLR(step_size=2", ["cannot parse SPEC"]),
    ("StepLR(step_size=" + "[" * 5000 + "]" * 5000 + ")", ["cannot parse SPEC", "..."]),
    ("StepLR(step_size=2)\x00", ["cannot parse SPEC"]),
    ("CosineAnnealingLR(T_max=StepLR(step_size=1))", ["literals", "call"]),
    ("SequentialLR([1, 2], milestones=[1])", ["SequentialLR"]),
    ("OneCycleLR(max_lr=0.1)", ["OneCycleLR", "total_steps"]),
    ("StepLR(optimizer=1, step_size=2)", ["leave out optimizer"]),
    ("missing-file.json", ["cannot read SPEC file", "missing-file.json"]),
    ("ReduceLROnPlateau()", ["ReduceLROnPlateau steps on a metric"]),
]


@pytest.mark.parametrize(("spec", "needles"), BAD_SPECS, ids=[s[:40] for s, _ in BAD_SPECS])
def test_bad_spec_is_one_line_and_exit_code_2(spec, needles, capsys):
    code = main(["table", spec, "--steps", "3"])
    captured = capsys.readouterr()
    assert_one_line_error(code, captured.err, *needles)
    assert captured.out == ""


@pytest.mark.parametrize(
    ("argv", "needles"),
    [
        (["table", "StepLR(step_size=2)"], ["--steps"]),
        (["plot"], ["SPEC"]),
        (["nothing"], ["invalid choice"]),
        (["table", "StepLR(step_size=2)", "--steps", "x"], ["--steps", "'x'"]),
        (["plot", "StepLR(step_size=2)", "--steps", "0"], ["steps", "got 0"]),
        (["demo", "--epochs", "0"], ["--epochs", "got 0"]),
        (["demo", "--scheduler", "Foo()"], ["'Foo' is not a scheduler name"]),
        (["find", "--start-lr", "1", "--end-lr", "0.1", "--steps", "5"], ["end_lr"]),
    ],
)
def test_usage_errors_are_one_line_too(argv, needles, capsys):
    code = main(argv)
    assert_one_line_error(code, capsys.readouterr().err, *needles)


@pytest.mark.parametrize("command", ["plot", "table", "demo", "find", "pictures"])
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert f"usage: mlx-lr {command}" in capsys.readouterr().out


@pytest.mark.parametrize("module", ["sklearn", "tqdm", "matplotlib"])
def test_missing_extra_is_one_line(module, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, module, None)  # the import now fails
    code = main(["demo", "--epochs", "1"])
    assert_one_line_error(
        code,
        capsys.readouterr().err,
        'mlx-lr demo needs the cli extra: pip install "mlx-lr-scheduler[cli]"',
    )


CSV_CASES = [
    (
        "OneCycleLR(max_lr=0.1, total_steps=30)",
        lambda o: torch_lr.OneCycleLR(o, max_lr=0.1, total_steps=30),
    ),
    (
        "SequentialLR([LinearLR(start_factor=0.1, total_iters=5), "
        "CosineAnnealingLR(T_max=20, eta_min=0.001)], milestones=[5])",
        lambda o: torch_lr.SequentialLR(
            o,
            [
                torch_lr.LinearLR(o, start_factor=0.1, total_iters=5),
                torch_lr.CosineAnnealingLR(o, 20, 0.001),
            ],
            milestones=[5],
        ),
    ),
    (
        "ChainedScheduler([StepLR(step_size=3, gamma=0.5), ExponentialLR(gamma=0.9)])",
        lambda o: torch_lr.ChainedScheduler(
            [torch_lr.StepLR(o, 3, 0.5), torch_lr.ExponentialLR(o, 0.9)]
        ),
    ),
]


@pytest.mark.parametrize(("spec", "build"), CSV_CASES, ids=["one-cycle", "warmup-cosine", "chain"])
def test_table_csv_equals_torch(spec, build, capsys):
    steps = 30
    assert main(["table", spec, "--lr", "0.1", "--steps", str(steps), "--csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    parameter = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([parameter], lr=0.1, momentum=0.9)
    scheduler = build(optimizer)
    cycles = "OneCycleLR" in spec
    assert lines[0] == ("step,lr,momentum" if cycles else "step,lr")
    ours, theirs = [], []
    for k, line in enumerate(lines[1:]):
        fields = line.split(",")
        assert int(fields[0]) == k
        ours.append([float(field) for field in fields[1:]])
        group = optimizer.param_groups[0]
        theirs.append([group["lr"], group["momentum"]] if cycles else [group["lr"]])
        optimizer.step()
        scheduler.step()
    assert len(ours) == steps
    assert record(theirs, ours)


def test_table_reads_a_json_spec_file(tmp_path, capsys):
    path = tmp_path / "schedule.json"
    path.write_text(
        json.dumps(
            {
                "name": "SequentialLR",
                "arguments": {
                    "schedulers": [
                        {"name": "ConstantLR", "arguments": {"factor": 0.5, "total_iters": 2}},
                        {"name": "ExponentialLR", "arguments": {"gamma": 0.5}},
                    ],
                    "milestones": [2],
                },
            }
        )
    )
    assert main(["table", str(path), "--lr", "1.0", "--steps", "5", "--csv"]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        "0,0.5",
        "1,0.5",
        "2,1.0",
        "3,0.5",
        "4,0.25",
    ]
    path.write_text("{not json")
    assert_one_line_error(
        main(["table", str(path), "--steps", "2"]), capsys.readouterr().err, "not valid JSON"
    )
    path.write_text('{"scheduler": "StepLR"}')
    assert_one_line_error(
        main(["table", str(path), "--steps", "2"]), capsys.readouterr().err, "needs a 'name'"
    )


def test_table_reads_a_yaml_config_with_a_transformers_name(tmp_path, capsys):
    import transformers

    path = tmp_path / "schedule.yaml"
    path.write_text("name: cosine\nnum_warmup_steps: 2\nnum_training_steps: 10\n")
    assert main(["table", str(path), "--lr", "1.0", "--steps", "10", "--csv"]) == 0
    ours = [float(line.split(",")[1]) for line in capsys.readouterr().out.splitlines()[1:]]
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    theirs = transformers.get_scheduler("cosine", opt, num_warmup_steps=2, num_training_steps=10)
    want = []
    for _ in range(10):
        want.append(theirs.get_last_lr()[0])
        opt.step()
        theirs.step()
    assert ours == want


def test_spec_names_are_the_registry_but_the_callable_ones():
    names = set(scheduler_names())
    assert {"StepLR", "OneCycleLR", "SequentialLR", "WarmupThenPlateau"} <= names
    assert not {"LambdaLR", "MultiplicativeLR", "LRScheduler"} & names
    spec = parse_spec("CyclicLR(base_lr=-0.0, max_lr=+1e-1, scale_mode=None, mode='exp_range')")
    assert spec.kwargs == {"base_lr": 0.0, "max_lr": 0.1, "scale_mode": None, "mode": "exp_range"}


def test_plot_writes_a_png_with_several_specs(tmp_path, capsys):
    path = tmp_path / "plot.png"
    argv = ["plot", "OneCycleLR(max_lr=0.1, total_steps=50)", "CosineAnnealingLR(T_max=50)"]
    assert main([*argv, "--steps", "50", "-o", str(path)]) == 0
    assert path.read_bytes()[:8] == PNG
    assert path.stat().st_size > 10_000


def test_plot_in_the_terminal(capsys):
    assert (
        main(["plot", "CyclicLR(base_lr=0.01, max_lr=0.1, step_size_up=5)", "--steps", "40"]) == 0
    )
    out = capsys.readouterr().out
    assert "learning rate" in out and "momentum (right axis)" in out and "CyclicLR" in out


def test_demo_reaches_95_percent(tmp_path, capsys):
    path = tmp_path / "demo.png"
    assert main(["demo", "--quiet", "-o", str(path)]) == 0  # the defaults: 20 epochs
    out = capsys.readouterr().out
    accuracy = float(re.search(r"test accuracy: ([\d.]+)%", out).group(1))
    assert accuracy >= 95.0, out
    assert "SequentialLR([LinearLR(" in out
    assert path.read_bytes()[:8] == PNG


def test_demo_with_a_one_cycle_spec_cycles_beta1():
    result = demo.train("OneCycleLR(max_lr=0.01, total_steps=44)", epochs=2, progress=False)
    assert len(result.lrs) == 44 and result.momenta is not None
    assert result.momenta[0] == 0.95 and min(result.momenta) < 0.86


def test_find_prints_a_suggestion_and_saves_the_plot(tmp_path, capsys):
    path = tmp_path / "find.png"
    assert main(["find", "--steps", "60", "--quiet", "-o", str(path)]) == 0
    out = capsys.readouterr().out
    suggestion = float(re.search(r"suggested LR: ([\d.e+-]+)", out).group(1))
    assert 1e-5 < suggestion < 1.0
    assert path.read_bytes()[:8] == PNG


README = Path(__file__).resolve().parents[1] / "README.md"
PICTURES = Path(__file__).resolve().parents[1] / "docs" / "pictures"


def test_decay_started_by_hand_follows_the_warmup_stable_decay_formula():
    # Warmup 10 from 0, stable at 0.1, start_decay() before update 60, linear over 20 to 0.
    def expected(k):
        if k < 10:
            return 0.1 * k / 10
        if k < 60:
            return 0.1
        return 0.1 * max(0.0, 1 - (k - 60) / 20)

    lrs = decay_started_by_hand(100).lrs
    assert lrs == [pytest.approx(expected(k), rel=1e-12, abs=1e-15) for k in range(100)]
    assert lrs[59] == lrs[60] == 0.1 and lrs[61] < 0.1 and lrs[80] == 0.0


def test_pictures_are_small_deterministic_and_committed_as_drawn(tmp_path):
    paths = draw_families(str(tmp_path))
    names = [Path(path).name for path in paths]
    assert names == [name for name, *_ in FAMILIES] + ["plateau.png"]
    for path in paths:
        data = Path(path).read_bytes()
        assert data[:8] == PNG and 10_000 < len(data) <= 70_000, (path, len(data))
        # Same bytes as docs/pictures: FAMILIES changed means `mlx-lr pictures docs/pictures`.
        assert data == (PICTURES / Path(path).name).read_bytes(), Path(path).name
    assert draw_families(str(tmp_path / "again"))  # deterministic: drawn twice, same bytes
    for name in names:
        assert (tmp_path / "again" / name).read_bytes() == (tmp_path / name).read_bytes()


def test_readme_shows_every_picture_and_only_those():
    shown = set(re.findall(r"docs/pictures/([\w-]+\.png)", README.read_text()))
    drawn = {name for name, *_ in FAMILIES} | {"plateau.png", "demo.png"}
    assert shown == drawn == {path.name for path in PICTURES.iterdir()}
