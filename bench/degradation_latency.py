"""Lesson 2's default comparison: latency of the first curve point, time for the whole comparison,
and how often the degradation effect holds over seeds.

Goals: first metric point within 1.5 s of the click, all six runs within 15 s (2-core CPU). Cold
figures come from fresh interpreters: a click the moment the registry exists, and a click once its
background warm-up (scikit-learn import, data, torch's optimiser import) is done, as when the page
has been open a moment. Warm figures are later clicks in this process, one per seed. The baseline,
measured in the same run, trains the six runs one after another in one thread (no registry). CPU
seconds are printed beside wall seconds: on a shared machine, wall time above CPU ÷ cores is time
lost to other processes. Run: .venv/bin/python bench/degradation_latency.py [--seeds 0 1 … 9]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from core.lessons.degradation import degradation_configs, degradation_holds  # noqa: E402
from core.training.engine import train  # noqa: E402
from core.training.jobs import JobRegistry  # noqa: E402

GOAL_FIRST_S, GOAL_TOTAL_S = 1.5, 15.0


def comparison(registry: JobRegistry, seed: int, device: str) -> dict:
    """Click → first StepRecord of any run → all six runs finished, polled like a page at 20 Hz."""
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
    final = {(s.task.depth, s.task.skip): s.epochs[-1].train_error for s in snaps}
    # The verdict after each epoch: what a shorter default (fewer epochs) would have shown.
    by_epoch = [all(degradation_holds({(s.task.depth, s.task.skip): s.epochs[e].train_error for s in snaps}))
                for e in range(len(snaps[0].epochs))]
    return {"seed": seed, "first": first if first is not None else total, "total": total, "cpu": cpu,
            "final": final, "holds": degradation_holds(final), "by_epoch": by_epoch,
            "threads": snaps[0].info.threads}


def cold(mode: str, device: str) -> dict:
    """In a fresh interpreter: click at once ("now") or after the registry's warm-up ("warmed")."""
    code = (f"import sys, json; sys.path.insert(0, {str(ROOT)!r}); from bench.degradation_latency import *\n"
            f"reg = JobRegistry(); {'reg.warmed.wait()' if mode == 'warmed' else ''}\n"
            f"r = comparison(reg, 0, {device!r}); print(json.dumps({{k: r[k] for k in ('first', 'total')}}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.splitlines()[-1])


def baseline(seed: int, device: str) -> float:
    """Seconds for the six runs one after another in one thread with one torch thread."""
    def work():
        torch.set_num_threads(1)
        for cfg in degradation_configs(seed, device=device):
            train(cfg)

    t0 = time.perf_counter()
    t = threading.Thread(target=work)
    t.start()
    t.join()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=list(range(10)))
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    cold_now, cold_warmed = cold("now", args.device), cold("warmed", args.device)
    registry = JobRegistry()  # the app's settings: one job per core (≤ 4), cores shared between them
    registry.warmed.wait()
    results = [comparison(registry, seed, args.device) for seed in args.seeds]
    base = baseline(args.seeds[-1], args.device)
    depths = sorted({d for d, _ in results[0]["final"]})
    names = [("res" if k else "plain") + str(d) for k in (False, True) for d in depths]
    print(f"default comparison: {len(names)} runs, {registry.max_running} at once, "
          f"{results[0]['threads']} torch thread(s) each")
    print(f"baseline: the same runs one after another, one thread: {base:.2f} s")
    print(f"{'seed':>4} {'first s':>8} {'total s':>8} {'CPU s':>6} {'÷ base':>7}  "
          + " ".join(f"{n:>8}" for n in names) + "  (train error %, last epoch)  plain↑  res ok")
    for r in results:
        errs = " ".join(f"{100 * r['final'][(d, k)]:8.1f}" for k in (False, True) for d in depths)
        print(f"{r['seed']:>4} {r['first']:8.2f} {r['total']:8.2f} {r['cpu']:6.1f} {r['total'] / base:7.2f}  "
              f"{errs}  {'':>27}{str(r['holds'][0]):>6} {str(r['holds'][1]):>6}")
    worst_first, worst_total = max(r["first"] for r in results), max(r["total"] for r in results)
    held = sum(all(r["holds"]) for r in results)
    print(f"cold, click at start-up:  first point {cold_now['first']:.2f} s = {cold_now['first'] / GOAL_FIRST_S:.2f} "
          f"× goal, whole comparison {cold_now['total']:.2f} s")
    print(f"cold, click after warm-up: first point {cold_warmed['first']:.2f} s = "
          f"{cold_warmed['first'] / GOAL_FIRST_S:.2f} × goal, whole comparison {cold_warmed['total']:.2f} s")
    print(f"warm, worst of {len(results)}: first point {worst_first:.2f} s = {worst_first / GOAL_FIRST_S:.2f} × goal, "
          f"whole comparison {worst_total:.2f} s = {worst_total / GOAL_TOTAL_S:.2f} × goal")
    print(f"effect held (plain worse with depth AND residual not worse) on {held}/{len(results)} seeds")
    per_epoch = [sum(r["by_epoch"][e] for r in results) for e in range(len(results[0]["by_epoch"]))]
    print("after epoch 1, 2, …: held on " + ", ".join(f"{h}/{len(results)}" for h in per_epoch) + " seeds")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
