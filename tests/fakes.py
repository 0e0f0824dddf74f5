"""Test data written by the tests: a tiny CIFAR-shaped folder, and results files of the reproduction."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from core.training.cifar import FOLDER, PIXELS, TEST_FILE, TRAIN_FILES, write_batch
from core.training.results import FORMAT, result_name, write_result


def fake_images(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(n, 3, 32, 32) uint8 images whose brightness depends on the class, so a net can learn them."""
    y = rng.integers(0, 10, n)
    x = rng.integers(0, 100, (n, 3, 32, 32)) + (15 * y)[:, None, None, None]
    return x.clip(0, 255).astype(np.uint8), y


def write_fake_cifar(root: Path, per_batch: int = 64, n_test: int = 100, seed: int = 0) -> Path:
    """root/cifar-10-batches-py with five training batches and a test batch, as the real layout."""
    folder = root / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for name in TRAIN_FILES:
        write_batch(folder / name, *fake_images(per_batch, rng))
    write_batch(folder / TEST_FILE, *fake_images(n_test, rng))
    return folder


def python2_batch(images: np.ndarray, labels: list[int]) -> bytes:
    """A batch byte for byte as Python 2's cPickle wrote the real files (protocol 2, numpy.core,
    byte strings), assembled by hand from pickle opcodes."""
    raw = np.ascontiguousarray(images, dtype=np.uint8).reshape(len(images), PIXELS).tobytes()
    out = b"\x80\x02}(U\x04data"
    out += b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85U\x01b\x87R"
    out += b"(K\x01M" + struct.pack("<H", len(images)) + b"M\x00\x0c\x86"
    out += b"cnumpy\ndtype\nU\x02u1K\x00K\x01\x87R(K\x03U\x01|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
    out += b"\x89T" + struct.pack("<I", len(raw)) + raw + b"tb"
    out += b"U\x06labels](" + b"".join(b"K" + bytes([int(v)]) for v in labels) + b"eu."
    return out


def fake_result(folder: Path, depth: int, skip: bool, final_train: float, final_test: float,
                iterations: int = 64_000, done: int | None = None, world: int = 8) -> dict:
    """A results file in the reproduction's format, with a made-up curve (test data only)."""
    done = iterations if done is None else done
    its = list(range(iterations // 64, done + 1, iterations // 64))
    train = [float(final_train + (0.9 - final_train) * np.exp(-6 * i / iterations)) for i in its[:-1]] + [final_train]
    doc = {"format": FORMAT, "model": f"{'ResNet' if skip else 'Plain'}-{depth}", "depth": depth, "skip": skip,
           "width": 16, "seed": 0, "params": 1000 * depth, "status": "done" if done == iterations else "running",
           "recipe": {"iterations": iterations, "milestone_iterations": [iterations // 2, 3 * iterations // 4]},
           "iterations_done": done, "train": {"iteration": its, "error": train, "loss": train},
           "test": {"iteration": its[::8], "error": [final_test] * len(its[::8]), "loss": [1.0] * len(its[::8])},
           "hardware": {"device": "cuda", "name": "Test GPU", "world_size": world}, "seconds": 3600.0 * depth / 20}
    folder.mkdir(parents=True, exist_ok=True)
    write_result(folder / f"{result_name(depth, skip)}.json", doc)
    return doc
