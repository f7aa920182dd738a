"""A plotly chart that Streamlit updates in place: one div, Plotly.react per update, zoom kept.

st.plotly_chart in Streamlit 1.67 remounts on every data change (a blank frame, zoom lost).
This components-v2 component keeps one div and hands each new figure to Plotly.react, so
layout.uirevision keeps the user's zoom while training runs or a slider moves (the
geometry pages' planes and the psi page's curves use it too).

Plotly.js itself comes from the installed plotly package at run time and is never resent:
the first chart a browser session renders carries plotly.min.js gzip-compressed (about
1.5 MB, once); every later update carries only the figure (a few tens of KB).

With `live` (app.live_chart.controls), the chart carries its own controls and redraws itself in
the browser on every animation frame while one moves (geometry.js: the library's geometry in
JavaScript, tested against it; scenes.js: the figure's coordinates); the settled values come
back through `on_settle` when the control is released.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import struct
from pathlib import Path

import plotly
import plotly.graph_objects as go
import streamlit as st

from app import presenter
from app.live_chart import encoding
from app.live_chart.theme import figure_dict, presenter_data, presenter_layout

HERE = Path(__file__).parent
PURE_JS = ("geometry.js", "labels.js", "scenes.js")  # no DOM: tests and benchmarks load these alone
JS_MODULES = (*PURE_JS, "overlay.js", "live_chart.js")  # one ES module, in this order
_JS = "\n".join((HERE / name).read_text() for name in JS_MODULES)
_CSS = (HERE / "live_chart.css").read_text()
_SENT = "_live_chart_bundle_sent"  # session flag: this session's browser got plotly.min.js
_COMPONENT = st.components.v2.component("lsoftmax_live_chart", js=_JS, css=_CSS, isolate_styles=False)
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


@functools.cache
def plotly_bundle_gzip() -> bytes:
    """plotly.min.js from the installed plotly package, gzip-compressed (once per process)."""
    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    return gzip.compress(path.read_bytes(), compresslevel=6)


def pack_message(
    figure: dict,
    *,
    height: int,
    step: int = 0,
    bundle: bytes = b"",
    config: dict | None = None,
    live: dict | None = None,
    present: bool = False,
) -> bytes:
    """The component's payload: uint32 header length, the JSON header, then the optional bundle.

    The header's revision is a digest of the figure and the plotly config: the browser skips
    redrawing what it already shows (a chart the page refreshes less often than every tick).
    `config` is plotly.js's config for Plotly.react; None means PLOTLY_CONFIG. `live` is the
    spec of the chart's own controls (app.live_chart.controls), or None.
    """
    config = PLOTLY_CONFIG if config is None else config
    figure_json = json.dumps(figure, separators=(",", ":"), default=encoding.default)
    config_json = json.dumps(config, separators=(",", ":"), sort_keys=True)
    revision = hashlib.blake2b((figure_json + config_json).encode(), digest_size=8).hexdigest()
    extra = {"live": live} if live else {}
    if present:
        extra["present"] = True
    rest = json.dumps(
        {"height": int(height), "step": int(step), "revision": revision, "config": config, **extra},
        default=encoding.default,
    )
    header = ('{"figure":' + figure_json + "," + rest[1:]).encode()
    return struct.pack("<I", len(header)) + header + bundle


def unpack_message(payload: bytes) -> tuple[dict, bytes]:
    """Inverse of pack_message: (header dict, bundle bytes). Used by tests and benchmarks."""
    (length,) = struct.unpack_from("<I", payload)
    return json.loads(payload[4 : 4 + length]), payload[4 + length :]


def _bundle_needed() -> None:
    st.session_state[_SENT] = False


def _settled(key: str, on_settle) -> None:
    values = st.session_state[key]["settled"]
    if isinstance(values, dict):
        on_settle(values)


def chart_payload(
    figure: dict | go.Figure, *, height: int, step: int = 0, config: dict | None = None, live: dict | None = None
) -> bytes:
    """The payload live_chart would send for `figure`, without the plotly bundle.

    Build it where the compute happens (e.g. in a training turn) and send it with send_payload.
    In presenter mode a figure dict gets presenter sizes too (theme.presenter_layout, presenter_data).
    """
    present = presenter.enabled()
    if not isinstance(figure, dict):
        figure = figure_dict(figure, present=present)
    elif present:
        figure = {**figure, "data": presenter_data(figure["data"]), "layout": presenter_layout(figure["layout"])}
    return pack_message(figure, height=height, step=step, config=config, live=live, present=present)


def send_payload(
    payload: bytes, *, key: str, height: int, live: bool = False, on_settle=None, fits: bool = False
) -> int:
    """Show a payload from chart_payload (the plotly bundle added once per session); returns bytes sent.

    `live` says the payload carries the chart's own controls: then on_settle(values) runs as a
    callback when one is released, with the values sent by the browser (unchecked: see
    controls.apply_settled). `fits`: the chart sets its own height in the browser (a figure with
    layout.meta.narrow, see live_chart.js), so its element follows it rather than `height`.
    """
    if not st.session_state.get(_SENT, False):
        payload += plotly_bundle_gzip()  # the bundle is the tail of the message (see pack_message)
        st.session_state[_SENT] = True
    callbacks = {"on_bundle_needed_change": _bundle_needed}
    if live:
        callbacks["on_settled_change"] = functools.partial(_settled, key, on_settle or (lambda values: None))
    _COMPONENT(data=payload, key=key, height="content" if live or fits else height, **callbacks)
    return len(payload)


def live_chart(
    figure: dict | go.Figure,
    *,
    key: str,
    height: int,
    step: int = 0,
    config: dict | None = None,
    live: dict | None = None,
    on_settle=None,
) -> int:
    """Draw `figure` (a plotly figure dict, numpy arrays allowed, or a go.Figure) in place; returns payload bytes.

    Keep `key` and `height` fixed for one chart: they are its identity. `step` is exposed on
    the chart's div as data-step, so browser tests can see the data advance. `config` is the
    plotly.js config (mode bar, PNG export); None means PLOTLY_CONFIG. A go.Figure goes
    through theme.figure_dict first. `live` (controls.live_spec) gives the chart its own
    controls; on_settle(values) runs as a callback when one is released, with the values sent
    by the browser (unchecked: see controls.apply_settled).
    """
    payload = chart_payload(figure, height=height, step=step, config=config, live=live)
    return send_payload(payload, key=key, height=height, live=bool(live), on_settle=on_settle)
