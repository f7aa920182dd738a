"""The plane of directions (Figures 4 and its K-class version): pure figure functions.

A PlaneScene holds plain arrays and numbers (class vectors, feasible arcs, margin gaps,
boundary rays, an optional probability field); plane_figure turns one into a go.Figure,
sweep_figure turns several into a browser-side animation (plotly frames, no server).
Angles are radians here; the text in notes is what the user reads (degrees).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from app.figures.labels import Label, box_of, place_labels, text_size
from app.figures.style import (
    FIELD_COLORSCALE,
    MARGIN_COLOR,
    PLANE_HEIGHT,
    SOFTMAX_COLOR,
    base_layout,
    class_color,
    with_alpha,
)

ARC_STEP = math.radians(2.0)  # polygon resolution of the shaded wedges
UI_REVISION = "plane"  # layout.uirevision: a redrawn plane keeps the user's zoom
LABEL_GAP = 0.45  # plot units between a class vector's tip and its name
MARK_GAP = 0.55  # plot units between an angle mark's arc and its label
MARK_NOTE = {"showarrow": False, "bgcolor": "rgba(255,255,255,0.85)", "font": {"size": 18}}  # angle-mark labels
W_LABEL_PX = 22  # font size of the class-vector names
LABEL_PLOT_PX = 360  # px across the plane that label boxes assume (live charts re-place them at the real size)
OBSTACLE_PX = 16  # arrow tips and the sample marker: boxes this many pixels wide that labels avoid
OVERLAY_GAP_RADIUS = 5.15  # plot units: the compared member's margins, an arc band near the edge (two classes)
OVERLAY_GAP_LINE = {"color": "#555555", "width": 7}  # a thick band, unlike the thin angle marks
OVERLAY_EDGE_DASH = "dot"  # the compared member's boundaries (softmax's are dashed)


@dataclass(frozen=True)
class AngleMark:
    """An arc drawn at radius between two directions, labelled with text."""

    start: float  # radians
    end: float  # radians, counter-clockwise from start
    radius: float  # plot units
    text: str


@dataclass(frozen=True)
class PlaneScene:
    """Everything the plane figure draws, as plain values."""

    weights: np.ndarray  # (K, 2) class vectors
    arcs: list  # K lists of (start, end) radians: each class's feasible directions
    gaps: list  # (start, end) radians: margin arcs no class claims (width > 0)
    softmax_rays: tuple  # radians: directions of the plain softmax boundary
    extent: float  # axes run over [-extent, extent]
    sample: np.ndarray | None = None  # (2,) a feature x, or None
    field_axis: np.ndarray | None = None  # (R,) float32 grid coordinates of the field
    field: np.ndarray | None = None  # (R, R) float32 probability of class 1, rows along y
    field_title: str = ""  # colour bar title
    marks: tuple = ()  # AngleMark, e.g. theta12 and the margin
    overlay_arcs: list | None = None  # K lists of (start, end): a second member's arcs, drawn over, or None
    overlay_gaps: list = ()  # (start, end) radians: that member's margin arcs
    labels: tuple = ()  # (this member, the overlay's) names for the legend, e.g. "ArcFace m = 28.6°"
    overlay_radius: float = OVERLAY_GAP_RADIUS  # plot units: where the overlay's margin band runs

    def margin_name(self) -> str:
        """The hatched margin's legend entry: it names the member when another is drawn over it."""
        return f"margin: {self.labels[0]}" if self.overlay_arcs is not None else "margin (no class)"


def arc_points(width: float) -> int:
    """Points on an arc of this width (radians): one per ARC_STEP, at least 2. The 1e-9 keeps a
    width that is a whole number of steps from flipping with the last bit of its arithmetic."""
    return max(2, math.ceil(width / ARC_STEP - 1e-9) + 1)


def _ray_xy(angles, reach: float):
    """Segments origin -> reach * direction, NaN-separated, for every angle: (x, y) float32."""
    points = []
    for angle in angles:
        points += [(0.0, 0.0), (reach * math.cos(angle), reach * math.sin(angle)), (math.nan, math.nan)]
    array = np.array(points, dtype=np.float32).reshape(-1, 2)
    return array[:, 0], array[:, 1]


