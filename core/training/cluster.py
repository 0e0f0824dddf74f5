"""Live training beyond one server: the job registry as a named, detached Ray actor, jobs on Ray actors.

The embedded engine (core.training.jobs.JobRegistry with its worker processes, core.training.pool)
lives inside one web server. For several web replicas and GPU nodes, the same registry runs inside
a Ray actor, ``RegistryActor``, named ``residual-lab-registry`` in the ``residual-lab`` namespace
and detached (it outlives the replica that created it); every replica talks to it through
``RemoteRegistry``, which has the registry's interface (submit, detach, sessions, jobs) and hands
out ``RemoteJob`` s with the job's (id, task, snapshot, stop). So identical requests from any
replica are one job, and the queue, Stop, the caps, the finished-run cache and the records are the
registry's own code. Inside the actor, ``RayPool`` replaces the worker processes: each slot is a
Ray actor (``TaskWorker``, one CPU, or one GPU for a task that asks for CUDA where the cluster has
one) that runs one task at a time and streams its records back (a Ray streaming generator).

Faults: a worker actor that dies mid-run (killed, its node lost) fails its job with
ClusterWorkerLost and a fresh actor takes the slot; the registry actor restarts (``max_restarts``)
with an empty registry, and a replica asking about a job it no longer knows gets a failed snapshot
(RegistryLost), never a hang; a replica that stops sending heartbeats (killed) has its sessions
detached after ``REPLICA_GONE`` seconds, so runs nobody watches stop as on one server.

Chosen with ``RESIDUAL_LAB_ENGINE=ray`` and Ray's own ``RAY_ADDRESS`` (core.training.engines).
No streamlit here; Ray is imported only when this module is.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import os
import queue
import secrets
import threading
import time
from collections import OrderedDict

if os.environ.get("RAY_ADDRESS", "").split(":")[0] in ("127.0.0.1", "localhost"):
    # A cluster on this machine's loopback address (scripts/cluster.sh): Ray would otherwise swap
    # 127.0.0.1 for the machine's network address. Its switch is read when Ray is imported.
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")

# A Ray call before ray.init (or after ray.shutdown) must fail, not start a local cluster of its own.
os.environ.setdefault("RAY_ENABLE_AUTO_CONNECT", "0")

import ray  # noqa: E402
from ray.exceptions import GetTimeoutError, RayActorError, RayError  # noqa: E402

from core.errors import ClusterWorkerLost, CoreError, RegistryLost, TrainingFailed  # noqa: E402
from core.training.jobs import JobRegistry, JobSnapshot  # noqa: E402
from core.training.tasks import Limits, RunInfo, Task  # noqa: E402

LOG = logging.getLogger(__name__)
NAMESPACE = "residual-lab"
REGISTRY_NAME = "residual-lab-registry"
REGISTRY_RESTARTS = 5  # Ray restarts a crashed registry actor this many times (empty: runs end as failed)
HEARTBEAT_SECONDS = 5.0
REPLICA_GONE = 30.0  # a replica silent this long (killed) has left: its sessions are detached
CALL_TIMEOUT = 30.0  # a registry call that takes longer than this fails (the actor is down)
FRESH_SECONDS = 0.2  # a replica asks the actor about a job at most this often, for all its sessions together
# … and this often about a job that has just started and not drawn a point yet (a click waits for that
# point) or is about to end (a poll waits for that: ui.training.wait_for_the_end).
EDGE_SECONDS = 0.03
# A run's records go back in batches, one Ray object per batch: up to its first point (a click waits
# for it), each record at once; then what arrives within BATCH_SECONDS together, and the end at once. One object
# per record cost a Lab pair on digits (about 100 records, a record every 45 ms) 0.3-0.5 s of its
# 2.3 s (measured: the same pair alone on each engine, no web); the replicas ask every FRESH_SECONDS anyway.
BATCH_SECONDS = 0.1


def connect(address: str | None = None) -> None:
    """Join the Ray cluster at ``address`` (default: RAY_ADDRESS, else a running local one)."""
    if not ray.is_initialized():
        ray.init(address=address or os.environ.get("RAY_ADDRESS") or "auto", namespace=NAMESPACE,
                 log_to_driver=False, include_dashboard=False, configure_logging=False)


def wants_gpu(task: Task) -> bool:
    """A task that asks for CUDA (or "auto", which prefers it) runs on a GPU where the cluster has one."""
    return getattr(task, "device", "cpu") in ("cuda", "auto")


# ---- the workers: one task at a time, records streamed back -------------------------------------------

@ray.remote(max_concurrency=2, max_restarts=0, max_task_retries=0)
class TaskWorker:
    """A Ray actor that runs tasks one after another (``run`` streams its records; ``halt`` may
    arrive meanwhile on the actor's second thread: the task checks it before every step)."""

    def __init__(self, threads: int, warm: bool):
        import torch

        self.threads = threads
        torch.set_num_threads(threads)
        if warm:
            from core.training.engine import warm_up

            warm_up()
        self._stop = threading.Event()

    def pid(self) -> int:
        return os.getpid()

    def run(self, task: Task, max_seconds: float | None):
        """Yields lists of messages while ``task`` runs: ("record", record)…, the last list ending
        with ("end", outcome, error). Up to the first record after the RunInfo (the first point),
        each goes alone and at once; then what arrives within BATCH_SECONDS goes together (the end
        never waits)."""
        self._stop.clear()
        out: queue.Queue = queue.Queue()

        def work() -> None:
            import torch

            torch.set_num_threads(self.threads)  # this thread's own count (core.training.jobs' docstring)
            try:
                out.put(("end", task.run(lambda record: out.put(("record", record)), self._stop, max_seconds), None))
            except CoreError as exc:
                out.put(("end", None, exc))
            except Exception as exc:  # noqa: BLE001 — the job fails, the worker lives on
                out.put(("end", None, TrainingFailed(f"{type(exc).__name__}: {exc}")))

        threading.Thread(target=work, daemon=True).start()
        drawn = False  # has a record past the RunInfo gone back yet?
        while True:
            batch = [out.get()]
            until = time.monotonic() + (BATCH_SECONDS if drawn else 0.0)
            while batch[-1][0] != "end" and (left := until - time.monotonic()) > 0:
                try:
                    batch.append(out.get(timeout=left))
                except queue.Empty:
                    break
            drawn = drawn or any(m[0] == "record" and not isinstance(m[1], RunInfo) for m in batch)
            yield batch
            if batch[-1][0] == "end":
                return

    def halt(self) -> None:
        self._stop.set()


class _Halt:
    """``worker.stop.set()`` as the registry calls it: ask the actor to stop its task."""

    def __init__(self, slot: "RaySlot"):
        self._slot = slot

    def set(self) -> None:
        actor = self._slot.actor
        if actor is not None:
            actor.halt.remote()


class RaySlot:
    """One job slot of the registry: a TaskWorker actor and the thread that reads its records
    (core.training.pool.Worker's interface: ``busy``, ``stop``, ``run``, ``close``)."""

    def __init__(self, index: int, threads: int, warm: bool, gpu: bool = False):
        self.index, self.threads, self.warm, self.gpu = index, threads, warm, gpu
        self.busy = False
        self.stop = _Halt(self)
        self.actor = None
        self._spawn()

    def _spawn(self) -> None:
        opts = {"num_cpus": 1, "num_gpus": 1} if self.gpu else {"num_cpus": 1}
        self.actor = TaskWorker.options(**opts, name=None).remote(self.threads, self.warm)

    def run(self, task: Task, max_seconds: float | None, on_record, on_end) -> None:
        self.busy = True
        stream = self.actor.run.options(num_returns="streaming").remote(task, max_seconds)
        threading.Thread(target=self._read, args=(stream, on_record, on_end), name=f"ray-slot-{self.index}",
                         daemon=True).start()

    def _read(self, stream, on_record, on_end) -> None:
        ended = None
        try:
            for ref in stream:
                for msg in ray.get(ref):
                    if msg[0] == "record":
                        on_record(msg[1])
                    else:
                        ended = (msg[1], msg[2])
        except RayError as exc:  # the actor died: killed, its node lost, out of memory
            LOG.warning("ray worker %d lost: %s", self.index, type(exc).__name__)
            self._spawn()  # a fresh worker first, so the queue can move on to it
            ended = (None, ClusterWorkerLost(type(exc).__name__))
        if ended is None:
            ended = (None, ClusterWorkerLost("no ending received"))
        self.busy = False
        on_end(*ended)

    def close(self) -> None:
        if self.actor is not None:
            ray.kill(self.actor)
            self.actor = None


class RayPool:
    """``size`` CPU slots, plus a GPU slot per GPU of the cluster for tasks that ask for CUDA
    (core.training.pool.WorkerPool's interface: ``ready``, ``idle(task)``, ``close``)."""

    def __init__(self, size: int, threads: int = 1, warm: bool = True):
        self.ready = threading.Event()
        self.workers = [RaySlot(i, threads, warm) for i in range(size)]
        gpus = int(ray.cluster_resources().get("GPU", 0))
        self.gpu_workers = [RaySlot(size + i, threads, warm, gpu=True) for i in range(gpus)]
        threading.Thread(target=self._wait_ready, daemon=True).start()

    def _wait_ready(self) -> None:
        try:
            ray.get([w.actor.pid.remote() for w in self.workers + self.gpu_workers], timeout=300)
        except RayError:
            pass
        self.ready.set()

    def idle(self, task: Task | None = None) -> RaySlot | None:
        if task is not None and wants_gpu(task) and self.gpu_workers:
            return next((w for w in self.gpu_workers if not w.busy), None)
        return next((w for w in self.workers if not w.busy), None)

    def close(self) -> None:
        for w in self.workers + self.gpu_workers:
            w.close()


# ---- the shared registry ---------------------------------------------------------------------------------

@ray.remote(num_cpus=0, max_concurrency=64, max_restarts=REGISTRY_RESTARTS, max_task_retries=0)
class RegistryActor:
    """The cluster's one JobRegistry (named, detached): jobs by id for every replica's calls."""

    def __init__(self, max_running: int | None = None, limits: Limits = Limits(), warm: bool = True):
        cpus = int(ray.cluster_resources().get("CPU", 1))
        max_running = max_running or max(1, min(8, cpus))
        self.reg = JobRegistry(max_running=max_running, threads_per_job=1, limits=limits,
                               pool=RayPool(max_running, 1, warm))
        self._jobs: OrderedDict[str, object] = OrderedDict()  # id → Job, the newest last (capped)
        self._lock = threading.Lock()
        self._replicas: dict[str, float] = {}  # replica → monotonic time of its last heartbeat
        self.started = time.time()
        # Job ids count from 1 in every process: a restarted actor would hand out the ids of the runs
        # it lost, and a replica would take a new run for an old one. This incarnation's tag prevents it.
        self._tag = secrets.token_hex(4)
        threading.Thread(target=self._sweep_replicas, daemon=True).start()

    # every replica's calls
    def submit(self, task: Task, session: str) -> tuple[str, Task]:
        job = self.reg.submit(task, session)
        job_id = self._id(job)
        with self._lock:
            self._jobs[job_id] = job
            self._jobs.move_to_end(job_id)
            while len(self._jobs) > 4096:
                self._jobs.popitem(last=False)
        return job_id, job.task

    def _id(self, job) -> str:
        return f"{self._tag}-{job.id}"

    def snapshot(self, job_id: str, version: int = -1) -> JobSnapshot | str | None:
        """The job's snapshot; None when it has not changed since ``version``; "unknown" for a job
        this registry never held (it restarted since)."""
        job = self._jobs.get(job_id)
        if job is None:
            return "unknown"
        snap = job.snapshot()
        return None if snap.version == version else dataclasses.replace(snap, id=job_id)  # the cluster-wide id

    def attach(self, job_id: str, session: str) -> bool:
        job = self._jobs.get(job_id)
        if job is not None:
            self.reg.attach(job, session)
        return job is not None

    def detach(self, session: str, job_id: str | None = None) -> None:
        job = self._jobs.get(job_id) if job_id is not None else None
        if job_id is not None and job is None:
            return
        self.reg.detach(session, job)

    def stop(self, job_id: str) -> None:
        job = self._jobs.get(job_id)
        if job is not None:
            self.reg.stop(job)

    def jobs(self) -> list[tuple[str, Task]]:
        return [(self._id(j), j.task) for j in self.reg.jobs()]

    def sessions(self) -> set[str]:
        return self.reg.sessions()

    def stop_all(self) -> None:
        self.reg.stop_all()

    def worker_pids(self) -> list[int]:
        """The process ids of the slots' worker actors (for the fault tests and the bench)."""
        pool = self.reg.pool
        return ray.get([w.actor.pid.remote() for w in pool.workers + pool.gpu_workers if w.actor is not None])

    def pid(self) -> int:
        return os.getpid()

    def stats(self) -> dict:
        return {"computations": self.reg.computations, "peak_running": self.reg.peak_running,
                "max_running": self.reg.max_running, "started": self.started, "pid": os.getpid(),
                "replicas": sorted(self._replicas)}

    def heartbeat(self, replica: str) -> None:
        self._replicas[replica] = time.monotonic()

    def _sweep_replicas(self) -> None:
        """Detach the sessions of replicas that stopped sending heartbeats (a killed web server)."""
        while True:
            time.sleep(HEARTBEAT_SECONDS)
            now = time.monotonic()
            gone = {r for r, seen in list(self._replicas.items()) if now - seen > REPLICA_GONE}
            if not gone:
                continue
            for sid in self.reg.sessions():
                if sid.split("@")[0] in gone:
                    self.reg.detach(sid)
            for r in gone:
                self._replicas.pop(r, None)
            LOG.warning("replicas gone: %s", sorted(gone))


def registry_actor(max_running: int | None = None, limits: Limits = Limits()):
    """The cluster's registry actor: the running one, or a new one (every replica asks the same name)."""
    return RegistryActor.options(name=REGISTRY_NAME, namespace=NAMESPACE, lifetime="detached",
                                 get_if_exists=True).remote(max_running, limits)


# ---- a web replica's view -------------------------------------------------------------------------------

_replica_ids = itertools.count(1)


class RemoteJob:
    """A job of the cluster's registry, as a replica holds it (core.training.jobs.Job's interface)."""

    def __init__(self, registry: RemoteRegistry, job_id: str, task: Task):
        self.id, self.task, self._registry = job_id, task, registry
        self._snap: JobSnapshot | None = None
        self._checked = 0.0  # time.monotonic() of the last question to the actor
        self._lock = threading.Lock()

    @property
    def status(self) -> str:
        return self.snapshot().status

    def snapshot(self) -> JobSnapshot:
        with self._lock:
            snap = self._snap
            if snap is not None and (snap.finished or time.monotonic() - self._checked < _max_age(snap)):
                return snap  # every session of this replica shares one question per _max_age(snap)
            self._checked = time.monotonic()
            version = self._snap.version if self._snap is not None else -1
            try:
                got = self._registry._call("snapshot", self.id, version)
            except CoreError as err:
                got = err
            if got is None:
                return self._snap
            if isinstance(got, JobSnapshot):
                self._snap = got
            else:  # the registry restarted without this job, or cannot be reached: it has ended
                self._snap = self._failed(got if isinstance(got, CoreError) else RegistryLost())
            return self._snap

    def _failed(self, error: CoreError) -> JobSnapshot:
        if self._snap is not None:
            return dataclasses.replace(self._snap, status="failed", position=0, error=error,
                                       version=self._snap.version + 1)
        return JobSnapshot(self.id, self.task, "failed", 0, None, (), (), None, error, 0, 0.0, version=1)

    def stop(self) -> None:
        self._registry._call("stop", self.id)

    def wait(self, timeout: float | None = None) -> bool:
        end = None if timeout is None else time.monotonic() + timeout
        while not self.snapshot().finished:
            if end is not None and time.monotonic() >= end:
                return False
            time.sleep(0.05)
        return True


def _max_age(snap: JobSnapshot) -> float:
    """How old a replica's answer about a job may be: EDGE_SECONDS in its first seconds of running
    before a point, and near its end; else FRESH_SECONDS (a queue, however long, and a task that
    reports nothing until its result: asked 5 times a second, not 33)."""
    first = snap.status == "running" and not (snap.steps or snap.task_progress) and snap.elapsed < 2.0
    left = snap.seconds_left()
    return EDGE_SECONDS if first or (left is not None and left < 2 * FRESH_SECONDS) else FRESH_SECONDS


class RemoteRegistry:
    """This replica's handle on the cluster's registry actor (JobRegistry's interface, as ui.training
    uses it). Sessions are named ``<replica>@<session>`` so the actor can tell whose they are."""

    def __init__(self, address: str | None = None, limits: Limits = Limits(), max_running: int | None = None):
        connect(address)
        self.limits = limits
        self.replica = f"{os.uname().nodename}-{os.getpid()}-{next(_replica_ids)}"
        self._max_running = max_running
        self._actor = registry_actor(max_running, limits)
        self._jobs: dict[str, RemoteJob] = {}
        self._closed = False
        self.warmed = threading.Event()
        self.warmed.set()
        self._call("heartbeat", self.replica)
        threading.Thread(target=self._beat, name="ray-heartbeat", daemon=True).start()

    def _call(self, method: str, *args, timeout: float = CALL_TIMEOUT):
        """One call on the actor; waits through a restart (Ray queues calls meanwhile), and raises
        RegistryLost when the actor cannot answer within ``timeout``."""
        end = time.monotonic() + timeout
        while True:
            if self._closed or not ray.is_initialized():  # never let Ray start a cluster of its own here
                raise RegistryLost()
            try:
                return ray.get(getattr(self._actor, method).remote(*args), timeout=max(0.1, end - time.monotonic()))
            except (RayActorError, GetTimeoutError) as exc:
                if time.monotonic() >= end:
                    raise RegistryLost() from exc
                time.sleep(0.5)
                try:  # a restarted (or re-created) actor under the same name
                    self._actor = registry_actor(self._max_running, self.limits)
                except RayError:
                    pass

    def _beat(self) -> None:
        while not self._closed:
            time.sleep(HEARTBEAT_SECONDS)
            if self._closed or not ray.is_initialized():  # a Ray call now would start a local cluster
                continue
            try:
                self._call("heartbeat", self.replica, timeout=HEARTBEAT_SECONDS)
            except Exception:  # noqa: BLE001 — the cluster is down or Ray shut down: beat again later
                pass

    def _sid(self, session: str) -> str:
        return session if "@" in session else f"{self.replica}@{session}"

    def _job(self, job_id: str, task: Task) -> RemoteJob:
        job = self._jobs.get(job_id)
        if job is None:
            job = self._jobs[job_id] = RemoteJob(self, job_id, task)
        return job

    def submit(self, task: Task, session: str) -> RemoteJob:
        task.validate(self.limits)
        job_id, task = self._call("submit", task, self._sid(session))
        return self._job(job_id, task)

    def attach(self, job: RemoteJob, session: str) -> None:
        self._call("attach", job.id, self._sid(session))

    def detach(self, session: str, job: RemoteJob | None = None) -> None:
        self._call("detach", self._sid(session), None if job is None else job.id)

    def stop(self, job: RemoteJob) -> None:
        self._call("stop", job.id)

    def sessions(self) -> set[str]:
        """This replica's sessions attached to queued or running jobs (names without the replica)."""
        prefix = self.replica + "@"
        return {s[len(prefix):] for s in self._call("sessions") if s.startswith(prefix)}

    def jobs(self) -> list[RemoteJob]:
        return [self._job(i, t) for i, t in self._call("jobs")]

    def stats(self) -> dict:
        return self._call("stats")

    @property
    def computations(self) -> int:
        return self.stats()["computations"]

    def stop_all(self, timeout: float | None = 30.0) -> None:
        self._call("stop_all")

    def shutdown(self, timeout: float | None = 30.0) -> None:
        """This replica leaves; the cluster's registry and its runs stay for the other replicas."""
        self._closed = True
