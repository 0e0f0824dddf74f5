"""Lesson 2's default comparison: latency of the first curve point, time for the whole comparison,
and how often the degradation effect holds over seeds.

Goals: first metric point within 1.5 s of the click, all six runs within 15 s (2-core CPU). The
first seed runs in a cold process (the data set and scikit-learn load on the way); later seeds
are warm, as in a running app. The baseline, measured in the same run, trains the same six runs
one after another in one thread with all cores (no registry). CPU seconds are printed beside wall
seconds: on a shared machine, wall time above CPU ÷ cores is time lost to other processes.
Run: .venv/bin/python bench/degradation_latency.py [--seeds 0 1 … 9]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from core.engine import degradation_configs, degradation_holds, train  # noqa: E402
from core.jobs import JobRegistry  # noqa: E402

GOAL_FIRST_S, GOAL_TOTAL_S = 1.5, 15.0


def comparison(seed: int, device: str) -> dict:
    """Click → first StepRecord of any run → all six runs finished, polled like a page at 20 Hz."""
    registry = JobRegistry()  # the app's settings: one job per core, one thread each on 2 cores
    t0, c0 = time.perf_counter(), time.process_time()
    jobs = [registry.submit(cfg, "bench") for cfg in degradation_configs(seed, device=device)]
    first = None
    while not all(job.wait(0) for job in jobs):
        if first is None and any(job.snapshot().steps for job in jobs):
            first = time.perf_counter() - t0
        time.sleep(0.05)
    total, cpu = time.perf_counter() - t0, time.process_time() - c0
    snaps = [job.snapshot() for job in jobs]
    assert all(s.status == "done" for s in snaps), [s.status for s in snaps]
    final = {(s.config.depth, s.config.skip): s.epochs[-1].train_error for s in snaps}
    return {"seed": seed, "first": first if first is not None else total, "total": total, "cpu": cpu, "final": final,
            "holds": degradation_holds(final), "threads": snaps[0].info.threads,
            "running": registry.max_running}


def baseline(seed: int, device: str) -> float:
    """Seconds for the six runs one after another in this thread (all cores, no registry)."""
    t0 = time.perf_counter()
    for cfg in degradation_configs(seed, device=device):
        train(cfg)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=list(range(10)))
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    results = [comparison(seed, args.device) for seed in args.seeds]
    base = baseline(args.seeds[-1], args.device)
    r0 = results[0]
    print(f"default comparison: {len(r0['final'])} runs, {r0['running']} at once, {r0['threads']} thread(s) each")
    print(f"baseline: the same six runs one after another, {torch.get_num_threads()} threads: {base:.2f} s")
    header = " ".join(f"{('res' if k else 'plain') + str(d):>9}" for k in (False, True) for d in sorted({d for d, _ in r0['final']}))
    print(f"{'seed':>4} {'first s':>8} {'total s':>8} {'CPU s':>6} {'÷ base':>7}  train error % at the end: {header}  plain↑ res ok")
    for r in results:
        errs = " ".join(f"{100 * r['final'][(d, k)]:9.1f}" for k in (False, True) for d in sorted({d for d, _ in r['final']}))
        print(f"{r['seed']:>4} {r['first']:8.2f} {r['total']:8.2f} {r['cpu']:6.1f} {r['total'] / base:7.2f}  "
              f"{'':>25}{errs}  {str(r['holds'][0]):>6} {str(r['holds'][1]):>6}")
    warm = results[1:] or results
    worst_first, worst_total = max(r["first"] for r in warm), max(r["total"] for r in warm)
    held = sum(all(r["holds"]) for r in results)
    print(f"cold (first seed, data loading included): first point {r0['first']:.2f} s, whole comparison {r0['total']:.2f} s")
    print(f"warm worst: first point {worst_first:.2f} s = {worst_first / GOAL_FIRST_S:.2f} × goal, "
          f"whole comparison {worst_total:.2f} s = {worst_total / GOAL_TOTAL_S:.2f} × goal")
    print(f"effect held (plain worse with depth AND residual not worse) on {held}/{len(results)} seeds")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
