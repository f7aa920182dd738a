"""Live training views (Figure 2, live): pure functions from numpy arrays to plotly figure dicts.

The live chart re-sends these figures many times a second, so they are plain dicts (no
go.Figure validation per tick) holding numpy arrays (sent as float32 / int8 typed arrays).
Grids have rows along y (as lsoftmax.geometry.grid_points builds them). Angles in radians.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from app.figures.style import FONT_FAMILY, MARGIN_COLOR, class_color, with_alpha

LEVELS = 4  # confidence bands per class in the decision heatmap
POINT_LIMIT = 600  # points drawn per view; more are thinned evenly (the data are not changed)
COMPARE_POINT_LIMIT = 300  # per view in compare mode (G views share one update)
COMPARE_HEIGHTS = (340, 620)  # px per row of models: compare mode without and with the decision regions
ARC_STEP = math.radians(2.0)  # polygon resolution of arcs and wedges
ARC_RADIUS = 0.92  # feasible arcs are drawn at this fraction of the feature-space extent
ARROW_REACH = 0.85  # the longest class vector reaches this fraction of the extent (beyond most features:
# WebGL points are drawn above the SVG arrows)
FONT_SIZE = 14  # several panels share one chart: smaller than the single-figure pages
# Point clouds are redrawn on every update: WebGL draws them about twice as fast as SVG
# (measured with plotly.js 4 in headless Chromium). One chart uses one WebGL context.
POINTS_TRACE = "scattergl"
UI_REVISION = "keep"  # Plotly.react keeps the user's zoom while this stays the same
HISTORY_SERIES = (  # (history key, panel, label, dash)
    ("train_loss", 0, "train", "solid"),
    ("test_loss", 0, "test", "dot"),
    ("train_acc", 1, "train", "solid"),
    ("test_acc", 1, "test", "dot"),
    ("lambda", 2, "lambda", "solid"),
)
LAMBDA_COLOR = "#888888"  # lambda drawn over the loss curves
MIN_STEP_AXIS = 100  # the step axes span at least 0..this, so a lone first point is not a vertical line
MODEL_COLORS = ("#444444", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00")  # compare mode: one per model


@dataclass(frozen=True)
class RegionScene:
    """One model's input space: its decision grid and the data points."""

    grid_x: np.ndarray  # (R,) x coordinates of the grid columns
    grid_y: np.ndarray  # (R,) y coordinates of the grid rows
    grid_class: np.ndarray  # (R, R) int, predicted class, rows along y
    grid_confidence: np.ndarray  # (R, R) float in [0, 1], probability of the predicted class
    inputs: np.ndarray  # (N, 2) data points
    labels: np.ndarray  # (N,) int classes
    is_test: np.ndarray  # (N,) bool, held-out points
    n_classes: int


@dataclass(frozen=True)
class FeatureScene:
    """One model's 2-D feature space: features, class vectors and their exact feasible arcs."""

    features: np.ndarray  # (N, 2) the 2-D features fed to the L-Softmax layer
    labels: np.ndarray  # (N,) int classes
    is_test: np.ndarray  # (N,) bool
    weights: np.ndarray  # (K, 2) class vectors W_j
    arcs: list  # K lists of (start, end) radians where class j's criterion holds
    gaps: list  # (start, end) radians of the margins no class claims
    title: str  # e.g. "m = 4"


# ----------------------------------------------------------------- numpy helpers


def display_subset(count: int, limit: int = POINT_LIMIT) -> np.ndarray:
    """Indices of at most `limit` of `count` points, evenly spread (deterministic)."""
    if count <= limit:
        return np.arange(count)
    return np.unique(np.linspace(0, count - 1, limit).round().astype(np.int64))


def nice_extent(value: float) -> float:
    """The smallest of 1, 1.5, 2, 3, 4, 5, 7 times a power of ten that is >= 1.15 * value (axis half-width)."""
    if not math.isfinite(value) or value <= 0:
        return 1.0
    target = 1.15 * value
    power = 10.0 ** math.floor(math.log10(target))
    steps = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.0, 10.0)
    return next(step * power for step in steps if step * power >= target * (1 - 1e-12))


