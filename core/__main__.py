"""Command line: ``python -m core train …`` and ``python -m core degradation …`` (same engine as the app).

    python -m core train --depth 56 --no-skip --epochs 4 --json
    python -m core degradation --depths 8 20 56 --epochs 4 --device cpu --seed 0 --json
    python -m core reproduce --data ~/cifar-10-batches-py --depths 20 56   # the paper's CIFAR-10 runs
    torchrun --nproc_per_node=8 -m core reproduce --data ~/cifar-10-batches-py
    python -m core lesion --depth 20 --epochs 8 --seed 0 --json
    python -m core landscape --depth 20 --size 21 --seed 0 --json
    python -m core claims --seeds 0-9                      # lessons 2, 7, 8's claims over seeds → assets/claims.json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import threading
import time

from core.lessons.degradation import DEGRADATION_DEPTHS, DEGRADATION_EPOCHS, degradation_configs, degradation_holds
from core.training.engine import TrainConfig
from core.errors import CoreError
from core.training.jobs import JobRegistry, JobSnapshot
from core.training import reproduce

SESSION = "cli"


def _add_config_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per TrainConfig field (``--batch-size``, ``--skip/--no-skip``…), defaults from the dataclass."""
    for f in dataclasses.fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        if isinstance(f.default, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=f.default)
        else:
            parser.add_argument(flag, type=type(f.default), default=f.default, help=f"default: {f.default}")


def _error_json(err: CoreError) -> dict:
    return {"code": err.code, "message": str(err), "params": {k: _plain(v) for k, v in err.params.items()}}


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def _run_json(snap: JobSnapshot, with_steps: bool) -> dict:
    """A finished run as plain JSON-able data."""
    out = {
        "config": dataclasses.asdict(snap.task),
        "model": snap.info.model if snap.info else None,
        "params": snap.info.params if snap.info else None,
        "status": snap.status,
        "diverged_step": snap.diverged_step,
        "error": _error_json(snap.error) if snap.error else None,
        "elapsed": round(snap.elapsed, 3),
        "train_error": [e.train_error for e in snap.epochs],
        "test_error": [e.test_error for e in snap.epochs],
        "train_loss": [e.train_loss for e in snap.epochs],
        "test_loss": [e.test_loss for e in snap.epochs],
    }
    if with_steps:
        out["layers"] = list(snap.info.layers) if snap.info else []
        out["steps"] = [dataclasses.asdict(s) for s in snap.steps]
    return out


def _wait_all(registry: JobRegistry, configs: list[TrainConfig], quiet: bool) -> list[JobSnapshot]:
    jobs = [registry.submit(cfg, SESSION) for cfg in configs]
    try:
        for job in jobs:
            job.wait()
            snap = job.snapshot()
            if not quiet:
                last = snap.epochs[-1] if snap.epochs else None
                line = f"{snap.info.model if snap.info else job.id:>10}  {snap.status:<8} {snap.elapsed:6.1f} s"
                if last:
                    line += f"  train error {100 * last.train_error:5.1f} %  test error {100 * last.test_error:5.1f} %"
                print(line, file=sys.stderr)
    except KeyboardInterrupt:
        registry.shutdown()
        raise
    return [job.snapshot() for job in jobs]


def cmd_train(args: argparse.Namespace) -> dict:
    names = {f.name for f in dataclasses.fields(TrainConfig)}
    cfg = TrainConfig(**{k: v for k, v in vars(args).items() if k in names})
    # The default registry's thread count, so the numbers equal the app's (threads change rounding).
    (snap,) = _wait_all(JobRegistry(), [cfg], quiet=args.json)
    return _run_json(snap, with_steps=True)


def cmd_degradation(args: argparse.Namespace) -> dict:
    configs = degradation_configs(args.seed, tuple(args.depths), args.epochs, args.device)
    t0 = time.perf_counter()
    snaps = _wait_all(JobRegistry(max_running=args.jobs), configs, quiet=args.json)
    runs = [{"depth": s.task.depth, "skip": s.task.skip, **_run_json(s, with_steps=False)} for s in snaps]
    finished = all(s.status == "done" for s in snaps)
    final = {(r["depth"], r["skip"]): r["train_error"][-1] for r in runs if r["train_error"]}
    plain_worse, res_ok = degradation_holds(final) if finished else (None, None)
    return {
        "seed": args.seed, "depths": sorted(args.depths), "epochs": args.epochs,
        "elapsed": round(time.perf_counter() - t0, 3),  # wall time of the whole comparison
        "plain_worse_with_depth": plain_worse, "residual_not_worse_with_depth": res_ok,
        "runs": runs,
    }


