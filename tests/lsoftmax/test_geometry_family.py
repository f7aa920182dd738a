"""The geometry of every margin member against brute force: the criterion of margin-family.md
section 2 evaluated here, one direction and one class at a time, with each member's t written
out in test_margins.slow_target; and the doc's check values."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lsoftmax.geometry import (
    angle_plane_boundary,
    binary_boundaries,
    criterion_class,
    feasible_arcs,
    sphere_direction,
    sphere_regions,
    wedge_margin,
    weights_from_polar,
)
from lsoftmax.margins import ArcFace, CombinedMargin, CosFace, LSoftmax, SphereFace
from tests.lsoftmax.test_margins import slow_target

TWO_PI = 2 * math.pi
MEMBERS = [
    LSoftmax(m=3),
    SphereFace(m=2),
    CosFace(m=0.35, s=30.0),
    ArcFace(m=0.5, s=64.0),
    CombinedMargin(m1=1.0, m2=0.3, m3=0.2, s=64.0),
    CombinedMargin(m1=1.5, m2=0.1, m3=0.05, s=8.0),
]
IDS = [member.describe() for member in MEMBERS]
slow_targets = np.vectorize(slow_target, excluded={0})


def brute_slack(weights, member, units):
    """(K, P): scale_j t(theta_j) - max_{i != j} scale_i cos(theta_i), class by class."""
    norms = np.linalg.norm(weights, axis=1)
    scales = np.ones_like(norms) if member.normalises_weight else norms
    cosines = np.clip((weights / norms[:, None]) @ units.T, -1.0, 1.0)
    rows = []
    for j in range(len(weights)):
        rival = np.max(np.delete(scales[:, None] * cosines, j, axis=0), axis=0)
        rows.append(scales[j] * slow_targets(member, np.arccos(cosines[j])) - rival)
    return np.array(rows)


# ------------------------------------------------------------ the doc's check values

CHECK_VALUES = [  # margin-family.md section 2, degrees, theta12 = 30, 60, 90, 120, 150
    (LSoftmax(m=2), [10.000, 20.000, 30.000, 40.000, 50.000]),
    (LSoftmax(m=4), [18.000, 36.000, 54.000, 72.000, 90.000]),
    (SphereFace(m=4), [18.000, 36.000, 54.000, 72.000, 90.000]),
    (CosFace(m=0.35), [30.000, 40.975, 28.658, 23.316, 20.876]),
    (ArcFace(m=0.5), [28.648, 28.648, 28.648, 28.648, 28.648]),
    (CombinedMargin(m1=1.0, m2=0.3, m3=0.2), [30.000, 35.638, 31.463, 29.521, 28.739]),
]


@pytest.mark.parametrize(("member", "expected"), CHECK_VALUES, ids=[row[0].describe() for row in CHECK_VALUES])
def test_margin_inside_the_wedge_matches_the_check_values(member, expected):
    """The table's values come from 2,000,001 sampled directions (0.00009 degrees apart) and are rounded."""
    got = [math.degrees(wedge_margin(1.0, 1.0, math.radians(theta12), member)) for theta12 in (30, 60, 90, 120, 150)]
    np.testing.assert_allclose(got, expected, atol=1.5e-3)


@pytest.mark.parametrize("theta12_degrees", [30, 60, 90, 120, 150])
def test_closed_forms_of_the_wedge_margin(theta12_degrees):
    theta12 = math.radians(theta12_degrees)
    for m in (2, 3, 4):
        for member in (LSoftmax(m=m), SphereFace(m=m)):
            assert wedge_margin(2.0, 2.0, theta12, member) == pytest.approx((m - 1) / (m + 1) * theta12, abs=1e-12)
    assert wedge_margin(1.0, 1.0, theta12, ArcFace(m=0.3)) == pytest.approx(min(0.3, theta12), abs=1e-12)
    closed = 2 * math.asin(0.35 / (2 * math.sin(theta12 / 2)))
    assert wedge_margin(1.0, 1.0, theta12, CosFace(m=0.35)) == pytest.approx(min(closed, theta12), abs=1e-12)


# ------------------------------------------------------------------ arcs, 2-D

DIRECTIONS = np.linspace(0.0, TWO_PI, 20_000, endpoint=False)
UNITS = np.stack([np.cos(DIRECTIONS), np.sin(DIRECTIONS)], axis=1)


def inside(arcs, phi):
    result = np.zeros(phi.shape, dtype=bool)
    for start, end in arcs:
        result |= np.mod(phi - start, TWO_PI) < end - start
    return result


def near_an_end(arcs, phi, tolerance=1e-6):
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