def _wedges_xy(arcs, reach: float):
    """Closed fan polygons origin -> arc -> origin, NaN-separated: (x, y) float32."""
    parts = []
    for start, end in arcs:
        angles = np.linspace(start, end, arc_points(end - start))
        ring = np.stack([reach * np.cos(angles), reach * np.sin(angles)], axis=1)
        parts += [np.zeros((1, 2)), ring, np.zeros((1, 2)), np.full((1, 2), np.nan)]
    if not parts:
        return np.zeros(0, np.float32), np.zeros(0, np.float32)
    array = np.concatenate(parts).astype(np.float32)
    return array[:, 0], array[:, 1]


def _arc_xy(mark: AngleMark):
    angles = np.linspace(mark.start, mark.end, arc_points(mark.end - mark.start))
    return (mark.radius * np.cos(angles)).astype(np.float32), (mark.radius * np.sin(angles)).astype(np.float32)


def _wedge_traces(scene: PlaneScene, reach: float) -> list:
    traces = []
    for j, class_arcs in enumerate(scene.arcs):
        x, y = _wedges_xy(class_arcs, reach)
        color = class_color(j)
        traces.append(
            go.Scatter(
                x=x, y=y, mode="lines", fill="toself", fillcolor=with_alpha(color, 0.16), legendgroup=f"class{j}",
                line={"width": 0, "color": color}, name=f"class {j + 1}", hoverinfo="skip", meta="wedge",
            )
        )  # fmt: skip
    x, y = _wedges_xy(scene.gaps, reach)
    traces.append(
        go.Scatter(
            x=x, y=y, mode="lines", fill="toself", fillcolor="rgba(0,0,0,0)", name=scene.margin_name(),
            line={"width": 0}, fillpattern={"shape": "/", "fgcolor": MARGIN_COLOR, "size": 14, "solidity": 0.18},
            hoverinfo="skip", meta="gaps",
        )
    )  # fmt: skip
    return traces


def _boundary_traces(scene: PlaneScene, reach: float) -> list:
    x, y = _ray_xy(scene.softmax_rays, reach)
    traces = [
        go.Scatter(
            x=x, y=y, mode="lines", name="softmax boundary", hoverinfo="skip", meta="softmax",
            line={"color": SOFTMAX_COLOR, "width": 2.5, "dash": "dash"},
        )
    ]  # fmt: skip
    for j, class_arcs in enumerate(scene.arcs):
        x, y = _ray_xy(_edge_angles(class_arcs), reach)
        traces.append(
            go.Scatter(
                x=x, y=y, mode="lines", name=f"class {j + 1} L-Softmax boundary", hoverinfo="skip",
                line={"color": class_color(j), "width": 3}, legendgroup=f"class{j}", showlegend=False, meta="edges",
            )
        )  # fmt: skip
    return traces


def _edge_angles(class_arcs) -> list[float]:
    """Both ends of every arc that is not the whole circle: where the class's criterion starts or stops."""
    return [angle for arc in class_arcs if arc[1] - arc[0] < 2 * math.pi - 1e-9 for angle in arc]


def _overlay_traces(scene: PlaneScene, reach: float) -> list:
    """The compared member: its boundaries dotted in the class colours, its margins as a grey band."""
    if scene.overlay_arcs is None:
        return []
    traces = []
    for j, class_arcs in enumerate(scene.overlay_arcs):
        x, y = _ray_xy(_edge_angles(class_arcs), reach)
        traces.append(
            go.Scatter(
                x=x, y=y, mode="lines", name=f"boundaries: {scene.labels[1]}", hoverinfo="skip",
                line={"color": class_color(j), "width": 3, "dash": OVERLAY_EDGE_DASH}, legendgroup="overlay",
                showlegend=j == 0, meta="overlay_edges",
            )
        )  # fmt: skip
    marks = [AngleMark(start, end, scene.overlay_radius, "") for start, end in scene.overlay_gaps]
    x, y = _marks_xy(marks)
    traces.append(
        go.Scatter(
            x=x, y=y, mode="lines", name=f"margin: {scene.labels[1]}", hoverinfo="skip", line=OVERLAY_GAP_LINE,
            legendgroup="overlay", meta="overlay_gaps",
        )
    )  # fmt: skip
    return traces


