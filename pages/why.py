"""Lesson 8: why residual nets work: paths (Veit et al.), a live lesion study, the loss landscape (Li et al.)."""

import numpy as np
import streamlit as st

from core.lessons.landscape import BASIN_LOSS, LandscapeTask, basin_extent, next_try, parameter_count, roughness_verdict
from core.lessons.lesion import (LESION_MAX_EPOCHS, UNTRAINED_MARGIN, LesionTask, closest_share, learned_little,
                                 summarize, untrained_advice)
from core.lessons.paths import cifar_residual_blocks, path_lengths, paths_avoiding
from core.lessons.predictions import judge_lesion
from core.lessons.reuse import reuse_verdict, summarize_reuse
from core.reference import reference
from ui import claims, controls, predict, training
from ui.controls import WHY_DEPTHS
from ui.figures.why import lesion_bars, lesion_curve, loss_contour, loss_slices, loss_surface, path_bars, reuse_map
from ui.shell import require_shell
from ui.text import dec, lang, lesson_title, md, num, sci, section, t
from ui.widgets import chart, control, quiz

require_shell()
L = "why"
P = controls.panel(L)

st.title(lesson_title(L))
md(L, "intro")


def names(depth: int) -> tuple[str, str]:
    return t("why.plain_name", depth=depth), t("why.residual_name", depth=depth)


def result(snaps, task: str):
    """The task's result once it is there; until then (and when it fails) the shared status lines."""
    training.status_lines(snaps, lambda s: t(f"live.task_{task}"))
    snap = snaps[0]
    return snap.result if snap.status == "done" else None


# --- 1. Paths -------------------------------------------------------------------------------------
st.subheader(t("why.paths_heading"))
pdepth = control(st, P["why_pdepth"])
stats = path_lengths(cifar_residual_blocks(pdepth))
low, high, band = stats.middle_band()
total = num(stats.total) if stats.total < 10**9 else sci(stats.total, 1)
m1, m2, m3 = st.columns(3)
m1.metric(t("why.m_blocks"), num(stats.blocks))
m2.metric(t("why.m_paths"), total)
m3.metric(t("why.m_mean"), dec(stats.mean, 1))
chart(st, path_bars(range(stats.blocks + 1), stats.share, t("why.paths_chart", depth=pdepth), t("why.paths_x"),
                          t("why.paths_y"), lang(), band=(low, high)), width="stretch", key="why_paths")
md(L, "paths", depth=pdepth, blocks=num(stats.blocks), total=total, mean=dec(stats.mean, 1), std=dec(stats.std, 2),
   band_low=low, band_high=high, band_share=dec(100 * band, 1), outside_share=dec(100 * (1 - band), 1))
veit = reference()["veit"]
lo, hi = veit["gradient_modules"]
md(L, "paths_paper", v_blocks=veit["resnet110_blocks"], v_paths=sci(veit["resnet110_paths"], 1),
   v_mean=veit["resnet110_mean_length"], v_low=lo, v_high=hi, v_share=dec(veit["gradient_share_percent"], 2),
   live_share=dec(100 * path_lengths(veit["resnet110_blocks"]).share_between(lo, hi), 2))
st.caption(t("why.source", source=veit["source"]))

# --- 2. Lesion study, live ------------------------------------------------------------------------
st.subheader(t("why.lesion_heading"))
md(L, "lesion_intro")
c1, c2, c3, c4 = st.columns(4)
depth, epochs = control(c1, P["why_depth"]), control(c2, P["why_epochs"])
seed, draws = control(c3, P["why_seed"]), control(c4, P["why_draws"])
predict.ask("lesion", key="why_lesion", starts={"why_lesion_run": lambda: [LesionTask(depth, epochs, seed, draws)]})
b1, b2 = st.columns([1, 1])
training.run_buttons(b1, b2, "why_lesion", t("why.lesion_run"),
                     lambda: [LesionTask(depth, epochs, seed, draws)], t("why.stop"),
                     start_key="why_lesion_run", stop_key="why_lesion_stop", disabled=None in (epochs, seed, draws))


