"""``WarmupLR``: a warmup in front of any scheduler, ``ReduceLROnPlateau`` and composites too.

Each case runs side by side with torch (``oracle.TorchWarmupLR``: a ``LambdaLR`` warmup,
then torch's own scheduler), with hand-set LRs and a resume through JSON; after the
warmup the LRs are the scheduler's own, shifted by the warmup's length (compared with
the scheduler run alone). ``WarmupThenPlateau`` keeps its own tests.
"""

from __future__ import annotations

import json

import mlx.optimizers as optim
import pytest

import mlx_lr_scheduler as lib
from mlx_lr_scheduler.schedules import warmup_lr
from oracle import first_mismatch, run_both

METRICS = (3.0, 2.0, 2.5, 2.0, 2.1, 2.2, 1.0, 1.5, 1.5, 1.5, 1.5, 0.5, 0.6, 0.7)

SCHEDULERS = {
    "StepLR": lambda L, o: L.StepLR(o, step_size=4, gamma=0.5),
    "CosineAnnealingLR": lambda L, o: L.CosineAnnealingLR(o, T_max=20, eta_min=1e-3),
    "ReduceLROnPlateau": lambda L, o: L.ReduceLROnPlateau(o, factor=0.5, patience=1),
    "SequentialLR": lambda L, o: L.SequentialLR(
        o, [L.ConstantLR(o, factor=0.5, total_iters=4), L.ExponentialLR(o, gamma=0.9)], [6]
    ),
}


def _step_args(name):
    if name == "ReduceLROnPlateau":
        return lambda k: (METRICS[k % len(METRICS)],)
    return None


@pytest.mark.parametrize("mode", ["plain", "hand-set LR", "resume", "resume in the warmup"])
@pytest.mark.parametrize("warmup_type", ["linear", "cosine", "1-sqrt"])
@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_warmup_in_front_of_a_scheduler_is_bit_exact_with_torch(name, warmup_type, mode):
    child = SCHEDULERS[name]

    def build(L, o):
        return L.WarmupLR(
            o, child(L, o), num_warmup_steps=5, warmup_type=warmup_type, start_factor=0.1
        )

    torch_lrs, mlx_lrs = run_both(
        build,
        40,
        (0.1, 0.02),
        manual_lr=(12, 0.05) if mode == "hand-set LR" else None,
        resume_at={"resume": 20, "resume in the warmup": 3}.get(mode),
        step_args=_step_args(name),
    )
    assert first_mismatch(torch_lrs, mlx_lrs) is None


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_after_the_warmup_the_lrs_are_the_schedulers_own_shifted(name):
    warmup, steps = 7, 30
    args = _step_args(name) or (lambda k: ())
    alone_opt = optim.SGD(learning_rate=0.1)
    alone = SCHEDULERS[name](lib, alone_opt)
    expected = [alone.get_last_lr()]
    for k in range(steps):
        alone.step(*args(k + warmup))  # the metrics of the warmup's epochs are not used
        expected.append(alone.get_last_lr())
    opt = optim.SGD(learning_rate=0.1)
    scheduler = lib.WarmupLR(opt, SCHEDULERS[name](lib, opt), num_warmup_steps=warmup)
    history = [scheduler.get_last_lr()]
    for k in range(steps + warmup):
        scheduler.step(*args(k))
        history.append(scheduler.get_last_lr())
    assert history[:warmup] == [[0.1 * (t / warmup)] for t in range(warmup)]
    assert history[warmup:] == expected


def test_metrics_go_to_the_plateau_and_only_there():
    opt = optim.SGD(learning_rate=0.1)
    plateau = lib.WarmupLR(opt, lib.ReduceLROnPlateau(opt), num_warmup_steps=2)
    with pytest.raises(TypeError, match="steps on a metric: call step"):
        plateau.step()
    with pytest.raises(TypeError, match="metrics must be a real number"):
        plateau.step("low")
    opt = optim.SGD(learning_rate=0.1)
    step = lib.WarmupLR(opt, lib.StepLR(opt, 2), num_warmup_steps=2)
    with pytest.raises(TypeError, match="steps without a metric"):
        step.step(0.5)


