"""DenseNet (Huang et al. 2017): every layer of a dense block receives the concatenation of all
earlier feature maps, x_ℓ = H_ℓ([x₀, x₁, …, x_{ℓ−1}]), and adds k new ones (the growth rate).

``densenet121`` has torchvision's module names and ``state_dict`` layout (features.conv0,
features.denseblock1.denselayer1.norm1 …, features.transition1.conv, features.norm5, classifier),
so its ImageNet weights load; ``densenet_cifar`` builds the paper's CIFAR nets (L = 40, k = 12;
BC, L = 100, k = 12 …) with exactly the paper's parameter counts (REFERENCE.md).
"""

from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from core.errors import BadDenseDepth, OutOfRange
from core.models.resnet import check_input


class DenseLayer(nn.Module):
    """H_ℓ: BN-ReLU-Conv3×3 (k maps), or with ``bottleneck`` (DenseNet-B) BN-ReLU-Conv1×1 (bn_size·k
    maps)-BN-ReLU-Conv3×3 (k maps). Input: all earlier maps, already concatenated."""

    def __init__(self, in_channels: int, growth: int, bottleneck: bool = True, bn_size: int = 4):
        super().__init__()
        self.in_channels, self.growth = in_channels, growth
        self.norm1 = nn.BatchNorm2d(in_channels)
        self.relu1 = nn.ReLU(inplace=True)
        if bottleneck:
            self.conv1 = nn.Conv2d(in_channels, bn_size * growth, kernel_size=1, bias=False)
            self.norm2 = nn.BatchNorm2d(bn_size * growth)
            self.relu2 = nn.ReLU(inplace=True)
            self.conv2 = nn.Conv2d(bn_size * growth, growth, kernel_size=3, padding=1, bias=False)
        else:
            self.conv1 = nn.Conv2d(in_channels, growth, kernel_size=3, padding=1, bias=False)
        self.bottleneck = bottleneck

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv1(self.relu1(self.norm1(x)))  # (N, 4k or k, H, W); BN makes a new tensor, x is untouched
        if self.bottleneck:
            out = self.conv2(self.relu2(self.norm2(out)))  # (N, k, H, W)
        return out


class DenseBlock(nn.ModuleDict):
    """``layers`` dense layers; layer ℓ (1-based) receives k₀ + k·(ℓ − 1) channels; the block
    returns k₀ + k·layers channels. Named denselayer1, denselayer2, … as in torchvision."""

    def __init__(self, layers: int, in_channels: int, growth: int, bottleneck: bool = True, bn_size: int = 4):
        super().__init__()
        for i in range(layers):
            self.add_module(f"denselayer{i + 1}", DenseLayer(in_channels + i * growth, growth, bottleneck, bn_size))
        self.in_channels, self.out_channels = in_channels, in_channels + layers * growth

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = x  # (N, k₀, H, W)
        for layer in self.values():
            features = torch.cat([features, layer(features)], 1)  # y = [x, F(x)]: the channels grow by k
        return features  # (N, k₀ + k·layers, H, W)