def _marks_xy(marks) -> tuple[np.ndarray, np.ndarray]:
    """The arcs of marks, NaN-separated: (x, y) float32."""
    xs, ys = [], []
    for mark in marks:
        x, y = _arc_xy(mark)
        xs += [x, np.array([np.nan], np.float32)]
        ys += [y, np.array([np.nan], np.float32)]
    x = np.concatenate(xs) if xs else np.zeros(0, np.float32)
    y = np.concatenate(ys) if ys else np.zeros(0, np.float32)
    return x, y


def _mark_traces(scene: PlaneScene) -> list:
    x, y = _marks_xy(scene.marks)
    return [
        go.Scatter(
            x=x,
            y=y,
            mode="lines",
            line={"color": "#333333", "width": 1.5},
            hoverinfo="skip",
            showlegend=False,
            meta="marks",
        )
    ]


def _sample_trace(scene: PlaneScene) -> list:
    point = np.zeros((0, 2), np.float32) if scene.sample is None else np.asarray(scene.sample, np.float32)[None]
    return [
        go.Scatter(
            x=point[:, 0], y=point[:, 1], mode="markers+text", text=["x"] * len(point), textposition="top right",
            marker={"symbol": "star", "size": 20, "color": "#FFD400", "line": {"color": "#111111", "width": 1.5}},
            name="sample x", textfont={"size": 20}, meta="sample",
        )
    ]  # fmt: skip


def _field_trace(scene: PlaneScene) -> list:
    if scene.field is None:
        return []
    axis = np.asarray(scene.field_axis, np.float32)
    return [
        go.Heatmap(
            x=axis, y=axis, z=np.asarray(scene.field, np.float32), zmin=0.0, zmax=1.0, opacity=0.6,
            colorscale=[list(stop) for stop in FIELD_COLORSCALE], hoverinfo="skip", zsmooth="best", meta="field",
            colorbar={"title": {"text": scene.field_title, "side": "right", "font": {"size": 14}},
                                      "len": 0.5, "thickness": 12, "tickfont": {"size": 14}},
        )
    ]  # fmt: skip


def plane_traces(scene: PlaneScene) -> list:
    """All traces in a fixed order (the same count for every scene with the same K)."""
    reach = 1.5 * scene.extent  # past the corners, the axes clip the rest
    traces = _field_trace(scene) + _wedge_traces(scene, reach) + _boundary_traces(scene, reach)
    return traces + _overlay_traces(scene, reach) + _mark_traces(scene) + _sample_trace(scene)


def plane_labels(scene: PlaneScene) -> list[tuple[float, float]]:
    """Centres of the class-vector names, then of the angle-mark labels, placed without overlaps.

    Sizes assume the smallest plane we draw (LABEL_PLOT_PX across): on a larger plot the same
    positions leave more room. Obstacles: every arrow tip and the sample marker.
    """
    units = 2 * scene.extent / LABEL_PLOT_PX  # plot units per pixel
    labels = []
    for j, (wx, wy) in enumerate(np.asarray(scene.weights, dtype=float)):
        norm = math.hypot(wx, wy)
        width, height = text_size(f"W{j + 1}", W_LABEL_PX, units)
        direction = (wx / norm, wy / norm)
        labels.append(Label(wx + LABEL_GAP * direction[0], wy + LABEL_GAP * direction[1], width, height, direction))
    for mark in scene.marks:
        middle = 0.5 * (mark.start + mark.end)
        radius = mark.radius + MARK_GAP
        width, height = text_size(mark.text, MARK_NOTE["font"]["size"], units)
        direction = (math.cos(middle), math.sin(middle))
        labels.append(Label(radius * direction[0], radius * direction[1], width, height, direction))
    tip = OBSTACLE_PX * units
    obstacles = [box_of(wx, wy, tip, tip) for wx, wy in np.asarray(scene.weights, dtype=float)]
    if scene.sample is not None:
        # the star and its "x" to the upper right
        obstacles.append(box_of(float(scene.sample[0]) + tip / 2, float(scene.sample[1]) + tip / 2, 3 * tip, 3 * tip))
    return place_labels(labels, obstacles, bounds=(-scene.extent, -scene.extent, scene.extent, scene.extent))


