"""The sphere view of 3-D features: pure functions from numpy arrays to plotly figure dicts.

Each class's region of the sphere (where its margin criterion holds, lsoftmax.geometry.
sphere_regions) is a pale patch of its colour, its boundary a line of its colour, and the
margin (no criterion holds) grey; features sit at their direction just outside the sphere,
and the class vectors W_j are arrows poking out of it. The live training lab (/train with
feature_dim = 3) redraws this many times a second through app.live_chart, which keeps the
user's rotated camera (layout.uirevision); the geometry page (/sphere) draws it for chosen
class vectors.

The patches are one mesh3d: one quad (two triangles) centred on each direction of the
regions' (polar, azimuth) grid, coloured per face (intensitymode "cell", never interpolated
across a boundary) by the class the library found at that direction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from app.figures.style import FONT_FAMILY, MARGIN_COLOR, class_color
from app.figures.training import UI_REVISION, RegionScene, _blend_white, display_subset, panel_title
from app.figures.training import region_traces as plane_region_traces

REGION_ALPHA = 0.55  # class colour over white on the sphere's patches (the features keep the full colour)
BOUNDARY_RADIUS = 1.006  # region boundaries lie just outside the patches, so the surface never hides them
FEATURE_RADIUS = 1.04  # features are drawn at their direction, this far out (above the boundaries)
ARROW_LENGTH = 1.3  # class vectors: from the centre to this radius (a unit direction; |W_j| is in the tables)
LABEL_RADIUS = 1.42  # where "W1", "W2", ... are written
AXIS_RANGE = 1.45  # every scene axis spans [-AXIS_RANGE, AXIS_RANGE]: fixed, so updates never jump
CAMERA = {"eye": {"x": 1.3, "y": 0.45, "z": 0.55}, "up": {"x": 0, "y": 0, "z": 1}}  # close: the sphere fills its box
POINT_LIMIT = 600  # features drawn per sphere (more are thinned evenly)
COMPARE_POINT_LIMIT = 300
FONT_SIZE = 14
SINGLE_HEIGHT = 520  # px, /train with one model: input space | sphere
# px: under this width the panels stack (layout.meta.narrow, app/live_chart/live_chart.js). Wider than the
# plane's breakpoint (app.figures.training.NARROW_BELOW): side by side at 1024 px, the sphere was ~250 px across.
NARROW_BELOW = 700
NARROW_HEIGHT = 960  # px, the stacked single view on a phone
COMPARE_ROW_HEIGHT = 380  # px per row of spheres in compare mode
NARROW_COMPARE_ROW = 340  # px per sphere when a phone stacks them
LIGHTING = {"ambient": 0.9, "diffuse": 0.2, "specular": 0.05, "roughness": 0.9, "fresnel": 0.05}  # true colours


@dataclass(frozen=True)
class SphereScene:
    """One sphere: features (may be none), class vectors and the regions of their criteria."""

    features: np.ndarray  # (N, 3) any norm: drawn at their direction; (0, 3) on the geometry page
    labels: np.ndarray  # (N,) int classes
    is_test: np.ndarray  # (N,) bool, held-out points (open markers)
    weights: np.ndarray  # (K, 3) class vectors W_j, nonzero
    regions: object  # lsoftmax.geometry.SphereRegions of these weights, or None (not computed yet)
    title: str  # e.g. "m = 4"


# ------------------------------------------------------------------ geometry of the drawing


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float64)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


def _cell_edges(centres: np.ndarray, low: float, high: float) -> np.ndarray:
    """(n + 1,) edges of cells centred on evenly spaced centres (n,), clipped to [low, high]."""
    half = 0.5 * (centres[1] - centres[0])
    return np.clip(np.concatenate([centres - half, [centres[-1] + half]]), low, high)


def patch_mesh(polar: np.ndarray, azimuth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(vertices (V, 3), faces (F, 3)) on the unit sphere: face pair 2 (i C + k) + {0, 1} is the
    quad centred on direction (polar[i], azimuth[k]); C = len(azimuth), the azimuth wraps round."""
    polar_edges = _cell_edges(np.asarray(polar, dtype=np.float64), 0.0, math.pi)  # (R + 1,)
    azimuth_edges = np.asarray(azimuth, dtype=np.float64) - 0.5 * (azimuth[1] - azimuth[0])  # (C,) wraps
    rows, columns = len(polar), len(azimuth)
    theta, phi = np.meshgrid(polar_edges, azimuth_edges, indexing="ij")  # (R + 1, C)
    vertices = np.stack([np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)], axis=-1).reshape(
        -1, 3
    )
    i, k = np.meshgrid(np.arange(rows), np.arange(columns), indexing="ij")
    top_left, top_right = i * columns + k, i * columns + (k + 1) % columns
    bottom_left, bottom_right = top_left + columns, top_right + columns
    first = np.stack([top_left, bottom_left, bottom_right], axis=-1).reshape(-1, 3)
    second = np.stack([top_left, bottom_right, top_right], axis=-1).reshape(-1, 3)
    faces = np.stack([first, second], axis=1).reshape(-1, 3)  # quad (i, k) -> faces 2 (i C + k), + 1
    return vertices, faces