class Transition(nn.Sequential):
    """Between dense blocks: BN-ReLU-Conv1×1 (θ·C channels, compression θ), 2×2 average pooling."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__(OrderedDict([
            ("norm", nn.BatchNorm2d(in_channels)),
            ("relu", nn.ReLU(inplace=True)),
            ("conv", nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False)),
            ("pool", nn.AvgPool2d(kernel_size=2, stride=2)),
        ]))


class DenseNet(nn.Module):
    """A stem, dense blocks joined by transitions, a final BN-ReLU, global average pooling, a classifier."""

    def __init__(self, growth: int, blocks: tuple[int, ...], init_channels: int, bottleneck: bool = True,
                 compression: float = 0.5, bn_size: int = 4, num_classes: int = 1000, in_channels: int = 3,
                 imagenet_stem: bool = True, name: str = "DenseNet"):
        super().__init__()
        self.name, self.in_channels, self.growth = name, in_channels, growth
        if imagenet_stem:  # 7×7/2 conv, BN, ReLU, 3×3/2 max-pool, as torchvision
            stem = [("conv0", nn.Conv2d(in_channels, init_channels, kernel_size=7, stride=2, padding=3, bias=False)),
                    ("norm0", nn.BatchNorm2d(init_channels)), ("relu0", nn.ReLU(inplace=True)),
                    ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1))]
        else:  # CIFAR: one 3×3 conv (the first dense layer normalises its input)
            stem = [("conv0", nn.Conv2d(in_channels, init_channels, kernel_size=3, padding=1, bias=False))]
        self.features = nn.Sequential(OrderedDict(stem))
        channels = init_channels
        for i, n in enumerate(blocks):
            block = DenseBlock(n, channels, growth, bottleneck, bn_size)
            self.features.add_module(f"denseblock{i + 1}", block)
            channels = block.out_channels
            if i != len(blocks) - 1:
                out = int(compression * channels)  # θ = 0.5 halves (rounding down), θ = 1 keeps
                self.features.add_module(f"transition{i + 1}", Transition(channels, out))
                channels = out
        self.features.add_module("norm5", nn.BatchNorm2d(channels))
        self.classifier = nn.Linear(channels, num_classes)
        self.out_channels = channels
        self.min_input = 2 ** (len(blocks) - 1) * (4 if imagenet_stem else 1)
        for m in self.modules():  # as torchvision
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def dense_blocks(self) -> list[DenseBlock]:
        return [m for m in self.features if isinstance(m, DenseBlock)]

    def reuse_pairs(self) -> list[tuple[DenseBlock, nn.Module]]:
        """Each dense block with the layer that consumes all of its output: a transition, or the classifier."""
        mods = list(self.features)
        return [(m, after if isinstance(after, Transition) else self.classifier)
                for m, after in zip(mods, mods[1:]) if isinstance(m, DenseBlock)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.in_channels, self.min_input, self.name)
        x = F.relu(self.features(x))  # (N, C, h, w)
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)  # (N, C)
        return self.classifier(x)


def densenet121(num_classes: int = 1000, in_channels: int = 3) -> DenseNet:
    """DenseNet-121: k = 32, blocks (6, 12, 24, 16), 64 initial channels, bottleneck 4k, θ = 0.5."""
    return DenseNet(32, (6, 12, 24, 16), 64, True, 0.5, 4, num_classes, in_channels, True, "DenseNet-121")


def dense_layers_per_block(depth: int, bc: bool) -> int:
    """Layers per dense block of a CIFAR DenseNet of ``depth`` (L = 3n + 4, or 6n + 4 with BC)."""
    per = 6 if bc else 3  # a BC layer holds two convolutions
    if depth < per + 4 or (depth - 4) % per:
        raise BadDenseDepth(depth, per, max(per + 4, per * round((depth - 4) / per) + 4))
    return (depth - 4) // per


def densenet_cifar(depth: int, growth: int, bc: bool = True, num_classes: int = 10, in_channels: int = 3) -> DenseNet:
    """The paper's CIFAR DenseNet: 3 dense blocks; first conv 16 maps (2k with BC); BC = bottleneck
    layers and compression θ = 0.5. L counts the first conv, the dense convs, 2 transitions, the FC."""
    if not 1 <= growth <= 64:
        raise OutOfRange("growth", growth, 1, 64)
    n = dense_layers_per_block(depth, bc)
    name = f"DenseNet-BC-{depth}" if bc else f"DenseNet-{depth}"
    return DenseNet(growth, (n, n, n), 2 * growth if bc else 16, bc, 0.5 if bc else 1.0, 4, num_classes,
                    in_channels, imagenet_stem=False, name=name)


def dense_input_channels(k0: int, growth: int, layers: int) -> list[int]:
    """Channels each layer of a dense block receives: k₀ + k·(ℓ − 1) for ℓ = 1 … layers, then the output."""
    return [k0 + growth * (ell - 1) for ell in range(1, layers + 2)]


@torch.no_grad()
def feature_reuse(block: DenseBlock, consumer: nn.Module | None = None) -> list[list[float]]:
    """Huang et al.'s Figure 5 for one block: row ℓ (target layer), column s (source: 0 = the block's
    input, s = layer s's output) = mean |w| of layer ℓ's first conv over source s's input channels.
    Sources a layer cannot see (s ≥ ℓ) are NaN. ``consumer``, the transition (or classifier) after
    the block, adds a last row that sees every source."""
    layers = list(block.values())
    k0, k = block.in_channels, layers[0].growth
    weights = [layer.conv1.weight for layer in layers]  # (out, k₀ + k·(ℓ − 1), kh, kw)
    if isinstance(consumer, Transition):
        weights.append(consumer.conv.weight)  # (out, k₀ + k·L, 1, 1)
    elif isinstance(consumer, nn.Linear):
        weights.append(consumer.weight)  # (classes, k₀ + k·L)
    rows = []
    for w in weights:
        sources = 1 + (w.shape[1] - k0) // k
        bounds = [0] + [k0 + k * s for s in range(sources)]
        row = [float(w[:, a:b].abs().mean()) for a, b in zip(bounds, bounds[1:])]
        rows.append(row + [float("nan")] * (len(layers) + 1 - len(row)))
    return rows
