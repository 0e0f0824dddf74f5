"""Engine throughput on every available device, as a ratio to the CPU measured in the same run.

The same config (a CIFAR-style net on the digits, metrics and gradient norms streamed) trains on
the CPU and, where present, on CUDA / MPS; samples per second of the whole run (set-up included)
are printed with the ratio to the CPU. Also prints which device the app's badge would name.
Run: .venv/bin/python bench/device_throughput.py [--depth 56] [--epochs 4] [--batch-size 128]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from core.training.data import load_dataset  # noqa: E402
from core.training.device import pick_device  # noqa: E402
from core.training.engine import TrainConfig, train, warm_up  # noqa: E402
from core.training.tasks import RunInfo  # noqa: E402


def samples_per_second(cfg: TrainConfig) -> tuple[float, str, str]:
    n = len(load_dataset(cfg.dataset).y_train)
    seen: list[RunInfo] = []
    train(cfg.replace(epochs=1), lambda r: None)  # warm-up: kernels, allocator, cuDNN autotune
    t0 = time.perf_counter()
    out = train(cfg, lambda r: seen.append(r) if isinstance(r, RunInfo) else None)
    if cfg.device == "cuda":
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - t0
    assert out.status == "done", out
    return n * cfg.epochs / elapsed, seen[0].device, out.status


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--depth", type=int, default=56)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--batch-size", type=int, default=128)
    args = ap.parse_args()
    info = pick_device()
    print(f"app badge: {info.kind} · {info.name} · {info.threads} CPU threads · torch {torch.__version__}")
    warm_up()
    base = TrainConfig(depth=args.depth, epochs=args.epochs, batch_size=args.batch_size)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    devices += ["mps"] if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available() else []
    cpu_rate = None
    for dev in devices:
        rate, ran_on, _ = samples_per_second(base.replace(device=dev))
        cpu_rate = cpu_rate or rate
        print(f"{dev:>5} (ran on {ran_on}): {rate:9.0f} samples/s  = {rate / cpu_rate:6.2f} × CPU")


if __name__ == "__main__":
    main()
