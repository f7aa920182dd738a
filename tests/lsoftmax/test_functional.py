"""lsoftmax_logits against the reference values, a slow autograd reference, the analytic
gradient of reference section 1, pytorch-metric-learning, and the edge cases of section 5."""

import math

import pytest
import torch
import torch.nn.functional as F
from pytorch_metric_learning.losses import LargeMarginSoftmaxLoss

from lsoftmax import lsoftmax_logits

MARGINS = range(1, 9)


def slow_psi(theta: torch.Tensor, m: int) -> torch.Tensor:
    """Eq 6 with the segment k found by a loop; differentiable through theta."""
    k = min(int(theta.item() * m / math.pi), m - 1)
    return (-1) ** k * torch.cos(m * theta) - 2 * k


def reference_logits(x, weight, target, m, lam=0.0):
    """Eq 4 with the lambda blend, one row at a time, through acos (fine away from c = +-1)."""
    rows = []
    for i in range(x.shape[0]):
        plain = weight @ x[i]  # (K,)
        w_row = weight[target[i]]
        scale = torch.linalg.vector_norm(x[i]) * torch.linalg.vector_norm(w_row)
        theta = torch.acos(plain[target[i]] / scale)
        margin = (lam * plain[target[i]] + scale * slow_psi(theta, m)) / (1 + lam)
        rows.append(torch.where(torch.arange(weight.shape[0]) == target[i], margin, plain))
    return torch.stack(rows)


def random_problem(n=12, d=3, k=5, dtype=torch.float64, seed=0, requires_grad=True):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=generator, dtype=dtype).requires_grad_(requires_grad)
    weight = torch.randn(k, d, generator=generator, dtype=dtype).requires_grad_(requires_grad)
    target = torch.randint(k, (n,), generator=generator)
    return x, weight, target


# ------------------------------------------------------------ reference values


@pytest.mark.parametrize(("lam", "expected"), [(0.0, -2.8284271247), (1.0, -0.4142135624)])
def test_lambda_blend_reference_example(lam, expected):
    weight = torch.tensor([[1.0, 1.0], [0.5, -2.0]], dtype=torch.float64)
    x = torch.tensor([[2.0, 0.0]], dtype=torch.float64)
    logits = lsoftmax_logits(x, weight, torch.tensor([0]), 4, lam)
    assert logits[0, 0].item() == pytest.approx(expected, abs=1e-10)
    assert logits[0, 1].item() == 1.0  # the other logit stays W.x


# ---------------------------------------------------- against independent maths


