"""Live training seen from a page: the process-wide registry, this session's jobs, live polling, and
what every live lesson shows around its charts (Train/Stop, progress, queue places, failures).

Training runs in core.training's worker processes; a page only submits tasks, keeps the returned
Job objects in its session state, and redraws their snapshots inside a fragment that reruns while
any of them is still queued or running. Watching is cheap: a fragment run whose jobs have no new
records since this session last drew them re-sends the elements it already built (no new
figures); every session polling a job within FRAME_SECONDS draws the same frame of its records
(``_frame``), and figures are built once per frame and language for every watching session
(``shared``). A session that goes away (tab closed, session expired) is detached from its jobs by
a sweeper thread, so a run nobody watches stops within ``GONE_SECONDS`` + ``SWEEP_SECONDS``.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
import uuid
import weakref
from collections import OrderedDict
from typing import Callable, Hashable, Sequence

import plotly.graph_objects as go
import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.errors import CoreError
from core.training.engines import default_registry
from core.training.jobs import Job, JobRegistry, JobSnapshot
from core.training.tasks import Task

from . import runs
from .figures import cache_dict
from .text import error_text, num, show_error, t

POLL_SECONDS = float(os.environ.get("RESIDUAL_LAB_POLL", "0.8"))  # ≥ 1 redraw a second; measured: see bench/classroom_load.py
GONE_SECONDS = 15.0  # a session disconnected this long (not a brief network blip) has left
SWEEP_SECONDS = 5.0
FIRST_WAIT = 1.0  # a click's run waits this long at most for a first record to draw
FRAME_SECONDS = POLL_SECONDS / 2  # every watcher of a job draws the same snapshot within this window


_SWEPT: set[int] = set()  # ids of the registries a sweeper thread watches
_SWEPT_LOCK = threading.Lock()


def registry() -> JobRegistry:
    """One registry per server process: identical requests from any session share one job. Its
    worker processes start (and warm up) on the first page anyone opens; app.py asks for it."""
    reg = default_registry()  # the same object every time (a fresh one only after a shutdown)
    with _SWEPT_LOCK:
        if id(reg) in _SWEPT:
            return reg
        _SWEPT.add(id(reg))
    level = os.environ.get("RESIDUAL_LAB_LOG")  # e.g. INFO: one line per computation started
    if level:
        logging.basicConfig(format="%(asctime)s %(name)s %(message)s")
        logging.getLogger("core").setLevel(level.upper())
    if Runtime.exists() and type(Runtime.instance()) is Runtime:  # a real server, not AppTest's mock
        threading.Thread(target=_sweep_gone_sessions, args=(reg, Runtime.instance()), name="session-sweeper",
                         daemon=True).start()
    return reg


def _sweep_gone_sessions(reg: JobRegistry, runtime: Runtime) -> None:
    """Every SWEEP_SECONDS, detach sessions that left (see ``sweep``)."""
    missing_since: dict[str, float] = {}
    while True:
        time.sleep(SWEEP_SECONDS)
        sweep(reg, lambda sid: runtime.is_active_session(sid), missing_since, time.monotonic())


def sweep(reg: JobRegistry, is_active: Callable[[str], bool], missing_since: dict[str, float], now: float,
          grace: float = GONE_SECONDS) -> list[str]:
    """Detach from every job the sessions whose Streamlit session has not been active for ``grace``
    seconds (tab closed, session expired; a page switch or a short reconnect keeps it active).
    ``missing_since`` carries what earlier sweeps saw. Returns the sessions detached."""
    gone = []
    for sid in reg.sessions():
        if is_active(sid.split(":")[0]):
            missing_since.pop(sid, None)
        elif now - missing_since.setdefault(sid, now) >= grace:
            reg.detach(sid)
            missing_since.pop(sid, None)
            gone.append(sid)
    return gone


def session_id() -> str:
    """This session's name in the registry: Streamlit's session id (so the sweeper can ask the
    runtime whether the session is still there), then a random part (AppTest gives every test
    the same Streamlit id)."""
    if "_session_id" not in st.session_state:
        ctx = get_script_run_ctx()
        st.session_state["_session_id"] = f"{ctx.session_id if ctx else ''}:{uuid.uuid4().hex[:12]}"
    return st.session_state["_session_id"]


def _state(key: str) -> dict:
    """This session's live state under ``key``: its jobs in order, their run numbers, and the
    snapshots frozen at this session's Stop (runs that other sessions still train)."""
    return st.session_state.setdefault(f"_live_{key}", {"jobs": [], "numbers": {}, "frozen": {}})


