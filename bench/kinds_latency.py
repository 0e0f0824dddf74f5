"""Lesson 7: how long each live piece takes through the job registry, and what it shows over seeds.

    .venv/bin/python bench/kinds_latency.py [--seeds 5] [--skip-seeds]

Part 1 times each of the page's three live pieces (add vs concatenate, gated vs scaled, long skips)
as the page submits them, against a baseline measured in the same run: one ResNet-20 run of lesson
2's default config. Goal: each piece ≤ 10 s on 2 idle cores. Part 2 trains every piece over several
seeds (one thread, one run at a time) and prints the final errors, so the lesson's statements about
"how often" are measured, not assumed. The load average is printed: on a shared machine the
seconds are only comparable within one run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from core.lessons.kinds import DenoiseTask, DenseReuseTask, concat_configs, gate_configs  # noqa: E402
from core.training.engine import TrainConfig, train  # noqa: E402
from core.training.jobs import JobRegistry  # noqa: E402

GOAL = 10.0  # seconds per live piece on 2 idle cores


def wall(registry: JobRegistry, tasks) -> float:
    t0 = time.perf_counter()
    jobs = [registry.submit(task, "bench") for task in tasks]
    for job in jobs:
        job.wait()
    assert all(j.snapshot().status == "done" for j in jobs), [j.snapshot().status for j in jobs]
    return time.perf_counter() - t0


def pieces(seed: int, gate_bias: float = -2.0) -> dict[str, list]:
    dense, res, plain = concat_configs(seed)[2], concat_configs(seed)[1], concat_configs(seed)[0]
    return {
        "add vs concatenate (Plain, ResNet, DenseNet)": [plain, res, DenseReuseTask(dense)],
        "gated vs scaled (identity, gated, scaled)": gate_configs(gate_bias, seed),
        "long skips (with, without)": [DenoiseTask(True, seed=seed), DenoiseTask(False, seed=seed)],
    }


def final(cfg: TrainConfig) -> tuple[float, float]:
    epochs = []
    train(cfg, lambda r: epochs.append(r) if type(r).__name__ == "EpochRecord" else None)
    return epochs[-1].train_error, epochs[-1].test_error


def denoise(task: DenoiseTask) -> tuple[float, float]:
    out = []
    task.run(lambda r: out.append(r.value) if type(r).__name__ == "Result" else None)
    return out[0].test_mse, out[0].detail_mse


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--skip-seeds", action="store_true")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--biases", type=float, nargs="*", default=[-2.0, 0.0, -6.0])
    args = ap.parse_args()
    print(f"cores {os.cpu_count()}, load average at start {os.getloadavg()}")

    reg = JobRegistry(cache_size=0)  # nothing cached: a repeat trains again
    reg.warmed.wait()
    # On a shared machine other work comes and goes: each figure is the best of a few repeats,
    # interleaved so that a burst of load hits the baseline and the pieces alike.
    times: dict[str, list[float]] = {}
    for _ in range(args.repeats):
        times.setdefault("baseline", []).append(wall(reg, [TrainConfig(depth=20, seed=123)]))
        for name, tasks in pieces(seed=1000).items():
            times.setdefault(name, []).append(wall(reg, tasks))
    base = min(times.pop("baseline"))
    print(f"baseline: ResNet-20, lesson 2's config, alone: best of {args.repeats} {base:.2f} s")
    for name, ts in times.items():
        s = min(ts)
        print(f"{name}: best {s:.2f} s (all: {', '.join(f'{x:.1f}' for x in ts)}) = {s / base:.2f} × baseline "
              f"= {s / GOAL:.2f} × the {GOAL:.0f} s goal")
    if args.skip_seeds:
        return

    torch.set_num_threads(1)
    seeds = range(args.seeds)
    print("\nadd vs concatenate, final epoch (train error / test error):")
    wins = 0
    for seed in seeds:
        plain, res, dense = (final(c) for c in concat_configs(seed))
        wins += dense[1] <= res[1]
        print(f"  seed {seed}: Plain {plain[0]:.3f}/{plain[1]:.3f}  ResNet {res[0]:.3f}/{res[1]:.3f}  "
              f"DenseNet {dense[0]:.3f}/{dense[1]:.3f}")
    print(f"  DenseNet test error ≤ ResNet's on {wins} of {len(seeds)} seeds")

    for bias in args.biases:
        print(f"\nidentity vs gated (b_T = {bias:g}) vs scaled, final training error:")
        order = {"identity<gated": 0, "identity<scaled": 0}
        for seed in seeds:
            ident, gated, scaled = (final(c)[0] for c in gate_configs(bias, seed))
            order["identity<gated"] += ident < gated
            order["identity<scaled"] += ident < scaled
            print(f"  seed {seed}: identity {ident:.3f}  gated {gated:.3f}  scaled {scaled:.3f}")
        print(f"  identity below gated on {order['identity<gated']} of {len(seeds)} seeds, "
              f"below scaled on {order['identity<scaled']} of {len(seeds)}")

    print("\nlong skips: test MSE (detail part), with vs without:")
    better = 0
    for seed in seeds:
        (w, wd), (wo, wod) = denoise(DenoiseTask(True, seed=seed)), denoise(DenoiseTask(False, seed=seed))
        better += w < wo
        print(f"  seed {seed}: with {w:.4f} ({wd:.4f})  without {wo:.4f} ({wod:.4f})  ratio {wo / w:.2f}")
    print(f"  long skips lower the error on {better} of {len(seeds)} seeds")
    print(f"load average at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
