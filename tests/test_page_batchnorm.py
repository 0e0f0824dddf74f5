"""Lesson 5 through AppTest, driven as a user would: statistics, differences and curves are core's."""

from __future__ import annotations

import re

import pytest

import numpy as np

from core.lessons.bnstats import (BatchSpec, batchnorm_eval, batchnorm_train, bias_cancels, make_batch, running_stats,
                                  small_batch_spread)
from tests.apptest import open_page
from tests.test_page_skip import array, chart, metrics
from ui import i18n


def table(at, i: int = 0) -> list[dict]:
    return at.dataframe[i].value.to_dict("records")


def sci_value(shown: str) -> float:
    """'2,9 × 10⁻⁷' → 2.9e-07 (either decimal mark)."""
    mantissa, _, exponent = shown.partition(" × 10")
    digits = exponent.translate(str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789"))
    return float(mantissa.replace(",", ".")) * 10 ** int(digits or 0)


def float32_close(shown: str, expected: float) -> bool:
    """A float32 rounding difference as shown: tiny, as core computes it (its last bits may vary with torch's
    thread count, which changes the order of its reductions)."""
    return sci_value(shown) <= 1e-5 and abs(sci_value(shown) - expected) <= 1e-6


def test_statistics_by_hand_and_the_max_difference_match_core():
    at = open_page("batchnorm", "en")
    at.slider(key="bn_n").set_value(16)
    at.slider(key="bn_size").set_value(2)
    at.slider(key="bn_channels").set_value(2).run()
    at.select_slider(key="bn_mean_0").set_value(-4.5)
    at.select_slider(key="bn_std_1").set_value(3.0)
    at.select_slider(key="bn_gamma").set_value(1.5)
    at.select_slider(key="bn_beta").set_value(-1.0)
    at.select_slider(key="bn_eps").set_value(1e-3).run()
    assert not at.exception and not at.error
    spec = BatchSpec(16, 2, 2, 2, (-4.5, 3.0), (1.0, 3.0), 0)
    r = batchnorm_train(make_batch(spec), 1.5, -1.0, 1e-3)
    rows = table(at)
    assert [row["m = N·H·W"] for row in rows] == ["64", "64"]
    for c, row in enumerate(rows):
        assert row[i18n.text("en", "batchnorm.col_mean")] == f"{r.mean[c]:.4f}"
        assert row[i18n.text("en", "batchnorm.col_mean_torch")] == f"{r.torch_mean[c]:.4f}"
        assert row[i18n.text("en", "batchnorm.col_var")] == f"{r.var_biased[c]:.4f}"
        assert row[i18n.text("en", "batchnorm.col_var_u")] == f"{r.var_unbiased[c]:.4f}"
        assert row[i18n.text("en", "batchnorm.col_var_torch")] == f"{r.torch_var_unbiased[c]:.4f}"
    assert float32_close(metrics(at)[i18n.text("en", "batchnorm.m_diff")], r.max_diff)
    # The "after" histogram holds γ·x̂ + β of every value.
    after = {d["name"]: array(d["x"]) for d in chart(at, "bn_hist_y")["data"]}
    np.testing.assert_allclose(after["Channel 1"], r.y[:, 0].ravel(), rtol=1e-12)


def test_one_value_per_channel_in_train_mode_is_a_translated_message_and_eval_still_works():
    at = open_page("batchnorm", "vi")
    at.slider(key="bn_n").set_value(1)
    at.slider(key="bn_size").set_value(1).run()
    assert not at.exception
    msg = i18n.text("vi", "error.bn_one_value", n=1, height=1, width=1)
    assert [e.value for e in at.error] == [msg]
    # Eval mode (the default) normalises the single value with the running statistics.
    spec = BatchSpec(1, 3, 1, 1, (0.0, 3.0, -2.0), (1.0, 0.5, 2.0), 0)
    tr = running_stats(BatchSpec(8, 3, 1, 1, spec.means, spec.stds, 0), 50, 0.1)
    ev = batchnorm_eval(make_batch(spec), tr.torch_mean[-1], tr.torch_var[-1])
    shown = metrics(at)
    eval_diff = shown[i18n.text("vi", "batchnorm.m_eval_diff")]
    assert float32_close(eval_diff, ev.max_diff) and ("," in eval_diff or eval_diff == "0")
    assert shown[i18n.text("vi", "batchnorm.m_gap")] == "—"
    # Train mode repeats the message instead of a table.
    at.segmented_control(key="bn_mode").set_value("train").run()
    assert not at.exception and [e.value for e in at.error] == [msg, msg]


def test_momentum_changes_the_running_curve_and_none_is_the_cumulative_average():
    at = open_page("batchnorm", "en")
    name = i18n.text("en", "batchnorm.running_mean_c", c=2)

    def curve():
        return array({d["name"]: d for d in chart(at, "bn_run_mean")["data"]}[name]["y"])

    spec = BatchSpec()  # the page's starting batch: 3 channels, means 0, 3, −2
    default = curve()
    np.testing.assert_allclose(default, running_stats(spec, 50, 0.1).torch_mean[:, 1], rtol=1e-12)
    at.select_slider(key="bn_momentum").set_value("0.5").run()
    fast = curve()
    assert not np.allclose(fast, default)
    np.testing.assert_allclose(fast, running_stats(spec, 50, 0.5).torch_mean[:, 1], rtol=1e-12)
    at.select_slider(key="bn_momentum").set_value("none").run()
    tr = running_stats(spec, 50, None)
    np.testing.assert_allclose(curve(), tr.torch_mean[:, 1], rtol=1e-12)
    np.testing.assert_allclose(tr.torch_mean[-1], tr.batch_mean.mean(axis=0), rtol=1e-5)  # plain average


def test_mode_switch_shows_the_statistics_each_mode_uses():
    at = open_page("batchnorm", "en")
    spec = BatchSpec()
    tr = running_stats(spec, 50, 0.1)
    used = i18n.text("en", "batchnorm.col_used_mean")
    eval_rows = table(at, 1)
    assert [row[used] for row in eval_rows] == [f"{v:.4f}" for v in tr.torch_mean[-1]]
    at.segmented_control(key="bn_mode").set_value("train").run()
    r = batchnorm_train(make_batch(spec))
    assert [row[used] for row in table(at, 1)] == [f"{v:.4f}" for v in r.mean]
    assert float32_close(metrics(at)[i18n.text("en", "batchnorm.m_train_diff")], r.max_diff)


def test_conv_bias_is_cancelled_and_numbers_use_the_decimal_comma():
    at = open_page("batchnorm", "vi")
    at.select_slider(key="bn_shift").set_value(-7.5).run()
    diff = bias_cancels(make_batch(BatchSpec()), -7.5)
    prose = "\n".join(m.value for m in at.markdown)
    assert "Cộng -7,5 vào mọi giá trị" in prose
    shown = re.search(r"nhiều\s+nhất\s+(.+?):\s", prose).group(1)
    assert float32_close(shown, diff)
    reading = "exact" if diff == 0 else "rounding"
    assert f"{shown}: {i18n.text('vi', f'batchnorm.diff_{reading}')}." in " ".join(prose.split())


def test_no_bias_at_all_reads_as_exactly_the_same_output():
    """Both sides of the bias sentence: a shift of 0 changes nothing at all, not even by rounding."""
    at = open_page("batchnorm", "en")
    at.select_slider(key="bn_shift").set_value(0.0).run()
    assert bias_cancels(make_batch(BatchSpec()), 0.0) == 0
    text = " ".join(" ".join(m.value.split()) for m in at.markdown)
    assert f"by at most 0: {i18n.text('en', 'batchnorm.diff_exact')}." in text
    assert i18n.text("en", "batchnorm.diff_rounding") not in text
    at.select_slider(key="bn_shift").set_value(4.0).run()
    assert bias_cancels(make_batch(BatchSpec()), 4.0) > 0
    text = " ".join(" ".join(m.value.split()) for m in at.markdown)
    assert i18n.text("en", "batchnorm.diff_rounding") in text


@pytest.mark.parametrize("size", [1, 8])
def test_small_batch_sentence_states_the_expected_factor_and_the_measured_one(size):
    """(m − 1)/m from m = N·H·W of the smallest batch, next to the measured average: with H = W = 8 the
    measured ratio may land above the expected factor by sampling noise, and the sentence stays true."""
    at = open_page("batchnorm", "en")
    at.slider(key="bn_size").set_value(size).run()
    spec = BatchSpec(8, 3, size, size, (0.0, 3.0, -2.0), (1.0, 0.5, 2.0), 0)
    s = small_batch_spread(spec, trials=200)
    m = int(s.count[0])
    assert m == size * size
    text = " ".join(" ".join(v.value.split()) for v in at.markdown)
    expected = (f"with a batch of 1 ($m$ = {m} values per channel) that factor is {(m - 1) / m:.2f}, and over the "
                f"200 batches drawn here the average $\\sigma_B^2$ of channel 1 came to "
                f"{s.var_avg_biased[0, 0] / s.population_var[0]:.2f} times")
    assert expected in text


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_purpose_agrees_with_lesson_3_and_cites_the_papers(lang):
    """BN does not keep gradients in range through a deep plain net (Yang et al. 2019, as lesson 3 says);
    internal covariate shift is the original motivation (Ioffe & Szegedy 2015), disputed (Santurkar et al. 2018)."""
    at = open_page("batchnorm", lang)
    text = " ".join(" ".join(m.value.split()) for m in at.markdown)
    words = {"en": ("Ioffe and Szegedy (2015)", "internal covariate shift", "Santurkar et al. (2018)",
                    "Yang et al., 2019", "*explode*", "smoother loss landscape"),
             "vi": ("Ioffe và Szegedy (2015)", "internal covariate shift", "Santurkar và cộng sự (2018)",
                    "Yang và cộng sự, 2019", "*bùng nổ*", "bề mặt hàm mất mát trơn hơn")}[lang]
    for w in words:
        assert w in text, w
    assert "sensible range" not in text and "gradient giữ ở mức hợp lý" not in text
    assert any(p.proto.page.endswith("gradients") or "gradients" in p.proto.page for p in at.main.get("page_link"))


def test_quiz_answers_are_what_nn_batchnorm2d_does():
    import torch
    from torch import nn

    cat = i18n.catalog("en")
    # q1: the values per channel: H·W of one image, N·H·W of the batch, or C of one pixel (distinct here)
    spec = BatchSpec(5, 2, 3, 3, (0.0, 1.0), (1.0, 2.0), 0)
    r = batchnorm_train(make_batch(spec))
    assert [3 * 3, 5 * 3 * 3, 2].index(r.count) == cat["batchnorm.quiz.q1.answer"]
    x = torch.from_numpy(make_batch(spec)).float()
    # q3: train mode normalises with the biased variance and feeds the unbiased one to the running variance
    bn = nn.BatchNorm2d(2, momentum=1.0, affine=False).train()
    y = bn(x)
    biased, unbiased = x.var(dim=(0, 2, 3), unbiased=False), x.var(dim=(0, 2, 3), unbiased=True)
    mean = x.mean(dim=(0, 2, 3))
    by_biased = (x - mean[None, :, None, None]) / torch.sqrt(biased[None, :, None, None] + bn.eps)
    assert torch.allclose(y, by_biased, atol=1e-5) and torch.allclose(bn.running_var, unbiased, atol=1e-5)
    options_q3 = [("biased", "unbiased"), ("unbiased", "unbiased"), ("biased", "biased")]
    assert options_q3.index(("biased", "unbiased")) == cat["batchnorm.quiz.q3.answer"]
    # q2: eval mode normalises with the running statistics, not the batch's, not (0, 1)
    bn.running_mean.fill_(0.7)
    bn.running_var.fill_(2.5)
    bn.eval()
    out = bn(x)
    candidates = [by_biased, (x - 0.7) / torch.sqrt(torch.tensor(2.5) + bn.eps), x / torch.sqrt(torch.tensor(1.0) + bn.eps)]
    err = [float((out - c).abs().max()) for c in candidates]
    assert int(np.argmin(err)) == cat["batchnorm.quiz.q2.answer"] and min(err) < 1e-5
