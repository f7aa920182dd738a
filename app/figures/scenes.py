"""Plumbing from control values (degrees, norms, m) to PlaneScenes: every number comes from
lsoftmax.geometry; this module only places the vectors on screen and packs the results."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from app.figures.geometry import (
    ARC_STEP,
    LABEL_GAP,
    LABEL_PLOT_PX,
    MARK_GAP,
    MARK_NOTE,
    OBSTACLE_PX,
    OVERLAY_GAP_RADIUS,
    W_LABEL_PX,
    AngleMark,
    PlaneScene,
)
from app.figures.style import CLASS_COLORS
from lab.explain import SampleReadout
from lsoftmax.geometry import (
    BinaryBoundaries,
    Gap,
    angle_between,
    binary_boundaries,
    criterion_slack,
    feasible_arcs,
    grid_points,
    margin_gaps,
    probability_field,
    weights_from_polar,
)
from lsoftmax.margin import psi
from lsoftmax.margins import as_margin

EXTENT = 5.5  # axes run over [-EXTENT, EXTENT]; norms go up to 5
FIELD_RESOLUTION = 60  # 60 x 60 float32 heatmap, about 19 KB on the wire
FIELD_KINDS = ("off", "softmax", "L-Softmax")
MULTICLASS_MARK_RADIUS = 0.78 * EXTENT  # the K-class margin marks; their labels sit just outside
MULTICLASS_OVERLAY_RADIUS = 3.7  # the compared member's margin band, inside those marks and labels
THETA12_MARK_RADIUS = 0.75
MARGIN_MARK_RADIUS = 3.4


def plane_constants() -> dict:
    """The numbers live_chart.js needs to redraw a plane scene in the browser exactly as here."""
    axis = np.linspace(-EXTENT, EXTENT, FIELD_RESOLUTION)
    return {
        "extent": EXTENT, "theta12_radius": THETA12_MARK_RADIUS, "margin_radius": MARGIN_MARK_RADIUS,
        "arc_step": ARC_STEP, "field_axis": axis.tolist(), "label_gap": LABEL_GAP, "mark_gap": MARK_GAP,
        "mark_note": MARK_NOTE, "w_label_px": W_LABEL_PX, "label_plot_px": LABEL_PLOT_PX, "obstacle_px": OBSTACLE_PX,
        "overlay_radius": OVERLAY_GAP_RADIUS, "multiclass_overlay_radius": MULTICLASS_OVERLAY_RADIUS,
        "multiclass_mark_radius": MULTICLASS_MARK_RADIUS,
    }  # fmt: skip


def psi_constants(points: int) -> dict:
    """What live_chart.js needs to redraw the psi figure: the sample count and the curve colours."""
    return {"points": int(points), "colors": list(CLASS_COLORS)}


def binary_directions(theta12_deg: float) -> tuple[float, float]:
    """Screen directions (radians) of W1 and W2: symmetric about the vertical axis, W1 on the right."""
    half = math.radians(theta12_deg) / 2
    return math.pi / 2 - half, math.pi / 2 + half


def softmax_rays(weights: np.ndarray, margin=1) -> tuple[float, ...]:
    """Directions of the member's plain softmax boundaries: where the m = 1 arcs start, the norms
    replaced by the member's class scales (all 1 when it normalises W: cosines alone decide)."""
    scales = as_margin(margin).class_scales(np.hypot(weights[:, 0], weights[:, 1]))
    plain = weights_from_polar(np.arctan2(weights[:, 1], weights[:, 0]), scales)
    return tuple(sorted(start for class_arcs in feasible_arcs(plain, 1) for start, _ in class_arcs))


def overlay_part(weights: np.ndarray, overlay) -> dict:
    """The PlaneScene fields of a second member drawn over the first (none when overlay is None)."""
    if overlay is None:
        return {}
    arcs = feasible_arcs(weights, overlay)
    return {"overlay_arcs": arcs, "overlay_gaps": open_gaps(margin_gaps(arcs))}


def open_gaps(gaps: list[Gap]) -> list[tuple[float, float]]:
    """(start, end) of the margin gaps that have a width."""
    return [(gap.start, gap.end) for gap in gaps if gap.width > 1e-9]


def class1_field(weights: np.ndarray, m, kind: str):
    """(axis, z): float32 grid axis and P(class 1) over the plane, or (None, None) when kind is 'off'
    or the member is not L-Softmax (the field is drawn for L-Softmax only)."""
    if kind == "off" or as_margin(m).name != "LSoftmax":
        return None, None
    m = as_margin(m).m
    axis, _, points = grid_points(EXTENT, FIELD_RESOLUTION)
    probability = probability_field(weights, points, m=1 if kind == "softmax" else m)[0]
    return axis.astype(np.float32), probability.reshape(FIELD_RESOLUTION, FIELD_RESOLUTION).astype(np.float32)


@dataclass(frozen=True)
class BinaryView:
    """A two-class scene plus the numbers the page prints beside it."""

    scene: PlaneScene
    boundaries: BinaryBoundaries  # angles from W1 towards W2, radians
    weights: np.ndarray  # (2, 2)
    gaps: list[Gap]


def binary_marks(theta12_deg: float, boundaries: BinaryBoundaries) -> tuple[AngleMark, ...]:
    """The theta12 arc and, when there is one, the margin arc inside the wedge."""
    first, second = binary_directions(theta12_deg)
    marks = [AngleMark(first, second, THETA12_MARK_RADIUS, f"θ<sub>12</sub> = {theta12_deg:g}°")]
    margin = boundaries.margin
    if margin is not None and margin > 1e-9:
        start = first + (boundaries.class1 or 0.0)
        marks.append(AngleMark(start, start + margin, MARGIN_MARK_RADIUS, f"margin {math.degrees(margin):.1f}°"))
    return tuple(marks)


