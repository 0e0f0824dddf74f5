"""The ResNet family: ImageNet ResNet-18…152 (torchvision layout) and CIFAR ResNets of depth 6n + 2."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from core.models.blocks import BLOCKS, BasicBlock, Bottleneck, PreActBlock, conv3x3, norm, zero_init_residual
from core.errors import BadChannels, BadDepth, InputTooSmall, OutOfRange


@dataclass(frozen=True)
class FamilyMember:
    name: str
    block: str  # "basic" or "bottleneck"
    layers: tuple[int, int, int, int]  # blocks per stage


# Architectures are data (He et al. 2016, Table 1).
FAMILY = {
    m.name: m
    for m in (
        FamilyMember("resnet18", "basic", (2, 2, 2, 2)),
        FamilyMember("resnet34", "basic", (3, 4, 6, 3)),
        FamilyMember("resnet50", "bottleneck", (3, 4, 6, 3)),
        FamilyMember("resnet101", "bottleneck", (3, 4, 23, 3)),
        FamilyMember("resnet152", "bottleneck", (3, 8, 36, 3)),
    )
}

STAGE_WIDTHS = (64, 128, 256, 512)


class ResNet(nn.Module):
    """ImageNet ResNet: 7×7/2 stem, BN, ReLU, 3×3/2 max-pool, four stages, global average pool, FC.

    Module names (conv1, bn1, layer1…layer4, downsample.0/.1, fc) and ``state_dict`` shapes equal
    torchvision's, so its pretrained weights load.
    """

    halvings = 5  # conv1, max-pool, layer2, layer3, layer4 each halve the side
    min_input = 2 ** (halvings - 1) + 1  # 17: the last halving still gets 2×2 real pixels, not padding

    def __init__(
        self,
        block: type[nn.Module],
        layers: tuple[int, ...],
        num_classes: int = 1000,
        in_channels: int = 3,
        skip: bool = True,
        shortcut: str = "B",
        batchnorm: bool = True,
        name: str = "ResNet",
    ):
        super().__init__()
        self.name = name
        self.in_channels = in_channels
        self.skip = skip
        self.inplanes = 64
        self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=not batchnorm)
        self.bn1 = norm(64, batchnorm)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        opts = dict(skip=skip, shortcut=shortcut, batchnorm=batchnorm)
        self.layer1 = self._make_layer(block, STAGE_WIDTHS[0], layers[0], stride=1, **opts)
        self.layer2 = self._make_layer(block, STAGE_WIDTHS[1], layers[1], stride=2, **opts)
        self.layer3 = self._make_layer(block, STAGE_WIDTHS[2], layers[2], stride=2, **opts)
        self.layer4 = self._make_layer(block, STAGE_WIDTHS[3], layers[3], stride=2, **opts)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        _init_weights(self)

    def _make_layer(self, block, planes, blocks, stride, **opts) -> nn.Sequential:
        layers = [block(self.inplanes, planes, stride, **opts)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes, **opts) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.in_channels, self.min_input, self.name)
        x = self.conv1(x)  # (N, 64, H/2, W/2)
        x = self.bn1(x)
        x = self.relu(x)
        x = self.maxpool(x)  # (N, 64, H/4, W/4)
        x = self.layer1(x)  # (N, 64·e, H/4, W/4)
        x = self.layer2(x)  # (N, 128·e, H/8, W/8)
        x = self.layer3(x)  # (N, 256·e, H/16, W/16)
        x = self.layer4(x)  # (N, 512·e, H/32, W/32)
        return x

    def forward_head(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(x)  # (N, 512·e, 1, 1)
        x = torch.flatten(x, 1)
        return self.fc(x)  # (N, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))


def _init_weights(model: nn.Module) -> None:
    """He (Kaiming) normal init for convs, γ = 1 and β = 0 for BN, as torchvision."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


def check_input(x: torch.Tensor, in_channels: int, min_input: int, model: str) -> None:
    """Raise a clear error for an input the model cannot use (wrong rank, channels, too small)."""
    if x.dim() != 4:
        raise OutOfRange("input rank", x.dim(), 4, 4)
    if x.shape[1] != in_channels:
        raise BadChannels(int(x.shape[1]), in_channels)
    side = int(min(x.shape[-2:]))
    if side < min_input:
        raise InputTooSmall(side, min_input, model)


def build(
    name: str,
    num_classes: int = 1000,
    in_channels: int = 3,
    skip: bool = True,
    shortcut: str = "B",
    batchnorm: bool = True,
) -> ResNet:
    """Build a family member by name (``"resnet18"`` … ``"resnet152"``)."""
    m = FAMILY[name]
    block = BasicBlock if m.block == "basic" else Bottleneck
    return ResNet(block, m.layers, num_classes, in_channels, skip, shortcut, batchnorm, name=name)


