"""A class votes: N students on Streamlit's own protocol (bench/streamlit_client.py) answer lesson 2's
class poll within a few seconds, some tapping twice, while the presenter's page shows the tally.

It prints: votes sent and counted (in total and per answer, from the presenter's own tally chart), the
seconds from the last vote to the presenter's page showing all of them [goal ≤ 2 s], each student's
tap-to-"your vote is counted" p50/p95, the server's CPU seconds (server and workers) and the clients'
(this process: protocol clients cost almost nothing, so the server's figures are the server's), RSS,
and exceptions seen. Baseline in the same run: one student voting alone on the same server.

    .venv/bin/python bench/poll_load.py              # 100 students, 5 s window (≈ 1 min on 2 cores)
    .venv/bin/python bench/poll_load.py --n 30 --window 2
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.classroom_load import cpu_seconds, pct, rss_mib  # noqa: E402
from bench.streamlit_client import Student  # noqa: E402
from core.lessons.predictions import PREDICTIONS  # noqa: E402
from tests.browser import free_port, start_server  # noqa: E402
from ui import i18n  # noqa: E402

PAGE, PID = "degradation", "degradation"
KEY = "bench-presenter-key-" + "z" * 12


def en(key: str, **kw) -> str:
    return i18n.text("en", key, **kw)


def answer_label(answer: str) -> str:
    return en(f"predict.{PID}.a_{answer}")


def presenter_counts(teacher: Student) -> dict[str, int]:
    """The tally as the presenter's page draws it: its bar chart's votes per answer."""
    labels = {answer_label(a): a for a in PREDICTIONS[PID].answers}
    spec = teacher.seen.last_chart or {}
    for trace in spec.get("data", []):
        if trace.get("orientation") == "h" and all(y in labels for y in trace.get("y") or []):
            return {labels[y]: int(x) for y, x in zip(trace["y"], trace["x"])}
    return {}


@dataclass
class Storm:
    """What one vote storm saw."""

    sent: Counter = field(default_factory=Counter)  # answer → students who chose it
    double_taps: int = 0
    confirm: list[float] = field(default_factory=list)  # tap → the student's page says the vote counts
    unconfirmed: int = 0
    counted: dict[str, int] = field(default_factory=dict)  # the presenter's tally chart at the end
    total_shown: int | None = None  # the presenter's "N votes so far" when every vote was in
    tally_lag: float | None = None  # last tap → the presenter's page shows every vote
    window: float = 0.0  # first tap → last tap
    exceptions: int = 0
    load_p95: float | None = None


def vote_storm(url: str, n: int, window: float, double: float = 0.2, seed: int = 0,
               wait_tally: float = 30.0, key: str = KEY) -> Storm:
    """``n`` students on ``url`` (a server started with RESIDUAL_LAB_PRESENTER_KEY=KEY) open lesson 2;
    the presenter opens its poll; each student taps one answer at a random moment of ``window``
    seconds (a share ``double`` of them tap twice); the presenter's page is read until it shows them all.
    ``key``: the server's presenter key."""
    rnd = random.Random(seed)
    out = Storm()
    answers = PREDICTIONS[PID].answers
    teacher = Student(url, PAGE, cookies={"residual_lab_presenter": key})
    teacher.open()
    students = [Student(url, PAGE, cookies={"residual_lab_voter": f"bench-{seed}-{i}"}) for i in range(n)]
    loads = []
    for s in students:
        s.open()
        loads.append(s.seen.load_time or 0.0)
    out.load_p95 = round(pct(loads, 0.95), 2) if loads else None
    teacher.press(en("poll.open"))
    assert teacher.until(30, lambda s: s.shows(en("poll.open_presenter", votes=0))), "the poll did not open"
    start = threading.Barrier(n + 1)
    taps: list[float] = []
    lock = threading.Lock()

    def student(s: Student, answer: str, delay: float, twice: bool) -> None:
        s.until(30, lambda c: c.shows(en("poll.open_student")))  # the page polls until it sees the poll
        start.wait()
        t0 = time.perf_counter()
        s.until(delay, lambda c: False)  # keep reading (and polling, as a browser does) until the tap
        with lock:
            taps.append(time.perf_counter())
        s.press(answer_label(answer))
        if twice:
            s.press(answer_label(answer))  # the same tap again, before the page answered
        voted = en("poll.voted", answer=answer_label(answer))
        if s.until(30, lambda c: c.shows(voted)):
            with lock:
                out.confirm.append(time.perf_counter() - t0 - delay)
        else:
            with lock:
                out.unconfirmed += 1

    plan = []
    for s in students:
        answer = rnd.choice(answers)
        twice = rnd.random() < double
        out.sent[answer] += 1
        out.double_taps += twice
        plan.append(threading.Thread(target=student, args=(s, answer, rnd.uniform(0, window), twice)))
    for t in plan:
        t.start()
    start.wait()
    # The presenter's page, read as the presenter's browser reads it (its tally redraws every second).
    every = lambda c: c.shows(en("poll.open_presenter", votes=n))  # noqa: E731
    seen_all = teacher.until(window + wait_tally, every)
    at = time.perf_counter()
    for t in plan:
        t.join()
    if seen_all and taps:
        out.tally_lag = round(max(0.0, at - max(taps)), 2)
        out.window = round(max(taps) - min(taps), 2)
        out.total_shown = n
    teacher.until(3, lambda c: False)  # one more tally redraw: the chart of the final count
    out.counted = presenter_counts(teacher)
    teacher.press(en("poll.close"))  # the next storm opens a poll of its own
    teacher.until(30, lambda c: c.shows(en("poll.closed_presenter", votes=sum(out.counted.values()))))
    out.exceptions = sum(len(s.seen.exceptions) for s in [teacher, *students])
    for s in [teacher, *students]:
        s.close()
    return out


