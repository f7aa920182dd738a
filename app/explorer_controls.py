"""The explorers' URL-bound controls that their live charts also carry, and those charts' specs.

The pages (binary, multiclass, psi) bind these Params to their sidebar widgets and the URL; the
live chart above each figure moves the same values in the browser; the lesson's figures carry
the same sliders. One definition of every limit, here, and of how the margin-family member
chosen on a page (lsoftmax.margins) is built from its controls: MemberChoice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

from app import links
from app.figures.scenes import BINARY_DEFAULTS, plane_constants, psi_constants
from app.live_chart.controls import Control, live_spec
from lab.settings import MAX_MARGIN, MAX_SCALE, MEMBER_RANGES
from lsoftmax.margins import MEMBERS, Margin

D = BINARY_DEFAULTS
# Two classes (binary page).
BINARY_M = links.Param("m", D["m"], 1, MAX_MARGIN)
NORM1 = links.Param("n1", D["norm1"], 0.1, 5.0)
NORM2 = links.Param("n2", D["norm2"], 0.1, 5.0)
THETA12 = links.Param("t12", D["theta12_deg"], 1, 180)
X_ANGLE = links.Param("xa", D["sample_angle_deg"], -180, 180)
X_NORM = links.Param("xn", D["sample_norm"], 0.1, 5.0)
# K classes (multiclass page).
MAX_CLASSES = 10
MULTICLASS_M = links.Param("m", 3, 1, MAX_MARGIN)
ANGLES = tuple(links.Param(f"a{j + 1}", 0, 0, 359) for j in range(MAX_CLASSES))
NORMS = tuple(links.Param(f"n{j + 1}", 2.0, 0.1, 5.0) for j in range(MAX_CLASSES))
# The margin-family members' own parameters, in the units their papers state them (the integer
# m of L-Softmax and A-Softmax is each page's m above).
# Their ranges are the trainer's (lab.settings.MEMBER_RANGES).
COS_M = links.Param("cm", 0.35, *MEMBER_RANGES["cosface_m"])  # CosFace m, cosine units
ARC_M = links.Param("am", 28.6, *MEMBER_RANGES["arcface_m_deg"])  # ArcFace m, degrees (the paper's 0.5 rad is 28.6°)
COMBINED_M1 = links.Param("m1", 1.0, *MEMBER_RANGES["combined_m1"])  # multiplicative angular
COMBINED_M2 = links.Param("m2", 17.2, *MEMBER_RANGES["combined_m2_deg"])  # additive angular, degrees (0.3 rad)
COMBINED_M3 = links.Param("m3", 0.2, *MEMBER_RANGES["combined_m3"])  # additive cosine
SCALE = links.Param("s", 64.0, 1.0, MAX_SCALE)  # s of the members that normalise x
OVERLAY_PREFIX = "v"  # the compared member's controls: the same keys with this prefix
NO_OVERLAY = "none"
# psi curves (psi page).
PSI_POINTS = 361  # one sample per half degree
M_MAX = links.Param("mmax", 4, 1, MAX_MARGIN)
PSI_M = links.Param("m", 4, 1, MAX_MARGIN)
LAMBDA = links.Param("lam", 1.0, 0.0, 20.0)


def binary_controls(locked: bool, sample: bool = True, choice: MemberChoice | None = None) -> list[Control]:
    """The sliders above the two-class plane: the member's parameters (L-Softmax's m by default),
    theta12, the norms, and the sample's angle only where the page has a sample."""
    norms = [Control(NORM1, "|W1|" if not locked else "|W1| = |W2|", 0.1)]
    if not locked:
        norms.append(Control(NORM2, "|W2|", 0.1))
    choice = choice or member_choices(BINARY_M)[MEMBER.default]
    controls = [*choice.controls(), Control(THETA12, "θ12", 1, "°"), *norms]
    return controls + [Control(X_ANGLE, "x angle", 1, "°")] if sample else controls


def member_constants(integer_m: links.Param) -> dict:
    """The members a plane chart can draw, for the browser: the chosen one's and the overlay's."""
    return {
        "members": {key: choice.spec() for key, choice in member_choices(integer_m).items()},
        "overlays": {key: choice.spec() for key, choice in overlay_choices(integer_m).items()},
    }


def binary_live(values: dict, sample: bool = True) -> dict:
    """The two-class plane's live spec; values has m, t12, n1, n2, lock, xa, xn and field, and
    optionally the member ("loss", its controls' keys) and the overlay ("vs", its keys)."""
    values = {"loss": MEMBER.default, "vs": NO_OVERLAY, **values}
    choice = member_choices(BINARY_M)[values["loss"]]
    controls = binary_controls(values["lock"], sample, choice)
    return live_spec("binary", values, controls, plane_constants() | member_constants(BINARY_M))


