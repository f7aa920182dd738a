"""The explorers' URL-bound controls that their live charts also carry, and those charts' specs.

The pages (binary, multiclass, psi) bind these Params to their sidebar widgets and the URL; the
live chart above each figure moves the same values in the browser; the lesson's figures carry
the same sliders. One definition of every limit, here.
"""

from __future__ import annotations

from app import links
from app.figures.scenes import BINARY_DEFAULTS, plane_constants, psi_constants
from app.live_chart.controls import Control, live_spec

D = BINARY_DEFAULTS
# Two classes (binary page).
BINARY_M = links.Param("m", D["m"], 1, 8)
NORM1 = links.Param("n1", D["norm1"], 0.1, 5.0)
NORM2 = links.Param("n2", D["norm2"], 0.1, 5.0)
THETA12 = links.Param("t12", D["theta12_deg"], 1, 180)
X_ANGLE = links.Param("xa", D["sample_angle_deg"], -180, 180)
X_NORM = links.Param("xn", D["sample_norm"], 0.1, 5.0)
# K classes (multiclass page).
MAX_CLASSES = 10
MULTICLASS_M = links.Param("m", 3, 1, 8)
ANGLES = tuple(links.Param(f"a{j + 1}", 0, 0, 359) for j in range(MAX_CLASSES))
NORMS = tuple(links.Param(f"n{j + 1}", 2.0, 0.1, 5.0) for j in range(MAX_CLASSES))
# psi curves (psi page).
PSI_POINTS = 361  # one sample per half degree
M_MAX = links.Param("mmax", 4, 1, 8)
PSI_M = links.Param("m", 4, 1, 8)
LAMBDA = links.Param("lam", 1.0, 0.0, 20.0)


def binary_controls(locked: bool, sample: bool = True) -> list[Control]:
    """The sliders above the two-class plane (the sample's angle only where the page has a sample)."""
    norms = [Control(NORM1, "|W1|" if not locked else "|W1| = |W2|", 0.1)]
    if not locked:
        norms.append(Control(NORM2, "|W2|", 0.1))
    controls = [Control(BINARY_M, "m"), Control(THETA12, "θ12", 1, "°"), *norms]
    return controls + [Control(X_ANGLE, "x angle", 1, "°")] if sample else controls


def binary_live(values: dict, sample: bool = True) -> dict:
    """The two-class plane's live spec; values has m, t12, n1, n2, lock, xa, xn and field."""
    return live_spec("binary", values, binary_controls(values["lock"], sample), plane_constants())


def multiclass_live(k: int, m: int, angles, norms) -> dict:
    """The K-class plane's live spec: m, then a picker of one vector with its angle and norm."""
    controls = [
        Control(MULTICLASS_M, "m"),
        {"key": "pick", "label": "vector W", "min": 1, "max": k, "step": 1},
        {"key": "angle", "label": "its angle", "min": ANGLES[0].low, "max": ANGLES[0].high, "step": 1, "unit": "°"},
        {"key": "norm", "label": "its |W|", "min": NORMS[0].low, "max": NORMS[0].high, "step": 0.1},
    ]
    values = {"m": m, "angles": list(angles), "norms": list(norms)}
    return live_spec("multiclass", values, controls, plane_constants())


def psi_live(m_max: int, m: int, lam: float) -> dict:
    """The psi chart's live spec: M, m and lambda move the curves in the browser."""
    controls = [Control(M_MAX, "ψ for m ≤"), Control(PSI_M, "blend m"), Control(LAMBDA, "λ", 0.1)]
    return live_spec("psi", {"mmax": m_max, "m": m, "lam": lam}, controls, psi_constants(PSI_POINTS))
