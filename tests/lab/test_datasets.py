"""Every registered toy dataset: shapes, dtypes, classes, determinism, bad arguments."""

import math

import numpy as np
import pytest

from lab.datasets import DATASETS, MAX_SAMPLES, make_dataset


def class_counts_to_test(name):
    spec = DATASETS[name]
    return sorted({spec.min_classes, spec.default_classes, spec.max_classes})


CASES = [(name, k) for name in DATASETS for k in class_counts_to_test(name)]


@pytest.mark.parametrize(("name", "n_classes"), CASES)
def test_shapes_dtypes_and_classes(name, n_classes):
    X, y = make_dataset(name, 503, 0.1, np.random.default_rng(0), n_classes)
    assert X.shape == (503, 2) and X.dtype == np.float32
    assert y.shape == (503,) and y.dtype == np.int64
    assert np.all(np.isfinite(X))
    assert set(np.unique(y).tolist()) == set(range(n_classes))
    if name != "xor":  # xor labels follow the quadrants; the others share samples evenly
        counts = np.bincount(y, minlength=n_classes)
        assert counts.max() - counts.min() <= 1


@pytest.mark.parametrize("name", DATASETS)
def test_default_class_count_and_zero_noise(name):
    X, y = make_dataset(name, 200, 0.0, np.random.default_rng(3))
    assert len(np.unique(y)) == DATASETS[name].default_classes
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("name", DATASETS)
def test_same_seed_same_data_other_seed_other_data(name):
    first = make_dataset(name, 300, 0.2, np.random.default_rng(42))
    again = make_dataset(name, 300, 0.2, np.random.default_rng(42))
    other = make_dataset(name, 300, 0.2, np.random.default_rng(43))
    assert np.array_equal(first[0], again[0]) and np.array_equal(first[1], again[1])
    assert not np.array_equal(first[0], other[0])


@pytest.mark.parametrize("name", DATASETS)
def test_noise_moves_points(name):
    quiet = make_dataset(name, 300, 0.0, np.random.default_rng(1))[0]
    noisy = make_dataset(name, 300, 0.5, np.random.default_rng(1))[0]
    assert not np.allclose(quiet, noisy)


def test_sample_count_limits_are_inclusive():
    assert make_dataset("blobs", 2, 0.1, np.random.default_rng(0))[0].shape == (2, 2)
    assert make_dataset("blobs", MAX_SAMPLES, 0.1, np.random.default_rng(0))[0].shape == (MAX_SAMPLES, 2)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("name", dict(name="swirl")),
        ("n_samples", dict(n_samples=1)),
        ("n_samples", dict(n_samples=MAX_SAMPLES + 1)),
        ("n_samples", dict(n_samples=10.5)),
        ("n_samples", dict(n_samples=True)),
        ("noise", dict(noise=-0.1)),
        ("noise", dict(noise=math.nan)),
        ("noise", dict(noise=True)),
        ("n_classes", dict(n_classes=1)),
        ("n_classes", dict(name="moons", n_classes=3)),
        ("n_classes", dict(n_classes=11)),
        ("n_classes", dict(n_classes=2.0)),
        ("rng", dict(rng=0)),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(name, kwargs):
    arguments = dict(name="blobs", n_samples=100, noise=0.1, rng=np.random.default_rng(0), n_classes=None)
    with pytest.raises(ValueError, match=rf"^{name}"):
        make_dataset(**{**arguments, **kwargs})
