"""Lesson 8 in real Chromium: run the lesion study and the loss landscape from the page and see their
charts drawn; the results stay through a language switch. Screenshots in artifacts/screenshots/."""

from __future__ import annotations

import json

import pytest

from tests.test_browser import screenshot, wait_idle
from ui import i18n

pytestmark = pytest.mark.browser

# A long title wraps into one tspan per line (ui/figures.layout): join the lines with a space.
TITLES = ("() => [...document.querySelectorAll('.js-plotly-plot .gtitle')].map(e => e.querySelectorAll('tspan.line').length"
          " ? [...e.querySelectorAll('tspan.line')].map(l => l.textContent).join(' ') : e.textContent)")


def wait_titles(page, titles: list[str], timeout: int = 300_000) -> None:
    page.wait_for_function(f"() => {json.dumps(titles)}.every(t => ({TITLES})().includes(t))", timeout=timeout)


def set_number(page, label: str, value: int, nth: int = 0) -> None:
    box = page.get_by_label(label, exact=True).nth(nth)
    box.fill(str(value))
    box.press("Enter")
    wait_idle(page)


def test_lesion_study_and_landscape_draw_their_charts(page, server_url):
    t = lambda key, lang="en", **kw: i18n.text(lang, key, **kw)  # noqa: E731
    page.goto(f"{server_url}/why?lang=en")
    wait_idle(page)
    wait_titles(page, [t("why.paths_chart", depth=20)], timeout=30_000)

    # The lesion study: one epoch is enough to see the charts (the default is 8).
    set_number(page, t("why.epochs"), 1, nth=0)
    page.get_by_role("button", name=t("why.lesion_run"), exact=True).click()
    wait_titles(page, [t("why.chart_single"), t("why.chart_k")])
    wait_idle(page)
    main = page.locator("[data-testid='stMain']")
    assert "Result of this run" in main.inner_text()

    # The landscape: one epoch, the smallest grid (Home on the slider).
    set_number(page, t("why.epochs"), 1, nth=1)
    slider = page.get_by_role("slider").last
    slider.focus()
    slider.press("Home")
    wait_idle(page)
    page.get_by_role("button", name=t("why.landscape_run"), exact=True).click()
    contours = [t("why.chart_contour", name=n) for n in ("Plain-20", "ResNet-20")]
    wait_titles(page, [t("why.chart_line")] + contours)
    wait_idle(page)
    text = main.inner_text()
    assert t("why.m_rough", name="ResNet-20") in text and t("why.m_centre", name="Plain-20") in text
    assert page.locator("[data-testid='stException']").count() == 0
    screenshot(page, "why-results-en")

    # Switch to Vietnamese: both results are still there (shared, finished jobs), relabelled.
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.locator("[data-testid='stSidebar']").get_by_text(i18n.LANG_NAMES["vi"], exact=True).click()
    wait_titles(page, [t("why.chart_single", "vi"), t("why.chart_contour", "vi", name="ResNet-20")], timeout=60_000)
    wait_idle(page)
    assert "Kết quả của lần chạy này" in main.inner_text()
    assert page.locator("[data-testid='stException']").count() == 0
    screenshot(page, "why-results-vi")
