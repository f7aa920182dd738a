"""lsoftmax.margin_cross_entropy and MarginLinear.loss: the fused loss (lsoftmax.engine on numpy
arrays for small CPU problems, on tensors beyond) against the torch composition
F.cross_entropy(margin_logits(...)), against pytorch-metric-learning, by finite differences, and on
the inputs that break losses."""

import gc
import math
import weakref

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lsoftmax import LambdaSchedule, MarginLinear, engine, functional, margin_cross_entropy, margin_logits
from lsoftmax.functional import NUMPY_MAX_ROWS_BY_FEATURES
from lsoftmax.margins import ArcFace, CombinedMargin, CosFace, LSoftmax, SphereFace
from tests.lsoftmax.test_margins import IDS, MEMBERS, PML_MEMBERS, pml_loss, random_problem


def composed(x, weight, target, member, lam=0.0, ignore_index=-100, reduction="mean"):
    """The reference: three torch autograd steps, never the engine."""
    logits = margin_logits(x, weight, target, member, lam, ignore_index=ignore_index)
    return F.cross_entropy(logits, target, ignore_index=ignore_index, reduction=reduction)


def losses_and_grads(loss_fn, x, weight, *args, **kwargs):
    x = x.detach().requires_grad_()
    weight = weight.detach().requires_grad_()
    loss = loss_fn(x, weight, *args, **kwargs)
    # a weighted sum, so that reduction="none" checks every row's gradient, not only their sum
    upstream = torch.linspace(0.5, 1.5, loss.numel(), dtype=loss.dtype) if loss.dim() else 1.0
    grads = torch.autograd.grad((loss * upstream).sum(), (x, weight))
    return loss.detach(), *grads


def assert_same(got, expected, atol):
    for ours, reference in zip(got, expected, strict=True):
        torch.testing.assert_close(ours, reference, rtol=0, atol=atol, equal_nan=True)


def engine_kind(loss) -> str | None:
    """What lsoftmax.engine ran on for this loss: "numpy" or "torch"; None for the composition."""
    if not type(loss.grad_fn).__name__.startswith("_FusedMarginCrossEntropy"):
        return None
    in_numpy = loss.grad_fn.options[-1]
    return "numpy" if in_numpy else "torch"


@pytest.fixture(params=["numpy", "torch"])
def kind(request, monkeypatch):
    """The engine's arrays for the test's problems: small ones take numpy; with no problem small
    enough for numpy, the same problems run on tensors."""
    if request.param == "torch":
        monkeypatch.setattr(functional, "NUMPY_MAX_ROWS_BY_FEATURES", -1)
    return request.param


@pytest.mark.parametrize("member", MEMBERS, ids=IDS)
@pytest.mark.parametrize("lam", [0.0, 2.5])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
# (N, D, K): more rows than features, and fewer (the engine's two routes to a normalised W's projection)
@pytest.mark.parametrize("shape", [(50, 6, 7), (8, 32, 12)], ids=["N>D", "N<D"])
def test_matches_the_torch_composition_in_float64(member, lam, reduction, shape, kind):
    n, d, k = shape
    x, weight, target = random_problem(n=n, d=d, k=k, seed=3)
    fused = losses_and_grads(margin_cross_entropy, x, weight, target, member, lam, reduction=reduction)
    reference = losses_and_grads(composed, x, weight, target, member, lam, reduction=reduction)
    assert_same(fused, reference, atol=1e-10)
    assert engine_kind(margin_cross_entropy(x, weight, target, member, lam)) == kind