def start(key: str, tasks: Sequence[Task]) -> list[Job]:
    """Submit ``tasks`` for this session under ``key``, replacing what it had there.

    Raises CoreError (over a limit, queue full): ``run_buttons`` shows it.
    """
    stop(key)
    reg, sid = registry(), session_id()
    jobs_ = [reg.submit(task, sid) for task in tasks]
    for job in jobs_:
        _keep(key, job)
    first_records(jobs_)
    return jobs_


def _keep(key: str, job: Job, number: int | None = None) -> None:
    state = _state(key)
    if job not in state["jobs"]:
        state["jobs"].append(job)
        state["numbers"][job.id] = number or max(state["numbers"].values(), default=0) + 1
    state["frozen"].pop(job.id, None)  # asked for again: watch it live


def first_records(jobs_: Sequence[Job], timeout: float = FIRST_WAIT) -> None:
    """Right after a click, wait (≤ ``timeout``) until some job has sent a record, so the click's
    own run already draws the first point instead of waiting for the next poll."""
    end = time.monotonic() + timeout

    def ready() -> bool:
        snaps = [j.snapshot() for j in jobs_]
        return (any(_drawable(s) for s in snaps)
                or all(s.status == "queued" for s in snaps))  # nothing will arrive soon

    while time.monotonic() < end and not ready():
        time.sleep(0.03)
    for job in jobs_:  # the click's own run draws what was just waited for…
        with _FRAMES_LOCK:
            hit = _FRAMES.get(job)
        # …or the shared frame, where it already draws points: a class clicking within two seconds
        # would otherwise move the frame on at each click, and each new frame is a new figure to build
        # (ui.figures: 14-22 ms for the Lab's) while the class's first points wait for the CPU.
        _frame(job, fresh=hit is None or not _drawable(hit[1]))


def _drawable(s: JobSnapshot) -> bool:
    """Does the snapshot hold something to draw (a point, a stage, an end)?"""
    return bool(s.steps or s.task_progress or s.finished)


def add(key: str, task: Task, number: int | None = None) -> Job:
    """Add one run to the session's jobs under ``key``, keeping the others (the Lab's overlay); it
    gets the next run number, or ``number`` (a link's). Raises CoreError like ``start``."""
    job = registry().submit(task, session_id())
    _keep(key, job, number)
    first_records([job])
    return job


def jobs(key: str) -> list[Job]:
    return list(_state(key)["jobs"])


def number(key: str, job: Job | JobSnapshot) -> int:
    """The run's number in this session's list under ``key`` (1, 2, …: the Lab's legend)."""
    return _state(key)["numbers"].get(job.id, 0)


def snapshot(key: str, job: Job) -> JobSnapshot:
    """This session's view of a job: frozen at this session's Stop when others still train it, else
    the job's current frame (``_frame``)."""
    return _state(key)["frozen"].get(job.id) or _frame(job)


# Job → (when taken, snapshot); keyed on the job object, not its id (a new registry, in the tests or
# after a restart, numbers its jobs again), and forgotten with the job.
_FRAMES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_FRAMES_LOCK = threading.Lock()


def _frame(job: Job, fresh: bool = False) -> JobSnapshot:
    """The job's snapshot as every session shows it: its records as of the frame shared by all
    sessions for FRAME_SECONDS, its status always current (``fresh``: the newest records too).

    Fifty students polling every POLL_SECONDS, each at its own moment, would otherwise each see a
    newer version of a training job and each build that version's figures for itself (``shared``
    keys on versions): one figure per poll per student, most of a web server's CPU under a class
    (py-spy, bench/cluster_load.py). A frame is shared instead: at most one new version of a
    running job every FRAME_SECONDS, whoever polls. A change of status (done, stopped, failed…)
    shows at once, and frames only move forward, so a session's curve never shrinks.
    """
    now, snap = time.monotonic(), job.snapshot()
    with _FRAMES_LOCK:
        hit = _FRAMES.get(job)
        if hit is not None and (hit[1].version > snap.version  # an older answer than the one shown already
                                or not fresh and hit[1].status == snap.status and now - hit[0] < FRAME_SECONDS):
            return hit[1]
        _FRAMES[job] = (now, snap)
    return snap


