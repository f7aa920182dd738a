"""psi (eq 6) and cos(m theta) as a polynomial of cos(theta) (eq 7).

numpy only: torch tensors are handled by duck typing, so this module (and the
geometry built on it) never imports torch. Inputs may be a Python float, a numpy
array or a torch tensor; the result has the same kind.
"""

from __future__ import annotations

import math
import numbers
import operator
import sys

import numpy as np


def as_integer(value, name: str, minimum: int | None, allow_float: bool = False) -> int:
    """value as a Python int (>= minimum unless that is None): ints and numpy and torch integer
    scalars (and, with allow_float, integer-valued floats) are accepted; anything else raises
    ValueError naming the argument."""
    wanted = f"{name} must be an integer" + ("" if minimum is None else f" >= {minimum}")
    if isinstance(value, (bool, np.bool_, str, bytes)):
        raise ValueError(f"{wanted}, got {value!r}")
    try:
        number = operator.index(value)  # int, numpy integers, one-element integer tensors
    except TypeError:
        if not allow_float:
            raise ValueError(f"{wanted}, got {value!r}") from None
        try:
            real = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{wanted}, got {value!r}") from None
        if not (math.isfinite(real) and real.is_integer()):
            raise ValueError(f"{wanted}, got {value!r}") from None
        number = int(real)
    if minimum is not None and number < minimum:
        raise ValueError(f"{wanted}, got {value!r}")
    return number


def check_margin(m, name: str = "m") -> int:
    """Return m as an int, or raise ValueError if it is not an integer >= 1."""
    return as_integer(m, name, 1, allow_float=True)


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


def _namespace(value):
    """torch for a tensor, numpy otherwise: the few functions that operators do not cover."""
    return sys.modules["torch"] if _is_torch(value) else np


def clamp(values, low=None, high=None):
    """values limited to [low, high] (either may be None): torch.clamp for a tensor, numpy's
    maximum and minimum otherwise (np.clip's Python wrapper costs several times the two
    ufuncs on a column of a few hundred numbers, where the loss spends its time)."""
    if _is_torch(values):
        return values.clamp(low, high)
    if low is not None:
        values = np.maximum(values, low)
    return values if high is None else np.minimum(values, high)


def _detached(value):
    return value.detach() if _is_torch(value) else value


def chebyshev_pair(cos_theta, m: int):
    """(T_m(c), U_{m-1}(c)) by the three-term recurrence U_{n+1} = 2c U_n - U_{n-1} (eq 7):
    T_m = U_m - c U_{m-1} is cos(m theta) and m U_{m-1} its derivative in c.

    Only operators are used, so c may be a float, a numpy array, a torch tensor or a
    numpy Polynomial (explain.chebyshev_coefficients reads the exact coefficients off it).
    The one place the recurrence is written.
    """
    if m == 0:
        return cos_theta * 0 + 1, cos_theta * 0
    two_c = cos_theta + cos_theta
    previous, current = 1, two_c  # U_0, U_1 (an int keeps exact coefficients exact)
    for _ in range(m - 1):
        previous, current = current, two_c * current - previous
    return current - cos_theta * previous, previous


def chebyshev(cos_theta, m: int):
    """T_m(cos_theta): cos(m theta) as a polynomial of cos(theta) (eq 7)."""
    return chebyshev_pair(cos_theta, m)[0]


def psi_and_slope(cos_theta, m: int):
    """psi (eq 6) as a function of c = cos(theta) in [-1, 1], and d psi / d c.

    psi = (-1)^k T_m(c) - 2k and d psi / dc = (-1)^k m U_{m-1}(c); the segment k comes from
    acos of c without gradient (psi is continuous across segments, so rounding there is
    harmless; the acos is never differentiated). numpy arrays or torch tensors.
    """
    xp = _namespace(cos_theta)
    theta = xp.arccos(_detached(cos_theta))
    k = xp.floor(theta * (m / math.pi))  # >= 0, as acos is
    k = clamp(k, None, m - 1)  # theta = pi falls in segment m - 1
    sign = xp.cos(k * math.pi)  # (-1)^k, exactly: cos is flat at multiples of pi (one op; % is slow in torch)
    cos_m, u_below = chebyshev_pair(cos_theta, m)
    return sign * cos_m - 2.0 * k, sign * (m * u_below)


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


def psi_values(theta, m: int):
    """psi of eq 6 without input checks, for callers that guarantee a numpy array or
    torch tensor theta in [0, pi] and an int m >= 1 (the geometry's inner loops)."""
    xp = _namespace(theta)
    return psi_and_slope(xp.cos(theta), m)[0]


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
