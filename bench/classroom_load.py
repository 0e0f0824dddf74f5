"""A class watching live training, measured as users see it, against the command line in the same run.

Simulated students are websocket clients that speak Streamlit's own protocol
(bench/streamlit_client.py): they cost the machine almost nothing, so the server's figures are
the server's. For N = 1, 10 and 30 students pressing the same button within 2 s (the Lab's
"Plain vs residual" pair, and lesson 2's comparison) it prints: first-point latency p50/p95, time
to completion as a ratio to N = 1, server CPU seconds (server + its worker processes) as a ratio
to N = 1, peak and final RSS, exceptions seen. Then 30 students with distinct configs (queue places,
page-load p95 while the queue drains), and one real Chromium tab watching lesson 2 against
``python -m core degradation`` for the same configs. Each scenario gets a fresh server (the
finished-run cache would otherwise answer the second one instantly).

    .venv/bin/python bench/classroom_load.py                 # everything (≈ 10 min on 2 cores)
    .venv/bin/python bench/classroom_load.py --only browser  # one part: same, lab, lesson2, distinct
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.streamlit_client import Student  # noqa: E402
from tests.browser import CHROMIUM_FLAGS, chromium_path, free_port, start_server  # noqa: E402
from ui import i18n  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
PAGES = {  # page, button, what the page shows when every run finished (and how many times)
    "lab": ("lab", i18n.text("en", "lab.pair"), ":green[" + i18n.text("en", "lab.status_done") + "]", 2),
    "lesson2": ("degradation", "Train", "**Result of this run.**", 1),
}


# ---- the server's processes -------------------------------------------------------------------------

def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (the fork server and the training workers)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            kids = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            kids = []
        todo += [int(k) for k in kids]
    return out


def cpu_seconds(pid: int) -> float:
    total = 0.0
    for p in tree(pid):
        try:
            f = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(x) for x in f[11:15]) / TICK  # utime stime cutime cstime
    return total


def rss_mib(pid: int) -> float:
    total = 0
    for p in tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


class Server:
    """A fresh ``streamlit run serve.py``, warmed up before measuring: its worker processes started
    and, with ``warm=`` a scenario name, that page opened once and one run of another seed trained
    (the one-time costs a class pays once: the page's imports in the server, about 67 MiB, and
    each worker's first run, about 50 MiB per worker; measured with bench/classroom_load.py)."""

    def __init__(self, warm: str | None = None):
        self.warm = warm

    def __enter__(self):
        self.port = free_port()
        self.proc = start_server(self.port)
        self.url = f"http://127.0.0.1:{self.port}"
        s = Student(self.url, "home")
        s.open()  # the first page starts the training workers (app.py asks for the registry)
        self.wait_idle()
        s.close()
        if self.warm:
            page, button, done_text, done_count = PAGES[self.warm]
            for seed in (900, 901):  # two runs side by side warm every worker
                s = Student(self.url, page)
                s.open()
                s.set_number("Seed", seed)
                s.press(button)
                s.watch(300, done_text, done_count)
                s.close()
            time.sleep(1)
            self.wait_idle()
        self.peak = 0.0
        self._sampling = True
        threading.Thread(target=self._sample, daemon=True).start()
        return self

    def wait_idle(self, quiet: float = 1.0, limit: float = 60.0) -> None:
        """Until the server and its workers used under 5 % of a core for ``quiet`` seconds."""
        end = time.time() + limit
        while time.time() < end:
            c0 = cpu_seconds(self.proc.pid)
            time.sleep(quiet)
            if cpu_seconds(self.proc.pid) - c0 < 0.05 * quiet and len(tree(self.proc.pid)) >= 3:
                return

    def _sample(self) -> None:
        while self._sampling:
            self.peak = max(self.peak, rss_mib(self.proc.pid))
            time.sleep(0.2)

    def __exit__(self, *exc):
        self._sampling = False
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


# ---- scenarios --------------------------------------------------------------------------------------

def crowd(url: str, page: str, button: str, done_text: str, done_count: int, n: int, watch_s: float = 300.0,
          seeds: list[int] | None = None, seed: int | None = None, cookies: bool = False, during=None) -> dict:
    """``n`` students open ``page``, press ``button`` within 2 s and watch until ``done_text`` shows
    ``done_count`` times: what they saw. ``seeds``: one per student (distinct configs; a newcomer's
    page load is probed while the queue drains); ``seed``: the same for all; ``cookies``: each student
    its own voter cookie, as browsers have (a load balancer hashes it); ``during()`` runs once all are
    in, and its dict joins the result."""
    def student_(tag: str) -> Student:
        return Student(url, page, cookies={"residual_lab_voter": f"{tag}-{secrets.token_hex(6)}"} if cookies else None)

    students = [student_("bench") for _ in range(n)]
    loads = []
    for s in students:
        s.open(timeout=120)
        loads.append(s.seen.load_time or 0.0)
    for s, k in zip(students, seeds or ([seed] * n if seed is not None else [])):
        s.set_number("Seed", k)
    extra = during() if during else {}
    client0, t0 = time.process_time(), time.perf_counter()
    delays = [random.uniform(0, 2) if n > 1 else 0.0 for _ in students]

    def one(s: Student, delay: float) -> None:
        time.sleep(delay)
        s.press(button)
        s.watch(watch_s, done_text, done_count)

    threads = [threading.Thread(target=one, args=(s, d)) for s, d in zip(students, delays)]
    for t in threads:
        t.start()
    probes = []
    if seeds:  # page loads of a newcomer while the queue drains
        while any(t.is_alive() for t in threads) and len(probes) < 15:
            p = student_("probe")
            p.open(timeout=120)
            probes.append(p.seen.load_time)
            p.close()
            time.sleep(2)
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    seen = [s.seen for s in students]
    for s in students:
        s.close()
    firsts = [x.first_point for x in seen if x.first_point is not None]
    dones = [x.done + d for x, d in zip(seen, delays) if x.done is not None]  # since the first click
    # One shared computation: the earliest student to see it done saw when it finished; the last
    # student's "done" also includes the up-to-2 s spread of the clicks.
    return {"n": n, "first_point_p50": round(pct(firsts, 0.5), 2) if firsts else None,
            "first_point_p95": round(pct(firsts, 0.95), 2) if firsts else None, "got_first_point": len(firsts),
            "finished": len(dones), "completion_s": round(min(dones), 2) if len(dones) == n else None,
            "all_saw_done_s": round(max(dones), 2) if len(dones) == n else None,
            "last_click_s": round(max(delays), 2), "wall_s": round(wall, 2),
            "client_cpu_s": round(time.process_time() - client0, 2),
            "exceptions": sum(len(x.exceptions) for x in seen),
            "queued": sum(any("queue" in t for t in x.every_text) for x in seen) if seeds else None,
            "load_p95_s": round(pct([p for p in probes if p], 0.95), 2) if probes else round(pct(loads, 0.95), 2),
            **extra}


def same_button(name: str, n: int, watch_s: float = 300.0, seeds: list[int] | None = None) -> dict:
    """``n`` students open the page, press the button within 2 s and watch until it is done."""
    page, button, done_text, done_count = PAGES[name]
    with Server(warm=name) as srv:
        rss0, c0 = rss_mib(srv.proc.pid), []
        # Server CPU from the first click on (the page loads before it are not the class's watching).
        r = crowd(srv.url, page, button, done_text, done_count, n, watch_s, seeds=seeds,
                  during=lambda: c0.append(cpu_seconds(srv.proc.pid)) or {})
        server_cpu = cpu_seconds(srv.proc.pid) - c0[0]
        time.sleep(3)
        srv.wait_idle()
        return {"scenario": name, "distinct": bool(seeds), **r, "server_cpu_s": round(server_cpu, 2),
                "rss_start_mib": round(rss0), "rss_peak_mib": round(srv.peak), "rss_final_mib": round(rss_mib(srv.proc.pid))}


def command_line(configs_flag: list[str]) -> tuple[float, float]:
    """(wall seconds of the whole command, seconds of the comparison itself as it reports them)."""
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "core", "degradation", "--json", *configs_flag], cwd=ROOT, check=True,
                         capture_output=True, text=True)
    return time.perf_counter() - t0, json.loads(out.stdout)["elapsed"]


