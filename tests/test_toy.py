"""Lesson 1's toy: the learned f against PyTorch, torch.optim.SGD, the identity target, determinism."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from core.errors import CoreError
from core.lessons.toy import TARGETS, ToyConfig, build_f, init_f, run_toy


def _load(cfg: ToyConfig, state: dict) -> torch.nn.Module:
    f = build_f(cfg)
    f.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    return f.eval()


@pytest.fixture(scope="module")
def default_2x():
    return run_toy(ToyConfig(target="2x"))


@pytest.fixture(scope="module")
def identity():
    return run_toy(ToyConfig(target="x"))


def test_learned_f_is_the_pytorch_evaluation_of_the_trained_weights(default_2x):
    cfg = default_2x.config
    grid = torch.from_numpy(default_2x.x_grid).float().unsqueeze(1)  # (n_grid, 1)
    for run in (default_2x.plain, default_2x.skip):
        with torch.no_grad():
            f = _load(cfg, run.state)(grid).squeeze(1).double().numpy()
        np.testing.assert_allclose(run.f_grid, f, rtol=0, atol=1e-6)
        expected_y = f + default_2x.x_grid if run.skip else f
        np.testing.assert_allclose(run.y_grid, expected_y, rtol=0, atol=1e-6)


@pytest.mark.parametrize("skip", [False, True])
def test_training_matches_torch_optim_sgd(skip):
    """The hand-written update is torch.optim.SGD's: same losses and weights step by step."""
    cfg = ToyConfig(target="sin", steps=60, weight_decay=1e-2, momentum=0.9, lr=0.02, seed=3)
    run = run_toy(cfg).skip if skip else run_toy(cfg).plain

    torch.manual_seed(cfg.seed)
    f = build_f(cfg)
    opt = torch.optim.SGD(f.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    x = torch.linspace(-cfg.x_max, cfg.x_max, cfg.n_train).unsqueeze(1)
    h = torch.sin(2 * x)
    losses = []
    for _ in range(cfg.steps):
        out = f(x) + x if skip else f(x)
        loss = F.mse_loss(out, h)
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    np.testing.assert_allclose(run.losses, losses, rtol=1e-5, atol=1e-7)
    for name, p in f.state_dict().items():
        np.testing.assert_allclose(run.state[name], p.numpy(), rtol=1e-5, atol=1e-6)


def test_identity_target_residual_branch_goes_to_zero(identity):
    f_skip = identity.skip.f_grid
    assert identity.skip.f_rms < 0.01
    assert np.abs(f_skip).max() < 0.02
    # Without the skip, f itself must become the identity.
    assert identity.plain.f_target_rms_error < 0.05
    np.testing.assert_allclose(identity.plain.f_grid, identity.x_grid, atol=0.1)
    assert identity.skip.steps_to_threshold is not None
    assert identity.plain.steps_to_threshold is not None
    assert identity.skip.steps_to_threshold < identity.plain.steps_to_threshold


def test_double_target_skip_learns_x_and_gets_there_sooner(default_2x):
    # With the skip, f approaches H(x) − x = x; without, f approaches 2x.
    np.testing.assert_allclose(default_2x.residual_grid, default_2x.x_grid, atol=1e-6)
    assert default_2x.skip.f_target_rms_error < 0.05
    assert default_2x.plain.f_target_rms_error < 0.05
    assert default_2x.skip.steps_to_threshold < default_2x.plain.steps_to_threshold


def test_steps_to_threshold_is_the_first_step_below_it(default_2x):
    thr = default_2x.config.threshold
    for run in (default_2x.plain, default_2x.skip):
        s = run.steps_to_threshold
        assert run.losses[s] <= thr
        assert np.all(run.losses[:s] > thr)
        assert run.diverged_at is None
        assert len(run.losses) == default_2x.config.steps


def test_skip_run_starts_at_the_residual_loss(default_2x):
    """Step 0 is at the shared initial weights: the losses differ only by the +x."""
    cfg = default_2x.config
    f0 = init_f(cfg)
    x = torch.linspace(-cfg.x_max, cfg.x_max, cfg.n_train).unsqueeze(1)
    with torch.no_grad():
        assert default_2x.plain.losses[0] == pytest.approx(F.mse_loss(f0(x), 2 * x).item(), rel=1e-6)
        assert default_2x.skip.losses[0] == pytest.approx(F.mse_loss(f0(x) + x, 2 * x).item(), rel=1e-6)


def test_weight_decay_drives_the_residual_weights_to_zero_not_the_plain_ones():
    """Seed 002: with weight decay, F = 0 is the easy solution; the identity without a skip is not."""
    r = run_toy(ToyConfig(target="x", weight_decay=0.05))
    assert r.skip.f_rms < 1e-3 and r.skip.weight_norm < 0.2 * r.plain.weight_norm
    assert r.skip.final_loss < r.config.threshold < r.plain.final_loss
    expected = np.sqrt(sum(float((v.astype(np.float64) ** 2).sum()) for v in r.plain.state.values()))
    assert r.plain.weight_norm == pytest.approx(expected, rel=1e-6)


def test_deterministic_and_leaves_global_rng_alone():
    cfg = ToyConfig(target="x+sin", steps=40, seed=7)
    state = torch.random.get_rng_state()
    a, b = run_toy(cfg), run_toy(cfg)
    assert torch.equal(state, torch.random.get_rng_state())
    for ra, rb in ((a.plain, b.plain), (a.skip, b.skip)):
        np.testing.assert_array_equal(ra.losses, rb.losses)
        np.testing.assert_array_equal(ra.f_grid, rb.f_grid)
    other = run_toy(replace(cfg, seed=8))
    assert not np.array_equal(a.plain.losses, other.plain.losses)


@pytest.mark.parametrize("lr", [1.0, 50.0])
def test_divergence_is_reported_not_raised(lr):
    r = run_toy(ToyConfig(lr=lr, steps=200))
    for run in (r.plain, r.skip):
        assert run.diverged_at is not None
        assert len(run.losses) == run.diverged_at
        assert np.all(np.isfinite(run.losses))
        assert np.all(np.isnan(run.f_grid))
        assert run.steps_to_threshold is None


def test_every_target_runs():
    for target in TARGETS:
        r = run_toy(ToyConfig(target=target, steps=5))
        assert r.plain.losses.shape == (5,) and r.skip.losses.shape == (5,)


@pytest.mark.parametrize(
    "change, code",
    [
        (dict(target="3x"), "bad_choice"),
        (dict(activation="gelu"), "bad_choice"),
        (dict(lr=0.0), "out_of_range"),
        (dict(lr=float("nan")), "out_of_range"),
        (dict(depth=0), "out_of_range"),
        (dict(steps=10_000), "out_of_range"),
        (dict(weight_decay=-1.0), "out_of_range"),
    ],
)
def test_bad_config_is_a_core_error(change, code):
    with pytest.raises(CoreError) as err:
        run_toy(replace(ToyConfig(), **change))
    assert err.value.code == code
    assert err.value.params["name"] == next(iter(change))
