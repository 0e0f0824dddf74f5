"""Lesson 9: the Lab: build a net, train runs side by side with live curves, stop, remove, export."""

import functools

import streamlit as st

from core.errors import CoreError
from core.lessons.predictions import judge_lab_pair
from core.training.engine import validate
from ui import controls, gallery, links, predict, runs, training
from ui.controls import LAB_FILES, LIMITS
from ui.figures.lab import RUN_COLORS, runs_chart
from ui.shell import require_shell
from ui.text import dec, lang, lesson_title, md, num, show_error, t
from ui.widgets import chart, control, quiz

require_shell()
L = "lab"
P = controls.panel(L)
MAX_RUNS = 12  # lines on one chart, and this session's share of the server's queue
STATUS_COLOR = {"queued": "blue", "running": "blue", "done": "green", "stopped": "gray", "diverged": "orange",
                "failed": "red"}


def label(snap) -> str:
    return runs.run_label(training.number(L, snap), snap.task, lang())


def submit(configs) -> None:
    """Add runs to the chart; one the session already shows is watched live again (and said so)."""
    if len(training.jobs(L)) + len(configs) > MAX_RUNS:
        st.warning(t("lab.too_many", runs=MAX_RUNS), icon=":material/warning:")
        return
    for cfg in configs:
        before = {j.id: training.snapshot(L, j) for j in training.jobs(L)}
        try:
            job = training.add(L, cfg)
        except CoreError as err:
            show_error(err)
            return
        if job.id in before and before[job.id].status != "stopped":
            st.info(t("lab.same_run", name=label(job.snapshot())), icon=":material/info:")


st.title(lesson_title(L))
md(L, "intro")
how, ideas = st.columns(2)
with how:
    md(L, "how")
with ideas:
    md(L, "try")

# --- The network and its training ---------------------------------------------------------------
st.subheader(t("lab.net_heading"))
c1, c2, c3 = st.columns(3)
v = {}  # control values by key (None: a number box holding what cannot run; it says why)
for col, key in ((c1, "lab_depth"), (c1, "lab_width"), (c3, "lab_skip"), (c3, "lab_bn"), (c2, "lab_block"),
                 (c2, "lab_arch")):
    v[key] = control(col, P[key])
v["lab_shortcut"] = control(c3, P["lab_shortcut"], disabled=not v["lab_skip"])

st.subheader(t("lab.data_heading"))
d1, d2, d3 = st.columns(3)
v["lab_data"] = control(d1, P["lab_data"])
if v["lab_data"] in LAB_FILES:
    folder = f"data/{v['lab_data']}"
    v["lab_dir"] = control(d1, P["lab_dir"], placeholder=folder, help=t("lab.data_dir_help", folder=folder))
for col, key in ((d2, "lab_opt"), (d2, "lab_lr"), (d2, "lab_wd"), (d3, "lab_batch"), (d3, "lab_epochs"),
                 (d3, "lab_seed")):
    v[key] = control(col, P[key])
cfg = controls.lab_config(v)  # the same function a link's run goes through
st.caption(t("lab.limits", depth=num(LIMITS.max_depth), width=num(LIMITS.max_width), epochs=num(LIMITS.max_epochs),
             seconds=runs.number(LIMITS.max_seconds, lang()), runs=MAX_RUNS))
problem = None in v.values()
try:
    validate(cfg, LIMITS)
except CoreError as err:  # over a cap, not 6n + 2, data files missing: said before anything runs
    problem = True
    show_error(err)

pair = [cfg.replace(skip=False), cfg.replace(skip=True)]
predict.ask("lab_pair", key=L, starts={"lab_pair": lambda: pair, "lab_train": None},
            join=lambda key, tasks: [training.add(key, task) for task in tasks])
b1, b2, b3, b4 = st.columns([1, 2, 1, 2])
if b1.button(t("lab.train"), type="primary", key="lab_train", icon=":material/play_arrow:", disabled=problem):
    submit([cfg])