@pytest.mark.parametrize("member", MEMBERS, ids=IDS)
def test_rows_near_their_class_vectors_match_the_composition(member, kind):
    """A trained model's rows: every target angle small, so no row lies past ArcFace's or the
    combined margin's branch point (their numpy shortcut)."""
    x, weight, target = random_problem(n=40, d=6, k=5, seed=7)
    own = weight.detach()[target]
    x = own + 0.3 * own.norm(dim=1, keepdim=True) * x.detach()
    angles = torch.arccos(F.cosine_similarity(x, own))
    assert angles.max() < 1.25  # 70 degrees; the branch points of MEMBERS lie at 2.18 rad and beyond
    fused = losses_and_grads(margin_cross_entropy, x, weight, target, member)
    reference = losses_and_grads(composed, x, weight, target, member)
    assert_same(fused, reference, atol=1e-10)
    assert fused[1].abs().max() > 0.05 and fused[2].abs().max() > 0.05  # gradients large enough to compare


@pytest.mark.parametrize("member", MEMBERS, ids=IDS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_an_empty_batch_is_what_cross_entropy_gives(member, reduction, kind):
    x, weight, target = random_problem(n=0, d=3, k=4)
    fused = losses_and_grads(margin_cross_entropy, x, weight, target, member, reduction=reduction)
    reference = losses_and_grads(composed, x, weight, target, member, reduction=reduction)
    assert_same(fused, reference, atol=0)
    assert engine_kind(margin_cross_entropy(x, weight, target, member)) == kind


@pytest.mark.parametrize("member", MEMBERS, ids=IDS)
@pytest.mark.parametrize("ignore_index", [-100, -1, 255, 0])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_ignored_rows_match_the_composition(member, ignore_index, reduction, kind):
    """-100 (torch's default), -1, 255 (segmentation's), and 0: a real class that is ignored."""
    x, weight, target = random_problem(n=30, d=4, k=5, seed=7)
    target[::4] = ignore_index
    fused = losses_and_grads(margin_cross_entropy, x, weight, target, member, 1.0, ignore_index, reduction)
    reference = losses_and_grads(composed, x, weight, target, member, 1.0, ignore_index, reduction)
    assert_same(fused, reference, atol=1e-10)
    rows = fused[1].abs().sum(dim=1)
    assert (rows[target == ignore_index] == 0).all() and (rows[target != ignore_index] > 0).all()


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_every_row_ignored_is_what_cross_entropy_gives(reduction, kind):
    x, weight, target = random_problem(n=6, d=3, k=4, seed=1)
    target[:] = -100
    fused = losses_and_grads(margin_cross_entropy, x, weight, target, CosFace(m=0.35, s=30.0), reduction=reduction)
    reference = losses_and_grads(composed, x, weight, target, CosFace(m=0.35, s=30.0), reduction=reduction)
    assert_same(fused, reference, atol=0)
    assert torch.isnan(fused[0]).all() if reduction == "mean" else (fused[0] == 0).all()


@pytest.mark.parametrize("member", PML_MEMBERS, ids=lambda member: member.describe())
@pytest.mark.parametrize("d", [2, 3, 8, 64, 128])  # 128: more features than rows
def test_matches_pytorch_metric_learning(member, d, kind):
    """The fused loss is checked against independent code too, not only against the composition."""
    x, weight, target = random_problem(n=64, d=d, k=9, seed=10 + d)
    reference = pml_loss(member, 9, d).to(torch.float64)
    with torch.no_grad():
        reference.W.copy_(weight.T)
    expected = reference(x, target)
    expected_x, expected_w = torch.autograd.grad(expected, (x, reference.W))
    loss, grad_x, grad_w = losses_and_grads(margin_cross_entropy, x, weight, target, member)
    assert_same((loss, grad_x, grad_w), (expected.detach(), expected_x, expected_w.T), atol=1e-10)


@pytest.mark.parametrize("member", MEMBERS, ids=IDS)
@pytest.mark.parametrize("lam", [0.0, 3.0])
def test_gradcheck(member, lam, kind):
    x, weight, target = random_problem(n=12, d=3, k=4, seed=5)
    target[3] = -100
    assert torch.autograd.gradcheck(lambda a, b: margin_cross_entropy(a, b, target, member, lam), (x, weight))
    assert torch.autograd.gradcheck(
        lambda a, b: margin_cross_entropy(a, b, target, member, lam, reduction="none"), (x, weight)
    )


@pytest.mark.parametrize("member", [LSoftmax(m=3), ArcFace(m=0.5, s=16.0)], ids=lambda member: member.describe())
def test_the_gradient_worked_out_with_the_forward_is_scaled_and_survives_a_retained_graph(member, kind):
    x, weight, target = random_problem(seed=12)
    loss = margin_cross_entropy(x, weight, target, member)
    for _ in range(3):  # the first backward may hand the forward's arrays to x.grad, which then grows
        (2.5 * loss).backward(retain_graph=True)
    ours = (x.grad.clone(), weight.grad.clone())
    x.grad = weight.grad = None
    (7.5 * composed(x, weight, target, member)).backward()
    assert_same(ours, (x.grad, weight.grad), atol=1e-10)


@pytest.mark.parametrize(("dtype", "scale"), [(torch.float32, 64.0), (torch.float64, 400.0)])
def test_logits_far_below_the_top_give_the_composition(dtype, scale, kind):
    # logits up to 2 s apart: past the engine's exponent floor (-64 in float32, -600 in float64)
    x, weight, target = random_problem(n=256, d=2, k=10, seed=15)
    member = CosFace(m=0.35, s=scale)  # CosFace: no float32 sine near theta = 0 to blur the check
    fused = losses_and_grads(margin_cross_entropy, x.to(dtype), weight.to(dtype), target, member, reduction="none")
    reference = losses_and_grads(composed, x, weight, target, member, reduction="none")
    for ours, exact in zip(fused, reference, strict=True):
        assert ours.dtype == dtype
        atol = 1e-10 if dtype == torch.float64 else 1e-5
        torch.testing.assert_close(ours.double(), exact, rtol=1e-4 if dtype == torch.float32 else 0, atol=atol * scale)


def test_a_second_derivative_is_refused_by_name(kind):
    x, weight, target = random_problem(seed=13)
    loss = margin_cross_entropy(x, weight, target, CosFace(m=0.35, s=30.0))
    with pytest.raises(RuntimeError, match="differentiable once"):
        torch.autograd.grad(loss, x, create_graph=True)


def test_the_gradient_is_worked_out_only_for_a_scalar_loss_that_will_be_differentiated(monkeypatch, kind):
    calls = []
    engine_backward = engine.backward
    monkeypatch.setattr(engine, "backward", lambda *args: calls.append(1) or engine_backward(*args))
    x, weight, target = random_problem(seed=14)
    member = SphereFace(m=2)
    with torch.no_grad():  # a validation pass: no gradient work
        quiet = margin_cross_entropy(x, weight, target, member)
    assert calls == [] and quiet.grad_fn is None
    loss = margin_cross_entropy(x, weight, target, member)
    assert calls == [1]  # with the forward
    assert_same((quiet,), (loss.detach(),), atol=0)
    loss.backward()
    assert calls == [1]
    rows = margin_cross_entropy(x, weight, target, member, reduction="none")
    assert calls == [1]  # a vector's upstream gradient is known only in the backward
    rows.sum().backward()
    assert calls == [1, 1]
    margin_cross_entropy(x.detach(), weight.detach(), target, member)
    assert calls == [1, 1]  # nothing requires a gradient


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("member", MEMBERS, ids=IDS)
def test_zero_parallel_and_antiparallel_features_stay_finite(dtype, member, kind):
    generator = torch.Generator().manual_seed(2)
    weight = torch.randn(5, 8, generator=generator, dtype=dtype)
    target = torch.arange(15) % 5
    x = weight[target] * torch.rand(15, 1, generator=generator, dtype=dtype) * 4
    x[5:10] *= -1  # antiparallel to their class vector
    x[12] = 0.0
    weight[4] = 0.0  # a class vector that collapsed
    fused = losses_and_grads(margin_cross_entropy, x, weight, target, member, reduction="none")
    reference = losses_and_grads(composed, x, weight, target, member, reduction="none")
    for tensor in fused:
        assert torch.isfinite(tensor).all()
    # ArcFace and the combined margin have a kink in theta at 0 and pi: a rounded c = 1 - eps
    # already means theta ~ sqrt(2 eps), so two correct codes agree to about that much there
    eps = torch.finfo(dtype).eps
    kinked = isinstance(member, (ArcFace, CombinedMargin))
    assert_same(fused, reference, atol=(member.scale or 10.0) * (math.sqrt(eps) if kinked else 2e3 * eps))


def test_float32_gives_float32_and_agrees_with_float64(kind):
    x, weight, target = random_problem(n=40, d=5, k=7, seed=9)
    member = ArcFace(m=0.5, s=64.0)
    single = losses_and_grads(margin_cross_entropy, x.float(), weight.float(), target, member)
    double = losses_and_grads(margin_cross_entropy, x, weight, target, member)
    for ours, reference in zip(single, double, strict=True):
        assert ours.dtype == torch.float32
        torch.testing.assert_close(ours.double(), reference, rtol=1e-4, atol=1e-4)


def test_int32_targets_give_the_int64_result(kind):
    x, weight, target = random_problem(seed=4)
    member = SphereFace(m=3)
    assert_same(
        losses_and_grads(margin_cross_entropy, x, weight, target.int(), member, 1.0),
        losses_and_grads(margin_cross_entropy, x, weight, target, member, 1.0),
        atol=0,
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda x, w, t: x.__setitem__((2, 1), math.nan), "x must be finite"),
        (lambda x, w, t: w.__setitem__((0, 0), math.inf), "weight must be finite"),
        (lambda x, w, t: t.__setitem__(3, 7), r"target must lie in \[0, 6\]"),
        (lambda x, w, t: t.__setitem__(3, -2), r"target must lie in \[0, 6\] or equal ignore_index = -100, got \[-2\]"),
    ],
)
def test_bad_values_are_named(change, message, kind):
    x, weight, target = random_problem(requires_grad=False)
    change(x, weight, target)
    with pytest.raises(ValueError, match=message):
        margin_cross_entropy(x, weight, target, LSoftmax(m=2))


