"""Lesson 8: time of a 21×21 loss surface of a depth-20 net (goal: ≤ 20 s on the 2-core CPU).

Baseline, measured in the same run: a direct port of the paper's loop, which writes each point's
weights into the module and evaluates the whole training set (eval-mode BatchNorm). Ours
(core.lessons.landscape.losses_at) evaluates a fixed subset (LandscapeTask.samples) with
functional_call, without touching the trained module, one point at a time on one thread and 8 at a
time (vmap) on more. Also timed: the other choice. The baseline and the other choice are timed on
a sample of points and scaled to the grid. Prints seconds and ratios; the load average too,
since the machine may be shared.

    .venv/bin/python bench/landscape_speed.py [--threads N] [--size 21] [--depth 20]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.lessons.landscape import LandscapeTask, default_chunk, directions, grid, loss_subset, losses_at  # noqa: E402
from core.models.resnet import cifar_resnet  # noqa: E402
from core.training.data import load_dataset  # noqa: E402


@torch.no_grad()
def loop(model, d1, d2, points, x, y) -> np.ndarray:
    """The paper's way: write θ* + αδ + βη into the module, evaluate, next point."""
    theta = {k: v.detach().clone() for k, v in model.named_parameters()}
    params = dict(model.named_parameters())
    out = []
    model.eval()
    for a, b in points:
        for k, p in params.items():
            p.copy_(theta[k] + a * d1[k] + b * d2[k])
        out.append(float(F.cross_entropy(model(x), y)))
    for k, p in params.items():
        p.copy_(theta[k])
    return np.array(out)


def timed(fn, *args):
    t0 = time.perf_counter()
    value = fn(*args)
    return time.perf_counter() - t0, value


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--size", type=int, default=21)
    ap.add_argument("--depth", type=int, default=20)
    ap.add_argument("--sample", type=int, default=21, help="points timed for the scaled baselines")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = cifar_resnet(args.depth, 10, 1).eval()  # the timing does not depend on the weights' values
    d1, d2 = directions(model, 0)
    samples = LandscapeTask().samples
    x, y = loss_subset(samples)
    full = load_dataset("digits")
    axis = grid(args.size, 1.0)
    plane = np.array([(a, b) for b in axis for a in axis])
    sample = plane[np.linspace(0, len(plane) - 1, args.sample).astype(int)]
    losses_at(model, d1, d2, plane[:8], x, y, lambda done: None, 8)  # warm-up: first calls, allocator
    scale = len(plane) / len(sample)

    t_base, _ = timed(loop, model, d1, d2, sample, full.x_train, full.y_train)
    chunk = default_chunk()
    other = 8 if chunk == 1 else 1
    t_other, _ = timed(losses_at, model, d1, d2, sample, x, y, lambda done: None, other)
    t_ours, surface = timed(losses_at, model, d1, d2, plane, x, y)
    t_base, t_other = t_base * scale, t_other * scale
    check = loop(model, d1, d2, plane[:3], x, y)
    assert np.allclose(check, surface[:3], rtol=1e-4), (check, surface[:3])

    print(f"{args.size}×{args.size} surface of a depth-{args.depth} net, {args.threads} thread(s), "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  baseline: loop, whole training set ({len(full.y_train)}) {t_base:7.1f} s  (scaled from {len(sample)} points)")
    print(f"  ours: {samples}-example subset, {chunk} point(s) at once {t_ours:7.1f} s  (measured) ×{t_base / t_ours:5.1f} vs baseline")
    print(f"  the other choice, {other} point(s) at once     {t_other:7.1f} s  (scaled)   ×{t_base / t_other:5.1f} vs baseline")
    print(f"  goal ≤ 20 s: {'met' if t_ours <= 20 else 'NOT met'}")


if __name__ == "__main__":
    main()