def multiclass_live(k: int, m: int, angles, norms, members: dict | None = None) -> dict:
    """The K-class plane's live spec: the member's parameters (m by default), then a picker of one
    vector with its angle and norm. members: "loss", "vs" and their controls' values, if any."""
    values = {"m": m, "loss": MEMBER.default, "vs": NO_OVERLAY, **(members or {})}
    choice = member_choices(MULTICLASS_M)[values["loss"]]
    controls = [
        *choice.controls(),
        {"key": "pick", "label": "vector W", "min": 1, "max": k, "step": 1},
        {"key": "angle", "label": "its angle", "min": ANGLES[0].low, "max": ANGLES[0].high, "step": 1, "unit": "°"},
        {"key": "norm", "label": "its |W|", "min": NORMS[0].low, "max": NORMS[0].high, "step": 0.1},
    ]
    values |= {"angles": list(angles), "norms": list(norms)}
    return live_spec("multiclass", values, controls, plane_constants() | member_constants(MULTICLASS_M))


def psi_live(m_max: int, m: int, lam: float) -> dict:
    """The psi chart's live spec: M, m and lambda move the curves in the browser."""
    controls = [Control(M_MAX, "ψ for m ≤"), Control(PSI_M, "blend m"), Control(LAMBDA, "λ", 0.1)]
    return live_spec("psi", {"mmax": m_max, "m": m, "lam": lam}, controls, psi_constants(PSI_POINTS))


# ------------------------------------------------------------ margin-family members


@dataclass(frozen=True)
class MemberField:
    """One parameter of a member as a control: the library's name, the URL-bound value shown."""

    name: str  # the member's dataclass field (ArcFace(m=...))
    param: links.Param  # the control, in the unit shown
    step: float  # slider step
    label: str  # the sidebar's label
    unit: str = ""  # "°": shown in degrees, given to the library in radians

    @property
    def factor(self) -> float:
        """library value = shown value * factor."""
        return math.pi / 180 if self.unit == "°" else 1.0


@dataclass(frozen=True)
class MemberChoice:
    """A member a page offers: its label, its class in lsoftmax.margins.MEMBERS, its controls."""

    label: str  # what the page shows, e.g. "ArcFace"
    name: str  # key of lsoftmax.margins.MEMBERS
    fields: tuple[MemberField, ...]
    summary: str = ""  # what it normalises and what its margin does (margin-family.md), one or two sentences

    def margin(self, values) -> Margin:
        """The library member from values (control key -> shown value); s from values["s"] where the
        member has one and values give it (it cancels in the geometry), else the library's default."""
        member = MEMBERS[self.name]
        chosen = {field.name: values[field.param.key] * field.factor for field in self.fields}
        if SCALE.key in values and any(field.name == "s" for field in fields(member)):
            chosen["s"] = values[SCALE.key]
        return member(**chosen)

    def describe(self, values) -> str:
        """E.g. 'ArcFace m = 28.6°' (the browser's memberLabel writes the same)."""
        shown = ", ".join(f"{field.name} = {values[field.param.key]:g}{field.unit}" for field in self.fields)
        return f"{self.label} {shown}"

    def prefixed(self, prefix: str) -> MemberChoice:
        """The same member with its controls under prefix + key (the overlay's copy)."""
        fields = tuple(
            replace(field, param=replace(field.param, key=prefix + field.param.key)) for field in self.fields
        )
        return replace(self, fields=fields)

    def controls(self) -> list[Control]:
        """Its sliders on a live chart's bar."""
        return [Control(field.param, field.name, field.step, field.unit) for field in self.fields]

    def sliders(self, prefix: str = "") -> dict:
        """The sidebar's slider of every parameter (bound to the URL); returns key -> value."""
        return {
            field.param.key: links.slider(field.param, prefix + field.label, step=field.step) for field in self.fields
        }

    def spec(self) -> dict:
        """What the browser needs to build the member from the chart's values (scenes.js memberOf)."""
        fields = [[field.name, field.param.key, field.factor, field.unit] for field in self.fields]
        return {"label": self.label, "name": self.name, "fields": fields}