def cmd_reproduce(args: argparse.Namespace) -> int:
    """Results JSON and checkpoints go to --out; a bad input is one clear line, never a traceback."""
    try:
        reproduce.run_cli(args)
    except CoreError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_train = sub.add_parser("train", help="train one net and print its curves")
    _add_config_flags(p_train)
    p_train.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    p_deg = sub.add_parser("degradation", help="lesson 2: plain vs residual nets at several depths")
    p_deg.add_argument("--depths", type=int, nargs="+", default=list(DEGRADATION_DEPTHS))
    p_deg.add_argument("--epochs", type=int, default=DEGRADATION_EPOCHS)
    p_deg.add_argument("--device", default="auto")
    p_deg.add_argument("--seed", type=int, default=0)
    p_deg.add_argument("--jobs", type=int, default=None, help="runs that train at once (default: one per core, ≤ 4)")
    p_deg.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    p_rep = sub.add_parser("reproduce", help="the paper's CIFAR-10 plain vs residual runs (one GPU or torchrun)")
    reproduce.add_arguments(p_rep)
    _add_why_commands(sub)
    _add_claims_command(sub)
    args = parser.parse_args(argv)
    if args.command == "reproduce":
        return cmd_reproduce(args)
    if args.command == "claims":
        return cmd_claims(args, argv)
    try:
        if args.command in WHY_COMMANDS:
            doc = WHY_COMMANDS[args.command](args)
        else:
            doc = cmd_train(args) if args.command == "train" else cmd_degradation(args)
    except CoreError as err:
        print(f"error: {err}", file=sys.stderr)
        if args.json:
            print(json.dumps({"error": _error_json(err)}))
        return 2
    if args.json:
        print(json.dumps(doc))
    elif args.command == "degradation":
        print(f"plain nets worse with depth: {doc['plain_worse_with_depth']}; "
              f"residual nets not worse: {doc['residual_not_worse_with_depth']} ({doc['elapsed']} s)")
    return 0


# ---- Lesson 8 (why it works): the lesion study and the loss landscape, run in this process ----


def _run_task(task, quiet: bool):
    """Validate and run a lesson task here (no job registry); its Result value, or a CoreError."""
    from core.training.tasks import Progress, Result

    task.validate()
    got: list = []
    last = [""]

    def emit(record) -> None:
        if isinstance(record, Result):
            got.append(record.value)
        elif isinstance(record, Progress) and not quiet and record.stage != last[0]:
            last[0] = record.stage
            print(f"{record.stage} ({100 * record.done:.0f} %)", file=sys.stderr)

    outcome = task.run(emit, threading.Event(), None)
    if outcome.status != "done" or not got:
        from core.errors import TrainingFailed

        raise TrainingFailed(f"the task ended with status {outcome.status!r}")
    return got[0]


def _floats(a) -> list:
    """A numpy array as nested lists of floats, with None where a value is not finite (JSON has no NaN)."""
    return [_floats(v) for v in a] if getattr(a, "ndim", 0) else (float(a) if math.isfinite(float(a)) else None)


def cmd_lesion(args: argparse.Namespace) -> dict:
    from core.lessons.lesion import LesionTask

    t0 = time.perf_counter()
    r = _run_task(LesionTask(args.depth, args.epochs, args.seed, args.draws, args.device), args.json)
    net = lambda n: {"model": n.model, "train_error": n.train_error, "intact_accuracy": n.intact,  # noqa: E731
                     "deleted_accuracy": _floats(n.single), "random_deletions_accuracy": _floats(n.multi)}
    return {"depth": r.depth, "epochs": args.epochs, "seed": args.seed, "blocks": list(r.blocks),
            "downsampling": list(r.downsampling), "chance": r.chance, "elapsed": round(time.perf_counter() - t0, 3),
            "plain": net(r.plain), "residual": net(r.residual)}


