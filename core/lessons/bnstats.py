"""Lesson 5: BatchNorm's statistics by hand, next to ``nn.BatchNorm2d``.

Per channel c, over the m = N·H·W values of a batch (N, C, H, W):
    μ_B = mean(x),  σ²_B = mean((x − μ_B)²)  (biased),  x̂ = (x − μ_B) / √(σ²_B + ε),  y = γ·x̂ + β.
Training also updates running statistics with the *unbiased* variance σ²_B · m/(m − 1):
    running ← (1 − momentum)·running + momentum·batch_stat   (momentum=None: cumulative average),
and eval mode normalises with the running statistics instead of the batch's.
By hand in float64 NumPy; PyTorch runs in float32, as in a network.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import nn

from core.errors import BadShape, BatchNormOneValue, NotANumber, OutOfRange


@dataclass(frozen=True)
class BatchSpec:
    n: int = 8  # batch size N
    channels: int = 3  # C
    height: int = 4  # H
    width: int = 4  # W
    means: tuple[float, ...] = (0.0, 3.0, -2.0)  # per-channel mean of the data: C numbers, or 1 for all
    stds: tuple[float, ...] = (1.0, 0.5, 2.0)  # per-channel standard deviation of the data
    seed: int = 0  # batch i of a stream is drawn from (seed, i)


def _per_channel(name: str, values, channels: int) -> np.ndarray:
    """A scalar or a sequence of 1 or C numbers as a (C,) float64 array."""
    try:
        arr = np.atleast_1d(np.array(values, dtype=np.float64))
    except (TypeError, ValueError):
        raise NotANumber(name) from None
    if arr.ndim != 1 or len(arr) not in (1, channels):
        raise BadShape(name, arr.shape, (channels,))
    if not np.all(np.isfinite(arr)):
        raise NotANumber(name)
    return np.resize(arr, channels)


def validate_spec(spec: BatchSpec) -> None:
    """Raise a CoreError for a batch the lesson does not offer."""
    for name, value, low, high in (
        ("n", spec.n, 1, 256), ("channels", spec.channels, 1, 8),
        ("height", spec.height, 1, 32), ("width", spec.width, 1, 32),
    ):
        if not (low <= value <= high):
            raise OutOfRange(name, value, low, high)
    means = _per_channel("means", spec.means, spec.channels)
    stds = _per_channel("stds", spec.stds, spec.channels)
    if np.abs(means).max() > 100:
        raise OutOfRange("means", float(np.abs(means).max()), -100, 100)
    if stds.min() < 0 or stds.max() > 100:
        raise OutOfRange("stds", float(stds.min() if stds.min() < 0 else stds.max()), 0, 100)


def make_batch(spec: BatchSpec = BatchSpec(), index: int = 0) -> np.ndarray:
    """Batch ``index`` of a stream: (N, C, H, W) float32, channel c ~ N(means[c], stds[c]²)."""
    validate_spec(spec)
    rng = np.random.default_rng([spec.seed, index])
    shape = (spec.n, spec.channels, spec.height, spec.width)
    mu = _per_channel("means", spec.means, spec.channels)[None, :, None, None]
    sd = _per_channel("stds", spec.stds, spec.channels)[None, :, None, None]
    return (mu + sd * rng.standard_normal(shape)).astype(np.float32)


def _check_train(x: np.ndarray) -> None:
    """PyTorch refuses train mode with one value per channel (its variance would be 0/0)."""
    if x.ndim != 4:
        raise BadShape("x", x.shape, ("N", "C", "H", "W"))
    n, _, h, w = x.shape
    if n * h * w == 1:
        raise BatchNormOneValue(n, h, w)


def _torch_bn(channels: int, gamma, beta, eps: float, momentum: float | None) -> nn.BatchNorm2d:
    bn = nn.BatchNorm2d(channels, eps=eps, momentum=momentum)
    with torch.no_grad():
        bn.weight.copy_(torch.as_tensor(gamma, dtype=torch.float32))
        bn.bias.copy_(torch.as_tensor(beta, dtype=torch.float32))
    return bn


def _check_eps(eps: float) -> None:
    if not (0 < eps <= 1) or not math.isfinite(eps):
        raise OutOfRange("eps", eps, "> 0", 1)


@dataclass(frozen=True)
class TrainStep:
    x: np.ndarray  # (N, C, H, W) the batch
    count: int  # m = N·H·W values per channel
    mean: np.ndarray  # (C,) μ_B
    var_biased: np.ndarray  # (C,) σ²_B = mean((x − μ_B)²): what train mode divides by
    var_unbiased: np.ndarray  # (C,) σ²_B · m/(m − 1): what the running variance is fed
    x_hat: np.ndarray  # (N, C, H, W) (x − μ_B) / √(σ²_B + ε)
    y: np.ndarray  # (N, C, H, W) γ·x̂ + β, by hand
    y_torch: np.ndarray  # (N, C, H, W) nn.BatchNorm2d in train mode
    max_diff: float  # max |y − y_torch|
    torch_mean: np.ndarray  # (C,) the batch mean PyTorch used (its running mean after one step, momentum 1)
    torch_var_unbiased: np.ndarray  # (C,) the variance PyTorch fed to its running variance
    gamma: np.ndarray  # (C,)
    beta: np.ndarray  # (C,)
    eps: float


def batchnorm_train(x: np.ndarray, gamma=1.0, beta=0.0, eps: float = 1e-5) -> TrainStep:
    """Train-mode BatchNorm of one batch, by hand and by ``nn.BatchNorm2d``."""
    x = np.asarray(x, dtype=np.float32)
    _check_train(x)
    _check_eps(eps)
    c = x.shape[1]
    g, b = _per_channel("gamma", gamma, c), _per_channel("beta", beta, c)
    xd = x.astype(np.float64)
    m = x.shape[0] * x.shape[2] * x.shape[3]
    mean = xd.mean(axis=(0, 2, 3))  # (C,)
    var = ((xd - mean[None, :, None, None]) ** 2).mean(axis=(0, 2, 3))  # (C,) biased
    x_hat = (xd - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + eps)
    y = g[None, :, None, None] * x_hat + b[None, :, None, None]

    bn = _torch_bn(c, g, b, eps, momentum=1.0).train()  # momentum 1: running stats = this batch's
    with torch.no_grad():
        y_torch = bn(torch.from_numpy(x)).double().numpy()
    return TrainStep(
        x=x, count=m, mean=mean, var_biased=var, var_unbiased=var * m / (m - 1), x_hat=x_hat, y=y,
        y_torch=y_torch, max_diff=float(np.abs(y - y_torch).max()),
        torch_mean=bn.running_mean.double().numpy(), torch_var_unbiased=bn.running_var.double().numpy(),
        gamma=g, beta=b, eps=eps,
    )


@dataclass(frozen=True)
class RunningTrace:
    momentum: float | None  # None: cumulative average
    batch_mean: np.ndarray  # (T, C) μ_B of each batch
    batch_var_unbiased: np.ndarray  # (T, C)
    hand_mean: np.ndarray  # (T + 1, C) running mean by hand; row 0 is PyTorch's start, 0
    hand_var: np.ndarray  # (T + 1, C) running variance by hand; row 0 is 1
    torch_mean: np.ndarray  # (T + 1, C) nn.BatchNorm2d.running_mean after each batch
    torch_var: np.ndarray  # (T + 1, C) nn.BatchNorm2d.running_var
    max_diff_mean: float  # max over steps and channels of |hand − torch|
    max_diff_var: float
    num_batches_tracked: int
    population_mean: np.ndarray  # (C,) the means the batches are drawn from
    population_var: np.ndarray  # (C,) stds²


def running_stats(spec: BatchSpec = BatchSpec(), steps: int = 30, momentum: float | None = 0.1) -> RunningTrace:
    """Feed ``steps`` batches of the stream to a BatchNorm2d in train mode; running stats by hand alongside."""
    validate_spec(spec)
    if not (1 <= steps <= 500):
        raise OutOfRange("steps", steps, 1, 500)
    if momentum is not None and not (0 <= momentum <= 1):
        raise OutOfRange("momentum", momentum, 0, 1)
    c = spec.channels
    bn = nn.BatchNorm2d(c, momentum=momentum).train()
    hand_mean, hand_var = [np.zeros(c)], [np.ones(c)]  # PyTorch's initial running statistics
    torch_mean, torch_var = [bn.running_mean.double().numpy().copy()], [bn.running_var.double().numpy().copy()]
    b_means, b_vars = [], []
    for t in range(steps):
        x = make_batch(spec, t)
        _check_train(x)
        xd = x.astype(np.float64)
        m = x.shape[0] * x.shape[2] * x.shape[3]
        mu = xd.mean(axis=(0, 2, 3))
        var_u = ((xd - mu[None, :, None, None]) ** 2).sum(axis=(0, 2, 3)) / (m - 1)
        # momentum=None: factor 1/t, so the running value is the plain average of the t batches so far.
        f = 1.0 / (t + 1) if momentum is None else momentum
        hand_mean.append((1 - f) * hand_mean[-1] + f * mu)
        hand_var.append((1 - f) * hand_var[-1] + f * var_u)
        with torch.no_grad():
            bn(torch.from_numpy(x))
        torch_mean.append(bn.running_mean.double().numpy().copy())
        torch_var.append(bn.running_var.double().numpy().copy())
        b_means.append(mu)
        b_vars.append(var_u)
    hm, hv, tm, tv = map(np.array, (hand_mean, hand_var, torch_mean, torch_var))
    return RunningTrace(
        momentum=momentum, batch_mean=np.array(b_means), batch_var_unbiased=np.array(b_vars),
        hand_mean=hm, hand_var=hv, torch_mean=tm, torch_var=tv,
        max_diff_mean=float(np.abs(hm - tm).max()), max_diff_var=float(np.abs(hv - tv).max()),
        num_batches_tracked=int(bn.num_batches_tracked),
        population_mean=_per_channel("means", spec.means, c), population_var=_per_channel("stds", spec.stds, c) ** 2,
    )


@dataclass(frozen=True)
class EvalStep:
    y: np.ndarray  # (N, C, H, W) γ·(x − running_mean)/√(running_var + ε) + β, by hand
    y_torch: np.ndarray  # (N, C, H, W) nn.BatchNorm2d in eval mode with those running statistics
    max_diff: float  # max |y − y_torch|
    y_train: np.ndarray  # (N, C, H, W) train mode on the same batch (batch statistics), for contrast
    train_eval_gap: float  # max |y_train − y|: how much the mode changes the output (NaN for N·H·W = 1)


def batchnorm_eval(x: np.ndarray, running_mean, running_var, gamma=1.0, beta=0.0, eps: float = 1e-5) -> EvalStep:
    """Eval-mode BatchNorm with given running statistics, by hand and by ``nn.BatchNorm2d``.

    Eval mode needs no batch statistics, so a single value per channel (N = H = W = 1) is fine here.
    """
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 4:
        raise BadShape("x", x.shape, ("N", "C", "H", "W"))
    _check_eps(eps)
    c = x.shape[1]
    rm, rv = _per_channel("running_mean", running_mean, c), _per_channel("running_var", running_var, c)
    if rv.min() < 0:
        raise OutOfRange("running_var", float(rv.min()), 0, "∞")
    g, b = _per_channel("gamma", gamma, c), _per_channel("beta", beta, c)
    rs = (slice(None), None, None)  # (C,) → (C, 1, 1), broadcast over (N, C, H, W)
    y = g[rs] * (x.astype(np.float64) - rm[rs]) / np.sqrt(rv[rs] + eps) + b[rs]

    bn = _torch_bn(c, g, b, eps, momentum=0.1)
    with torch.no_grad():
        bn.running_mean.copy_(torch.from_numpy(rm))
        bn.running_var.copy_(torch.from_numpy(rv))
        y_torch = bn.eval()(torch.from_numpy(x)).double().numpy()
    n, _, h, w = x.shape
    if n * h * w > 1:
        y_train = batchnorm_train(x, g, b, eps).y
        gap = float(np.abs(y_train - y).max())
    else:  # train mode has no batch statistics for a single value
        y_train, gap = np.full_like(y, np.nan), math.nan
    return EvalStep(y, y_torch, float(np.abs(y - y_torch).max()), y_train, gap)


@dataclass(frozen=True)
class SmallBatchSpread:
    batch_sizes: tuple[int, ...]  # N for each row
    count: np.ndarray  # (k,) m = N·H·W
    mean_std: np.ndarray  # (k, C) spread (std over trials) of μ_B
    mean_std_theory: np.ndarray  # (k, C) σ/√m, the standard error of a mean of m values
    var_avg_biased: np.ndarray  # (k, C) average σ²_B: below σ² by the factor (m − 1)/m
    var_avg_unbiased: np.ndarray  # (k, C) average of σ²_B·m/(m − 1): ≈ σ² (NaN where m = 1)
    var_std: np.ndarray  # (k, C) spread of the biased σ²_B over trials
    population_var: np.ndarray  # (C,) σ²


def small_batch_spread(
    spec: BatchSpec = BatchSpec(), batch_sizes: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64), trials: int = 200
) -> SmallBatchSpread:
    """How much μ_B and σ²_B jump from batch to batch, for each batch size (spatial size from ``spec``)."""
    validate_spec(spec)
    if not (2 <= trials <= 2000):
        raise OutOfRange("trials", trials, 2, 2000)
    if not batch_sizes or min(batch_sizes) < 1 or max(batch_sizes) > 256:
        raise OutOfRange("batch_sizes", tuple(batch_sizes), 1, 256)
    sd = _per_channel("stds", spec.stds, spec.channels)
    rows = {k: [] for k in ("mean_std", "theory", "vb", "vu", "vstd")}
    counts = []
    for n in batch_sizes:
        s = replace(spec, n=n)
        # Trials are batches of one stream (seed, index), as in training.
        xs = np.stack([make_batch(s, i).astype(np.float64) for i in range(trials)])  # (T, N, C, H, W)
        m = n * spec.height * spec.width
        mu = xs.mean(axis=(1, 3, 4))  # (T, C)
        vb = ((xs - mu[:, None, :, None, None]) ** 2).mean(axis=(1, 3, 4))  # (T, C)
        counts.append(m)
        rows["mean_std"].append(mu.std(axis=0))
        rows["theory"].append(sd / math.sqrt(m))
        rows["vb"].append(vb.mean(axis=0))
        rows["vu"].append(vb.mean(axis=0) * m / (m - 1) if m > 1 else np.full(spec.channels, np.nan))
        rows["vstd"].append(vb.std(axis=0))
    return SmallBatchSpread(
        tuple(batch_sizes), np.array(counts), *(np.array(rows[k]) for k in ("mean_std", "theory", "vb", "vu", "vstd")),
        population_var=sd**2,
    )


def bias_cancels(x: np.ndarray, bias, gamma=1.0, beta=0.0, eps: float = 1e-5) -> float:
    """max |BN(x + b) − BN(x)| of ``nn.BatchNorm2d`` in train mode, b a per-channel constant (a conv bias).

    Train mode subtracts the batch mean, which contains b, so the result is 0 up to float32 rounding.
    """
    x = np.asarray(x, dtype=np.float32)
    _check_train(x)
    b = _per_channel("bias", bias, x.shape[1]).astype(np.float32)[None, :, None, None]  # (1, C, 1, 1)
    with_bias = batchnorm_train(x + b, gamma, beta, eps).y_torch
    return float(np.abs(with_bias - batchnorm_train(x, gamma, beta, eps).y_torch).max())
