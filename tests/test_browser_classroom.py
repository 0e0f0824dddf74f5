"""Classroom mode in real Chromium: presenter view at projector sizes in both languages (nothing
overflows its column) and the charts' PNG button (links: test_browser_links.py). One server, a few
shared browser contexts. Screenshots: artifacts/screenshots/presenter-*.png."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser import save_screenshot
from tests.test_browser import expected_title, wait_idle
from ui import i18n
from ui.path import LESSONS

pytestmark = pytest.mark.browser

SIZES = {"720p": (1280, 720), "1080p": (1920, 1080)}
PAGES_1080 = ("skip", "degradation", "lab")  # the widest layouts; every lesson is checked at 1280×720

OVERFLOW = """() => {
  const bad = [];
  const main = document.querySelector('[data-testid=stMain]');
  if (main.scrollWidth > main.clientWidth + 2) bad.push(`page scrolls sideways: ${main.scrollWidth} > ${main.clientWidth}`);
  const name = el => (el.innerText || el.getAttribute('aria-label') || el.tagName).trim().slice(0, 50);
  for (const col of main.querySelectorAll('[data-testid=stColumn]')) {
    const c = col.getBoundingClientRect();
    if (!c.width) continue;
    for (const el of col.querySelectorAll('[data-testid=stWidgetLabel], [data-testid=stMarkdownContainer], '
        + '[data-testid=stMetric], .js-plotly-plot, [data-testid=stExpander], button, input[type=text], input[type=number]')) {
      const r = el.getBoundingClientRect();
      if (r.width && (r.left < c.left - 2 || r.right > c.right + 2)) bad.push(`out of its column: ${name(el)}`);
    }
  }
  for (const el of main.querySelectorAll('[data-testid=stWidgetLabel] p, [data-testid=stMetricValue] div, '
      + '[data-testid=stMetricLabel] p, h1, h2, h3, [data-testid=stExpander] summary p, button p')) {
    if (el.getBoundingClientRect().width && el.scrollWidth > el.clientWidth + 2) bad.push(`text cut: ${name(el)}`);
  }
  return bad;
}"""


def t(key: str, lang: str = "en", **kw) -> str:
    return i18n.text(lang, key, **kw)


shot = save_screenshot


def params(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


# ---- Presenter view ---------------------------------------------------------------------------------


ROOT_SIZE = "parseFloat(getComputedStyle(document.documentElement).fontSize)"


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("lang", i18n.LANGS)
def test_presenter_view_fits_a_projector(browser, server_url, lang, size):
    width, height = SIZES[size]
    ctx = browser.new_context(viewport={"width": width, "height": height})
    page = ctx.new_page()
    slugs = [l.slug for l in LESSONS] if size == "720p" else PAGES_1080
    problems = {}
    for slug in slugs:
        page.goto(f"{server_url}/{slug}?lang={lang}&present=1")
        wait_idle(page)
        # The stylesheet arrives with the run's elements; on a loaded machine it may land just after.
        page.wait_for_function(f"() => {ROOT_SIZE} >= 20", timeout=20_000)
        assert page.locator("[data-testid='stException']").count() == 0
        assert page.locator("h1").first.inner_text().strip() == expected_title(slug, lang)
        # On a loaded machine the widgets may be painted a moment after the run went idle (a fresh clone: none yet).
        page.wait_for_selector("[data-testid=stMain] [data-testid=stWidgetLabel]", state="attached", timeout=20_000)
        shot(page, f"presenter-{slug}-{lang}-{size}")
        # The sidebar is folded away, the type is large, the prose is folded into expanders.
        assert page.locator("[data-testid='stSidebar']").get_attribute("data-collapsed") == "true"
        h1 = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)")
        label = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector("
                              "'[data-testid=stMain] [data-testid=stWidgetLabel] p') || document.body).fontSize)")
        assert h1 >= 40 and label >= 19, (slug, h1, label)
        assert page.locator("[data-testid='stMain'] [data-testid='stExpander']").count() >= 1
        # A control is on the first screen (below the title and the folded introduction).
        top = page.evaluate("() => Math.min(...[...document.querySelectorAll("
                            "'[data-testid=stMain] [data-testid=stWidgetLabel]')].map(e => e.getBoundingClientRect().top))")
        if slug != "skip":  # lesson 1 opens with its two-contexts diagram, then the controls
            assert top < height, (slug, top)
        found = page.evaluate(OVERFLOW)
        if found:  # read again once the layout settled (sliders and fonts reflow after the first paint)
            page.wait_for_timeout(2000)
            found = page.evaluate(OVERFLOW)
        if found:
            problems[slug] = found
    assert not problems, problems
    ctx.close()


def test_presenter_view_stays_on_across_pages(page, server_url):
    page.goto(f"{server_url}/anatomy?lang=en&present=1")
    wait_idle(page)
    # The stylesheet arrives with the run's elements; on a loaded machine it may land just after idle.
    page.wait_for_function(f"() => {ROOT_SIZE} >= 20", timeout=20_000)
    big = page.evaluate(f"() => {ROOT_SIZE}")
    page.locator("[data-testid='stExpandSidebarButton']").first.click()
    page.locator("[data-testid='stSidebarNav'] a", has_text=t("family.title")).click()
    page.wait_for_url("**/family**")
    wait_idle(page)
    assert "present=1" in page.url and "lang=en" in page.url
    page.wait_for_function(f"() => {ROOT_SIZE} == {big}", timeout=20_000)
    # And off again from the sidebar switch: normal type, present= gone from the URL.
    if page.locator("[data-testid='stSidebar']").get_attribute("data-collapsed") == "true":
        page.locator("[data-testid='stExpandSidebarButton']").first.click()
    page.locator("[data-testid='stSidebar']").get_by_text(t("present.toggle"), exact=True).click()
    page.wait_for_function("() => !location.search.includes('present=')")
    wait_idle(page)
    page.wait_for_function(f"() => {ROOT_SIZE} < {big}", timeout=20_000)


# ---- Figures out: the PNG button ---------------------------------------------------------------------


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_every_chart_has_a_png_button(page, server_url, lang):
    title = "Download plot as a PNG" if lang == "en" else "Tải biểu đồ về dạng PNG"
    page.goto(f"{server_url}/skip?lang={lang}")
    wait_idle(page)
    page.get_by_role("button", name=i18n.text(lang, "skip.train")).click()  # the toy's charts come with its run
    wait_idle(page)
    plots = page.locator(".js-plotly-plot")
    plots.nth(4).wait_for(timeout=60_000)  # the toy's two charts and the three pictures
    missing = page.evaluate(
        "(title) => [...document.querySelectorAll('.js-plotly-plot')]"
        ".filter(p => !p.querySelector(`.modebar-btn[data-title=\"${title}\"]`)).length", title)
    assert missing == 0
    first = plots.first
    first.hover()
    with page.expect_download() as download:
        first.locator(f".modebar-btn[data-title='{title}']").click()
    assert download.value.suggested_filename == "residual-lab-skip-sk-loss.png"
