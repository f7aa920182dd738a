"""The live chart's controls: specs built from the URL Params (one source of limits), settled
values checked against the same Params before they reach the page, presenter-mode sizes."""

import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from app.figures.style import CHART_TEXT_MIN, PRESENT_TEXT_MIN
from app.links import Param
from app.live_chart.controls import Control, checked_value, live_spec
from app.live_chart.theme import PRESENT_LINE_SCALE, figure_dict

M = Param("m", 4, 1, 8)
NORM = Param("n1", 2.0, 0.1, 5.0)


def test_a_control_spec_takes_its_limits_from_the_param():
    assert Control(M, "m").spec() == {"key": "m", "label": "m", "min": 1, "max": 8, "step": 1, "unit": ""}
    spec = live_spec("binary", {"m": 4}, [Control(NORM, "|W1|", 0.1)], {"extent": 5.5})
    assert spec["controls"][0]["min"] == 0.1 and spec["controls"][0]["max"] == 5.0
    with pytest.raises(ValueError, match="kind"):
        live_spec("bogus", {}, [], {})


@pytest.mark.parametrize(
    ("param", "raw", "expected"),
    [(M, 5, 5), (M, 5.0, 5), (M, 5.5, None), (M, 9, None), (M, "5", None), (M, True, None),
     (NORM, 0.05, None), (NORM, 2.5, 2.5), (NORM, float("nan"), None), (NORM, float("inf"), None)],
)  # fmt: skip
def test_settled_values_are_checked_against_the_param(param, raw, expected):
    assert checked_value(param, raw) == expected


def settle_app():
    import streamlit as st

    from app.links import Param
    from app.live_chart.controls import apply_settled

    params = (Param("m", 4, 1, 8), Param("t12", 90, 1, 180))
    if "ignored" not in st.session_state:
        st.session_state.ignored = apply_settled({"m": 6, "t12": 500, "evil": 1}, params)
    st.text(f"{st.session_state.get('m')} {st.session_state.get('t12')} {st.session_state.ignored}")


def test_apply_settled_stores_valid_values_and_reports_the_rest():
    at = AppTest.from_function(settle_app).run()
    assert not at.exception
    assert at.text[0].value == "6 None ['t12', 'evil']"  # m stored; t12 out of range and evil unknown: ignored


def test_presenter_mode_makes_every_chart_text_at_least_18_px_and_lines_thicker():
    figure = go.Figure(go.Scatter(x=[1, 2], y=[3, 4], line={"width": 2}, textfont={"size": 12}))
    figure.update_layout(
        height=400, title={"text": "T"}, xaxis={"title": "x"}, annotations=[{"text": "a", "font": {"size": 10}}]
    )
    plain, present = figure_dict(figure), figure_dict(figure, present=True)
    assert plain["layout"]["template"]["layout"]["xaxis"]["tickfont"]["size"] == CHART_TEXT_MIN
    layout = present["layout"]
    assert "height" not in layout and layout["autosize"] is True  # the container sets the height
    assert layout["font"]["size"] >= PRESENT_TEXT_MIN
    assert layout["xaxis"]["tickfont"]["size"] >= PRESENT_TEXT_MIN
    assert layout["xaxis"]["title"]["font"]["size"] >= PRESENT_TEXT_MIN
    assert layout["annotations"][0]["font"]["size"] >= PRESENT_TEXT_MIN
    assert present["data"][0]["line"]["width"] == 2 * PRESENT_LINE_SCALE
    assert present["data"][0]["textfont"]["size"] >= PRESENT_TEXT_MIN
    assert figure.layout.height == 400  # the figure itself is not changed
