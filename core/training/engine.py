"""The training engine: one frozen config in, a stream of metric records out (no UI, no threads).

``train(config, emit)`` builds a CIFAR-style net (core.models.resnet), trains it on a data set held as
tensors (core.training.data) and calls ``emit`` with a ``RunInfo``, then ``StepRecord``s every few steps and
an ``EpochRecord`` after every epoch. On the CPU, the same config, seed and torch thread count
(``RunInfo.threads``; threads change the rounding of parallel sums) give exactly the same numbers.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from core.training.data import DATASETS, Dataset, batch_indices, check_available, load_dataset
from core.training.device import pick_device
from core.errors import BadChoice, DeviceUnavailable, OutOfRange
from core.models.blocks import SHORTCUT_OPTIONS
from core.models.densenet import densenet_cifar
from core.models.resnet import cifar_blocks_per_stage, cifar_resnet
from core.models.skips import DEFAULT_GATE_BIAS, SkipKindNet
from core.models.units import block_units, layer_grad_norms
from core.training.tasks import (DIVERGED_LOSS, Emit, EpochRecord, Limits, Outcome, RunInfo, StepRecord)

BLOCK_TYPES = ("basic", "preact")
SHORTCUTS = SHORTCUT_OPTIONS  # "A" zero-padding, "B" projections where shapes change, "C" everywhere
OPTIMIZERS = ("sgd", "adam")
DEVICES = ("auto", "cpu", "cuda", "mps")
ARCHS = ("resnet", "densenet", "gated", "scaled")  # lesson 7's kinds of skip connection (see TrainConfig.arch)
MOMENTUM = 0.9  # SGD momentum of He et al. 2016
MAX_SEED = 2**32 - 1  # seeds 0 … 4,294,967,295 (torch.manual_seed overflows past 2⁶⁴)


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training curve; frozen and hashable, so it keys shared jobs."""

    # Architecture: core.models.resnet.cifar_resnet; plain and residual nets differ only by ``skip``.
    depth: int = 20  # 6n + 2 layers: 8, 14, 20, 32, 44, 56, 110, …
    width: int = 16  # filters in the first stage (then 2×, 4×); the paper uses 16
    block: str = "basic"  # "basic" (conv-BN-ReLU-conv-BN, + x, ReLU) or "preact" (BN-ReLU-conv ×2, + x)
    batchnorm: bool = True  # False: no BN anywhere (convs get a bias instead)
    skip: bool = True  # False: the same net without its shortcuts, a "plain" net
    shortcut: str = "A"  # where shapes change: "A" zero-padding, "B" 1×1 projection, "C" projections everywhere
    # Data (core.training.data): nothing is ever downloaded.
    dataset: str = "digits"  # "digits" (sklearn, 8×8), "synthetic", "mnist", "fashion_mnist"
    data_dir: str = ""  # folder of IDX files for mnist / fashion_mnist ("" → data/<dataset>)
    # Optimisation. The defaults are lesson 2's, measured to show degradation in seconds on the
    # CPU (see DEGRADATION_* below); the paper's SGD recipe is optimizer="sgd", lr=0.1.
    optimizer: str = "adam"  # "adam" or "sgd" (momentum 0.9)
    lr: float = 5e-4  # learning rate
    weight_decay: float = 1e-4  # L2 penalty, as in the paper
    batch_size: int = 128  # the paper's batch size
    epochs: int = 4  # passes over the training set (lesson 2: DEGRADATION_EPOCHS)
    seed: int = 0  # model initialisation and batch order
    device: str = "auto"  # "auto" (CUDA, then MPS, then CPU), "cpu", "cuda", "mps"
    log_every: int = 5  # a StepRecord at step 1 and every this many steps (and at each epoch's end)
    # How blocks join F(x) and x (lesson 7). "resnet": y = F(x) + x (all the fields above apply);
    # "gated": y = α·F(x) + (1 − α)·x with a highway gate α = σ(W_T x + b_T); "scaled": y = x + α·F(x),
    # α a learned scalar from 0 (both basic blocks only); "densenet": DenseNet-BC whose 3 dense blocks
    # hold n layers each for depth 6n + 2 (Huang's L = 6n + 4) and growth rate k = width (block,
    # skip, shortcut and batchnorm do not apply).
    arch: str = "resnet"
    gate_bias: float = DEFAULT_GATE_BIAS  # b_T at initialisation, arch="gated" only

    def replace(self, **changes) -> TrainConfig:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    # A task (core.training.tasks.Task): the job registry validates it, then runs it in a worker.
    def validate(self, limits: Limits | None = None) -> None:
        validate(self, limits or Limits())

    def run(self, emit: Emit, stop: threading.Event | None = None, max_seconds: float | None = None) -> Outcome:
        return train(self, emit, stop, max_seconds)




