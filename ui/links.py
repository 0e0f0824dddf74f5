"""Which controls of each lesson travel in a link, under which short URL key, and the Lab's and
lesson 2's runs in a link (they attach to the server's live or cached jobs, never start new ones).

The tables repeat each widget's range and default: tests/test_links.py opens every page with no
parameters (nothing may be written: the defaults agree) and with every parameter set (the widgets
show them: the ranges agree). A new lesson adds its entry at the end of PARAMS.
"""

from __future__ import annotations

from core.lessons.anatomy import LIMITS as ANATOMY_LIMITS
from core.lessons.imaging import MAX_SIGMA, PHOTOS
from core.lessons.kinds import CORRUPTIONS
from core.models.skips import DEFAULT_GATE_BIAS
from core.lessons.landscape import GRID_SIZES, LandscapeTask
from core.lessons.lesion import LESION_DEFAULT_DEPTH, LESION_DEFAULT_EPOCHS
from core.lessons.toy import TARGETS, ToyConfig
from core.models.resnet import FAMILY
from core.training.data import DATASETS
from core.lessons.degradation import DEGRADATION_DEPTHS, DEGRADATION_EPOCHS
from core.training.engine import ARCHS, BLOCK_TYPES, OPTIMIZERS, SHORTCUTS, TrainConfig
from core.training.tasks import Limits

from .runs import METRICS, X_AXES
from .urlstate import Param, choice, flag, integer, many, text


def grid(low: float, high: float, step: float) -> list[float]:
    """The options of ui.shell.decimal_slider (the same rounding)."""
    return [round(low + i * step, 10) for i in range(round((high - low) / step) + 1)]


_TOY = ToyConfig()
WHY_DEPTHS = (8, 14, 20, 32, 44, 56)  # lesson 8's nets (pages/why.py)
_LIMITS = Limits()
FAMILY_PRESETS = {"fashion": (1, 28, 10), "imagenet": (3, 224, 1000), "cifar": (3, 32, 10)}
_MEANS, _STDS = (0.0, 3.0, -2.0, 1.0), (1.0, 0.5, 2.0, 1.5)
LAB_FILES = ("mnist", "fashion_mnist")

# The Lab's network and training controls, in TrainConfig field order: (field, Param).
LAB_FIELDS: tuple[tuple[str, Param], ...] = (
    ("depth", integer("d", "lab_depth", 8, _LIMITS.max_depth, 20, step=6)),  # 6n + 2
    ("width", integer("w", "lab_width", 1, _LIMITS.max_width, 16)),
    ("block", choice("blk", "lab_block", BLOCK_TYPES, "basic")),
    ("batchnorm", flag("bn", "lab_bn", True)),
    ("skip", flag("sk", "lab_skip", True)),
    ("shortcut", choice("sc", "lab_shortcut", SHORTCUTS, "A")),
    ("dataset", choice("data", "lab_data", DATASETS, "digits")),
    ("data_dir", text("dir", "lab_dir", "")),
    ("optimizer", choice("opt", "lab_opt", OPTIMIZERS, "adam")),
    ("lr", choice("lr", "lab_lr", (1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0,
                                   5.0, 10.0), 5e-4)),
    ("weight_decay", choice("wd", "lab_wd", (0.0, 1e-5, 1e-4, 5e-4, 1e-3), 1e-4)),
    ("batch_size", choice("b", "lab_batch", (32, 64, 128, 256, 512), 128)),
    ("epochs", integer("e", "lab_epochs", 1, _LIMITS.max_epochs, 5)),
    ("arch", choice("arch", "lab_arch", ARCHS, "resnet")),
    ("seed", integer("seed", "lab_seed", 0, 2**31 - 1, 0)),
)

