"""Lesson 7 in real Chromium: each live piece trains from its button, and its curves, the feature-reuse
map and the restored digits appear; the finished runs are still there in Vietnamese. Screenshots in
artifacts/screenshots/."""

from __future__ import annotations

import pytest

from tests.test_browser import screenshot, wait_idle
from ui import i18n

pytestmark = pytest.mark.browser

# Every Plotly chart on the page: its title and the number of points of each trace.
CHARTS = """() => [...document.querySelectorAll('.js-plotly-plot')].filter(p => p.data && p.layout).map(p => ({
  title: ((p.layout.title && p.layout.title.text) || '').replace(/<br>/g, ' '), types: p.data.map(d => d.type),
  points: p.data.map(d => (d.x || d.z || []).length)}))"""


def chart(page, title: str):
    return next((c for c in page.evaluate(CHARTS) if title in c["title"]), None)  # Streamlit wraps it in <b>


def wait_chart(page, title: str, ready, timeout: float = 420_000) -> dict:
    """Poll until the chart titled ``title`` satisfies ``ready`` (Plotly swaps charts while redrawing)."""
    page.wait_for_function(
        f"() => ({CHARTS})().some(c => c.title.includes({title!r}) && ({ready}))", timeout=timeout)
    return chart(page, title)


def test_each_live_piece_trains_and_shows_curves_and_images(page, server_url):
    t = lambda key, lang="en", **kw: i18n.text(lang, key, **kw)  # noqa: E731
    page.goto(f"{server_url}/kinds?lang=en")
    wait_idle(page)
    for button in ("kinds.train_concat", "kinds.train_gates", "kinds.train_long"):
        page.get_by_role("button", name=t(button), exact=True).click()
        wait_idle(page)
    # Curves appear while the runs train; when a piece is done, its task's product appears.
    wait_chart(page, t("kinds.chart_concat"), "c.points.length === 3 && c.points.some(n => n > 0)")
    reuse = wait_chart(page, t("kinds.chart_reuse"), "c.types.length === 3")
    assert reuse["types"] == ["heatmap"] * 3
    digits = wait_chart(page, t("kinds.chart_digits"), "c.types.length === 36")
    assert set(digits["types"]) == {"heatmap"}
    page.get_by_text(t("kinds.m_without"), exact=True).wait_for(timeout=30_000)
    wait_chart(page, t("kinds.chart_alpha"), "c.points.length === 12 && c.points.every(n => n >= 20)")
    wait_idle(page)
    # Whole curves: 36 steps logged every 2nd step (concat), 48 (gates), 144 every 4th (long skips).
    assert chart(page, t("kinds.chart_concat"))["points"] == [19, 19, 19]
    assert chart(page, t("kinds.chart_gates"))["points"] == [25, 25, 25]
    assert chart(page, t("kinds.chart_long"))["points"] == [37, 37]  # 144 steps: step 1 and every 4th
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlert']").filter(has_text="Error").count() == 0
    screenshot(page, "kinds-trained-en")

    # The finished (cached) runs are drawn again in Vietnamese.
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.locator("[data-testid='stSidebar']").get_by_text(i18n.LANG_NAMES["vi"], exact=True).click()
    h1 = "() => document.querySelector('h1') && document.querySelector('h1').innerText.startsWith('7. C')"
    page.wait_for_function(h1)
    wait_idle(page)
    wait_chart(page, t("kinds.chart_digits", "vi"), "c.types.length === 36", timeout=60_000)
    wait_chart(page, t("kinds.chart_reuse", "vi"), "c.types.length === 3", timeout=60_000)
    page.get_by_text(t("kinds.m_without", "vi"), exact=True).wait_for(timeout=30_000)
    wait_idle(page)
    assert page.locator("[data-testid='stException']").count() == 0
    screenshot(page, "kinds-trained-vi")
