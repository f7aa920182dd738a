"""The decision geometry of L-Softmax and its margin family (reference section 3,
margin-family.md section 2), numpy only.

Weights have no bias, so every decision rule depends on the direction phi of x alone:
boundaries are rays from the origin and regions are arcs of the circle of directions.
Class j's criterion holds at a direction when scale_j t(theta_j) > max_{i != j} scale_i
cos(theta_i), with t and scale_j from the member (lsoftmax.margins; an integer m means
LSoftmax(m)). Angles are radians, measured counter-clockwise from the positive x axis unless
a docstring says otherwise. In 3-D (sphere_regions) the regions are parts of the sphere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lsoftmax.margin import check_margin, psi
from lsoftmax.margins import Margin, as_margin

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


def _class_scores(weights: np.ndarray, phi: np.ndarray, margin: Margin):
    """(K, P) margin scores scale_j t(theta_j) and plain scores scale_j cos(theta_j)."""
    scales = margin.class_scales(np.hypot(weights[:, 0], weights[:, 1]))[:, None]  # (K, 1)
    directions = np.arctan2(weights[:, 1], weights[:, 0])[:, None]  # (K, 1)
    theta = angle_between(phi[None, :], directions)  # (K, P)
    return scales * margin.target(theta), scales * np.cos(theta)


def _best_rival(plain: np.ndarray) -> np.ndarray:
    """(K, P): for each class j, max over i != j of plain[i]."""
    columns = np.arange(plain.shape[1])
    top_index = np.argmax(plain, axis=0)  # (P,)
    top = plain[top_index, columns]
    others = plain.copy()
    others[top_index, columns] = -np.inf
    second = others.max(axis=0)
    return np.where(np.arange(plain.shape[0])[:, None] == top_index, second, top)


def _slack(weights: np.ndarray, margin: Margin, phi: np.ndarray) -> np.ndarray:
    """criterion_slack without input checks."""
    margin_scores, plain = _class_scores(weights, phi, margin)
    return margin_scores - _best_rival(plain)


def criterion_slack(weights, margin, phi) -> np.ndarray:
    """(K, P) scale_j t(theta_j) - max_{i != j} scale_i cos(theta_i) at directions phi.

    Positive exactly where class j's criterion holds (for L-Softmax, |W_j| psi(theta_j) against
    |W_i| cos(theta_i)). margin: a member or an integer m.
    """
    weights = check_weights(weights)
    margin = as_margin(margin, "m")
    phi = np.atleast_1d(np.asarray(phi, dtype=np.float64))
    return _slack(weights, margin, phi)


# ------------------------------------------------------------- feasible arcs


def _lipschitz(weights: np.ndarray, margin: Margin) -> np.ndarray:
    """(K,) a bound on |d slack_j / d phi| away from the member's breakpoints:
    |dt/dtheta| <= margin.lipschitz() (m for psi) and |cos'| <= 1."""
    scales = margin.class_scales(np.hypot(weights[:, 0], weights[:, 1]))
    rival = np.array([np.max(np.delete(scales, j)) for j in range(len(scales))])
    return scales * margin.lipschitz() + rival


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


def _pick(margin, m):
    """The member from either keyword (margin, or m as the L-Softmax contract names it)."""
    if margin is not None and m is not None:
        raise ValueError(f"m must be given once, as margin or as m, got margin={margin!r} and m={m!r}")
    return as_margin(m if margin is None else margin, "m")


