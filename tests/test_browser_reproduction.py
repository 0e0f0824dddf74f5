"""Lesson 2 in real Chromium with a results folder of the reproduction (written by the test): both
panels and the table render in both languages. Screenshots: artifacts/screenshots/degradation-results-*.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from core.training.results import ENV_VAR
from tests.browser import free_port, start_server
from tests.fakes import fake_result
from tests.test_browser import screenshot, wait_idle
from tests.test_page_reproduction import FINAL
from ui import i18n

pytestmark = pytest.mark.browser


@pytest.fixture()
def results_server(tmp_path, monkeypatch):
    for (depth, skip), (train, test) in FINAL.items():
        fake_result(tmp_path / "results", depth, skip, train, test)
    fake_result(tmp_path / "results", 110, False, 0.62, 0.64, done=40_000)  # an unfinished run
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "results"))
    proc = start_server(free_port_ := free_port())
    yield f"http://127.0.0.1:{free_port_}"
    proc.terminate()
    proc.wait(timeout=10)


def test_results_render_in_both_languages(browser, results_server):
    for lang in i18n.LANGS:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{results_server}/degradation?lang={lang}")
        wait_idle(page)
        assert page.locator("[data-testid='stException']").count() == 0
        heading = i18n.text(lang, "degradation.repro.heading")
        page.get_by_text(heading).scroll_into_view_if_needed()
        for key in ("chart_plain", "chart_residual"):  # Plotly draws after the script is idle: wait for it
            chart = page.locator(".js-plotly-plot", has_text=i18n.text(lang, f"degradation.repro.{key}"))
            expect(chart).to_have_count(1, timeout=60_000)
        screenshot(page, f"degradation-results-{lang}")
        page.close()