def test_bad_arguments_are_named():
    x, weight, target = random_problem()
    with pytest.raises(ValueError, match="reduction must be one of mean, sum, none, got 'avg'"):
        margin_cross_entropy(x, weight, target, LSoftmax(m=2), reduction="avg")
    with pytest.raises(ValueError, match="lam must be a finite number >= 0"):
        margin_cross_entropy(x, weight, target, LSoftmax(m=2), lam=-1)
    with pytest.raises(ValueError, match="target must be an integer tensor"):
        margin_cross_entropy(x, weight, target.float(), LSoftmax(m=2))
    with pytest.raises(ValueError, match=r"weight must have shape \(K, D\) with D = 5"):
        margin_cross_entropy(x, weight[:, :3], target, LSoftmax(m=2))
    for bad in (1.5, True, None, "-100"):
        with pytest.raises(ValueError, match="ignore_index must be an integer"):
            margin_cross_entropy(x, weight, target, LSoftmax(m=2), ignore_index=bad)
        with pytest.raises(ValueError, match="ignore_index must be an integer"):
            margin_logits(x, weight, target, LSoftmax(m=2), ignore_index=bad)


def test_integer_scalars_are_taken_as_ignore_index(kind):
    """A 0-dim tensor once counted as one kept row ("mean" became a sum), silently."""
    x, weight, target = random_problem(n=30, d=4, k=5, seed=20)
    target[::4] = 0
    member = CosFace(m=0.35, s=30.0)
    expected = losses_and_grads(composed, x, weight, target, member, ignore_index=0)
    for index in (torch.tensor(0), np.int64(0)):
        fused = losses_and_grads(margin_cross_entropy, x, weight, target, member, ignore_index=index)
        assert_same(fused, expected, atol=1e-10)


