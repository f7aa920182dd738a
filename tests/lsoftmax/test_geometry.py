"""The 2-D decision geometry against brute force: dense sampling of directions with the
criterion of reference section 3 written out here with plain numpy."""

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lsoftmax.geometry import (
    binary_boundaries,
    equal_norm_margin,
    feasible_arcs,
    margin_gaps,
    probability_field,
    weights_from_polar,
)

TWO_PI = 2 * math.pi
DIRECTIONS = np.linspace(0.0, TWO_PI, 20_000, endpoint=False)
ARC_END_TOLERANCE = 1e-6  # radians: directions this close to an arc end are not judged


def test_psi_here(m=3):
    """The test's own psi agrees with the reference values of section 6."""
    assert test_psi(np.radians(135.0), m) == pytest.approx(-3.292893, abs=1e-6)


def test_psi(theta, m):
    """Eq 6 in plain numpy, for this file's brute force."""
    k = np.clip(np.floor(theta * m / np.pi), 0, m - 1)
    return (-1.0) ** k * np.cos(m * theta) - 2 * k


test_psi.__test__ = False  # a helper, not a test


def brute_slack(weights, m, phi):
    """(K, P) |W_j| psi(theta_j) - max_{i != j} |W_i| cos(theta_i) by direct evaluation."""
    norms = np.linalg.norm(weights, axis=1)
    units = np.stack([np.cos(phi), np.sin(phi)])  # (2, P)
    cosines = np.clip((weights @ units) / norms[:, None], -1.0, 1.0)  # (K, P)
    plain = norms[:, None] * cosines
    rivals = np.array([np.max(np.delete(plain, j, axis=0), axis=0) for j in range(len(weights))])
    return norms[:, None] * test_psi(np.arccos(cosines), m) - rivals


def inside(arcs, phi):
    """Which directions lie in one of the (start, end) arcs, counter-clockwise from start."""
    result = np.zeros(phi.shape, dtype=bool)
    for start, end in arcs:
        result |= np.mod(phi - start, TWO_PI) < end - start
    return result


def near_an_end(arcs, phi, tolerance=ARC_END_TOLERANCE):
    ends = [point for arc in arcs for point in arc]
    if not ends:
        return np.zeros(phi.shape, dtype=bool)
    difference = np.abs(np.mod(phi[:, None] - np.array(ends)[None, :] + math.pi, TWO_PI) - math.pi)
    return np.any(difference < tolerance, axis=1)


weight_sets = st.integers(2, 6).flatmap(
    lambda k: st.tuples(
        st.lists(st.floats(0.0, TWO_PI, exclude_max=True), min_size=k, max_size=k),
        st.lists(st.floats(0.2, 5.0), min_size=k, max_size=k),
    )
)


@settings(max_examples=60, deadline=None)
@given(polar=weight_sets, m=st.integers(1, 6))
def test_feasible_arcs_match_brute_force(polar, m):
    weights = weights_from_polar(*polar)
    arcs = feasible_arcs(weights, m)
    slack = brute_slack(weights, m, DIRECTIONS)
    assert len(arcs) == len(weights)
    for j, class_arcs in enumerate(arcs):
        judged = ~near_an_end(class_arcs, DIRECTIONS) & (np.abs(slack[j]) > 1e-9)
        mismatch = inside(class_arcs, DIRECTIONS) != (slack[j] > 0)
        assert not np.any(mismatch & judged), f"class {j}: {np.flatnonzero(mismatch & judged)[:5]}"


@settings(max_examples=60, deadline=None)
@given(polar=weight_sets, m=st.integers(1, 6))
def test_arcs_are_well_formed_and_never_overlap(polar, m):
    arcs = feasible_arcs(weights_from_polar(*polar), m)
    for class_arcs in arcs:
        for start, end in class_arcs:
            assert 0.0 <= start < TWO_PI
            assert start < end <= start + TWO_PI
        total = sum(end - start for start, end in class_arcs)
        assert total <= TWO_PI + 1e-12
    owners = np.sum([inside(class_arcs, DIRECTIONS) for class_arcs in arcs], axis=0)
    ends = np.any([near_an_end(class_arcs, DIRECTIONS) for class_arcs in arcs], axis=0)
    assert np.all(owners[~ends] <= 1)


def arc_length(arcs):
    return sum(end - start for class_arcs in arcs for start, end in class_arcs)


@settings(max_examples=40, deadline=None)
@given(polar=weight_sets)
def test_softmax_covers_the_circle_and_margin_grows_with_m(polar):
    weights = weights_from_polar(*polar)
    # Two equal class vectors tie everywhere they lead: neither claims those directions.
    assume(min(np.linalg.norm(a - b) for i, a in enumerate(weights) for b in weights[i + 1 :]) > 1e-6)
    lengths = [arc_length(feasible_arcs(weights, m)) for m in range(1, 7)]
    assert lengths[0] == pytest.approx(TWO_PI, abs=1e-9)
    assert all(later <= earlier + 1e-9 for earlier, later in zip(lengths, lengths[1:], strict=False))


