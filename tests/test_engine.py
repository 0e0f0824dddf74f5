"""core.training.engine: determinism, streamed records, stop, divergence, caps, the degradation configs."""

from __future__ import annotations

import dataclasses
import math
import threading

import pytest
import torch
import torch.nn.functional as F

from core.training.data import load_dataset
from core.lessons.degradation import degradation_configs, degradation_holds
from core.training.engine import TrainConfig, build_model, evaluate, train, validate
from core.training.tasks import EpochRecord, Limits, RunInfo, StepRecord
from core.errors import BadChoice, BadDepth, DeviceUnavailable, OutOfRange

TINY = TrainConfig(depth=8, width=4, epochs=2, batch_size=256, device="cpu", log_every=2)


def run(cfg: TrainConfig, **kwargs):
    records = []
    out = train(cfg, records.append, **kwargs)
    info = [r for r in records if isinstance(r, RunInfo)]
    steps = [r for r in records if isinstance(r, StepRecord)]
    epochs = [r for r in records if isinstance(r, EpochRecord)]
    return out, info[0] if info else None, steps, epochs


def numbers(steps, epochs):
    """Everything but the wall-clock times."""
    strip = lambda r: {k: v for k, v in dataclasses.asdict(r).items() if k != "elapsed"}  # noqa: E731
    return [strip(r) for r in steps], [strip(r) for r in epochs]


def test_same_config_and_seed_give_the_same_curve_on_cpu():
    a, b = run(TINY), run(TINY)
    assert numbers(*a[2:]) == numbers(*b[2:])
    # ... and the seed matters: another seed starts from other weights and batches.
    c = run(TINY.replace(seed=1))
    assert numbers(*a[2:])[0][0]["loss"] != numbers(*c[2:])[0][0]["loss"]


def test_records_are_streamed_every_few_steps_and_add_up():
    out, info, steps, epochs = run(TINY)
    n = len(load_dataset("digits").y_train)  # 1,433: five batches of 256 and one of 153
    assert info.steps_per_epoch == math.ceil(n / 256) == 6 and info.total_steps == 12
    assert out.status == "done" and out.steps == 12
    # Step 1, every log_every-th step, and each epoch's last step.
    assert [s.step for s in steps] == [1, 2, 4, 6, 8, 10, 12]
    assert [s.epoch for s in steps] == [1, 1, 1, 1, 2, 2, 2]
    assert all(len(s.grad_norms) == len(info.layers) and min(s.grad_norms) > 0 for s in steps)
    assert [e.epoch for e in epochs] == [1, 2] and [e.step for e in epochs] == [6, 12]
    # An epoch's training error is its records' errors weighted by the examples each covered.
    sizes = {1: 256, 2: 256, 4: 512, 6: 256 + n - 5 * 256}
    wrong = sum(s.train_error * sizes[s.step] for s in steps if s.epoch == 1)
    assert epochs[0].train_error == pytest.approx(wrong / n)
    assert all(0 <= e.test_error <= 1 and e.test_loss > 0 for e in epochs)
    assert all(b.elapsed >= a.elapsed for a, b in zip(steps, steps[1:]))


def test_evaluate_matches_a_direct_computation():
    data = load_dataset("digits")
    model = build_model(TINY, data)
    loss, error = evaluate(model, data.x_test, data.y_test, chunk=100)
    model.eval()
    with torch.no_grad():
        logits = model(data.x_test)
    assert loss == pytest.approx(float(F.cross_entropy(logits, data.y_test)), rel=1e-5)
    assert error == pytest.approx(float((logits.argmax(1) != data.y_test).float().mean()))


def test_model_init_follows_the_seed_and_leaves_the_global_generator_alone():
    data = load_dataset("digits")
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    a = build_model(TINY, data)
    assert torch.equal(torch.rand(3), expected)
    b, c = build_model(TINY, data), build_model(TINY.replace(seed=7), data)
    assert torch.equal(a.conv1.weight, b.conv1.weight) and not torch.equal(a.conv1.weight, c.conv1.weight)


def test_stop_event_ends_the_run_before_the_next_step():
    stop = threading.Event()
    records = []

    def emit(r):
        records.append(r)
        if isinstance(r, StepRecord) and r.step == 4:
            stop.set()

    out = train(TINY, emit, stop=stop)
    assert out.status == "stopped" and out.steps == 4
    assert not any(isinstance(r, EpochRecord) for r in records)


def test_time_limit_ends_the_run():
    out, _, steps, _ = run(TINY, max_seconds=0.0)
    assert out.status == "time_limit" and out.steps == 0 and steps == []


