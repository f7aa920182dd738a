"""Small numpy helpers the explorer pages show: exact Chebyshev coefficients of
cos(m theta) (eq 7), the lambda-blended target curve (section 5.1) and the logits,
probabilities and losses of one sample x (eqs 2, 4). numpy only: no torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lsoftmax.geometry import angle_between, check_weights
from lsoftmax.margin import chebyshev, check_margin, psi


def chebyshev_coefficients(m) -> list[int]:
    """Exact integer coefficients of T_m, the polynomial with cos(m theta) = T_m(cos theta).

    Index n holds the coefficient of c^n (length m + 1). The library's one Chebyshev
    recurrence (margin.chebyshev) run on the polynomial c with Python-int coefficients, so
    nothing is rounded.
    """
    m = check_margin(m)
    variable = np.polynomial.Polynomial(np.array([0, 1], dtype=object))  # c
    coefficients = [int(value) for value in chebyshev(variable, m).coef]
    return coefficients + [0] * (m + 1 - len(coefficients))


def _check_lambda(lam) -> float:
    if isinstance(lam, bool) or not isinstance(lam, (int, float, np.integer, np.floating)):
        raise ValueError(f"lam must be a finite number >= 0, got {lam!r}")
    if not math.isfinite(lam) or lam < 0:
        raise ValueError(f"lam must be a finite number >= 0, got {lam!r}")
    return float(lam)


def blended_psi(theta, m, lam):
    """(lam cos(theta) + psi(theta)) / (1 + lam): the target curve under lambda (radians)."""
    lam = _check_lambda(lam)
    theta = np.asarray(theta, dtype=np.float64)
    return (lam * np.cos(theta) + psi(theta, m)) / (1.0 + lam)


@dataclass(frozen=True)
class SampleReadout:
    """What the loss sees for one feature x and K class vectors; arrays have shape (K,).

    Entry j of the L-Softmax arrays assumes the label is j: the margin replaces the
    label's logit and leaves the others plain.
    """

    theta: np.ndarray  # angle between x and W_j, radians in [0, pi]
    softmax_logits: np.ndarray  # |W_j| |x| cos(theta_j) (eq 2)
    lsoftmax_logits: np.ndarray  # |W_j| |x| psi(theta_j) (eq 4), the label's logit
    softmax_prob: np.ndarray  # softmax of the plain logits
    lsoftmax_prob: np.ndarray  # probability of label j with its margin logit
    softmax_loss: np.ndarray  # -log softmax_prob[j]
    lsoftmax_loss: np.ndarray  # -log lsoftmax_prob[j]
    criterion: np.ndarray  # bool: |W_j| psi(theta_j) > max_{i != j} |W_i| cos(theta_i)


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max()
    return shifted - math.log(np.exp(shifted).sum())


def _check_sample(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.shape != (2,) or not np.all(np.isfinite(x)):
        raise ValueError(f"x must be a finite vector of shape (2,), got {x!r}")
    if np.hypot(x[0], x[1]) <= 0:
        raise ValueError(f"x must be nonzero, got {x.tolist()}")
    return x


def sample_readout(weights, x, m) -> SampleReadout:
    """Logits, probabilities, losses and criteria of one 2-D feature x under each label."""
    weights = check_weights(weights)
    x = _check_sample(x)
    m = check_margin(m)
    norms = np.hypot(weights[:, 0], weights[:, 1])  # (K,)
    x_norm = float(np.hypot(x[0], x[1]))
    theta = angle_between(math.atan2(x[1], x[0]), np.arctan2(weights[:, 1], weights[:, 0]))  # (K,)
    plain = norms * x_norm * np.cos(theta)  # (K,)
    margin = norms * x_norm * psi(theta, m)  # (K,)
    log_plain = _log_softmax(plain)
    log_margin = np.array(
        [_log_softmax(np.where(np.arange(len(plain)) == j, margin, plain))[j] for j in range(len(plain))]
    )
    rivals = np.array([np.max(np.delete(plain, j)) for j in range(len(plain))])
    return SampleReadout(
        theta=theta,
        softmax_logits=plain,
        lsoftmax_logits=margin,
        softmax_prob=np.exp(log_plain),
        lsoftmax_prob=np.exp(log_margin),
        softmax_loss=-log_plain,
        lsoftmax_loss=-log_margin,
        criterion=margin > rivals,
    )