@contextlib.contextmanager
def lesson2_tab():
    """A fresh server and one Chromium tab on lesson 2 (English), ready to click Train."""
    from playwright.sync_api import sync_playwright

    with Server() as srv, sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        page = b.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(srv.url + "/degradation?lang=en")
        page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=60_000)
        page.get_by_role("button", name="Train").first.wait_for()
        try:
            yield srv, page
        finally:
            b.close()


def browser_cpu() -> float:
    """CPU seconds of this bench's own Chromium and its driver (other processes may run browsers too)."""
    return sum(cpu_seconds(p) for p in tree(os.getpid())
               if p != os.getpid() and "python" not in Path(f"/proc/{p}/comm").read_text(errors="replace"))


def browser_tab() -> dict:
    """One Chromium tab on lesson 2 vs ``python -m core degradation`` (same six configs), one run."""
    cli_total, cli = command_line([])
    with lesson2_tab() as (srv, page):
        b0, c0, t0 = browser_cpu(), cpu_seconds(srv.proc.pid), time.perf_counter()
        page.get_by_role("button", name="Train").first.click()
        page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot .scatterlayer path.js-line')]"
                               ".some(p => (p.getAttribute('d') || '').length > 0)", timeout=60_000, polling=50)
        first = time.perf_counter() - t0
        page.wait_for_function("() => document.body.innerText.includes('Result of this run.')", timeout=300_000,
                               polling=200)  # a light check: the harness must not load the cores itself
        total = time.perf_counter() - t0
        server_cpu, tab_cpu = cpu_seconds(srv.proc.pid) - c0, browser_cpu() - b0
        page.screenshot(path=str(ROOT / "artifacts" / "bench-lesson2-tab.png"), full_page=True)
    return {"cli_s": round(cli, 2), "cli_process_s": round(cli_total, 2), "tab_first_point_s": round(first, 2),
            "tab_total_s": round(total, 2), "ratio_tab_to_cli": round(total / cli, 2),
            "server_cpu_s": round(server_cpu, 1), "tab_cpu_s": round(tab_cpu, 1),
            "language_switch_s": language_switch()}


