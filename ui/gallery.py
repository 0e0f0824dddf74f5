"""The class gallery on the Lab: a student shares their finished runs under a nickname (one click:
the consent), everyone sees the class's curves and settings together, the presenter can hide a run.
The rules are the gallery's (core.classroom.gallery); names are escaped where they are drawn."""

from __future__ import annotations

import streamlit as st

from core.classroom import current
from core.classroom.gallery import NICK_MAX, display_name
from core.errors import CoreError

from . import training
from .figures.gallery import gallery_curves, gallery_parcoords
from .predict import voter
from .text import error_text, lang, presenter_key, t
from .widgets import chart

REFRESH_SECONDS = 2.0  # the presenter's gallery shows a new share within this


def section(key: str) -> None:
    """The gallery under the Lab's runs (``key``: the Lab's live key)."""
    st.subheader(t("gallery.heading"))
    st.caption(t("gallery.intro"))
    done = [s for s in training.snapshots(key) if s.status == "done"]
    c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
    nick = c1.text_input(t("gallery.nickname"), max_chars=NICK_MAX, key="gallery_nick", help=t("gallery.nickname_help"))
    if c2.button(t("gallery.share", runs=len(done)), key="gallery_share", icon=":material/group_add:",
                 disabled=not done or not nick.strip()):
        shared = [e for e in (current.gallery().share(voter(), nick, s) for s in done) if e is not None]
        st.success(t("gallery.shared", runs=len(shared), name=shared[0].nickname if shared else ""),
                   icon=":material/check_circle:")

    @st.fragment(run_every=REFRESH_SECONDS if presenter_key() else None)
    def view():
        gallery = current.gallery()
        entries = gallery.entries()
        if not entries:
            st.info(t("gallery.empty"), icon=":material/group:")
        else:
            draw(entries)
        if presenter_key():
            hide_controls(gallery)

    view()


def draw(entries) -> None:
    lang_ = lang()
    runs = [{"name": display_name(e), "skip": e.task.skip, "depth": e.task.depth, "width": e.task.width,
             "lr": e.task.lr, "batch": e.task.batch_size, "epochs": e.task.epochs, "bn": e.task.batchnorm,
             "steps": list(e.steps), "error": [100 * x for x in e.train_error], "final": 100 * e.final_train}
            for e in entries]
    key = ("gallery", current.gallery().version(), lang_)
    curves = training.shared(key + ("curves",), lambda: gallery_curves(
        runs, (t("gallery.plain"), t("gallery.residual")), t("lab.axis_step"), t("lab.axis_error"), lang_,
        t("gallery.depth")))
    chart(st, curves, key="gallery_curves")
    labels = {k: t(f"gallery.dim_{k}") for k in ("depth", "width", "lr", "batch", "epochs", "skip", "bn", "error",
                                                 "on", "off")}
    coords = training.shared(key + ("coords",), lambda: gallery_parcoords(runs, labels, lang_, t("gallery.coords_title")))
    chart(st, coords, key="gallery_coords")
    st.caption(t("gallery.summary", runs=len(entries), people=len({e.nickname for e in entries})))


def hide_controls(gallery) -> None:
    """The presenter's list: hide a run (a name that should not be on the projector), or show it again."""
    with st.expander(t("gallery.manage"), icon=":material/visibility_off:"):
        for e in gallery.entries(include_hidden=True):
            c1, c2 = st.columns([4, 1], vertical_alignment="center")
            c1.text(f"{e.nickname} · {'ResNet' if e.task.skip else 'Plain'}-{e.task.depth}")  # st.text: never markup
            if c2.button(t("gallery.show" if e.hidden else "gallery.hide"), key=f"gallery_hide_{e.id}"):
                try:
                    gallery.hide(presenter_key(), e.id, not e.hidden)
                except CoreError as err:
                    st.error(error_text(err))
                st.rerun(scope="fragment")
