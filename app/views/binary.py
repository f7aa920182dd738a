"""Two classes (the paper's Figure 4): choose the margin-family member and its parameters, move
|W1|, |W2| and theta12, see the boundaries and the margin; optionally a second member drawn over it."""

from dataclasses import replace
from functools import partial
from math import degrees, radians
from pathlib import Path

import pandas as pd
import streamlit as st

from app import links, presenter, sharing
from app.explorer_controls import (
    BINARY_M,
    MEMBER,
    NORM1,
    NORM2,
    SCALE,
    THETA12,
    X_ANGLE,
    X_NORM,
    binary_live,
    binary_title,
    chosen_members,
    member_choices,
    member_controls,
    member_params,
    overlay_choices,
)
from app.figures.geometry import plane_figure, sweep_figure
from app.figures.gif import margin_caption, png_export_config, sweep_gif
from app.figures.scenes import FIELD_KINDS, binary_sample, binary_view, member_readout
from app.figures.style import PLANE_HEIGHT
from app.live_chart import live_chart
from app.live_chart.controls import apply_settled
from lab.explain import sample_readout
from lsoftmax.geometry import equal_norm_margin, wedge_margin

ASSETS = Path(__file__).resolve().parents[2] / "assets"
M = BINARY_M
LOCK = links.Param("lock", True)
FIELD = links.Param("field", "off", options=FIELD_KINDS)
SWEEP = links.Param("sweep", False)
CHOICES, OVERLAYS = member_choices(M), overlay_choices(M)
PARAMS = (M, NORM1, NORM2, LOCK, THETA12, X_ANGLE, X_NORM, FIELD, SWEEP, *member_params(M), SCALE)
PRESETS = {  # the three cases of Figure 4: label -> (widget key, (|W1|, |W2|))
    "|W1| = |W2|": ("preset-equal", (2.0, 2.0)),
    "|W1| > |W2|": ("preset-w1-longer", (3.0, 1.5)),
    "|W1| < |W2|": ("preset-w2-longer", (1.5, 3.0)),
}


@st.cache_data(max_entries=512, show_spinner=False)
def cached_view(norm1, norm2, theta12_deg, member, field_kind, overlay=None, labels=()):
    """binary_view without the sample, cached on plain values and frozen members."""
    return binary_view(norm1, norm2, theta12_deg, member, field_kind=field_kind, overlay=overlay, labels=labels)


@st.cache_data(max_entries=64, show_spinner=False)
def cached_sweep(norm1, norm2, theta12_deg):
    """The m = 1..8 animation for these norms and angle."""
    scenes = [binary_view(norm1, norm2, theta12_deg, m).scene for m in range(1, 9)]
    return sweep_figure(scenes, [str(m) for m in range(1, 9)], title="m = 1 … 8, played in your browser")


@st.cache_data(max_entries=16, show_spinner=False)
def cached_gif(norm1, norm2, theta12_deg) -> bytes:
    """The m = 1..8 sweep as an animated GIF for slides (built only when someone downloads it)."""
    margins = range(1, 9)
    views = [binary_view(norm1, norm2, theta12_deg, m) for m in margins]
    captions = [margin_caption(m, view.boundaries.margin) for m, view in zip(margins, views, strict=True)]
    footer = f"|W1| = {norm1:g}   |W2| = {norm2:g}   angle {theta12_deg:g}°   grey: margin (no class)"
    return sweep_gif([view.scene for view in views], captions, footer)


def plane_live(values, locked: bool) -> dict:
    """The plane's live spec: the values it starts from and the sliders above it."""
    return binary_live(
        {"m": values["m"], "t12": values["theta12"], "n1": values["norm1"], "n2": values["norm2"], "lock": locked,
         "xa": values["x_angle"], "xn": values["x_norm"], "field": values["field"], **values["members"]}
    )  # fmt: skip


def settle(values: dict) -> None:
    """A slider above the plane was released: its values become the page's (sidebar, numbers, URL)."""
    apply_settled(values, PARAMS)


def apply_preset(norms):
    """Button callback: set both norms (and the lock) to one of the Figure 4 cases."""
    st.session_state[NORM1.key], st.session_state[NORM2.key] = norms
    st.session_state[LOCK.key] = norms[0] == norms[1]


