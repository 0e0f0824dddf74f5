"""Shared fixtures: a live Streamlit server and a Chromium browser for the browser tests."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# The suite runs in parallel processes (pytest-xdist, see pytest.ini) on a 2-core machine: one
# OpenMP thread per process, set before anything imports torch and inherited by the servers and
# command lines the tests start. Several 2-thread processes on 2 cores spin-wait against each other.
# Worker processes and registry threads still set their own counts (threads_per_job).
os.environ.setdefault("OMP_NUM_THREADS", "1")


ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Ray reads its settings once, when it is first imported, and any test file may import it first
# (collection imports them all, in each xdist process): tests/test_cluster.py's cluster settings go
# into this process's environment before any of them.
from tests.ray_env import LOOPBACK  # noqa: E402

os.environ.update(LOOPBACK)


@pytest.fixture(scope="session")
def server_url():
    from tests.browser import free_port, start_server

    port = free_port()
    proc = start_server(port)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM_FLAGS, chromium_path

    path = chromium_path()
    assert path, "Chromium is not installed: `apt-get install -y chromium` (the README's test command does it)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    pg = ctx.new_page()
    yield pg
    ctx.close()


@pytest.fixture(autouse=True)
def no_training_left_behind():
    """After each test, stop what it left training in the process-wide registry: a later test must
    not wait behind it (finished runs stay cached)."""
    yield
    jobs = sys.modules.get("core.training.jobs")
    if jobs is not None and jobs._DEFAULT is not None and not jobs._DEFAULT._closed:
        jobs._DEFAULT.stop_all(timeout=30)
