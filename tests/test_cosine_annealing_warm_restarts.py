"""CosineAnnealingWarmRestarts against torch 2.13: SGDR per epoch and per batch, resume,
restart-boundary jumps, bad input; goldens from torch or from the SGDR formula written here."""

import contextlib
import json
import math
import warnings

import mlx.core as mx
import mlx.nn as nn
import mlx.optimizers as optim
import pytest
from hypothesis import assume, given
from hypothesis import strategies as hs
from strategies import decimal_lrs

from mlx_lr_scheduler import CosineAnnealingWarmRestarts
from oracle import TORCH, first_mismatch, mlx_optimizer, run_both, torch_optimizer

LRS = [(0.1,), (0.1, 0.03)]


def sgdr(T_0, T_mult=1, eta_min=0.0):
    return lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0, T_mult, eta_min)


def torch_jump_is_exact(epoch, T_0, T_mult):
    """False where torch's ``int(log(...))`` picks the cycle before ``epoch``'s (a restart)."""
    if T_mult == 1 or epoch < T_0:
        return True
    torch_cycle = int(math.log(epoch / T_0 * (T_mult - 1) + 1, T_mult))
    cycle, start, length = 0, 0, T_0
    while start + length <= epoch:
        start, length, cycle = start + length, length * T_mult, cycle + 1
    return torch_cycle == cycle


def sgdr_formula(epoch, base_lr, T_0, T_mult, eta_min):
    """SGDR (Loshchilov & Hutter, eq. 5) from the list of restart epochs."""
    restarts, length = [0], T_0
    while restarts[-1] + length <= epoch:
        restarts.append(restarts[-1] + length)
        length *= T_mult
    T_cur = epoch - restarts[-1]
    return eta_min + 0.5 * (base_lr - eta_min) * (1 + math.cos(math.pi * T_cur / length))


# -- recipes ---------------------------------------------------------------------------


@pytest.mark.parametrize("lrs", LRS)
@pytest.mark.parametrize("eta_min", [0.0, 1e-4])
def test_sgdr_t0_10_tmult_2_over_150_epochs(lrs, eta_min):
    torch_lrs, mlx_lrs = run_both(sgdr(10, 2, eta_min), 150, lrs)
    assert first_mismatch(torch_lrs, mlx_lrs) is None
    # Restarts at epochs 10, 30, 70 bring every group back to its initial LR.
    for epoch in (0, 10, 30, 70, 150):
        assert mlx_lrs[epoch] == pytest.approx(list(lrs), rel=1e-15)
    expected = [sgdr_formula(e, lrs[0], 10, 2, eta_min) for e in range(151)]
    assert [lr[0] for lr in mlx_lrs] == pytest.approx(expected, rel=1e-12, abs=1e-18)


@pytest.mark.parametrize("lrs", LRS)
def test_sgdr_per_batch_with_fractional_epochs(lrs):
    iters = 7  # batches per epoch: scheduler.step(epoch + i / iters), as in torch's docs
    epochs = [e + i / iters for e in range(150) for i in range(iters)]
    torch_lrs, mlx_lrs = run_both(sgdr(10, 2), len(epochs), lrs, step_args=lambda k: (epochs[k],))
    assert first_mismatch(torch_lrs, mlx_lrs) is None
    expected = [sgdr_formula(e, lrs[0], 10, 2, 0.0) for e in epochs]
    assert [lr[0] for lr in mlx_lrs[1:]] == pytest.approx(expected, rel=1e-12, abs=1e-18)


@pytest.mark.parametrize("resume_at", [1, 9, 10, 11, 29, 64])
def test_sgdr_resumes_from_state_dict_bit_exact(resume_at):
    assert (
        first_mismatch(*run_both(sgdr(10, 2, 1e-3), 100, (0.1, 0.02), resume_at=resume_at)) is None
    )
    epochs = [e + i / 4 for e in range(40) for i in range(4)]
    step_args = lambda k: (epochs[k],)  # noqa: E731
    assert (
        first_mismatch(*run_both(sgdr(3, 3), len(epochs), resume_at=resume_at, step_args=step_args))
        is None
    )


