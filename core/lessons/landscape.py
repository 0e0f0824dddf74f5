"""Lesson 8: the loss landscape around a trained net (Li, Xu, Taylor, Studer, Goldstein, NeurIPS 2018).

Two random directions δ, η with the shapes of the weights θ* are *filter-normalised*: each filter
(a conv's output channel, a linear layer's row) of a direction is rescaled to the norm of the same
filter of θ*, and the directions of biases and BatchNorm parameters (every parameter with ≤ 1
dimension) are zero. The surface is f(α, β) = L(θ* + α·δ + β·η) on a grid over [−span, span]².

BatchNorm is evaluated in **eval mode** (the trained running statistics), as the paper's reference
code does (``net.eval()`` in its ``eval_loss``): the surface is a function of the weights alone,
not of which examples share a batch. The loss is the mean cross-entropy on a fixed subset of the
training set (the paper uses the whole training set; a subset keeps a 21×21 grid interactive).
Each point is one ``torch.func.functional_call`` with the moved weights (the trained net is never
modified); ``chunk > 1`` batches weight sets with ``vmap`` (the convolutions become grouped ones).
Measured on the shared 2-core CPU (bench/landscape_speed.py): with one torch thread, one point at a
time was faster (21.5 s vs 38.6 s for 21×21); with two threads, batches of 8 were (18 s vs 92 s,
fewer, larger operations to synchronise), so the chunk follows the thread count.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, grad, jvp, vmap

from core.errors import BadChoice, OutOfRange
from core.models.resnet import cifar_blocks_per_stage, cifar_resnet
from core.training.data import load_dataset
from core.training.engine import TrainConfig
from core.training.tasks import Emit, Limits, Outcome, Progress, Result
from core.training.trained import Stopped, check_stop, train_plain_and_residual

Params = dict[str, torch.Tensor]
SUBSET_SEED = 0  # which training examples the loss is measured on never depends on the task's seed
GRID_SIZES = tuple(range(5, 42, 2))  # odd, so θ* itself is the centre point of the grid


def default_chunk() -> int:
    """Weight sets evaluated at once: 1 on one thread, 8 (vmap) on more (see the module docstring)."""
    return 1 if torch.get_num_threads() == 1 else 8


def filter_normalized_direction(model: nn.Module, generator: torch.Generator) -> Params:
    """A Gaussian direction, each filter rescaled to its weight filter's norm; zero for ≤ 1-D parameters."""
    out = {}
    for name, p in model.named_parameters():
        p = p.detach()
        if p.dim() <= 1:  # biases, BatchNorm γ and β: not moved (the reference code's ignore="biasbn")
            out[name] = torch.zeros_like(p)
            continue
        d = torch.randn(p.shape, generator=generator, dtype=p.dtype).to(p.device)
        # One norm per filter j (dim 0): d_j ← d_j / ‖d_j‖ · ‖θ_j‖ (Frobenius norms over the other dims).
        d_norm = d.flatten(1).norm(dim=1).clamp_min(1e-12)
        p_norm = p.flatten(1).norm(dim=1)
        out[name] = d * (p_norm / d_norm).view(-1, *([1] * (p.dim() - 1)))
    return out


def directions(model: nn.Module, seed: int) -> tuple[Params, Params]:
    """δ and η drawn from ``seed``: nets with the same parameter shapes get the same raw draws."""
    g = torch.Generator().manual_seed(seed)
    return filter_normalized_direction(model, g), filter_normalized_direction(model, g)


