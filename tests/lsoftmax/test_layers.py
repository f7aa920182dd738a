"""LSoftmaxLinear: parameters, plain logits at test time, the schedule while training."""

import numpy as np
import pytest
import torch

from lsoftmax import LambdaSchedule, LSoftmaxLinear, lsoftmax_logits


def _batch(n=16, d=3, k=4, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=generator), torch.randint(k, (n,), generator=generator)


def test_weight_shape_no_bias_and_initialised():
    layer = LSoftmaxLinear(3, 4, m=2)
    assert layer.weight.shape == (4, 3)
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    assert torch.isfinite(layer.weight).all() and layer.weight.abs().sum() > 0
    assert layer.m == 2


def test_two_layers_start_differently_but_reproducibly():
    torch.manual_seed(5)
    first = LSoftmaxLinear(3, 4, m=2).weight.detach().clone()
    torch.manual_seed(5)
    again = LSoftmaxLinear(3, 4, m=2).weight.detach().clone()
    assert torch.equal(first, again)
    assert not torch.equal(first, LSoftmaxLinear(3, 4, m=2).weight.detach())


@pytest.mark.parametrize("mode", ["eval with target", "train without target"])
def test_plain_logits_when_not_training_with_a_target(mode):
    layer = LSoftmaxLinear(3, 4, m=4, lambda_schedule=LambdaSchedule())
    x, target = _batch()
    if mode == "eval with target":
        layer.eval()
        out = layer(x, target)
    else:
        out = layer(x)
    assert torch.equal(out, x @ layer.weight.T)
    assert layer.iteration == 0


def test_the_schedule_advances_once_per_optimiser_step_not_per_forward():
    schedule = LambdaSchedule(base=1000.0, gamma=0.1, power=2.0, lambda_min=0.5)
    layer = LSoftmaxLinear(3, 4, m=3, lambda_schedule=schedule)
    optimizer = torch.optim.SGD(layer.parameters(), lr=0.01)
    x, target = _batch()
    for step in (1, 2, 3):
        lam = 1000.0 * (1 + 0.1 * step) ** -2.0
        for _ in range(2):  # two forwards (gradient accumulation) in one step: the same lambda
            out = layer(x, target)
            assert layer.iteration == step - 1
            assert layer.last_lambda == pytest.approx(lam)
            torch.testing.assert_close(out, lsoftmax_logits(x, layer.weight, target, 3, lam), rtol=1e-6, atol=1e-6)
            torch.nn.functional.cross_entropy(out, target).backward()
        optimizer.step()
        optimizer.zero_grad()
        assert layer.iteration == step


def test_a_validation_pass_under_no_grad_does_not_advance_the_schedule():
    layer = LSoftmaxLinear(3, 4, m=2, lambda_schedule=LambdaSchedule())
    optimizer = torch.optim.Adam(layer.parameters())
    x, target = _batch()
    torch.nn.functional.cross_entropy(layer(x, target), target).backward()
    optimizer.step()
    before = (layer.iteration, layer.last_lambda)
    with torch.no_grad():
        for _ in range(5):
            layer(x, target)  # still in train mode, as a careless validation loop would be
    assert (layer.iteration, layer.last_lambda) == before == (1, LambdaSchedule().schedule(2))


def test_an_optimiser_without_the_head_does_not_advance_it_and_step_schedule_does():
    layer = LSoftmaxLinear(3, 4, m=2, lambda_schedule=LambdaSchedule())
    other = torch.nn.Linear(2, 2)
    torch.optim.SGD(other.parameters(), lr=0.1).step()
    assert layer.iteration == 0
    layer.step_schedule()
    assert layer.iteration == 1 and layer.last_lambda == LambdaSchedule().schedule(2)


def test_default_schedule_means_lambda_zero():
    layer = LSoftmaxLinear(3, 4, m=4)
    x, target = _batch()
    out = layer(x, target)
    assert layer.last_lambda == 0.0
    assert torch.equal(out, lsoftmax_logits(x, layer.weight, target, 4, 0.0))


def test_gradient_reaches_the_weight():
    layer = LSoftmaxLinear(3, 4, m=2)
    x, target = _batch()
    torch.nn.functional.cross_entropy(layer(x, target), target).backward()
    assert layer.weight.grad is not None and torch.isfinite(layer.weight.grad).all()
    assert layer.weight.grad.abs().sum() > 0


def test_state_dict_round_trips_weight_and_iteration():
    schedule = LambdaSchedule()
    layer = LSoftmaxLinear(3, 4, m=2, lambda_schedule=schedule)
    for _ in range(7):
        layer.step_schedule()
    copy = LSoftmaxLinear(3, 4, m=2, lambda_schedule=schedule)
    copy.load_state_dict(layer.state_dict())
    assert copy.iteration == 7
    assert copy.last_lambda == pytest.approx(schedule.schedule(8))
    assert torch.equal(copy.weight, layer.weight)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("in_features", dict(in_features=0)),
        ("in_features", dict(in_features=2.0)),
        ("in_features", dict(in_features="3")),
        ("num_classes", dict(num_classes=np.float64(4.5))),
        ("num_classes", dict(num_classes=1)),
        ("num_classes", dict(num_classes=True)),
        ("m", dict(m=0)),
        ("m", dict(m=1.5)),
        ("lambda_schedule", dict(lambda_schedule=0.5)),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(name, kwargs):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        LSoftmaxLinear(**{**dict(in_features=3, num_classes=4, m=2), **kwargs})


def test_a_deep_copy_advances_with_its_own_optimiser():
    import copy

    layer = LSoftmaxLinear(3, 4, m=2, lambda_schedule=LambdaSchedule())
    clone = copy.deepcopy(layer)
    torch.optim.SGD(clone.parameters(), lr=0.1).step()
    assert (layer.iteration, clone.iteration) == (0, 1)
