"""The class colours stay apart for every viewer and from the margin grey; the probability field
uses none of them. Colour distance is CIELAB dE (1976) after Machado et al.'s (2009) full-severity
simulations of protan-, deutan- and tritanopia, computed here from the published matrices."""

import itertools

import numpy as np
import pytest

from app.figures.style import CLASS_COLORS, FIELD_COLORSCALE, MARGIN_COLOR, SOFTMAX_COLOR

VISIONS = {
    "normal": np.eye(3),
    "protan": np.array(
        [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]]
    ),
    "deutan": np.array(
        [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]
    ),
    "tritan": np.array(
        [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]]
    ),
}
SRGB_TO_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
WHITE = np.array([0.95047, 1.0, 1.08883])  # D65


def lab(color: str, vision: str) -> np.ndarray:
    """CIELAB of '#RRGGBB' as a viewer with this vision sees it."""
    srgb = np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)]) / 255.0
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    xyz = SRGB_TO_XYZ @ np.clip(VISIONS[vision] @ linear, 0, 1) / WHITE
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def distance(first: str, second: str, vision: str) -> float:
    return float(np.linalg.norm(lab(first, vision) - lab(second, vision)))


@pytest.mark.parametrize("vision", list(VISIONS))
def test_every_pair_of_class_colours_differs(vision):
    assert len(set(CLASS_COLORS)) == 10
    pairs = {(a, b): distance(a, b, vision) for a, b in itertools.combinations(CLASS_COLORS, 2)}
    closest = min(pairs, key=pairs.get)
    assert pairs[closest] >= 12, (vision, closest, pairs[closest])


@pytest.mark.parametrize("vision", list(VISIONS))
@pytest.mark.parametrize("other", [MARGIN_COLOR, SOFTMAX_COLOR])
def test_class_colours_stand_apart_from_the_margin_and_softmax_line(vision, other):
    closest = min(CLASS_COLORS, key=lambda color: distance(color, other, vision))
    assert distance(closest, other, vision) >= 15, (vision, closest, other)


def test_class_colours_are_dark_enough_for_lines_on_white():
    assert all(lab(color, "normal")[0] <= 75 for color in CLASS_COLORS)


def test_the_probability_field_scale_is_sequential_and_uses_no_class_colour():
    colors = [color for _, color in FIELD_COLORSCALE]
    assert not set(colors) & set(CLASS_COLORS)
    lightness = [lab(color, "normal")[0] for color in colors]
    assert lightness == sorted(lightness, reverse=True)  # one direction: light = low probability
    chroma = [float(np.hypot(*lab(color, "normal")[1:])) for color in colors]
    assert max(chroma) < 25  # a muted ramp, not a hue a class owns
