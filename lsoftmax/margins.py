"""The angular-margin family: each member changes only the target logit of a bias-free layer.

    from lsoftmax.margins import LSoftmax, SphereFace, CosFace, ArcFace, CombinedMargin

Non-target logits are scale_j * cos(theta_j); the target logit is scale_y * t(theta_y),
blended with the plain one by lambda: (lam * scale_y * cos + scale_y * t) / (1 + lam).

| member | normalises | scale_j | t(theta) |
|---|---|---|---|
| LSoftmax(m) (Liu 2016) | nothing | abs(W_j) abs(x) | psi_m(theta), eq 6 |
| SphereFace(m) (Liu 2017) | W | abs(x) | psi_m(theta) |
| CosFace(m, s) (Wang 2018) | W and x | s | cos(theta) - m |
| ArcFace(m, s) (Deng 2019) | W and x | s | cos(theta + m); cos(theta) - m sin(m) past pi - m |
| CombinedMargin(m1, m2, m3, s) | W and x | s | cos(m1 theta + m2) - m3; see its docstring |

A member is a frozen dataclass. It knows t and dt/dc as functions of c = cos(theta)
(`target_and_slope`, on numpy arrays or torch tensors: the loss, the trainer and the geometry
all call it), what it normalises, its scale, and what the geometry needs: the angles where t
or its slope jumps (`breakpoints`) and a bound on abs(dt/dtheta) (`lipschitz`). Adding a member
is one class here. numpy only: torch tensors are handled by duck typing.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass, fields

import numpy as np

from lsoftmax.margin import _namespace, as_integer, clamp, psi_and_slope

__all__ = ["Margin", "LSoftmax", "SphereFace", "CosFace", "ArcFace", "CombinedMargin", "MEMBERS", "as_margin"]


def _check_real(name: str, value, low: float, high: float = math.inf, high_open: bool = False) -> float:
    """value as a float in [low, high] (or [low, high)); numpy and torch scalars accepted."""
    if isinstance(value, (bool, np.bool_, str, bytes)):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(number) or number < low or number > high or (high_open and number == high):
        bracket = ")" if high_open else "]"
        raise ValueError(f"{name} must be a finite number in [{low:g}, {high:g}{bracket}, got {value!r}")
    return number


def _arc(cos_theta, m1: float, m2: float, m3: float, past: float):
    """t and dt/dc for t = cos(m1 theta + m2) - m3 up to where m1 theta + m2 reaches pi, and
    t = c + past beyond (slope 1): ArcFace (m1 = 1, m3 = 0) and the combined margin.

    theta = arccos(c); dt/dc = m1 sin(angle) / sin(theta). On a tensor that requires grad,
    autograd's dt/dc agrees with the slope except at c = +-1, where arccos's derivative is
    infinite (the losses use the slope). sin(theta) is floored at sqrt(machine epsilon) of c's
    dtype: the gradient in x is slope * (a vector of length sin(theta)), finite in exact
    arithmetic; the floor keeps it finite (and accurate down to theta ~ 1e-8 rad in float64,
    3e-4 in float32) at theta = 0 and pi, where t has a kink and any subgradient will do. Five
    ufuncs on the angle: a third of the operations of c cos(m) - sqrt(1 - c^2) sin(m) and its slope.
    """
    xp = _namespace(cos_theta)
    theta = xp.arccos(cos_theta)
    floor = _SINE_FLOORS.get(getattr(theta, "dtype", None))
    if floor is None:  # torch dtypes, float16
        floor = math.sqrt(xp.finfo(theta.dtype).eps)
    angle = theta + m2 if m1 == 1.0 else m1 * theta + m2
    slope, target = xp.sin(angle) / clamp(xp.sin(theta), floor), xp.cos(angle)
    if m1 != 1.0:  # (ArcFace skips the two operations)
        slope = m1 * slope
    if m3:
        target = target - m3
    beyond = angle > math.pi
    if isinstance(target, np.ndarray):  # the second branch written over the first: np.where costs 1.5x copyto
        np.copyto(target, cos_theta + past, where=beyond)
        np.copyto(slope, 1.0, where=beyond)
        return target, slope
    return xp.where(beyond, cos_theta + past, target), xp.where(beyond, 1.0, slope)


_SINE_FLOORS = {np.dtype(t): math.sqrt(np.finfo(t).eps) for t in (np.float32, np.float64)}  # finfo costs a call


@dataclass(frozen=True)
class Margin:
    """One member of the family (see the module docstring). Subclasses set the class
    attributes and implement target_and_slope, breakpoints and lipschitz."""

    name = "margin"  # the paper's name, for messages and labels
    normalises_weight = False  # W_j -> W_j / abs(W_j)
    normalises_feature = False  # x -> s x / abs(x)

    @property
    def scale(self) -> float | None:
        """s for members that normalise x (their logits are s cos); None otherwise."""
        return getattr(self, "s", None) if self.normalises_feature else None

    @property
    def is_plain(self) -> bool:
        """True when t(theta) = cos(theta): the member's logits are its plain logits."""
        return False

    def target_and_slope(self, cos_theta):
        """(t, dt/dc) at c = cos(theta) in [-1, 1]; numpy arrays or torch tensors."""
        raise NotImplementedError

    def target(self, theta):
        """t(theta) for theta in [0, pi] radians (numpy array or torch tensor)."""
        return self.target_and_slope(_namespace(theta).cos(theta))[0]

    def breakpoints(self) -> tuple[float, ...]:
        """Angles in (0, pi) where t or its slope in theta jumps."""
        return ()

    def lipschitz(self) -> float:
        """A bound on abs(dt/dtheta) over [0, pi] away from the breakpoints."""
        raise NotImplementedError

    def class_scales(self, weight_norms: np.ndarray) -> np.ndarray:
        """(K,) the factor of each class's logit that survives when abs(x) cancels:
        abs(W_j) when W is not normalised, 1 otherwise (s is the same for every class)."""
        weight_norms = np.asarray(weight_norms, dtype=np.float64)
        return np.ones_like(weight_norms) if self.normalises_weight else weight_norms

    def params(self) -> dict[str, float]:
        """The member's parameters by name (what the state_dict stores)."""
        return asdict(self)

    def describe(self) -> str:
        """E.g. 'ArcFace(m=0.5, s=64)'."""
        values = ", ".join(f"{field.name}={getattr(self, field.name):g}" for field in fields(self))
        return f"{self.name}({values})"


