"""Helpers for browser tests: a real `streamlit run serve.py` server (app.py behind serve.py's routing fix) and Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "screenshots"  # git-ignored; look at them after a run
# Screenshots cost Chromium about a CPU-second each (a full-height page re-laid out, then a PNG): the
# suite takes them only when asked, `RESIDUAL_LAB_SCREENSHOTS=1 ./scripts/test.sh -m browser`.
SCREENSHOTS = os.environ.get("RESIDUAL_LAB_SCREENSHOTS") == "1"


def save_screenshot(page, name: str) -> None:
    """The page as it is now, into SHOTS/<name>.png, when screenshots are asked for."""
    if SCREENSHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"))
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, env: dict[str, str] | None = None) -> subprocess.Popen:
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "serve.py"),
        "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
        if proc.poll() is not None:
            break
    proc.kill()
    out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
    raise RuntimeError(f"streamlit did not start on port {port}:\n{out}")


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")
