"""Skips that are not a plain addition: a highway gate and a learned branch scale.

Both are the basic block (conv-BN-ReLU-conv-BN, ReLU after the join) with only the join changed:

- gated (highway, Srivastava et al. 2015; He et al. 2016b "exclusive gating"):
  y = relu(α·F(x) + (1 − α)·x), α = T(x) = σ(W_T x + b_T), W_T a 1×1 conv. A negative b_T starts
  the block carrying x through (α ≈ 0); b_T = +∞ would make it a plain layer.
- scaled (ReZero, Bachlechner et al. 2020; SkipInit, De & Smith 2020): y = relu(x + α·F(x)), α one
  learned scalar per block starting at 0, so every block starts as the identity (for x ≥ 0, the
  output of the previous ReLU).
"""

from __future__ import annotations

import torch
from torch import nn

from core.models.blocks import BasicBlock, conv1x1
from core.models.resnet import CifarResNet

SKIP_KINDS = ("identity", "gated", "scaled")
DEFAULT_GATE_BIAS = -2.0  # Highway nets: −1, −2, −3 for depths ≈ 10, 20, 30 (REFERENCE.md)


class GatedBlock(BasicBlock):
    """The basic block with a highway gate: y = relu(α·F(x) + (1 − α)·x), α = σ(W_T x + b_T)."""

    def __init__(self, inplanes: int, planes: int, stride: int = 1, skip: bool = True, shortcut: str = "A",
                 batchnorm: bool = True, gate_bias: float = DEFAULT_GATE_BIAS):
        super().__init__(inplanes, planes, stride, skip, shortcut, batchnorm)
        # One gate per output channel and pixel, from the block's input (strided where the block is).
        self.gate = conv1x1(inplanes, planes, stride, bias=True)
        reset_gate(self.gate, gate_bias)
        self.last_gate: torch.Tensor | None = None  # mean α of the last forward pass (detached)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))  # F(x)
        if not self.skip:
            return self.relu(out)
        if self.downsample is not None:
            identity = self.downsample(x)
        alpha = torch.sigmoid(self.gate(x))  # (N, C, H, W) in (0, 1): how much of F passes
        self.last_gate = alpha.detach().mean()
        out = alpha * out + (1 - alpha) * identity  # y = α·F(x) + (1 − α)·x
        return self.relu(out)


class ScaledBlock(BasicBlock):
    """The basic block with a learned branch scale: y = relu(x + α·F(x)), α a scalar starting at 0."""

    def __init__(self, inplanes: int, planes: int, stride: int = 1, skip: bool = True, shortcut: str = "A",
                 batchnorm: bool = True):
        super().__init__(inplanes, planes, stride, skip, shortcut, batchnorm)
        self.alpha = nn.Parameter(torch.zeros(()))  # ReZero / SkipInit: the block starts as the identity

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))  # F(x)
        if not self.skip:
            return self.relu(out)
        if self.downsample is not None:
            identity = self.downsample(x)
        out = identity + self.alpha * out  # y = x + α·F(x)
        return self.relu(out)


def reset_gate(gate: nn.Conv2d, bias: float) -> None:
    """W_T = 0 and b_T = ``bias``: every gate starts at α = σ(b_T) whatever the input."""
    with torch.no_grad():
        gate.weight.zero_()
        gate.bias.fill_(bias)


class SkipKindNet(CifarResNet):
    """A CIFAR ResNet of 6n + 2 layers whose blocks join F(x) and x as ``kind`` says."""

    def __init__(self, kind: str, depth: int, num_classes: int = 10, in_channels: int = 3, skip: bool = True,
                 shortcut: str = "A", batchnorm: bool = True, width: int = 16,
                 gate_bias: float = DEFAULT_GATE_BIAS):
        block = {"identity": BasicBlock, "gated": GatedBlock, "scaled": ScaledBlock}[kind]
        super().__init__(depth, num_classes, in_channels, skip, shortcut, block, batchnorm, width)
        self.kind = kind
        self.name = {"identity": f"ResNet-{depth}", "gated": f"Gated-{depth}", "scaled": f"Scaled-{depth}"}[kind]
        if not skip:
            self.name = f"Plain-{depth}"
        for b in self.blocks():
            if isinstance(b, GatedBlock):
                reset_gate(b.gate, gate_bias)  # after CifarResNet's He init, which drew W_T

    def blocks(self) -> list[nn.Module]:
        return [b for layer in (self.layer1, self.layer2, self.layer3) for b in layer]

    def skip_weights(self) -> tuple[float, ...]:
        """Per block: the mean gate α of the last forward pass (gated) or the scalar α (scaled)."""
        if self.kind == "gated":
            return tuple(float(b.last_gate) if b.last_gate is not None else float("nan") for b in self.blocks())
        if self.kind == "scaled":
            return tuple(float(b.alpha.detach()) for b in self.blocks())
        return ()
