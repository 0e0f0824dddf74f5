"""Lesson 8: why residual nets work: paths (Veit et al.), a live lesion study, the loss landscape (Li et al.)."""

import numpy as np
import streamlit as st

from core.lessons.landscape import BASIN_LOSS, GRID_SIZES, LandscapeTask
from core.lessons.claims import smoother
from core.lessons.lesion import LESION_DEFAULT_DEPTH, LESION_DEFAULT_EPOCHS, LesionTask, summarize
from core.lessons.paths import cifar_residual_blocks, path_lengths
from core.reference import reference
from ui import claims, i18n, links, training
from ui.shell import chart, dec, lang, lesson_title, md, num, quiz, require_shell, sci, show_error, t, whole_number
from ui.why_figures import lesion_bars, lesion_curve, loss_contour, loss_slices, loss_surface, path_bars

require_shell()
L = "why"
DEPTHS = list(links.WHY_DEPTHS)

st.title(lesson_title(L))
md(L, "intro")


def section(name: str, **values) -> str:
    """One section of the lesson's prose as a string (to nest inside another section)."""
    return i18n.fill(i18n.sections(lang(), L)[name], values)


def names(depth: int) -> tuple[str, str]:
    return t("why.plain_name", depth=depth), t("why.residual_name", depth=depth)


def status(snap) -> bool:
    """Show where a task is (queue, progress, error); True once its result is there."""
    if snap.status == "queued":
        st.caption(t("why.queued", position=snap.position))
    elif snap.error is not None:
        show_error(snap.error)
    elif snap.status == "stopped":
        st.info(t("why.stopped"))
    elif snap.status != "done":
        stage = snap.task_progress.stage if snap.task_progress else "waiting"
        st.progress(snap.progress, text=t("why.progress", stage=t(f"why.stage_{stage}"), pct=round(100 * snap.progress)))
    return snap.status == "done" and snap.result is not None


# --- 1. Paths -------------------------------------------------------------------------------------
st.subheader(t("why.paths_heading"))
pdepth = st.select_slider(t("why.paths_depth"), [8, 14, 20, 32, 44, 56, 110], value=20, key="why_pdepth")
stats = path_lengths(cifar_residual_blocks(pdepth))
low, high = round(stats.mean - stats.std), round(stats.mean + stats.std)
total = num(stats.total) if stats.total < 10**9 else sci(stats.total, 1)
m1, m2, m3 = st.columns(3)
m1.metric(t("why.m_blocks"), num(stats.blocks))
m2.metric(t("why.m_paths"), total)
m3.metric(t("why.m_mean"), dec(stats.mean, 1))
chart(st, path_bars(range(stats.blocks + 1), stats.share, t("why.paths_chart", depth=pdepth), t("why.paths_x"),
                          t("why.paths_y"), lang(), band=(low, high)), width="stretch", key="why_paths")
md(L, "paths", depth=pdepth, blocks=num(stats.blocks), total=total, mean=dec(stats.mean, 1), std=dec(stats.std, 2),
   band_low=low, band_high=high, band_share=dec(100 * stats.share_between(low, high), 1))
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
depth = c1.selectbox(t("why.depth"), DEPTHS, index=DEPTHS.index(LESION_DEFAULT_DEPTH), key="why_depth",
                     help=t("why.depth_help"))
epochs = whole_number(c2, t("why.epochs"), 1, 20, LESION_DEFAULT_EPOCHS, "why_epochs")
seed = whole_number(c3, t("why.seed"), 0, 9999, 0, "why_seed")
draws = whole_number(c4, t("why.draws"), 1, 10, 5, "why_draws", help=t("why.draws_help"))
b1, b2 = st.columns([1, 1])
training.run_buttons(b1, b2, "why_lesion", t("why.lesion_run"),
                     lambda: [LesionTask(int(depth), int(epochs), int(seed), int(draws))], t("why.stop"),
                     start_key="why_lesion_run", stop_key="why_lesion_stop", disabled=None in (epochs, seed, draws))


def draw_lesion(snaps):
    snap = snaps[0]
    if not status(snap):
        return
    r = snap.result
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
    half = section("half_residual", k=sr.half_k, n=n, plain_k1=k1) if sr.half_k else section("half_none", n=n, plain_k1=k1)
    if sp.intact < r.chance + 0.2:
        st.warning(section("plain_untrained", acc=pct(sp.intact)))
    md(L, "lesion_result", n_test=num(r.n_test), chance=dec(100 * r.chance, 0), depth=r.depth,
       plain_intact=pct(sp.intact), res_intact=pct(sr.intact), plain_median=pct(sp.median_single),
       plain_best=pct(float(np.max(r.plain.single))), res_median=pct(sr.median_single), res_same=pct(sr.same_shape_mean),
       res_worst_block=sr.worst_block, res_worst=pct(sr.worst_single), half_sentence=half)


training.live("why_lesion", draw_lesion)
claims.line("lesion")
md(L, "lesion_paper", deleted=veit["deleted_of_54"], blocks=veit["resnet110_blocks"], error=dec(veit["error_after_10"], 1))
st.caption(t("why.source", source=veit["source"]))

# --- 3. Loss landscape, live ----------------------------------------------------------------------
st.subheader(t("why.landscape_heading"))
md(L, "landscape_intro", samples=num(LandscapeTask().samples))
d1, d2, d3, d4 = st.columns(4)
ldepth = d1.selectbox(t("why.depth"), DEPTHS, index=DEPTHS.index(20), key="why_ldepth", help=t("why.depth_help"))
lepochs = whole_number(d2, t("why.epochs"), 1, 20, LandscapeTask().epochs, "why_lepochs")
lseed = whole_number(d3, t("why.seed"), 0, 9999, 0, "why_lseed")
size = d4.select_slider(t("why.size"), GRID_SIZES, value=21, key="why_size", help=t("why.size_help"))
e1, e2 = st.columns([1, 1])
training.run_buttons(e1, e2, "why_landscape", t("why.landscape_run"),
                     lambda: [LandscapeTask(depth=int(ldepth), epochs=int(lepochs), seed=int(lseed),
                                            direction_seed=int(lseed), size=int(size))], t("why.stop"),
                     start_key="why_land_run", stop_key="why_land_stop", disabled=None in (lepochs, lseed))


def draw_landscape(snaps):
    snap = snaps[0]
    if not status(snap):
        return
    r = snap.result
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
    verdict = section("verdict_smoother" if smoother(r) else "verdict_not")
    md(L, "landscape_result", depth=r.depth, plain_centre=dec(r.plain.centre_loss, 3), level=num(int(BASIN_LOSS)),
       plain_basin=dec(100 * r.plain.basin, 0), res_basin=dec(100 * r.residual.basin, 0),
       res_centre=dec(r.residual.centre_loss, 3), plain_rough=dec(100 * r.plain.nonconvex, 1),
       res_rough=dec(100 * r.residual.nonconvex, 1), verdict=verdict)
    pick = st.radio(t("why.surface_pick"), (plain, res), index=1, horizontal=True, key="why_surface_pick")
    net = r.plain if pick == plain else r.residual
    chart(st, loss_surface(r.alphas, net.surface, t("why.chart_surface", name=pick), lang(), zmin, zmax,
                                 t("why.log_loss")), width="stretch", key="why_surface")


training.live("why_landscape", draw_landscape)
claims.line("landscape")
li = reference()["li_cost"]
md(L, "landscape_paper", grid=li["grid"], hours=li["hours"], gpus=li["gpus"])
st.caption(t("why.source", source=li["source"]))

md(L, "reuse")
quiz(L)
