"""The margin family page in AppTest: its numbers against margin-family.md's check values (typed in
here from the doc) and against a brute force over directions written from the doc's definitions,
every control, deep links, bad links and hostile links."""

from __future__ import annotations

import base64
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from app.live_chart import unpack_message
from tests.app.test_hostile_input import FUZZ, NUMBERS, VALUES, check_page

PAGE = str(Path(__file__).resolve().parents[2] / "app" / "views" / "family.py")
ANGLES = (30, 60, 90, 120, 150)
# margin-family.md section 2, the margin inside the wedge (degrees) at theta12 = 30..150.
DOC = {
    "L-Softmax m = 2": (10.000, 20.000, 30.000, 40.000, 50.000),
    "m = 4": (18.000, 36.000, 54.000, 72.000, 90.000),
    "CosFace m = 0.35": (30.000, 40.975, 28.658, 23.316, 20.876),
    "ArcFace m = 0.5": (28.648, 28.648, 28.648, 28.648, 28.648),
    "combined (1, 0.3, 0.2)": (30.000, 35.638, 31.463, 29.521, 28.739),
}
DOC_WHOLE = {"CosFace m = 0.35": (30,), "combined (1, 0.3, 0.2)": (30,)}  # the doc's "(all)"
DOC_RESOLUTION = 1.5e-3  # degrees: the doc rounds to 0.001 (31.4635 is printed 31.463 there)
ROWS = {"ls": "L-Softmax", "sf": "A-Softmax", "cf": "CosFace", "af": "ArcFace", "cm": "combined"}


def run(query=None) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def table(at: AppTest) -> dict[str, list[str]]:
    """The check table: row label -> its five cells."""
    frame = at.table[0].value
    return {label: list(frame.loc[label]) for label in frame.index}


def row(at: AppTest, key: str) -> list[str]:
    (label,) = [label for label in table(at) if label.startswith(ROWS[key])]
    return table(at)[label]


def numbers(cells) -> np.ndarray:
    return np.array([float(cell.split()[0]) for cell in cells])


def charts(at: AppTest) -> list[dict]:
    """The figures of the two live charts: [plane, wedge]."""
    return [unpack_message(chart.proto.bytes)[0]["figure"] for chart in at.get("bidi_component")]


def array(trace, axis) -> np.ndarray:
    data = trace[axis]
    if isinstance(data, dict):  # plotly's base64 typed array
        return np.frombuffer(base64.b64decode(data["bdata"]), dtype=np.dtype(data["dtype"])).astype(float)
    return np.asarray(data, dtype=float)


def traces(figure: dict) -> dict:
    return {trace["name"]: trace for trace in figure["data"]}


def shared_link(at: AppTest) -> str:
    """The page's share link (AppTest does not show what a bound widget writes to the URL)."""
    return at.code[0].value


def notice(at: AppTest) -> str:
    return " ".join(warning.value for warning in at.warning if "ignored" in warning.value)


# ---------------------------------------------------------------- an independent reference


def psi(theta, m):
    """L-Softmax eq 6, written out again: (-1)^k cos(m theta) - 2k on [k pi/m, (k+1) pi/m]."""
    k = np.minimum(np.floor(theta * m / math.pi), m - 1)
    return (-1.0) ** k * np.cos(m * theta) - 2 * k


def arcface(theta, m):
    return np.where(theta <= math.pi - m, np.cos(theta + m), np.cos(theta) - m * math.sin(m))


def combined(theta, m1, m2, m3):
    turn = (math.pi - m2) / m1
    tail = np.cos(theta) - math.cos(turn) - 1 - m3 if turn < math.pi else np.cos(theta)
    return np.where(m1 * theta + m2 <= math.pi, np.cos(m1 * theta + m2) - m3, tail)


def brute_margin(target, theta12_deg, ratio=1.0, points=400_001) -> float:
    """Degrees of the wedge where neither class's criterion ratio_i t(theta_i) > ratio_j cos(theta_j) holds."""
    theta12 = math.radians(theta12_deg)
    phi = np.linspace(0.0, theta12, points)  # from W1 towards W2
    class1 = ratio * target(phi) > np.cos(theta12 - phi)
    class2 = target(theta12 - phi) > ratio * np.cos(phi)
    return math.degrees(np.count_nonzero(~class1 & ~class2) / points * theta12)


# ----------------------------------------------------------------------- the doc's numbers


