"""The margin family page's state: one URL-bound Param per member parameter, the members they
build (lsoftmax.margins), and the curves the page draws (lsoftmax.geometry).

The lesson's family steps draw from the same functions, so a step's figure and the page its link
opens cannot disagree. Angles the papers give in radians (ArcFace's m, the combined m2) are
degrees here, as the page shows them; the library gets radians.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from app import links
from app.explorer_controls import ARC_M, BINARY_M, COMBINED_M1, COMBINED_M2, COMBINED_M3, COS_M, SCALE
from app.figures.style import MEMBER_COLORS
from lsoftmax.geometry import angle_plane_boundary, wedge_margins
from lsoftmax.margins import ArcFace, CombinedMargin, CosFace, LSoftmax, Margin, SphereFace

PAGE = "family"  # URL path of the page
CHECK_ANGLES = (30, 60, 90, 120, 150)  # degrees: margin-family.md's check values are at these theta12
PLANE_ANGLES = np.linspace(0.0, 180.0, 721)  # theta1 (degrees) of the (theta1, theta2) plane, 0.25 deg apart
WEDGE_ANGLES = np.arange(0.5, 180.5, 0.5)  # theta12 (degrees), every check angle among them
WHOLE = 1e-9  # radians: a margin this close to theta12 is the whole wedge

# Each slider is the explorers' control of the same parameter (one set of limits) under this
# page's key; ArcFace's m and the combined m2 default to the papers' radians exactly.
LS_M = replace(BINARY_M, key="ls_m", default=2)
LS_RATIO = links.Param("ls_r", 1.0, 0.2, 5.0)  # |W1| / |W2|: counts for L-Softmax only
SF_M = replace(BINARY_M, key="sf_m", default=4)
CF_M = replace(COS_M, key="cf_m")
CF_S = replace(SCALE, key="cf_s")
AF_M = replace(ARC_M, key="af_m", default=math.degrees(0.5))
AF_S = replace(SCALE, key="af_s")
CM_M1 = replace(COMBINED_M1, key="cm_m1")
CM_M2 = replace(COMBINED_M2, key="cm_m2", default=math.degrees(0.3))
CM_M3 = replace(COMBINED_M3, key="cm_m3")
CM_S = replace(SCALE, key="cm_s")


@dataclass(frozen=True)
class FamilyMember:
    """One member as the page shows it: a show/hide toggle and its parameters' sliders."""

    shown: links.Param  # the toggle; its key names the member on the page and in the URL
    title: str  # the paper's name, as the page writes it
    name: str  # lsoftmax.margins name: the key of MEMBER_COLORS
    params: tuple[links.Param, ...]  # its sliders, in the order the page shows them
    labels: tuple[str, ...]  # one slider label per param
    steps: tuple[float, ...]  # one slider step per param

    @property
    def key(self) -> str:
        """Its short name on the page and in the URL (the toggle's key), e.g. 'af'."""
        return self.shown.key

    @property
    def color(self) -> str:
        """Its line colour on every page (style.MEMBER_COLORS)."""
        return MEMBER_COLORS[self.name]


FAMILY = (
    FamilyMember(links.Param("ls", True), "L-Softmax", "LSoftmax", (LS_M, LS_RATIO), ("m", "|W1| / |W2|"), (1, 0.1)),
    FamilyMember(links.Param("sf", True), "A-Softmax (SphereFace)", "SphereFace", (SF_M,), ("m",), (1,)),
    FamilyMember(links.Param("cf", True), "CosFace (AM-Softmax)", "CosFace", (CF_M, CF_S), ("m", "s"), (0.01, 1.0)),
    FamilyMember(links.Param("af", True), "ArcFace", "ArcFace", (AF_M, AF_S), ("m (°)", "s"), (0.5, 1.0)),
    FamilyMember(
        links.Param("cm", True), "Combined margin", "CombinedMargin", (CM_M1, CM_M2, CM_M3, CM_S),
        ("m1", "m2 (°)", "m3", "s"), (0.05, 0.5, 0.01, 1.0),
    ),
)  # fmt: skip
BY_KEY = {member.key: member for member in FAMILY}
PARAMS = tuple(param for member in FAMILY for param in (member.shown, *member.params))


def defaults() -> dict:
    """Every param's default value, by URL key."""
    return {param.key: param.default for param in PARAMS}


def values_from_query(query: Mapping[str, str]) -> dict:
    """The page's values for a link's query (a preset's): what the page would read, defaults elsewhere."""
    read = {key: value for key, (value, _) in links.link_values(query, PARAMS).items()}
    return {**defaults(), **read}


def build(key: str, values: Mapping) -> Margin:
    """The library member that FAMILY's `key` is at these values (degrees become radians)."""
    if key == "ls":
        return LSoftmax(values["ls_m"])
    if key == "sf":
        return SphereFace(values["sf_m"])
    if key == "cf":
        return CosFace(values["cf_m"], values["cf_s"])
    if key == "af":
        return ArcFace(math.radians(values["af_m"]), values["af_s"])
    if key == "cm":
        return CombinedMargin(values["cm_m1"], math.radians(values["cm_m2"]), values["cm_m3"], values["cm_s"])
    raise ValueError(f"key must be one of {sorted(BY_KEY)}, got {key!r}")


def label(key: str, values: Mapping) -> str:
    """The legend's name of a member at these values, e.g. 'ArcFace m = 28.6°' (s left out: it moves nothing)."""
    if key == "ls":
        ratio = values["ls_r"]
        return f"L-Softmax m = {values['ls_m']}" + ("" if ratio == 1 else f", |W1|/|W2| = {ratio:g}")
    if key == "sf":
        return f"A-Softmax m = {values['sf_m']}"
    if key == "cf":
        return f"CosFace m = {values['cf_m']:g}"
    if key == "af":
        return f"ArcFace m = {values['af_m']:.1f}°"
    return f"combined ({values['cm_m1']:g}, {values['cm_m2']:.1f}°, {values['cm_m3']:g})"


def shown_keys(values: Mapping) -> list[str]:
    """The keys of the members whose toggle is on, in FAMILY's order."""
    return [member.key for member in FAMILY if values[member.key]]


def member_curves(values: Mapping, compute) -> dict[str, tuple[str, np.ndarray]]:
    """legend label -> (colour, compute(member, ratio)) for every shown member; ratio = |W1| / |W2|."""
    ratio = values[LS_RATIO.key]
    return {label(key, values): (BY_KEY[key].color, compute(build(key, values), ratio)) for key in shown_keys(values)}


def plane_boundary(member: Margin, ratio: float) -> np.ndarray:
    """theta2 (degrees) on class 1's boundary at every PLANE_ANGLES theta1; NaN where there is none."""
    return np.degrees(angle_plane_boundary(np.radians(PLANE_ANGLES), member, norm_ratio=ratio))


def wedge_margins_deg(member: Margin, ratio: float, theta12_deg) -> np.ndarray:
    """The margin inside the wedge (degrees) at each theta12 (degrees); |W1| / |W2| = ratio."""
    return np.degrees(wedge_margins(ratio, 1.0, np.radians(np.asarray(theta12_deg, float)), member))


def check_cell(margin_deg: float, theta12_deg: float) -> str:
    """A check-table entry as margin-family.md writes it: '40.975', or '30.000 (all)' for the whole wedge."""
    whole = math.radians(theta12_deg) - math.radians(margin_deg) <= WHOLE
    return f"{margin_deg:.3f}" + (" (all)" if whole else "")
