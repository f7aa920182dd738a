"""Named presets: a page and the query parameters that put it in one prepared state.

A teacher opens a preset by its link (`binary?m=2&t12=90`), the lesson links to them, and
tests run every page with every preset to prove the link passes the page's own validation.
The training presets are built with TrainSettings(...).to_query(), so they cannot drift from
the names and formats that page reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from lab.settings import TrainSettings, lsoftmax_entries

# URL path -> page file, relative to the entry point (what st.page_link wants).
PAGE_FILES = {
    "binary": "views/binary.py",
    "multiclass": "views/multiclass.py",
    "psi": "views/psi_curve.py",
    "family": "views/family.py",
    "train": "views/train.py",
}


@dataclass(frozen=True)
class Preset:
    """One prepared state of one page."""

    title: str  # what the teacher reads in a list of presets
    page: str  # URL path of the page, a key of PAGE_FILES
    query: dict = field(default_factory=dict)  # query parameter -> string value
    description: str = ""  # one line: what the state shows

    def __post_init__(self):
        if self.page not in PAGE_FILES:
            raise ValueError(f"page must be one of {sorted(PAGE_FILES)}, got {self.page!r}")
        object.__setattr__(self, "query", {key: str(value) for key, value in self.query.items()})

    @property
    def page_file(self) -> str:
        """The page's source file, relative to the entry point."""
        return PAGE_FILES[self.page]

    @property
    def link(self) -> str:
        """Relative link to the state, e.g. 'binary?m=2&t12=90' (relative, so it works under any base path)."""
        return f"{self.page}?{urlencode(self.query, safe=',:')}" if self.query else self.page


def _binary(m: int, norm1: float, norm2: float, theta12: int = 90, **extra) -> dict:
    """Query of the two-class page; equal norms keep the lock on (the page then has no |W2| slider)."""
    if norm1 == norm2:
        return {"m": m, "n1": norm1, "lock": "true", "t12": theta12, **extra}
    return {"m": m, "n1": norm1, "n2": norm2, "lock": "false", "t12": theta12, **extra}


PRESETS = {
    "figure4-equal": Preset(
        "Figure 4: equal norms", "binary", _binary(4, 2, 2),
        "|W1| = |W2| at 90°, m = 4: a symmetric margin of (m−1)/(m+1)·θ12 = 54°.",
    ),
    "figure4-w1-longer": Preset(
        "Figure 4: |W1| > |W2|", "binary", _binary(4, 3, 1.5),
        "Between the vectors the softmax boundary moves towards the shorter W2; a margin still separates the classes.",
    ),
    "figure4-w2-longer": Preset(
        "Figure 4: |W1| < |W2|", "binary", _binary(4, 1.5, 3),
        "The mirror case: now W2 is the longer vector.",
    ),
    "softmax-two-classes": Preset(
        "Plain softmax, two classes", "binary", _binary(1, 2, 2, field="softmax"),
        "m = 1 is the ordinary softmax: one boundary halfway between W1 and W2, no margin.",
    ),
    "first-margin": Preset(
        "m = 2 opens a margin", "binary", _binary(2, 2, 2),
        "m = 2 at 90°: the margin is (2−1)/(2+1)·90° = 30°.",
    ),
    "test-time-argmax": Preset(
        "Test time: plain softmax decides", "binary", _binary(4, 2, 2, field="softmax"),
        "The margin is a training target only: the prediction is the plain argmax, P(class 1) shown.",
    ),
    "figure3-psi": Preset(
        "Figure 3: psi for m = 1..4", "psi", {"mmax": 4, "m": 4, "lam": 0},
        "ψ(θ) for m = 1..4 against cos θ: ψ is never above cos θ and decreases monotonically.",
    ),
    "mnist-lambda": Preset(
        "The paper's MNIST lambda schedule", "psi",
        {"base": 1000, "gamma": 2.5e-5, "power": 35, "lmin": 0, "iters": 20000, "log": "true"},
        "λ = max(λmin, 1000 (1 + 2.5·10⁻⁵ t)^(−35)): softmax first, the margin phased in.",
    ),
    "ten-classes-one-short": Preset(
        "K = 10, one short class vector", "multiclass", {"k": 10, "m": 2, "n1": 1.7},
        "Ten evenly spaced classes, m = 2, |W1| = 1.7 against 2: the short class keeps only a thin wedge.",
    ),
    "figure2-live": Preset(
        "Figure 2 live: spiral, compare m = 1,2,3,4", "train",
        TrainSettings(compare=lsoftmax_entries((1, 2, 3, 4))).to_query(),
        "Four models trained side by side on the same spiral: the feature wedges get thinner as m grows.",
    ),
    "family-why-normalise": Preset(
        "Why A-Softmax normalises W", "family", {"ls_m": 4, "ls_r": 0.5, "cf": "false", "af": "false", "cm": "false"},
        "L-Softmax with |W1| = |W2| / 2 against A-Softmax, both m = 4: only L-Softmax's boundary moves with the norms.",
    ),
    "family-cosface": Preset(
        "CosFace: a margin in the cosine", "family", {"sf": "false", "af": "false", "cm": "false"},
        "CosFace m = 0.35 against L-Softmax m = 2: CosFace's angular margin shrinks as the classes move apart.",
    ),
    "family-arcface": Preset(
        "ArcFace: a margin in the angle", "family", {"sf": "false", "cm": "false"},
        "ArcFace m = 0.5 rad (28.6°): the same margin between every pair of classes, beside L-Softmax and CosFace.",
    ),
    "family-combined": Preset(
        "The combined margin", "family", {"sf": "false", "cf_m": 0.35, "cm_m3": 0.2},
        "cos(m1 θ + m2) − m3 with m1 = 1, m2 = 17.2° (0.3 rad), m3 = 0.2, beside L-Softmax, CosFace and ArcFace "
        "in the (θ1, θ2) plane.",
    ),
}  # fmt: skip
