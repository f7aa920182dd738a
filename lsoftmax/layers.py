"""MarginLinear: a bias-free last layer that gives margin logits while training, for any
member of lsoftmax.margins; LSoftmaxLinear is its L-Softmax member.

The lambda schedule advances once per optimisation step: after every optimizer.step() of a
torch.optim optimiser that holds the layer's weight (a global optimiser step hook), or when
step_schedule() is called (for hand-written update loops). Forward passes never advance it,
so validation passes, gradient accumulation and several forwards per step see the same
lambda. The k-th training step (k = 1 first) uses schedule(k), as in the paper's code.
"""

from __future__ import annotations

import math
import warnings
import weakref

import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.optimizer import register_optimizer_step_post_hook

from lsoftmax.functional import (
    IGNORE_INDEX,
    REDUCTIONS,
    _check_inputs,
    _margin_cross_entropy,
    _margin_logits,
    check_ignore_index,
    plain_logits,
)
from lsoftmax.margin import as_integer, check_margin
from lsoftmax.margins import LSoftmax, as_margin, margin_from_params

COLLAPSE_CHECK_EVERY = 50  # optimisation steps between checks of the class-vector norms
COLLAPSE_RATIO = 0.05  # a class vector shorter than this times the median one counts as collapsed

COLLAPSE_CHECKS = 4  # warn when that many checks in a row find a collapse
COLLAPSE_ANGLE = 2.0  # degrees; two class vectors closer than this (or 1/10 of 360 / K) count as collapsed
MAX_CLASSES_CHECKED = 2048  # the angle check costs K^2: skipped for more classes


def _smallest_angle_degrees(weight: torch.Tensor, norms: torch.Tensor) -> float:
    """The smallest angle between two rows of weight (zero rows ignored), in degrees."""
    units = weight / norms.clamp_min(1e-30)[:, None]
    cosines = (units @ units.T).fill_diagonal_(-1.0)
    return float(torch.rad2deg(torch.acos(cosines.max().clamp(-1.0, 1.0))))


_HEADS: weakref.WeakSet = weakref.WeakSet()  # every MarginLinear alive, for the optimiser hook
_HOOK_HANDLE = None


def _after_optimizer_step(optimizer, args, kwargs) -> None:
    """Advance the schedule of every live MarginLinear whose weight this optimiser holds."""
    heads = list(_HEADS)
    if not heads:
        return
    held = {id(param) for group in optimizer.param_groups for param in group["params"]}
    for head in heads:
        if id(head.weight) in held:
            head.step_schedule()


def _install_hook() -> None:
    global _HOOK_HANDLE
    if _HOOK_HANDLE is None:
        _HOOK_HANDLE = register_optimizer_step_post_hook(_after_optimizer_step)