def binary_view(
    norm1, norm2, theta12_deg, m, sample_angle_deg=None, sample_norm=None, field_kind="off", overlay=None, labels=()
) -> BinaryView:
    """Scene and numbers for W1, W2 at theta12 degrees; the sample angle is measured from W1 towards W2.

    m: a member of lsoftmax.margins or an integer m (L-Softmax); overlay: a second member drawn over
    it, or None; labels: the legend's names of the two (PlaneScene.labels).
    """
    first, second = binary_directions(theta12_deg)
    weights = weights_from_polar([first, second], [norm1, norm2])
    arcs = feasible_arcs(weights, m)
    gaps = margin_gaps(arcs)
    boundaries = binary_boundaries(norm1, norm2, math.radians(theta12_deg), m)
    sample = None if sample_angle_deg is None else binary_sample(theta12_deg, sample_angle_deg, sample_norm)
    axis, field = class1_field(weights, m, field_kind)
    scene = PlaneScene(
        weights=weights, arcs=arcs, gaps=open_gaps(gaps), softmax_rays=softmax_rays(weights, m), extent=EXTENT,
        sample=sample, field_axis=axis, field=field, field_title=f"P(class 1), {field_kind}",
        marks=binary_marks(theta12_deg, boundaries), labels=tuple(labels), **overlay_part(weights, overlay),
    )  # fmt: skip
    return BinaryView(scene=scene, boundaries=boundaries, weights=weights, gaps=gaps)


def multiclass_scene(angles_deg, norms, m, overlay=None, labels=()) -> tuple[PlaneScene, list[Gap]]:
    """Scene for K class vectors at angles (degrees) with norms, and the margin gaps around the circle.

    m: a member or an integer m; overlay: a second member drawn over it, or None; labels: their names.
    """
    weights = weights_from_polar(np.radians(np.asarray(angles_deg, dtype=float)), np.asarray(norms, dtype=float))
    arcs = feasible_arcs(weights, m)
    gaps = margin_gaps(arcs)
    marks = tuple(
        AngleMark(gap.start, gap.end, MULTICLASS_MARK_RADIUS, f"{math.degrees(gap.width):.0f}°")
        for gap in gaps
        if gap.width > math.radians(4)
    )
    scene = PlaneScene(
        weights=weights, arcs=arcs, gaps=open_gaps(gaps), softmax_rays=softmax_rays(weights, m), extent=EXTENT,
        marks=marks, labels=tuple(labels), overlay_radius=MULTICLASS_OVERLAY_RADIUS, **overlay_part(weights, overlay),
    )  # fmt: skip
    return scene, gaps


# The binary page's defaults; the About page draws the same figure from them.
BINARY_DEFAULTS = {"norm1": 2.0, "norm2": 2.0, "theta12_deg": 90, "m": 4, "sample_angle_deg": 30, "sample_norm": 3.0}


def binary_sample(theta12_deg: float, sample_angle_deg: float, sample_norm: float) -> np.ndarray:
    """(2,) the feature x at sample_angle_deg from W1 (towards W2) with norm sample_norm."""
    first, _ = binary_directions(theta12_deg)
    return weights_from_polar([first + math.radians(sample_angle_deg)], [sample_norm])[0]


def psi_samples(m_max: int, points: int):
    """(theta (P,) radians on [0, pi], {"ψ, m = k": psi for k = 1..m_max}, cos theta (P,))."""
    theta = np.linspace(0.0, np.pi, points)
    return theta, {f"ψ, m = {m}": psi(theta, m) for m in range(1, m_max + 1)}, np.cos(theta)


def schedule_samples(schedules: dict, iterations: int, points: int):
    """(sampled iterations, {label: lambda at each}) for schedules {label: obj with schedule(t)}."""
    steps = np.unique(np.linspace(0, iterations, points).astype(int))
    return steps, {label: np.array([schedule.schedule(int(t)) for t in steps]) for label, schedule in schedules.items()}


def member_readout(weights: np.ndarray, x: np.ndarray, member) -> SampleReadout:
    """lab.explain.sample_readout for any member of lsoftmax.margins: the logits (scale s included)
    from lsoftmax.functional, the criterion from lsoftmax.geometry. The *lsoftmax* fields hold the
    member's margin logits; softmax means the member's own plain logits scale_j cos(theta_j)."""
    import torch  # only here: the geometry pages load torch once a member other than L-Softmax is chosen

    from lsoftmax.functional import margin_logits, plain_logits

    member = as_margin(member)
    k = len(weights)
    weight = torch.as_tensor(np.asarray(weights, dtype=np.float64))
    features = torch.as_tensor(np.asarray(x, dtype=np.float64)).reshape(1, 2).expand(k, 2)
    labels = torch.arange(k)
    plain = plain_logits(features[:1], weight, member)[0]  # (K,)
    margin = margin_logits(features, weight, labels, member)  # (K, K): row y has label y
    log_plain = torch.log_softmax(plain, dim=0)
    log_margin = torch.log_softmax(margin, dim=1).diagonal()
    phi = math.atan2(float(x[1]), float(x[0]))
    return SampleReadout(
        theta=angle_between(phi, np.arctan2(weights[:, 1], weights[:, 0])),
        softmax_logits=plain.numpy(),
        lsoftmax_logits=margin.diagonal().numpy(),
        softmax_prob=log_plain.exp().numpy(),
        lsoftmax_prob=log_margin.exp().numpy(),
        softmax_loss=(-log_plain).numpy(),
        lsoftmax_loss=(-log_margin).numpy(),
        criterion=criterion_slack(weights, member, [phi])[:, 0] > 0,
    )
