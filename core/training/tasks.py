"""What the job registry runs and what comes back: the task protocol, the records a task emits, the
caps every task is checked against, and how a run ends (no torch, no UI).

A *task* is a frozen, hashable, picklable dataclass with two methods (``Task``):
``validate(limits)`` raises a CoreError for a request that cannot or may not run here, and
``run(emit, stop, max_seconds)`` does the work, calling ``emit`` with the records below and returning
an ``Outcome``. ``core.training.engine.TrainConfig`` is the task of one training run; lessons add
their own (``core.lessons.lesion.LesionTask``, ``core.lessons.kinds.DenoiseTask``…). Equal tasks are
the same computation: the registry shares one job between every session that asks for it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable, Hashable, Protocol

# One threshold for every training demo: a loss above it (or NaN, ±inf) is a diverged run. Cross-entropy
# starts near ln 10 ≈ 2.3 and lesson 1's squared errors near 1, so 10⁶ is far past anything healthy.
DIVERGED_LOSS = 1e6


@dataclass(frozen=True)
class Limits:
    """Caps that keep one shared server responsive; bigger requests raise a CoreError."""

    max_depth: int = 110  # layers (ResNet-110 is the deepest net of the paper's CIFAR table we allow)
    max_width: int = 64  # first-stage filters
    max_epochs: int = 100
    max_batch_size: int = 2048
    max_seconds: float = 600.0  # wall time of one run; the run ends with status "stopped"


@dataclass(frozen=True)
class RunInfo:
    """Sent once, before the first step."""

    model: str  # e.g. "ResNet-20" or "Plain-20"
    params: int  # trainable parameters
    layers: tuple[str, ...]  # names of the units whose gradient norms StepRecord.grad_norms holds
    device: str  # "cpu", "cuda", "mps"
    threads: int  # torch intra-op threads of the training thread
    steps_per_epoch: int
    total_steps: int
    extras: tuple[str, ...] = ()  # names of StepRecord.extras (e.g. the blocks whose gate α is logged)


@dataclass(frozen=True)
class StepRecord:
    """Training metrics streamed every ``log_every`` steps."""

    step: int  # optimiser steps done (1-based)
    epoch: int  # the epoch (1-based) this step belongs to
    loss: float  # mean cross-entropy over the steps since the previous record
    train_error: float  # fraction of those steps' training examples misclassified
    elapsed: float  # seconds since the run started (set-up included)
    grad_norms: tuple[float, ...]  # L2 norm of each unit's weight gradients at this step (RunInfo.layers)
    extras: tuple[float, ...] = ()  # the model's skip_weights() if it has them: mean gate α or scale α per block


@dataclass(frozen=True)
class EpochRecord:
    """Metrics after each epoch."""

    epoch: int
    step: int
    train_loss: float  # mean over the epoch's minibatches (every training example once), train mode
    train_error: float  # as the paper plots it: the epoch's misclassified fraction while training
    test_loss: float  # whole test set, eval mode (BN running statistics)
    test_error: float
    elapsed: float


@dataclass(frozen=True)
class Progress:
    """For tasks that are not one training run (a landscape grid, a lesion study): how far along."""

    done: float  # fraction 0…1
    stage: str = ""  # a short code the page may translate, e.g. "train_plain", "grid"


@dataclass(frozen=True)
class Result:
    """A task's final product (any picklable value: a dataclass of arrays, a dict); sent once."""

    value: object


@dataclass(frozen=True)
class Outcome:
    """How a run ended."""

    status: str  # "done", "stopped" (stop event), "time_limit" or "diverged"
    steps: int  # optimiser steps done
    diverged_step: int | None = None  # first step whose loss was NaN, ±inf or above DIVERGED_LOSS


Record = RunInfo | StepRecord | EpochRecord | Progress | Result

Emit = Callable[[Record], None]


class Task(Hashable, Protocol):
    """Anything the job registry can run (see the module docstring)."""

    def validate(self, limits: Limits) -> None: ...

    def run(self, emit: Emit, stop: threading.Event | None = None, max_seconds: float | None = None) -> Outcome: ...