@settings(max_examples=25, deadline=None)
@given(polar=weight_sets, index=st.integers(0, len(MEMBERS) - 1))
def test_feasible_arcs_match_brute_force_for_every_member(polar, index):
    member = MEMBERS[index]
    weights = weights_from_polar(*polar)
    arcs = feasible_arcs(weights, member)
    slack = brute_slack(weights, member, UNITS)
    for j, class_arcs in enumerate(arcs):
        judged = ~near_an_end(class_arcs, DIRECTIONS) & (np.abs(slack[j]) > 1e-9)
        mismatch = inside(class_arcs, DIRECTIONS) != (slack[j] > 0)
        assert not np.any(mismatch & judged), f"{member.describe()} class {j}"
    owners = np.sum([inside(class_arcs, DIRECTIONS) for class_arcs in arcs], axis=0)
    ends = np.any([near_an_end(class_arcs, DIRECTIONS) for class_arcs in arcs], axis=0)
    assert np.all(owners[~ends] <= 1)


def test_an_integer_still_means_lsoftmax():
    weights = weights_from_polar([0.0, 1.0, 2.5], [1.0, 2.0, 0.7])
    assert feasible_arcs(weights, 3) == feasible_arcs(weights, LSoftmax(m=3))
    assert binary_boundaries(1.0, 2.0, 1.0, 3) == binary_boundaries(1.0, 2.0, 1.0, LSoftmax(m=3))
    # both keyword spellings: margin= (the family's contract) and m= (the L-Softmax one)
    assert feasible_arcs(weights, margin=ArcFace(m=0.2)) == feasible_arcs(weights, ArcFace(m=0.2))
    assert feasible_arcs(weights, m=3) == feasible_arcs(weights, margin=3)
    assert binary_boundaries(1.0, 2.0, 1.0, m=2) == binary_boundaries(1.0, 2.0, 1.0, margin=LSoftmax(m=2))
    with pytest.raises(ValueError, match=r"^m must be given once"):
        feasible_arcs(weights, margin=2, m=2)


def test_sphereface_and_the_normalised_members_ignore_the_norms():
    angles = [0.0, 1.3, 3.0]
    for member in MEMBERS[1:]:
        equal = feasible_arcs(weights_from_polar(angles, [1, 1, 1]), member)
        unequal = feasible_arcs(weights_from_polar(angles, [0.3, 4.0, 1.0]), member)
        assert [len(arcs) for arcs in equal] == [len(arcs) for arcs in unequal]
        flat = [point for arcs in equal for arc in arcs for point in arc]
        assert flat == pytest.approx([point for arcs in unequal for arc in arcs for point in arc], abs=1e-12)


# ------------------------------------------------------------- two classes


@settings(max_examples=40, deadline=None)
@given(
    norm1=st.floats(0.2, 5.0),
    norm2=st.floats(0.2, 5.0),
    theta12=st.floats(0.05, math.pi),
    index=st.integers(0, len(MEMBERS) - 1),
)
def test_binary_boundaries_and_wedge_margin_match_brute_force(norm1, norm2, theta12, index):
    member = MEMBERS[index]
    angles = np.linspace(0.0, theta12, 20_001)  # from W1 towards W2
    step = angles[1] - angles[0]
    weights = np.array([[norm1, 0.0], [norm2 * math.cos(theta12), norm2 * math.sin(theta12)]])
    slack = brute_slack(weights, member, np.stack([np.cos(angles), np.sin(angles)], axis=1))
    bounds = binary_boundaries(norm1, norm2, theta12, member)
    for found, holds in ((bounds.class1, slack[0] > 0), (bounds.class2, slack[1] > 0)):
        changes = np.flatnonzero(holds[:-1] != holds[1:])
        assert len(changes) <= 1  # monotone criteria: one boundary at most
        if len(changes):
            assert found == pytest.approx(angles[changes[0]] + step / 2, abs=step)
    neither = ~(slack[0] > 0) & ~(slack[1] > 0)
    assert wedge_margin(norm1, norm2, theta12, member) == pytest.approx(neither.mean() * theta12, abs=3 * step)


# ---------------------------------------------------- the (theta1, theta2) plane


