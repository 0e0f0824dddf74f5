"""Lesson 8 driven through AppTest: the lesion study and the landscape run as shared tasks, and the
text quotes the numbers the charts show."""

from __future__ import annotations

import json
import re
import time

import numpy as np

from core.lessons.predictions import judge_lesion
from tests.apptest import chart_words, open_page
from tests.test_predictions import check_reveal
from ui import i18n
from ui.figures.words import number


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
    # Its words for screen readers: the grid's size and its lowest value, where the map is darkest.
    words = next(w for k, w in chart_words(at).items() if "why_contour_False" in k)
    zs = [v for row in z for v in row]
    assert "5 × 5 giá trị" in words and f"thấp nhất {number(min(zs), 'vi')}" in words, words
    metrics = {m.label: m.value for m in at.metric}
    centre = metrics[i18n.text("vi", "why.m_centre", name="ResNet-8")]
    assert centre == i18n.fmt_float(10 ** z[2][2], "vi", 3)
    rough = metrics[i18n.text("vi", "why.m_rough", name="ResNet-8")]
    assert re.fullmatch(r"\d+,\d %", rough)
    text = next(m.value for m in at.markdown if "Kết quả của lần chạy này" in m.value)
    # The verdict and the basin sentence are the ones the shown numbers call for (both sides: test_why_text.py).
    from core.lessons.landscape import basin_extent, roughness_verdict

    share = lambda shown: float(shown.rstrip(" %").replace(",", ".")) / 100  # noqa: E731
    verdict = roughness_verdict(share(metrics[i18n.text("vi", "why.m_rough", name="Mạng thường-8")]), share(rough))
    assert i18n.fill(i18n.sections("vi", "why")[f"verdict_{verdict}"],
                     {"try_next": i18n.sections("vi", "why")["try_deeper"]}) in text
    basins = [float(np.mean(10 ** np.array(chart(at, f"why_contour_{k}")["data"][0]["z"]) < 10)) for k in (True, False)]
    extent = basin_extent(*basins)
    assert (i18n.sections("vi", "why")["basin_all"] in text) == (extent == "all")
    assert ("bên ngoài vùng trũng, mất mát lên tới" in text) == (extent == "part")


# ---- sentences that must be true for every value of a control ----


def section(lang: str, name: str, **values) -> str:
    return i18n.fill(i18n.sections(lang, "why")[name], values)


def test_the_path_sentences_hold_at_every_depth_of_the_slider():
    """The slider allows 8…110: at each depth the band, its complement and the end paths in the text
    are the counts of core.lessons.paths, and the 'most of the ensemble' sentence is backed by them."""
    from core.lessons.paths import cifar_residual_blocks, path_lengths

    at = open_page("why", "en")
    for depth in (8, 14, 20, 32, 44, 56, 110):
        at.select_slider(key="why_pdepth").set_value(depth).run()
        assert not at.exception
        stats = path_lengths(cifar_residual_blocks(depth))
        low, high, share = stats.middle_band()
        text = next(m.value for m in at.markdown if "For the depth you picked" in m.value)
        assert f"ResNet-{depth} has **{stats.blocks} residual blocks**" in text
        assert f"**{100 * share:.1f} %** of all paths have a length between {low} and {high}" in text
        assert f"the other {100 * (1 - share):.1f} % are shorter" in text
        assert f"one of length {stats.blocks}, out of" in text
        assert share > 0.5 and "Most of the “ensemble” is made of paths of middle length." in text
        bars = chart(at, "why_paths")["data"][0]
        assert bars["x"] == list(range(stats.blocks + 1))


def test_the_vietnamese_path_sentence_uses_the_live_band():
    from core.lessons.paths import cifar_residual_blocks, path_lengths

    at = open_page("why", "vi")
    for depth in (8, 110):
        at.select_slider(key="why_pdepth").set_value(depth).run()
        low, high, share = path_lengths(cifar_residual_blocks(depth)).middle_band()
        text = next(m.value for m in at.markdown if "Với độ sâu bạn chọn" in m.value)
        assert f"**{i18n.fmt_float(100 * share, 'vi', 1)} %** số đường đi có độ dài từ {low} đến {high}" in text
        assert "gần như toàn bộ" not in text and "“tập hợp”" in text


def test_lesion_run_shows_the_branches_its_numbers_call_for_and_the_reuse_maps():
    from core.lessons.lesion import learned_little
    from core.lessons.reuse import reuse_verdict

    at = open_page("why", "en")
    at.selectbox(key="why_depth").set_value(8)
    at.number_input(key="why_epochs").set_value(1)
    at.number_input(key="why_draws").set_value(2).run()
    at.radio(key="predict_lesion").set_value("residual")
    at.button(key="why_lesion_run").click().run()
    assert wait_result(at, "why_reuse_True") and wait_result(at, "why_reuse_False")
    assert not at.exception and not at.error
    check_reveal(at, "en", "lesion", "why_lesion", lambda snaps: judge_lesion(snaps[0].result), "residual")
    bars = chart(at, "why_single")
    chance = next(s["y0"] for s in bars["layout"]["shapes"] if s["line"]["color"] == "#64748b") / 100
    curve = chart(at, "why_k")
    plain_intact, res_intact = curve["data"][0]["y"][0] / 100, curve["data"][2]["y"][0] / 100
    warnings = [w.value for w in at.warning]
    for name, acc in (("Plain-8", plain_intact), ("ResNet-8", res_intact)):
        assert any(w.startswith(f"{name}'s intact accuracy") for w in warnings) == learned_little(acc, chance)
    # 3 blocks: the closest share to Veit et al.'s 10 of 54 is k = 1 (33 %).
    share = next(m.value for m in at.markdown if m.value.startswith("In any residual net"))
    assert "1 path in 1,024" in share and "this net has 3 blocks" in share and "$k = 1$ (33 %)" in share
    # The reuse maps: 3 blocks → rows 1.1, 2.1, 3.1 against the stem, 1.1 and 2.1.
    maps = {key: chart(at, f"why_reuse_{key}")["data"][0] for key in (True, False)}  # True: the plain net
    for m in maps.values():
        assert m["y"] == ["1.1", "2.1", "3.1"] and m["x"] == ["stem", "1.1", "2.1"]
        assert m["z"][0][1] is None and m["z"][0][0] is not None
    mean = {k: float(np.nanmean(np.array(m["z"], dtype=float))) for k, m in maps.items()}
    result = next(m.value for m in at.markdown if m.value.startswith("Averaged over all cells"))
    got = re.search(r"\*\*([\d.]+)\*\* for ResNet-8 and\s+\*\*([\d.]+)\*\* for Plain-8", result)
    assert abs(float(got.group(1)) - mean[False]) < 0.0051 and abs(float(got.group(2)) - mean[True]) < 0.0051
    far = re.search(r"last block's it is\s+([\d.]+) and ([\d.]+)\.", result)
    assert (float(far.group(1)), float(far.group(2))) == (round(maps[False]["z"][-1][0], 2), round(maps[True]["z"][-1][0], 2))
    verdict = reuse_verdict(float(got.group(2)), float(got.group(1)))  # on the numbers the text shows
    assert section("en", f"reuse_{verdict}") in result