def cmd_landscape(args: argparse.Namespace) -> dict:
    from core.lessons.landscape import BASIN_LOSS, LandscapeTask

    t0 = time.perf_counter()
    direction_seed = args.seed if args.direction_seed is None else args.direction_seed
    task = LandscapeTask(args.depth, args.epochs, args.seed, direction_seed, args.size, args.span, args.samples,
                         args.hessian_iters, args.device)
    r = _run_task(task, args.json)
    net = lambda n: {"model": n.model, "train_error": n.train_error, "centre_loss": n.centre_loss,  # noqa: E731
                     "nonconvex_share": n.nonconvex, "basin_share": n.basin, "lambda_min": _floats(n.lambda_min),
                     "lambda_max": _floats(n.lambda_max), "losses": _floats(n.surface), "line": _floats(n.line)}
    return {"depth": r.depth, "epochs": args.epochs, "seed": args.seed, "direction_seed": direction_seed,
            "size": args.size, "samples": r.samples, "bn_mode": "eval", "basin_loss": BASIN_LOSS, "elapsed": round(time.perf_counter() - t0, 3),
            "grid": _floats(r.alphas), "line_grid": _floats(r.line_alphas),
            "plain": net(r.plain), "residual": net(r.residual)}


WHY_COMMANDS = {"lesion": cmd_lesion, "landscape": cmd_landscape}


def _add_why_commands(sub) -> None:
    from core.lessons.lesion import LESION_DEFAULT_DEPTH, LESION_DEFAULT_EPOCHS

    p = sub.add_parser("lesion", help="lesson 8: delete blocks of a trained plain and residual net")
    p.add_argument("--depth", type=int, default=LESION_DEFAULT_DEPTH)
    p.add_argument("--epochs", type=int, default=LESION_DEFAULT_EPOCHS)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--draws", type=int, default=5, help="random sets of k deleted blocks per k")
    p.add_argument("--device", default="cpu")
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    p = sub.add_parser("landscape", help="lesson 8: filter-normalised loss surfaces of a plain and a residual net")
    p.add_argument("--depth", type=int, default=20)
    p.add_argument("--epochs", type=int, default=LESION_DEFAULT_EPOCHS)
    p.add_argument("--size", type=int, default=21, help="grid points per side (odd)")
    p.add_argument("--span", type=float, default=1.0)
    p.add_argument("--samples", type=int, default=256, help="training examples the loss is measured on")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--direction-seed", type=int, default=None, help="default: --seed")
    p.add_argument("--hessian-iters", type=int, default=0, help="power iterations for λ_min, λ_max at the centre")
    p.add_argument("--device", default="cpu")
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")


# ---- Lessons 2, 7, 8: their live claims over seeds, stored for the pages ----


def _add_claims_command(sub) -> None:
    from core.lessons.claims import CLAIMS, PATH

    p = sub.add_parser("claims", help="lessons 2, 7, 8: run each live claim's default config over seeds, store it")
    p.add_argument("--claim", nargs="+", choices=list(CLAIMS), default=None, help="default: every claim")
    p.add_argument("--seeds", default="0-9", help="e.g. 0-9 or 0,3,5 (default 0-9)")
    p.add_argument("--out", default=str(PATH), help=f"JSON file, updated claim by claim (default {PATH})")
    p.add_argument("--jobs", type=int, default=None, help="runs that train at once (default: one per core, ≤ 4)")


def cmd_claims(args: argparse.Namespace, argv: list[str] | None) -> int:
    """Train every claim's tasks through worker processes with one torch thread each (the server's
    setting on 2 cores) and write their entries into --out, keeping the other claims there."""
    from pathlib import Path

    from core.lessons.claims import CLAIMS, FORMAT, parse_seeds, run_claims

    names = args.claim or list(CLAIMS)
    seeds = parse_seeds(args.seeds)
    out = Path(args.out)
    doc = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    if doc.get("format") != FORMAT:
        doc = {"format": FORMAT, "claims": {}}
    registry = JobRegistry(max_running=args.jobs, threads_per_job=1, cache_size=4096, max_queued=4096)
    try:
        registry.warmed.wait()
        got = run_claims({name: seeds for name in names}, registry, lambda line: print(line, file=sys.stderr))
    except KeyboardInterrupt:
        registry.shutdown()
        raise
    registry.shutdown()
    invocation = "python -m core " + " ".join(sys.argv[1:] if argv is None else argv)
    for name, entry in got.items():
        entry["invocation"] = invocation
        doc["claims"][name] = entry
    doc["claims"] = {name: doc["claims"][name] for name in CLAIMS if name in doc["claims"]}  # a fixed order
    out.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    for name, entry in got.items():
        print(f"{name}: held on {entry['held']} of {entry['n']} seeds {entry['verdict_counts']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
