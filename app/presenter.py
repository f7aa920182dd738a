"""Presenter mode, for a projector: `?present=1` or the toggle at the top of every page.

The sidebar and Streamlit's header are hidden, the page's essential controls sit in the compact
bar above the figure (the live chart's own sliders), the figure fills the viewport's height, and
chart text is at least 18 px with thicker lines (app.live_chart.theme.presenter_layout).
"""

from __future__ import annotations

import streamlit as st

PARAM = "present"  # the URL parameter: ?present=1
KEY = "presenter_mode"  # the toggle's widget key
ON_WORDS = ("1", "true", "yes", "on")
# Every page: the figure and its numbers sit side by side only where both have room; narrower
# (a projector at 1024 px with the sidebar open, a phone) the numbers wrap below the figure.
PAGE_CSS = """
<style>
.st-key-figure-row [data-testid="stHorizontalBlock"] { flex-wrap: wrap; }
.st-key-figure-row [data-testid="stHorizontalBlock"] > [data-testid="stColumn"]:first-child {
  flex: 3 1 30rem !important; min-width: min(30rem, 100%) !important;
}
.st-key-figure-row [data-testid="stHorizontalBlock"] > [data-testid="stColumn"]:last-child {
  flex: 2 1 18rem !important; min-width: min(18rem, 100%) !important;
}
</style>
"""
# Pages whose controls live only in the sidebar: presenter mode leaves their sidebar in place.
SIDEBAR_PAGES = ("train",)
HIDE_SIDEBAR = """
<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"]
{ display: none !important; }
</style>
"""
CSS = """
<style>
header[data-testid="stHeader"] { display: none !important; }
[data-testid="stMainBlockContainer"], .block-container {
  padding: 0.5rem 1rem 2rem !important; max-width: 100% !important;
}
[data-testid="stMain"] h1 { font-size: 1.6rem !important; padding: 0 0 0.25rem !important; }
.lsoftmax-live-controls { font-size: 19px !important; }
.lsoftmax-live-controls input[type="range"] { height: 2rem !important; }
</style>
"""


def enabled() -> bool:
    """Whether this session shows the app in presenter mode."""
    return bool(st.session_state.get(KEY, False))


def _sync_url() -> None:
    if st.session_state.get(KEY):
        st.query_params[PARAM] = "1"
    elif PARAM in st.query_params:
        del st.query_params[PARAM]


def setup(page_path: str = "") -> bool:
    """Call once per run, before the page (page_path: its URL path): reads ?present=, shows the
    toggle, applies the CSS."""
    if KEY not in st.session_state:
        st.session_state[KEY] = str(st.query_params.get(PARAM, "")).lower() in ON_WORDS
    elif enabled() and PARAM not in st.query_params:
        st.query_params[PARAM] = "1"  # a page change drops it from the URL: keep the link honest
    st.toggle(
        "Presenter mode", key=KEY, on_change=_sync_url,
        help="For a projector: no sidebar, the figure fills the screen, big text (link option ?present=1)",
    )  # fmt: skip
    st.html(PAGE_CSS)
    if enabled():
        st.html(CSS)
        if page_path not in SIDEBAR_PAGES:
            st.html(HIDE_SIDEBAR)
    return enabled()
