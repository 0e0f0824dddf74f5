"""A class across two web replicas on a Ray cluster (scripts/cluster.sh's layout), as users see it,
against one student on the embedded engine in the same run.

Students are protocol clients (bench/streamlit_client.py, almost no CPU of their own) that go through
nginx with their own voter cookie, as browsers do, so nginx's cookie hash spreads them over the two
replicas (the split is counted from nginx's upstream connections). Scenarios:

1. one student on the embedded engine (a plain server), then one on the cluster: completion ratio;
2. 100 students pressing the Lab's "Plain vs residual" within 2 s: first point p50/p95, completion
   as a ratio to (1), computations cluster-wide (the registry actor's count), exceptions;
3. 100 students with distinct configs (their own seed, one run each): queue places seen, first
   points, a newcomer's page load p95 while the queue drains;
4. for comparison, 100 students on one embedded server pressing the pair.

Each prints the server and Ray CPU seconds and RSS per process (web replicas, Ray's own processes,
its worker actors).

    .venv/bin/python bench/cluster_load.py            # everything (≈ 10 min on 2 cores)
    .venv/bin/python bench/cluster_load.py --n 20     # a smaller class
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.classroom_load import PAGES, TICK, Server, cpu_seconds, rss_mib  # noqa: E402
from bench.classroom_load import crowd as classroom_crowd  # noqa: E402
from bench.streamlit_client import Student  # noqa: E402
from tests.browser import free_port  # noqa: E402

PAGE, PAIR, DONE, DONE_COUNT = PAGES["lab"]
TRAIN = "Train"


def proc_table() -> dict[int, str]:
    """pid → command name of every process on the machine."""
    out = {}
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                out[int(p.name)] = (p / "comm").read_text().strip()
            except OSError:
                pass
    return out


def ray_pids() -> list[int]:
    return [pid for pid, comm in proc_table().items()
            if comm in ("gcs_server", "raylet") or comm.startswith("ray::") or "ray" in comm.lower() and "python" not in comm]


# Ray's processes by what they do (their command names, cut at 15 characters by the kernel).
RAY_GROUPS = {"ray::TaskWorker": "training", "ray::RegistryAc": "registry", "ray::ClassroomA": "classroom"}


def own_cpu(pid: int) -> float:
    """CPU seconds of this process and of its children that ended, not of its live children: raylet
    is the parent of every worker, so summing trees (classroom_load.cpu_seconds) counted them twice."""
    try:
        f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(x) for x in f[11:15]) / TICK


def own_rss_mib(pid: int) -> float:
    try:
        line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return 0.0
    return int(line.split()[1]) / 1024


def ray_cpu() -> dict[str, float]:
    """Ray's CPU seconds: the training workers, the registry actor, the classroom actor, and Ray's own
    services (GCS, raylet, idle workers…), each process counted once."""
    out = {"training": 0.0, "registry": 0.0, "classroom": 0.0, "ray_services": 0.0}
    table = proc_table()
    for pid in ray_pids():
        out[RAY_GROUPS.get(table.get(pid, ""), "ray_services")] += own_cpu(pid)
    return out


class Cluster:
    """scripts/cluster.sh on its own ports and state folder, until the context ends."""

    def __enter__(self):
        self.port, self.ray_port = free_port(), free_port()
        self.state = Path(f"/tmp/residual-lab-cluster-{os.getpid()}")
        env = {**os.environ, "RESIDUAL_LAB_PORT": str(self.port), "RESIDUAL_LAB_RAY_PORT": str(self.ray_port),
               "RESIDUAL_LAB_STATE": str(self.state), "RAY_AUTH_TOKEN": secrets.token_hex(32), "OMP_NUM_THREADS": "1"}
        self.env = env
        self.proc = subprocess.Popen([str(ROOT / "scripts" / "cluster.sh")], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.url = f"http://127.0.0.1:{self.port}"
        end = time.time() + 180
        while time.time() < end:
            try:
                s = Student(self.url, "home")
                s.open(timeout=60)
                s.close()
                break
            except Exception:  # noqa: BLE001 — not up yet
                time.sleep(1)
        self.replicas = self._replica_pids()
        return self

    def _replica_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-f", "--", "--server.port 860"], capture_output=True, text=True).stdout.split()
        return [int(p) for p in out]

    def stats(self) -> dict:
        """The registry actor's counters, read through a third connection to the cluster."""
        code = ("import json; from core.training.cluster import RemoteRegistry; "
                f"print(json.dumps(RemoteRegistry('127.0.0.1:{self.ray_port}').stats()))")
        env = {**self.env, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_AUTH_MODE": "token"}
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        return json.loads(out.stdout.strip().splitlines()[-1])

    def split(self) -> dict[str, int]:
        """Established connections from nginx to each replica (the students' websockets)."""
        out = subprocess.run(["ss", "-tn", "state", "established"], capture_output=True, text=True).stdout
        return {p: out.count(f"127.0.0.1:{p} ") for p in ("8601", "8602")}

    def cpu(self) -> dict[str, float]:
        """CPU seconds so far: the two web replicas (with their children), and Ray's (``ray_cpu``)."""
        return {"replicas": sum(cpu_seconds(p) for p in self.replicas)} | ray_cpu()

    def rss(self) -> dict[str, float]:
        return {"replicas": [round(rss_mib(p)) for p in self.replicas],
                "ray": round(sum(own_rss_mib(p) for p in ray_pids() if p not in self.replicas))}

    def __exit__(self, *exc):
        import signal

        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)