def draw_lesion(snaps):
    r = result(snaps, "lesion")
    if r is None:
        return
    plain, res = names(r.depth)
    left, right = st.columns(2)
    chart(left, lesion_bars(list(r.blocks), {plain: list(r.plain.single), res: list(r.residual.single)},
                                  {t("why.intact", name=plain): r.plain.intact, t("why.intact", name=res): r.residual.intact},
                                  r.chance, t("why.chance"), t("why.chart_single"), t("why.block_axis"), t("why.acc_axis"),
                                  lang()), width="stretch", key="why_single")
    chart(right, lesion_curve({plain: (r.plain.intact, r.plain.multi), res: (r.residual.intact, r.residual.multi)},
                                    r.chance, t("why.chance"), t("why.chart_k"), t("why.k_axis"), t("why.acc_axis"),
                                    lang()), width="stretch", key="why_k")
    sp, sr = summarize(r, r.plain), summarize(r, r.residual)
    n = len(r.blocks)
    pct = lambda x: dec(100 * x, 1)  # noqa: E731
    k1 = pct(float(r.plain.multi[0].mean()))
    half = section(L, "half_residual", k=sr.half_k, n=n, plain_k1=k1) if sr.half_k else section(L, "half_none", n=n, plain_k1=k1)
    for net, inline in ((sp, t("why.plain_inline", depth=r.depth)), (sr, res)):
        if learned_little(net.intact, r.chance):
            advice = section(L, f"advice_{untrained_advice(net is sp, r.depth, r.epochs)}", max_epochs=LESION_MAX_EPOCHS)
            st.warning(section(L, "untrained", name=inline, acc=pct(net.intact), margin=round(100 * UNTRAINED_MARGIN),
                               chance=dec(100 * r.chance, 0), advice=advice))
    md(L, "lesion_result", n_test=num(r.n_test), chance=dec(100 * r.chance, 0), depth=r.depth,
       plain_intact=pct(sp.intact), res_intact=pct(sr.intact), plain_median=pct(sp.median_single),
       plain_best=pct(float(np.max(r.plain.single))), res_median=pct(sr.median_single), res_same=pct(sr.same_shape_mean),
       res_worst_block=sr.worst_block, res_worst=pct(sr.worst_single), half_sentence=half)
    kv, nv = veit["deleted_of_54"], veit["resnet110_blocks"]
    k_eq = closest_share(n, kv, nv)
    md(L, "lesion_share", deleted=kv, blocks=nv, left=num(2**nv // paths_avoiding(nv, kv)), n=n, k_equiv=k_eq,
       veit_share=dec(100 * kv / nv, 0), our_share=dec(100 * k_eq / n, 0))
    predict.reveal("lesion", judge_lesion(r))


training.live("why_lesion", draw_lesion)
claims.line("lesion")
cifar = reference()["cifar"]
md(L, "lesion_paper", deleted=veit["deleted_of_54"], blocks=veit["resnet110_blocks"],
   error=dec(100 * veit["error_after_10"], 0), error_fraction=dec(veit["error_after_10"], 1),
   intact=dec(cifar["test_error"][cifar["depths"].index(110)], 2))
st.caption(t("why.source", source=f"{veit['source']}; {t('why.source_he')}"))

# --- 3. Loss landscape, live ----------------------------------------------------------------------
st.subheader(t("why.landscape_heading"))
md(L, "landscape_intro", samples=num(LandscapeTask().samples), d_min=WHY_DEPTHS[0], d_max=WHY_DEPTHS[-1],
   p_min=num(parameter_count(WHY_DEPTHS[0])), p_max=num(parameter_count(WHY_DEPTHS[-1])))
d1, d2, d3, d4 = st.columns(4)
ldepth, lepochs = control(d1, P["why_ldepth"]), control(d2, P["why_lepochs"])
lseed, size = control(d3, P["why_lseed"]), control(d4, P["why_size"])
e1, e2 = st.columns([1, 1])
training.run_buttons(e1, e2, "why_landscape", t("why.landscape_run"),
                     lambda: [LandscapeTask(depth=ldepth, epochs=lepochs, seed=lseed, direction_seed=lseed, size=size)],
                     t("why.stop"),
                     start_key="why_land_run", stop_key="why_land_stop", disabled=None in (lepochs, lseed))


def draw_landscape(snaps):
    r = result(snaps, "landscape")
    if r is None:
        return
    plain, res = names(r.depth)
    chart(st, loss_slices(r.line_alphas, {plain: r.plain.line, res: r.residual.line}, t("why.chart_line"),
                                t("why.alpha_axis"), t("why.loss_axis"), lang()), width="stretch", key="why_line")
    both = np.concatenate([r.plain.surface.ravel(), r.residual.surface.ravel()])
    zmin, zmax = float(np.log10(max(both.min(), 1e-6))), min(float(np.log10(both.max())), 2.0)
    for col, name, net in zip(st.columns(2), (plain, res), (r.plain, r.residual)):
        chart(col, loss_contour(r.alphas, net.surface, t("why.chart_contour", name=name), lang(), zmin, zmax,
                                      t("why.log_loss")), width="stretch", key=f"why_contour_{net is r.plain}")
        a, b = col.columns(2)
        a.metric(t("why.m_centre", name=name), dec(net.centre_loss, 3))
        b.metric(t("why.m_rough", name=name), f"{dec(100 * net.nonconvex, 1)} %")
    try_next = section(L, f"try_{next_try(r.depth, WHY_DEPTHS[-1])}")
    verdict = section(L, f"verdict_{roughness_verdict(r.plain.nonconvex, r.residual.nonconvex)}", try_next=try_next)
    top = float(both.max())
    outside = section(L, f"basin_{basin_extent(r.plain.basin, r.residual.basin)}",
                      top=dec(top, 1) if top < 1e4 else sci(top, 1))
    md(L, "landscape_result", depth=r.depth, plain_centre=dec(r.plain.centre_loss, 3), level=num(int(BASIN_LOSS)),
       plain_basin=dec(100 * r.plain.basin, 1), res_basin=dec(100 * r.residual.basin, 1), outside=outside,
       res_centre=dec(r.residual.centre_loss, 3), plain_rough=dec(100 * r.plain.nonconvex, 1),
       res_rough=dec(100 * r.residual.nonconvex, 1), verdict=verdict)
    pick = control(st, P["why_surface_pick"])
    net = r.plain if pick == "plain" else r.residual
    title = t("why.chart_surface", name=plain if pick == "plain" else res)
    chart(st, loss_surface(r.alphas, net.surface, title, lang(), zmin, zmax, t("why.log_loss")), key="why_surface")


training.live("why_landscape", draw_landscape)
claims.line("landscape")
li = reference()["li_cost"]
md(L, "landscape_paper", grid=li["grid"], hours=li["hours"], gpus=li["gpus"])
st.caption(t("why.source", source=li["source"]))

md(L, "reuse")
st.page_link("pages/kinds.py", label=t("why.reuse_link", lesson=lesson_title("kinds")), icon=":material/hub:")


def draw_reuse(snaps):
    r = snaps[0].result
    if snaps[0].status != "done" or r is None:
        return
    md(L, "reuse_live", n_test=num(r.n_test))
    sources = [t("why.reuse_stem")] + list(r.blocks[:-1])  # the last block's output is nobody's earlier output
    for col, name, net in zip(st.columns(2), names(r.depth), (r.plain, r.residual)):
        chart(col, reuse_map(sources, list(r.blocks), net.carried, t("why.chart_reuse", name=name), t("why.reuse_x"),
                             t("why.reuse_y"), t("why.reuse_bar"), lang()),
              width="stretch", key=f"why_reuse_{net is r.plain}")
    sp, sr = summarize_reuse(r.plain.carried), summarize_reuse(r.residual.carried)
    md(L, "reuse_result", depth=r.depth, res_mean=dec(sr.mean, 2), plain_mean=dec(sp.mean, 2), res_far=dec(sr.far, 2),
       plain_far=dec(sp.far, 2), verdict=section(L, f"reuse_{reuse_verdict(sp.mean, sr.mean)}"))


if not training.jobs("why_lesion"):
    st.caption(t("why.reuse_wait"))
training.live("why_lesion", draw_reuse)
quiz(L)