class MarginLinear(nn.Module):
    """weight (K, D), no bias. forward(x, target) gives the member's margin logits when
    training with a target (lsoftmax.margin_logits at the current lambda); its plain logits
    scale_j cos(theta_j) otherwise, whose argmax is the prediction.

    margin: a member of lsoftmax.margins, or an integer m (LSoftmax(m)).
    lambda_schedule: anything with .schedule(iteration) -> float, e.g. LambdaSchedule; None
    means lambda = 0, the member's own loss. It advances once per optimisation step (see the
    module docstring). ignore_index: targets equal to it keep plain logits, as in
    F.cross_entropy (pass the same value there).

    The state_dict holds the weight, the step count and the margin's parameters; loading a
    state saved with other margin parameters raises ValueError.
    """

    def __init__(self, in_features: int, num_classes: int, margin, lambda_schedule=None, ignore_index=IGNORE_INDEX):
        super().__init__()
        in_features = as_integer(in_features, "in_features", 1)
        num_classes = as_integer(num_classes, "num_classes", 2)
        if lambda_schedule is not None and not callable(getattr(lambda_schedule, "schedule", None)):
            raise ValueError(f"lambda_schedule must have a schedule(iteration) method, got {lambda_schedule!r}")
        self.in_features = in_features
        self.num_classes = num_classes
        self.margin = as_margin(margin)
        self.ignore_index = check_ignore_index(ignore_index)
        self.lambda_schedule = lambda_schedule
        self.iteration = 0  # optimisation steps taken; the next training forward uses schedule(iteration + 1)
        self._collapse_warned = False
        self._collapse_checks = 0  # checks in a row that found a collapsed class
        # lambda of the next training forward, as a tensor so that a compiled forward reads it without recompiling
        self.register_buffer("lambda_value", torch.tensor(self.current_lambda(), dtype=torch.float64), persistent=False)
        self.weight = nn.Parameter(torch.empty(num_classes, in_features))
        self.reset_parameters()
        _HEADS.add(self)
        _install_hook()

    def __setstate__(self, state) -> None:
        # copy.deepcopy and pickle rebuild a module without __init__: register the copy for the step hook too
        super().__setstate__(state)
        _HEADS.add(self)
        _install_hook()

    def reset_parameters(self) -> None:
        """Same initialisation as nn.Linear's weight (rows are class vectors)."""
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))

    @property
    def last_lambda(self) -> float:
        """lambda of the current step (what a training forward uses now)."""
        return self.current_lambda()

    def current_lambda(self, iteration: int | None = None) -> float:
        """lambda at this schedule iteration (default: the current step's, iteration + 1)."""
        if self.lambda_schedule is None:
            return 0.0
        return float(self.lambda_schedule.schedule(self.iteration + 1 if iteration is None else iteration))

    def step_schedule(self) -> None:
        """Advance the schedule by one optimisation step (called by the optimiser hook; call it
        yourself after each update in a hand-written loop)."""
        self.iteration += 1
        self.lambda_value.fill_(self.current_lambda())
        if self.iteration % COLLAPSE_CHECK_EVERY == 0:
            self._check_collapse()

    def _check_collapse(self) -> None:
        """Warn once when a class vector has shrunk to almost nothing or two of them point the same
        way: that class can then no longer be predicted (bench/collapse.py measures when)."""
        if self._collapse_warned:
            return
        with torch.no_grad():
            weight = self.weight.detach().float()
            norms = torch.linalg.vector_norm(weight, dim=1)
            shortest, median = float(norms.min()), float(norms.median())
            closest = _smallest_angle_degrees(weight, norms) if self.num_classes <= MAX_CLASSES_CHECKED else 180.0
        problem = None
        if not self.margin.normalises_weight and shortest < COLLAPSE_RATIO * median:
            problem = f"class {int(norms.argmin())}'s weight norm fell to {shortest:.3g} (median {median:.3g})"
        elif closest < min(COLLAPSE_ANGLE, 0.1 * 360.0 / self.num_classes):
            problem = f"two class vectors are only {closest:.2g} degrees apart"
        self._collapse_checks = self._collapse_checks + 1 if problem is not None else 0
        if self._collapse_checks >= COLLAPSE_CHECKS:  # persistent: not a brief crossing early in training
            self._collapse_warned = True
            warnings.warn(
                f"MarginLinear: {problem} at step {self.iteration}; a class can no longer be predicted. "
                "This happens with lambda = 0 from the start on low-dimensional features: anneal lambda "
                "(lambda_schedule=LambdaSchedule(...)) with lambda_min > 0.",
                RuntimeWarning,
                stacklevel=2,
            )

    def _check_x(self, x) -> None:
        if not isinstance(x, torch.Tensor):
            raise ValueError(f"x must be a torch.Tensor, got {type(x).__name__}")
        if x.dim() != 2 or x.shape[1] != self.in_features:
            raise ValueError(
                f"x must have shape (N, {self.in_features}) (in_features = {self.in_features}), "
                f"got shape {tuple(x.shape)}"
            )

    def forward(self, x: torch.Tensor, target: torch.Tensor | None = None) -> torch.Tensor:
        self._check_x(x)
        if not self.training or target is None:
            if x.dtype != self.weight.dtype:
                raise ValueError(f"x must have the weight's dtype {self.weight.dtype}, got {x.dtype}")
            return plain_logits(x, self.weight, self.margin)
        _check_inputs(x, self.weight, target, 0.0)
        lam = 0.0 if self.lambda_schedule is None else self.lambda_value
        return _margin_logits(x, self.weight, target, self.margin, lam, self.ignore_index)

    def loss(self, x: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
        """F.cross_entropy(self(x, target), target, ignore_index=self.ignore_index,
        reduction=reduction), fused: in training, lsoftmax.margin_cross_entropy at the current
        lambda (the same loss and gradients, at a fraction of the cost on small CPU problems);
        in eval mode the plain logits' cross-entropy (a validation loss)."""
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {', '.join(REDUCTIONS)}, got {reduction!r}")
        if not self.training:
            return F.cross_entropy(self(x), target, ignore_index=self.ignore_index, reduction=reduction)
        self._check_x(x)
        _check_inputs(x, self.weight, target, 0.0)
        lam = 0.0 if self.lambda_schedule is None else self.lambda_value
        return _margin_cross_entropy(x, self.weight, target, self.margin, lam, self.ignore_index, reduction)

    def get_extra_state(self):
        return {"iteration": self.iteration, "margin": self.margin.name, "margin_params": self.margin.params()}

    def set_extra_state(self, state) -> None:
        if "margin" in state:
            saved = margin_from_params(state["margin"], state["margin_params"])
            if saved != self.margin:
                raise ValueError(
                    f"state_dict margin must match this layer's: saved with {saved.describe()}, "
                    f"this layer has {self.margin.describe()}"
                )
        self.iteration = int(state["iteration"])
        self.lambda_value.fill_(self.current_lambda())

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, num_classes={self.num_classes}, "
            f"margin={self.margin.describe()}, iteration={self.iteration}"
        )


class LSoftmaxLinear(MarginLinear):
    """MarginLinear with LSoftmax(m): plain logits x @ weight.T at test time."""

    def __init__(self, in_features: int, num_classes: int, m: int, lambda_schedule=None, ignore_index=IGNORE_INDEX):
        super().__init__(in_features, num_classes, LSoftmax(m=check_margin(m)), lambda_schedule, ignore_index)

    @property
    def m(self) -> int:
        return self.margin.m
