"""The margin logits of every member of lsoftmax.margins as one differentiable torch function.

Only the target logit changes: with a = x (or s x / abs(x)) and b_j = W_j (or W_j / abs(W_j)),
as the member normalises, the logits are a @ b.T except the target entry
f_y = abs(a) abs(b_y) (lam c + t(c)) / (1 + lam), c = cos(theta_y) (eq 4 and section 5.1 of
the L-Softmax paper for t = psi). The member supplies t(c) and dt/dc; acos is never
differentiated.

_MarginLogits writes the gradient out in one autograd.Function (reference section 1, with t
for psi, then the projections of the normalisations): one small backward instead of some
thirty autograd nodes, and no pass over x or weight beyond their norms (bench/loss.py
measures the cost).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from lsoftmax import engine
from lsoftmax.margin import as_integer, check_margin
from lsoftmax.margins import LSoftmax, Margin, as_margin

IGNORE_INDEX = -100  # as torch.nn.functional.cross_entropy
REDUCTIONS = ("mean", "sum", "none")  # as torch.nn.functional.cross_entropy
ENGINE_DTYPES = (torch.float32, torch.float64)
# Largest N * D and N * K that lsoftmax.engine takes as numpy arrays; larger CPU problems run it on
# tensors (whose elementwise steps can also use torch's threads). bench/engine_kinds.py, CosFace and
# L-Softmax, one thread, two runs, engine time / CE on numpy vs tensors: 0.26-0.36 vs 0.44-0.53 at
# (16384, 2, 10), 0.33-0.43 vs 0.36-0.50 at (65536, 2, 10), 1.42-1.52 vs 1.54-1.77 at (1024, 128, 10),
# 1.30-1.45 vs 1.10-1.17 at (4096, 128, 10); where the limits pick the slower kind, it is within 12 %.
NUMPY_MAX_ROWS_BY_FEATURES = 2**17
NUMPY_MAX_ROWS_BY_CLASSES = 2**20
_PLAIN_TENSORS = (torch.Tensor, torch.nn.Parameter)  # not a subclass that overrides operations
_UNSIGNED = {np.dtype(np.int64): np.dtype(np.uint64), np.dtype(np.int32): np.dtype(np.uint32)}
_NUMPY_FLOATS = {torch.float32: np.float32, torch.float64: np.float64}  # ENGINE_DTYPES in numpy


def _check_inputs(x, weight, target, lam) -> float:
    for name, value in (("x", x), ("weight", weight), ("target", target)):
        if not isinstance(value, torch.Tensor):
            raise ValueError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if x.dim() != 2:
        raise ValueError(f"x must have shape (N, D), got shape {tuple(x.shape)}")
    if weight.dim() != 2 or weight.shape[1] != x.shape[1] or weight.shape[0] < 1:
        raise ValueError(
            f"weight must have shape (K, D) with D = {x.shape[1]} to match x, got shape {tuple(weight.shape)}"
        )
    if target.dim() != 1 or target.shape[0] != x.shape[0]:
        raise ValueError(f"target must have shape (N,) with N = {x.shape[0]}, got shape {tuple(target.shape)}")
    if target.dtype not in (torch.int64, torch.int32):
        raise ValueError(f"target must be an integer tensor (int64 or int32), got dtype {target.dtype}")
    if not x.is_floating_point() or weight.dtype != x.dtype:
        raise ValueError(f"x and weight must share a floating dtype, got {x.dtype} and {weight.dtype}")
    if not x.device == weight.device == target.device:
        devices = f"{x.device}, {weight.device}, {target.device}"
        raise ValueError(f"x, weight and target must be on one device, got {devices}")
    return check_lambda(lam)


def check_ignore_index(value) -> int:
    """ignore_index as a Python int (numpy and torch integer scalars accepted), else ValueError:
    F.cross_entropy takes only an int, and a 0-dim tensor here once counted rows wrongly."""
    return as_integer(value, "ignore_index", None)


def check_lambda(lam) -> float:
    """lam as a float >= 0 (numpy and torch scalars accepted), else ValueError."""
    if isinstance(lam, (bool, str)):
        raise ValueError(f"lam must be a finite number >= 0, got {lam!r}")
    try:
        value = float(lam)
    except (TypeError, ValueError, RuntimeError):
        raise ValueError(f"lam must be a finite number >= 0, got {lam!r}") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"lam must be a finite number >= 0, got {lam!r}")
    return value


def _check_values(x, weight, target, x_norm, w_norms, ignore_index: int) -> bool:
    """Cheap value checks (one read from the device); the details only when something is wrong.
    Returns whether some target equals ignore_index.

    A NaN or infinity anywhere in x or weight makes the sum of the norms non-finite. So
    can finite values whose squares overflow: that false alarm only costs the exact check.
    """
    num_classes = weight.shape[0]
    total = x_norm.sum() + w_norms.sum()
    if not target.numel():
        total, low, high = float(total), 0, 0
    elif x.is_cuda:  # one device-to-host copy (a synchronisation) instead of three
        total, low, high = torch.stack([total.double(), *torch.aminmax(target.double())]).tolist()
    else:  # on the CPU three scalar reads cost less than stacking
        total, (low, high) = float(total), (int(value) for value in torch.aminmax(target))
    if math.isfinite(total) and low >= 0 and high < num_classes:
        return False
    if not bool(torch.isfinite(x).all()):
        raise ValueError("x must be finite, got NaN or infinite entries")
    if not bool(torch.isfinite(weight).all()):
        raise ValueError("weight must be finite, got NaN or infinite entries")
    bad_labels = target[((target < 0) | (target >= num_classes)) & (target != ignore_index)]
    if bad_labels.numel():
        raise ValueError(
            f"target must lie in [0, {num_classes - 1}] or equal ignore_index = {ignore_index}, "
            f"got {bad_labels[:5].tolist()}"
        )
    return bool((target == ignore_index).any())


def _target_terms(dot, a_norm, b_norm, margin: Margin, lam):
    """Per row, from dot = a.b_y and the norms: the target logit f_y and the coefficients its
    gradient needs.

    With S = abs(a) abs(b_y) and c = dot / S: d f_y / d dot = (lam + t'(c)) / (1 + lam) and
    d f_y / d S = (t - c t'(c)) / (1 + lam). Returns f_y, d f_y / d dot, abs(b_y) d f_y / d S and
    abs(a) d f_y / d S.
    """
    scale = a_norm * b_norm  # S
    # Rounding can put abs(c) a hair above 1 for parallel vectors; the floor keeps 0 / 0
    # away for a zero x (and, below any S that is a normal number, changes nothing).
    cos_theta = (dot / scale.clamp_min(torch.finfo(dot.dtype).tiny)).clamp_(-1.0, 1.0)
    target, slope = margin.target_and_slope(cos_theta)
    if not isinstance(slope, torch.Tensor):
        slope = torch.full_like(cos_theta, slope)
    along_dot, along_scale, target_logit = slope, target - cos_theta * slope, scale * target
    if isinstance(lam, torch.Tensor) or lam:
        along_dot = (slope + lam) / (1.0 + lam)
        along_scale = along_scale / (1.0 + lam)
        target_logit = (target_logit + lam * dot) / (1.0 + lam)
    return target_logit, along_dot, along_scale * b_norm, along_scale * a_norm


def _per_unit_norm(coefficient, norms):
    """coefficient / norms, so that (coefficient / norm) * row = coefficient * unit row.

    A zero row gives x / 0 (inf or nan) and a near-zero one may overflow: both become
    finite, and times their (near-)zero row they give a finite gradient.
    """
    return (coefficient / norms).nan_to_num_(nan=0.0)


def _inverse(norms, numerator: float = 1.0):
    """numerator / norms with 0 for zero rows (a zero row stays zero once normalised)."""
    return (numerator / norms).nan_to_num_(nan=0.0, posinf=0.0)


def _mm(left, right, dtype):
    """left @ right in left's dtype, returned in dtype: under autocast the (N, K) side is float16 or
    bfloat16 and the products run in it, as F.linear's would; otherwise every cast is a no-op."""
    return torch.mm(left, right.to(left.dtype)).to(dtype)


def _project(grad, unit_rows, factor, along=None):
    """factor * (grad - (grad . u) u) row by row: the backward of normalising a row to u / factor.
    along, when given, is grad . u per row, worked out another way."""
    if along is None:
        along = (grad * unit_rows).sum(dim=1, keepdim=True)
    return grad.addcmul_(unit_rows, along, value=-1.0).mul_(factor)


class _MarginLogits(torch.autograd.Function):
    """a @ b.T with target entries f_y (see _target_terms); gradient written out.

    a = s x / abs(x) is never formed: its logits are (x @ b.T) scaled per row, and its
    backward needs only grad . (a @ b.T) per row (an (N, K) product) besides the two matmuls.

    Under autocast (torch.autocast, float16 or bfloat16) the three matrix products and the (N, K)
    logits are in autocast's dtype, as a plain layer's would be, and the rest in x's: the target's
    cosine is recomputed from x and b_y in x's dtype, since t (ArcFace's cos(theta + m) above
    all) magnifies the rounding of a float16 cosine near theta = 0 many times.
    """

    @staticmethod
    def forward(ctx, x, weight, target, margin, lam, x_norm, w_norms, keep):
        b, b_norms, w_factor = weight, w_norms, None
        if margin.normalises_weight:
            w_factor = _inverse(w_norms)  # (K, 1)
            b, b_norms = weight * w_factor, w_norms * w_factor
        column = target.unsqueeze(1)  # (N, 1)
        logits = x @ b.T  # (N, K), in autocast's dtype when it is on
        a_norm, x_factor = x_norm, None
        if margin.normalises_feature:
            x_factor = _inverse(x_norm, margin.scale)  # (N, 1): s / abs(x), 0 for a zero x
            logits, a_norm = logits.mul_(x_factor), x_norm * x_factor
        if logits.dtype == x.dtype:
            dot = logits.gather(1, column)  # (N, 1)
        else:  # autocast: the target entries again, in x's dtype (autocast would round linalg.vecdot too)
            dot = (x * b[target]).sum(dim=1, keepdim=True)
            if x_factor is not None:
                dot = dot * x_factor
        target_logit, along_dot, along_a, along_b = _target_terms(dot, a_norm, b_norms[target], margin, lam)
        if keep is not None:  # rows whose target is ignore_index keep their plain logits and gradient
            target_logit = torch.where(keep, target_logit, dot)
            along_dot = torch.where(keep, along_dot, 1.0)
            along_a, along_b = along_a * keep, along_b * keep
        logits.scatter_(1, column, target_logit.to(logits.dtype))
        ctx.margin = margin
        # With fewer rows than features, W's normalisation needs only (N, K) products (see backward).
        ctx.rows_project = margin.normalises_weight and x.shape[0] < x.shape[1]
        saved = (x, b, target, a_norm, b_norms, along_dot, along_a, along_b, x_factor, w_factor)
        if margin.normalises_feature or ctx.rows_project:
            saved += (logits, dot - target_logit)  # the output, and how far its target entry moved from plain
        ctx.save_for_backward(*saved)
        return logits

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_logits):
        x, b, target, a_norm, b_norms, along_dot, along_a, along_b, x_factor, w_factor, *more = ctx.saved_tensors
        margin = ctx.margin
        column = target.unsqueeze(1)  # (N, 1)
        grad_target = grad_logits.gather(1, column).to(x.dtype)  # (N, 1)
        # Through dot: the plain backward with the target column rescaled.
        grad_plain = grad_logits.scatter(1, column, (grad_target * along_dot).to(grad_logits.dtype))  # (N, K)
        grad_x = grad_weight = along_rows = None
        if more:  # G * the plain logits a . b_k: the output with its target entry put back
            output, moved = more
            weighted = grad_plain * output  # (N, K)
            moved_target = grad_plain.gather(1, column) * moved  # (N, 1)
            if ctx.rows_project and ctx.needs_input_grad[1]:
                # grad_W_k . b_k = sum_n G_nk (a_n . b_k), an (N, K) sum, not a fresh (K, D) product
                along_rows = weighted.sum(dim=0, dtype=x.dtype).unsqueeze(1)  # (K, 1)
                along_rows.index_add_(0, target, moved_target.to(x.dtype))
        if margin.normalises_feature:
            # a = f x, f = s / abs(x): grad_x = f (grad_a - (grad_a . a) a / s^2) with grad_a = G @ b, and
            # grad_a . a = sum_k G_k (a . b_k), the plain logits.
            along = weighted.sum(dim=1, keepdim=True, dtype=x.dtype).add_(moved_target)
            grad_plain = grad_plain.mul_(x_factor)  # G f: the gradient for x @ b.T
            if ctx.needs_input_grad[0]:
                shrink = x_factor * x_factor * along / (margin.scale * margin.scale)
                grad_x = _mm(grad_plain, b, x.dtype).addcmul_(x, shrink, value=-1.0)
        elif ctx.needs_input_grad[0]:
            # Through S: dS/dx = abs(b_y) x / abs(x), the radial part of the target's gradient.
            grad_x = _mm(grad_plain, b, x.dtype).addcmul_(x, _per_unit_norm(grad_target * along_a, a_norm))
        if ctx.needs_input_grad[1]:
            grad_weight = _mm(grad_plain.T, x, x.dtype)
            if margin.normalises_weight:  # the radial part dS/db_y is projected away: not added
                grad_weight = _project(grad_weight, b, w_factor, along_rows)
            else:
                per_class = torch.zeros_like(b_norms).index_add_(0, target, grad_target * along_b)  # (K, 1)
                grad_weight.addcmul_(b, _per_unit_norm(per_class, b_norms))
        return grad_x, grad_weight, None, None, None, None, None, None


def plain_logits(x, weight, margin=1):
    """(N, K) the member's test-time logits scale_j cos(theta_j): x @ weight.T for L-Softmax,
    x @ (W_j / abs(W_j)).T for SphereFace, s cos(theta_j) for the normalised members."""
    margin = as_margin(margin)
    if margin.normalises_weight:
        weight = torch.nn.functional.normalize(weight, dim=1)
    if margin.normalises_feature:
        x = torch.nn.functional.normalize(x, dim=1) * margin.scale
    return x @ weight.T


def margin_logits(x, weight, target, margin, lam=0.0, ignore_index: int = IGNORE_INDEX):
    """(N, K) logits of a margin member (lsoftmax.margins), scale included.

    x (N, D), weight (K, D) with class vectors as rows, target (N,) int64, margin a member or
    an integer m (LSoftmax(m)), lam >= 0 the blend weight. Non-target entries are
    scale_j cos(theta_j); target entries (lam scale_y cos(theta_y) + scale_y t(theta_y)) / (1 + lam).
    Rows whose target equals ignore_index keep plain logits (pass the same ignore_index to
    F.cross_entropy, whose default it is).
    """
    margin, ignore_index = as_margin(margin), check_ignore_index(ignore_index)
    return _margin_logits(x, weight, target, margin, _check_inputs(x, weight, target, lam), ignore_index)


def _margin_logits(x, weight, target, margin: Margin, lam, ignore_index: int, check_values: bool = True):
    """margin_logits after the argument checks; lam may be a 0-dim tensor (MarginLinear's).
    check_values=False skips the value checks (the trainer's evaluation, which must see NaN
    to report a divergence, and has no ignored targets)."""
    with torch.no_grad():
        x_norm = torch.linalg.vector_norm(x, dim=1, keepdim=True)  # (N, 1)
        w_norms = torch.linalg.vector_norm(weight, dim=1, keepdim=True)  # (K, 1)
    # A compiled graph has no data-dependent branch: it skips the value checks and always masks.
    if not check_values:
        ignored = False
    else:
        compiling = torch.compiler.is_compiling()
        ignored = compiling or _check_values(x, weight, target, x_norm, w_norms, ignore_index)
    keep = None
    if ignored:
        keep = (target != ignore_index).unsqueeze(1)  # (N, 1)
        target = torch.where(keep.squeeze(1), target, 0)
    if margin.is_plain and isinstance(margin, LSoftmax) and not margin.normalises_weight:
        return x @ weight.T
    return _MarginLogits.apply(x, weight, target.long(), margin, lam, x_norm, w_norms, keep)


def lsoftmax_logits(x, weight, target, m, lam=0.0):
    """(N, K) logits x @ weight.T with each target entry replaced by its margin logit.

    x (N, D), weight (K, D) with class vectors as rows, target (N,) int64, m an integer
    >= 1, lam >= 0 the blend weight: f_y = (lam |W||x| cos + |W||x| psi) / (1 + lam).
    The L-Softmax member of margin_logits.
    """
    return margin_logits(x, weight, target, LSoftmax(m=check_margin(m)), lam)


def margin_cross_entropy(x, weight, target, margin, lam=0.0, ignore_index: int = IGNORE_INDEX, reduction: str = "mean"):
    """F.cross_entropy(margin_logits(x, weight, target, margin, lam, ignore_index), target,
    ignore_index=ignore_index, reduction=reduction) in one step: the same loss and gradients,
    at a fraction of the fixed cost.

    On the CPU (float32 or float64, outside torch.compile) the loss and its gradient run in
    lsoftmax.engine as one autograd node: on numpy arrays for small problems (numpy's
    operations on a few thousand numbers cost a fraction of torch's), on tensors for larger
    ones. Elsewhere (CUDA, other dtypes, torch.compile) it is exactly the composition above.
    Neither supports torch.func transforms (grad, vmap, jacrev) or batched gradients.
    reduction: "mean" (over the rows whose target is not ignore_index), "sum" or "none" (one
    loss per row, 0 where ignored).
    """
    margin, ignore_index = as_margin(margin), check_ignore_index(ignore_index)
    lam = _check_inputs(x, weight, target, lam)
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {', '.join(REDUCTIONS)}, got {reduction!r}")
    return _margin_cross_entropy(x, weight, target, margin, lam, ignore_index, reduction)


def _engine_kind(x, weight) -> str | None:
    """What lsoftmax.engine runs on for x and weight: "numpy" (small problems), "torch", or None
    (the composition): plain CPU tensors of float32 or float64, not traced (torch.compile) or
    transformed (torch.func)."""
    if torch.compiler.is_compiling() or torch._C._are_functorch_transforms_active():
        return None
    if not (
        type(x) in _PLAIN_TENSORS
        and type(weight) in _PLAIN_TENSORS
        and x.device.type == "cpu"
        and x.dtype in ENGINE_DTYPES
    ):
        return None
    rows, features = x.shape
    small = rows * features <= NUMPY_MAX_ROWS_BY_FEATURES and rows * weight.shape[0] <= NUMPY_MAX_ROWS_BY_CLASSES
    return "numpy" if small else "torch"


def _margin_cross_entropy(x, weight, target, margin: Margin, lam, ignore_index: int, reduction: str):
    """margin_cross_entropy after the argument checks; lam may be a 0-dim tensor (MarginLinear's)."""
    kind = _engine_kind(x, weight)
    if kind is not None:
        # a training step's loss is differentiated once, by the upstream gradient of a scalar:
        # its gradient is then worked out with the forward (see _FusedMarginCrossEntropy)
        eager = reduction != "none" and torch.is_grad_enabled() and (x.requires_grad or weight.requires_grad)
        options = (margin, float(lam), ignore_index, reduction, eager, kind == "numpy")
        return _FusedMarginCrossEntropy.apply(x, weight, target, options)
    logits = _margin_logits(x, weight, target, margin, lam, ignore_index)
    return F.cross_entropy(logits, target.long(), ignore_index=ignore_index, reduction=reduction)  # int32 too


def _torch_norms(x, weight):
    with torch.no_grad():
        return torch.linalg.vector_norm(x, dim=1, keepdim=True), torch.linalg.vector_norm(weight, dim=1, keepdim=True)


def _as_tensor(array):
    return array if isinstance(array, torch.Tensor) else torch.from_numpy(array)


class _FusedMarginCrossEntropy(torch.autograd.Function):
    """The margin cross-entropy of one head by lsoftmax.engine (G = 1), on numpy arrays
    (in_numpy) or on detached tensors.

    eager: the loss is a scalar ("mean" or "sum") that autograd will differentiate, so the
    forward also works out the gradient of that scalar, and the backward only multiplies it
    by the upstream gradient (usually 1: then nothing is done). One pass over the engine's
    arrays while they are in the cache: at (256, 2, 10) this saves 8-20 us of a 150 us step
    (bench/loss.py). Otherwise (reduction "none", whose upstream gradient is a vector, or a
    forward that will not be differentiated) the backward works it out from the state.

    x and weight are saved for backward as autograd saves tensors: an in-place change to
    either before the backward raises autograd's own error, and a retained graph keeps them
    for its next backward, which runs the engine's forward again. The engine's state itself
    is dropped by the first backward, so a loss kept after it (a list of losses) holds no
    activations.
    """

    @staticmethod
    def forward(ctx, x, weight, target, options):
        # the other arguments in one tuple: autograd looks at each argument of apply (1.7 us for six)
        margin, lam, ignore_index, reduction, eager, in_numpy = options
        labels, keep, count = target.numpy(), None, weight.shape[0]
        unsigned = labels.view(_UNSIGNED[labels.dtype])  # a negative label becomes huge: one comparison
        if 0 <= ignore_index < count or np.count_nonzero(unsigned >= count):
            _check_values(x, weight, target, *_torch_norms(x, weight), ignore_index)  # raises for a bad label
            keep = labels != ignore_index
            labels = np.where(keep, labels, 0)
        kept = labels.size if keep is None else int(np.count_nonzero(keep))
        if not in_numpy:  # torch's take and put want int64 indices
            labels = torch.from_numpy(labels).long()
        if keep is not None:  # as a factor in x's dtype: a float64 mask would lift float32 arithmetic
            keep = keep.astype(_NUMPY_FLOATS[x.dtype]) if in_numpy else torch.from_numpy(keep).to(x.dtype)
        ctx.save_for_backward(x, weight)
        ctx.labels, ctx.keep, ctx.options = labels, keep, options
        with np.errstate(all="ignore"):  # a NaN or infinity is reported below, as a ValueError
            losses, state = _engine_forward(x, weight, labels, margin, lam, in_numpy)
            if keep is not None:
                losses = losses * keep
            total = np.add.reduce(losses) if in_numpy else losses.sum()
            # A NaN or infinity in x always reaches the loss; in weight it can hide below the exponent
            # floor (a -inf in a class vector no row targets, unnormalised), but not from its norm.
            norms = (np.add.reduce if in_numpy else torch.sum)(state.w_norms)
            if not (math.isfinite(total) and math.isfinite(norms)):  # (or an overflow, which the check lets pass)
                _check_values(x, weight, target, *_torch_norms(x, weight), ignore_index)
            ctx.state, ctx.grads = state, None
            if reduction == "none":
                return _as_tensor(losses)
            per_row = 1.0
            if reduction == "mean":
                total, per_row = (total / kept, 1.0 / kept) if kept else (total * math.nan, 0.0)
            ctx.row_weights = per_row if keep is None else per_row * keep  # d total / d losses
            if eager:
                ctx.grads = engine.backward(state, ctx.row_weights)
        return torch.from_numpy(np.asarray(total, dtype=losses.dtype)) if in_numpy else total

    @staticmethod
    def backward(ctx, grad_loss):
        if torch.is_grad_enabled():  # create_graph=True: the engine's gradient has no graph to differentiate
            raise RuntimeError(
                "margin_cross_entropy's fused engine (CPU problems) is differentiable once; for higher "
                "derivatives use F.cross_entropy(margin_logits(...), target)"
            )
        x, weight = ctx.saved_tensors  # autograd's checks: changed in place, or a second backward not retained
        state, ctx.state = ctx.state, None
        if ctx.grads is not None:  # once only: autograd may keep these arrays as x.grad and add to them
            (grad_x, grad_weight), ctx.grads = ctx.grads, None
            scale = float(grad_loss)
            if scale != 1.0:
                grad_x, grad_weight = grad_x * scale, grad_weight * scale
            return _as_tensor(grad_x), _as_tensor(grad_weight), None, None
        margin, lam, _, reduction, _, in_numpy = ctx.options
        with np.errstate(all="ignore"):
            if state is None:  # a retained graph's next backward
                state = _engine_forward(x, weight, ctx.labels, margin, lam, in_numpy)[1]
            if reduction == "none":
                upstream = grad_loss.numpy() if in_numpy else grad_loss
                row_weights = upstream if ctx.keep is None else upstream * ctx.keep
            else:
                row_weights = float(grad_loss) * ctx.row_weights
            grad_x, grad_weight = engine.backward(state, row_weights)
        return _as_tensor(grad_x), _as_tensor(grad_weight), None, None


def _engine_forward(x, weight, labels, margin: Margin, lam: float, in_numpy: bool):
    """lsoftmax.engine's forward of one head on x and weight's values, as numpy arrays or tensors."""
    if in_numpy:
        return engine.forward(x.detach().numpy(), weight.detach().numpy(), labels, (margin,), lam)
    return engine.forward(x.detach(), weight.detach(), labels, (margin,), lam)
