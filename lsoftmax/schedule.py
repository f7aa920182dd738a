"""Lambda annealing schedules (paper section 5.1): lambda blends the margin logit with
the plain one; start near softmax (large lambda) and let it fall."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from lsoftmax.margin import as_integer


def _check_number(name: str, value, minimum: float | None = 0.0) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return float(value)


def _check_iteration(iteration) -> int:
    return as_integer(iteration, "iteration", 0)  # numpy and torch integer scalars too


@dataclass(frozen=True)
class LambdaSchedule:
    """lambda(t) = max(lambda_min, base * (1 + gamma * t) ** (-power)), t the iteration
    (1 on the first forward pass), as in the code released with the paper.

    The paper's MNIST example: LambdaSchedule(1000, 2.5e-5, 35, 0).
    """

    base: float = 1000.0  # lambda at iteration 0
    gamma: float = 2.5e-5  # how fast the iteration counter eats into lambda
    power: float = 35.0  # steepness of the decay
    lambda_min: float = 0.0  # floor; keep it > 0 (0.5 to 10) on hard data

    def __post_init__(self):
        for name in ("base", "gamma", "power", "lambda_min"):
            object.__setattr__(self, name, _check_number(name, getattr(self, name)))

    def schedule(self, iteration: int) -> float:
        """lambda at this iteration, as a float."""
        iteration = _check_iteration(iteration)
        return max(self.lambda_min, self.base * (1.0 + self.gamma * iteration) ** (-self.power))

    __call__ = schedule


@dataclass(frozen=True)
class MultiplicativeSchedule:
    """lambda(t) = max(lambda_min, start * factor ** t): the faster decay another public
    reimplementation uses (start 100, factor 0.99)."""

    start: float = 100.0  # lambda at iteration 0
    factor: float = 0.99  # multiplied in once per iteration, in (0, 1]
    lambda_min: float = 0.0  # floor

    def __post_init__(self):
        object.__setattr__(self, "start", _check_number("start", self.start))
        object.__setattr__(self, "lambda_min", _check_number("lambda_min", self.lambda_min))
        factor = _check_number("factor", self.factor)
        object.__setattr__(self, "factor", factor)
        if not 0.0 < factor <= 1.0:
            raise ValueError(f"factor must lie in (0, 1], got {self.factor!r}")

    def schedule(self, iteration: int) -> float:
        """lambda at this iteration, as a float."""
        iteration = _check_iteration(iteration)
        return max(self.lambda_min, self.start * self.factor**iteration)

    __call__ = schedule
