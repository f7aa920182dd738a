"""The slide exports: the m-sweep GIF decoded with Pillow (frames, size, the margin's share of the
wedge against the closed form (m-1)/(m+1)), and the PNG export config of the charts."""

import io
import math

import numpy as np
import pytest
from PIL import Image

from app.figures.gif import margin_caption, png_export_config, sweep_gif
from app.figures.scenes import binary_view

MARGIN_GREY = (190, 190, 190)  # the flat fill of the margin
MARGINS = range(1, 9)


def sweep(norm1=2.0, norm2=2.0, theta12=90):
    views = [binary_view(norm1, norm2, theta12, m) for m in MARGINS]
    captions = [margin_caption(m, view.boundaries.margin) for m, view in zip(MARGINS, views, strict=True)]
    return sweep_gif([view.scene for view in views], captions, "footer")


def frames(data: bytes) -> list[np.ndarray]:
    image = Image.open(io.BytesIO(data))
    out = []
    for index in range(image.n_frames):
        image.seek(index)
        out.append(np.asarray(image.convert("RGB"), dtype=int))
    return out


def grey_mask(frame: np.ndarray) -> np.ndarray:
    return np.abs(frame - np.array(MARGIN_GREY)).max(axis=2) <= 3


def disc_geometry(frame: np.ndarray):
    """Centre and radius of the disc, found from the pixels (not from the drawing code)."""
    drawn = np.abs(frame - 252).max(axis=2) > 8  # anything not background
    rows, columns = np.nonzero(drawn[90:-50])  # skip the caption and footer bands
    rows = rows + 90
    centre = (0.5 * (columns.min() + columns.max()), 0.5 * (rows.min() + rows.max()))
    return centre, 0.5 * (columns.max() - columns.min())


def sector_share(frame: np.ndarray, low_deg: float, high_deg: float) -> float:
    """Share of margin grey among the fill pixels of an outer ring of the disc between two directions.

    Fill pixels are the light ones (grey or a class tint); the dark boundary lines are left out.
    """
    (cx, cy), radius = disc_geometry(frame)
    ys, xs = np.mgrid[0 : frame.shape[0], 0 : frame.shape[1]]
    distance = np.hypot(xs - cx, ys - cy)
    angle = np.degrees(np.arctan2(cy - ys, xs - cx))  # counter-clockwise, y up
    ring = (distance > 0.88 * radius) & (distance < 0.97 * radius) & (angle > low_deg) & (angle < high_deg)
    fill = frame.min(axis=2) >= 150
    return grey_mask(frame)[ring & fill].mean()


def test_the_gif_has_eight_captioned_frames_of_the_advertised_size_and_loops():
    data = sweep()
    image = Image.open(io.BytesIO(data))
    assert image.format == "GIF" and image.n_frames == 8
    assert image.size == (640, 84 + 640 + 48)
    assert image.info["loop"] == 0 and image.info["duration"] == 1000
    assert len(data) < 1_000_000


def test_the_margin_grows_with_m_for_equal_norms():
    counts = [grey_mask(frame).sum() for frame in frames(sweep())]
    assert counts[0] < 0.01 * counts[-1]  # m = 1: softmax leaves no margin
    assert all(a < b for a, b in zip(counts, counts[1:], strict=False))


@pytest.mark.parametrize("theta12", [60, 90, 150])
def test_the_margin_fills_the_closed_form_share_of_the_wedge(theta12):
    """Equal norms: between W1 and W2 the margin is (m-1)/(m+1) of the wedge (reference section 3)."""
    low, high = 90 - theta12 / 2, 90 + theta12 / 2  # W1 right of the vertical, W2 left of it
    for m, frame in zip(MARGINS, frames(sweep(theta12=theta12)), strict=True):
        expected = (m - 1) / (m + 1)
        assert sector_share(frame, low, high) == pytest.approx(expected, abs=0.01), m


def test_unequal_norms_change_the_frames():
    equal, unequal = frames(sweep(2.0, 2.0)), frames(sweep(3.0, 1.5))
    assert (equal[3] != unequal[3]).any(axis=2).mean() > 0.05


@pytest.mark.parametrize(
    ("m", "margin", "text"), [(1, 0.0, "m = 1, margin = 0.0°"), (4, math.radians(54), "m = 4, margin = 54.0°"),
                              (2, None, "m = 2, margin = none")],
)  # fmt: skip
def test_margin_caption(m, margin, text):
    assert margin_caption(m, margin) == text


@pytest.mark.parametrize(("scenes", "captions"), [([], []), ([None], ["a", "b"])])
def test_mismatched_input_is_rejected(scenes, captions):
    with pytest.raises(ValueError, match="scenes and captions"):
        sweep_gif(scenes, captions)


def test_png_export_shows_only_the_download_button_at_three_times_the_size():
    config = png_export_config("chart")
    assert config["modeBarButtons"] == [["toImage"]]
    assert config["toImageButtonOptions"] == {"format": "png", "filename": "chart", "scale": 3}
    assert config["displayModeBar"] is True and config["displaylogo"] is False
