"""Real Chromium against `streamlit run app.py`: the home page and the Lab in both languages (every
lesson in both: test_browser_classroom.py, test_browser_links.py), no error box, the language switch and ?lang= links.
Screenshots land in artifacts/screenshots/ (git-ignored) when asked for (tests/browser.py)."""

from __future__ import annotations

import os

import pytest

from tests.browser import SCREENSHOTS, save_screenshot
from ui import i18n
from ui.path import LESSONS

pytestmark = pytest.mark.browser

PAGES = ["home"] + [l.slug for l in LESSONS]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def wait_idle(page, timeout=60_000):
    page.wait_for_selector(IDLE, timeout=timeout)
    page.wait_for_timeout(700)  # let charts and graphviz paint after the script finished
    page.wait_for_selector(IDLE, timeout=timeout)


def expected_title(slug: str, lang: str) -> str:
    if slug == "home":
        return i18n.text(lang, "home.heading")
    number = next(l.number for l in LESSONS if l.slug == slug)
    return f"{number}. " + i18n.text(lang, f"{slug}.title")


# Each lesson is also rendered in Chromium, in both languages, by
# test_browser_classroom.py::test_presenter_view_fits_a_projector (no exception, its title, its fit) and
# in the normal view by test_browser_links.py::test_every_lesson_round_trips_through_its_link; the whole list here again costs
# 18 more page loads (about a minute of the suite on 2 cores): `-k renders` with ALL_PAGES=1 runs them.
@pytest.mark.parametrize("lang", i18n.LANGS)
@pytest.mark.parametrize("slug", PAGES if os.environ.get("ALL_PAGES") == "1" else ["home", "lab"])
def test_page_renders_without_error(page, server_url, slug, lang):
    page.goto(f"{server_url}/{slug}?lang={lang}")
    wait_idle(page)
    assert page.locator("[data-testid='stException']").count() == 0
    h1 = page.locator("h1").first.inner_text().strip()
    assert h1 == expected_title(slug, lang)
    # The menu is in the same language as the page.
    nav = page.locator("[data-testid='stSidebarNav']").inner_text()
    assert i18n.text(lang, "home.title") in nav
    screenshot(page, f"{slug}-{lang}")


def screenshot(page, name: str) -> None:
    """The whole page: Streamlit scrolls inside its own container, so grow the viewport to fit."""
    if not SCREENSHOTS:
        return
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=stMain], section.main')]"
        ".map(e => e.scrollHeight), 800)"
    )
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 80, 12000)})
    page.wait_for_timeout(800)
    save_screenshot(page, name)


def test_language_switch_persists_across_pages_and_links(page, server_url):
    page.goto(f"{server_url}/anatomy?lang=en")
    wait_idle(page)
    assert page.locator("h1").first.inner_text().strip() == expected_title("anatomy", "en")
    page.locator("[data-testid='stSidebar']").get_by_text(i18n.LANG_NAMES["vi"], exact=True).click()
    page.wait_for_function("() => document.querySelector('h1') && document.querySelector('h1').innerText.startsWith('4. C')")
    wait_idle(page)
    assert page.locator("h1").first.inner_text().strip() == expected_title("anatomy", "vi")
    assert "lang=vi" in page.url
    # Go to another page through the menu: the language and the ?lang= in the URL stay.
    page.locator("[data-testid='stSidebarNav'] a", has_text=i18n.text("vi", "family.title")).click()
    page.wait_for_url("**/family**")
    wait_idle(page)
    assert page.locator("h1").first.inner_text().strip() == expected_title("family", "vi")
    page.wait_for_function("() => location.search.includes('lang=vi')")


def test_browser_locale_seeds_language(browser, server_url):
    ctx = browser.new_context(locale="vi-VN")
    pg = ctx.new_page()
    pg.goto(f"{server_url}/home")
    wait_idle(pg)
    assert pg.locator("h1").first.inner_text().strip() == expected_title("home", "vi")
    ctx.close()
