"""Lesson 7: kinds of skip connections: add vs concatenate, gated and scaled skips, long skips."""

import streamlit as st

from core.errors import CoreError
from core.lessons.kinds import (CONCAT_DEPTH, GATE_DEPTH, DenoiseTask, DenseReuseTask, cifar_dense_params,
                                concat_configs, decimals, gate_configs, gate_lean, gate_start, growth, imagenet_pair,
                                long_reading, reuse_moved, stage_costs, trend)
from core.lessons.predictions import judge_long_skips
from core.reference import reference
from ui import claims, controls, predict, runs, training
from ui.figures import line_chart
from ui.figures.kinds import digit_grid, identity_rows, reuse_heatmaps
from ui.shell import require_shell
from ui.text import big, dec, lang, lesson_title, md, num, section, show_error, t
from ui.widgets import chart, control, quiz

require_shell()
L = "kinds"
P = controls.panel(L)
REF = reference()
st.title(lesson_title(L))
md(L, "intro")


def name(snap) -> str:
    return runs.net_name(runs.train_config(snap), lang())


def curves(snaps, key: str, title: str, metric: str = "train_error", names=name) -> None:
    pct = 100 if metric == "train_error" else 1
    series = {names(s): ([r.step for r in s.steps], [pct * getattr(r, metric) for r in s.steps]) for s in snaps}
    y, log = t("kinds.axis_error" if metric == "train_error" else "kinds.axis_loss"), metric == "loss"
    fig = training.shared((key, training.versions(snaps), lang()), lambda: line_chart(  # once for every watcher
        series, title, t("kinds.axis_step"), y, lang(), log_y=log, y_dtick="D2" if log else None))
    chart(st, fig, key=key)


def train_buttons(key: str, label: str, tasks, disabled: bool = False) -> None:
    b1, b2 = st.columns([2, 1])
    training.run_buttons(b1, b2, key, label, tasks, t("kinds.stop"), start_key=f"ki_{key}", stop_key=f"ki_{key}_stop",
                         disabled=disabled)


# --- 1. Add vs concatenate ------------------------------------------------------------------------
st.header(t("kinds.concat_heading"))
md(L, "concat")
c1, c2, c3 = st.columns(3)
k0, k, n_layers = control(c1, P["ki_k0"]), control(c2, P["ki_k"]), control(c3, P["ki_layers"])
g = res_cost = None
try:
    g = growth(k0, k, n_layers) if None not in (k0, k, n_layers) else None  # None: a box says why
    res_cost, dense_cost = stage_costs(k0, k, n_layers) if g else (None, None)
except CoreError as err:
    show_error(err)
if g and res_cost:
    (left, right), xs = st.columns(2), list(g.layers)
    chart(left, line_chart(
        {t("kinds.series_add"): (xs, g.add), t("kinds.series_concat"): (xs, g.concat),
         t("kinds.series_measured"): (xs, g.measured)}, t("kinds.chart_channels"), t("kinds.axis_layer"),
        t("kinds.axis_channels"), lang(), dashed=(t("kinds.series_add"),), markers=(t("kinds.series_measured"),),
        height=340), width="stretch", key="ki_growth_chart")
    right.dataframe([{t("kinds.col_stage"): t(row, n=num(int(n_layers)), k=num(int(k))),
                      t("kinds.col_params"): num(c.params), t("kinds.col_macs"): num(c.macs),
                      t("kinds.col_out"): num(c.out_channels)}
                     for row, c in (("kinds.row_res", res_cost), ("kinds.row_dense", dense_cost))],
                    hide_index=True, width="stretch")
    cost = dense_cost.params / res_cost.params  # fewer, about as many or more parameters: three sentences
    md(L, "concat_numbers", last=num(g.measured[-2]), out=num(g.measured[-1]), k0=num(int(k0)),
       cost=section(L, f"concat_{trend(cost)}", ratio=dec(cost, 2), side=num(8), k=num(int(k)), k0=num(int(k0)),
                    n=num(int(n_layers))))

dn, pair = REF["densenet"], imagenet_pair()
t1 = t2 = st.container()
t1.dataframe([{t("kinds.col_model"): m, t("kinds.col_params_live"): num(cifar_dense_params(d, kk, bc)),
               t("kinds.col_params_paper"): f"{dec(pm, 1)} M",
    t("kinds.col_c10"): f"{dec(e, 2)} %", t("kinds.col_c10p"): f"{dec(ep, 2)} %"}
    for m, d, kk, bc, pm, e, ep in zip(dn["models"], dn["depth"], dn["growth"], dn["bc"], dn["paper_params_m"],
                                       dn["c10"], dn["c10_plus"])], hide_index=True, width="stretch")
