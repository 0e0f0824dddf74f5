"""Lesson 7's live sentences and quiz: which sentence a live number makes true (both sides of every
branch), the figures the page quotes, and quiz answers derived from core/ rather than typed."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from core.lessons.kinds import (REUSE_MOVED, DenoiseResult, DenoiseTask, _reuse_maps, concat_configs, decimals,
                                gate_lean, gate_start, growth, long_reading, reuse_moved, stage_costs, trend)
from core.models.unet import EncoderDecoder
from core.reference import reference
from core.training.data import load_dataset
from core.training.engine import build_model
from ui import i18n

count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731


def quiz(n: int, lang: str = "en") -> tuple[list[str], int]:
    cat = i18n.catalog(lang)
    return cat[f"kinds.quiz.q{n}.options"], cat[f"kinds.quiz.q{n}.answer"]


# ---- Readings of live numbers ------------------------------------------------------------------------

@pytest.mark.parametrize("ratio, want", [(0.5, "down"), (0.949, "down"), (0.95, "same"), (1.0, "same"),
                                         (1.05, "same"), (1.051, "up"), (140.0, "up")])
def test_trend_reads_a_ratio_on_both_sides_of_one(ratio, want):
    assert trend(ratio) == want


@pytest.mark.parametrize("k0, k, layers, want", [(24, 12, 6, "down"), (20, 12, 4, "same"), (8, 64, 3, "up"),
                                                  (1, 128, 48, "up"), (512, 1, 1, "down")])
def test_the_dense_stage_can_cost_fewer_about_as_many_or_more_parameters(k0, k, layers, want):
    res, dense = stage_costs(k0, k, layers)
    assert trend(dense.params / res.params) == want  # the page's sentence follows the modules, both ways


@pytest.mark.parametrize("bias, want", [(-8.0, "x"), (-0.5, "x"), (0.0, "half"), (0.5, "f"), (2.0, "f")])
def test_gate_lean_follows_sigma_of_the_bias(bias, want):
    assert gate_lean(gate_start(bias)) == want


def test_decimals_never_round_a_small_gate_to_zero():
    for bias in np.arange(-8.0, 2.01, 0.5):
        a = gate_start(float(bias))
        shown = round(a, decimals(a))
        assert shown > 0 and abs(shown - a) / a < 0.1, bias  # two significant digits at least
    assert decimals(gate_start(-8.0)) == 5 and decimals(gate_start(-2.0)) == 3  # 0.00034, 0.119


def test_reuse_moved_on_both_sides_of_its_threshold():
    assert reuse_moved(0.14) == "little" and reuse_moved(REUSE_MOVED - 1e-9) == "little"
    assert reuse_moved(REUSE_MOVED) == "some" and reuse_moved(3.0) == "some"


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_the_sources_of_a_row_start_with_about_the_same_mean_weight(seed):
    # The reuse section says so of the initial map it compares the trained one with.
    maps = _reuse_maps(build_model(concat_configs(seed)[2], load_dataset("digits")))
    for block in maps:
        for row in block:
            assert np.nanmax(row) / np.nanmin(row) - 1 < 0.15


def result(test_mse_parts: tuple[float, float]) -> DenoiseResult:
    coarse, detail = test_mse_parts
    z = np.zeros((1, 8, 8), dtype=np.float32)
    return DenoiseResult(z, z, z, coarse + detail, coarse, detail)


@pytest.mark.parametrize("with_, without, overall, coarse, detail, gain", [
    ((0.007, 0.013), (0.015, 0.021), "up", "up", "up", "coarse"),  # noise 0.3, seed 0: coarse gains more
    ((0.010, 0.010), (0.012, 0.030), "up", "up", "up", "detail"),
    ((0.010, 0.010), (0.020, 0.020), "up", "up", "up", "even"),
    ((0.010, 0.010), (0.008, 0.015), "up", "down", "up", "detail"),  # one part worse, the other better
    ((0.010, 0.010), (0.010, 0.010), "same", "same", "same", "none"),
    ((0.010, 0.010), (0.008, 0.009), "down", "down", "down", "none"),  # long skips did worse here
])
def test_long_reading_covers_every_outcome(with_, without, overall, coarse, detail, gain):
    r = long_reading(result(with_), result(without))
    assert (r.overall, r.coarse_trend, r.detail_trend, r.gain) == (overall, coarse, detail, gain)
    assert r.ratio == pytest.approx(sum(without) / sum(with_))
    assert r.coarse == pytest.approx(without[0] / with_[0]) and r.detail == pytest.approx(without[1] / with_[1])


def test_every_reading_has_its_sentence_in_both_languages():
    for lang in i18n.LANGS:
        sec = i18n.sections(lang, "kinds")
        for key in ([f"concat_{t}" for t in ("down", "same", "up")] + [f"gate_{g}" for g in ("x", "half", "f")]
                    + [f"reuse_{m}" for m in ("little", "some")] + [f"long_{t}" for t in ("down", "same", "up")]
                    + [f"part_{t}" for t in ("down", "same", "up")]
                    + [f"levels_{g}" for g in ("detail", "coarse", "even", "none")]):
            assert key in sec, (lang, key)


# ---- Figures the page quotes ------------------------------------------------------------------------

def test_resnet50_top1_is_torchvisions_labelled_figure():
    dn = reference()["densenet"]
    assert dn["resnet50"]["top1"] == 76.13 and "ResNet50_Weights.IMAGENET1K_V1" in dn["resnet50"]["source"]
    assert dn["resnet50"]["params"] == reference()["imagenet"]["resnet50"]["params"]


def test_identity_table_codes_are_all_translated():
    im = reference()["identity_mappings"]
    n = len(im["error"])
    assert all(len(im[f]) == n for f in ("shortcut", "on_shortcut", "on_branch", "gate_bias", "note"))
    words = {"g", "1-g", "conv", "dropout"}
    for v in im["on_shortcut"] + im["on_branch"]:
        assert v in words or float(v) in (0, 0.5, 1)
    cat = i18n.catalog("vi")
    assert all(f"kinds.im_note_{c}" in cat for c in im["note"] if c)
    assert all(f"kinds.im_{c}" in cat for c in im["shortcut"])


# ---- Quiz answers, derived ---------------------------------------------------------------------------

def test_q1_answer_is_the_channels_a_real_dense_block_gives_layer_5():
    options, answer = quiz(1)
    g = growth(24, 12, 5)
    assert g.measured[4] == g.concat[4] == 72
    assert int(re.match(r"\d+", options[answer]).group()) == g.measured[4]
    assert g.add[4] == 24 and int(re.match(r"\d+", options[0]).group()) == 24  # the residual distractor


def test_q2_answer_is_what_sigma_of_a_strongly_negative_bias_gives():
    options, answer = quiz(2)
    assert gate_start(-6.0) < 0.01 and gate_lean(gate_start(-6.0)) == "x"
    assert options[answer].startswith("α ≈ 0") and quiz(2, "vi")[0][answer].startswith("α ≈ 0")


def test_q3_long_skips_do_not_halve_the_parameters():
    options, answer = quiz(3)
    with_, without = EncoderDecoder(1, 1, 16, True), EncoderDecoder(1, 1, 16, False)
    assert count(with_) > count(without)  # option 0 ("halve the parameters") is false
    assert answer != 0 and "detail" in options[answer]


def test_q4_answer_is_the_channels_entering_the_last_decoder_level():
    width = DenoiseTask().width
    seen = {}
    for skips in (True, False):
        net = EncoderDecoder(1, 1, width, skips).eval()
        net.dec1.register_forward_pre_hook(lambda _m, args, s=skips: seen.__setitem__(s, tuple(args[0].shape)))
        net(torch.zeros(1, 1, 8, 8))
    assert seen[True] == (1, 2 * width, 8, 8) and seen[False] == (1, width, 8, 8)
    for lang in i18n.LANGS:
        options, answer = quiz(4, lang)
        leading = [int(re.match(r"\d+", o).group()) for o in options]
        assert leading.index(seen[True][1]) == answer
        assert leading[0] == seen[False][1] and leading[2] == EncoderDecoder(1, 1, width).bottom[3].out_channels
        assert f"C = {width}" in i18n.text(lang, "kinds.quiz.q4.question")