@dataclass(frozen=True)
class LSoftmax(Margin):
    """L-Softmax (Liu et al. 2016): t = psi_m (eq 6), logits abs(W_j) abs(x) cos(theta_j)."""

    m: int  # integer margin >= 1; 1 is plain softmax

    name = "LSoftmax"

    def __post_init__(self):
        object.__setattr__(self, "m", as_integer(self.m, "m", 1, allow_float=True))

    @property
    def is_plain(self) -> bool:
        return self.m == 1

    def target_and_slope(self, cos_theta):
        return psi_and_slope(cos_theta, self.m)

    def breakpoints(self) -> tuple[float, ...]:
        return tuple(k * math.pi / self.m for k in range(1, self.m))  # psi's junctions, where its slope is 0

    def lipschitz(self) -> float:
        return float(self.m)  # abs(d psi / d theta) = m abs(sin(m theta)) <= m


@dataclass(frozen=True)
class SphereFace(LSoftmax):
    """A-Softmax (SphereFace, Liu et al. 2017): psi_m with W normalised; logits abs(x) cos(theta_j)."""

    m: int = 4  # integer margin >= 1

    name = "SphereFace"
    normalises_weight = True


@dataclass(frozen=True)
class CosFace(Margin):
    """AM-Softmax / CosFace (Wang et al. 2018): t = cos(theta) - m, W and x normalised, logits s cos."""

    m: float = 0.35  # additive cosine margin, >= 0
    s: float = 64.0  # scale, > 0

    name = "CosFace"
    normalises_weight = True
    normalises_feature = True

    def __post_init__(self):
        object.__setattr__(self, "m", _check_real("m", self.m, 0.0))
        object.__setattr__(self, "s", _check_positive_scale(self.s))

    @property
    def is_plain(self) -> bool:
        return self.m == 0.0

    def target_and_slope(self, cos_theta):
        return cos_theta - self.m, 1.0

    def lipschitz(self) -> float:
        return 1.0


