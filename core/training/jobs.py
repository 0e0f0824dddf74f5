"""Training jobs: a registry that lets identical requests share one job, queues the rest, runs
them in worker processes (core.training.pool) and caches finished runs.

A job runs a *task* (core.training.tasks.Task: ``validate(limits)`` and ``run(emit, stop,
max_seconds) -> Outcome``; core.training.engine.TrainConfig is one). ``emit`` takes RunInfo /
StepRecord / EpochRecord (training curves), Progress (how far a task is) and Result (its final
product); a snapshot holds them all, and ``version`` counts the records, so a page redraws only when
something new arrived.

Processes, not threads: training in the web server's own threads shared its interpreter lock
with every watching session's reruns (a lesson watched from one tab ran 3x slower than the
command line). ``JobRegistry(processes=False)`` still runs tasks on threads in this process, for
tests that patch the engine. Threads and torch there (OpenMP): ``torch.set_num_threads(n)`` in a
thread bounds that thread only; each worker thread sets its count and puts the default back.
"""

from __future__ import annotations

import functools
import itertools
import logging
import os
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass

import torch

from core.training.engine import warm_up
from core.training.tasks import EpochRecord, Limits, Progress, Record, Result, RunInfo, StepRecord, Task
from core.errors import CoreError, QueueFull, TimeLimit, TrainingFailed
from core.training.pool import Worker, WorkerPool

LOG = logging.getLogger(__name__)
STATUSES = ("queued", "running", "done", "stopped", "diverged", "failed")
FINISHED = frozenset({"done", "stopped", "diverged", "failed"})
CACHED = frozenset({"done", "diverged"})  # deterministic endings, worth handing out again


@dataclass(frozen=True)
class JobSnapshot:
    """A consistent copy of a job's state; records are immutable, so the tuples share them."""

    id: str
    task: Task  # what runs: a TrainConfig, a lesson's task
    status: str  # one of STATUSES
    position: int  # place in the queue, 1 = starts next; 0 once started
    info: RunInfo | None  # model, parameters, layer names, device, threads, total steps (once started)
    steps: tuple[StepRecord, ...]  # streamed every TrainConfig.log_every steps
    epochs: tuple[EpochRecord, ...]  # one per finished epoch
    diverged_step: int | None  # first step with a NaN/inf loss, when status == "diverged"
    error: CoreError | None  # why it ended early (TimeLimit, DataMissing, TrainingFailed…)
    sessions: int  # sessions attached now
    elapsed: float  # seconds since it started (0 while queued)
    task_progress: Progress | None = None  # the newest Progress record (tasks other than one run)
    result: object = None  # the value of the task's Result record, once sent
    version: int = 0  # records received + status changes: equal versions draw the same picture

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def progress(self) -> float:
        """Fraction of the planned steps (or of a task's work) done, 0…1."""
        if self.status == "done":
            return 1.0
        if self.task_progress is not None:
            return min(0.99, max(0.0, self.task_progress.done))
        if self.info is None or not self.steps:
            return 0.0
        # 100 % only once finished: the last step comes before the last epoch's test evaluation.
        return min(0.99, self.steps[-1].step / self.info.total_steps)

    def seconds_left(self) -> float | None:
        """How long a running job should still take at its pace so far (its elapsed time over the
        work done); None while queued, finished, or before its first measure of progress."""
        if self.status != "running" or self.elapsed <= 0 or self.progress <= 0:
            return None
        return self.elapsed * (1 - self.progress) / self.progress


