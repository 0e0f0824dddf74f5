"""Lesson 2: the degradation problem, trained live: deeper plain nets train worse, residual nets do not."""

import streamlit as st

from core.errors import CoreError
from core.lessons.degradation import DEGRADATION_TOLERANCE, degradation_configs, degradation_holds
from core.lessons.predictions import judge_degradation
from core.reference import reference
from core.training.data import load_dataset
from core.training.results import ENV_VAR, error_axis_max, folder_stamp, load_results, results_dir, summary_rows
from ui import claims, controls, links, predict, training
from ui.figures.degradation import depth_colors, error_panel, reproduction_chart
from ui.shell import require_shell
from ui.text import dec, lang, lesson_title, md, num, show_error, t
from ui.widgets import chart, control, quiz

require_shell()
L = "degradation"
P = controls.panel(L)

st.title(lesson_title(L))
md(L, "intro", n_train=num(len(load_dataset("digits").y_train)))

# --- One click: plain and residual nets at several depths, the same seed ---------------------------
st.subheader(t("degradation.live_heading"))
c1, c2, c3 = st.columns([2, 1, 1])
depths, epochs, seed = control(c1, P["dg_depths"]), control(c2, P["dg_epochs"]), control(c3, P["dg_seed"])
ready = len(depths) >= 2 and None not in (epochs, seed)  # a refused number box has its own message
tasks = degradation_configs(seed, tuple(sorted(depths)), epochs) if ready else []
if ready:
    predict.ask("degradation", key=L, starts={"dg_train": lambda: tasks}, depth=max(depths))
b1, b2, b3 = st.columns([1, 1, 1])
training.run_buttons(b1, b2, L, t("degradation.train", n=2 * len(depths)), lambda: tasks, t("degradation.stop"),
                     start_key="dg_train", stop_key="dg_stop", disabled=not ready)
if training.jobs(L):
    b3.download_button(t("link.csv"), training.csv_of(L), mime="text/csv", file_name="residual-lab-degradation.csv",
                       on_click="ignore", key="dg_csv", icon=":material/download:", help=t("link.csv_help"))
if ready:
    links.lesson_runs(L, tasks)  # a link's runs
if len(depths) < 2:
    st.info(t("degradation.pick_two"))


def name(depth: int, skip: bool) -> str:
    """A net of the live runs or of a results file: "ResNet-56", "Plain-56"."""
    return t("degradation.residual_name" if skip else "degradation.plain_name", depth=depth)


def run_name(snap) -> str:
    return name(snap.task.depth, snap.task.skip)


def panel_figure(snaps, color, skip: bool):
    series = {run_name(s): ([r.step for r in s.steps], [100 * r.train_error for r in s.steps]) for s in snaps}
    return error_panel(series, {run_name(s): color[s.task.depth] for s in snaps},
                       t("degradation.chart_residual" if skip else "degradation.chart_plain"),
                       t("degradation.step_axis"), t("degradation.error_axis"), lang())


def draw(snaps):
    order = sorted({s.task.depth for s in snaps})
    color = depth_colors(order)
    for col, skip in zip(st.columns(2), (False, True)):
        mine = [s for s in snaps if s.task.skip == skip]
        fig = training.shared(("dg", training.versions(mine), tuple(order), skip, lang()),
                              lambda: panel_figure(mine, color, skip))  # built once for every watcher
        chart(col, fig, key=f"dg_chart_{skip}")
    training.status_lines(snaps, run_name)
    done = [s for s in snaps if s.status == "done" and s.epochs]
    if done:
        st.dataframe([{t("degradation.col_net"): run_name(s), t("degradation.col_params"): num(s.info.params),
                       t("degradation.col_train"): f"{dec(100 * s.epochs[-1].train_error, 1)} %",
                       t("degradation.col_test"): f"{dec(100 * s.epochs[-1].test_error, 1)} %",
                       t("degradation.col_time"): f"{dec(s.elapsed, 1)} s"} for s in done],
                     hide_index=True, width="stretch")
    if len(done) == len(snaps) and len(snaps) >= 4:
        final = {(s.task.depth, s.task.skip): s.epochs[-1].train_error for s in done}
        plain_worse, res_ok = degradation_holds(final)
        shallow, deep = min(order), max(order)
        md(L, "verdict", shallow=shallow, deep=deep, tolerance=dec(100 * DEGRADATION_TOLERANCE, 1),
           plain_shallow=dec(100 * final[(shallow, False)], 1), plain_deep=dec(100 * final[(deep, False)], 1),
           res_shallow=dec(100 * final[(shallow, True)], 1), res_deep=dec(100 * final[(deep, True)], 1),
           plain_verdict=t("degradation.yes" if plain_worse else "degradation.no"),
           res_verdict=t("degradation.yes" if res_ok else "degradation.no"))
    predict.reveal("degradation", judge_degradation(snaps))


