"""The Ray engine (core/training/cluster.py) on a real local Ray cluster that this module starts
(`ray start --head`, 2 CPUs, no dashboard, bound to 127.0.0.1): two registries in two processes share
one job; Stop reaches across replicas; a killed Ray worker fails its job with a message and the next
job runs; a restarted registry actor ends the runs it held as failed, never hangs; the records equal
the embedded engine's for one config; and two Streamlit servers on the cluster (web replicas) give
students on both one computation."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest

from tests.ray_env import LOOPBACK  # (tests/conftest.py has put it in os.environ already)

ray = pytest.importorskip("ray")

from core.training.engine import TrainConfig  # noqa: E402
from core.training.jobs import JobRegistry  # noqa: E402
from tests.browser import ROOT, free_port, start_server  # noqa: E402

pytestmark = pytest.mark.timeout(600)
RAY = str(ROOT / ".venv" / "bin" / "ray") if (ROOT / ".venv" / "bin" / "ray").exists() else shutil.which("ray")


@pytest.fixture(scope="module")
def cluster():
    from ray._private import ray_constants

    # Read when Ray was first imported (tests/conftest.py sets it before any test file can): on, the
    # driver would look for this loopback cluster at the machine's network address until the timeout.
    assert not ray_constants.ENABLE_RAY_CLUSTER, "Ray was imported before tests.ray_env.LOOPBACK was set"
    port = free_port()
    tmp = tempfile.mkdtemp(prefix="rl-ray-")
    env = {**os.environ, **LOOPBACK}
    try:
        subprocess.run([RAY, "start", "--head", f"--port={port}", "--num-cpus=2", "--include-dashboard=false",
                        "--disable-usage-stats", f"--temp-dir={tmp}", "--node-ip-address=127.0.0.1"],
                       env=env, check=True, capture_output=True, timeout=120)
        address = f"127.0.0.1:{port}"
        from core.training.cluster import connect

        connect(address)
        yield address
    finally:  # a cluster that started but could not be joined is ended too
        time.sleep(0.5)
        ray.shutdown()
        stop_cluster(tmp)
        shutil.rmtree(tmp, ignore_errors=True)


def stop_cluster(tmp: str) -> None:
    """End this module's cluster only: the processes whose command line names its temp folder (`ray
    stop` ends every Ray cluster on the machine, and a driver whose cluster dies is killed with it)."""
    def ours() -> list[int]:
        pids = []
        for p in os.listdir("/proc"):
            if p.isdigit() and int(p) != os.getpid():
                try:
                    if tmp.encode() in open(f"/proc/{p}/cmdline", "rb").read():
                        pids.append(int(p))
                except OSError:
                    pass
        return pids

    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in ours():
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        end = time.monotonic() + 10
        while ours() and time.monotonic() < end:
            time.sleep(0.2)


@pytest.fixture(scope="module")
def remote(cluster):
    from core.training.cluster import RemoteRegistry

    reg = RemoteRegistry(cluster)
    yield reg
    reg.shutdown()  # its heartbeat stops before Ray does


def other_replica(cluster: str, code: str, timeout: float = 240) -> dict:
    """Run ``code`` in a second process with its own RemoteRegistry ``reg``; it prints one JSON line."""
    prog = ("import json, sys, time\n"
            "from core.training.cluster import RemoteRegistry\n"
            "from core.training.engine import TrainConfig\n"
            f"reg = RemoteRegistry({cluster!r})\n" + code)
    out = subprocess.run([sys.executable, "-c", prog], cwd=ROOT, env={**os.environ, **LOOPBACK, "OMP_NUM_THREADS": "1"},
                         capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def wait(job, until, timeout: float = 180):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        snap = job.snapshot()
        if until(snap):
            return snap
        time.sleep(0.2)
    raise AssertionError(f"timed out: {job.snapshot().status}")


def test_two_replicas_share_one_job_and_its_records(remote, cluster):
    cfg = TrainConfig(depth=8, epochs=2, seed=811)
    before = remote.stats()["computations"]
    mine = remote.submit(cfg, "ana")
    theirs = other_replica(cluster, """
job = reg.submit(TrainConfig(depth=8, epochs=2, seed=811), "binh")
while not job.snapshot().finished:
    time.sleep(0.2)
s = job.snapshot()
print(json.dumps({"id": job.id, "status": s.status, "losses": [r.loss for r in s.steps]}))
""")
    snap = wait(mine, lambda s: s.finished)
    assert theirs["id"] == mine.id and theirs["status"] == snap.status == "done"
    assert theirs["losses"] == [r.loss for r in snap.steps]  # one computation, the same records for both
    assert remote.stats()["computations"] == before + 1


def test_records_equal_the_embedded_engines(remote):
    cfg = TrainConfig(depth=8, epochs=1, seed=812)
    ray_snap = wait(remote.submit(cfg, "ana"), lambda s: s.finished)
    embedded = JobRegistry(max_running=1, threads_per_job=1, warm=False)
    try:
        job = embedded.submit(cfg, "ana")
        assert job.wait(180)
        local = job.snapshot()
    finally:
        embedded.shutdown()
    assert ray_snap.status == local.status == "done"
    assert [(r.step, r.loss, r.train_error) for r in ray_snap.steps] == [(r.step, r.loss, r.train_error) for r in local.steps]
    assert [(r.epoch, r.test_error) for r in ray_snap.epochs] == [(r.epoch, r.test_error) for r in local.epochs]
    assert ray_snap.info.model == local.info.model and ray_snap.info.params == local.info.params


def test_a_ray_worker_sends_its_records_in_batches_after_the_first_point(cluster):
    """One Ray object per record cost the Lab's pair 0.3-0.5 s of 2.3 s: records up to the first point
    go one by one and at once, the later ones in batches, the end with the last of them; nothing lost."""
    from core.training.cluster import TaskWorker
    from core.training.tasks import RunInfo, StepRecord

    cfg = TrainConfig(depth=8, epochs=2, seed=813, log_every=1)
    worker = TaskWorker.options(num_cpus=0).remote(1, False)  # the registry's workers hold both CPUs
    try:
        batches = [ray.get(ref) for ref in worker.run.options(num_returns="streaming").remote(cfg, None)]
    finally:
        ray.kill(worker)
    messages = [m for b in batches for m in b]
    records = [m[1] for m in messages if m[0] == "record"]
    assert [m[0] for m in messages].count("end") == 1 and messages[-1][0] == "end" and messages[-1][2] is None
    first_point = next(i for i, r in enumerate(records) if not isinstance(r, RunInfo))
    assert all(len(b) == 1 for b in batches[:first_point + 1])  # the RunInfo and the first point: alone
    steps = [r for r in records if isinstance(r, StepRecord)]
    assert [r.step for r in steps] == list(range(1, len(steps) + 1)) and len(steps) > 10  # every step, in order
    assert len(batches) < len(messages) / 2  # …but not one object each


def test_stop_from_another_replica_stops_the_run_for_everyone(remote, cluster):
    cfg = TrainConfig(depth=56, epochs=40, seed=813)
    mine = remote.submit(cfg, "ana")
    wait(mine, lambda s: len(s.steps) >= 2)
    got = other_replica(cluster, """
job = reg.submit(TrainConfig(depth=56, epochs=40, seed=813), "binh")
job.stop()
print(json.dumps({"id": job.id}))
""")
    assert got["id"] == mine.id
    snap = wait(mine, lambda s: s.finished, timeout=60)
    assert snap.status == "stopped" and len(snap.steps) < snap.info.total_steps


def test_a_killed_ray_worker_fails_its_job_with_a_message_and_the_next_job_runs(remote):
    from core.training.cluster import registry_actor

    job = remote.submit(TrainConfig(depth=56, epochs=40, seed=814), "ana")
    wait(job, lambda s: len(s.steps) >= 2)
    actor = registry_actor()
    pids = ray.get(actor.worker_pids.remote())
    for pid in pids:  # the busy one is among them; an idle one lost is replaced just the same
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    snap = wait(job, lambda s: s.finished, timeout=60)
    assert snap.status == "failed" and snap.error.code == "cluster_worker_lost"
    assert snap.steps  # the curve so far is kept
    nxt = wait(remote.submit(TrainConfig(depth=8, epochs=1, seed=815), "ana"), lambda s: s.finished)
    assert nxt.status == "done"


def test_a_restarted_registry_ends_its_runs_as_failed_and_takes_new_ones(remote):
    from core.training.cluster import registry_actor

    job = remote.submit(TrainConfig(depth=56, epochs=40, seed=816), "ana")
    wait(job, lambda s: len(s.steps) >= 1)
    actor = registry_actor()
    old = ray.get(actor.pid.remote())
    ray.kill(actor, no_restart=False)  # a crash: Ray restarts it (max_restarts), empty
    snap = wait(job, lambda s: s.finished, timeout=90)
    assert snap.status == "failed" and snap.error.code == "registry_lost" and snap.steps
    assert ray.get(registry_actor().pid.remote()) != old
    nxt = wait(remote.submit(TrainConfig(depth=8, epochs=1, seed=817), "ana"), lambda s: s.finished)
    assert nxt.status == "done", nxt.error


def test_two_web_replicas_on_the_cluster_give_their_students_one_computation(remote, cluster):
    """Two Streamlit servers with RESIDUAL_LAB_ENGINE=ray: a student on each presses the Lab's pair;
    both watch the same two runs to the end, computed once for the cluster."""
    from bench.streamlit_client import Student
    from ui import i18n

    env = {**LOOPBACK, "RESIDUAL_LAB_ENGINE": "ray", "RAY_ADDRESS": cluster}
    servers = [start_server(free_port(), env=env) for _ in range(2)]
    try:
        before = remote.stats()["computations"]
        urls = [f"http://127.0.0.1:{p.args[p.args.index('--server.port') + 1]}" for p in servers]
        done = ":green[" + i18n.text("en", "lab.status_done") + "]"
        students = [Student(url, "lab") for url in urls]
        for s in students:
            s.open(timeout=120)
            s.set_number("Seed", 818)
        for s in students:
            s.press(i18n.text("en", "lab.pair"))
        seen = [s.watch(240, done, 2) for s in students]
        assert all(x.done is not None and not x.exceptions for x in seen), [(x.done, x.exceptions) for x in seen]
        assert remote.stats()["computations"] == before + 2  # the pair: two runs, once for both replicas
        for s in students:
            s.close()
    finally:
        for p in servers:
            p.terminate()
            p.wait(timeout=20)


def test_a_poll_is_one_for_every_replica(cluster):
    """The poll board lives in the cluster (core.classroom.shared): a vote through another replica is
    counted here, once; a second vote is refused there with the board's own error."""
    from core.classroom.shared import classroom

    board, gallery = classroom("cluster-test-presenter-key-" + "q" * 8)
    key = board.key  # the first replica's (the web replicas above made the actor): one key for the cluster
    poll = board.open(key, "lesion")
    got = other_replica(cluster, f"""
import os
os.environ["RESIDUAL_LAB_ENGINE"] = "ray"
from core.classroom import current
from core.errors import CoreError
b = current.board()
b.vote({poll.id}, "voter-on-b", "residual")
try:
    b.vote({poll.id}, "voter-on-b", "plain")
    print(json.dumps({{"second": "counted"}}))
except CoreError as err:
    print(json.dumps({{"second": err.code, "key_is_shared": b.is_presenter({key!r})}}))
""")
    assert got == {"second": "already_voted", "key_is_shared": True}
    assert board.get(poll.id).counts == {"plain": 0, "residual": 1, "same": 0}
    assert board.vote_of(poll.id, "voter-on-b") == "residual" and isinstance(gallery.entries(), list)


def test_the_cluster_scripts_nginx_config_is_valid_and_sticky(tmp_path):
    """scripts/cluster.sh's nginx front: valid for Debian's nginx (`nginx -t`), one port open, both
    replicas behind it, a browser kept on one replica by its voter cookie, websockets passed through."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    env = {**os.environ, "RESIDUAL_LAB_PORT": str(free_port())}
    subprocess.run([str(ROOT / "scripts" / "cluster.sh"), "--config", str(tmp_path)], env=env, check=True, timeout=30)
    conf = (tmp_path / "nginx.conf").read_text()
    checked = subprocess.run([nginx, "-t", "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    assert conf.count("listen ") == 1 and f"listen {env['RESIDUAL_LAB_PORT']};" in conf
    assert "hash $cookie_residual_lab_voter consistent;" in conf
    assert "server 127.0.0.1:8601" in conf and "server 127.0.0.1:8602" in conf
    assert "proxy_set_header Upgrade $http_upgrade;" in conf and "proxy_set_header Connection $connection_upgrade;" in conf
