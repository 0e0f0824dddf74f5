"""Lesson 1's toy: learn a target H(x) with a small MLP f, once as y = f(x) and once as y = f(x) + x.

Both runs start from the same weights (same seed), see the same data and use the same optimiser,
so the only difference is the skip. With the skip, f has to learn the residual H(x) − x: x for
H(x) = 2x, and nothing at all (f → 0) for H(x) = x.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from core.errors import BadChoice, OutOfRange
from core.training.tasks import DIVERGED_LOSS  # one threshold for every training demo

# H(x) for each target the student can pick; "x+sin" is a nonlinear target close to the identity.
TARGETS = {
    "2x": lambda x: 2 * x,
    "x": lambda x: x,
    "sin": lambda x: torch.sin(2 * x),
    "x+sin": lambda x: x + 0.5 * torch.sin(x),
}
ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}


@dataclass(frozen=True)
class ToyConfig:
    target: str = "2x"  # H(x): one of TARGETS
    depth: int = 2  # hidden layers of f
    hidden: int = 32  # units per hidden layer
    activation: str = "relu"  # "relu" or "tanh"
    lr: float = 0.02  # SGD learning rate
    momentum: float = 0.9  # SGD momentum
    weight_decay: float = 0.0  # L2 penalty on all weights of f (pulls f towards 0)
    steps: int = 300  # full-batch SGD steps
    seed: int = 0  # initial weights of f (the same for both runs)
    threshold: float = 1e-3  # mean squared error that counts as "learned"
    n_train: int = 64  # training points, evenly spaced on [-x_max, x_max]
    x_max: float = 2.0
    n_grid: int = 101  # points where the learned f is reported


@dataclass(frozen=True)
class ToyRun:
    skip: bool
    losses: np.ndarray  # (steps_done,) MSE at step t, before its update; losses[0] is at init
    steps_to_threshold: int | None  # first t with losses[t] ≤ threshold (updates needed), None if never
    diverged_at: int | None  # step where the loss became NaN/inf or > DIVERGED_LOSS; None if it did not
    final_loss: float  # last finite loss
    f_grid: np.ndarray  # (n_grid,) learned f(x); NaN where the run diverged
    y_grid: np.ndarray  # (n_grid,) the net's output: f(x) or f(x) + x
    f_rms: float  # root mean square of f on the grid: the size of the learned branch
    f_target_rms_error: float  # RMS of f − (what f should be): H for the plain run, H − x with the skip
    weight_norm: float  # ‖θ‖₂ over all of f's weights and biases: weight decay pulls it to 0
    state: dict  # f's final weights, name → numpy array (loadable into build_f(config))


@dataclass(frozen=True)
class ToyResult:
    config: ToyConfig
    x_grid: np.ndarray  # (n_grid,)
    h_grid: np.ndarray  # (n_grid,) H(x)
    residual_grid: np.ndarray  # (n_grid,) H(x) − x: what f must learn with the skip
    plain: ToyRun  # y = f(x)
    skip: ToyRun  # y = f(x) + x


def validate(cfg: ToyConfig) -> None:
    """Raise a CoreError for a configuration the toy cannot run."""
    if cfg.target not in TARGETS:
        raise BadChoice("target", cfg.target, TARGETS)
    if cfg.activation not in ACTIVATIONS:
        raise BadChoice("activation", cfg.activation, ACTIVATIONS)
    checks = [
        ("depth", cfg.depth, 1, 6),
        ("hidden", cfg.hidden, 1, 128),
        ("steps", cfg.steps, 1, 5000),
        ("n_train", cfg.n_train, 2, 1024),
        ("n_grid", cfg.n_grid, 2, 2001),
        ("momentum", cfg.momentum, 0.0, 0.99),
        ("weight_decay", cfg.weight_decay, 0.0, 1.0),
        ("x_max", cfg.x_max, 0.1, 10.0),
    ]
    for name, value, low, high in checks:
        if not (low <= value <= high):
            raise OutOfRange(name, value, low, high)
    if not (0 < cfg.lr <= 100) or not math.isfinite(cfg.lr):
        raise OutOfRange("lr", cfg.lr, "> 0", 100)
    if not (0 < cfg.threshold < 1e6):
        raise OutOfRange("threshold", cfg.threshold, "> 0", 1e6)


def build_f(cfg: ToyConfig) -> nn.Sequential:
    """The residual branch f: 1 → hidden → … → hidden → 1, PyTorch's default initialisation."""
    act = ACTIVATIONS[cfg.activation]
    layers: list[nn.Module] = [nn.Linear(1, cfg.hidden), act()]
    for _ in range(cfg.depth - 1):
        layers += [nn.Linear(cfg.hidden, cfg.hidden), act()]
    layers.append(nn.Linear(cfg.hidden, 1))
    return nn.Sequential(*layers)