@pytest.mark.parametrize("m", MARGINS)
@pytest.mark.parametrize("lam", [0.0, 0.5, 7.0])
def test_matches_slow_reference_values_and_gradients(m, lam):
    x, weight, target = random_problem(seed=m)
    ours = lsoftmax_logits(x, weight, target, m, lam)
    expected = reference_logits(x, weight, target, m, lam)
    torch.testing.assert_close(ours, expected, rtol=1e-12, atol=1e-12)
    upstream = torch.randn(ours.shape, dtype=ours.dtype, generator=torch.Generator().manual_seed(1))
    ours_grads = torch.autograd.grad(ours, (x, weight), upstream)
    expected_grads = torch.autograd.grad(expected, (x, weight), upstream)
    for got, want in zip(ours_grads, expected_grads, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("m", range(1, 7))
@pytest.mark.parametrize("lam", [0.0, 2.5])
def test_gradcheck_float64(m, lam):
    x, weight, target = random_problem(n=6, d=3, k=4, seed=10 + m)
    # Random points are almost surely away from the junctions k pi/m; gradcheck's
    # eps = 1e-6 steps would still see psi's finite slope there (it is smooth in c).
    assert torch.autograd.gradcheck(lambda x, w: lsoftmax_logits(x, w, target, m, lam), (x, weight))


@pytest.mark.parametrize("m", range(2, 7))
def test_gradient_matches_section_one_formula(m):
    """df/dx = g W + (|W|/|x|)(psi - c g) x and df/dW = g x + (|x|/|W|)(psi - c g) W,
    g = (-1)^k T_m'(c) with T_m'(cos theta) = m sin(m theta) / sin(theta)."""
    x, weight, target = random_problem(n=8, d=4, k=3, seed=20 + m)
    logits = lsoftmax_logits(x, weight, target, m)
    picked = logits.gather(1, target.unsqueeze(1)).sum()
    grad_x, grad_w = torch.autograd.grad(picked, (x, weight))
    expected_x = torch.zeros_like(x)
    expected_w = torch.zeros_like(weight)
    with torch.no_grad():
        for i in range(x.shape[0]):
            w_row, x_row = weight[target[i]], x[i]
            x_norm, w_norm = x_row.norm().item(), w_row.norm().item()
            c = (w_row @ x_row).item() / (x_norm * w_norm)
            theta = math.acos(c)
            k = min(int(theta * m / math.pi), m - 1)
            g = (-1) ** k * m * math.sin(m * theta) / math.sin(theta)
            psi_value = (-1) ** k * math.cos(m * theta) - 2 * k
            expected_x[i] = g * w_row + (w_norm / x_norm) * (psi_value - c * g) * x_row
            expected_w[target[i]] += g * x_row + (x_norm / w_norm) * (psi_value - c * g) * w_row
    torch.testing.assert_close(grad_x, expected_x, rtol=1e-9, atol=1e-10)
    torch.testing.assert_close(grad_w, expected_w, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("m", [1, 2, 3, 4])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cross_entropy_matches_pytorch_metric_learning(m, seed):
    """Its LargeMarginSoftmaxLoss with scale=1 and no weight regulariser is the same loss:
    its W is (D, K) (class vectors as columns), so it gets our weight transposed."""
    x, weight, target = random_problem(n=64, d=6, k=7, seed=seed)
    reference = LargeMarginSoftmaxLoss(num_classes=7, embedding_size=6, margin=m, scale=1).to(torch.float64)
    with torch.no_grad():
        reference.W.copy_(weight.T)
    expected = reference(x, target)
    ours = F.cross_entropy(lsoftmax_logits(x, weight, target, m), target)
    torch.testing.assert_close(ours, expected, rtol=1e-12, atol=1e-12)
    expected_grad = torch.autograd.grad(expected, x)[0]
    torch.testing.assert_close(torch.autograd.grad(ours, x)[0], expected_grad, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("m", [2, 4, 8])
def test_float32_agrees_with_float64(m):
    x, weight, target = random_problem(n=200, d=5, k=6, seed=m, requires_grad=False)
    single = lsoftmax_logits(x.float(), weight.float(), target, m)
    double = lsoftmax_logits(x, weight, target, m)
    torch.testing.assert_close(single.double(), double, rtol=1e-4, atol=1e-4)


# ---------------------------------------------------------- exact identities


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_m1_is_exactly_the_plain_logits(dtype):
    x, weight, target = random_problem(dtype=dtype)
    logits = lsoftmax_logits(x, weight, target, 1, lam=3.0)
    assert torch.equal(logits, x @ weight.T)


@pytest.mark.parametrize("m", MARGINS)
@pytest.mark.parametrize("lam", [0.0, 1.5])
def test_non_target_logits_are_exactly_plain(m, lam):
    x, weight, target = random_problem(n=40, dtype=torch.float32, seed=m, requires_grad=False)
    logits = lsoftmax_logits(x, weight, target, m, lam)
    others = torch.ones_like(logits, dtype=torch.bool).scatter(1, target.unsqueeze(1), False)
    assert torch.equal(logits[others], (x @ weight.T)[others])


def test_int32_target_and_empty_batch():
    x, weight, target = random_problem(requires_grad=False)
    torch.testing.assert_close(
        lsoftmax_logits(x, weight, target.int(), 3), lsoftmax_logits(x, weight, target, 3), rtol=0, atol=0
    )
    empty = lsoftmax_logits(x[:0], weight, target[:0], 3)
    assert empty.shape == (0, weight.shape[0])


@pytest.mark.parametrize("requires", [(True, False), (False, True)])
def test_gradient_to_one_input_only(requires):
    x, weight, target = random_problem(requires_grad=False)
    x.requires_grad_(requires[0])
    weight.requires_grad_(requires[1])
    leaf = x if requires[0] else weight
    got = torch.autograd.grad(lsoftmax_logits(x, weight, target, 3).sum(), leaf)[0]
    expected = torch.autograd.grad(reference_logits(x, weight, target, 3).sum(), leaf)[0]
    torch.testing.assert_close(got, expected, rtol=1e-9, atol=1e-10)


# --------------------------------------------------------------- edge cases


def _finite_forward_backward(x, weight, target, m, lam=0.0):
    x = x.detach().requires_grad_()
    weight = weight.detach().requires_grad_()
    logits = lsoftmax_logits(x, weight, target, m, lam)
    grad_x, grad_w = torch.autograd.grad((logits * torch.linspace(-1, 1, logits.shape[1])).sum(), (x, weight))
    for name, tensor in (("logits", logits), ("grad x", grad_x), ("grad weight", grad_w)):
        assert torch.isfinite(tensor).all(), f"{name} not finite for m={m}"
    return logits


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("m", MARGINS)
@pytest.mark.parametrize("lam", [0.0, 2.0])
def test_zero_feature_gives_finite_output_and_gradient(dtype, m, lam):
    x, weight, target = random_problem(n=5, dtype=dtype, requires_grad=False)
    x[2] = 0.0
    logits = _finite_forward_backward(x, weight, target, m, lam)
    assert torch.equal(logits[2], torch.zeros_like(logits[2]))


@pytest.mark.parametrize("m", MARGINS)
def test_parallel_float32_feature_gives_norm_product(m):
    generator = torch.Generator().manual_seed(m)
    weight = torch.randn(6, 16, generator=generator) * torch.rand(6, 1, generator=generator) * 5
    target = torch.randint(6, (5000,), generator=generator)
    x = weight[target] * (0.01 + 10 * torch.rand(5000, 1, generator=generator))
    logits = _finite_forward_backward(x, weight, target, m)
    expected = torch.linalg.vector_norm(x, dim=1) * torch.linalg.vector_norm(weight[target], dim=1)
    torch.testing.assert_close(logits.gather(1, target.unsqueeze(1)).squeeze(1), expected, rtol=2e-5, atol=0)
    # Anti-parallel: theta = pi, psi = 1 - 2m.
    opposite = _finite_forward_backward(-x, weight, target, m)
    torch.testing.assert_close(
        opposite.gather(1, target.unsqueeze(1)).squeeze(1), (1 - 2 * m) * expected, rtol=2e-5, atol=0
    )


@pytest.mark.parametrize(
    ("dtype", "scale"),
    [(torch.float32, 1e15), (torch.float32, 1e-30), (torch.float64, 1e150), (torch.float64, 1e-150)],
)
@pytest.mark.parametrize("m", [2, 4, 7])
def test_huge_and_tiny_norms_stay_finite(dtype, scale, m):
    x, weight, target = random_problem(n=30, dtype=dtype, requires_grad=False)
    _finite_forward_backward(x * scale, weight, target, m)
    _finite_forward_backward(x, weight * scale, target, m)


# ------------------------------------------------------------------ bad input


def _bad_calls():
    x, weight, target = random_problem(requires_grad=False)
    nan_x = x.clone()
    nan_x[1, 1] = float("nan")
    inf_w = weight.clone()
    inf_w[0, 0] = float("inf")
    return [
        ("m", dict(m=0)),
        ("m", dict(m=2.5)),
        ("m", dict(m=True)),
        ("x", dict(x=x[0])),
        ("x", dict(x=x.numpy())),
        ("weight", dict(weight=weight[:, :2])),
        ("weight", dict(weight=weight[0])),
        ("target", dict(target=target[:-1])),
        ("target", dict(target=target.unsqueeze(1))),
        ("target", dict(target=target.float())),
        ("target", dict(target=torch.full_like(target, weight.shape[0]))),
        ("target", dict(target=torch.full_like(target, -1))),
        ("x", dict(x=nan_x)),
        ("weight", dict(weight=inf_w)),
        ("x and weight", dict(weight=weight.float())),
        ("lam", dict(lam=-0.5)),
        ("lam", dict(lam=float("nan"))),
        ("lam", dict(lam=True)),
    ], dict(x=x, weight=weight, target=target, m=2, lam=0.0)


@pytest.mark.parametrize("index", range(len(_bad_calls()[0])))
def test_bad_input_raises_value_error_naming_the_argument(index):
    cases, good = _bad_calls()
    name, change = cases[index]
    with pytest.raises(ValueError, match=rf"^{name} must"):
        lsoftmax_logits(**{**good, **change})


# ------------------------------------------------------------------------ CUDA

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@CUDA
@pytest.mark.parametrize("m", [1, 2, 4, 8])
@pytest.mark.parametrize("lam", [0.0, 3.0])
def test_cuda_matches_cpu(m, lam):
    x, weight, target = random_problem(n=300, d=7, k=9, seed=m, requires_grad=False)
    x[3] = 0.0  # a zero feature
    x[4] = 2.5 * weight[target[4]]  # a parallel one
    x.requires_grad_()
    weight.requires_grad_()
    on_cpu = lsoftmax_logits(x, weight, target, m, lam)
    cpu_grads = torch.autograd.grad(on_cpu.sum(), (x, weight))
    cuda_inputs = [t.detach().cuda().requires_grad_() for t in (x, weight)]
    on_cuda = lsoftmax_logits(*cuda_inputs, target.cuda(), m, lam)
    torch.testing.assert_close(on_cuda.cpu(), on_cpu, rtol=1e-12, atol=1e-12)
    for got, want in zip(torch.autograd.grad(on_cuda.sum(), cuda_inputs), cpu_grads, strict=True):
        torch.testing.assert_close(got.cpu(), want, rtol=1e-10, atol=1e-10)
    single = [t.detach().float().cuda().requires_grad_() for t in (x, weight)]
    out = lsoftmax_logits(*single, target.cuda(), m, lam)
    assert all(torch.isfinite(t).all() for t in (out, *torch.autograd.grad(out.sum(), single)))


@CUDA
def test_cuda_bad_target_raises_value_error():
    x, weight, target = random_problem(requires_grad=False)
    with pytest.raises(ValueError, match=r"^target must"):
        lsoftmax_logits(x.cuda(), weight.cuda(), torch.full_like(target, 99).cuda(), 2)
    with pytest.raises(ValueError, match=r"^x, weight and target must"):
        lsoftmax_logits(x.cuda(), weight, target, 2)