def test_state_round_trips_through_strict_json_in_and_after_the_warmup():
    def build():
        opt = optim.SGD(learning_rate=0.1)
        return lib.WarmupLR(opt, lib.ReduceLROnPlateau(opt, patience=0), num_warmup_steps=3)

    for stop in (1, 3, 6):
        scheduler, twin = build(), build()
        for k in range(stop):
            scheduler.step(1.0 + k)
        twin.load_state_dict(json.loads(json.dumps(scheduler.state_dict(), allow_nan=False)))
        for k in range(5):
            scheduler.step(1.0 / (k + 1))
            twin.step(1.0 / (k + 1))
            assert twin.get_last_lr() == scheduler.get_last_lr()


def test_without_a_scheduler_it_is_constant_after_the_warmup_and_has_a_closed_form():
    scheduler = lib.WarmupLR(optim.SGD(learning_rate=1.0), num_warmup_steps=4, start_factor=0.2)
    history = []
    for _ in range(8):
        history.append(scheduler.get_last_lr()[0])
        scheduler.step()
    assert history == [0.2, 0.4, 0.6000000000000001, 0.8, 1.0, 1.0, 1.0, 1.0]
    function = scheduler.schedule()
    assert [function(t) for t in range(8)] == pytest.approx(history, rel=1e-15)


def test_no_warmup_is_the_scheduler_alone():
    opt = optim.SGD(learning_rate=0.1)
    scheduler = lib.WarmupLR(opt, lib.StepLR(opt, 1, gamma=0.5), num_warmup_steps=0)
    scheduler.step()
    assert scheduler.get_last_lr() == [0.05]


def test_warmup_then_plateau_keeps_working():
    opt = optim.SGD(learning_rate=1.0)
    warmup = lib.LinearLR(opt, start_factor=0.25, total_iters=3)
    scheduler = lib.WarmupThenPlateau(opt, warmup, lib.ReduceLROnPlateau(opt), milestone=3)
    for loss in (3.0, 2.0, 1.0):
        scheduler.step(loss)
    assert scheduler.get_last_lr() == [1.0]


def test_bad_arguments_are_refused_naming_them():
    opt, other = optim.SGD(learning_rate=0.1), optim.SGD(learning_rate=0.1)
    with pytest.raises(TypeError, match="scheduler must be an mlx_lr_scheduler scheduler"):
        lib.WarmupLR(opt, "cosine", num_warmup_steps=3)
    with pytest.raises(ValueError, match="bound to another one"):
        lib.WarmupLR(opt, lib.StepLR(other, 2), num_warmup_steps=3)
    with pytest.raises(ValueError, match="num_warmup_steps must be an integer >= 0"):
        lib.WarmupLR(opt, num_warmup_steps=-1)
    with pytest.raises(ValueError, match="warmup_type must be one of"):
        lib.WarmupLR(opt, num_warmup_steps=3, warmup_type="exp")
    with pytest.raises(ValueError, match=r"start_factor must be in \[0.0, 1.0\]"):
        warmup_lr(0.1, 3, start_factor=2.0)
    with pytest.raises(TypeError, match="scheduler must be callable"):
        warmup_lr(0.1, 3, scheduler=0.5)


def test_no_closed_form_in_front_of_a_plateau():
    opt = optim.SGD(learning_rate=0.1)
    scheduler = lib.WarmupLR(opt, lib.ReduceLROnPlateau(opt), num_warmup_steps=3)
    with pytest.raises(TypeError, match="no closed form"):
        scheduler.schedule()


def test_last_epoch_resumes_the_warmup_and_needs_initial_lr():
    opt = optim.SGD(learning_rate=1.0)
    with pytest.raises(KeyError, match="initial_lr"):
        lib.WarmupLR(opt, num_warmup_steps=4, last_epoch=1)
    lib.WarmupLR(opt, num_warmup_steps=4)  # sets initial_lr
    resumed = lib.WarmupLR(opt, num_warmup_steps=4, last_epoch=1)
    assert resumed.last_epoch == 2 and resumed.get_last_lr() == [0.5]
    step = lib.StepLR(opt, step_size=1, gamma=0.5, last_epoch=2)  # past the warmup
    after = lib.WarmupLR(opt, step, num_warmup_steps=4, last_epoch=7)
    in_force = step.get_last_lr()
    assert after.get_last_lr() == in_force
    after.step()
    assert after.get_last_lr() == [in_force[0] * 0.5]
