"""What lessons 2, 7 and 8 claim from their own live runs, checked over seeds (no streamlit).

Each ``Claim`` holds the tasks a page submits for one seed with its default settings, and a function
from their finished job snapshots (in the same order) to the numbers the page's sentence uses and
named verdicts; the claim *held* on a seed when every verdict is true. ``run_claims`` trains them
through a ``JobRegistry`` (worker processes, one torch thread each, as the server on 2 cores), so the
numbers are the ones a student's click computes. ``python -m core claims`` stores the result in
``assets/claims.json``; the pages quote that file (``ui.claims``) and tests/test_claims.py recomputes
a few seeds.
"""

from __future__ import annotations

import dataclasses
import datetime
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch

from core.lessons.degradation import degradation_configs, degradation_holds
from core.lessons.kinds import DenoiseTask, DenseReuseTask, concat_configs, gate_configs
from core.lessons.landscape import LandscapeResult, LandscapeTask, roughness_verdict
from core.lessons.lesion import LesionTask, summarize
from core.models.skips import DEFAULT_GATE_BIAS
from core.training.jobs import JobRegistry, JobSnapshot

FORMAT = 1
PATH = Path(__file__).resolve().parent.parent.parent / "assets" / "claims.json"
# The b_T values lesson 7's gate_seeds section discusses: the slider's default, 0 (gates half open)
# and −6, the best gated row of He et al. 2016's Table 1.
GATE_BIASES = (DEFAULT_GATE_BIAS, 0.0, -6.0)

Measure = Callable[[list[JobSnapshot]], tuple[dict[str, float], dict[str, bool]]]


@dataclass(frozen=True)
class Claim:
    name: str  # CLI name and key in the stored file
    lesson: str  # the page's slug
    tasks: Callable[[int], list]  # the tasks the page submits for this seed with its default settings
    measure: Measure  # finished snapshots (same order as tasks) → (numbers, verdicts)


def _final(snap: JobSnapshot):
    return snap.epochs[-1]


# ---- Lesson 2: deeper plain nets train worse, deeper residual nets do not ---------------------------

def _degradation(snaps):
    final = {(s.task.depth, s.task.skip): _final(s).train_error for s in snaps}
    plain_worse, res_ok = degradation_holds(final)  # the page's verdict, same function
    numbers = {f"{'residual' if skip else 'plain'}_{d}": e for (d, skip), e in sorted(final.items())}
    return numbers, {"plain_worse": plain_worse, "residual_not_worse": res_ok}


# ---- Lesson 8: the lesion gap -----------------------------------------------------------------------

def lesion_gap(result) -> float:
    """Points of test accuracy the plain net loses beyond the residual net when one block is deleted:
    (plain intact − plain median) − (residual intact − residual median), medians over the single
    deletions the page's text quotes. Positive: the residual net keeps more of its accuracy."""
    sp, sr = summarize(result, result.plain), summarize(result, result.residual)
    return (sp.intact - sp.median_single) - (sr.intact - sr.median_single)


def _lesion(snaps):
    r = snaps[0].result
    sp, sr = summarize(r, r.plain), summarize(r, r.residual)
    # chance and plain_intact let a reader check the page's fairness warning (intact < chance + 0.2).
    numbers = {"plain_intact": sp.intact, "residual_intact": sr.intact, "plain_median": sp.median_single,
               "residual_median": sr.median_single, "gap": lesion_gap(r), "chance": r.chance}
    return numbers, {"residual_median_higher": sr.median_single > sp.median_single,
                     "residual_loses_less": lesion_gap(r) > 0}


# ---- Lesson 8: the smoother landscape ---------------------------------------------------------------

def smoother(result: LandscapeResult) -> bool:
    """The page's verdict_smoother branch: the residual net's basin has the smaller non-convex share,
    compared at the digits the page shows (core.lessons.landscape.roughness_verdict)."""
    return roughness_verdict(result.plain.nonconvex, result.residual.nonconvex) == "smoother"


