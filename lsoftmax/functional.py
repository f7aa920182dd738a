"""The L-Softmax margin logits (eqs 4, 6, 7) as a differentiable torch function.

Only the target logit changes: f_y = |W_y| |x| psi(theta_y), blended with the
plain logit by lambda (paper section 5.1). psi is evaluated through the Chebyshev
polynomial of c = cos(theta_y) and its segment k is looked up from the junction
cosines cos(j pi/m), so acos is never differentiated (or even evaluated).

lsoftmax_logits writes the gradient of reference section 1 out by hand in one
autograd.Function: one small backward instead of some thirty autograd nodes, and
no extra pass over x or weight beyond their norms (bench/loss.py measures the cost).
"""

from __future__ import annotations

import functools
import math

import torch

from lsoftmax.margin import chebyshev, check_margin

# Floor for the feature and weight norms that callers of margin_target_logit divide by.
NORM_EPS = 1e-12


def _check_inputs(x, weight, target, lam) -> None:
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
        raise ValueError(f"target must be an integer tensor (int64), got dtype {target.dtype}")
    if not x.is_floating_point() or weight.dtype != x.dtype:
        raise ValueError(f"x and weight must share a floating dtype, got {x.dtype} and {weight.dtype}")
    if not x.device == weight.device == target.device:
        devices = f"{x.device}, {weight.device}, {target.device}"
        raise ValueError(f"x, weight and target must be on one device, got {devices}")
    if isinstance(lam, bool) or not isinstance(lam, (int, float)) or not math.isfinite(lam) or lam < 0:
        raise ValueError(f"lam must be a finite number >= 0, got {lam!r}")


def _check_values(x, weight, target, x_norm, w_norms) -> None:
    """Cheap value checks (two scalar reads); the details only when something is wrong.

    A NaN or infinity anywhere in x or weight makes the sum of the norms non-finite. So
    can finite values whose squares overflow: that false alarm only costs the exact check.
    """
    num_classes = weight.shape[0]
    finite = math.isfinite(x_norm.sum() + w_norms.sum())
    low, high = torch.stack(torch.aminmax(target)).tolist() if target.numel() else (0, 0)
    if finite and low >= 0 and high < num_classes:
        return
    if not bool(torch.isfinite(x).all()):
        raise ValueError("x must be finite, got NaN or infinite entries")
    if not bool(torch.isfinite(weight).all()):
        raise ValueError("weight must be finite, got NaN or infinite entries")
    bad_labels = target[(target < 0) | (target >= num_classes)]
    if bad_labels.numel():
        raise ValueError(f"target must lie in [0, {num_classes - 1}], got {bad_labels[:5].tolist()}")


def margin_target_logit(dot, x_norm, w_norm, m):
    """|W||x| psi(theta) from dot = W.x and the two norms (eq 4 with eqs 6-7).

    m may be an int or an integer tensor broadcastable to dot (one m per row).
    """
    cos_theta = dot / (x_norm * w_norm)
    # Value clamped to [-1, 1], gradient passed straight through: rounding can put
    # |c| a hair above 1 for parallel vectors, and T_m has a finite slope there.
    cos_theta = cos_theta - (cos_theta - cos_theta.clamp(-1.0, 1.0)).detach()
    with torch.no_grad():
        theta = torch.acos(cos_theta.clamp(-1.0, 1.0))
        k = (theta * (m / math.pi)).floor().clamp(min=0)
        k = torch.minimum(k, torch.as_tensor(m, dtype=k.dtype, device=k.device) - 1)
        sign = 1.0 - 2.0 * torch.remainder(k, 2)
    cos_m = _chebyshev_per_row(cos_theta, m) if isinstance(m, torch.Tensor) else chebyshev(cos_theta, m)
    return x_norm * w_norm * (sign * cos_m - 2.0 * k)


def _chebyshev_per_row(cos_theta, m):
    """T_m(c) where m varies along the batch: run the recurrence to max(m) and pick."""
    m_max = int(m.max())
    previous, current = torch.ones_like(cos_theta), cos_theta
    result = torch.where(m == 1, current, previous)
    for degree in range(2, m_max + 1):
        previous, current = current, 2 * cos_theta * current - previous
        result = torch.where(m == degree, current, result)
    return result


@functools.lru_cache(maxsize=64)
def _segment_tables(m: int, dtype: torch.dtype, device: torch.device):
    """Junction cosines cos(j pi/m), j = m-1..1 (ascending), and per bucket -2k, (-1)^k, (-1)^k m.

    torch.bucketize(c, junctions) counts the junctions strictly below c; that is m - 1 - k,
    with k the segment of eq 6 (a c exactly at a junction gets the larger k; psi is
    continuous there, and so is its slope in c, which is zero).
    """
    k = torch.arange(m - 1, -1, -1, dtype=torch.float64)  # k of each bucket
    junctions = torch.cos(torch.arange(m - 1, 0, -1, dtype=torch.float64) * (math.pi / m))
    sign = 1.0 - 2.0 * torch.remainder(k, 2)
    return tuple(table.to(dtype=dtype, device=device) for table in (junctions, -2.0 * k, sign, m * sign))


