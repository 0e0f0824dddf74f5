"""Lesson 7, kinds of skip connections: what its charts compute and the tasks it trains.

- add vs concatenate: channels each layer receives, and the cost of a residual vs a dense stage,
  measured on the real modules; DenseNet-121 vs ResNet-50;
- the live comparisons as engine configs (DenseNet / ResNet / plain; identity / gated / scaled);
- tasks for the job engine: ``DenseReuseTask`` (train a DenseNet, then Huang et al.'s feature-reuse
  map) and ``DenoiseTask`` (a small encoder–decoder with or without long skips restores digits);
- which sentence of the lesson is true for a live number (``trend``, ``gate_lean``, ``reuse_moved``,
  ``long_reading``): the page picks a section by these, never a sentence that presumes a direction.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from core.errors import BadChoice, OutOfRange
from core.models.blocks import BasicBlock
from core.models.densenet import DenseBlock, dense_input_channels, densenet121, densenet_cifar, feature_reuse
from core.models.resnet import resnet50
from core.models.unet import EncoderDecoder
from core.training.data import digits_arrays, digits_split, load_dataset
from core.training.engine import TrainConfig, build_model, train
from core.training.tasks import EpochRecord, Limits, Outcome, Result, RunInfo, StepRecord

# ---- Add vs concatenate ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Growth:
    layers: tuple[int, ...]  # ℓ = 1 … L, then L + 1 = the block's output
    add: tuple[int, ...]  # channels with y = F(x) + x: always k₀
    concat: tuple[int, ...]  # k₀ + k·(ℓ − 1), by the formula
    measured: tuple[int, ...]  # the same, read from a real DenseBlock's forward pass


def growth(k0: int, k: int, layers: int) -> Growth:
    """Channels each layer of a dense block receives (formula and real module) vs a residual stage."""
    _check("k0", k0, 1, 512)
    _check("growth", k, 1, 128)
    _check("layers", layers, 1, 48)
    with torch.device("meta"):
        block = DenseBlock(layers, k0, k, bottleneck=True).eval()
    seen: list[int] = []
    hooks = [m.register_forward_pre_hook(lambda _m, args: seen.append(int(args[0].shape[1]))) for m in block.values()]
    with torch.no_grad():
        out = block(torch.zeros(1, k0, 4, 4, device="meta"))
    for h in hooks:
        h.remove()
    ells = tuple(range(1, layers + 2))
    return Growth(ells, (k0,) * len(ells), tuple(dense_input_channels(k0, k, layers)),
                  tuple(seen) + (int(out.shape[1]),))


@dataclass(frozen=True)
class Cost:
    params: int
    macs: int  # multiply-adds of one forward pass (FlopCounterMode / 2)
    out_channels: int


def module_cost(module: nn.Module, input_shape: tuple[int, ...]) -> Cost:
    """Parameters and multiply-adds of a module built on the meta device (no weights allocated)."""
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        out = module.eval()(torch.zeros(input_shape, device="meta"))
    return Cost(sum(p.numel() for p in module.parameters()), counter.get_total_flops() // 2, int(out.shape[1]))


def stage_costs(k0: int, k: int, layers: int, size: int = 8, bottleneck: bool = True) -> tuple[Cost, Cost]:
    """(residual stage, dense stage) on a k₀ × size × size input: ``layers`` basic blocks of k₀
    channels, or a dense block of ``layers`` layers with growth k."""
    _check("k0", k0, 1, 512)
    _check("growth", k, 1, 128)
    _check("layers", layers, 1, 48)
    _check("size", size, 1, 224)
    with torch.device("meta"):
        res = nn.Sequential(*[BasicBlock(k0, k0, 1, skip=True, shortcut="A") for _ in range(layers)])
        dense = DenseBlock(layers, k0, k, bottleneck)
    shape = (1, k0, size, size)
    return module_cost(res, shape), module_cost(dense, shape)


@lru_cache(maxsize=8)
def cifar_dense_params(depth: int, growth_rate: int, bc: bool, num_classes: int = 10) -> int:
    """Parameters of the paper's CIFAR DenseNet, counted on the real (meta) module."""
    with torch.device("meta"):
        return sum(p.numel() for p in densenet_cifar(depth, growth_rate, bc, num_classes).parameters())