def test_int32_targets_work_where_the_loss_is_the_composition():
    x, weight, target = random_problem(seed=19)
    member = CosFace(m=0.35, s=30.0)
    loss = margin_cross_entropy(x.bfloat16(), weight.bfloat16(), target.int(), member)  # bfloat16: the composition
    assert engine_kind(loss) is None
    torch.testing.assert_close(loss, margin_cross_entropy(x.bfloat16(), weight.bfloat16(), target, member))


def loss_and_grads_under_autocast(loss_fn, x, weight, target, enabled):
    """loss_fn's loss computed inside torch.autocast (CPU, bfloat16) and differentiated after it,
    as a mixed-precision training loop does; also the dtype of the logits when loss_fn is a head."""
    x, weight = x.detach().requires_grad_(), weight.detach().requires_grad_()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=enabled):
        loss = loss_fn(x, weight, target)
    return (loss.detach(), *torch.autograd.grad(loss, (x, weight)))


@pytest.mark.parametrize("member", MEMBERS, ids=IDS)
def test_autocast_composition_follows_autocast_and_stays_near_float32(member):
    """Under torch.autocast (bfloat16 here; float16 on CUDA runs the same code) the logits are in
    autocast's dtype, as a plain layer's are, and loss and gradients stay within its rounding of
    the float32 ones. Before, the target entries' scatter raised on the dtype mismatch."""
    x, weight, target = random_problem(n=64, d=16, k=10, dtype=torch.float32, seed=23)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert margin_logits(x, weight, target, member).dtype == torch.bfloat16

    def loss_fn(x, weight, target):
        return composed(x, weight, target, member)

    expected = loss_and_grads_under_autocast(loss_fn, x, weight, target, enabled=False)
    got = loss_and_grads_under_autocast(loss_fn, x, weight, target, enabled=True)
    assert [value.dtype for value in got] == [torch.float32] * 3
    assert abs(float(got[0]) / float(expected[0]) - 1) < 2e-3  # measured 0.4e-3 at most
    for ours, reference in zip(got[1:], expected[1:], strict=True):
        assert float((ours - reference).norm() / reference.norm()) < 2e-2  # measured 0.6e-2 at most


