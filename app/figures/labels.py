"""Label placement without overlaps: a small greedy routine, pure and unit-tested.

Each label has an anchor (where it would like to sit), a box size and a direction to move along
when its place is taken. Labels are placed in order: a label takes the first candidate position,
walking outward along its direction and sideways from it, whose box meets neither a label placed
before it nor an obstacle (a marker, an arrow tip). live_chart.js's labels.js is the same routine
for frames drawn in the browser; a browser test checks the two agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DISTANCES = (0, *(sign * k for k in range(1, 16) for sign in (1, -1)))  # along the direction, in `step`s
SIDEWAYS = (0, 1, -1, 2, -2)  # candidate offsets across the direction, in units of `step`


@dataclass(frozen=True)
class Label:
    """One text label: anchor and size in plot units, the unit direction it may move along."""

    x: float
    y: float
    width: float
    height: float
    direction: tuple[float, float] = (0.0, 1.0)


Box = tuple[float, float, float, float]  # (left, bottom, right, top)


def box_of(x: float, y: float, width: float, height: float) -> Box:
    """The box of a label of this size centred on (x, y)."""
    return (x - width / 2, y - height / 2, x + width / 2, y + height / 2)


def overlaps(first: Box, second: Box) -> bool:
    """Whether two boxes share interior (touching edges do not count)."""
    return first[0] < second[2] and second[0] < first[2] and first[1] < second[3] and second[1] < first[3]


def candidates(label: Label, step: float):
    """Positions to try, nearest first: along the direction (out, then in), at each distance sideways."""
    dx, dy = label.direction
    length = math.hypot(dx, dy) or 1.0
    dx, dy = dx / length, dy / length
    for outward in DISTANCES:
        for side in SIDEWAYS:
            yield (label.x + step * (outward * dx - side * dy), label.y + step * (outward * dy + side * dx))


def inside(box: Box, bounds: Box | None) -> bool:
    """Whether box lies within bounds (None: no bounds)."""
    return bounds is None or (
        box[0] >= bounds[0] and box[1] >= bounds[1] and box[2] <= bounds[2] and box[3] <= bounds[3]
    )


def place_labels(
    labels, obstacles=(), step: float | None = None, bounds: Box | None = None
) -> list[tuple[float, float]]:
    """(x, y) centre for each label, in order; a label with no free candidate keeps its anchor.

    A free candidate meets no earlier label and no obstacle and lies within bounds (the plot,
    where plotly would hide a label outside it). step defaults to half the tallest label's height.
    """
    labels = list(labels)
    if step is None:
        step = 0.5 * max((label.height for label in labels), default=1.0)
    if not step > 0:
        raise ValueError(f"step must be positive, got {step!r}")
    taken = [tuple(box) for box in obstacles]
    placed = []
    for label in labels:
        spot = (label.x, label.y)
        for x, y in candidates(label, step):
            box = box_of(x, y, label.width, label.height)
            if inside(box, bounds) and not any(overlaps(box, other) for other in taken):
                spot = (x, y)
                break
        taken.append(box_of(*spot, label.width, label.height))
        placed.append(spot)
    return placed


def text_size(text: str, font_px: float, units_per_px: float) -> tuple[float, float]:
    """Estimated (width, height) in plot units of a one-line label (tags such as <sub> not counted)."""
    visible, inside = 0, False
    for character in text:
        if character == "<":
            inside = True
        elif character == ">":
            inside = False
        elif not inside:
            visible += 1
    return (0.62 * font_px * visible + 6) * units_per_px, 1.35 * font_px * units_per_px
