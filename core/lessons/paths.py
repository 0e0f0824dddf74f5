"""Lesson 8: a residual net unrolled into paths (Veit, Wilber, Belongie, NeurIPS 2016).

Each residual block y = x + F(x) offers two roads: through F or around it. A net of n blocks
therefore holds 2ⁿ paths, and a path that passes through k of the residual branches has length k;
there are C(n, k) such paths, so a path drawn at random has a length ~ Binomial(n, ½).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from core.models.resnet import cifar_blocks_per_stage


@dataclass(frozen=True)
class PathStats:
    blocks: int  # n, residual blocks in the net
    counts: tuple[int, ...]  # counts[k] = C(n, k): paths through exactly k residual branches
    total: int  # 2ⁿ
    mean: float  # n / 2
    std: float  # √n / 2

    @property
    def share(self) -> np.ndarray:
        """Fraction of all paths of each length 0…n (the Binomial(n, ½) probabilities)."""
        return np.array(self.counts, dtype=np.float64) / self.total

    def share_between(self, low: int, high: int) -> float:
        """Fraction of paths whose length k satisfies low ≤ k ≤ high."""
        return sum(self.counts[max(0, low): min(self.blocks, high) + 1]) / self.total

    def middle_band(self) -> tuple[int, int, float]:
        """(low, high, share): the lengths within one standard deviation of the mean, rounded to whole
        lengths, and the fraction of paths that have them (the lesson's darker bars)."""
        low, high = round(self.mean - self.std), round(self.mean + self.std)
        return low, high, self.share_between(low, high)

    def most_common(self) -> tuple[int, ...]:
        """The length(s) with the most paths: n/2 for even n, the two middle lengths for odd n."""
        top = max(self.counts)
        return tuple(k for k, c in enumerate(self.counts) if c == top)


def paths_avoiding(blocks: int, deleted: int) -> int:
    """Paths that pass through none of ``deleted`` given blocks' branches: each deleted block leaves only
    its shortcut, so 2ⁿ⁻ᵏ of the 2ⁿ paths are left, a share 2⁻ᵏ whatever n is."""
    return 2 ** (blocks - deleted)


def enumerate_paths_avoiding(blocks: int, deleted: set[int]) -> int:
    """The same count found by walking every path (small n only: the check of paths_avoiding)."""
    return sum(1 for choice in itertools.product((0, 1), repeat=blocks) if not any(choice[i] for i in deleted))


def cifar_residual_blocks(depth: int) -> int:
    """Residual blocks of a CIFAR ResNet of ``depth`` = 6m + 2 layers: three stages of m blocks."""
    return 3 * cifar_blocks_per_stage(depth)


def path_lengths(blocks: int) -> PathStats:
    """The exact path-length distribution of a net of ``blocks`` residual blocks (integers, no rounding)."""
    counts = tuple(math.comb(blocks, k) for k in range(blocks + 1))
    return PathStats(blocks, counts, 2 ** blocks, blocks / 2, math.sqrt(blocks) / 2)


def enumerate_path_lengths(blocks: int) -> list[int]:
    """Counts by length found by walking every one of the 2ⁿ paths (small n only: the check of the formula)."""
    counts = [0] * (blocks + 1)
    for choice in itertools.product((0, 1), repeat=blocks):  # 1 = through the block's F, 0 = its shortcut
        counts[sum(choice)] += 1
    return counts
