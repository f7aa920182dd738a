"""Margin cross-entropy of a stack of G heads, on numpy arrays or torch tensors: the forward,
and the gradient written out (reference section 1, with t for psi, then the projections of
the normalisations, as in lsoftmax.functional._MarginLogits).

One code for two kinds of arrays (the few steps spelled differently are the two op classes
below; torch is never imported here, a tensor is told by its type's module, as in
lsoftmax.margins):
- numpy, for small CPU problems: a numpy operation on a few thousand numbers costs about a
  microsecond and a torch one three to five, and this loss is some sixty operations. The
  lab's trainer runs its stacked models here too.
- torch, for larger CPU problems: the same steps as tensors, one autograd node in all, and
  the softmax over a (K, N) array, where F.cross_entropy's log_softmax over K = 10 classes
  per row costs more than the rest of the loss (bench/loss.py).

Why the (G, K, N) layout, classes before samples: an axis of 10 classes is then reduced as
10 vector operations over N samples, several times faster than N reductions of 10 numbers,
in numpy and in torch.

All heads of a stack share what their members normalise (use `groups` to split a mixed
stack); their t, slope and scale may differ. Every formula of t comes from the members.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from lsoftmax.margin import _is_torch, _namespace
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


@functools.lru_cache(maxsize=16)
def _arange(count: int) -> np.ndarray:
    """np.arange(count), read-only and kept: a batch's row numbers, the same every step."""
    numbers = np.arange(count)
    numbers.flags.writeable = False
    return numbers


class _NumpyOps:
    """The few steps that numpy and torch spell differently, numpy's way. One of the two op
    classes is picked per call (`_ops`): a check per step would cost the numpy path 7 us."""

    @staticmethod
    def row_dots(a, b):
        """(..., R) dot products of the rows of two (..., R, D) arrays, by a matmul with ones:
        numpy's reduction over a short last axis costs several times as much."""
        return (a * b) @ _ones(a.shape[-1], a.dtype)

    @staticmethod
    def row_norms(rows):
        """(..., R) Euclidean norms of the rows of (..., R, D) (row_dots written out: a call less)."""
        return np.sqrt((rows * rows) @ _ones(rows.shape[-1], rows.dtype))

    @staticmethod
    def inverse(norms, numerator=1.0):
        """numerator / norms, 0 where a norm is 0 (a zero row stays zero once normalised). One
        reduction first: a masked divide costs three times a plain one, and zero rows are rare."""
        if norms.size and np.minimum.reduce(norms, axis=None) > 0:
            return numerator / norms
        return np.divide(numerator, norms, out=np.zeros_like(norms), where=norms > 0)

    @staticmethod
    def arange(count: int, like):
        return _arange(count)

    @staticmethod
    def columns(values, target):
        """values[..., target]: (..., K) -> (..., N); take costs a third of the indexing."""
        return values.take(target, axis=-1)

    @staticmethod
    def add_scaled_rows(out, rows, scales) -> None:
        """out += rows * scales[..., None], in place: (..., N, D) += (..., N, D) * (..., N)."""
        out += rows * scales[..., None]

    @staticmethod
    def clip(values, low, high=None):
        values = np.maximum(values, low)
        return values if high is None else np.minimum(values, high)

    @staticmethod
    def floored_exp(shifted):
        """exp(max(shifted, floor)) in place (see _EXP_FLOOR)."""
        return np.exp(np.maximum(shifted, _EXP_FLOOR[shifted.dtype], out=shifted), out=shifted)

    @staticmethod
    def tiny(dtype) -> float:
        return _TINY[dtype]

    @staticmethod
    def column(values, like):
        """(G, 1) column of numbers in like's dtype."""
        return np.array(values, dtype=like.dtype).reshape(-1, 1)

    @staticmethod
    def full(value, row):
        """value (a number or an array) as an array of row's dtype and shape."""
        return np.broadcast_to(np.asarray(value, row.dtype), row.shape)

    @staticmethod
    def bincount(bins, values, length: int):
        """(length,) sums of values per bin, in values' dtype."""
        return np.bincount(bins, weights=values, minlength=length).astype(values.dtype)

    # (values, axis) -> reduced values; a ufunc's reduce is no descriptor: it stays unbound here
    sum, max, log, stack = np.add.reduce, np.maximum.reduce, np.log, np.stack
    put = np.ndarray.put  # (array, index, values): array.flat[index] = values, in place