def feasible_arcs(weights, margin=None, m=None):
    """For each class, the arcs of directions where its criterion holds.

    weights (K, 2), rows the class vectors; m a member of lsoftmax.margins or an integer m
    (L-Softmax). Returns K lists of (start, end) radian pairs, counter-clockwise from start
    to end, 0 <= start < 2 pi, start < end <= start + 2 pi.
    """
    weights = check_weights(weights)
    margin = _pick(margin, m)
    directions = np.mod(np.arctan2(weights[:, 1], weights[:, 0]), TWO_PI)
    # The member's breakpoints (psi's junctions, ArcFace's branch) on both sides of each W_j,
    # where theta turns round (0 and pi), plus a fine grid.
    breaks = np.array(margin.breakpoints())
    offsets = np.concatenate([[0.0, math.pi], breaks, -breaks])
    special = np.mod(directions[:, None] + offsets[None, :], TWO_PI).ravel()
    grid = np.unique(np.concatenate([np.linspace(0.0, TWO_PI, 1025), special, [TWO_PI]]))

    def slack(phi):
        return _slack(weights, margin, phi)

    grid, values = _isolate_sign_changes(slack, _lipschitz(weights, margin), grid)
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
    """Boundary angles in [0, theta12], measured from W1 towards W2; None outside the wedge.
    (For a member other than L-Softmax read scale_j t for |W_j| psi, scale_j cos for |W_j| cos.)"""

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


def _two_class_criteria(norm1, norm2, theta12, margin):
    """Checked (scale1, scale2, theta12, member) and the two criteria as functions of phi,
    the angle from W1 towards W2: each is > 0 where its class's criterion holds."""
    norm1 = _check_positive("norm1", norm1)
    norm2 = _check_positive("norm2", norm2)
    theta12 = _check_theta12(theta12)
    margin = as_margin(margin, "m")
    scale1, scale2 = margin.class_scales(np.array([norm1, norm2]))
    class1, class2 = _criteria(scale1, scale2, theta12, margin)
    return float(scale1), float(scale2), theta12, class1, class2


def _criteria(scale1, scale2, theta12, margin):
    """Both classes' criteria as functions of phi (> 0 where the class's criterion holds);
    theta12 a number, or an array of the shape phi will have (one wedge per element)."""

    def class1(phi):
        return scale1 * margin.target(np.clip(phi, 0.0, math.pi)) - scale2 * np.cos(theta12 - phi)

    def class2(phi):
        return scale2 * margin.target(np.clip(theta12 - phi, 0.0, math.pi)) - scale1 * np.cos(phi)

    return class1, class2


def binary_boundaries(norm1, norm2, theta12, margin=None, m=None) -> BinaryBoundaries:
    """Plain and margin boundaries for two classes at angle theta12 (radians).

    m: a member of lsoftmax.margins or an integer m (L-Softmax). Inside the wedge each
    criterion is monotone (t falls while the rival's cosine rises), so each has at most one
    root; it is found by bisection to ~1e-15 rad. `softmax` is the member's plain rule
    scale_1 cos(theta1) = scale_2 cos(theta2) (the norms count for L-Softmax only).
    """
    scale1, scale2, theta12, class1, class2 = _two_class_criteria(norm1, norm2, theta12, _pick(margin, m))
    root1 = _wedge_root(class1, theta12)
    flipped = _wedge_root(lambda phi: class2(theta12 - phi), theta12)  # class 2's criterion, decreasing from W2
    root2 = None if flipped is None else theta12 - flipped
    softmax = math.atan2(scale1 - scale2 * math.cos(theta12), scale2 * math.sin(theta12))
    softmax = softmax if 0.0 <= softmax <= theta12 else None
    return BinaryBoundaries(class1=root1, class2=root2, softmax=softmax)


def wedge_margin(norm1, norm2, theta12, margin) -> float:
    """The angle (radians) of directions inside the wedge between W1 and W2 where neither
    class's criterion holds: margin-family.md's 'margin inside the wedge'. Unlike
    BinaryBoundaries.margin it is also right when a criterion holds nowhere (the whole wedge
    is margin) or everywhere in the wedge."""
    _, _, theta12, class1, class2 = _two_class_criteria(norm1, norm2, theta12, margin)
    claimed = 0.0
    for criterion in (class1, lambda phi: class2(theta12 - phi)):  # each decreasing from its own W
        root = _wedge_root(criterion, theta12)
        if root is not None:
            claimed += root
        elif criterion(np.array([theta12]))[0] > 0:
            claimed += theta12  # holds across the whole wedge
    return max(0.0, theta12 - claimed)


