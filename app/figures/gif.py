"""Exports for slides: an animated GIF of plane scenes (e.g. the m = 1..8 sweep), scenes in, bytes out,
and the plotly config that turns a chart's mode bar into one "download PNG" button at projector resolution.

Each frame is a disc of directions: every class's feasible wedges in a light tint of its colour,
the margin (directions no class claims) in flat grey, the L-Softmax boundaries in the class
colours, the softmax boundary dashed black, the class vectors as arrows, and a big caption.
Drawn with Pillow (no browser needed); flat colours keep the GIF small and the margin countable.
"""

from __future__ import annotations

import io
import math

from PIL import Image, ImageDraw, ImageFont

from app.figures.geometry import PlaneScene
from app.figures.style import SOFTMAX_COLOR, class_color

GIF_SIZE = 640  # px, square plane; the caption band comes on top
CAPTION_HEIGHT = 84  # px
CAPTION_SIZE = 46  # px font: readable on a projected slide
FOOTER_HEIGHT = 48  # px band under the disc for the fixed settings
FOOTER_SIZE = 24  # px font
ARROW_REACH = 0.62  # the longest class vector spans this share of the disc's radius
LABEL_SIZE = 34  # px font of the W labels
FRAME_MS = 1000  # display time of one frame
BACKGROUND = (255, 255, 255)
DISC_EDGE = (200, 200, 200)
MARGIN_FILL = (190, 190, 190)  # flat grey: the margin, unmistakable on a projector
TINT = 0.22  # share of the class colour in its wedge fill (the rest is white)
BOUNDARY_WIDTH = 4
ARROW_WIDTH = 7


PNG_SCALE = 3  # the PNG export is 3x the on-screen size: sharp on a projector or a slide


def png_export_config(filename: str) -> dict:
    """st.plotly_chart config: a mode bar with only the PNG download, at PNG_SCALE times the screen size."""
    return {
        "displayModeBar": True,
        "displaylogo": False,
        "modeBarButtons": [["toImage"]],
        "toImageButtonOptions": {"format": "png", "filename": filename, "scale": PNG_SCALE},
    }


def margin_caption(m: int, margin: float | None) -> str:
    """The caption of one sweep frame: 'm = 4, margin = 54.0°' (margin in radians, None when there is none)."""
    shown = "none" if margin is None else f"{math.degrees(margin):.1f}°"
    return f"m = {m}, margin = {shown}"


def rgb(color: str) -> tuple[int, int, int]:
    """'#RRGGBB' -> (r, g, b)."""
    return tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))


def tint(color: str, share: float = TINT) -> tuple[int, int, int]:
    """color mixed with white: share of color, 1 - share of white."""
    return tuple(round(share * c + (1 - share) * 255) for c in rgb(color))


class _Canvas:
    """Plot coordinates -> pixels of a square plane below the caption band (longest vector at a fixed reach)."""

    def __init__(self, image: Image.Image, longest: float, size: int, top: int):
        self.draw = ImageDraw.Draw(image)
        self.radius = size / 2 - 6  # px: the disc of directions, inside the frame
        self.centre = (size / 2, top + size / 2)
        self.scale = ARROW_REACH * self.radius / longest  # px per plot unit: the longest vector fills the reach

    def point(self, x: float, y: float) -> tuple[float, float]:
        return self.centre[0] + self.scale * x, self.centre[1] - self.scale * y

    def rim(self, angle: float, fraction: float = 1.0) -> tuple[float, float]:
        """The pixel at direction angle (radians), fraction of the way to the disc's edge."""
        return (
            self.centre[0] + fraction * self.radius * math.cos(angle),
            self.centre[1] - fraction * self.radius * math.sin(angle),
        )

    def wedge(self, start: float, end: float, fill) -> None:
        """Fill the sector from direction start counter-clockwise to end (radians)."""
        box = [self.centre[0] - self.radius, self.centre[1] - self.radius]
        box += [self.centre[0] + self.radius, self.centre[1] + self.radius]
        # Pillow measures degrees clockwise on screen (y down): negate and swap.
        self.draw.pieslice(box, -math.degrees(end), -math.degrees(start), fill=fill)


def _dashed_ray(canvas: _Canvas, angle: float, dash: float = 0.06) -> None:
    steps = int(1 / dash)
    for k in range(0, steps, 2):
        start, end = canvas.rim(angle, k * dash), canvas.rim(angle, min(1.0, (k + 1) * dash))
        canvas.draw.line([start, end], fill=rgb(SOFTMAX_COLOR), width=BOUNDARY_WIDTH - 1)