def gate_start(bias: float) -> float:
    """α = σ(b_T) with W_T = 0: where every gate starts."""
    return 1.0 / (1.0 + math.exp(-bias))


@lru_cache(maxsize=2)
def imagenet_pair(size: int = 224) -> dict[str, Cost]:
    """DenseNet-121 and ResNet-50, counted on the real (meta) modules at size × size."""
    with torch.device("meta"):
        models = {"densenet121": densenet121(), "resnet50": resnet50()}
    return {name: module_cost(m, (1, 3, size, size)) for name, m in models.items()}


# ---- The live comparisons: engine configs -------------------------------------------------------

# Measured by bench/kinds_latency.py (digits, seeds 0–4): these sizes give nets of about the same
# parameter count (DenseNet-BC-16, k = 24: 172,042; ResNet-14 / Plain-14 on digits: 172,218) that train in a
# few seconds each.
CONCAT_DEPTH, CONCAT_GROWTH, CONCAT_EPOCHS = 14, 24, 3
GATE_DEPTH, GATE_EPOCHS, GATE_LR = 14, 4, 2e-3


def concat_configs(seed: int = 0, epochs: int = CONCAT_EPOCHS) -> list[TrainConfig]:
    """Plain, ResNet and DenseNet of about the same size, same seed and data."""
    base = TrainConfig(depth=CONCAT_DEPTH, epochs=epochs, seed=seed, log_every=2)
    return [base.replace(skip=False), base, base.replace(arch="densenet", width=CONCAT_GROWTH)]


def gate_configs(gate_bias: float, seed: int = 0, epochs: int = GATE_EPOCHS) -> list[TrainConfig]:
    """Identity, gated (b_T = ``gate_bias``) and scaled (α from 0) nets of the same depth and seed."""
    base = TrainConfig(depth=GATE_DEPTH, epochs=epochs, seed=seed, lr=GATE_LR, log_every=2)
    return [base, base.replace(arch="gated", gate_bias=gate_bias), base.replace(arch="scaled")]


# ---- Tasks for the job engine ---------------------------------------------------------------------


@dataclass(frozen=True)
class ReuseMaps:
    """Huang et al.'s Figure 5 per dense block: (layers + 1, layers + 1) mean |w|, NaN where unseen;
    the last row is the transition (or, for the last block, the classifier) after the block."""

    blocks: tuple[np.ndarray, ...]
    initial: tuple[np.ndarray, ...]  # the same maps at initialisation (same seed), for comparison

    def largest_change(self) -> float:
        """max over cells of |trained / initial − 1|: how far training moved the map."""
        return float(max(np.nanmax(np.abs(b / a - 1)) for b, a in zip(self.blocks, self.initial)))


@dataclass(frozen=True)
class DenseReuseTask:
    """Train a DenseNet config (its curves stream as usual), then send the feature-reuse maps."""

    config: TrainConfig

    def validate(self, limits: Limits | None = None) -> None:
        if self.config.arch != "densenet":
            raise BadChoice("arch", self.config.arch, ("densenet",))
        self.config.validate(limits)

    def run(self, emit: Callable, stop: threading.Event | None = None, max_seconds: float | None = None) -> Outcome:
        data = load_dataset(self.config.dataset, self.config.data_dir)
        initial = _reuse_maps(build_model(self.config, data))  # the same seed draws the same start
        trained: list[nn.Module] = []
        outcome = train(self.config, emit, stop, max_seconds, on_model=trained.append)
        if outcome.status == "done":
            emit(Result(ReuseMaps(_reuse_maps(trained[0]), initial)))
        return outcome


def _reuse_maps(model) -> tuple[np.ndarray, ...]:
    return tuple(np.array(feature_reuse(b, c), dtype=np.float32) for b, c in model.reuse_pairs())