def run(n: int, window: float, seed: int) -> dict:
    port = free_port()
    proc = start_server(port, env={"RESIDUAL_LAB_PRESENTER_KEY": KEY})
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()  # drain its log
    url = f"http://127.0.0.1:{port}"
    try:
        warm = Student(url, PAGE)
        warm.open()  # the page's imports and the training workers, paid once
        warm.close()
        rows = {}
        for label, size, win in (("one student", 1, 0.0), (f"{n} students", n, window)):
            c0, client0, rss0 = cpu_seconds(proc.pid), time.process_time(), rss_mib(proc.pid)
            storm = vote_storm(url, size, win, double=0.0 if size == 1 else 0.2, seed=seed + size)
            rows[label] = {
                "students": size, "double_taps": storm.double_taps, "sent": dict(storm.sent),
                "counted": storm.counted, "exactly_once": storm.counted == dict(storm.sent) | {
                    a: 0 for a in PREDICTIONS[PID].answers if a not in storm.sent},
                "tally_lag_s": storm.tally_lag, "window_s": storm.window,
                "confirm_p50_s": round(pct(storm.confirm, 0.5), 2) if storm.confirm else None,
                "confirm_p95_s": round(pct(storm.confirm, 0.95), 2) if storm.confirm else None,
                "unconfirmed": storm.unconfirmed, "page_load_p95_s": storm.load_p95,
                "server_cpu_s": round(cpu_seconds(proc.pid) - c0, 2),
                "client_cpu_s": round(time.process_time() - client0, 2),
                "rss_mib": [round(rss0), round(rss_mib(proc.pid))], "exceptions": storm.exceptions,
            }
        return rows
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--window", type=float, default=5.0)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rows = run(args.n, args.window, args.seed)
    base = rows["one student"]
    for label, r in rows.items():
        ratio = (round(r["confirm_p95_s"] / base["confirm_p95_s"], 2)
                 if r["confirm_p95_s"] and base["confirm_p95_s"] else None)
        print(f"{label}: {sum(r['sent'].values())} votes sent ({r['double_taps']} tapped twice) over {r['window_s']} s, "
              f"counted {sum(r['counted'].values())} {r['counted']} = sent: {r['exactly_once']}; the presenter's page "
              f"showed all {r['tally_lag_s']} s after the last tap [goal ≤ 2 s]; tap → 'counted' p50 "
              f"{r['confirm_p50_s']} s p95 {r['confirm_p95_s']} s = {ratio}× one student, {r['unconfirmed']} unconfirmed; "
              f"page load p95 {r['page_load_p95_s']} s; server CPU {r['server_cpu_s']} s, clients {r['client_cpu_s']} s; "
              f"RSS {r['rss_mib'][0]} → {r['rss_mib'][1]} MiB; exceptions {r['exceptions']}", flush=True)
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
