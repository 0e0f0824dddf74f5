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