def crowd(url: str, n: int, button: str, seeds: list[int] | None = None, watch_s: float = 300.0,
          done_count: int = DONE_COUNT, seed: int | None = None, during=None) -> dict:
    """bench/classroom_load.py's crowd on the Lab, each student with its own voter cookie (nginx's hash)."""
    return classroom_crowd(url, PAGE, button, DONE, done_count, n, watch_s, seeds=seeds, seed=seed, cookies=True,
                           during=during)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100)
    args = ap.parse_args()
    out: dict = {}
    with Server(warm="lab") as srv:  # (1) the baseline: one student, the embedded engine
        out["embedded_1"] = crowd(srv.url, 1, PAIR, seed=11)
    with Server(warm="lab") as srv:  # (4) the embedded engine with the whole class on one server
        c0 = cpu_seconds(srv.proc.pid)
        r = crowd(srv.url, args.n, PAIR, seed=12)
        r |= {"server_cpu_s": round(cpu_seconds(srv.proc.pid) - c0, 1), "rss_peak_mib": round(srv.peak)}
        out[f"embedded_{args.n}"] = r
    base = out["embedded_1"]["completion_s"]
    with Cluster() as cl:
        # Both worker slots' first run (imports, the digits), paid once, as Server(warm=) pays it.
        warm = crowd(cl.url, 1, PAIR, seed=900, watch_s=180)
        c0, k0 = cl.cpu(), cl.stats()["computations"]
        r = crowd(cl.url, 1, PAIR, seed=11)
        c1 = cl.cpu()
        out["ray_1"] = r | {"computations": cl.stats()["computations"] - k0, "warm_first_point": warm["first_point_p50"],
                            "cpu_s": {k: round(c1[k] - c0[k], 1) for k in c0}}
        c0, k0 = cl.cpu(), cl.stats()["computations"]
        r = crowd(cl.url, args.n, PAIR, seed=12, during=lambda: {"split": cl.split()})
        c1 = cl.cpu()
        r |= {"computations": cl.stats()["computations"] - k0, "cpu_s": {k: round(c1[k] - c0[k], 1) for k in c0},
              "rss_mib": cl.rss()}
        out[f"ray_{args.n}"] = r
        k0 = cl.stats()["computations"]
        r = crowd(cl.url, args.n, TRAIN, seeds=list(range(2000, 2000 + args.n)), watch_s=60, done_count=1)
        out[f"ray_{args.n}_distinct"] = r | {"computations_started": cl.stats()["computations"] - k0}
    for name, r in out.items():
        ratio = round(r["completion_s"] / base, 2) if r.get("completion_s") and base else None
        r["completion_ratio"] = ratio
        print(f"{name}: first point p50 {r['first_point_p50']} s p95 {r['first_point_p95']} s "
              f"({r['got_first_point']}/{r['n']}), done {r['finished']}/{r['n']}, completion {r['completion_s']} s = "
              f"{ratio}× one student embedded; computations {r.get('computations', r.get('computations_started'))}; "
              f"split {r.get('split')}; CPU {r.get('cpu_s', r.get('server_cpu_s'))} s, clients {r['client_cpu_s']} s; "
              f"RSS {r.get('rss_mib', r.get('rss_peak_mib'))}; queued {r['queued']}; load p95 {r['load_p95_s']} s; "
              f"exceptions {r['exceptions']}", flush=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
