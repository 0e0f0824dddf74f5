"""Gradient flow: per-block gradient norms, the signal a deep plain net starves its early layers of."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from core.models.blocks import PreActBlock
from core.errors import BadChoice, BadShape, BatchNormOneValue, OutOfRange
from core.models.resnet import CifarResNet, check_input, cifar_blocks_per_stage, cifar_resnet
from core.models.units import layer_grad_norms
from core.training.engine import TrainConfig


# ---- Lesson 3: ∂y/∂x = ∂F/∂x + I, Jacobian products through depth, plain vs residual at init ----

class MLPBlock(nn.Module):
    """The smallest residual block: y = fc2(relu(fc1(x))) + x, nothing after the addition."""

    def __init__(self, features: int, hidden: int, skip: bool = True):
        super().__init__()
        self.fc1 = nn.Linear(features, hidden)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(hidden, features)
        self.skip = skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.fc2(self.relu(self.fc1(x)))  # F(x)
        if self.skip:
            out = out + x  # y = F(x) + x
        return out


@dataclass(frozen=True)
class JacobianCheck:
    kind: str  # "mlp" or "preact"
    x: np.ndarray  # (n,) the input, flattened
    jac_y: np.ndarray  # (n, n) ∂y/∂x of the block with its skip, by autograd
    jac_F: np.ndarray  # (n, n) ∂F/∂x: the same block, same weights, skip switched off
    difference: np.ndarray  # (n, n) jac_y − jac_F, which should be the identity I
    max_deviation: float  # max |jac_y − jac_F − I|: float rounding only (~1e-7 in float32)
    jac_F_norm: float  # spectral norm of ∂F/∂x, to compare with the deviation


def _block_for(kind: str, width: int, side: int, seed: int) -> tuple[nn.Module, torch.Tensor]:
    """A small residual block with seeded weights and an input for it."""
    g = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if kind == "mlp":
            block, x = MLPBlock(width, 2 * width), torch.randn(width, generator=g)  # (n,)
        else:
            block = PreActBlock(width, width)
            x = torch.randn(1, width, side, side, generator=g)  # (1, C, S, S)
            # Eval mode (the Jacobian of one sample), with BN statistics that are not the identity.
            for bn in (block.bn1, block.bn2):
                bn.running_mean.normal_(0, 0.5, generator=g)
                bn.running_var.uniform_(0.5, 2.0, generator=g)
                bn.weight.data.uniform_(0.5, 1.5, generator=g)
                bn.bias.data.normal_(0, 0.2, generator=g)
    return block.eval(), x


def jacobian_check(kind: str = "mlp", width: int = 6, side: int = 3, seed: int = 0) -> JacobianCheck:
    """Autograd Jacobians of a block with and without its skip: their difference is I (seed 004).

    ``kind="mlp"``: MLPBlock on a vector of ``width``; ``"preact"``: a PreActBlock with ``width``
    channels on a side×side map (n = width·side² inputs). Float32, as a network runs.
    """
    if kind not in ("mlp", "preact"):
        raise BadChoice("kind", kind, ("mlp", "preact"))
    if not (1 <= width <= 16):
        raise OutOfRange("width", width, 1, 16)
    if not (1 <= side <= 6):
        raise OutOfRange("side", side, 1, 6)
    block, x = _block_for(kind, width, side, seed)

    def run(skip: bool) -> np.ndarray:
        block.skip = skip

        def flat(v: torch.Tensor) -> torch.Tensor:
            return block(v.reshape(x.shape)).reshape(-1)  # (n,)

        return torch.autograd.functional.jacobian(flat, x.reshape(-1)).numpy()  # (n, n)

    jac_y, jac_F = run(True), run(False)
    block.skip = True
    diff = jac_y - jac_F
    return JacobianCheck(
        kind=kind,
        x=x.reshape(-1).numpy(),
        jac_y=jac_y,
        jac_F=jac_F,
        difference=diff,
        max_deviation=float(np.abs(diff - np.eye(len(diff))).max()),
        jac_F_norm=float(np.linalg.norm(jac_F, 2)),
    )


@dataclass(frozen=True)
class StackConfig:
    depth: int = 50  # layers of the plain stack = blocks of the residual stack
    width: int = 32  # units per layer
    activation: str = "relu"  # φ: "relu" or "tanh"
    gain: float = 1.0  # W_i ~ N(0, gain²/width); √2 is He's init for ReLU (the critical value)
    branch_scale: float | None = None  # α in x + α·φ(W x); None: 1/√depth, so the branches add up to O(1)
    seed: int = 0  # weights, input and the direction u of the upstream gradient


@dataclass(frozen=True)
class StackJacobians:
    config: StackConfig
    alpha: float  # the branch scale used
    plain_layer_norms: np.ndarray  # (L,) ‖J_i‖₂, J_i = ∂x_{i+1}/∂x_i = diag(φ'(W_i x_i)) W_i
    residual_layer_norms: np.ndarray  # (L,) ‖I + α·J_i‖₂
    plain_bound: np.ndarray  # (L+1,) ∏_{i ≥ l} ‖J_i‖₂: an upper bound of the gradient's growth from the top to x_l
    residual_bound: np.ndarray  # (L+1,) ∏_{i ≥ l} ‖I + α·J_i‖₂
    plain_grad: np.ndarray  # (L+1,) ‖∂(u·x_L)/∂x_l‖ for a unit vector u: the real gradient at depth l
    residual_grad: np.ndarray  # (L+1,) the same through the residual stack
    plain_end_to_end: np.ndarray  # (n, n) ∂x_L/∂x_0 = J_{L−1} ⋯ J_0
    residual_end_to_end: np.ndarray  # (n, n) ∏ (I + α·J_i)
    plain_singular: tuple[float, float]  # smallest and largest singular value of ∂x_L/∂x_0
    residual_singular: tuple[float, float]


ACTS = {"relu": (torch.relu, lambda z: (z > 0).to(z.dtype)), "tanh": (torch.tanh, lambda z: 1 - torch.tanh(z) ** 2)}


def stack_weights(cfg: StackConfig) -> tuple[list[torch.Tensor], torch.Tensor, torch.Tensor]:
    """The seeded weights W_0 … W_{L−1} (float64), the input x_0 and the unit direction u."""
    g = torch.Generator().manual_seed(cfg.seed)
    n = cfg.width
    # x_0 and u first, then W_0, W_1, …: a deeper stack starts with the same layers as a shallower one.
    x0 = torch.randn(n, generator=g, dtype=torch.float64)  # (n,)
    u = torch.randn(n, generator=g, dtype=torch.float64)
    weights = [torch.randn(n, n, generator=g, dtype=torch.float64) * (cfg.gain / math.sqrt(n)) for _ in range(cfg.depth)]
    return weights, x0, u / u.norm()


def stack_forward(x: torch.Tensor, weights: list[torch.Tensor], activation: str, alpha: float | None) -> torch.Tensor:
    """x_L of the plain stack (alpha None: x ← φ(W x)) or the residual one (x ← x + α·φ(W x))."""
    phi = ACTS[activation][0]
    for W in weights:
        x = phi(W @ x) if alpha is None else x + alpha * phi(W @ x)
    return x


def _through_stack(weights, x, u, activation: str, alpha: float | None):
    """Per-layer Jacobians, their norms and products, and the gradient u backpropagated to every depth."""
    phi, dphi = ACTS[activation]
    n = x.shape[0]
    eye = torch.eye(n, dtype=torch.float64)
    jacs = []
    for W in weights:
        z = W @ x  # (n,)
        J = dphi(z)[:, None] * W  # (n, n) ∂φ(Wx)/∂x
        jacs.append(J if alpha is None else eye + alpha * J)
        x = phi(z) if alpha is None else x + alpha * phi(z)
    layer_norms = np.array([float(torch.linalg.matrix_norm(J, 2)) for J in jacs])
    bound = np.append(np.cumprod(layer_norms[::-1])[::-1], 1.0)  # (L+1,)
    grads, g, end = [1.0], u, eye
    for J in reversed(jacs):
        g = g @ J  # row vector: ∂(u·x_L)/∂x_l
        end = end @ J
        grads.append(float(g.norm()))
    sv = torch.linalg.svdvals(end)
    return layer_norms, bound, np.array(grads[::-1]), end.numpy(), (float(sv[-1]), float(sv[0]))


def jacobian_products(cfg: StackConfig = StackConfig()) -> StackJacobians:
    """A plain stack x ← φ(W x) and a residual one x ← x + α·φ(W x), same weights: how the gradient
    from the top reaches every depth. ∏‖J_i‖ is only a bound; ``*_grad`` is the gradient itself."""
    if cfg.activation not in ACTS:
        raise BadChoice("activation", cfg.activation, ACTS)
    for name, value, low, high in (("depth", cfg.depth, 1, 200), ("width", cfg.width, 2, 128), ("gain", cfg.gain, 0.1, 3.0)):
        if not (low <= value <= high):
            raise OutOfRange(name, value, low, high)
    alpha = 1 / math.sqrt(cfg.depth) if cfg.branch_scale is None else cfg.branch_scale
    if not (0 <= alpha <= 2):
        raise OutOfRange("branch_scale", alpha, 0, 2)
    weights, x0, u = stack_weights(cfg)
    p = _through_stack(weights, x0, u, cfg.activation, None)
    r = _through_stack(weights, x0, u, cfg.activation, alpha)
    return StackJacobians(cfg, alpha, p[0], r[0], p[1], r[1], p[2], r[2], p[3], r[3], p[4], r[4])


@dataclass(frozen=True)
class GradNormComparison:
    depth: int
    names: tuple[str, ...]  # units input side first: "conv1", "layer1.0", …, "fc"
    plain: np.ndarray  # (units,) weight-gradient norm per unit of the plain net (skip=False)
    residual: np.ndarray  # (units,) the same for the residual net (same seed, same weights)
    plain_loss: float  # cross-entropy of the batch at initialisation
    residual_loss: float
    plain_spread: float  # max / min of the plain net's per-unit norms (1 = perfectly even)
    residual_spread: float
    plain_early_late: float  # conv1's norm / the last block's: ≫ 1 explodes towards the input, ≪ 1 vanishes
    residual_early_late: float


def _check_batch(depth: int, x: torch.Tensor, y: torch.Tensor, num_classes: int, batchnorm: bool) -> None:
    """Depth, shapes and labels a CIFAR ResNet can train on, and batch statistics that exist."""
    cifar_blocks_per_stage(depth)  # BadDepth unless depth = 6n + 2
    if x.dim() != 4:
        raise BadShape("x", tuple(x.shape), ("N", "C", "H", "W"))
    if not x.is_floating_point():
        raise BadChoice("x.dtype", str(x.dtype), ("float32", "float64"))
    check_input(x, x.shape[1], CifarResNet.min_input, f"ResNet-{depth}")
    n = x.shape[0]
    if y.dim() != 1 or y.shape[0] != n:
        raise BadShape("y", tuple(y.shape), (n,))
    if y.is_floating_point() or y.is_complex() or y.dtype == torch.bool:
        raise BadChoice("y.dtype", str(y.dtype), ("int64",))
    if int(y.min()) < 0 or int(y.max()) >= num_classes:
        raise OutOfRange("label", int(y.min()) if int(y.min()) < 0 else int(y.max()), 0, num_classes - 1)
    # The last stage sees the input halved twice (3×3 convs, stride 2, padding 1).
    h, w = ((s - 1) // 2 // 2 + 1 for s in x.shape[-2:])
    if batchnorm and n * h * w == 1:
        raise BatchNormOneValue(n, h, w)


def compare_grad_norms(
    depth: int,
    x: torch.Tensor,
    y: torch.Tensor,
    seed: int = 0,
    block: str = "basic",
    batchnorm: bool = True,
    width: int = 16,
    num_classes: int = 10,
) -> GradNormComparison:
    """Per-unit gradient norms of a plain and a residual ``cifar_resnet(depth)`` at initialisation.

    Both nets get the same weights (option A shortcuts have none, so the parameters match one to
    one), run in train mode (BN uses batch statistics, as in training) on the batch (x, y), and
    back-propagate the cross-entropy once. Raises a CoreError for a batch the nets cannot take.
    """
    _check_batch(depth, x, y, num_classes, batchnorm)
    out = {}
    for skip in (False, True):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = cifar_resnet(depth, num_classes, x.shape[1], skip, "A", block, batchnorm, width)
        model.train()
        loss = F.cross_entropy(model(x), y.long())
        loss.backward()
        out[skip] = (layer_grad_norms(model), float(loss.detach()))
    names = tuple(n for n, _ in out[False][0])
    plain = np.array([v for _, v in out[False][0]])
    res = np.array([v for _, v in out[True][0]])

    def ratio(a: float, b: float) -> float:
        return float(a / b) if b > 0 else math.inf

    return GradNormComparison(
        depth, names, plain, res, out[False][1], out[True][1],
        ratio(plain.max(), plain.min()), ratio(res.max(), res.min()),
        ratio(plain[0], plain[-2]), ratio(res[0], res[-2]),
    )


def training_configs(depth: int, batchnorm: bool = True, epochs: int = 2) -> list[TrainConfig]:
    """Lesson 3's live pair: a plain and a residual net of ``depth`` (engine defaults otherwise),
    logging every 2nd step so the per-unit gradient norms are drawn often."""
    base = TrainConfig(depth=depth, batchnorm=batchnorm, epochs=epochs, log_every=2)
    return [base.replace(skip=False), base.replace(skip=True)]
