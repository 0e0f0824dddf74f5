"""The CIFAR-10 reproduction's training speed: 1 vs 2 CPU processes (gloo), and CUDA where present.

Each measurement runs the reproduction's own loop (core.training.reproduce.train_run: augmentation on
the device, DDP, the paper's recipe) on random CIFAR-sized data (32×32×3, global batch 128) held in
memory, after a warm-up run in the same processes. Printed: samples/s, the 2-process speed-up and
scaling efficiency against 1 process with the same threads per process (measured in the same run),
and the wall time that 64,000 iterations would take at that speed (an extrapolation).
Run: .venv/bin/python bench/reproduce_scaling.py [--depth 56] [--steps 20]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from core.training.cifar import Cifar10  # noqa: E402
from core.training.reproduce import Options, Recipe, init_dist, to_device, train_run  # noqa: E402

BATCH = 128


def worker(depth: int, steps: int, device: str) -> None:
    """One process of a measurement (run under torch.distributed.run); rank 0 prints one JSON line."""
    d = init_dist(device)
    rng = np.random.default_rng(0)
    n = BATCH * steps
    data = Cifar10(rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8), rng.integers(0, 10, n),
                   rng.integers(0, 256, (16, 3, 32, 32), dtype=np.uint8), rng.integers(0, 10, 16))
    dev_data = to_device(data, d.device)
    with tempfile.TemporaryDirectory() as tmp:
        opts = Options(out=Path(tmp) / "warm", log_every=10**9)
        train_run(dev_data, depth, True, Recipe(iterations=2), opts, d)  # warm-up: allocator, kernels, gloo buffers
        doc = train_run(dev_data, depth, True, Recipe(iterations=steps), Options(out=Path(tmp) / "timed",
                                                                                  log_every=10**9), d)
    if d.rank == 0:
        print(json.dumps({"seconds_per_iteration": doc["seconds_per_iteration"], "device": doc["hardware"]["name"]}))
    if d.world > 1:
        torch.distributed.destroy_process_group()


def measure(procs: int, threads: int, depth: int, steps: int, device: str) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={procs}",
           str(Path(__file__).resolve()), "--worker", "--depth", str(depth), "--steps", str(steps), "--device", device]
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    doc = json.loads(out.stdout.strip().splitlines()[-1])
    doc["samples_per_second"] = BATCH / doc["seconds_per_iteration"]
    return doc


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--depth", type=int, default=56)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--worker", action="store_true")
    args = ap.parse_args()
    if args.worker:
        return worker(args.depth, args.steps, args.device)
    cores = os.cpu_count() or 1
    per_proc = max(1, cores // 2)
    print(f"ResNet-{args.depth}, global batch {BATCH}, {args.steps} timed iterations, {cores} CPU cores, "
          f"torch {torch.__version__}")
    rows = [("cpu", 1, per_proc), ("cpu", 2, per_proc)]
    if torch.cuda.is_available():
        rows.append(("cuda", 1, per_proc))
    base = None
    for device, procs, threads in rows:
        r = measure(procs, threads, args.depth, args.steps, device)
        base = base or r["samples_per_second"]
        speedup = r["samples_per_second"] / base
        line = (f"{device:>4} × {procs} process(es), {threads} thread(s) each: {r['samples_per_second']:8.1f} samples/s"
                f"  = {speedup:5.2f} × 1 CPU process")
        if device == "cpu" and procs > 1:
            line += f"  (scaling efficiency {speedup / procs:4.0%})"
        hours = 64_000 * r["seconds_per_iteration"] / 3600
        print(line + f"  → 64k iterations ≈ {hours:,.1f} h (extrapolated)")


if __name__ == "__main__":
    main()
