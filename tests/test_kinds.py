"""Lesson 7's models and computations against the paper, torchvision's layout and PyTorch itself."""

from __future__ import annotations

import math
import pickle
import threading

import numpy as np
import pytest
import torch
from torch import nn

from core.errors import BadChoice, BadDenseDepth, BadShape, CoreError
from core.lessons.kinds import (DenoiseResult, DenoiseTask, DenseReuseTask, ReuseMaps, concat_configs, gate_configs,
                                gate_start, growth, imagenet_pair, split_error, stage_costs)
from core.models.densenet import DenseBlock, densenet121, densenet_cifar, feature_reuse
from core.models.skips import GatedBlock, ScaledBlock, SkipKindNet
from core.models.unet import EncoderDecoder
from core.training.data import load_dataset
from core.training.engine import TrainConfig, build_model, train, validate
from core.training.tasks import EpochRecord, Result, RunInfo, StepRecord

count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731


# ---- DenseNet: the paper's parameter counts, torchvision's layout ----------------------------------

@pytest.mark.parametrize("depth, k, bc, params, final", [
    (40, 12, False, 1_019_722, 448), (100, 12, True, 769_162, 342),
    (250, 24, True, 15_324_406, None), (190, 40, True, 25_624_430, None),
])
def test_cifar_densenets_have_the_reference_parameter_counts(depth, k, bc, params, final):
    with torch.device("meta"):
        model = densenet_cifar(depth, k, bc)
    assert count(model) == params
    if final is not None:
        assert model.out_channels == final


