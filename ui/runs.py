"""The Lab's runs as data: legend text, chart series, CSV rows and error parameters (no streamlit).

Everything here is a pure function of job snapshots (core.training.jobs.JobSnapshot) and the language, so
tests can check it without a browser; pages/lab.py only lays the results out.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import re
from typing import Sequence

from core.training.engine import TrainConfig
from core.training.jobs import JobSnapshot

from . import i18n

METRICS = ("train_loss", "train_error", "test_error")  # what the chart can show
X_AXES = ("step", "epoch")
MAX_POINTS = 600  # per line: a long run is thinned evenly (its last point always kept)
DEFAULT = TrainConfig()
OPTIMIZER_NAMES = {"adam": "Adam", "sgd": "SGD"}  # names, the same in every language

CONFIG_COLUMNS = tuple(f.name for f in dataclasses.fields(TrainConfig))
CSV_COLUMNS = ("run", "model", "status", *CONFIG_COLUMNS,
               "record", "step", "epoch", "elapsed_s", "loss", "train_error", "test_loss", "test_error")


def number(x: float, lang: str) -> str:
    """The shortest exact form: 128, 0.05, 5 × 10⁻⁴, 1.5 × 10⁻³ (decimal comma in Vietnamese)."""
    if float(x).is_integer() and abs(x) < 1e6:
        return i18n.fmt_int(int(x), lang)
    digits = next((d for d in range(4) if float(f"{x:.{d}e}") == x), 4)
    return i18n.fmt_sci(x, lang, digits)


def train_config(snap: JobSnapshot) -> TrainConfig:
    """The TrainConfig of a run, also when its task wraps one (lesson 7's DenseReuseTask)."""
    return getattr(snap.task, "config", snap.task)


def net_name(cfg: TrainConfig, lang: str) -> str:
    """"ResNet-20" or "Plain-20" (the plain word translated)."""
    if cfg.arch in ("densenet", "gated", "scaled") and (cfg.skip or cfg.arch == "densenet"):  # lesson 7
        return i18n.text(lang, f"kinds.net_{cfg.arch}", depth=cfg.depth + 2 if cfg.arch == "densenet" else cfg.depth)
    return i18n.text(lang, "lab.net_residual" if cfg.skip else "lab.net_plain", depth=cfg.depth)


def run_label(run: int, cfg: TrainConfig, lang: str) -> str:
    """Legend text from the config, e.g. "#1 ResNet-20 · Adam 5 × 10⁻⁴ · BN · seed 0".

    Net, optimiser, learning rate, BatchNorm and seed always; the other fields only where they
    differ from TrainConfig's defaults, so two runs that differ show how.
    """
    w = lambda key, **kw: i18n.text(lang, f"lab.legend_{key}", **kw)  # noqa: E731
    parts = [net_name(cfg, lang), f"{OPTIMIZER_NAMES[cfg.optimizer]} {number(cfg.lr, lang)}",
             w("bn" if cfg.batchnorm else "no_bn")]
    if cfg.width != DEFAULT.width:
        parts.append(w("width", width=cfg.width))
    if cfg.block != DEFAULT.block:
        parts.append(w(cfg.block))
    if cfg.skip and cfg.shortcut != DEFAULT.shortcut:
        parts.append(w("shortcut", shortcut=cfg.shortcut))
    if cfg.dataset != DEFAULT.dataset:
        parts.append(i18n.text(lang, f"lab.data_short_{cfg.dataset}"))
    if cfg.batch_size != DEFAULT.batch_size:
        parts.append(w("batch", batch=cfg.batch_size))
    if cfg.weight_decay != DEFAULT.weight_decay:
        parts.append(w("wd", wd=number(cfg.weight_decay, lang)))
    parts.append(w("seed", seed=cfg.seed))
    return f"#{run} " + " · ".join(parts)


def thin(xs: list, ys: list, limit: int = MAX_POINTS) -> tuple[list, list]:
    """At most ``limit`` evenly spaced points, first and last included."""
    n = len(xs)
    if n <= limit:
        return xs, ys
    keep = sorted({round(i * (n - 1) / (limit - 1)) for i in range(limit)})
    return [xs[i] for i in keep], [ys[i] for i in keep]


def series(snap: JobSnapshot, metric: str, x_axis: str, limit: int = MAX_POINTS) -> tuple[list, list]:
    """(x, y) of one run for the chart.

    Training loss and error come from the step records (x: the step, or the fractional epoch
    step / steps per epoch); test error is measured after each epoch (x: that epoch's last step,
    or the epoch number).
    """
    if metric == "test_error":
        xs = [r.step if x_axis == "step" else r.epoch for r in snap.epochs]
        return thin(xs, [r.test_error for r in snap.epochs], limit)
    per_epoch = snap.info.steps_per_epoch if snap.info else 0
    xs = [r.step if x_axis == "step" or not per_epoch else r.step / per_epoch for r in snap.steps]
    ys = [r.loss if metric == "train_loss" else r.train_error for r in snap.steps]
    return thin(xs, ys, limit)


def latest(snap: JobSnapshot) -> dict[str, float | int | None]:
    """The newest numbers of a run: step, epoch, loss, training and test error (None if not yet).
    The loss and training error are the newest record's: over its last ``window`` steps, not the
    epoch's (an EpochRecord's training error, what a pair's verdict compares)."""
    last, ep = (snap.steps[-1] if snap.steps else None), (snap.epochs[-1] if snap.epochs else None)
    before = snap.steps[-2].step if len(snap.steps) > 1 else 0
    return {
        "step": last.step if last else 0,
        "window": last.step - before if last else 0,
        "epoch": last.epoch if last else 0,
        "loss": last.loss if last else None,
        "train_error": last.train_error if last else None,
        "test_error": ep.test_error if ep else None,
    }


def csv_rows(runs: Sequence[tuple[int, JobSnapshot]]) -> list[dict]:
    """One row per record of every run: its number, model, status, every config field, then the
    record's step, epoch, seconds and metrics ("step" rows: the window's loss and training error;
    "epoch" rows: the epoch's training loss and error, and the test loss and error)."""
    rows = []
    for run, snap in runs:
        head = {"run": run, "model": snap.info.model if snap.info else "", "status": snap.status,
                **{k: getattr(snap.task, k) for k in CONFIG_COLUMNS}}
        for r in snap.steps:
            rows.append({**head, "record": "step", "step": r.step, "epoch": r.epoch, "elapsed_s": r.elapsed,
                         "loss": r.loss, "train_error": r.train_error, "test_loss": None, "test_error": None})
        for r in snap.epochs:
            rows.append({**head, "record": "epoch", "step": r.step, "epoch": r.epoch, "elapsed_s": r.elapsed,
                         "loss": r.train_loss, "train_error": r.train_error, "test_loss": r.test_loss,
                         "test_error": r.test_error})
    return rows


def to_csv(rows: list[dict]) -> str:
    """CSV text with CSV_COLUMNS as the header; numbers with a decimal point (repr precision)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in rows)
    return out.getvalue()


def error_params(params: dict, lang: str) -> dict[str, str]:
    """A CoreError's params ready for ``error.<code>``: field and data-set names translated
    ("depth" → "Độ sâu"), numbers in the language's format, option lists joined."""
    cat = i18n.catalog(lang)
    out = {}
    for key, value in params.items():
        if key == "name" and f"lab.field_{value}" in cat:
            value = cat[f"lab.field_{value}"]
        elif key == "model" and str(value).startswith("resnet"):
            value = str(value).replace("resnet", "ResNet-")  # as the family page's menu names it
        elif key == "dataset" and f"lab.data_short_{value}" in cat:
            value = cat[f"lab.data_short_{value}"]
        elif isinstance(value, int) and not isinstance(value, bool):
            value = i18n.fmt_int(value, lang)  # a count (bytes, images) in full: 6,291,464
        elif isinstance(value, float) and math.isfinite(value):
            value = number(value, lang)
        elif isinstance(value, (tuple, list)):
            value = ", ".join(map(str, value))
        elif key == "text":  # what a student typed, shown as typed: no Markdown, LaTeX or HTML of its own
            value = re.sub(r"([\\`*_\[\]<>#|~$])", r"\\\1", str(value))
        out[key] = str(value)
    # A reason code (error.bad_data_file's) is a phrase of its own, filled with the other params.
    if "reason" in out and f"error.idx.{out['reason']}" in cat:
        out["reason"] = i18n.text(lang, f"error.idx.{out['reason']}", **out)
    return out
