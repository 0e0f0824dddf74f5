"""Lesson 8's computations against PyTorch and the papers: paths, deleted blocks, filter-normalised
directions, the landscape grid, and the two tasks' contract."""

from __future__ import annotations

import copy
import math
import pickle
import threading

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from core.errors import BadChoice, BadDepth, OutOfRange
from core.lessons.landscape import (LandscapeTask, basin_share, directions, filter_normalized_direction, grid, losses_at,
                                    loss_subset, nonconvex_share)
from core.lessons.lesion import LesionTask, blocks, bypass, downsampling, lesioned
from core.lessons.paths import cifar_residual_blocks, enumerate_path_lengths, path_lengths
from core.models.blocks import BasicBlock, PreActBlock, ZeroPadShortcut
from core.models.resnet import cifar_resnet
from core.reference import reference
from core.training.engine import TrainConfig
from core.training.tasks import Progress, Result
from core.training.trained import trained_model


def net(depth=8, skip=True, seed=0, block="basic"):
    torch.manual_seed(seed)
    return cifar_resnet(depth, 10, 1, skip, "A", block, True, 8).eval()


# ---- paths ----


@pytest.mark.parametrize("n", [1, 2, 3, 6, 9, 12])
def test_path_lengths_are_the_binomial_counted_path_by_path(n):
    stats = path_lengths(n)
    assert list(stats.counts) == enumerate_path_lengths(n)
    assert stats.total == 2**n == sum(stats.counts)
    k = np.arange(n + 1)
    assert math.isclose(float((k * stats.share).sum()), stats.mean) and stats.mean == n / 2
    assert math.isclose(float(((k - stats.mean) ** 2 * stats.share).sum()), stats.std**2)


def test_resnet110_paths_match_veit_et_al():
    veit = reference()["veit"]
    blocks_110 = cifar_residual_blocks(110)
    assert blocks_110 == veit["resnet110_blocks"] == 54
    stats = path_lengths(blocks_110)
    assert stats.total == 2**54 and abs(stats.total / veit["resnet110_paths"] - 1) < 0.01
    assert stats.mean == veit["resnet110_mean_length"]
    low, high = veit["gradient_modules"]
    assert round(100 * stats.share_between(low, high), 2) == veit["gradient_share_percent"]  # 0.45 %


# ---- deleted blocks ----


def test_a_deleted_residual_block_is_its_shortcut():
    model = net(20)
    x = torch.relu(torch.randn(4, 8, 8, 8))  # a block's input follows a ReLU
    same, down = model.layer1[1], model.layer2[0]
    assert torch.equal(bypass(same)(x), x)  # identity shortcut: relu(x) = x
    expected = ZeroPadShortcut(8, 16, 2)(x)  # option A: subsample + zero channels
    assert torch.equal(bypass(down)(x), expected) and bypass(down)(x).shape == (4, 16, 4, 4)
    assert sum(p.numel() for p in bypass(down).parameters()) == 0


def test_deleting_a_residual_block_equals_zeroing_its_branch():
    """Independent check: with the last BN's γ = β = 0 the branch F(x) is 0, and the block is its shortcut."""
    model = net(14)
    x = torch.randn(5, 1, 8, 8)
    for i, (_, block) in enumerate(blocks(model)):
        zeroed = copy.deepcopy(model)
        bn = blocks(zeroed)[i][1].bn2
        torch.nn.init.zeros_(bn.weight), torch.nn.init.zeros_(bn.bias)
        with torch.no_grad():
            torch.testing.assert_close(lesioned(model, {i})(x), zeroed(x), rtol=1e-5, atol=1e-6)


def test_a_deleted_plain_block_keeps_shapes_and_has_no_weights():
    model = net(14, skip=False)
    x = torch.relu(torch.randn(3, 8, 8, 8))
    for block in (model.layer1[0], model.layer2[0], model.layer3[1]):
        gone = bypass(block)
        inp = torch.relu(torch.randn(3, block.conv1.in_channels, 4, 4))
        assert gone(inp).shape == block(inp).shape
        assert sum(p.numel() for p in gone.parameters()) == 0
    assert torch.equal(bypass(model.layer1[0])(x), x)
    with torch.no_grad():
        out = lesioned(model, set(range(len(blocks(model)))))(torch.randn(3, 1, 8, 8))
    assert out.shape == (3, 10)  # every block deleted: still a working (shallow) net


def test_preact_blocks_are_deleted_without_a_relu():
    block = PreActBlock(8, 8, skip=True, shortcut="A")
    x = torch.randn(2, 8, 4, 4)  # pre-activation blocks pass signed values along the shortcut
    assert torch.equal(bypass(block)(x), x)
    assert isinstance(BasicBlock(8, 8), BasicBlock)


def test_lesioned_is_a_view_that_leaves_the_net_alone():
    model = net(20)
    x = torch.randn(6, 1, 8, 8)
    with torch.no_grad():
        before = model(x)
        assert torch.equal(lesioned(model, set())(x), before)
        hurt = lesioned(model, {0, 4})(x)
        assert not torch.equal(hurt, before) and torch.equal(model(x), before)
    assert [name for name, _ in blocks(model)] == [f"{s}.{i}" for s in (1, 2, 3) for i in (1, 2, 3)]
    assert downsampling(model) == [False, False, False, True, False, False, True, False, False]


# ---- filter-normalised directions and the grid ----