def language_switch() -> float:
    """Seconds from clicking "Tiếng Việt" while lesson 2 trains to the page shown in Vietnamese."""
    with lesson2_tab() as (_, page):
        page.get_by_role("button", name="Train").first.click()
        time.sleep(2)  # training, curves updating
        t0 = time.perf_counter()
        page.get_by_text(i18n.LANG_NAMES["vi"]).first.click()
        page.wait_for_function("() => document.body.innerText.includes(%r)" % i18n.text("vi", "degradation.live_heading"),
                               timeout=60_000, polling=50)
        return round(time.perf_counter() - t0, 2)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=["browser", "lab", "lesson2", "distinct"], nargs="*")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 30])
    args = ap.parse_args()
    parts = args.only or ["browser", "lab", "lesson2", "distinct"]
    (ROOT / "artifacts").mkdir(exist_ok=True)
    out = {}
    if "browser" in parts:
        out["browser"] = r = browser_tab()
        print(f"one tab on lesson 2: first point {r['tab_first_point_s']} s, done {r['tab_total_s']} s = "
              f"{r['ratio_tab_to_cli']}× the command line ({r['cli_s']} s of training, {r['cli_process_s']} s with its "
              f"start-up) [goal ≤ 1.3×, first ≤ 1.5 s]; "
              f"server CPU {r['server_cpu_s']} s, tab CPU {r['tab_cpu_s']} s (Chromium and its driver); switching to "
              f"Vietnamese while it trains: {r['language_switch_s']} s", flush=True)
    for name in ("lab", "lesson2"):
        if name not in parts:
            continue
        rows = [same_button(name, n) for n in args.sizes]
        base = rows[0]
        for r in rows:
            r["completion_ratio"] = (round(r["completion_s"] / base["completion_s"], 2)
                                     if r["completion_s"] and base["completion_s"] else None)
            r["cpu_ratio"] = round(r["server_cpu_s"] / base["server_cpu_s"], 2) if base["server_cpu_s"] else None
            print(f"{name} N={r['n']:>2}: first point p50 {r['first_point_p50']} s p95 {r['first_point_p95']} s "
                  f"({r['got_first_point']}/{r['n']}), done {r['finished']}/{r['n']}, completion "
                  f"{r['completion_s']} s = {r['completion_ratio']}× N=1 (every student saw it by {r['all_saw_done_s']} s, last "
                  f"click at {r['last_click_s']} s), server CPU {r['server_cpu_s']} s = "
                  f"{r['cpu_ratio']}× N=1 (clients {r['client_cpu_s']} s), RSS {r['rss_start_mib']} → peak "
                  f"{r['rss_peak_mib']} → final {r['rss_final_mib']} MiB, exceptions {r['exceptions']}", flush=True)
        out[name] = rows
    if "distinct" in parts:
        r = same_button("lab", 30, seeds=list(range(100, 130)), watch_s=60)
        print(f"lab, 30 distinct configs: {r['queued']}/30 saw their queue place, page load p95 "
              f"{r['load_p95_s']} s while the queue drains [goal ≤ 2 s], first points {r['got_first_point']}/30, "
              f"exceptions {r['exceptions']}", flush=True)
        out["distinct"] = r
    print(json.dumps(out))
    print(f"bench process CPU {resource.getrusage(resource.RUSAGE_SELF).ru_utime:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