def test_autocast_target_logit_keeps_float32_cosine_near_theta_zero():
    """ArcFace's s cos(theta + m) from a bfloat16 cosine would be off by up to 2 near theta = 0.05
    (the cosine rounds to 1 or 0.996); computed from x and W_y in float32 it is off only by the
    output's own rounding (bfloat16 spacing 0.25 between 32 and 64)."""
    generator = torch.Generator().manual_seed(1)
    weight = torch.randn(10, 16, generator=generator)
    along = weight[3] / weight[3].norm()
    across = torch.randn(16, generator=generator)
    across = (across - (across @ along) * along) / (across - (across @ along) * along).norm()
    theta = torch.tensor([0.02, 0.05, 0.2, 1.0])
    x = 3.0 * (torch.cos(theta)[:, None] * along + torch.sin(theta)[:, None] * across)
    target = torch.full((4,), 3)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        got = margin_logits(x, weight, target, ArcFace(m=0.5, s=64.0))[:, 3].float()
    torch.testing.assert_close(got, 64.0 * torch.cos(theta + 0.5), rtol=0, atol=0.13)


@pytest.mark.parametrize("member", MEMBERS[:4], ids=IDS[:4])
def test_margin_linear_trains_under_autocast(member):
    """A mixed-precision step through the head, both ways to its loss: the fused loss (the engine
    on the CPU, in float32) and forward + F.cross_entropy (the composition, in bfloat16)."""
    x, _, target = random_problem(n=64, d=16, k=10, dtype=torch.float32, seed=29, requires_grad=False)
    head = MarginLinear(16, 10, member)
    with torch.no_grad():
        expected = F.cross_entropy(head(x, target), target)
    for loss_fn in (head.loss, lambda x, target: F.cross_entropy(head(x, target), target)):
        head.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss = loss_fn(x, target)
        loss.backward()
        assert loss.dtype == torch.float32 and abs(float(loss.detach()) / float(expected) - 1) < 2e-3
        assert head.weight.grad is not None and bool(torch.isfinite(head.weight.grad).all())