def unlock_copies_norm():
    """Toggle callback: |W2| starts from |W1| when the lock opens."""
    if not st.session_state[LOCK.key]:
        st.session_state[NORM2.key] = st.session_state[NORM1.key]


def controls() -> dict:
    """The sidebar; returns the chosen values (values["members"]: the member controls' by URL key)."""
    with st.sidebar:
        st.header("Controls")
        members = member_controls(CHOICES, OVERLAYS)
        values = {"m": st.session_state.get(M.key, M.default), "members": members}
        values["theta12"] = links.slider(THETA12, "angle θ12 between W1 and W2 (°)")
        values["norm1"] = links.slider(NORM1, "|W1|", step=0.1)
        locked = links.checkbox(LOCK, "lock equal norms", on_change=unlock_copies_norm)
        values["norm2"] = values["norm1"] if locked else links.slider(NORM2, "|W2|", step=0.1)
        if locked:
            st.caption("|W2| = |W1| while locked")
        if CHOICES[members[MEMBER.key]].margin(members).normalises_weight:
            st.caption("This member normalises W: the norms draw the arrows but move no boundary.")
        st.subheader("Sample x")
        values["x_angle"] = links.slider(X_ANGLE, "angle of x from W1 towards W2 (°)")
        values["x_norm"] = links.slider(X_NORM, "|x|", step=0.1)
        sample_scale(members)
        st.subheader("Display")
        display_controls(values, members[MEMBER.key])
    return values


def sample_scale(members: dict) -> None:
    """s, for the members that normalise x: it changes the sample's numbers, never the geometry."""
    if not CHOICES[members[MEMBER.key]].margin(members).normalises_feature:
        return
    members[SCALE.key] = links.slider(SCALE, "scale s", step=1.0)
    st.caption(
        "x is normalised: |x| does not count, every logit is s·cos. s multiplies all of them alike, so it "
        "cancels in the regions and boundaries; it only sharpens the sample's probabilities and losses."
    )


def display_controls(values: dict, member_key: str) -> None:
    """The field and the sweep, which L-Softmax has (its probability field, its m = 1 … 8 sweep)."""
    if CHOICES[member_key].name == "LSoftmax":
        values["field"] = links.choice(FIELD, "background: P(class 1) under")
        values["sweep"] = links.checkbox(SWEEP, "show the m-sweep animation")
    else:
        values["field"], values["sweep"] = "off", False
        st.caption("The probability field and the m sweep are available for L-Softmax only: choose it under loss.")


def presets() -> None:
    """One button per Figure 4 case."""
    columns = st.columns(len(PRESETS))
    for column, (label, (key, norms)) in zip(columns, PRESETS.items(), strict=True):
        column.button(label, on_click=apply_preset, args=(norms,), width="stretch", key=key)


def margin_numbers(view, values) -> None:
    """Measured margin (and the compared member's), closed form when it applies, the boundary angles."""
    member, overlay, labels = values["chosen"]
    wedge = values["norm1"], values["norm2"], radians(values["theta12"])
    st.metric("Margin (measured)", f"{degrees(wedge_margin(*wedge, member)):.2f}°")
    if overlay is not None:
        st.metric(f"Margin of {labels[1]}", f"{degrees(wedge_margin(*wedge, overlay)):.2f}°")
    integer = member.name in ("LSoftmax", "SphereFace")
    if integer and (values["norm1"] == values["norm2"] or member.normalises_weight):
        closed = degrees(equal_norm_margin(wedge[2], member.m))
        st.metric("Closed form (m−1)/(m+1)·θ12", f"{closed:.2f}°")
    elif integer:
        st.caption("Unequal norms: no closed form; the boundaries are solved numerically.")
    st.caption(CHOICES[values["members"][MEMBER.key]].summary)

    def show(angle):
        return "outside the wedge" if angle is None else f"{degrees(angle):.2f}°"

    boundaries, name = view.boundaries, CHOICES[values["members"][MEMBER.key]].label
    st.table(
        pd.DataFrame(
            {"from W1 (°)": [show(boundaries.softmax), show(boundaries.class1), show(boundaries.class2)]},
            index=["softmax boundary", f"class-1 {name} boundary", f"class-2 {name} boundary"],
        )
    )


