"""The Lab's pure helpers (ui/runs.py) on records from a real tiny training run."""

from __future__ import annotations

import csv
import io

import pytest

from core.training.engine import TrainConfig, train
from core.training.tasks import EpochRecord, RunInfo, StepRecord
from core.errors import BadDepth, DataMissing, OutOfRange
from core.training.jobs import JobSnapshot
from ui import i18n, runs

CFG = TrainConfig(depth=8, epochs=2, log_every=1, seed=3)


@pytest.fixture(scope="module")
def snap() -> JobSnapshot:
    records = []
    out = train(CFG, records.append)
    info = next(r for r in records if isinstance(r, RunInfo))
    steps = tuple(r for r in records if isinstance(r, StepRecord))
    epochs = tuple(r for r in records if isinstance(r, EpochRecord))
    return JobSnapshot("job-x", CFG, out.status, 0, info, steps, epochs, None, None, 1, 1.0)


def test_numbers_take_the_shortest_exact_form_in_each_language():
    assert runs.number(5e-4, "en") == "5 × 10⁻⁴"
    assert runs.number(1.5e-3, "vi") == "1,5 × 10⁻³"
    assert runs.number(0.05, "vi") == "0,05"
    assert runs.number(600.0, "en") == "600"
    assert runs.number(1_000, "vi") == "1.000"


def test_legend_is_built_from_the_config_in_the_language():
    assert runs.run_label(1, TrainConfig(), "en") == "#1 ResNet-20 · Adam 5 × 10⁻⁴ · BN · seed 0"
    plain = TrainConfig(depth=56, skip=False, batchnorm=False, optimizer="sgd", lr=0.1, seed=4)
    assert runs.run_label(2, plain, "en") == "#2 Plain-56 · SGD 0.1 · no BN · seed 4"
    assert runs.run_label(2, plain, "vi") == "#2 Mạng thường-56 · SGD 0,1 · không BN · seed 4"
    # Fields away from their defaults appear, so two runs that differ say how.
    wide = TrainConfig(width=32, block="preact", shortcut="B", dataset="synthetic", batch_size=64, weight_decay=0.0)
    assert runs.run_label(3, wide, "en") == (
        "#3 ResNet-20 · Adam 5 × 10⁻⁴ · BN · width 32 · pre-activation · shortcut B · synthetic · batch 64 · wd 0 · seed 0")


def test_series_follow_the_records(snap):
    per_epoch = snap.info.steps_per_epoch
    x, y = runs.series(snap, "train_loss", "step")
    assert x == [r.step for r in snap.steps] and y == [r.loss for r in snap.steps]
    x, y = runs.series(snap, "train_error", "epoch")
    assert x == [r.step / per_epoch for r in snap.steps] and y == [r.train_error for r in snap.steps]
    assert x[-1] == CFG.epochs  # the last step closes the last epoch
    x, y = runs.series(snap, "test_error", "epoch")
    assert x == [1, 2] and y == [r.test_error for r in snap.epochs]
    x, _ = runs.series(snap, "test_error", "step")
    assert x == [per_epoch, 2 * per_epoch]


def test_thin_keeps_first_and_last_and_the_limit():
    xs = list(range(10_000))
    tx, ty = runs.thin(xs, xs, 600)
    assert len(tx) == 600 and tx[0] == 0 and tx[-1] == 9_999 and tx == ty
    assert runs.thin([1, 2], [3, 4], 600) == ([1, 2], [3, 4])


def test_csv_has_one_row_per_record_with_the_records_values(snap):
    text = runs.to_csv(runs.csv_rows([(7, snap)]))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == runs.CSV_COLUMNS
    assert len(rows) == len(snap.steps) + len(snap.epochs)
    steps = [r for r in rows if r["record"] == "step"]
    for row, rec in zip(steps, snap.steps, strict=True):
        assert (int(row["step"]), int(row["epoch"])) == (rec.step, rec.epoch)
        assert float(row["loss"]) == rec.loss and float(row["train_error"]) == rec.train_error  # exact: repr
        assert row["test_error"] == ""
    epochs = [r for r in rows if r["record"] == "epoch"]
    for row, rec in zip(epochs, snap.epochs, strict=True):
        assert float(row["loss"]) == rec.train_loss and float(row["test_error"]) == rec.test_error
        assert float(row["test_loss"]) == rec.test_loss
    row = rows[0]
    assert (row["run"], row["model"], row["status"]) == ("7", "ResNet-8", "done")
    assert (row["depth"], row["skip"], row["optimizer"], row["lr"], row["seed"]) == ("8", "True", "adam", "0.0005", "3")


def test_error_params_translate_names_and_format_numbers():
    p = runs.error_params(OutOfRange("depth", 1202, 8, 110).params, "vi")
    assert i18n.text("vi", "error.out_of_range", **p) == (
        "Độ sâu phải nằm trong khoảng từ 8 đến 110; giá trị nhận được là 1.202.")
    p = runs.error_params(OutOfRange("lr", 200.0, 0.0, 100.0).params, "en")
    assert i18n.text("en", "error.out_of_range", **p).startswith("The learning rate must lie between 0 and 100;")
    assert runs.error_params(DataMissing("fashion_mnist", "/data").params, "en")["dataset"] == "Fashion-MNIST"
    assert runs.error_params(BadDepth(21, 20).params, "en") == {"depth": "21", "nearest": "20"}


def test_runs_module_is_pure():
    from tests.test_structure import ROOT, imported_modules

    assert "streamlit" not in imported_modules(ROOT / "ui" / "runs.py")