def decision_codes(grid_class: np.ndarray, grid_confidence: np.ndarray, n_classes: int) -> np.ndarray:
    """(R, R) uint8 heatmap codes: class * LEVELS + confidence band (band 0: near chance)."""
    chance = 1.0 / n_classes
    relative = (np.asarray(grid_confidence, dtype=np.float64) - chance) / (1.0 - chance)
    band = np.clip(np.floor(relative * LEVELS), 0, LEVELS - 1).astype(np.uint8)
    return (np.asarray(grid_class).astype(np.uint8) * LEVELS + band).astype(np.uint8)


def decision_colorscale(n_classes: int) -> list:
    """A stepped colorscale for decision_codes: class colour, paler for less confident bands."""
    count = n_classes * LEVELS
    scale = []
    for code in range(count):
        alpha = 0.12 + 0.38 * (code % LEVELS) / (LEVELS - 1)
        color = _blend_white(class_color(code // LEVELS), alpha)
        scale += [[code / count, color], [(code + 1) / count, color]]
    return scale


def class_colorscale(n_classes: int) -> list:
    """A stepped colorscale mapping label j (with cmin -0.5, cmax K - 0.5) to class_color(j)."""
    scale = []
    for j in range(n_classes):
        scale += [[j / n_classes, class_color(j)], [(j + 1) / n_classes, class_color(j)]]
    return scale


def _blend_white(color: str, alpha: float) -> str:
    """The opaque colour of `color` at opacity alpha over white."""
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    mix = [round(255 + alpha * (channel - 255)) for channel in (red, green, blue)]
    return f"rgb({mix[0]},{mix[1]},{mix[2]})"


def arc_xy(start: float, end: float, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Points along the arc from start to end (radians, counter-clockwise) at radius: (x, y)."""
    count = max(2, int(math.ceil((end - start) / ARC_STEP)) + 1)
    angles = np.linspace(start, end, count)
    return (radius * np.cos(angles)).astype(np.float32), (radius * np.sin(angles)).astype(np.float32)


def _joined(pieces) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate (x, y) polylines, separated by NaN so plotly draws them apart."""
    xs, ys = [], []
    for x, y in pieces:
        xs += [x, np.array([np.nan], dtype=np.float32)]
        ys += [y, np.array([np.nan], dtype=np.float32)]
    if not xs:
        return np.zeros(0, np.float32), np.zeros(0, np.float32)
    return np.concatenate(xs), np.concatenate(ys)


def _wedge_xy(start: float, end: float, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """A closed fan polygon origin -> arc -> origin."""
    x, y = arc_xy(start, end, radius)
    zero = np.zeros(1, dtype=np.float32)
    return np.concatenate([zero, x, zero]), np.concatenate([zero, y, zero])


# ------------------------------------------------------------------- traces


def _axis_refs(index: int) -> dict:
    suffix = "" if index == 1 else str(index)
    return {"xaxis": f"x{suffix}", "yaxis": f"y{suffix}"}


def region_traces(scene: RegionScene, index: int, point_limit: int = POINT_LIMIT) -> list[dict]:
    """Decision heatmap (class colour, paler where less confident) and the train/test points."""
    axes = _axis_refs(index)
    traces = [
        {
            "type": "heatmap",
            **axes,
            "x": np.asarray(scene.grid_x, dtype=np.float32),
            "y": np.asarray(scene.grid_y, dtype=np.float32),
            "z": decision_codes(scene.grid_class, scene.grid_confidence, scene.n_classes),
            "zmin": -0.5,
            "zmax": scene.n_classes * LEVELS - 0.5,
            "colorscale": decision_colorscale(scene.n_classes),
            "showscale": False,
            "hoverinfo": "skip",
        }
    ]
    point_colors = class_colorscale(scene.n_classes)
    for held_out, name, symbol in ((False, "train points", "circle"), (True, "test points", "circle-open")):
        chosen = np.flatnonzero(np.asarray(scene.is_test, dtype=bool) == held_out)
        chosen = chosen[display_subset(chosen.size, point_limit // 2)]
        traces.append(
            {
                "type": POINTS_TRACE,
                "mode": "markers",
                **axes,
                "name": name,
                "legendgroup": name,
                "x": scene.inputs[chosen, 0],
                "y": scene.inputs[chosen, 1],
                "marker": {
                    "color": np.asarray(scene.labels)[chosen].astype(np.uint8),
                    "cmin": -0.5,
                    "cmax": scene.n_classes - 0.5,
                    "colorscale": point_colors,
                    "symbol": symbol,
                    "size": 7,
                    "line": {"width": 1 if not held_out else 2, "color": "white" if not held_out else None},
                },
                "showlegend": False,
                "hoverinfo": "skip",
            }
        )
        traces.append(_legend_entry(name, symbol, axes))
    return traces


def _legend_entry(name: str, symbol: str, axes: dict) -> dict:
    """A legend-only marker in neutral grey (the real traces are coloured by class)."""
    marker = {"color": "#555555", "symbol": symbol, "size": 8, "line": {"width": 2, "color": "#555555"}}
    return {"type": "scatter", "mode": "markers", **axes, "x": [None], "y": [None], "name": name, "marker": marker}


def margin_traces(scene: FeatureScene, extent: float, index: int, show_legend: bool) -> list[dict]:
    """Grey wedges for the margins and each class's feasible arcs as a thick coloured rim."""
    axes = _axis_refs(index)
    radius = ARC_RADIUS * extent
    x, y = _joined(_wedge_xy(start, end, radius) for start, end in scene.gaps)
    traces = [
        {
            "type": "scatter",
            "mode": "lines",
            **axes,
            "x": x,
            "y": y,
            "fill": "toself",
            "fillcolor": with_alpha(MARGIN_COLOR, 0.25),
            "line": {"width": 0},
            "name": "margin (no class)",
            "legendgroup": "margin",
            "showlegend": show_legend,
            "hoverinfo": "skip",
        }
    ]
    for j, class_arcs in enumerate(scene.arcs):
        x, y = _joined(arc_xy(start, end, radius) for start, end in class_arcs)
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                **axes,
                "x": x,
                "y": y,
                "line": {"width": 6, "color": class_color(j)},
                "name": f"class {j + 1}",
                "legendgroup": f"class {j + 1}",
                "showlegend": False,
                "hoverinfo": "skip",
            }
        )
    return traces


def feature_point_traces(
    scene: FeatureScene, index: int, show_legend: bool, point_limit: int = POINT_LIMIT
) -> list[dict]:
    """Features coloured by class: train filled, test open."""
    axes = _axis_refs(index)
    labels = np.asarray(scene.labels)
    is_test = np.asarray(scene.is_test, dtype=bool)
    traces = []
    for j in range(scene.weights.shape[0]):
        for held_out, symbol in ((False, "circle"), (True, "circle-open")):
            chosen = np.flatnonzero((labels == j) & (is_test == held_out))
            chosen = chosen[display_subset(chosen.size, point_limit // (2 * scene.weights.shape[0]))]
            traces.append(
                {
                    "type": POINTS_TRACE,
                    "mode": "markers",
                    **axes,
                    "x": scene.features[chosen, 0],
                    "y": scene.features[chosen, 1],
                    "marker": {"color": class_color(j), "size": 6, "symbol": symbol, "opacity": 0.8},
                    "name": f"class {j + 1}",
                    "legendgroup": f"class {j + 1}",
                    "showlegend": show_legend and not held_out,
                    "hoverinfo": "skip",
                }
            )
    return traces


def weight_traces(weights: np.ndarray, extent: float, index: int) -> list[dict]:
    """The class vectors W_j as arrows from the origin, scaled so the longest reaches ARROW_REACH * extent."""
    axes = _axis_refs(index)
    norms = np.hypot(weights[:, 0], weights[:, 1])
    scale = ARROW_REACH * extent / max(float(norms.max()), 1e-12)
    traces = []
    for j, (wx, wy) in enumerate(np.asarray(weights, dtype=np.float64) * scale):
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers+text",
                **axes,
                "x": [0.0, float(wx)],
                "y": [0.0, float(wy)],
                "line": {"width": 3, "color": class_color(j)},
                "marker": {"size": [0, 16], "symbol": "arrow", "angleref": "previous", "color": class_color(j)},
                "text": ["", f"W{j + 1}"],
                "textposition": "top center",
                "textfont": {"color": class_color(j), "size": FONT_SIZE + 2},
                "legendgroup": f"class {j + 1}",
                "showlegend": False,
                "hoverinfo": "skip",
            }
        )
    return traces


def feature_traces(
    scene: FeatureScene, extent: float, index: int, show_legend: bool, point_limit: int = POINT_LIMIT
) -> list[dict]:
    """Everything in one feature-space panel, back to front."""
    return (
        margin_traces(scene, extent, index, show_legend)
        + feature_point_traces(scene, index, show_legend, point_limit)
        + weight_traces(scene.weights, extent, index)
    )


# ------------------------------------------------------------------- layout


def _axes_layout(index: int, x_domain, y_domain, x_range, y_range, tick_labels: bool = True) -> dict:
    """A panel with equal x and y scales (y locked to x), fixed ranges so updates never jump."""
    suffix = "" if index == 1 else str(index)
    name = f"x{suffix}"
    common = {"zeroline": False, "showgrid": False, "ticks": "outside", "constrain": "domain"}
    common["showticklabels"] = tick_labels
    return {
        f"xaxis{suffix}": {**common, "range": list(x_range), "domain": list(x_domain), "anchor": f"y{suffix}"},
        f"yaxis{suffix}": {
            **common,
            "range": list(y_range),
            "domain": list(y_domain),
            "anchor": name,
            "scaleanchor": name,
            "scaleratio": 1,
        },
    }


def panel_title(index: int, text: str) -> dict:
    """An annotation centred above panel `index`, placed on the axes' own (constrained) domain."""
    suffix = "" if index == 1 else str(index)
    return {
        "text": text,
        "x": 0.5,
        "y": 1.0,
        "xref": f"x{suffix} domain",
        "yref": f"y{suffix} domain",
        "xanchor": "center",
        "yanchor": "bottom",
        "showarrow": False,
        "font": {"size": FONT_SIZE + 1},
    }


def _grid_ranges(scene: RegionScene) -> tuple[list[float], list[float]]:
    """Axis ranges covering the decision grid's cells."""
    return [float(scene.grid_x[0]), float(scene.grid_x[-1])], [float(scene.grid_y[0]), float(scene.grid_y[-1])]


def _base_layout(height: int) -> dict:
    return {
        "height": height,
        "uirevision": UI_REVISION,
        "font": {"family": FONT_FAMILY, "size": FONT_SIZE, "color": "#222222"},
        "margin": dict(SINGLE_MARGIN),
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "legend": {"orientation": "h", "x": 0, "y": -0.06, "yanchor": "top"},
        "showlegend": True,
    }


def _columns(count: int, gap: float = 0.06) -> list[tuple[float, float]]:
    width = (1.0 - gap * (count - 1)) / count
    return [(i * (width + gap), i * (width + gap) + width) for i in range(count)]


NARROW_BELOW = 520  # px: a chart narrower than this stacks its panels in one column (layout.meta.narrow)
HISTORY_LEGEND_PX = 90  # px under the training curves for their legend (two or three rows)
TITLE_GAP = 60  # px between panel rows: the x tick labels above and a panel title (25 + 25 px presenting)
SINGLE_MARGIN = {"l": 50, "r": 10, "t": 30, "b": 40}
COMPARE_MARGIN = {"l": 40, "r": 10, "t": 30, "b": 30}


def _axis_name(index: int, letter: str) -> str:
    return f"{letter}axis{'' if index == 1 else index}"


def _placement(stacks: list[list[int]], columns: int, row_height: int, margin: dict) -> tuple[int, dict]:
    """(height, {axis name: domain and tick labels}) for panels stacked in a grid.

    stacks: per grid cell (filled row by row, `columns` to a row), its panels' indices from the
    top down (a model's features over its decision regions). row_height: px per panel row.
    Tick labels show in the first column only (they would run into the neighbouring panels).
    """
    per_cell = len(stacks[0])
    panel_rows = math.ceil(len(stacks) / columns) * per_cell
    height = margin["t"] + margin["b"] + panel_rows * row_height + (panel_rows - 1) * TITLE_GAP
    bands = _bands(panel_rows, TITLE_GAP / (height - margin["t"] - margin["b"]))
    domains = _columns(columns, 0.04 if columns > 2 or len(stacks) > 1 else 0.06)
    axes = {}
    for cell, stack in enumerate(stacks):
        row, column = divmod(cell, columns)
        for depth, index in enumerate(stack):
            band = bands[row * per_cell + depth]
            axes[_axis_name(index, "x")] = {"domain": list(domains[column]), "showticklabels": column == 0}
            axes[_axis_name(index, "y")] = {"domain": list(band), "showticklabels": column == 0}
    return height, axes


def _narrow(stacks: list[list[int]], row_height: int, space: dict, **layout) -> dict:
    """layout.meta for live_chart.js: the panels in one column, for a chart under NARROW_BELOW px.

    narrow.layout holds the keys of layout to update (each merged into the one there); `layout`
    adds more (e.g. the legend). space: the margins the panels are placed within.
    """
    height, axes = _placement(stacks, 1, row_height, space)
    return {"narrow": {"below": NARROW_BELOW, "height": height, "layout": {**axes, **layout}}}


def _placed(layout: dict, axes: dict) -> dict:
    for name, place in axes.items():
        layout[name].update(place)
    return layout


def single_figure(region: RegionScene, feature: FeatureScene, feature_extent: float, height: int = 470) -> dict:
    """One model: input space (decision regions, points) | feature space (Figure 2); on a narrow
    chart one above the other (layout.meta.narrow)."""
    data = region_traces(region, 1) + feature_traces(feature, feature_extent, 2, show_legend=True)
    layout = _base_layout(height)
    left, right = _columns(2, 0.12)  # the gap holds the feature panel's own y tick labels
    feature_range = [-feature_extent, feature_extent]
    rows = (0.08, 1.0)
    layout.update(_axes_layout(1, left, rows, *_grid_ranges(region)))
    layout.update(_axes_layout(2, right, rows, feature_range, feature_range))
    layout["annotations"] = [
        panel_title(1, "input space: decision regions"),
        panel_title(2, f"feature space, {feature.title}"),
    ]
    layout["meta"] = _narrow([[1], [2]], height - 110, {**SINGLE_MARGIN, "b": 110})  # the legend wraps below
    return {"data": data, "layout": layout}


def compare_grid(count: int) -> tuple[int, int]:
    """(model rows, model columns) for compare mode: two models side by side, three or four in a 2x2 grid.

    Four panels in one row are 110-250 px wide at 1024 x 768 and on a phone; two per row are
    twice as wide (and as tall: every panel keeps equal x and y scales). Under NARROW_BELOW px
    the chart stacks every model in one column (layout.meta.narrow).
    """
    columns = count if count <= 2 else 2
    return math.ceil(count / columns), columns


def _bands(count: int, gap: float) -> list[tuple[float, float]]:
    """count vertical domains from the top down, gap apart (the panel titles sit in the gaps)."""
    height = (1.0 - gap * (count - 1)) / count
    tops = [1.0 - i * (height + gap) for i in range(count)]
    return [(max(0.0, round(top - height, 6)), round(top, 6)) for top in tops]


def compare_figure(
    regions: list[RegionScene], features: list[FeatureScene], feature_extent, height: int | None = None
) -> dict:
    """Several models on one step counter: feature spaces side by side (three or four in a 2x2
    grid, compare_grid), each model's decision regions below its features if given.

    regions is empty (features only: about half the drawing cost) or one per model.
    feature_extent: one half-width for every panel, or one per model (each panel scaled to its
    own model, so a model with small |x| is not a dot in the middle of another's range).
    height: None takes COMPARE_HEIGHTS's per model row.
    """
    count = len(features)
    if count == 0 or len(regions) not in (0, count):
        raise ValueError(f"features must be non-empty, regions empty or as many, got {len(regions)} and {count}")
    extents = list(feature_extent) if np.ndim(feature_extent) else [feature_extent] * count
    if len(extents) != count:
        raise ValueError(f"feature_extent must be one number or one per model ({count}), got {len(extents)}")
    stacks = [[g + 1, count + g + 1] if regions else [g + 1] for g in range(count)]
    per_cell = len(stacks[0])
    model_rows, columns = compare_grid(count)
    margin = COMPARE_MARGIN
    panel_rows = model_rows * per_cell
    room = (COMPARE_HEIGHTS[1] if regions else COMPARE_HEIGHTS[0]) - margin["t"] - margin["b"]
    row_height = (room - (per_cell - 1) * TITLE_GAP) // per_cell
    if height:
        row_height = (height - margin["t"] - margin["b"] - (panel_rows - 1) * TITLE_GAP) // panel_rows
    full_height, axes = _placement(stacks, columns, row_height, margin)
    data, layout = [], _base_layout(height or full_height)
    layout.update(margin=margin, showlegend=False, annotations=[], meta=_narrow(stacks, row_height, margin))
    for g, (feature, extent) in enumerate(zip(features, extents, strict=True)):
        # each title states its own panel's half-width (tick labels are on the first column only)
        data += feature_traces(feature, extent, g + 1, show_legend=False, point_limit=COMPARE_POINT_LIMIT)
        span = [-extent, extent]
        layout.update(_axes_layout(g + 1, (0, 1), (0, 1), span, span))
        layout["annotations"].append(panel_title(g + 1, f"features, {feature.title} (±{extent:g})"))
        if regions:
            bottom = count + g + 1
            data += region_traces(regions[g], bottom, point_limit=COMPARE_POINT_LIMIT)
            layout.update(_axes_layout(bottom, (0, 1), (0, 1), *_grid_ranges(regions[g])))
            layout["annotations"].append(panel_title(bottom, f"input space, {feature.title}"))
    return {"data": data, "layout": _placed(layout, axes)}


def _history_color(model: int, model_count: int, key: str) -> str:
    """Compare mode: one colour per model. One model: train blue, test vermillion, lambda grey."""
    if model_count > 1:
        return MODEL_COLORS[model % len(MODEL_COLORS)]
    return {"train": MODEL_COLORS[1], "test": MODEL_COLORS[2]}.get(key.split("_")[0], MODEL_COLORS[0])


def history_traces(history: dict, model_names: list[str]) -> list[dict]:
    """One line per series and model; solid for train, dotted for test."""
    steps = np.asarray(history["step"], dtype=np.float32)
    traces = []
    for key, panel, label, dash in HISTORY_SERIES:
        values = np.asarray(history[key], dtype=np.float32).reshape(steps.size, -1)
        for g, name in enumerate(model_names):
            compare = len(model_names) > 1
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    **_axis_refs(panel + 1),
                    "x": steps,
                    "y": values[:, g],
                    "name": f"{name}" if compare else label,
                    "legendgroup": name if compare else label,
                    "showlegend": key == "train_loss" if compare else panel == 0,
                    "line": {"color": _history_color(g, len(model_names), key), "dash": dash, "width": 2},
                }
            )
    return traces


def history_figure(history: dict, model_names: list[str], height: int = 260) -> dict:
    """Loss (log), accuracy and lambda against steps; history holds (T,) "step" and (T, G) series."""
    layout = _base_layout(height)
    # The legend goes under the panels, in the chart's bottom HISTORY_LEGEND_PX: at its side, model
    # names such as "ArcFace m=28.6° s=2" left the three panels 80 px each at 1024 px with the sidebar.
    layout["margin"] = {"l": 60, "r": 10, "t": 30, "b": 45 + HISTORY_LEGEND_PX}
    legend_title = "dotted: test"
    layout["legend"] = {
        "orientation": "h", "x": 0, "xanchor": "left", "y": 0, "yref": "container", "yanchor": "bottom",
        "title": {"text": legend_title},
    }  # fmt: skip
    # a phone: the three panels one above the other, "step" under the lowest only; the legend
    # wraps to one row per model there (four or five rows), its title above it (at its side,
    # plotly did not count the title's width and cut the last entry at the chart's edge)
    narrow_margin = {**layout["margin"], "b": 45 + 2 * HISTORY_LEGEND_PX + 10}
    narrow_legend = {"title": {"text": legend_title, "side": "top"}}
    layout["meta"] = _narrow([[1], [2], [3]], 170, narrow_margin, margin=narrow_margin, legend=narrow_legend)
    for name in ("xaxis", "xaxis2"):
        layout["meta"]["narrow"]["layout"][name]["title"] = {"text": ""}
    titles = ("loss", "accuracy", "lambda")
    for panel, domain in enumerate(_columns(3, 0.12)):  # the gaps hold the y axes' titles and labels
        suffix = "" if panel == 0 else str(panel + 1)
        layout[f"xaxis{suffix}"] = {"domain": list(domain), "anchor": f"y{suffix}", "title": {"text": "step"}}
        layout[f"yaxis{suffix}"] = {
            "anchor": f"x{suffix}",
            "title": {"text": titles[panel], "standoff": 2},
            "exponentformat": "power",
        }
    losses = np.concatenate([np.ravel(history["train_loss"]), np.ravel(history["test_loss"])])
    lambdas = np.ravel(history["lambda"])
    layout["yaxis"]["type"] = "log" if losses.size and np.all(losses[np.isfinite(losses)] > 0) else "linear"
    layout["yaxis2"]["range"] = [0, 1.02]
    layout["yaxis3"]["type"] = "log" if lambdas.size and np.all(lambdas > 0) else "linear"
    for name, values in (("yaxis", losses), ("yaxis3", lambdas)):
        if layout[name]["type"] == "log":
            layout[name]["dtick"] = 1  # one label per power of ten: plotly's in-between labels are 3/4 size
            if _decades(values) < 1.0:  # so the range takes in at least one power of ten on each side
                layout[name]["range"] = _decade_range(values)
    last_step = float(np.max(history["step"])) if np.size(history["step"]) else 0.0
    if last_step < MIN_STEP_AXIS:  # a lone point at step 0 would get a -1..1 axis
        for suffix in ("", "2", "3"):
            layout[f"xaxis{suffix}"]["range"] = [0, MIN_STEP_AXIS]
    # lambda again on the loss panel (right axis): a margin loss that rises as lambda falls is seen to follow it
    layout["yaxis4"] = {
        "overlaying": "y",
        "side": "right",
        "type": layout["yaxis3"]["type"],
        "showgrid": False,
        "showticklabels": False,  # its values are on the lambda panel; here only its shape matters
    }
    data = history_traces(history, model_names)
    data.append(
        {
            "type": "scatter",
            "mode": "lines",
            "xaxis": "x",
            "yaxis": "y4",
            "x": np.asarray(history["step"], dtype=np.float32),
            "y": np.asarray(history["lambda"], dtype=np.float32).reshape(np.size(history["step"]), -1)[:, 0],
            "name": "lambda (shape)",
            "line": {"color": LAMBDA_COLOR, "dash": "dash", "width": 1.5},
            "hoverinfo": "skip",
        }
    )
    return {"data": data, "layout": layout}


def _decade_range(values: np.ndarray) -> list[float]:
    """A log axis range (log10 units) from the power of ten below the data to the one above it."""
    values = values[np.isfinite(values) & (values > 0)]
    low, high = np.log10(values.min()), np.log10(values.max())
    return [math.floor(low - 0.05), math.ceil(high + 0.05)]


def _decades(values: np.ndarray) -> float:
    """How many powers of ten the positive finite values span."""
    values = values[np.isfinite(values) & (values > 0)]
    return float(np.log10(values.max() / values.min())) if values.size else 0.0


def numbers_table(snapshot, model_names: list[str], epoch: float) -> list[dict]:
    """The latest numbers beside the curves, one row per model: losses (4 digits) and accuracies."""
    return [
        {
            "model": name,
            "step": f"{snapshot.step:,}",
            "epoch": f"{epoch:,.1f}",
            "lambda": f"{snapshot.lambdas[g]:.3g}",
            "train loss (margin)": f"{snapshot.train_loss[g]:.4f}",
            "train loss (plain)": f"{snapshot.train_plain_loss[g]:.4f}",
            "test loss": f"{snapshot.test_loss[g]:.4f}",
            "train accuracy": f"{snapshot.train_acc[g]:.1%}",
            "test accuracy": f"{snapshot.test_acc[g]:.1%}",
        }
        for g, name in enumerate(model_names)
    ]


def angle_table(angles: list, model_names: list[str]) -> list[dict]:
    """Rows for the angle dashboard, one per class: mean +- std angle of x to its own W_y and |W_j|.

    angles holds one lab.angles.AngleStats per model (degrees). One model gets two
    columns; several get one column each (angle and |W| together) so the table stays narrow.
    """
    rows = []
    for j in range(len(angles[0].weight_norms)):
        row = {"class": f"class {j + 1}"}
        for stats, name in zip(angles, model_names, strict=True):
            mean, std, norm = stats.class_mean_deg[j], stats.class_std_deg[j], stats.weight_norms[j]
            angle = "-" if np.isnan(mean) else f"{mean:.1f} ± {std:.1f}"
            if len(model_names) == 1:
                row["angle to own W (°)"], row["|W|"] = angle, f"{norm:.3g}"
            else:
                row[f"{name}: angle to W (°), |W|"] = f"{angle}, {norm:.3g}"
        rows.append(row)
    return rows


def model_table(angles: list, model_names: list[str]) -> list[dict]:
    """One row per model: the smallest angle between class vectors and the mean feature norm."""
    return [
        {
            "model": name,
            "smallest angle between class vectors (°)": f"{stats.min_weight_angle_deg:.1f}",
            "mean |x|": f"{stats.mean_feature_norm:.3g}",
        }
        for stats, name in zip(angles, model_names, strict=True)
    ]
