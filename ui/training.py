"""Training jobs seen from a page: the process-wide registry, this session's jobs, live polling.

Training runs in core.training.jobs worker threads that make no Streamlit calls; a page only submits
configs, keeps the returned Job objects in its session state, and redraws their snapshots inside
a fragment that reruns every half second while any of them is still queued or running.
"""

from __future__ import annotations

import uuid
from typing import Callable, Sequence

import streamlit as st

from core.training.engine import TrainConfig
from core.training.jobs import Job, JobRegistry, JobSnapshot, default_registry

POLL_SECONDS = 0.5  # curves update twice a second while training


@st.cache_resource
def registry() -> JobRegistry:
    """One registry per server process: identical requests from any session share one job."""
    return default_registry()


def session_id() -> str:
    if "_session_id" not in st.session_state:
        st.session_state["_session_id"] = uuid.uuid4().hex
    return st.session_state["_session_id"]


def start(key: str, configs: Sequence[TrainConfig]) -> list[Job]:
    """Submit ``configs`` for this session under ``key`` (replacing what it had there).

    Raises CoreError (over a limit, queue full): the page shows it with ``show_error``.
    """
    stop(key)
    reg, sid = registry(), session_id()
    jobs = [reg.submit(c, sid) for c in configs]
    st.session_state[f"_jobs_{key}"] = jobs
    return jobs


def add(key: str, config: TrainConfig) -> Job:
    """Add one run to the session's jobs under ``key``, keeping the others (the Lab's overlay)."""
    job = registry().submit(config, session_id())
    jobs = [j for j in st.session_state.get(f"_jobs_{key}", []) if j is not job]
    st.session_state[f"_jobs_{key}"] = jobs + [job]
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