def test_the_defaults_are_the_docs_typical_values_and_give_its_check_values():
    at = run()
    assert not at.exception and not notice(at)
    rows = table(at)
    assert list(rows) == ["L-Softmax m = 2", "A-Softmax m = 4", "CosFace m = 0.35", "ArcFace m = 28.6°",
                          "combined (1, 17.2°, 0.2)"]  # fmt: skip
    for (label, cells), (doc_label, expected) in zip(rows.items(), DOC.items(), strict=True):
        np.testing.assert_allclose(numbers(cells), expected, atol=DOC_RESOLUTION, err_msg=label)
        whole = [angle for angle, cell in zip(ANGLES, cells, strict=True) if cell.endswith("(all)")]
        assert whole == list(DOC_WHOLE.get(doc_label, ())), (label, cells)


def test_l_softmax_m4_gives_the_docs_row_and_a_softmax_m2_the_other():
    at = run({"ls_m": "4", "sf_m": "2"})
    np.testing.assert_allclose(numbers(row(at, "ls")), DOC["m = 4"], atol=DOC_RESOLUTION)
    np.testing.assert_allclose(numbers(row(at, "sf")), DOC["L-Softmax m = 2"], atol=DOC_RESOLUTION)


def test_the_wedge_chart_passes_through_the_check_values():
    figure = charts(run())[1]
    for (name, trace), expected in zip(list(traces(figure).items())[1:], DOC.values(), strict=True):
        theta12, margin = array(trace, "x"), array(trace, "y")
        at_checks = [margin[np.argmin(np.abs(theta12 - angle))] for angle in ANGLES]
        np.testing.assert_allclose(at_checks, expected, atol=2e-3, err_msg=name)  # float32 in the chart


def test_the_plane_boundaries_are_the_arcface_papers_closed_forms():
    """SphereFace theta2 = m theta1, CosFace cos(theta1) - m = cos(theta2), ArcFace theta2 = theta1 + m."""
    plane = traces(charts(run({"sf_m": "3", "ls_r": "1"}))[0])
    assert list(plane)[0] == "softmax θ1 = θ2"
    np.testing.assert_allclose(array(plane["softmax θ1 = θ2"], "y"), [0, 180])
    theta1 = np.radians(array(plane["A-Softmax m = 3"], "x"))
    expected = {
        "A-Softmax m = 3": np.where(theta1 <= math.pi / 3, 3 * theta1, np.nan),  # psi < -1 past pi/m
        "CosFace m = 0.35": np.where(
            np.cos(theta1) - 0.35 >= -1, np.arccos(np.clip(np.cos(theta1) - 0.35, -1, 1)), np.nan
        ),  # fmt: skip
        "ArcFace m = 28.6°": np.where(theta1 <= math.pi - 0.5, theta1 + 0.5, np.nan),
    }
    for name, radians in expected.items():
        shown = array(plane[name], "y")
        assert np.array_equal(np.isnan(shown), np.isnan(radians)), name
        np.testing.assert_allclose(shown, np.degrees(radians), atol=1e-3, equal_nan=True, err_msg=name)


# ------------------------------------------------------------------------- every control

CONTROLS = [  # (key, new value, the reference margin at theta12 = 30..150 for the member it moves)
    ("ls_m", 3, lambda a: brute_margin(lambda t: psi(t, 3), a)),
    ("ls_r", 2.0, lambda a: brute_margin(lambda t: psi(t, 2), a, ratio=2.0)),
    ("sf_m", 6, lambda a: brute_margin(lambda t: psi(t, 6), a)),
    ("cf_m", 0.5, lambda a: brute_margin(lambda t: np.cos(t) - 0.5, a)),
    ("af_m", 20.0, lambda a: brute_margin(lambda t: arcface(t, math.radians(20)), a)),
    ("cm_m1", 1.5, lambda a: brute_margin(lambda t: combined(t, 1.5, 0.3, 0.2), a)),
    ("cm_m2", 40.0, lambda a: brute_margin(lambda t: combined(t, 1.0, math.radians(40), 0.2), a)),
    ("cm_m3", 0.05, lambda a: brute_margin(lambda t: combined(t, 1.0, 0.3, 0.05), a)),
]


@pytest.mark.parametrize(("key", "value", "reference"), CONTROLS, ids=[control[0] for control in CONTROLS])
def test_every_parameter_moves_its_member_to_the_brute_force_margins(key, value, reference):
    at = run()
    at.slider(key=key).set_value(value).run()
    assert not at.exception
    assert f"{key}={value:g}" in shared_link(at)
    expected = [reference(angle) for angle in ANGLES]
    np.testing.assert_allclose(numbers(row(at, key.split("_")[0])), expected, atol=2e-3)


