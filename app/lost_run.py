"""A training run lives in one server process's memory; the URL says when one was under way.

While this session's run has trained (or plays), the page's URL carries `run=1` next to the
settings. A session that opens such a URL without a run of its own is a browser that
reconnected after the server restarted, or was moved to another replica (or a copied address
bar): its settings come back from the URL, the weights do not. The page says so, once, and
offers to start the run again.
"""

from __future__ import annotations

import streamlit as st

from app import notices

MARKER = "run"  # URL key, "1" while a run has trained; not a TrainSettings field, so links ignore it
LOST_KEY = "train_run_lost"  # session_state: this session opened with the marker but no run
CHECKED_KEY = "train_run_lost_checked"


def marker(started: bool) -> dict[str, str]:
    """What the URL carries besides the settings: the marker while the run has started."""
    return {MARKER: "1"} if started else {}


def detect(has_run: bool) -> bool:
    """On the session's first run: did the URL promise a run that this session does not hold?"""
    if CHECKED_KEY not in st.session_state:
        st.session_state[CHECKED_KEY] = True
        st.session_state[LOST_KEY] = not has_run and st.query_params.get(MARKER) == "1"
    return st.session_state[LOST_KEY]


def notice(started: bool, play) -> None:
    """The notice and a button that plays again; gone once the new run has started."""
    if not st.session_state.get(LOST_KEY):
        return
    if started:
        st.session_state[LOST_KEY] = False
        return
    notices.warning(
        "This run was lost: training lives in the server's memory, and the server restarted, or this page "
        "moved to another one (or its address was copied from a page that was training). The settings are "
        "restored from the link; the model starts again from step 0.",
        icon=":material/restart_alt:",
    )
    st.button("Start it again", key="train_restart", on_click=play, type="primary")