if b2.button(t("lab.pair"), key="lab_pair", icon=":material/compare_arrows:", help=t("lab.pair_help"),
             disabled=problem):
    submit(pair)
if training.busy(L) and b3.button(t("lab.stop"), key="lab_stop",
                                                                    icon=":material/stop:", help=t("lab.stop_help")):
    training.halt(L)
links.lab_runs(L, MAX_RUNS)  # a link's runs (live or cached ones only), and ours into the URL
mine = training.jobs(L)
if mine:
    b4.download_button(t("lab.csv"), training.csv_of(L), file_name="residual-lab-runs.csv", mime="text/csv", on_click="ignore",
                       key="lab_csv", icon=":material/download:", help=t("lab.csv_help"))


# --- The runs, redrawn while any of them trains -------------------------------------------------
def runs_figure(metric: str, x_axis: str, snaps):
    """The runs' curves; built once per version of the runs for every session that shows them."""
    lines = {label(s): runs.series(s, metric, x_axis) for s in snaps}
    colors = {label(s): RUN_COLORS[(training.number(L, s) - 1) % len(RUN_COLORS)] for s in snaps}
    y_title = t("lab.axis_loss" if metric == "train_loss" else "lab.axis_error")
    return runs_chart(lines, t(f"lab.chart_{metric}"), t(f"lab.axis_{x_axis}"), y_title, lang(),
                      log_y=metric == "train_loss", percent=metric != "train_loss", colors=colors,
                      dashed=tuple(label(s) for s in snaps if not s.task.skip), revision=f"{metric}-{x_axis}")


def draw(metric: str, x_axis: str, snaps) -> None:
    jobs = {j.id: j for j in training.jobs(L)}
    training.status_lines(snaps, label, hint=t("live.hint_lr"))
    key = ("lab", training.versions(snaps), tuple(label(s) for s in snaps), metric, x_axis, lang())
    chart(st, training.shared(key, lambda: runs_figure(metric, x_axis, snaps)), key="lab_chart")
    predict.reveal("lab_pair", judge_lab_pair(snaps))
    for s in snaps:  # one card per run: its words in one element (every watcher redraws them each poll)
        with st.container(border=True, horizontal=True, vertical_alignment="center"):
            st.markdown(card(s), width="stretch")
            if st.button(t("lab.remove"), key=f"lab_rm_{s.id}", help=t("lab.remove_help"), icon=":material/close:"):
                training.remove(L, jobs[s.id])
                st.rerun()


def card(s) -> str:
    """A run's card: its name and size, its status and progress, its latest scores."""
    now, none = runs.latest(s), t("lab.none")
    pct = lambda x: none if x is None else t("lab.percent", value=dec(100 * x, 1))  # noqa: E731
    status = t(f"lab.status_{s.status}", position=s.position, step=num(s.diverged_step or 0))
    size = t("lab.params", params=num(s.info.params)) if s.info else none
    progress = t("lab.progress", epoch=now["epoch"], epochs=s.task.epochs, step=num(now["step"]),
                 steps=num(s.info.total_steps), seconds=dec(s.elapsed, 1)) if s.info else none
    # The card's loss and training error are the newest record's, over its steps (one mini-batch when a
    # run logs every step); a pair's verdict compares the last epoch's, and says so.
    scores = t("lab.scores_one" if now["window"] == 1 else "lab.scores", loss=dec(now["loss"], 3),
               train=pct(now["train_error"]), window=num(now["window"]),
               test=pct(now["test_error"])) if now["window"] else t("lab.scores_none")
    return (f"**{label(s)}** :gray[:small[{size}]]  \n:{STATUS_COLOR[s.status]}[{status}] :gray[:small[· {progress}]]"
            f"  \n:small[{scores}]")


st.subheader(t("lab.chart_heading"))
if not mine:
    st.info(t("lab.empty"), icon=":material/science:")
else:
    s1, s2 = st.columns([3, 2])
    metric, x_axis = control(s1, P["lab_metric"]), control(s2, P["lab_x"])
    training.live(L, functools.partial(draw, metric, x_axis))
gallery.section(L)
quiz(L)
