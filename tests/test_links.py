"""Links that restore a lesson: every lesson's controls from the URL and back (AppTest), bad values
fall back to the defaults with a notice, the Lab's and lesson 2's runs attach to the server's jobs
without a new computation, and every chart carries the PNG button's name and language."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from hypothesis import given, settings
from hypothesis import strategies as st

from core.lessons.degradation import degradation_configs
from core.training.engine import MAX_SEED
from core.training.jobs import default_registry
from tests.apptest import APP
from ui import controls, i18n
from ui.controls import PANELS, Control, lab_config, lab_run, lab_run_text, run_config, run_text
from ui.path import LESSONS

SLUGS = [l.slug for l in LESSONS]


def open_with(slug: str, params: dict[str, str | list[str]], lang: str = "en") -> AppTest:
    """A fresh session opening ``/slug?lang=…&params`` (as a link does)."""
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["lang"] = lang
    at.run()
    for k, v in params.items():
        at.query_params[k] = v
    at.switch_page(f"pages/{slug}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def query(at: AppTest) -> dict:
    """The URL's parameters after the run: one value as a string, several as a list."""
    return dict(at.query_params)


def notices(at: AppTest, lang: str = "en") -> list[str]:
    head = i18n.text(lang, "link.invalid", items="").split(":")[0]
    return [w.value for w in at.warning if w.value.startswith(head)]


def other_value(c: Control):
    """A valid value other than the default, from the control's examples."""
    return next(v for v in c.examples() if v != c.default_for({}))


def session_live(at: AppTest, key: str) -> dict:
    """A session's live-training state under ``key`` (ui.training): its jobs and their run numbers."""
    return at.session_state[f"_live_{key}"] if f"_live_{key}" in at.session_state else {"jobs": [], "numbers": {}}


def test_every_lesson_declares_its_controls():
    assert set(SLUGS) <= set(PANELS), "declare the new lesson's controls in ui/controls.py PANELS"
    for slug, panel in PANELS.items():
        urls, keys = [c.url for c in panel.controls], [c.key for c in panel.controls]
        assert len(urls) == len(set(urls)) and len(keys) == len(set(keys)), slug
        assert all(u not in ("lang", "present") for u in urls)
        assert all(len(u) <= 5 and u.isascii() for u in urls), urls  # short, readable keys
        for c in panel.controls:
            assert c.accepts(c.default_for({})), (slug, c.key)  # the default is a value the widget holds


