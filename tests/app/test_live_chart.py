"""The in-place plotly component: compact typed arrays, the message framing, plotly sent once."""

import base64
import gzip
import json
import struct
from pathlib import Path

import numpy as np
import plotly
import pytest
from streamlit.testing.v1 import AppTest

from app.live_chart import PLOTLY_CONFIG, pack_message, plotly_bundle_gzip, unpack_message
from app.live_chart.encoding import decode_typed_array, typed_array
from app.live_chart.theme import STREAMLIT_TEMPLATE


def one_chart_app():
    import numpy as np

    from app.live_chart import live_chart

    figure = {"data": [{"type": "scatter", "x": np.arange(3.0)}], "layout": {"uirevision": "keep"}}
    live_chart(figure, key="c", height=300, step=3)


@pytest.mark.parametrize(
    ("dtype", "code", "sent_dtype"),
    [
        (np.float64, "f4", np.float32),
        (np.float32, "f4", np.float32),
        (np.int64, "i4", np.int32),
        (np.int8, "i1", np.int8),
        (np.uint8, "u1", np.uint8),
        (np.bool_, "u1", np.uint8),
    ],
)
@pytest.mark.parametrize("shape", [(5,), (3, 4)])
def test_typed_array_matches_plotly_js_layout(dtype, code, sent_dtype, shape):
    array = (np.arange(np.prod(shape)).reshape(shape) % 3).astype(dtype)
    spec = typed_array(array)
    assert spec["dtype"] == code
    raw = np.frombuffer(base64.b64decode(spec["bdata"]), dtype=np.dtype(sent_dtype).newbyteorder("<"))
    np.testing.assert_array_equal(raw, array.astype(sent_dtype).ravel())  # row-major, little-endian
    if len(shape) > 1:
        assert spec["shape"] == ", ".join(map(str, shape))
    else:
        assert "shape" not in spec
    np.testing.assert_array_equal(decode_typed_array(spec), array.astype(sent_dtype))


def test_typed_array_matches_what_plotly_py_sends():
    """plotly.py's own encoder writes the same spec for the same float32 / int8 arrays."""
    import plotly.graph_objects as go

    z = np.arange(6, dtype=np.int8).reshape(2, 3)
    x = np.linspace(0, 1, 4, dtype=np.float32)
    figure = json.loads(go.Figure(go.Heatmap(z=z, x=x)).to_json())
    assert figure["data"][0]["z"] == typed_array(z)
    assert figure["data"][0]["x"] == typed_array(x)


def test_typed_array_rejects_strings():
    with pytest.raises(ValueError, match="dtype"):
        typed_array(np.array(["a", "b"]))


def test_message_round_trip_keeps_figure_and_bundle():
    figure = {"data": [{"type": "scatter", "x": np.array([0.5, 1.5]), "name": "a"}], "layout": {"height": 300}}
    payload = pack_message(figure, height=300, step=7, bundle=b"\x1f\x8bbundle")
    (length,) = struct.unpack_from("<I", payload)
    header = json.loads(payload[4 : 4 + length])
    assert header["height"] == 300 and header["step"] == 7
    assert header["figure"]["data"][0]["name"] == "a"
    np.testing.assert_array_equal(decode_typed_array(header["figure"]["data"][0]["x"]), [0.5, 1.5])
    assert payload[4 + length :] == b"\x1f\x8bbundle"
    assert unpack_message(payload) == (header, b"\x1f\x8bbundle")


def test_bundle_is_the_installed_plotly_js():
    source = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()
    bundle = plotly_bundle_gzip()
    assert gzip.decompress(bundle) == source
    assert b"window.Plotly" in source
    assert len(bundle) < len(source) / 2


def test_plotly_is_sent_once_per_session_then_again_on_request():
    at = AppTest.from_function(one_chart_app, default_timeout=30).run()
    assert not at.exception
    first = at.get("bidi_component")[0].proto.bytes
    _, bundle = unpack_message(first)
    assert gzip.decompress(bundle).startswith(b"/**")
    at.run()
    header, bundle = unpack_message(at.get("bidi_component")[0].proto.bytes)
    assert bundle == b""
    assert header["step"] == 3 and header["figure"]["layout"]["uirevision"] == "keep"
    at.session_state["_live_chart_bundle_sent"] = False  # what the browser's "bundle_needed" trigger does
    at.run()
    assert unpack_message(at.get("bidi_component")[0].proto.bytes)[1] == bundle_of(first)


def bundle_of(payload: bytes) -> bytes:
    return unpack_message(payload)[1]


def test_config_defaults_to_plotly_config_and_is_sent_as_given():
    figure = {"data": [], "layout": {}}
    default, _ = unpack_message(pack_message(figure, height=200))
    assert default["config"] == PLOTLY_CONFIG
    export = {"displayModeBar": True, "modeBarButtons": [["toImage"]], "toImageButtonOptions": {"scale": 3}}
    custom, _ = unpack_message(pack_message(figure, height=200, config=export))
    assert custom["config"] == export
    assert custom["revision"] != default["revision"]  # a new config is redrawn even for the same figure


def config_app():
    import plotly.graph_objects as go

    from app.live_chart import live_chart

    figure = go.Figure(go.Scatter(x=[1, 2], y=[3, 4], name="line"), layout={"title": {"text": "T"}})
    live_chart(figure, key="c", height=250, config={"modeBarButtons": [["toImage"]]})


def test_a_go_figure_is_sent_with_the_streamlit_template_and_the_given_config():
    at = AppTest.from_function(config_app, default_timeout=30).run()
    assert not at.exception
    header, _ = unpack_message(at.get("bidi_component")[0].proto.bytes)
    assert header["config"] == {"modeBarButtons": [["toImage"]]}
    assert header["height"] == 250
    assert header["figure"]["data"][0]["name"] == "line"
    assert header["figure"]["layout"]["title"]["text"] == "T"
    assert header["figure"]["layout"]["template"] == STREAMLIT_TEMPLATE  # not plotly's default template