def wedge_margins(norm1, norm2, theta12, margin) -> np.ndarray:
    """wedge_margin at every angle of the array theta12 (radians, each in (0, pi]) at once: the
    same criteria, one vectorised bisection per class instead of two per angle. Returns radians,
    theta12's shape."""
    norm1 = _check_positive("norm1", norm1)
    norm2 = _check_positive("norm2", norm2)
    theta12 = np.asarray(theta12, dtype=np.float64)
    if not np.all(np.isfinite(theta12)) or np.any(theta12 <= 0) or np.any(theta12 > math.pi + 1e-12):
        raise ValueError(f"theta12 must lie in (0, pi] radians, got {theta12!r}")
    theta12 = np.minimum(theta12, math.pi)
    margin = as_margin(margin, "m")
    scale1, scale2 = margin.class_scales(np.array([norm1, norm2]))
    class1, class2 = _criteria(scale1, scale2, theta12, margin)
    start = np.zeros_like(theta12)
    claimed = np.zeros_like(theta12)
    for criterion in (class1, lambda phi: class2(theta12 - phi)):  # each decreasing from its own W
        f_start, f_end = criterion(start), criterion(theta12)
        root = _bisect_roots(criterion, start, theta12, iterations=80)  # meaningful where the sign changes
        root = np.where(f_start == 0, 0.0, np.where(f_end == 0, theta12, root))
        claimed += np.where(f_end > 0, theta12, np.where(f_start < 0, 0.0, root))  # everywhere / nowhere / up to root
    return np.maximum(0.0, theta12 - claimed)


def angle_plane_boundary(theta1, margin, norm_ratio: float = 1.0) -> np.ndarray:
    """The member's class-1 decision boundary in the (theta1, theta2) plane, the ArcFace
    paper's comparison: theta2 with ratio t(theta1) = cos(theta2), ratio = scale1 / scale2
    (|W1| / |W2| for L-Softmax, 1 for the members that normalise W). Softmax theta2 = theta1,
    SphereFace m theta1, CosFace acos(cos(theta1) - m), ArcFace theta1 + m.

    theta1 in [0, pi] radians (array); NaN where no theta2 in [0, pi] solves it (class 1's
    criterion then holds for no theta2, or for every theta2)."""
    margin = as_margin(margin, "m")
    ratio = _check_positive("norm_ratio", norm_ratio) if not margin.normalises_weight else 1.0
    theta1 = np.asarray(theta1, dtype=np.float64)
    if not np.all(np.isfinite(theta1)) or np.any(theta1 < 0) or np.any(theta1 > math.pi):
        raise ValueError(f"theta1 must lie in [0, pi] radians, got {theta1!r}")
    cosine = ratio * margin.target(theta1)
    with np.errstate(invalid="ignore"):
        return np.where(np.abs(cosine) <= 1.0, np.arccos(np.clip(cosine, -1.0, 1.0)), np.nan)


def equal_norm_margin(theta12, m) -> float:
    """(m - 1) / (m + 1) * theta12: the L-Softmax angular margin when |W1| = |W2| (radians)."""
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


# ------------------------------------------------------------ any dimension, the sphere