def _check_range(name: str, value, low, high) -> None:
    if not low <= value <= high:
        raise OutOfRange(name, value, low, high)


def validate(cfg: TrainConfig, limits: Limits = Limits()) -> None:
    """Raise a CoreError (code + params) for a config that cannot or may not run here."""
    _check_range("depth", cfg.depth, 8, limits.max_depth)
    cifar_blocks_per_stage(cfg.depth)  # raises BadDepth unless depth = 6n + 2
    _check_range("width", cfg.width, 1, limits.max_width)
    _check_range("epochs", cfg.epochs, 1, limits.max_epochs)
    _check_range("batch_size", cfg.batch_size, 2, limits.max_batch_size)
    _check_range("log_every", cfg.log_every, 1, 10_000)
    _check_range("seed", cfg.seed, 0, MAX_SEED)
    _check_range("lr", cfg.lr, 0.0, 100.0)
    _check_range("weight_decay", cfg.weight_decay, 0.0, 1.0)
    _check_range("gate_bias", cfg.gate_bias, -10.0, 10.0)
    for name, value, choices in (
        ("block", cfg.block, BLOCK_TYPES), ("shortcut", cfg.shortcut, SHORTCUTS),
        ("optimizer", cfg.optimizer, OPTIMIZERS), ("dataset", cfg.dataset, DATASETS),
        ("device", cfg.device, DEVICES), ("arch", cfg.arch, ARCHS),
    ):
        if value not in choices:
            raise BadChoice(name, value, choices)
    if cfg.arch in ("gated", "scaled") and cfg.block != "basic":
        raise BadChoice("block", cfg.block, ("basic",))
    resolve_device(cfg.device)
    check_available(cfg.dataset, cfg.data_dir)


def resolve_device(name: str) -> torch.device:
    """"auto" → CUDA, then MPS, then CPU; a named device must exist here."""
    if name not in DEVICES:
        raise BadChoice("device", name, DEVICES)
    info = pick_device(None if name == "auto" else name)
    if name != "auto" and info.kind != name:
        raise DeviceUnavailable(name)
    return info.torch_device


_INIT_LOCK = threading.Lock()


def build_model(cfg: TrainConfig, data: Dataset) -> nn.Module:
    """The config's net with weights drawn from ``cfg.seed`` (on the CPU, so every device starts alike)."""
    # nn.init draws from torch's global generator: seed a private fork of it, under a lock, so
    # concurrent jobs neither disturb each other nor the rest of the process.
    with _INIT_LOCK, torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        if cfg.arch == "densenet":
            n = cifar_blocks_per_stage(cfg.depth)
            return densenet_cifar(6 * n + 4, cfg.width, True, data.num_classes, data.in_channels)
        if cfg.arch in ("gated", "scaled"):
            return SkipKindNet(cfg.arch, cfg.depth, data.num_classes, data.in_channels, cfg.skip, cfg.shortcut,
                               cfg.batchnorm, cfg.width, cfg.gate_bias)
        return cifar_resnet(cfg.depth, data.num_classes, data.in_channels, cfg.skip, cfg.shortcut,
                            cfg.block, cfg.batchnorm, cfg.width)


def warm_up(dataset: str = "digits") -> None:
    """Pay the one-off costs of a first run in a fresh process (≈2 s on 2 cores): loading the data
    set (scikit-learn's import) and torch's first optimiser (which imports torch._dynamo)."""
    load_dataset(dataset)
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])  # no random init: other threads may be seeding


def make_optimizer(cfg: TrainConfig, model: nn.Module) -> torch.optim.Optimizer:
    """SGD with momentum 0.9, or Adam, with the config's learning rate and weight decay."""
    if cfg.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    return torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=MOMENTUM, weight_decay=cfg.weight_decay)


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, chunk: int = 1024) -> tuple[float, float]:
    """(mean loss, error rate) of ``model`` in eval mode on (x, y), in chunks to bound memory."""
    was_training = model.training
    model.eval()
    loss, wrong = torch.zeros((), device=x.device), torch.zeros((), device=x.device)
    for xs, ys in zip(x.split(chunk), y.split(chunk)):
        logits = model(xs)  # (chunk, classes)
        loss += F.cross_entropy(logits, ys, reduction="sum")
        wrong += (logits.argmax(1) != ys).sum()
    model.train(was_training)
    return float(loss) / len(y), float(wrong) / len(y)


