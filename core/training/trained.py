"""A trained net from a TrainConfig, for lessons that study trained weights (lesion study, loss landscape).

``trained_model(cfg)`` trains with the engine (core.training.engine.train) and hands back the net.
Training is deterministic for a config, seed and thread count on the CPU, so a small per-process
cache of finished weights lets a second task on the same config (the lesion study, then the
landscape) skip the training instead of repeating it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from core.training.data import load_dataset
from core.training.engine import TrainConfig, build_model, resolve_device, train
from core.training.tasks import Emit, EpochRecord, Outcome, Progress, RunInfo, StepRecord

CACHE_SIZE = 8  # a ResNet-56 of width 16 is ≈ 3.4 MB of weights
_CACHE: OrderedDict[tuple, tuple[dict, EpochRecord | None, int]] = OrderedDict()
_LOCK = threading.Lock()


@dataclass
class TrainedNet:
    model: nn.Module  # in eval mode, on the config's device
    outcome: Outcome  # "done", or how the training ended early
    final: EpochRecord | None  # the last epoch's metrics (training and test error)


def trained_model(cfg: TrainConfig, progress: Callable[[float], None] | None = None,
                  stop: threading.Event | None = None, max_seconds: float | None = None) -> TrainedNet:
    """Train ``cfg`` (or take its weights from this process's cache); ``progress(0…1)`` while training."""
    key = (cfg, torch.get_num_threads())
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
    if hit is not None:
        state, final, steps = hit
        data = load_dataset(cfg.dataset, cfg.data_dir)
        model = build_model(cfg, data).to(resolve_device(cfg.device))
        model.load_state_dict(state)
        if progress is not None:
            progress(1.0)
        return TrainedNet(model.eval(), Outcome("done", steps), final)

    held: list[nn.Module] = []
    total = [1]
    epochs: list[EpochRecord] = []

    def emit(record) -> None:
        if isinstance(record, RunInfo):
            total[0] = max(1, record.total_steps)
        elif isinstance(record, StepRecord) and progress is not None:
            progress(min(1.0, record.step / total[0]))
        elif isinstance(record, EpochRecord):
            epochs.append(record)

    outcome = train(cfg, emit, stop, max_seconds, on_model=held.append)
    model = held[0].eval()
    final = epochs[-1] if epochs else None
    if outcome.status == "done":
        state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        with _LOCK:
            _CACHE[key] = (state, final, outcome.steps)
            while len(_CACHE) > CACHE_SIZE:
                _CACHE.popitem(last=False)
    return TrainedNet(model, outcome, final)


class Stopped(Exception):
    """A task's own loop (a loss grid, the deletions) ends early: its ``str`` is the Outcome status."""


def check_stop(stop: threading.Event | None, deadline: float | None) -> None:
    """Raise Stopped("stopped") once ``stop`` is set, Stopped("time_limit") past ``deadline`` (perf_counter)."""
    if stop is not None and stop.is_set():
        raise Stopped("stopped")
    if deadline is not None and time.perf_counter() > deadline:
        raise Stopped("time_limit")


def train_plain_and_residual(configs: tuple[TrainConfig, TrainConfig], emit: Emit, share: float,
                             stop: threading.Event | None, deadline: float | None) -> list[TrainedNet] | Outcome:
    """Train a plain, then a residual net (lessons that compare trained nets): ``Progress`` records
    cover the first ``share`` of the task (stages "train_plain", "train_residual"). Returns both nets,
    or the Outcome of the first training that did not finish."""
    nets = []
    for i, (cfg, stage) in enumerate(zip(configs, ("train_plain", "train_residual"))):
        left = None if deadline is None else deadline - time.perf_counter()
        got = trained_model(cfg, lambda f, i=i, stage=stage: emit(Progress(share / 2 * (i + f), stage)), stop, left)
        if got.outcome.status != "done":
            return got.outcome
        nets.append(got)
    return nets
