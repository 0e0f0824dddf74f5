"""CIFAR-10 from a local copy of its python batches (``cifar-10-batches-py``), read safely.

The batches are Python pickles. ``pickle.load`` would run whatever a file asks for, so a file that
is not what it claims could execute code. Here a restricted unpickler admits exactly the globals
that a pickled dict of a numpy ``uint8`` array and a list of labels needs, each behind a wrapper
that checks its arguments, and then every field read is validated (types, shapes, label range).
Nothing is ever downloaded.
"""

from __future__ import annotations

import io
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import BadCifarFile, CifarMissing

FOLDER = "cifar-10-batches-py"
TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_FILE = "test_batch"
CLASSES = 10
SIDE = 32
PIXELS = 3 * SIDE * SIDE  # a row of ``data``: 1024 red, then 1024 green, then 1024 blue values
MAX_FILE_BYTES = 256 * 2**20  # a real batch has 31 MB; anything far larger is not one

_np_core = getattr(np, "_core", None) or np.core  # numpy 2 renamed numpy.core to numpy._core
# Plain numeric types only: an object dtype would let the array hold arbitrary unpickled objects.
_DTYPES = {"u1", "i1", "u2", "i2", "u4", "i4", "u8", "i8", "f4", "f8", "b1"}


def _dtype(name, align=False, copy=False):
    """numpy.dtype for plain numeric types only."""
    name = name.decode("ascii", "replace") if isinstance(name, bytes) else name
    if not isinstance(name, str) or name.lstrip("<>|=") not in _DTYPES:
        raise pickle.UnpicklingError(f"dtype {name!r} is not allowed")
    return np.dtype(name, bool(align), bool(copy))


def _reconstruct(cls, shape, code):
    """numpy's array constructor for pickles, for plain ndarrays only (its state is set afterwards)."""
    if cls is not np.ndarray:
        raise pickle.UnpicklingError("only numpy.ndarray may be rebuilt")
    return _np_core.multiarray._reconstruct(np.ndarray, shape, code)


def _frombuffer(buf, dtype, shape, order):
    """numpy's protocol-5 array constructor, for plain numeric dtypes only."""
    if not isinstance(dtype, np.dtype) or dtype.kind not in "uifb":
        raise pickle.UnpicklingError("only numeric arrays are allowed")
    return np.frombuffer(buf, dtype=dtype).reshape(shape, order=order).copy()


def _latin1(text, encoding):
    """codecs.encode as protocol-2 pickles written by Python 3 use it for bytes: latin-1 only."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError("only latin-1 text may be encoded")
    return text.encode("latin1")


# (module, name) → the callable the unpickler gets instead. Python 2 wrote the real files
# (numpy.core.multiarray); numpy 2 writes numpy._core.multiarray.
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy.core.numeric", "_frombuffer"): _frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _frombuffer,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): _dtype,
    ("_codecs", "encode"): _latin1,
}


class _SafeUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a CIFAR batch") from None


def _field(batch: dict, name: str):
    """``batch[name]``; Python 2's str keys arrive as bytes."""
    for key in (name.encode(), name):
        if key in batch:
            return batch[key]
    return None


def read_batch(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """One batch file: images (N, 3, 32, 32) uint8 and labels (N,) int64, or BadCifarFile."""
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise BadCifarFile(str(path), f"{size} bytes, more than {MAX_FILE_BYTES}")
    raw = path.read_bytes()
    if raw[:1] != b"\x80" or len(raw) < 3 or not 2 <= raw[1] <= 5:
        raise BadCifarFile(str(path), "it does not start like a pickle of protocol 2 to 5")
    try:
        batch = _SafeUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except Exception as err:  # a corrupt or hostile file: any failure is the file's fault
        raise BadCifarFile(str(path), f"it could not be read ({type(err).__name__}: {err})") from None
    if not isinstance(batch, dict):
        raise BadCifarFile(str(path), f"it holds a {type(batch).__name__}, not a dict")
    data, labels = _field(batch, "data"), _field(batch, "labels")
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != PIXELS:
        got = f"{data.dtype} {data.shape}" if isinstance(data, np.ndarray) else type(data).__name__
        raise BadCifarFile(str(path), f"'data' must be a uint8 array of shape (N, {PIXELS}); got {got}")
    if isinstance(labels, np.ndarray):
        labels = labels.tolist()
    if not isinstance(labels, list) or not all(type(v) is int for v in labels):
        raise BadCifarFile(str(path), "'labels' must be a list of integers")
    if len(labels) != len(data) or not labels:
        raise BadCifarFile(str(path), f"{len(data)} images but {len(labels)} labels")
    y = np.asarray(labels, dtype=np.int64)
    if y.min() < 0 or y.max() >= CLASSES:
        raise BadCifarFile(str(path), f"labels must lie in 0…{CLASSES - 1}; found {y.min()}…{y.max()}")
    return data.reshape(-1, 3, SIDE, SIDE), y


def batches_folder(path: str | Path) -> Path:
    """The folder holding the batches: ``path`` itself or ``path/cifar-10-batches-py``."""
    root = Path(path).expanduser()
    for folder in (root, root / FOLDER):
        if (folder / TRAIN_FILES[0]).is_file():
            return folder
    return root


@dataclass(frozen=True, eq=False)
class Cifar10:
    """CIFAR-10 as uint8 arrays: images (N, 3, 32, 32) and labels (N,) int64."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def load_cifar10(path: str | Path) -> Cifar10:
    """The five training batches and the test batch under ``path``, validated."""
    folder = batches_folder(path)
    missing = [name for name in TRAIN_FILES + (TEST_FILE,) if not (folder / name).is_file()]
    if missing:
        raise CifarMissing(str(Path(path).expanduser()), ", ".join(missing))
    train = [read_batch(folder / name) for name in TRAIN_FILES]
    x_test, y_test = read_batch(folder / TEST_FILE)
    return Cifar10(np.concatenate([x for x, _ in train]), np.concatenate([y for _, y in train]), x_test, y_test)


def write_batch(path: str | Path, images: np.ndarray, labels: np.ndarray, protocol: int = 2) -> None:
    """Write a batch in the original layout (for tests and for small CIFAR-shaped sets of your own)."""
    images = np.ascontiguousarray(images, dtype=np.uint8).reshape(len(images), PIXELS)
    doc = {b"batch_label": b"written by core.training.cifar", b"labels": [int(v) for v in labels],
           b"data": images, b"filenames": [b"%d.png" % i for i in range(len(images))]}
    Path(path).write_bytes(pickle.dumps(doc, protocol=protocol))
