"""Figure 2 on real digits: pure functions from a lab.digits.DigitsResult to plotly figure dicts,
and the files the command line writes (interactive HTML always, PNG where kaleido can run).

Panels reuse the live training lab's feature-space traces (app/figures/training.py): class
vectors, features coloured by class, grey margins between the exact feasible arcs. Each m gets
its own axis range (its features' |x| differ by model), shared by its train and test panels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.figures.style import MARGIN_COLOR, class_color
from app.figures.training import (
    FONT_SIZE,
    FeatureScene,
    _axes_layout,
    _base_layout,
    _columns,
    feature_traces,
    nice_extent,
    panel_title,
)
from lsoftmax.geometry import feasible_arcs, margin_gaps

PANEL_POINTS = 800  # features drawn per panel (thinned evenly; the metrics use every image)
EXTENT_QUANTILE = 0.98  # a panel's half-width covers this share of its model's features
PANEL_HEIGHT = 330  # px per row of panels
ANGLE_HEIGHT = 320
PNG_SCALE = 2


def model_extent(model) -> float:
    """Axis half-width for one model: the EXTENT_QUANTILE of its train and test |x|, rounded up."""
    features = np.concatenate([model.train_features, model.test_features])
    norms = np.hypot(features[:, 0], features[:, 1])
    return nice_extent(float(np.quantile(norms, EXTENT_QUANTILE)) if norms.size else 1.0)


def _scene(model, split: str, labels: np.ndarray) -> FeatureScene:
    features = model.train_features if split == "train" else model.test_features
    arcs = feasible_arcs(model.weights, model.m)
    gaps = [(gap.start, gap.end) for gap in margin_gaps(arcs) if gap.width > 0]
    is_test = np.full(len(labels), split == "test")
    return FeatureScene(features, labels, is_test, model.weights, arcs, gaps, f"m = {model.m}")


def _as_digits(traces: list[dict]) -> list[dict]:
    """Name classes by their digit (class j is the digit j), as the paper's legend does."""
    for trace in traces:
        for key in ("name", "legendgroup"):
            if str(trace.get(key, "")).startswith("class "):
                trace[key] = f"digit {int(trace[key].split()[1]) - 1}"
        text = trace.get("text")
        if isinstance(text, list) and len(text) == 2 and str(text[1]).startswith("W"):
            trace["text"] = ["", f"W{int(text[1][1:]) - 1}"]
    return traces


def feature_grid(result, splits=("train", "test"), columns: int | None = None, panel_height=PANEL_HEIGHT) -> dict:
    """Feature panels by digit with W_j and margins (the paper's Figure 2), one per (split, m).

    Panels run row by row, `columns` to a row (default: one column per m, so rows are splits).
    """
    models = result.models
    columns = columns or len(models)
    panels = [(split, model) for split in splits for model in models]
    rows = -(-len(panels) // columns)
    gap = 0.06 / rows
    height = rows * panel_height + 60
    layout = _base_layout(height)
    layout.update(margin={"l": 40, "r": 10, "t": 30, "b": 60}, annotations=[])
    layout["legend"] = {"orientation": "h", "x": 0, "y": -30 / height, "yanchor": "top"}
    labels = {"train": np.asarray(result.train_labels), "test": np.asarray(result.test_labels)}
    extents = {model.m: model_extent(model) for model in models}
    row_height = (1.0 - gap * (rows - 1)) / rows
    data = []
    for number, (split, model) in enumerate(panels):
        row, column = divmod(number, columns)
        top = 1.0 - row * (row_height + gap)
        index = number + 1
        extent = extents[model.m]
        scene = _scene(model, split, labels[split])
        data += feature_traces(scene, extent, index, number == 0, point_limit=PANEL_POINTS * 2)
        domain = _columns(columns, 0.05)[column]
        span = [-extent, extent]
        layout.update(_axes_layout(index, domain, (top - row_height, top), span, span, tick_labels=True))
        accuracy = model.train_accuracy if split == "train" else model.test_accuracy
        layout["annotations"].append(panel_title(index, f"m = {model.m}, {split}: {100 * accuracy:.1f} %"))
    return {"data": _as_digits(data), "layout": layout}


def angle_figure(result) -> dict:
    """Per digit, the mean angle (°) between a test feature and its own W_y, one bar group per m."""
    layout = _base_layout(ANGLE_HEIGHT)
    layout.update(barmode="group", margin={"l": 60, "r": 10, "t": 30, "b": 45})
    layout["xaxis"] = {"title": {"text": "digit"}, "tickmode": "linear", "dtick": 1}
    layout["yaxis"] = {"title": {"text": "angle to own W (°)"}, "rangemode": "tozero"}
    colors = [class_color(index) for index in range(len(result.models))] if len(result.models) > 1 else [MARGIN_COLOR]
    data = [
        {
            "type": "bar",
            "x": np.arange(len(model.class_angle_deg)),
            "y": np.round(np.asarray(model.class_angle_deg, dtype=np.float64), 2),
            "error_y": {"type": "data", "array": np.round(np.asarray(model.class_angle_std_deg), 2), "width": 2},
            "name": f"m = {model.m}",
            "marker": {"color": colors[index]},
        }
        for index, model in enumerate(result.models)
    ]
    layout["legend"] = {"orientation": "h", "x": 0, "y": 1.12}
    layout["font"] = {**layout["font"], "size": FONT_SIZE}
    return {"data": data, "layout": layout}


def write_figures(result, folder: Path) -> list[str]:
    """Write figure.html and angles.html (plotly.js inlined: opens offline), and the same as PNG
    when kaleido finds a browser. Returns one line per file written or skipped."""
    import plotly.graph_objects as go
    import plotly.io as pio

    folder = Path(folder)
    lines = []
    for name, figure in (("figure", feature_grid(result)), ("angles", angle_figure(result))):
        plot = go.Figure(figure)
        plot.update_layout(
            title={"text": result.settings.describe(), "font": {"size": 13}, "x": 0.01, "y": 0.99, "yanchor": "top"},
            margin={"t": 60},
        )
        pio.write_html(plot, folder / f"{name}.html", include_plotlyjs=True, full_html=True)
        lines.append(f"wrote {folder / f'{name}.html'}")
        try:
            pio.write_image(plot, folder / f"{name}.png", width=1400, height=figure["layout"]["height"] + 40)
            lines.append(f"wrote {folder / f'{name}.png'}")
        except Exception as error:  # kaleido missing, or no Chrome/Chromium for it: the HTML still stands
            lines.append(f"skipped {name}.png: {type(error).__name__}: {str(error).splitlines()[0][:160]}")
    return lines