@pytest.mark.parametrize("changed", ["x", "weight"])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_an_in_place_change_before_backward_raises_as_autograd_does(kind, changed, reduction):
    """The engine keeps x and weight's values; changed in place before the backward, they would
    give a gradient of neither the old nor the new values (the composition raises)."""
    x, weight, target = random_problem(seed=16)
    features = x * 1.0
    loss = margin_cross_entropy(features, weight, target, LSoftmax(m=2), reduction=reduction).sum()
    with torch.no_grad():
        (features if changed == "x" else weight).mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_a_loss_kept_after_backward_holds_no_engine_arrays(kind, reduction):
    """A list of losses (a training log) must not keep each step's activations alive."""
    x, weight, target = random_problem(seed=17)
    loss = margin_cross_entropy(x * 1.0, weight, target, ArcFace(m=0.5, s=16.0), reduction=reduction).sum()
    node = loss.grad_fn.next_functions[0][0]  # the fused loss's node, under .sum()
    exp = weakref.ref(node.state.exp)
    loss.backward()
    gc.collect()
    assert exp() is None


def test_an_infinite_class_vector_that_no_row_targets_is_named(kind):
    """Its logits fall below the exponent floor, so the loss itself stays finite."""
    x, weight, target = random_problem(n=20, d=3, k=5, seed=18, requires_grad=False)
    target %= 4  # class 4 is no row's target
    x[:, 0] = x[:, 0].abs() + 0.1
    weight[4, 0] = -math.inf
    with pytest.raises(ValueError, match="weight must be finite"):
        margin_cross_entropy(x, weight, target, LSoftmax(m=2))


def test_large_problems_run_the_engine_on_tensors_with_the_same_result():
    rows = NUMPY_MAX_ROWS_BY_FEATURES // 16 + 1
    x, weight, target = random_problem(n=rows, d=16, k=5, seed=6)
    member = CosFace(m=0.35, s=30.0)
    assert engine_kind(margin_cross_entropy(x, weight, target, member)) == "torch"
    assert engine_kind(margin_cross_entropy(x[:-1], weight, target[:-1], member)) == "numpy"
    fused = losses_and_grads(margin_cross_entropy, x, weight, target, member)
    assert_same(fused, losses_and_grads(composed, x, weight, target, member), atol=1e-12)


def test_torch_compile_traces_the_torch_path_without_graph_breaks():
    """Under torch.compile the loss is the composition, which dynamo traces whole (backend="eager":
    tracing without inductor's minute of code generation on two cores)."""
    torch.manual_seed(3)
    head = MarginLinear(6, 4, ArcFace(m=0.4, s=16.0), lambda_schedule=LambdaSchedule(base=50.0, gamma=0.5, power=1.0))
    compiled = torch.compile(lambda a, b: head.loss(a, b), fullgraph=True, backend="eager")
    x, target = torch.randn(20, 6), torch.randint(4, (20,))
    loss = compiled(x, target)
    assert engine_kind(loss) is None
    torch.testing.assert_close(loss, head.loss(x, target))


def as_kind(kind: str, *arrays):
    return arrays if kind == "numpy" else tuple(torch.from_numpy(np.ascontiguousarray(array)) for array in arrays)


def as_numpy(*arrays):
    return tuple(array.numpy() if isinstance(array, torch.Tensor) else array for array in arrays)


