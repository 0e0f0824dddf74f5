"""ui.figures.CachedFigure: a live chart shared by a class makes its dict once for every poll that
draws it, draws exactly as the plain figure does (through Streamlit's own plotly_chart), and a change
to the figure still reaches its dict."""

from __future__ import annotations

import json
import threading

import plotly.graph_objects as go
import plotly.io as pio
import pytest
from streamlit.testing.v1 import AppTest

from ui import training
from ui.figures import CachedFigure, cache_dict
from ui.figures.lab import runs_chart


def lab_figure() -> go.Figure:
    x = list(range(1, 301))
    return runs_chart({"plain #1": (x, [1 / k for k in x]), "residual #2": (x, [0.5 / k for k in x])}, "Loss", "step",
                      "loss", "en", log_y=True, dashed=("plain #1",))


def test_a_cached_figure_is_the_same_figure_and_copies_its_dict_once():
    fig = lab_figure()
    plain = pio.to_json(fig)
    same = cache_dict(fig)
    assert same is fig and isinstance(fig, CachedFigure)
    assert pio.to_json(fig) == plain
    assert fig.to_dict() is fig.to_dict()  # one deep copy for every caller
    assert cache_dict(fig) is fig


def test_every_change_reaches_the_dict():
    fig = cache_dict(lab_figure())
    fig.to_dict()
    changes = [lambda f: f.update_layout(height=500), lambda f: setattr(f.layout.title, "text", "Other"),
               lambda f: setattr(f.data[0], "y", [3.0] * 300), lambda f: f.update_traces(mode="lines+markers"),
               lambda f: f.add_trace(go.Scatter(x=[1, 2], y=[3, 4], name="third")),
               lambda f: setattr(f, "data", f.data[:2]), lambda f: f.add_hline(y=0.1)]
    for change in changes:
        before = fig.to_dict()
        change(fig)
        fresh = go.Figure(fig).to_dict()  # a plain copy made now: what the figure holds
        assert fig.to_dict() is not before
        assert json.loads(pio.to_json(fig.to_dict())) == json.loads(pio.to_json(fresh))


def test_shared_caches_figures_and_hands_other_values_back_unchanged():
    fig = training.shared(("test_cached_figure", 1), lab_figure)
    assert isinstance(fig, CachedFigure)
    assert training.shared(("test_cached_figure", 1), lab_figure) is fig
    value = {"a": 1}
    assert training.shared(("test_cached_figure", 2), lambda: value) is value


def _two_charts():
    import plotly.io as pio_  # noqa: F401 — AppTest runs this function's source on its own

    import streamlit as st

    from tests.test_cached_figure import lab_figure
    from ui.figures import cache_dict

    st.plotly_chart(lab_figure(), key="plain")
    cached = cache_dict(lab_figure())
    st.plotly_chart(cached, key="cached")
    st.plotly_chart(cached, key="again")


def test_streamlit_draws_a_cached_figure_as_the_plain_one():
    at = AppTest.from_function(_two_charts).run()
    assert not at.exception
    specs = [el.proto.spec for el in at.get("plotly_chart")]
    assert len(specs) == 3 and len(specs[0]) > 10_000
    assert specs[0] == specs[1] == specs[2]


def test_shared_builds_a_key_once_while_others_wait_for_it():
    """Sessions asking for a key that is being built get the builder's value; none builds it again."""
    key, started, release, calls = ("test_cached_figure", "single"), threading.Event(), threading.Event(), []

    def build():
        calls.append(threading.current_thread().name)
        started.set()
        release.wait(5)
        return {"built_by": threading.current_thread().name}

    got = {}
    first = threading.Thread(target=lambda: got.setdefault("first", training.shared(key, build)), name="first")
    first.start()
    assert started.wait(5)
    assert training.shared(("test_cached_figure", "other"), lambda: 7) == 7  # another key: not held up
    others = [threading.Thread(target=lambda i=i: got.setdefault(i, training.shared(key, build)), name=f"o{i}")
              for i in range(4)]
    for t in others:
        t.start()
    release.set()
    for t in [first, *others]:
        t.join(5)
    assert calls == ["first"]
    assert all(v is got["first"] for v in got.values()) and len(got) == 5


def test_shared_builds_again_after_a_failed_build():
    key = ("test_cached_figure", "fails-once")

    def boom():
        raise RuntimeError("no figure")

    with pytest.raises(RuntimeError):
        training.shared(key, boom)
    assert training.shared(key, lambda: "second") == "second"
    assert training.shared(key, boom) == "second"