def test_hand_set_lr_is_overwritten_like_torch():
    # The SGDR formula reads the initial LRs, not the group's LR: a hand-set LR lasts one epoch.
    assert first_mismatch(*run_both(sgdr(5, 2), 40, (0.1, 0.03), manual_lr=(7, 0.5))) is None


def test_interleaved_step_and_step_epoch_as_in_torch_docs():
    # scheduler.step() x20, then step(26), then step() goes to 27.
    args = [()] * 20 + [(26,)] + [()] * 10 + [(3.5,), ()] + [(44.25,), ()]
    for T_mult in (1, 2):
        torch_lrs, mlx_lrs = run_both(sgdr(10, T_mult), len(args), step_args=lambda k: args[k])
        assert first_mismatch(torch_lrs, mlx_lrs) is None


def test_constructed_with_last_epoch_resumes_like_torch():
    # torch's T_cur starts at last_epoch and is wrapped once by the initial step.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for last_epoch in (0, 5, 9, 25, 31):
            t_opt, m_opt = torch_optimizer([0.1, 0.05]), mlx_optimizer([0.1, 0.05])
            TORCH.CosineAnnealingWarmRestarts(t_opt, 10, 2)
            CosineAnnealingWarmRestarts(m_opt, 10, 2)
            t = TORCH.CosineAnnealingWarmRestarts(t_opt, 10, 2, last_epoch=last_epoch)
            m = CosineAnnealingWarmRestarts(m_opt, 10, 2, last_epoch=last_epoch)
            t_lrs, m_lrs = [t.get_last_lr()], [m.get_last_lr()]
            for _ in range(30):
                t.step()
                m.step()
                t_lrs.append(t.get_last_lr())
                m_lrs.append(m.get_last_lr())
            assert first_mismatch(t_lrs, m_lrs) is None, last_epoch


def test_sequential_and_chained_composition_like_torch():
    def warmup_then_sgdr(L, o):
        return L.SequentialLR(
            o, [L.LinearLR(o, 0.1, total_iters=5), L.CosineAnnealingWarmRestarts(o, 4, 2)], [5]
        )

    def chained(L, o):
        return L.ChainedScheduler([L.CosineAnnealingWarmRestarts(o, 6), L.ExponentialLR(o, 0.97)])

    for build in (warmup_then_sgdr, chained):
        assert first_mismatch(*run_both(build, 60, (0.1, 0.03))) is None
        assert first_mismatch(*run_both(build, 60, (0.1, 0.03), resume_at=23)) is None


def test_torch_state_dict_loads_and_continues_bit_exact():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = TORCH.CosineAnnealingWarmRestarts(torch_optimizer([0.1, 0.2]), 3, 2, 0.01)
        for k in range(17):
            t.step(k * 1.25 if k % 3 else None)
        m = CosineAnnealingWarmRestarts(mlx_optimizer([0.5, 0.5]), 99, 1)  # other arguments
        m.load_state_dict(json.loads(json.dumps(t.state_dict())))
        assert m.get_last_lr() == t.get_last_lr()
        for k in range(40):
            t.step()
            m.step()
            assert m.get_last_lr() == t.get_last_lr(), k


# -- where torch's closed-form jump picks the wrong cycle -----------------------------


@pytest.mark.parametrize(("T_0", "T_mult", "epoch"), [(1, 3, 121), (1, 10, 111), (5, 10, 555)])
def test_step_epoch_at_a_restart_restarts_where_torch_anneals_to_eta_min(T_0, T_mult, epoch):
    # torch: n = int(log(epoch / T_0 * (T_mult - 1) + 1, T_mult)) and log(243, 3) = 4.999...,
    # so step(121) lands at the end of the previous cycle: T_cur == T_i and LR = eta_min.
    assert not torch_jump_is_exact(epoch, T_0, T_mult)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        jumped = TORCH.CosineAnnealingWarmRestarts(torch_optimizer([0.1]), T_0, T_mult, 1e-3)
        jumped.step(epoch)
        walked = TORCH.CosineAnnealingWarmRestarts(torch_optimizer([0.1]), T_0, T_mult, 1e-3)
        for _ in range(epoch):
            walked.step()
        ours = CosineAnnealingWarmRestarts(mlx_optimizer([0.1]), T_0, T_mult, 1e-3)
        ours.step(epoch)
    assert jumped.get_last_lr() == [1e-3]  # torch's jump: eta_min
    assert walked.get_last_lr() == [0.1]  # torch stepping there: the restart
    assert ours.get_last_lr() == walked.get_last_lr()
    assert (ours.T_cur, ours.T_i) == (walked.T_cur, walked.T_i)


