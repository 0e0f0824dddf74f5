"""The CIFAR-10 reproduction on the CPU: the recipe, the augmentation, torchrun with 2 gloo processes
against 1 process, and resuming from a checkpoint. A fake CIFAR folder of 320 + 100 images, a net of
width 4 and 6 iterations keep it to a few seconds per process.

Why 2 processes can match 1 process exactly: with a global batch of 128, each of 2 processes
normalises its BatchNorm layers over its own 64 examples, while one process would use all 128, so
the two runs differ from the first step (by about 5e-3 in the weights after 6 steps). One process
with ``--micro-batches 2`` normalises each half separately and sums the halves' gradients: the same
arithmetic as DDP, so the weights agree to float rounding (here: bit for bit). Only the BatchNorm
running statistics, used for the test error, still differ (DDP keeps rank 0's).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from core.__main__ import main
from core.errors import CoreError
from core.models.resnet import cifar_resnet
from core.training.reproduce import Dist, Recipe, augment, epoch_batches, normalise
from core.training.results import read_result
from tests.fakes import write_fake_cifar

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--depths", "8", "--residual", "--width", "4", "--iterations", "6", "--log-every", "1", "--device", "cpu",
        "--trace"]


def test_recipe_schedule_is_the_papers_and_scales_with_iterations():
    r = Recipe()
    assert r.milestone_iterations() == (32_000, 48_000) and (r.batch_size, r.momentum, r.weight_decay) == (128, 0.9, 1e-4)
    assert [r.lr_at(s) for s in (0, 31_999, 32_000, 47_999, 48_000, 63_999)] == pytest.approx(
        [0.1, 0.1, 0.01, 0.01, 0.001, 0.001])
    assert r.lr_at(0, warming=True) == 0.01 and r.warmup_depth == 110
    assert Recipe(iterations=6400).milestone_iterations() == (3200, 4800)


def test_augmentation_is_pad_crop_and_flip():
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (6, 3, 32, 32), dtype=torch.uint8, generator=g)
    mean = torch.rand(3, 32, 32, generator=g)
    shift = torch.tensor([[0, 0], [8, 8], [4, 4], [0, 8], [3, 5], [8, 0]])
    flip = torch.tensor([False, True, False, True, True, False])
    out = augment(images, mean, shift, flip)
    padded = torch.nn.functional.pad(normalise(images, mean), (4, 4, 4, 4))  # (6, 3, 40, 40)
    for i in range(6):
        dy, dx = shift[i].tolist()
        crop = padded[i, :, dy:dy + 32, dx:dx + 32]
        assert torch.equal(out[i], crop.flip(-1) if flip[i] else crop)
    assert torch.equal(out[2], normalise(images, mean)[2])  # offset 4, no flip: the image itself


def test_ranks_share_each_global_batch():
    one = epoch_batches(300, 128, Dist(0, 1, 0, torch.device("cpu"), None), seed=3, epoch=2)
    two = [epoch_batches(300, 128, Dist(r, 2, r, torch.device("cpu"), None), seed=3, epoch=2) for r in (0, 1)]
    assert one.shape == (2, 128) and two[0].shape == two[1].shape == (2, 64)
    for k in range(2):
        assert torch.equal(two[0][k], one[k][0::2]) and torch.equal(two[1][k], one[k][1::2])


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The same 6 iterations: torchrun with 2 gloo processes; 1 process in one go; 1 process stopped
    after its first epoch (2 iterations) and resumed."""
    tmp = tmp_path_factory.mktemp("reproduce")
    data = str(write_fake_cifar(tmp, per_batch=64, n_test=100))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    ddp = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                          "-m", "core", "reproduce", "--data", data, "--out", str(tmp / "ddp"), *ARGS],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert ddp.returncode == 0, ddp.stderr[-3000:]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the subprocesses: thread counts change float rounding
    try:
        single = ["reproduce", "--data", data, *ARGS, "--micro-batches", "2"]
        assert main([*single, "--out", str(tmp / "one")]) == 0
        assert main([*single, "--out", str(tmp / "resumed"), "--stop-after", "2"]) == 0
        stopped = json.loads((tmp / "resumed" / "resnet-8.json").read_text())
        first = torch.load(tmp / "resumed" / "trace" / "resnet-8-rank0.pt", weights_only=True)
        assert main([*single, "--out", str(tmp / "resumed")]) == 0
        plain_bn = ["reproduce", "--data", data, *ARGS, "--out", str(tmp / "one_bn128")]
        assert main(plain_bn) == 0
    finally:
        torch.set_num_threads(threads)
    trace = lambda name, rank=0: torch.load(tmp / name / "trace" / f"resnet-8-rank{rank}.pt", weights_only=True)  # noqa: E731
    return {"tmp": tmp, "ddp": [trace("ddp", 0), trace("ddp", 1)], "one": trace("one"), "first": first,
            "resumed": trace("resumed"), "stopped": stopped, "bn128": trace("one_bn128"), "log": ddp.stderr}


