"""Residual blocks with torchvision's names and layout, and a ``skip`` flag on each.

Each block computes a residual branch F(x) and, when ``skip=True``, adds the shortcut:
y = relu(F(x) + shortcut(x)). With ``skip=False`` it is the same block without the addition, so a
plain net and a residual net differ by that one thing (He et al. 2016, Sec. 4.1).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from core.errors import BadChoice

# The three shortcut options of He et al. 2016 (Sec. 3.3), used where the shape changes:
#   "A": identity with spatial subsampling and zero-padded extra channels (no parameters);
#   "B": a 1×1 convolution + BN projection (torchvision's ``downsample``);
#   "C": projections on every block, even where the shapes already match.
SHORTCUT_OPTIONS = ("A", "B", "C")


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, bias: bool = False) -> nn.Conv2d:
    """3×3 convolution with padding 1."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=bias)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1, bias: bool = False) -> nn.Conv2d:
    """1×1 convolution: mixes channels at each pixel."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=bias)


def norm(channels: int, batchnorm: bool) -> nn.Module:
    """BatchNorm2d, or a no-op when BatchNorm is switched off."""
    return nn.BatchNorm2d(channels) if batchnorm else nn.Identity()


class ZeroPadShortcut(nn.Module):
    """Option A: take every ``stride``-th pixel and pad the new channels with zeros (no parameters)."""

    def __init__(self, in_planes: int, out_planes: int, stride: int):
        super().__init__()
        self.in_planes, self.out_planes, self.stride = in_planes, out_planes, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, :, :: self.stride, :: self.stride]  # (N, C_in, H/s, W/s)
        extra = self.out_planes - self.in_planes
        return F.pad(x, (0, 0, 0, 0, 0, extra))  # (N, C_out, H/s, W/s): zeros in the new channels

    def extra_repr(self) -> str:
        return f"{self.in_planes}->{self.out_planes}, stride={self.stride}"


def make_shortcut(
    in_planes: int, out_planes: int, stride: int, option: str, batchnorm: bool = True
) -> nn.Module | None:
    """The shortcut a block needs, or None where the identity fits (the shapes match, option A/B)."""
    if option not in SHORTCUT_OPTIONS:
        raise BadChoice("shortcut", option, SHORTCUT_OPTIONS)
    same_shape = stride == 1 and in_planes == out_planes
    if same_shape and option != "C":
        return None
    if option == "A":
        return ZeroPadShortcut(in_planes, out_planes, stride)
    # Named .0 (conv) and .1 (BN) as torchvision's downsample, so its weights load.
    return nn.Sequential(conv1x1(in_planes, out_planes, stride, bias=not batchnorm), norm(out_planes, batchnorm))


class BasicBlock(nn.Module):
    """Two 3×3 convolutions: conv-BN-ReLU-conv-BN, (+ shortcut), ReLU. Used by ResNet-18/34."""

    expansion = 1

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        skip: bool = True,
        shortcut: str = "B",
        batchnorm: bool = True,
    ):
        super().__init__()
        # No conv bias when BN follows: BN subtracts the mean (removing any bias) and adds its own β.
        bias = not batchnorm
        self.conv1 = conv3x3(inplanes, planes, stride, bias=bias)
        self.bn1 = norm(planes, batchnorm)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes, bias=bias)
        self.bn2 = norm(planes, batchnorm)
        # A plain block (skip=False) has no shortcut at all, so it carries no projection weights.
        self.downsample = make_shortcut(inplanes, planes, stride, shortcut, batchnorm) if skip else None
        self.skip = skip
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x

        out = self.conv1(x)
        out = self.bn1(out)
        out = self.relu(out)

        out = self.conv2(out)
        out = self.bn2(out)  # F(x)

        if self.skip:
            if self.downsample is not None:
                identity = self.downsample(x)
            out = out + identity  # y = F(x) + x
        out = self.relu(out)
        return out

    def last_bn(self) -> nn.Module:
        return self.bn2


class Bottleneck(nn.Module):
    """1×1 reduce, 3×3, 1×1 expand (×4), (+ shortcut), ReLU. Used by ResNet-50/101/152.

    As in torchvision ("ResNet v1.5") the stride sits in the 3×3 conv; the paper put it in the
    first 1×1. Same parameters, slightly more multiply-adds, better accuracy.
    """

    expansion = 4

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        skip: bool = True,
        shortcut: str = "B",
        batchnorm: bool = True,
    ):
        super().__init__()
        bias = not batchnorm
        width = planes
        self.conv1 = conv1x1(inplanes, width, bias=bias)
        self.bn1 = norm(width, batchnorm)
        self.conv2 = conv3x3(width, width, stride, bias=bias)
        self.bn2 = norm(width, batchnorm)
        self.conv3 = conv1x1(width, planes * self.expansion, bias=bias)
        self.bn3 = norm(planes * self.expansion, batchnorm)
        self.relu = nn.ReLU(inplace=True)
        out_planes = planes * self.expansion
        self.downsample = make_shortcut(inplanes, out_planes, stride, shortcut, batchnorm) if skip else None
        self.skip = skip
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x

        out = self.conv1(x)  # (N, width, H, W): 1×1 reduces the channels
        out = self.bn1(out)
        out = self.relu(out)

        out = self.conv2(out)  # (N, width, H/s, W/s)
        out = self.bn2(out)
        out = self.relu(out)

        out = self.conv3(out)  # (N, 4·width, H/s, W/s): 1×1 expands again
        out = self.bn3(out)  # F(x)

        if self.skip:
            if self.downsample is not None:
                identity = self.downsample(x)
            out = out + identity  # y = F(x) + x
        out = self.relu(out)
        return out

    def last_bn(self) -> nn.Module:
        return self.bn3


class PreActBlock(nn.Module):
    """Pre-activation block (He et al., ECCV 2016): BN-ReLU-conv-BN-ReLU-conv, then + x, no ReLU after.

    Nothing sits on the shortcut path after the addition, so x_{l+1} = x_l + F(x_l) exactly and the
    signal passes from any block to any other unchanged.
    """

    expansion = 1

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        skip: bool = True,
        shortcut: str = "B",
        batchnorm: bool = True,
    ):
        super().__init__()
        bias = not batchnorm
        self.bn1 = norm(inplanes, batchnorm)
        self.relu = nn.ReLU(inplace=False)  # not in place: x is still needed for the shortcut
        self.conv1 = conv3x3(inplanes, planes, stride, bias=bias)
        self.bn2 = norm(planes, batchnorm)
        self.conv2 = conv3x3(planes, planes, bias=bias)
        self.downsample = make_shortcut(inplanes, planes, stride, shortcut, batchnorm) if skip else None
        # The projection's own BN would normalise the skip path again; pre-activation nets use a bare conv.
        if isinstance(self.downsample, nn.Sequential):
            self.downsample[1] = nn.Identity()
        self.skip = skip
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x

        out = self.bn1(x)
        out = self.relu(out)
        out = self.conv1(out)

        out = self.bn2(out)
        out = self.relu(out)
        out = self.conv2(out)  # F(x)

        if self.skip:
            if self.downsample is not None:
                identity = self.downsample(x)
            out = out + identity  # y = F(x) + x, no activation after
        return out

    def last_bn(self) -> nn.Module:
        return self.bn2


BLOCKS = {"basic": BasicBlock, "bottleneck": Bottleneck, "preact": PreActBlock}


def zero_init_residual(model: nn.Module) -> None:
    """Zero the last BN's γ in every block, so each residual block starts as the identity.

    Goyal et al. 2017 ("Accurate, Large Minibatch SGD"), used by torchvision's ``zero_init_residual``.
    For pre-activation blocks the last layer is a conv, whose weights are zeroed instead.
    """
    for m in model.modules():
        if isinstance(m, (BasicBlock, Bottleneck)) and isinstance(m.last_bn(), nn.BatchNorm2d):
            nn.init.zeros_(m.last_bn().weight)
        elif isinstance(m, PreActBlock):
            nn.init.zeros_(m.conv2.weight)