def _landscape(snaps):
    r = snaps[0].result
    numbers = {"plain_nonconvex": r.plain.nonconvex, "residual_nonconvex": r.residual.nonconvex,
               "plain_basin": r.plain.basin, "residual_basin": r.residual.basin,
               "plain_centre": r.plain.centre_loss, "residual_centre": r.residual.centre_loss}
    return numbers, {"smoother": smoother(r)}


# ---- Lesson 7: DenseNet, ResNet, plain net ----------------------------------------------------------

def _concat_tasks(seed: int) -> list:
    plain, res, dense = concat_configs(seed)
    return [plain, res, DenseReuseTask(dense)]  # as pages/kinds.py submits them


def _ordering(snaps):
    plain, res, dense = (_final(s).train_error for s in snaps)
    t_plain, t_res, t_dense = (_final(s).test_error for s in snaps)
    numbers = {"plain_train": plain, "resnet_train": res, "densenet_train": dense,
               "plain_test": t_plain, "resnet_test": t_res, "densenet_test": t_dense}
    # concat_live: the DenseNet ends with the lowest training error, the plain net with the highest.
    return numbers, {"densenet_lowest": dense < min(plain, res), "plain_highest": plain > max(res, dense)}


# ---- Lesson 7: long skips lower the error -----------------------------------------------------------

def _denoise_tasks(seed: int) -> list:
    # pages/kinds.py's defaults: noise of std 0.3, with then without long skips.
    return [DenoiseTask(skips, "noise", 0.3, seed=seed) for skips in (True, False)]


def _long_skips(snaps):
    w, wo = snaps[0].result, snaps[1].result
    numbers = {"with_mse": w.test_mse, "without_mse": wo.test_mse, "ratio": wo.test_mse / w.test_mse,
               "coarse_ratio": wo.coarse_mse / w.coarse_mse, "detail_ratio": wo.detail_mse / w.detail_mse}
    return numbers, {"lower_with": w.test_mse < wo.test_mse}


# ---- Lesson 7: identity vs gated vs scaled skips, over b_T ------------------------------------------

def _gate_tasks(seed: int) -> list:
    """gate_configs for every b_T of GATE_BIASES; the identity and scaled nets do not depend on b_T,
    so each appears once (the registry would share them anyway)."""
    out = []
    for bias in GATE_BIASES:
        out += [c for c in gate_configs(bias, seed) if c not in out]
    return out


def _gates(snaps):
    by_cfg = {s.task: s for s in snaps}
    numbers, verdicts = {}, {}
    for bias in GATE_BIASES:
        runs = dict(zip(("identity", "gated", "scaled"), (by_cfg[c] for c in gate_configs(bias, snaps[0].task.seed))))
        loss = {k: _final(s).train_loss for k, s in runs.items()}
        tag = f"b{bias:g}"
        for k, s in runs.items():
            numbers[f"{tag}_{k}_error"] = _final(s).train_error
            numbers[f"{tag}_{k}_loss"] = loss[k]
        gates = runs["gated"].steps[-1].extras  # each block's mean gate α at the last step, in (0, 1)
        numbers[f"{tag}_gated_alpha_end"] = sum(gates) / len(gates)  # as the page's gate_verdict
        scales = runs["scaled"].steps[-1].extras  # each block's learned α, either sign: its size counts
        numbers[f"{tag}_scaled_abs_alpha_end"] = sum(abs(a) for a in scales) / len(scales)
        # The page's gate_verdict names the net with the lowest final training loss.
        verdicts[f"{tag}_identity_best"] = min(loss, key=loss.get) == "identity"
    return numbers, verdicts


CLAIMS: dict[str, Claim] = {c.name: c for c in (
    Claim("degradation", "degradation", lambda seed: degradation_configs(seed), _degradation),
    Claim("lesion", "why", lambda seed: [LesionTask(seed=seed)], _lesion),
    Claim("landscape", "why", lambda seed: [LandscapeTask(seed=seed, direction_seed=seed)], _landscape),
    Claim("ordering", "kinds", _concat_tasks, _ordering),
    Claim("long_skips", "kinds", _denoise_tasks, _long_skips),
    Claim("gates", "kinds", _gate_tasks, _gates),
)}


# ---- Running them ---------------------------------------------------------------------------------

def task_json(task) -> dict:
    """A task as plain data: its class and fields (a DenseReuseTask's config nested)."""
    return {"type": type(task).__name__, **dataclasses.asdict(task)}


