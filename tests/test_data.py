"""core.training.data: the fixed digits split, normalisation, IDX files written here, seeded batching."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from core.training.data import (
    TEST_EVERY,
    batch_indices,
    digits_arrays,
    digits_split,
    load_dataset,
    load_digits_dataset,
    load_idx_dataset,
    read_idx,
    synthetic_dataset,
)
from core.errors import BadChoice, BadDataFile, DataMissing


def test_digits_are_scikit_learns_and_the_split_is_fixed_disjoint_complete_and_stratified():
    d = load_digits()
    images, target = digits_arrays()  # read from scikit-learn's file without importing it
    np.testing.assert_array_equal(images, d.images)
    np.testing.assert_array_equal(target, d.target)
    train, test = digits_split(target)
    torch.manual_seed(1234)  # the split must not follow torch's (or numpy's) global seed
    np.random.seed(99)
    train2, test2 = digits_split(target)
    np.testing.assert_array_equal(train, train2)
    np.testing.assert_array_equal(test, test2)
    assert len(train) + len(test) == len(target) == 1797
    assert not set(train) & set(test)
    # Stratified: one image in TEST_EVERY of each class is held out (rounded up).
    per_class = np.bincount(target, minlength=10)
    np.testing.assert_array_equal(np.bincount(target[test], minlength=10), -(-per_class // TEST_EVERY))


def test_digits_tensors_are_the_images_normalised_with_train_statistics():
    d = load_digits()
    data = load_digits_dataset()
    train, test = digits_split(d.target)
    raw_train = d.images[train] / 16.0
    mean, std = raw_train.mean(), raw_train.std()
    assert data.x_train.shape == (len(train), 1, 8, 8) and data.x_test.shape == (len(test), 1, 8, 8)
    assert data.x_train.dtype == torch.float32 and data.y_train.dtype == torch.int64
    np.testing.assert_allclose(data.x_train[:, 0].numpy(), (raw_train - mean) / std, atol=1e-5)
    np.testing.assert_allclose(data.x_test[:, 0].numpy(), (d.images[test] / 16.0 - mean) / std, atol=1e-5)
    np.testing.assert_array_equal(data.y_test.numpy(), d.target[test])
    assert (data.num_classes, data.in_channels, data.image_size) == (10, 1, 8)


def test_load_dataset_is_cached_and_rejects_unknown_names():
    assert load_dataset("digits") is load_dataset("digits", device="cpu")
    with pytest.raises(BadChoice) as err:
        load_dataset("cifar100")
    assert err.value.code == "bad_choice" and err.value.params["value"] == "cifar100"


def write_idx(path, array: np.ndarray, code: int, compress: bool) -> None:
    """Write ``array`` in the IDX format: 0, 0, type code, ndim, big-endian dims, big-endian data."""
    dtypes = {0x08: ">u1", 0x0C: ">i4", 0x0D: ">f4"}
    raw = bytes([0, 0, code, array.ndim]) + np.array(array.shape, dtype=">u4").tobytes()
    raw += array.astype(dtypes[code]).tobytes()
    path.write_bytes(gzip.compress(raw) if compress else raw)


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("code", [0x08, 0x0C, 0x0D])
def test_read_idx_round_trips(tmp_path, compress, code):
    rng = np.random.default_rng(code)
    array = rng.integers(0, 255, size=(3, 5, 4)).astype(np.float64)
    if code == 0x0D:
        array = array / 7.0  # non-integers survive a float32 file
    path = tmp_path / "x.idx"
    write_idx(path, array, code, compress)
    got = read_idx(path)
    assert got.shape == (3, 5, 4)
    np.testing.assert_allclose(got, array.astype(np.float32 if code == 0x0D else np.int64), rtol=1e-6)


def test_read_idx_rejects_broken_files(tmp_path):
    bad_magic = tmp_path / "a"
    bad_magic.write_bytes(b"\x01\x02\x08\x01\x00\x00\x00\x01\x05")
    truncated = tmp_path / "b"
    write_idx(truncated, np.zeros((4, 2, 2)), 0x08, False)
    truncated.write_bytes(truncated.read_bytes()[:-3])
    for path, reason in ((bad_magic, "magic"), (truncated, "size")):
        with pytest.raises(BadDataFile) as err:
            read_idx(path)
        assert err.value.code == "bad_data_file" and err.value.params["reason"] == reason
    assert (err.value.params["expected"], err.value.params["found"]) == (16, 13)


def write_mnist_like(root, n_train=12, n_test=5, side=6, compress_train=True):
    """Four IDX files with the standard names; the test set uses the dotted spelling, uncompressed."""
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, side, side)),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train),
        "t10k-images.idx3-ubyte": rng.integers(0, 256, (n_test, side, side)),
        "t10k-labels.idx1-ubyte": rng.integers(0, 10, n_test),
    }
    for name, array in arrays.items():
        gz = compress_train and name.startswith("train")
        write_idx(root / (name + (".gz" if gz else "")), array, 0x08, gz)
    return arrays


def test_idx_dataset_from_files_the_test_writes(tmp_path):
    arrays = write_mnist_like(tmp_path)
    data = load_idx_dataset(tmp_path, "fashion_mnist")
    raw_train = arrays["train-images-idx3-ubyte"] / 255.0
    mean, std = raw_train.mean(), raw_train.std()
    assert data.x_train.shape == (12, 1, 6, 6) and data.x_test.shape == (5, 1, 6, 6)
    np.testing.assert_allclose(data.x_train[:, 0].numpy(), (raw_train - mean) / std, atol=1e-5)
    np.testing.assert_allclose(data.x_test[:, 0].numpy(),
                               (arrays["t10k-images.idx3-ubyte"] / 255.0 - mean) / std, atol=1e-5)
    np.testing.assert_array_equal(data.y_train.numpy(), arrays["train-labels-idx1-ubyte"])
    np.testing.assert_array_equal(data.y_test.numpy(), arrays["t10k-labels.idx1-ubyte"])
    # Through the cached loader too, by data set name and folder.
    assert load_dataset("mnist", str(tmp_path)).x_test.shape == (5, 1, 6, 6)


def test_idx_dataset_missing_or_mismatched(tmp_path):
    with pytest.raises(DataMissing) as err:
        load_idx_dataset(tmp_path / "nowhere", "mnist")
    assert err.value.code == "data_missing" and err.value.params["dataset"] == "mnist"
    arrays = write_mnist_like(tmp_path, compress_train=False)
    write_idx(tmp_path / "train-labels-idx1-ubyte", arrays["train-labels-idx1-ubyte"][:-1], 0x08, False)
    with pytest.raises(BadDataFile):
        load_idx_dataset(tmp_path)


def test_batches_follow_the_generator_seed_and_cover_every_example():
    a = batch_indices(103, 16, torch.Generator().manual_seed(5))
    b = batch_indices(103, 16, torch.Generator().manual_seed(5))
    c = batch_indices(103, 16, torch.Generator().manual_seed(6))
    assert [len(x) for x in a] == [16] * 6 + [7]
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not all(torch.equal(x, y) for x, y in zip(a, c))
    assert torch.equal(torch.cat(a).sort().values, torch.arange(103))


def test_synthetic_images_are_reproducible_and_learnable_by_nearest_template():
    a, b = synthetic_dataset(seed=3), synthetic_dataset(seed=3)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_test, b.y_test)
    # Class means of the training set classify the test set far above chance (10 %).
    means = torch.stack([a.x_train[a.y_train == k].mean(0) for k in range(a.num_classes)])  # (K, 1, 8, 8)
    dist = ((a.x_test[:, None] - means[None]) ** 2).flatten(2).sum(-1)  # (N, K)
    accuracy = (dist.argmin(1) == a.y_test).float().mean()
    assert accuracy > 0.5
