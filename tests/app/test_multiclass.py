"""The K-class page in AppTest: margins match the closed form for even, equal-norm classes and
lsoftmax.geometry otherwise; K, presets and links change the numbers; bad links warn."""

import math
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app.live_chart import unpack_message
from lsoftmax.geometry import feasible_arcs, margin_gaps, weights_from_polar

PAGE = str(Path(__file__).resolve().parents[2] / "app" / "views" / "multiclass.py")


def run(query=None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def margins(at) -> list[float]:
    return [float(value) for value in at.table[0].value["margin (°)"]]


def feasible(at) -> list[float]:
    return [float(value) for value in at.table[1].value["feasible (°)"]]


def plane(at) -> dict:
    """The figure the live plane chart got in this run (from the component's payload)."""
    return unpack_message(at.get("bidi_component")[0].proto.bytes)[0]["figure"]


def class_labels(figure) -> list[str]:
    return [note["text"] for note in figure["layout"]["annotations"] if note.get("text", "").startswith("<b>W")]


@pytest.mark.parametrize(("k", "m"), [(3, 2), (6, 5)])
def test_the_plane_shows_k_vectors_and_the_closed_form_margins(k, m):
    at = run()
    before = plane(at)["layout"]["uirevision"]
    at.slider(key="k").set_value(k).run()
    at.slider(key="m").set_value(m).run()
    figure = plane(at)
    assert figure["layout"]["title"]["text"] == f"K = {k}, L-Softmax m = {m}"
    assert class_labels(figure) == [f"<b>W<sub>{j + 1}</sub></b>" for j in range(k)]
    margin = (m - 1) / (m + 1) * 360 / k  # even, equal norms
    assert [note["text"] for note in figure["layout"]["annotations"]].count(f"{margin:.0f}°") == k
    assert before and figure["layout"]["uirevision"] == before  # the user's zoom survives the sliders


def test_defaults_four_even_classes():
    at = run()
    assert not at.exception
    # Neighbours 90 degrees apart, equal norms, m = 3: (m - 1)/(m + 1) * 90 = 45 degrees each.
    assert margins(at) == [45.0] * 4
    assert at.table[1].value["angle (°)"].tolist() == ["0", "90", "180", "270"]


@pytest.mark.parametrize(("k", "m"), [(3, 2), (5, 4), (8, 2)])
def test_changing_k_respaces_and_margins_follow(k, m):
    at = run()
    at.slider(key="k").set_value(k).run()
    at.slider(key="m").set_value(m).run()
    assert [at.slider(key=f"a{j + 1}").value for j in range(k)] == [round(360 * j / k) for j in range(k)]
    assert len(at.table[1].value) == k
    if 360 % k == 0:  # exactly even: every margin is (m - 1)/(m + 1) * 360/k
        expected = (m - 1) / (m + 1) * 360 / k
        np.testing.assert_allclose(margins(at), [expected] * k, atol=0.006)


def test_shrinking_class_1_narrows_its_wedge_and_explains_why():
    at = run()
    at.button[0].click().run()  # "shrink class 1"
    assert at.slider(key="n1").value == 1.0
    weights = weights_from_polar(np.radians([0, 90, 180, 270]), [1.0, 2.0, 2.0, 2.0])
    arcs = feasible_arcs(weights, 3)
    expected = [math.degrees(sum(end - start for start, end in class_arcs)) for class_arcs in arcs]
    np.testing.assert_allclose(feasible(at), expected, atol=0.006)
    assert feasible(at)[0] < feasible(at)[2]
    assert "W1 is the shortest vector" in at.info[0].value
    at.button[2].click().run()  # "equal norms"
    assert margins(at) == [45.0] * 4 and not at.info


def test_an_edited_angle_matches_the_library():
    at = run()
    at.slider(key="a2").set_value(60).run()
    weights = weights_from_polar(np.radians([0, 60, 180, 270]), [2.0] * 4)
    gaps = margin_gaps(feasible_arcs(weights, 3))
    np.testing.assert_allclose(sorted(margins(at)), sorted(round(math.degrees(g.width), 2) for g in gaps), atol=0.006)


def test_a_link_restores_the_state():
    at = run({"k": "3", "m": "2", "a2": "100", "n3": "0.5"})
    assert not at.exception and not at.warning
    assert at.table[1].value["angle (°)"].tolist() == ["0", "100", "240"]
    assert at.table[1].value["norm"].tolist() == ["2", "2", "0.5"]
    assert at.code[0].value == "/multiclass?k=3&m=2&a2=100&n3=0.5"


@pytest.mark.parametrize(
    ("query", "named"),
    [({"k": "11"}, "k=11 is outside 2..10"), ({"n2": "-1"}, "n2=-1 is outside 0.1..5"), ({"n1": "nan"}, "n1=nan")],
)
def test_bad_links_fall_back_with_a_notice(query, named):
    at = run(query)
    assert not at.exception
    assert any(named in warning.value for warning in at.warning)
    assert margins(at) == [45.0] * 4


def test_identical_vectors_show_a_message_not_a_traceback():
    at = run({"a2": "0"})  # W1 and W2 on top of each other, same norm
    assert not at.exception
    assert "W1 and W2 are the same vector" in at.error[0].value
    at.slider(key="n2").set_value(1.0).run()  # same direction, different norms: drawable
    assert not at.error and len(at.table[1].value) == 4