if training.jobs(L):
    training.live(L, draw)
else:  # the empty panels the curves will fill: the click then updates charts already on screen
    for col, skip in zip(st.columns(2), (False, True)):
        chart(col, training.shared(("dg", (), skip, lang()), lambda: panel_figure([], {}, skip)), key=f"dg_chart_{skip}")
claims.line("degradation")  # on how many seeds the verdict held with these defaults (assets/claims.json)

# --- What the paper measured (quoted) ---------------------------------------------------------------
st.subheader(t("degradation.paper_heading"))
ref = reference()
cifar, li = ref["cifar"], ref["landscape"]
left, right = st.columns(2)
left.dataframe([{t("degradation.col_depth"): d, t("degradation.col_params"): num(p),
                 t("degradation.col_paper_test"): f"{dec(e, 2)} %"}
                for d, p, e in zip(cifar["depths"], cifar["params"], cifar["test_error"])],
               hide_index=True, width="stretch")
left.caption(t("degradation.source", source=cifar["source"]))
right.dataframe([{t("degradation.col_depth"): d, t("degradation.col_with"): f"{dec(a, 2)} %",
                  t("degradation.col_without"): f"{dec(b, 2)} %"}
                 for d, a, b in zip(li["depths"], li["with_skip"], li["without_skip"])],
                hide_index=True, width="stretch")
right.caption(t("degradation.source", source=li["source"]))
md(L, "paper", plain110=num(ref["cifar_plain"]["plain110_error_above"]))

# --- The paper's own experiment at full scale, when a results folder is present ---------------------
st.subheader(t("degradation.repro.heading"))


@st.cache_data(max_entries=4)
def full_scale_runs(folder: str, stamp: tuple):  # stamp: re-read when a run writes
    return load_results(folder)


folder = results_dir()
try:
    results = full_scale_runs(str(folder), folder_stamp(folder))
except CoreError as err:
    results = []
    show_error(err)
if not results:
    md(L, "reproduction_none", folder=f"`{folder}`", env=ENV_VAR)
else:
    md(L, "reproduction")
    shade = depth_colors(r.depth for r in results)
    y_max = error_axis_max(results)
    for col, skip in zip(st.columns(2), (False, True)):
        panel = [r for r in results if r.skip == skip]
        series = {name(r.depth, r.skip): (r.train_iterations, [100 * e for e in r.train_error]) for r in panel}
        fig = reproduction_chart(series, t(f"degradation.repro.chart_{'residual' if skip else 'plain'}"),
                                 t("degradation.repro.iteration_axis"), t("degradation.repro.error_axis"), lang(),
                                 {name(r.depth, r.skip): shade[r.depth] for r in panel}, panel[0].milestones if panel else (),
                                 t("degradation.repro.lr_drop"), y_max)
        chart(col, fig, width="stretch", key=f"dg_repro_{skip}")
    pct = lambda v: f"{dec(v, 2)} %" if v is not None else t("degradation.repro.missing")  # noqa: E731
    st.dataframe([{t("degradation.repro.col_depth"): r["depth"],
                   **{t(f"degradation.repro.col_{k}"): pct(r.get(k)) for k in
                      ("plain_train", "plain_test", "res_train", "res_test")},
                   t("degradation.repro.col_paper"): pct(r["paper_test"])}
                  for r in summary_rows(results, cifar["depths"], cifar["test_error"])], hide_index=True, width="stretch")
    st.caption(t("degradation.repro.source", folder=f"`{folder}`", source=cifar["source"]))
    st.caption("  \n".join(
        t("degradation.repro.run_line", model=name(r.depth, r.skip), done=num(r.iterations_done), planned=num(r.iterations),
          hours=dec(r.seconds / 3600, 2), device=r.device)
        + ("" if r.status == "done" else " " + t("degradation.repro.status_running", done=num(r.iterations_done)))
        for r in results))

md(L, "not_overfitting")
md(L, "nested")
md(L, "gradients")
st.page_link("pages/gradients.py", label=lesson_title("gradients"), icon=":material/trending_down:")
quiz(L)
