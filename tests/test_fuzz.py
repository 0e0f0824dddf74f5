"""Property-based fuzz (hypothesis) through AppTest: any query string on any page, and any value in
(or out of) every number box's range, with the sliders, toggles and text boxes anywhere in theirs,
never raises; a number a box cannot run is refused with a message naming the box.

Kept cheap for CI: a few examples per page (deadline off: a page run trains small nets), one
AppTest per page for the widget fuzz, derandomized so a run is reproducible.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.training.jobs import default_registry
from tests.apptest import APP, open_page
from ui import shell
from ui.path import LESSONS

PAGES = ["home"] + [lesson.slug for lesson in LESSONS]
NASTY = ["<script>alert(1)</script>", "../../etc/passwd", "x" * 10_000, "", "vi", "en", "xx", "VI", "%00", "1e309",
         "-1", "NaN", "a\nb", "ü̈", "🔗", "' OR 1=1 --", "{lang}", "{{x}}", "\u202e"]
FUZZ = settings(max_examples=4, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

query_values = st.one_of(st.sampled_from(NASTY), st.text(max_size=40))


@pytest.fixture(autouse=True, scope="module")
def no_leftover_jobs():
    default_registry().shutdown()
    yield
    default_registry().shutdown()


def widget_keys(at) -> list[str]:
    keys, stack = [], [at._tree]
    while stack:
        node = stack.pop()
        if getattr(node, "key", None):
            keys.append(node.key)
        stack.extend(getattr(node, "children", {}).values())
    return keys


_PAGE_KEYS: dict[str, list[str]] = {}


def page_keys(slug: str) -> list[str]:
    if slug not in _PAGE_KEYS:
        _PAGE_KEYS[slug] = widget_keys(open_page(slug, "en"))
    return _PAGE_KEYS[slug]


@pytest.mark.parametrize("slug", PAGES)
@FUZZ
@given(data=st.data())
def test_any_query_string_opens_the_page(slug, data):
    from streamlit.testing.v1 import AppTest

    keys = st.one_of(st.sampled_from(["lang", *page_keys(slug)]), st.text(min_size=1, max_size=20))
    params = data.draw(st.dictionaries(keys, query_values, max_size=5), label="query")
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    if slug != "home":
        at.switch_page(f"pages/{slug}.py")
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title and at.session_state["_lang"] in ("vi", "en")


# Numbers as a class types them: whole or not, tiny, huge, negative, the edges of each box's range.
def typed_numbers(low: int, high: int):
    return st.one_of(
        st.integers(low - 3, high + 3), st.integers(-(10**12), 10**12),
        st.floats(-1e30, 1e30, allow_nan=False, allow_infinity=False), st.sampled_from([low, high, 0.5, 1e9, -0.0]),
    )


_SESSIONS: dict[str, object] = {}


@pytest.mark.parametrize("slug", [s for s in PAGES if s != "home"])
@FUZZ
@given(data=st.data())
def test_any_widget_value_runs_or_is_refused_with_a_message(slug, data):
    if slug not in _SESSIONS:
        _SESSIONS[slug] = open_page(slug, data.draw(st.sampled_from(["vi", "en"]), label="lang"))
    at = _SESSIONS[slug]
    typed = {}
    for box in at.number_input:
        if box.key in shell.NUMBER_BOUNDS:
            low, high, name = shell.NUMBER_BOUNDS[box.key]
            typed[box.key] = (name, data.draw(typed_numbers(low, high), label=box.key))
            box.set_value(typed[box.key][1])
    for slider in at.slider:
        slider.set_value(data.draw(st.integers(int(slider.min), int(slider.max)), label=slider.key))
    for toggle in at.toggle:
        toggle.set_value(data.draw(st.booleans(), label=toggle.key))
    for box in at.text_input:
        box.input(data.draw(query_values, label=box.key))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = [e.value for e in at.error]
    for key, (name, value) in typed.items():
        if key not in [b.key for b in at.number_input]:
            continue  # a box further down that an earlier refusal stopped the page before
        low, high, _ = shell.NUMBER_BOUNDS[key]
        whole = math.isfinite(value) and float(value).is_integer() and low <= value <= high
        named = [m for m in shown if m.startswith(name)]
        assert bool(named) != whole, (key, value, shown)
