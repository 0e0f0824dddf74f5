"""Data sets as tensors: scikit-learn's digits (default), a synthetic image set, MNIST-style IDX files.

Nothing is ever downloaded. Small data sets live whole on the training device and are batched by
indexing with a seeded ``randperm``, which is faster than a ``DataLoader`` for tensors this small.
"""

from __future__ import annotations

import errno
import gzip
import importlib.util
import math
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from core.errors import BadChoice, BadDataFile, DataMissing, DataPathError

DATASETS = ("digits", "synthetic", "mnist", "fashion_mnist")
SPLIT_SEED = 0  # the digits train/test split never depends on the training seed
TEST_EVERY = 5  # one digit in five (per class) is held out for testing


@dataclass(frozen=True, eq=False)
class Dataset:
    """A classification data set held as tensors (images normalised to mean 0, std 1 on train).

    ``x_*``: (N, C, H, W) float32; ``y_*``: (N,) int64 class indices in [0, num_classes).
    """

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    num_classes: int

    @property
    def in_channels(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def image_size(self) -> int:
        return int(self.x_train.shape[-1])

    def to(self, device: torch.device | str) -> Dataset:
        """The same data set on ``device``."""
        move = lambda t: t.to(device)  # noqa: E731
        return Dataset(self.name, move(self.x_train), move(self.y_train),
                       move(self.x_test), move(self.y_test), self.num_classes)


def _normalise(x_train: np.ndarray, x_test: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """Float tensors standardised with the training set's mean and std (one scalar each)."""
    mean, std = float(x_train.mean()), float(x_train.std()) or 1.0
    as_t = lambda a: torch.from_numpy(((a - mean) / std).astype(np.float32))  # noqa: E731
    return as_t(x_train), as_t(x_test)


def digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1,797 digits: images (1797, 8, 8) with values 0…16, and labels (1797,)."""
    # Read the CSV that scikit-learn ships without importing scikit-learn: its import alone takes
    # about 1 s, more than half of a first click's budget in a fresh process.
    spec = importlib.util.find_spec("sklearn")
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz" if spec else None
    if path is not None and path.is_file():
        raw = np.loadtxt(path, delimiter=",")  # (1797, 65): 64 pixels, then the label
        return raw[:, :64].reshape(-1, 8, 8), raw[:, 64].astype(np.int64)
    from sklearn.datasets import load_digits  # the file moved in some release: the public way

    d = load_digits()
    return d.images, d.target


def digits_split(target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fixed stratified split (train, test indices): every fifth image of each class, in an order
    shuffled once with SPLIT_SEED, is a test image (1,433 train / 364 test)."""
    rng = np.random.default_rng(SPLIT_SEED)
    test = np.concatenate([rng.permutation(np.flatnonzero(target == k))[::TEST_EVERY]
                           for k in np.unique(target)])
    is_test = np.zeros(len(target), dtype=bool)
    is_test[test] = True
    return np.flatnonzero(~is_test), np.flatnonzero(is_test)


def load_digits_dataset() -> Dataset:
    """scikit-learn's handwritten digits (8×8, 17 grey levels), shipped with the library."""
    images, target = digits_arrays()
    train, test = digits_split(target)
    images = images[:, None] / 16.0  # (1797, 1, 8, 8) in [0, 1]
    x_train, x_test = _normalise(images[train], images[test])
    y = torch.from_numpy(target)
    return Dataset("digits", x_train, y[train], x_test, y[test], 10)


def synthetic_dataset(n_train: int = 1000, n_test: int = 250, classes: int = 10, size: int = 8,
                      noise: float = 0.6, seed: int = 0) -> Dataset:
    """Noisy copies of one random smooth template per class: an image task that needs no files."""
    g = torch.Generator().manual_seed(seed)
    coarse = torch.randn(classes, 1, size // 2, size // 2, generator=g)
    templates = torch.nn.functional.interpolate(coarse, size=(size, size), mode="bilinear")  # (K, 1, S, S)

    def sample(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        y = torch.randint(0, classes, (n,), generator=g)
        x = templates[y] + noise * torch.randn(n, 1, size, size, generator=g)  # (n, 1, S, S)
        return x, y

    (x_train, y_train), (x_test, y_test) = sample(n_train), sample(n_test)
    x_train, x_test = _normalise(x_train.numpy(), x_test.numpy())
    return Dataset("synthetic", x_train, y_train, x_test, y_test, classes)


# IDX element types (first bytes of the format of LeCun et al.'s MNIST files): code → big-endian dtype.
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | Path) -> np.ndarray:
    """An IDX file (gzipped or not: told by its first bytes, not its name) as a numpy array.

    Anything wrong with the file raises BadDataFile naming the file (not its folder) and a reason code.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError:
        raise BadDataFile(path.name, "unreadable") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error):  # BadGzipFile is an OSError; a cut-off file, EOFError
            raise BadDataFile(path.name, "gzip") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise BadDataFile(path.name, "magic")
    code, ndim = raw[2], raw[3]
    if code not in _IDX_TYPES:
        raise BadDataFile(path.name, "type", element=f"0x{code:02x}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise BadDataFile(path.name, "header", dims=ndim)
    shape = tuple(int(d) for d in np.frombuffer(raw[4:header], dtype=">u4")) if ndim else ()
    dtype = np.dtype(_IDX_TYPES[code])
    expected = math.prod(shape) * dtype.itemsize
    if len(raw) - header != expected:
        raise BadDataFile(path.name, "size", expected=expected, found=len(raw) - header)
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


IDX_STEMS = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
DATA_ROOT = Path(__file__).resolve().parents[1] / "data"  # default home of IDX folders: data/<name>


def _find_idx(root: Path, stem: str) -> Path | None:
    """``stem`` under ``root`` in either common spelling (``-idx3-ubyte`` or ``.idx3-ubyte``), .gz or not."""
    for name in (stem, stem.replace("-idx", ".idx")):
        for suffix in ("", ".gz"):
            if (root / (name + suffix)).is_file():
                return root / (name + suffix)
    return None


def shown_path(path: str, limit: int = 120) -> str:
    """A path as the user typed it, cut in the middle when longer than ``limit`` characters."""
    return path if len(path) <= limit else path[: limit // 2 - 1] + "…" + path[-(limit // 2 - 1):]


def _path_problem(exc: Exception) -> str:
    """DataPathError's problem code for an exception from looking into a folder."""
    if isinstance(exc, PermissionError):
        return "denied"
    if isinstance(exc, OSError) and exc.errno == errno.ENAMETOOLONG:
        return "too_long"
    if isinstance(exc, NotADirectoryError):
        return "not_a_folder"
    return "unreadable"


def idx_paths(name: str, data_dir: str | Path = "") -> list[Path]:
    """The four IDX files of ``name`` (data_dir, or data/<name>), or DataMissing if any is absent.

    Messages show the folder as the user typed it (``~`` stays ``~``: the server's paths are not
    shown); any failure to look into it (a name too long, no permission, a file, a NUL byte, an
    unknown ``~user``) is a DataPathError, never an OSError.
    """
    shown = shown_path(str(data_dir) if data_dir else f"data/{name}")
    try:
        if "\x00" in str(data_dir):  # pathlib answers "does not exist" for these: say what is wrong
            raise ValueError("embedded null byte")
        root = Path(data_dir).expanduser() if data_dir else DATA_ROOT / name
        if root.exists() and not root.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "not a directory", str(root))
        paths = [_find_idx(root, stem) for stem in IDX_STEMS]
    except (OSError, ValueError, RuntimeError) as exc:  # RuntimeError: expanduser of an unknown ~user
        raise DataPathError(name, shown, _path_problem(exc)) from None
    if any(p is None for p in paths):
        raise DataMissing(name, shown)
    return paths


def check_available(name: str, data_dir: str = "") -> None:
    """Raise a CoreError unless ``name`` loads here without a download (no files are read)."""
    if name not in DATASETS:
        raise BadChoice("dataset", name, DATASETS)
    if name in ("mnist", "fashion_mnist"):
        idx_paths(name, data_dir)


NUM_CLASSES_IDX = 10  # MNIST and Fashion-MNIST: labels 0…9
MIN_TRAIN, MIN_TEST = 2, 1  # a training step needs two images (BatchNorm); a test error needs one


def check_idx_arrays(paths: list[Path], arrays: list[np.ndarray], classes: int = NUM_CLASSES_IDX) -> None:
    """Raise BadDataFile naming the file at fault unless (train images, train labels, test images,
    test labels) make a usable classification set: images (N, H, W) of finite numbers, labels (N,)
    whole numbers in [0, classes), as many labels as images, test images the size of the training
    images, at least MIN_TRAIN / MIN_TEST images."""
    names = [p.name for p in paths]
    for i in (0, 2):
        x, y, xn, yn = arrays[i], arrays[i + 1], names[i], names[i + 1]
        if x.ndim != 3:
            raise BadDataFile(xn, "not_images", dims=x.ndim)
        if y.ndim != 1:
            raise BadDataFile(yn, "not_labels", dims=y.ndim)
        if len(x) != len(y):
            raise BadDataFile(yn, "pairing", labels=len(y), images=len(x), other=xn)
        if len(x) < (MIN_TRAIN if i == 0 else MIN_TEST):
            raise BadDataFile(xn, "too_few", count=len(x), minimum=MIN_TRAIN if i == 0 else MIN_TEST)
        if x.dtype.kind == "f" and not np.isfinite(x).all():
            raise BadDataFile(xn, "not_finite")
        if y.dtype.kind not in "iu":
            raise BadDataFile(yn, "label_type")
        bad = y[(y < 0) | (y >= classes)]
        if len(bad):
            raise BadDataFile(yn, "label_range", label=int(bad[0]), classes=classes, top=classes - 1)
    if arrays[2].shape[1:] != arrays[0].shape[1:]:
        (h, w), (th, tw) = arrays[2].shape[1:], arrays[0].shape[1:]
        raise BadDataFile(names[2], "image_shape", size=f"{h}×{w}", train=f"{th}×{tw}", other=names[0])


def load_idx_dataset(root: str | Path, name: str = "mnist") -> Dataset:
    """MNIST or Fashion-MNIST from the four standard IDX files in ``root`` (28×28, 10 classes).

    The files are checked when read (check_idx_arrays): a broken one is named in a BadDataFile,
    before any training step could fail on it.
    """
    paths = idx_paths(name, root)
    arrays = [read_idx(p) for p in paths]
    check_idx_arrays(paths, arrays)
    xtr, ytr, xte, yte = arrays
    x_train, x_test = _normalise(xtr[:, None] / 255.0, xte[:, None] / 255.0)  # (N, 1, 28, 28)
    as_y = lambda a: torch.from_numpy(a.astype(np.int64))  # noqa: E731
    return Dataset(name, x_train, as_y(ytr), x_test, as_y(yte), NUM_CLASSES_IDX)


_CACHE: dict[tuple[str, str, str], Dataset] = {}
_CACHE_LOCK = threading.RLock()  # re-entrant: a device copy loads the CPU copy first


def load_dataset(name: str = "digits", data_dir: str = "", device: torch.device | str = "cpu") -> Dataset:
    """A data set by name, on ``device``, loaded once per process and shared (read-only)."""
    check_available(name, data_dir)
    key = (name, str(Path(data_dir).expanduser()) if data_dir else "", str(torch.device(device)))
    # One lock for all loads: two jobs asking for MNIST at once read the files once.
    with _CACHE_LOCK:
        if key not in _CACHE:
            if key[2] != "cpu":
                data = load_dataset(name, data_dir, "cpu").to(device)
            elif name == "digits":
                data = load_digits_dataset()
            elif name == "synthetic":
                data = synthetic_dataset()
            else:
                data = load_idx_dataset(data_dir, name)
            _CACHE[key] = data
        return _CACHE[key]


def batch_indices(n: int, batch_size: int, generator: torch.Generator) -> tuple[torch.Tensor, ...]:
    """One epoch's minibatches: a seeded shuffle of range(n) cut into pieces of ``batch_size``."""
    return torch.randperm(n, generator=generator).split(batch_size)
