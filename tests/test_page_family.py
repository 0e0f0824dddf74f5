"""Lesson 6 through AppTest: the cost sentence is what the real layers count; the quiz answers are derived."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from core.models.resnet import FAMILY
from core.models.summary import block_cost
from tests.apptest import open_page
from ui import i18n


def prose(at) -> str:
    return " ".join(" ".join(m.value.split()) for m in at.markdown)


@pytest.mark.parametrize("lang, size", [("en", 56), ("vi", 7), ("en", 1)])
def test_ninth_is_per_channel_pair_and_per_weight_the_costs_are_equal(lang, size):
    at = open_page("family", lang)
    at.slider(key="fa_size").set_value(size).run()
    assert not at.exception
    bneck = block_cost("bottleneck", 256, 64, size)  # the page's default widths
    per_weight = {lc.kernel: lc.macs / lc.params for lc in bneck.layers if lc.kernel}
    assert per_weight[1] == per_weight[3] == size * size  # per weight: the same H·W multiply-adds
    per_pair = {lc.kernel: lc.macs / (lc.c_in * lc.c_out) for lc in bneck.layers if lc.kernel}
    assert per_pair[3] == 9 * per_pair[1]  # per input–output channel pair: a ninth
    text = prose(at)
    pixels, nine = i18n.fmt_int(size * size, lang), i18n.fmt_int(9 * size * size, lang)
    expected = {"en": f"on this {size}×{size} map a 1×1 convolution costs {pixels} multiply-adds per channel pair "
                      f"and a 3×3 one {nine}: a ninth. Per weight the two cost the same, {pixels} multiply-adds",
                "vi": f"trên bản đồ {size}×{size} này, một tầng tích chập 1×1 tốn {pixels} phép nhân-cộng cho mỗi cặp "
                      f"kênh còn một tầng 3×3 tốn {nine}: bằng một phần chín. Tính theo mỗi trọng số thì hai loại "
                      f"tốn như nhau, {pixels} phép nhân-cộng"}[lang]
    assert expected in text
    assert "a ninth of the cost per weight" not in text and "chi phí cho mỗi trọng số chỉ bằng một phần chín" not in text


def test_quiz_answers_are_derived_from_the_models():
    cat = i18n.catalog("en")
    # q1: the first 1×1 convolution of a bottleneck reduces the channels (4w → w), the resolution stays
    first = block_cost("bottleneck", 256, 64, 56).layers[0]
    assert first.kernel == 1 and first.c_out < first.c_in
    assert cat["family.quiz.q1.answer"] == 1
    # q2: ResNet-152's blocks per stage
    options = cat["family.quiz.q2.options"]
    assert options.index(str(list(FAMILY["resnet152"].layers))) == cat["family.quiz.q2.answer"]
    # q3: a 1×1 convolution from 64 to 256 channels, counted on the real module
    weights = sum(p.numel() for p in nn.Conv2d(64, 256, 1, bias=False).parameters())
    assert weights == 16_384
    assert next(i for i, o in enumerate(cat["family.quiz.q3.options"]) if o.startswith(f"64 × 256 = {weights:,}")) \
        == cat["family.quiz.q3.answer"]
    assert nn.Conv2d(64, 256, 1, bias=False)(torch.zeros(1, 64, 56, 56)).shape == (1, 256, 56, 56)


def test_grayscale_sentence_matches_the_models():
    """28×28 ends at 1×1 in the last stage; the smallest input named is the one the models refuse below."""
    from core.models.resnet import ResNet
    from core.models.summary import summarize_family
    stages = summarize_family("resnet18", 28, 1, 10).stages()
    assert [r for r in stages if r["stage"] == "layer4"][0]["out_shape"][-2:] == (1, 1)
    text = prose(open_page("family", "en"))
    assert f"below {ResNet.min_input}×{ResNet.min_input} a downsampling layer" in text