def snapshots(key: str) -> list[JobSnapshot]:
    return [snapshot(key, j) for j in jobs(key)]


def busy(key: str) -> bool:
    """Does this session have runs under ``key`` that are still queued or training?"""
    return any(not s.finished for s in snapshots(key))


def csv_of(key: str) -> Callable[[], str]:
    """The session's runs under ``key`` as CSV (ui.runs.to_csv), their records read when called: a
    download button calls it when clicked, in another thread, where session state is out of reach."""
    state = _state(key)
    entries = [(state["numbers"].get(j.id, 0), j, state["frozen"].get(j.id)) for j in state["jobs"]]
    return lambda: runs.to_csv(runs.csv_rows([(n, frozen or j.snapshot()) for n, j, frozen in entries]))


def remove(key: str, job: Job) -> None:
    """Drop one run from the session's list; it stops if no other session watches it."""
    registry().detach(session_id(), job)
    state = _state(key)
    state["jobs"] = [j for j in state["jobs"] if j is not job]
    state["numbers"].pop(job.id, None)
    state["frozen"].pop(job.id, None)


def stop(key: str) -> None:
    """Detach this session from its jobs under ``key``, and forget them; a job nobody else watches stops."""
    for job in jobs(key):
        registry().detach(session_id(), job)
    st.session_state.pop(f"_live_{key}", None)


def halt(key: str) -> None:
    """Stop, keeping the runs on screen: a run nobody else watches ends; one that other sessions
    still train is frozen, for this session only, at what it showed ("stopped")."""
    for job in jobs(key):
        registry().detach(session_id(), job)
        snap = job.snapshot()
        if not snap.finished and snap.sessions:
            _state(key)["frozen"][job.id] = dataclasses.replace(snap, status="stopped", position=0)


# ---- Built once, handed to every watcher ------------------------------------------------------------

_SHARED: OrderedDict[Hashable, object] = OrderedDict()
_SHARED_LOCK = threading.Lock()
_BUILDING: dict[Hashable, threading.Lock] = {}  # key → the lock its one builder holds
SHARED_SIZE = 256


def shared(key: Hashable, build: Callable[[], object]) -> object:
    """``build()``'s value, computed once per ``key`` for all sessions (an LRU of SHARED_SIZE).

    Key it on what the value depends on, e.g. the jobs' ids and versions and the language: thirty
    students watching one run then cost one figure per new record, not thirty. The value is shared:
    treat it as read-only (``st.plotly_chart`` only reads a figure). A figure keeps its
    dict (``ui.figures.cache_dict``): every watcher's chart reads the one copy it makes.

    One session builds a key while the others that ask for it meanwhile wait for its value: a new
    frame reaches a class's polls at once, and each of them building it too made a third of a
    server's figures twice over (30 students, 27 builds of 18 keys; a build 10 ms alone, 40-120 ms
    under the class). If the build fails, the next one to ask builds it again.
    """
    with _SHARED_LOCK:
        if key in _SHARED:
            _SHARED.move_to_end(key)
            return _SHARED[key]
        building = _BUILDING.setdefault(key, threading.Lock())
    with building:  # outside the cache's lock: other keys are served meanwhile
        with _SHARED_LOCK:
            if key in _SHARED:  # built while this session waited
                _SHARED.move_to_end(key)
                return _SHARED[key]
        try:
            value = build()
            if isinstance(value, go.Figure):
                value = cache_dict(value)  # its dict made once, not on every watcher's poll
            with _SHARED_LOCK:
                _SHARED[key] = value
                while len(_SHARED) > SHARED_SIZE:
                    _SHARED.popitem(last=False)
        finally:
            with _SHARED_LOCK:
                if _BUILDING.get(key) is building:
                    del _BUILDING[key]
    return value


def versions(snaps: Sequence[JobSnapshot]) -> tuple:
    """What the pictures of these snapshots depend on: each job's id, version and status."""
    return tuple((s.id, s.version, s.status) for s in snaps)


END_WAIT = 0.9  # of a poll's interval: the longest a poll waits for its runs' end (< 1: no poll is missed)
END_WAITERS = 2  # sessions of this server that wait for one job's end; the others poll as usual
_WAITERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # job → its waiters' semaphore
_WAITERS_LOCK = threading.Lock()


