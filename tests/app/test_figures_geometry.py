"""The plane figures (pure functions) and the scenes built from control values, on small inputs.

Expected angles come from the closed form of reference section 3, not from the code under test.
"""

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from app.figures.geometry import AngleMark, PlaneScene, plane_figure, sweep_figure
from app.figures.scenes import EXTENT, binary_directions, binary_view, multiclass_scene

SQUARE = PlaneScene(
    weights=np.array([[1.0, 0.0], [0.0, 1.0]]),
    arcs=[[(5.5, 2 * math.pi + 0.5)], [(1.2, 2.0)]],
    gaps=[(0.5, 1.2), (2.0, 5.5)],
    softmax_rays=(math.pi / 4, 5 * math.pi / 4),
    extent=3.0,
    sample=np.array([1.0, 0.5]),
    marks=(AngleMark(0.0, math.pi / 2, 1.0, "θ12 = 90°"),),
)


def _xy(trace):
    return np.asarray(trace.x, dtype=float), np.asarray(trace.y, dtype=float)


def test_plane_figure_has_fixed_square_axes_and_height():
    figure = plane_figure(SQUARE, "t")
    assert tuple(figure.layout.xaxis.range) == (-3.0, 3.0)
    assert tuple(figure.layout.yaxis.range) == (-3.0, 3.0)
    assert figure.layout.yaxis.scaleanchor == "x"
    assert figure.layout.height > 0 and figure.layout.font.size >= 16


def test_wedges_follow_their_arcs():
    figure = plane_figure(SQUARE)
    x, y = _xy(figure.data[1])  # class 2's wedge: arc 1.2 .. 2.0
    inner = np.isfinite(x) & (np.hypot(x, y) > 1e-9)
    angles = np.arctan2(y[inner], x[inner])
    assert angles.min() == pytest.approx(1.2) and angles.max() == pytest.approx(2.0)
    np.testing.assert_allclose(np.hypot(x[inner], y[inner]), 1.5 * 3.0, rtol=1e-6)


def test_boundary_rays_point_along_arc_edges():
    figure = plane_figure(SQUARE)
    by_name = {trace.name: trace for trace in figure.data}
    x, y = _xy(by_name["class 2 L-Softmax boundary"])
    tips = np.arctan2(y[1::3], x[1::3])
    np.testing.assert_allclose(sorted(tips), [1.2, 2.0], atol=1e-6)
    x, y = _xy(by_name["softmax boundary"])
    np.testing.assert_allclose(
        np.mod(np.arctan2(y[1::3], x[1::3]), 2 * math.pi), [math.pi / 4, 5 * math.pi / 4], atol=1e-6
    )


def test_arrays_travel_as_float32():
    spec = json.loads(plane_figure(SQUARE).to_json())
    wedge = spec["data"][0]["x"]
    assert isinstance(wedge, dict) and wedge["dtype"] == "f4"


def test_arrows_and_labels_for_each_class():
    texts = [note.text for note in plane_figure(SQUARE).layout.annotations]
    assert "<b>W<sub>1</sub></b>" in texts and "<b>W<sub>2</sub></b>" in texts and "θ12 = 90°" in texts


def test_sweep_figure_has_one_frame_per_scene_and_play_controls():
    figure = sweep_figure([SQUARE, SQUARE, SQUARE], ["1", "2", "3"])
    assert [frame.name for frame in figure.frames] == ["1", "2", "3"]
    assert len(figure.frames[0].data) == len(figure.data)
    labels = [button.label for button in figure.layout.updatemenus[0].buttons]
    assert any("Play" in label for label in labels) and any("Pause" in label for label in labels)
    assert len(figure.layout.sliders[0].steps) == 3


def test_sweep_figure_rejects_mismatched_labels():
    with pytest.raises(ValueError, match="scenes and labels"):
        sweep_figure([SQUARE], ["1", "2"])


@pytest.mark.parametrize(
    ("m", "theta12", "margin"), [(1, 90, 0.0), (2, 90, 30.0), (3, 90, 45.0), (4, 90, 54.0), (4, 60, 36.0)]
)
def test_binary_view_equal_norms_matches_closed_form(m, theta12, margin):
    view = binary_view(2.0, 2.0, theta12, m)
    assert math.degrees(view.boundaries.margin) == pytest.approx(margin, abs=1e-6)
    assert math.degrees(view.boundaries.class1) == pytest.approx(theta12 / (m + 1), abs=1e-6)
    first, second = binary_directions(theta12)
    assert math.degrees(second - first) == pytest.approx(theta12)
    # On screen, class 1's arc ends (counter-clockwise, towards W2) theta12/(m+1) past W1.
    ((_start, end),) = view.scene.arcs[0]
    assert math.degrees(end - first) % 360 == pytest.approx(theta12 / (m + 1), abs=1e-5)


def test_binary_view_softmax_rays_bisect_equal_norms():
    view = binary_view(1.0, 1.0, 90, 4)
    np.testing.assert_allclose(sorted(np.degrees(view.scene.softmax_rays)), [90.0, 270.0], atol=1e-6)


@pytest.mark.parametrize("kind", ["softmax", "L-Softmax"])
def test_field_is_small_float32_and_sharpens_with_distance(kind):
    scene = binary_view(2.0, 2.0, 90, 4, field_kind=kind).scene
    assert scene.field.dtype == np.float32 and scene.field.shape == (60, 60)
    axis = scene.field_axis
    along_w1 = scene.weights[0] / np.linalg.norm(scene.weights[0])
    near, far = 0.3 * along_w1, 5.0 * along_w1

    def at(point):
        return scene.field[np.abs(axis - point[1]).argmin(), np.abs(axis - point[0]).argmin()]

    assert 0.5 < at(near) < at(far) <= 1.0  # same direction, larger |x|: more confident
    assert len(plane_figure(scene).to_json()) < 150_000


def test_multiclass_even_equal_norms_margins_match_closed_form():
    # Neighbours 90 degrees apart with equal norms: each margin is (m - 1)/(m + 1) * 90.
    scene, gaps = multiclass_scene([0, 90, 180, 270], [2, 2, 2, 2], 3)
    np.testing.assert_allclose([math.degrees(gap.width) for gap in gaps], [45.0] * 4, atol=1e-6)
    assert len(scene.gaps) == 4 and scene.extent == EXTENT


def test_multiclass_shrunk_norm_narrows_its_wedge():
    scene, _ = multiclass_scene([0, 90, 180, 270], [1, 2, 2, 2], 3)
    widths = [sum(end - start for start, end in arcs) for arcs in scene.arcs]
    assert widths[0] < widths[2] < widths[1]
    assert widths[1] == pytest.approx(widths[3])


def test_every_plane_figure_has_the_same_ui_revision():
    """A constant layout.uirevision: live_chart redraws the plane in place and the user's zoom stays."""
    other = replace(SQUARE, weights=np.asarray(SQUARE.weights) * 0.5, extent=2 * SQUARE.extent)
    revision = plane_figure(SQUARE).layout.uirevision
    assert revision and plane_figure(other, "another title").layout.uirevision == revision