def plane_annotations(scene: PlaneScene) -> list[dict]:
    """Arrows for the class vectors, their names, and the angle-mark labels (placed by plane_labels)."""
    notes = []
    spots = plane_labels(scene)
    for j, (wx, wy) in enumerate(np.asarray(scene.weights, dtype=float)):
        color = class_color(j)
        notes.append(
            {"x": wx, "y": wy, "ax": 0, "ay": 0, "xref": "x", "yref": "y", "axref": "x", "ayref": "y",
             "showarrow": True, "arrowhead": 2, "arrowsize": 1.3, "arrowwidth": 3.5, "arrowcolor": color, "text": ""}
        )  # fmt: skip
        x, y = spots[j]
        notes.append(
            {"x": x, "y": y, "text": f"<b>W<sub>{j + 1}</sub></b>", "showarrow": False,
             "font": {"color": color, "size": W_LABEL_PX}}
        )  # fmt: skip
    for mark, (x, y) in zip(scene.marks, spots[len(scene.weights) :], strict=True):
        notes.append({**MARK_NOTE, "x": x, "y": y, "text": mark.text})
    return notes


def _plane_layout(extent: float, title: str, height: int = PLANE_HEIGHT) -> dict:
    axis = {"range": [-extent, extent], "zeroline": True, "zerolinecolor": "#DDDDDD", "gridcolor": "#F0F0F0"}
    return base_layout(
        height,
        title={"text": title, "x": 0.02},
        xaxis={**axis, "constrain": "domain"},
        yaxis={**axis, "scaleanchor": "x", "scaleratio": 1, "constrain": "domain"},
        legend={"orientation": "h", "y": -0.06, "yanchor": "top", "x": 0.0, "font": {"size": 15}},
        margin={"l": 40, "r": 20, "t": 50, "b": 30},
        uirevision=UI_REVISION,
    )


def plane_figure(scene: PlaneScene, title: str = "", height: int = PLANE_HEIGHT) -> go.Figure:
    """The plane of features: wedges, boundaries, class vectors, marks, sample and field (height in px)."""
    figure = go.Figure(data=plane_traces(scene))
    figure.update_layout(**_plane_layout(scene.extent, title, height), annotations=plane_annotations(scene))
    return figure


def _play_controls(labels) -> dict:
    frame_args = {"frame": {"duration": 900, "redraw": True}, "transition": {"duration": 0}, "fromcurrent": True}
    pause_args = {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}
    buttons = [
        {"label": "▶ Play", "method": "animate", "args": [None, frame_args]},
        {"label": "❚❚ Pause", "method": "animate", "args": [[None], pause_args]},
    ]
    steps = [
        {"label": label, "method": "animate", "args": [[label], {**frame_args, "mode": "immediate"}]}
        for label in labels
    ]
    # The buttons sit on their own row and the slider on the next, full width: they cannot
    # cover each other in a column of any width.
    return {
        "updatemenus": [
            {"type": "buttons", "direction": "left", "x": 0.0, "xanchor": "left", "y": -0.04, "yanchor": "top",
             "buttons": buttons, "pad": {"t": 10}}
        ],
        "sliders": [
            {"active": 0, "steps": steps, "currentvalue": {"prefix": "m = "}, "x": 0.0, "len": 1.0, "y": -0.13,
             "yanchor": "top", "pad": {"t": 10}}
        ],
    }  # fmt: skip


def sweep_figure(scenes, labels, title: str = "") -> go.Figure:
    """A browser-side animation over scenes (e.g. m = 1..8): Play/Pause and a slider, no server trips."""
    if len(scenes) != len(labels) or not scenes:
        raise ValueError(
            f"scenes and labels must be non-empty and of equal length, got {len(scenes)} and {len(labels)}"
        )
    frames = [
        go.Frame(data=plane_traces(scene), layout={"annotations": plane_annotations(scene)}, name=label)
        for scene, label in zip(scenes, labels, strict=True)
    ]
    figure = go.Figure(data=plane_traces(scenes[0]), frames=frames)
    layout = _plane_layout(scenes[0].extent, title)
    layout.pop("legend")
    layout["showlegend"] = False
    layout["margin"] = {**layout["margin"], "b": 170}  # room for the play buttons and the slider below them
    figure.update_layout(**layout, **_play_controls(labels), annotations=plane_annotations(scenes[0]))
    return figure
