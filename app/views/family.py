"""The margin family side by side: every member's boundary in the (theta1, theta2) plane and its
margin inside the wedge against theta12, live as its parameters move, with margin-family.md's
check values computed for the current parameters."""

from pathlib import Path

import pandas as pd
import streamlit as st

from app import family, links, presenter, sharing
from app.figures.family import angle_plane_figure, wedge_margin_figure
from app.figures.gif import png_export_config
from app.figures.style import CURVE_HEIGHT
from app.live_chart import live_chart
from lsoftmax.margins import margin_from_params

ASSETS = Path(__file__).resolve().parents[2] / "assets"
# The members' control boxes sit in a row that wraps: five where they fit, fewer (a phone: two) where
# not. The two figures share a row where each gets 32rem (a wide projector), else one under the other.
CONTROLS_CSS = """
<style>
.st-key-family-controls [data-testid="stHorizontalBlock"] { flex-wrap: wrap; gap: 0.5rem; }
.st-key-family-controls [data-testid="stHorizontalBlock"] > [data-testid="stColumn"] {
  flex: 1 1 10rem !important; min-width: min(10rem, 100%) !important;
}
.st-key-family-figures [data-testid="stHorizontalBlock"] { flex-wrap: wrap; }
.st-key-family-figures [data-testid="stHorizontalBlock"] > [data-testid="stColumn"] {
  flex: 1 1 32rem !important; min-width: min(32rem, 100%) !important;
}
</style>
"""


def member_controls(member: family.FamilyMember) -> dict:
    """One member's box: its show/hide toggle and its parameters' sliders."""
    values = {member.key: links.checkbox(member.shown, member.title)}
    for param, text, step in zip(member.params, member.labels, member.steps, strict=True):
        values[param.key] = links.slider(param, text, step=step, disabled=not values[member.key])
    return values


def controls() -> dict:
    """Every member's box, in a row above the figures; returns the values by URL key."""
    st.html(CONTROLS_CSS)
    values = {}
    # Presenting, each box folds into a button that opens it over the page: the five boxes took
    # 470 px and left a 1024 x 768 projector a third of the first figure.
    presenting = presenter.enabled()
    with st.container(key="family-controls"):
        for column, member in zip(st.columns(len(family.FAMILY)), family.FAMILY, strict=True):
            box = column.popover(member.title, width="stretch") if presenting else column.container(border=True)
            with box:
                values.update(member_controls(member))
    st.caption(
        "**s moves no boundary.** The scale of CosFace, ArcFace and the combined margin multiplies every logit "
        "of a normalised member alike, so it cancels here: it changes how hard training pushes, never where a "
        "boundary lies. "
        "|W1| / |W2| counts for L-Softmax only: A-Softmax and its successors normalise W."
    )
    return values


def cache_key(member) -> tuple:
    """(library name, its params as a sorted tuple): a member in plain values, for st.cache_data."""
    return member.name, tuple(sorted(member.params().items()))


@st.cache_data(max_entries=256, show_spinner=False)
def cached_plane(name: str, params: tuple, ratio: float):
    """Class 1's boundary (degrees) of one member at PLANE_ANGLES."""
    return family.plane_boundary(margin_from_params(name, dict(params)), ratio)


@st.cache_data(max_entries=256, show_spinner=False)
def cached_wedge(name: str, params: tuple, ratio: float, angles: tuple):
    """The margin inside the wedge (degrees) of one member at angles (degrees)."""
    return family.wedge_margins_deg(margin_from_params(name, dict(params)), ratio, angles)


def plane_curves(values: dict) -> dict:
    """Every shown member's boundary in the (theta1, theta2) plane, cached per member."""
    return family.member_curves(values, lambda member, ratio: cached_plane(*cache_key(member), ratio))


def wedge_curves(values: dict, angles) -> dict:
    """Every shown member's margin inside the wedge at angles (degrees), cached per member."""
    return family.member_curves(values, lambda member, ratio: cached_wedge(*cache_key(member), ratio, tuple(angles)))


def check_table(values: dict) -> None:
    """margin-family.md's check values, for the members and parameters shown now."""
    angles = family.CHECK_ANGLES
    rows = {
        label: [family.check_cell(margin, angle) for margin, angle in zip(margins, angles, strict=True)]
        for label, (_, margins) in wedge_curves(values, angles).items()
    }
    st.subheader("Margin inside the wedge, in degrees")
    if not rows:
        st.info("Switch a member on to see its margins.")
        return
    columns = [f"θ12 = {angle}°" for angle in angles]
    st.table(pd.DataFrame.from_dict(rows, orient="index", columns=columns))
    st.caption("Two classes at angle θ12 (equal norms, except L-Softmax at its |W1| / |W2|). "
               "(all): no direction of the wedge satisfies either class's criterion.")  # fmt: skip


st.title("The margin family")
links.notice_invalid_params(family.PARAMS)
values = controls()
plane, wedge = st.container(key="family-figures").columns(2, gap="medium")
with plane:
    live_chart(
        angle_plane_figure(family.PLANE_ANGLES, plane_curves(values)),
        key="family-plane", height=CURVE_HEIGHT, config=png_export_config("lsoftmax-family-plane"),
    )  # fmt: skip
with wedge:
    live_chart(
        wedge_margin_figure(family.WEDGE_ANGLES, wedge_curves(values, family.WEDGE_ANGLES)),
        key="family-wedge", height=CURVE_HEIGHT, config=png_export_config("lsoftmax-family-wedge"),
    )  # fmt: skip
check_table(values)
st.markdown((ASSETS / "family.md").read_text())
sharing.show_share(family.PAGE, family.PARAMS)
