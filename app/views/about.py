"""About: what L-Softmax is, with the paper's Figure 4 at the binary page's default settings."""

from pathlib import Path

import streamlit as st

from app.figures.geometry import plane_figure
from app.figures.scenes import BINARY_DEFAULTS, binary_view
from app.live_chart import live_chart
from app.presets import PRESETS

ASSETS = Path(__file__).resolve().parents[2] / "assets"
ABOUT_HEIGHT = 560  # px: the figure shares the row with the text


@st.cache_data(show_spinner=False)
def default_figure():
    """The binary page's figure at its defaults (cached: it never changes)."""
    view = binary_view(**(BINARY_DEFAULTS | {"sample_angle_deg": None}))  # no sample x on this page
    d = BINARY_DEFAULTS
    title = f"Figure 4 at m = {d['m']}, θ12 = {d['theta12_deg']}°, |W1| = |W2|"
    return plane_figure(view.scene, title, height=ABOUT_HEIGHT)


st.title("L-Softmax Lab")
st.caption(
    "See the Large-Margin Softmax loss (Liu et al., ICML 2016) work: its geometry, its psi curve, and live training."
)
text, figure = st.columns([1, 1], gap="large")
text.markdown((ASSETS / "about.md").read_text())
with figure:
    live_chart(
        default_figure(), key="about-figure", height=ABOUT_HEIGHT, config={"displayModeBar": False, "staticPlot": True}
    )
    st.page_link("views/binary.py", label="Move the sliders yourself: Two classes (Figure 4)", icon=":material/tune:")

st.header("Ready-made states for a class")
st.caption("Each opens a page exactly as described; the link in the address bar can be shared as it is.")
left, right = st.columns(2, gap="large")
for index, preset in enumerate(PRESETS.values()):
    with left if index % 2 == 0 else right:
        st.page_link(preset.page_file, label=f"**{preset.title}**", query_params=preset.query, icon=":material/link:")
        st.caption(preset.description)
st.page_link("views/lesson.py", label="**Or follow the guided lesson, step by step**", icon=":material/route:")