@dataclass(frozen=True)
class ArcFace(Margin):
    """ArcFace (Deng et al. 2019): t = cos(theta + m) for theta <= pi - m, else
    cos(theta) - m sin(m) (the official code's branch that keeps t decreasing); m in radians."""

    m: float = 0.5  # additive angular margin, radians, in [0, pi)
    s: float = 64.0  # scale, > 0

    name = "ArcFace"
    normalises_weight = True
    normalises_feature = True

    def __post_init__(self):
        object.__setattr__(self, "m", _check_real("m", self.m, 0.0, math.pi, high_open=True))
        object.__setattr__(self, "s", _check_positive_scale(self.s))

    @property
    def is_plain(self) -> bool:
        return self.m == 0.0

    def target_and_slope(self, cos_theta):
        return _arc(cos_theta, 1.0, self.m, 0.0, -self.m * math.sin(self.m))

    def breakpoints(self) -> tuple[float, ...]:
        return (math.pi - self.m,) if self.m > 0 else ()

    def lipschitz(self) -> float:
        return 1.0


@dataclass(frozen=True)
class CombinedMargin(Margin):
    """The combined margin of InsightFace: t = cos(m1 theta + m2) - m3, W and x normalised.

    Past theta_c = (pi - m2) / m1, where m1 theta + m2 reaches pi and the formula would turn
    back up, t continues as cos(theta) - cos(theta_c) - 1 - m3: continuous, still decreasing
    and below cos (a choice of this library; ArcFace's own branch is not continuous).
    """

    m1: float = 1.0  # multiplicative angular margin, >= 1
    m2: float = 0.3  # additive angular margin, radians, in [0, pi)
    m3: float = 0.2  # additive cosine margin, >= 0
    s: float = 64.0  # scale, > 0

    name = "CombinedMargin"
    normalises_weight = True
    normalises_feature = True

    def __post_init__(self):
        object.__setattr__(self, "m1", _check_real("m1", self.m1, 1.0))
        object.__setattr__(self, "m2", _check_real("m2", self.m2, 0.0, math.pi, high_open=True))
        object.__setattr__(self, "m3", _check_real("m3", self.m3, 0.0))
        object.__setattr__(self, "s", _check_positive_scale(self.s))

    @property
    def turn(self) -> float:
        """theta_c = (pi - m2) / m1, where the formula's branch ends (may exceed pi)."""
        return (math.pi - self.m2) / self.m1

    @property
    def is_plain(self) -> bool:
        return self.m1 == 1.0 and self.m2 == 0.0 and self.m3 == 0.0

    def target_and_slope(self, cos_theta):
        offset = -math.cos(self.turn) - 1.0 - self.m3 if self.turn < math.pi else 0.0
        return _arc(cos_theta, self.m1, self.m2, self.m3, offset)

    def breakpoints(self) -> tuple[float, ...]:
        return (self.turn,) if self.turn < math.pi else ()

    def lipschitz(self) -> float:
        return max(self.m1, 1.0)


def _check_positive_scale(value) -> float:
    scale = _check_real("s", value, 0.0)
    if scale == 0.0:
        raise ValueError(f"s must be a finite number > 0, got {value!r}")
    return scale


MEMBERS = {member.name: member for member in (LSoftmax, SphereFace, CosFace, ArcFace, CombinedMargin)}


def as_margin(margin, name: str = "margin") -> Margin:
    """A member as given, or an integer m as LSoftmax(m); ValueError for anything else."""
    if isinstance(margin, Margin):
        return margin
    if isinstance(margin, (bool, np.bool_)) or not (
        isinstance(margin, numbers.Number) or hasattr(margin, "__index__") or hasattr(margin, "__float__")
    ):
        raise ValueError(f"{name} must be a margin member (e.g. LSoftmax(m=4)) or an integer m >= 1, got {margin!r}")
    try:
        return LSoftmax(m=margin)
    except ValueError as error:
        raise ValueError(f"{name} must be a margin member or an integer m >= 1, got {margin!r}") from error


def margin_from_params(name: str, params: dict) -> Margin:
    """Rebuild a member from its name and params() (a state_dict entry)."""
    if name not in MEMBERS:
        raise ValueError(f"margin name must be one of {sorted(MEMBERS)}, got {name!r}")
    return MEMBERS[name](**params)