def test_filter_normalised_direction_matches_each_filters_norm():
    model = net(14, skip=False)
    d = filter_normalized_direction(model, torch.Generator().manual_seed(3))
    for name, p in model.named_parameters():
        if p.dim() <= 1:  # biases and BatchNorm γ, β: not moved
            assert torch.count_nonzero(d[name]) == 0, name
            continue
        for j in range(p.shape[0]):  # one filter (output channel / row) at a time
            torch.testing.assert_close(torch.linalg.vector_norm(d[name][j]), torch.linalg.vector_norm(p[j].detach()),
                                       rtol=1e-5, atol=1e-7)
    # The same seed gives the same draws for nets of the same shapes: a plain and a residual net's
    # directions differ only by the per-filter scale.
    res = net(14, skip=True, seed=1)
    d_res = filter_normalized_direction(res, torch.Generator().manual_seed(3))
    w, w_res = model.conv1.weight.detach(), res.conv1.weight.detach()
    ratio = (d["conv1.weight"] / w.flatten(1).norm(dim=1).view(-1, 1, 1, 1))
    torch.testing.assert_close(ratio, d_res["conv1.weight"] / w_res.flatten(1).norm(dim=1).view(-1, 1, 1, 1))


def test_grid_points_are_the_loss_of_the_moved_weights():
    model = net(8)
    d1, d2 = directions(model, 0)
    x, y = loss_subset(64)
    points = np.array([(0.0, 0.0), (0.5, -0.25), (-1.0, 1.0)])
    got = losses_at(model, d1, d2, points, x, y, chunk=2)  # vmap over weight sets
    np.testing.assert_allclose(losses_at(model, d1, d2, points, x, y, chunk=1), got, rtol=1e-5)  # one at a time
    for (a, b), value in zip(points, got):
        moved = copy.deepcopy(model)
        with torch.no_grad():
            for name, p in moved.named_parameters():
                p += a * d1[name] + b * d2[name]
            expected = F.cross_entropy(moved.eval()(x), y)
        assert math.isclose(value, float(expected), rel_tol=1e-5)


def test_grid_centre_is_the_trained_nets_loss():
    cfg = TrainConfig(depth=8, width=8, epochs=1, seed=2, device="cpu")
    model = trained_model(cfg).model
    x, y = loss_subset(128)
    with torch.no_grad():
        trained_loss = float(F.cross_entropy(model.eval()(x), y))
    axis = grid(5, 1.0)
    assert axis[2] == 0.0
    plane = np.array([(a, b) for b in axis for a in axis])
    surface = losses_at(model, *directions(model, 7), plane, x, y).reshape(5, 5)
    assert math.isclose(surface[2, 2], trained_loss, rel_tol=1e-5)
    # A second call with the same config takes the weights from the cache: the same net.
    again = trained_model(cfg).model
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), again.state_dict().values()))


def test_nonconvex_share_of_a_bowl_and_a_saddle():
    axis = grid(11, 1.0)
    a, b = np.meshgrid(axis, axis)
    step = axis[1] - axis[0]
    assert nonconvex_share(a**2 + b**2, step) == 0.0
    assert nonconvex_share(a**2 - b**2, step) == 1.0
    # Only the basin (loss below the level) counts: a saddle lifted above it has no basin points.
    assert nonconvex_share(a**2 - b**2 + 20, step) == 0.0 and basin_share(a**2 - b**2 + 20) == 0.0
    assert basin_share(a**2 + b**2, level=1.0) == pytest.approx(float(np.mean(a**2 + b**2 < 1.0)))
    assert nonconvex_share(np.cos(3 * a) + b**2, step) == pytest.approx(float(np.mean(np.cos(3 * a[1:-1, 1:-1]) > 0.01)),
                                                                        abs=0.1)


# ---- the tasks ----


def test_tasks_are_hashable_picklable_and_validate():
    for task in (LesionTask(), LandscapeTask()):
        assert pickle.loads(pickle.dumps(task)) == task and hash(task) == hash(pickle.loads(pickle.dumps(task)))
        task.validate()
    with pytest.raises(BadDepth):
        LesionTask(depth=9).validate()
    with pytest.raises(OutOfRange):
        LesionTask(draws=0).validate()
    with pytest.raises(OutOfRange):
        LandscapeTask(depth=110).validate()
    with pytest.raises(BadChoice):
        LandscapeTask(size=20).validate()  # even: θ* would not be a grid point


def test_lesion_task_emits_progress_and_a_result():
    records = []
    out = LesionTask(depth=8, epochs=1, seed=1, draws=2).run(records.append, threading.Event(), None)
    assert out.status == "done"
    progress = [r.done for r in records if isinstance(r, Progress)]
    assert progress == sorted(progress) and progress[-1] == pytest.approx(1.0)
    (result,) = [r.value for r in records if isinstance(r, Result)]
    assert result.blocks == ("1.1", "2.1", "3.1") and result.downsampling == (False, True, True)
    assert result.plain.single.shape == (3,) and result.residual.multi.shape == (3, 2)
    assert result.n_test == 364
    # The intact accuracy is the engine's own test error of the same trained net (1 − error).
    for cfg, lesion in zip(LesionTask(depth=8, epochs=1, seed=1).configs(), (result.plain, result.residual)):
        final = trained_model(cfg).final  # this process's cache: the nets the task trained
        assert lesion.intact == pytest.approx(1 - final.test_error, abs=1e-6)
        assert lesion.train_error == final.train_error


def test_a_stopped_task_ends_early():
    stop = threading.Event()
    stop.set()
    records = []
    out = LandscapeTask(depth=8, epochs=1, size=5).run(records.append, stop, None)
    assert out.status == "stopped" and not any(isinstance(r, Result) for r in records)
