"""Links in real Chromium: a round trip on every lesson (both languages across the lessons), a bad
link's notice, and lesson 2's link attaching a student to the instructor's runs. Apart from
test_browser_classroom.py so that the suite's processes share the browser work evenly.
Screenshots: artifacts/screenshots/link-*.png."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser import save_screenshot
from tests.test_browser import wait_idle
from ui import i18n
from ui.path import LESSONS

pytestmark = pytest.mark.browser


def t(key: str, lang: str = "en", **kw) -> str:
    return i18n.text(lang, key, **kw)


shot = save_screenshot


def params(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


# ---- Links ---------------------------------------------------------------------------------------------

# Per lesson: number inputs to fill (label key → value) and switches to flip, and what the URL must then say.
EDITS = {
    "skip": ({"skip.seed": 7}, (), {"seed": "7"}),
    "degradation": ({"degradation.epochs": 3, "degradation.seed": 5}, (), {"e": "3", "seed": "5"}),
    "gradients": ({"gradients.seed": 4}, ("gradients.batchnorm",), {"seed": "4", "bn": "0"}),
    "anatomy": ({"anatomy.inplanes": 128}, ("anatomy.skip",), {"in": "128", "sk": "0"}),
    "batchnorm": ({"batchnorm.seed": 9}, (), {"seed": "9"}),
    "family": ({"family.c_basic": 128}, (), {"cb": "128"}),
    "lab": ({"lab.depth": 32, "lab.seed": 42}, ("lab.batchnorm",), {"d": "32", "seed": "42", "bn": "0"}),
    "why": ({"why.draws": 3}, (), {"k": "3"}),
    "kinds": ({"kinds.growth": 16}, (), {"k": "16"}),
}


def test_every_lesson_round_trips_through_its_link(browser, server_url):
    assert set(EDITS) >= {l.slug for l in LESSONS}, "add the new lesson to EDITS"
    teacher = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    student_ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    for slug, (numbers, switches, expected) in EDITS.items():
        lang = "vi" if slug in ("gradients", "family") else "en"  # both languages, the way classes use them
        teacher.goto(f"{server_url}/{slug}?lang={lang}")
        wait_idle(teacher)
        for key, value in numbers.items():
            box = teacher.get_by_label(t(key, lang), exact=True)
            box.fill(str(value))
            box.press("Enter")
            wait_idle(teacher)
        for key in switches:
            exact = re.compile("^" + re.escape(t(key, lang)) + "$")
            teacher.locator("[data-testid='stMain'] label").filter(has_text=exact).first.click()
            wait_idle(teacher)
        link = teacher.url
        assert params(link) == {"lang": lang, **expected}, (slug, link)
        student = student_ctx.new_page()
        student.goto(link)
        wait_idle(student)
        assert student.locator("[data-testid='stException']").count() == 0
        for key, value in numbers.items():  # (a deep link's first run hands over to app.py: wait for it)
            expect(student.get_by_label(t(key, lang), exact=True)).to_have_value(str(value), timeout=60_000)
        for key in switches:
            expect(student.get_by_label(t(key, lang), exact=True)).not_to_be_checked(timeout=30_000)
        assert params(student.url) == params(link)
        shot(student, f"link-{slug}-{lang}")
        student.close()
    # The sidebar's "Link to this view" shows the same link, ready to copy.
    teacher.locator("[data-testid='stSidebar']").get_by_text(t("link.copy"), exact=True).click()
    code = teacher.locator("[data-testid='stPopoverBody'] code, [data-testid='stPopoverBody'] pre").first.inner_text()
    assert params(code.strip()) == params(teacher.url)
    assert "present=" not in code
    student_ctx.close()
    teacher.context.close()


def test_a_bad_link_shows_the_defaults_and_a_notice(page, server_url):
    page.goto(f"{server_url}/anatomy?lang=vi&in=99999&k=foo&sk=1&zz=1")
    wait_idle(page)
    assert page.locator("[data-testid='stException']").count() == 0
    alert = page.locator("[data-testid='stAlert']").first
    alert.wait_for(timeout=60_000)
    notice = alert.inner_text()
    assert t("link.invalid", "vi", items="").split(":")[0] in notice
    for item in ("in=99999", "k=foo", "zz=1"):
        assert item in notice
    assert "sk=1" not in notice  # a valid value (the default) is not a complaint
    expect(page.get_by_label(t("anatomy.inplanes", "vi"), exact=True)).to_have_value("64")
    page.wait_for_function("() => !/in=|k=|zz=/.test(location.search)")
    assert params(page.url) == {"lang": "vi"}
    shot(page, "link-bad-vi")


def test_lesson2_link_attaches_the_class_to_the_same_runs(browser, server_url):
    """The instructor trains; a student opening the link sees those runs at once (same job: the
    same wall-clock times in the table, which a second computation could not reproduce)."""
    teacher = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    teacher.goto(f"{server_url}/degradation?lang=en&e=1&seed=31")
    wait_idle(teacher)
    teacher.get_by_role("button", name=t("degradation.train", n=6), exact=True).click()
    teacher.locator("[data-testid='stDataFrame']").first.wait_for(timeout=180_000)
    teacher.wait_for_function("() => location.search.includes('run=1')", timeout=30_000)
    teacher.get_by_text(re.compile(r"^" + re.escape(t("live.progress", pct=100)))).wait_for(timeout=180_000)
    wait_idle(teacher)
    link = teacher.url
    assert params(link) == {"lang": "en", "e": "1", "seed": "31", "run": "1"}
    table = teacher.locator("[data-testid='stDataFrame']").first.inner_text()
    student = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    student.goto(link)
    wait_idle(student)
    student.locator("[data-testid='stDataFrame']").first.wait_for(timeout=30_000)
    wait_idle(student)
    assert student.locator("[data-testid='stDataFrame']").first.inner_text() == table
    assert student.get_by_role("button", name=t("link.csv"), exact=True).count() == 1
    shot(student, "link-degradation-runs-en")
    student.context.close()
    teacher.context.close()
