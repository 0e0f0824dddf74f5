"""server/preload.py: the server imports every page module at start and freezes them out of the GC."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from server import preload

ROOT = Path(__file__).resolve().parent.parent


def test_every_module_of_ui_and_core_is_preloaded_and_ray_only_for_the_ray_engine(monkeypatch):
    files = {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
             for d in ("ui", "core") for p in (ROOT / d).rglob("*.py")}
    files -= {"ui", "core"}
    assert preload.RAY | preload.NEVER <= files  # no stale names
    monkeypatch.delenv("RESIDUAL_LAB_ENGINE", raising=False)
    assert set(preload.modules()) == files - preload.RAY - preload.NEVER
    monkeypatch.setenv("RESIDUAL_LAB_ENGINE", "ray")
    assert set(preload.modules()) == files - preload.NEVER


def test_preload_freezes_the_imports_and_leaves_ray_unloaded():
    code = ("import gc, json, sys; from server.preload import preload; n = preload(); "
            "[gc.collect() for _ in range(5)]; "
            "print(json.dumps({'frozen': n, 'ray': 'ray' in sys.modules, 'torch': 'torch' in sys.modules, "
            "'plotly': 'plotly.graph_objects' in sys.modules, 'tracked': len(gc.get_objects())}))")
    env = {k: v for k, v in os.environ.items() if k != "RESIDUAL_LAB_ENGINE"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["torch"] and got["plotly"] and not got["ray"]
    # What the collector still walks is what was made after the freeze: a few objects, not the imports.
    assert got["frozen"] > 100_000 and got["tracked"] < 1_000, got