SUMMARIES = (  # the members in member_choices' order
    "L-Softmax normalises nothing: the target logit is |W||x|ψ(θ), so the norms |W_j| move the boundaries. "
    "With equal norms the margin is (m−1)/(m+1)·θ12: it grows with the angle between the classes.",
    "A-Softmax (SphereFace) is ψ(θ) with W normalised: the norms drop out, and the margin is (m−1)/(m+1)·θ12 "
    "whatever |W1| and |W2| are.",
    "CosFace normalises W and x and subtracts m from the target's cosine: a margin in cosine units, "
    "wide where the classes are close and narrowing as θ12 grows.",
    "ArcFace normalises W and x and adds m to the target's angle: the margin is the constant angle m "
    "whatever θ12 (the whole wedge when θ12 < m).",
    "The combined margin cos(m1·θ + m2) − m3 normalises W and x: L-Softmax's angle factor, ArcFace's "
    "added angle and CosFace's cosine shift at once.",
)


def member_choices(integer_m: links.Param) -> dict[str, MemberChoice]:
    """Label -> member, for a page whose integer m is integer_m. The label is also the URL value
    (a bound radio writes its shown option into the URL), e.g. ?loss=ArcFace."""
    members = (
        MemberChoice("L-Softmax", "LSoftmax", (MemberField("m", integer_m, 1, "margin m"),), SUMMARIES[0]),
        MemberChoice("A-Softmax", "SphereFace", (MemberField("m", integer_m, 1, "margin m"),), SUMMARIES[1]),
        MemberChoice("CosFace", "CosFace", (MemberField("m", COS_M, 0.01, "margin m (cosine)"),), SUMMARIES[2]),
        MemberChoice("ArcFace", "ArcFace", (MemberField("m", ARC_M, 0.1, "margin m (°)", "°"),), SUMMARIES[3]),
        MemberChoice(
            "combined",
            "CombinedMargin",
            (MemberField("m1", COMBINED_M1, 0.05, "m1 (multiplies θ)"),
             MemberField("m2", COMBINED_M2, 0.1, "m2 (°, added to θ)", "°"),
             MemberField("m3", COMBINED_M3, 0.01, "m3 (cosine)")),
            SUMMARIES[4],
        ),
    )  # fmt: skip
    return {member.label: member for member in members}


def overlay_choices(integer_m: links.Param) -> dict[str, MemberChoice]:
    """The compared member's choices: the same members, their controls under OVERLAY_PREFIX."""
    return {key: choice.prefixed(OVERLAY_PREFIX) for key, choice in member_choices(integer_m).items()}


MEMBER = links.Param("loss", "L-Softmax", options=tuple(member_choices(BINARY_M)))  # the member a page draws
VERSUS = links.Param("vs", NO_OVERLAY, options=(NO_OVERLAY, *MEMBER.options))  # the member drawn over it


def member_params(integer_m: links.Param) -> tuple[links.Param, ...]:
    """The member pickers and every member's controls (the overlay's too), each key once, without
    integer_m itself (the page lists its m already): for links and settling."""
    choices = (*member_choices(integer_m).values(), *overlay_choices(integer_m).values())
    unique = {field.param.key: field.param for choice in choices for field in choice.fields}
    unique.pop(integer_m.key)
    return (MEMBER, *unique.values(), VERSUS)


def chosen_members(choices: dict[str, MemberChoice], overlays: dict[str, MemberChoice], values: dict) -> tuple:
    """(member, compared member or None, their labels) from member_controls' values."""
    choice = choices[values[MEMBER.key]]
    if values[VERSUS.key] == NO_OVERLAY:
        return choice.margin(values), None, (choice.describe(values),)
    other = overlays[values[VERSUS.key]]
    return choice.margin(values), other.margin(values), (choice.describe(values), other.describe(values))


def binary_title(labels, norm1: float, norm2: float, member: Margin) -> str:
    """The two-class plane's title: the members, and the norms where they count (scenes.js binaryTitle)."""
    members = " vs ".join(labels)
    return members if member.normalises_weight else f"{members}, |W1| = {norm1:g}, |W2| = {norm2:g}"


def multiclass_title(k: int, labels) -> str:
    """The K-class plane's title (scenes.js multiclassScene writes the same)."""
    return f"K = {k}, {' vs '.join(labels)}"


def member_controls(choices: dict[str, MemberChoice], overlays: dict[str, MemberChoice]) -> dict:
    """The sidebar's member picker and its parameters, then the member drawn over it (if any) and
    its parameters: URL key -> value."""
    values = {MEMBER.key: links.choice(MEMBER, "loss")}
    values |= choices[values[MEMBER.key]].sliders()
    values[VERSUS.key] = links.choice(VERSUS, "draw another over it")
    if values[VERSUS.key] != NO_OVERLAY:
        values |= overlays[values[VERSUS.key]].sliders(prefix=f"{values[VERSUS.key]} ")
    return values