def face_classes(labels: np.ndarray) -> np.ndarray:
    """(2 R C,) the class of every face of patch_mesh: each quad's two triangles take the label
    (R, C) of the direction they are centred on (-1: the margin)."""
    return np.repeat(np.asarray(labels).reshape(-1), 2)


def region_colorscale(n_classes: int) -> list:
    """A stepped colorscale for codes label + 1 (cmin -0.5, cmax K + 0.5): 0 margin grey, j + 1 class j."""
    colors = [MARGIN_COLOR] + [_blend_white(class_color(j), REGION_ALPHA) for j in range(n_classes)]
    count, scale = len(colors), []
    for code, color in enumerate(colors):
        scale += [[code / count, color], [(code + 1) / count, color]]
    return scale


def _joined3(lines: list[np.ndarray]) -> np.ndarray:
    """(L, 3) polylines joined into one array, NaN rows between them (plotly draws them apart)."""
    pieces = []
    for line in lines:
        pieces += [np.asarray(line, dtype=np.float32), np.full((1, 3), np.nan, dtype=np.float32)]
    return np.concatenate(pieces) if pieces else np.zeros((0, 3), dtype=np.float32)


# ------------------------------------------------------------------ traces


def patch_traces(scene_name: str, regions, n_classes: int) -> list[dict]:
    """The sphere's patches (mesh3d, one colour per face) and each class's boundary lines."""
    vertices, faces = patch_mesh(regions.polar, regions.azimuth)
    vertices = vertices.astype(np.float32)
    faces = faces.astype(np.uint16 if len(vertices) < 2**16 else np.int32)
    traces = [
        {
            "type": "mesh3d",
            "scene": scene_name,
            "x": vertices[:, 0],
            "y": vertices[:, 1],
            "z": vertices[:, 2],
            "i": faces[:, 0],
            "j": faces[:, 1],
            "k": faces[:, 2],
            "intensity": (face_classes(regions.labels) + 1).astype(np.int8),
            "intensitymode": "cell",
            "cmin": -0.5,
            "cmax": n_classes + 0.5,
            "colorscale": region_colorscale(n_classes),
            "showscale": False,
            "flatshading": False,
            "lighting": LIGHTING,
            "hoverinfo": "skip",
            "name": "regions",
            "showlegend": False,
        }
    ]
    for j, lines in enumerate(regions.boundaries):
        points = _joined3([BOUNDARY_RADIUS * np.asarray(line) for line in lines])
        traces.append(
            {
                "type": "scatter3d",
                "scene": scene_name,
                "mode": "lines",
                "x": points[:, 0],
                "y": points[:, 1],
                "z": points[:, 2],
                "line": {"width": 6, "color": class_color(j)},
                "name": f"class {j + 1} boundary",
                "legendgroup": f"class {j + 1}",
                "showlegend": False,
                "hoverinfo": "skip",
            }
        )
    return traces


