"""Import what the pages run on when the server starts, then freeze it out of the garbage collector.

A Streamlit server holds about 260,000 objects once PyTorch, Plotly, Streamlit and the app's own
modules are imported: functions, classes, module dicts that live as long as the process. Python's
collector still walks every one of them in each full collection, and a class makes garbage fast
(figures, protobuf messages, session state): one such collection took 0.1-0.2 s of a server holding
the GIL, every page and poll stalled behind it (30 students pressing the Lab's pair saw one every
4 s; gc.callbacks, bench/classroom_load.py's server). ``gc.freeze()`` moves what exists at that
moment into a generation the collector skips: a full collection of what the class makes is left.

The modules are the ``ui`` and ``core`` packages the pages import. ``core.training.cluster`` and
``core.classroom.shared`` import Ray, which reads its settings (RAY_ADDRESS) at import: they are
preloaded only by a server started for the Ray engine (RESIDUAL_LAB_ENGINE=ray, its settings in the
environment), and stay unloaded on the embedded one. The first student's page no longer pays
these imports either (about 1.5 s on 2 cores).
"""

from __future__ import annotations

import gc
import importlib
import pkgutil

import core
import ui
from core.training.engines import on_ray

RAY = {"core.training.cluster", "core.classroom.shared"}  # import Ray: only for the Ray engine
NEVER = {"core.__main__"}  # the command line


def modules() -> list[str]:
    """Every module of the ``ui`` and ``core`` packages but NEVER, and RAY only for the Ray engine."""
    skip = NEVER | (set() if on_ray() else RAY)
    names = []
    for package in (core, ui):
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if info.name not in skip:
                names.append(info.name)
    return sorted(names)


def preload() -> int:
    """Import ``modules()`` and freeze every object alive now; returns how many were frozen."""
    for name in modules():
        importlib.import_module(name)
    gc.collect()  # garbage of the imports goes first, not into the frozen generation
    gc.freeze()
    return gc.get_freeze_count()
