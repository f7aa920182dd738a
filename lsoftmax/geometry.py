"""The decision geometry of L-Softmax in the plane (reference section 3), numpy only.

Weights have no bias, so every decision rule depends on the direction phi of x alone:
boundaries are rays from the origin and regions are arcs of the circle of directions.
Angles are radians, measured counter-clockwise from the positive x axis unless a
docstring says otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lsoftmax.margin import check_margin, psi, psi_values

TWO_PI = 2.0 * math.pi
# Refinement of the sampling grid stops at this many points or this width: weights that
# (nearly) coincide leave a slack of about 0 over whole arcs, which no grid can settle.
MAX_GRID_POINTS = 1 << 16
MIN_SPLIT_WIDTH = 1e-10  # radians


# ---------------------------------------------------------------- input checks


def check_weights(weights, name: str = "weights") -> np.ndarray:
    """weights as a (K, 2) float64 array of finite, nonzero rows with K >= 2."""
    try:
        array = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a (K, 2) array of numbers, got {weights!r}") from None
    if array.ndim != 2 or array.shape[1] != 2 or array.shape[0] < 2:
        raise ValueError(f"{name} must have shape (K, 2) with K >= 2, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite, got {array.tolist()}")
    norms = np.hypot(array[:, 0], array[:, 1])
    if np.any(norms <= 0):
        raise ValueError(f"{name} rows must be nonzero, got zero rows at {np.flatnonzero(norms <= 0).tolist()}")
    return array


def _check_positive(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def _check_theta12(theta12) -> float:
    theta12 = _check_positive("theta12", theta12)
    if theta12 > math.pi + 1e-12:
        raise ValueError(f"theta12 must lie in (0, pi] radians, got {theta12!r}")
    return min(theta12, math.pi)


# ------------------------------------------------------- angles between vectors


def weights_from_polar(angles, norms) -> np.ndarray:
    """(K, 2) class vectors from their angles (radians) and norms."""
    angles = np.asarray(angles, dtype=np.float64)
    norms = np.asarray(norms, dtype=np.float64)
    return np.stack([norms * np.cos(angles), norms * np.sin(angles)], axis=-1)


def angle_between(phi, direction) -> np.ndarray:
    """theta in [0, pi]: the unsigned angle between directions phi and direction (radians)."""
    difference = np.mod(np.asarray(phi) - direction, TWO_PI)
    return np.minimum(difference, TWO_PI - difference)


def _class_scores(weights: np.ndarray, phi: np.ndarray, m: int):
    """(K, P) margin scores |W_j| psi(theta_j) and plain scores |W_j| cos(theta_j)."""
    norms = np.hypot(weights[:, 0], weights[:, 1])[:, None]  # (K, 1)
    directions = np.arctan2(weights[:, 1], weights[:, 0])[:, None]  # (K, 1)
    theta = angle_between(phi[None, :], directions)  # (K, P)
    return norms * psi_values(theta, m), norms * np.cos(theta)


def _best_rival(plain: np.ndarray) -> np.ndarray:
    """(K, P): for each class j, max over i != j of plain[i]."""
    columns = np.arange(plain.shape[1])
    top_index = np.argmax(plain, axis=0)  # (P,)
    top = plain[top_index, columns]
    others = plain.copy()
    others[top_index, columns] = -np.inf
    second = others.max(axis=0)
    return np.where(np.arange(plain.shape[0])[:, None] == top_index, second, top)


def _slack(weights: np.ndarray, m: int, phi: np.ndarray) -> np.ndarray:
    """criterion_slack without input checks."""
    margin_scores, plain = _class_scores(weights, phi, m)
    return margin_scores - _best_rival(plain)


def criterion_slack(weights, m, phi) -> np.ndarray:
    """(K, P) |W_j| psi(theta_j) - max_{i != j} |W_i| cos(theta_i) at directions phi.

    Positive exactly where class j's L-Softmax criterion holds.
    """
    weights = check_weights(weights)
    m = check_margin(m)
    phi = np.atleast_1d(np.asarray(phi, dtype=np.float64))
    return _slack(weights, m, phi)


# ------------------------------------------------------------- feasible arcs


def _lipschitz(weights: np.ndarray, m: int) -> np.ndarray:
    """(K,) a bound on |d slack_j / d phi|: |psi'| <= m and |cos'| <= 1."""
    norms = np.hypot(weights[:, 0], weights[:, 1])
    rival = np.array([np.max(np.delete(norms, j)) for j in range(len(norms))])
    return norms * m + rival


def _isolate_sign_changes(slack, lipschitz, grid, max_rounds=40):
    """Refine a grid until every interval either changes sign or provably has no root.

    An interval [a, b] with |g(a)| + |g(b)| > L (b - a) cannot contain a root of an
    L-Lipschitz g; the others are split in two, a few rounds at most (and never below
    MIN_SPLIT_WIDTH or beyond MAX_GRID_POINTS: arcs finer than that are not resolved).
    """
    values = slack(grid)  # (K, P)
    for _ in range(max_rounds):
        same_sign = (values[:, :-1] > 0) == (values[:, 1:] > 0)
        width = np.diff(grid)
        unsure = same_sign & (np.abs(values[:, :-1]) + np.abs(values[:, 1:]) <= lipschitz[:, None] * width)
        split = np.any(unsure, axis=0) & (width > MIN_SPLIT_WIDTH)
        if not split.any() or grid.size + split.sum() > MAX_GRID_POINTS:
            break
        middles = 0.5 * (grid[:-1][split] + grid[1:][split])
        order = np.argsort(np.concatenate([grid, middles]), kind="stable")
        grid = np.concatenate([grid, middles])[order]
        values = np.concatenate([values, slack(middles)], axis=1)[:, order]
    return grid, values


def _bisect_roots(function, low, high, iterations=60):
    """Vectorised bisection: function(points) -> values, low/high bracket sign changes."""
    f_low = function(low)
    for _ in range(iterations):
        middle = 0.5 * (low + high)
        f_middle = function(middle)
        move_low = (f_middle > 0) == (f_low > 0)
        low = np.where(move_low, middle, low)
        f_low = np.where(move_low, f_middle, f_low)
        high = np.where(move_low, high, middle)
    return 0.5 * (low + high)


def _arcs_from_edges(positive, edges, rising):
    """Arcs (start, end) of one class from its sign on a grid over [0, 2 pi] and its
    sign changes (edges, in order, rising where the criterion starts to hold)."""
    if positive.all():
        return [(0.0, TWO_PI)]
    if not positive.any():
        return []
    starts, ends = edges[rising], edges[~rising]
    if positive[0]:  # an arc wraps through phi = 0: join its two halves
        ends = np.roll(ends, -1)
        ends[-1] += TWO_PI
    return [
        (float(start % TWO_PI), float(start % TWO_PI + (end - start))) for start, end in zip(starts, ends, strict=True)
    ]


def feasible_arcs(weights, m):
    """For each class, the arcs of directions where its L-Softmax criterion holds.

    weights (K, 2), rows the class vectors; returns K lists of (start, end) radian pairs,
    counter-clockwise from start to end, 0 <= start < 2 pi, start < end <= start + 2 pi.
    """
    weights = check_weights(weights)
    m = check_margin(m)
    directions = np.mod(np.arctan2(weights[:, 1], weights[:, 0]), TWO_PI)
    # Breakpoints where psi changes segment or theta turns round, plus a fine grid.
    offsets = np.concatenate([np.arange(m + 1) * math.pi / m, -np.arange(1, m) * math.pi / m])
    special = np.mod(directions[:, None] + offsets[None, :], TWO_PI).ravel()
    grid = np.unique(np.concatenate([np.linspace(0.0, TWO_PI, 1025), special, [TWO_PI]]))

    def slack(phi):
        return _slack(weights, m, phi)

    grid, values = _isolate_sign_changes(slack, _lipschitz(weights, m), grid)
    positive = values > 0  # (K, P)
    positive[:, -1] = positive[:, 0]  # phi = 2 pi is phi = 0
    rows, changes = np.nonzero(positive[:, :-1] != positive[:, 1:])  # every class's sign changes, at once
    picked = np.arange(rows.size)
    edges = _bisect_roots(lambda phi: slack(phi)[rows, picked], grid[changes], grid[changes + 1])
    rising = ~positive[rows, changes]
    return [_arcs_from_edges(positive[j], edges[rows == j], rising[rows == j]) for j in range(weights.shape[0])]


def arc_contains(arcs, phi) -> np.ndarray:
    """Boolean mask: which directions phi lie strictly inside one of these arcs."""
    phi = np.mod(np.asarray(phi, dtype=np.float64), TWO_PI)
    inside = np.zeros(phi.shape, dtype=bool)
    for start, end in arcs:
        offset = np.mod(phi - start, TWO_PI)
        inside |= (offset > 0) & (offset < end - start)
        if end - start >= TWO_PI:
            inside |= True
    return inside


@dataclass(frozen=True)
class Gap:
    """A stretch of directions that no class claims, between two neighbouring arcs."""

    before: int  # class whose arc ends where the gap starts
    after: int  # class whose arc starts where the gap ends
    start: float  # radians, in [0, 2 pi)
    end: float  # radians, start <= end <= start + 2 pi

    @property
    def width(self) -> float:
        return self.end - self.start


def margin_gaps(arcs) -> list[Gap]:
    """The gaps between consecutive feasible arcs around the circle (the margins).

    Arcs are those of feasible_arcs; a gap narrower than 1e-9 rad (m = 1) counts as 0
    and is still listed, so every pair of neighbouring arcs appears once.
    """
    owned = sorted((start, end, j) for j, class_arcs in enumerate(arcs) for start, end in class_arcs)
    if not owned:
        return []
    gaps = []
    for index, (_start, end, owner) in enumerate(owned):
        next_start, _, next_owner = owned[(index + 1) % len(owned)]
        if index + 1 == len(owned):
            next_start += TWO_PI
        width = max(0.0, next_start - end)
        gap_start = end % TWO_PI
        gaps.append(Gap(owner, next_owner, gap_start, gap_start + (width if width > 1e-9 else 0.0)))
    return gaps


# -------------------------------------------------------------- two classes


@dataclass(frozen=True)
class BinaryBoundaries:
    """Boundary angles in [0, theta12], measured from W1 towards W2; None outside the wedge."""

    class1: float | None  # where |W1| psi(theta1) = |W2| cos(theta2)
    class2: float | None  # where |W2| psi(theta2) = |W1| cos(theta1)
    softmax: float | None  # where |W1| cos(theta1) = |W2| cos(theta2)

    @property
    def margin(self) -> float | None:
        """Angular width of the wedge that neither class's criterion claims."""
        if self.class1 is None and self.class2 is None:
            return None
        low = 0.0 if self.class1 is None else self.class1
        return None if self.class2 is None else max(0.0, self.class2 - low)