PARAMS: dict[str, tuple[Param, ...]] = {
    "skip": (
        choice("t", "sk_target", tuple(TARGETS), "2x"),
        integer("seed", "sk_seed", 0, 999, 0),
        integer("d", "sk_depth", 1, 6, _TOY.depth),
        choice("w", "sk_hidden", (4, 8, 16, 32, 64, 128), _TOY.hidden),
        integer("n", "sk_steps", 50, 2000, _TOY.steps, step=50),
        choice("lr", "sk_lr", (0.001, 0.003, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0), _TOY.lr),
        choice("wd", "sk_wd", (0.0, 1e-4, 1e-3, 1e-2, 1e-1), 0.0),
        choice("img", "sk_source", ("digit", "photo", "upload"), "digit"),
        integer("i", "sk_digit", 0, 1796, 0),
        choice("ph", "sk_photo", PHOTOS, PHOTOS[0]),
        choice("blur", "sk_sigma", grid(0.0, MAX_SIGMA, 0.5), 2.0),
    ),
    "degradation": (
        many("d", "dg_depths", (8, 14, 20, 32, 56), DEGRADATION_DEPTHS),
        integer("e", "dg_epochs", 1, 20, DEGRADATION_EPOCHS),
        integer("seed", "dg_seed", 0, 9999, 0),
    ),
    "gradients": (
        integer("d", "gr_depth", 2, 200, 50),
        choice("g", "gr_gain", ("1", "he", "2"), "1"),
        choice("act", "gr_act", ("relu", "tanh"), "relu"),
        choice("blk", "gr_kind", ("mlp", "preact"), "mlp"),
        integer("seed", "gr_seed", 0, 999, 0),
        choice("nd", "gr_net_depth", (8, 14, 20, 32, 56, 110), 56),
        flag("bn", "gr_bn", True),
    ),
    "anatomy": (
        choice("k", "an_kind", ("basic", "bottleneck", "preact"), "basic"),
        flag("sk", "an_skip", True),
        choice("sc", "an_shortcut", ("A", "B", "C"), "B"),
        choice("s", "an_stride", (1, 2), 1),
        integer("in", "an_in", *ANATOMY_LIMITS["inplanes"], 64),
        integer("p", "an_planes", *ANATOMY_LIMITS["planes"], 64),
        integer("hw", "an_size", 4, 112, 56),
    ),
    "batchnorm": (
        integer("n", "bn_n", 1, 64, 8),
        integer("hw", "bn_size", 1, 8, 4),
        integer("c", "bn_channels", 1, 4, 3),
        integer("seed", "bn_seed", 0, 999, 0),
        *(choice(f"m{c + 1}", f"bn_mean_{c}", grid(-5.0, 5.0, 0.5), _MEANS[c]) for c in range(4)),
        *(choice(f"s{c + 1}", f"bn_std_{c}", grid(0.5, 5.0, 0.1), _STDS[c]) for c in range(4)),
        choice("g", "bn_gamma", grid(0.0, 2.0, 0.1), 1.0),
        choice("b", "bn_beta", grid(-3.0, 3.0, 0.1), 0.0),
        choice("eps", "bn_eps", (1e-5, 1e-3, 0.1, 1.0), 1e-5),
        choice("mom", "bn_momentum", ("0.01", "0.05", "0.1", "0.3", "0.5", "1", "none"), "0.1"),
        integer("tn", "bn_train_n", 2, 64, 8),
        integer("k", "bn_batches", 5, 200, 50, step=5),
        choice("mode", "bn_mode", ("train", "eval"), "eval"),
        choice("shift", "bn_shift", grid(-10.0, 10.0, 0.5), 4.0),
    ),
    "family": (
        integer("cb", "fa_cb", 1, 2048, 64),
        integer("w", "fa_w", 1, 1024, 64),
        integer("hw", "fa_size", 1, 112, 56),
        choice("m", "fa_model", tuple(FAMILY), "resnet50"),
        choice("in", "fa_preset", tuple(FAMILY_PRESETS), "fashion"),
        integer("sz", "fa_sz_{fa_preset}", 1, 1024, lambda s: FAMILY_PRESETS[s.get("fa_preset", "fashion")][1],
                depends=(("fa_preset", "fashion"),)),
        integer("ch", "fa_ch_{fa_preset}", 1, 16, lambda s: FAMILY_PRESETS[s.get("fa_preset", "fashion")][0],
                depends=(("fa_preset", "fashion"),)),
    ),
    "lab": (
        *(p for _, p in LAB_FIELDS),
        choice("y", "lab_metric", METRICS, "train_loss"),
        choice("x", "lab_x", X_AXES, "step"),
    ),
    "why": (
        choice("pd", "why_pdepth", (8, 14, 20, 32, 44, 56, 110), 20),
        choice("d", "why_depth", WHY_DEPTHS, LESION_DEFAULT_DEPTH),
        integer("e", "why_epochs", 1, 20, LESION_DEFAULT_EPOCHS),
        integer("seed", "why_seed", 0, 9999, 0),
        integer("k", "why_draws", 1, 10, 5),
        choice("ld", "why_ldepth", WHY_DEPTHS, 20),
        integer("le", "why_lepochs", 1, 20, LandscapeTask().epochs),
        integer("ls", "why_lseed", 0, 9999, 0),
        choice("n", "why_size", GRID_SIZES, 21),
    ),
    "kinds": (
        integer("k0", "ki_k0", 1, 512, 24),
        integer("k", "ki_k", 1, 128, 12),
        integer("n", "ki_layers", 1, 48, 6),
        integer("s1", "ki_seed1", 0, 9999, 0),
        choice("b", "ki_bias", grid(-8.0, 2.0, 0.5), DEFAULT_GATE_BIAS),
        integer("s2", "ki_seed2", 0, 9999, 0),
        choice("c", "ki_corr", CORRUPTIONS, "noise"),
        choice("lv", "ki_level", grid(0.1, 0.9, 0.1), lambda s: 0.3 if s.get("ki_corr", "noise") == "noise" else 0.5,
               depends=(("ki_corr", "noise"),)),
        integer("s3", "ki_seed3", 0, 9999, 0),
    ),
}