def test_angle_plane_boundaries_are_the_arcface_papers_lines():
    theta1 = np.linspace(0.0, math.pi, 1001)
    np.testing.assert_allclose(angle_plane_boundary(theta1, 1), theta1, atol=1e-7)
    sphere = angle_plane_boundary(theta1, SphereFace(m=3))
    first = theta1 <= math.pi / 3
    np.testing.assert_allclose(sphere[first], 3 * theta1[first], atol=1e-6)
    assert np.all(np.isnan(sphere[theta1 > math.pi / 3 + 1e-9]))
    arc = angle_plane_boundary(theta1, ArcFace(m=0.5))
    below = theta1 <= math.pi - 0.5
    np.testing.assert_allclose(arc[below], theta1[below] + 0.5, atol=1e-6)
    cos = angle_plane_boundary(theta1, CosFace(m=0.35))
    expected = np.arccos(np.where(np.cos(theta1) - 0.35 >= -1, np.cos(theta1) - 0.35, np.nan))
    np.testing.assert_allclose(cos, expected, atol=1e-7)
    # L-Softmax with |W1| = 2 |W2|: 2 psi(theta1) = cos(theta2), NaN where 2 psi > 1 (class 1 always wins)
    wide = angle_plane_boundary(theta1, LSoftmax(m=2), norm_ratio=2.0)
    solvable = (theta1 > math.pi / 6 + 1e-9) & (theta1 < math.pi / 3 - 1e-9)  # 2 cos(2 theta1) in (-1, 1)
    np.testing.assert_allclose(wide[solvable], np.arccos(2 * np.cos(2 * theta1[solvable])), atol=1e-7)
    assert np.all(np.isnan(wide[(theta1 < math.pi / 6 - 1e-9) | (theta1 > math.pi / 3 + 1e-9)]))


# ------------------------------------------------------------------ 3-D and any D


@pytest.mark.parametrize("member", MEMBERS, ids=IDS)
@pytest.mark.parametrize("dim", [3, 5])
def test_criterion_class_matches_brute_force(member, dim):
    rng = np.random.default_rng(dim)
    weights = rng.normal(size=(4, dim)) * rng.uniform(0.3, 3.0, size=(4, 1))
    directions = rng.normal(size=(5000, dim)) * rng.uniform(0.1, 5, size=(5000, 1))
    units = directions / np.linalg.norm(directions, axis=1, keepdims=True)
    slack = brute_slack(weights, member, units)
    clear = np.all(np.abs(slack) > 1e-9, axis=0)
    expected = np.where((slack > 0).any(axis=0), np.argmax(slack > 0, axis=0), -1)
    assert np.all((slack > 0).sum(axis=0) <= 1)
    np.testing.assert_array_equal(criterion_class(weights, member, directions)[clear], expected[clear])


@pytest.mark.parametrize("member", MEMBERS, ids=IDS)
def test_sphere_regions_labels_and_boundaries(member):
    rng = np.random.default_rng(1)
    weights = rng.normal(size=(5, 3)) * rng.uniform(0.5, 2.0, size=(5, 1))
    regions = sphere_regions(weights, member, resolution=40)
    grid = sphere_direction(regions.polar[:, None], regions.azimuth[None, :]).reshape(-1, 3)
    slack = brute_slack(weights, member, grid)
    expected = np.where((slack > 0).any(axis=0), np.argmax(slack > 0, axis=0), -1).reshape(regions.labels.shape)
    np.testing.assert_array_equal(regions.labels, expected)
    for j, lines in enumerate(regions.boundaries):
        has_region = (regions.labels == j).any()
        assert bool(lines) == (has_region and not (regions.labels == j).all())
        for line in lines:
            assert line.shape[1] == 3 and len(line) >= 4
            np.testing.assert_allclose(np.linalg.norm(line, axis=1), 1.0, atol=1e-12)
            np.testing.assert_allclose(line[0], line[-1])  # closed on a sphere
            assert np.max(np.abs(brute_slack(weights, member, line)[j])) < 1e-9  # on the exact boundary
            steps = np.linalg.norm(np.diff(line, axis=0), axis=1)
            assert np.max(steps) < 4 * math.pi / 40  # neighbouring vertices: a connected curve


def test_sphere_boundary_of_two_equal_classes_is_the_closed_form_cone():
    """W1 = e_x, W2 = e_y, L-Softmax m = 2: inside their great circle class 1's boundary sits
    at theta12 / (m + 1) = 30 degrees from W1, and the region's boundary passes through it."""
    regions = sphere_regions(np.array([[1.0, 0, 0], [0, 1.0, 0]]), LSoftmax(m=2), resolution=91)
    (line,) = regions.boundaries[0]
    in_plane = line[np.abs(line[:, 2]) < 1e-9]
    angles = np.degrees(np.arctan2(in_plane[:, 1], in_plane[:, 0]))
    assert np.any(np.abs(angles - 30.0) < 1e-6)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: criterion_class(np.ones((1, 3)), 2, np.ones((2, 3))), "weights"),
        (lambda: criterion_class(np.ones((2, 3)), 2, np.ones((2, 2))), "directions"),
        (lambda: sphere_regions(np.ones((3, 2)), 2), "weights"),
        (lambda: sphere_regions(np.eye(3), 2, resolution=2), "resolution"),
        (lambda: sphere_regions(np.eye(3), 0), "m"),
        (lambda: angle_plane_boundary([4.0], 2), "theta1"),
        (lambda: wedge_margin(1.0, 1.0, 1.0, "arcface"), "m"),
    ],
)
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=rf"^{name}"):
        call()
