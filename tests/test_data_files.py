"""Corrupt data files and odd data folders: every case ends in a CoreError that names the file (or
the folder as typed) and a reason the pages translate; never an OSError, IndexError or
ZeroDivisionError from deep inside training."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import numpy as np
import pytest

from core.errors import BadDataFile, CoreError, DataMissing, DataPathError
from core.training.data import IDX_STEMS, check_available, load_idx_dataset, read_idx
from core.training.engine import TrainConfig, train
from tests.test_data import write_idx, write_mnist_like
from ui import i18n, runs


def message(err: CoreError, lang: str) -> str:
    return i18n.text(lang, f"error.{err.code}", **runs.error_params(err.params, lang))


def assert_translated(err: CoreError, *must: str) -> None:
    """The message exists in both languages, is filled in, differs between them and names ``must``."""
    texts = {lang: message(err, lang) for lang in i18n.LANGS}
    for lang, text in texts.items():
        assert not re.search(r"\{\w+\}", text), (lang, text)
        assert "Error" not in text and "Traceback" not in text, text
        for word in must:
            assert word in text, (lang, word, text)
    assert texts["en"] != texts["vi"]


# --- Folders a student types (issue 13, items 1 and 6) ---------------------------------------------

def test_a_folder_name_too_long_is_a_translated_error_not_an_oserror():
    name = "a" * 300
    with pytest.raises(DataPathError) as err:
        check_available("mnist", name)
    assert err.value.code == "data_path.too_long"
    assert len(err.value.params["path"]) <= 120 and err.value.params["path"].startswith("aaa")
    assert_translated(err.value)
    with pytest.raises(CoreError):  # the Lab's check before Train, with the job registry's limits
        TrainConfig(dataset="mnist", data_dir=name).validate()


def test_a_file_a_nul_byte_an_unknown_user_and_no_permission_are_translated(tmp_path, monkeypatch):
    file = tmp_path / "notes.txt"
    file.write_text("hello")
    cases = {str(file): "data_path.not_a_folder", "da\x00ta": "data_path.unreadable",
             "~no_such_user_9f3/mnist": "data_path.unreadable"}
    for folder, code in cases.items():
        with pytest.raises(DataPathError) as err:
            check_available("fashion_mnist", folder)
        assert err.value.code == code, folder
        assert_translated(err.value)

    def denied(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "is_file", denied)  # the tests run as root: chmod would not stop them
    with pytest.raises(DataPathError) as err:
        check_available("mnist", str(tmp_path))
    assert err.value.code == "data_path.denied"
    assert_translated(err.value, str(tmp_path))


def test_missing_files_name_the_folder_as_typed_never_the_servers_home():
    for typed in ("~", "~/no_such_folder_71"):
        with pytest.raises(DataMissing) as err:
            check_available("mnist", typed)
        assert err.value.params["path"] == typed
        assert_translated(err.value, typed)
        assert str(Path.home()) not in message(err.value, "en") or str(Path.home()) == "/"
    with pytest.raises(DataMissing) as err:
        check_available("fashion_mnist", "")
    assert err.value.params["path"] == "data/fashion_mnist"  # the default, as the placeholder shows it


# --- Corrupt IDX files (issue 13, item 5) ------------------------------------------------------------

def corrupt(root: Path, case: str) -> str:
    """Write a four-file set with one defect; return the name of the file at fault."""
    arrays = write_mnist_like(root, compress_train=True)
    train_labels = root / "train-labels-idx1-ubyte.gz"
    if case == "gzip":  # gzip's magic bytes, then not gzip at all
        train_labels.write_bytes(b"\x1f\x8b\x63" + bytes(40))
    elif case == "gzip_cut":
        train_labels.write_bytes(train_labels.read_bytes()[:20])
        case = "gzip"
    elif case == "label_range":  # labels of 255 (issue: IndexError: Target 255 is out of bounds)
        write_idx(train_labels, np.full(12, 255), 0x08, True)
    elif case == "too_few":  # a one-image training set (issue: ZeroDivisionError)
        write_idx(root / "train-images-idx3-ubyte.gz", arrays["train-images-idx3-ubyte"][:1], 0x08, True)
        write_idx(train_labels, arrays["train-labels-idx1-ubyte"][:1], 0x08, True)
        return "train-images-idx3-ubyte.gz"
    elif case == "pairing":
        write_idx(train_labels, arrays["train-labels-idx1-ubyte"][:-1], 0x08, True)
    elif case == "image_shape":  # test images 5×5, training images 6×6
        write_idx(root / "t10k-images.idx3-ubyte", np.zeros((5, 5, 5)), 0x08, False)
        return "t10k-images.idx3-ubyte"
    elif case == "not_images":  # a labels file where the images belong
        write_idx(root / "t10k-images.idx3-ubyte", np.zeros(5), 0x08, False)
        return "t10k-images.idx3-ubyte"
    elif case == "not_labels":
        write_idx(root / "t10k-labels.idx1-ubyte", np.zeros((5, 2)), 0x08, False)
        return "t10k-labels.idx1-ubyte"
    elif case == "label_type":
        write_idx(root / "t10k-labels.idx1-ubyte", np.zeros(5), 0x0D, False)
        return "t10k-labels.idx1-ubyte"
    elif case == "not_finite":
        write_idx(root / "t10k-images.idx3-ubyte", np.full((5, 6, 6), np.nan), 0x0D, False)
        return "t10k-images.idx3-ubyte"
    elif case == "magic":
        train_labels.write_bytes(gzip.compress(b"PK\x03\x04 a zip file"))
    elif case == "type":
        train_labels.write_bytes(gzip.compress(b"\x00\x00\x07\x01" + bytes(8)))
    elif case == "header":
        train_labels.write_bytes(gzip.compress(b"\x00\x00\x08\x03\x00\x00"))
    elif case == "size":
        train_labels.write_bytes(gzip.compress(gzip.decompress(train_labels.read_bytes())[:-2]))
    return "train-labels-idx1-ubyte.gz"


CASES = ["gzip", "gzip_cut", "label_range", "too_few", "pairing", "image_shape", "not_images", "not_labels",
         "label_type", "not_finite", "magic", "type", "header", "size"]


@pytest.mark.parametrize("case", CASES)
def test_each_corrupt_file_is_named_with_a_translated_reason(tmp_path, case):
    culprit = corrupt(tmp_path, case)
    with pytest.raises(BadDataFile) as err:
        load_idx_dataset(tmp_path, "mnist")
    assert err.value.code == "bad_data_file"
    assert err.value.params["path"] == culprit
    assert err.value.params["reason"] == case.replace("gzip_cut", "gzip")
    assert_translated(err.value, culprit)


@pytest.mark.parametrize("case", ["gzip", "label_range", "too_few"])
def test_training_on_the_issues_files_fails_with_the_file_named(tmp_path, case):
    """The three files of the issue, through the engine as a job runs them: before, BadGzipFile,
    IndexError and ZeroDivisionError escaped and were shown by their Python names."""
    culprit = corrupt(tmp_path, case)
    cfg = TrainConfig(depth=8, width=4, dataset="mnist", data_dir=str(tmp_path), epochs=1, batch_size=8)
    cfg.validate()  # the four files are there: the request is accepted, as in the Lab
    with pytest.raises(BadDataFile) as err:
        train(cfg)
    assert err.value.params["path"] == culprit


def test_an_unreadable_file_is_named(tmp_path, monkeypatch):
    write_mnist_like(tmp_path)

    def denied(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(BadDataFile) as err:
        read_idx(tmp_path / (IDX_STEMS[0] + ".gz"))
    assert err.value.params == {"path": IDX_STEMS[0] + ".gz", "reason": "unreadable"}
    assert_translated(err.value, IDX_STEMS[0])
