"""/train with feature_dim = 3 in AppTest: the control, links, and the sphere view's figure."""

import numpy as np
import pytest

from app.live_chart.encoding import decode_typed_array
from lsoftmax.geometry import criterion_class, sphere_regions
from tests.app.test_train_page import start, views

SMALL = {"dataset": "blobs", "n_classes": "4", "n_samples": "200", "hidden_width": "8"}


def traces(header: dict, kind: str, scene: str = "scene") -> list[dict]:
    return [trace for trace in header["figure"]["data"] if trace["type"] == kind and trace.get("scene") == scene]


def drawn_features(header: dict, scene: str = "scene") -> np.ndarray:
    """Every feature marker on a sphere, (n, 3)."""
    markers = [trace for trace in traces(header, "scatter3d", scene) if trace["mode"] == "markers"]
    return np.concatenate([np.stack([decode_typed_array(t[axis]) for axis in "xyz"], axis=1) for t in markers])


def test_feature_dim_3_from_a_link_trains_and_draws_the_sphere():
    at = start(feature_dim="3", **SMALL)
    assert at.radio(key="ts_feature_dim").value == 3
    assert not at.warning
    header = views(at)
    layout = header["figure"]["layout"]
    assert "scene" in layout and layout["uirevision"] == layout["scene"]["uirevision"]
    assert "feature_dim" in at.query_params and at.query_params["feature_dim"] == "3"
    run = at.session_state["train_run"]
    snapshot = run.snapshot
    assert snapshot.features.shape[-1] == 3
    radii = np.linalg.norm(drawn_features(header), axis=1)
    np.testing.assert_allclose(radii, radii[0], rtol=1e-5)  # every feature at its direction on one sphere
    (mesh,) = traces(header, "mesh3d")
    regions = sphere_regions(snapshot.weights[0].astype(np.float64), 4, run.arcs[0].sphere.polar.size)
    codes = decode_typed_array(mesh["intensity"]).astype(int) - 1
    np.testing.assert_array_equal(codes, np.repeat(regions.labels.ravel(), 2))
    cones = traces(header, "cone")
    assert len(cones) == 4  # one class vector each


def test_play_keeps_the_camera_settings_the_same_in_every_update():
    at = start(feature_dim="3", **SMALL)
    at.button(key="train_play").click()
    at.run()
    layouts = []
    for _ in range(3):
        at.run()
        assert not at.exception
        layouts.append(views(at)["figure"]["layout"])
    steps = [at.session_state["train_run"].trainer.step]
    assert steps[0] > 0
    for layout in layouts:  # same uirevision and camera: Plotly.react keeps the user's rotation
        assert layout["uirevision"] == layouts[0]["uirevision"]
        assert layout["scene"]["camera"] == layouts[0]["scene"]["camera"]


def test_choosing_3_in_the_sidebar_restarts_with_a_notice_and_a_link():
    at = start(**SMALL)
    assert at.radio(key="ts_feature_dim").value == 2
    assert "scene" not in views(at)["figure"]["layout"]
    at.radio(key="ts_feature_dim").set_value(3)
    at.run()
    assert not at.exception
    assert any("feature_dim" in info.value for info in at.info)
    assert "scene" in views(at)["figure"]["layout"]
    assert at.query_params["feature_dim"] == "3"


@pytest.mark.parametrize("raw", ["4", "1", "three", "2.5"])
def test_a_bad_feature_dim_in_a_link_says_so_and_draws_the_plane(raw):
    at = start(feature_dim=raw)
    notices = [warning.value for warning in at.warning]
    assert any("feature_dim" in notice for notice in notices), notices
    assert at.radio(key="ts_feature_dim").value == 2
    assert "scene" not in views(at)["figure"]["layout"]


def test_compare_mode_in_3d_draws_one_sphere_per_model():
    at = start(feature_dim="3", compare_ms="1,2,4", **SMALL)
    layout = views(at)["figure"]["layout"]
    assert {"scene", "scene2", "scene3"} <= set(layout) and "scene4" not in layout
    titles = [annotation["text"] for annotation in layout["annotations"]]
    assert titles == ["features, softmax", "features, L-Softmax m=2", "features, L-Softmax m=4"]
    assert at.toggle(key="train_compare_regions").disabled
    run = at.session_state["train_run"]
    for g, m in enumerate((1, 2, 4)):
        (mesh,) = traces(views(at), "mesh3d", "scene" if g == 0 else f"scene{g + 1}")
        x, y, z = (decode_typed_array(mesh[axis]).astype(np.float64) for axis in "xyz")
        faces = np.stack([decode_typed_array(mesh[name]).astype(int) for name in "ijk"], axis=1)
        centroids = np.stack([x[faces].mean(1), y[faces].mean(1), z[faces].mean(1)], axis=1)
        expected = criterion_class(run.snapshot.weights[g].astype(np.float64), m, centroids)
        codes = decode_typed_array(mesh["intensity"]).astype(int) - 1
        assert np.mean(codes == expected) > 0.9  # off only along boundaries, a cell wide
