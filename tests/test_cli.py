"""The command line: ``python -m core degradation/train --json`` print one JSON document."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import torch

from core.training.engine import TrainConfig, train
from core.training.tasks import EpochRecord
from core.training.jobs import JobRegistry

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def direct_epochs(cfg: TrainConfig, threads: int) -> list[EpochRecord]:
    """The engine run in-process on a fresh thread with the CLI's thread count."""
    records = []

    def work():
        torch.set_num_threads(threads)
        train(cfg, records.append)

    t = threading.Thread(target=work)
    t.start()
    t.join()
    return [r for r in records if isinstance(r, EpochRecord)]


def test_degradation_json_has_every_run_and_the_engine_numbers():
    out = cli("degradation", "--depths", "14", "8", "--epochs", "2", "--device", "cpu", "--seed", "3", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)  # exactly one JSON document on stdout
    assert doc["depths"] == [8, 14] and doc["epochs"] == 2 and doc["seed"] == 3
    assert [(r["depth"], r["skip"]) for r in doc["runs"]] == [(8, False), (8, True), (14, False), (14, True)]
    for run in doc["runs"]:
        assert run["status"] == "done" and len(run["train_error"]) == len(run["test_error"]) == 2
        assert all(0.0 <= e <= 1.0 for e in run["train_error"] + run["test_error"])
    assert isinstance(doc["plain_worse_with_depth"], bool) and doc["elapsed"] > 0
    # The CLI's numbers are the engine's: the same config trained here gives the same curve.
    run = doc["runs"][2]
    cfg = TrainConfig(**run["config"])
    assert (cfg.depth, cfg.skip, cfg.seed, cfg.epochs) == (14, False, 3, 2)
    epochs = direct_epochs(cfg, JobRegistry(processes=False, warm=False).threads_per_job)  # no worker processes needed
    assert run["train_error"] == [e.train_error for e in epochs]
    assert run["test_error"] == [e.test_error for e in epochs]


def test_train_json_streams_steps_with_gradient_norms():
    out = cli("train", "--depth", "8", "--width", "4", "--epochs", "1", "--batch-size", "512",
              "--no-skip", "--device", "cpu", "--log-every", "1", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["model"] == "Plain-8" and doc["config"]["skip"] is False and doc["status"] == "done"
    assert [s["step"] for s in doc["steps"]] == [1, 2, 3]  # 1,433 examples in batches of 512
    assert all(len(s["grad_norms"]) == len(doc["layers"]) == 5 for s in doc["steps"])


def test_bad_input_gives_a_json_error_and_exit_code_2():
    out = cli("train", "--depth", "21", "--json")
    assert out.returncode == 2
    err = json.loads(out.stdout)["error"]
    assert err["code"] == "bad_depth" and err["params"] == {"depth": 21, "nearest": 20}
    assert "6n + 2" in out.stderr