def loss_subset(samples: int, device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """A fixed subset of ``samples`` digits from the training set: (x (S, 1, 8, 8), y (S,))."""
    data = load_dataset("digits", device=device)
    n = len(data.y_train)
    idx = torch.randperm(n, generator=torch.Generator().manual_seed(SUBSET_SEED))[: min(samples, n)]
    idx = idx.sort().values.to(data.x_train.device)
    return data.x_train[idx], data.y_train[idx]


def losses_at(model: nn.Module, d1: Params, d2: Params, points: np.ndarray, x: torch.Tensor, y: torch.Tensor,
              tick: Callable[[int], None] = lambda done: None, chunk: int | None = None) -> np.ndarray:
    """L(θ* + α·δ + β·η) for each row (α, β) of ``points`` (P, 2), BatchNorm in eval mode: (P,)."""
    chunk = chunk or default_chunk()
    model.eval()
    theta = {k: v.detach() for k, v in model.named_parameters()}
    buffers = {k: v.detach() for k, v in model.named_buffers()}

    def loss(params: Params) -> torch.Tensor:
        return F.cross_entropy(functional_call(model, (params, buffers), (x,)), y)

    batched = vmap(loss)
    out = np.empty(len(points))
    with torch.no_grad():
        if chunk == 1:
            for i, (a, b) in enumerate(points):
                out[i] = float(loss({k: p + float(a) * d1[k] + float(b) * d2[k] for k, p in theta.items()}))
                tick(i + 1)
            return out
        for start in range(0, len(points), chunk):
            ab = torch.as_tensor(points[start:start + chunk], dtype=x.dtype, device=x.device)  # (K, 2)
            shape = lambda p: (-1,) + (1,) * p.dim()  # noqa: E731  (K,) → (K, 1, …) to broadcast
            params = {k: p + ab[:, 0].view(shape(p)) * d1[k] + ab[:, 1].view(shape(p)) * d2[k]
                      for k, p in theta.items()}  # each (K, *p.shape)
            out[start:start + len(ab)] = batched(params).double().cpu().numpy()
            tick(start + len(ab))
    return out


def grid(size: int, span: float) -> np.ndarray:
    """The ``size`` coordinates −span…span (odd ``size``: 0 is the middle one)."""
    return np.linspace(-span, span, size)


BASIN_LOSS = 10.0  # the basin: grid points with a loss below this (chance level is ln 10 ≈ 2.3)


def nonconvex_share(surface: np.ndarray, step: float, level: float = BASIN_LOSS) -> float:
    """Share of the basin's interior grid points where the surface curves down in some direction.

    At each interior point the 2×2 Hessian of the surface is estimated by central differences; a
    point counts as non-convex when its smaller eigenvalue is negative beyond 1 % of the larger one
    (a tolerance for round-off on flat ground). Only points whose loss is below ``level`` count:
    farther out, eval-mode BatchNorm lets the loss blow up to 10³–10⁵, and the shape of those walls
    says nothing about the region training moves in.
    """
    f = surface
    fxx = (f[1:-1, 2:] - 2 * f[1:-1, 1:-1] + f[1:-1, :-2]) / step**2
    fyy = (f[2:, 1:-1] - 2 * f[1:-1, 1:-1] + f[:-2, 1:-1]) / step**2
    fxy = (f[2:, 2:] - f[2:, :-2] - f[:-2, 2:] + f[:-2, :-2]) / (4 * step**2)
    mid, rad = (fxx + fyy) / 2, np.sqrt(((fxx - fyy) / 2) ** 2 + fxy**2)
    lo, hi = mid - rad, mid + rad
    basin = f[1:-1, 1:-1] < level
    return float(np.mean((lo < -0.01 * np.abs(hi))[basin])) if basin.any() else 0.0


def basin_share(surface: np.ndarray, level: float = BASIN_LOSS) -> float:
    """Share of the grid whose loss is below ``level``: how wide the basin around θ* is."""
    return float(np.mean(surface < level))


def roughness_verdict(plain: float, residual: float, digits: int = 3) -> str:
    """"smoother", "same" or "rougher": the residual net's share of non-convex basin points against the
    plain net's, compared at the ``digits`` the page shows (0.1 % for 3), so that the verdict never
    contradicts the two numbers printed beside it."""
    p, r = round(plain, digits), round(residual, digits)
    return "smoother" if r < p else "same" if r == p else "rougher"


def basin_extent(plain_basin: float, residual_basin: float) -> str:
    """"all" when the whole grid lies in both nets' basins (nothing outside it to describe), else "part"."""
    return "all" if min(plain_basin, residual_basin) == 1.0 else "part"


def next_try(depth: int, max_depth: int) -> str:
    """What a run that did not show the paper's difference suggests: "deeper" below the largest depth, else "seed"."""
    return "deeper" if depth < max_depth else "seed"


@lru_cache(maxsize=None)
def parameter_count(depth: int, width: int = TrainConfig.width) -> int:
    """Parameters of the lesson's net of ``depth`` (8×8 digits, 10 classes), built on the meta device."""
    with torch.device("meta"):
        model = cifar_resnet(depth, 10, 1, True, "A", "basic", True, width)
    return sum(p.numel() for p in model.parameters())


def hessian_extremes(model: nn.Module, x: torch.Tensor, y: torch.Tensor, iters: int = 20,
                     seed: int = 0) -> tuple[float, float]:
    """(λ_min, λ_max) of the loss Hessian at θ* by power iteration on Hessian-vector products.

    Power iteration finds the eigenvalue of largest magnitude λ₁; on H − λ₁·I it then finds the
    other end of the spectrum. Li et al. map |λ_min / λ_max|: near 0 the centre is convex, larger
    values mean strong negative curvature. BatchNorm in eval mode, as the surface.
    """
    model.eval()
    theta = {k: v.detach() for k, v in model.named_parameters()}
    buffers = {k: v.detach() for k, v in model.named_buffers()}

    def loss(params: Params) -> torch.Tensor:
        return F.cross_entropy(functional_call(model, (params, buffers), (x,)), y)

    def hvp(v: Params) -> Params:
        return jvp(grad(loss), (theta,), (v,))[1]

    g = torch.Generator().manual_seed(seed)
    dot = lambda a, b: sum(float((a[k] * b[k]).sum()) for k in a)  # noqa: E731

    def power(shift: float) -> float:
        v = {k: torch.randn(p.shape, generator=g).to(p) for k, p in theta.items()}
        norm = dot(v, v) ** 0.5
        v = {k: t / norm for k, t in v.items()}
        lam = 0.0
        for _ in range(iters):
            hv = hvp(v)
            w = {k: hv[k] - shift * v[k] for k in v}
            lam = dot(v, w)  # Rayleigh quotient of H − shift·I
            norm = dot(w, w) ** 0.5
            if norm == 0:
                break
            v = {k: t / norm for k, t in w.items()}
        return lam + shift

    first = power(0.0)
    second = power(first)
    return min(first, second), max(first, second)


@dataclass(frozen=True)
class NetLandscape:
    model: str  # "Plain-20", "ResNet-20"
    train_error: float  # the engine's last-epoch training error
    centre_loss: float  # L(θ*) on the subset: the grid's middle point
    surface: np.ndarray  # (size, size): rows β, columns α
    line: np.ndarray  # (line points,): L(θ* + α·δ), the 1-D slice
    nonconvex: float  # share of non-convex points in the basin (nonconvex_share)
    basin: float  # share of the grid with a loss below BASIN_LOSS (basin_share)
    lambda_min: float  # Hessian extremes at θ* (nan when not computed)
    lambda_max: float

    @property
    def ratio(self) -> float:
        """|λ_min / λ_max| at the centre, Li et al.'s measure of non-convexity."""
        return abs(self.lambda_min / self.lambda_max) if self.lambda_max else float("nan")


@dataclass(frozen=True)
class LandscapeResult:
    depth: int
    alphas: np.ndarray  # (size,) grid coordinates, the same for β
    line_alphas: np.ndarray  # (line points,)
    samples: int  # training examples the loss is measured on
    plain: NetLandscape
    residual: NetLandscape


@dataclass(frozen=True)
class LandscapeTask:
    """Train a plain and a residual net (same seed), then map the loss around each, same direction seed.

    A job-engine task (core.training.jobs): frozen, picklable, everything in its fields.
    """

    depth: int = 20
    epochs: int = 8  # as the lesion study: both nets fit the training digits (core.lessons.lesion)
    seed: int = 0  # both nets' initialisation and batch order
    direction_seed: int = 0  # the random directions δ, η (the same draws for both nets)
    size: int = 21  # grid points per side (odd)
    span: float = 1.0  # the grid covers [−span, span]²; at ±1 every filter moves by its own norm
    samples: int = 256  # training examples the loss is measured on
    # Power-iteration steps per end of the Hessian's spectrum at θ*; 0 skips it (the app does: at
    # the trained centre both nets measured |λ_min/λ_max| < 0.001, so it did not tell them apart,
    # and it cost as much as the grid).
    hessian_iters: int = 0
    device: str = "cpu"

    def configs(self) -> tuple[TrainConfig, TrainConfig]:
        base = TrainConfig(depth=self.depth, epochs=self.epochs, seed=self.seed, device=self.device)
        return base.replace(skip=False), base.replace(skip=True)

    def line_points(self) -> int:
        return 2 * self.size - 1

    def validate(self, limits: Limits | None = None) -> None:
        limits = limits or Limits()
        if not 8 <= self.depth <= min(56, limits.max_depth):
            raise OutOfRange("depth", self.depth, 8, min(56, limits.max_depth))
        cifar_blocks_per_stage(self.depth)
        if self.size not in GRID_SIZES:
            raise BadChoice("size", self.size, GRID_SIZES)
        if not 0.05 <= self.span <= 5.0:
            raise OutOfRange("span", self.span, 0.05, 5.0)
        if not 16 <= self.samples <= 1024:
            raise OutOfRange("samples", self.samples, 16, 1024)
        if not 0 <= self.hessian_iters <= 100:
            raise OutOfRange("hessian_iters", self.hessian_iters, 0, 100)
        for cfg in self.configs():
            cfg.validate(limits)

    def run(self, emit: Emit, stop: threading.Event | None = None, max_seconds: float | None = None) -> Outcome:
        deadline = None if max_seconds is None else time.perf_counter() + max_seconds
        nets = train_plain_and_residual(self.configs(), emit, 0.3, stop, deadline)
        if isinstance(nets, Outcome):
            return nets
        x, y = loss_subset(self.samples, nets[0].model.conv1.weight.device)
        axis, line_axis = grid(self.size, self.span), grid(self.line_points(), self.span)
        plane = np.array([(a, b) for b in axis for a in axis])  # row-major: β rows, α columns
        line = np.stack([line_axis, np.zeros_like(line_axis)], 1)
        per_net = len(plane) + len(line)
        results = []
        for j, (got, stage) in enumerate(zip(nets, ("grid_plain", "grid_residual"))):
            d1, d2 = directions(got.model, self.direction_seed)

            def tick(done: int, base: int = 0, j=j, stage=stage) -> None:
                check_stop(stop, deadline)
                emit(Progress(0.3 + 0.6 * (j * per_net + base + done) / (2 * per_net), stage))

            try:
                surface = losses_at(got.model, d1, d2, plane, x, y, tick).reshape(self.size, self.size)
                slice_ = losses_at(got.model, d1, d2, line, x, y, lambda d: tick(d, len(plane)))
                if self.hessian_iters:
                    emit(Progress(0.9 + 0.05 * j, "hessian"))
                    lo, hi = hessian_extremes(got.model, x, y, self.hessian_iters, self.direction_seed)
                else:
                    lo = hi = float("nan")
            except Stopped as why:
                return Outcome(str(why), 0)
            centre = float(surface[self.size // 2, self.size // 2])
            step = float(axis[1] - axis[0])
            results.append(NetLandscape(got.model.name, got.final.train_error if got.final else float("nan"),
                                        centre, surface, slice_, nonconvex_share(surface, step), basin_share(surface),
                                        lo, hi))
        emit(Result(LandscapeResult(self.depth, axis, line_axis, len(y), results[0], results[1])))
        return Outcome("done", 0)
