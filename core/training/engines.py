"""Which engine trains a server's live runs: the embedded one (core.training.jobs: worker processes
on this machine, the default) or a Ray cluster's (core.training.cluster: RESIDUAL_LAB_ENGINE=ray and
Ray's own RAY_ADDRESS), shared by every web replica. Both have the same interface."""

from __future__ import annotations

import os
import threading

from core.training.jobs import JobRegistry, default_registry as embedded_registry

ENGINE_ENV = "RESIDUAL_LAB_ENGINE"
_REMOTE = None
_LOCK = threading.Lock()


def on_ray() -> bool:
    """Is this server configured for the Ray engine?"""
    return os.environ.get(ENGINE_ENV, "").lower() == "ray"


def default_registry() -> JobRegistry:
    """This server's registry: the process's own, or its handle on the cluster's (made once)."""
    if not on_ray():
        return embedded_registry()
    global _REMOTE
    with _LOCK:
        if _REMOTE is None:
            from core.training.cluster import RemoteRegistry  # imports Ray: only when asked for

            _REMOTE = RemoteRegistry()
        return _REMOTE
