"""lab.explain against independent references: numpy's Chebyshev basis, the
reference's worked numbers, and the torch loss (lsoftmax_logits + cross_entropy)."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lab.explain import blended_psi, chebyshev_coefficients, sample_readout
from lsoftmax import lsoftmax_logits


@pytest.mark.parametrize(
    ("m", "expected"),
    [(1, [0, 1]), (2, [-1, 0, 2]), (3, [0, -3, 0, 4]), (4, [1, 0, -8, 0, 8])],
)
def test_chebyshev_coefficients_match_reference(m, expected):
    assert chebyshev_coefficients(m) == expected


@pytest.mark.parametrize("m", range(1, 13))
def test_chebyshev_coefficients_match_numpy_basis(m):
    basis = np.zeros(m + 1)
    basis[m] = 1.0
    reference = np.polynomial.chebyshev.cheb2poly(basis)
    coefficients = chebyshev_coefficients(m)
    assert all(isinstance(c, int) for c in coefficients)
    np.testing.assert_array_equal(np.array(coefficients, dtype=float), reference)


@pytest.mark.parametrize("m", range(1, 9))
def test_chebyshev_coefficients_give_cos_m_theta(m):
    theta = np.linspace(0, math.pi, 37)
    value = np.polyval(chebyshev_coefficients(m)[::-1], np.cos(theta))
    np.testing.assert_allclose(value, np.cos(m * theta), atol=1e-9)


@pytest.mark.parametrize("bad", [0, -1, 2.5, "4", None, True])
def test_chebyshev_coefficients_reject_bad_m(bad):
    with pytest.raises(ValueError, match="m must be"):
        chebyshev_coefficients(bad)


@pytest.mark.parametrize(("lam", "expected"), [(0.0, -2.8284271247), (1.0, -0.4142135624)])
def test_blended_psi_matches_reference_numbers(lam, expected):
    # W_y = (1, 1), x = (2, 0), m = 4: theta = 45 deg, |W||x| = 2 sqrt(2).
    value = 2 * math.sqrt(2) * blended_psi(math.pi / 4, 4, lam)
    assert value == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("bad", [-0.5, float("nan"), "1", None])
def test_blended_psi_rejects_bad_lambda(bad):
    with pytest.raises(ValueError, match="lam must be"):
        blended_psi(0.3, 2, bad)


CASES = [
    (np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0.8, 0.3]), 4),
    (np.array([[2.0, 0.5], [-1.0, 1.5], [0.2, -1.0]]), np.array([-0.4, 1.1]), 3),
    (np.array([[1.5, 0.0], [0.0, 0.7]]), np.array([1.0, 1.0]), 1),
    (np.array([[1.0, 0.0], [-1.0, 0.1]]), np.array([0.0, -2.0]), 2),
]


@pytest.mark.parametrize(("weights", "x", "m"), CASES)
def test_sample_readout_matches_torch_loss(weights, x, m):
    readout = sample_readout(weights, x, m)
    k = len(weights)
    xt = torch.tensor(np.tile(x, (k, 1)), dtype=torch.float64)
    wt = torch.tensor(weights, dtype=torch.float64)
    target = torch.arange(k)
    margin_logits = lsoftmax_logits(xt, wt, target, m)  # row j: label j
    plain = (xt @ wt.T)[0].numpy()
    np.testing.assert_allclose(readout.softmax_logits, plain, atol=1e-12)
    np.testing.assert_allclose(readout.lsoftmax_logits, np.diag(margin_logits.numpy()), atol=1e-9)
    loss = F.cross_entropy(margin_logits, target, reduction="none").numpy()
    np.testing.assert_allclose(readout.lsoftmax_loss, loss, atol=1e-9)
    np.testing.assert_allclose(readout.lsoftmax_prob, np.exp(-loss), atol=1e-12)
    plain_loss = F.cross_entropy(xt @ wt.T, target, reduction="none").numpy()
    np.testing.assert_allclose(readout.softmax_loss, plain_loss, atol=1e-12)
    np.testing.assert_allclose(readout.softmax_prob.sum(), 1.0)


@pytest.mark.parametrize(("weights", "x", "m"), CASES)
def test_sample_readout_criterion_matches_brute_force(weights, x, m):
    readout = sample_readout(weights, x, m)
    norms = np.linalg.norm(weights, axis=1)
    for j in range(len(weights)):
        theta_j = math.acos(np.clip(weights[j] @ x / (norms[j] * np.linalg.norm(x)), -1, 1))
        k = min(math.floor(theta_j * m / math.pi), m - 1)
        psi_j = (-1) ** k * math.cos(m * theta_j) - 2 * k
        rival = max(weights[i] @ x / np.linalg.norm(x) for i in range(len(weights)) if i != j)
        assert readout.criterion[j] == (norms[j] * psi_j > rival)
        assert readout.theta[j] == pytest.approx(theta_j, abs=1e-9)


def test_sample_readout_huge_logits_stay_finite():
    readout = sample_readout(np.array([[500.0, 0.0], [0.0, 500.0]]), np.array([-3.0, -0.1]), 4)
    assert np.all(np.isfinite(readout.lsoftmax_loss)) and np.all(np.isfinite(readout.softmax_loss))


@pytest.mark.parametrize("bad", [np.array([0.0, 0.0]), np.array([1.0, np.nan]), np.array([1.0, 2.0, 3.0])])
def test_sample_readout_rejects_bad_x(bad):
    with pytest.raises(ValueError, match="x must be"):
        sample_readout(np.eye(2), bad, 2)
