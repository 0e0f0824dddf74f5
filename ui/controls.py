"""Every lesson's controls, declared once (no streamlit): kind, range or options, default, step, link key,
label and help keys, the name in error messages.

The widget (``ui.widgets.control``), the link (``ui.links``: a control's value in the URL under its short
key, parsed and written by the methods here), the page's check of a typed number, and the tests all
read these declarations, so a widget and its link cannot disagree about what a control may hold.
``lab_config`` turns the Lab's control values into the TrainConfig the page trains and its links name.

Kinds (``Control.kind``), and what each accepts:
- ``number``: a number box; any whole number in [low, high] (``step`` is only what +/− add);
- ``slider``: an integer slider; low + k·step within [low, high];
- ``select_slider``, ``radio``, ``selectbox``, ``segmented``: one of ``options``;
- ``toggle``: True or False;  ``multiselect``: distinct ``options`` in the order picked;
- ``text``: short text of letters, digits and ``/._-~`` (a data folder).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from core.lessons.anatomy import LIMITS as ANATOMY_LIMITS
from core.lessons.degradation import DEGRADATION_DEPTHS, DEGRADATION_EPOCHS
from core.lessons.imaging import MAX_SIGMA, PHOTOS
from core.lessons.kinds import CORRUPTIONS
from core.lessons.landscape import GRID_SIZES, LandscapeTask
from core.lessons.lesion import LESION_DEFAULT_DEPTH, LESION_DEFAULT_EPOCHS, LESION_MAX_EPOCHS
from core.lessons.toy import TARGETS, ToyConfig
from core.models.resnet import FAMILY
from core.models.skips import DEFAULT_GATE_BIAS
from core.training.data import DATASETS
from core.training.engine import ARCHS, BLOCK_TYPES, MAX_SEED, OPTIMIZERS, SHORTCUTS, TrainConfig
from core.training.tasks import Limits

from . import i18n
from .runs import METRICS, X_AXES, number

KINDS = ("number", "slider", "select_slider", "radio", "selectbox", "segmented", "toggle", "multiselect", "text")
CHOICES = ("select_slider", "radio", "selectbox", "segmented")
TEXT_CHARS = "/._-~"  # besides letters and digits, in a text control (a data folder)
TEXT_MAX = 200

# An option's label: a catalog prefix ("lab.block_" → the string "lab.block_basic"), or a function
# (option, language) → text; None shows the option as it is.
Labels = str | Callable[[Any, str], str] | None


def url_number(x) -> str:
    """1, 0.5, 0.0005, 1e-05: no trailing zeros, a decimal point (URLs are the same in every language)."""
    if isinstance(x, bool):
        return "1" if x else "0"
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:g}" if isinstance(x, float) else str(x)


def _close(option, text: str) -> bool:
    try:
        x = float(text)
    except ValueError:
        return False
    return math.isfinite(x) and math.isclose(float(option), x, rel_tol=1e-9, abs_tol=1e-12)


@dataclass(frozen=True)
class Control:
    """One control of a lesson (see the module docstring for the kinds)."""

    key: str  # widget key in session state; "{other}" is filled with another control's value ("fa_sz_{fa_preset}")
    url: str  # short key in a link
    kind: str
    label: str  # catalog key of the label (or, with ``symbol``, unused)
    default: Any  # a value, or a function of the other controls' values (by key)
    options: tuple = ()
    low: int | None = None
    high: int | None = None
    step: int | float = 1
    help: str | None = None  # catalog key
    name: str | None = None  # catalog key of the field's name in an error message (number boxes); else the label
    labels: Labels = None
    symbol: str | None = None  # a label that is the same in every language (γ, ε)
    depends: tuple[str, ...] = ()  # keys of the controls that ``key`` and ``default`` read
    keep: bool = False  # keeps its value across page switches (Streamlit's persist_state="session")
    horizontal: bool = False

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"{self.key}: unknown kind {self.kind!r}")
        if (self.kind in CHOICES or self.kind == "multiselect") and not self.options:
            raise ValueError(f"{self.key}: a {self.kind} needs options")
        if self.kind in ("number", "slider") and (self.low is None or self.high is None):
            raise ValueError(f"{self.key}: a {self.kind} needs low and high")

    # ---- what it holds ----

    def widget_key(self, values: Mapping[str, Any]) -> str:
        """The session-state key, its "{other}" fields filled from ``values`` (or the other controls' defaults)."""
        if not self.depends:
            return self.key
        return self.key.format(**{k: values.get(k, _DEFAULTS.get(k)) for k in self.depends})

    def default_for(self, values: Mapping[str, Any] = {}) -> Any:
        if not callable(self.default):
            return self.default
        return self.default({k: values.get(k, _DEFAULTS.get(k)) for k in self.depends})

    def accepts(self, value) -> bool:
        """Whether the widget can hold ``value``."""
        if self.kind == "number":
            return isinstance(value, int) and not isinstance(value, bool) and self.low <= value <= self.high
        if self.kind == "slider":
            return (isinstance(value, int) and not isinstance(value, bool) and self.low <= value <= self.high
                    and (value - self.low) % self.step == 0)
        if self.kind in CHOICES:
            return any(value == o and type(value) is type(o) for o in self.options)
        if self.kind == "toggle":
            return isinstance(value, bool)
        if self.kind == "multiselect":
            return (isinstance(value, (list, tuple)) and len(set(value)) == len(value)
                    and all(v in self.options for v in value))
        return isinstance(value, str) and len(value) <= TEXT_MAX and all(c.isalnum() or c in TEXT_CHARS for c in value)

    # ---- in a link ----

    def fmt(self, value) -> str:
        """The value as URL text."""
        if self.kind == "toggle":
            return "1" if value else "0"
        if self.kind == "multiselect":
            return "-".join(map(url_number, value))
        return url_number(value) if not isinstance(value, str) else value

    def parse(self, text: str):
        """URL text → a value the widget accepts; ValueError otherwise."""
        if self.kind in ("number", "slider"):
            value = int(text, 10)  # "3.0", "1e3", " 3" are refused: links hold what we wrote
        elif self.kind in CHOICES:
            value = self._option(text)
        elif self.kind == "toggle":
            if text not in ("0", "1"):
                raise ValueError(text)
            value = text == "1"
        elif self.kind == "multiselect":
            value = [self._option(p) for p in text.split("-")] if text else []
        else:
            value = text
        if not self.accepts(value):
            raise ValueError(text)
        return value

    def _option(self, text: str):
        for o in self.options:
            if url_number(o) == text or (not isinstance(o, str) and _close(o, text)):
                return o
        raise ValueError(text)

    def examples(self) -> tuple:
        """Some values the widget accepts (tests pick one that is not the default)."""
        if self.kind == "number":
            return (self.low, self.low + 1, self.high)
        if self.kind == "slider":
            return (self.low, self.low + self.step, self.high - (self.high - self.low) % self.step)
        if self.kind in CHOICES:
            return self.options
        if self.kind == "toggle":
            return (False, True)
        if self.kind == "multiselect":
            return (list(self.options[:2]), list(self.options[-2:]))
        return ("data/x",)

    def option_label(self, option, lang: str) -> str:
        if self.labels is None:
            return str(option)
        if isinstance(self.labels, str):
            return i18n.text(lang, f"{self.labels}{option}")
        return self.labels(option, lang)


@dataclass(frozen=True)
class Panel:
    """A lesson's controls, in the order the page shows them; ``extras`` are URL keys the page writes
    itself (its runs in a link)."""

    slug: str
    controls: tuple[Control, ...]
    extras: tuple[str, ...] = field(default=())

    def __getitem__(self, key: str) -> Control:
        for c in self.controls:
            if c.key == key:
                return c
        raise KeyError(key)


# ---- Kinds, briefly -------------------------------------------------------------------------------


def number_box(key, url, label, low, high, default, step=1, **kw) -> Control:
    return Control(key, url, "number", label, default, low=low, high=high, step=step, **kw)


def slider(key, url, label, low, high, default, step=1, **kw) -> Control:
    return Control(key, url, "slider", label, default, low=low, high=high, step=step, **kw)


def choice(kind, key, url, label, options, default, **kw) -> Control:
    return Control(key, url, kind, label, default, options=tuple(options), **kw)


def toggle(key, url, label, default, **kw) -> Control:
    return Control(key, url, "toggle", label, default, **kw)


def grid(low: float, high: float, step: float) -> tuple[float, ...]:
    """low, low + step, …, high, rounded so that 0.1 + 0.2 is 0.3 (a decimal slider's options)."""
    return tuple(round(low + i * step, 10) for i in range(round((high - low) / step) + 1))


def decimals(digits: int) -> Callable[[Any, str], str]:
    """Option labels with the language's decimal mark: 0,5 in Vietnamese."""
    return lambda option, lang: i18n.fmt_float(option, lang, digits)


def short(option, lang: str) -> str:
    """0.0001, 0.02, 2 as written, with the language's decimal mark."""
    return f"{option:g}".replace(".", "," if lang == "vi" else ".")


def sci0(option, lang: str) -> str:
    return i18n.fmt_sci(option, lang, 0)


def decimal_slider(key, url, label, low, high, step, default, digits=1, **kw) -> Control:
    return choice("select_slider", key, url, label, grid(low, high, step), default, labels=decimals(digits), **kw)


def _resnet_name(option, lang: str) -> str:
    return option.replace("resnet", "ResNet-")


def _photo_name(option, lang: str) -> str:
    return i18n.text(lang, f"skip.photo_{option.split('.')[0]}")


def _momentum_name(option, lang: str) -> str:
    return i18n.text(lang, "batchnorm.momentum_none") if option == "none" else short(float(option), lang)


# ---- The lessons ------------------------------------------------------------------------------------

_TOY = ToyConfig()
LIMITS = Limits()  # the caps of the server's job registry (core.training.jobs.JobRegistry's default)
SEEDS = 9999  # the largest seed of the lessons' seed boxes (the Lab takes any the engine does)
FAMILY_PRESETS = {"fashion": (1, 28, 10), "imagenet": (3, 224, 1000), "cifar": (3, 32, 10)}  # channels, side, classes
BN_MEANS, BN_STDS = (0.0, 3.0, -2.0, 1.0), (1.0, 0.5, 2.0, 1.5)  # where the four channels' sliders start
# |mean| ≤ 5 and std ≥ 0.5 keep float32 rounding near 1e-5 at worst (lesson 5's "precision" prose).
BN_MEAN_MAX, BN_STD_MIN = 5.0, 0.5
WHY_DEPTHS = (8, 14, 20, 32, 44, 56)  # lesson 8's trained nets
LAB_FILES = ("mnist", "fashion_mnist")  # data sets read from local IDX files
GAINS = {"1": 1.0, "he": math.sqrt(2.0), "2": 2.0}  # lesson 3's weight scales

PANELS: dict[str, Panel] = {p.slug: p for p in (
    Panel("skip", (
        choice("radio", "sk_target", "t", "skip.target", tuple(TARGETS), "2x", labels="skip.target_", help="skip.target_help"),
        number_box("sk_seed", "seed", "skip.seed", 0, 999, 0, help="skip.seed_help"),
        slider("sk_depth", "d", "skip.depth", 1, 6, _TOY.depth, help="skip.depth_help"),
        choice("select_slider", "sk_hidden", "w", "skip.hidden", (4, 8, 16, 32, 64, 128), _TOY.hidden),
        slider("sk_steps", "n", "skip.steps", 50, 2000, _TOY.steps, step=50),
        choice("select_slider", "sk_lr", "lr", "skip.lr", (0.001, 0.003, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0),
               _TOY.lr, labels=short, help="skip.lr_help"),
        choice("select_slider", "sk_wd", "wd", "skip.wd", (0.0, 1e-4, 1e-3, 1e-2, 1e-1), 0.0, labels=short,
               help="skip.wd_help"),
        choice("radio", "sk_source", "img", "skip.source", ("digit", "photo", "upload"), "digit", labels="skip.source_",
               horizontal=True),
        number_box("sk_digit", "i", "skip.digit", 0, 1796, 0, help="skip.digit_help"),
        choice("selectbox", "sk_photo", "ph", "skip.photo", PHOTOS, PHOTOS[0], labels=_photo_name),
        decimal_slider("sk_sigma", "blur", "skip.sigma", 0.0, MAX_SIGMA, 0.5, 2.0, help="skip.sigma_help"),
    )),
    Panel("degradation", (
        Control("dg_depths", "d", "multiselect", "degradation.depths", list(DEGRADATION_DEPTHS),
                options=(8, 14, 20, 32, 56), help="degradation.depths_help"),
        number_box("dg_epochs", "e", "degradation.epochs", 1, 20, DEGRADATION_EPOCHS),
        number_box("dg_seed", "seed", "degradation.seed", 0, SEEDS, 0),
    ), extras=("run",)),
    Panel("gradients", (
        slider("gr_depth", "d", "gradients.depth", 2, 200, 50),
        choice("radio", "gr_gain", "g", "gradients.gain", tuple(GAINS), "1", labels="gradients.gain_",
               help="gradients.gain_help"),
        choice("radio", "gr_act", "act", "gradients.activation", ("relu", "tanh"), "relu", horizontal=True),
        choice("radio", "gr_kind", "blk", "gradients.block", ("mlp", "preact"), "mlp", labels="gradients.block_",
               horizontal=True),
        number_box("gr_seed", "seed", "gradients.seed", 0, 999, 0),
        choice("select_slider", "gr_net_depth", "nd", "gradients.net_depth", (8, 14, 20, 32, 56, 110), 56),
        toggle("gr_bn", "bn", "gradients.batchnorm", True),
    )),
    Panel("anatomy", (
        choice("radio", "an_kind", "k", "anatomy.block", ("basic", "bottleneck", "preact"), "basic",
               labels="anatomy.kind_", help="anatomy.block_help"),
        toggle("an_skip", "sk", "anatomy.skip", True, help="anatomy.skip_help"),
        choice("radio", "an_shortcut", "sc", "anatomy.shortcut", SHORTCUTS, "B", labels="anatomy.option_",
               help="anatomy.shortcut_help"),
        choice("radio", "an_stride", "s", "anatomy.stride", (1, 2), 1, horizontal=True, help="anatomy.stride_help"),
        number_box("an_in", "in", "anatomy.inplanes", *ANATOMY_LIMITS["inplanes"], 64, step=16),
        number_box("an_planes", "p", "anatomy.planes", *ANATOMY_LIMITS["planes"], 64, step=16, help="anatomy.planes_help"),
        slider("an_size", "hw", "anatomy.size", 4, 112, 56),
    )),
    Panel("batchnorm", (
        slider("bn_n", "n", "batchnorm.n", 1, 64, 8, help="batchnorm.n_help"),
        slider("bn_size", "hw", "batchnorm.size", 1, 8, 4),
        slider("bn_channels", "c", "batchnorm.channels", 1, 4, 3),
        number_box("bn_seed", "seed", "batchnorm.seed", 0, 999, 0, help="batchnorm.seed_help"),
        *(decimal_slider(f"bn_mean_{c}", f"m{c + 1}", "batchnorm.mean", -BN_MEAN_MAX, BN_MEAN_MAX, 0.5, BN_MEANS[c])
          for c in range(4)),
        *(decimal_slider(f"bn_std_{c}", f"s{c + 1}", "batchnorm.std", BN_STD_MIN, 5.0, 0.1, BN_STDS[c],
                         help="batchnorm.std_help") for c in range(4)),
        decimal_slider("bn_gamma", "g", "", 0.0, 2.0, 0.1, 1.0, symbol="γ", help="batchnorm.gamma_help"),
        decimal_slider("bn_beta", "b", "", -3.0, 3.0, 0.1, 0.0, symbol="β", help="batchnorm.beta_help"),
        choice("select_slider", "bn_eps", "eps", "", (1e-5, 1e-3, 0.1, 1.0), 1e-5, labels=sci0, symbol="ε",
               help="batchnorm.eps_help"),
        # "none": nn.BatchNorm2d(momentum=None), a cumulative average
        choice("select_slider", "bn_momentum", "mom", "batchnorm.momentum", ("0.01", "0.05", "0.1", "0.3", "0.5", "1",
                                                                               "none"), "0.1",
               labels=_momentum_name, help="batchnorm.momentum_help"),
        slider("bn_train_n", "tn", "batchnorm.train_n", 2, 64, 8, help="batchnorm.train_n_help"),
        slider("bn_batches", "k", "batchnorm.batches", 5, 200, 50, step=5),
        choice("segmented", "bn_mode", "mode", "batchnorm.mode", ("train", "eval"), "eval", labels="batchnorm.mode_"),
        decimal_slider("bn_shift", "shift", "batchnorm.shift", -10.0, 10.0, 0.5, 4.0, help="batchnorm.shift_help"),
    )),
    Panel("family", (
        number_box("fa_cb", "cb", "family.c_basic", 1, 2048, 64, step=16, help="family.c_basic_help"),
        number_box("fa_w", "w", "family.width", 1, 1024, 64, step=16, help="family.width_help"),
        slider("fa_size", "hw", "family.size", 1, 112, 56),
        choice("selectbox", "fa_model", "m", "family.model", tuple(FAMILY), "resnet50", labels=_resnet_name),
        choice("radio", "fa_preset", "in", "family.preset", tuple(FAMILY_PRESETS), "fashion", labels="family.preset_",
               help="family.preset_help"),
        number_box("fa_sz_{fa_preset}", "sz", "family.input_size", 1, 1024, lambda v: FAMILY_PRESETS[v["fa_preset"]][1],
                   depends=("fa_preset",)),
        number_box("fa_ch_{fa_preset}", "ch", "family.channels", 1, 16, lambda v: FAMILY_PRESETS[v["fa_preset"]][0],
                   depends=("fa_preset",)),
    )),
    Panel("lab", (
        number_box("lab_depth", "d", "lab.depth", 8, LIMITS.max_depth, 20, step=6, name="lab.field_depth",
                   help="lab.depth_help", keep=True),  # 6n + 2
        number_box("lab_width", "w", "lab.width", 1, LIMITS.max_width, 16, step=4, name="lab.field_width",
                   help="lab.width_help", keep=True),
        choice("radio", "lab_block", "blk", "lab.block", BLOCK_TYPES, "basic", labels="lab.block_", keep=True),
        choice("radio", "lab_arch", "arch", "kinds.lab_arch", ARCHS, "resnet", labels="kinds.arch_",
               help="kinds.lab_arch_help", keep=True),  # lesson 7's kinds of skip connection
        toggle("lab_skip", "sk", "lab.skip", True, help="lab.skip_help", keep=True),
        toggle("lab_bn", "bn", "lab.batchnorm", True, help="lab.batchnorm_help", keep=True),
        choice("radio", "lab_shortcut", "sc", "lab.shortcut", SHORTCUTS, "A", labels="lab.shortcut_", keep=True),
        choice("radio", "lab_data", "data", "lab.dataset", DATASETS, "digits", labels="lab.dataset_", keep=True),
        Control("lab_dir", "dir", "text", "lab.data_dir", "", keep=True),
        choice("radio", "lab_opt", "opt", "lab.optimizer", OPTIMIZERS, "adam", labels="lab.opt_", horizontal=True,
               keep=True),
        choice("select_slider", "lab_lr", "lr", "lab.lr", (1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1,
                                                          0.2, 0.5, 1.0, 2.0, 5.0, 10.0), 5e-4, labels=number, keep=True),
        choice("select_slider", "lab_wd", "wd", "lab.weight_decay", (0.0, 1e-5, 1e-4, 5e-4, 1e-3), 1e-4, labels=number,
               keep=True),
        choice("select_slider", "lab_batch", "b", "lab.batch_size", (32, 64, 128, 256, 512), 128, keep=True),
        number_box("lab_epochs", "e", "lab.epochs", 1, LIMITS.max_epochs, 5, name="lab.field_epochs", keep=True),
        number_box("lab_seed", "seed", "lab.seed", 0, MAX_SEED, 0, name="lab.field_seed", help="lab.seed_help",
                   keep=True),
        choice("segmented", "lab_metric", "y", "lab.metric", METRICS, "train_loss", labels="lab.metric_", keep=True),
        choice("segmented", "lab_x", "x", "lab.x_axis", X_AXES, "step", labels="lab.x_", keep=True),
    ), extras=("run",)),
    Panel("why", (
        choice("select_slider", "why_pdepth", "pd", "why.paths_depth", (8, 14, 20, 32, 44, 56, 110), 20),
        choice("selectbox", "why_depth", "d", "why.depth", WHY_DEPTHS, LESION_DEFAULT_DEPTH, help="why.depth_help"),
        number_box("why_epochs", "e", "why.epochs", 1, LESION_MAX_EPOCHS, LESION_DEFAULT_EPOCHS),
        number_box("why_seed", "seed", "why.seed", 0, SEEDS, 0),
        number_box("why_draws", "k", "why.draws", 1, 10, 5, help="why.draws_help"),
        choice("selectbox", "why_ldepth", "ld", "why.depth", WHY_DEPTHS, 20, help="why.depth_help"),
        number_box("why_lepochs", "le", "why.epochs", 1, LESION_MAX_EPOCHS, LandscapeTask().epochs),
        number_box("why_lseed", "ls", "why.seed", 0, SEEDS, 0),
        choice("select_slider", "why_size", "n", "why.size", GRID_SIZES, 21, help="why.size_help"),
        choice("radio", "why_surface_pick", "surf", "why.surface_pick", ("plain", "residual"), "residual",
               labels="gradients.", horizontal=True),  # which net's surface the 3-D view shows
    )),
    Panel("kinds", (
        number_box("ki_k0", "k0", "kinds.k0", 1, 512, 24, help="kinds.k0_help"),
        number_box("ki_k", "k", "kinds.growth", 1, 128, 12, help="kinds.growth_help"),
        number_box("ki_layers", "n", "kinds.layers", 1, 48, 6),
        number_box("ki_seed1", "s1", "kinds.seed", 0, SEEDS, 0),
        decimal_slider("ki_bias", "b", "kinds.gate_bias", -8.0, 2.0, 0.5, DEFAULT_GATE_BIAS, help="kinds.gate_bias_help"),
        number_box("ki_seed2", "s2", "kinds.seed", 0, SEEDS, 0),
        choice("radio", "ki_corr", "c", "kinds.corruption", CORRUPTIONS, "noise", labels="kinds.corr_"),
        decimal_slider("ki_level", "lv", "kinds.level", 0.1, 0.9, 0.1, lambda v: 0.3 if v["ki_corr"] == "noise" else 0.5,
                       depends=("ki_corr",)),
        number_box("ki_seed3", "s3", "kinds.seed", 0, SEEDS, 0),
    )),
)}

# Every control's default that does not depend on another (what a "{key}" field falls back to).
_DEFAULTS = {c.key: c.default for p in PANELS.values() for c in p.controls if not c.depends}


def panel(slug: str) -> Panel:
    """The lesson's controls (an empty panel for a page without any, e.g. home)."""
    return PANELS.get(slug, Panel(slug, ()))


# ---- The Lab: its controls ↔ a TrainConfig, and a run as URL text -------------------------------------

LAB = PANELS["lab"]
# TrainConfig field → the Lab's control, in TrainConfig field order (what a run in a link holds).
LAB_FIELDS: dict[str, Control] = {f: LAB[f"lab_{k}"] for f, k in (
    ("depth", "depth"), ("width", "width"), ("block", "block"), ("batchnorm", "bn"), ("skip", "skip"),
    ("shortcut", "shortcut"), ("dataset", "data"), ("data_dir", "dir"), ("optimizer", "opt"), ("lr", "lr"),
    ("weight_decay", "wd"), ("batch_size", "batch"), ("epochs", "epochs"), ("arch", "arch"), ("seed", "seed"))}


def lab_config(values: Mapping[str, Any] = {}) -> TrainConfig:
    """The TrainConfig the Lab trains for these control values (by widget key; missing or None: the
    control's default). Small data sets log every step (a dozen per epoch); MNIST's 469 steps per
    epoch log every 10th."""
    fields = {f: c.default if values.get(c.key) is None else values[c.key] for f, c in LAB_FIELDS.items()}
    if fields["dataset"] not in LAB_FILES:
        fields["data_dir"] = ""
    return TrainConfig(**fields, log_every=10 if fields["dataset"] in LAB_FILES else 1)


LAB_DEFAULT = lab_config()

# ToyConfig field → lesson 1's control (the rest of ToyConfig keeps its defaults).
TOY_FIELDS: dict[str, Control] = {f: PANELS["skip"][k] for f, k in (
    ("target", "sk_target"), ("seed", "sk_seed"), ("depth", "sk_depth"), ("hidden", "sk_hidden"), ("steps", "sk_steps"),
    ("lr", "sk_lr"), ("weight_decay", "sk_wd"))}


def toy_values(cfg: ToyConfig) -> dict[str, Any]:
    """Lesson 1's control values (by widget key) that train ``cfg``."""
    return {c.key: getattr(cfg, f) for f, c in TOY_FIELDS.items()}


def set_values(panel_: Panel, values: Mapping[str, Any], state) -> None:
    """Put ``values`` (control key → value) into the widgets' session state, as a link does; call it
    before the widgets are drawn (a class poll's run: a voter's page takes the presenter's settings)."""
    for c in panel_.controls:
        if c.key in values:
            state[c.widget_key(state)] = c.parse(c.fmt(values[c.key]))


def run_text(cfg: TrainConfig) -> str:
    """A Lab run as URL text: its fields that differ from the Lab's defaults, "key.value" joined by
    "~" ("base" when it has none). The data folder, which may hold anything, always comes last."""
    fields = sorted(LAB_FIELDS.items(), key=lambda f: f[0] == "data_dir")
    parts = [f"{c.url}.{c.fmt(getattr(cfg, name))}" for name, c in fields
             if getattr(cfg, name) != getattr(LAB_DEFAULT, name)]
    return "~".join(parts) or "base"


def run_config(value: str) -> TrainConfig:
    """The TrainConfig a ``run_text`` describes; ValueError when it is not one (unknown key, bad value)."""
    by_url = {c.url: (name, c) for name, c in LAB_FIELDS.items()}
    if not value:
        raise ValueError(value)
    fields = {}
    rest = "" if value == "base" else value
    while rest:
        key, dot, rest = rest.partition(".")
        if not dot or key not in by_url or by_url[key][1].key in fields:
            raise ValueError(value)
        raw, rest = (rest, "") if key == "dir" else rest.partition("~")[::2]
        fields[by_url[key][1].key] = by_url[key][1].parse(raw)
    return lab_config(fields)


def lab_run_text(number_: int, cfg: TrainConfig) -> str:
    """A Lab run in a link, its legend number first: "n.2~d.56~sk.0"."""
    diff = run_text(cfg)
    return f"n.{number_}" + ("" if diff == "base" else f"~{diff}")


def lab_run(value: str) -> tuple[int, TrainConfig]:
    head, _, rest = value.partition("~")
    if not head.startswith("n.") or not head[2:].isdigit() or not 1 <= int(head[2:]) <= 999:
        raise ValueError(value)
    return int(head[2:]), run_config(rest or "base")


def values_of(panel_: Panel, state: Mapping[str, Any]) -> dict[str, Any]:
    """Each control's current value (by its template key) from session state, or its default."""
    out: dict[str, Any] = {}
    for c in panel_.controls:
        key = c.widget_key(out | dict(state))
        out[c.key] = state[key] if key in state else c.default_for(out)
    return out


def check(values: Sequence) -> bool:
    """True when none of ``values`` is None (a number box that holds what cannot run returns None)."""
    return all(v is not None for v in values)
