"""About: what L-Softmax is, with the paper's Figure 4 at default settings."""

from pathlib import Path

import streamlit as st

ASSETS = Path(__file__).resolve().parents[2] / "assets"

st.title("L-Softmax Lab")
st.caption(
    "See the Large-Margin Softmax loss (Liu et al., ICML 2016) work: its geometry, its psi curve, and live training."
)
st.markdown((ASSETS / "about.md").read_text())