def values(c: Control):
    """Every value the control's widget accepts (hypothesis): the widget's whole range, not only its ends."""
    if c.kind == "number":
        return st.integers(c.low, c.high)
    if c.kind == "slider":
        return st.integers(0, (c.high - c.low) // c.step).map(lambda k: c.low + k * c.step)
    if c.kind in controls.CHOICES:
        return st.sampled_from(c.options)
    if c.kind == "toggle":
        return st.booleans()
    if c.kind == "multiselect":
        return st.lists(st.sampled_from(c.options), unique=True)
    return st.text(st.sampled_from("abcXYZ019" + controls.TEXT_CHARS), max_size=controls.TEXT_MAX)


ALL_CONTROLS = [c for p in PANELS.values() for c in p.controls]


@pytest.mark.parametrize("c", ALL_CONTROLS, ids=lambda c: c.key)
@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(data=st.data())
def test_any_value_a_widget_accepts_round_trips_through_a_link(c, data):
    value = data.draw(values(c))
    assert c.accepts(value)
    text = c.fmt(value)
    assert text.isascii() and "&" not in text and "#" not in text
    back = c.parse(text)
    assert (list(back) if isinstance(back, (list, tuple)) else back) == (list(value) if isinstance(value, (list, tuple))
                                                                         else value)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(data=st.data())
def test_any_lab_run_round_trips_through_a_link(data):
    """Every Lab run the page can train (any value of every control) comes back from its link."""
    fields = {c.key: data.draw(values(c), label=c.key) for c in controls.LAB_FIELDS.values()}
    cfg = lab_config(fields)
    assert run_config(run_text(cfg)) == cfg
    number = data.draw(st.integers(1, 999), label="number")
    assert lab_run(lab_run_text(number, cfg)) == (number, cfg)


@pytest.mark.parametrize("slug", SLUGS)
def test_defaults_agree_and_nothing_is_written(slug):
    """A page opened without parameters writes none: each widget's default is the table's."""
    at = open_with(slug, {})
    assert set(query(at)) == {"lang"}, query(at)
    assert not notices(at)


@pytest.mark.parametrize("slug", SLUGS)
def test_every_control_round_trips_through_the_url(slug):
    """Every control set from a link shows that value, and the URL keeps it (ranges agree)."""
    wanted = {c.url: other_value(c) for c in PANELS[slug].controls}
    at = open_with(slug, {c.url: c.fmt(wanted[c.url]) for c in PANELS[slug].controls})
    assert not notices(at), notices(at)
    for c in PANELS[slug].controls:
        state = {k: at.session_state[k] for k in ("fa_preset", "ki_corr") if k in at.session_state}
        key = c.widget_key(state)
        value = at.session_state[key]
        assert (list(value) if isinstance(value, (list, tuple)) else value) == wanted[c.url], (c.url, value)
        assert query(at).get(c.url) == c.fmt(wanted[c.url]), c.url


@pytest.mark.parametrize("lang", i18n.LANGS)
@pytest.mark.parametrize("slug", ["anatomy", "lab"])
def test_bad_values_fall_back_to_defaults_with_a_notice(slug, lang):
    params = {c.url: "zz!" for c in PANELS[slug].controls} | {"nope": "1"}
    at = open_with(slug, params, lang)
    shown = notices(at, lang)
    assert len(shown) == 1
    for name, value in params.items():
        assert f"`{name}={value}`" in shown[0]
    assert set(query(at)) == {"lang"}  # the bad values are gone from the URL
    for c in PANELS[slug].controls:
        key = c.widget_key({})
        assert key not in at.session_state or at.session_state[key] == c.default_for({}), c.url
    assert at.title[0].value.endswith(i18n.text(lang, f"{slug}.title"))


@pytest.mark.parametrize("slug", SLUGS)
def test_out_of_range_and_unknown_options_are_refused(slug):
    """Every parser refuses text no control could hold."""
    for c in PANELS[slug].controls:
        for text in ("", "99999999", "-1", "1.5e9", "abc", "nan", "4294967296"):
            try:
                value = c.parse(text)
            except ValueError:
                continue
            assert c.accepts(value), (slug, c.url, text)
            assert c.fmt(value) == text or c.url == "dir", (slug, c.url, text)  # only what it would write


def test_one_bad_value_keeps_the_good_ones():
    at = open_with("gradients", {"d": "120", "g": "3", "seed": "7", "act": "tanh"})
    assert notices(at) and "`g=3`" in notices(at)[0] and "d=120" not in notices(at)[0]
    assert at.slider(key="gr_depth").value == 120
    assert at.radio(key="gr_gain").value == "1"
    assert at.number_input(key="gr_seed").value == 7
    assert query(at) == {"lang": "en", "d": "120", "seed": "7", "act": "tanh"}


def test_a_change_is_written_and_a_default_removed():
    at = open_with("anatomy", {"k": "bottleneck"})
    at.number_input(key="an_in").set_value(128).run()
    assert query(at) == {"lang": "en", "k": "bottleneck", "in": "128"}
    at.radio(key="an_kind").set_value("basic").run()
    assert query(at) == {"lang": "en", "in": "128"}


def test_family_input_size_follows_its_preset():
    at = open_with("family", {"in": "imagenet", "sz": "160"})
    assert at.number_input(key="fa_sz_imagenet").value == 160
    assert query(at) == {"lang": "en", "in": "imagenet", "sz": "160"}


# ---- The Lab's runs in a link -------------------------------------------------------------------------


def test_lab_run_text_round_trips():
    cases = [controls.LAB_DEFAULT,
             lab_config({"lab_depth": 56, "lab_skip": False}),
             lab_config({"lab_data": "fashion_mnist", "lab_dir": "data/my_fashion~set", "lab_lr": 0.1, "lab_opt": "sgd"}),
             lab_config({"lab_width": 8, "lab_block": "preact", "lab_bn": False, "lab_shortcut": "C", "lab_wd": 0.0,
                         "lab_batch": 32, "lab_epochs": 12, "lab_seed": MAX_SEED})]
    for cfg in cases:
        text = run_text(cfg)
        assert run_config(text) == cfg, text
        assert all(c.isalnum() or c in "._-~/" for c in text), text  # nothing a URL has to escape but "/"
        assert lab_run(lab_run_text(4, cfg)) == (4, cfg)
    assert run_text(lab_config({"lab_depth": 56, "lab_skip": False})) == "d.56~sk.0"
    assert run_text(lab_config({"lab_seed": MAX_SEED})) == "seed.4294967295"  # the seed box's largest value
    for bad in ("", "x.1", "d.20~d.20", "lr.3", "sk.2", "d", "seed.4294967296", "d.111"):
        with pytest.raises(ValueError):
            run_config(bad)
    for bad in ("1~d.56", "n.0", "n.x~d.56", "n.2~d.111"):
        with pytest.raises(ValueError):
            lab_run(bad)


@pytest.fixture(scope="module")
def trained():
    """Small runs trained once on the process's registry (the one the pages use)."""
    reg = default_registry()
    lab = lab_config({"lab_depth": 8, "lab_epochs": 1, "lab_seed": MAX_SEED, "lab_data": "synthetic"})
    deg = degradation_configs(5151, (8, 14), 1)
    jobs = [reg.submit(c, "test-links") for c in [lab, *deg]]
    for j in jobs:
        assert j.wait(300)
        assert j.snapshot().status == "done"
    return reg, lab, deg


def test_lab_link_attaches_to_the_cached_run_and_starts_nothing(trained):
    reg, lab, _ = trained
    before = reg.computations
    absent = lab.replace(seed=4142)  # never trained: the link must not start it
    at = open_with("lab", {"d": "8", "e": "1", "seed": str(MAX_SEED), "data": "synthetic",
                           "run": [lab_run_text(3, lab), lab_run_text(4, absent)]})
    assert not notices(at)  # the largest seed the box takes is a valid link (it was refused past 2³¹ − 1)
    assert at.number_input(key="lab_seed").value == MAX_SEED
    jobs = session_live(at, "lab")["jobs"]
    assert [j.task for j in jobs] == [lab]
    assert jobs[0] is reg.submit(lab, "probe")  # the very job on the server
    assert reg.computations == before
    assert session_live(at, "lab")["numbers"] == {jobs[0].id: 3}  # the instructor's run number
    assert at.info and i18n.text("en", "link.runs_missing", n=1) in [i.value for i in at.info]
    assert query(at)["run"] == lab_run_text(3, lab)


def test_lesson2_link_attaches_to_all_runs_when_the_server_has_them(trained):
    reg, _, deg = trained
    before = reg.computations
    at = open_with("degradation", {"d": "8-14", "e": "1", "seed": "5151", "run": "1"}, "vi")
    assert [j.task for j in session_live(at, "degradation")["jobs"]] == deg
    assert reg.computations == before
    assert query(at) == {"lang": "vi", "d": "8-14", "e": "1", "seed": "5151", "run": "1"}
    assert at.dataframe  # the finished runs' table, without pressing Train
    # A seed the server has not trained: nothing starts, the student is told to press Train.
    at = open_with("degradation", {"d": "8-14", "e": "1", "seed": "5152", "run": "1"})
    assert not session_live(at, "degradation")["jobs"]
    assert reg.computations == before
    assert i18n.text("en", "link.runs_missing", n=4) in [i.value for i in at.info]
    assert "run" not in query(at)


# ---- Charts: the PNG button named and translated, on every chart ------------------------------------------


@pytest.mark.parametrize("lang", i18n.LANGS)
@pytest.mark.parametrize("slug", ["skip", "gradients", "batchnorm", "family"])
def test_every_chart_has_a_named_translated_png_button(slug, lang):
    at = open_with(slug, {}, lang)
    charts = at.get("plotly_chart")
    assert charts
    for c in charts:
        config = json.loads(c.proto.config)
        assert config["locale"] == lang and config["displaylogo"] is False
        assert config["toImageButtonOptions"]["format"] == "png"
        assert config["toImageButtonOptions"]["filename"].startswith(f"residual-lab-{slug}-")
        if lang == "vi":
            assert config["locales"]["vi"]["dictionary"]["Download plot as a PNG"] == "Tải biểu đồ về dạng PNG"


def test_pages_draw_charts_through_the_shell():
    """st.plotly_chart directly would lose the PNG button's name, its language and presenter type."""
    from pathlib import Path

    pages = Path(__file__).resolve().parent.parent / "pages"
    offenders = [p.name for p in pages.glob("*.py") if ".plotly_chart(" in p.read_text(encoding="utf-8")]
    assert not offenders, f"use ui.widgets.chart(container, fig, key=…) in {offenders}"