def check_vectors(vectors, name: str, dim: int | None = None, min_rows: int = 1) -> np.ndarray:
    """vectors as a (K, D) float64 array of finite, nonzero rows (D = dim when given)."""
    try:
        array = np.asarray(vectors, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a (K, D) array of numbers, got {vectors!r}") from None
    if array.ndim != 2 or array.shape[0] < min_rows or (dim is not None and array.shape[1] != dim):
        wanted = f"(K, {dim})" if dim is not None else "(K, D)"
        raise ValueError(f"{name} must have shape {wanted} with K >= {min_rows}, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite, got NaN or infinite entries")
    norms = np.linalg.norm(array, axis=1)
    if np.any(norms <= 0):
        raise ValueError(f"{name} rows must be nonzero, got zero rows at {np.flatnonzero(norms <= 0).tolist()}")
    return array


def _slack_at(weights: np.ndarray, margin: Margin, units: np.ndarray) -> np.ndarray:
    """(K, P) criterion slack of each class at unit directions units (P, D)."""
    norms = np.linalg.norm(weights, axis=1)
    cosines = np.clip((weights / norms[:, None]) @ units.T, -1.0, 1.0)  # (K, P)
    scales = margin.class_scales(norms)[:, None]
    return scales * margin.target(np.arccos(cosines)) - _best_rival(scales * cosines)


def criterion_class(weights, margin, directions) -> np.ndarray:
    """(P,) the class whose criterion holds at each direction, -1 where none does (the margin).

    weights (K, D), directions (P, D), any D >= 2, nonzero rows (only their direction counts);
    m a member or an integer m. At most one class's criterion holds anywhere, since t <= cos.
    """
    weights = check_vectors(weights, "weights", min_rows=2)
    directions = check_vectors(directions, "directions", dim=weights.shape[1])
    margin = as_margin(margin, "m")
    units = directions / np.linalg.norm(directions, axis=1, keepdims=True)
    holds = _slack_at(weights, margin, units) > 0  # (K, P)
    return np.where(holds.any(axis=0), np.argmax(holds, axis=0), -1)


@dataclass(frozen=True)
class SphereRegions:
    """Where each class's criterion holds on the sphere of 3-D directions."""

    polar: np.ndarray  # (R,) angle from +z, radians, 0..pi
    azimuth: np.ndarray  # (C,) angle in the x-y plane from +x, radians, [0, 2 pi)
    labels: np.ndarray  # (R, C) int, criterion_class at each grid direction, -1 in the margin
    boundaries: list  # K lists of (L, 3) polylines on the unit sphere; closed ones repeat their first point


def sphere_direction(polar, azimuth) -> np.ndarray:
    """(..., 3) unit vectors from polar angle (from +z) and azimuth (radians)."""
    polar, azimuth = np.broadcast_arrays(np.asarray(polar, dtype=np.float64), np.asarray(azimuth, dtype=np.float64))
    return np.stack([np.sin(polar) * np.cos(azimuth), np.sin(polar) * np.sin(azimuth), np.cos(polar)], axis=-1)


# Marching squares: corners a (i, j) = 1, b (i, j+1) = 2, c (i+1, j+1) = 4, d (i+1, j) = 8; edges
# top a-b = 0, right b-c = 1, bottom d-c = 2, left a-d = 3. The two saddles (5, 10) are settled
# by the cell centre's sign, below.
_CASES = {1: [(3, 0)], 2: [(0, 1)], 3: [(3, 1)], 4: [(1, 2)], 6: [(0, 2)], 7: [(3, 2)], 8: [(2, 3)]}
_CASES.update({9: [(0, 2)], 11: [(1, 2)], 12: [(1, 3)], 13: [(0, 1)], 14: [(3, 0)]})
_AROUND_B_AND_D, _AROUND_A_AND_C = [(0, 1), (2, 3)], [(3, 0), (1, 2)]


def _edge_key(i: int, j: int, edge: int, columns: int) -> tuple[str, int, int]:
    """A grid edge, the same key from both cells that share it."""
    return {0: ("h", i, j), 1: ("v", i, (j + 1) % columns), 2: ("h", i + 1, j), 3: ("v", i, j)}[edge]


def _cell_segments(values: np.ndarray, centre: np.ndarray) -> list[tuple]:
    """Marching-squares segments (pairs of edge keys) of the zero level of values (R, C),
    the azimuth wrapping round; centre (R-1, C) is the value at each cell's middle."""
    rows, columns = values.shape
    positive = values > 0
    right = np.roll(positive, -1, axis=1)
    case = positive[:-1] * 1 + right[:-1] * 2 + right[1:] * 4 + positive[1:] * 8  # (R-1, C)
    segments = []
    for i, j in zip(*np.nonzero((case > 0) & (case < 15)), strict=True):
        code = int(case[i, j])
        if code in (5, 10):
            joined = centre[i, j] > 0
            pairs = (
                (_AROUND_B_AND_D if joined else _AROUND_A_AND_C)
                if code == 5
                else (_AROUND_A_AND_C if joined else _AROUND_B_AND_D)
            )
        else:
            pairs = _CASES[code]
        segments += [(_edge_key(i, j, e1, columns), _edge_key(i, j, e2, columns)) for e1, e2 in pairs]
    return segments


def _chain(segments: list[tuple]) -> list[list]:
    """Join segments (pairs of keys) into polylines of keys; a closed one ends on its first key."""
    touching: dict = {}
    for index, (first, second) in enumerate(segments):
        touching.setdefault(first, []).append(index)
        touching.setdefault(second, []).append(index)
    used = np.zeros(len(segments), dtype=bool)
    starts = [key for key, found in touching.items() if len(found) == 1] + list(touching)
    lines = []
    for start in starts:
        free = [index for index in touching[start] if not used[index]]
        if not free:
            continue
        line, key = [start], start
        while free:
            index = free[0]
            used[index] = True
            first, second = segments[index]
            key = second if first == key else first
            line.append(key)
            free = [other for other in touching[key] if not used[other]]
        lines.append(line)
    return lines


def sphere_regions(weights, margin, resolution: int = 90) -> SphereRegions:
    """For 3-D class vectors: the class whose criterion holds on a (resolution, 2 resolution)
    grid of directions, and each class region's boundary as polylines on the unit sphere
    (marching squares on the grid, every vertex then bisected onto the exact boundary).

    weights (K, 3), nonzero rows; m a member of lsoftmax.margins or an integer m.
    """
    weights = check_vectors(weights, "weights", dim=3, min_rows=2)
    margin = as_margin(margin, "m")
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) or not 4 <= resolution <= 1000:
        raise ValueError(f"resolution must be an integer in [4, 1000], got {resolution!r}")
    polar = np.linspace(0.0, math.pi, int(resolution))
    azimuth = np.linspace(0.0, TWO_PI, 2 * int(resolution), endpoint=False)
    grid = sphere_direction(polar[:, None], azimuth[None, :])  # (R, C, 3)
    slack = _slack_at(weights, margin, grid.reshape(-1, 3)).reshape(len(weights), *grid.shape[:2])  # (K, R, C)
    holds = slack > 0
    labels = np.where(holds.any(axis=0), np.argmax(holds, axis=0), -1)
    half_polar, half_azimuth = 0.5 * (polar[:-1] + polar[1:]), azimuth + 0.5 * (azimuth[1] - azimuth[0])
    middles = sphere_direction(half_polar[:, None], half_azimuth[None, :]).reshape(-1, 3)
    centre = _slack_at(weights, margin, middles).reshape(len(weights), len(half_polar), len(azimuth))
    boundaries = [_boundary_lines(weights, margin, j, slack[j], centre[j], polar, azimuth) for j in range(len(weights))]
    return SphereRegions(polar=polar, azimuth=azimuth, labels=labels, boundaries=boundaries)


def _boundary_lines(weights, margin, j, values, centre, polar, azimuth) -> list[np.ndarray]:
    """Class j's boundary polylines, each vertex bisected along its grid edge onto slack_j = 0."""
    lines = _chain(_cell_segments(values, centre))
    keys = sorted({key for line in lines for key in line})
    if not keys:
        return []
    step = azimuth[1] - azimuth[0]
    low = np.array([[polar[i], azimuth[k]] for _, i, k in keys])  # (E, 2) one end of each edge
    high = np.array([[polar[i + (kind == "v")], azimuth[k] + step * (kind == "h")] for kind, i, k in keys])

    def slack(points):  # (E, 2) (polar, azimuth) -> (E,) slack_j
        return _slack_at(weights, margin, sphere_direction(points[:, 0], points[:, 1]))[j]

    sign = slack(low) > 0
    for _ in range(50):
        middle = 0.5 * (low + high)
        same = (slack(middle) > 0) == sign
        low, high = np.where(same[:, None], middle, low), np.where(same[:, None], high, middle)
    points = sphere_direction(*(0.5 * (low + high)).T)  # (E, 3)
    position = {key: index for index, key in enumerate(keys)}
    return [points[[position[key] for key in line]] for line in lines]