def feature_traces(scene_name: str, scene: SphereScene, show_legend: bool, point_limit: int) -> list[dict]:
    """Features at their direction (radius FEATURE_RADIUS): train filled, test open, one trace per class."""
    labels, is_test = np.asarray(scene.labels), np.asarray(scene.is_test, dtype=bool)
    count = scene.weights.shape[0]
    directions = (FEATURE_RADIUS * _unit(scene.features)).astype(np.float32) if len(labels) else None
    traces = []
    for j in range(count if len(labels) else 0):
        for held_out, symbol in ((False, "circle"), (True, "circle-open")):
            chosen = np.flatnonzero((labels == j) & (is_test == held_out))
            chosen = chosen[display_subset(chosen.size, max(1, point_limit // (2 * count)))]
            traces.append(
                {
                    "type": "scatter3d",
                    "scene": scene_name,
                    "mode": "markers",
                    "x": directions[chosen, 0],
                    "y": directions[chosen, 1],
                    "z": directions[chosen, 2],
                    "marker": {
                        "color": class_color(j),
                        "size": 5,
                        "symbol": symbol,
                        "line": {"color": "white", "width": 1},
                    },
                    "name": f"class {j + 1}",
                    "legendgroup": f"class {j + 1}",
                    "showlegend": show_legend and not held_out,
                    "hoverinfo": "skip",
                }
            )
    return traces


def weight_traces(scene_name: str, weights: np.ndarray) -> list[dict]:
    """Each W_j as a line from the centre to ARROW_LENGTH along its direction, a cone at the tip, a label."""
    units = _unit(weights)
    traces = []
    for j, unit in enumerate(units):
        color = class_color(j)
        tip = ARROW_LENGTH * unit
        traces.append(
            {
                "type": "scatter3d",
                "scene": scene_name,
                "mode": "lines",
                "x": [0.0, float(tip[0])],
                "y": [0.0, float(tip[1])],
                "z": [0.0, float(tip[2])],
                "line": {"width": 7, "color": color},
                "legendgroup": f"class {j + 1}",
                "showlegend": False,
                "hoverinfo": "skip",
            }
        )
        traces.append(
            {
                "type": "cone",
                "scene": scene_name,
                "x": [float(tip[0])],
                "y": [float(tip[1])],
                "z": [float(tip[2])],
                "u": [float(unit[0])],
                "v": [float(unit[1])],
                "w": [float(unit[2])],
                "anchor": "tip",
                "sizemode": "absolute",
                "sizeref": 0.22,
                "colorscale": [[0, color], [1, color]],
                "showscale": False,
                "lighting": LIGHTING,
                "hoverinfo": "skip",
                "showlegend": False,
            }
        )
        label = LABEL_RADIUS * unit
        traces.append(
            {
                "type": "scatter3d",
                "scene": scene_name,
                "mode": "text",
                "x": [float(label[0])],
                "y": [float(label[1])],
                "z": [float(label[2])],
                "text": [f"W{j + 1}"],
                "textfont": {"color": color, "size": FONT_SIZE + 4, "family": FONT_FAMILY},
                "showlegend": False,
                "hoverinfo": "skip",
            }
        )
    return traces


def sphere_traces(scene_name: str, scene: SphereScene, show_legend: bool, point_limit: int = POINT_LIMIT) -> list:
    """Everything on one sphere: patches and boundaries, features, class vectors."""
    count = scene.weights.shape[0]
    regions = patch_traces(scene_name, scene.regions, count) if scene.regions is not None else []
    return (
        regions + feature_traces(scene_name, scene, show_legend, point_limit) + weight_traces(scene_name, scene.weights)
    )


def _margin_legend(axes: int) -> dict:
    """A legend-only grey square for the margin (a mesh has no legend symbol of its own), on the
    2-D axes of index `axes` (which must exist: a trace on unknown axes would draw new ones)."""
    marker = {"color": MARGIN_COLOR, "symbol": "square", "size": 12}
    suffix = "" if axes == 1 else str(axes)
    place = {"xaxis": f"x{suffix}", "yaxis": f"y{suffix}"}
    return {"type": "scatter", "mode": "markers", "x": [None], "y": [None], **place, "name": "margin (no class)",
            "marker": marker}  # fmt: skip


# ------------------------------------------------------------------ layout


def scene_layout(x_domain, y_domain) -> dict:
    """One 3-D scene: a cube of fixed range, no axis clutter, the camera kept across updates."""
    axis = {
        "range": [-AXIS_RANGE, AXIS_RANGE],
        "showticklabels": False,
        "showgrid": False,
        "zeroline": False,
        "showbackground": False,
        "showspikes": False,
        "visible": False,
        "title": {"text": ""},
    }
    return {
        "domain": {"x": list(x_domain), "y": list(y_domain)},
        "xaxis": dict(axis),
        "yaxis": dict(axis),
        "zaxis": dict(axis),
        "aspectmode": "cube",
        "camera": CAMERA,
        "dragmode": "turntable",
        "uirevision": UI_REVISION,
    }


def _base_layout(height: int) -> dict:
    return {
        "height": height,
        "uirevision": UI_REVISION,
        "font": {"family": FONT_FAMILY, "size": FONT_SIZE, "color": "#222222"},
        "margin": {"l": 50, "r": 10, "t": 30, "b": 40},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "legend": {"orientation": "h", "x": 0, "y": -0.04, "yanchor": "top"},
        "showlegend": True,
    }


def _title_axes(index: int, x_domain, y_domain) -> dict:
    """An invisible 2-D axis pair over a scene's domain: the scene's title is placed on it (a scene
    has no title, and layout.meta.narrow can move an axis domain, not a list of annotations).
    Plotly drops axes no trace uses: title_anchor_trace gives them one."""
    hidden = {"visible": False, "fixedrange": True, "range": [0, 1]}
    suffix = "" if index == 1 else str(index)
    return {
        f"xaxis{suffix}": {**hidden, "domain": list(x_domain), "anchor": f"y{suffix}"},
        f"yaxis{suffix}": {**hidden, "domain": list(y_domain), "anchor": f"x{suffix}"},
    }


def title_anchor_trace(index: int) -> dict:
    """An empty, invisible trace on the title axes of index (so plotly keeps them)."""
    suffix = "" if index == 1 else str(index)
    return {"type": "scatter", "x": [None], "y": [None], "xaxis": f"x{suffix}", "yaxis": f"y{suffix}",
            "showlegend": False, "hoverinfo": "skip", "mode": "markers"}  # fmt: skip


def _placed_scene(index: int, name: str, x_domain, y_domain) -> dict:
    """Layout keys of a scene and of the title axes that move with it."""
    return {name: {"domain": {"x": list(x_domain), "y": list(y_domain)}}, **_title_axes(index, x_domain, y_domain)}


def sphere_figure(scene: SphereScene, height: int = 620, title: str | None = None) -> dict:
    """One sphere filling the chart (the geometry page)."""
    layout = _base_layout(height)
    layout["margin"] = {"l": 0, "r": 0, "t": 40, "b": 10}
    layout["scene"] = scene_layout((0, 1), (0, 1))
    layout.update(_title_axes(2, (0, 1), (0, 1)))
    layout["annotations"] = [panel_title(2, title or scene.title)]
    data = sphere_traces("scene", scene, show_legend=True) + [_margin_legend(2), title_anchor_trace(2)]
    return {"data": data, "layout": layout}


def training_figure(region: RegionScene, scene: SphereScene, height: int = SINGLE_HEIGHT) -> dict:
    """/train with 3-D features, one model: input space (decision regions, points) | the sphere.
    On a chart under NARROW_BELOW px the sphere goes below the input space (layout.meta.narrow)."""
    data = plane_region_traces(region, 1) + sphere_traces("scene", scene, show_legend=True)
    data += [_margin_legend(2), title_anchor_trace(2)]
    layout = _base_layout(height)
    rows, left, right = (0.1, 1.0), (0.0, 0.44), (0.5, 1.0)
    common = {"zeroline": False, "showgrid": False, "ticks": "outside", "constrain": "domain"}
    x_range = [float(region.grid_x[0]), float(region.grid_x[-1])]
    y_range = [float(region.grid_y[0]), float(region.grid_y[-1])]
    layout["xaxis"] = {**common, "range": x_range, "domain": list(left), "anchor": "y"}
    layout["yaxis"] = {**common, "range": y_range, "domain": list(rows), "anchor": "x", "scaleanchor": "x"}
    layout["scene"] = scene_layout(right, rows)
    layout.update(_title_axes(2, right, rows))
    layout["annotations"] = [
        panel_title(1, "input space: decision regions"),
        panel_title(2, f"features on the sphere, {scene.title}"),
    ]
    top, bottom = (0.6, 1.0), (0.02, 0.52)
    narrow = {
        "xaxis": {"domain": [0.0, 1.0]},
        "yaxis": {"domain": list(top)},
        **_placed_scene(2, "scene", (0, 1), bottom),
    }
    layout["meta"] = {"narrow": {"below": NARROW_BELOW, "height": NARROW_HEIGHT, "layout": narrow}}
    return {"data": data, "layout": layout}


def compare_figure(scenes: list[SphereScene]) -> dict:
    """Several models in lockstep: one sphere each, two to a row (one column on a phone)."""
    count = len(scenes)
    if count == 0:
        raise ValueError("scenes must hold at least one sphere, got none")
    columns = 1 if count == 1 else 2
    rows = math.ceil(count / columns)
    layout = _base_layout(rows * COMPARE_ROW_HEIGHT + 40)
    layout.update(showlegend=False, margin={"l": 0, "r": 0, "t": 30, "b": 10}, annotations=[])
    data, narrow = [], {}
    for g, scene in enumerate(scenes):
        name = "scene" if g == 0 else f"scene{g + 1}"
        row, column = divmod(g, columns)
        x_domain = (column / columns + 0.01, (column + 1) / columns - 0.01)
        y_domain = (1 - (row + 1) / rows + 0.01, 1 - row / rows - 0.07)
        layout[name] = scene_layout(x_domain, y_domain)
        layout.update(_title_axes(g + 1, x_domain, y_domain))
        layout["annotations"].append(panel_title(g + 1, f"features, {scene.title}"))
        data += sphere_traces(name, scene, show_legend=False, point_limit=COMPARE_POINT_LIMIT)
        data.append(title_anchor_trace(g + 1))
        narrow.update(_placed_scene(g + 1, name, (0, 1), (1 - (g + 1) / count + 0.01, 1 - g / count - 0.05)))
    narrow_height = count * NARROW_COMPARE_ROW + 40
    layout["meta"] = {"narrow": {"below": NARROW_BELOW, "height": narrow_height, "layout": narrow}}
    return {"data": data, "layout": layout}


def region_table(regions, n_classes: int) -> list[dict]:
    """Share of the sphere's area where each class's criterion holds, and the margin's share (%).

    Each grid direction stands for its cell's area, sin(polar) d polar d azimuth.
    """
    weights = np.broadcast_to(np.sin(regions.polar)[:, None], regions.labels.shape)
    area = np.bincount(np.asarray(regions.labels).ravel() + 1, weights=weights.ravel(), minlength=n_classes + 1)
    share = 100.0 * area / area.sum()
    rows = [{"region": f"class {j + 1}", "share of the sphere (%)": f"{share[j + 1]:.1f}"} for j in range(n_classes)]
    rows.append({"region": "margin (no class)", "share of the sphere (%)": f"{share[0]:.1f}"})
    return rows
