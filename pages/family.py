"""Lesson 6: bottleneck channel math, the 1×1 convolution, and the ResNet family computed live."""

import numpy as np
import streamlit as st

from core.lessons.channels import conv1x1_demo
from core.errors import CoreError
from core.reference import reference
from core.models.resnet import FAMILY, ResNet
from core.models.summary import block_cost, summarize_family
from ui import controls
from ui.controls import FAMILY_PRESETS
from ui.figures import grouped_bars, heatmap
from ui.i18n import shape_str
from ui.shell import require_shell
from ui.text import big, dec, error_text, lang, lesson_title, md, num, sci, show_error, t
from ui.widgets import chart, control, number_table, quiz

require_shell()

L = "family"
P = controls.panel(L)


@st.cache_data(max_entries=256, show_spinner=False)
def costs(c_basic: int, width: int, size: int):
    return block_cost("basic", c_basic, c_basic, size), block_cost("bottleneck", 4 * width, width, size)


@st.cache_data(max_entries=128, show_spinner=False)
def family_summary(name: str, size: int, channels: int, classes: int):
    return summarize_family(name, size, channels, classes)


st.title(lesson_title(L))
md(L, "intro")

# --- Basic vs bottleneck, by formula and by the real module ----------------------------------------
st.subheader(t("family.calc_heading"))
c1, c2, c3 = st.columns(3)
c_basic, width, size = control(c1, P["fa_cb"]), control(c2, P["fa_w"]), control(c3, P["fa_size"])
if None in (c_basic, width):  # the box says why
    st.stop()
basic, bneck = costs(int(c_basic), int(width), int(size))
md(L, "formula")


def cost_rows(bc):
    return [
        {
            t("family.col_layer"): lc.name,
            t("family.col_kernel"): f"{lc.kernel}×{lc.kernel}" if lc.kernel else "BN",
            t("family.col_channels"): f"{lc.c_in} → {lc.c_out}",
            t("family.col_params"): num(lc.params),
            t("family.col_macs"): num(lc.macs),
        }
        for lc in bc.layers
    ]


left, right = st.columns(2)
for col, bc, name in ((left, basic, "basic"), (right, bneck, "bottleneck")):
    with col:
        st.markdown(f"**{t(f'family.{name}_name')}** · {shape_str(bc.in_shape)} → {shape_str(bc.out_shape)}")
        st.dataframe(cost_rows(bc), hide_index=True, width="stretch")
        agree = bc.formula_params == bc.module_params and bc.formula_macs == bc.module_macs
        st.caption(t("family.agree" if agree else "family.disagree", params=num(bc.module_params),
                     macs=num(bc.module_macs)))
ratio_p = bneck.module_params / basic.module_params
ratio_m = bneck.module_macs / max(basic.module_macs, 1)
chart(st,
    grouped_bars([t("family.params"), t("family.macs")],
                 {t("family.basic_name"): [basic.module_params, basic.module_macs],
                  t("family.bottleneck_name"): [bneck.module_params, bneck.module_macs]},
                 t("family.chart_blocks"), t("family.chart_count"), lang(), log_y=True),
    width="stretch", key="fa_blocks_chart",
)
pixels = int(size) ** 2  # output pixels of every conv of both blocks (stride 1, padding keeps the map)
md(L, "compare", in_basic=num(int(c_basic)), in_bneck=num(4 * int(width)), ratio_p=dec(ratio_p), ratio_m=dec(ratio_m),
   side=int(size), pixels=num(pixels), pixels9=num(9 * pixels))

# --- 1×1 convolution on real numbers ---------------------------------------------------------------
st.subheader(t("family.one_heading"))
md(L, "one_by_one")
weights, typo = number_table(st, [[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]], [t("family.in_col", i=i) for i in (1, 2, 3)],
                             key="fa_w1x1", name=t("family.matrix_name"), num_rows="dynamic", width="content")
try:
    if typo:
        raise typo
    demo = conv1x1_demo(weights.astype(np.float32))
except CoreError as err:  # the rest of the page (the family table) is drawn all the same
    st.error(error_text(err) if err is typo else t("family.bad_matrix"), icon=":material/error:")
else:
    for planes, label in ((demo.x, "family.in_channel"), (demo.conv_out, "family.out_channel")):
        cols = st.columns(max(len(demo.x), len(demo.conv_out)))
        for i, plane in enumerate(planes):
            chart(cols[i], heatmap(plane, t(label, i=i + 1), lang(), height=200), key=f"{label}{i}")
    st.caption(t("family.one_check", diff=sci(demo.max_diff, 1), params=num(demo.params), macs=num(demo.macs)))

# --- The family, computed from the real models ---------------------------------------------------
st.subheader(t("family.table_heading"))
md(L, "architecture")
ref = reference()["imagenet"]
rows, params, macs = [], [], []
for name, m in FAMILY.items():
    s = family_summary(name, 224, 3, 1000)
    params.append(s.params)
    macs.append(s.macs)
    rows.append({
        t("family.col_model"): name.replace("resnet", "ResNet-"),
        t("family.col_blocks"): str(list(m.layers)),
        t("family.col_block"): t(f"family.{m.block}_name"),
        t("family.col_params_live"): num(s.params),
        t("family.col_gmacs_live"): dec(s.macs / 1e9, 3),
        t("family.col_paper"): dec(ref[name]["paper_gflops"], 1),
        t("family.col_tv"): dec(ref[name]["torchvision_gflops"], 3),
    })
st.dataframe(rows, hide_index=True, width="stretch")
st.caption(t("family.table_caption", source=ref["source"]))
names = [n.replace("resnet", "ResNet-") for n in FAMILY]
chart(st, grouped_bars(names, {t("family.params_m"): [p / 1e6 for p in params],
                                     t("family.gmacs"): [m / 1e9 for m in macs]},
                             t("family.chart_family"), "", lang()), width="stretch", key="fa_family_chart")

# --- Stage by stage, for the input the student picks ---------------------------------------------
st.subheader(t("family.stages_heading"))
p1, p2, p3, p4 = st.columns(4)
model, preset = control(p1, P["fa_model"]), control(p2, P["fa_preset"])
sz, ch = control(p3, P["fa_sz_{fa_preset}"]), control(p4, P["fa_ch_{fa_preset}"])
classes = FAMILY_PRESETS[preset][2]
if None in (sz, ch):  # the box says why
    st.stop()
try:
    s = family_summary(model, int(sz), int(ch), classes)
except CoreError as err:
    show_error(err)
    st.stop()
st.dataframe(
    [{t("family.col_stage"): t(f"family.stage_{r['stage']}"), t("family.col_units"): r["units"],
      t("family.col_out"): shape_str(r["out_shape"]), t("family.col_params"): num(r["params"]),
      t("family.col_macs"): big(r["macs"])} for r in s.stages()],
    hide_index=True, width="stretch",
)
st.caption(t("family.stages_total", params=num(s.params), macs=big(s.macs)))
stem = {c: family_summary("resnet18", 224, c, 1000).rows[0].params for c in (1, 3)}  # conv1 weights
md(L, "grayscale", stem1=num(stem[1]), stem3=num(stem[3]), min_side=ResNet.min_input)

quiz(L)
