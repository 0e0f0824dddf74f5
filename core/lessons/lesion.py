"""Lesson 8: the lesion study of Veit et al. (NeurIPS 2016) on a trained plain and residual net.

At test time one block (or several) is deleted and the net is evaluated again, without retraining.
Deleting a residual block y = relu(F(x) + s(x)) leaves its shortcut only: y = relu(s(x)), where s is
the identity, or option A's subsample + zero-pad where the shape changes. A plain block has no
shortcut; it is replaced by the parameter-free map of the same shape (the same identity or
subsample + zero-pad), so the rest of the net still receives a tensor it can take.
"""

from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from core.errors import OutOfRange
from core.models.blocks import BasicBlock, PreActBlock, ZeroPadShortcut
from core.models.resnet import CifarResNet, cifar_blocks_per_stage
from core.training.data import load_dataset
from core.training.engine import TrainConfig
from core.training.tasks import Emit, Limits, Outcome, Progress, Result
from core.training.trained import Stopped, check_stop, train_plain_and_residual

STAGES = ("layer1", "layer2", "layer3")
LESION_DEFAULT_DEPTH = 20  # see LesionTask: both nets fit the training digits at this depth in 8 epochs
LESION_DEFAULT_EPOCHS = 8
LESION_MAX_EPOCHS = 20  # the page's epochs box
# A net whose intact accuracy is within this of chance has learned too little for its deletions to
# say much (the page then says so, and suggests what to change: untrained_advice).
UNTRAINED_MARGIN = 0.2


class Bypass(nn.Module):
    """A deleted block: x ↦ relu(s(x)) (basic block) or s(x) (pre-activation block), no weights of its own."""

    def __init__(self, shortcut: nn.Module | None, relu: bool):
        super().__init__()
        self.shortcut = shortcut  # None: the identity
        self.relu = relu

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x if self.shortcut is None else self.shortcut(x)  # (N, C_out, H/s, W/s)
        return F.relu(y) if self.relu else y


def bypass(block: nn.Module) -> Bypass:
    """What is left of ``block`` once it is deleted (residual: its shortcut; plain: the same-shape map)."""
    if not isinstance(block, (BasicBlock, PreActBlock)):
        raise TypeError(f"cannot delete a {type(block).__name__}")
    if block.skip:
        return Bypass(block.downsample, isinstance(block, BasicBlock))
    return parameter_free_map(block)


def parameter_free_map(block: nn.Module) -> Bypass:
    """The map of ``block``'s input to its output shape with no weights: the identity, or option A's
    subsample + zero-pad where the shape changes (then the ReLU of a basic block)."""
    if not isinstance(block, (BasicBlock, PreActBlock)):
        raise TypeError(f"cannot map around a {type(block).__name__}")
    relu = isinstance(block, BasicBlock)  # a basic block ends with a ReLU after the addition
    c_in, c_out, stride = block.conv1.in_channels, block.conv2.out_channels, block.stride
    same = stride == 1 and c_in == c_out
    return Bypass(None if same else ZeroPadShortcut(c_in, c_out, stride), relu)


def blocks(model: CifarResNet) -> list[tuple[str, nn.Module]]:
    """The net's blocks in order, named "stage.index" from 1 (e.g. "2.1" is stage 2's first block)."""
    return [(f"{s + 1}.{i + 1}", b) for s, name in enumerate(STAGES) for i, b in enumerate(getattr(model, name))]


def downsampling(model: CifarResNet) -> list[bool]:
    """For each block: does it change the shape (stride 2, more channels)?"""
    return [b.stride != 1 or b.conv1.in_channels != b.conv2.out_channels for _, b in blocks(model)]


