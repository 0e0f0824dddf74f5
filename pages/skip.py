"""Lesson 1: what a skip connection is: y = f(x) + x, the two contexts, the toy, the image analogy, a worked example."""

import numpy as np
import streamlit as st

from core.errors import CoreError
from core.lessons import readings
from core.lessons.imaging import PHOTOS, blur_analogy, digit_image, load_upload, photo_image
from core.lessons.predictions import judge_toy
from core.lessons.toy import ToyConfig, run_toy
from core.lessons.worked import DEFAULT_NUMBERS, worked_example
from ui import controls, predict
from ui.controls import short
from ui.figures import picture
from ui.figures.skip import contexts_dot, toy_figures
from ui.shell import require_shell
from ui.text import dec, lang, lesson_title, md, num, show_error, t
from ui.widgets import chart, control, number_table, quiz

require_shell()

L = "skip"
P = controls.panel(L)


@st.cache_data(max_entries=64, show_spinner=False)
def toy(cfg: ToyConfig):
    return run_toy(cfg)


@st.cache_data(max_entries=8, show_spinner=False)
def sample_image(source: str, index: int, photo: str):
    return digit_image(index) if source == "digit" else photo_image(photo)


@st.cache_data(max_entries=8, show_spinner=False)
def uploaded_image(data: bytes):
    return load_upload(data)


st.title(lesson_title(L))
md(L, "intro")

# --- Two contexts: what the code computes, what we want it to learn ------------------------------
st.subheader(t("skip.contexts_heading"))
left, right = st.columns([5, 6])
with left:
    md(L, "contexts")
with right:
    st.graphviz_chart(contexts_dot({k: t(f"skip.dot_{k}") for k in ("forward", "target", "branch", "skip", "loss", "residual")}))
    st.caption(t("skip.dot_caption"))
md(L, "table")
md(L, "residual")

# --- The toy: learn H(x) with and without the skip ------------------------------------------------
TRAINED = "_sk_trained"  # the toy settings of the session's latest Train (its guess is for them)


def toy_section(cfg: ToyConfig) -> None:
    """Both runs of ``cfg``: the metrics, the loss curves, the learned f, the readings and the verdict."""
    try:
        with st.spinner(t("skip.training")):
            res = toy(cfg)
    except CoreError as err:
        show_error(err)
        return

    runs = {"plain": res.plain, "skip": res.skip}
    for name, run in runs.items():
        if run.diverged_at is not None:
            st.warning(t("skip.diverged", run=t(f"skip.run_{name}"), step=num(run.diverged_at), lr=short(cfg.lr, lang())),
                       icon=":material/warning:")

    def reached(run) -> str:
        if run.diverged_at is not None:
            return t("skip.diverged_short")
        return t("skip.not_reached") if run.steps_to_threshold is None else num(run.steps_to_threshold)

    def size(run, value: float, digits: int) -> str:
        """A size of the learned f, or a dash for a diverged run (its weights blew up, f is NaN)."""
        return "—" if run.diverged_at is not None else dec(value, digits)

    m = st.columns(4)
    m[0].metric(t("skip.m_steps_plain"), reached(res.plain), help=t("skip.m_steps_help", threshold=dec(cfg.threshold, 3)))
    m[1].metric(t("skip.m_steps_skip"), reached(res.skip), help=t("skip.m_steps_help", threshold=dec(cfg.threshold, 3)))
    m[2].metric(t("skip.m_rms"), size(res.skip, res.skip.f_rms, 4), help=t("skip.m_rms_help"))
    m[3].metric(t("skip.m_norm"), " / ".join(size(r, r.weight_norm, 2) for r in runs.values()), help=t("skip.m_norm_help"))

    words = {k: t(f"skip.{k}") for k in ("run_plain", "run_skip", "f_plain", "f_skip", "threshold", "loss_title", "step",
                                         "loss", "f_title", "f_axis")}
    loss, learned = toy_figures(res, words, lang())
    g1, g2 = st.columns(2)
    chart(g1, loss, width="stretch", key="sk_loss")
    chart(g2, learned, width="stretch", key="sk_f")
    st.caption(t("skip.f_caption", **{k: size(r, r.f_target_rms_error, 4) for k, r in runs.items()}))
    if cfg.target == "x" and any(r.diverged_at is not None for r in runs.values()):
        md(L, "toy_identity_diverged")
    elif cfg.target == "x":
        rms, err = res.skip.f_rms, res.plain.f_target_rms_error
        md(L, "toy_identity", rms=dec(rms, 4), plain_err=dec(err, 4),
           rms_reading=t(f"skip.rms_{'zero' if rms ** 2 <= cfg.threshold else 'not'}", threshold=dec(cfg.threshold, 3)),
           compare=t(f"skip.cmp_{readings.order(err, rms, 4)}"),
           wn_plain=dec(res.plain.weight_norm, 2), wn_skip=dec(res.skip.weight_norm, 2))
    # The verdict is for the settings the guess was committed on; other settings are just watched.
    predict.reveal("toy", judge_toy(res) if st.session_state.get(TRAINED) == cfg else None)
    md(L, "toy_reading")


joined = predict.joined_settings("toy")
if joined is not None:  # a class poll's run: the widgets, not drawn yet, take the presenter's settings
    controls.set_values(P, controls.toy_values(joined), st.session_state)
    st.session_state[TRAINED] = joined

st.subheader(t("skip.toy_heading"))
defaults = ToyConfig()
md(L, "toy_intro", points=num(defaults.n_train), x_max=dec(defaults.x_max, 0), threshold=dec(defaults.threshold, 3))
c1, c2, c3 = st.columns(3)
target, seed = control(c1, P["sk_target"]), control(c1, P["sk_seed"])
depth, hidden, steps = control(c2, P["sk_depth"]), control(c2, P["sk_hidden"]), control(c2, P["sk_steps"])
lr, wd = control(c3, P["sk_lr"]), control(c3, P["sk_wd"])

