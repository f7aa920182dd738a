"""Class vectors for the sphere geometry page: named arrangements of K directions in 3-D.

A preset is a function (k, rng) -> (K, 3) directions; "random" is the only one that uses k and
the seed. Unequal norms (L-Softmax's Figure-4 case, now in 3-D) are drawn from the seed too.
"""

from __future__ import annotations

import math

import numpy as np

NORM_RANGE = (0.5, 2.0)  # unequal norms: |W_j| drawn uniformly from this range


def _tetrahedron(k, rng) -> np.ndarray:
    return np.array([[1.0, 1.0, 1.0], [1.0, -1.0, -1.0], [-1.0, 1.0, -1.0], [-1.0, -1.0, 1.0]])


def _octahedron(k, rng) -> np.ndarray:
    return np.concatenate([np.eye(3), -np.eye(3)])


def _cube(k, rng) -> np.ndarray:
    return np.array([[x, y, z] for x in (1.0, -1.0) for y in (1.0, -1.0) for z in (1.0, -1.0)])


def _equator(k, rng) -> np.ndarray:
    angles = 2 * math.pi * np.arange(3) / 3  # the plane's three classes, seen on the sphere
    return np.stack([np.cos(angles), np.sin(angles), np.zeros(3)], axis=1)


def _random(k, rng) -> np.ndarray:
    return rng.standard_normal((k, 3))


PRESETS = {  # name -> (what it is, directions)
    "tetrahedron": ("4 classes as far apart as they can be", _tetrahedron),
    "octahedron": ("6 classes along the axes", _octahedron),
    "cube": ("8 classes at the corners of a cube", _cube),
    "equator": ("3 classes on one great circle: the plane's picture", _equator),
    "random": ("K random directions from the seed", _random),
}


def preset_vectors(name: str, k: int, seed: int, unequal_norms: bool) -> np.ndarray:
    """(K, 3) class vectors: the preset's directions, unit length or with norms drawn from the seed."""
    if name not in PRESETS:
        raise ValueError(f"preset must be one of {list(PRESETS)}, got {name!r}")
    directions_rng, norms_rng = (np.random.default_rng([seed, purpose]) for purpose in (0, 1))
    directions = PRESETS[name][1](k, directions_rng)
    units = directions / np.linalg.norm(directions, axis=1, keepdims=True)
    if not unequal_norms:
        return units
    return units * norms_rng.uniform(*NORM_RANGE, size=(len(units), 1))
