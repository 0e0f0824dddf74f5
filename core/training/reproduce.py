"""The paper's CIFAR-10 experiment at full scale: plain vs residual nets of 20–110 layers.

He et al. 2016, Sec. 4.2: SGD with momentum 0.9, weight decay 1e-4, batch 128, learning rate 0.1
divided by 10 at 32k and 48k iterations, 64k iterations; the per-pixel mean subtracted, 4 pixels
of zero padding, a random 32×32 crop and a random horizontal flip; option A shortcuts
(``core.models.resnet.cifar_resnet``). ResNet-110 warms up at 0.01 until its training error is
below 80 %. One process, or several under ``torchrun`` (DistributedDataParallel, NCCL on GPUs,
gloo on the CPU); the global batch stays 128 whatever the world size.

Every random choice is a function of (seed, epoch, example): the batch order comes from
DistributedSampler(seed, epoch) and each example's crop and flip from a generator seeded with
(seed, epoch), so a resumed run and a run on another number of processes see the same batches.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import platform
import sys
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DistributedSampler

from core.errors import BatchNotDivisible, BadChoice, DeviceUnavailable, OutOfRange, ResumeMismatch
from core.models.resnet import cifar_blocks_per_stage, cifar_resnet
from core.training.cifar import Cifar10, load_cifar10
from core.training.results import DEFAULT_DIR, FORMAT, result_name, write_result

PAPER_DEPTHS = (20, 32, 44, 56, 110)
CHECKPOINT_FORMAT = "residual-lab/cifar10-checkpoint/1"
PAD = 4  # pixels of zero padding on each side before the random crop


@dataclass(frozen=True)
class Recipe:
    """The paper's training recipe; ``iterations`` shortens a run and the milestones scale with it."""

    iterations: int = 64_000  # optimiser steps
    batch_size: int = 128  # global: split over the processes
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 1e-4
    milestones: tuple[float, ...] = (0.5, 0.75)  # ÷10 at 32k and 48k of 64k
    # The paper warms ResNet-110 up at 0.01 "until the training error is below 80 % (about 400
    # iterations)". We use the same rule for plain-110 (a fair pair), judged on the last 20 steps,
    # and end it at 1/32 of the run at the latest (2,000 of 64k), which a plain net may need.
    warmup_depth: int = 110
    warmup_lr: float = 0.01
    warmup_error: float = 0.8
    warmup_window: int = 20
    warmup_max_fraction: float = 1 / 32

    def milestone_iterations(self) -> tuple[int, ...]:
        return tuple(round(m * self.iterations) for m in self.milestones)

    def lr_at(self, step: int, warming: bool = False) -> float:
        """Learning rate of the step after ``step`` steps are done."""
        if warming:
            return self.warmup_lr
        return self.lr * 0.1 ** sum(step >= m for m in self.milestone_iterations())


@dataclass(frozen=True)
class Options:
    """How a run is carried out (not what it computes)."""

    out: Path = DEFAULT_DIR
    log_every: int = 100  # a training-error point every this many iterations
    micro_batches: int = 1  # BatchNorm groups per process: 2 on one GPU reproduces a 2-GPU run's statistics
    stop_after: int | None = None  # stop at the first epoch end at or past this iteration (an interruption)
    trace: bool = False  # save every step's parameters per rank (tests; tiny nets only)
    width: int = 16
    seed: int = 0


# ---- Processes and devices ----


@dataclass(frozen=True)
class Dist:
    rank: int
    world: int
    local_rank: int
    device: torch.device
    backend: str | None

    def sum(self, t: torch.Tensor) -> torch.Tensor:
        """Sum over every process (in place); the tensor itself in a single process."""
        if self.world > 1:
            dist.all_reduce(t)
        return t


