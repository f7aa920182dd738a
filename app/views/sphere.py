"""K classes on the sphere: class vectors in 3-D, each class's region of directions where its
margin criterion holds, and the margin (no class) between them, for any member of the family."""

from dataclasses import replace
from math import degrees
from pathlib import Path

import numpy as np
import streamlit as st

from app import links, notices, sharing
from app.explorer_controls import BINARY_M, MEMBER, MemberChoice, member_choices
from app.figures.gif import png_export_config
from app.figures.sphere import SphereScene, region_table, sphere_figure
from app.live_chart import live_chart
from app.sphere_presets import PRESETS, preset_vectors
from lsoftmax.geometry import sphere_regions, wedge_margin

ASSETS = Path(__file__).resolve().parents[2] / "assets"
RESOLUTION = 45  # sphere_regions grid: 45 x 90 directions (a patch each), ~40 ms
HEIGHT = 560  # px: about square in the main column at 1024 px (a tall box would clip the sphere's sides)
PRESET = links.Param("preset", "tetrahedron", options=tuple(PRESETS))
K = links.Param("k", 5, 2, 10)
SEED = links.Param("seed", 0, 0, 9999)
UNEQUAL = links.Param("unequal", False)
M = replace(BINARY_M, default=4)  # L-Softmax and A-Softmax: the explorers' integer m
# The member and its parameters are the explorers' controls (same URL keys, units and limits as /binary).
CHOICES = member_choices(M)
MEMBER_PARAMS = tuple({field.param.key: field.param for choice in CHOICES.values() for field in choice.fields}.values())
PARAMS = (PRESET, K, SEED, UNEQUAL, MEMBER, *MEMBER_PARAMS)


@st.cache_data(max_entries=128, show_spinner=False)
def cached_regions(weights: tuple, member):
    """sphere_regions of the class vectors (tuples, so the cache can hash them)."""
    return sphere_regions(np.array(weights), member, RESOLUTION)


def controls() -> tuple[np.ndarray, MemberChoice, dict]:
    """The sidebar: the class vectors and the member; returns (weights (K, 3), the member's choice, its values)."""
    with st.sidebar:
        st.header("Class vectors")
        descriptions = [PRESETS[name][0] for name in PRESET.options]
        preset = links.choice(PRESET, "arrangement", captions=descriptions)
        random = preset == "random"
        k = links.slider(K, "number of classes K (random)", disabled=not random)
        seed = links.number(SEED, "seed", step=1, help="draws the random directions and the unequal norms")
        unequal = links.checkbox(UNEQUAL, "unequal norms |W_j|", help="they matter for L-Softmax only")
        st.header("Margin")
        choice = CHOICES[links.choice(MEMBER, "member of the family")]
        values = choice.sliders()
    return preset_vectors(preset, k, seed, unequal), choice, values


def vector_table(weights: np.ndarray) -> list[dict]:
    """One row per class: its direction (polar angle from +z, azimuth) in degrees and its norm."""
    norms = np.linalg.norm(weights, axis=1)
    polar = np.degrees(np.arccos(np.clip(weights[:, 2] / norms, -1, 1)))
    azimuth = np.degrees(np.arctan2(weights[:, 1], weights[:, 0])) % 360
    return [
        {"class": f"W{j + 1}", "polar (°)": f"{polar[j]:.1f}", "azimuth (°)": f"{azimuth[j]:.1f}", "|W|": f"{n:.2f}"}
        for j, n in enumerate(norms)
    ]


def neighbour_table(weights: np.ndarray, member) -> list[dict]:
    """Each class and its nearest neighbour: their angle and the two-class margin on their great circle."""
    units = weights / np.linalg.norm(weights, axis=1, keepdims=True)
    angles = np.arccos(np.clip(units @ units.T, -1, 1)) + np.diag(np.full(len(units), np.inf))
    pairs = sorted({tuple(sorted((i, int(np.argmin(row))))) for i, row in enumerate(angles)})
    norms = np.linalg.norm(weights, axis=1)
    margins = [wedge_margin(norms[i], norms[j], angles[i, j], member) for i, j in pairs]
    return [
        {
            "between": f"W{i + 1} and W{j + 1}",
            "angle (°)": f"{degrees(angles[i, j]):.1f}",
            "margin on their great circle (°)": f"{degrees(margin):.1f}",
        }
        for (i, j), margin in zip(pairs, margins, strict=True)
    ]


st.title("K classes on the sphere")
st.caption(
    "With 3-D features, each class claims a region of the sphere of directions (pale, its colour) where "
    "its margin criterion holds; grey is the margin, where no class's criterion holds. Drag to turn the sphere."
)
links.notice_invalid_params(PARAMS)
weights, choice, values = controls()
member = choice.margin(values)
try:
    regions = cached_regions(tuple(map(tuple, weights)), member)
except ValueError as error:  # say what the library rejected instead of showing a traceback
    notices.error(f"These class vectors cannot be drawn: {error}")
    st.stop()
empty = np.zeros((0, 3))
scene = SphereScene(empty, np.zeros(0, dtype=int), np.zeros(0, dtype=bool), weights, regions, member.describe())
live_chart(  # the full width: the sphere turns under the mouse, the tables go below
    sphere_figure(scene, HEIGHT, f"K = {len(weights)}, {choice.describe(values)}"),
    key="sphere",
    height=HEIGHT,
    config=png_export_config("lsoftmax-sphere"),
)
st.caption(choice.summary)  # what the member normalises and how its margin behaves (as on /binary)
# Two tables side by side, the third below: three columns clip the last table at 1024 px with the sidebar open.
regions_column, neighbours_column = st.columns(2)
regions_column.subheader("Regions")
regions_column.table(region_table(regions, len(weights)), hide_index=True)
neighbours_column.subheader("Nearest neighbours")
neighbours_column.table(neighbour_table(weights, member), hide_index=True)
st.subheader("Class vectors")
st.table(vector_table(weights), hide_index=True)
st.markdown((ASSETS / "sphere.md").read_text())
sharing.show_share("sphere", PARAMS)
