"""Lesson 4: anatomy of a residual block: diagram, shapes, parameters and source of the real module."""

import streamlit as st

from core.lessons.anatomy import BlockSpec, inspect_block
from core.models.diagram import WORDS, describe, to_dot
from core.errors import CoreError
from core.reference import reference
from ui import controls
from ui.i18n import shape_str
from ui.shell import require_shell
from ui.text import dec, lesson_title, md, num, show_error, t
from ui.widgets import control, quiz

require_shell()

L = "anatomy"
P = controls.panel(L)


@st.cache_data(max_entries=256, show_spinner=False)
def report(spec: BlockSpec):
    return inspect_block(spec)


st.title(lesson_title(L))
md(L, "intro")

# --- The student's block -------------------------------------------------------------------------
c1, c2, c3 = st.columns(3)
kind, skip = control(c1, P["an_kind"]), control(c1, P["an_skip"])
shortcut = control(c2, P["an_shortcut"], disabled=not skip)
stride = control(c2, P["an_stride"])
inplanes, planes, size = control(c3, P["an_in"]), control(c3, P["an_planes"]), control(c3, P["an_size"])
if None in (inplanes, planes):  # the box says why
    st.stop()

spec = BlockSpec(kind, skip, shortcut, int(inplanes), int(planes), int(stride), int(size))
try:
    r = report(spec)
except CoreError as err:
    show_error(err)
    st.stop()

# --- Diagram and shapes, from the traced module ------------------------------------------------
st.subheader(t("anatomy.diagram_heading"))
left, right = st.columns([5, 6])
with left:
    skip_label = t(f"anatomy.edge_{r.shortcut_kind}") if r.shortcut_kind != "none" else ""
    words = {w: t(f"anatomy.word_{w}") for w in WORDS}
    st.graphviz_chart(to_dot(list(r.nodes), list(r.edges), skip_label=skip_label, words=words))
    st.caption(t("anatomy.diagram_caption"))
with right:
    rows = [
        {
            t("anatomy.col_step"): n.target if n.op == "module" else t(f"anatomy.op_{n.op}"),
            t("anatomy.col_detail"): describe(n.info, words),
            t("anatomy.col_shape"): shape_str(n.shape),
            t("anatomy.col_params"): num(n.params),
            t("anatomy.col_path"): "" if n.op != "module" else t(f"anatomy.path_{'skip' if n.on_shortcut else 'main'}"),
        }
        for n in r.nodes
    ]
    st.dataframe(rows, hide_index=True, width="stretch")
    m1, m2, m3 = st.columns(3)
    m1.metric(t("anatomy.m_params"), num(r.params))
    m2.metric(t("anatomy.m_shortcut"), num(r.shortcut_params))
    m3.metric(t("anatomy.m_out"), "×".join(map(str, r.out_shape[1:])), help=t("anatomy.m_out_help"))

# --- Why the block looks like this ----------------------------------------------------------------
share = 100 * r.shortcut_params / r.params if r.params else 0.0
if r.bias_before_bn == r.bias_params_saved:  # every conv feeds a BatchNorm (basic, bottleneck)
    md(L, "bias", bias=num(r.bias_params_saved), bn=num(r.bn_params), params=num(r.params))
else:  # pre-activation: only conv1 does
    md(L, "bias_preact", bias=num(r.bias_before_bn), other=num(r.bias_params_saved - r.bias_before_bn),
       bn=num(r.bn_params), params=num(r.params))
preact = reference()["preact"]
md(L, "relu", original=dec(preact["resnet1001_original"], 2), preact=dec(preact["resnet1001_preact"], 2))
md(L, "shortcuts")
if spec.skip:
    md(L, "shortcut_share", shortcut_params=num(r.shortcut_params), share=dec(share, 1))
else:
    md(L, "shortcut_none", params=num(r.params))
md(L, "shortcut_paper")
md(L, "pitfalls")
md(L, "passes")

st.subheader(t("anatomy.source_heading"))
st.caption(t("anatomy.source_caption", cls=r.source.split("(")[0].replace("class ", "")))
st.code(r.source, language="python", line_numbers=True, wrap_lines=True)  # no sideways scroll on a phone

quiz(L)
