"""Lambda schedules: the reference code's formula, its MNIST values, and bad input."""

import math

import pytest

from lsoftmax import LambdaSchedule, MultiplicativeSchedule

MNIST = LambdaSchedule(base=1000.0, gamma=2.5e-5, power=35.0, lambda_min=0.0)


def test_mnist_reference_values():
    assert MNIST.schedule(1) == pytest.approx(999.125, abs=5e-4)
    assert MNIST.schedule(10000) == pytest.approx(0.405648, abs=5e-7)


SETTINGS = [(1000, 2e-5, 45, 0), (5, 0.1, 1.5, 0.7), (1, 0, 3, 0)]  # CIFAR-10, a floored one, the trap of section 2


@pytest.mark.parametrize("iteration", [0, 1, 17, 500, 10_000, 10**7])
@pytest.mark.parametrize(("base", "gamma", "power", "lambda_min"), SETTINGS)
def test_lambda_schedule_formula(iteration, base, gamma, power, lambda_min):
    schedule = LambdaSchedule(base, gamma, power, lambda_min)
    expected = max(lambda_min, base * (1 + gamma * iteration) ** (-power))
    value = schedule.schedule(iteration)
    assert type(value) is float
    assert value == pytest.approx(expected, rel=1e-12, abs=1e-300)
    assert schedule(iteration) == value


def test_lambda_min_floors_the_decay():
    schedule = LambdaSchedule(1000.0, 2.5e-5, 35.0, lambda_min=5.0)
    assert schedule.schedule(10**6) == 5.0
    values = [schedule.schedule(t) for t in range(0, 200_000, 5000)]
    assert all(a >= b for a, b in zip(values, values[1:], strict=False))


@pytest.mark.parametrize("iteration", [0, 1, 100, 1000])
def test_multiplicative_schedule_formula(iteration):
    schedule = MultiplicativeSchedule(start=100.0, factor=0.99, lambda_min=0.2)
    assert schedule.schedule(iteration) == pytest.approx(max(0.2, 100.0 * 0.99**iteration), rel=1e-12)
    assert schedule(iteration) == schedule.schedule(iteration)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("base", dict(base=-1.0)),
        ("gamma", dict(gamma=math.nan)),
        ("power", dict(power=math.inf)),
        ("lambda_min", dict(lambda_min=-0.1)),
        ("base", dict(base=True)),
        ("gamma", dict(gamma="0.1")),
    ],
)
def test_lambda_schedule_rejects_bad_parameters(name, kwargs):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        LambdaSchedule(**kwargs)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("start", dict(start=-1.0)),
        ("factor", dict(factor=0.0)),
        ("factor", dict(factor=1.5)),
        ("factor", dict(factor=math.nan)),
        ("lambda_min", dict(lambda_min=-2.0)),
    ],
)
def test_multiplicative_schedule_rejects_bad_parameters(name, kwargs):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        MultiplicativeSchedule(**kwargs)


@pytest.mark.parametrize("schedule", [MNIST, MultiplicativeSchedule()])
@pytest.mark.parametrize("bad", [-1, 1.5, True, None])
def test_schedules_reject_bad_iterations(schedule, bad):
    with pytest.raises(ValueError, match=r"^iteration must"):
        schedule.schedule(bad)


def test_numpy_and_torch_scalars_are_accepted():
    import numpy as np
    import torch

    schedule = LambdaSchedule(np.int64(1000), np.float32(2.5e-5), np.int32(35), 0)
    assert type(schedule.base) is float and schedule == LambdaSchedule(1000.0, float(np.float32(2.5e-5)), 35.0, 0.0)
    assert schedule.schedule(np.int64(10000)) == schedule.schedule(torch.tensor(10000)) == schedule.schedule(10000)
