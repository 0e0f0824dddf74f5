"""Every chart's text alternative (WCAG 1.1.1, ui.figures.words): built from the figure's own data, its
key numbers right in both languages, and one after every chart of every page (AppTest; the browser
check that it is in the page but not drawn is in test_browser_phone.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.apptest import chart_words, open_page
from tests.test_browser import PAGES
from ui import i18n
from ui.figures import grouped_bars, heatmap, histograms, line_chart
from ui.figures.gallery import gallery_parcoords
from ui.figures.kinds import digit_grid
from ui.figures.words import _plain, describe, number


def test_numbers_read_as_written_in_each_language():
    assert [number(x, "en") for x in (56, 25557032, 0.5, 2.0 / 3, -0.0421, 3.2e-5, 4.0925e13)] == \
        ["56", "25,557,032", "0.500", "0.667", "−0.0421", "3.20 × 10⁻⁵", "4.09 × 10¹³"]
    assert [number(x, "vi") for x in (25557032, 0.5, -0.0421, 3.2e-5)] == ["25.557.032", "0,500", "−0,0421", "3,20 × 10⁻⁵"]


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_a_curve_gives_its_start_end_lowest_and_highest(lang):
    fig = line_chart({"plain": ([0, 10, 20, 30], [2.5, 0.75, 0.25, 0.5]), "threshold": ([0, 30], [0.1, 0.1])},
                     "Loss", "step", "loss", lang)
    w = describe(fig, lang)
    if lang == "en":
        assert w == ("Chart: Loss. plain: 4 points, step 0 to 30; loss 2.50 at the start and 0.500 at the end, "
                     "lowest 0.250 (step 20), highest 2.50 (step 0). threshold: loss 0.100 all along, step 0 to 30.")
    else:  # three significant figures, decimal commas
        assert "loss lúc đầu 2,50, lúc cuối 0,500, thấp nhất 0,250 (step 20), cao nhất 2,50 (step 0)" in w, w
    assert "0.75" not in w and "0,75" not in w  # a middle point is not a key number


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_bars_grids_histograms_and_parallel_coordinates(lang):
    bars = describe(grouped_bars(["ResNet-18", "ResNet-50"], {"params": [11689512, 25557032]}, "Family", "count", lang), lang)
    assert i18n.fmt_int(11689512, lang) in bars and i18n.fmt_int(25557032, lang) in bars and "ResNet-50" in bars
    z = np.array([[0.0, 0.5, -2.0], [3.0, 1.0, 0.25]])
    grid = describe(heatmap(z, "J", lang), lang)
    words = {"en": ("lowest −2 at row 1, column 3", "highest 3 at row 2, column 1", "2 × 3 values"),
             "vi": ("thấp nhất −2 tại hàng 1, cột 3", "cao nhất 3 tại hàng 2, cột 1", "2 × 3 giá trị")}[lang]
    assert all(p in grid for p in words), grid
    assert number(float(z.mean()), lang) in grid
    hist = describe(histograms({"ch 1": [1.0, 2.0, 4.0, 5.0]}, "H", "x", lang), lang)
    assert ("4 values from 1 to 5, mean 3" if lang == "en" else "4 giá trị từ 1 đến 5, trung bình 3") in hist
    runs = [dict(depth=d, width=16, lr=1e-3, batch=64, epochs=2, skip=s, bn=True, final=f)
            for d, s, f in ((8, True, 3.5), (56, False, 40.25), (56, True, 4.0))]
    labels = {k: k for k in ("depth", "width", "lr", "batch", "epochs", "skip", "bn", "error")} | {"on": "on", "off": "off"}
    pc = describe(gallery_parcoords(runs, labels, lang, "Everyone"), lang)
    assert pc.startswith(i18n.text(lang, "chart.titled", title="Everyone"))
    assert "skip: off 1, on 2" in pc and "bn: off 0, on 3" in pc and "width 16;" in pc
    assert i18n.text(lang, "chart.range", label="error", low=number(3.5, lang), high=number(40.25, lang)) in pc


def test_a_picture_grid_is_counted_not_read_pixel_by_pixel():
    img = np.zeros((2, 8, 8))
    img[1, 3, 4] = 1.0
    w = describe(digit_grid({"input": img, "output": img * 0.5, "target": img}, "Denoise", "en"), "en")
    assert "3 panels: input; output; target." in w and "6 pictures of 8 × 8 pixels, values 0 to 1." in w


def test_no_english_in_the_vietnamese_words():
    fig = line_chart({"a": ([1, 2, 3], [3.0, 1.0, 2.0])}, "T", "bước", "lỗi", "vi")
    w = describe(fig, "vi")
    english = {"points", "lowest", "highest", "start", "end", "Chart", "values", "mean", "row", "column"}
    assert not english & set(w.replace(",", " ").replace(".", " ").split()), w


@pytest.mark.parametrize("lang", i18n.LANGS)
@pytest.mark.parametrize("slug", PAGES)
def test_every_chart_on_every_page_has_its_words(slug, lang):
    at = open_page(slug, lang, timeout=120)
    assert not at.exception
    charts = {c.proto.id.rsplit("-", 1)[-1]: json.loads(c.proto.spec) for c in at.get("plotly_chart")}
    words = chart_words(at)
    assert len(words) == len(at.get("plotly_chart"))
    for key, text in words.items():
        spec = next((s for k, s in charts.items() if key.endswith(k) or k.endswith(key)), None)
        title = _plain((spec or {}).get("layout", {}).get("title", {}).get("text", ""))
        assert text.startswith(i18n.text(lang, "chart.titled", title=title) if title else i18n.text(lang, "chart.untitled")), text
        # The words carry numbers from the figure: the first finite y (or z) value of its first trace.
        data = (spec or {}).get("data") or [{}]
        first = next((v for d in data for v in (d.get("y") or []) if isinstance(v, (int, float))), None)
        if first is not None and data[0].get("type") == "scatter":
            assert number(first, lang) in text, (key, first, text)