class Job:
    """One training run. Read it with ``snapshot()``; stop it with ``stop()``."""

    _ids = itertools.count(1)

    def __init__(self, task: Task, registry: JobRegistry | None = None):
        self.id = f"job-{next(Job._ids)}"
        self.task = task
        self._registry = registry
        self._lock = threading.Lock()
        self._stop = threading.Event()  # checked by the engine before every step
        self._done = threading.Event()
        # What a snapshot shows, changed under the lock by the registry and the worker's records.
        self._status, self._position = "queued", 0
        self._info: RunInfo | None = None
        self._steps: list[StepRecord] = []
        self._epochs: list[EpochRecord] = []
        self._diverged_step: int | None = None
        self._error: CoreError | None = None
        self._task_progress: Progress | None = None
        self._result: object = None
        self._sessions: set[str] = set()
        self._started = self._ended = None
        self._version = 0
        self._worker: Worker | None = None  # the worker process running it (registry lock)

    @property
    def status(self) -> str:
        with self._lock:
            return self._status

    def snapshot(self) -> JobSnapshot:
        """Copies of everything a page draws, taken under the job's lock."""
        with self._lock:
            end = self._ended or time.perf_counter()
            return JobSnapshot(
                id=self.id, task=self.task, status=self._status, position=self._position, info=self._info,
                steps=tuple(self._steps), epochs=tuple(self._epochs), diverged_step=self._diverged_step,
                error=self._error, sessions=len(self._sessions),
                elapsed=end - self._started if self._started else 0.0, task_progress=self._task_progress,
                result=self._result, version=self._version,
            )

    def stop(self) -> None:
        """Stop for everyone: a queued job leaves the queue, a running one ends before its next step."""
        if self._registry is not None:
            self._registry.stop(self)
        else:
            self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has finished (or ``timeout`` s passed); True if it finished."""
        return self._done.wait(timeout)

    # ---- called by the registry and the worker ----

    def _publish(self, record: Record) -> None:
        with self._lock:
            self._version += 1
            if isinstance(record, StepRecord):
                self._steps.append(record)
            elif isinstance(record, EpochRecord):
                self._epochs.append(record)
            elif isinstance(record, Progress):
                self._task_progress = record
            elif isinstance(record, Result):
                self._result = record.value
            else:
                self._info = record

    def _set(self, **fields) -> None:
        with self._lock:
            self._version += 1
            for name, value in fields.items():
                setattr(self, "_" + name, value)

    def _finish(self, status: str, diverged_step: int | None = None, error: CoreError | None = None) -> None:
        with self._lock:
            self._status, self._diverged_step, self._error = status, diverged_step, error
            self._position = 0
            self._version += 1
            self._ended = time.perf_counter()
            if self._started is None:
                self._started = self._ended
        self._done.set()


def default_max_running() -> int:
    """Jobs that train at once: one per core, at most 4 (small nets use one core well, see bench/)."""
    return max(1, min(4, os.cpu_count() or 1))


class JobRegistry:
    """Shares, queues and caches jobs. One per process (the UI keeps it in ``st.cache_resource``)."""

    def __init__(self, max_running: int | None = None, threads_per_job: int | None = None,
                 cache_size: int = 64, max_queued: int = 64, limits: Limits = Limits(), warm: bool = True,
                 processes: bool = True, pool=None):
        self.max_running = max_running or default_max_running()
        # Split the cores between the jobs that run at once, at least one thread each.
        self.threads_per_job = threads_per_job or max(1, (os.cpu_count() or 1) // self.max_running)
        self.cache_size, self.max_queued, self.limits = cache_size, max_queued, limits
        self.computations = 0  # tasks started, ever (the figure job sharing keeps low)
        self.peak_running = 0  # most jobs seen running at once
        self._default_threads = torch.get_num_threads()
        self._lock = threading.RLock()  # guards everything below; taken before any job's lock
        self._active: dict[Task, Job] = {}  # queued or running and still wanted
        self._queue: deque[Job] = deque()
        self._running: set[Job] = set()
        self._finished: OrderedDict[Task, Job] = OrderedDict()  # LRU of CACHED endings
        self._closed = False
        # Worker processes (started now, warmed up in the background), or threads of this process; or
        # ``pool``, one with WorkerPool's interface (core.training.cluster.RayPool: Ray actors).
        self.pool = pool if pool is not None else WorkerPool(self.max_running, self.threads_per_job, warm) if processes else None
        if self.pool is not None:
            self.warmed = self.pool.ready  # set once every worker has started (and warmed up)
        else:
            self.warmed = threading.Event()
            if warm:  # in the background, so the first click does not wait for imports and data
                threading.Thread(target=self._warm_up, name="warm-up", daemon=True).start()
            else:
                self.warmed.set()

    def submit(self, task: Task, session: str) -> Job:
        """The job for ``task``, shared with every session that asked for the same: the running or
        queued one, a finished one from the cache, or a new one. Raises CoreError for a task over
        the limits or when the queue is full."""
        task.validate(self.limits)
        with self._lock:
            job = self._active.get(task)
            if job is None and task in self._finished:
                job = self._finished[task]
                self._finished.move_to_end(task)
            if job is None:
                if len(self._queue) >= self.max_queued:
                    raise QueueFull(self.max_queued)
                job = Job(task, self)
                self._active[task] = job
                self._queue.append(job)
                self._pump()
            with job._lock:
                job._sessions.add(session)
            return job

    def attach(self, job: Job, session: str) -> None:
        """Let ``session`` watch ``job`` too (it then keeps the job alive)."""
        with self._lock, job._lock:
            job._sessions.add(session)

    def detach(self, session: str, job: Job | None = None) -> None:
        """``session`` no longer wants ``job`` (or any job); a job nobody wants any more stops."""
        with self._lock:
            jobs = [job] if job is not None else list(self._active.values()) + list(self._finished.values())
            for j in jobs:
                with j._lock:
                    j._sessions.discard(session)
                    orphan = not j._sessions and j._status not in FINISHED
                if orphan:
                    self.stop(j)

    def sessions(self) -> set[str]:
        """Every session attached to a queued or running job."""
        with self._lock:
            out: set[str] = set()
            for job in self._active.values():
                with job._lock:
                    out |= job._sessions
            return out

    def stop(self, job: Job) -> None:
        """Stop ``job`` for every session."""
        with self._lock:
            if self._active.get(job.task) is job:
                del self._active[job.task]  # a new request for this task starts afresh
            if job in self._queue:
                self._queue.remove(job)
                job._finish("stopped")
                self._number_queue()
            job._stop.set()
            if job._worker is not None:  # running in a worker process: it checks before every step
                job._worker.stop.set()

    def jobs(self) -> list[Job]:
        """Queued and running jobs, then cached finished ones."""
        with self._lock:
            return list(self._queue) + list(self._running) + list(self._finished.values())

    def stop_all(self, timeout: float | None = 30.0) -> None:
        """Stop every queued and running job and wait for them to end; the workers stay."""
        with self._lock:
            for job in list(self._queue) + list(self._running):
                self.stop(job)
            running = list(self._running)
        for job in running:
            job.wait(timeout)

    def shutdown(self, timeout: float | None = 30.0) -> None:
        """``stop_all``, then end the worker processes: the registry takes no more jobs."""
        self.stop_all(timeout)
        with self._lock:
            self._closed = True
        if self.pool is not None:
            self.pool.close()

    def _warm_up(self) -> None:
        try:
            warm_up()
        finally:
            self.warmed.set()

    def _pump(self) -> None:
        """Start queued jobs while fewer than ``max_running`` run (registry lock held)."""
        while self._queue and len(self._running) < self.max_running and not self._closed:
            worker = self.pool.idle(self._queue[0].task) if self.pool is not None else None
            if self.pool is not None and worker is None:
                break  # a worker is being replaced; its reader thread pumps again
            job = self._queue.popleft()
            self._running.add(job)
            self.computations += 1
            self.peak_running = max(self.peak_running, len(self._running))
            job._set(status="running", position=0, started=time.perf_counter())
            LOG.info("computation %d: %s %s", self.computations, job.id, job.task)
            if worker is not None:
                job._worker = worker
                worker.run(job.task, self.limits.max_seconds, job._publish, functools.partial(self._ended, job))
            else:
                threading.Thread(target=self._work, args=(job,), name=job.id, daemon=True).start()
        self._number_queue()

    def _number_queue(self) -> None:
        for i, queued in enumerate(self._queue, start=1):
            queued._set(position=i)

    def _work(self, job: Job) -> None:
        """Thread mode: run the task here with a bounded thread count, then hand the slot on."""
        torch.set_num_threads(self.threads_per_job)  # this thread only; see the module docstring
        out, error = None, None
        try:
            out = job.task.run(job._publish, job._stop, self.limits.max_seconds)
        except CoreError as exc:  # e.g. data files missing: the page shows it like any input error
            error = exc
        except Exception as exc:  # noqa: BLE001 — a worker must always free its slot
            error = TrainingFailed(f"{type(exc).__name__}: {exc}")
        finally:
            torch.set_num_threads(self._default_threads)  # what later-born threads inherit
            self._ended(job, out, error)

    def _ended(self, job: Job, out, error: CoreError | None) -> None:
        """A task returned ``out`` (an Outcome) or failed with ``error``: record it, start the next."""
        status, step = "failed", None
        if out is not None:
            status, step = out.status, out.diverged_step
            if status == "time_limit":
                status, error = "stopped", TimeLimit(self.limits.max_seconds)
        with self._lock:
            job._worker = None
            self._running.discard(job)
            if self._active.get(job.task) is job:
                del self._active[job.task]
            if status in CACHED:
                self._finished[job.task] = job
                while len(self._finished) > self.cache_size:
                    self._finished.popitem(last=False)
            job._finish(status, step, error)
            LOG.info("ended: %s %s%s", job.id, status, f" ({error.code})" if error is not None else "")
            self._pump()


_DEFAULT: JobRegistry | None = None
_DEFAULT_LOCK = threading.Lock()


def default_registry() -> JobRegistry:
    """The process-wide registry, created on first use (the embedded engine; core.training.engines
    picks between it and the Ray cluster's)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None or _DEFAULT._closed:  # a shut-down registry takes no jobs: start afresh
            _DEFAULT = JobRegistry()
        return _DEFAULT
