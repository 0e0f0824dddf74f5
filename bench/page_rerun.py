"""Median warm rerun time of every page (AppTest), in both languages, against a baseline.

Goal (issue 3): the slowest lesson reruns in under 300 ms. The baseline is a page that only draws
a title, run through the same AppTest machinery in the same process, so the ratio shows what the
lesson itself costs. Run: .venv/bin/python bench/page_rerun.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from tests.apptest import open_page  # noqa: E402
from ui.path import LESSONS  # noqa: E402

GOAL_MS = 300.0


def median_rerun_ms(at: AppTest, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        at.run()
        times.append((time.perf_counter() - t0) * 1000)
        assert not at.exception, [e.value for e in at.exception]
    return statistics.median(times)


def baseline_ms(runs: int) -> float:
    with tempfile.TemporaryDirectory() as d:
        script = Path(d) / "empty.py"
        script.write_text("import streamlit as st\nst.title('baseline')\n")
        at = AppTest.from_file(str(script), default_timeout=30)
        at.run()
        return median_rerun_ms(at, runs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    base = baseline_ms(args.runs)
    print(f"baseline (title only): {base:7.1f} ms")
    print(f"{'page':<10} {'lang':<4} {'cold ms':>8} {'warm median ms':>15} {'÷ baseline':>11} {'÷ goal 300 ms':>14}")
    worst = 0.0
    for slug in ["home"] + [l.slug for l in LESSONS]:
        for lang in ("vi", "en"):
            t0 = time.perf_counter()
            at = open_page(slug, lang)
            cold = (time.perf_counter() - t0) * 1000
            warm = median_rerun_ms(at, args.runs)
            if slug != "home":
                worst = max(worst, warm)
            print(f"{slug:<10} {lang:<4} {cold:8.0f} {warm:15.1f} {warm / base:11.2f} {warm / GOAL_MS:14.2f}")
    print(f"slowest lesson warm rerun: {worst:.1f} ms = {worst / GOAL_MS:.2f} × the 300 ms goal "
          f"({'met' if worst < GOAL_MS else 'NOT met'})")


if __name__ == "__main__":
    main()