def test_feasible_arcs_of_two_equal_classes_at_90_degrees():
    """Reference example: class-1 region within theta12/(m+1) of W1 inside the wedge."""
    weights = weights_from_polar([0.0, math.pi / 2], [1.0, 1.0])
    for m, degrees in [(1, 45.0), (2, 30.0), (3, 22.5), (4, 18.0)]:
        class1 = feasible_arcs(weights, m)[0]
        assert inside(class1, np.radians([degrees - 0.01]))[0]
        assert not inside(class1, np.radians([degrees + 0.01]))[0]


# --------------------------------------------------------------- two classes

THETA12S = [math.radians(d) for d in (10, 45, 90, 120, 179)]


@pytest.mark.parametrize("theta12", THETA12S)
@pytest.mark.parametrize("m", range(1, 7))
def test_binary_boundaries_closed_form_for_equal_norms(theta12, m):
    bounds = binary_boundaries(1.7, 1.7, theta12, m)
    assert bounds.class1 == pytest.approx(theta12 / (m + 1), abs=1e-10)
    assert bounds.class2 == pytest.approx(theta12 - theta12 / (m + 1), abs=1e-10)
    assert bounds.softmax == pytest.approx(theta12 / 2, abs=1e-12)
    assert bounds.margin == pytest.approx((m - 1) / (m + 1) * theta12, abs=1e-9)
    assert equal_norm_margin(theta12, m) == pytest.approx((m - 1) / (m + 1) * theta12)


@pytest.mark.parametrize(("m", "margin_degrees"), [(1, 0.0), (2, 30.0), (3, 45.0), (4, 54.0)])
def test_binary_margin_reference_example(m, margin_degrees):
    bounds = binary_boundaries(1.0, 1.0, math.pi / 2, m)
    assert math.degrees(bounds.margin) == pytest.approx(margin_degrees, abs=1e-8)


def first_sign_change(values, angles):
    """The angle where a sampled, monotone criterion stops holding (None if it never changes)."""
    holds = values > 0
    if holds.all() or not holds.any():
        return None
    index = np.flatnonzero(holds[:-1] != holds[1:])[0]
    return 0.5 * (angles[index] + angles[index + 1])


@settings(max_examples=80, deadline=None)
@given(
    norm1=st.floats(0.2, 5.0),
    norm2=st.floats(0.2, 5.0),
    theta12=st.floats(0.05, math.pi),
    m=st.integers(1, 6),
)
def test_binary_boundaries_match_brute_force(norm1, norm2, theta12, m):
    angles = np.linspace(0.0, theta12, 200_001)  # phi measured from W1 towards W2
    step = angles[1] - angles[0]
    class1 = norm1 * test_psi(angles, m) - norm2 * np.cos(theta12 - angles)
    class2 = norm2 * test_psi(theta12 - angles, m) - norm1 * np.cos(angles)
    softmax = norm1 * np.cos(angles) - norm2 * np.cos(theta12 - angles)
    bounds = binary_boundaries(norm1, norm2, theta12, m)
    for name, values, found in (
        ("class1", class1, bounds.class1),
        ("class2", -class2, bounds.class2),
        ("softmax", softmax, bounds.softmax),
    ):
        expected = first_sign_change(values, angles)
        if expected is None:
            # No sign change on the grid: a root, if reported, hugs an end of the wedge.
            assert found is None or min(found, theta12 - found) <= step, name
        else:
            assert found is not None and found == pytest.approx(expected, abs=step), name


def test_binary_boundaries_none_outside_the_wedge():
    """|W1| = 5, |W2| = 1, 30 degrees apart: W1 wins the whole wedge, under both rules."""
    theta12 = math.radians(30)
    assert 5.0 * test_psi(theta12, 2) > 1.0  # class 1's criterion holds even along W2
    bounds = binary_boundaries(5.0, 1.0, theta12, 2)
    assert bounds == type(bounds)(class1=None, class2=None, softmax=None)
    assert binary_boundaries(1.0, 1.0, theta12, 2).class1 is not None


