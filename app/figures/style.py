"""Shared look of every figure: class colours, fonts big enough to project, layout defaults."""

from __future__ import annotations

# Okabe-Ito (colour-blind safe) first, then four more distinct hues: class j uses CLASS_COLORS[j].
CLASS_COLORS = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#8C564B",  # brown
    "#6A3D9A",  # purple
    "#B8A000",  # dark yellow
    "#444444",  # dark grey
)
MARGIN_COLOR = "#9E9E9E"  # directions no class claims
SOFTMAX_COLOR = "#111111"  # the plain softmax boundary
FONT_FAMILY = "Inter, Helvetica, Arial, sans-serif"
FONT_SIZE = 18  # readable from the back of a classroom
TITLE_SIZE = 22
PLANE_HEIGHT = 680  # px; fixed so the page does not jump between updates
CURVE_HEIGHT = 460  # px, line charts


def class_color(index: int) -> str:
    """Colour of class index (0-based); cycles after ten classes."""
    return CLASS_COLORS[index % len(CLASS_COLORS)]


def with_alpha(color: str, alpha: float) -> str:
    """'#RRGGBB' -> 'rgba(r,g,b,alpha)'."""
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def base_layout(height: int, **overrides) -> dict:
    """Layout keywords every figure starts from: fonts, margins, white background, fixed height."""
    layout = {
        "height": height,
        "font": {"family": FONT_FAMILY, "size": FONT_SIZE, "color": "#222222"},
        "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "legend": {"font": {"size": FONT_SIZE - 2}},
        "hoverlabel": {"font": {"size": FONT_SIZE - 2}},
    }
    layout.update(overrides)
    return layout
