"""Summaries, block costs, diagrams and the 1×1 demo against PyTorch and the reference figures."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from core.lessons.anatomy import BlockSpec, inspect_block
from core.models.blocks import BasicBlock, Bottleneck
from core.lessons.channels import conv1x1_demo
from core.models.diagram import SKIP_COLOUR, describe, to_dot, trace_block
from core.errors import CoreError, InputTooSmall
from core.reference import reference
from core.models.resnet import FAMILY
from core.models.summary import block_cost, summarize, summarize_family

REF = reference()


@pytest.mark.parametrize("name", list(FAMILY))
def test_macs_match_torchvision_gflops(name):
    s = summarize_family(name, 224)
    assert round(s.macs / 1e9, 3) == REF["imagenet"][name]["torchvision_gflops"]
    assert s.params == REF["imagenet"][name]["params"]
    # Rows add up to the whole model.
    assert sum(r.params for r in s.rows) == s.params
    assert sum(r.macs for r in s.rows) == s.macs


def test_resnet50_is_4_089_gmacs():
    assert summarize_family("resnet50", 224).macs == pytest.approx(4.089e9, rel=1e-4)


def test_stage_shapes_imagenet_and_fashion_mnist():
    stages = {s["stage"]: s["out_shape"] for s in summarize_family("resnet50", 224).stages()}
    assert stages == {"stem": (1, 64, 56, 56), "layer1": (1, 256, 56, 56), "layer2": (1, 512, 28, 28),
                      "layer3": (1, 1024, 14, 14), "layer4": (1, 2048, 7, 7), "head": (1, 1000)}
    small = {s["stage"]: s["out_shape"] for s in summarize_family("resnet18", 28, 1, 10).stages()}
    assert small["stem"] == (1, 64, 7, 7) and small["layer4"] == (1, 512, 1, 1) and small["head"] == (1, 10)


def test_summary_shapes_equal_a_real_forward():
    torch.manual_seed(0)
    from core.models.resnet import cifar_resnet

    model = cifar_resnet(14, in_channels=1).eval()
    s = summarize(model, (1, 1, 8, 8))
    seen = {}

    def record(name):
        def hook(_m, _i, out):
            seen[name] = tuple(out.shape)  # returns None: the output is left as it is
        return hook

    hooks = [model.get_submodule(r.name).register_forward_hook(record(r.name)) for r in s.rows]
    model(torch.randn(1, 1, 8, 8))
    for h in hooks:
        h.remove()
    assert {r.name: r.out_shape for r in s.rows} == seen


def test_too_small_input_is_a_core_error():
    with pytest.raises(InputTooSmall):
        summarize_family("resnet18", 8)


@pytest.mark.parametrize("kind,inplanes,planes,stride,shortcut", [
    ("basic", 64, 64, 1, "B"), ("bottleneck", 256, 64, 1, "B"), ("bottleneck", 256, 128, 2, "B"),
    ("basic", 64, 128, 2, "A"), ("preact", 32, 64, 2, "C"), ("basic", 3, 5, 2, "B"),
])
def test_block_cost_formula_equals_module(kind, inplanes, planes, stride, shortcut):
    c = block_cost(kind, inplanes, planes, 15, stride, shortcut)
    assert c.formula_params == c.module_params
    assert c.formula_macs == c.module_macs


def test_bottleneck_vs_basic_paper_example():
    # He et al. Fig. 5: a 64-d basic block and a 256-d bottleneck have similar cost.
    basic = block_cost("basic", 64, 64, 56)
    bneck = block_cost("bottleneck", 256, 64, 56)
    assert basic.module_params == 2 * 9 * 64 * 64 + 2 * 128
    assert bneck.module_params == 256 * 64 + 9 * 64 * 64 + 64 * 256 + 2 * (64 + 64 + 256)
    assert 0.9 < bneck.module_macs / basic.module_macs < 1.0


def test_diagram_follows_the_module():
    nodes, edges = trace_block(BasicBlock(8, 16, 2, shortcut="B").eval(), (1, 8, 6, 6))
    mods = [n.target for n in nodes if n.op == "module"]
    assert mods[:5] == ["conv1", "bn1", "relu", "conv2", "bn2"]
    assert {"downsample.0", "downsample.1"} <= set(mods)
    assert nodes[-1].shape == (1, 16, 3, 3)
    skip = [(e.src, e.dst) for e in edges if e.skip]
    assert skip == [("x", "downsample_0"), ("downsample_0", "downsample_1"), ("downsample_1", "add")]
    dot = to_dot(nodes, edges)
    assert dot.count(f'[color="{SKIP_COLOUR}", penwidth') == 3 and "y = F(x) + x" in dot
    # A plain block has no addition and no skip edge.
    pn, pe = trace_block(BasicBlock(8, 8, skip=False).eval(), (1, 8, 4, 4))
    assert not any(n.op == "add" for n in pn) and not any(e.skip for e in pe)


def test_describe_uses_given_words():
    conv = dict(trace_block(Bottleneck(16, 4, 2).eval(), (1, 16, 4, 4))[0][4].info)
    assert conv["stride"] == 2
    info = (("kernel", 3), ("c_in", 4), ("c_out", 4), ("stride", 2), ("bias", False))
    assert describe(info, {"stride": "bước nhảy", "bias": "b", "channels": "c", "zero_pad": "z"}) == "3×3, 4→4, bước nhảy 2"


def test_inspect_block_counts():
    r = inspect_block(BlockSpec("bottleneck", True, "B", 64, 64, 1, 8))
    assert r.params == sum(p.numel() for p in Bottleneck(64, 64).parameters())
    assert r.shortcut_params == 64 * 256 + 2 * 256 and r.shortcut_kind == "B"
    assert r.bias_params_saved == 64 + 64 + 256 + 256
    assert "class Bottleneck" in r.source
    assert inspect_block(BlockSpec("basic", False, "B", 64, 128, 2, 8)).shortcut_params == 0
    with pytest.raises(CoreError):
        inspect_block(BlockSpec(inplanes=0))


def test_conv1x1_is_a_per_pixel_matrix_product():
    w = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, 1.0]])
    d = conv1x1_demo(w, size=4)
    ref = nn.functional.conv2d(torch.tensor(d.x)[None], torch.tensor(w, dtype=torch.float32)[:, :, None, None])[0]
    np.testing.assert_allclose(d.conv_out, ref.numpy(), atol=1e-6)
    np.testing.assert_allclose(d.matmul_out, np.einsum("oc,chw->ohw", w, d.x), atol=1e-5)
    assert d.max_diff < 1e-5 and d.params == 6 and d.macs == 6 * 16
    with pytest.raises(CoreError):
        conv1x1_demo(np.ones((7, 3)))
    with pytest.raises(CoreError):
        conv1x1_demo(np.array([[np.nan, 1, 1]]))