def _arrow(canvas: _Canvas, vector, color) -> None:
    x, y = float(vector[0]), float(vector[1])
    tip, base = canvas.point(x, y), canvas.point(0.0, 0.0)
    angle = math.atan2(tip[1] - base[1], tip[0] - base[0])
    head = 22  # px
    neck = (tip[0] - 0.8 * head * math.cos(angle), tip[1] - 0.8 * head * math.sin(angle))
    canvas.draw.line([base, neck], fill=rgb(color), width=ARROW_WIDTH)
    wings = [(tip[0] - head * math.cos(angle + s), tip[1] - head * math.sin(angle + s)) for s in (0.45, -0.45)]
    canvas.draw.polygon([tip, *wings], fill=rgb(color))


def _label(canvas: _Canvas, vector, text: str, color, font) -> None:
    norm = math.hypot(float(vector[0]), float(vector[1]))
    scale = (norm + 0.55) / norm
    position = canvas.point(float(vector[0]) * scale, float(vector[1]) * scale)
    canvas.draw.text(position, text, fill=rgb(color), font=font, anchor="mm", stroke_width=3, stroke_fill=BACKGROUND)


def draw_frame(scene: PlaneScene, caption: str, footer: str = "", size: int = GIF_SIZE) -> Image.Image:
    """One RGB frame, size x (CAPTION_HEIGHT + size + FOOTER_HEIGHT) px: caption, disc of directions, footer.

    Vector lengths keep their ratios; the longest is drawn at ARROW_REACH of the disc's radius.
    """
    image = Image.new("RGB", (size, CAPTION_HEIGHT + size + FOOTER_HEIGHT), BACKGROUND)
    longest = float(max(math.hypot(float(x), float(y)) for x, y in scene.weights))
    canvas = _Canvas(image, longest, size, CAPTION_HEIGHT)
    canvas.wedge(0.0, 2 * math.pi, BACKGROUND)
    for j, class_arcs in enumerate(scene.arcs):
        for start, end in class_arcs:
            canvas.wedge(start, end, tint(class_color(j)))
    for start, end in scene.gaps:
        canvas.wedge(start, end, MARGIN_FILL)
    box = [canvas.centre[0] - canvas.radius, canvas.centre[1] - canvas.radius]
    canvas.draw.ellipse(box + [canvas.centre[0] + canvas.radius, canvas.centre[1] + canvas.radius], outline=DISC_EDGE)
    for j, class_arcs in enumerate(scene.arcs):
        for start, end in class_arcs:
            if end - start < 2 * math.pi - 1e-9:
                for angle in (start, end):
                    canvas.draw.line([canvas.rim(0.0, 0.0), canvas.rim(angle)], fill=rgb(class_color(j)), width=4)
    for angle in scene.softmax_rays:
        _dashed_ray(canvas, angle)
    label_font = ImageFont.load_default(size=LABEL_SIZE)
    for j, vector in enumerate(scene.weights):
        _arrow(canvas, vector, class_color(j))
        _label(canvas, vector, f"W{j + 1}", class_color(j), label_font)
    caption_font = ImageFont.load_default(size=CAPTION_SIZE)
    canvas.draw.text((size / 2, CAPTION_HEIGHT / 2), caption, fill=(17, 17, 17), font=caption_font, anchor="mm")
    footer_font = ImageFont.load_default(size=FOOTER_SIZE)
    bottom = CAPTION_HEIGHT + size + FOOTER_HEIGHT / 2
    canvas.draw.text((size / 2, bottom), footer, fill=(68, 68, 68), font=footer_font, anchor="mm")
    return image


def _shared_palette(frames: list[Image.Image]) -> Image.Image:
    """One adaptive palette for all frames: flat fills survive exactly, text edges share the rest."""
    width, height = frames[0].size
    sheet = Image.new("RGB", (width, height * len(frames)), BACKGROUND)
    for index, frame in enumerate(frames):
        sheet.paste(frame, (0, index * height))
    return sheet.quantize(colors=255, method=Image.Quantize.MEDIANCUT)


def sweep_gif(scenes, captions, footer: str = "", size: int = GIF_SIZE, frame_ms: int = FRAME_MS) -> bytes:
    """An endlessly looping GIF with one frame per scene, each with its caption and the same footer; GIF bytes."""
    if len(scenes) != len(captions) or not scenes:
        raise ValueError(
            f"scenes and captions must be non-empty and of equal length, got {len(scenes)} and {len(captions)}"
        )
    if size < 200:
        raise ValueError(f"size must be at least 200 px, got {size}")
    frames = [draw_frame(scene, caption, footer, size) for scene, caption in zip(scenes, captions, strict=True)]
    palette = _shared_palette(frames)
    frames = [frame.quantize(palette=palette, dither=Image.Dither.NONE) for frame in frames]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=frame_ms, loop=0)
    return buffer.getvalue()