def init_dist(device: str = "auto") -> Dist:
    """This process's place under torchrun (RANK, WORLD_SIZE, LOCAL_RANK), or a single process."""
    if device not in ("auto", "cpu", "cuda"):
        raise BadChoice("device", device, ("auto", "cpu", "cuda"))
    if device == "cuda" and not torch.cuda.is_available():
        raise DeviceUnavailable("cuda")
    world, rank = int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    cuda = device == "cuda" or (device == "auto" and torch.cuda.is_available())
    dev = torch.device("cuda", local) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(dev)
    backend = None
    if world > 1:
        backend = "nccl" if cuda else "gloo"
        if not dist.is_initialized():
            dist.init_process_group(backend)  # env:// rendezvous set up by torchrun
    return Dist(rank, world, local, dev, backend)


def hardware(d: Dist) -> dict:
    name = torch.cuda.get_device_name(d.device) if d.device.type == "cuda" else (platform.processor() or "CPU")
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    return {"device": d.device.type, "name": name, "world_size": d.world, "nodes": max(1, d.world // local_world),
            "backend": d.backend, "threads": torch.get_num_threads(), "torch": torch.__version__,
            "cuda": torch.version.cuda, "host": platform.node()}


# ---- Data: whole on the device, augmented there ----


@dataclass(frozen=True, eq=False)
class DeviceData:
    x_train: torch.Tensor  # (N, 3, 32, 32) uint8
    y_train: torch.Tensor  # (N,) int64
    x_test: torch.Tensor
    y_test: torch.Tensor
    mean: torch.Tensor  # (3, 32, 32) float32: the per-pixel mean of the training images, in [0, 1]


def to_device(data: Cifar10, device: torch.device) -> DeviceData:
    t = lambda a: torch.from_numpy(a).to(device)  # noqa: E731
    mean = torch.from_numpy(data.x_train).double().mean(0).div(255).float()  # on the CPU: the same everywhere
    return DeviceData(t(data.x_train), t(data.y_train), t(data.x_test), t(data.y_test), mean.to(device))


def normalise(images: torch.Tensor, mean: torch.Tensor) -> torch.Tensor:
    """uint8 (B, 3, 32, 32) → float in about [-1, 1], the per-pixel mean subtracted (as the paper)."""
    return images.float().div(255) - mean


def augment(images: torch.Tensor, mean: torch.Tensor, shift: torch.Tensor, flip: torch.Tensor) -> torch.Tensor:
    """Pad 4 zero pixels around each mean-subtracted image, crop 32×32 at ``shift`` (dy, dx ∈ 0…8),
    mirror where ``flip``; one gather on the device for the whole batch."""
    x = F.pad(normalise(images, mean), (PAD, PAD, PAD, PAD))  # (B, 3, 40, 40)
    b, side = len(x), images.shape[-1]
    ar = torch.arange(side, device=x.device)
    rows = shift[:, :1] + ar  # (B, 32)
    cols = shift[:, 1:] + torch.where(flip[:, None], side - 1 - ar, ar)  # (B, 32): mirrored columns when flipped
    return x[torch.arange(b, device=x.device)[:, None, None, None], torch.arange(3, device=x.device)[None, :, None, None],
             rows[:, None, :, None], cols[:, None, None, :]]  # (B, 3, 32, 32)


def epoch_augmentation(n: int, seed: int, epoch: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Every training example's crop offset (n, 2) and flip (n,) for one epoch, whoever trains on it."""
    g = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    return torch.randint(0, 2 * PAD + 1, (n, 2), generator=g), torch.rand(n, generator=g) < 0.5


def epoch_batches(n: int, batch_size: int, d: Dist, seed: int, epoch: int) -> torch.Tensor:
    """This process's share of each global batch of the epoch, (steps, batch_size / world).

    DistributedSampler deals a seeded permutation round-robin, so rank r's k-th batch is
    global_batch_k[r::world]: together the ranks see exactly one process's batch k.
    """
    sampler = DistributedSampler(range(n), num_replicas=d.world, rank=d.rank, shuffle=True, seed=seed, drop_last=True)
    sampler.set_epoch(epoch)
    idx = torch.tensor(list(sampler), dtype=torch.int64)
    local = batch_size // d.world
    steps = len(idx) // local
    return idx[: steps * local].view(steps, local)


# ---- One run ----


def build(depth: int, skip: bool, width: int, seed: int) -> nn.Module:
    """The paper's CIFAR net (option A shortcuts), weights drawn from ``seed`` on the CPU."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return cifar_resnet(depth, 10, 3, skip, "A", "basic", True, width)


@torch.no_grad()
def evaluate(model: nn.Module, data: DeviceData, d: Dist, chunk: int = 1000) -> tuple[float, float]:
    """(loss, error) on the whole test set in eval mode, each process taking every world-th image."""
    for b in model.buffers():  # every process evaluates rank 0's BatchNorm running statistics
        if d.world > 1:
            dist.broadcast(b, 0)
    model.eval()
    x, y = data.x_test[d.rank :: d.world], data.y_test[d.rank :: d.world]
    acc = torch.zeros(3, dtype=torch.float64, device=d.device)  # loss sum, wrong, seen
    for xs, ys in zip(x.split(chunk), y.split(chunk)):
        logits = model(normalise(xs, data.mean))
        acc += torch.stack([F.cross_entropy(logits, ys, reduction="sum").double(),
                            (logits.argmax(1) != ys).sum().double(), torch.tensor(len(ys), device=d.device).double()])
    model.train()
    loss, wrong, seen = d.sum(acc).tolist()
    return loss / seen, wrong / seen


def _say(d: Dist, text: str) -> None:
    if d.rank == 0:
        print(text, file=sys.stderr, flush=True)


def train_run(data: DeviceData, depth: int, skip: bool, recipe: Recipe, opts: Options, d: Dist) -> dict:
    """Train one net by the recipe, resuming from its checkpoint if there is one; returns its results."""
    name = result_name(depth, skip)
    out = Path(opts.out)
    ckpt_path = out / "checkpoints" / f"{name}.pt"
    n = len(data.y_train)
    if recipe.batch_size % (d.world * opts.micro_batches) or recipe.batch_size > n:
        raise BatchNotDivisible(recipe.batch_size, d.world, opts.micro_batches)
    module = build(depth, skip, opts.width, opts.seed).to(d.device)
    ddp = d.world > 1
    model = DistributedDataParallel(module, device_ids=[d.device.index] if d.device.type == "cuda" else None) \
        if ddp else module
    opt = torch.optim.SGD(module.parameters(), lr=recipe.lr, momentum=recipe.momentum, weight_decay=recipe.weight_decay)
    warm_cap = round(recipe.warmup_max_fraction * recipe.iterations)
    state = {"step": 0, "epoch": 0, "seconds": 0.0, "warming": depth >= recipe.warmup_depth, "warm_window": [],
             "warmup_end": None, "status": "running",
             "train": {"iteration": [], "error": [], "loss": []}, "test": {"iteration": [], "error": [], "loss": []}}
    spec = {"depth": depth, "skip": skip, "width": opts.width, "seed": opts.seed}
    if ckpt_path.is_file():
        ck = torch.load(ckpt_path, map_location=d.device, weights_only=True)
        for field, wanted in {**spec, "recipe": dataclasses.asdict(recipe)}.items():
            saved = ck["recipe"] if field == "recipe" else ck["spec"].get(field)
            if saved != wanted:
                raise ResumeMismatch(str(ckpt_path), field, saved, wanted)
        module.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        state.update(ck["state"])
        state["status"] = "done" if state["step"] >= recipe.iterations else "running"
        _say(d, f"{name}: resumed from {ckpt_path} at iteration {state['step']}")
    window = deque(state["warm_window"], maxlen=recipe.warmup_window)
    params = sum(p.numel() for p in module.parameters())
    trace: list[tuple[int, float, torch.Tensor]] = []
    t0 = time.perf_counter()
    seconds0 = state["seconds"]
    acc = torch.zeros(3, dtype=torch.float64, device=d.device)  # loss sum, wrong, seen since the last point

    def doc() -> dict:
        test = state["test"]
        return {"format": FORMAT, "model": module.name, "depth": depth, "skip": skip, "width": opts.width,
                "seed": opts.seed, "params": params, "status": state["status"],
                "recipe": {**dataclasses.asdict(recipe), "milestone_iterations": list(recipe.milestone_iterations())},
                "iterations_done": state["step"], "warmup_end": state["warmup_end"],
                "train": state["train"], "test": test,
                "final_train_error": state["train"]["error"][-1] if state["train"]["error"] else None,
                "final_test_error": test["error"][-1] if test["error"] else None,
                "data": {"n_train": n, "n_test": len(data.y_test)}, "micro_batches": opts.micro_batches,
                "hardware": hardware(d), "seconds": round(state["seconds"], 3),
                "seconds_per_iteration": round(state["seconds"] / max(1, state["step"]), 6)}

    model.train()
    while state["step"] < recipe.iterations and state["status"] == "running":
        epoch = state["epoch"]
        shift, flip = epoch_augmentation(n, opts.seed, epoch)
        for local_idx in epoch_batches(n, recipe.batch_size, d, opts.seed, epoch):
            step = state["step"]
            if step >= recipe.iterations:
                break
            for g in opt.param_groups:
                g["lr"] = recipe.lr_at(step, state["warming"])
            opt.zero_grad(set_to_none=True)
            step_acc = torch.zeros(3, dtype=torch.float64, device=d.device)
            for j in range(opts.micro_batches):  # BatchNorm statistics per micro-batch, gradients summed
                part = local_idx[j :: opts.micro_batches]
                sync = contextlib.nullcontext() if not ddp or j == opts.micro_batches - 1 else model.no_sync()
                with sync:
                    dev_idx = part.to(d.device, non_blocking=True)
                    xb = augment(data.x_train[dev_idx], data.mean, shift[part].to(d.device), flip[part].to(d.device))
                    yb = data.y_train[dev_idx]
                    logits = model(xb)  # (b, 10)
                    loss = F.cross_entropy(logits, yb)
                    (loss / opts.micro_batches).backward()
                step_acc += torch.stack([loss.detach().double() * len(part), (logits.detach().argmax(1) != yb).sum().double(),
                                         torch.tensor(float(len(part)), dtype=torch.float64, device=d.device)])
            opt.step()
            state["step"] = step = step + 1
            acc += step_acc
            if opts.trace:
                flat = torch.cat([p.detach().flatten() for p in module.parameters()]).cpu()
                trace.append((step, float(step_acc[0] / step_acc[2]), flat))
            if state["warming"]:  # one sync per step, only during the warm-up
                wrong, seen = d.sum(step_acc[1:].clone()).tolist()
                window.append(wrong / seen)
                if (len(window) == window.maxlen and sum(window) / len(window) < recipe.warmup_error) or step >= warm_cap:
                    state["warming"], state["warmup_end"] = False, step
                    _say(d, f"{name}: warm-up over at iteration {step}; learning rate {recipe.lr}")
                state["warm_window"] = list(window)
            if step % opts.log_every == 0 or step == recipe.iterations:
                loss_sum, wrong, seen = d.sum(acc).tolist()
                acc.zero_()
                if not loss_sum == loss_sum or abs(loss_sum / seen) > 1e6:  # NaN or blown up
                    state["status"] = "diverged"
                    break
                for key, v in (("iteration", step), ("error", wrong / seen), ("loss", loss_sum / seen)):
                    state["train"][key].append(v)
                _say(d, f"{name}: iteration {step}/{recipe.iterations}  training error {100 * wrong / seen:5.2f} %  "
                        f"next lr {recipe.lr_at(step, state['warming']):g}")
        state["epoch"] = epoch + 1
        test_loss, test_error = evaluate(module, data, d)
        for key, v in (("iteration", state["step"]), ("error", test_error), ("loss", test_loss)):
            state["test"][key].append(v)
        state["seconds"] = seconds0 + time.perf_counter() - t0
        if state["status"] == "running" and state["step"] >= recipe.iterations:
            state["status"] = "done"
        stopping = opts.stop_after is not None and state["step"] >= opts.stop_after and state["status"] == "running"
        _say(d, f"{name}: epoch {epoch + 1}, iteration {state['step']}: test error {100 * test_error:5.2f} %")
        if d.rank == 0:
            ckpt_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = ckpt_path.with_suffix(".pt.tmp")
            torch.save({"format": CHECKPOINT_FORMAT, "spec": spec, "recipe": dataclasses.asdict(recipe),
                        "model": module.state_dict(), "optimizer": opt.state_dict(),
                        "state": {k: v for k, v in state.items() if k != "status"}}, tmp)
            os.replace(tmp, ckpt_path)
            write_result(out / f"{name}.json", {**doc(), "status": "stopped" if stopping else state["status"]})
        if stopping:
            state["status"] = "stopped"
    if opts.trace and trace:
        (out / "trace").mkdir(parents=True, exist_ok=True)
        torch.save({"step": torch.tensor([s for s, _, _ in trace]), "loss": torch.tensor([l for _, l, _ in trace]),
                    "params": torch.stack([p for _, _, p in trace])}, out / "trace" / f"{name}-rank{d.rank}.pt")
    if d.world > 1:
        dist.barrier()
    return doc()


def reproduce(data_path: str, depths: tuple[int, ...] = PAPER_DEPTHS, plain: bool = True, residual: bool = True,
              recipe: Recipe = Recipe(), opts: Options = Options(), device: str = "auto") -> list[dict]:
    """Every requested (depth, plain/residual) run, one after another; finished runs are skipped."""
    for depth in depths:
        cifar_blocks_per_stage(depth)  # BadDepth before any data is read
    if recipe.iterations < 1:
        raise OutOfRange("iterations", recipe.iterations, 1, 10**9)
    d = init_dist(device)
    data = to_device(load_cifar10(data_path), d.device)
    Path(opts.out).mkdir(parents=True, exist_ok=True)
    docs = []
    for depth in depths:
        for skip in [s for s, wanted in ((False, plain), (True, residual)) if wanted]:
            docs.append(train_run(data, depth, skip, recipe, opts, d))
    if d.world > 1:
        dist.destroy_process_group()
    return docs


def add_arguments(p) -> None:
    """The ``python -m core reproduce`` flags."""
    p.add_argument("--data", required=True, help="folder of cifar-10-batches-py (or its parent)")
    p.add_argument("--depths", type=int, nargs="+", default=list(PAPER_DEPTHS))
    p.add_argument("--plain", action="store_true", help="train the plain nets (default: both kinds)")
    p.add_argument("--residual", action="store_true", help="train the residual nets (default: both kinds)")
    p.add_argument("--out", default=str(DEFAULT_DIR), help="results JSON and checkpoints (default: %(default)s)")
    p.add_argument("--iterations", type=int, default=Recipe.iterations,
                   help="shorten the run; the ÷10 milestones stay at 1/2 and 3/4 of it")
    p.add_argument("--batch-size", type=int, default=Recipe.batch_size, help="global batch, whatever the world size")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--seed", type=int, default=Options.seed)
    p.add_argument("--width", type=int, default=Options.width, help="first-stage filters (the paper: 16)")
    p.add_argument("--log-every", type=int, default=Options.log_every)
    p.add_argument("--micro-batches", type=int, default=1,
                   help="BatchNorm groups per process (2 on one GPU = the statistics of a 2-GPU run)")
    p.add_argument("--stop-after", type=int, default=None, help="stop at the first epoch end past this iteration")
    p.add_argument("--trace", action="store_true", help="save every step's parameters per rank (tests)")


def run_cli(args) -> list[dict]:
    both = not args.plain and not args.residual
    opts = Options(Path(args.out), args.log_every, args.micro_batches, args.stop_after, args.trace, args.width, args.seed)
    return reproduce(args.data, tuple(args.depths), args.plain or both, args.residual or both,
                     Recipe(iterations=args.iterations, batch_size=args.batch_size), opts, args.device)
