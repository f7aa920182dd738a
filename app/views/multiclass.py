"""K classes in the plane: every class's feasible arcs under the chosen margin-family member, the
margins between neighbours, a second member drawn over it, and what happens when one class vector
shrinks."""

from math import degrees
from pathlib import Path

import pandas as pd
import streamlit as st

from app import links, notices, presenter, sharing
from app.explorer_controls import (
    ANGLES,
    MAX_CLASSES,
    MEMBER,
    MULTICLASS_M,
    NORMS,
    chosen_members,
    member_choices,
    member_controls,
    member_params,
    multiclass_live,
    multiclass_title,
    overlay_choices,
)
from app.figures.geometry import plane_figure
from app.figures.gif import png_export_config
from app.figures.scenes import multiclass_scene
from app.figures.style import PLANE_HEIGHT
from app.live_chart import live_chart
from app.live_chart.controls import apply_settled

ASSETS = Path(__file__).resolve().parents[2] / "assets"
K = links.Param("k", 4, 2, MAX_CLASSES)
M = MULTICLASS_M
CHOICES, OVERLAYS = member_choices(M), overlay_choices(M)
SHRUNK_NORM = 1.0  # the "shrink class 1" preset


def even_angle(j: int, k: int) -> int:
    """Default angle of class j (0-based) among k evenly spaced classes, whole degrees."""
    return round(360 * j / k)


def page_params(k: int) -> tuple:
    """Every bound control, with the angle defaults that belong to k classes."""
    angles = tuple(param.with_default(even_angle(j, k)) for j, param in enumerate(ANGLES))
    return (K, M, *angles, *NORMS, *member_params(M))


def respace():
    """Callback: put the K class vectors back at even spacing."""
    k = st.session_state[K.key]
    for j, param in enumerate(ANGLES):
        st.session_state[param.key] = even_angle(j, k)


def reset_norms():
    """Callback: every norm back to the default."""
    for param in NORMS:
        st.session_state[param.key] = param.default


def shrink_first():
    """Callback: the imbalance preset, a short W1."""
    st.session_state[NORMS[0].key] = SHRUNK_NORM


def same_vectors(angles, norms) -> list[str]:
    """Pairs of classes with the same angle and norm: the plane cannot tell them apart."""
    seen, pairs = {}, []
    for j, vector in enumerate(zip((a % 360 for a in angles), norms, strict=True)):
        if vector in seen:
            pairs.append(f"W{seen[vector] + 1} and W{j + 1}")
        seen.setdefault(vector, j)
    return pairs


@st.cache_data(max_entries=512, show_spinner=False)
def cached_scene(angles, norms, member, overlay=None, labels=()):
    """multiclass_scene cached on plain tuples and frozen members."""
    return multiclass_scene(angles, norms, member, overlay, labels)


def class_sliders(k: int) -> tuple[list[int], list[float]]:
    """An angle and a norm slider per class; returns the angles (degrees) and norms."""
    angles, norms = [], []
    for j in range(k):
        left, right = st.columns(2)
        with left:
            angles.append(links.slider(page_params(k)[2 + j], f"W{j + 1} angle (°)"))
        with right:
            norms.append(links.slider(NORMS[j], f"|W{j + 1}|", step=0.1))
    return angles, norms


def controls() -> tuple[int, dict, list[int], list[float]]:
    """The sidebar; returns K, the member controls' values by URL key, the angles (degrees) and the norms."""
    with st.sidebar:
        st.header("Controls")
        k = links.slider(K, "number of classes K", on_change=respace)
        members = member_controls(CHOICES, OVERLAYS)
        if CHOICES[members[MEMBER.key]].margin(members).normalises_weight:
            st.caption("This member normalises W: the norms draw the arrows but move no boundary.")
        if CHOICES[members[MEMBER.key]].margin(members).normalises_feature:
            st.caption(
                "Its scale s multiplies every logit alike: it cancels in these regions, so it has no slider here."
            )
        st.button("shrink class 1", on_click=shrink_first, width="stretch", help=f"|W1| = {SHRUNK_NORM}")
        left, right = st.columns(2)
        left.button("even spacing", on_click=respace, width="stretch")
        right.button("equal norms", on_click=reset_norms, width="stretch")
        st.subheader("Class vectors")
        angles, norms = class_sliders(k)
    return k, members, angles, norms


