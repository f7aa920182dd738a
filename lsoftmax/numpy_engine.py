"""Margin cross-entropy of a stack of G heads on numpy arrays: the forward, and the
gradient written out (reference section 1, with t for psi, then the projections of the
normalisations, as in lsoftmax.functional._MarginLogits).

Why numpy: on a few thousand numbers a numpy operation costs about a microsecond and a torch
one three to five, and this loss is some sixty operations. lsoftmax.margin_cross_entropy runs
here for small CPU problems (G = 1), and the lab's trainer for its stacked models. Why the
(G, K, N) layout, classes before samples: numpy reduces an axis of 10 classes as 10 vector
operations over N samples, several times faster than N reductions of 10 numbers.

All heads of a stack share what their members normalise (use `groups` to split a mixed
stack); their t, slope and scale may differ. Every formula of t comes from the members.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from lsoftmax.margins import Margin


def groups(margins) -> list[list[int]]:
    """Indices of margins, grouped by what the members normalise (first appearance order)."""
    found: dict[tuple[bool, bool], list[int]] = {}
    for index, margin in enumerate(margins):
        found.setdefault((margin.normalises_feature, margin.normalises_weight), []).append(index)
    return list(found.values())


_TINY = {np.dtype(t): np.finfo(t).tiny for t in (np.float32, np.float64)}  # np.finfo costs microseconds a call

# The softmax's exponents are floored here: exp(logit - top) below e^-64 (1.6e-28) in float32, e^-600
# (2.6e-261) in float64, counts as that. Without the floor, CosFace's and ArcFace's s = 64 put
# logits 128 apart and a tenth of a float32 exp's results subnormal; each operation on those
# costs the CPU a slow microcode path (exp 9x, a multiply 8x the time at (256, 2, 10)). Both
# floors are far below each type's rounding (a sum of K such terms beside the top's 1), and high
# enough that the gradient's products with 1 / N and 1 / abs(x) stay normal numbers.
_EXP_FLOOR = {np.dtype(np.float32): -64.0, np.dtype(np.float64): -600.0}


@functools.lru_cache(maxsize=64)
def _ones(length: int, dtype) -> np.ndarray:
    ones = np.ones(length, dtype=dtype)
    ones.flags.writeable = False
    return ones


def _row_norms(rows):
    """(..., R) Euclidean norms of the rows of (..., R, D); a matmul: numpy's reduction over a
    short last axis costs several times as much."""
    return np.sqrt((rows * rows) @ _ones(rows.shape[-1], rows.dtype))


def _target_index(target, heads: int | None, count: int):
    """Flat indices into a (G, K, N) array (or (K, N) when heads is None) of each row's target
    class: ndarray.take and .put with them cost a third of logits[..., target, arange(N)]."""
    rows = target.shape[0]
    index = target * rows + np.arange(rows)
    return index if heads is None else index + (np.arange(heads) * (count * rows))[:, None]


def _inverse(norms):
    """1 / norms, 0 where a norm is 0 (a zero row stays zero once normalised). One reduction
    first: a masked divide costs three times a plain one, and zero rows are rare."""
    if norms.size and norms.min() > 0:
        return 1.0 / norms
    return np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)


def _per_stack(values, dtype):
    """One value per head: a float when all agree, else a (G, 1) column of dtype (a float64
    column would lift a float32 head's cos(theta) to float64 while its dot stays float32: the
    two terms of ArcFace's gradient that cancel near theta = 0 would then no longer cancel)."""
    if all(value == values[0] for value in values):
        return values[0]
    return np.array(values, dtype=dtype).reshape(-1, 1)


def _targets_and_slopes(cos_theta, margins: tuple[Margin, ...]):
    """t(c) and dt/dc of each head's member on its row of cos_theta (G, N), or (N,) for one head."""
    if len(margins) == 1 or all(margin == margins[0] for margin in margins):
        return margins[0].target_and_slope(cos_theta)
    pairs = [margin.target_and_slope(cos_theta[g]) for g, margin in enumerate(margins)]
    target = np.stack([pair[0] for pair in pairs])
    # a constant slope (CosFace's 1.0) in cos_theta's dtype: float64 would lift the whole stack's
    # arithmetic, and a head's result would then depend on the heads beside it
    slopes = [np.broadcast_to(np.asarray(pair[1], cos_theta.dtype), cos_theta.shape[1:]) for pair in pairs]
    return target, np.stack(slopes)


def _per_class_sums(target, values, count: int):
    """(..., K) sums of values (..., N) per class of target (N,): one bincount for all heads."""
    if values.ndim == 1:
        return np.bincount(target, weights=values, minlength=count).astype(values.dtype)
    heads = values.shape[0]
    bins = (np.arange(heads)[:, None] * count + target).ravel()
    return np.bincount(bins, weights=values.ravel(), minlength=heads * count).reshape(heads, count).astype(values.dtype)


@dataclass
class HeadState:
    """What the backward needs from the forward. Shapes for a stack of G heads with N rows and
    K classes; one head (2-D x and weight) drops the leading G."""

    x: np.ndarray  # (G, N, D)
    b: np.ndarray  # (G, K, D) class vectors as the member uses them (normalised or not)
    target: np.ndarray  # (N,)
    index: np.ndarray  # (G, N) flat indices of the target entries of a (G, K, N) array (_target_index)
    exp: np.ndarray  # (G, K, N) exp(logits - top)
    total: np.ndarray  # (G, N) sum over classes of exp
    logits: np.ndarray  # (G, K, N) the margin logits
    moved: np.ndarray  # (G, N) plain minus margin target logit
    along_dot: np.ndarray  # (G, N) d f / d (a . b_y)
    along_scale: np.ndarray | None  # (G, N) d f / d (abs(a) abs(b_y)); None where S is constant
    a_norm: np.ndarray  # (G, N)
    b_norms: np.ndarray  # (G, K)
    x_norm: np.ndarray  # (G, N)
    w_norms: np.ndarray  # (G, K)
    x_factor: np.ndarray | None  # (G, N) s / abs(x), members that normalise x
    w_factor: np.ndarray | None  # (G, K) 1 / abs(W_j), members that normalise W
    scale: object  # s: float or (G, 1)


def forward(x, weight, target, margins: tuple[Margin, ...], lam: float = 0.0):
    """Per-row cross-entropy (G, N) of the margin logits, and the state for backward.

    x (G, N, D) or (N, D), weight (G, K, D) or (K, D) (rows are class vectors), target (N,)
    integers in [0, K) shared by the heads, margins one member per head (all normalising
    alike), lam >= 0.
    """
    first = margins[0]
    x_norm, w_norms = _row_norms(x), _row_norms(weight)  # (G, N), (G, K)
    b, b_norms, w_factor = weight, w_norms, None
    if first.normalises_weight:
        w_factor = _inverse(w_norms)
        b, b_norms = weight * w_factor[..., None], w_norms * w_factor
    logits = b @ x.swapaxes(-1, -2)  # (G, K, N)
    a_norm, x_factor, scale = x_norm, None, None
    if first.normalises_feature:
        scale = first.scale if len(margins) == 1 else _per_stack([margin.scale for margin in margins], x.dtype)
        x_factor = _inverse(x_norm) * scale
        logits *= x_factor[..., None, :]
        a_norm = x_norm * x_factor
    index = _target_index(target, x.shape[0] if x.ndim == 3 else None, weight.shape[-2])
    dot = logits.take(index)  # (G, N)
    product = a_norm * b_norms.take(target, axis=-1)  # S = abs(a) abs(b_y); take: a third of [..., target]
    # the floor keeps 0 / 0 away for a zero x (and, below any S that is a normal number, changes nothing)
    cos_theta = np.minimum(np.maximum(dot / np.maximum(product, _TINY[x.dtype]), -1.0), 1.0)
    t, slope = _targets_and_slopes(cos_theta, margins)
    # d f / d S: the backward needs it only where S = abs(a) abs(b_y) is not a constant
    along_scale = None if first.normalises_feature and first.normalises_weight else t - cos_theta * slope
    target_logit = product * t
    if lam:
        along_dot = (slope + lam) * (1.0 / (1.0 + lam))
        if along_scale is not None:
            along_scale = along_scale * (1.0 / (1.0 + lam))
        target_logit = (target_logit + lam * dot) * (1.0 / (1.0 + lam))
    else:
        along_dot = slope
    logits.put(index, target_logit)
    top = np.maximum.reduce(logits, axis=-2)  # (G, N)
    shifted = logits - top[..., None, :]
    exp = np.exp(np.maximum(shifted, _EXP_FLOOR[shifted.dtype], out=shifted), out=shifted)
    total = np.add.reduce(exp, axis=-2)
    losses = np.log(total) + top - target_logit
    state = HeadState(
        x, b, target, index, exp, total, logits, dot - target_logit, along_dot, along_scale,
        a_norm, b_norms, x_norm, w_norms, x_factor, w_factor, scale,
    )  # fmt: skip
    return losses, state


def backward(state: HeadState, row_weights):
    """Gradients (G, N, D) for x and (G, K, D) for weight of sum(row_weights * losses).

    row_weights: (G, N), (N,) or a float (e.g. 1 / N for the mean).
    """
    s = state
    target, index = s.target, s.index
    grad = s.exp * (row_weights / s.total)[..., None, :]  # (G, K, N): d loss / d logits, softmax part
    grad_target = grad.take(index) - row_weights  # (G, N): minus the one-hot part
    grad_at_target = grad_target * s.along_dot  # through a . b_y
    grad.put(index, grad_at_target)
    if s.x_factor is not None:
        # a = f x, f = s / abs(x): grad_x = f (grad_a - (grad_a . a) a / s^2) with grad_a = G b, and
        # grad_a . a = sum_k G_k (a . b_k), the plain logits: the margin ones with the target's put back.
        along = np.add.reduce(grad * s.logits, axis=-2) + grad_at_target * s.moved
        grad *= s.x_factor[..., None, :]
        shrink = s.x_factor * s.x_factor * along / (s.scale * s.scale)
        grad_x = grad.swapaxes(-1, -2) @ s.b - s.x * shrink[..., None]
    else:
        # through S = abs(x) abs(b_y): the radial part of the target's gradient
        radial = grad_target * s.along_scale
        radial *= s.b_norms.take(target, axis=-1) * _inverse(s.x_norm)
        grad_x = grad.swapaxes(-1, -2) @ s.b + s.x * radial[..., None]
    grad_w = grad @ s.x  # (G, K, D)
    if s.w_factor is not None:  # the radial part dS/db_y is projected away: not added
        along = (grad_w * s.b) @ _ones(s.b.shape[-1], s.b.dtype)  # row dot products (see _row_norms)
        grad_w = (grad_w - s.b * along[..., None]) * s.w_factor[..., None]
    else:
        per_class = _per_class_sums(target, grad_target * s.along_scale * s.a_norm, s.b.shape[-2])  # (G, K)
        grad_w += s.b * (per_class * _inverse(s.b_norms))[..., None]
    return grad_x, grad_w
