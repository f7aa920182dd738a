"""The family figures (pure functions) on small arrays, and the page's state (app/family.py):
the members its values build, the links it reads, the table cells it writes."""

import math

import numpy as np
import pytest

from app import family
from app.figures.family import angle_plane_figure, wedge_margin_figure
from app.figures.style import MARGIN_COLOR, SOFTMAX_COLOR
from lsoftmax.margins import ArcFace, CombinedMargin, CosFace, LSoftmax, SphereFace


def test_the_plane_draws_softmax_dashed_then_each_member_with_its_colour_and_gaps():
    theta1 = np.array([0.0, 45.0, 90.0])
    figure = angle_plane_figure(theta1, {"A": ("#112233", np.array([0.0, 90.0, np.nan]))}, height=400)
    softmax, member = figure.data
    assert softmax.line.color == SOFTMAX_COLOR and softmax.line.dash == "dash"
    assert list(softmax.x) == [0, 180] and list(softmax.y) == [0, 180]
    assert member.name == "A" and member.line.color == "#112233" and member.connectgaps is False
    assert np.isnan(member.y[2]) and list(member.x) == [0.0, 45.0, 90.0]
    layout = figure.layout
    assert layout.height == 400 and tuple(layout.xaxis.range) == (0, 180) and tuple(layout.yaxis.range) == (0, 180)
    assert layout.legend.y < 0  # under the plot
    assert layout.uirevision


def test_the_wedge_figure_draws_the_whole_wedge_and_scales_its_axis_to_the_margins():
    figure = wedge_margin_figure(np.array([30.0, 90.0]), {"B": ("#445566", np.array([20.0, 100.0]))})
    whole, member = figure.data
    assert whole.line.color == MARGIN_COLOR and list(whole.y) == [0, 180]
    assert member.name == "B" and list(member.y) == [20.0, 100.0]
    assert figure.layout.yaxis.range[1] == pytest.approx(110.0)
    empty = wedge_margin_figure(np.array([30.0]), {})
    assert len(empty.data) == 1 and empty.layout.yaxis.range[1] == pytest.approx(66.0)


def test_the_page_values_build_the_library_members_with_degrees_as_radians():
    values = family.defaults()
    built = {key: family.build(key, values) for key in family.BY_KEY}
    assert built == {
        "ls": LSoftmax(2), "sf": SphereFace(4), "cf": CosFace(0.35, 64.0), "af": ArcFace(0.5, 64.0),
        "cm": CombinedMargin(1.0, 0.3, 0.2, 64.0),
    }  # fmt: skip
    with pytest.raises(ValueError, match="key must be one of"):
        family.build("softmax", values)


def test_every_param_has_a_unique_url_key_and_every_member_a_label_per_slider():
    keys = [param.key for param in family.PARAMS]
    assert len(keys) == len(set(keys))
    for member in family.FAMILY:
        assert len(member.params) == len(member.labels) == len(member.steps)
        for param in member.params:
            assert param.low <= param.default <= param.high


def test_a_query_is_read_as_the_page_reads_it():
    values = family.values_from_query({"af_m": "10", "cf": "false", "ls_m": "abc"})
    assert values["af_m"] == 10.0 and values["cf"] is False and values["ls_m"] == 2
    assert family.shown_keys(values) == ["ls", "sf", "af", "cm"]


@pytest.mark.parametrize(
    ("margin", "theta12", "cell"), [(30.0, 30, "30.000 (all)"), (29.99, 30, "29.990"), (40.9754, 60, "40.975")]
)
def test_a_check_cell_marks_the_whole_wedge_only(margin, theta12, cell):
    assert family.check_cell(margin, theta12) == cell


def test_the_wedge_samples_include_every_check_angle():
    assert set(family.CHECK_ANGLES) <= set(family.WEDGE_ANGLES.tolist())
    assert family.PLANE_ANGLES[0] == 0 and family.PLANE_ANGLES[-1] == 180
    assert math.isclose(family.AF_M.default, 28.64788975654116)