def test_step_epoch_matches_stepping_there_at_every_integer_epoch():
    # Oracle: torch's step() path, which counts restarts instead of taking a logarithm.
    for T_0, T_mult in [(1, 3), (1, 10), (2, 2), (3, 9), (4, 5)]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            walked = TORCH.CosineAnnealingWarmRestarts(torch_optimizer([0.1]), T_0, T_mult)
            ours = CosineAnnealingWarmRestarts(mlx_optimizer([0.1]), T_0, T_mult)
            for epoch in range(1, 400):
                walked.step()
                ours.step(epoch)
                assert ours.get_last_lr() == walked.get_last_lr(), (T_0, T_mult, epoch)


# -- bad input ---------------------------------------------------------------------------


def torch_cawr(**kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return TORCH.CosineAnnealingWarmRestarts(torch_optimizer([0.1]), **kwargs)


@pytest.mark.parametrize(
    ("name", "kwargs", "error", "torch_error"),
    [
        ("T_0", {"T_0": 0}, ValueError, ValueError),
        ("T_0", {"T_0": -3}, ValueError, ValueError),
        ("T_0", {"T_0": 2.0}, TypeError, ValueError),
        ("T_0", {"T_0": True}, TypeError, None),
        ("T_mult", {"T_0": 5, "T_mult": 0}, ValueError, ValueError),
        ("T_mult", {"T_0": 5, "T_mult": 1.5}, TypeError, ValueError),
        ("eta_min", {"T_0": 5, "eta_min": "0"}, TypeError, ValueError),
        ("eta_min", {"T_0": 5, "eta_min": -0.01}, ValueError, None),
        ("eta_min", {"T_0": 5, "eta_min": math.nan}, ValueError, None),
        ("last_epoch", {"T_0": 5, "last_epoch": -2}, ValueError, KeyError),
    ],
)
def test_bad_arguments_raise_at_construction(name, kwargs, error, torch_error):
    if torch_error is None:
        torch_cawr(**kwargs)  # torch accepts it
    else:
        with pytest.raises(torch_error):
            torch_cawr(**kwargs)
    with pytest.raises(error, match=name):
        CosineAnnealingWarmRestarts(optim.SGD(learning_rate=0.1), **kwargs)


def test_negative_eta_min_gives_torch_a_negative_lr():
    t = torch_cawr(T_0=4, eta_min=-0.05)
    for _ in range(3):
        t.step()
    assert t.get_last_lr()[0] < 0
    with pytest.raises(ValueError, match=r"eta_min must be in \[0.0, inf\), but got -0.05"):
        CosineAnnealingWarmRestarts(optim.SGD(learning_rate=0.1), 4, eta_min=-0.05)


@pytest.mark.parametrize(
    ("epoch", "error"),
    [
        (-1, ValueError),
        (-0.5, ValueError),
        (math.inf, ValueError),
        (math.nan, ValueError),
        ("3", TypeError),
        (True, TypeError),
        (mx.array(3.0), TypeError),
    ],
)
def test_bad_step_epoch_raises_and_changes_nothing(epoch, error):
    t = torch_cawr(T_0=10, T_mult=2)
    if isinstance(epoch, float) and not math.isfinite(epoch):
        # torch sets T_cur = nan (inf % T_0 or nan), then fails in floor(): a half-applied step.
        t = torch_cawr(T_0=10)
        with contextlib.suppress(ValueError, OverflowError):
            t.step(epoch)
        assert math.isnan(t.T_cur)
    elif isinstance(epoch, str):
        with pytest.raises(TypeError):
            t.step(epoch)
    elif isinstance(epoch, (bool, mx.array)):
        t.step(epoch)  # torch accepts it (an mx.array epoch makes T_cur an mx.array)
    else:
        with pytest.raises(ValueError, match="Expected non-negative epoch"):
            t.step(epoch)
    opt = optim.SGD(learning_rate=0.1)
    ours = CosineAnnealingWarmRestarts(opt, 10, 2)
    ours.step(3.5)
    before = (ours.T_cur, ours.T_i, ours.last_epoch, ours.get_last_lr(), opt.learning_rate.item())
    with pytest.raises(error, match="epoch"):
        ours.step(epoch)
    after = (ours.T_cur, ours.T_i, ours.last_epoch, ours.get_last_lr(), opt.learning_rate.item())
    assert after == before


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("T_0", 0),
        ("T_i", 1.5),
        ("T_mult", -1),
        ("eta_min", -1.0),
        ("T_cur", -0.5),
        ("T_cur", math.nan),
    ],
)
def test_bad_state_dict_raises_before_changing_anything(key, value):
    ours = CosineAnnealingWarmRestarts(optim.SGD(learning_rate=0.1), 10, 2)
    for _ in range(4):
        ours.step()
    state = ours.state_dict()
    fresh = CosineAnnealingWarmRestarts(optim.SGD(learning_rate=0.1), 3)
    before = fresh.state_dict()
    with pytest.raises((TypeError, ValueError), match=key):
        fresh.load_state_dict({**state, key: value})
    assert fresh.state_dict() == before