@pytest.mark.parametrize("array_kind", ["numpy", "torch"])
@pytest.mark.parametrize(("dtype", "atol"), [(np.float64, 1e-12), (np.float32, 2e-5)])
def test_a_stack_of_heads_is_each_head_alone(dtype, atol, array_kind):
    """The engine's (G, N, D) stacks, with members of different scale and slope, against G single
    heads, in the heads' own dtype: a float64 scale column once turned a float32 ArcFace stack's
    cos(theta) float64 while its dot stayed float32, and near theta = 0 the two terms of the
    gradient that cancel stopped cancelling (errors 10^4 times the gradient, in the lab's trainer).
    On tensors as on numpy arrays, and the two kinds agree."""
    rng = np.random.default_rng(0)
    members = (CosFace(m=0.35, s=30.0), ArcFace(m=0.5, s=64.0), CosFace(m=0.1, s=8.0))
    x, weight = rng.normal(size=(3, 20, 4)).astype(dtype), rng.normal(size=(3, 6, 4)).astype(dtype)
    target = rng.integers(6, size=20)
    x[:, :4] = weight[:, target[:4]] * dtype(1.0 + 1e-4)  # features almost parallel to their class vector
    row_weights = rng.uniform(size=(3, 20)).astype(dtype)
    numpy_results = stack_step(x, weight, target, members, row_weights)
    losses, grad_x, grad_w = as_numpy(*stack_step(*as_kind(array_kind, x, weight, target), members, row_weights))
    assert losses.dtype == grad_x.dtype == grad_w.dtype == dtype
    for ours, reference in zip((losses, grad_x, grad_w), numpy_results, strict=True):
        np.testing.assert_allclose(ours, reference, rtol=0, atol=atol * np.abs(reference).max())
    for g, member in enumerate(members):
        alone = as_kind(array_kind, x[g], weight[g], target)
        alone, alone_x, alone_w = as_numpy(*stack_step(*alone, (member,), row_weights[g]))
        scale = np.abs(alone_x).max() + np.abs(alone_w).max()
        np.testing.assert_allclose(losses[g], alone, rtol=0, atol=atol * abs(alone).max())
        np.testing.assert_allclose(grad_x[g], alone_x, rtol=0, atol=atol * scale)
        np.testing.assert_allclose(grad_w[g], alone_w, rtol=0, atol=atol * scale)
    assert engine.groups((LSoftmax(m=2), members[0], SphereFace(m=2), members[1])) == [[0], [1, 3], [2]]


def stack_step(x, weight, target, members, row_weights):
    """Losses and gradients of lsoftmax.engine (lam = 1.5), row_weights as x's kind of array."""
    (row_weights,) = as_kind("torch" if isinstance(x, torch.Tensor) else "numpy", row_weights)
    losses, state = engine.forward(x, weight, target, members, lam=1.5)
    return (losses, *engine.backward(state, row_weights))


@pytest.mark.parametrize("member", [LSoftmax(m=3), CosFace(m=0.35, s=30.0)], ids=lambda member: member.describe())
def test_margin_linear_loss_is_cross_entropy_of_its_logits(member):
    head = MarginLinear(5, 7, member, lambda_schedule=LambdaSchedule(base=10.0, gamma=0.5, power=1.0), ignore_index=3)
    head.double()
    x, _, target = random_problem(seed=11)
    for training in (True, False):
        head.train(training)
        loss = head.loss(x, target)
        (grad_w,) = torch.autograd.grad(loss, head.weight)
        expected = F.cross_entropy(head(x, target), target, ignore_index=3)
        (expected_w,) = torch.autograd.grad(expected, head.weight)
        assert_same((loss, grad_w), (expected, expected_w), atol=1e-10)
        assert engine_kind(loss) == ("numpy" if training else None)
    with pytest.raises(ValueError, match=r"x must have shape \(N, 5\)"):
        head.train().loss(x[:, :4], target)
