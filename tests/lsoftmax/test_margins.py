"""The margin family (lsoftmax.margins, margin_logits) against independent code:
pytorch-metric-learning's SphereFaceLoss, CosFaceLoss and ArcFaceLoss, slow per-row loops of
each member's formula written here from margin-family.md, gradcheck, and the edge cases."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from pytorch_metric_learning.losses import ArcFaceLoss, CosFaceLoss, LargeMarginSoftmaxLoss, SphereFaceLoss

from lsoftmax import lsoftmax_logits, margin_logits
from lsoftmax.margins import ArcFace, CombinedMargin, CosFace, LSoftmax, SphereFace, as_margin

MEMBERS = [
    LSoftmax(m=3),
    SphereFace(m=4),
    CosFace(m=0.35, s=30.0),
    ArcFace(m=0.5, s=64.0),
    CombinedMargin(m1=1.0, m2=0.3, m3=0.2, s=64.0),
    CombinedMargin(m1=1.35, m2=0.2, m3=0.1, s=16.0),
]
IDS = [member.describe() for member in MEMBERS]


def random_problem(n=40, d=5, k=7, dtype=torch.float64, seed=0, requires_grad=True):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=generator, dtype=dtype).requires_grad_(requires_grad)
    weight = torch.randn(k, d, generator=generator, dtype=dtype).requires_grad_(requires_grad)
    target = torch.randint(k, (n,), generator=generator)
    return x, weight, target


# ------------------------------------------------------- pytorch-metric-learning


def pml_loss(member, k, d):
    """PML's class for a member, with its own parameter conventions (ArcFace's margin in degrees)."""
    if isinstance(member, SphereFace):
        return SphereFaceLoss(num_classes=k, embedding_size=d, margin=member.m, scale=1)
    if isinstance(member, LSoftmax):
        return LargeMarginSoftmaxLoss(num_classes=k, embedding_size=d, margin=member.m, scale=1)
    if isinstance(member, CosFace):
        return CosFaceLoss(num_classes=k, embedding_size=d, margin=member.m, scale=member.s)
    return ArcFaceLoss(num_classes=k, embedding_size=d, margin=math.degrees(member.m), scale=member.s)


PML_MEMBERS = [LSoftmax(m=2), LSoftmax(m=4), SphereFace(m=2), SphereFace(m=4), CosFace(m=0.35, s=30.0)]
PML_MEMBERS += [CosFace(m=0.2, s=64.0), ArcFace(m=0.5, s=64.0), ArcFace(m=0.3, s=10.0)]


@pytest.mark.parametrize("member", PML_MEMBERS, ids=lambda member: member.describe())
@pytest.mark.parametrize("d", [2, 3, 8, 64, 128])  # 128: more features than rows
def test_loss_and_gradients_match_pytorch_metric_learning(member, d):
    """Same loss and gradients to 1e-10 in float64; PML stores W as (D, K), so it gets ours transposed."""
    x, weight, target = random_problem(n=64, d=d, k=9, seed=d)
    reference = pml_loss(member, 9, d).to(torch.float64)
    with torch.no_grad():
        reference.W.copy_(weight.T)
    expected = reference(x, target)
    expected_x, expected_w = torch.autograd.grad(expected, (x, reference.W))
    ours = F.cross_entropy(margin_logits(x, weight, target, member), target)
    grad_x, grad_w = torch.autograd.grad(ours, (x, weight))
    torch.testing.assert_close(ours, expected, rtol=0, atol=1e-10)
    torch.testing.assert_close(grad_x, expected_x, rtol=0, atol=1e-10)
    torch.testing.assert_close(grad_w, expected_w.T, rtol=0, atol=1e-10)


# --------------------------------------------------------------- slow loops


def slow_target(member, theta: float) -> float:
    """t(theta) read off margin-family.md section 1, one angle at a time."""
    if isinstance(member, LSoftmax):
        k = min(int(theta * member.m / math.pi), member.m - 1)
        return (-1) ** k * math.cos(member.m * theta) - 2 * k
    if isinstance(member, CosFace):
        return math.cos(theta) - member.m
    if isinstance(member, ArcFace):
        if theta <= math.pi - member.m:
            return math.cos(theta + member.m)
        return math.cos(theta) - member.m * math.sin(member.m)
    turn = (math.pi - member.m2) / member.m1
    if theta <= turn:
        return math.cos(member.m1 * theta + member.m2) - member.m3
    return math.cos(theta) - math.cos(turn) - 1.0 - member.m3  # the continuation this library chose


def slow_logits(x, weight, target, member, lam=0.0):
    """Eq 4 generalised, one row and one class at a time in Python floats."""
    x, weight = x.detach().numpy(), weight.detach().numpy()
    rows = []
    for i in range(len(x)):
        x_norm = math.sqrt(sum(v * v for v in x[i]))
        row = []
        for j in range(len(weight)):
            w_norm = math.sqrt(sum(v * v for v in weight[j]))
            cosine = sum(a * b for a, b in zip(x[i], weight[j], strict=True)) / (x_norm * w_norm)
            cosine = max(-1.0, min(1.0, cosine))
            if member.normalises_feature:
                scale = member.s
            elif member.normalises_weight:
                scale = x_norm
            else:
                scale = x_norm * w_norm
            logit = scale * cosine
            if j == target[i]:
                logit = (lam * scale * cosine + scale * slow_target(member, math.acos(cosine))) / (1 + lam)
            row.append(logit)
        rows.append(row)
    return torch.tensor(rows, dtype=torch.float64)


@pytest.mark.parametrize("member", MEMBERS, ids=IDS)
@pytest.mark.parametrize("lam", [0.0, 2.5])
def test_logits_match_a_slow_loop_of_the_formula(member, lam):
    x, weight, target = random_problem(n=30, d=4, k=5, seed=3)
    ours = margin_logits(x, weight, target, member, lam)
    torch.testing.assert_close(ours.detach(), slow_logits(x, weight, target, member, lam), rtol=1e-12, atol=1e-12)


def test_combined_margin_reaches_the_continuation_and_arcface_is_its_special_case():
    combined = CombinedMargin(m1=2.0, m2=0.4, m3=0.1, s=1.0)
    thetas = np.linspace(0.0, math.pi, 2001)
    values = combined.target(thetas)
    expected = np.array([slow_target(combined, theta) for theta in thetas])
    np.testing.assert_allclose(values, expected, atol=1e-12)
    assert np.all(np.diff(values) <= 1e-12) and np.all(values <= np.cos(thetas) + 1e-12)
    arcface, same = ArcFace(m=0.5, s=1.0), CombinedMargin(m1=1.0, m2=0.5, m3=0.0, s=1.0)
    below = thetas[thetas <= math.pi - 0.5]
    np.testing.assert_allclose(same.target(below), arcface.target(below), atol=1e-12)


@pytest.mark.parametrize("member", MEMBERS, ids=IDS)
def test_every_member_decreases_and_stays_below_cos(member):
    thetas = np.linspace(0.0, math.pi, 20001)
    values = member.target(thetas)
    assert np.all(np.diff(values) <= 1e-12)
    assert np.all(values <= np.cos(thetas) + 1e-12)


@pytest.mark.parametrize("member", MEMBERS, ids=IDS)
def test_slope_is_the_derivative_of_the_target(member):
    """dt/dc against a central difference of the member's own t, away from its breakpoints."""
    cosines = np.linspace(-0.99, 0.99, 397)
    thetas = np.arccos(cosines)
    far = np.all(np.abs(thetas[:, None] - np.array([*member.breakpoints(), -9.0])[None, :]) > 1e-3, axis=1)
    step = 1e-6
    numeric = (member.target_and_slope(cosines + step)[0] - member.target_and_slope(cosines - step)[0]) / (2 * step)
    slope = np.broadcast_to(member.target_and_slope(cosines)[1], cosines.shape)
    np.testing.assert_allclose(slope[far], numeric[far], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("member", MEMBERS, ids=IDS)
@pytest.mark.parametrize("top", [1.0, math.pi], ids=["angles below 1 rad", "angles up to pi"])
def test_numpy_and_torch_give_the_slow_target_and_its_slope(member, top):
    """Below 1 rad no angle is past ArcFace's or the combined margin's branch point, and on
    numpy arrays they then skip their second branch; a tensor always takes both."""
    thetas = np.linspace(0.0, top, 402)[1:-1]
    cosines = np.cos(thetas)
    target, slope = member.target_and_slope(cosines)
    slope = np.broadcast_to(slope, cosines.shape)
    tensor_target, tensor_slope = member.target_and_slope(torch.from_numpy(cosines))
    np.testing.assert_allclose(target, [slow_target(member, theta) for theta in thetas], rtol=0, atol=1e-12)
    np.testing.assert_allclose(tensor_target.numpy(), target, rtol=0, atol=1e-15)
    np.testing.assert_allclose(np.broadcast_to(np.asarray(tensor_slope), cosines.shape), slope, rtol=0, atol=1e-12)
    step = 1e-7
    numeric = [(slow_target(member, math.acos(c + step)) - slow_target(member, math.acos(c - step))) / (2 * step)
               for c in cosines]  # fmt: skip
    far = np.all(np.abs(thetas[:, None] - np.array([*member.breakpoints(), -9.0])[None, :]) > 1e-3, axis=1)
    far &= np.sin(thetas) > 0.1  # near 0 and pi the slope grows like 1 / sin: a difference quotient is poor there
    np.testing.assert_allclose(slope[far], np.array(numeric)[far], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("member", MEMBERS, ids=IDS)
def test_autograd_through_a_tensor_target_gives_the_slope(member):
    """t on a tensor that requires grad keeps its graph (a user exploring a member may
    differentiate it); away from the breakpoints and c = +-1 its derivative is the slope."""
    cosines = torch.linspace(-0.95, 0.95, 381, dtype=torch.float64, requires_grad=True)
    target, slope = member.target_and_slope(cosines)
    (derivative,) = torch.autograd.grad(target.sum(), cosines)
    thetas = np.arccos(cosines.detach().numpy())
    far = np.all(np.abs(thetas[:, None] - np.array([*member.breakpoints(), -9.0])[None, :]) > 1e-3, axis=1)
    slope = torch.broadcast_to(torch.as_tensor(slope, dtype=torch.float64), cosines.shape).detach()
    torch.testing.assert_close(derivative[far], slope[far], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("member", MEMBERS, ids=IDS)
def test_lipschitz_bound_holds(member):
    thetas = np.linspace(0.0, math.pi, 200001)
    values = member.target(thetas)
    jumps = np.abs(np.diff(values)) / np.diff(thetas)
    breaks = np.array([*member.breakpoints(), -9.0])
    away = np.all(np.abs(thetas[:-1, None] - breaks[None, :]) > 1e-4, axis=1)
    assert np.max(jumps[away]) <= member.lipschitz() + 1e-6


# ---------------------------------------------------------------- gradcheck


@pytest.mark.parametrize("member", MEMBERS, ids=IDS)
@pytest.mark.parametrize("lam", [0.0, 1.5])
@pytest.mark.parametrize("n, d", [(6, 3), (3, 7)], ids=["N>D", "N<D"])
def test_gradcheck_float64(member, lam, n, d):
    x, weight, target = random_problem(n=n, d=d, k=4, seed=11)
    assert torch.autograd.gradcheck(lambda x, w: margin_logits(x, w, target, member, lam), (x, weight))


@pytest.mark.parametrize("member", MEMBERS, ids=IDS)
def test_gradient_to_one_input_only(member):
    for which in (0, 1):
        x, weight, target = random_problem(n=8, d=3, k=4, seed=12, requires_grad=False)
        leaf = (x, weight)[which].requires_grad_()
        got = torch.autograd.grad(margin_logits(x, weight, target, member).sum(), leaf)[0]
        both = [tensor.detach().requires_grad_() for tensor in (x, weight)]
        expected = torch.autograd.grad(margin_logits(*both, target, member).sum(), both[which])[0]
        torch.testing.assert_close(got, expected, rtol=0, atol=0)


# --------------------------------------------------------------- edge cases


def _forward_backward(x, weight, target, member, lam=0.0):
    x = x.detach().requires_grad_()
    weight = weight.detach().requires_grad_()
    logits = margin_logits(x, weight, target, member, lam)
    grads = torch.autograd.grad((logits * torch.linspace(-1, 1, logits.shape[1], dtype=x.dtype)).sum(), (x, weight))
    for name, tensor in (("logits", logits), ("grad x", grads[0]), ("grad weight", grads[1])):
        assert torch.isfinite(tensor).all(), f"{name} not finite for {member.describe()}"
    return logits.detach()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("member", MEMBERS, ids=IDS)
@pytest.mark.parametrize("lam", [0.0, 2.0])
def test_zero_feature_gives_zero_logits_and_finite_gradients(dtype, member, lam):
    x, weight, target = random_problem(n=5, dtype=dtype, requires_grad=False)
    x[2] = 0.0
    logits = _forward_backward(x, weight, target, member, lam)
    assert torch.equal(logits[2], torch.zeros_like(logits[2]))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("member", MEMBERS, ids=IDS)
def test_parallel_and_antiparallel_features(dtype, member):
    """theta = 0 gives scale t(0), theta = pi gives scale t(pi); finite gradients in both."""
    generator = torch.Generator().manual_seed(4)
    weight = (torch.randn(6, 16, generator=generator) * torch.rand(6, 1, generator=generator) * 5).to(dtype)
    target = torch.randint(6, (2000,), generator=generator)
    x = weight[target] * (0.01 + 10 * torch.rand(2000, 1, generator=generator)).to(dtype)
    for sign, theta in ((1.0, 0.0), (-1.0, math.pi)):
        logits = _forward_backward(sign * x, weight, target, member)
        x_norm = torch.linalg.vector_norm(x, dim=1).double()
        w_norm = torch.linalg.vector_norm(weight[target], dim=1).double()
        scale = member.s if member.normalises_feature else x_norm * (1.0 if member.normalises_weight else w_norm)
        expected = scale * slow_target(member, theta) * torch.ones_like(x_norm)
        got = logits.gather(1, target.unsqueeze(1)).squeeze(1).double()
        # ArcFace and the combined margin have a nonzero slope in theta at 0 and pi, where a rounded
        # c = 1 - eps already means theta ~ sqrt(2 eps): their values are exact to that much only.
        kinked = isinstance(member, (ArcFace, CombinedMargin))
        atol = 2 * member.s * math.sqrt(torch.finfo(dtype).eps) if kinked else 3e-5 * (member.scale or 1.0)
        torch.testing.assert_close(got, expected, rtol=3e-5, atol=atol)


@pytest.mark.parametrize("member", MEMBERS, ids=IDS)
def test_float32_agrees_with_float64(member):
    x, weight, target = random_problem(n=200, d=5, k=6, seed=5, requires_grad=False)
    single = margin_logits(x.float(), weight.float(), target, member)
    double = margin_logits(x, weight, target, member)
    torch.testing.assert_close(single.double(), double, rtol=1e-4, atol=1e-4 * (member.scale or 1.0))


@pytest.mark.parametrize("member", MEMBERS, ids=IDS)
def test_non_target_logits_are_the_plain_ones(member):
    from lsoftmax.functional import plain_logits

    x, weight, target = random_problem(n=40, seed=6, requires_grad=False)
    logits = margin_logits(x, weight, target, member, lam=1.0)
    others = torch.ones_like(logits, dtype=torch.bool).scatter(1, target.unsqueeze(1), False)
    torch.testing.assert_close(logits[others], plain_logits(x, weight, member)[others], rtol=1e-14, atol=1e-13)


def test_lsoftmax_logits_is_the_lsoftmax_member():
    x, weight, target = random_problem(seed=7)
    for m in range(1, 6):
        expected = margin_logits(x, weight, target, LSoftmax(m=m), 0.7)
        assert torch.equal(lsoftmax_logits(x, weight, target, m, 0.7), expected)
        assert torch.equal(margin_logits(x, weight, target, m), margin_logits(x, weight, target, LSoftmax(m=m)))


# ----------------------------------------------------------------- ignore_index


@pytest.mark.parametrize("member", MEMBERS, ids=IDS)
def test_ignore_index_rows_stay_plain_and_cross_entropy_ignores_them(member):
    x, weight, target = random_problem(n=20, seed=8)
    ignored = target.clone()
    ignored[[1, 5, 6]] = -100
    logits = margin_logits(x, weight, ignored, member)
    ours = F.cross_entropy(logits, ignored)
    keep = ignored != -100
    expected = F.cross_entropy(margin_logits(x[keep], weight, target[keep], member), target[keep])
    torch.testing.assert_close(ours, expected, rtol=1e-13, atol=1e-13)
    torch.testing.assert_close(torch.autograd.grad(ours, weight)[0], torch.autograd.grad(expected, weight)[0])
    from lsoftmax.functional import plain_logits

    torch.testing.assert_close(logits[~keep], plain_logits(x, weight, member)[~keep])
    custom = target.clone()
    custom[3] = -1
    assert torch.isfinite(margin_logits(x, weight, custom, member, ignore_index=-1)).all()
    with pytest.raises(ValueError, match=r"^target must"):
        margin_logits(x, weight, custom, member)


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("factory", "kwargs", "name"),
    [
        (LSoftmax, dict(m=0), "m"),
        (LSoftmax, dict(m=2.5), "m"),
        (SphereFace, dict(m=True), "m"),
        (CosFace, dict(m=-0.1), "m"),
        (CosFace, dict(s=0.0), "s"),
        (ArcFace, dict(m=math.pi), "m"),
        (ArcFace, dict(s=float("nan")), "s"),
        (CombinedMargin, dict(m1=0.5), "m1"),
        (CombinedMargin, dict(m2=-1.0), "m2"),
        (CombinedMargin, dict(m3="0.2"), "m3"),
    ],
)
def test_members_reject_bad_parameters_naming_them(factory, kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        factory(**kwargs)


def test_integer_like_scalars_are_accepted():
    assert LSoftmax(m=np.int64(3)) == LSoftmax(m=3) == LSoftmax(m=torch.tensor(3)) == as_margin(np.int32(3))
    assert CosFace(m=np.float32(0.25), s=torch.tensor(30.0)) == CosFace(m=0.25, s=30.0)
    with pytest.raises(ValueError, match=r"^margin must"):
        as_margin("LSoftmax")


def test_margin_logits_rejects_a_bad_margin():
    x, weight, target = random_problem(requires_grad=False)
    with pytest.raises(ValueError, match=r"^margin must"):
        margin_logits(x, weight, target, 0)
    with pytest.raises(ValueError, match=r"^margin must"):
        margin_logits(x, weight, target, None)
