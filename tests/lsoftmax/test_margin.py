"""psi (eq 6) and cos_m_theta (eq 7) against the reference values and slow, independent definitions."""

import math

import numpy as np
import pytest
import torch

from lsoftmax.margin import check_margin, cos_m_theta, psi, psi_and_slope

MARGINS = range(1, 9)


def slow_psi(theta: float, m: int) -> float:
    """Eq 6 read literally: find the segment k with theta in [k pi/m, (k+1) pi/m]."""
    for k in range(m):
        if k * math.pi / m <= theta <= (k + 1) * math.pi / m:
            return (-1) ** k * math.cos(m * theta) - 2 * k
    raise AssertionError(f"theta {theta} outside [0, pi]")


def binomial_cos_m_theta(c: float, m: int) -> float:
    """Eq 7: sum_n (-1)^n C(m, 2n) c^(m-2n) (1 - c^2)^n."""
    return sum((-1) ** n * math.comb(m, 2 * n) * c ** (m - 2 * n) * (1 - c * c) ** n for n in range(m // 2 + 1))


# Reference section 6 (degrees -> value).
PSI_REFERENCE = [
    (2, 20, 0.766044),
    (2, 90, -1.0),
    (2, 135, -2.0),
    (3, 20, 0.5),
    (3, 90, -2.0),
    (3, 135, -3.292893),
    (4, 20, 0.173648),
    (4, 90, -3.0),
    (4, 135, -5.0),
]


@pytest.mark.parametrize(("m", "degrees", "expected"), PSI_REFERENCE)
def test_psi_reference_values(m, degrees, expected):
    assert psi(math.radians(degrees), m) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("m", MARGINS)
def test_psi_at_pi_is_one_minus_two_m(m):
    assert psi(math.pi, m) == pytest.approx(1 - 2 * m, abs=1e-12)


@pytest.mark.parametrize(("m", "expected"), [(2, -0.28), (3, -0.936), (4, -0.8432)])
def test_cos_m_theta_reference_values(m, expected):
    assert cos_m_theta(0.6, m) == pytest.approx(expected, abs=1e-12)


def test_m4_boundary_value_for_theta12_90():
    assert psi(math.radians(18), 4) == pytest.approx(math.cos(math.radians(72)), abs=1e-8)
    assert psi(math.radians(18), 4) == pytest.approx(0.30901699, abs=1e-8)


@pytest.mark.parametrize("m", MARGINS)
def test_psi_matches_slow_definition(m):
    thetas = np.concatenate([np.linspace(0, math.pi, 997), np.arange(m + 1) * math.pi / m])
    expected = np.array([slow_psi(theta, m) for theta in np.clip(thetas, 0, math.pi)])
    np.testing.assert_allclose(psi(thetas, m), expected, rtol=0, atol=1e-12)
    as_tensor = psi(torch.tensor(thetas, dtype=torch.float64), m)
    np.testing.assert_allclose(as_tensor.numpy(), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("m", MARGINS)
def test_psi_is_continuous_at_junctions(m):
    for k in range(1, m):
        junction = k * math.pi / m
        assert psi(junction - 1e-9, m) == pytest.approx(psi(junction + 1e-9, m), abs=1e-8)
        assert psi(junction, m) == pytest.approx(1 - 2 * k, abs=1e-12)


@pytest.mark.parametrize("m", MARGINS)
def test_psi_decreases_and_stays_below_cos(m):
    thetas = np.linspace(0, math.pi, 20001)
    values = psi(thetas, m)
    assert np.all(np.diff(values) <= 1e-12)
    assert np.all(values <= np.cos(thetas) + 1e-12)
    assert values[0] == pytest.approx(1.0)


@pytest.mark.parametrize("m", MARGINS)
def test_cos_m_theta_matches_trig_and_binomial_sum(m):
    cosines = np.linspace(-1, 1, 401)
    np.testing.assert_allclose(cos_m_theta(cosines, m), np.cos(m * np.arccos(cosines)), atol=1e-12)
    binomial = np.array([binomial_cos_m_theta(c, m) for c in cosines])
    np.testing.assert_allclose(cos_m_theta(cosines, m), binomial, atol=1e-11)


@pytest.mark.parametrize("function", [psi, cos_m_theta])
def test_result_has_the_kind_of_the_input(function):
    assert type(function(0.5, 3)) is float
    array = function(np.array([[0.1, 0.2], [0.3, 0.4]]), 3)
    assert isinstance(array, np.ndarray) and array.shape == (2, 2)
    for dtype in (torch.float32, torch.float64):
        tensor = function(torch.tensor([0.1, 0.5, 0.9], dtype=dtype), 3)
        assert isinstance(tensor, torch.Tensor) and tensor.dtype == dtype and tensor.shape == (3,)


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "2", None, float("nan")])
def test_bad_margin_raises_naming_m(bad):
    with pytest.raises(ValueError, match=r"^m must"):
        psi(0.3, bad)
    with pytest.raises(ValueError, match=r"^m must"):
        cos_m_theta(0.3, bad)


def test_integral_margins_of_other_types_are_accepted():
    assert check_margin(np.int64(3)) == 3
    assert check_margin(4.0) == 4


@pytest.mark.parametrize("bad", [-0.1, math.pi + 0.01, float("nan"), float("inf")])
def test_psi_rejects_theta_outside_zero_pi(bad):
    with pytest.raises(ValueError, match=r"^theta must"):
        psi(bad, 2)
    with pytest.raises(ValueError, match=r"^theta must"):
        psi(np.array([0.1, bad]), 2)


@pytest.mark.parametrize("bad", [1.01, -1.5, float("nan")])
def test_cos_m_theta_rejects_cosines_outside_unit_interval(bad):
    with pytest.raises(ValueError, match=r"^cos_theta must"):
        cos_m_theta(bad, 2)


@pytest.mark.parametrize("m", MARGINS)
@pytest.mark.parametrize("kind", ["numpy", "torch"])
def test_psi_and_slope_of_the_cosine_match_eq6_and_autograd(m, kind):
    """psi_and_slope(c, m) against psi(acos c) and against autograd of eq 6 in theta:
    d psi / dc = (d psi / d theta) / (d c / d theta) = m (-1)^k sin(m theta) / sin(theta)."""
    cosines = np.linspace(-1.0, 1.0, 401)
    argument = cosines if kind == "numpy" else torch.tensor(cosines)
    values, slopes = (np.asarray(v, dtype=np.float64) for v in psi_and_slope(argument, m))
    expected = np.array([slow_psi(theta, m) for theta in np.arccos(cosines)])
    np.testing.assert_allclose(values, expected, atol=1e-12)
    theta = torch.tensor(np.arccos(cosines[1:-1]), requires_grad=True)
    k = torch.clamp(torch.floor(theta.detach() * m / math.pi), max=m - 1)
    ((-1) ** k * torch.cos(m * theta) - 2 * k).sum().backward()
    np.testing.assert_allclose(slopes[1:-1], (theta.grad / -torch.sin(theta)).detach().numpy(), atol=1e-9, rtol=1e-9)