def test_both_ranks_hold_the_same_weights_after_every_step(runs):
    r0, r1 = runs["ddp"]
    assert r0["step"].tolist() == r1["step"].tolist() == [1, 2, 3, 4, 5, 6]
    for s in range(6):
        assert torch.equal(r0["params"][s], r1["params"][s]), f"ranks differ after step {s + 1}"
    assert not torch.equal(r0["params"][0], r0["params"][-1])  # and they did train


def test_two_processes_match_one_process_with_the_same_global_batch(runs):
    ddp, one = runs["ddp"][0]["params"], runs["one"]["params"]
    assert torch.allclose(ddp, one, rtol=0, atol=1e-6), (ddp - one).abs().max()
    # Without the micro-batches, BatchNorm sees 128 examples instead of 2 × 64: close, not equal.
    gap = (ddp - runs["bn128"]["params"]).abs().max()
    assert 1e-5 < gap < 0.05, gap


def test_resuming_from_a_checkpoint_gives_the_same_next_steps(runs):
    first, resumed, one = runs["first"], runs["resumed"], runs["one"]
    assert runs["stopped"]["status"] == "stopped" and runs["stopped"]["iterations_done"] == 2
    assert first["step"].tolist() == [1, 2] and resumed["step"].tolist() == [3, 4, 5, 6]
    assert torch.equal(first["params"], one["params"][:2])
    assert torch.equal(resumed["params"], one["params"][2:])  # bit for bit, from the first resumed step on
    assert torch.equal(resumed["loss"], one["loss"][2:])
    # The resumed run's results hold the whole curve, as the uninterrupted run's do.
    a = json.loads((runs["tmp"] / "resumed" / "resnet-8.json").read_text())
    b = json.loads((runs["tmp"] / "one" / "resnet-8.json").read_text())
    assert a["train"] == b["train"] and a["test"] == b["test"] and a["status"] == b["status"] == "done"


def test_results_and_checkpoints_are_complete_and_safe_to_load(runs):
    tmp = runs["tmp"]
    r = read_result(tmp / "ddp" / "resnet-8.json")
    assert (r.model, r.depth, r.skip, r.status, r.iterations, r.iterations_done) == ("ResNet-8", 8, True, "done", 6, 6)
    assert r.milestones == (3, 4) and r.train_iterations == (1, 2, 3, 4, 5, 6) and r.test_iterations == (2, 4, 6)
    assert r.world_size == 2 and "cpu" in r.device
    doc = json.loads((tmp / "ddp" / "resnet-8.json").read_text())
    assert doc["hardware"]["backend"] == "gloo" and doc["data"] == {"n_train": 320, "n_test": 100}
    net = cifar_resnet(8, width=4)
    assert doc["params"] == sum(p.numel() for p in net.parameters())
    ckpt = torch.load(tmp / "ddp" / "checkpoints" / "resnet-8.pt", weights_only=True)  # tensors and plain data only
    net.load_state_dict(ckpt["model"])
    assert torch.equal(torch.cat([p.detach().flatten() for p in net.parameters()]), runs["ddp"][0]["params"][-1])
    assert "iteration 6/6" in runs["log"]


def test_bad_input_is_a_clear_error(tmp_path, capsys):
    assert main(["reproduce", "--data", str(tmp_path), "--depths", "8"]) == 2
    assert "cifar-10-batches-py" in capsys.readouterr().err
    assert main(["reproduce", "--data", str(tmp_path), "--depths", "9"]) == 2
    assert "nearest valid depth is 8" in capsys.readouterr().err
    data = str(write_fake_cifar(tmp_path, per_batch=8, n_test=4))
    with pytest.raises(CoreError) as err:
        from core.training.reproduce import Options, reproduce
        reproduce(data, (8,), recipe=Recipe(iterations=1, batch_size=30), opts=Options(out=tmp_path / "o", width=2,
                                                                                        micro_batches=4))
    assert err.value.code == "batch_not_divisible"


@pytest.mark.parametrize("error, cap, end", [(1.01, 0.5, 2), (0.0, 0.5, 3)])
def test_warm_up_ends_below_the_error_threshold_or_at_the_cap(tmp_path, error, cap, end):
    """The 110-layer rule, tried on a tiny net: 0.01 until the last steps' error is below the
    threshold (a window of 2 steps here), or until the cap (half of 6 iterations here)."""
    from core.training.reproduce import Options, reproduce

    data = str(write_fake_cifar(tmp_path, per_batch=64, n_test=20))
    recipe = Recipe(iterations=6, warmup_depth=8, warmup_window=2, warmup_error=error, warmup_max_fraction=cap)
    (doc,) = reproduce(data, (8,), plain=False, recipe=recipe, opts=Options(out=tmp_path / "o", width=2), device="cpu")
    assert doc["warmup_end"] == end
