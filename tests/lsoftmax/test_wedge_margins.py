"""wedge_margins (every theta12 at once) against wedge_margin one angle at a time, against
margin-family.md's check values, and its input checks."""

import math

import numpy as np
import pytest

from lsoftmax.geometry import wedge_margin, wedge_margins
from lsoftmax.margins import ArcFace, CombinedMargin, CosFace, LSoftmax, SphereFace

MEMBERS = [
    LSoftmax(1), LSoftmax(2), LSoftmax(5), SphereFace(4), CosFace(0.35), CosFace(0.0), CosFace(1.5),
    ArcFace(0.5), ArcFace(3.0), CombinedMargin(1.0, 0.3, 0.2), CombinedMargin(2.5, 1.0, 0.5),
]  # fmt: skip
ANGLES = np.radians(np.concatenate([np.arange(1.0, 181.0, 1.0), [1e-9, 0.5, 179.999999]]))


@pytest.mark.parametrize("ratio", [1.0, 0.5, 3.0])
@pytest.mark.parametrize("member", MEMBERS, ids=lambda member: member.describe())
def test_every_angle_at_once_equals_one_at_a_time(member, ratio):
    expected = np.array([wedge_margin(ratio, 1.0, angle, member) for angle in ANGLES])
    np.testing.assert_allclose(wedge_margins(ratio, 1.0, ANGLES, member), expected, rtol=0, atol=1e-12)


def test_the_docs_check_values():
    angles = np.radians([30, 60, 90, 120, 150])
    doc = {  # margin-family.md section 2, degrees
        LSoftmax(2): [10.000, 20.000, 30.000, 40.000, 50.000],
        SphereFace(4): [18.000, 36.000, 54.000, 72.000, 90.000],
        CosFace(0.35): [30.000, 40.975, 28.658, 23.316, 20.876],
        ArcFace(0.5): [28.648] * 5,
        CombinedMargin(1.0, 0.3, 0.2): [30.000, 35.638, 31.463, 29.521, 28.739],
    }
    for member, expected in doc.items():
        np.testing.assert_allclose(np.degrees(wedge_margins(1, 1, angles, member)), expected, atol=1.5e-3)


def test_the_shape_follows_theta12():
    assert wedge_margins(1, 1, np.full((2, 3), math.pi / 2), LSoftmax(2)).shape == (2, 3)
    assert wedge_margins(1, 1, math.pi / 2, LSoftmax(2)) == pytest.approx(math.pi / 6)


@pytest.mark.parametrize("theta12", [[0.0], [-1.0], [math.pi + 0.1], [np.nan], [1.0, np.inf]])
def test_bad_angles_name_theta12(theta12):
    with pytest.raises(ValueError, match="theta12"):
        wedge_margins(1, 1, theta12, LSoftmax(2))


def test_bad_norms_and_members_are_named():
    with pytest.raises(ValueError, match="norm1"):
        wedge_margins(0.0, 1, [1.0], LSoftmax(2))
    with pytest.raises(ValueError, match="m"):
        wedge_margins(1, 1, [1.0], "arcface")