class _TorchOps:
    """The same steps on torch tensors (torch itself is never imported here)."""

    @staticmethod
    def row_dots(a, b):
        return (a * b).sum(dim=-1)

    @staticmethod
    def row_norms(rows):
        return rows.norm(dim=-1)

    @staticmethod
    def inverse(norms, numerator=1.0):
        return (numerator / norms).nan_to_num_(nan=0.0, posinf=0.0)

    @staticmethod
    def arange(count: int, like):
        return _namespace(like).arange(count, device=like.device)

    @staticmethod
    def put(array, index, values) -> None:
        array.put_(index, values)

    @staticmethod
    def columns(values, target):
        return values.index_select(-1, target)

    @staticmethod
    def add_scaled_rows(out, rows, scales) -> None:
        # no (N, D) temporary: a fresh one of a few MB costs its page faults, more than the arithmetic
        out.addcmul_(rows, scales[..., None])

    @staticmethod
    def clip(values, low, high=None):
        return values.clamp(low, high)

    @staticmethod
    def sum(values, axis: int):
        return values.sum(dim=axis)

    @staticmethod
    def max(values, axis: int):
        return values.amax(dim=axis)

    @staticmethod
    def floored_exp(shifted):
        return shifted.clamp_min_(_EXP_FLOOR[_numpy_dtype(shifted.dtype)]).exp_()

    @staticmethod
    def tiny(dtype) -> float:
        return _TINY[_numpy_dtype(dtype)]

    @staticmethod
    def column(values, like):
        return like.new_tensor(values).reshape(-1, 1)

    @staticmethod
    def full(value, row):
        return (value if _is_torch(value) else row.new_tensor(value)).expand(row.shape)

    @staticmethod
    def bincount(bins, values, length: int):
        return values.new_zeros(length).index_add_(0, bins, values)

    @staticmethod
    def log(values):
        return values.log()

    @staticmethod
    def stack(arrays):
        return _namespace(arrays[0]).stack(arrays)


def _numpy_dtype(torch_dtype) -> np.dtype:
    """numpy's dtype of the same name (torch.float32 -> float32): the tables above are numpy's."""
    return np.dtype(str(torch_dtype).removeprefix("torch."))


def _ops(array):
    return _TorchOps if _is_torch(array) else _NumpyOps


def _target_index(ops, target, heads: int | None, count: int):
    """Flat indices into a (G, K, N) array (or (K, N) when heads is None) of each row's target
    class: take and put with them cost a third of logits[..., target, arange(N)] in numpy."""
    rows = target.shape[0]
    index = target * rows + ops.arange(rows, target)
    return index if heads is None else index + (ops.arange(heads, target) * (count * rows))[:, None]


def _per_stack(ops, values, like):
    """One value per head: a float when all agree, else a (G, 1) column of like's dtype (a float64
    column would lift a float32 head's cos(theta) to float64 while its dot stays float32: the
    two terms of ArcFace's gradient that cancel near theta = 0 would then no longer cancel)."""
    if all(value == values[0] for value in values):
        return values[0]
    return ops.column(values, like)


def _targets_and_slopes(ops, cos_theta, margins: tuple[Margin, ...]):
    """t(c) and dt/dc of each head's member on its row of cos_theta (G, N), or (N,) for one head."""
    if len(margins) == 1 or all(margin == margins[0] for margin in margins):
        return margins[0].target_and_slope(cos_theta)
    pairs = [margin.target_and_slope(cos_theta[g]) for g, margin in enumerate(margins)]
    # a constant slope (CosFace's 1.0) in cos_theta's dtype: float64 would lift the whole stack's
    # arithmetic, and a head's result would then depend on the heads beside it
    slopes = [ops.full(pair[1], cos_theta[0]) for pair in pairs]
    return ops.stack([pair[0] for pair in pairs]), ops.stack(slopes)


def _per_class_sums(ops, target, values, count: int):
    """(..., K) sums of values (..., N) per class of target (N,), all heads in one bincount."""
    if values.ndim == 1:
        return ops.bincount(target, values, count)
    heads = values.shape[0]
    bins = (ops.arange(heads, target)[:, None] * count + target).reshape(-1)
    return ops.bincount(bins, values.reshape(-1), heads * count).reshape(heads, count)


