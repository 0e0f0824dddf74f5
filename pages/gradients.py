"""Lesson 3: gradient flow through plain and residual stacks, measured with autograd."""

import streamlit as st

from core.lessons import readings
from core.lessons.gradflow import StackConfig, compare_grad_norms, jacobian_check, jacobian_products, training_configs
from core.lessons.predictions import judge_gradients
from core.training.data import load_dataset
from ui import controls, predict, training
from ui.controls import GAINS
from ui.figures import PLAIN, RESIDUAL, heatmap, line_chart
from ui.shell import require_shell
from ui.text import dec, lang, lesson_title, md, num, sci, t
from ui.widgets import chart, control, quiz

require_shell()
L = "gradients"
P = controls.panel(L)
BATCH = 128  # digits in the batch the initial gradients are measured on


@st.cache_data(max_entries=128, show_spinner=False)
def stack(depth: int, gain: str, activation: str):
    return jacobian_products(StackConfig(depth=depth, gain=GAINS[gain], activation=activation))


@st.cache_data(max_entries=16, show_spinner=False)
def init_norms(depth: int, batchnorm: bool):
    d = load_dataset("digits")  # loaded once per process by core.training.data
    return compare_grad_norms(depth, d.x_train[:BATCH], d.y_train[:BATCH], batchnorm=batchnorm)


@st.cache_data(max_entries=16, show_spinner=False)
def jacobians(kind: str, seed: int):
    return jacobian_check(kind, width=4 if kind == "preact" else 6, side=2, seed=seed)


st.title(lesson_title(L))
md(L, "intro")

# --- A deep stack: the gradient that reaches each depth -------------------------------------------
st.subheader(t("gradients.stack_heading"))
c1, c2, c3 = st.columns(3)
depth, gain, act = control(c1, P["gr_depth"]), control(c2, P["gr_gain"]), control(c3, P["gr_act"])
s = stack(depth, gain, act)
levels = list(range(depth + 1))
chart(st, line_chart(
    {t("gradients.plain"): (levels, s.plain_grad), t("gradients.residual"): (levels, s.residual_grad),
     t("gradients.plain_bound"): (levels, s.plain_bound), t("gradients.residual_bound"): (levels, s.residual_bound)},
    t("gradients.stack_chart"), t("gradients.layer_axis"), t("gradients.norm_axis"), lang(), log_y=True,
    dashed=(t("gradients.plain_bound"), t("gradients.residual_bound")),
    colors={t("gradients.plain"): PLAIN, t("gradients.plain_bound"): PLAIN,
            t("gradients.residual"): RESIDUAL, t("gradients.residual_bound"): RESIDUAL},
), width="stretch", key="gr_stack_chart")
m1, m2, m3 = st.columns(3)
m1.metric(t("gradients.m_plain"), sci(s.plain_grad[0], 2))
m2.metric(t("gradients.m_residual"), sci(s.residual_grad[0], 2))
m3.metric(t("gradients.m_sigma"), f"{sci(s.plain_singular[0], 1)} / {sci(s.residual_singular[0], 1)}",
          help=t("gradients.m_sigma_help"))
reach = {k: t(f"gradients.reach_{readings.change(v)}", factor=num(int(readings.FACTOR)))
         for k, v in (("plain", s.plain_grad[0]), ("residual", s.residual_grad[0]))}
md(L, "stack", depth=depth, plain=sci(s.plain_grad[0], 2), residual=sci(s.residual_grad[0], 2),
   plain_bound=sci(s.plain_bound[0], 2), residual_bound=sci(s.residual_bound[0], 2), alpha=dec(s.alpha, 3),
   plain_reading=reach["plain"], residual_reading=reach["residual"])
md(L, "residual_math")

# --- Autograd check: ∂y/∂x − ∂F/∂x = I -------------------------------------------------------------
st.subheader(t("gradients.check_heading"))
k1, k2 = st.columns(2)
kind, seed = control(k1, P["gr_kind"]), control(k2, P["gr_seed"])
if seed is None:  # the box says why
    st.stop()
j = jacobians(kind, int(seed))
cols = st.columns(3)
for col, z, part in zip(cols, (j.jac_y, j.jac_F, j.difference), ("jac_y", "jac_F", "difference")):
    chart(col, heatmap(z, t(f"gradients.{part}"), lang(), text=len(z) <= 8, height=300), key=f"gr_{part}")
st.caption(t("gradients.check_result", n=len(j.x), dev=sci(j.max_deviation, 1), norm=dec(j.jac_F_norm, 3)))

# --- Real networks at initialisation --------------------------------------------------------------
st.subheader(t("gradients.nets_heading"))
n1, n2 = st.columns(2)
net_depth, bn = control(n1, P["gr_net_depth"]), control(n2, P["gr_bn"])
with st.spinner(t("gradients.computing")):
    g = init_norms(int(net_depth), bn)
units = list(g.names)
chart(st, line_chart(
    {t("gradients.plain"): (units, g.plain), t("gradients.residual"): (units, g.residual)},
    t("gradients.nets_chart", depth=net_depth), t("gradients.unit_axis"), t("gradients.wnorm_axis"), lang(),
    log_y=True, colors={t("gradients.plain"): PLAIN, t("gradients.residual"): RESIDUAL},
), width="stretch", key="gr_nets_chart")
md(L, "nets", depth=net_depth, batch=BATCH, plain_ratio=sci(g.plain_early_late, 1), residual_ratio=sci(g.residual_early_late, 1),
   plain_spread=sci(g.plain_spread, 1), residual_spread=sci(g.residual_spread, 1),
   plain_direction=t(f"gradients.dir_{readings.direction(g.plain_early_late)}"))

# --- While training ---------------------------------------------------------------------------------
st.subheader(t("gradients.train_heading"))
md(L, "training")
predict.ask("gradients", key=L, starts={"gr_train": lambda: training_configs(net_depth, bn)}, depth=net_depth)
b1, b2 = st.columns([1, 1])
training.run_buttons(b1, b2, L, t("gradients.train", depth=net_depth), lambda: training_configs(net_depth, bn),
                     t("gradients.stop"), start_key="gr_train", stop_key="gr_stop")


def name(snap) -> str:
    return t("gradients.residual" if snap.task.skip else "gradients.plain")


def draw(snaps):
    series, over_time = {}, {}
    training.status_lines(snaps, name)
    for snap in snaps:
        if snap.info is None or not snap.steps:
            continue
        first, last = snap.steps[0], snap.steps[-1]
        series[t("gradients.at_step", name=name(snap), step=num(first.step))] = (snap.info.layers, first.grad_norms)
        series[t("gradients.at_step", name=name(snap), step=num(last.step))] = (snap.info.layers, last.grad_norms)
        over_time[name(snap)] = ([r.step for r in snap.steps], [r.grad_norms[0] for r in snap.steps])
    if series:
        firsts = [k for i, k in enumerate(series) if i % 2 == 0]
        chart(st, line_chart(series, t("gradients.train_chart"), t("gradients.unit_axis"),
                                   t("gradients.wnorm_axis"), lang(), log_y=True, dashed=tuple(firsts)),
                        width="stretch", key="gr_train_chart")
        chart(st, line_chart(over_time, t("gradients.conv1_chart"), t("gradients.step_axis"),
                                   t("gradients.wnorm_axis"), lang(), log_y=True,
                                   colors={t("gradients.plain"): PLAIN, t("gradients.residual"): RESIDUAL}),
                        width="stretch", key="gr_conv1_chart")
    predict.reveal("gradients", judge_gradients(snaps))


training.live(L, draw)
quiz(L)