# -- under mx.compile ----------------------------------------------------------------------


def test_per_batch_sgdr_drives_a_compiled_step_without_retrace():
    model = nn.Linear(3, 1)
    opt = optim.SGD(learning_rate=0.1)
    scheduler = CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
    opt.init(model.trainable_parameters())
    state = [model.state, opt.state]
    traces = []
    x, y = mx.ones((4, 3)), mx.zeros((4, 1))

    def train_step():
        traces.append(1)
        loss, grads = nn.value_and_grad(model, lambda m: nn.losses.mse_loss(m(x), y))(model)
        opt.update(model, grads)
        return loss

    compiled = mx.compile(train_step, inputs=state, outputs=state)
    iters = 3
    for epoch in range(4):
        for i in range(iters):
            before = model.weight
            lr = opt.learning_rate.item()
            assert lr == pytest.approx(scheduler.get_last_lr()[0], rel=1e-7)
            grad = nn.value_and_grad(model, lambda m: nn.losses.mse_loss(m(x), y))(model)[1]
            compiled()
            mx.eval(state)
            assert mx.allclose(model.weight, before - lr * grad["weight"], rtol=1e-6)
            scheduler.step(epoch + i / iters)
    assert len(traces) == 1


# -- hypothesis: random configurations, bit-exact with torch --------------------------------


# Initial LRs as users write them: the group reads its LR back from the optimizer's float32
# state as the shortest decimal that rounds to it (param_groups.py), so 0.1234, not 1/3.
DECIMAL_LRS = decimal_lrs(-7)


@hs.composite
def cawr_runs(draw):
    T_0 = draw(hs.integers(1, 12))
    T_mult = draw(hs.integers(1, 4))
    eta_min = draw(hs.sampled_from([0.0, 1e-5, 0.003, 0.2]))
    lrs = tuple(draw(hs.lists(DECIMAL_LRS, min_size=1, max_size=2)))
    style = draw(hs.sampled_from(["epochs", "batches", "jumps"]))
    if style == "epochs":
        args = [()] * draw(hs.integers(1, 60))
    elif style == "batches":
        iters = draw(hs.integers(1, 9))
        args = [(e + i / iters,) for e in range(draw(hs.integers(1, 12))) for i in range(iters)]
    else:
        jump = hs.one_of(hs.just(()), hs.tuples(hs.integers(0, 200)), hs.tuples(hs.floats(0, 200)))
        args = draw(hs.lists(jump, min_size=1, max_size=40))
    resume_at = draw(hs.one_of(hs.none(), hs.integers(0, len(args) - 1)))
    return (T_0, T_mult, eta_min), lrs, args, resume_at


@given(cawr_runs())
def test_random_configurations_bit_exact_with_torch(run):
    (T_0, T_mult, eta_min), lrs, args, resume_at = run
    assume(all(torch_jump_is_exact(a[0], T_0, T_mult) for a in args if a))
    histories = run_both(
        sgdr(T_0, T_mult, eta_min), len(args), lrs, resume_at=resume_at, step_args=lambda k: args[k]
    )
    assert first_mismatch(*histories) is None
