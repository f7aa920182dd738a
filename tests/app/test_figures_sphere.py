"""app/figures/sphere.py on small arrays: the patches against the library's criterion, the
features and class vectors where they belong, the layouts (wide and narrow)."""

import math

import numpy as np
import pytest

from app.figures import sphere
from app.figures.training import RegionScene
from lsoftmax.geometry import criterion_class, sphere_regions
from lsoftmax.margins import ArcFace, CombinedMargin, CosFace, LSoftmax, SphereFace

RNG = np.random.default_rng(5)
WEIGHTS = RNG.standard_normal((5, 3)) * RNG.uniform(0.5, 2.0, (5, 1))


def scene(weights=WEIGHTS, member=4, resolution=24, points=40) -> sphere.SphereScene:
    features = RNG.standard_normal((points, 3)) * 3
    labels = np.arange(points) % len(weights)
    regions = sphere_regions(weights, member, resolution)
    return sphere.SphereScene(features, labels, np.arange(points) % 3 == 0, weights, regions, "m = 4")


def test_each_quad_of_the_mesh_is_centred_on_its_grid_direction():
    polar = np.linspace(0, math.pi, 10)
    azimuth = np.linspace(0, 2 * math.pi, 20, endpoint=False)
    vertices, faces = sphere.patch_mesh(polar, azimuth)
    np.testing.assert_allclose(np.linalg.norm(vertices, axis=1), 1.0)
    for i in range(1, 9):  # rows away from the poles (there a quad is a triangle fan)
        for k in (0, 7, 19):
            corners = np.unique(vertices[faces[2 * (i * 20 + k) : 2 * (i * 20 + k) + 2].ravel()], axis=0)
            assert len(corners) == 4
            corner_polar = np.arccos(np.clip(corners[:, 2], -1, 1))
            corner_azimuth = np.arctan2(corners[:, 1], corners[:, 0])
            # the quad spans polar[i] +- half a row and azimuth[k] +- half a column (angles unwrapped around it)
            offsets = (corner_azimuth - azimuth[k] + math.pi) % (2 * math.pi) - math.pi
            assert corner_polar.min() + corner_polar.max() == pytest.approx(2 * polar[i], abs=1e-12)
            assert offsets.min() == pytest.approx(-math.pi / 20, abs=1e-12) and offsets.max() == pytest.approx(
                math.pi / 20, abs=1e-12
            )


@pytest.mark.parametrize(
    "member",
    [LSoftmax(m=1), LSoftmax(m=3), SphereFace(m=4), CosFace(m=0.3), ArcFace(m=0.4), CombinedMargin()],
    ids=lambda member: member.describe(),
)
def test_face_colours_agree_with_criterion_class_away_from_boundaries(member):
    drawn = scene(member=member, resolution=30)
    (mesh,) = [trace for trace in sphere.patch_traces("scene", drawn.regions, 5) if trace["type"] == "mesh3d"]
    vertices = np.stack([mesh[axis] for axis in "xyz"], axis=1).astype(np.float64)
    faces = np.stack([mesh[name] for name in "ijk"], axis=1).astype(int)
    codes = mesh["intensity"].astype(int) - 1
    centres = vertices[faces].mean(axis=1)
    expected = criterion_class(WEIGHTS, member, centres)
    corners = np.stack([criterion_class(WEIGHTS, member, vertices[faces[:, c]]) for c in range(3)], axis=1)
    mixed = (corners != corners[:, :1]).any(axis=1)  # a boundary passes through the face
    assert np.mean(codes == expected) > 0.9
    assert np.all((codes == expected) | mixed | np.roll(mixed, 1) | np.roll(mixed, -1))
    if member == LSoftmax(m=1):
        assert np.all(codes >= 0)  # plain softmax: no margin anywhere
    else:
        assert np.any(codes == -1)


def test_the_colours_step_from_margin_grey_to_each_class_without_blending():
    scale = sphere.region_colorscale(3)
    assert len(scale) == 8 and scale[0][1] == scale[1][1] == sphere.MARGIN_COLOR
    assert len({color for _, color in scale}) == 4


def test_features_sit_at_their_direction_and_test_points_are_open():
    drawn = scene()
    traces = sphere.feature_traces("scene", drawn, True, point_limit=1000)
    assert len(traces) == 2 * 5
    seen = 0
    for trace in traces:
        j = int(trace["name"].split()[1]) - 1
        points = np.stack([trace[axis] for axis in "xyz"], axis=1).astype(np.float64)
        chosen = np.flatnonzero((drawn.labels == j) & (drawn.is_test == (trace["marker"]["symbol"] == "circle-open")))
        for point, feature in zip(points, drawn.features[chosen], strict=True):
            assert np.linalg.norm(point) == pytest.approx(sphere.FEATURE_RADIUS, rel=1e-6)
            assert np.dot(point, feature) / np.linalg.norm(point) / np.linalg.norm(feature) == pytest.approx(
                1, abs=1e-6
            )
        seen += len(points)
    assert seen == 40


def test_class_vectors_point_along_w_with_a_label_each():
    traces = sphere.weight_traces("scene", WEIGHTS)
    cones = [t for t in traces if t["type"] == "cone"]
    labels = [t["text"][0] for t in traces if t.get("mode") == "text"]
    assert labels == [f"W{j + 1}" for j in range(5)]
    for cone, w in zip(cones, WEIGHTS, strict=True):
        direction = np.array([cone["u"][0], cone["v"][0], cone["w"][0]])
        np.testing.assert_allclose(direction, w / np.linalg.norm(w), atol=1e-12)


def test_region_shares_of_the_octahedron_under_softmax_are_a_sixth_each():
    regions = sphere_regions(np.concatenate([np.eye(3), -np.eye(3)]), 1, 60)
    rows = sphere.region_table(regions, 6)
    shares = [float(row["share of the sphere (%)"]) for row in rows]
    np.testing.assert_allclose(shares[:6], 100 / 6, atol=0.5)
    assert shares[6] == pytest.approx(0.0, abs=0.5)


def test_the_training_figure_has_the_input_plane_left_and_the_sphere_right_and_stacks_when_narrow():
    grid = np.linspace(-2, 2, 6, dtype=np.float32)
    region = RegionScene(grid, grid, np.zeros((6, 6), np.int8), np.full((6, 6), 0.6), np.zeros((4, 2)),
                         np.arange(4) % 2, np.zeros(4, bool), 5)  # fmt: skip
    figure = sphere.training_figure(region, scene())
    layout = figure["layout"]
    assert figure["data"][0]["type"] == "heatmap" and layout["xaxis"]["domain"][1] <= layout["scene"]["domain"]["x"][0]
    assert layout["uirevision"] == layout["scene"]["uirevision"] and "camera" in layout["scene"]
    narrow = layout["meta"]["narrow"]["layout"]
    assert narrow["yaxis"]["domain"][0] > narrow["scene"]["domain"]["y"][1]  # the sphere below the plane
    assert narrow["xaxis2"]["domain"] == narrow["scene"]["domain"]["x"]  # its title moves with it


def test_compare_puts_one_sphere_per_model_and_needs_one():
    figure = sphere.compare_figure([scene(), scene(member=1)])
    scenes = sorted(key for key in figure["layout"] if key.startswith("scene"))
    assert scenes == ["scene", "scene2"]
    assert {trace.get("scene") for trace in figure["data"] if trace["type"] == "mesh3d"} == {"scene", "scene2"}
    with pytest.raises(ValueError, match="^scenes"):
        sphere.compare_figure([])
