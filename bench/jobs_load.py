"""Jobs under load: many sessions asking for the same run, and more distinct runs than slots.

1. 30 simultaneous "sessions" press the default comparison's button (six configs each), and each
   polls its jobs like a page (4 Hz): goal, exactly one computation per distinct config (6) and
   the time of one session alone (the baseline, measured first in the same run).
2. 10 distinct runs: never more than K training at once (sampled at 100 Hz and from the
   registry), with queue places reported; peak memory (RSS) of the process.
Run: .venv/bin/python bench/jobs_load.py [--sessions 30] [--distinct 10]
"""

from __future__ import annotations

import argparse
import resource
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.lessons.degradation import degradation_configs  # noqa: E402
from core.training.engine import TrainConfig, warm_up  # noqa: E402
from core.training.jobs import JobRegistry  # noqa: E402


def rss_mib() -> float:
    """Resident memory of this process now."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def session(registry: JobRegistry, name: str, configs, start: threading.Barrier, out: dict) -> None:
    """One browser tab: click, then poll every job's snapshot until all are finished."""
    start.wait()
    t0 = time.perf_counter()
    jobs = [registry.submit(cfg, name) for cfg in configs]
    while not all(job.snapshot().finished for job in jobs):
        time.sleep(0.25)
    out[name] = (time.perf_counter() - t0, jobs)


def many_sessions(n: int, seed: int) -> tuple[float, float, JobRegistry, dict]:
    """n sessions (threads) asking for the same comparison at the same moment."""
    registry = JobRegistry(warm=False)
    configs = degradation_configs(seed, device="cpu")
    start, out = threading.Barrier(n), {}
    threads = [threading.Thread(target=session, args=(registry, f"s{i}", configs, start, out)) for i in range(n)]
    t0, c0 = time.perf_counter(), time.process_time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, time.process_time() - c0, registry, out


def distinct_runs(n: int) -> dict:
    """n different configs at once; a monitor samples how many train and the process's RSS."""
    registry = JobRegistry(warm=False)
    configs = [TrainConfig(depth=20, seed=100 + i, epochs=2, device="cpu") for i in range(n)]
    rss0 = rss_mib()
    jobs = [registry.submit(cfg, f"s{i}") for i, cfg in enumerate(configs)]
    places = [job.snapshot().position for job in jobs]
    peak_seen, peak_rss = 0, rss0
    t0 = time.perf_counter()
    while not all(job.wait(0) for job in jobs):
        peak_seen = max(peak_seen, [job.status for job in jobs].count("running"))
        peak_rss = max(peak_rss, rss_mib())
        time.sleep(0.01)
    return {"k": registry.max_running, "seen": peak_seen, "registry": registry.peak_running,
            "computations": registry.computations, "places": places, "time": time.perf_counter() - t0,
            "rss0": rss0, "rss": peak_rss, "done": sum(job.status == "done" for job in jobs)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=30)
    ap.add_argument("--distinct", type=int, default=10)
    args = ap.parse_args()
    warm_up()  # imports and data once, so the baseline and the load run compare like with like
    base_time, base_cpu, _, _ = many_sessions(1, seed=1)  # baseline: one session alone
    wall, cpu, registry, out = many_sessions(args.sessions, seed=2)  # another seed: nothing cached
    distinct_jobs = {id(job) for _, jobs in out.values() for job in jobs}
    slowest = max(t for t, _ in out.values())
    print(f"1) {args.sessions} sessions × the default comparison ({len(degradation_configs())} configs), "
          f"{registry.max_running} jobs at once")
    print(f"   computations: {registry.computations} (goal: 6, one per distinct config); "
          f"distinct Job objects handed out: {len(distinct_jobs)}")
    print(f"   one session alone: {base_time:.2f} s; {args.sessions} sessions: slowest {slowest:.2f} s "
          f"= {slowest / base_time:.2f} × alone (wall {wall:.2f} s)")
    print(f"   CPU seconds: alone {base_cpu:.1f}, {args.sessions} sessions {cpu:.1f} = {cpu / base_cpu:.2f} × "
          f"(polling included; wall above CPU ÷ cores is time lost to other processes)")
    d = distinct_runs(args.distinct)
    print(f"2) {args.distinct} distinct ResNet-20 runs (2 epochs each), K = {d['k']}")
    print(f"   most training at once: sampled {d['seen']}, registry {d['registry']} (goal ≤ K = {d['k']}); "
          f"computations {d['computations']}; finished {d['done']}/{args.distinct} in {d['time']:.1f} s")
    print(f"   queue places right after submitting: {d['places']}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"   RSS before {d['rss0']:.0f} MiB, peak while training {d['rss']:.0f} MiB "
          f"(+{d['rss'] - d['rss0']:.0f} MiB); process peak {peak:.0f} MiB")


if __name__ == "__main__":
    main()