def test_huge_learning_rate_diverges_and_names_the_first_bad_step():
    # No BatchNorm to rescale the activations, SGD at lr 100: the loss blows up within a few steps.
    cfg = TINY.replace(batchnorm=False, optimizer="sgd", lr=100.0, epochs=3, log_every=4)
    out, _, steps, _ = run(cfg)
    assert out.status == "diverged" and out.diverged_step is not None
    assert all(s.step < out.diverged_step for s in steps)
    # With a record at every step, every finite step is streamed and the first bad one is not.
    out1, _, steps1, _ = run(cfg.replace(log_every=1))
    assert out1.diverged_step == out.diverged_step
    assert [s.step for s in steps1] == list(range(1, out.diverged_step))
    assert all(math.isfinite(s.loss) for s in steps1)


@pytest.mark.parametrize(
    "change, error, code, name",
    [
        ({"depth": 116}, OutOfRange, "out_of_range", "depth"),
        ({"depth": 21}, BadDepth, "bad_depth", None),
        ({"width": 65}, OutOfRange, "out_of_range", "width"),
        ({"epochs": 101}, OutOfRange, "out_of_range", "epochs"),
        ({"batch_size": 1}, OutOfRange, "out_of_range", "batch_size"),
        ({"optimizer": "rmsprop"}, BadChoice, "bad_choice", "optimizer"),
        ({"block": "bottleneck"}, BadChoice, "bad_choice", "block"),
        ({"dataset": "imagenet"}, BadChoice, "bad_choice", "dataset"),
    ],
)
def test_caps_and_bad_choices_raise_translatable_errors(change, error, code, name):
    with pytest.raises(error) as err:
        validate(TINY.replace(**change), Limits())
    assert err.value.code == code
    if name:
        assert err.value.params["name"] == name
    if code == "bad_depth":
        assert err.value.params["nearest"] == 20


def test_limits_are_configurable():
    validate(TINY.replace(depth=110))
    with pytest.raises(OutOfRange) as err:
        validate(TINY.replace(depth=20), Limits(max_depth=14))
    assert err.value.params == {"name": "depth", "value": 20, "low": 8, "high": 14}


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_missing_device_is_an_error_not_a_silent_fallback():
    with pytest.raises(DeviceUnavailable) as err:
        validate(TINY.replace(device="cuda"))
    assert err.value.code == "device_unavailable"


def test_degradation_configs_differ_only_by_depth_and_skip():
    configs = degradation_configs(seed=3, epochs=2, device="cpu")
    assert [(c.depth, c.skip) for c in configs] == [(8, False), (8, True), (20, False), (20, True),
                                                     (56, False), (56, True)]
    common = {dataclasses.replace(c, depth=0, skip=True) for c in configs}
    assert common == {TrainConfig(depth=0, seed=3, epochs=2, device="cpu")}
    for c in configs:
        validate(c)


def test_degradation_verdict():
    errors = {(8, False): 0.05, (20, False): 0.15, (56, False): 0.85,
              (8, True): 0.05, (20, True): 0.02, (56, True): 0.025}
    assert degradation_holds(errors) == (True, True)
    assert degradation_holds({**errors, (56, True): 0.04}) == (True, False)  # 2 points worse than ResNet-20
    assert degradation_holds({**errors, (20, False): 0.04}) == (False, True)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_run_starts_where_the_cpu_run_starts():
    # Same initial weights (drawn on the CPU) and batch order: the first step agrees to rounding
    # (cuDNN convolutions use TF32 by default, about 3 significant digits, hence 1 % on gradients).
    _, info_gpu, gpu, _ = run(TINY.replace(device="cuda", log_every=1))
    _, _, cpu, _ = run(TINY.replace(log_every=1))
    assert info_gpu.device == "cuda"
    assert gpu[0].loss == pytest.approx(cpu[0].loss, rel=1e-3)
    assert gpu[0].grad_norms == pytest.approx(cpu[0].grad_norms, rel=1e-2)
    assert len(gpu) == len(cpu)


def test_a_huge_test_loss_is_reported_not_taken_for_divergence(monkeypatch):
    # Early in training, eval mode (BatchNorm's lagging running statistics) can give an enormous
    # test loss while the training loss is healthy: the run must go on and report it.
    import core.training.engine as engine

    monkeypatch.setattr(engine, "evaluate", lambda model, x, y: (3.5e7, 0.9))
    out, _, steps, epochs = run(TINY)
    assert out.status == "done" and out.diverged_step is None
    assert [e.test_loss for e in epochs] == [3.5e7, 3.5e7]
    assert all(math.isfinite(s.loss) and s.loss < 10 for s in steps)
