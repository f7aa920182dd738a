"""Toy 2-D datasets, numpy only. Every generator has the signature
make_<name>(n_samples, noise, rng, n_classes) -> (X float32 (N, 2), y int64 (N,))
and is listed in DATASETS with the class counts it supports."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

MAX_CLASSES = 10
MAX_SAMPLES = 20_000


def _split_counts(n_samples: int, n_classes: int) -> np.ndarray:
    """n_samples shared as evenly as possible over the classes."""
    counts = np.full(n_classes, n_samples // n_classes)
    counts[: n_samples % n_classes] += 1
    return counts


def _labels(counts: np.ndarray) -> np.ndarray:
    return np.repeat(np.arange(len(counts)), counts).astype(np.int64)


def _finish(points: np.ndarray, labels: np.ndarray, noise: float, rng: np.random.Generator):
    points = points + noise * rng.standard_normal(points.shape)
    order = rng.permutation(len(labels))
    return points[order].astype(np.float32), labels[order]


def make_gaussians(n_samples, noise, rng, n_classes=2):
    """Two Gaussian clouds either side of the x axis, 90 degrees apart as seen from the origin."""
    counts = _split_counts(n_samples, 2)
    centres = np.array([[1.0, 1.0], [1.0, -1.0]]) / math.sqrt(2) * 2.0
    points = np.repeat(centres, counts, axis=0) + 0.35 * rng.standard_normal((n_samples, 2))
    return _finish(points, _labels(counts), noise, rng)


def make_blobs(n_samples, noise, rng, n_classes=4):
    """K Gaussian blobs evenly spaced on a circle of radius 2."""
    counts = _split_counts(n_samples, n_classes)
    angles = 2 * math.pi * np.arange(n_classes) / n_classes
    centres = 2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    spread = 0.25 * min(1.0, 2 * math.sin(math.pi / n_classes))
    points = np.repeat(centres, counts, axis=0) + spread * rng.standard_normal((n_samples, 2))
    return _finish(points, _labels(counts), noise, rng)


def make_moons(n_samples, noise, rng, n_classes=2):
    """Two interleaving half circles."""
    counts = _split_counts(n_samples, 2)
    upper = np.pi * rng.random(counts[0])
    lower = np.pi * rng.random(counts[1])
    points = np.concatenate(
        [
            np.stack([np.cos(upper), np.sin(upper)], axis=1),
            np.stack([1 - np.cos(lower), 0.5 - np.sin(lower)], axis=1),
        ]
    )
    points = (points - [0.5, 0.25]) * 1.6
    return _finish(points, _labels(counts), noise, rng)


def make_circles(n_samples, noise, rng, n_classes=2):
    """K concentric rings, radius growing with the class index."""
    counts = _split_counts(n_samples, n_classes)
    labels = _labels(counts)
    radius = 0.5 + 2.0 * labels / max(1, n_classes - 1) if n_classes > 1 else np.ones(n_samples)
    angles = 2 * math.pi * rng.random(n_samples)
    points = radius[:, None] * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return _finish(points, labels, noise, rng)


def make_spiral(n_samples, noise, rng, n_classes=3):
    """K interleaved spiral arms, one turn each."""
    counts = _split_counts(n_samples, n_classes)
    labels = _labels(counts)
    along = rng.random(n_samples)
    angles = 2 * math.pi * (along + labels / n_classes)
    radius = 0.2 + 2.3 * along
    points = radius[:, None] * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return _finish(points, labels, noise, rng)


def make_xor(n_samples, noise, rng, n_classes=2):
    """Points in [-2, 2]^2, class 1 where x and y have opposite signs."""
    points = rng.uniform(-2.0, 2.0, size=(n_samples, 2))
    points += 0.1 * np.sign(points)  # a thin empty cross keeps the classes apart
    labels = (points[:, 0] * points[:, 1] < 0).astype(np.int64)
    return _finish(points, labels, noise, rng)


@dataclass(frozen=True)
class DatasetSpec:
    """A registered generator and the class counts it can make."""

    make: Callable
    min_classes: int
    max_classes: int
    default_classes: int
    description: str


DATASETS: dict[str, DatasetSpec] = {
    "gaussians": DatasetSpec(make_gaussians, 2, 2, 2, "two Gaussian clouds"),
    "blobs": DatasetSpec(make_blobs, 2, MAX_CLASSES, 4, "K blobs around a circle"),
    "moons": DatasetSpec(make_moons, 2, 2, 2, "two interleaving half moons"),
    "circles": DatasetSpec(make_circles, 2, MAX_CLASSES, 2, "K concentric rings"),
    "spiral": DatasetSpec(make_spiral, 2, MAX_CLASSES, 3, "K spiral arms"),
    "xor": DatasetSpec(make_xor, 2, 2, 2, "the XOR quadrants"),
}


def make_dataset(name, n_samples, noise, rng, n_classes=None):
    """Validate the arguments and call the registered generator."""
    if name not in DATASETS:
        raise ValueError(f"name must be one of {sorted(DATASETS)}, got {name!r}")
    spec = DATASETS[name]
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)):
        raise ValueError(f"n_samples must be an integer, got {n_samples!r}")
    if not 2 <= n_samples <= MAX_SAMPLES:
        raise ValueError(f"n_samples must lie in [2, {MAX_SAMPLES}], got {n_samples!r}")
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not math.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    n_classes = spec.default_classes if n_classes is None else n_classes
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)):
        raise ValueError(f"n_classes must be an integer, got {n_classes!r}")
    if not spec.min_classes <= n_classes <= spec.max_classes:
        raise ValueError(
            f"n_classes for {name!r} must lie in [{spec.min_classes}, {spec.max_classes}], got {n_classes!r}"
        )
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return spec.make(int(n_samples), float(noise), rng, int(n_classes))
