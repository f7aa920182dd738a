"""TrainSettings: every setting of a live training run in one frozen dataclass, numpy-free and
torch-free, so a page can parse and write its URL without importing torch.

It is the cache key of a run and round-trips through URL query parameters
(to_query / from_query). Re-exported by lab.train.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass

from lab.datasets import DATASETS, MAX_CLASSES, MAX_SAMPLES

CUSTOM_DATASET = "custom"  # the user's own points (lab.user_data); n_samples, noise, n_classes unused
ACTIVATIONS = ("prelu", "relu", "tanh")
LAMBDA_KINDS = ("power", "multiplicative", "none")
OPTIMIZERS = ("adam", "sgd")
MAX_MARGIN = 8
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
    m: int = 4  # margin of the head, 1..8 (1 = plain softmax)
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
    # --- compare mode
    compare_ms: tuple[int, ...] = ()  # e.g. (1, 2, 3, 4): one model per m, trained in lockstep; () = one model with m

    def __post_init__(self):
        for field in dataclasses.fields(self):
            _VALIDATORS[field.name](field.name, getattr(self, field.name))
        object.__setattr__(self, "compare_ms", tuple(int(m) for m in self.compare_ms))

    @property
    def margins(self) -> tuple[int, ...]:
        """The m of every model trained: compare_ms, or (m,) when compare mode is off."""
        return self.compare_ms if self.compare_ms else (self.m,)

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
        for field in dataclasses.fields(cls):
            if field.name not in params:
                continue
            raw = params[field.name]
            if isinstance(raw, (list, tuple)):
                raw = raw[-1] if raw else ""
            try:
                value = _parse(field.name, str(raw))
                _VALIDATORS[field.name](field.name, value)
            except ValueError as error:
                reason = str(error).split(", got ")[0]  # the value is quoted once, cut to 40 characters
                problems.append(f"Ignored {field.name}={str(raw)[:40]!r}: {reason}")
                continue
            values[field.name] = value
        return cls(**values), problems


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
        raise ValueError(f"{name} must be a tuple of at most {MAX_COMPARE} margins, got {value!r}")
    for m in value:
        _check_int(f"each entry of {name}", m, 1, MAX_MARGIN)
    if len(set(value)) != len(value):
        raise ValueError(f"{name} must not repeat a margin, got {value!r}")


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
    "compare_ms": _check_compare,
}


# ------------------------------------------------------------ URL strings

_FIELD_TYPES = {field.name: field.default for field in dataclasses.fields(TrainSettings)}


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
    if isinstance(default, tuple):
        try:
            return tuple(int(item) for item in text.split(",") if item.strip())
        except ValueError:
            raise ValueError(f"expected comma-separated integers, got {text[:40]!r}") from None
    return text
