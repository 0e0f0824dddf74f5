"""Lesson 9: the Lab: build a net, train runs side by side with live curves, stop, remove, export."""

import dataclasses
import functools

import streamlit as st

from core.training.data import DATASETS
from core.training.engine import ARCHS, BLOCK_TYPES, MAX_SEED, OPTIMIZERS, SHORTCUTS, TrainConfig, validate
from core.errors import CoreError
from ui import links, runs, training
from ui.figures import RUN_COLORS, runs_chart
from ui.shell import chart, dec, labeler, lang, lesson_title, md, num, quiz, require_shell, t, whole_number

require_shell()
L = "lab"
KEEP = "session"  # every control keeps its value across page switches
LRS = (1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
DECAYS = (0.0, 1e-5, 1e-4, 5e-4, 1e-3)
BATCHES = (32, 64, 128, 256, 512)
FILES = ("mnist", "fashion_mnist")  # read from local IDX files
MAX_RUNS = 12  # lines on one chart, and this session's share of the server's queue
STATUS_COLOR = {"queued": "blue", "running": "blue", "done": "green", "stopped": "gray", "diverged": "orange",
                "failed": "red"}

numbers = st.session_state.setdefault("_lab_numbers", {})  # job id → run number in the legend
frozen = st.session_state.setdefault("_lab_frozen", {})  # job id → its snapshot when we stopped it


def snapshot(job):
    """This session's view of a job: frozen at our Stop when other sessions still train it."""
    return frozen.get(job.id) or job.snapshot()


def label(snap) -> str:
    return runs.run_label(numbers.get(snap.id, 0), snap.task, lang())


def fail(err: CoreError, name: str | None = None) -> None:
    message = t(f"error.{err.code}", **runs.error_params(err.params, lang()))
    st.error(t("lab.run_error", name=name, message=message) if name else message, icon=":material/error:")


def submit(configs: list[TrainConfig]) -> None:
    if len(training.jobs(L)) + len(configs) > MAX_RUNS:
        st.warning(t("lab.too_many", runs=MAX_RUNS), icon=":material/warning:")
        return
    for cfg in configs:
        before = training.jobs(L)
        try:
            job = training.add(L, cfg)
        except CoreError as err:
            fail(err)
            return
        if job not in before:
            numbers[job.id] = max(numbers.values(), default=0) + 1
        elif job.id not in frozen:
            st.info(t("lab.same_run", name=label(job.snapshot())), icon=":material/info:")
        frozen.pop(job.id, None)  # asked for again: watch it live


def halt(jobs) -> None:
    """Stop: a run nobody else watches ends; one that others still train is frozen for us."""
    for job in jobs:
        training.registry().detach(training.session_id(), job)
        snap = job.snapshot()
        if not snap.finished and snap.sessions:
            frozen[job.id] = dataclasses.replace(snap, status="stopped", position=0)


def csv_text(jobs) -> str:
    """Called when the download button is clicked (in another thread): the records at that moment."""
    return runs.to_csv(runs.csv_rows([(numbers.get(j.id, 0), snapshot(j)) for j in jobs]))


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
limits = training.registry().limits
depth = whole_number(c1, t("lab.depth"), 8, limits.max_depth, 20, "lab_depth", name=t("lab.field_depth"), step=6,
                     help=t("lab.depth_help"), persist_state=KEEP)
width = whole_number(c1, t("lab.width"), 1, limits.max_width, 16, "lab_width", name=t("lab.field_width"), step=4,
                     help=t("lab.width_help"), persist_state=KEEP)
skip = c3.toggle(t("lab.skip"), True, key="lab_skip", help=t("lab.skip_help"), persist_state=KEEP)
bn = c3.toggle(t("lab.batchnorm"), True, key="lab_bn", help=t("lab.batchnorm_help"), persist_state=KEEP)
block = c2.radio(t("lab.block"), BLOCK_TYPES, key="lab_block", format_func=labeler("lab.block_"), persist_state=KEEP)
arch = c2.radio(t("kinds.lab_arch"), ARCHS, key="lab_arch", format_func=labeler("kinds.arch_"),
                help=t("kinds.lab_arch_help"), persist_state=KEEP)  # lesson 7's joins
shortcut = c3.radio(t("lab.shortcut"), SHORTCUTS, key="lab_shortcut", format_func=labeler("lab.shortcut_"),
                    disabled=not skip, persist_state=KEEP)

st.subheader(t("lab.data_heading"))
d1, d2, d3 = st.columns(3)
dataset = d1.radio(t("lab.dataset"), DATASETS, key="lab_data", format_func=labeler("lab.dataset_"), persist_state=KEEP)
folder = ""
if dataset in FILES:
    folder = d1.text_input(t("lab.data_dir"), key="lab_dir", placeholder=f"data/{dataset}", persist_state=KEEP,
                           help=t("lab.data_dir_help", folder=f"data/{dataset}")).strip()
optimizer = d2.radio(t("lab.optimizer"), OPTIMIZERS, index=OPTIMIZERS.index("adam"), key="lab_opt", horizontal=True,
                     format_func=labeler("lab.opt_"), persist_state=KEEP)
fmt = functools.partial(runs.number, lang=lang())  # bound now: Streamlit may format outside the run
lr = d2.select_slider(t("lab.lr"), LRS, value=5e-4, key="lab_lr", format_func=fmt, persist_state=KEEP)
decay = d2.select_slider(t("lab.weight_decay"), DECAYS, value=1e-4, key="lab_wd", format_func=fmt, persist_state=KEEP)
batch = d3.select_slider(t("lab.batch_size"), BATCHES, value=128, key="lab_batch", persist_state=KEEP)
epochs = whole_number(d3, t("lab.epochs"), 1, limits.max_epochs, 5, "lab_epochs", name=t("lab.field_epochs"),
                      persist_state=KEEP)
seed = whole_number(d3, t("lab.seed"), 0, MAX_SEED, 0, "lab_seed", name=t("lab.field_seed"), help=t("lab.seed_help"),
                    persist_state=KEEP)

# Small data sets log every step (a dozen per epoch); MNIST's 469 steps per epoch log every 10th.
typed = (depth, width, epochs, seed)  # None: the box holds a number that cannot run; it says why
cfg = TrainConfig(depth=depth or 20, width=width or 16, block=block, batchnorm=bn, skip=skip, shortcut=shortcut,
                  arch=arch, dataset=dataset, data_dir=folder, optimizer=optimizer, lr=lr, weight_decay=decay,
                  batch_size=int(batch), epochs=epochs or 5, seed=seed or 0, log_every=10 if dataset in FILES else 1)
st.caption(t("lab.limits", depth=num(limits.max_depth), width=num(limits.max_width), epochs=num(limits.max_epochs),
             seconds=runs.number(limits.max_seconds, lang()), runs=MAX_RUNS))
try:
    validate(cfg, limits)
    problem = None if None not in typed else "typed"
except CoreError as err:  # over a cap, not 6n + 2, data files missing: said before anything runs
    problem = err
    fail(err)

b1, b2, b3, b4 = st.columns([1, 2, 1, 2])
if b1.button(t("lab.train"), type="primary", key="lab_train", icon=":material/play_arrow:", disabled=bool(problem)):
    submit([cfg])
if b2.button(t("lab.pair"), key="lab_pair", icon=":material/compare_arrows:", help=t("lab.pair_help"),
             disabled=bool(problem)):
    submit([cfg.replace(skip=False), cfg.replace(skip=True)])
unfinished = [j for j in training.jobs(L) if not snapshot(j).finished]
if unfinished and b3.button(t("lab.stop"), key="lab_stop", icon=":material/stop:", help=t("lab.stop_help")):
    halt(unfinished)
links.lab_runs(L, numbers, MAX_RUNS)  # a link's runs (live or cached ones only), and ours into the URL
mine = training.jobs(L)
if mine:
    b4.download_button(t("lab.csv"), functools.partial(csv_text, tuple(mine)), file_name="residual-lab-runs.csv",
                       mime="text/csv", on_click="ignore", key="lab_csv", icon=":material/download:",
                       help=t("lab.csv_help"))


# --- The runs, redrawn twice a second while any of them trains ----------------------------------
def runs_figure(metric: str, x_axis: str, snaps):
    """The runs' curves; built once per version of the runs for every session that shows them."""
    lines = {label(s): runs.series(s, metric, x_axis) for s in snaps}
    colors = {label(s): RUN_COLORS[(numbers.get(s.id, 1) - 1) % len(RUN_COLORS)] for s in snaps}
    y_title = t("lab.axis_loss" if metric == "train_loss" else "lab.axis_error")
    return runs_chart(lines, t(f"lab.chart_{metric}"), t(f"lab.axis_{x_axis}"), y_title, lang(),
                      log_y=metric == "train_loss", percent=metric != "train_loss", colors=colors,
                      dashed=tuple(label(s) for s in snaps if not s.task.skip), revision=f"{metric}-{x_axis}")


def draw(metric: str, x_axis: str, snaps) -> None:
    jobs = {j.id: j for j in training.jobs(L)}
    snaps = [frozen.get(s.id, s) for s in snaps]
    for s in snaps:
        if s.status == "queued":
            st.info(t("lab.queued", name=label(s), position=s.position), icon=":material/hourglass_top:")
        elif s.status == "diverged":
            st.warning(t("lab.diverged", name=label(s), step=num(s.diverged_step), epoch=len(s.epochs) + 1),
                       icon=":material/warning:")
        if s.error is not None:
            fail(s.error, label(s))
    active = [s for s in snaps if not s.finished]
    if active:
        done = sum(s.progress for s in active) / len(active)
        st.progress(done, text=t("lab.overall", pct=round(100 * done)))
    key = ("lab", training.versions(snaps), tuple(label(s) for s in snaps), metric, x_axis, lang())
    chart(st, training.shared(key, lambda: runs_figure(metric, x_axis, snaps)), width="stretch", key="lab_chart")
    pct = lambda x: t("lab.none") if x is None else t("lab.percent", value=dec(100 * x, 1))  # noqa: E731
    for s in snaps:
        now = runs.latest(s)
        with st.container(border=True):
            r1, r2, r3, r4 = st.columns([5, 4, 5, 2], vertical_alignment="center")
            r1.markdown(f"**{label(s)}**")
            r1.caption(t("lab.params", params=num(s.info.params)) if s.info else t("lab.none"))
            status = t(f"lab.status_{s.status}", position=s.position, step=num(s.diverged_step or 0))
            r2.markdown(f":{STATUS_COLOR[s.status]}[{status}]")
            r2.caption(t("lab.progress", epoch=now["epoch"], epochs=s.task.epochs, step=num(now["step"]),
                         steps=num(s.info.total_steps), seconds=dec(s.elapsed, 1)) if s.info else t("lab.none"))
            r3.caption(t("lab.scores", loss=t("lab.none") if now["loss"] is None else dec(now["loss"], 3),
                         train=pct(now["train_error"]), test=pct(now["test_error"])))
            if r4.button(t("lab.remove"), key=f"lab_rm_{s.id}", help=t("lab.remove_help"), icon=":material/close:"):
                training.remove(L, jobs[s.id])
                numbers.pop(s.id, None)
                frozen.pop(s.id, None)
                st.rerun()


st.subheader(t("lab.chart_heading"))
if not mine:
    st.info(t("lab.empty"), icon=":material/science:")
else:
    s1, s2 = st.columns([3, 2])
    metric = s1.segmented_control(t("lab.metric"), runs.METRICS, default="train_loss", key="lab_metric",
                                  format_func=labeler("lab.metric_"), required=True, persist_state=KEEP)
    x_axis = s2.segmented_control(t("lab.x_axis"), runs.X_AXES, default="step", key="lab_x",
                                  format_func=labeler("lab.x_"), required=True, persist_state=KEEP)
    training.live(L, functools.partial(draw, metric, x_axis))
quiz(L)
