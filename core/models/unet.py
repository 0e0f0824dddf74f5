"""A small U-Net-like encoder–decoder (Ronneberger et al. 2015) for 8×8 images, long skips optional.

Encoder: two levels of conv-BN-ReLU ×2 and 2×2 max-pooling (C, 2C channels at 8×8 and 4×4), a
bottom at 2×2 with 4C. Decoder: 2×2 transposed convolutions halve the channels and double the side;
with ``long_skips`` the encoder's map of the same level is **concatenated** before the level's convs,
as in U-Net; without, the decoder has to rebuild the detail from the 2×2 bottom alone.
"""

from __future__ import annotations

import torch
from torch import nn

from core.errors import BadShape


def double_conv(cin: int, cout: int) -> nn.Sequential:
    """(3×3 conv, BN, ReLU) twice, padding 1: the side stays."""
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
    )


class EncoderDecoder(nn.Module):
    """8×8 → 4×4 → 2×2 → 4×4 → 8×8; ``long_skips``: concatenate enc1 into dec1 and enc2 into dec2."""

    levels = 2  # halvings: the side must be a multiple of 4

    def __init__(self, in_channels: int = 1, out_channels: int = 1, width: int = 16, long_skips: bool = True):
        super().__init__()
        c = width
        self.long_skips, self.in_channels = long_skips, in_channels
        self.name = "U-Net" if long_skips else "Encoder-decoder"
        self.enc1 = double_conv(in_channels, c)  # (N, C, H, W)
        self.enc2 = double_conv(c, 2 * c)  # (N, 2C, H/2, W/2)
        self.pool = nn.MaxPool2d(2)
        self.bottom = double_conv(2 * c, 4 * c)  # (N, 4C, H/4, W/4)
        self.up2 = nn.ConvTranspose2d(4 * c, 2 * c, 2, stride=2)  # → (N, 2C, H/2, W/2)
        self.dec2 = double_conv(4 * c if long_skips else 2 * c, 2 * c)
        self.up1 = nn.ConvTranspose2d(2 * c, c, 2, stride=2)  # → (N, C, H, W)
        self.dec1 = double_conv(2 * c if long_skips else c, c)
        self.head = nn.Conv2d(c, out_channels, 1)  # per-pixel output

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.in_channels or x.shape[-1] % 4 or x.shape[-2] % 4:
            raise BadShape("input", tuple(x.shape), ("N", self.in_channels, "4·h", "4·w"))
        e1 = self.enc1(x)  # (N, C, H, W)
        e2 = self.enc2(self.pool(e1))  # (N, 2C, H/2, W/2)
        b = self.bottom(self.pool(e2))  # (N, 4C, H/4, W/4)
        d2 = self.up2(b)  # (N, 2C, H/2, W/2)
        if self.long_skips:
            d2 = torch.cat([d2, e2], 1)  # (N, 4C, H/2, W/2): the encoder's detail at this level
        d2 = self.dec2(d2)
        d1 = self.up1(d2)  # (N, C, H, W)
        if self.long_skips:
            d1 = torch.cat([d1, e1], 1)  # (N, 2C, H, W)
        return self.head(self.dec1(d1))  # (N, out, H, W)
