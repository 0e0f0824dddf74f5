"""core.training.jobs: shared jobs, queueing, detach, stop, divergence, caps, the finished-job cache, threads."""

from __future__ import annotations

import dataclasses
import os
import pickle
import signal
import threading

import pytest
import torch

from core.training import engine as engine_module
from core.training.engine import TrainConfig, train
from core.training.tasks import EpochRecord, Limits, StepRecord
from core.training.data import IDX_STEMS
from core.errors import DataMissing, OutOfRange, QueueFull
from core.training.jobs import JobRegistry

TINY = TrainConfig(depth=8, width=4, epochs=1, batch_size=256, device="cpu", log_every=1)
LONG = TINY.replace(epochs=100)  # runs until stopped (each test stops it)


@pytest.fixture
def registry():
    """One worker process, as the app runs them (warm-up skipped: the tests do not time anything)."""
    reg = JobRegistry(max_running=1, threads_per_job=1, warm=False)
    yield reg
    reg.shutdown()


@pytest.fixture
def count_trainings(monkeypatch):
    """How many times the engine really trains, in this process: for the thread-mode registry."""
    calls = []

    def counting_train(cfg, *args, **kwargs):
        calls.append(cfg)
        return train(cfg, *args, **kwargs)

    monkeypatch.setattr(engine_module, "train", counting_train)
    return calls


@pytest.fixture
def thread_registry():
    reg = JobRegistry(max_running=1, threads_per_job=1, warm=False, processes=False)
    yield reg
    reg.shutdown()


