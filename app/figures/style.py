"""Shared look of every figure: class colours, fonts big enough to project, layout defaults."""

from __future__ import annotations

# Ten class colours, distinct for every viewer: Okabe-Ito's blue, vermillion, bluish green, reddish
# purple and orange, then Paul Tol's indigo, wine and olive, sky blue and a brown. Checked in
# tests/app/test_style.py: every pair differs by CIELAB dE >= 12 under normal vision and simulated
# protan-, deutan- and tritanopia, and every colour stands apart from MARGIN_COLOR and the black
# softmax line. Class j uses CLASS_COLORS[j].
CLASS_COLORS = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#332288",  # indigo
    "#882255",  # wine
    "#999933",  # olive
    "#33BBEE",  # sky blue
    "#994F00",  # brown
)
# Each member of the margin family (lsoftmax.margins, by its name) has one colour on every page:
# five class colours, so the checks above cover them too. Plain softmax is SOFTMAX_COLOR.
MEMBER_COLORS = {
    "LSoftmax": CLASS_COLORS[0],  # blue
    "SphereFace": CLASS_COLORS[3],  # reddish purple
    "CosFace": CLASS_COLORS[2],  # bluish green
    "ArcFace": CLASS_COLORS[1],  # vermillion
    "CombinedMargin": CLASS_COLORS[4],  # orange
}
MARGIN_COLOR = "#BDBDBD"  # directions no class claims (a light grey hatch)
SOFTMAX_COLOR = "#111111"  # the plain softmax boundary
# Probabilities are a quantity, not a class: a sequential lightness ramp (white -> slate) that
# uses no class colour, so "low P(class 1)" never reads as another class's territory.
FIELD_COLORSCALE = ((0.0, "#FFFFFF"), (0.5, "#A7BCC9"), (1.0, "#1F3A4D"))
TICK_COLOR = "#222222"  # tick labels and axis titles: dark, for projectors
CHART_TEXT_MIN = 14  # px: the smallest chart text on any page
PRESENT_TEXT_MIN = 18  # px: the smallest chart text in presenter mode
FONT_FAMILY = "Inter, Helvetica, Arial, sans-serif"
FONT_SIZE = 18  # readable from the back of a classroom
TITLE_SIZE = 22
PLANE_HEIGHT = 680  # px; fixed so the page does not jump between updates
CURVE_HEIGHT = 560  # px, line charts (the legend sits below the plot)


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