def _chebyshev_u(cos_theta, m: int):
    """U_{m-1}(c) and U_m(c), Chebyshev polynomials of the second kind, by their
    three-term recurrence from U_0 = 1, U_1 = 2c."""
    two_c = cos_theta + cos_theta
    previous, current = torch.ones_like(cos_theta), two_c
    for _ in range(m - 1):
        previous, current = current, two_c * current - previous
    return previous, current


def _target_terms(dot, x_norm, w_norm, m: int, lam: float):
    """Per row, from dot = W_y.x and the norms: the target logit f_y (eqs 4, 6, 7 and
    the lambda blend) and the coefficients its gradient needs.

    With S = |W_y||x| and c = dot / S: d f_y / d dot = (lam + psi'(c)) / (1 + lam) and
    d f_y / d S = (psi - c psi'(c)) / (1 + lam), psi'(c) = (-1)^k T_m'(c) = (-1)^k m U_{m-1}(c).
    Returns f_y, d f_y / d dot, |W_y| d f_y / d S and |x| d f_y / d S.
    """
    scale = x_norm * w_norm  # S
    # Rounding can put |c| a hair above 1 for parallel vectors; the floor keeps 0 / 0
    # away for a zero x (and, below any S that is a normal number, changes nothing).
    cos_theta = (dot / scale.clamp_min(torch.finfo(dot.dtype).tiny)).clamp_(-1.0, 1.0)
    junctions, offsets, signs, slopes = _segment_tables(m, dot.dtype, dot.device)
    bucket = torch.bucketize(cos_theta, junctions)
    u_below, u_m = _chebyshev_u(cos_theta, m)
    cos_m = torch.addcmul(u_m, cos_theta, u_below, value=-1.0)  # T_m(c) = U_m - c U_{m-1}, eq 7
    psi = torch.addcmul(offsets[bucket], signs[bucket], cos_m)  # eq 6
    slope = slopes[bucket] * u_below  # d psi / d c
    along_dot, along_scale, target_logit = slope, torch.addcmul(psi, cos_theta, slope, value=-1.0), scale * psi
    if lam:
        along_dot = (slope + lam) / (1.0 + lam)
        along_scale = along_scale / (1.0 + lam)
        target_logit = torch.add(target_logit, dot, alpha=lam) / (1.0 + lam)
    return target_logit, along_dot, along_scale * w_norm, along_scale * x_norm


def _per_unit_norm(coefficient, norms):
    """coefficient / norms, so that (coefficient / norm) * row = coefficient * unit row.

    A zero row gives x / 0 (inf or nan) and a near-zero one may overflow: both become
    finite, and times their (near-)zero row they give a finite gradient.
    """
    return (coefficient / norms).nan_to_num_(nan=0.0)


class _MarginLogits(torch.autograd.Function):
    """x @ weight.T with target entries f_y = (lam dot + |W||x| psi(c)) / (1 + lam), with
    the gradient of reference section 1 written out (see _target_terms)."""

    @staticmethod
    def forward(ctx, x, weight, target, m, lam, x_norm, w_norms):
        column = target.unsqueeze(1)  # (N, 1)
        logits = x @ weight.T  # (N, K)
        dot = logits.gather(1, column)  # (N, 1)
        target_logit, along_dot, along_x, along_w = _target_terms(dot, x_norm, w_norms[target], m, lam)  # (N, 1)
        ctx.save_for_backward(x, weight, target, x_norm, w_norms, along_dot, along_x, along_w)
        return logits.scatter_(1, column, target_logit)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_logits):
        x, weight, target, x_norm, w_norms, along_dot, along_x, along_w = ctx.saved_tensors
        column = target.unsqueeze(1)  # (N, 1)
        grad_target = grad_logits.gather(1, column)  # (N, 1)
        # Through dot: the plain backward with the target column rescaled.
        grad_plain = grad_logits.scatter(1, column, grad_target * along_dot)  # (N, K)
        grad_x = grad_weight = None
        # Through S: dS/dx = |W_y| x / |x| and dS/dW_y = |x| W_y / |W_y|, added to the matmuls in place.
        if ctx.needs_input_grad[0]:
            grad_x = torch.mm(grad_plain, weight).addcmul_(x, _per_unit_norm(grad_target * along_x, x_norm))
        if ctx.needs_input_grad[1]:
            per_class = torch.zeros_like(w_norms).index_add_(0, target, grad_target * along_w)  # (K, 1)
            grad_weight = torch.mm(grad_plain.T, x).addcmul_(weight, _per_unit_norm(per_class, w_norms))
        return grad_x, grad_weight, None, None, None, None, None


def lsoftmax_logits(x, weight, target, m, lam=0.0):
    """(N, K) logits x @ weight.T with each target entry replaced by its margin logit.

    x (N, D), weight (K, D) with class vectors as rows, target (N,) int64, m an integer
    >= 1, lam >= 0 the blend weight: f_y = (lam |W||x| cos + |W||x| psi) / (1 + lam).
    """
    m = check_margin(m)
    _check_inputs(x, weight, target, lam)
    with torch.no_grad():
        x_norm = torch.linalg.vector_norm(x, dim=1, keepdim=True)  # (N, 1)
        w_norms = torch.linalg.vector_norm(weight, dim=1, keepdim=True)  # (K, 1)
    _check_values(x, weight, target, x_norm, w_norms)
    if m == 1:
        return x @ weight.T
    return _MarginLogits.apply(x, weight, target.long(), m, float(lam), x_norm, w_norms)
