"""The sphere geometry page in AppTest: controls, links, bad links, and the figure against the library."""

import math
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app.live_chart import unpack_message
from app.live_chart.encoding import decode_typed_array
from app.sphere_presets import PRESETS
from lsoftmax.geometry import criterion_class
from lsoftmax.margins import ArcFace, CosFace, LSoftmax

PAGE = str(Path(__file__).resolve().parents[2] / "app" / "views" / "sphere.py")
TETRAHEDRON = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]]) / math.sqrt(3)  # written out again here


def start(**query) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for name, value in query.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    return at


def figure(at: AppTest) -> dict:
    header, _ = unpack_message(at.get("bidi_component")[0].proto.bytes)
    return header["figure"]


def face_codes_against_the_library(fig: dict, weights: np.ndarray, member) -> float:
    """Share of the sphere's faces whose colour code is the library's criterion_class at the face's centre."""
    (mesh,) = [trace for trace in fig["data"] if trace["type"] == "mesh3d"]
    vertices = np.stack([decode_typed_array(mesh[axis]).astype(np.float64) for axis in "xyz"], axis=1)
    faces = np.stack([decode_typed_array(mesh[name]).astype(int) for name in "ijk"], axis=1)
    centres = vertices[faces].mean(axis=1)
    codes = decode_typed_array(mesh["intensity"]).astype(int) - 1
    return float(np.mean(codes == criterion_class(weights, member, centres)))


def cone_directions(fig: dict) -> np.ndarray:
    cones = [trace for trace in fig["data"] if trace["type"] == "cone"]
    return np.array([[cone["u"][0], cone["v"][0], cone["w"][0]] for cone in cones])


def test_the_default_is_the_tetrahedron_with_l_softmax_m4():
    at = start()
    fig = figure(at)
    np.testing.assert_allclose(cone_directions(fig), TETRAHEDRON, atol=1e-12)
    assert face_codes_against_the_library(fig, TETRAHEDRON, LSoftmax(m=4)) > 0.95
    rows = at.table[0].value  # region shares: four equal classes by symmetry, and a margin
    shares = [float(share) for share in rows.iloc[:, 1]]
    assert max(shares[:4]) - min(shares[:4]) < 1.0 and shares[4] > 10
    assert not at.warning


def test_m1_leaves_no_margin_and_every_class_a_quarter():
    at = start(m="1")
    shares = [float(share) for share in at.table[0].value.iloc[:, 1]]
    assert shares[4] == pytest.approx(0.0, abs=0.5)
    np.testing.assert_allclose(shares[:4], 25.0, atol=1.0)


def test_a_link_sets_the_member_and_its_margin():
    at = start(loss="ArcFace", am="17.2", preset="octahedron")  # degrees, as on /binary
    assert at.radio(key="loss").value == "ArcFace" and at.slider(key="am").value == pytest.approx(17.2)
    fig = figure(at)
    octahedron = np.concatenate([np.eye(3), -np.eye(3)])
    np.testing.assert_allclose(cone_directions(fig), octahedron, atol=1e-12)
    assert face_codes_against_the_library(fig, octahedron, ArcFace(m=math.radians(17.2))) > 0.95
    # the neighbours are 90 degrees apart: ArcFace's two-class margin on their great circle is m itself
    margins = [float(value) for value in at.table[1].value.iloc[:, 2]]
    assert margins and margins == pytest.approx([17.2] * len(margins), abs=0.05)
    assert "ArcFace m = 17.2°" in fig["layout"]["annotations"][0]["text"]


def test_switching_the_member_shows_its_own_sliders():
    at = start()
    assert at.slider(key="m") is not None
    at.radio(key="loss").set_value("CosFace").run()
    assert not at.exception
    assert [slider.key for slider in at.slider if slider.key != "k"] == ["cm"]
    assert "CosFace" in figure(at)["layout"]["annotations"][0]["text"]
    weights = TETRAHEDRON
    assert face_codes_against_the_library(figure(at), weights, CosFace(m=0.35)) > 0.95


def test_random_directions_follow_k_and_the_seed():
    at = start(preset="random", k="7", seed="3")
    first = cone_directions(figure(at))
    assert first.shape == (7, 3)
    at.number_input(key="seed").set_value(4).run()
    assert not np.allclose(cone_directions(figure(at)), first)


@pytest.mark.parametrize(
    ("query", "named"),
    [({"loss": "Bogus"}, "loss"), ({"m": "99"}, "m"), ({"preset": "dodecahedron"}, "preset"), ({"k": "x"}, "k")],
)
def test_a_bad_link_shows_a_notice_and_draws_the_default(query, named):
    at = start(**query)
    warnings = " ".join(warning.value for warning in at.warning)
    assert f"{named}=" in warnings
    assert figure(at)["data"]


def test_the_arrangement_radio_shows_its_url_values_and_a_link_reopens_one():
    """A URL-bound radio writes the text it shows into the URL: the options must be shown as the
    keys (descriptions are captions), and preset=octahedron must reopen the octahedron."""
    at = start()
    assert at.radio(key="preset").options == list(PRESETS)
    reopened = start(preset="octahedron")
    assert not reopened.warning
    np.testing.assert_allclose(cone_directions(figure(reopened)), np.concatenate([np.eye(3), -np.eye(3)]), atol=1e-12)