def torchvision_densenet121_layout() -> dict[str, tuple[int, ...]]:
    """The state_dict of torchvision's densenet121, written from its naming rules (models/densenet.py)."""
    keys: dict[str, tuple[int, ...]] = {}

    def bn(prefix, c):
        for name in ("weight", "bias", "running_mean", "running_var"):
            keys[f"{prefix}.{name}"] = (c,)
        keys[f"{prefix}.num_batches_tracked"] = ()

    keys["features.conv0.weight"] = (64, 3, 7, 7)
    bn("features.norm0", 64)
    c = 64
    for b, n in enumerate((6, 12, 24, 16), start=1):
        for j in range(1, n + 1):
            p = f"features.denseblock{b}.denselayer{j}"
            bn(f"{p}.norm1", c)
            keys[f"{p}.conv1.weight"] = (128, c, 1, 1)
            bn(f"{p}.norm2", 128)
            keys[f"{p}.conv2.weight"] = (32, 128, 3, 3)
            c += 32
        if b < 4:
            bn(f"features.transition{b}.norm", c)
            keys[f"features.transition{b}.conv.weight"] = (c // 2, c, 1, 1)
            c //= 2
    bn("features.norm5", c)
    keys["classifier.weight"], keys["classifier.bias"] = (1000, c), (1000,)
    return keys


def test_densenet121_has_torchvisions_state_dict_and_parameter_count():
    with torch.device("meta"):
        model = densenet121()
    got = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    want = torchvision_densenet121_layout()
    assert list(got) == list(want)  # same keys in the same order
    assert got == want
    assert count(model) == 7_978_856
    assert imagenet_pair()["densenet121"].params == 7_978_856
    assert imagenet_pair()["resnet50"].params == 25_557_032


def test_a_depth_that_is_not_3n_plus_4_is_a_clear_error():
    with pytest.raises(BadDenseDepth) as e:
        densenet_cifar(41, 12, bc=False)
    assert e.value.params["nearest"] == 40
    with pytest.raises(BadDenseDepth) as e:
        densenet_cifar(98, 12, bc=True)
    assert e.value.params["nearest"] == 100 and e.value.code == "kinds.bad_dense_depth"


# ---- Concatenation arithmetic, measured on the real modules ----------------------------------------

def test_each_dense_layer_receives_k0_plus_k_times_l_minus_1_channels():
    block = DenseBlock(5, 24, 12, bottleneck=True)
    x = torch.randn(2, 24, 6, 6)
    seen = []
    for layer in block.values():
        layer.register_forward_pre_hook(lambda _m, args: seen.append(args[0].shape[1]))
    out = block(x)
    assert seen == [24, 36, 48, 60, 72] == [layer.conv1.in_channels for layer in block.values()]
    assert out.shape == (2, 24 + 5 * 12, 6, 6)
    torch.testing.assert_close(out[:, :24], x)  # concatenation keeps the input untouched
    g = growth(24, 12, 5)
    assert g.concat == g.measured == (24, 36, 48, 60, 72, 84)
    assert g.add == (24,) * 6


def test_stage_costs_match_the_formula_and_the_real_modules():
    k0, k, n, side = 16, 8, 3, 8
    res, dense = stage_costs(k0, k, n, side)
    # Residual: n basic blocks of two 3×3 convs (k0 → k0) and two BNs.
    assert res.params == n * (2 * 9 * k0 * k0 + 2 * 2 * k0) == count(nn.Sequential(
        *[nn.Conv2d(k0, k0, 3, bias=False) for _ in range(2 * n)], *[nn.BatchNorm2d(k0) for _ in range(2 * n)]))
    assert res.macs == n * 2 * 9 * k0 * k0 * side * side and res.out_channels == k0
    # Dense-B: layer l sees c = k0 + k(l-1): BN(c), 1×1 c → 4k, BN(4k), 3×3 4k → k.
    cs = [k0 + k * i for i in range(n)]
    assert dense.params == sum(2 * c + c * 4 * k + 2 * 4 * k + 9 * 4 * k * k for c in cs)
    assert dense.macs == sum(c * 4 * k + 9 * 4 * k * k for c in cs) * side * side
    assert dense.out_channels == k0 + n * k


def test_feature_reuse_reads_the_mean_weight_of_each_source():
    block = DenseBlock(3, 4, 2, bottleneck=False)  # layer l's conv1 sees 4 + 2(l − 1) channels
    with torch.no_grad():
        for layer in block.values():
            c = layer.conv1.in_channels
            source = torch.tensor([0] * 4 + [1 + i // 2 for i in range(c - 4)], dtype=torch.float32)
            layer.conv1.weight.copy_(-(source + 1).view(1, c, 1, 1).expand_as(layer.conv1.weight))
    rows = feature_reuse(block, nn.Linear(10, 3))
    assert rows[0][0] == 1 and all(math.isnan(v) for v in rows[0][1:])
    assert rows[2][:3] == [1, 2, 3] and math.isnan(rows[2][3])
    assert len(rows) == 4 and not any(math.isnan(v) for v in rows[3])  # the classifier sees every source


# ---- Gated and scaled skips start where they should -------------------------------------------------

def test_a_strongly_negative_gate_bias_carries_x_and_a_positive_one_passes_f():
    torch.manual_seed(0)
    x = torch.relu(torch.randn(4, 8, 6, 6))  # the output of the previous block's ReLU
    carry = GatedBlock(8, 8, gate_bias=-12.0)
    torch.testing.assert_close(carry(x), x, atol=1e-4, rtol=0)
    assert float(carry.last_gate) == pytest.approx(1 / (1 + math.exp(12)), rel=1e-4)
    passing = GatedBlock(8, 8, gate_bias=12.0)
    plain = ScaledBlock(8, 8)
    plain.load_state_dict({k: v for k, v in passing.state_dict().items() if not k.startswith("gate")}, strict=False)
    f = torch.relu(plain.bn2(plain.conv2(plain.relu(plain.bn1(plain.conv1(x))))))
    torch.testing.assert_close(passing(x), f, atol=1e-4, rtol=0)


def test_every_gate_of_a_fresh_net_starts_at_sigmoid_of_its_bias():
    model = SkipKindNet("gated", 14, 10, 1, gate_bias=-3.0)
    model(torch.randn(5, 1, 8, 8))
    assert len(model.skip_weights()) == 6
    assert model.skip_weights() == pytest.approx([gate_start(-3.0)] * 6, rel=1e-6)
    assert gate_start(-3.0) == pytest.approx(torch.sigmoid(torch.tensor(-3.0)).item())


def test_a_scaled_block_is_the_identity_at_alpha_zero_and_can_learn_alpha():
    torch.manual_seed(0)
    x = torch.relu(torch.randn(3, 8, 6, 6))
    block = ScaledBlock(8, 8)
    assert block.alpha.item() == 0.0
    torch.testing.assert_close(block(x), x, atol=0, rtol=0)  # y = x exactly
    down = ScaledBlock(8, 16, stride=2, shortcut="A")
    want = torch.cat([x[:, :, ::2, ::2], torch.zeros(3, 8, 3, 3)], 1)  # option A shortcut
    torch.testing.assert_close(down(x), want, atol=0, rtol=0)
    block(x).pow(2).sum().backward()
    assert block.alpha.grad is not None and block.alpha.grad != 0  # ∂L/∂α = <∂L/∂y, F(x)>: α can move


# ---- The encoder–decoder ------------------------------------------------------------------------------

@pytest.mark.parametrize("skips", [True, False])
def test_encoder_decoder_shapes(skips):
    net = EncoderDecoder(1, 1, 8, long_skips=skips)
    for side in (8, 16):
        assert net(torch.randn(2, 1, side, side)).shape == (2, 1, side, side)
    assert net.dec2[0].in_channels == (32 if skips else 16)  # 2C up + 2C from the encoder, or 2C alone
    assert net.dec1[0].in_channels == (16 if skips else 8)
    with pytest.raises(BadShape):
        net(torch.randn(2, 1, 6, 6))


def test_long_skips_feed_the_encoders_maps_into_the_decoder():
    torch.manual_seed(0)
    for skips in (True, False):
        net = EncoderDecoder(1, 1, 4, long_skips=skips).eval()
        seen = {}
        net.dec1.register_forward_pre_hook(lambda _m, args: seen.__setitem__("dec1", args[0]))
        net.enc1.register_forward_hook(lambda _m, _a, out: seen.__setitem__("enc1", out))
        net(torch.randn(2, 1, 8, 8))
        if skips:  # the decoder's input ends with the encoder's full-resolution map, unchanged
            torch.testing.assert_close(seen["dec1"][:, 4:], seen["enc1"])
        else:
            assert seen["dec1"].shape[1] == 4


def test_split_error_is_an_exact_decomposition():
    err = torch.randn(3, 1, 8, 8)
    coarse, detail = split_error(err)
    assert coarse + detail == pytest.approx(float(err.pow(2).mean()), rel=1e-5)
    assert split_error(torch.ones(1, 1, 4, 4))[1] == 0  # a constant error has no fine detail


# ---- The engine's arch field and the tasks ---------------------------------------------------------

def test_arch_defaults_to_resnet_and_is_validated():
    assert TrainConfig() == TrainConfig(arch="resnet") and TrainConfig().arch == "resnet"
    with pytest.raises(BadChoice):
        validate(TrainConfig(arch="vgg"))
    with pytest.raises(BadChoice):
        validate(TrainConfig(arch="gated", block="preact"))
    with pytest.raises(CoreError):
        validate(TrainConfig(arch="gated", gate_bias=-50.0))


def test_build_model_dispatches_on_arch():
    data = load_dataset("digits")
    plain, res, dense = (build_model(c, data) for c in concat_configs())
    assert (plain.name, res.name, dense.name) == ("Plain-14", "ResNet-14", "DenseNet-BC-16")
    assert count(dense) == 172_042 and count(res) == count(plain) == 172_218
    ident, gated, scaled = (build_model(c, data) for c in gate_configs(-2.0))
    assert (ident.name, gated.name, scaled.name) == ("ResNet-14", "Gated-14", "Scaled-14")
    assert count(scaled) == count(ident) + 6  # one α per block


def test_gated_runs_stream_their_gate_means():
    records = []
    out = train(TrainConfig(arch="gated", depth=8, width=4, epochs=1, gate_bias=-1.0), records.append)
    assert out.status == "done"
    info = next(r for r in records if isinstance(r, RunInfo))
    steps = [r for r in records if isinstance(r, StepRecord)]
    assert info.extras == ("block1", "block2", "block3")
    assert all(len(s.extras) == 3 and all(0 < a < 1 for a in s.extras) for s in steps)
    assert steps[0].extras != steps[-1].extras  # the gates learn
    plain = []
    train(TrainConfig(depth=8, width=4, epochs=1), plain.append)
    assert all(r.extras == () for r in plain if isinstance(r, StepRecord))


def test_dense_reuse_task_trains_and_sends_the_maps():
    task = DenseReuseTask(TrainConfig(arch="densenet", depth=14, width=4, epochs=1))
    task.validate()
    records = []
    assert task.run(records.append).status == "done"
    assert any(isinstance(r, EpochRecord) for r in records)
    maps = next(r.value for r in records if isinstance(r, Result))
    assert isinstance(maps, ReuseMaps) and len(maps.blocks) == 3
    for m in maps.blocks:
        assert m.shape == (3, 3) and np.isnan(m[0, 1:]).all() and np.isfinite(m[2]).all()
    # The initial maps come from the same seed's fresh net: training moved the weights, a little.
    assert [m.shape for m in maps.initial] == [(3, 3)] * 3
    first = build_model(task.config, load_dataset("digits")).features.denseblock1.denselayer1.conv1.weight
    assert maps.initial[0][0, 0] == pytest.approx(first.detach().abs().mean().item(), rel=1e-6)
    assert 0 < maps.largest_change() < 10
    pickle.loads(pickle.dumps((task, maps)))  # tasks and results cross process boundaries
    with pytest.raises(BadChoice):
        DenseReuseTask(TrainConfig()).validate()


def test_denoise_task_sends_images_and_errors_and_stops():
    task = DenoiseTask(long_skips=True, width=4, epochs=1, shown=3)
    task.validate()
    records = []
    assert task.run(records.append).status == "done"
    res = next(r.value for r in records if isinstance(r, Result))
    assert isinstance(res, DenoiseResult)
    assert res.inputs.shape == res.outputs.shape == res.targets.shape == (3, 8, 8)
    assert res.coarse_mse + res.detail_mse == pytest.approx(res.test_mse, rel=1e-4)
    assert next(r for r in records if isinstance(r, RunInfo)).total_steps == 12  # 1,433 digits, batches of 128
    pickle.loads(pickle.dumps((task, res)))
    stop = threading.Event()
    stop.set()
    assert task.run(lambda r: None, stop).status == "stopped"
    for bad in (DenoiseTask(corruption="blur"), DenoiseTask(corruption="mask", level=0.95), DenoiseTask(width=0)):
        with pytest.raises(CoreError):
            bad.validate()