def _wedge_root(function, theta12: float) -> float | None:
    """Root of a function that is strictly decreasing on [0, theta12], or None."""
    low, high = np.array([0.0]), np.array([theta12])
    f_low, f_high = function(low)[0], function(high)[0]
    if f_low < 0 or f_high > 0:
        return None
    if f_low == 0:
        return 0.0
    if f_high == 0:
        return theta12
    return float(_bisect_roots(function, low, high, iterations=80)[0])


def binary_boundaries(norm1, norm2, theta12, m) -> BinaryBoundaries:
    """Softmax and L-Softmax boundaries for two classes at angle theta12 (radians).

    Inside the wedge each criterion is monotone (psi falls while the rival's cosine
    rises), so each has at most one root; it is found by bisection to ~1e-15 rad.
    """
    norm1 = _check_positive("norm1", norm1)
    norm2 = _check_positive("norm2", norm2)
    theta12 = _check_theta12(theta12)
    m = check_margin(m)

    def class1(phi):
        return norm1 * psi(phi, m) - norm2 * np.cos(theta12 - phi)

    def class2(phi):  # decreasing in phi measured from W1 would need a flip: use -phi side
        return norm1 * np.cos(phi) - norm2 * psi(theta12 - phi, m)

    root1 = _wedge_root(class1, theta12)
    flipped = _wedge_root(lambda phi: -class2(theta12 - phi), theta12)
    root2 = None if flipped is None else theta12 - flipped
    softmax = math.atan2(norm1 - norm2 * math.cos(theta12), norm2 * math.sin(theta12))
    softmax = softmax if 0.0 <= softmax <= theta12 else None
    return BinaryBoundaries(class1=root1, class2=root2, softmax=softmax)


