"""The geometry pages' margin-family controls in AppTest: every member's margin against
margin-family.md's brute-force check values and lsoftmax.geometry, the compared member drawn over
the first, s only where it counts, and the members' settings round-tripping through links."""

import math
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app.explorer_controls import BINARY_M, MEMBER, MULTICLASS_M, VERSUS, member_choices
from app.figures.geometry import OVERLAY_GAP_RADIUS
from app.figures.scenes import member_readout
from app.live_chart import unpack_message
from app.live_chart.encoding import decode_typed_array
from lab.explain import sample_readout
from lsoftmax.geometry import feasible_arcs, margin_gaps, wedge_margin, weights_from_polar
from lsoftmax.margins import ArcFace, CombinedMargin, CosFace, LSoftmax, SphereFace

VIEWS = Path(__file__).resolve().parents[2] / "app" / "views"
HALF_RADIAN_DEG = math.degrees(0.5)  # ArcFace's m = 0.5 rad, the doc's check value
COMBINED_M2_DEG = math.degrees(0.3)


def run(page: str, query=None) -> AppTest:
    at = AppTest.from_file(str(VIEWS / f"{page}.py"), default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def metrics(at) -> dict:
    return {metric.label: metric.value for metric in at.metric}


def payload(at) -> dict:
    return unpack_message(at.get("bidi_component")[0].proto.bytes)[0]


def traces(at, meta: str) -> list[dict]:
    return [trace for trace in payload(at)["figure"]["data"] if trace.get("meta") == meta]


# margin-family.md section 2, brute force over 2,000,001 directions (degrees), equal norms.
CHECK_VALUES = [
    ({"loss": "L-Softmax", "m": "2"}, 120, 40.000),
    ({"loss": "A-Softmax", "m": "4"}, 150, 90.000),
    ({"loss": "CosFace", "cm": "0.35"}, 60, 40.975),
    ({"loss": "CosFace", "cm": "0.35"}, 150, 20.876),
    ({"loss": "CosFace", "cm": "0.35"}, 30, 30.000),  # the whole wedge
    ({"loss": "ArcFace", "am": repr(HALF_RADIAN_DEG)}, 30, 28.648),
    ({"loss": "ArcFace", "am": repr(HALF_RADIAN_DEG)}, 150, 28.648),
    ({"loss": "combined", "m1": "1", "m2": repr(COMBINED_M2_DEG), "m3": "0.2"}, 90, 31.463),
    ({"loss": "combined", "m1": "1", "m2": repr(COMBINED_M2_DEG), "m3": "0.2"}, 30, 30.000),
]


@pytest.mark.parametrize(("query", "theta12", "expected"), CHECK_VALUES)
def test_each_members_margin_matches_the_docs_check_values(query, theta12, expected):
    at = run("binary", {**query, "t12": str(theta12)})
    assert not at.exception and not at.warning
    assert float(metrics(at)["Margin (measured)"].rstrip("°")) == pytest.approx(
        expected, abs=0.0051
    )  # shown to 2 decimals


def test_a_softmax_ignores_the_norms_that_move_l_softmax():
    query = {"lock": "false", "n1": "3", "n2": "1.5", "t12": "120"}
    lsoftmax, sphereface = run("binary", query), run("binary", {**query, "loss": "A-Softmax"})
    assert metrics(sphereface)["Margin (measured)"] == "72.00°" == metrics(sphereface)["Closed form (m−1)/(m+1)·θ12"]
    assert metrics(lsoftmax)["Margin (measured)"] != "72.00°"
    assert "|W1| = 3" in payload(lsoftmax)["figure"]["layout"]["title"]["text"]
    assert payload(sphereface)["figure"]["layout"]["title"]["text"] == "A-Softmax m = 4"  # norms do not count


@pytest.mark.parametrize(
    ("member", "key", "value", "margin"),
    [("CosFace", "cm", 0.2, CosFace(0.2)), ("ArcFace", "am", 40.0, ArcFace(math.radians(40.0)))],
)
def test_the_members_slider_moves_the_margin_the_library_computes(member, key, value, margin):
    at = run("binary")
    at.radio(key="loss").set_value(member).run()
    at.slider(key=key).set_value(value).run()
    assert not at.exception
    expected = math.degrees(wedge_margin(2.0, 2.0, math.radians(90), margin))
    assert metrics(at)["Margin (measured)"] == f"{expected:.2f}°"
    live = payload(at)["live"]
    assert live["values"]["loss"] == member and live["values"][key] == value
    assert live["controls"][0]["key"] == key  # the bar above the plane moves this member's m
    assert at.code[0].value.startswith(f"/binary?loss={member}&{key}=")


def test_the_compared_member_is_drawn_over_the_first_with_both_named():
    at = run("binary", {"vs": "ArcFace", "vam": "30"})
    assert not at.exception and not at.warning
    assert metrics(at)["Margin of ArcFace m = 30°"] == "30.00°"  # constant, whatever theta12
    assert metrics(at)["Margin (measured)"] == "54.00°"  # L-Softmax m = 4 at 90°
    figure = payload(at)["figure"]
    names = [trace.get("name") for trace in figure["data"] if trace.get("showlegend") is not False]
    assert "margin: L-Softmax m = 4" in names and "margin: ArcFace m = 30°" in names
    assert "boundaries: ArcFace m = 30°" in names
    assert figure["layout"]["title"]["text"].startswith("L-Softmax m = 4 vs ArcFace m = 30°")
    assert [trace["line"]["dash"] for trace in traces(at, "overlay_edges")] == ["dot", "dot"]
    # The band of ArcFace's margins: on the circle of its radius, over the widths the library finds.
    band = traces(at, "overlay_gaps")[0]
    x, y = decode_typed_array(band["x"]), decode_typed_array(band["y"])
    finite = np.isfinite(x)
    np.testing.assert_allclose(np.hypot(x[finite], y[finite]), OVERLAY_GAP_RADIUS, rtol=1e-5)
    weights = weights_from_polar([math.radians(45), math.radians(135)], [2.0, 2.0])
    gaps = margin_gaps(feasible_arcs(weights, ArcFace(math.radians(30))))
    pieces = np.split(np.arctan2(y, x), np.flatnonzero(~finite))
    spans = sorted(np.ptp(np.unwrap(piece[np.isfinite(piece)])) for piece in pieces if np.isfinite(piece).sum() > 1)
    np.testing.assert_allclose(spans, sorted(gap.width for gap in gaps), atol=1e-5)


def test_s_is_offered_only_where_x_is_normalised_and_never_moves_the_geometry():
    assert not [slider for slider in run("binary").slider if slider.key == "s"]
    at = run("binary", {"loss": "ArcFace", "xa": "10", "xn": "1.5"})
    before = metrics(at)["Margin (measured)"], payload(at)["figure"]["data"]
    loss = at.table[1].value.loc["ArcFace loss"].tolist()
    at.slider(key="s").set_value(8.0).run()
    assert (metrics(at)["Margin (measured)"], payload(at)["figure"]["data"]) == before
    # Label 1 with theta1 = 10 degrees: its logit s cos(theta1 + m), label 2's s cos(80 degrees).
    target, rival = 8.0 * math.cos(math.radians(10) + math.radians(28.6)), 8.0 * math.cos(math.radians(80))
    expected = math.log1p(math.exp(rival - target))
    assert at.table[1].value.loc["ArcFace loss"].tolist()[0] == f"{expected:.4f}" != loss[0]


def test_the_field_and_sweep_belong_to_l_softmax():
    at = run("binary", {"loss": "CosFace", "field": "L-Softmax", "sweep": "true"})
    assert not at.exception
    assert all(trace.get("type") != "heatmap" for trace in payload(at)["figure"]["data"])
    assert not at.get("plotly_chart") and not at.get("download_button")


def test_a_members_link_restores_it_and_its_comparison():
    query = {"loss": "combined", "m1": "1.5", "m2": "10", "m3": "0.1", "vs": "CosFace", "vcm": "0.2", "t12": "100"}
    at = run("binary", query)
    assert not at.exception and not at.warning
    assert at.radio(key="loss").value == "combined" and at.slider(key="m1").value == 1.5
    assert at.radio(key="vs").value == "CosFace" and at.slider(key="vcm").value == 0.2
    margin = CombinedMargin(1.5, math.radians(10), 0.1)
    assert metrics(at)["Margin (measured)"] == f"{math.degrees(wedge_margin(2, 2, math.radians(100), margin)):.2f}°"
    assert at.code[0].value == "/binary?t12=100&loss=combined&m1=1.5&m2=10&m3=0.1&vcm=0.2&vs=CosFace"


def test_an_l_softmax_link_reads_as_before():
    at = run("binary", {"m": "3"})
    assert at.radio(key="loss").value == "L-Softmax" and at.radio(key="vs").value == "none"
    assert metrics(at)["Margin (measured)"] == "45.00°"
    assert at.code[0].value == "/binary?m=3"


@pytest.mark.parametrize(
    ("page", "query", "named"),
    [
        ("binary", {"loss": "softmax2"}, "loss=softmax2 is not one of"),
        ("binary", {"loss": "ArcFace", "am": "200"}, "am=200 is outside 0..90"),
        ("binary", {"vs": "cosface2"}, "vs=cosface2 is not one of"),
        ("multiclass", {"loss": "CosFace", "cm": "abc"}, "cm=abc is not a number"),
        ("multiclass", {"vs": "ArcFace", "vam": "-5"}, "vam=-5 is outside 0..90"),
    ],
)
def test_bad_member_links_fall_back_with_a_notice(page, query, named):
    at = run(page, query)
    assert not at.exception
    assert any(named in warning.value for warning in at.warning)


@pytest.mark.parametrize(
    ("query", "margin"),
    [({"loss": "ArcFace", "am": "20"}, ArcFace(math.radians(20))), ({"loss": "CosFace", "cm": "0.5"}, CosFace(0.5))],
)
def test_multiclass_margins_follow_the_member_and_ignore_the_norms(query, margin):
    at = run("multiclass", {**query, "k": "5", "a2": "100", "n3": "0.5", "vs": "L-Softmax", "vm": "2"})
    assert not at.exception and not at.warning
    weights = weights_from_polar(np.radians([0, 100, 144, 216, 288]), [1.0] * 5)  # norms drop out
    expected = [math.degrees(gap.width) for gap in margin_gaps(feasible_arcs(weights, margin))]
    assert [float(v) for v in at.table[0].value["margin (°)"]] == pytest.approx(expected, abs=0.006)
    figure = payload(at)["figure"]
    assert figure["layout"]["title"]["text"].endswith(" vs L-Softmax m = 2")
    assert len(traces(at, "overlay_edges")) == 5 and len(traces(at, "overlay_gaps")) == 1
    assert not any("shortest vector" in info.value for info in at.info)  # the norms do not count here


def test_multiclass_same_direction_is_one_vector_for_a_normalised_member():
    at = run("multiclass", {"loss": "ArcFace", "a2": "0", "n2": "1"})
    assert not at.exception
    assert "sees as one vector" in at.error[0].value


def test_the_member_readout_of_l_softmax_is_lab_explains_readout():
    # Two routes to the same numbers: lsoftmax.functional's torch logits and lab.explain's numpy psi.
    rng = np.random.default_rng(8)
    for _ in range(20):
        weights = rng.normal(size=(int(rng.integers(2, 5)), 2))
        x, m = rng.normal(size=2) * 2, int(rng.integers(1, 6))
        mine, reference = member_readout(weights, x, LSoftmax(m)), sample_readout(weights, x, m)
        for name in ("theta", "softmax_logits", "lsoftmax_logits", "softmax_prob", "lsoftmax_loss", "criterion"):
            np.testing.assert_allclose(getattr(mine, name), getattr(reference, name), atol=1e-9, err_msg=name)


def test_the_cosface_readout_is_its_formula():
    weights, x = np.array([[2.0, 0.0], [0.0, 0.5]]), np.array([1.0, 1.0])  # theta = 45 degrees to both
    readout = member_readout(weights, x, CosFace(0.35, s=10.0))
    plain = 10.0 * math.cos(math.pi / 4)  # the norms drop out: s cos theta for both classes
    np.testing.assert_allclose(readout.softmax_logits, [plain, plain])
    np.testing.assert_allclose(readout.lsoftmax_logits, [plain - 3.5, plain - 3.5])  # s (cos - m)
    np.testing.assert_allclose(readout.lsoftmax_loss, [math.log1p(math.exp(3.5))] * 2)
    assert not readout.criterion.any()  # 45 degrees from each: the bisector is margin


@pytest.mark.parametrize("page_m", [BINARY_M, MULTICLASS_M])
def test_member_choices_give_the_library_its_units(page_m):
    values = {page_m.key: 3, "cm": 0.3, "am": 45.0, "m1": 2.0, "m2": 90.0, "m3": 0.4, "s": 16.0}
    built = {label: choice.margin(values) for label, choice in member_choices(page_m).items()}
    assert built == {
        "L-Softmax": LSoftmax(3),
        "A-Softmax": SphereFace(3),
        "CosFace": CosFace(0.3, s=16.0),
        "ArcFace": ArcFace(math.pi / 4, s=16.0),
        "combined": CombinedMargin(2.0, math.pi / 2, 0.4, s=16.0),
    }
    assert set(member_choices(page_m)) == set(MEMBER.options) == set(VERSUS.options) - {"none"}
