"""The two-class page in AppTest: controls change the numbers, and the numbers match the
closed form (equal norms) or lsoftmax directly; links restore state; bad links warn."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app.live_chart import unpack_message
from app.live_chart.encoding import decode_typed_array
from lab.explain import sample_readout
from lsoftmax.geometry import binary_boundaries, weights_from_polar

PAGE = str(Path(__file__).resolve().parents[2] / "app" / "views" / "binary.py")


def run(query=None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def metrics(at) -> dict:
    return {metric.label: metric.value for metric in at.metric}


def boundary_table(at) -> dict:
    table = at.table[0].value
    return dict(zip(table.index, table.iloc[:, 0], strict=True))


def plane(at) -> dict:
    """The figure the live plane chart got in this run (from the component's payload)."""
    header, _ = unpack_message(at.get("bidi_component")[0].proto.bytes)
    return header["figure"]


def plane_config(at) -> dict:
    return unpack_message(at.get("bidi_component")[0].proto.bytes)[0]["config"]


def notes(figure) -> list[str]:
    return [note.get("text", "") for note in figure["layout"]["annotations"]]


def sweep(at) -> dict:
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def test_defaults_show_the_closed_form_margin():
    at = run()
    assert not at.exception
    shown = metrics(at)
    assert shown["Margin (measured)"] == "54.00°"  # (4-1)/(4+1) * 90
    assert shown["Closed form (m−1)/(m+1)·θ12"] == "54.00°"
    assert boundary_table(at) == {
        "softmax boundary": "45.00°",
        "class-1 L-Softmax boundary": "18.00°",
        "class-2 L-Softmax boundary": "72.00°",
    }


@pytest.mark.parametrize(("m", "theta12"), [(1, 90), (3, 90), (5, 120), (8, 30)])
def test_moving_m_and_theta_changes_the_margin(m, theta12):
    at = run()
    at.slider(key="m").set_value(m)
    at.slider(key="t12").set_value(theta12)
    at.run()
    expected = (m - 1) / (m + 1) * theta12
    assert metrics(at)["Margin (measured)"] == f"{expected:.2f}°"
    assert boundary_table(at)["class-1 L-Softmax boundary"] == f"{theta12 / (m + 1):.2f}°"


def test_unequal_norms_match_the_library_and_drop_the_closed_form():
    at = run()
    at.toggle(key="lock").set_value(False).run()
    at.slider(key="n1").set_value(3.0).run()
    at.slider(key="n2").set_value(1.5).run()
    expected = binary_boundaries(3.0, 1.5, math.radians(90), 4)
    shown = metrics(at)
    assert shown["Margin (measured)"] == f"{math.degrees(expected.margin):.2f}°"
    assert "Closed form (m−1)/(m+1)·θ12" not in shown
    assert boundary_table(at)["class-1 L-Softmax boundary"] == f"{math.degrees(expected.class1):.2f}°"


def test_unlocking_copies_the_norm():
    at = run()
    at.slider(key="n1").set_value(3.5).run()
    at.toggle(key="lock").set_value(False).run()
    assert at.slider(key="n2").value == 3.5


@pytest.mark.parametrize(("preset", "norms"), [(0, (2.0, 2.0)), (1, (3.0, 1.5)), (2, (1.5, 3.0))])
def test_presets_set_the_three_cases_of_figure_4(preset, norms):
    at = run()
    at.button[preset].click().run()
    assert at.slider(key="n1").value == norms[0]
    assert at.toggle(key="lock").value == (norms[0] == norms[1])
    if norms[0] != norms[1]:
        assert at.slider(key="n2").value == norms[1]
    title = plane(at)["layout"]["title"]["text"]
    assert f"|W1| = {norms[0]:g}" in title and f"|W2| = {norms[1]:g}" in title


@pytest.mark.parametrize(("m", "theta12"), [(2, 90), (4, 90), (6, 150)])
def test_the_plane_draws_the_closed_form_margin_in_place(m, theta12):
    at = run()
    at.slider(key="m").set_value(m)
    at.slider(key="t12").set_value(theta12)
    at.run()
    figure = plane(at)
    assert f"margin {(m - 1) / (m + 1) * theta12:.1f}°" in notes(figure)
    assert f"θ<sub>12</sub> = {theta12}°" in notes(figure)
    assert figure["layout"]["title"]["text"].startswith(f"L-Softmax m = {m},")


def test_the_plane_keeps_its_zoom_revision_and_png_export_across_changes():
    at = run()
    before = plane(at)["layout"]["uirevision"]
    at.slider(key="t12").set_value(120).run()
    at.slider(key="xa").set_value(40).run()
    assert before and plane(at)["layout"]["uirevision"] == before  # the user's zoom survives the sliders
    config = plane_config(at)
    assert config["modeBarButtons"] == [["toImage"]]
    assert config["toImageButtonOptions"] == {"format": "png", "filename": "lsoftmax-two-classes", "scale": 3}


def test_the_sample_star_sits_where_the_sliders_put_it():
    at = run()
    at.slider(key="xa").set_value(-30).run()
    at.slider(key="xn").set_value(2.5).run()
    star = next(trace for trace in plane(at)["data"] if trace.get("name") == "sample x")
    direction = math.radians(45 - 30)  # W1 at 45 degrees (theta12 = 90 around the vertical), x 30 degrees clockwise
    np.testing.assert_allclose(decode_typed_array(star["x"]), [2.5 * math.cos(direction)], rtol=1e-6)
    np.testing.assert_allclose(decode_typed_array(star["y"]), [2.5 * math.sin(direction)], rtol=1e-6)


def test_sample_readout_matches_an_independent_computation():
    at = run()
    at.slider(key="xa").set_value(10).run()
    at.slider(key="xn").set_value(1.5).run()
    # W1 and W2 sit symmetric about the vertical axis; x is 10 degrees from W1 towards W2.
    first = math.radians(90 - 45)
    weights = weights_from_polar([first, first + math.radians(90)], [2.0, 2.0])
    x = 1.5 * np.array([math.cos(first + math.radians(10)), math.sin(first + math.radians(10))])
    readout = sample_readout(weights, x, 4)
    table = at.table[1].value
    assert table.loc["θ to W (°)"].tolist() == ["10.00", "80.00"]
    assert table.loc["L-Softmax loss"].tolist() == [f"{v:.4f}" for v in readout.lsoftmax_loss]
    assert table.loc["softmax P(label)"].tolist() == [f"{v:.4f}" for v in readout.softmax_prob]
    assert table.loc["criterion holds"].tolist() == ["yes", "no"]  # 10 < 90/5 = 18 degrees
    assert any("class 1" in md.value for md in at.markdown)


def test_the_field_adds_a_heatmap_and_the_sweep_adds_frames():
    at = run({"field": "L-Softmax", "sweep": "true"})
    assert not at.exception
    assert plane(at)["data"][0]["type"] == "heatmap"
    assert len(at.get("plotly_chart")) == 1  # the sweep stays a plain plotly chart (browser-side frames)
    assert [frame["name"] for frame in sweep(at)["frames"]] == [str(m) for m in range(1, 9)]


def test_a_link_restores_the_state():
    at = run({"m": "2", "t12": "120", "lock": "false", "n1": "1.5", "n2": "1.5"})
    assert not at.exception and not at.warning
    assert at.slider(key="m").value == 2 and at.slider(key="t12").value == 120
    assert metrics(at)["Margin (measured)"] == "40.00°"  # 1/3 * 120
    assert at.code[0].value == "/binary?m=2&n1=1.5&n2=1.5&lock=false&t12=120"


@pytest.mark.parametrize(
    ("query", "named"),
    [({"m": "99"}, "m=99 is outside 1..8"), ({"t12": "abc"}, "t12=abc is not a number"), ({"field": "x"}, "field=x")],
)
def test_bad_links_fall_back_with_a_notice(query, named):
    at = run(query)
    assert not at.exception
    assert any(named in warning.value for warning in at.warning)
    assert metrics(at)["Margin (measured)"] == "54.00°"  # the defaults
