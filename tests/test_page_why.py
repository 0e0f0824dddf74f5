"""Lesson 8 driven through AppTest: the lesion study and the landscape run as shared tasks, and the
text quotes the numbers the charts show."""

from __future__ import annotations

import json
import re
import time

from tests.apptest import open_page
from ui import i18n


def wait_result(at, chart_key: str, seconds: float = 240) -> bool:
    """Rerun until the chart ``chart_key`` is drawn (the task has finished)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        at.run()
        if any(chart_key in str(getattr(c.proto, "id", "")) for c in at.get("plotly_chart")):
            return True
        time.sleep(0.5)
    return False


def chart(at, key: str) -> dict:
    return json.loads(next(c.proto.spec for c in at.get("plotly_chart") if key in c.proto.id))


def test_lesion_study_runs_and_the_text_quotes_the_charts():
    at = open_page("why", "en")
    at.selectbox(key="why_depth").set_value(8)
    at.number_input(key="why_epochs").set_value(1)
    at.number_input(key="why_draws").set_value(2).run()
    at.button(key="why_lesion_run").click().run()
    assert not at.exception and not at.error
    assert wait_result(at, "why_single")
    bars = chart(at, "why_single")
    plain, res = bars["data"][0], bars["data"][1]
    assert plain["name"] == "Plain-8" and res["name"] == "ResNet-8"
    assert plain["x"] == ["1.1", "2.1", "3.1"]  # one bar per deletable block
    text = next(m.value for m in at.markdown if m.value.startswith("**Result of this run**"))
    # The dashed lines are the intact accuracies, one per net, at the values the text quotes.
    lines = sorted(round(s["y0"], 1) for s in bars["layout"]["shapes"] if s["line"].get("dash") == "dash")
    quoted = re.search(r"Plain-8 ([\d.]+) %, ResNet-8 ([\d.]+) %", text)
    assert quoted and len(lines) == 2
    assert lines == sorted(float(v) for v in quoted.groups())
    # The residual net's worst single deletion in the text is the lowest residual bar.
    worst = min(res["y"])
    assert f"({worst:.1f} %)" in text
    assert f"best case {max(plain['y']):.1f} %" in text
    curve = chart(at, "why_k")
    assert curve["data"][0]["x"] == [0, 1, 2, 3]  # intact, then k = 1…3 deleted blocks


def test_landscape_runs_and_the_metrics_are_the_grid_centre():
    at = open_page("why", "vi")
    at.selectbox(key="why_ldepth").set_value(8)
    at.number_input(key="why_lepochs").set_value(1)
    at.select_slider(key="why_size").set_value(5).run()
    at.button(key="why_land_run").click().run()
    assert not at.exception and not at.error
    assert wait_result(at, "why_surface")
    contour = chart(at, "why_contour_False")  # the residual net's map
    z = contour["data"][0]["z"]
    assert len(z) == 5 and len(z[0]) == 5 and contour["data"][0]["x"] == [-1.0, -0.5, 0.0, 0.5, 1.0]
    metrics = {m.label: m.value for m in at.metric}
    centre = metrics[i18n.text("vi", "why.m_centre", name="ResNet-8")]
    assert centre == i18n.fmt_float(10 ** z[2][2], "vi", 3)
    rough = metrics[i18n.text("vi", "why.m_rough", name="ResNet-8")]
    assert re.fullmatch(r"\d+,\d %", rough)
    assert any("Kết quả của lần chạy này" in m.value for m in at.markdown)
