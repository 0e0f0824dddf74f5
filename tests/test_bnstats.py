"""Lesson 5: BatchNorm statistics by hand against nn.BatchNorm2d (train, running stats, eval)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from core.lessons.bnstats import (
    BatchSpec,
    batchnorm_eval,
    batchnorm_train,
    bias_cancels,
    make_batch,
    running_stats,
    small_batch_spread,
)
from core.errors import CoreError

SPECS = [BatchSpec(), BatchSpec(n=2, channels=1, height=1, width=1, means=(5.0,), stds=(3.0,), seed=1),
         BatchSpec(n=16, channels=5, height=7, width=3, means=(-20.0,), stds=(10.0,), seed=2)]


@pytest.mark.parametrize("spec", SPECS)
def test_train_mode_by_hand_matches_batchnorm2d(spec):
    x = make_batch(spec)
    c = spec.channels
    gamma, beta = np.linspace(0.5, 2.0, c), np.linspace(-1.0, 1.0, c)
    r = batchnorm_train(x, gamma, beta, eps=1e-3)
    bn = nn.BatchNorm2d(c, eps=1e-3).train()
    with torch.no_grad():
        bn.weight.copy_(torch.from_numpy(gamma))
        bn.bias.copy_(torch.from_numpy(beta))
        y = bn(torch.from_numpy(x)).double().numpy()
    assert np.abs(r.y - y).max() <= 1e-5
    assert r.max_diff == pytest.approx(np.abs(r.y - r.y_torch).max()) and r.max_diff <= 1e-5
    var, mean = torch.var_mean(torch.from_numpy(x).double(), dim=(0, 2, 3), unbiased=False)
    np.testing.assert_allclose(r.mean, mean.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(r.var_biased, var.numpy(), rtol=1e-12)
    np.testing.assert_allclose(r.mean, r.torch_mean, atol=1e-5)
    np.testing.assert_allclose(r.var_unbiased, r.torch_var_unbiased, rtol=1e-5)
    # x̂ has mean 0 and (biased) variance σ²/(σ² + ε) in every channel.
    np.testing.assert_allclose(r.x_hat.mean(axis=(0, 2, 3)), 0, atol=1e-10)
    np.testing.assert_allclose(r.x_hat.var(axis=(0, 2, 3)), r.var_biased / (r.var_biased + 1e-3), rtol=1e-10)


def test_biased_and_unbiased_variance():
    r = batchnorm_train(make_batch(BatchSpec(n=2, height=2, width=2)))
    m = 2 * 2 * 2
    assert r.count == m
    np.testing.assert_allclose(r.var_unbiased / r.var_biased, m / (m - 1), rtol=1e-12)
    np.testing.assert_allclose(r.var_unbiased, np.var(r.x.astype(np.float64), axis=(0, 2, 3), ddof=1), rtol=1e-12)


@pytest.mark.parametrize("momentum", [0.1, 0.5, 1.0, None])
def test_running_statistics_match_pytorch_at_every_step(momentum):
    spec = BatchSpec(n=4, height=3, width=3)
    r = running_stats(spec, steps=25, momentum=momentum)
    assert r.hand_mean.shape == r.torch_mean.shape == (26, 3)
    assert r.max_diff_mean <= 1e-5 and r.max_diff_var <= 1e-5
    np.testing.assert_allclose(r.hand_var, r.torch_var, atol=1e-5)
    assert r.num_batches_tracked == 25
    # Each batch is the stream's batch t, and its statistics are what was fed in.
    x3 = make_batch(spec, 3).astype(np.float64)
    np.testing.assert_allclose(r.batch_mean[3], x3.mean(axis=(0, 2, 3)), rtol=1e-12)
    np.testing.assert_allclose(r.batch_var_unbiased[3], x3.var(axis=(0, 2, 3), ddof=1), rtol=1e-12)
    if momentum is None:  # cumulative average of the batch statistics
        np.testing.assert_allclose(r.hand_mean[-1], r.batch_mean.mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(r.hand_var[-1], r.batch_var_unbiased.mean(axis=0), rtol=1e-12)
    elif momentum == 1.0:  # the last batch only
        np.testing.assert_allclose(r.hand_mean[-1], r.batch_mean[-1], rtol=1e-12)


def test_running_statistics_approach_the_population():
    r = running_stats(BatchSpec(n=32), steps=200, momentum=None)
    np.testing.assert_allclose(r.hand_mean[-1], r.population_mean, atol=0.05)
    np.testing.assert_allclose(r.hand_var[-1], r.population_var, rtol=0.05)


def test_eval_mode_uses_running_statistics():
    spec = BatchSpec()
    trace = running_stats(spec, steps=10)
    x = make_batch(spec, index=99)
    r = batchnorm_eval(x, trace.torch_mean[-1], trace.torch_var[-1], gamma=[1.0, 2.0, 0.5], beta=0.3)
    assert r.max_diff <= 1e-5
    # Eval output of a sample does not depend on the rest of the batch; train output does.
    alone = batchnorm_eval(x[:1], trace.torch_mean[-1], trace.torch_var[-1], gamma=[1.0, 2.0, 0.5], beta=0.3)
    np.testing.assert_allclose(alone.y, r.y[:1], rtol=1e-12)
    assert r.train_eval_gap > 1e-3


def test_eval_mode_accepts_a_single_value_per_channel():
    x = np.array([[[[2.0]], [[-1.0]]]], dtype=np.float32)  # (1, 2, 1, 1)
    r = batchnorm_eval(x, running_mean=[1.0, 0.0], running_var=[4.0, 1.0], eps=1e-5)
    np.testing.assert_allclose(r.y.ravel(), [1 / np.sqrt(4 + 1e-5), -1 / np.sqrt(1 + 1e-5)], rtol=1e-12)
    assert r.max_diff <= 1e-6
    assert np.all(np.isnan(r.y_train)) and np.isnan(r.train_eval_gap)


def test_small_batches_have_noisy_statistics():
    s = small_batch_spread(BatchSpec(height=2, width=2), batch_sizes=(1, 4, 16, 64), trials=400)
    assert s.count.tolist() == [4, 16, 64, 256]
    # The spread of μ_B is σ/√m: within 15 % of the theory, and it shrinks with the batch.
    np.testing.assert_allclose(s.mean_std, s.mean_std_theory, rtol=0.15)
    assert np.all(np.diff(s.mean_std, axis=0) < 0)
    # The biased variance is low by (m − 1)/m on average; the unbiased one is not.
    ratio = np.broadcast_to(((s.count - 1) / s.count)[:, None], s.var_avg_biased.shape)
    np.testing.assert_allclose(s.var_avg_biased / s.var_avg_unbiased, ratio, rtol=1e-12)
    np.testing.assert_allclose(s.var_avg_biased[0], s.population_var * 3 / 4, rtol=0.15)
    np.testing.assert_allclose(s.var_avg_unbiased[-1], s.population_var, rtol=0.05)


def test_batches_are_seeded():
    np.testing.assert_array_equal(make_batch(BatchSpec(), 2), make_batch(BatchSpec(), 2))
    assert not np.array_equal(make_batch(BatchSpec(), 2), make_batch(BatchSpec(), 3))
    assert not np.array_equal(make_batch(BatchSpec()), make_batch(replace(BatchSpec(), seed=1)))


def test_one_value_per_channel_in_train_mode_is_refused_as_pytorch_does():
    x = make_batch(BatchSpec(n=1, height=1, width=1))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm2d(3).train()(torch.from_numpy(x))
    with pytest.raises(CoreError) as err:
        batchnorm_train(x)
    assert err.value.code == "bn_one_value" and err.value.params == {"n": 1, "height": 1, "width": 1}
    with pytest.raises(CoreError) as err:
        running_stats(BatchSpec(n=1, height=1, width=1), steps=3)
    assert err.value.code == "bn_one_value"
    batchnorm_train(make_batch(BatchSpec(n=2, height=1, width=1)))  # two values are enough


@pytest.mark.parametrize(
    "call, code",
    [
        (lambda: batchnorm_train(make_batch(), gamma=[1.0, 2.0]), "bad_shape"),
        (lambda: batchnorm_train(make_batch(), eps=0.0), "out_of_range"),
        (lambda: batchnorm_train(make_batch()[0]), "bad_shape"),
        (lambda: running_stats(momentum=1.5), "out_of_range"),
        (lambda: make_batch(BatchSpec(n=0)), "out_of_range"),
        (lambda: make_batch(BatchSpec(means=(0.0, 1.0))), "bad_shape"),
        (lambda: make_batch(BatchSpec(stds=(-1.0,))), "out_of_range"),
        (lambda: make_batch(BatchSpec(means=(float("inf"),))), "not_a_number"),
        (lambda: batchnorm_eval(make_batch(), [0.0] * 3, [-1.0] * 3), "out_of_range"),
        (lambda: small_batch_spread(trials=1), "out_of_range"),
    ],
)
def test_bad_inputs_are_core_errors(call, code):
    with pytest.raises(CoreError) as err:
        call()
    assert err.value.code == code


def test_a_constant_per_channel_bias_is_cancelled_by_train_mode():
    x = make_batch(BatchSpec())
    assert bias_cancels(x, [2.0, -7.5, 30.0], gamma=[1.0, 2.0, 0.5], beta=0.3) <= 1e-5
    bn = nn.BatchNorm2d(3).train()
    with torch.no_grad():
        shifted = bn(torch.from_numpy(x) + 4.0)
        plain = bn(torch.from_numpy(x))
    assert bias_cancels(x, 4.0) == pytest.approx(float((shifted - plain).abs().max()), abs=1e-7)
    with pytest.raises(CoreError) as err:
        bias_cancels(make_batch(BatchSpec(n=1, height=1, width=1)), 1.0)
    assert err.value.code == "bn_one_value"