@dataclass
class HeadState:
    """What the backward needs from the forward. Shapes for a stack of G heads with N rows and
    K classes; one head (2-D x and weight) drops the leading G."""

    # numpy arrays or torch tensors, all of one kind
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
    first, ops = margins[0], _ops(x)
    x_norm, w_norms = ops.row_norms(x), ops.row_norms(weight)  # (G, N), (G, K)
    b, b_norms, w_factor = weight, w_norms, None
    if first.normalises_weight:
        w_factor = ops.inverse(w_norms)
        b, b_norms = weight * w_factor[..., None], w_norms * w_factor
    logits = b @ x.swapaxes(-1, -2)  # (G, K, N)
    a_norm, x_factor, scale = x_norm, None, None
    if first.normalises_feature:
        scale = first.scale if len(margins) == 1 else _per_stack(ops, [margin.scale for margin in margins], x)
        x_factor = ops.inverse(x_norm, scale)  # s / abs(x)
        logits *= x_factor[..., None, :]
        a_norm = x_norm * x_factor
    index = _target_index(ops, target, x.shape[0] if x.ndim == 3 else None, weight.shape[-2])
    dot = logits.take(index)  # (G, N)
    product = a_norm * ops.columns(b_norms, target)  # S = abs(a) abs(b_y)
    # the floor keeps 0 / 0 away for a zero x (and, below any S that is a normal number, changes nothing)
    cos_theta = ops.clip(dot / ops.clip(product, ops.tiny(x.dtype)), -1.0, 1.0)
    t, slope = _targets_and_slopes(ops, cos_theta, margins)
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
    ops.put(logits, index, target_logit)
    top = ops.max(logits, -2)  # (G, N)
    shifted = logits - top[..., None, :]
    exp = ops.floored_exp(shifted)
    total = ops.sum(exp, -2)
    losses = ops.log(total) + top - target_logit
    state = HeadState(
        x, b, target, index, exp, total, logits, dot - target_logit, along_dot, along_scale,
        a_norm, b_norms, x_norm, w_norms, x_factor, w_factor, scale,
    )  # fmt: skip
    return losses, state


def backward(state: HeadState, row_weights):
    """Gradients (G, N, D) for x and (G, K, D) for weight of sum(row_weights * losses).

    row_weights: (G, N), (N,) or a float (e.g. 1 / N for the mean).
    """
    s, ops = state, _ops(state.x)
    target, index = s.target, s.index
    grad = s.exp * (row_weights / s.total)[..., None, :]  # (G, K, N): d loss / d logits, softmax part
    grad_target = grad.take(index) - row_weights  # (G, N): minus the one-hot part
    grad_at_target = grad_target * s.along_dot  # through a . b_y
    ops.put(grad, index, grad_at_target)
    along_b = None  # (G, K) grad_b . b per class, for the projection of a normalised W
    if s.x_factor is not None:
        # a = f x, f = s / abs(x): grad_x = f (grad_a - (grad_a . a) a / s^2) with grad_a = G b, and
        # grad_a . a = sum_k G_k (a . b_k), the plain logits: the margin ones with the target's put back.
        product = grad * s.logits
        along = ops.sum(product, -2) + grad_at_target * s.moved
        if s.w_factor is not None and s.x.shape[-2] < s.x.shape[-1]:
            # grad_b . b_k = sum_n G_kn (a_n . b_k): the same products summed the other way, over
            # N rows instead of D features (N < D: a face-recognition head, 128 rows of 512 features)
            moved = _per_class_sums(ops, target, grad_at_target * s.moved, s.b.shape[-2])
            along_b = ops.sum(product, -1) + moved
        grad *= s.x_factor[..., None, :]
        shrink = s.x_factor * s.x_factor * along / (s.scale * s.scale)
        grad_x = grad.swapaxes(-1, -2) @ s.b
        ops.add_scaled_rows(grad_x, s.x, -shrink)
    else:
        # through S = abs(x) abs(b_y): the radial part of the target's gradient
        radial = grad_target * s.along_scale
        radial *= ops.columns(s.b_norms, target) * ops.inverse(s.x_norm)
        grad_x = grad.swapaxes(-1, -2) @ s.b
        ops.add_scaled_rows(grad_x, s.x, radial)
    grad_w = grad @ s.x  # (G, K, D)
    if s.w_factor is not None:  # the radial part dS/db_y is projected away: not added
        # in place: with K D in millions (a face-recognition head), each fresh (K, D) temporary
        # costs more in page faults than its arithmetic
        if along_b is None:
            along_b = ops.row_dots(grad_w, s.b)
        ops.add_scaled_rows(grad_w, s.b, -along_b)
        grad_w *= s.w_factor[..., None]
    else:
        per_class = _per_class_sums(ops, target, grad_target * s.along_scale * s.a_norm, s.b.shape[-2])  # (G, K)
        grad_w += s.b * (per_class * ops.inverse(s.b_norms))[..., None]
    return grad_x, grad_w