CORRUPTIONS = ("noise", "mask")  # Gaussian noise of std `level`, or a fraction `level` of pixels set to 0


@dataclass(frozen=True)
class DenoiseResult:
    inputs: np.ndarray  # (n, 8, 8) corrupted test digits, pixel values in [0, 1] before corruption
    outputs: np.ndarray  # (n, 8, 8) the net's restorations
    targets: np.ndarray  # (n, 8, 8) the clean digits
    test_mse: float  # whole test set, per pixel
    coarse_mse: float  # the part of test_mse in 2×2-block averages of the error
    detail_mse: float  # the rest: error within 2×2 blocks (fine detail); coarse + detail = test_mse


@lru_cache(maxsize=1)
def digit_images() -> tuple[torch.Tensor, torch.Tensor]:
    """(train, test) digits as (N, 1, 8, 8) float tensors in [0, 1] (the engine's fixed split)."""
    images, target = digits_arrays()
    train, test = digits_split(target)
    x = torch.from_numpy(images[:, None] / 16.0).float()
    return x[train], x[test]


def corrupt(x: torch.Tensor, kind: str, level: float, generator: torch.Generator) -> torch.Tensor:
    if kind == "noise":
        return x + level * torch.randn(x.shape, generator=generator)
    return x * (torch.rand(x.shape, generator=generator) >= level)


def split_error(err: torch.Tensor) -> tuple[float, float]:
    """(coarse, detail) mean squares of an error map (N, 1, H, W): block means and what is left."""
    coarse = F.interpolate(F.avg_pool2d(err, 2), scale_factor=2, mode="nearest")
    return float(coarse.pow(2).mean()), float((err - coarse).pow(2).mean())


