"""Engine throughput (samples/s, metric streaming included) against a bare PyTorch loop.

Goal: engine ÷ bare ≥ 0.95. Both train the same model (same seed) on the same tensors with the
same batches and thread count, in this process, interleaved in a shuffled order each round so that
load from elsewhere and warm-up effects hit all alike; the median of --repeats is kept for each. Rates are given per wall-clock second and per
CPU second of this process (the CPU figure does not count time lost to other processes on a
shared machine). The bare loop evaluates the test set after every epoch, as the engine does (a
loop that never evaluates is printed too, for reference).
Run: .venv/bin/python bench/engine_throughput.py [--depth 20] [--epochs 3] [--repeats 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from core.training.data import batch_indices, load_dataset  # noqa: E402
from core.training.engine import TrainConfig, build_model, evaluate, make_optimizer, train  # noqa: E402
from core.training.jobs import JobRegistry  # noqa: E402

GOAL = 0.95


def bare_loop(cfg: TrainConfig, with_eval: bool) -> float:
    """Samples per second of the plainest loop over the same work."""
    data = load_dataset(cfg.dataset, device="cpu")
    model = build_model(cfg, data)
    opt = make_optimizer(cfg, model)
    gen = torch.Generator().manual_seed(cfg.seed)
    n = len(data.y_train)
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(cfg.epochs):
        model.train()
        for idx in batch_indices(n, cfg.batch_size, gen):
            loss = F.cross_entropy(model(data.x_train[idx]), data.y_train[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        if with_eval:
            evaluate(model, data.x_test, data.y_test)
    return rates(n * cfg.epochs, t0, c0)


def engine(cfg: TrainConfig) -> float:
    """Samples per second of core.training.engine.train, set-up, records and gradient norms included."""
    n = len(load_dataset(cfg.dataset).y_train)
    t0, c0 = time.perf_counter(), time.process_time()
    out = train(cfg, lambda record: None)
    assert out.status == "done"
    return rates(n * cfg.epochs, t0, c0)


def via_job(cfg: TrainConfig, threads: int) -> float:
    """Samples per second through a JobRegistry worker, while a 'page' snapshots it 4 times a second."""
    reg = JobRegistry(max_running=1, threads_per_job=threads)
    n = len(load_dataset(cfg.dataset).y_train)
    t0, c0 = time.perf_counter(), time.process_time()
    job = reg.submit(cfg, "bench")
    while not job.wait(0.25):
        job.snapshot()
    assert job.snapshot().status == "done"
    return rates(n * cfg.epochs, t0, c0)


def rates(samples: int, t0: float, c0: float) -> tuple[float, float]:
    """(samples per wall-clock second, samples per CPU second of this process)."""
    return samples / (time.perf_counter() - t0), samples / (time.process_time() - c0)


def in_thread(fn, *args, threads: int) -> tuple[float, float]:
    """Run fn in a fresh thread with ``threads`` torch threads (as a job worker would)."""
    out = []

    def work():
        torch.set_num_threads(threads)
        out.append(fn(*args))

    t = threading.Thread(target=work)
    t.start()
    t.join()
    return out[0]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--depth", type=int, default=20)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--threads", type=int, default=JobRegistry().threads_per_job)
    args = ap.parse_args()
    base = TrainConfig(depth=args.depth, epochs=args.epochs, device="cpu")
    load_dataset("digits")  # data loading is not what is measured
    in_thread(bare_loop, base.replace(epochs=1), True, threads=args.threads)  # warm-up
    runs = {
        "bare": lambda: in_thread(bare_loop, base, True, threads=args.threads),
        "bare, no eval": lambda: in_thread(bare_loop, base, False, threads=args.threads),
        "engine (log every 5)": lambda: in_thread(engine, base, threads=args.threads),
        "engine (log every 1)": lambda: in_thread(engine, base.replace(log_every=1), threads=args.threads),
        "job + 4 Hz snapshots": lambda: via_job(base, args.threads),
    }
    samples = {name: [] for name in runs}
    for round_ in range(args.repeats):
        order = list(runs)
        random.Random(round_).shuffle(order)
        for name in order:
            samples[name].append(runs[name]())
    med = {name: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
            for name, v in samples.items()}
    print(f"ResNet-{args.depth}, digits, batch {base.batch_size}, {args.epochs} epochs, "
          f"{args.threads} torch thread(s), median of {args.repeats}")
    print(f"{'loop':<22} {'samples/s':>10} {'÷ bare':>8} {'samples/CPU-s':>14} {'÷ bare':>8}")
    bare_wall, bare_cpu = med["bare"]
    for name, (wall, cpu) in med.items():
        print(f"{name:<22} {wall:10.0f} {wall / bare_wall:8.3f} {cpu:14.0f} {cpu / bare_cpu:8.3f}")
    # The goal is for the configuration the app runs (log_every=5); every step costs a gradient-norm pass.
    defaults = [med["engine (log every 5)"], med["job + 4 Hz snapshots"]]
    for label, i, base_rate in (("wall-clock", 0, bare_wall), ("CPU", 1, bare_cpu)):
        worst = min(v[i] for v in defaults) / base_rate
        print(f"default engine paths ÷ bare ({label}): worst {worst:.3f} "
              f"(goal ≥ {GOAL}: {'met' if worst >= GOAL else 'NOT met'})")


if __name__ == "__main__":
    main()