@pytest.mark.parametrize("mode", ["processes", "threads"])
def test_thirty_sessions_share_one_job_and_one_computation(mode, registry, thread_registry, count_trainings):
    registry = registry if mode == "processes" else thread_registry
    barrier = threading.Barrier(30)
    got = [None] * 30

    def session(i):
        barrier.wait()  # all press the button at once
        got[i] = registry.submit(TINY.replace(seed=11), f"s{i}")

    threads = [threading.Thread(target=session, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    job = got[0]
    assert all(j is job for j in got)
    assert job.wait(60)
    snap = job.snapshot()
    assert snap.status == "done" and snap.sessions == 30
    assert registry.computations == 1
    assert len(count_trainings) == (1 if mode == "threads" else 0)  # processes: trained in the worker
    # Everyone sees the same live records: the job's records are the engine's, once.
    assert [s.step for s in snap.steps] == list(range(1, snap.info.total_steps + 1))


def test_finished_jobs_come_back_from_the_cache_instantly(registry):
    first = registry.submit(TINY, "a")
    assert first.wait(60)
    again = registry.submit(TINY, "b")
    assert again is first and again.snapshot().status == "done"
    assert registry.computations == 1


def test_cache_is_bounded_least_recently_used(count_trainings):
    reg = JobRegistry(max_running=1, threads_per_job=1, cache_size=1, processes=False)
    a = reg.submit(TINY, "s")
    a.wait(60)
    b = reg.submit(TINY.replace(seed=1), "s")
    b.wait(60)
    assert reg.submit(TINY.replace(seed=1), "s") is b  # still cached
    a2 = reg.submit(TINY, "s")  # evicted: trained again
    assert a2 is not a and a2.wait(60)
    assert len(count_trainings) == 3
    reg.shutdown()


def test_second_job_waits_in_the_queue_and_reports_its_place(registry):
    running = registry.submit(LONG, "a")
    second = registry.submit(TINY, "b")
    third = registry.submit(TINY.replace(seed=2), "c")
    assert (second.snapshot().status, second.snapshot().position) == ("queued", 1)
    assert (third.snapshot().status, third.snapshot().position) == ("queued", 2)
    # Leaving the queue moves the others up.
    second.stop()
    assert second.snapshot().status == "stopped" and third.snapshot().position == 1
    running.stop()
    assert running.wait(30) and third.wait(60)
    assert running.snapshot().status == "stopped" and third.snapshot().status == "done"
    assert registry.peak_running == 1


def test_at_most_k_jobs_train_at_once():
    reg = JobRegistry(max_running=2, threads_per_job=1, warm=False)
    jobs = [reg.submit(TINY.replace(seed=s, epochs=3), "s") for s in range(5)]
    assert [j.snapshot().status for j in jobs].count("running") == 2
    assert [j.snapshot().position for j in jobs[2:]] == [1, 2, 3]
    assert all(j.wait(60) for j in jobs)
    assert reg.peak_running == 2 and reg.computations == 5
    assert all(j.snapshot().status == "done" for j in jobs)
    # Each ran with the registry's one torch thread, also two at once, and its own seed: five curves.
    assert {j.snapshot().info.threads for j in jobs} == {1}
    assert len({j.snapshot().steps[-1].loss for j in jobs}) == 5
    reg.shutdown()


def test_job_stops_when_its_last_session_detaches(registry):
    job = registry.submit(LONG, "a")
    assert registry.submit(LONG, "b") is job
    while not job.snapshot().steps:
        job.wait(0.05)
    registry.detach("a")
    assert not job.wait(0.3) and job.status == "running"  # b still watches
    registry.detach("b", job)
    assert job.wait(30) and job.status == "stopped"
    steps = job.snapshot().steps
    assert 0 < len(steps) < job.snapshot().info.total_steps
    # A new request after the stop starts a fresh job rather than reusing the stopped one.
    fresh = registry.submit(LONG, "c")
    assert fresh is not job
    fresh.stop()


def test_snapshots_are_copies(registry):
    job = registry.submit(LONG, "a")
    while not job.snapshot().steps:
        job.wait(0.01)
    early = job.snapshot()
    n = len(early.steps)
    while len(job.snapshot().steps) == n:
        job.wait(0.01)
    assert len(early.steps) == n  # taken earlier, unchanged since
    job.stop()


def test_nan_loss_ends_the_job_as_diverged_with_its_step(registry):
    job = registry.submit(TINY.replace(batchnorm=False, optimizer="sgd", lr=100.0, epochs=3), "a")
    assert job.wait(60)
    snap = job.snapshot()
    assert snap.status == "diverged" and snap.diverged_step is not None
    assert [s.step for s in snap.steps] == list(range(1, snap.diverged_step))
    assert registry.submit(job.task, "b") is job  # a deterministic ending is cached too


def test_caps_raise_before_anything_is_queued(registry):
    with pytest.raises(OutOfRange) as err:
        registry.submit(TINY.replace(depth=218), "a")
    assert err.value.code == "out_of_range" and err.value.params["name"] == "depth"
    assert registry.computations == 0 and registry.jobs() == []


def test_wall_time_cap_ends_the_job_with_a_clear_error():
    reg = JobRegistry(max_running=1, threads_per_job=1, limits=Limits(max_seconds=1.5))
    assert reg.warmed.wait(60)  # data loaded in the worker: the cap then measures training
    job = reg.submit(LONG, "a")
    assert job.wait(30)
    snap = job.snapshot()
    assert snap.status == "stopped" and snap.error.code == "time_limit"
    assert snap.error.params == {"seconds": 1.5} and snap.steps  # the curve so far is kept
    reg.shutdown()


def test_missing_data_is_refused_at_submit_and_broken_data_fails_the_job(registry, tmp_path):
    with pytest.raises(DataMissing) as err:
        registry.submit(TINY.replace(dataset="mnist", data_dir=str(tmp_path)), "a")
    assert err.value.code == "data_missing" and registry.computations == 0
    for stem in IDX_STEMS:  # present, so the request is accepted, but not IDX: the worker fails
        (tmp_path / stem).write_bytes(b"not an IDX file")
    job = registry.submit(TINY.replace(dataset="fashion_mnist", data_dir=str(tmp_path)), "a")
    assert job.wait(30)
    snap = job.snapshot()
    assert snap.status == "failed" and snap.error.code == "bad_data_file"
    assert registry.submit(job.task, "b") is not job  # failures are not cached


def test_queue_is_bounded():
    reg = JobRegistry(max_running=1, threads_per_job=1, max_queued=1, warm=False)
    reg.submit(LONG, "a")
    reg.submit(TINY, "b")
    with pytest.raises(QueueFull):
        reg.submit(TINY.replace(seed=5), "c")
    reg.shutdown()


def test_worker_thread_count_binds_the_worker_only():
    main_threads = torch.get_num_threads()
    reg = JobRegistry(max_running=1, threads_per_job=1, processes=False, warm=False)
    job = reg.submit(TINY.replace(seed=3), "a")
    assert job.wait(60)
    assert job.snapshot().info.threads == 1
    assert torch.get_num_threads() == main_threads  # this thread kept its count
    seen = []
    t = threading.Thread(target=lambda: seen.append(torch.get_num_threads()))
    t.start()
    t.join()
    assert seen == [main_threads]  # the process default was put back for new threads
    reg.shutdown()


def test_job_result_equals_a_direct_run_with_the_same_threads(registry):
    job = registry.submit(TINY.replace(seed=4), "a")
    assert job.wait(60)
    direct = []

    def run_direct():
        torch.set_num_threads(1)
        train(TINY.replace(seed=4), direct.append)

    t = threading.Thread(target=run_direct)
    t.start()
    t.join()
    losses = [r.loss for r in direct if hasattr(r, "loss")]
    assert [s.loss for s in job.snapshot().steps] == losses


def test_records_from_a_worker_process_equal_the_in_process_engine(registry):
    """Same config, same thread count: the worker's records are the engine's, number for number."""
    job = registry.submit(TINY.replace(seed=6, epochs=2), "a")
    assert job.wait(60)
    snap = job.snapshot()
    direct = []

    def run_direct():
        torch.set_num_threads(1)
        train(TINY.replace(seed=6, epochs=2), direct.append)

    t = threading.Thread(target=run_direct)
    t.start()
    t.join()
    strip = lambda r: {k: v for k, v in dataclasses.asdict(r).items() if k != "elapsed"}  # noqa: E731
    assert [strip(r) for r in snap.steps] == [strip(r) for r in direct if isinstance(r, StepRecord)]
    assert [strip(r) for r in snap.epochs] == [strip(r) for r in direct if isinstance(r, EpochRecord)]
    assert snap.info.threads == 1 and snap.version > len(snap.steps)


def test_a_killed_worker_fails_its_job_clearly_and_the_next_job_runs(registry):
    job = registry.submit(LONG, "a")
    queued = registry.submit(TINY.replace(seed=8), "b")
    while not job.snapshot().steps:
        job.wait(0.05)
    victim = job._worker.pid
    os.kill(victim, signal.SIGKILL)
    assert job.wait(30)
    snap = job.snapshot()
    assert snap.status == "failed" and snap.error.code == "worker_lost" and snap.steps  # curve kept
    assert snap.error.params["exitcode"] == -signal.SIGKILL
    assert queued.wait(60) and queued.snapshot().status == "done"  # the pool replaced the worker
    assert victim not in registry.pool.pids() and len(registry.pool.pids()) == 1
    assert registry.submit(LONG, "c") is not job  # failures are not cached
    registry.stop(registry.submit(LONG, "c"))


def test_stop_reaches_the_worker_process_and_it_takes_the_next_job(registry):
    job = registry.submit(LONG, "a")
    while not job.snapshot().steps:
        job.wait(0.05)
    pid = job._worker.pid
    job.stop()
    assert job.wait(30) and job.status == "stopped"
    nxt = registry.submit(TINY.replace(seed=9), "a")
    assert nxt.wait(60) and nxt.snapshot().status == "done"
    assert registry.pool.pids() == [pid]  # the same process, not a replacement


def test_errors_from_the_worker_keep_their_class_and_params(tmp_path):
    err = pickle.loads(pickle.dumps(OutOfRange("depth", 7, 8, 110)))
    assert type(err) is OutOfRange and err.code == "out_of_range" and err.params["value"] == 7


def test_sessions_lists_who_keeps_running_jobs_alive(registry):
    job = registry.submit(LONG, "a")
    registry.attach(job, "b")
    assert registry.sessions() == {"a", "b"}
    registry.detach("a")
    registry.detach("b")
    assert job.wait(30) and registry.sessions() == set()


def test_sessions_that_left_are_detached_after_the_grace_period_and_their_job_stops(registry):
    from ui.training import sweep

    job = registry.submit(LONG, "gone-tab:1")
    registry.attach(job, "page-switcher:2")
    active = {"page-switcher"}  # Streamlit still knows this session (it only changed page)
    seen: dict[str, float] = {}
    assert sweep(registry, active.__contains__, seen, now=100.0, grace=15) == []  # just noticed
    assert sweep(registry, active.__contains__, seen, now=110.0, grace=15) == []  # a blip, maybe
    assert sweep(registry, active.__contains__, seen, now=115.0, grace=15) == ["gone-tab:1"]
    assert not job.wait(0.3) and job.status == "running"  # the other session still watches
    active.clear()  # now that tab is closed too
    sweep(registry, active.__contains__, seen, now=120.0, grace=15)
    assert sweep(registry, active.__contains__, seen, now=135.0, grace=15) == ["page-switcher:2"]
    assert job.wait(30) and job.status == "stopped"


def test_a_session_that_comes_back_within_the_grace_period_keeps_its_job(registry):
    from ui.training import sweep

    job = registry.submit(LONG, "flaky:1")
    seen: dict[str, float] = {}
    sweep(registry, lambda sid: False, seen, now=0.0, grace=15)
    sweep(registry, lambda sid: True, seen, now=10.0, grace=15)  # reconnected
    assert sweep(registry, lambda sid: False, seen, now=20.0, grace=15) == []  # the clock restarted
    assert job.status == "running"
    job.stop()