@dataclass(frozen=True)
class DenoiseTask:
    """Train EncoderDecoder (with or without long skips) to restore corrupted digits, MSE loss, Adam."""

    long_skips: bool = True
    corruption: str = "noise"
    level: float = 0.3  # noise std (pixels run 0…1), or the fraction of pixels dropped
    width: int = 16  # C: channels at the top level (2C, 4C below)
    epochs: int = 12  # 144 steps of 128 digits; bench/kinds_latency.py times it and compares over seeds
    lr: float = 3e-3
    batch_size: int = 128
    seed: int = 0
    shown: int = 6  # test digits sent back as images
    log_every: int = 4

    def validate(self, limits: Limits | None = None) -> None:
        limits = limits or Limits()
        if self.corruption not in CORRUPTIONS:
            raise BadChoice("corruption", self.corruption, CORRUPTIONS)
        _check("level", self.level, 0.0, 0.9 if self.corruption == "mask" else 2.0)
        _check("width", self.width, 1, limits.max_width)
        _check("epochs", self.epochs, 1, limits.max_epochs)
        _check("batch_size", self.batch_size, 2, limits.max_batch_size)
        _check("lr", self.lr, 0.0, 1.0)
        _check("shown", self.shown, 1, 16)
        _check("log_every", self.log_every, 1, 10_000)

    def run(self, emit: Callable, stop: threading.Event | None = None, max_seconds: float | None = None) -> Outcome:
        t0 = time.perf_counter()
        x_train, x_test = digit_images()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            model = EncoderDecoder(1, 1, self.width, self.long_skips)
        opt = torch.optim.Adam(model.parameters(), lr=self.lr)
        g = torch.Generator().manual_seed(self.seed)
        test_in = corrupt(x_test, self.corruption, self.level, torch.Generator().manual_seed(10_000 + self.seed))
        n = len(x_train)
        per_epoch = -(-n // self.batch_size) - (n % self.batch_size == 1)
        emit(RunInfo(model.name, sum(p.numel() for p in model.parameters()), (), "cpu", torch.get_num_threads(),
                     per_epoch, per_epoch * self.epochs))
        step = 0
        for epoch in range(1, self.epochs + 1):
            losses = []
            batches = [b for b in torch.randperm(n, generator=g).split(self.batch_size) if len(b) > 1]
            for i, idx in enumerate(batches):
                if stop is not None and stop.is_set():
                    return Outcome("stopped", step)
                if max_seconds is not None and time.perf_counter() - t0 > max_seconds:
                    return Outcome("time_limit", step)
                clean = x_train[idx]  # (B, 1, 8, 8)
                loss = F.mse_loss(model(corrupt(clean, self.corruption, self.level, g)), clean)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                step += 1
                losses.append(float(loss.detach()))
                if not np.isfinite(losses[-1]):
                    return Outcome("diverged", step, step)
                if step == 1 or step % self.log_every == 0 or i == len(batches) - 1:
                    k = 1 if step == 1 else (step - 1) % self.log_every + 1
                    emit(StepRecord(step, epoch, float(np.mean(losses[-k:])), float("nan"),
                                    time.perf_counter() - t0, ()))
            test_out = _predict(model, test_in)
            emit(EpochRecord(epoch, step, float(np.mean(losses)), float("nan"),
                             float(F.mse_loss(test_out, x_test)), float("nan"), time.perf_counter() - t0))
        coarse, detail = split_error(test_out - x_test)
        k = self.shown
        emit(Result(DenoiseResult(test_in[:k, 0].numpy(), test_out[:k, 0].numpy(), x_test[:k, 0].numpy(),
                                  float(F.mse_loss(test_out, x_test)), coarse, detail)))
        return Outcome("done", step)


@torch.no_grad()
def _predict(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    model.eval()
    out = model(x)
    model.train()
    return out


# ---- Which sentence is true: small readings of live numbers ---------------------------------------

SAME = 0.05  # a ratio within 5 % of 1 reads as "about the same"
REUSE_MOVED = 0.25  # a reuse map whose cells all moved less than this from initialisation is "still near its start"


def trend(ratio: float, tol: float = SAME) -> str:
    """How a ratio reads: "up" (above 1 + tol), "down" (below 1 − tol) or "same"."""
    if ratio > 1 + tol:
        return "up"
    return "down" if ratio < 1 - tol else "same"


def gate_lean(alpha: float) -> str:
    """What a gate starting at α mostly lets through: "x" (α < ½), "f" (α > ½) or "half"."""
    return "x" if alpha < 0.5 else "f" if alpha > 0.5 else "half"


def decimals(x: float, significant: int = 2, least: int = 3) -> int:
    """Decimals that show ``significant`` digits of 0 < x < 1, at least ``least``: σ(−8) is 0.00034, not 0.000."""
    return max(least, significant - 1 - math.floor(math.log10(abs(x)))) if x else least


def reuse_moved(change: float) -> str:
    """"little" if no cell of the reuse map moved REUSE_MOVED or more from initialisation, else "some"."""
    return "little" if change < REUSE_MOVED else "some"


@dataclass(frozen=True)
class LongReading:
    """What a with / without long skips pair of runs shows, as ratios without ÷ with."""

    ratio: float  # test MSE
    coarse: float  # its coarse part (2×2-block averages)
    detail: float  # its fine-detail part (within 2×2 blocks)
    overall: str  # trend(ratio): "up" = worse without long skips
    coarse_trend: str
    detail_trend: str
    gain: str  # where the long skips helped more: "detail", "coarse", "even", or "none" (neither part lower)


def long_reading(with_skips: DenoiseResult, without: DenoiseResult) -> LongReading:
    """Read a denoising pair: how much larger each error is without long skips, and which part they help more."""
    ratio, coarse, detail = (getattr(without, f) / getattr(with_skips, f)
                             for f in ("test_mse", "coarse_mse", "detail_mse"))
    if "up" not in (trend(coarse), trend(detail)):
        gain = "none"
    else:
        gain = {"up": "detail", "down": "coarse", "same": "even"}[trend(detail / coarse)]
    return LongReading(ratio, coarse, detail, trend(ratio), trend(coarse), trend(detail), gain)


def _check(name: str, value, low, high) -> None:
    if not low <= value <= high:
        raise OutOfRange(name, value, low, high)