def run_claims(plan: dict[str, list[int]], registry: JobRegistry,
               log: Callable[[str], None] = lambda line: None) -> dict[str, dict]:
    """Every claim of ``plan`` on each of its seeds: {name: stored entry} (see ``entry``).

    All tasks are submitted at once (the registry runs ``max_running`` at a time and shares equal
    ones); a run that does not finish "done" is an error, never a verdict."""
    t0 = time.perf_counter()
    jobs = {(n, s): [registry.submit(task, "claims") for task in CLAIMS[n].tasks(s)]
            for n, seeds in plan.items() for s in seeds}
    out: dict[str, dict] = {}
    for name, seeds in plan.items():
        per_seed = []
        for seed in seeds:
            for job in jobs[(name, seed)]:
                job.wait()
            snaps = [job.snapshot() for job in jobs[(name, seed)]]
            bad = [(s.task, s.status, s.error) for s in snaps if s.status != "done"]
            if bad:
                raise RuntimeError(f"claim {name}, seed {seed}: a run did not finish: {bad}")
            numbers, verdicts = CLAIMS[name].measure(snaps)
            devices = sorted({s.info.device for s in snaps if s.info is not None}) or ["cpu"]
            per_seed.append({"seed": seed, "held": all(verdicts.values()), "verdicts": verdicts, "numbers": numbers,
                             "devices": devices})
            log(f"{name} seed {seed}: {'held' if per_seed[-1]['held'] else 'NOT held'} {verdicts}")
        out[name] = entry(name, per_seed, registry.threads_per_job)
        log(f"{name} done after {time.perf_counter() - t0:.1f} s (runs of all claims overlap)")
    return out


def cpu_model() -> str:
    """The CPU kind: its model name, family and model numbers (Linux) and the instruction set
    PyTorch's kernels dispatch to. Results are bit-exact only on the same kind, torch version and
    thread count; a model name alone ("AMD EPYC" in a VM) hides the generation (Zen 3 or Zen 4,
    AVX2 or AVX-512), which changes the digits."""
    fields: dict[str, str] = {}
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = row.partition(":")
            if not row.strip():
                break  # the first processor is enough
            fields.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    name = fields.get("model name") or platform.processor() or platform.machine()
    family = f"family {fields['cpu family']}, model {fields['model']}, " if "cpu family" in fields else ""
    return f"{name} ({family}{torch.backends.cpu.get_cpu_capability()})"


def entry(name: str, per_seed: list[dict], threads: int) -> dict:
    """One claim as stored: seeds, per-seed results, counts, and how they were computed."""
    seeds = [r["seed"] for r in per_seed]
    counts = {k: sum(r["verdicts"][k] for r in per_seed) for k in per_seed[0]["verdicts"]}
    return {
        "lesson": CLAIMS[name].lesson, "seeds": seeds, "n": len(seeds), "held": sum(r["held"] for r in per_seed),
        "verdict_counts": counts,
        # What the page submits for the first seed; the other seeds differ only in their seed fields.
        "tasks": [task_json(t) for t in CLAIMS[name].tasks(seeds[0])],
        "command": f"python -m core claims --claim {name} --seeds {seeds_arg(seeds)}",
        "torch": torch.__version__, "threads": threads, "python": platform.python_version(),
        "machine": platform.machine(), "cpu": cpu_model(), "date": datetime.date.today().isoformat(),
        "per_seed": per_seed,
    }


def seeds_arg(seeds: list[int]) -> str:
    """[0, 1, …, 9] → "0-9"; anything else as a comma list."""
    if len(seeds) > 1 and seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]}-{seeds[-1]}"
    return ",".join(str(s) for s in seeds)


def parse_seeds(text: str) -> list[int]:
    """"0-9" or "0,3,5" or "2" → a sorted list of distinct seeds."""
    seeds: set[int] = set()
    for part in text.split(","):
        lo, _, hi = part.strip().partition("-")
        seeds.update(range(int(lo), int(hi or lo) + 1))
    if not seeds:
        raise ValueError(f"no seeds in {text!r}")
    return sorted(seeds)