def settle(values: dict) -> None:
    """A slider above the plane was released: its values become the page's (sidebar, tables, URL)."""
    apply_settled(values, page_params(st.session_state.get(K.key, K.default)))


def margin_table(gaps) -> pd.DataFrame:
    """One row per pair of neighbouring arcs: the margin between them, in degrees."""
    rows = [
        {
            "between": f"W{gap.before + 1} and W{gap.after + 1}",
            "margin (°)": f"{degrees(gap.width):.2f}",
            "from (°)": f"{degrees(gap.start) % 360:.1f}",
            "to (°)": f"{degrees(gap.end) % 360:.1f}",
        }
        for gap in gaps
    ]
    return pd.DataFrame(rows, columns=["between", "margin (°)", "from (°)", "to (°)"])


def class_table(scene, angles, norms) -> pd.DataFrame:
    """One row per class: its angle, norm and total feasible width."""
    widths = [sum(end - start for start, end in arcs) for arcs in scene.arcs]
    return pd.DataFrame(
        {
            "angle (°)": [f"{a:g}" for a in angles],
            "norm": [f"{n:g}" for n in norms],
            "feasible (°)": [f"{degrees(w):.2f}" for w in widths],
        },
        index=[f"W{j + 1}" for j in range(len(angles))],
    )


def imbalance_note(scene, norms, member) -> None:
    """When norms differ (and count), say how much narrower the shortest vector's wedge is."""
    if max(norms) == min(norms) or member.normalises_weight:
        return
    widths = [degrees(sum(end - start for start, end in arcs)) for arcs in scene.arcs]
    small, large = norms.index(min(norms)), norms.index(max(norms))
    st.info(
        f"W{small + 1} is the shortest vector (|W| = {norms[small]:g}): its class is feasible over "
        f"{widths[small]:.1f}° of directions, against {widths[large]:.1f}° for W{large + 1} "
        f"(|W| = {norms[large]:g}). A short class vector gives its class a thin wedge: with imbalanced data "
        "the rare class's vector tends to shrink, and L-Softmax then asks even more of it."
    )


st.title("K classes around the circle")
links.notice_invalid_params(page_params(K.default))  # validity does not depend on K
k, members, angles, norms = controls()
member, overlay, labels = chosen_members(CHOICES, OVERLAYS, members)
# A member that normalises W cannot tell two vectors of one direction apart, whatever their norms.
duplicates = same_vectors(angles, [1.0] * k if member.normalises_weight else norms)
if duplicates:  # identical classes tie everywhere: neither can win, there is no boundary to draw
    what = (
        "the same direction, which this member sees as one vector"
        if member.normalises_weight
        else ("the same vector (same angle and norm)")
    )
    notices.error(f"{', '.join(duplicates)} are {what}. Move one of them.")
    st.stop()
try:
    scene, gaps = cached_scene(tuple(angles), tuple(norms), member, overlay, labels)
except ValueError as error:  # say what the library rejected instead of showing a traceback
    notices.error(f"These class vectors cannot be drawn: {error}")
    st.stop()
# Presenter mode: the figure takes the width, its numbers go below it.
if presenter.enabled():
    plot, numbers = st.container(), st.container()
else:  # keyed: the page CSS wraps the numbers below the figure where the row is narrow
    plot, numbers = st.container(key="figure-row").columns([3, 2], gap="medium")
with plot:  # drawn in place: no blink, the user's zoom survives every slider
    live_chart(
        plane_figure(scene, multiclass_title(k, labels)),
        key="plane",
        height=PLANE_HEIGHT,
        config=png_export_config("lsoftmax-k-classes"),
        live=multiclass_live(k, st.session_state.get(M.key, M.default), angles, norms, members),
        on_settle=settle,
    )
with numbers:
    st.subheader("Margins between neighbours")
    st.table(margin_table(gaps), hide_index=True)
    st.subheader("Class vectors")
    st.table(class_table(scene, angles, norms))
    imbalance_note(scene, norms, member)
    st.caption(CHOICES[members[MEMBER.key]].summary)
st.markdown((ASSETS / "multiclass.md").read_text())
sharing.show_share("multiclass", page_params(k))
