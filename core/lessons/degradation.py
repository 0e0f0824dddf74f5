"""Lesson 2's study: plain and residual nets at several depths, one seed, and the verdict from their runs."""

from __future__ import annotations

from core.training.engine import TrainConfig

# Lesson 2's default comparison, the TrainConfig defaults at three depths. Measured over seeds 0–9
# on digits (bench/degradation_latency.py): after 4 epochs of Adam at 5e-4, training error rises
# with depth for plain nets and falls with depth for residual nets on every seed. With SGD (lr 0.1,
# 0.05, 0.02) ResNet-56 was still behind ResNet-20 on several seeds after as many epochs.
DEGRADATION_DEPTHS = (8, 20, 56)
DEGRADATION_EPOCHS = 4
DEGRADATION_TOLERANCE = 0.01  # a deeper residual net "is not worse" within one point of training error


def degradation_configs(seed: int = 0, depths: tuple[int, ...] = DEGRADATION_DEPTHS,
                        epochs: int = DEGRADATION_EPOCHS, device: str = "auto") -> list[TrainConfig]:
    """Plain and residual nets at each depth, identical but for the skip: shallow first, plain first."""
    return [TrainConfig(depth=d, skip=skip, epochs=epochs, seed=seed, device=device)
            for d in sorted(depths) for skip in (False, True)]


def degradation_holds(final_train_error: dict[tuple[int, bool], float],
                      tolerance: float = DEGRADATION_TOLERANCE) -> tuple[bool, bool]:
    """(deeper plain nets train worse, deeper residual nets do not), from errors keyed (depth, skip)."""
    depths = sorted({d for d, _ in final_train_error})
    plain = [final_train_error[(d, False)] for d in depths]
    res = [final_train_error[(d, True)] for d in depths]
    plain_worse = all(a < b for a, b in zip(plain, plain[1:]))
    res_not_worse = all(b <= a + tolerance for a, b in zip(res, res[1:]))
    return plain_worse, res_not_worse