# URL keys a page reads and writes itself (its runs); not flagged as unknown.
EXTRAS: dict[str, tuple[str, ...]] = {"degradation": ("run",), "lab": ("run",)}


# ---- The Lab's runs in a link: "d.56~sk.0" = the fields that differ from the Lab's defaults ------


def lab_config(**fields) -> TrainConfig:
    """The Lab's TrainConfig for these fields (the rest at the Lab's defaults), logging as the page does."""
    values = {name: p.default for name, p in LAB_FIELDS} | fields
    return TrainConfig(**values, log_every=10 if values["dataset"] in LAB_FILES else 1)


LAB_DEFAULT = lab_config()


def run_text(cfg: TrainConfig) -> str:
    """A Lab run as URL text: its fields that differ from the Lab's defaults, "key.value" joined by
    "~" ("base" when it has none). The data folder, which may hold anything, always comes last."""
    fields = sorted(LAB_FIELDS, key=lambda f: f[0] == "data_dir")
    parts = [f"{p.url}.{p.fmt(getattr(cfg, name))}" for name, p in fields
             if getattr(cfg, name) != getattr(LAB_DEFAULT, name)]
    return "~".join(parts) or "base"


def run_config(value: str) -> TrainConfig:
    """The TrainConfig a ``run_text`` describes; ValueError when it is not one (unknown key, bad value)."""
    by_url = {p.url: (name, p) for name, p in LAB_FIELDS}
    if not value:
        raise ValueError(value)
    fields = {}
    rest = "" if value == "base" else value
    while rest:
        key, dot, rest = rest.partition(".")
        if not dot or key not in by_url or by_url[key][0] in fields:
            raise ValueError(value)
        raw, rest = (rest, "") if key == "dir" else rest.partition("~")[::2]
        name, p = by_url[key]
        fields[name] = p.parse(raw)
    return lab_config(**fields)


# ---- Runs in a link, seen from a page (Streamlit) ------------------------------------------------

LIVE_OR_CACHED = ("queued", "running", "done", "diverged")


def available(configs) -> list[bool]:
    """For each config: does the server have its job queued, running or cached (so attaching to it
    costs no new computation)?"""
    from . import training

    status = {j.task: j.snapshot().status for j in training.registry().jobs()}
    return [status.get(c) in LIVE_OR_CACHED for c in configs]


def lesson_runs(key: str, configs) -> None:
    """Lesson 2: ``run=1`` in the URL while the session shows exactly the runs of its controls.
    Opening such a link attaches to those runs when the server has every one of them, live or cached
    (``training.add``: the same job, no new computation); otherwise Train starts them as usual."""
    from . import training, urlstate
    from .shell import link_notice

    configs = list(configs)
    wanted = urlstate.incoming("run")
    if wanted is not None and not training.jobs(key):
        if wanted != ["1"]:
            link_notice([f"run={v}" for v in wanted])
        elif all(available(configs)):
            for cfg in configs:
                training.add(key, cfg)
            urlstate.rerun()  # so the page's Stop and CSV buttons, drawn above, show the runs
        else:
            link_notice([], missing=len(configs) - sum(available(configs)))
    urlstate.put("run", "1" if [j.task for j in training.jobs(key)] == configs else None)


def lab_run_text(number: int, cfg: TrainConfig) -> str:
    """A Lab run in a link, its legend number first: "n.2~d.56~sk.0"."""
    diff = run_text(cfg)
    return f"n.{number}" + ("" if diff == "base" else f"~{diff}")


def lab_run(value: str) -> tuple[int, TrainConfig]:
    head, _, rest = value.partition("~")
    if not head.startswith("n.") or not head[2:].isdigit() or not 1 <= int(head[2:]) <= 999:
        raise ValueError(value)
    return int(head[2:]), run_config(rest or "base")


def lab_runs(key: str, numbers: dict, limit: int) -> None:
    """The Lab: every run of the session in the URL (``run=n.1~…&run=n.2~…``). Opening a link adds
    the runs the server still has, live or cached, under their numbers (``training.add``: the same
    jobs); it never starts one."""
    from . import training, urlstate
    from .shell import link_notice

    wanted = urlstate.incoming("run")
    if wanted is not None and not training.jobs(key):
        bad, runs = [], []
        for value in wanted[:limit]:
            try:
                runs.append(lab_run(value))
            except ValueError:
                bad.append(f"run={value}")
        here = available([cfg for _, cfg in runs])
        link_notice(bad + [f"run={v}" for v in wanted[limit:]], missing=len(runs) - sum(here))
        for (number, cfg), ok in zip(runs, here):
            if ok and cfg not in [j.task for j in training.jobs(key)]:
                numbers[training.add(key, cfg).id] = number
        if any(here):
            urlstate.rerun()  # so the page's Stop and CSV buttons, drawn above, show the runs
    urlstate.put("run", [lab_run_text(numbers.get(j.id, 0), j.task) for j in training.jobs(key)])
