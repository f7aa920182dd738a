"""Streamlit's look for go.Figure charts drawn by live_chart instead of st.plotly_chart.

st.plotly_chart (theme "streamlit") restyles a figure in the browser: a bold heading-font title,
small grey tick labels and axis titles, light grid lines on y only. live_chart draws with plain
plotly.js, so figure_dict puts those defaults in the figure's template instead: a template only
fills what the figure leaves unset, as Streamlit's theme does, and the charts look as before.
"""

from __future__ import annotations

TEXT = "#31333F"  # Streamlit's body and heading colour (light theme)
FADED = "#808495"  # tick labels and axis titles
LINES = "#E6EAF1"  # grid and zero lines
_AXIS = {
    "tickfont": {"color": FADED, "size": 12},
    "tickcolor": LINES,
    "zerolinecolor": LINES,
    "gridcolor": LINES,
    "automargin": True,
}
STREAMLIT_TEMPLATE = {
    "layout": {
        "title": {"font": {"family": "Source Sans, sans-serif", "size": 16, "color": TEXT, "weight": 600}},
        "legend": {"font": {"size": 12, "color": TEXT}},
        "xaxis": {
            **_AXIS,
            "title": {"font": {"color": FADED, "size": 14}, "standoff": 20},
            "showgrid": False,
            "zeroline": False,
        },
        "yaxis": {**_AXIS, "title": {"font": {"color": FADED, "size": 14}, "standoff": 24}},
        "margin": {"pad": 8},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "colorway": ["#0068C9", "#83C9FF", "#FF2B2B", "#FFABAB", "#29B09D", "#7DEFA1", "#FF8700", "#FFD16A"],
    }
}


def figure_dict(figure) -> dict:
    """A go.Figure as the {data, layout} dict live_chart sends, with plotly's default template
    replaced by STREAMLIT_TEMPLATE (numpy arrays stay plotly typed arrays)."""
    spec = figure.to_plotly_json()
    return {"data": spec["data"], "layout": {**spec["layout"], "template": STREAMLIT_TEMPLATE}}
