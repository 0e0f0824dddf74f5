"""The end of a run shows when training ends, not up to a poll later: JobSnapshot.seconds_left,
ui.training.wait_for_the_end on the embedded registry, and how fresh a cluster replica's answers are
about a job at its edges (its first point, its end)."""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest

from core.training.engine import TrainConfig
from core.training.jobs import JobRegistry, JobSnapshot
from core.training.tasks import Progress, RunInfo, StepRecord
from ui import training

INFO = RunInfo("ResNet-8", 1000, (), "cpu", 1, 10, 40)


def snap(status="running", steps=0, elapsed=2.0, position=0, **kw) -> JobSnapshot:
    records = tuple(StepRecord(i, 1 + (i - 1) // 10, 1.0, 0.5, elapsed * i / max(steps, 1), ())
                    for i in range(1, steps + 1))
    return JobSnapshot("job-1", TrainConfig(), status, position, INFO if steps or status == "running" else None,
                       records, (), None, None, 1, elapsed, **kw)


def paced(job, below: float, timeout: float = 120.0) -> JobSnapshot:
    """The job's snapshot once it runs at a pace that ends it within ``below`` s: its first steps
    include the worker's start, and a pace from them alone says minutes (1.2 s for step 1 of 720: 14 min)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = job.snapshot()
        assert now.status in ("queued", "running"), now.status
        if now.seconds_left() is not None and now.seconds_left() < below:
            return now
        job.wait(0.05)
    raise AssertionError(f"no pace below {below} s in {timeout} s")


def test_seconds_left_is_the_pace_so_far_and_none_when_there_is_no_pace():
    assert snap(steps=10, elapsed=2.0).seconds_left() == pytest.approx(6.0)  # 10 of 40 steps in 2 s: 30 more
    assert snap(steps=30, elapsed=3.0).seconds_left() == pytest.approx(1.0)
    task = dataclasses.replace(snap(), task_progress=Progress(0.8))
    assert task.seconds_left() == pytest.approx(0.5)  # a task's own progress: 80 % in 2 s
    assert snap(steps=0).seconds_left() is None  # started, no step yet
    assert snap("queued", position=3, elapsed=0.0).seconds_left() is None
    assert snap("done", steps=40).seconds_left() is None


def test_a_poll_just_before_the_end_waits_for_it_and_one_long_before_does_not():
    reg = JobRegistry(max_running=1, threads_per_job=1, warm=False)
    try:
        job = reg.submit(TrainConfig(depth=8, epochs=2, seed=821, log_every=1), "ana")
        now = paced(job, below=30.0)  # its pace is known, and says it ends well before a minute
        # A poll 0.01 s apart is not near the end: no wait, the run still trains.
        assert not training.wait_for_the_end([job], [now], every=0.01)
        assert not job.snapshot().finished
        # With the next poll a minute away, the end comes first: this poll waits for it and sees it.
        assert training.wait_for_the_end([job], [job.snapshot()], every=60.0)
        assert job.snapshot().status == "done"
        # Nothing unfinished: nothing to wait for.
        assert not training.wait_for_the_end([job], [job.snapshot()], every=60.0)
    finally:
        reg.shutdown()


def test_only_a_few_sessions_wait_for_one_jobs_end():
    """A class woken at once by the end drew its pages one GIL slice at a time: END_WAITERS wait, the
    rest poll as before. The run is long and ends by Stop once the others have returned, so that the
    waiters are still waiting while every poll asks (a run that ended first let all of them through,
    or none: CI's loaded machine saw both)."""
    reg = JobRegistry(max_running=1, threads_per_job=1, warm=False)
    try:
        job = reg.submit(TrainConfig(depth=8, epochs=60, seed=822, log_every=1), "ana")
        now = paced(job, below=300.0)
        results, gate = [], threading.Barrier(training.END_WAITERS + 3)

        def poll():
            gate.wait()
            results.append(training.wait_for_the_end([job], [now], every=600.0))

        threads = [threading.Thread(target=poll) for _ in range(training.END_WAITERS + 3)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while len(results) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert results == [False] * 3 and not job.snapshot().finished  # three polled; two still wait
        job.stop()
        for t in threads:
            t.join(120)
        assert sorted(results) == [False] * 3 + [True] * training.END_WAITERS
        assert job.snapshot().status == "stopped"
    finally:
        reg.shutdown()


def test_a_replica_asks_often_only_about_a_job_at_its_first_point_or_its_end():
    cluster = pytest.importorskip("core.training.cluster")
    edge, fresh = cluster.EDGE_SECONDS, cluster.FRESH_SECONDS
    assert cluster._max_age(snap(steps=0, elapsed=0.3)) == edge  # just started, no point yet: a click waits
    assert cluster._max_age(snap(steps=0, elapsed=30.0)) == fresh  # a task that reports nothing until its end
    assert cluster._max_age(snap("queued", position=1, elapsed=0.0)) == fresh  # a queue stays cheap
    assert cluster._max_age(snap(steps=10, elapsed=2.0)) == fresh  # 6 s to go
    assert cluster._max_age(snap(steps=39, elapsed=3.9)) == edge  # 0.1 s to go
