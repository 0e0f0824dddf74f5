"""The real blocks and models against PyTorch and the reference figures (assets/reference.toml)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from torch import nn

from core.models import resnet as R
from core.models.blocks import BasicBlock, Bottleneck, PreActBlock, ZeroPadShortcut, zero_init_residual
from core.errors import BadChannels, BadDepth, InputTooSmall
from core.reference import reference

REF = reference()
FAMILY = list(R.FAMILY)


def params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def meta(fn, *args, **kw):
    with torch.device("meta"):
        return fn(*args, **kw)


@pytest.mark.parametrize("name", FAMILY)
def test_imagenet_param_counts_match_torchvision(name):
    model = meta(getattr(R, name))
    assert params(model) == REF["imagenet"][name]["params"]


@pytest.mark.parametrize("depth,expected", list(zip(REF["cifar"]["depths"], REF["cifar"]["params"])))
def test_cifar_param_counts_match_paper_table6(depth, expected):
    assert params(meta(R.cifar_resnet, depth)) == expected
    # Option A adds no parameters: the plain net has exactly as many.
    assert params(meta(R.cifar_resnet, depth, skip=False)) == expected


def torchvision_layout(name: str, num_classes=1000, in_channels=3) -> dict[str, tuple]:
    """torchvision's ResNet state_dict keys and shapes, written from its documented layout."""
    m = R.FAMILY[name]
    exp = 1 if m.block == "basic" else 4
    sd: dict[str, tuple] = {}

    def bn(prefix, c):
        for k in ("weight", "bias", "running_mean", "running_var"):
            sd[f"{prefix}.{k}"] = (c,)
        sd[f"{prefix}.num_batches_tracked"] = ()

    sd["conv1.weight"] = (64, in_channels, 7, 7)
    bn("bn1", 64)
    inplanes = 64
    for stage, (planes, blocks) in enumerate(zip((64, 128, 256, 512), m.layers), start=1):
        for b in range(blocks):
            p = f"layer{stage}.{b}"
            if m.block == "basic":
                convs = [(planes, inplanes, 3), (planes, planes, 3)]
            else:
                convs = [(planes, inplanes, 1), (planes, planes, 3), (planes * 4, planes, 1)]
            for i, (o, c, k) in enumerate(convs, start=1):
                sd[f"{p}.conv{i}.weight"] = (o, c, k, k)
                bn(f"{p}.bn{i}", o)
            if b == 0 and (stage > 1 or inplanes != planes * exp):
                sd[f"{p}.downsample.0.weight"] = (planes * exp, inplanes, 1, 1)
                bn(f"{p}.downsample.1", planes * exp)
            inplanes = planes * exp
    sd["fc.weight"] = (num_classes, 512 * exp)
    sd["fc.bias"] = (num_classes,)
    return sd


@pytest.mark.parametrize("name", FAMILY)
def test_state_dict_keys_and_shapes_are_torchvisions(name):
    sd = meta(getattr(R, name)).state_dict()
    assert {k: tuple(v.shape) for k, v in sd.items()} == torchvision_layout(name)


def test_grayscale_and_classes_change_only_stem_and_head():
    sd = meta(R.resnet50, num_classes=10, in_channels=1).state_dict()
    assert {k: tuple(v.shape) for k, v in sd.items()} == torchvision_layout("resnet50", 10, 1)


def test_real_forward_shapes():
    torch.manual_seed(0)
    model = R.resnet18(num_classes=7, in_channels=1).eval()
    assert model(torch.randn(2, 1, 28, 28)).shape == (2, 7)
    cifar = R.cifar_resnet(20).eval()
    feats = cifar.forward_features(torch.randn(2, 3, 32, 32))
    assert feats.shape == (2, 64, 8, 8)


@pytest.mark.parametrize("cls,inplanes,planes", [(BasicBlock, 16, 16), (Bottleneck, 32, 8)])
def test_block_is_identity_when_residual_branch_is_zeroed(cls, inplanes, planes):
    torch.manual_seed(0)
    block = cls(inplanes, planes).eval()
    zero_init_residual(block)  # γ of the last BN = 0 → F(x) = 0
    x = torch.randn(2, inplanes, 5, 5)
    # y = relu(F(x) + x) = relu(x); for x ≥ 0 exactly x.
    torch.testing.assert_close(block(x), torch.relu(x), rtol=0, atol=0)
    torch.testing.assert_close(block(x.abs()), x.abs(), rtol=0, atol=0)


def test_preact_block_is_exact_identity_when_zeroed():
    torch.manual_seed(0)
    block = PreActBlock(8, 8).eval()
    zero_init_residual(block)
    x = torch.randn(3, 8, 4, 4)
    torch.testing.assert_close(block(x), x, rtol=0, atol=0)


def test_skip_flag_is_the_only_difference():
    torch.manual_seed(1)
    res = BasicBlock(8, 8, skip=True).eval()
    plain = BasicBlock(8, 8, skip=False).eval()
    plain.load_state_dict(res.state_dict())
    x = torch.randn(2, 8, 6, 6)
    f = plain.bn2(plain.conv2(plain.relu(plain.bn1(plain.conv1(x)))))  # F(x) by hand
    torch.testing.assert_close(plain(x), torch.relu(f))
    torch.testing.assert_close(res(x), torch.relu(f + x))


def test_option_a_pads_zeros_and_subsamples():
    sc = ZeroPadShortcut(4, 8, 2)
    x = torch.randn(1, 4, 6, 6)
    y = sc(x)
    assert y.shape == (1, 8, 3, 3) and params(sc) == 0
    torch.testing.assert_close(y[:, :4], x[:, :, ::2, ::2])
    assert torch.count_nonzero(y[:, 4:]) == 0
    a = BasicBlock(16, 32, 2, shortcut="A")
    b = BasicBlock(16, 32, 2, shortcut="B")
    plain = BasicBlock(16, 32, 2, skip=False)
    assert params(a) == params(plain)
    assert params(b) - params(a) == 16 * 32 + 2 * 32  # 1×1 conv + BN (γ, β)


def test_option_c_projects_even_when_shapes_match():
    assert isinstance(BasicBlock(16, 16, shortcut="C").downsample, nn.Sequential)
    assert BasicBlock(16, 16, shortcut="B").downsample is None


def test_too_small_input_names_the_minimum():
    model = R.resnet18().eval()
    with pytest.raises(InputTooSmall) as e:
        model(torch.randn(1, 3, 8, 8))
    assert e.value.params["minimum"] == 17 and "17" in str(e.value)
    model(torch.randn(1, 3, 17, 17))  # the minimum itself works


def test_bad_depth_and_channels():
    with pytest.raises(BadDepth) as e:
        R.cifar_resnet(21)
    assert e.value.params["nearest"] == 20
    with pytest.raises(BadDepth):
        R.cifar_resnet(2)
    with pytest.raises(BadChannels):
        R.resnet18(in_channels=1)(torch.randn(1, 3, 32, 32))


def test_reference_toml_agrees_with_shared_reference_md():
    md = Path(__file__).resolve().parents[2] / "shared" / "REFERENCE.md"
    if not md.exists():
        pytest.skip("../shared/REFERENCE.md is not beside this checkout")
    text = md.read_text()
    for name in FAMILY:
        assert f"{REF['imagenet'][name]['params']:,}" in text
        assert re.search(rf"\| {REF['imagenet'][name]['torchvision_gflops']} \|", text)
    for p in REF["cifar"]["params"]:
        assert f"{p:,}" in text