if seed is None:  # the box says why
    st.stop()
cfg = ToyConfig(target=target, depth=depth, hidden=hidden, lr=lr, weight_decay=wd, steps=steps, seed=int(seed))
# Predict, then watch: the guess is committed at the Train click (or by a vote in a class poll, whose
# run has the presenter's settings); after the first run the charts follow every change.
predict.ask("toy", key=L, starts={"sk_train": lambda: [cfg]}, join=predict.join_settings("toy"), locks=False,
            threshold=dec(cfg.threshold, 3))
if st.button(t("skip.train"), key="sk_train", type="primary", icon=":material/play_arrow:"):
    st.session_state[TRAINED] = cfg
if TRAINED in st.session_state:
    toy_section(cfg)
else:
    st.info(t("skip.train_first"), icon=":material/psychology_alt:")

# --- The image analogy: blurred x, sharp H(x), the residual is the missing detail -----------------
st.subheader(t("skip.image_heading"))
md(L, "image")
i1, i2, i3 = st.columns(3)
source = control(i1, P["sk_source"])
photo, index, image = PHOTOS[0], 0, None
if source == "digit":
    index = control(i2, P["sk_digit"])
elif source == "photo":
    photo = control(i2, P["sk_photo"])
else:
    file = i2.file_uploader(t("skip.upload"), key="sk_upload", help=t("skip.upload_help"))
sigma = control(i3, P["sk_sigma"])
try:
    if source != "upload":
        with st.spinner(t("skip.loading")):
            image = None if index is None else sample_image(source, index, photo)  # None: the box says why
    elif file is not None:
        image = uploaded_image(file.getvalue())
    else:
        st.info(t("skip.upload_prompt"), icon=":material/upload:")
except CoreError as err:
    show_error(err)
if image is not None:
    a = blur_analogy(image, sigma)
    p1, p2, p3 = st.columns(3)
    chart(p1, picture(a.x, t("skip.pic_x"), lang()), width="stretch", key="sk_pic_x")
    chart(p2, picture(a.h, t("skip.pic_h"), lang()), width="stretch", key="sk_pic_h")
    top = max(float(np.abs(a.residual).max()), 1e-6)
    chart(p3, picture(a.residual, t("skip.pic_r"), lang(), -top, top, "RdBu"), width="stretch", key="sk_pic_r")
    n1, n2, n3 = st.columns(3)
    n1.metric(t("skip.m_share"), f"{dec(100 * a.share, 1)} %", help=t("skip.m_share_help"))
    n2.metric(t("skip.m_energy"), f"{dec(100 * a.energy_share, 1)} %", help=t("skip.m_energy_help"))
    n3.metric(t("skip.m_res_rms"), dec(a.residual_rms, 3), help=t("skip.m_res_rms_help"))
    if sigma > 0:
        md(L, "image_result", sigma=dec(sigma, 1), share=dec(100 * a.share, 1), rest=dec(100 * (1 - a.share), 1))
    else:  # x = H: nothing to say about a residual that is zero everywhere
        md(L, "image_sharp")

# --- The worked example: y = σ(F(x) + x) with real numbers ---------------------------------------
st.subheader(t("skip.worked_heading"))
md(L, "worked", d=num(len(DEFAULT_NUMBERS["x"])), m=num(len(DEFAULT_NUMBERS["b1"])))


def editor(col, name: str, label: str):
    """An editable table of DEFAULT_NUMBERS[name]: vectors as one column, matrices as they are."""
    value = np.array(DEFAULT_NUMBERS[name])
    col.markdown(f"**{label}**")
    cells, problem = number_table(col, value.reshape(-1, 1) if value.ndim == 1 else value,
                                  [label] if value.ndim == 1 else [str(j + 1) for j in range(value.shape[1])],
                                  key=f"sk_{name}", name=label, num_rows="fixed", width="stretch")
    if problem:
        raise problem
    return cells.ravel() if value.ndim == 1 else cells


cols = st.columns([1, 2, 1, 3, 1])
labels = {"x": "x", "W1": "W₁", "b1": "b₁", "W2": "W₂", "b2": "b₂"}
numbers, typo = {}, None
for col, name in zip(cols, labels):
    try:
        numbers[name] = editor(col, name, labels[name])
    except CoreError as err:  # a cell that is not a number: the first one is named below the tables
        typo = typo or err
st.caption(t("skip.worked_caption"))
try:
    if typo:
        raise typo
    w = worked_example(**numbers)
except CoreError as err:
    show_error(err)
else:
    def vec(v) -> str:
        cells = " & ".join(dec(float(a), 2).replace(",", "{,}") for a in v)
        return rf"\begin{{pmatrix}} {cells} \end{{pmatrix}}^{{\!\top}}"

    steps_tex = [
        (r"z_1 = W_1 x + b_1", w.z1), (r"h = \sigma(z_1)", w.h), (r"F(x) = W_2 h + b_2", w.F),
        (r"F(x) + x", w.pre), (r"y = \sigma\big(F(x) + x\big)", w.y),
        (rf"y_{{\text{{{t('skip.no_skip_tex')}}}}} = \sigma\big(F(x)\big)", w.y_plain),
    ]
    st.latex(r"\begin{aligned}" + r" \\ ".join(f"{lhs} &= {vec(v)}" for lhs, v in steps_tex) + r"\end{aligned}")
    md(L, "worked_after", off=num(int((w.z1 <= 0).sum())), hidden=num(len(w.z1)))

quiz(L)
