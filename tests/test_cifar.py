"""The CIFAR-10 reader: real layouts read back exactly; anything else is a clear CoreError, and a
hostile pickle never runs."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest

from core.errors import CoreError
from core.training.cifar import TEST_FILE, TRAIN_FILES, load_cifar10, read_batch, write_batch
from tests.fakes import fake_images, python2_batch, write_fake_cifar


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_batches_read_back_exactly(tmp_path, protocol):
    x, y = fake_images(7, np.random.default_rng(1))
    write_batch(tmp_path / "b", x, y, protocol)
    xr, yr = read_batch(tmp_path / "b")
    assert xr.dtype == np.uint8 and xr.shape == (7, 3, 32, 32) and np.array_equal(xr, x)
    assert yr.dtype == np.int64 and np.array_equal(yr, y)


def test_the_python2_layout_of_the_real_files_is_read(tmp_path):
    x, y = fake_images(5, np.random.default_rng(2))
    (tmp_path / "b").write_bytes(python2_batch(x, list(y)))
    assert pickle.loads((tmp_path / "b").read_bytes(), encoding="bytes")[b"data"].shape == (5, 3072)  # as numpy reads it
    xr, yr = read_batch(tmp_path / "b")
    assert np.array_equal(xr, x) and np.array_equal(yr, y)


def test_a_folder_or_its_parent_loads_all_six_batches(tmp_path):
    folder = write_fake_cifar(tmp_path, per_batch=6, n_test=4)
    for path in (tmp_path, folder):
        data = load_cifar10(path)
        assert data.x_train.shape == (30, 3, 32, 32) and data.y_train.shape == (30,)
        assert data.x_test.shape == (4, 3, 32, 32)
    assert np.array_equal(data.x_train[:6], read_batch(folder / TRAIN_FILES[0])[0])  # batches in order


def test_missing_files_are_named(tmp_path):
    folder = write_fake_cifar(tmp_path, per_batch=2, n_test=2)
    (folder / TRAIN_FILES[3]).unlink()
    with pytest.raises(CoreError) as err:
        load_cifar10(tmp_path)
    assert err.value.code == "cifar_missing" and err.value.params["missing"] == TRAIN_FILES[3]


class _Hostile:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def _bad_files(tmp_path):
    x, y = fake_images(3, np.random.default_rng(3))
    flat = x.reshape(3, -1)
    good = {b"data": flat, b"labels": [int(v) for v in y]}
    return {
        "hostile": pickle.dumps({b"data": _Hostile(tmp_path / "pwned"), b"labels": [1]}, protocol=2),
        "object_array": pickle.dumps({**good, b"data": np.array([[1, "a"]], dtype=object)}, protocol=2),
        "not_a_dict": pickle.dumps([flat, list(y)], protocol=2),
        "wrong_width": pickle.dumps({**good, b"data": flat[:, :100]}, protocol=2),
        "float_pixels": pickle.dumps({**good, b"data": flat.astype(np.float32)}, protocol=2),
        "label_range": pickle.dumps({**good, b"labels": [0, 1, 10]}, protocol=2),
        "label_count": pickle.dumps({**good, b"labels": [0, 1]}, protocol=2),
        "label_type": pickle.dumps({**good, b"labels": ["cat", "dog", "cat"]}, protocol=2),
        "truncated": pickle.dumps(good, protocol=2)[:-200],
        "not_a_pickle": b"data,labels\n1,2\n",
        "empty": b"",
    }


BAD = ("hostile", "object_array", "not_a_dict", "wrong_width", "float_pixels", "label_range", "label_count",
       "label_type", "truncated", "not_a_pickle", "empty")


@pytest.mark.parametrize("kind", BAD)
def test_malformed_batches_are_rejected_with_a_clear_error(tmp_path, kind):
    path = tmp_path / TEST_FILE
    path.write_bytes(_bad_files(tmp_path)[kind])
    with pytest.raises(CoreError) as err:
        read_batch(path)
    assert err.value.code == "bad_cifar_file" and err.value.params["path"] == str(path)
    assert str(path) in str(err.value)
    assert not (tmp_path / "pwned").exists()  # the hostile pickle's command never ran
