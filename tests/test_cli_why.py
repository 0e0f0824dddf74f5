"""Lesson 8 from the command line: ``python -m core lesion/landscape --json`` print one JSON document."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_lesion_json_has_both_nets_and_every_deleted_block():
    out = cli("lesion", "--depth", "8", "--epochs", "1", "--seed", "2", "--draws", "2", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert (doc["depth"], doc["epochs"], doc["seed"]) == (8, 1, 2)
    assert doc["blocks"] == ["1.1", "2.1", "3.1"] and doc["downsampling"] == [False, True, True]
    assert doc["plain"]["model"] == "Plain-8" and doc["residual"]["model"] == "ResNet-8"
    for net in (doc["plain"], doc["residual"]):
        assert 0 <= net["intact_accuracy"] <= 1
        assert len(net["deleted_accuracy"]) == 3 and all(0 <= a <= 1 for a in net["deleted_accuracy"])
        assert [len(row) for row in net["random_deletions_accuracy"]] == [2, 2, 2]
    # Deleting all 3 blocks leaves one net: the same parameter-free maps, for every draw.
    last = doc["residual"]["random_deletions_accuracy"][-1]
    assert last[0] == last[1]


def test_landscape_json_has_the_grid_the_losses_and_the_roughness():
    out = cli("landscape", "--depth", "8", "--epochs", "1", "--size", "5", "--seed", "1", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["grid"] == [-1.0, -0.5, 0.0, 0.5, 1.0] and doc["size"] == 5 and doc["bn_mode"] == "eval"
    assert len(doc["line_grid"]) == 9 and doc["direction_seed"] == 1
    for net in (doc["plain"], doc["residual"]):
        losses = net["losses"]
        assert len(losses) == 5 and all(len(row) == 5 for row in losses)
        assert net["centre_loss"] == losses[2][2]  # θ* is the middle of the grid
        assert math.isclose(net["line"][4], net["centre_loss"], rel_tol=1e-6)  # and of the 1-D slice
        assert 0.0 <= net["nonconvex_share"] <= 1.0 and net["lambda_min"] is None  # no Hessian asked


def test_a_bad_grid_size_is_a_clear_error():
    out = cli("landscape", "--size", "4", "--json")
    assert out.returncode == 2
    assert json.loads(out.stdout)["error"]["code"] == "bad_choice"
