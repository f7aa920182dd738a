"""The L-Softmax margin logits (eqs 4, 6, 7) as a differentiable torch function.

Only the target logit changes: f_y = |W_y| |x| psi(theta_y), blended with the
plain logit by lambda (paper section 5.1). psi is evaluated through the Chebyshev
polynomial of c = cos(theta_y); the segment k comes from acos without gradient,
so no gradient ever flows through acos.
"""

from __future__ import annotations

import math

import torch

from lsoftmax.margin import chebyshev, check_margin

# Guards the norms: a zero feature gives c = 0 instead of 0/0 (the eps cancels in
# the target logit and its gradient, so it never shows in the result).
NORM_EPS = 1e-12


def _check_inputs(x, weight, target, lam) -> None:
    for name, value in (("x", x), ("weight", weight), ("target", target)):
        if not isinstance(value, torch.Tensor):
            raise ValueError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if x.dim() != 2:
        raise ValueError(f"x must have shape (N, D), got shape {tuple(x.shape)}")
    if weight.dim() != 2 or weight.shape[1] != x.shape[1]:
        raise ValueError(
            f"weight must have shape (K, D) with D = {x.shape[1]} to match x, got shape {tuple(weight.shape)}"
        )
    if target.dim() != 1 or target.shape[0] != x.shape[0]:
        raise ValueError(f"target must have shape (N,) with N = {x.shape[0]}, got shape {tuple(target.shape)}")
    if target.dtype not in (torch.int64, torch.int32):
        raise ValueError(f"target must be an integer tensor (int64), got dtype {target.dtype}")
    if not x.is_floating_point() or weight.dtype != x.dtype:
        raise ValueError(f"x and weight must share a floating dtype, got {x.dtype} and {weight.dtype}")
    if isinstance(lam, bool) or not isinstance(lam, (int, float)) or not math.isfinite(lam) or lam < 0:
        raise ValueError(f"lam must be a finite number >= 0, got {lam!r}")


def _check_values(x, weight, target) -> None:
    """One device sync for every value check; the details only when something is wrong."""
    num_classes = weight.shape[0]
    bad = ~torch.isfinite(x).all() | ~torch.isfinite(weight).all()
    if target.numel():
        bad = bad | (target.min() < 0) | (target.max() >= num_classes)
    if not bool(bad):
        return
    if not bool(torch.isfinite(x).all()):
        raise ValueError("x must be finite, got NaN or infinite entries")
    if not bool(torch.isfinite(weight).all()):
        raise ValueError("weight must be finite, got NaN or infinite entries")
    bad_labels = target[(target < 0) | (target >= num_classes)]
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


def lsoftmax_logits(x, weight, target, m, lam=0.0):
    """(N, K) logits x @ weight.T with each target entry replaced by its margin logit.

    x (N, D), weight (K, D) with class vectors as rows, target (N,) int64, m an integer
    >= 1, lam >= 0 the blend weight: f_y = (lam |W||x| cos + |W||x| psi) / (1 + lam).
    """
    m = check_margin(m)
    _check_inputs(x, weight, target, lam)
    _check_values(x, weight, target)
    target = target.long()
    logits = x @ weight.T  # (N, K)
    if m == 1:
        return logits
    column = target.unsqueeze(1)  # (N, 1)
    dot = logits.gather(1, column).squeeze(1)  # (N,)
    x_norm = torch.linalg.vector_norm(x, dim=1).clamp_min(NORM_EPS)  # (N,)
    w_norm = torch.linalg.vector_norm(weight, dim=1).clamp_min(NORM_EPS)[target]  # (N,)
    margin = margin_target_logit(dot, x_norm, w_norm, m)
    blended = (lam * dot + margin) / (1.0 + lam)
    return logits.scatter(1, column, blended.unsqueeze(1))