t1.caption(t("kinds.quoted_c10", source=dn["source"]))
t2.dataframe([{t("kinds.col_model"): m, t("kinds.col_params_live"): num(pair[key].params),
               t("kinds.col_gmacs"): big(pair[key].macs),
               t("kinds.col_top1"): f"{dec(dn[key]['top1'], 3 if key == 'densenet121' else 2)} %"}
              for m, key in (("DenseNet-121", "densenet121"), ("ResNet-50", "resnet50"))],
             hide_index=True, width="stretch")
t2.caption(t("kinds.quoted_top1", densenet=dn["densenet121"]["source"], resnet=dn["resnet50"]["source"]))
md(L, "imagenet", ratio_p=dec(pair["resnet50"].params / pair["densenet121"].params, 1),
   ratio_m=dec(pair["resnet50"].macs / pair["densenet121"].macs, 1), top1_dense=dec(dn["densenet121"]["top1"], 3),
   top1_res=dec(dn["resnet50"]["top1"], 2))

st.subheader(t("kinds.live_concat"))
md(L, "concat_live", depth=num(CONCAT_DEPTH))
seed1 = control(st, P["ki_seed1"])
plain_cfg, res_cfg, dense_cfg = concat_configs(seed1 or 0)
train_buttons("kinds_concat", t("kinds.train_concat"), lambda: [plain_cfg, res_cfg, DenseReuseTask(dense_cfg)],
              seed1 is None)


def draw_concat(snaps):
    curves(snaps, "ki_concat_chart", t("kinds.chart_concat"))
    training.status_lines(snaps, name)
    done = [s for s in snaps if s.status == "done" and s.epochs]
    if done:
        st.dataframe([{t("kinds.col_net"): name(s), t("kinds.col_params"): num(s.info.params),
                       t("kinds.col_train"): f"{dec(100 * s.epochs[-1].train_error, 1)} %",
                       t("kinds.col_test"): f"{dec(100 * s.epochs[-1].test_error, 1)} %",
                       t("kinds.col_time"): f"{dec(s.elapsed, 1)} s"} for s in done], hide_index=True, width="stretch")
    maps = next((s.result for s in snaps if s.result is not None), None)
    if maps is None:
        st.info(t("kinds.reuse_wait"))
        return
    n = len(maps.blocks)
    src = lambda s: t("kinds.src_input") if s == 0 else t("kinds.src_layer", s=s)  # noqa: E731
    tgt = lambda r, rows: t("kinds.tgt_layer", r=r + 1) if r < rows - 1 else t("kinds.tgt_after")  # noqa: E731
    chart(st, reuse_heatmaps(maps.blocks, [t("kinds.block", i=i + 1) for i in range(n)], t("kinds.axis_source"),
                                   t("kinds.axis_target"), src, tgt, t("kinds.chart_reuse"), lang()),
                    width="stretch", key="ki_reuse")
    change = maps.largest_change()
    md(L, "reuse", moved=section(L, f"reuse_{reuse_moved(change)}", change=dec(100 * change, 0)))


training.live("kinds_concat", draw_concat)
claims.line("ordering")

# --- 2. Gated and scaled skips --------------------------------------------------------------------
st.header(t("kinds.gated_heading"))
md(L, "gated", depth=num(GATE_DEPTH))
g1, g2 = st.columns([2, 1])
bias, seed2 = control(g1, P["ki_bias"]), control(g2, P["ki_seed2"])
alpha0 = gate_start(bias)
md(L, "gate_start", alpha=dec(alpha0, decimals(alpha0)), bias=dec(bias, 1),
   lean=section(L, f"gate_{gate_lean(alpha0)}"))
train_buttons("kinds_gates", t("kinds.train_gates"), lambda: gate_configs(float(bias), seed2), seed2 is None)


