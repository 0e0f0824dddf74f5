"""Lesson 8: feature reuse, measured on the trained plain and residual nets of the lesion study.

Unrolled, a residual net's stream is a sum: x_j = x_0 + F_1(x_0) + … + F_j(x_{j−1}), so every
block receives the features of all earlier blocks, added together (a DenseNet concatenates them
instead, Huang et al. 2017). A sum has no per-source weights to read, so this module measures how
much of an earlier output is still in a later one: the cosine similarity between block j's output
and representation i (0 = the stem's output, i = block i's output) carried to block j's shape by the
parameter-free maps a deleted block leaves (identity, or option A's subsample + zero-pad, then
ReLU), the same maps for both nets. Both are after a ReLU, so the similarity is never negative and
unrelated maps score above 0: the two nets are compared, a single value is not read alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from core.lessons.lesion import blocks, parameter_free_map
from core.models.resnet import CifarResNet


@torch.no_grad()
def carried_similarity(model: CifarResNet, x: torch.Tensor) -> np.ndarray:
    """(n, n): row j = the output of block j + 1, column i = representation i (0 = the stem's output, i =
    block i's) carried there; the mean cosine similarity over the images of ``x``; NaN where i > j."""
    model.eval()
    h = model.relu(model.bn1(model.conv1(x)))  # the stem's output (N, w, H, W)
    chain = [b for _, b in blocks(model)]
    sources, outputs = [h], []
    for block in chain:
        h = block(h)
        outputs.append(h)
        sources.append(h)
    n = len(chain)
    sim = np.full((n, n), np.nan)  # the last block's output is no earlier output of any block: no column
    units = [F.normalize(o.flatten(1), dim=1) for o in outputs]  # (N, D_j), each image's map of norm 1
    for i in range(n):  # representation i is carried through blocks i + 1 … n
        carried, unit = sources[i], None
        nonneg = bool((carried >= 0).all())
        for j in range(i, n):
            step = parameter_free_map(chain[j])
            # An identity map (then a ReLU on values that are ≥ 0 already) changes nothing: skip its work.
            if step.shortcut is not None or (step.relu and not nonneg):
                carried, unit, nonneg = step(carried), None, nonneg or step.relu
            if unit is None:
                unit = F.normalize(carried.flatten(1), dim=1)  # now the shape of block j + 1's output
            sim[j, i] = float((units[j] * unit).sum(1).mean())  # the mean cosine similarity over the images
    return sim


@dataclass(frozen=True)
class ReuseSummary:
    """The numbers the lesson's text quotes for one net's map."""

    mean: float  # over every cell (every block's output against every earlier representation)
    far: float  # the stem's output against the last block's


def summarize_reuse(sim: np.ndarray) -> ReuseSummary:
    return ReuseSummary(float(np.nanmean(sim)), float(sim[-1, 0]))


def reuse_verdict(plain: float, residual: float, digits: int = 2) -> str:
    """"more", "same" or "less": does the residual net keep more of its earlier features, compared at
    the ``digits`` the page shows (so the verdict never contradicts the two numbers beside it)?"""
    p, r = round(plain, digits), round(residual, digits)
    return "more" if r > p else "same" if r == p else "less"