def lesioned(model: CifarResNet, deleted: set[int] | frozenset[int]) -> CifarResNet:
    """A view of ``model`` with the blocks at positions ``deleted`` (0-based, in ``blocks`` order)
    bypassed; the weights are shared, not copied, and ``model`` itself is untouched."""
    view = copy.copy(model)
    view._modules = dict(model._modules)  # own module table, so replacing a stage leaves the original
    k = 0
    for name in STAGES:
        stage = []
        for block in getattr(model, name):
            stage.append(bypass(block) if k in deleted else block)
            k += 1
        view._modules[name] = nn.Sequential(*stage)
    return view


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Test accuracy in eval mode (BatchNorm's running statistics), as Veit et al. evaluate."""
    model.eval()
    return float((model(x).argmax(1) == y).float().mean())


def random_deletions(n: int, draws: int, seed: int) -> list[list[frozenset[int]]]:
    """For k = 1…n, ``draws`` distinct-as-possible random sets of k block positions (the same for both nets)."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(1, n + 1):
        out.append([frozenset(int(i) for i in rng.choice(n, size=k, replace=False)) for _ in range(draws)])
    return out


@torch.no_grad()
def carried_similarity(model: CifarResNet, x: torch.Tensor) -> np.ndarray:
    """(n, n): row j = the output of block j + 1, column i = representation i (0 = the stem's output, i =
    block i's) carried there; the mean cosine similarity over the images of ``x``; NaN where i > j."""
    model.eval()
    h = model.relu(model.bn1(model.conv1(x)))  # the stem's output (N, w, H, W)
    chain = [b for _, b in blocks(model)]
    sources, outputs = [h], []
    for block in chain:
        h = block(h)
        outputs.append(h)
        sources.append(h)
    n = len(chain)
    sim = np.full((n, n), np.nan)  # the last block's output is no earlier output of any block: no column
    units = [F.normalize(o.flatten(1), dim=1) for o in outputs]  # (N, D_j), each image's map of norm 1
    for i in range(n):  # representation i is carried through blocks i + 1 … n
        carried, unit = sources[i], None
        nonneg = bool((carried >= 0).all())
        for j in range(i, n):
            step = parameter_free_map(chain[j])
            # An identity map (then a ReLU on values that are ≥ 0 already) changes nothing: skip its work.
            if step.shortcut is not None or (step.relu and not nonneg):
                carried, unit, nonneg = step(carried), None, nonneg or step.relu
            if unit is None:
                unit = F.normalize(carried.flatten(1), dim=1)  # now the shape of block j + 1's output
            sim[j, i] = float((units[j] * unit).sum(1).mean())  # the mean cosine similarity over the images
    return sim


@dataclass(frozen=True)
class NetLesion:
    model: str  # "Plain-20", "ResNet-20"
    train_error: float  # last epoch, as the engine reports it
    intact: float  # test accuracy with every block
    single: np.ndarray  # (n,) test accuracy with block i deleted
    multi: np.ndarray  # (n, draws) test accuracy with k = 1…n random blocks deleted
    carried: np.ndarray  # (n, n) feature reuse: carried_similarity on the test digits (core.lessons.reuse reads it)


@dataclass(frozen=True)
class LesionResult:
    depth: int
    epochs: int
    blocks: tuple[str, ...]  # names "stage.index"
    downsampling: tuple[bool, ...]  # the blocks that change the shape
    plain: NetLesion
    residual: NetLesion
    chance: float  # accuracy of guessing the most common test class
    n_test: int  # test images the accuracies are measured on


def lesion_net(model: CifarResNet, x: torch.Tensor, y: torch.Tensor, sets: list[list[frozenset[int]]],
               tick: Callable[[], None] = lambda: None) -> tuple[float, np.ndarray, np.ndarray]:
    """(intact accuracy, accuracy with each single block deleted, accuracy with each random set deleted)."""
    n = len(blocks(model))
    intact = accuracy(model, x, y)
    single = np.array([accuracy(lesioned(model, {i}), x, y) for i in range(n)])
    tick()
    multi = np.zeros((n, len(sets[0])))
    for k, draws in enumerate(sets):
        multi[k] = [accuracy(lesioned(model, s), x, y) for s in draws]
        tick()
    return intact, single, multi


@dataclass(frozen=True)
class LesionTask:
    """Train a plain and a residual net of one depth with one seed, then delete blocks at test time.

    A job-engine task (core.training.jobs): frozen, picklable, everything in its fields.
    Defaults: depth 20 and 8 epochs of the engine's Adam recipe, where both nets fit the training
    digits (training error ≤ 2 % on seeds 0 and 1; test accuracy ≈ 87 % plain, ≈ 97 % residual), so
    the comparison is fair. After 4 epochs Plain-20 still had 17–21 % training error.
    """

    depth: int = LESION_DEFAULT_DEPTH
    epochs: int = LESION_DEFAULT_EPOCHS
    seed: int = 0  # the same for both nets' initialisation and batch order, and for the random deletions
    draws: int = 5  # random sets of k deleted blocks per k
    device: str = "cpu"

    def configs(self) -> tuple[TrainConfig, TrainConfig]:
        base = TrainConfig(depth=self.depth, epochs=self.epochs, seed=self.seed, device=self.device)
        return base.replace(skip=False), base.replace(skip=True)

    def validate(self, limits: Limits | None = None) -> None:
        limits = limits or Limits()
        if not 8 <= self.depth <= min(56, limits.max_depth):
            raise OutOfRange("depth", self.depth, 8, min(56, limits.max_depth))
        cifar_blocks_per_stage(self.depth)
        if not 1 <= self.draws <= 20:
            raise OutOfRange("draws", self.draws, 1, 20)
        for cfg in self.configs():
            cfg.validate(limits)

    def run(self, emit: Emit, stop: threading.Event | None = None, max_seconds: float | None = None) -> Outcome:
        deadline = None if max_seconds is None else time.perf_counter() + max_seconds
        n = 3 * cifar_blocks_per_stage(self.depth)
        # Work units: training counts as half of the task, the evaluations as the other half.
        nets = train_plain_and_residual(self.configs(), emit, 0.5, stop, deadline)
        if isinstance(nets, Outcome):
            return nets
        data = load_dataset("digits", device=nets[0].model.conv1.weight.device)
        sets = random_deletions(n, self.draws, self.seed)
        results = []
        done = [0]

        def tick() -> None:
            check_stop(stop, deadline)
            done[0] += 1
            emit(Progress(0.5 + 0.5 * done[0] / (2 * (n + 1)), "lesion"))

        for got in nets:
            try:
                intact, single, multi = lesion_net(got.model, data.x_test, data.y_test, sets, tick)
            except Stopped as why:
                return Outcome(str(why), 0)
            results.append(NetLesion(got.model.name, got.final.train_error if got.final else float("nan"),
                                     intact, single, multi, carried_similarity(got.model, data.x_test)))
        model = nets[1].model
        chance = float(torch.bincount(data.y_test).max()) / len(data.y_test)
        emit(Result(LesionResult(self.depth, self.epochs, tuple(name for name, _ in blocks(model)),
                                 tuple(downsampling(model)), results[0], results[1], chance, len(data.y_test))))
        return Outcome("done", 0)


@dataclass(frozen=True)
class LesionSummary:
    """The numbers the lesson's text quotes for one net."""

    intact: float
    median_single: float  # median accuracy over the single deletions
    worst_single: float
    worst_block: str
    same_shape_mean: float  # mean accuracy over deletions of blocks that keep the shape
    half_k: int | None  # fewest deleted blocks whose mean accuracy is below half the intact accuracy


def summarize(result: LesionResult, net: NetLesion) -> LesionSummary:
    keep = [i for i, d in enumerate(result.downsampling) if not d]
    worst = int(np.argmin(net.single))
    means = net.multi.mean(1)
    below = [k + 1 for k, m in enumerate(means) if m < net.intact / 2]
    return LesionSummary(net.intact, float(np.median(net.single)), float(net.single[worst]), result.blocks[worst],
                         float(net.single[keep].mean()), below[0] if below else None)


def learned_little(intact: float, chance: float) -> bool:
    """Is a net's intact accuracy less than UNTRAINED_MARGIN above chance?"""
    return intact < chance + UNTRAINED_MARGIN


def untrained_advice(plain: bool, depth: int, epochs: int, max_epochs: int = LESION_MAX_EPOCHS) -> str:
    """What to suggest for a net that learned little: "epochs" while more are allowed; then, for a
    plain net deeper than the default, "depth" (deep plain nets train badly, lesson 2); else "seed"."""
    if epochs < max_epochs:
        return "epochs"
    if plain and depth > LESION_DEFAULT_DEPTH:
        return "depth"
    return "seed"


def closest_share(n: int, deleted: int, of: int) -> int:
    """The k in 1…n whose share k/n of a net's n blocks is closest to ``deleted``/``of`` (the smaller k on a tie)."""
    return min(range(1, n + 1), key=lambda k: (abs(k / n - deleted / of), k))