def draw_gates(snaps):
    a, b = st.columns(2)
    with a:
        curves(snaps, "ki_gates_chart", t("kinds.chart_gates"), "loss")
    weights, dashed = {}, []
    for s in snaps:
        for i in range(len(s.steps[-1].extras) if s.steps else 0):
            label = t(f"kinds.alpha_{runs.train_config(s).arch}", i=i + 1)
            weights[label] = ([r.step for r in s.steps], [r.extras[i] for r in s.steps])
            dashed += [label] if runs.train_config(s).arch == "scaled" else []
    chart(b, line_chart(weights, t("kinds.chart_alpha"), t("kinds.axis_step"), "α", lang(), height=360,
                              dashed=tuple(dashed)), width="stretch", key="ki_alpha_chart")
    training.status_lines(snaps, name)
    done = {runs.train_config(s).arch: s for s in snaps if s.status == "done" and s.epochs}
    if len(done) == 3:
        err = {a: dec(100 * s.epochs[-1].train_error, 1) for a, s in done.items()}
        loss = {a: s.epochs[-1].train_loss for a, s in done.items()}
        best = min(loss, key=loss.get)
        gates = done["gated"].steps[-1].extras
        alpha_end = sum(gates) / len(gates)
        md(L, "gate_verdict", identity=err["resnet"], gated=err["gated"], scaled=err["scaled"],
           best=t(f"kinds.kind_{best}"), alpha_end=dec(alpha_end, decimals(alpha_end)))


training.live("kinds_gates", draw_gates)
claims.gate_seeds()  # the gate_seeds section, its numbers from assets/claims.json
im = REF["identity_mappings"]
st.dataframe(identity_rows(im, lang()), hide_index=True, width="stretch", height=35 * (len(im["error"]) + 1) + 3)
st.caption(t("kinds.quoted_im", source=im["source"]))
md(L, "paper_reading")

# --- 3. Long skips --------------------------------------------------------------------------------
st.header(t("kinds.long_heading"))
md(L, "long")
l1, l2, l3 = st.columns(3)
corruption = control(l1, P["ki_corr"])
level = control(l2, P["ki_level"], help=t(f"kinds.level_help_{corruption}"))
seed3 = control(l3, P["ki_seed3"])
def long_tasks() -> list[DenoiseTask]:
    return [DenoiseTask(skips, corruption, float(level), seed=seed3) for skips in (True, False)]


predict.ask("long_skips", key="kinds_long", starts={"ki_kinds_long": long_tasks})
train_buttons("kinds_long", t("kinds.train_long"), long_tasks, seed3 is None)


def draw_long(snaps):
    unet_name = lambda s: t("kinds.with_skips" if s.task.long_skips else "kinds.without_skips")  # noqa: E731
    curves(snaps, "ki_long_chart", t("kinds.chart_long"), "loss", unet_name)
    training.status_lines(snaps, unet_name)
    res = {s.task.long_skips: s.result for s in snaps if s.result is not None}
    if len(res) < 2:
        return
    w, wo = res[True], res[False]
    for keys, values in ((("m_with", "m_without"), (w.test_mse, wo.test_mse)),  # 2 × 2: room for whole labels
                         (("m_detail_with", "m_detail_without"), (w.detail_mse, wo.detail_mse))):
        for col, key, value in zip(st.columns(2), keys, values):
            col.metric(t(f"kinds.{key}"), dec(value, 4))
    cols = {t("kinds.col_input"): w.inputs, t("kinds.without_skips"): wo.outputs, t("kinds.with_skips"): w.outputs,
            t("kinds.col_target"): w.targets, t("kinds.col_err_without"): abs(wo.outputs - wo.targets),
            t("kinds.col_err_with"): abs(w.outputs - w.targets)}
    chart(st, digit_grid(cols, t("kinds.chart_digits"), lang(), errors=tuple(cols)[-2:]), width="stretch",
                    key="ki_digits")
    r = long_reading(w, wo)  # which sentences this run makes true
    part = lambda p, x, tr: section(L, f"part_{tr}", part=t(f"kinds.part_{p}"), ratio=dec(x, 2))  # noqa: E731
    md(L, "long_result", mse_with=dec(w.test_mse, 4), mse_without=dec(wo.test_mse, 4),
       overall=section(L, f"long_{r.overall}", ratio=dec(r.ratio, 2)), coarse=part("coarse", r.coarse, r.coarse_trend),
       detail=part("detail", r.detail, r.detail_trend), levels=section(L, f"levels_{r.gain}"))
    predict.reveal("long_skips", judge_long_skips(res))


training.live("kinds_long", draw_long)
claims.line("long_skips")
md(L, "short_long", channels=" → ".join(num(c) for c in REF["unet"]["channels"]), unet_in=num(REF["unet"]["input"]),
   unet_out=num(REF["unet"]["output"]))
quiz(L)