def verdict(readout, name: str) -> str:
    """Which class's criterion (of the member called name) the sample satisfies, in words."""
    held = [f"class {j + 1}" for j in range(2) if readout.criterion[j]]
    if not held:
        return f"x lies in the **margin**: neither class's {name} criterion holds."
    return f"x satisfies the {name} criterion of **{held[0]}**."


def sample_numbers(view, values) -> None:
    """What the loss sees for the sample x under each label."""
    member = values["chosen"][0]
    name = CHOICES[values["members"][MEMBER.key]].label
    x = binary_sample(values["theta12"], values["x_angle"], values["x_norm"])
    readout = sample_readout(view.weights, x, member.m) if member.name == "LSoftmax" else member_readout(
        view.weights, x, member
    )  # fmt: skip
    st.markdown(verdict(readout, name))
    rows = {
        "θ to W (°)": [f"{degrees(t):.2f}" for t in readout.theta],
        "softmax logit": [f"{v:.3f}" for v in readout.softmax_logits],
        f"{name} logit": [f"{v:.3f}" for v in readout.lsoftmax_logits],
        "softmax P(label)": [f"{v:.4f}" for v in readout.softmax_prob],
        f"{name} P(label)": [f"{v:.4f}" for v in readout.lsoftmax_prob],
        "softmax loss": [f"{v + 0.0:.4f}" for v in readout.softmax_loss],  # + 0.0: no "-0.0000"
        f"{name} loss": [f"{v + 0.0:.4f}" for v in readout.lsoftmax_loss],
        "criterion holds": ["yes" if c else "no" for c in readout.criterion],
    }
    st.table(pd.DataFrame(rows, index=["label 1", "label 2"]).T)
    if member.normalises_feature:
        st.caption(f"Here softmax means the member's own plain logits, s·cos θ (s = {member.scale:g}).")


def gif_button(plot, values) -> None:
    """The m = 1 … 8 sweep as a GIF, for L-Softmax (the sweep is its m)."""
    if CHOICES[values["members"][MEMBER.key]].name != "LSoftmax":
        return
    plot.download_button(
        "Download GIF of the m sweep (m = 1 … 8)",
        data=partial(cached_gif, values["norm1"], values["norm2"], values["theta12"]),
        file_name=f"lsoftmax-m-sweep-{values['norm1']:g}-{values['norm2']:g}-{values['theta12']}deg.gif",
        mime="image/gif",
        icon=":material/gif_box:",
        on_click="ignore",
        key="sweep-gif",
    )


st.title("Two classes: the paper's Figure 4")
links.notice_invalid_params(PARAMS)
values = controls()
values["chosen"] = member, overlay, labels = chosen_members(CHOICES, OVERLAYS, values["members"])
presets()
view = cached_view(values["norm1"], values["norm2"], values["theta12"], member, values["field"], overlay, labels)
scene = replace(view.scene, sample=binary_sample(values["theta12"], values["x_angle"], values["x_norm"]))
# Presenter mode: the figure takes the width, its numbers go below it.
if presenter.enabled():
    plot, numbers = st.container(), st.container()
else:  # keyed: the page CSS wraps the numbers below the figure where the row is narrow
    plot, numbers = st.container(key="figure-row").columns([3, 2], gap="medium")
title = binary_title(labels, values["norm1"], values["norm2"], member)
with plot:  # drawn in place: no blink, the user's zoom survives every slider
    live_chart(
        plane_figure(scene, title), key="plane", height=PLANE_HEIGHT, config=png_export_config("lsoftmax-two-classes"),
        live=plane_live(values, st.session_state.get(LOCK.key, LOCK.default)), on_settle=settle,
    )  # fmt: skip
gif_button(plot, values)
with numbers:
    margin_numbers(view, values)
    sample_numbers(view, values)
if values["sweep"]:
    st.plotly_chart(
        cached_sweep(values["norm1"], values["norm2"], values["theta12"]),
        key="sweep-chart",
        theme=None,  # plotly's own look from base_layout: dark ticks as big as the rest
        config=png_export_config("lsoftmax-m-sweep"),
    )
st.markdown((ASSETS / "binary.md").read_text())
sharing.show_share("binary", PARAMS)
