"""Lesson 5: BatchNorm statistics by hand next to nn.BatchNorm2d: μ_B, σ²_B, γ, β, ε, running statistics, train vs eval."""

from dataclasses import replace

import numpy as np
import streamlit as st

from core.lessons.bnstats import BatchSpec, batchnorm_eval, batchnorm_train, bias_cancels, make_batch, running_stats, small_batch_spread
from core.errors import CoreError
from ui import controls
from ui.controls import BN_MEAN_MAX, BN_STD_MIN
from ui.figures import PALETTE, histograms, line_chart
from ui.shell import require_shell
from ui.text import dec, lesson_title, md, num, sci, show_error, t, lang
from ui.widgets import chart, control, quiz

require_shell()

L = "batchnorm"
P = controls.panel(L)
TRIALS = 200  # batches drawn per batch size for the small-batch charts


@st.cache_data(max_entries=128, show_spinner=False)
def train_step(spec: BatchSpec, gamma: float, beta: float, eps: float):
    return batchnorm_train(make_batch(spec), gamma, beta, eps)


@st.cache_data(max_entries=64, show_spinner=False)
def trace(spec: BatchSpec, steps: int, momentum: float | None):
    return running_stats(spec, steps, momentum)


@st.cache_data(max_entries=64, show_spinner=False)
def eval_step(spec: BatchSpec, mean: tuple, var: tuple, gamma: float, beta: float, eps: float):
    return batchnorm_eval(make_batch(spec), mean, var, gamma, beta, eps)


@st.cache_data(max_entries=32, show_spinner=False)
def spread(spec: BatchSpec):
    return small_batch_spread(spec, trials=TRIALS)


def per_channel(values) -> str:
    return "; ".join(dec(float(v), 3) for v in values)


st.title(lesson_title(L))
md(L, "intro")

# --- The student's batch (N, C, H, W) --------------------------------------------------------------
st.subheader(t("batchnorm.batch_heading"))
md(L, "batch")
b = st.columns(4)
n, size = control(b[0], P["bn_n"]), control(b[1], P["bn_size"])
channels, seed = control(b[2], P["bn_channels"]), control(b[3], P["bn_seed"])
if seed is None:  # the box says why
    st.stop()
cc = st.columns(4)
means, stds = [], []
for c in range(channels):
    cc[c].markdown(f"**{t('batchnorm.channel', c=c + 1)}**")
    means.append(control(cc[c], P[f"bn_mean_{c}"]))
    stds.append(control(cc[c], P[f"bn_std_{c}"]))
spec = BatchSpec(n, channels, size, size, tuple(means), tuple(stds), int(seed))
names = [t("batchnorm.channel", c=c + 1) for c in range(channels)]

# --- Train mode: statistics by hand next to nn.BatchNorm2d ----------------------------------------
st.subheader(t("batchnorm.train_heading"))
p = st.columns(3)
gamma, beta, eps = control(p[0], P["bn_gamma"]), control(p[1], P["bn_beta"]), control(p[2], P["bn_eps"])
r = train_err = None
try:
    r = train_step(spec, gamma, beta, eps)
except CoreError as err:  # N·H·W = 1: train mode has no batch statistics
    train_err = err
    show_error(err)
if r is not None:
    x_hat_var = r.x_hat.var(axis=(0, 2, 3))
    st.dataframe([
        {t("batchnorm.col_channel"): names[c], "m = N·H·W": num(r.count),
         t("batchnorm.col_mean"): dec(r.mean[c], 4), t("batchnorm.col_mean_torch"): dec(r.torch_mean[c], 4),
         t("batchnorm.col_var"): dec(r.var_biased[c], 4), t("batchnorm.col_var_u"): dec(r.var_unbiased[c], 4),
         t("batchnorm.col_var_torch"): dec(r.torch_var_unbiased[c], 4), t("batchnorm.col_xhat_var"): dec(x_hat_var[c], 4)}
        for c in range(channels)
    ], hide_index=True, width="stretch")
    st.metric(t("batchnorm.m_diff"), sci(r.max_diff), help=t("batchnorm.m_diff_help"))
    h1, h2 = st.columns(2)
    chart(h1, histograms({names[c]: r.x[:, c].ravel() for c in range(channels)}, t("batchnorm.hist_before"),
                               t("batchnorm.value"), lang()), width="stretch", key="bn_hist_x")
    chart(h2, histograms({names[c]: r.y[:, c].ravel() for c in range(channels)}, t("batchnorm.hist_after"),
                               t("batchnorm.value"), lang()), width="stretch", key="bn_hist_y")
    md(L, "precision", diff=sci(r.max_diff), mean_max=dec(BN_MEAN_MAX, 0), std_min=dec(BN_STD_MIN, 1))
    md(L, "eps", eps=sci(eps, 0), var=dec(r.var_biased[0], 4), var_hat=dec(x_hat_var[0], 4))
    md(L, "unbiased", m=num(r.count), m1=num(r.count - 1), var_b=dec(r.var_biased[0], 4),
       var_u=dec(r.var_unbiased[0], 4), var_torch=dec(r.torch_var_unbiased[0], 4), ratio=dec(r.count / (r.count - 1), 4))

