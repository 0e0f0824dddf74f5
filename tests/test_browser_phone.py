"""Students on phones, and readers with assistive technology, in real Chromium: every page at 390×844
in both languages scrolls only downwards (no sideways scroll, in the document or in Streamlit's main
column) and axe-core (npm, package-lock.json) reports no serious or critical violation; a class poll
is one tap on a phone; every chart has its text alternative. Screenshots: artifacts/screenshots/phone-<page>-<lang>.png (tests/browser.py)."""

from __future__ import annotations

import pytest

from bench.streamlit_client import Student
from tests.browser import ROOT, SCREENSHOTS, free_port, save_screenshot, start_server
from tests.test_browser import PAGES, expected_title, wait_idle
from ui import i18n

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PHONE = dict(viewport={"width": 390, "height": 844}, device_scale_factor=1, is_mobile=True, has_touch=True)
KEY = "phone-test-presenter-key-" + "y" * 8
WIDTHS = """() => ({inner: window.innerWidth, doc: document.documentElement.scrollWidth,
                   main: document.querySelector('[data-testid=stMain]').scrollWidth})"""


@pytest.fixture(scope="module")
def server():
    port = free_port()
    proc = start_server(port, env={"RESIDUAL_LAB_PRESENTER_KEY": KEY})
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=15)


@pytest.fixture(scope="module")
def phone(browser):
    ctx = browser.new_context(**PHONE)
    yield ctx.new_page()
    ctx.close()


def axe_problems(page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, one line per rule."""
    assert AXE.exists(), "axe-core is missing: `npm ci` (the README's test command runs it)"
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']})).violations
        .filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => `${v.impact} ${v.id} (${v.nodes.length}): ` + v.nodes.slice(0, 2).map(n => n.html.slice(0, 120)).join(' | '))""")
    return list(found)


def whole_page_screenshot(page, name: str) -> None:
    if not SCREENSHOTS:
        return
    height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": 390, "height": min(int(height) + 40, 16000)})
    page.wait_for_timeout(600)
    save_screenshot(page, name)
    page.set_viewport_size(PHONE["viewport"])


@pytest.mark.parametrize("lang", i18n.LANGS)
@pytest.mark.parametrize("slug", PAGES)
def test_every_page_fits_a_phone_and_passes_axe(phone, server, slug, lang):
    phone.goto(f"{server}/{slug}?lang={lang}")
    wait_idle(phone)
    assert phone.locator("[data-testid='stException']").count() == 0
    assert phone.locator("h1").first.inner_text().strip() == expected_title(slug, lang)
    w = phone.evaluate(WIDTHS)
    assert w["inner"] == 390 and w["doc"] <= 390 and w["main"] <= 390, w
    assert axe_problems(phone) == []
    # Each chart has its text alternative in the page's language: in the accessibility tree, not drawn.
    words = phone.evaluate("""() => [...document.querySelectorAll('.chart-words')].map(p => {
        const box = p.closest('[data-testid=stElementContainer]').getBoundingClientRect();
        return {text: p.textContent, w: box.width, h: box.height}; })""")
    assert len(words) == phone.locator(".js-plotly-plot").count()
    for w in words:
        assert w["text"].startswith(i18n.text(lang, "chart.titled", title="").split(":")[0]) and w["w"] <= 1 and w["h"] <= 1, w
    whole_page_screenshot(phone, f"phone-{slug}-{lang}")


def test_a_class_poll_is_one_tap_on_a_phone(browser, server):
    """The presenter (Streamlit's protocol, with the presenter cookie) opens lesson 2's poll; a student
    on a phone sees it and votes with one tap; the presenter's tally counts it; the student's reload
    still shows the vote; the voting view passes axe too."""
    def en(key, **kw):
        return i18n.text("en", key, **kw)

    teacher = Student(server, "degradation", cookies={"residual_lab_presenter": KEY})
    teacher.open()
    teacher.press(en("poll.open"))
    assert teacher.until(20, lambda s: s.shows(en("poll.open_presenter", votes=0)))
    ctx = browser.new_context(**PHONE)
    student = ctx.new_page()
    student.goto(f"{server}/degradation?lang=en")
    wait_idle(student)
    student.get_by_text(en("poll.open_student")).wait_for(timeout=30_000)
    assert axe_problems(student) == []
    assert student.evaluate(WIDTHS)["doc"] <= 390
    answer = en("predict.degradation.a_residual")
    student.get_by_role("button", name=answer).tap()
    student.get_by_text(en("poll.voted", answer=answer)).wait_for(timeout=30_000)
    assert teacher.until(20, lambda s: s.shows(en("poll.open_presenter", votes=1)))
    save_screenshot(student, "phone-poll-voted-en")
    student.reload()
    wait_idle(student)
    student.get_by_text(en("poll.voted", answer=answer)).wait_for(timeout=30_000)
    assert student.get_by_role("button", name=answer).count() == 0  # no second vote offered
    assert teacher.until(5, lambda s: s.shows(en("poll.open_presenter", votes=1)))
    assert not teacher.seen.exceptions
    teacher.close()
    ctx.close()
