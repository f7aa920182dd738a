"""psi (eq 6) and cos(m theta) as a polynomial of cos(theta) (eq 7).

numpy only: torch tensors are handled by duck typing, so this module (and the
geometry built on it) never imports torch. Inputs may be a Python float, a numpy
array or a torch tensor; the result has the same kind.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def check_margin(m, name: str = "m") -> int:
    """Return m as an int, or raise ValueError if it is not an integer >= 1."""
    if isinstance(m, bool) or not isinstance(m, (numbers.Integral, numbers.Real)):
        raise ValueError(f"{name} must be an integer >= 1, got {m!r}")
    if isinstance(m, numbers.Integral) or math.isfinite(float(m)) and float(m).is_integer():
        value = int(m)
    else:
        raise ValueError(f"{name} must be an integer >= 1, got {m!r}")
    if value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {m!r}")
    return value


def _is_torch(value) -> bool:
    return type(value).__module__.startswith("torch")


def _as_array(value, name: str):
    """(array, kind) where kind says how to hand the result back."""
    if _is_torch(value):
        return value, "torch"
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if isinstance(value, numbers.Real):
        return np.float64(value), "float"
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number or an array of numbers, got {value!r}") from None
    return array, "numpy"


def _check_finite(array, kind: str, name: str) -> None:
    if kind == "torch":
        bad = not bool(array.isfinite().all()) if array.numel() else False
    else:
        bad = not np.all(np.isfinite(array))
    if bad:
        raise ValueError(f"{name} must be finite, got a value that is NaN or infinite: {array!r}")


def chebyshev(cos_theta, m: int):
    """T_m(cos_theta) by the three-term recurrence; works on numpy and torch alike."""
    previous, current = cos_theta * 0 + 1, cos_theta
    if m == 0:
        return previous
    for _ in range(m - 1):
        previous, current = current, 2 * cos_theta * current - previous
    return current


def cos_m_theta(cos_theta, m):
    """cos(m theta) from c = cos(theta), eq 7 (Chebyshev T_m); c in [-1, 1]."""
    m = check_margin(m)
    array, kind = _as_array(cos_theta, "cos_theta")
    _check_finite(array, kind, "cos_theta")
    too_big = (array.abs() > 1 + 1e-6).any() if kind == "torch" else np.any(np.abs(array) > 1 + 1e-6)
    if bool(too_big):
        raise ValueError(f"cos_theta must lie in [-1, 1], got {cos_theta!r}")
    result = chebyshev(array, m)
    return float(result) if kind == "float" else result


def margin_segment(theta, m: int):
    """k of eq 6: the integer with theta in [k pi/m, (k+1) pi/m], clipped to 0..m-1."""
    if _is_torch(theta):
        return (theta * (m / math.pi)).floor().clamp(0, m - 1)
    return np.clip(np.floor(theta * (m / np.pi)), 0, m - 1)


def psi_values(theta, m: int):
    """psi of eq 6 without input checks, for callers that guarantee a numpy array or
    torch tensor theta in [0, pi] and an int m >= 1 (the geometry's inner loops)."""
    k = margin_segment(theta, m)
    sign = 1 - 2 * (k % 2)
    cos_m = theta.mul(m).cos() if _is_torch(theta) else np.cos(m * theta)
    return sign * cos_m - 2 * k


def psi(theta, m):
    """psi(theta) = (-1)^k cos(m theta) - 2k for theta in [0, pi] radians (eq 6)."""
    m = check_margin(m)
    array, kind = _as_array(theta, "theta")
    _check_finite(array, kind, "theta")
    low = array.min() if kind != "float" else array
    high = array.max() if kind != "float" else array
    size = array.numel() if kind == "torch" else np.size(array)
    if size and (float(low) < -1e-9 or float(high) > math.pi + 1e-9):
        raise ValueError(f"theta must lie in [0, pi] radians, got values in [{float(low)}, {float(high)}]")
    result = psi_values(array, m)
    return float(result) if kind == "float" else result
