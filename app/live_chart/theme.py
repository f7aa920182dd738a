"""Streamlit's look for go.Figure charts drawn by live_chart instead of st.plotly_chart.

st.plotly_chart (theme "streamlit") restyles a figure in the browser: a bold heading-font title,
small grey tick labels and axis titles, light grid lines on y only. live_chart draws with plain
plotly.js, so figure_dict puts those defaults in the figure's template instead: a template only
fills what the figure leaves unset, as Streamlit's theme does. Unlike Streamlit's theme, tick
labels and axis titles are dark and at least CHART_TEXT_MIN px: they must read on a projector.
In presenter mode (present=True) every chart text is at least PRESENT_TEXT_MIN px, lines are
thicker, and the chart takes its height from its container (the viewport).
"""

from __future__ import annotations

import copy

from app.figures.style import CHART_TEXT_MIN, PRESENT_TEXT_MIN, TICK_COLOR

TEXT = "#31333F"  # Streamlit's body and heading colour (light theme)
FADED = TICK_COLOR  # tick labels and axis titles: dark on every page
LINES = "#E6EAF1"  # grid and zero lines
PRESENT_LINE_SCALE = 1.6  # presenter mode: line widths times this
_AXIS = {
    "tickfont": {"color": FADED, "size": CHART_TEXT_MIN},
    "tickcolor": LINES,
    "zerolinecolor": LINES,
    "gridcolor": LINES,
    "automargin": True,
}
STREAMLIT_TEMPLATE = {
    "layout": {
        "title": {"font": {"family": "Source Sans, sans-serif", "size": 16, "color": TEXT, "weight": 600}},
        "legend": {"font": {"size": CHART_TEXT_MIN, "color": TEXT}},
        "xaxis": {
            **_AXIS,
            "title": {"font": {"color": FADED, "size": CHART_TEXT_MIN + 1}, "standoff": 20},
            "showgrid": False,
            "zeroline": False,
        },
        "yaxis": {**_AXIS, "title": {"font": {"color": FADED, "size": CHART_TEXT_MIN + 1}, "standoff": 24}},
        "margin": {"pad": 8},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "colorway": ["#0068C9", "#83C9FF", "#FF2B2B", "#FFABAB", "#29B09D", "#7DEFA1", "#FF8700", "#FFD16A"],
    }
}


def _at_least(font: dict | None, size: int) -> dict:
    font = dict(font or {})
    font["size"] = max(size, font.get("size") or 0)
    return font


def presenter_layout(layout: dict) -> dict:
    """layout with every text at least PRESENT_TEXT_MIN px and the height left to the container."""
    layout = copy.deepcopy(layout)
    layout.pop("height", None)
    layout["autosize"] = True
    layout["font"] = _at_least(layout.get("font"), PRESENT_TEXT_MIN)
    for name in [key for key in layout if key.startswith(("xaxis", "yaxis"))]:
        axis = layout[name]
        axis["tickfont"] = _at_least(axis.get("tickfont"), PRESENT_TEXT_MIN)
        if isinstance(axis.get("title"), dict):
            axis["title"]["font"] = _at_least(axis["title"].get("font"), PRESENT_TEXT_MIN)
    if isinstance(layout.get("legend"), dict):
        layout["legend"]["font"] = _at_least(layout["legend"].get("font"), PRESENT_TEXT_MIN)
    if isinstance(layout.get("title"), dict):
        layout["title"]["font"] = _at_least(layout["title"].get("font"), PRESENT_TEXT_MIN + 2)
    for note in layout.get("annotations", []):
        note["font"] = _at_least(note.get("font"), PRESENT_TEXT_MIN)
        if note.get("arrowwidth"):
            note["arrowwidth"] = note["arrowwidth"] * PRESENT_LINE_SCALE
    return layout


def presenter_data(data: list) -> list:
    """Traces with line widths times PRESENT_LINE_SCALE and text at least PRESENT_TEXT_MIN px."""
    data = copy.deepcopy(data)
    for trace in data:
        line = trace.get("line")
        if isinstance(line, dict) and line.get("width"):
            line["width"] = line["width"] * PRESENT_LINE_SCALE
        if "textfont" in trace:
            trace["textfont"] = _at_least(trace["textfont"], PRESENT_TEXT_MIN)
        if isinstance(trace.get("colorbar"), dict):
            bar = trace["colorbar"]
            bar["tickfont"] = _at_least(bar.get("tickfont"), PRESENT_TEXT_MIN)
            if isinstance(bar.get("title"), dict):
                bar["title"]["font"] = _at_least(bar["title"].get("font"), PRESENT_TEXT_MIN)
    return data


def figure_dict(figure, present: bool = False) -> dict:
    """A go.Figure as the {data, layout} dict live_chart sends, with plotly's default template
    replaced by STREAMLIT_TEMPLATE (numpy arrays stay plotly typed arrays); present=True applies
    presenter_layout and presenter_data."""
    spec = figure.to_plotly_json()
    layout = {**spec["layout"], "template": STREAMLIT_TEMPLATE}
    if present:
        return {"data": presenter_data(spec["data"]), "layout": presenter_layout(layout)}
    return {"data": spec["data"], "layout": layout}
