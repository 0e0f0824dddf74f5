"""Lesson 7 through AppTest: the calculator shows the real modules' numbers, the gate comparison trains
and states what it measured, in both languages."""

from __future__ import annotations

import json
import time

import pytest

from core.lessons.kinds import gate_start, stage_costs
from tests.apptest import open_page
from ui import i18n


def wait_done(at, bars_wanted: int = 1, seconds: float = 180) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        at.run()
        bars = [b.proto.value for b in at.get("progress")]
        if len(bars) >= bars_wanted and all(b == 100 for b in bars):
            at.run()
            return True
        time.sleep(0.5)
    return False


@pytest.mark.parametrize("lang, sep", [("en", ","), ("vi", ".")])
def test_calculator_counts_the_real_modules_in_the_pages_language(lang, sep):
    at = open_page("kinds", lang)
    at.number_input(key="ki_k0").set_value(16)
    at.number_input(key="ki_k").set_value(8)
    at.number_input(key="ki_layers").set_value(3).run()
    assert not at.exception and not at.error
    res, dense = stage_costs(16, 8, 3)
    table = at.dataframe[0].value
    fmt = lambda n: f"{n:,}".replace(",", sep)  # noqa: E731
    assert list(table[i18n.text(lang, "kinds.col_params")]) == [fmt(res.params), fmt(dense.params)]
    assert list(table[i18n.text(lang, "kinds.col_out")]) == ["16", "40"]
    cells = {str(v) for df in at.dataframe for v in df.value.to_numpy().ravel()}
    assert fmt(1_019_722) in cells and fmt(769_162) in cells and fmt(7_978_856) in cells  # computed here
    spec = at.get("plotly_chart")[0].proto.spec
    assert "[16,24,32,40]" in spec.replace(" ", "")  # the channels each layer receives, then the output


def test_gate_comparison_trains_and_reports_the_run():
    at = open_page("kinds", "en")
    at.select_slider(key="ki_bias").set_value(-1.0).run()
    start = next(m.value for m in at.markdown if "every gate starts at" in m.value)
    assert f"**{gate_start(-1.0):.3f}**" in start
    at.button(key="ki_kinds_gates").click().run()
    assert not at.exception and not at.error
    assert wait_done(at)
    verdict = next(m.value for m in at.markdown if m.value.startswith("**This run.** Final training error"))
    assert "identity **" in verdict and "gated **" in verdict
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    alpha = next(c for c in charts if any(d.get("name") == "gate α, block 6" for d in c["data"]))
    names = [d["name"] for d in alpha["data"]]
    assert names == [f"gate α, block {i}" for i in range(1, 7)] + [f"scale α, block {i}" for i in range(1, 7)]
    gate6 = alpha["data"][5]["y"]
    assert gate6[0] == pytest.approx(gate_start(-1.0), abs=0.02) and gate6[-1] != gate6[0]  # starts at σ(b), moves


def test_the_lab_trains_the_architecture_it_offers():
    at = open_page("lab", "en")
    at.radio(key="lab_arch").set_value("densenet")
    at.number_input(key="lab_depth").set_value(8)
    at.number_input(key="lab_width").set_value(8)
    at.number_input(key="lab_epochs").set_value(1).run()
    at.button(key="lab_train").click().run()
    assert not at.exception and not at.error
    deadline = time.time() + 120
    while time.time() < deadline and not any(m.value == ":green[done]" for m in at.markdown):
        time.sleep(0.5)
        at.run()
    labels = [m.value for m in at.markdown if m.value.startswith("**#")]
    assert labels == ["**#1 DenseNet-BC-10 · Adam 5 × 10⁻⁴ · BN · width 8 · seed 0**"]  # width = growth rate
    assert any(m.value == ":green[done]" for m in at.markdown)
    params = i18n.text("en", "lab.params", params="9,342")  # densenet_cifar(10, 8, in_channels=1)
    assert params in [c.value for c in at.caption]
