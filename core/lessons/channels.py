"""A 1×1 convolution is a matrix applied to the channel vector of every pixel: shown on real numbers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from core.errors import OutOfRange


@dataclass(frozen=True)
class Conv1x1Demo:
    x: np.ndarray  # (C_in, H, W) input feature map
    weight: np.ndarray  # (C_out, C_in): the 1×1 kernels as a matrix
    conv_out: np.ndarray  # (C_out, H, W) from nn.Conv2d(kernel_size=1)
    matmul_out: np.ndarray  # (C_out, H, W) from weight @ x[:, i, j] at every pixel
    max_diff: float
    params: int  # C_out · C_in, no bias
    macs: int  # C_out · C_in · H · W


def conv1x1_demo(weight: np.ndarray, size: int = 3, seed: int = 0) -> Conv1x1Demo:
    """Run ``weight`` (C_out × C_in) as a bias-free 1×1 conv and as a per-pixel matrix product."""
    w = np.asarray(weight, dtype=np.float32)
    if w.ndim != 2 or not (1 <= w.shape[0] <= 6 and 1 <= w.shape[1] <= 6):
        raise OutOfRange("weight shape", "×".join(map(str, w.shape)), "1×1", "6×6")
    if not np.isfinite(w).all():
        raise OutOfRange("weight", "nan/inf", -1e6, 1e6)
    c_out, c_in = w.shape
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(-3, 4, (1, c_in, size, size), generator=g).float()  # small integers: easy to check by eye
    conv = nn.Conv2d(c_in, c_out, kernel_size=1, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(w).view(c_out, c_in, 1, 1))
        conv_out = conv(x)[0]  # (C_out, H, W)
    matmul_out = torch.einsum("oc,chw->ohw", torch.tensor(w), x[0])
    return Conv1x1Demo(
        x=x[0].numpy(),
        weight=w,
        conv_out=conv_out.numpy(),
        matmul_out=matmul_out.numpy(),
        max_diff=float((conv_out - matmul_out).abs().max()),
        params=c_out * c_in,
        macs=c_out * c_in * size * size,
    )