# --- Running statistics, and what eval mode does with them -----------------------------------------
st.subheader(t("batchnorm.running_heading"))
md(L, "running")
q = st.columns(3)
mom, train_n, batches = control(q[0], P["bn_momentum"]), control(q[1], P["bn_train_n"]), control(q[2], P["bn_batches"])
momentum = None if mom == "none" else float(mom)
tr = trace(replace(spec, n=train_n), batches, momentum)
steps = np.arange(batches + 1)  # 0: PyTorch's starting values (mean 0, variance 1)
for col, kind, curve, pop in zip(st.columns(2), ("mean", "var"), (tr.torch_mean, tr.torch_var),
                                 (tr.population_mean, tr.population_var)):
    series, colors, dashed = {}, {}, []
    for c in range(channels):
        run_name, pop_name = t(f"batchnorm.running_{kind}_c", c=c + 1), t("batchnorm.population_c", c=c + 1)
        series[run_name], series[pop_name] = (steps, curve[:, c]), ((0, batches), (pop[c], pop[c]))
        colors[run_name] = colors[pop_name] = PALETTE[c]
        dashed.append(pop_name)
    chart(col, line_chart(series, t(f"batchnorm.chart_{kind}"), t("batchnorm.batch_no"), t(f"batchnorm.axis_{kind}"),
                                lang(), dashed=tuple(dashed), colors=colors), width="stretch", key=f"bn_run_{kind}")
st.caption(t("batchnorm.running_check", mean=sci(tr.max_diff_mean), var=sci(tr.max_diff_var),
             tracked=num(tr.num_batches_tracked)))

mode = control(st, P["bn_mode"])
ev = eval_step(spec, tuple(tr.torch_mean[-1]), tuple(tr.torch_var[-1]), gamma, beta, eps)
if mode == "train" and train_err is not None:
    show_error(train_err)
else:
    used = (tr.torch_mean[-1], tr.torch_var[-1], ev.max_diff) if mode == "eval" else (r.mean, r.var_biased, r.max_diff)
    st.dataframe([{t("batchnorm.col_channel"): names[c], t("batchnorm.col_used_mean"): dec(used[0][c], 4),
                   t("batchnorm.col_used_var"): dec(used[1][c], 4), t("batchnorm.col_pop_mean"): dec(tr.population_mean[c], 4),
                   t("batchnorm.col_pop_var"): dec(tr.population_var[c], 4)} for c in range(channels)],
                 hide_index=True, width="stretch")
    e = st.columns(2)
    e[0].metric(t(f"batchnorm.m_{mode}_diff"), sci(used[2]), help=t(f"batchnorm.m_{mode}_diff_help"))
    e[1].metric(t("batchnorm.m_gap"), "—" if np.isnan(ev.train_eval_gap) else dec(ev.train_eval_gap, 4),
                help=t("batchnorm.m_gap_help"))
if mode == "eval":
    md(L, "eval", mean=per_channel(tr.torch_mean[-1]), var=per_channel(tr.torch_var[-1]),
       pop_mean=per_channel(tr.population_mean), pop_var=per_channel(tr.population_var))
else:
    md(L, "train_mode")

# --- Small batches: noisy statistics ---------------------------------------------------------------
st.subheader(t("batchnorm.small_heading"))
with st.spinner(t("batchnorm.sampling")):
    s = spread(spec)
sizes = s.batch_sizes
s1, s2 = st.columns(2)
series, colors, dashed = {}, {}, []
for c in range(channels):
    meas, theo = t("batchnorm.measured_c", c=c + 1), t("batchnorm.theory_c", c=c + 1)
    series[meas], series[theo] = (sizes, s.mean_std[:, c]), (sizes, s.mean_std_theory[:, c])
    colors[meas] = colors[theo] = PALETTE[c]
    dashed.append(theo)
chart(s1, line_chart(series, t("batchnorm.chart_spread"), t("batchnorm.batch_size"), t("batchnorm.axis_spread"),
                           lang(), log_x=True, log_y=True, dashed=tuple(dashed), markers=tuple(k for k in series if k not in dashed),
                           colors=colors, x_ticks=sizes, y_dtick="D2"), width="stretch", key="bn_spread")
vars_ = {t("batchnorm.var_biased"): (sizes, s.var_avg_biased[:, 0]), t("batchnorm.var_unbiased"): (sizes, s.var_avg_unbiased[:, 0]),
         t("batchnorm.var_population"): (sizes, np.full(len(sizes), s.population_var[0]))}
chart(s2, line_chart(vars_, t("batchnorm.chart_var_avg"), t("batchnorm.batch_size"), t("batchnorm.axis_var"), lang(),
                           log_x=True, dashed=(t("batchnorm.var_population"),), x_ticks=sizes), width="stretch", key="bn_var_avg")
m1 = int(s.count[0])  # values per channel in the smallest batch
md(L, "small", n1=num(sizes[0]), spread1=dec(s.mean_std[0, 0], 3), n2=num(sizes[-1]), spread2=dec(s.mean_std[-1, 0], 3),
   m1=num(m1), factor=dec((m1 - 1) / m1, 2), trials=num(TRIALS), ratio=dec(s.var_avg_biased[0, 0] / s.population_var[0], 2))

# --- Why the convolution before BN needs no bias ---------------------------------------------------
st.subheader(t("batchnorm.bias_heading"))
shift = control(st, P["bn_shift"])
if r is not None:
    moved = bias_cancels(r.x, shift, gamma, beta, eps)
    md(L, "bias", shift=dec(shift, 1), diff=sci(moved), diff_reading=t(f"batchnorm.diff_{'exact' if moved == 0 else 'rounding'}"))
    st.page_link("pages/anatomy.py", label=t("batchnorm.anatomy_link", lesson=lesson_title("anatomy")), icon=":material/account_tree:")
md(L, "purpose")
st.page_link("pages/gradients.py", label=t("batchnorm.gradients_link", lesson=lesson_title("gradients")), icon=":material/trending_down:")

quiz(L)
