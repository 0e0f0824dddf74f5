"""Results of the CIFAR-10 reproduction (``python -m core reproduce``): one JSON file per run.

The reproduction writes them; lesson 2 reads them from a results folder, when one is present:
``$RESIDUAL_LAB_RESULTS``, or else ``results/cifar10`` in the project (git-ignored, the command's
default output). The app ships no results. No torch import here: the page reads these cheaply.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

from core.errors import BadResults

FORMAT = "residual-lab/cifar10-run/1"
ENV_VAR = "RESIDUAL_LAB_RESULTS"
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "results" / "cifar10"
STATUSES = ("running", "done", "stopped", "diverged")


def results_dir() -> Path:
    """Where lesson 2 looks for results: $RESIDUAL_LAB_RESULTS if set, else results/cifar10."""
    env = os.environ.get(ENV_VAR, "").strip()
    return Path(env).expanduser() if env else DEFAULT_DIR


def result_name(depth: int, skip: bool) -> str:
    """The file stem of a run: ``resnet-56`` or ``plain-56``."""
    return f"{'resnet' if skip else 'plain'}-{depth}"


def write_result(path: str | Path, doc: dict) -> None:
    """Write atomically (temporary file, then rename): a reader never sees half a file."""
    path = Path(path)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, indent=1), encoding="utf-8")
    os.replace(tmp, path)


@dataclass(frozen=True)
class RunResult:
    """One run as lesson 2 shows it; errors are fractions 0…1, iterations are optimiser steps."""

    path: str
    model: str
    depth: int
    skip: bool
    params: int
    status: str
    iterations: int  # planned (the recipe's 64,000 unless shortened)
    iterations_done: int
    milestones: tuple[int, ...]  # iterations where the learning rate is divided by 10
    train_iterations: tuple[int, ...]
    train_error: tuple[float, ...]  # training mini-batches (augmented, train mode) since the previous point
    test_iterations: tuple[int, ...]
    test_error: tuple[float, ...]  # the whole test set, eval mode, after each epoch
    seconds: float
    world_size: int
    device: str  # e.g. "8 × NVIDIA H100 80GB HBM3 (cuda)"


def _get(doc: dict, dotted: str, kind, path: Path):
    value = doc
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            raise BadResults(str(path), dotted)
        value = value[part]
    if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
        raise BadResults(str(path), dotted)
    return value


def _series(doc: dict, dotted: str, kind, path: Path, low=None, high=None) -> tuple:
    values = _get(doc, dotted, list, path)
    for v in values:
        if isinstance(v, bool) or not isinstance(v, kind) or (isinstance(v, float) and not math.isfinite(v)) \
                or (low is not None and not low <= v <= high):
            raise BadResults(str(path), dotted)
    return tuple(values)


def read_result(path: str | Path) -> RunResult:
    """One results file, validated field by field (BadResults names the first bad field)."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        raise BadResults(str(path), "json") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise BadResults(str(path), "format")
    status = _get(doc, "status", str, path)
    if status not in STATUSES:
        raise BadResults(str(path), "status")
    train_it = _series(doc, "train.iteration", int, path, 1, 10**9)
    train_err = _series(doc, "train.error", (int, float), path, 0.0, 1.0)
    test_it = _series(doc, "test.iteration", int, path, 1, 10**9)
    test_err = _series(doc, "test.error", (int, float), path, 0.0, 1.0)
    if len(train_it) != len(train_err):
        raise BadResults(str(path), "train.error")
    if len(test_it) != len(test_err):
        raise BadResults(str(path), "test.error")
    world = _get(doc, "hardware.world_size", int, path)
    name = _get(doc, "hardware.name", str, path)
    kind = _get(doc, "hardware.device", str, path)
    return RunResult(
        str(path), _get(doc, "model", str, path), _get(doc, "depth", int, path), _get(doc, "skip", bool, path),
        _get(doc, "params", int, path), status, _get(doc, "recipe.iterations", int, path),
        _get(doc, "iterations_done", int, path), _series(doc, "recipe.milestone_iterations", int, path, 0, 10**9),
        train_it, tuple(map(float, train_err)), test_it, tuple(map(float, test_err)),
        float(_get(doc, "seconds", (int, float), path)), world,
        f"{world} × {name} ({kind})" if world > 1 else f"{name} ({kind})",
    )


def load_results(folder: str | Path) -> list[RunResult]:
    """Every ``*.json`` run in ``folder`` (none if the folder does not exist), by depth, plain first."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    runs = [read_result(p) for p in sorted(folder.glob("*.json"))]
    return sorted(runs, key=lambda r: (r.depth, r.skip))


def folder_stamp(folder: str | Path) -> tuple:
    """Names, sizes and modification times of the results: a cache key that changes when a run writes."""
    folder = Path(folder)
    if not folder.is_dir():
        return ()
    return tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.glob("*.json")))


def summary_rows(runs: list[RunResult], paper_depths: list[int], paper_test_error: list[float]) -> list[dict]:
    """One row per depth: final training and test error (%) of the plain and residual runs, and the
    paper's Table 6 test error (%) for that depth where it has one (None where not)."""
    paper = dict(zip(paper_depths, paper_test_error))
    rows = []
    for depth in sorted({r.depth for r in runs}):
        row = {"depth": depth, "params": None, "paper_test": paper.get(depth)}
        for r in runs:
            if r.depth == depth:
                kind = "res" if r.skip else "plain"
                row["params"] = r.params
                row[f"{kind}_train"] = 100 * r.train_error[-1] if r.train_error else None
                row[f"{kind}_test"] = 100 * r.test_error[-1] if r.test_error else None
                row[f"{kind}_done"] = (r.iterations_done, r.iterations)
        rows.append(row)
    return rows


def error_axis_max(runs: list[RunResult], floor: float = 20.0) -> float:
    """A shared top for both panels (%): the paper's 20 %, or more when a run ends higher."""
    last = [100 * r.train_error[-1] for r in runs if r.train_error]
    return min(100.0, max([floor] + [1.1 * v for v in last]))
