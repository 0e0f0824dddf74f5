"""Issue 13 in real Chromium, as a student hits it: a page URL two levels deep, a 300-character folder
name, numbers typed into the Lab's boxes and Enter pressed. Screenshots in artifacts/screenshots/."""

from __future__ import annotations

import pytest

from tests.test_browser import IDLE, expected_title, screenshot, wait_idle
from ui import i18n

pytestmark = pytest.mark.browser


def main_text(page) -> str:
    return page.locator("[data-testid='stMain']").inner_text()


def alerts(page) -> list[str]:
    return [a.inner_text().strip() for a in page.locator("[data-testid='stAlertContentError'] [data-testid='stMarkdownContainer']").all()]


@pytest.mark.parametrize("path, slug", [("/lab/extra", "lab"), ("/anatomy/a/b", "anatomy"), ("/lab/", "lab")])
def test_a_path_two_levels_deep_opens_the_page(page, server_url, path, slug):
    """Item 3: /lab/extra was an empty white page that never became ready (its scripts were
    answered with HTML)."""
    page.goto(f"{server_url}{path}?lang=en")
    page.wait_for_selector(IDLE, timeout=30_000)
    wait_idle(page)
    assert page.locator("h1").first.inner_text().strip() == expected_title(slug, "en")
    assert page.url.endswith(f"/{slug}?lang=en")
    assert page.locator("[data-testid='stException']").count() == 0


def test_an_unknown_nested_path_gets_the_home_page(page, server_url):
    page.goto(f"{server_url}/no/such/page?lang=vi")
    page.wait_for_selector(IDLE, timeout=30_000)
    wait_idle(page)
    assert page.locator("h1").first.inner_text().strip() == expected_title("home", "vi")


ERRORS = "[data-testid='stAlertContentError']"


def type_into(page, label: str, text: str, errors: int | None = None) -> None:
    """Type ``text`` and press Enter; with ``errors``, wait (≤ 15 s) until that many error boxes show:
    the rerun may not have started yet when the page first reads as idle."""
    box = page.get_by_label(label, exact=True)
    box.fill(text)
    box.press("Enter")
    if errors is not None:
        page.wait_for_function(f"() => document.querySelectorAll(\"{ERRORS}\").length === {errors}", timeout=15_000)
    wait_idle(page)


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_lab_folder_too_long_says_why_and_the_page_goes_on(page, server_url, lang):
    t = lambda key, **kw: i18n.text(lang, key, **kw)  # noqa: E731
    page.goto(f"{server_url}/lab?lang={lang}")
    wait_idle(page)
    train = page.get_by_role("button", name=t("lab.train"), exact=True)

    # Item 1: MNIST, a folder name of 300 characters, Enter.
    page.locator("[data-testid='stRadio']").get_by_text(t("lab.dataset_mnist"), exact=True).click()
    wait_idle(page)
    type_into(page, t("lab.data_dir"), "d" * 300, errors=1)
    assert page.locator("[data-testid='stException']").count() == 0
    assert alerts(page) == [t("error.data_path.too_long", path="d" * 59 + "…" + "d" * 59, dataset="MNIST")]
    assert train.is_disabled()
    assert t("lab.quiz.q1.question") in main_text(page)  # the page is drawn to the end
    screenshot(page, f"harden-lab-folder-{lang}")
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.locator("[data-testid='stRadio']").get_by_text(t("lab.dataset_digits"), exact=True).click()
    wait_idle(page)
    assert not alerts(page) and train.is_enabled()


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_lab_numbers_typed_out_of_range_say_why_and_disable_train(page, server_url, lang):
    """Item 2: Depth 7, 1e9, Epochs 0, Seed −1 and 10³⁰ were refused by the browser with an English
    tooltip while Train stayed enabled and trained the last valid value."""
    t = lambda key, **kw: i18n.text(lang, key, **kw)  # noqa: E731
    page.goto(f"{server_url}/lab?lang={lang}")
    wait_idle(page)
    train = page.get_by_role("button", name=t("lab.train"), exact=True)
    for field, text in (("depth", "7"), ("depth", "1e9"), ("epochs", "0"), ("seed", "-1"),
                        ("seed", "1" + "0" * 30), ("epochs", "2.5")):
        type_into(page, t(f"lab.{field}"), text, errors=1)
        shown = alerts(page)
        assert len(shown) == 1 and shown[0].startswith(t(f"lab.field_{field}")), (field, text, shown)
        assert train.is_disabled(), (field, text)
        if (field, text) == ("depth", "7"):
            screenshot(page, f"harden-lab-depth-{lang}")
            page.set_viewport_size({"width": 1400, "height": 1000})
        type_into(page, t(f"lab.{field}"), {"depth": "20", "epochs": "5", "seed": "0"}[field], errors=0)
        assert not alerts(page) and train.is_enabled(), (field, text)