@pytest.mark.parametrize("key", ["cf_s", "af_s", "cm_s"])
def test_the_scale_changes_the_link_but_no_geometry(key):
    at = run()
    before_table, before_charts = table(at), [figure["data"] for figure in charts(at)]
    at.slider(key=key).set_value(16.0).run()
    assert f"{key}=16" in shared_link(at) and not at.exception
    assert table(at) == before_table
    assert [figure["data"] for figure in charts(at)] == before_charts
    assert any("cancels" in caption.value for caption in at.caption)


@pytest.mark.parametrize("key", list(ROWS))
def test_every_toggle_hides_its_member_everywhere(key):
    at = run()
    at.toggle(key=key).set_value(False).run()
    assert not at.exception and f"{key}=false" in shared_link(at)
    assert not any(label.startswith(ROWS[key]) for label in table(at))
    assert len(table(at)) == 4
    for figure in charts(at):
        names = list(traces(figure))
        assert len(names) == 5 and not any(name.startswith(ROWS[key]) for name in names)
    member_sliders = [slider for slider in at.slider if slider.key.startswith(f"{key}_")]
    assert member_sliders and all(slider.disabled for slider in member_sliders)


def test_with_every_member_hidden_the_page_says_so():
    at = run({key: "false" for key in ROWS})
    assert not at.exception
    assert any("Switch a member on" in info.value for info in at.info)
    assert [len(figure["data"]) for figure in charts(at)] == [1, 1]  # softmax's diagonal, the whole wedge


def test_each_member_has_its_shared_colour_in_both_charts():
    from app.figures.style import MEMBER_COLORS

    names = {"ls": "LSoftmax", "sf": "SphereFace", "cf": "CosFace", "af": "ArcFace", "cm": "CombinedMargin"}
    for figure in charts(run()):
        colours = [trace["line"]["color"] for trace in figure["data"][1:]]
        assert colours == [MEMBER_COLORS[names[key]] for key in ROWS]
    assert len(set(MEMBER_COLORS.values())) == len(MEMBER_COLORS)


# --------------------------------------------------------------------------------- links


def test_a_deep_link_restores_every_value_and_the_share_link_repeats_it():
    query = {"ls_m": "4", "ls_r": "0.5", "sf": "false", "cf_m": "0.2", "af_m": "10", "cm_m3": "0.1", "cm_s": "30"}
    at = run(query)
    assert not at.exception and not notice(at)
    assert at.slider(key="ls_m").value == 4 and at.slider(key="af_m").value == 10.0
    assert at.toggle(key="sf").value is False
    assert at.code[0].value == "/family?ls_m=4&ls_r=0.5&sf=false&cf_m=0.2&af_m=10&cm_m3=0.1&cm_s=30"
    np.testing.assert_allclose(numbers(row(at, "af")), [10.0] * 5, atol=1e-9)
    expected = [brute_margin(lambda t: psi(t, 4), angle, ratio=0.5) for angle in ANGLES]
    np.testing.assert_allclose(numbers(row(at, "ls")), expected, atol=2e-3)


@pytest.mark.parametrize(
    ("query", "named", "key", "used"),
    [
        ({"ls_m": "abc"}, "ls_m=abc is not a number; using the default 2", "ls_m", 2),
        ({"af_m": "200"}, "af_m=200 is outside 0..90", "af_m", math.degrees(0.5)),
        ({"sf_m": "2.5"}, "sf_m=2.5 is not a whole number; using 2", "sf_m", 2),
        ({"cf_s": "inf"}, "cf_s=inf is not a finite number", "cf_s", 64.0),
        ({"cm": "maybe"}, "cm=maybe is not true or false", "cm", True),
        ({"cf_m": ""}, "cf_m is empty", "cf_m", 0.35),
    ],
)
def test_bad_links_fall_back_with_a_notice(query, named, key, used):
    at = run(query)
    assert not at.exception
    assert named in notice(at)
    assert at.session_state[key] == used


def test_user_text_in_a_link_is_shown_as_text():
    at = run({"ls_m": "[click](https://evil.example)"})
    check_page(at)
    assert "evil.example" in notice(at)


def queries():
    keys = st.sampled_from(["ls", "ls_m", "ls_r", "sf_m", "cf_m", "af_m", "af_s", "cm_m1", "cm_m2", "evil[x](y)"])
    values = st.one_of(VALUES, NUMBERS, st.lists(st.one_of(VALUES, NUMBERS), min_size=2, max_size=3))
    return st.dictionaries(keys, values, min_size=1, max_size=3)


@FUZZ
@given(query=queries())
@example(query={"af_m": "![x](https://evil.example/t.png)", "cm_m2": ["1", "<b>evil</b>"]})
def test_hostile_links(query):
    at = AppTest.from_file(PAGE, default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    check_page(at.run())