@pytest.mark.parametrize(
    ("args", "name"),
    [
        ((0.0, 1.0, 1.0, 2), "norm1"),
        ((1.0, -1.0, 1.0, 2), "norm2"),
        ((1.0, 1.0, 4.0, 2), "theta12"),
        ((1, 1, 1, 0), "m"),
    ],
)
def test_binary_boundaries_reject_bad_input(args, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        binary_boundaries(*args)


@pytest.mark.parametrize(
    "weights",
    [np.zeros((2, 2)), np.ones((1, 2)), np.ones((3, 3)), np.array([[1.0, np.nan], [0.0, 1.0]])],
)
def test_feasible_arcs_reject_bad_weights(weights):
    with pytest.raises(ValueError, match=r"^weights"):
        feasible_arcs(weights, 2)


# -------------------------------------------------------- probability fields


def softmax_here(weights, points):
    logits = weights @ points.T  # (K, P)
    exp = np.exp(logits - logits.max(axis=0))
    return exp / exp.sum(axis=0)


def random_field_inputs(seed, k=4, p=500):
    rng = np.random.default_rng(seed)
    weights = weights_from_polar(rng.uniform(0, TWO_PI, k), rng.uniform(0.3, 3.0, k))
    return weights, rng.normal(scale=2.0, size=(p, 2))


@pytest.mark.parametrize("seed", range(3))
def test_probability_field_m1_is_softmax(seed):
    weights, points = random_field_inputs(seed)
    field = probability_field(weights, points, m=1)
    np.testing.assert_allclose(field, softmax_here(weights, points), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(field.sum(axis=0), 1.0, rtol=1e-12)


@pytest.mark.parametrize("m", range(2, 7))
@pytest.mark.parametrize("lam", [0.0, 1.0])
def test_margin_probabilities_never_exceed_softmax(m, lam):
    weights, points = random_field_inputs(m)
    field = probability_field(weights, points, m=m, lam=lam)
    assert np.all(np.isfinite(field)) and np.all(field >= 0)
    assert np.all(field <= softmax_here(weights, points) + 1e-12)


def test_softmax_probabilities_sharpen_with_feature_norm():
    weights, _ = random_field_inputs(7)
    direction = np.array([math.cos(0.4), math.sin(0.4)])
    radii = np.linspace(0.1, 10.0, 50)
    field = probability_field(weights, radii[:, None] * direction, m=1)
    best = field[np.argmax(field[:, -1]), :]
    assert np.all(np.diff(best) >= -1e-12) and best[-1] > best[0]


@pytest.mark.parametrize("m", range(2, 7))
def test_margin_probabilities_tend_to_the_criterion_for_long_features(m):
    """|x| only scales the logits: far out, p_j -> 1 where class j's criterion holds, else 0."""
    weights, _ = random_field_inputs(m)
    slack = brute_slack(weights, m, DIRECTIONS[::20])
    points = 400.0 * np.stack([np.cos(DIRECTIONS[::20]), np.sin(DIRECTIONS[::20])], axis=1)
    field = probability_field(weights, points, m=m)
    assert np.all(field[slack > 0.05] > 0.99)
    assert np.all(field[slack < -0.05] < 0.01)


def test_probability_field_rejects_bad_input():
    weights, points = random_field_inputs(0)
    with pytest.raises(ValueError, match=r"^lam must"):
        probability_field(weights, points, m=2, lam=-1.0)
    with pytest.raises(ValueError, match=r"^points must"):
        probability_field(weights, points[:, :1], m=2)


# ------------------------------------------------------------------ margin gaps


@pytest.mark.parametrize("m", range(1, 7))
def test_margin_gaps_fill_the_circle_with_the_arcs(m):
    weights, _ = random_field_inputs(m, k=5)
    arcs = feasible_arcs(weights, m)
    gaps = margin_gaps(arcs)
    assert len(gaps) == sum(len(class_arcs) for class_arcs in arcs)
    assert arc_length(arcs) + sum(gap.width for gap in gaps) == pytest.approx(TWO_PI, abs=1e-9)
    assert all(gap.width >= 0 and 0 <= gap.start < TWO_PI for gap in gaps)
    if m == 1:
        assert all(gap.width == 0.0 for gap in gaps)


@pytest.mark.parametrize("m", range(1, 5))
def test_margin_gap_inside_the_wedge_of_two_equal_classes(m):
    arcs = feasible_arcs(weights_from_polar([0.0, math.pi / 2], [1.0, 1.0]), m)
    inside_wedge = [gap for gap in margin_gaps(arcs) if gap.before == 0 and gap.after == 1]
    assert len(inside_wedge) == 1
    assert inside_wedge[0].width == pytest.approx((m - 1) / (m + 1) * math.pi / 2, abs=1e-9)


# Regressions found while building the pages: before the fixes each of these took 15-30 s,
# raised from zip(), or grew its grid until the process ran out of memory. Now they must
# finish at once and still agree with brute force.
HARD_CASES = [
    # two equal norms where a criterion touches zero with zero slope (a double root)
    (np.radians([0.0, 90.0]), [1.0, 1.0], 2),
    (np.radians([0.0, 120.0]), [1.0, 1.0], 3),
    (np.radians([0.0, 135.0]), [1.0, 1.0], 4),
    # six classes, one short: phi = 0 and 2 pi once got different signs
    (np.radians(np.arange(6) * 60.0), [0.4, 1, 1, 1, 1, 1], 1),
    # identical class vectors: the grid refinement never stopped
    (np.radians([30.0, 30.0, 200.0]), [1.0, 1.0, 1.0], 1),
    (np.radians([30.0, 30.0]), [2.0, 2.0], 3),
]


@pytest.mark.parametrize(("angles", "norms", "m"), HARD_CASES)
def test_hard_cases_finish_and_match_brute_force(angles, norms, m):
    weights = weights_from_polar(angles, norms)
    arcs = feasible_arcs(weights, m)
    slack = brute_slack(weights, m, DIRECTIONS)
    for j, class_arcs in enumerate(arcs):
        judged = ~near_an_end(class_arcs, DIRECTIONS, tolerance=1e-4) & (np.abs(slack[j]) > 1e-9)
        assert np.array_equal(inside(class_arcs, DIRECTIONS)[judged], (slack[j] > 0)[judged])
