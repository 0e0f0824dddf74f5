"""Lesson 3 driven through AppTest: the numbers shown are the ones core/ computes."""

from __future__ import annotations

import math
import time

from core.lessons.gradflow import StackConfig, jacobian_check, jacobian_products
from tests.apptest import open_page
from ui import i18n


def metric(at, key, lang="en"):
    return {m.label: m.value for m in at.metric}[i18n.text(lang, key)]


def test_stack_metrics_follow_the_controls():
    at = open_page("gradients", "en")
    at.slider(key="gr_depth").set_value(30)
    at.radio(key="gr_gain").set_value("he").run()
    s = jacobian_products(StackConfig(depth=30, gain=math.sqrt(2.0)))
    assert metric(at, "gradients.m_plain") == i18n.fmt_sci(s.plain_grad[0], "en", 2)
    assert metric(at, "gradients.m_residual") == i18n.fmt_sci(s.residual_grad[0], "en", 2)
    at.radio(key="gr_gain").set_value("1").run()
    small = jacobian_products(StackConfig(depth=30, gain=1.0))
    assert small.plain_grad[0] < 1e-3 < small.residual_grad[0]  # the lesson's point, computed
    assert metric(at, "gradients.m_plain") == i18n.fmt_sci(small.plain_grad[0], "en", 2)


def test_autograd_check_caption_reports_tiny_deviation():
    at = open_page("gradients", "vi")
    at.radio(key="gr_kind").set_value("preact").run()
    caption = next(c.value for c in at.caption if "∂y/∂x − ∂F/∂x" in c.value)
    j = jacobian_check("preact", width=4, side=2, seed=0)
    assert j.max_deviation < 1e-6
    assert f"{i18n.fmt_sci(j.max_deviation, 'vi', 1)} (" in caption
    assert i18n.fmt_float(j.jac_F_norm, "vi", 3) in caption and j.jac_F_norm > 0.01
    assert not at.exception


def test_training_both_nets_streams_gradient_norms():
    at = open_page("gradients", "en")
    at.select_slider(key="gr_net_depth").set_value(8).run()
    at.button(key="gr_train").click().run()
    assert not at.exception and not at.error
    deadline = time.time() + 60
    while time.time() < deadline:
        at.run()
        bars = [p for p in at.get("progress")]
        if bars and bars[0].proto.value == 100:
            break
        time.sleep(0.5)
    assert bars and bars[0].proto.value == 100
    charts = [c for c in at.get("plotly_chart") if "step" in c.proto.spec]
    assert len(charts) >= 2  # per-unit profile and first-conv history
    assert "gr_stop" not in [b.key for b in at.button]  # nothing left to stop once both runs are done