def init_f(cfg: ToyConfig) -> nn.Sequential:
    """f with the weights drawn from ``cfg.seed``, without touching the global RNG."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        return build_f(cfg)


def _sgd_step(params, grads, bufs, cfg: ToyConfig) -> None:
    """One step of SGD with momentum and L2 weight decay, the update rule of ``torch.optim.SGD``.

    Written out (rather than importing torch.optim, whose first use costs ~1 s of imports) so the
    lesson can show it: g ← ∇L + λ·w;  v ← μ·v + g (v = g at the first step);  w ← w − lr·v.
    """
    with torch.no_grad():
        for i, (p, g) in enumerate(zip(params, grads)):
            if cfg.weight_decay:
                g = g.add(p, alpha=cfg.weight_decay)
            if cfg.momentum:
                bufs[i] = g.clone() if bufs[i] is None else bufs[i].mul_(cfg.momentum).add_(g, alpha=1.0)
                g = bufs[i]
            p.add_(g, alpha=-cfg.lr)


def _train(cfg: ToyConfig, skip: bool, x: torch.Tensor, h: torch.Tensor, grid: torch.Tensor) -> ToyRun:
    f = init_f(cfg)
    params = list(f.parameters())
    bufs: list[torch.Tensor | None] = [None] * len(params)
    losses: list[float] = []
    diverged_at = None
    for t in range(cfg.steps):
        out = f(x)  # (n, 1)
        if skip:
            out = out + x  # y = f(x) + x
        loss = F.mse_loss(out, h)
        value = loss.item()
        if not math.isfinite(value) or value > DIVERGED_LOSS:
            diverged_at = t
            break
        losses.append(value)
        grads = torch.autograd.grad(loss, params)
        _sgd_step(params, grads, bufs, cfg)

    with torch.no_grad():
        f_grid = f(grid).squeeze(1).double().numpy()  # (n_grid,)
    if diverged_at is not None:
        f_grid = np.full_like(f_grid, np.nan)
    x_np = grid.squeeze(1).double().numpy()
    h_np = TARGETS[cfg.target](grid).squeeze(1).double().numpy()
    want = h_np - x_np if skip else h_np
    reached = [t for t, v in enumerate(losses) if v <= cfg.threshold]
    return ToyRun(
        skip=skip,
        losses=np.asarray(losses, dtype=np.float64),
        steps_to_threshold=reached[0] if reached else None,
        diverged_at=diverged_at,
        final_loss=losses[-1] if losses else float("nan"),
        f_grid=f_grid,
        y_grid=f_grid + x_np if skip else f_grid.copy(),
        f_rms=float(np.sqrt(np.mean(f_grid**2))),
        f_target_rms_error=float(np.sqrt(np.mean((f_grid - want) ** 2))),
        weight_norm=float(torch.sqrt(sum(p.detach().double().pow(2).sum() for p in params))),
        state={k: v.detach().numpy().copy() for k, v in f.state_dict().items()},
    )


def run_toy(cfg: ToyConfig = ToyConfig()) -> ToyResult:
    """Train f without and with the skip on the same data from the same start; both curves and both f's."""
    validate(cfg)
    x = torch.linspace(-cfg.x_max, cfg.x_max, cfg.n_train).unsqueeze(1)  # (n_train, 1)
    h = TARGETS[cfg.target](x)  # (n_train, 1)
    grid = torch.linspace(-cfg.x_max, cfg.x_max, cfg.n_grid).unsqueeze(1)  # (n_grid, 1)
    plain = _train(cfg, False, x, h, grid)
    skip = _train(cfg, True, x, h, grid)
    x_np = grid.squeeze(1).double().numpy()
    h_np = TARGETS[cfg.target](grid).squeeze(1).double().numpy()
    return ToyResult(cfg, x_np, h_np, h_np - x_np, plain, skip)