def wait_for_the_end(jobs_: Sequence[Job], snaps: Sequence[JobSnapshot], every: float) -> bool:
    """Where every unfinished run should end before the next poll, ``every`` s from now, wait for
    that end here (at most END_WAIT × ``every``): the page says "done" when training does, not up to
    a poll later (0.8 s; on average half of it). True if it waited.

    At most END_WAITERS sessions of this server wait for one job: what a class needs is that the first
    of them sees the end at once; a whole class woken by one event would redraw its hundred pages
    together instead of as their polls come. The others see the end at their own next poll."""
    left = [s.seconds_left() for s in snaps if not s.finished]
    if not left or None in left or max(left) >= every:
        return False
    waiting = [j for j, s in zip(jobs_, snaps) if not s.finished]
    with _WAITERS_LOCK:
        gates = [_WAITERS.setdefault(j, threading.BoundedSemaphore(END_WAITERS)) for j in waiting]
    taken = []
    try:
        for gate in gates:
            if not gate.acquire(blocking=False):
                return False
            taken.append(gate)
        budget, t0 = END_WAIT * every, time.perf_counter()
        for job in waiting:
            job.wait(max(0.0, budget - (time.perf_counter() - t0)))
        return True
    finally:
        for gate in taken:
            gate.release()


def live(key: str, draw: Callable[[list[JobSnapshot]], None], every: float = POLL_SECONDS) -> None:
    """Draw this session's snapshots under ``key``; redraw every ``every`` seconds while any job is
    unfinished, then once more as a full run so the polling ends. A poll that comes just before
    the runs end waits for it (``wait_for_the_end``; only a poll: a whole page run never waits)."""
    if not jobs(key):
        return
    running = any(not s.finished for s in snapshots(key))

    @st.fragment(run_every=every if running else None)
    def panel():
        snaps = snapshots(key)
        ctx = get_script_run_ctx()
        if running and ctx is not None and ctx.fragment_ids_this_run and wait_for_the_end(jobs(key), snaps, every):
            snaps = snapshots(key)
        draw(snaps)
        if running and all(s.finished for s in snaps):
            st.rerun()  # a full run redefines the fragment without polling

    panel()


# ---- What every live lesson shows around its charts ----------------------------------------------

def run_buttons(start_col, stop_col, key: str, label: str, tasks: Callable[[], Sequence[Task]], stop_label: str, *,
                start_key: str, stop_key: str, disabled: bool = False) -> None:
    """The primary Train button (submits ``tasks()`` under ``key``; a refused request becomes a
    translated message) and, while the session has unfinished jobs there, Stop (``halt``: the runs
    stay on screen as they were)."""
    if start_col.button(label, type="primary", key=start_key, disabled=disabled, icon=":material/play_arrow:"):
        try:
            start(key, tasks())
        except CoreError as err:
            show_error(err)
    if busy(key) and stop_col.button(stop_label, key=stop_key, icon=":material/stop:"):
        halt(key)


def status_lines(snaps: Sequence[JobSnapshot], name: Callable[[JobSnapshot], str], hint: str = "") -> None:
    """What every live lesson says about its runs: one progress bar for all of them (100 % once every
    run is done; with the task's stage, for tasks that report one), then a line per run that waits in
    the queue (with its place), diverged (with the step; ``hint`` says what to change), was stopped
    before the end, or failed (with the reason: a time limit, missing data, a lost worker…)."""
    progress = sum(s.progress for s in snaps) / len(snaps)
    stage = next((s.task_progress.stage for s in snaps if not s.finished and s.task_progress and s.task_progress.stage),
                 "")
    text = t("live.stage", stage=t(f"live.stage_{stage}"), pct=round(100 * progress)) if stage else \
        t("live.progress", pct=round(100 * progress))
    st.progress(progress, text=text)
    for s in snaps:
        if s.status == "queued":
            st.info(t("live.queued", name=name(s), position=s.position), icon=":material/hourglass_top:")
        elif s.status == "diverged":
            st.warning(" ".join(filter(None, (t("live.diverged", name=name(s), step=num(s.diverged_step)), hint))),
                       icon=":material/warning:")
        elif s.error is not None:
            st.error(t("live.failed", name=name(s), message=error_text(s.error)), icon=":material/error:")
        elif s.status == "stopped":
            st.caption(t("live.stopped", name=name(s)))
