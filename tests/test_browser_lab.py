"""The Lab in real Chromium: Train makes the curve grow live, the run survives a language switch and
a page switch, the CSV download holds the chart's records. Screenshots in artifacts/screenshots/."""

from __future__ import annotations

import csv
import io
import json
import time

import pytest

from tests.test_browser import screenshot, wait_idle
from ui import i18n

pytestmark = pytest.mark.browser

POINTS = "() => { const p = document.querySelector('.js-plotly-plot'); return p && p.data ? p.data.map(d => d.x.length) : []; }"


def points(page) -> list[int]:
    return page.evaluate(POINTS)


def set_number(page, label: str, value: int) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")
    wait_idle(page)


def watch(page, seconds: float) -> list[tuple[float, int]]:
    """(time, points of the first line) at every change seen, sampling every 50 ms."""
    seen, t0 = [], time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        n = (points(page) or [0])[0]
        if n == 0 and seen:  # read while Plotly swapped in the redrawn chart: no data yet, skip it
            page.wait_for_timeout(50)
            continue
        if not seen or n != seen[-1][1]:
            seen.append((time.perf_counter() - t0, n))
        page.wait_for_timeout(50)
    return seen


def test_train_grows_the_curve_live_and_keeps_the_run(page, server_url):
    t = lambda key, lang="en", **kw: i18n.text(lang, key, **kw)  # noqa: E731
    page.goto(f"{server_url}/lab?lang=en")
    wait_idle(page)
    set_number(page, t("lab.epochs"), 40)  # ResNet-20, 480 steps: long enough to watch
    set_number(page, t("lab.seed"), 4242)
    clicked = time.perf_counter()
    page.get_by_role("button", name=t("lab.train"), exact=True).click()
    page.wait_for_function(f"({POINTS})().some(n => n > 0)", timeout=60_000)
    first_point = time.perf_counter() - clicked
    seen = watch(page, 4.0)
    counts = [n for _, n in seen]
    assert counts == sorted(counts) and counts[-1] > counts[0], seen  # the curve grows between reads
    gaps = [b[0] - a[0] for a, b in zip(seen, seen[1:])]
    print(f"\nfirst point after {first_point:.2f} s; {len(gaps)} redraws in 4 s, median gap "
          f"{sorted(gaps)[len(gaps) // 2]:.2f} s, points {counts[0]} → {counts[-1]}")
    progress = page.locator("[data-testid='stProgress']").inner_text()
    assert page.get_by_text(t("lab.status_running"), exact=True).count() == 1  # the run's status
    screenshot(page, "lab-training-en")
    assert page.locator("[data-testid='stException']").count() == 0

    # Switch the language while it trains: the run is still there, named in Vietnamese, and still growing.
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.locator("[data-testid='stSidebar']").get_by_text(i18n.LANG_NAMES["vi"], exact=True).click()
    page.wait_for_function("() => document.querySelector('h1') && document.querySelector('h1').innerText.startsWith('9. P')")
    page.wait_for_function(f"({POINTS})().some(n => n > {counts[-1]})", timeout=30_000)
    page.get_by_text(t("lab.status_running", "vi"), exact=True).wait_for(timeout=30_000)
    wait_idle(page)
    # The rerun in the new language replaces the page piece by piece: wait until it has reached the
    # run list (drawn by the polling fragment) and the quiz at the bottom, instead of reading once.
    wanted = json.dumps(["#1 ResNet-20", t("lab.quiz.q1.question", "vi")])
    page.wait_for_function(
        f"() => {wanted}.every(s => document.querySelector(\"[data-testid='stMain']\").innerText.includes(s))",
        timeout=30_000,
    )
    main = page.locator("[data-testid='stMain']")
    assert "#1 ResNet-20" in main.inner_text() and t("lab.quiz.q1.question", "vi") in main.inner_text()
    assert page.locator("[data-testid='stProgress']").inner_text() != progress
    screenshot(page, "lab-training-vi")

    # Go to another lesson and come back: the run is listed and has moved on.
    page.set_viewport_size({"width": 1400, "height": 1000})
    before = points(page)[0]
    page.locator("[data-testid='stSidebarNav'] a", has_text=i18n.text("vi", "home.title")).click()
    heading = i18n.text("vi", "home.heading")
    page.wait_for_function(f"() => document.querySelector('h1') && document.querySelector('h1').innerText.trim() === '{heading}'")
    wait_idle(page)
    page.wait_for_timeout(1500)
    page.locator("[data-testid='stSidebarNav'] a", has_text=i18n.text("vi", "lab.title")).click()
    page.wait_for_url("**/lab**")
    page.wait_for_function(f"({POINTS})().some(n => n > {before})", timeout=30_000)
    assert "#1 ResNet-20" in page.locator("[data-testid='stMain']").inner_text()

    # Stop it; the curve stays, and the CSV download holds exactly the chart's records.
    page.get_by_role("button", name=t("lab.stop", "vi"), exact=True).click()
    page.wait_for_function("() => document.body.innerText.includes('" + t("lab.status_stopped", "vi") + "')")
    wait_idle(page)
    shown = points(page)[0]
    with page.expect_download() as download:
        page.get_by_role("button", name=t("lab.csv", "vi")).click()
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    steps = [r for r in rows if r["record"] == "step"]
    assert len(steps) == shown and steps[-1]["status"] == "stopped" and steps[0]["depth"] == "20"
    assert len({r["run"] for r in rows}) == 1 and int(steps[-1]["step"]) == len(steps)  # log_every = 1
    screenshot(page, "lab-stopped-vi")
