"""app.figures.psi: the LaTeX of a polynomial, and the psi and lambda figures on small inputs."""

import numpy as np
import pytest

from app.figures.psi import LOG_FLOOR, polynomial_latex, psi_figure, schedule_figure


@pytest.mark.parametrize(
    ("coefficients", "expected"),
    [
        ([0, 1], "c"),
        ([-1, 0, 2], "2c^{2} - 1"),
        ([0, -3, 0, 4], "4c^{3} - 3c"),
        ([1, 0, -8, 0, 8], "8c^{4} - 8c^{2} + 1"),
        ([0, 0, -1], "-c^{2}"),
        ([0], "0"),
    ],
)
def test_polynomial_latex(coefficients, expected):
    assert polynomial_latex(coefficients) == expected


def test_psi_figure_has_one_curve_per_m_plus_cosine_and_blend():
    theta = np.linspace(0, 180, 5)
    curves = {"m = 1": np.cos(np.radians(theta)), "m = 2": -np.linspace(-1, 3, 5)}
    figure = psi_figure(theta, curves, np.cos(np.radians(theta)), blended=np.zeros(5), blended_label="blend")
    assert [trace.name for trace in figure.data] == ["cos θ (softmax)", "m = 1", "m = 2", "blend"]
    assert tuple(figure.layout.xaxis.range) == (0, 180)
    assert figure.layout.yaxis.range[0] < -3 < 1 < figure.layout.yaxis.range[1]


@pytest.mark.parametrize("log_y", [True, False])
def test_schedule_figure_axes(log_y):
    steps = np.arange(0, 100, 10)
    curves = {"a": 100 * 0.5**steps, "b": np.array([2.0] * 9 + [0.0])}
    figure = schedule_figure(steps, curves, log_y)
    assert figure.layout.yaxis.type == ("log" if log_y else "linear")
    if log_y:
        assert figure.layout.yaxis.range[0] == pytest.approx(np.log10(LOG_FLOOR))
        assert np.isnan(np.asarray(figure.data[1].y, dtype=float)[-1])  # a log axis cannot show 0
    else:
        assert np.asarray(figure.data[1].y, dtype=float)[-1] == 0.0
        assert figure.layout.yaxis.range[1] >= 100


def test_psi_samples_hold_the_reference_values():
    from app.figures.scenes import psi_samples

    theta, curves, cosine = psi_samples(4, 181)  # one point per degree
    assert list(curves) == [f"ψ, m = {m}" for m in range(1, 5)]
    np.testing.assert_allclose(curves["ψ, m = 1"], cosine)
    # reference section 6: m = 3 at 135 degrees, m = 4 at 90 degrees, psi(180) = 1 - 2m
    assert curves["ψ, m = 3"][135] == pytest.approx(-3.292893, abs=1e-6)
    assert curves["ψ, m = 4"][90] == pytest.approx(-3.0)
    assert curves["ψ, m = 2"][-1] == pytest.approx(-3.0) and theta[-1] == pytest.approx(np.pi)


def test_schedule_samples_follow_the_formula():
    from app.figures.scenes import schedule_samples
    from lsoftmax import LambdaSchedule

    steps, curves = schedule_samples({"mnist": LambdaSchedule(1000, 2.5e-5, 35, 0)}, 10_000, 401)
    assert steps[0] == 0 and steps[-1] == 10_000 and np.all(np.diff(steps) > 0)
    assert curves["mnist"][-1] == pytest.approx(0.405648, abs=1e-6)  # the reference's lambda(10000)
    np.testing.assert_allclose(curves["mnist"], 1000 * (1 + 2.5e-5 * steps) ** -35.0)
