"""Issue 13 in real Chromium, as a student hits it: a page URL two levels deep, a 300-character folder
name, numbers typed into the Lab's boxes and Enter pressed. Screenshots in artifacts/screenshots/."""

from __future__ import annotations

from pathlib import Path

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


def csv_runs(page, label: str) -> dict[str, str]:
    """Click the CSV button and read the file: each run's name → its last status."""
    import csv
    import io

    from playwright.sync_api import Error

    for attempt in range(2):
        with page.expect_download(timeout=30_000) as download:
            page.get_by_role("button", name=label).click()
        try:
            path = download.value.path()
            break
        except Error as e:
            # A whole-page rerun (a run of the pair finishing) gives the button a new file id, and a
            # click that still held the old one fails until the browser has the new one (Streamlit's
            # MediaFileManager.remove_deferred says so): a student clicks again, so does this test.
            # A button that never delivers still fails here.
            if attempt or "canceled" not in str(e):
                raise
            page.wait_for_timeout(1500)
    rows = list(csv.DictReader(io.StringIO(Path(path).read_text(encoding="utf-8"))))
    return {r["run"]: r["status"] for r in rows}


def test_two_tabs_and_ten_students_watch_one_pair_to_the_end_and_the_csv_downloads(browser, server_url):
    """Items 4 and 7: with ten students watching, "Download the metrics (CSV)" delivered no file
    (the server logged "Deferred file … not found"); tab B of the same browser, opening tab A's link,
    saw the runs finish while tab A's chart never reached "done" and held duplicated charts."""
    from bench.streamlit_client import Student

    t = lambda key, **kw: i18n.text("en", key, **kw)  # noqa: E731
    done = t("lab.status_done")
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    a = ctx.new_page()
    a.goto(f"{server_url}/lab?lang=en")
    wait_idle(a)
    for label, value in ((t("lab.epochs"), "12"), (t("lab.seed"), "4343")):  # about 10 s: long enough to watch
        type_into(a, label, value)
    students = [Student(server_url, "lab") for _ in range(10)]
    try:
        for s in students:
            s.open()
            s.set_number("Epochs", 12)
            s.set_number("Seed", 4343)
        a.get_by_role("button", name=t("lab.pair"), exact=True).click()
        a.wait_for_function("() => location.search.includes('run=')", timeout=30_000)
        for s in students:
            s.press(t("lab.pair"))
        b = ctx.new_page()  # the same browser, a second tab, on tab A's link
        b.goto(a.url)
        wait_idle(b)
        # During training, under the students' polling, the CSV arrives with both runs in it.
        during = csv_runs(a, t("lab.csv"))
        assert len(during) == 2 and "running" in during.values(), during
        for s in students:
            s.watch(120, ":green[" + done + "]", 2)
        for tab in (a, b):
            tab.wait_for_function(f"() => document.body.innerText.split({done!r}).length - 1 >= 2", timeout=60_000)
            wait_idle(tab)
        assert all(s.seen.done is not None for s in students), [s.seen for s in students]
        assert sum(len(s.seen.exceptions) for s in students) == 0
        # Both tabs show the same page: the same charts, none duplicated, each run once.
        charts = {tab: tab.locator("[data-testid='stMain'] .js-plotly-plot").count() for tab in (a, b)}
        assert charts[a] == charts[b] >= 1, charts
        for tab in (a, b):
            names = tab.evaluate("() => document.querySelector('.js-plotly-plot').data.map(d => d.name)")
            assert len(names) == len(set(names)) == 2, names
            assert tab.locator("[data-testid='stException']").count() == 0
        after = csv_runs(a, t("lab.csv"))
        assert sorted(after) == sorted(during) and set(after.values()) == {"done"}, after
        assert set(csv_runs(b, t("lab.csv")).values()) == {"done"}
        screenshot(a, "harden-two-tabs-a-en")
    finally:
        for s in students:
            s.close()
        ctx.close()


def type_in_cell(page, grid, down: int, right: int, text: str) -> None:
    """Select the grid's first cell, move with the arrow keys, open the cell with Enter, replace its
    text and commit with Enter, as a student does from the keyboard."""
    grid.scroll_into_view_if_needed()
    page.wait_for_timeout(500)  # the grid is drawn on a canvas once it is in view
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 60, box["y"] + 52)  # the first cell (past a row marker), below the header
    for key in ["ArrowDown"] * down + ["ArrowRight"] * right + ["Enter"]:  # Enter opens the cell's editor
        page.wait_for_timeout(300)
        page.keyboard.press(key)
    page.wait_for_timeout(500)
    page.keyboard.press("Control+A")
    page.keyboard.type(text, delay=30)
    page.wait_for_timeout(300)
    page.keyboard.press("Enter")


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_a_grid_cell_that_is_not_a_number_is_named_not_read_as_another(page, server_url, lang):
    """Item 6: the worked example's grid turned "1e309" into 1309 and "x1" into 1 without a word."""
    page.goto(f"{server_url}/skip?lang={lang}")
    wait_idle(page)
    w1 = page.locator("[data-testid='stDataFrame']").nth(1)  # x, W₁, b₁, W₂, b₂
    tex = "() => [...document.querySelectorAll('annotation')].map(a => a.textContent).join(' ')"
    assert "-0{,}50" in page.evaluate(tex) if lang == "vi" else "-0.50" in page.evaluate(tex)  # z₁ of the defaults
    for text in ("1e309", "x1"):
        type_in_cell(page, w1, 1, 0, text)
        page.wait_for_function(f"() => document.body.innerText.includes('“{text}”')", timeout=15_000)
        wait_idle(page)
        assert alerts(page) == [i18n.text(lang, "error.bad_cell", name="W₁", row=2, column=1, text=text,
                                          limit="1.000.000" if lang == "vi" else "1,000,000")]
        if text == "1e309":
            screenshot(page, f"harden-grid-cell-{lang}")
            page.set_viewport_size({"width": 1280, "height": 900})
    # A number in the page's own decimal mark is read as that number: z₁[2] = 2.5·1 + 1·2 − 1 = 3.5.
    type_in_cell(page, w1, 1, 0, "2,5" if lang == "vi" else "2.5")
    page.wait_for_function(f"() => ({tex})().includes('{'3{,}50' if lang == 'vi' else '3.50'}')", timeout=15_000)
    wait_idle(page)
    assert not alerts(page) and page.locator("[data-testid='stException']").count() == 0


def test_the_family_pages_1x1_table_names_a_bad_cell_and_the_page_goes_on(page, server_url):
    """The same grid on lesson 6: "x1" was read as 1; a bad matrix stopped the page before the
    family table."""
    t = lambda key, **kw: i18n.text("en", key, **kw)  # noqa: E731
    page.goto(f"{server_url}/family?lang=en")
    wait_idle(page)
    grid = page.locator("[data-testid='stDataFrame']", has_text=t("family.in_col", i=1))
    type_in_cell(page, grid, 0, 1, "x1")
    page.wait_for_function("() => document.body.innerText.includes('“x1”')", timeout=15_000)
    wait_idle(page)
    assert alerts(page) == [t("error.bad_cell", name=t("family.matrix_name"), row=1, column=2, text="x1",
                              limit="1,000,000")]
    assert t("family.table_heading") in main_text(page) and "ResNet-152" in main_text(page)
    type_in_cell(page, grid, 0, 1, "0.25")
    page.wait_for_function("() => !document.body.innerText.includes('“x1”')", timeout=15_000)
    wait_idle(page)
    assert not alerts(page) and page.locator("[data-testid='stException']").count() == 0
