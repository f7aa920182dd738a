"""TrainSettings: every setting of a live training run in one frozen dataclass, torch-free, so a
page can parse and write its URL without importing torch.

It is the cache key of a run and round-trips through URL query parameters
(to_query / from_query). Re-exported by lab.train.

The head is any member of lsoftmax.margins (MEMBER_SPECS: its name, its parameter fields in the
UI's units, degrees for angles); compare mode lists models as entries such as
"softmax,lsoftmax:4,cosface:0.35:2,arcface:28.65:2" (parse_entry). Links from before the family
(m=4&compare_ms=1,2,3,4) still open the same models. SAFE_SCALES holds the measured s above which
the normalised members stop converging on 2-D features (scale_risks).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from lab.datasets import DATASETS, MAX_CLASSES, MAX_SAMPLES
from lsoftmax.margins import ArcFace, CombinedMargin, CosFace, LSoftmax, Margin, SphereFace, as_margin

CUSTOM_DATASET = "custom"  # the user's own points (lab.user_data); n_samples, noise, n_classes unused
ACTIVATIONS = ("prelu", "relu", "tanh")
LAMBDA_KINDS = ("power", "multiplicative", "none")
OPTIMIZERS = ("adam", "sgd")
LEGACY_COMPARE = "compare_ms"  # the query key of compare mode over m before the family: compare_ms=1,2,3,4
SCALE_DEFAULT = 2.0  # s of the normalised members by default: converges from scratch on 2-D (SAFE_SCALES)
MAX_MARGIN = 8
# The normalised members' parameter ranges in UI units (degrees for angles): the trainer's checks
# here and every page's sliders (app.explorer_controls) use these, so a link means the same everywhere.
MEMBER_RANGES = {
    "cosface_m": (0.0, 1.0),  # subtracted from the cosine
    "arcface_m_deg": (0.0, 90.0),  # added to the angle
    "combined_m1": (1.0, 3.0),  # multiplies the angle
    "combined_m2_deg": (0.0, 90.0),  # added to the angle
    "combined_m3": (0.0, 1.0),  # subtracted from the cosine
}
MAX_SCALE = 128.0  # s of the normalised members (the papers use 30..64)
MAX_COMPARE = 8
FEATURE_DIMS = (2, 3)  # the feature layer's dimension D: the plane (the paper's Figure 2) or the sphere


@dataclass(frozen=True)
class TrainSettings:
    """All settings of one training run (one model, or G models in compare mode)."""

    # --- data
    # The defaults tell the paper's Figure-2 story at the page's pace (10 steps per tick): the
    # spiral arms are mixed for the first ~200 steps, unravel by ~400, then (as lambda falls)
    # each class's features fan out into a thinner wedge around W_j for larger m.
    dataset: str = "spiral"  # a key of lab.datasets.DATASETS, or "custom" for user data
    n_samples: int = 600  # points generated, train and test together (2..20000)
    noise: float = 0.05  # standard deviation of the Gaussian noise added to every point (>= 0)
    n_classes: int = 3  # K, 2..10; datasets with a fixed K (moons, xor, gaussians) use theirs
    test_fraction: float = 0.25  # share of the points held out for the test set, in [0.05, 0.9]
    seed: int = 0  # data, split, initial weights and batch order all derive from it (>= 0)
    # --- network: input(2) -> hidden layers -> Linear(width, 2) features (no bias, no activation)
    hidden_layers: int = 2  # 0..6 hidden layers of Linear (+ BatchNorm) + activation
    hidden_width: int = 32  # units per hidden layer, 2..128
    activation: str = "prelu"  # "prelu" | "relu" | "tanh"
    batch_norm: bool = False  # BatchNorm after each hidden Linear (which then has no bias)
    feature_dim: int = 2  # D of the features and the class vectors: 2 (a circle of directions) or 3 (a sphere)
    # --- L-Softmax head (K, 2), no bias
    # The head is any member of lsoftmax.margins (MEMBER_SPECS); its parameters in the UI's units.
    member: str = "lsoftmax"  # a key of MEMBER_SPECS: lsoftmax | sphereface | cosface | arcface | combined
    m: int = 4  # L-Softmax and A-Softmax: integer margin, 1..8 (L-Softmax m = 1 is plain softmax)
    cosface_m: float = 0.35  # CosFace: t = cos(theta) - m, in [0, 1]
    arcface_m_deg: float = 28.65  # ArcFace: t = cos(theta + m), m in degrees (0.5 rad, the paper's), [0, 90]
    combined_m1: float = 1.0  # combined: t = cos(m1 theta + m2) - m3; m1 in [1, 3]
    combined_m2_deg: float = 17.19  # combined: m2 in degrees (0.3 rad), [0, 90]
    combined_m3: float = 0.2  # combined: m3, [0, 1]
    # s of CosFace, ArcFace and the combined margin (they normalise x and W), (0, 128]. The papers
    # use 30..64 on 512-D features; measured on the default spiral (2-D), larger s fails to
    # converge from scratch for some seeds (see SAFE_SCALES).
    scale: float = SCALE_DEFAULT
    lambda_kind: str = "power"  # "power" | "multiplicative" | "none" (lambda = 0, pure L-Softmax)
    # power: lambda = max(lambda_min, base * (1 + gamma * t) ** -power), t = 1 at the first step.
    # These defaults fall from ~1000 to ~12 at step 200, ~1.6 at 400 and ~0.15 at 800.
    lambda_base: float = 1000.0  # lambda at t = 0
    lambda_gamma: float = 0.01  # how fast the step counter eats into lambda
    lambda_power: float = 4.0  # steepness of the decay
    # multiplicative: lambda = max(lambda_min, start * factor ** t); 100 * 0.99 ** t is ~1 at t = 460
    lambda_start: float = 100.0  # lambda at t = 0
    lambda_factor: float = 0.99  # multiplied in once per step, in (0, 1]
    lambda_min: float = 0.0  # floor of either schedule; 0.5 to 10 steadies hard data
    # --- optimiser
    optimizer: str = "adam"  # "adam" | "sgd" (SGD with momentum)
    learning_rate: float = 0.003  # step size, (0, 10]
    momentum: float = 0.9  # SGD momentum, [0, 1)
    weight_decay: float = 5e-4  # L2 penalty on the weight matrices (not biases, PReLU or BatchNorm), >= 0
    batch_size: int = 32  # points per step, 1..1024, drawn from a fresh shuffle of the train set each epoch
    # --- compare mode: one model per entry, trained in lockstep from the same start and batches
    # e.g. ("softmax", "lsoftmax:4", "cosface:0.35:8", "arcface:28.65:2"); () = one model (member).
    # An entry is a MEMBER_SPECS key and its parameters in UI units, ":"-separated (see parse_entry).
    compare: tuple[str, ...] = ()

    def __post_init__(self):
        for field in dataclasses.fields(self):
            _VALIDATORS[field.name](field.name, getattr(self, field.name))
        object.__setattr__(self, "compare", tuple(canonical_entry(entry) for entry in self.compare))

    @property
    def margin(self) -> Margin:
        """The member chosen by `member` and its parameter fields."""
        spec = MEMBER_SPECS[self.member]
        return spec.build(*(getattr(self, name) for name in spec.fields))

    @property
    def margins(self) -> tuple[Margin, ...]:
        """The member of every model trained: one per compare entry, or (margin,) when compare mode is off."""
        if self.compare:
            return tuple(margin_from_entry(entry) for entry in self.compare)
        return (self.margin,)

    @property
    def entry(self) -> str:
        """The compare entry of the member chosen by `member` (what "add to the comparison" adds)."""
        spec = MEMBER_SPECS[self.member]
        return canonical_entry(":".join([self.member, *(_number(getattr(self, name)) for name in spec.fields)]))

    @property
    def effective_classes(self) -> int:
        """K the dataset will really have: n_classes clipped to what the dataset supports."""
        if self.dataset == CUSTOM_DATASET:
            return self.n_classes
        spec = DATASETS[self.dataset]
        return min(max(self.n_classes, spec.min_classes), spec.max_classes)

    def to_query(self) -> dict[str, str]:
        """The settings that differ from the defaults, as URL query strings."""
        defaults = TrainSettings()
        return {
            field.name: _format(getattr(self, field.name))
            for field in dataclasses.fields(self)
            if getattr(self, field.name) != getattr(defaults, field.name)
        }

    @classmethod
    def from_query(cls, params: Mapping) -> tuple[TrainSettings, list[str]]:
        """Settings from URL query parameters, and a human-readable problem per bad entry.

        Never raises: a bad value falls back to its default. Keys that are not fields are
        ignored (the URL may carry other things). A value may be a string or a list of
        strings (the last one counts).
        """
        values, problems = {}, []
        if LEGACY_COMPARE in params and "compare" not in params:  # an L-Softmax link from before the family
            legacy = _legacy_compare(params[LEGACY_COMPARE], problems)
            params = {**params, "compare": legacy} if legacy is not None else params
        for field in dataclasses.fields(cls):
            if field.name not in params:
                continue
            raw = params[field.name]
            if isinstance(raw, (list, tuple)):
                raw = raw[-1] if raw else ""
            if field.name == "compare":
                values["compare"] = _entries_from_query(str(raw), problems)
                continue
            try:
                value = _parse(field.name, str(raw))
                _VALIDATORS[field.name](field.name, value)
            except ValueError as error:
                reason = str(error).split(", got ")[0]  # the value is quoted once, cut to 40 characters
                problems.append(f"Ignored {field.name}={str(raw)[:40]!r}: {reason}")
                continue
            values[field.name] = value
        return cls(**values), problems


# ------------------------------------------------------------- the margin family


@dataclass(frozen=True)
class MemberSpec:
    """One member of lsoftmax.margins as the lab offers it: its name, its parameter fields, how to build it."""

    label: str  # shown in menus and legends
    kind: type  # the member's class in lsoftmax.margins
    fields: tuple[str, ...]  # the TrainSettings fields of its parameters, in the order of a compare entry
    build: Callable[..., Margin]  # the parameters (UI units: degrees for angles) -> the member
    ui_params: Callable[[Margin], tuple]  # the member -> its parameters in UI units (the inverse of build)


MEMBER_SPECS = {
    "lsoftmax": MemberSpec("L-Softmax", LSoftmax, ("m",), lambda m: LSoftmax(m=m), lambda margin: (margin.m,)),
    "sphereface": MemberSpec(
        "A-Softmax (SphereFace)", SphereFace, ("m",), lambda m: SphereFace(m=m), lambda margin: (margin.m,)
    ),
    "cosface": MemberSpec(
        "CosFace (AM-Softmax)",
        CosFace,
        ("cosface_m", "scale"),
        lambda m, s: CosFace(m=m, s=s),
        lambda margin: (margin.m, margin.s),
    ),
    "arcface": MemberSpec(
        "ArcFace",
        ArcFace,
        ("arcface_m_deg", "scale"),
        lambda degrees, s: ArcFace(m=math.radians(degrees), s=s),
        lambda margin: (math.degrees(margin.m), margin.s),
    ),
    "combined": MemberSpec(
        "combined margin",
        CombinedMargin,
        ("combined_m1", "combined_m2_deg", "combined_m3", "scale"),
        lambda m1, degrees, m3, s: CombinedMargin(m1=m1, m2=math.radians(degrees), m3=m3, s=s),
        lambda margin: (margin.m1, math.degrees(margin.m2), margin.m3, margin.s),
    ),
}
SOFTMAX_ENTRY = "softmax"  # the compare entry of L-Softmax m = 1 (plain softmax)
# The largest s with which each normalised member converged (test accuracy >= 95 %) for 8 of 8
# seeds on the default spiral in 1000 steps, lambda = 0 (bench/family_scales.py). Above it,
# some seeds stall: at s = 64 CosFace 6 of 8, ArcFace 1 of 8, combined 4 of 8, and even
# without a margin (CosFace m = 0) 1 of 8. The power lambda schedule did not rescue them
# (its plain logit is s cos too): the fix on 2-D features is a smaller s.
SAFE_SCALES = {"cosface": 8.0, "arcface": 2.0, "combined": 2.0}


# ------------------------------------------------------------- validation


def _check_int(name, value, low, high):
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer in [{low}, {high}], got {value!r}")


def _check_float(name, value, low, high, low_open=False):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if value > high or value < low or (low_open and value == low):
        bracket = "(" if low_open else "["
        raise ValueError(f"{name} must lie in {bracket}{low}, {high}], got {value!r}")


def _check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")


def _check_bool(name, value):
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")


def _check_compare(name, value):
    if not isinstance(value, tuple) or len(value) > MAX_COMPARE:
        raise ValueError(f"{name} must be a tuple of at most {MAX_COMPARE} models, got {value!r}")
    entries = [canonical_entry(entry) for entry in value]
    repeated = sorted({entry for entry in entries if entries.count(entry) > 1})
    if repeated:
        raise ValueError(f"{name} must not repeat a model: {', '.join(repeated)} appears twice")


def _int_range(low, high):
    return lambda name, value: _check_int(name, value, low, high)


def _float_range(low, high, low_open=False):
    return lambda name, value: _check_float(name, value, low, high, low_open)


def _choice(choices):
    return lambda name, value: _check_choice(name, value, choices)


_VALIDATORS = {
    "dataset": _choice((*DATASETS, CUSTOM_DATASET)),
    "n_samples": _int_range(4, MAX_SAMPLES),
    "noise": _float_range(0.0, 10.0),
    "n_classes": _int_range(2, MAX_CLASSES),
    "test_fraction": _float_range(0.05, 0.9),
    "seed": _int_range(0, 2**31 - 1),
    "hidden_layers": _int_range(0, 6),
    "hidden_width": _int_range(2, 128),
    "activation": _choice(ACTIVATIONS),
    "batch_norm": _check_bool,
    "feature_dim": _int_range(FEATURE_DIMS[0], FEATURE_DIMS[-1]),
    "m": _int_range(1, MAX_MARGIN),
    "member": _choice(tuple(MEMBER_SPECS)),
    **{field: _float_range(*limits) for field, limits in MEMBER_RANGES.items()},
    "scale": _float_range(0.0, MAX_SCALE, low_open=True),
    "lambda_kind": _choice(LAMBDA_KINDS),
    "lambda_base": _float_range(0.0, 1e6),
    "lambda_gamma": _float_range(0.0, 10.0),
    "lambda_power": _float_range(0.0, 100.0),
    "lambda_start": _float_range(0.0, 1e6),
    "lambda_factor": _float_range(0.0, 1.0, low_open=True),
    "lambda_min": _float_range(0.0, 1e6),
    "optimizer": _choice(OPTIMIZERS),
    "learning_rate": _float_range(0.0, 10.0, low_open=True),
    "momentum": _float_range(0.0, 0.999),
    "weight_decay": _float_range(0.0, 1.0),
    "batch_size": _int_range(1, 1024),
    "compare": _check_compare,
}


# ------------------------------------------------------------ compare entries and model names


def parse_entry(entry: str) -> tuple[str, tuple]:
    """A compare entry as (member key, parameters in UI units); ValueError naming what is wrong.

    "name:p1:p2..." with name a MEMBER_SPECS key and its parameters in the order of its fields
    (lsoftmax:m, sphereface:m, cosface:m:s, arcface:degrees:s, combined:m1:degrees:m3:s);
    parameters left out take their defaults. "softmax" is lsoftmax:1.
    """
    if not isinstance(entry, str):
        raise ValueError(f"a compare entry must be text such as 'arcface:28.65:2', got {entry!r}")
    name, *texts = [part.strip() for part in entry.strip().lower().split(":")]
    quoted = repr(entry[:40])
    if name == SOFTMAX_ENTRY and not texts:
        return "lsoftmax", (1,)
    if name not in MEMBER_SPECS:
        raise ValueError(f"compare entry {quoted}: the model must be softmax or one of {', '.join(MEMBER_SPECS)}")
    fields = MEMBER_SPECS[name].fields
    if len(texts) > len(fields):
        shown = ", ".join(_shown_field(field) for field in fields)
        raise ValueError(f"compare entry {quoted}: {name} takes {len(fields)} value(s) at most ({shown})")
    values = []
    for field, text in zip(fields, texts + [None] * (len(fields) - len(texts)), strict=True):
        try:
            value = _FIELD_TYPES[field] if text is None else _parse(field, text)
            _VALIDATORS[field](field, value)
        except ValueError as error:
            reason = str(error).split(", got ")[0].removeprefix(field).strip()
            joiner = " " if reason.startswith("must") else ": "
            raise ValueError(f"compare entry {quoted}: {name}'s {_shown_field(field)}{joiner}{reason}") from None
        values.append(value)
    return name, tuple(values)


def canonical_entry(entry: str) -> str:
    """The one spelling of a compare entry (every parameter written out; lsoftmax:1 is "softmax")."""
    name, values = parse_entry(entry)
    if name == "lsoftmax" and values == (1,):
        return SOFTMAX_ENTRY
    return ":".join([name, *(_number(value) for value in values)])


def lsoftmax_entries(ms) -> tuple[str, ...]:
    """The compare entries of L-Softmax at each m of `ms` (m = 1 is "softmax"): compare mode over m."""
    return tuple(canonical_entry(f"lsoftmax:{m}") for m in ms)


def margin_from_entry(entry: str) -> Margin:
    """The lsoftmax.margins member a compare entry names."""
    name, values = parse_entry(entry)
    return MEMBER_SPECS[name].build(*values)


def member_key(margin: Margin) -> str:
    """The MEMBER_SPECS key of a member."""
    return next(key for key, spec in MEMBER_SPECS.items() if type(margin) is spec.kind)


def model_name(margin: Margin | int) -> str:
    """What legends, tables and captions call a model, parameters in UI units: "ArcFace m=28.6° s=2"."""
    margin = as_margin(margin)
    key = member_key(margin)
    spec = MEMBER_SPECS[key]
    if key == "lsoftmax" and margin.m == 1:
        return SOFTMAX_ENTRY
    values = dict(zip(spec.fields, spec.ui_params(margin), strict=True))
    shown = [f"{value:.3g}{'°' if field.endswith('_deg') else ''}" for field, value in values.items()]
    label = spec.label.split(" (")[0]
    if key == "combined":  # cos(m1 theta + m2) - m3: the three margins as the paper lists them
        return f"{label} ({', '.join(shown[:3])}) s={shown[3]}"
    return " ".join([label, *(f"{_short_name(field)}={text}" for field, text in zip(values, shown, strict=True))])


def scale_risks(settings: TrainSettings) -> list[tuple[str, float]]:
    """(model name, the largest measured-safe s) of each model whose s exceeds SAFE_SCALES on 2-D features."""
    risks = []
    for margin in settings.margins:
        safe = SAFE_SCALES.get(member_key(margin))
        if safe is not None and margin.s > safe:
            risks.append((model_name(margin), safe))
    return risks


def entry_with_scale(entry: str, scale: float) -> str:
    """A compare entry with its s replaced (entries of members without s are returned as they are)."""
    name, values = parse_entry(entry)
    if "scale" not in MEMBER_SPECS[name].fields:
        return canonical_entry(entry)
    return canonical_entry(":".join([name, *(_number(value) for value in values[:-1]), _number(scale)]))


def _short_name(field: str) -> str:
    """m, m1, s ... of a parameter field (its name in the member's paper)."""
    return {"scale": "s"}.get(field, field.removesuffix("_deg").split("_")[-1])


def _shown_field(field: str) -> str:
    """A parameter field as the page names it: "m (degrees)" for arcface_m_deg, "s" for scale."""
    return _short_name(field) + (" (degrees)" if field.endswith("_deg") else "")


def _entries_from_query(text: str, problems: list[str]) -> tuple[str, ...]:
    """The good entries of a compare= value; a problem for each entry left out (bad, repeated, too many)."""
    entries = []
    for item in (item.strip() for item in text.split(",")):
        if not item:
            continue
        try:
            entry = canonical_entry(item)
        except ValueError as error:
            problems.append(f"Ignored {error}")
            continue
        if entry in entries:
            problems.append(f"Ignored compare entry {item[:40]!r}: the same model is already compared")
        elif len(entries) == MAX_COMPARE:
            problems.append(f"Ignored compare entry {item[:40]!r}: compare mode trains at most {MAX_COMPARE} models")
        else:
            entries.append(entry)
    return tuple(entries)


def _legacy_compare(raw, problems: list[str]) -> str | None:
    """compare_ms=1,2,3,4 (L-Softmax values of m) as compare entries; None (and a problem) if bad."""
    text = str(raw[-1] if isinstance(raw, (list, tuple)) and raw else raw)
    try:
        values = tuple(int(item) for item in text.split(",") if item.strip())
        for m in values:
            _check_int("each m", m, 1, MAX_MARGIN)
        if len(set(values)) != len(values) or len(values) > MAX_COMPARE:
            raise ValueError(LEGACY_COMPARE)
    except ValueError:
        expected = f"at most {MAX_COMPARE} distinct integers m in 1..{MAX_MARGIN}"
        problems.append(f"Ignored {LEGACY_COMPARE}={text[:40]!r}: expected {expected}")
        return None
    return ",".join(lsoftmax_entries(values))


# ------------------------------------------------------------ URL strings

_FIELD_TYPES = {field.name: field.default for field in dataclasses.fields(TrainSettings)}


def _number(value) -> str:
    """A number as the shortest text that reads back as the same float (30.0 -> "30")."""
    text = repr(float(value)) if isinstance(value, float) else str(value)
    return text.removesuffix(".0")


def _format(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, tuple):
        return ",".join(str(item) for item in value)
    return repr(value) if isinstance(value, float) else str(value)


def _parse(name: str, text: str):
    """A query string as the type of the field's default; ValueError if it does not parse."""
    default = _FIELD_TYPES[name]
    text = text.strip()
    if isinstance(default, bool):
        lowered = text.lower()
        if lowered not in ("1", "0", "true", "false"):
            raise ValueError(f"expected 1/0/true/false, got {text[:40]!r}")
        return lowered in ("1", "true")
    if isinstance(default, int):
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"expected an integer, got {text[:40]!r}") from None
    if isinstance(default, float):
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"expected a number, got {text[:40]!r}") from None
    if isinstance(default, tuple):  # compare: comma-separated entries, checked by the validator
        return tuple(item.strip() for item in text.split(",") if item.strip())
    return text
