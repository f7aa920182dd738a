"""Angle statistics of 2-D or 3-D features against their class vectors, numpy only.

What the angle dashboard of the training lab shows (degrees throughout): how tightly each
class's features hug their own W_y, how far apart the class vectors are, and the norms
|x| and |W_j| that L-Softmax (and its divergence) depend on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class AngleStats:
    """Per-class angles between features and their own class vector, and the norms."""

    class_mean_deg: np.ndarray  # (K,) mean angle between x and W_y over class y's points; NaN if none
    class_std_deg: np.ndarray  # (K,) its standard deviation; NaN if the class has no points
    min_weight_angle_deg: float  # smallest angle between two class vectors W_i, W_j
    mean_feature_norm: float  # mean |x| over all points
    weight_norms: np.ndarray  # (K,) |W_j|


def unsigned_angles(vectors: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """(N,) angle in radians, in [0, pi], between each row of vectors and the same row of directions (D = 2 or 3)."""
    dot = np.sum(vectors * directions, axis=-1)
    if vectors.shape[-1] == 2:
        cross = vectors[..., 0] * directions[..., 1] - vectors[..., 1] * directions[..., 0]
    else:
        cross = np.linalg.norm(np.cross(vectors, directions), axis=-1)  # |a x b| = |a||b| sin
    return np.abs(np.arctan2(cross, dot))  # atan2 stays exact where acos of a rounded cosine would not


def _min_pair_angle(weights: np.ndarray) -> float:
    """Smallest angle (radians) between two rows of weights, all pairs."""
    count = len(weights)
    first, second = np.triu_indices(count, k=1)
    return float(np.min(unsigned_angles(weights[first], weights[second])))


def angle_stats(features, labels, weights) -> AngleStats:
    """Angle statistics of features (N, D) with labels (N,) in 0..K-1 against weights (K, D), D = 2 or 3."""
    features = np.asarray(features, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    labels = np.asarray(labels)
    if features.ndim != 2 or features.shape[1] not in (2, 3):
        raise ValueError(f"features must have shape (N, 2) or (N, 3), got shape {features.shape}")
    if weights.ndim != 2 or weights.shape[1] != features.shape[1] or len(weights) < 2:
        raise ValueError(f"weights must have shape (K, {features.shape[1]}) with K >= 2, got shape {weights.shape}")
    if labels.shape != (len(features),) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be an integer array of shape ({len(features)},), got {labels.shape}")
    if len(labels) and (labels.min() < 0 or labels.max() >= len(weights)):
        raise ValueError(f"labels must lie in [0, {len(weights) - 1}], got values in [{labels.min()}, {labels.max()}]")
    theta = np.degrees(unsigned_angles(features, weights[labels]))  # (N,)
    count = len(weights)
    means, stds = np.full(count, np.nan), np.full(count, np.nan)
    for j in range(count):
        own = theta[labels == j]
        if len(own):
            means[j], stds[j] = own.mean(), own.std()
    norms = np.linalg.norm(features, axis=1)
    return AngleStats(
        class_mean_deg=means,
        class_std_deg=stds,
        min_weight_angle_deg=float(np.degrees(_min_pair_angle(weights))),
        mean_feature_norm=float(norms.mean()) if len(norms) else float("nan"),
        weight_norms=np.linalg.norm(weights, axis=1),
    )