def train(
    cfg: TrainConfig,
    emit: Emit = lambda record: None,
    stop: threading.Event | None = None,
    max_seconds: float | None = None,
    on_model: Callable[[nn.Module], None] | None = None,
) -> Outcome:
    """Train ``cfg``'s net, calling ``emit`` with each record; returns how the run ended.

    ``stop`` ends the run before the next step ("stopped"); ``max_seconds`` of wall time ends it
    with "time_limit"; a loss that is NaN, infinite or above DIVERGED_LOSS (1e6, where cross-entropy
    starts near ln 10 ≈ 2.3) ends it with "diverged" and that step's number. The caller validates
    the config first (``validate``) if it comes from a user. ``on_model`` receives the net once it
    is built; when ``train`` returns it holds the trained weights (lessons that study a trained net).
    """
    t0 = time.perf_counter()
    device = resolve_device(cfg.device)
    data = load_dataset(cfg.dataset, cfg.data_dir, device)
    model = build_model(cfg, data).to(device)
    if on_model is not None:
        on_model(model)
    opt = make_optimizer(cfg, model)
    order = torch.Generator().manual_seed(cfg.seed)  # batch order: CPU generator, same on every device
    n = len(data.y_train)
    # A last batch of one example would break BatchNorm in train mode: it is dropped (_epoch_batches).
    steps_per_epoch = n // cfg.batch_size + (n % cfg.batch_size >= 2)
    skip_weights = getattr(model, "skip_weights", None)  # lesson 7's gated and scaled nets log their α
    extra_names = tuple(f"block{i + 1}" for i in range(len(skip_weights()))) if skip_weights else ()
    emit(RunInfo(model.name, sum(p.numel() for p in model.parameters()),
                 tuple(name for name, _ in block_units(model)), device.type, torch.get_num_threads(),
                 steps_per_epoch, steps_per_epoch * cfg.epochs, extra_names))

    step = 0
    for epoch in range(1, cfg.epochs + 1):
        window: list[tuple[torch.Tensor, torch.Tensor, int]] = []  # (loss, wrong, size) since last record
        ep_loss = ep_wrong = ep_seen = 0.0
        batches = _epoch_batches(n, cfg.batch_size, order)
        for i, idx in enumerate(batches):
            if stop is not None and stop.is_set():
                return Outcome("stopped", step)
            if max_seconds is not None and time.perf_counter() - t0 > max_seconds:
                return Outcome("time_limit", step)
            idx = idx.to(device, non_blocking=True)
            xb, yb = data.x_train[idx], data.y_train[idx]  # (B, C, H, W), (B,)
            logits = model(xb)  # (B, classes)
            loss = F.cross_entropy(logits, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            # Kept as tensors until the next record: no device sync on the steps in between.
            window.append((loss.detach(), (logits.detach().argmax(1) != yb).sum(), len(idx)))
            if step == 1 or step % cfg.log_every == 0 or i == len(batches) - 1:
                losses = torch.stack([w[0] for w in window]).cpu()  # (k,)
                bad = (~(losses.abs() <= DIVERGED_LOSS)).nonzero()  # NaN compares False, so it counts
                if len(bad):
                    return Outcome("diverged", step, step - len(window) + 1 + int(bad[0]))
                sizes = torch.tensor([w[2] for w in window], dtype=torch.float64)
                seen, wrong = float(sizes.sum()), float(torch.stack([w[1] for w in window]).sum())
                loss_sum = float((losses.double() * sizes).sum())
                ep_loss, ep_wrong, ep_seen = ep_loss + loss_sum, ep_wrong + wrong, ep_seen + seen
                norms = tuple(v for _, v in layer_grad_norms(model))
                extras = skip_weights() if skip_weights else ()
                emit(StepRecord(step, epoch, loss_sum / seen, wrong / seen, time.perf_counter() - t0, norms, extras))
                window = []
        # The test loss may be huge early on (eval mode uses BatchNorm's lagging running statistics)
        # while training is healthy: it is reported, never taken for divergence.
        test_loss, test_error = evaluate(model, data.x_test, data.y_test)
        emit(EpochRecord(epoch, step, ep_loss / ep_seen, ep_wrong / ep_seen, test_loss, test_error,
                         time.perf_counter() - t0))
    return Outcome("done", step)


def _epoch_batches(n: int, batch_size: int, generator: torch.Generator) -> tuple[torch.Tensor, ...]:
    """The epoch's minibatch indices, without a trailing batch of a single example."""
    batches = batch_indices(n, batch_size, generator)
    return batches[:-1] if len(batches[-1]) < 2 else batches
