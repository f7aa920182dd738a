"""The psi and lambda page in AppTest: curves come from lsoftmax, the expansion is eq 7's
polynomial, the schedule numbers match the reference, links restore, bad links warn."""

import base64
import math
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from app.live_chart import unpack_message

PAGE = str(Path(__file__).resolve().parents[2] / "app" / "views" / "psi_curve.py")


def run(query=None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def chart(at, index) -> dict:
    """The figure live chart `index` (0: psi, 1: lambda schedule) got in this run."""
    return unpack_message(at.get("bidi_component")[index].proto.bytes)[0]["figure"]


def values(trace, axis) -> np.ndarray:
    data = trace[axis]
    if isinstance(data, dict):  # plotly's base64 typed array
        return np.frombuffer(base64.b64decode(data["bdata"]), dtype=np.dtype(data["dtype"])).astype(float)
    return np.asarray(data, dtype=float)


def metrics(at) -> dict:
    return {metric.label: metric.value for metric in at.metric}


def test_defaults_show_the_papers_mnist_schedule_and_the_m4_expansion():
    at = run()
    assert not at.exception
    assert "8c^{4} - 8c^{2} + 1" in at.latex[0].value
    shown = metrics(at)
    assert shown["λ at iteration 1"] == "999.125"  # reference section 2
    assert shown["λ at iteration 10,000"] == "0.405648"


@pytest.mark.parametrize(
    ("m", "polynomial"), [(1, "= c"), (2, "2c^{2} - 1"), (3, "4c^{3} - 3c"), (5, "16c^{5} - 20c^{3} + 5c")]
)
def test_the_expansion_follows_m(m, polynomial):
    at = run()
    at.slider(key="m").set_value(m).run()
    assert polynomial in at.latex[0].value


def test_psi_curves_match_the_reference_values():
    at = run()
    at.slider(key="mmax").set_value(3).run()
    traces = {trace["name"]: trace for trace in chart(at, 0)["data"]}
    assert set(traces) == {"cos θ (softmax)", "ψ, m = 1", "ψ, m = 2", "ψ, m = 3", "blend, m = 4, λ = 1"}
    theta = values(traces["ψ, m = 3"], "x")
    psi3 = values(traces["ψ, m = 3"], "y")
    # Reference section 6, m = 3: psi(20) = 0.5, psi(90) = -2, psi(135) = -3.292893.
    for degrees, expected in [(20, 0.5), (90, -2.0), (135, -3.292893)]:
        assert psi3[np.argmin(np.abs(theta - degrees))] == pytest.approx(expected, abs=1e-5)


def test_lambda_moves_the_blend_towards_cosine():
    at = run()
    at.slider(key="lam").set_value(20.0).run()
    traces = {trace["name"]: trace for trace in chart(at, 0)["data"]}
    theta = np.radians(values(traces["cos θ (softmax)"], "x"))
    blend = values(traces["blend, m = 4, λ = 20"], "y")
    # At 90 degrees, m = 4: (20 * 0 + psi(90) = -3) / 21.
    assert blend[np.argmin(np.abs(theta - math.pi / 2))] == pytest.approx(-3 / 21, abs=1e-5)


def test_the_base_1_gamma_0_trap_is_flagged():
    at = run({"base": "1", "gamma": "0"})
    assert not at.exception
    assert any("stays 1 forever" in warning.value for warning in at.warning)
    assert metrics(at)["λ at iteration 10,000"] == "1"


def test_schedule_parameters_drive_the_plot():
    at = run()
    at.number_input(key="power").set_value(10.0).run()
    at.toggle(key="log").set_value(False).run()
    figure = chart(at, 1)
    assert figure["layout"]["yaxis"]["type"] == "linear"
    power_law = figure["data"][0]
    steps, lam = values(power_law, "x"), values(power_law, "y")
    expected = np.maximum(0.0, 1000 * (1 + 2.5e-5 * steps) ** -10.0)
    np.testing.assert_allclose(lam, expected, rtol=1e-5)
    multiplicative = values(figure["data"][1], "y")
    np.testing.assert_allclose(multiplicative, 100 * 0.99**steps, rtol=1e-4, atol=1e-30)


def test_zoom_survives_new_curves_and_a_new_scale_resets_it():
    at = run()
    psi_revision, schedule_revision = chart(at, 0)["layout"]["uirevision"], chart(at, 1)["layout"]["uirevision"]
    at.slider(key="lam").set_value(3.0).run()
    at.number_input(key="power").set_value(10.0).run()
    assert psi_revision and chart(at, 0)["layout"]["uirevision"] == psi_revision
    assert schedule_revision and chart(at, 1)["layout"]["uirevision"] == schedule_revision
    at.toggle(key="log").set_value(False).run()  # log -> linear: the old zoom means nothing on the new axis
    assert chart(at, 1)["layout"]["uirevision"] != schedule_revision


@pytest.mark.parametrize(("index", "filename"), [(0, "lsoftmax-psi"), (1, "lsoftmax-lambda-schedule")])
def test_both_charts_keep_the_png_export(index, filename):
    config = unpack_message(run().get("bidi_component")[index].proto.bytes)[0]["config"]
    assert config["modeBarButtons"] == [["toImage"]]
    assert config["toImageButtonOptions"] == {"format": "png", "filename": filename, "scale": 3}


def test_a_link_restores_the_state():
    at = run({"m": "3", "lam": "2.5", "iters": "5000"})
    assert not at.exception and not at.warning
    assert "4c^{3} - 3c" in at.latex[0].value
    assert at.code[0].value == "/psi?m=3&lam=2.5&iters=5000"


@pytest.mark.parametrize(("query", "named"), [({"m": "0"}, "m=0 is outside 1..8"), ({"factor": "2"}, "factor=2")])
def test_bad_links_fall_back_with_a_notice(query, named):
    at = run(query)
    assert not at.exception
    assert any(named in warning.value for warning in at.warning)
    assert "8c^{4} - 8c^{2} + 1" in at.latex[0].value