def equal_norm_margin(theta12, m) -> float:
    """(m - 1) / (m + 1) * theta12: the angular margin when |W1| = |W2| (radians)."""
    theta12 = _check_theta12(theta12)
    m = check_margin(m)
    return (m - 1) / (m + 1) * theta12


# ------------------------------------------------------ probability fields


def grid_points(extent: float, resolution: int):
    """(xs, ys, points): a square grid over [-extent, extent]^2; points is (R*R, 2)."""
    extent = _check_positive("extent", extent)
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) or resolution < 2:
        raise ValueError(f"resolution must be an integer >= 2, got {resolution!r}")
    axis = np.linspace(-extent, extent, int(resolution))
    grid_x, grid_y = np.meshgrid(axis, axis)
    return axis, axis, np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)


def _softmax(logits: np.ndarray, axis: int) -> np.ndarray:
    shifted = logits - logits.max(axis=axis, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=axis, keepdims=True)


def probability_field(weights, points, m=1, lam=0.0) -> np.ndarray:
    """(K, P) probability of each class at each point x (|x| as it is there).

    m = 1: the softmax probability. m > 1: for each class j, the probability the
    L-Softmax loss gives j when j is the label, i.e. class j's logit replaced by
    (lam |W||x| cos + |W||x| psi) / (1 + lam) and the others left plain.
    """
    weights = check_weights(weights)
    m = check_margin(m)
    if isinstance(lam, bool) or not isinstance(lam, (int, float)) or not math.isfinite(lam) or lam < 0:
        raise ValueError(f"lam must be a finite number >= 0, got {lam!r}")
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != 2 or not np.all(np.isfinite(points)):
        raise ValueError(f"points must be a finite (P, 2) array, got shape {points.shape}")
    plain = weights @ points.T  # (K, P)
    if m == 1:
        return _softmax(plain, axis=0)
    point_norms = np.hypot(points[:, 0], points[:, 1])  # (P,)
    weight_norms = np.hypot(weights[:, 0], weights[:, 1])[:, None]  # (K, 1)
    scale = weight_norms * point_norms  # (K, P)
    cos_theta = np.divide(plain, scale, out=np.zeros_like(plain), where=scale > 0)
    margin = scale * psi(np.arccos(np.clip(cos_theta, -1.0, 1.0)), m)
    target = (lam * plain + margin) / (1.0 + lam)  # (K, P)
    # p_j = e^{t_j} / (e^{t_j} + sum_{i != j} e^{f_i}) = sigmoid(t_j - log sum_{i != j} e^{f_i}).
    return np.exp(-np.logaddexp(0.0, _log_sum_exp_of_others(plain) - target))


def _log_sum_exp_of_others(logits: np.ndarray) -> np.ndarray:
    """(K, P): log sum_{i != j} exp(logits[i]) for each j, stable for any spread of logits.

    Shifted by the top logit, the sum over all minus row j keeps the top term e^0 = 1 for
    every j but the top one, so the subtraction is safe; the top row uses the second best.
    """
    columns = np.arange(logits.shape[1])
    top_index = np.argmax(logits, axis=0)  # (P,)
    top = logits[top_index, columns]  # (P,)
    scaled = np.exp(logits - top)  # (K, P), each <= 1, the top one exactly 1
    with np.errstate(divide="ignore"):  # the top row's log(0) is replaced below
        result = np.log(scaled.sum(axis=0) - scaled) + top
    others = logits.copy()
    others[top_index, columns] = -np.inf
    second = others.max(axis=0)  # (P,)
    result[top_index, columns] = np.log(np.exp(others - second).sum(axis=0)) + second
    return result