def resnet18(num_classes: int = 1000, in_channels: int = 3, skip: bool = True) -> ResNet:
    """ResNet-18: basic blocks [2, 2, 2, 2]."""
    return build("resnet18", num_classes, in_channels, skip)


def resnet34(num_classes: int = 1000, in_channels: int = 3, skip: bool = True) -> ResNet:
    """ResNet-34: basic blocks [3, 4, 6, 3]."""
    return build("resnet34", num_classes, in_channels, skip)


def resnet50(num_classes: int = 1000, in_channels: int = 3, skip: bool = True) -> ResNet:
    """ResNet-50: bottleneck blocks [3, 4, 6, 3]."""
    return build("resnet50", num_classes, in_channels, skip)


def resnet101(num_classes: int = 1000, in_channels: int = 3, skip: bool = True) -> ResNet:
    """ResNet-101: bottleneck blocks [3, 4, 23, 3]."""
    return build("resnet101", num_classes, in_channels, skip)


def resnet152(num_classes: int = 1000, in_channels: int = 3, skip: bool = True) -> ResNet:
    """ResNet-152: bottleneck blocks [3, 8, 36, 3]."""
    return build("resnet152", num_classes, in_channels, skip)


class CifarResNet(nn.Module):
    """CIFAR ResNet of 6n + 2 layers (He et al. 2016, Sec. 4.2): 3×3 conv with 16 filters, three
    stages of n blocks at 16, 32, 64 filters (32×32, 16×16, 8×8 for a 32×32 input), global average
    pooling, FC. Option A shortcuts by default, so plain and residual nets have equal parameters."""

    halvings = 2  # layer2 and layer3 each halve the side
    min_input = 2 ** (halvings - 1) + 1  # 3: the last halving still gets 2×2 real pixels

    def __init__(
        self,
        depth: int,
        num_classes: int = 10,
        in_channels: int = 3,
        skip: bool = True,
        shortcut: str = "A",
        block: str = "basic",
        batchnorm: bool = True,
        width: int = 16,
    ):
        super().__init__()
        n = cifar_blocks_per_stage(depth)
        block_cls = BLOCKS[block] if isinstance(block, str) else block  # a name, or a block class (lesson 7)
        if block_cls is Bottleneck:
            raise OutOfRange("block", block, "basic", "preact")
        self.name = f"ResNet-{depth}" if skip else f"Plain-{depth}"
        self.depth, self.in_channels, self.skip = depth, in_channels, skip
        self.conv1 = conv3x3(in_channels, width, bias=not batchnorm)
        # A pre-activation net normalises inside its blocks; its stem is a bare conv.
        self.bn1 = norm(width, batchnorm) if block_cls is not PreActBlock else nn.Identity()
        self.relu = nn.ReLU(inplace=True)
        opts = dict(skip=skip, shortcut=shortcut, batchnorm=batchnorm)
        self.inplanes = width
        self.layer1 = self._make_layer(block_cls, width, n, 1, opts)
        self.layer2 = self._make_layer(block_cls, 2 * width, n, 2, opts)
        self.layer3 = self._make_layer(block_cls, 4 * width, n, 2, opts)
        # Pre-activation blocks end without BN-ReLU, so the net adds one before pooling.
        self.final = (
            nn.Sequential(norm(4 * width, batchnorm), nn.ReLU()) if block_cls is PreActBlock else nn.Identity()
        )
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(4 * width, num_classes)
        _init_weights(self)

    def _make_layer(self, block, planes, blocks, stride, opts) -> nn.Sequential:
        layers = [block(self.inplanes, planes, stride, **opts)]
        self.inplanes = planes
        layers += [block(planes, planes, **opts) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.in_channels, self.min_input, self.name)
        x = self.relu(self.bn1(self.conv1(x)))  # (N, 16, H, W)
        x = self.layer1(x)  # (N, 16, H, W)
        x = self.layer2(x)  # (N, 32, H/2, W/2)
        x = self.layer3(x)  # (N, 64, H/4, W/4)
        return self.final(x)

    def forward_head(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.flatten(self.avgpool(x), 1)  # (N, 64)
        return self.fc(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))


def cifar_blocks_per_stage(depth: int) -> int:
    """n for a depth of 6n + 2, or a clear error naming the nearest valid depth."""
    if depth < 8 or (depth - 2) % 6:
        nearest = max(8, 6 * round((depth - 2) / 6) + 2)
        raise BadDepth(depth, nearest)
    return (depth - 2) // 6


# The builder's name for the same thing (as torchvision pairs ``resnet18`` with ``ResNet``):
# cifar_resnet(56, skip=False) is the plain 56-layer net.
cifar_resnet = CifarResNet


__all__ = [
    "FAMILY", "ResNet", "CifarResNet", "build", "cifar_resnet", "cifar_blocks_per_stage",
    "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "zero_init_residual",
]
