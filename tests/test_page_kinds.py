"""Lesson 7 through AppTest: the calculator shows the real modules' numbers, the gate comparison trains
and states what it measured, in both languages."""

from __future__ import annotations

import json
import time

import pytest

from core.lessons.kinds import gate_start, stage_costs
from core.lessons.predictions import judge_long_skips
from tests.apptest import open_page
from tests.test_page_lab import cards, statuses
from tests.test_predictions import check_reveal
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
    while time.time() < deadline and statuses(at) != [":green[done]"]:
        time.sleep(0.5)
        at.run()
    assert statuses(at) == [":green[done]"]
    (card,) = cards(at)
    assert card.startswith("**#1 DenseNet-BC-10 · Adam 5 × 10⁻⁴ · BN · width 8 · seed 0**")  # width = growth rate
    params = i18n.text("en", "lab.params", params="9,342")  # densenet_cifar(10, 8, in_channels=1)
    assert f":gray[:small[{params}]]" in card


# ---- Sentences that branch on a live value: both sides of each branch, in the page ------------------

def prose(lang: str, name: str, **values) -> str:
    return i18n.fill(i18n.sections(lang, "kinds")[name], values)


def shown(at) -> list[str]:
    return [m.value for m in at.markdown]


@pytest.mark.parametrize("lang, cases", [
    ("en", [(24, 12, 6, "down"), (20, 12, 4, "same"), (8, 64, 3, "up")]),
    ("vi", [(8, 64, 3, "up"), (24, 12, 6, "down")]),
])
def test_the_dense_cost_sentence_follows_the_real_modules(lang, cases):
    at = open_page("kinds", lang)
    f, d = (lambda n: i18n.fmt_int(n, lang)), (lambda x: i18n.fmt_float(x, lang, 2))  # noqa: E731
    for k0, k, n, branch in cases:
        at.number_input(key="ki_k0").set_value(k0)
        at.number_input(key="ki_k").set_value(k)
        at.number_input(key="ki_layers").set_value(n).run()
        res, dense = stage_costs(k0, k, n)
        cost = prose(lang, f"concat_{branch}", ratio=d(dense.params / res.params), side=f(8), k=f(k), k0=f(k0), n=f(n))
        want = prose(lang, "concat_numbers", last=f(k0 + k * (n - 1)), out=f(k0 + k * n), k0=f(k0), cost=cost)
        assert want in shown(at), (k0, k, n)
        others = [b for b in ("down", "same", "up") if b != branch]
        first = {b: prose(lang, f"concat_{b}", ratio="", side="", k="", k0="", n="").split()[:3] for b in others}
        assert not any(" ".join(w) in m for w in first.values() for m in shown(at))  # and not the other branches


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_the_gate_start_sentence_says_what_mostly_passes(lang):
    at = open_page("kinds", lang)
    for bias, branch, alpha in ((-2.0, "x", "0.119"), (0.0, "half", "0.500"), (1.5, "f", "0.818"),
                                (-8.0, "x", "0.00034")):
        at.select_slider(key="ki_bias").set_value(bias).run()
        alpha = alpha.replace(".", ",") if lang == "vi" else alpha
        want = prose(lang, "gate_start", bias=i18n.fmt_float(bias, lang, 1), alpha=alpha,
                     lean=prose(lang, f"gate_{branch}"))
        assert want in shown(at), bias


def test_the_vietnamese_tables_quote_both_top1_figures_and_translate_he_et_al():
    at = open_page("kinds", "vi")
    frames = [df.value for df in at.dataframe]
    pair = next(df for df in frames if i18n.text("vi", "kinds.col_top1") in df.columns)
    assert list(pair[i18n.text("vi", "kinds.col_top1")]) == ["74,434 %", "76,13 %"]
    im = next(df for df in frames if i18n.text("vi", "kinds.col_remark") in df.columns)
    cells = [str(v) for v in im.to_numpy().ravel()]
    for english in ("conv", "g(x)", "b_g", "plain", "frozen", "0.5", "ratio"):
        assert not any(english in c for c in cells), english
    on_shortcut = list(im[i18n.text("vi", "kinds.col_on_shortcut")])
    assert on_shortcut[2] == "0,5" and on_shortcut[4] == "1 − α" and on_shortcut[-2:] == ["tích chập 1×1",
                                                                                         "dropout, tỷ lệ 0,5"]
    remarks = list(im[i18n.text("vi", "kinds.col_remark")])
    assert remarks[1] == "chính là mạng thường" and remarks[4] == "b_T ban đầu từ 0 đến −5"
    assert remarks[5] == "b_T ban đầu = −6" and remarks[3] == "cổng cố định"
    text = "\n".join(shown(at))
    assert "**76,13 %**" in text and "**74,434 %**" in text


def registry_results(task_type):
    from core.training import jobs
    return [j.snapshot() for j in jobs.default_registry().jobs() if isinstance(j.task, task_type)]


def test_long_skip_and_reuse_sentences_state_what_the_runs_measured():
    from core.lessons.kinds import (
        DenoiseTask,
        DenseReuseTask,
        long_reading,
        reuse_moved,
    )
    at = open_page("kinds", "en")
    at.radio(key="predict_long_skips").set_value("down")
    at.button(key="ki_kinds_long").click().run()
    at.button(key="ki_kinds_concat").click().run()
    assert not at.exception and not at.error
    deadline = time.time() + 400
    while time.time() < deadline and not (any(m.startswith("**This run.** Test error") for m in shown(at))
                                          and any("Huang et al.'s map" in m for m in shown(at))):
        time.sleep(1)
        at.run()
    res = {s.task.long_skips: s.result for s in registry_results(DenoiseTask)
           if s.result is not None and s.task == DenoiseTask(s.task.long_skips)}
    r = long_reading(res[True], res[False])
    d = lambda x, n=2: i18n.fmt_float(x, "en", n)  # noqa: E731
    part = lambda p, x, tr: prose("en", f"part_{tr}", part=i18n.text("en", f"kinds.part_{p}"), ratio=d(x))  # noqa: E731
    want = prose("en", "long_result", mse_with=d(res[True].test_mse, 4), mse_without=d(res[False].test_mse, 4),
                 overall=prose("en", f"long_{r.overall}", ratio=d(r.ratio)),
                 coarse=part("coarse", r.coarse, r.coarse_trend), detail=part("detail", r.detail, r.detail_trend),
                 levels=prose("en", f"levels_{r.gain}"))
    assert want in shown(at)
    answer = check_reveal(at, "en", "long_skips", "kinds_long",
                          lambda snaps: judge_long_skips({s.task.long_skips: s.result for s in snaps}), "down")
    assert answer == r.overall  # the same reading as the page's sentence above
    maps = next(s.result for s in registry_results(DenseReuseTask) if s.result is not None)
    change = maps.largest_change()
    moved = prose("en", f"reuse_{reuse_moved(change)}", change=i18n.fmt_float(100 * change, "en", 0))
    assert any(moved in m for m in shown(at))
