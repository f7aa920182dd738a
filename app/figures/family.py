"""The margin family side by side: class 1's decision boundary in the (theta1, theta2) plane (the
ArcFace paper's comparison) and the margin inside the wedge against theta12. Pure functions:
arrays in degrees in, go.Figure out."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go

from app.figures.style import CURVE_HEIGHT, MARGIN_COLOR, SOFTMAX_COLOR, base_layout
from app.figures.training import NARROW_BELOW

# The legend sits under the plot, never over the curves (a phone's narrow chart).
LEGEND_BELOW = {"orientation": "h", "x": 0.0, "xanchor": "left", "y": -0.2, "yanchor": "top", "font": {"size": 15}}
DEGREE_AXIS = {"range": [0, 180], "dtick": 30, "ticksuffix": "°"}
LINE_WIDTH = 3


def _narrow(height: int, y_dtick: float = 60) -> dict:
    """layout.meta for live_chart.js: under NARROW_BELOW px wide (a phone), where seven labels of
    "150°" would touch, one x tick every 60 degrees and one y tick every y_dtick."""
    ticks = {"xaxis": {"dtick": 60}, "yaxis": {"dtick": y_dtick}}
    return {"narrow": {"below": NARROW_BELOW, "height": height, "layout": ticks}}


def _member_traces(figure: go.Figure, x, curves: Mapping[str, tuple[str, np.ndarray]]) -> None:
    """One line per member: curves maps its legend label to (colour, y values)."""
    for label, (color, values) in curves.items():
        figure.add_scatter(
            x=np.asarray(x, np.float32), y=np.asarray(values, np.float32), name=label, mode="lines",
            line={"color": color, "width": LINE_WIDTH}, connectgaps=False,
        )  # fmt: skip


def angle_plane_figure(theta1_deg, curves: Mapping[str, tuple[str, np.ndarray]], height: int = CURVE_HEIGHT):
    """Class 1's boundary per member: theta2 (degrees) against theta1 (degrees), softmax's diagonal
    dashed. curves maps a legend label to (colour, theta2 array, NaN where there is none)."""
    figure = go.Figure()
    figure.add_scatter(
        x=[0, 180], y=[0, 180], name="softmax θ1 = θ2", mode="lines",
        line={"color": SOFTMAX_COLOR, "width": LINE_WIDTH, "dash": "dash"},
    )  # fmt: skip
    _member_traces(figure, theta1_deg, curves)
    figure.add_annotation(  # below the diagonal, where no member's line runs
        x=178, y=8, text="class 1's criterion<br>holds above its line", showarrow=False, xanchor="right",
        yanchor="bottom", font={"size": 15},
    )  # fmt: skip
    figure.update_layout(
        **base_layout(height, title={"text": "Decision boundaries in the (θ1, θ2) plane", "x": 0.02},
                      legend=LEGEND_BELOW, margin={"l": 70, "r": 20, "t": 50, "b": 50}),
        xaxis={"title": "θ1: angle of x to W1", **DEGREE_AXIS},
        yaxis={"title": "θ2: angle of x to W2", **DEGREE_AXIS},
        uirevision="family-plane",  # new parameters keep the user's zoom
        meta=_narrow(height),
    )  # fmt: skip
    return figure


def wedge_margin_figure(theta12_deg, curves: Mapping[str, tuple[str, np.ndarray]], height: int = CURVE_HEIGHT):
    """The margin inside the wedge (degrees) against theta12 (degrees) per member; the grey diagonal
    is the whole wedge. curves maps a legend label to (colour, margin array)."""
    figure = go.Figure()
    figure.add_scatter(
        x=[0, 180], y=[0, 180], name="the whole wedge", mode="lines",
        line={"color": MARGIN_COLOR, "width": LINE_WIDTH, "dash": "dot"},
    )  # fmt: skip
    _member_traces(figure, theta12_deg, curves)
    top = max([60.0, *(float(np.nanmax(values)) for _, values in curves.values() if np.any(np.isfinite(values)))])
    figure.update_layout(
        **base_layout(height, title={"text": "Margin inside the wedge, two classes", "x": 0.02},
                      legend=LEGEND_BELOW, margin={"l": 70, "r": 20, "t": 50, "b": 50}),
        xaxis={"title": "θ12: angle between W1 and W2", **DEGREE_AXIS},
        yaxis={"title": "margin", "range": [0, min(180.0, 1.1 * top)], "ticksuffix": "°"},
        uirevision="family-wedge",
        meta=_narrow(height, y_dtick=30),
    )  # fmt: skip
    return figure
