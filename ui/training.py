"""Training jobs seen from a page: the process-wide registry, this session's jobs, live polling.

Training runs in core.training's worker processes; a page only submits tasks, keeps the returned
Job objects in its session state, and redraws their snapshots inside a fragment that reruns while
any of them is still queued or running. Watching is cheap: a fragment run whose jobs have no new
records since this session last drew them re-sends the elements it already built (no new
figures), and figures are built once per job version and language for every watching session
(``shared``). A session that goes away (tab closed, session expired) is detached from its jobs by
a sweeper thread, so a run nobody watches stops within ``GONE_SECONDS`` + ``SWEEP_SECONDS``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections import OrderedDict
from typing import Callable, Hashable, Sequence

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.errors import CoreError
from core.training.jobs import Job, JobRegistry, JobSnapshot, default_registry

from .shell import num, show_error, t

POLL_SECONDS = float(os.environ.get("RESIDUAL_LAB_POLL", "0.8"))  # ≥ 1 redraw a second; measured: see bench/classroom_load.py
GONE_SECONDS = 15.0  # a session disconnected this long (not a brief network blip) has left
SWEEP_SECONDS = 5.0
FIRST_WAIT = 1.0  # a click's run waits this long at most for a first record to draw


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


def start(key: str, configs: Sequence) -> list[Job]:
    """Submit ``configs`` (tasks) for this session under ``key`` (replacing what it had there).

    Raises CoreError (over a limit, queue full): the page shows it with ``show_error``.
    """
    stop(key)
    reg, sid = registry(), session_id()
    jobs = [reg.submit(c, sid) for c in configs]
    st.session_state[f"_jobs_{key}"] = jobs
    first_records(jobs)
    return jobs


def first_records(jobs: Sequence[Job], timeout: float = FIRST_WAIT) -> None:
    """Right after a click, wait (≤ ``timeout``) until some job has sent a record, so the click's
    own run already draws the first point instead of waiting for the next poll."""
    end = time.monotonic() + timeout

    def ready() -> bool:
        snaps = [j.snapshot() for j in jobs]
        return (any(s.steps or s.task_progress or s.finished for s in snaps)
                or all(s.status == "queued" for s in snaps))  # nothing will arrive soon

    while time.monotonic() < end and not ready():
        time.sleep(0.03)


def add(key: str, config) -> Job:
    """Add one run to the session's jobs under ``key``, keeping the others (the Lab's overlay)."""
    job = registry().submit(config, session_id())
    jobs = [j for j in st.session_state.get(f"_jobs_{key}", []) if j is not job]
    st.session_state[f"_jobs_{key}"] = jobs + [job]
    first_records([job])
    return job


def jobs(key: str) -> list[Job]:
    return list(st.session_state.get(f"_jobs_{key}", []))


def remove(key: str, job: Job) -> None:
    """Drop one run from the session's list; it stops if no other session watches it."""
    registry().detach(session_id(), job)
    st.session_state[f"_jobs_{key}"] = [j for j in jobs(key) if j is not job]


def stop(key: str) -> None:
    """Detach this session from its jobs under ``key``; a job nobody else watches stops."""
    for job in jobs(key):
        registry().detach(session_id(), job)
    st.session_state.pop(f"_jobs_{key}", None)


# ---- Built once, handed to every watcher ------------------------------------------------------------

_SHARED: OrderedDict[Hashable, object] = OrderedDict()
_SHARED_LOCK = threading.Lock()
SHARED_SIZE = 256


def shared(key: Hashable, build: Callable[[], object]) -> object:
    """``build()``'s value, computed once per ``key`` for all sessions (an LRU of SHARED_SIZE).

    Key it on what the value depends on, e.g. the jobs' ids and versions and the language: thirty
    students watching one run then cost one figure per new record, not thirty. The value is shared:
    treat it as read-only (``st.plotly_chart`` only reads a figure).
    """
    with _SHARED_LOCK:
        if key in _SHARED:
            _SHARED.move_to_end(key)
            return _SHARED[key]
    value = build()  # outside the lock: two sessions may race to build the same key, both correct
    with _SHARED_LOCK:
        _SHARED[key] = value
        while len(_SHARED) > SHARED_SIZE:
            _SHARED.popitem(last=False)
    return value


def versions(snaps: Sequence[JobSnapshot]) -> tuple:
    """What the pictures of these snapshots depend on: each job's id, version and status."""
    return tuple((s.id, s.version, s.status) for s in snaps)


def live(key: str, draw: Callable[[list[JobSnapshot]], None], every: float = POLL_SECONDS) -> None:
    """Draw the snapshots of the session's jobs under ``key``; redraw every ``every`` seconds while
    any job is unfinished, then once more as a full run so the polling ends."""
    current = jobs(key)
    if not current:
        return
    running = any(not j.snapshot().finished for j in current)

    @st.fragment(run_every=every if running else None)
    def panel():
        snaps = [j.snapshot() for j in jobs(key)]
        draw(snaps)
        if running and all(s.finished for s in snaps):
            st.rerun()  # a full run redefines the fragment without polling

    panel()


# ---- What every live lesson shows around its charts ----------------------------------------------

def run_buttons(start_col, stop_col, key: str, label: str, tasks: Callable[[], Sequence], stop_label: str, *,
                start_key: str, stop_key: str, disabled: bool = False) -> None:
    """The primary Train button (submits ``tasks()`` under ``key``; a refused request becomes a
    translated message) and, while the session has jobs there, Stop."""
    if start_col.button(label, type="primary", key=start_key, disabled=disabled):
        try:
            start(key, tasks())
        except CoreError as err:
            show_error(err)
    if jobs(key) and stop_col.button(stop_label, key=stop_key):
        stop(key)


def status_lines(snaps: Sequence[JobSnapshot], name: Callable[[JobSnapshot], str], prefix: str) -> None:
    """One progress bar for ``snaps`` together, then a line per run that waits in the queue (with its
    place), diverged (with the step) or failed. Texts: ``<prefix>.progress``, ``.queued``, ``.diverged``."""
    progress = sum(s.progress for s in snaps) / len(snaps)
    st.progress(progress, text=t(f"{prefix}.progress", pct=round(100 * progress)))
    for s in snaps:
        if s.status == "queued":
            st.caption(t(f"{prefix}.queued", name=name(s), position=s.position))
        elif s.status == "diverged":
            st.warning(t(f"{prefix}.diverged", name=name(s), step=num(s.diverged_step)))
        elif s.error is not None:
            show_error(s.error)
