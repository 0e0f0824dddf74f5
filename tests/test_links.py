"""Links that restore a lesson: every lesson's controls from the URL and back (AppTest), bad values
fall back to the defaults with a notice, the Lab's and lesson 2's runs attach to the server's jobs
without a new computation, and every chart carries the PNG button's name and language."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from core.lessons.degradation import degradation_configs
from core.training.jobs import default_registry
from tests.apptest import APP
from ui import i18n, links
from ui.path import LESSONS
from ui.urlstate import Param

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


def other_value(p: Param):
    """A valid value other than the default, from the Param's examples."""
    return next(v for v in p.examples if v != p.default_for({}))


def test_every_lesson_has_its_controls_in_links():
    assert set(SLUGS) <= set(links.PARAMS), "add the new lesson's controls to ui/links.py PARAMS"
    for slug, params in links.PARAMS.items():
        urls = [p.url for p in params]
        assert len(urls) == len(set(urls)), slug
        assert all(u not in ("lang", "present") for u in urls)
        assert all(len(u) <= 5 and u.isascii() for u in urls), urls  # short, readable keys


@pytest.mark.parametrize("slug", SLUGS)
def test_defaults_agree_and_nothing_is_written(slug):
    """A page opened without parameters writes none: each widget's default is the table's."""
    at = open_with(slug, {})
    assert set(query(at)) == {"lang"}, query(at)
    assert not notices(at)


@pytest.mark.parametrize("slug", SLUGS)
def test_every_control_round_trips_through_the_url(slug):
    """Every control set from a link shows that value, and the URL keeps it (ranges agree)."""
    wanted = {p.url: other_value(p) for p in links.PARAMS[slug]}
    at = open_with(slug, {p.url: p.fmt(wanted[p.url]) for p in links.PARAMS[slug]})
    assert not notices(at), notices(at)
    for p in links.PARAMS[slug]:
        state = {k: at.session_state[k] for k in ("fa_preset",) if k in at.session_state}
        key = p.widget_key(state)
        value = at.session_state[key]
        assert (list(value) if isinstance(value, (list, tuple)) else value) == wanted[p.url], (p.url, value)
        assert query(at).get(p.url) == p.fmt(wanted[p.url]), p.url


@pytest.mark.parametrize("lang", i18n.LANGS)
@pytest.mark.parametrize("slug", ["anatomy", "lab"])
def test_bad_values_fall_back_to_defaults_with_a_notice(slug, lang):
    params = {p.url: "zz!" for p in links.PARAMS[slug]} | {"nope": "1"}
    at = open_with(slug, params, lang)
    shown = notices(at, lang)
    assert len(shown) == 1
    for name, value in params.items():
        assert f"`{name}={value}`" in shown[0]
    assert set(query(at)) == {"lang"}  # the bad values are gone from the URL
    for p in links.PARAMS[slug]:
        key = p.widget_key({})
        assert key not in at.session_state or at.session_state[key] == p.default_for({}), p.url
    assert at.title[0].value.endswith(i18n.text(lang, f"{slug}.title"))


@pytest.mark.parametrize("slug", SLUGS)
def test_out_of_range_and_unknown_options_are_refused(slug):
    """Every parser refuses text no control could hold."""
    for p in links.PARAMS[slug]:
        for text in ("", "99999999", "-1", "1.5e9", "abc", "nan"):
            try:
                value = p.parse(text)
            except ValueError:
                continue
            assert p.fmt(value) == text or p.url == "dir", (slug, p.url, text)  # only what it would write


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
    cases = [links.LAB_DEFAULT,
             links.lab_config(depth=56, skip=False),
             links.lab_config(dataset="fashion_mnist", data_dir="data/my_fashion~set", lr=0.1, optimizer="sgd"),
             links.lab_config(width=8, block="preact", batchnorm=False, shortcut="C", weight_decay=0.0,
                              batch_size=32, epochs=12, seed=123456)]
    for cfg in cases:
        text = links.run_text(cfg)
        assert links.run_config(text) == cfg, text
        assert all(c.isalnum() or c in "._-~/" for c in text), text  # nothing a URL has to escape but "/"
        assert links.lab_run(links.lab_run_text(4, cfg)) == (4, cfg)
    assert links.run_text(links.lab_config(depth=56, skip=False)) == "d.56~sk.0"
    for bad in ("", "d.9", "x.1", "d.20~d.20", "lr.3", "sk.2", "d"):
        with pytest.raises(ValueError):
            links.run_config(bad)
    for bad in ("1~d.56", "n.0", "n.x~d.56", "n.2~d.9"):
        with pytest.raises(ValueError):
            links.lab_run(bad)


@pytest.fixture(scope="module")
def trained():
    """Small runs trained once on the process's registry (the one the pages use)."""
    reg = default_registry()
    lab = links.lab_config(depth=8, epochs=1, seed=4141, dataset="synthetic")
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
    at = open_with("lab", {"d": "8", "e": "1", "seed": "4141", "data": "synthetic",
                           "run": [links.lab_run_text(3, lab), links.lab_run_text(4, absent)]})
    jobs = at.session_state["_jobs_lab"]
    assert [j.task for j in jobs] == [lab]
    assert jobs[0] is reg.submit(lab, "probe")  # the very job on the server
    assert reg.computations == before
    assert at.session_state["_lab_numbers"] == {jobs[0].id: 3}  # the instructor's run number
    assert at.info and i18n.text("en", "link.runs_missing", n=1) in [i.value for i in at.info]
    assert query(at)["run"] == links.lab_run_text(3, lab)


def test_lesson2_link_attaches_to_all_runs_when_the_server_has_them(trained):
    reg, _, deg = trained
    before = reg.computations
    at = open_with("degradation", {"d": "8-14", "e": "1", "seed": "5151", "run": "1"}, "vi")
    assert [j.task for j in at.session_state["_jobs_degradation"]] == deg
    assert reg.computations == before
    assert query(at) == {"lang": "vi", "d": "8-14", "e": "1", "seed": "5151", "run": "1"}
    assert at.dataframe  # the finished runs' table, without pressing Train
    # A seed the server has not trained: nothing starts, the student is told to press Train.
    at = open_with("degradation", {"d": "8-14", "e": "1", "seed": "5152", "run": "1"})
    assert not at.session_state["_jobs_degradation"] if "_jobs_degradation" in at.session_state else True
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
    assert not offenders, f"use ui.shell.chart(container, fig, key=…) in {offenders}"
