"""Lesson 4 through AppTest: the sentences beside the live counts say what the chosen block really has."""

from __future__ import annotations

import inspect

import pytest

from core.lessons.anatomy import BlockSpec, inspect_block
from core.lessons.bnstats import BatchSpec, bias_cancels, make_batch
from core.models.resnet import CifarResNet
from core.reference import reference
from core.training.engine import TrainConfig
from tests.apptest import open_page
from ui import i18n


def prose(at) -> str:
    return " ".join(" ".join(m.value.split()) for m in at.markdown)


def test_bias_before_bn_counts_only_convolutions_that_feed_a_batchnorm():
    for kind in ("basic", "bottleneck"):
        r = inspect_block(BlockSpec(kind, True, "B", 64, 64, 2, 8))
        assert r.bias_before_bn == r.bias_params_saved  # every conv, the projection's too, feeds a BN
    r = inspect_block(BlockSpec("preact", True, "B", 64, 32, 2, 8))
    assert r.bias_before_bn == 32  # conv1 → bn2 only; conv2 and the bare projection feed the addition
    assert r.bias_params_saved == 3 * 32


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_bias_sentence_follows_the_block(lang):
    at = open_page("anatomy", lang)
    every = {"en": "Every convolution in the block is followed by BatchNorm",
             "vi": "Sau mỗi tầng tích chập trong khối đều có một tầng BatchNorm"}[lang]
    first = {"en": "only `conv1` is followed by one", "vi": "chỉ sau `conv1` mới có một tầng BatchNorm"}[lang]
    r = inspect_block(BlockSpec())  # the page's default: basic, B, 64 → 64, stride 1
    text = prose(at)
    assert every in text and first not in text
    assert f"**{i18n.fmt_int(r.bias_params_saved, lang)}**" in text
    at.radio(key="an_kind").set_value("preact").run()
    r = inspect_block(BlockSpec(kind="preact"))
    text = prose(at)
    assert first in text and every not in text
    assert f"**{i18n.fmt_int(r.bias_before_bn, lang)}**" in text
    assert f"**{i18n.fmt_int(r.bias_params_saved - r.bias_before_bn, lang)}**" in text


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_shortcut_sentence_with_and_without_the_skip(lang):
    at = open_page("anatomy", lang)
    at.radio(key="an_stride").set_value(2).run()
    r = inspect_block(BlockSpec(stride=2))
    share = i18n.fmt_float(100 * r.shortcut_params / r.params, lang, 1)
    assert f"**{i18n.fmt_int(r.shortcut_params, lang)}**" in prose(at) and f"**{share} %**" in prose(at)
    at.toggle(key="an_skip").set_value(False).run()
    r = inspect_block(BlockSpec(skip=False, stride=2))
    text = prose(at)
    none = {"en": "there is no shortcut at all", "vi": "không còn đường tắt nào cả"}[lang]
    assert none in text and f"**{i18n.fmt_int(r.params, lang)}**" in text
    assert f"**{share} %**" not in text


def test_shortcut_options_say_which_nets_use_which_and_follow_the_papers_letters():
    at = open_page("anatomy", "en")
    text = prose(at)
    assert "so ResNets use B" not in text
    assert "their ImageNet ResNets (like torchvision's) use B" in text
    assert "Their CIFAR-10 ResNets use A, and so do this app's CIFAR nets" in text
    assert "we follow" not in text and "this lesson follows He et al.'s A, B and C" in text
    # "and so do this app's CIFAR nets": option A is their default, in the model and in every training run
    assert inspect.signature(CifarResNet).parameters["shortcut"].default == "A"
    assert TrainConfig().shortcut == "A"


def test_preactivation_figures_are_the_reference_files():
    ref = reference()["preact"]
    for lang in ("en", "vi"):
        text = prose(open_page("anatomy", lang))
        pair = f"{i18n.fmt_float(ref['resnet1001_original'], lang, 2)} % → {i18n.fmt_float(ref['resnet1001_preact'], lang, 2)} %"
        assert pair in text


def test_quiz_answers_are_what_the_real_blocks_compute():
    """q1: a constant added before BN leaves the output unchanged; q2: of A, B, C only A adds nothing."""
    cat = i18n.catalog("en")
    params = {o: inspect_block(BlockSpec("basic", True, o, 64, 128, 2, 8)).shortcut_params for o in "ABC"}
    no_params = [i for i, o in enumerate("ABC") if params[o] == 0]
    assert no_params == [cat["anatomy.quiz.q2.answer"]]
    assert bias_cancels(make_batch(BatchSpec()), 3.0) < 1e-5
    assert cat["anatomy.quiz.q1.answer"] == 1 and "BatchNorm" in cat["anatomy.quiz.q1.options"][1]
    # q3: in the pre-activation block a BatchNorm and a ReLU come before each convolution
    r = inspect_block(BlockSpec("preact", True, "B", 64, 64, 1, 8))
    ops = [n.target for n in r.nodes if n.op == "module" and not n.on_shortcut]
    assert ops == ["bn1", "relu", "conv1", "bn2", "relu", "conv2"]
    assert r.nodes[-2].op == "add"  # nothing after the addition
    assert cat["anatomy.quiz.q3.answer"] == 1
