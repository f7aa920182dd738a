"""LSoftmaxLinear: a bias-free last layer that gives margin logits while training."""

from __future__ import annotations

import math

import torch
from torch import nn

from lsoftmax.functional import lsoftmax_logits
from lsoftmax.margin import check_margin


class LSoftmaxLinear(nn.Module):
    """weight (K, D), no bias. forward(x, target) gives margin logits when training with a
    target, advancing the lambda schedule one iteration; plain x @ weight.T otherwise
    (test time classifies with the plain argmax, as every implementation does).

    lambda_schedule: anything with .schedule(iteration) -> float, e.g. LambdaSchedule;
    None means lambda = 0, the pure L-Softmax target logit.
    """

    def __init__(self, in_features: int, num_classes: int, m: int, lambda_schedule=None):
        super().__init__()
        for name, value in (("in_features", in_features), ("num_classes", num_classes)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if num_classes < 2:
            raise ValueError(f"num_classes must be at least 2, got {num_classes!r}")
        if lambda_schedule is not None and not callable(getattr(lambda_schedule, "schedule", None)):
            raise ValueError(f"lambda_schedule must have a schedule(iteration) method, got {lambda_schedule!r}")
        self.in_features = in_features
        self.num_classes = num_classes
        self.m = check_margin(m)
        self.lambda_schedule = lambda_schedule
        self.iteration = 0  # margin forward passes so far; the schedule sees 1 on the first
        self.last_lambda = self.current_lambda()
        self.weight = nn.Parameter(torch.empty(num_classes, in_features))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Same initialisation as nn.Linear's weight (rows are class vectors)."""
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))

    def current_lambda(self, iteration: int | None = None) -> float:
        """lambda at this iteration (default: the last one used)."""
        if self.lambda_schedule is None:
            return 0.0
        return float(self.lambda_schedule.schedule(self.iteration if iteration is None else iteration))

    def forward(self, x: torch.Tensor, target: torch.Tensor | None = None) -> torch.Tensor:
        if not self.training or target is None:
            return x @ self.weight.T
        self.iteration += 1
        self.last_lambda = self.current_lambda()
        return lsoftmax_logits(x, self.weight, target, self.m, self.last_lambda)

    def get_extra_state(self):
        return {"iteration": self.iteration}

    def set_extra_state(self, state) -> None:
        self.iteration = int(state["iteration"])
        self.last_lambda = self.current_lambda()

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, num_classes={self.num_classes}, m={self.m}, iteration={self.iteration}"
