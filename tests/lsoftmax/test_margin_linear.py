"""MarginLinear for every member: training, the state_dict's margin check, integer-like
arguments, shape errors, ignore_index, the collapse warning, torch.compile(fullgraph=True)
and DistributedDataParallel with the gloo backend in two processes."""

import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp
import torch.nn.functional as F

from lsoftmax import LambdaSchedule, LSoftmaxLinear, MarginLinear, margin_logits
from lsoftmax.functional import plain_logits
from lsoftmax.margins import ArcFace, CombinedMargin, CosFace, LSoftmax, SphereFace

MEMBERS = [LSoftmax(m=3), SphereFace(m=4), CosFace(m=0.35, s=16.0), ArcFace(m=0.3, s=16.0), CombinedMargin(s=16.0)]
IDS = [member.describe() for member in MEMBERS]


def _blobs(n=240, d=4, k=3, seed=0):
    """Separable-ish clusters: k unit directions in d dimensions plus noise."""
    generator = torch.Generator().manual_seed(seed)
    centres = F.normalize(torch.randn(k, d, generator=generator), dim=1) * 3
    labels = torch.arange(n) % k
    return centres[labels] + 0.3 * torch.randn(n, d, generator=generator), labels


@pytest.mark.parametrize("member", MEMBERS, ids=IDS)
def test_every_member_trains_a_linear_head(member):
    torch.manual_seed(0)
    x, y = _blobs()
    head = MarginLinear(4, 3, member, lambda_schedule=LambdaSchedule(base=10.0, gamma=0.1, power=2.0))
    optimizer = torch.optim.Adam(head.parameters(), lr=0.05)
    first = None
    for _ in range(60):
        loss = F.cross_entropy(head(x, y), y)
        first = loss.item() if first is None else first
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    head.eval()
    logits = head(x)
    torch.testing.assert_close(logits, plain_logits(x, head.weight, member))
    assert F.cross_entropy(head.train()(x, y), y).item() < first
    assert (logits.argmax(1) == y).float().mean() > 0.95
    assert head.iteration == 60


# ------------------------------------------------------------------ state_dict


def test_margin_parameters_are_saved_and_checked_on_load():
    saved = LSoftmaxLinear(3, 4, m=4)
    state = saved.state_dict()
    assert state["_extra_state"]["margin_params"] == {"m": 4}
    LSoftmaxLinear(3, 4, m=4).load_state_dict(state)
    with pytest.raises(ValueError, match=r"saved with LSoftmax\(m=4\), this layer has LSoftmax\(m=2\)"):
        LSoftmaxLinear(3, 4, m=2).load_state_dict(state)
    arcface = MarginLinear(3, 4, ArcFace(m=0.5, s=30.0)).state_dict()
    with pytest.raises(ValueError, match=r"ArcFace\(m=0.5, s=30\).*ArcFace\(m=0.5, s=64\)"):
        MarginLinear(3, 4, ArcFace(m=0.5, s=64.0)).load_state_dict(arcface)
    with pytest.raises(ValueError, match=r"CosFace"):
        MarginLinear(3, 4, CosFace()).load_state_dict(arcface)


def test_a_state_saved_before_margins_were_recorded_still_loads():
    layer = LSoftmaxLinear(3, 4, m=2, lambda_schedule=LambdaSchedule())
    state = layer.state_dict()
    state["_extra_state"] = {"iteration": 5}
    layer.load_state_dict(state)
    assert layer.iteration == 5 and layer.last_lambda == LambdaSchedule().schedule(6)


# ------------------------------------------------------------ arguments and shapes


@pytest.mark.parametrize("integer", [np.int64, np.int32, torch.tensor])
def test_integer_like_numpy_and_torch_scalars_are_accepted(integer):
    layer = LSoftmaxLinear(integer(3), integer(10), m=integer(3))
    assert (layer.in_features, layer.num_classes, layer.m) == (3, 10, 3)
    assert type(layer.in_features) is int and type(layer.num_classes) is int and type(layer.m) is int
    assert MarginLinear(integer(3), integer(10), integer(2)).margin == LSoftmax(m=2)


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_a_wrong_feature_width_blames_x_in_both_modes(mode):
    layer = MarginLinear(3, 4, ArcFace())
    getattr(layer, mode)()
    x, target = torch.randn(5, 2), torch.randint(4, (5,))
    with pytest.raises(ValueError, match=r"^x must have shape \(N, 3\)"):
        layer(x, target)
    with pytest.raises(ValueError, match=r"^x must have shape \(N, 3\)"):
        layer(torch.randn(5))


def test_a_wrong_target_blames_target():
    layer = MarginLinear(3, 4, CosFace())
    with pytest.raises(ValueError, match=r"^target must have shape \(N,\) with N = 5"):
        layer(torch.randn(5, 3), torch.randint(4, (6,)))
    with pytest.raises(ValueError, match=r"^target must lie in \[0, 3\]"):
        layer(torch.randn(5, 3), torch.tensor([0, 1, 2, 3, 4]))


def test_ignore_index_like_cross_entropy():
    torch.manual_seed(1)
    layer = MarginLinear(3, 4, SphereFace(m=2))
    x, target = torch.randn(6, 3), torch.tensor([0, -100, 2, 3, -100, 1])
    loss = F.cross_entropy(layer(x, target), target)
    keep = target != -100
    expected = F.cross_entropy(margin_logits(x[keep], layer.weight, target[keep], SphereFace(m=2)), target[keep])
    torch.testing.assert_close(loss, expected)
    other = MarginLinear(3, 4, SphereFace(m=2), ignore_index=-1)
    other.load_state_dict(layer.state_dict())
    minus_one = torch.where(keep, target, -1)
    torch.testing.assert_close(F.cross_entropy(other(x, minus_one), minus_one, ignore_index=-1), expected)


# ------------------------------------------------------------------ collapse


def test_a_collapsing_class_vector_is_warned_about_once():
    layer = LSoftmaxLinear(2, 4, m=4)
    with torch.no_grad():
        layer.weight[2] *= 1e-3
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(200):
            layer.step_schedule()
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(messages) == 1 and "class 2's weight norm fell" in messages[0]


@pytest.mark.parametrize("member", [LSoftmax(m=4), SphereFace(m=4)], ids=lambda member: member.name)
def test_two_class_vectors_pointing_the_same_way_are_warned_about(member):
    layer = MarginLinear(2, 10, member)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[np.cos(a), np.sin(a)] for a in np.radians(np.arange(10) * 36.0)]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(100):
            layer.step_schedule()
        assert not caught  # evenly spread: nothing to say
        with torch.no_grad():
            layer.weight[3] = layer.weight[4] * 1.3  # same direction as class 4
        for _ in range(300):  # warned once it has lasted 4 checks (200 steps), not at a brief crossing
            layer.step_schedule()
    assert len(caught) == 1 and "only 0 degrees apart" in str(caught[0].message)


# ------------------------------------------------------------------ compile


@pytest.mark.parametrize("member", [LSoftmax(m=4), ArcFace(m=0.5, s=8.0)], ids=lambda member: member.name)
def test_torch_compile_fullgraph_traces_the_head_without_graph_breaks(member):
    """backend="eager" runs dynamo's tracing (where graph breaks would raise under
    fullgraph=True) without inductor's code generation, which takes a minute on two cores."""
    torch.manual_seed(2)
    head = MarginLinear(8, 5, member, lambda_schedule=LambdaSchedule(base=100.0, gamma=0.5, power=1.0))
    optimizer = torch.optim.SGD(head.parameters(), lr=0.1)
    compiled = torch.compile(lambda x, y: F.cross_entropy(head(x, y), y), fullgraph=True, backend="eager")
    x, y = torch.randn(32, 8), torch.randint(5, (32,))
    for _ in range(3):
        expected = F.cross_entropy(margin_logits(x, head.weight, y, member, head.last_lambda), y)
        loss = compiled(x, y)
        torch.testing.assert_close(loss, expected)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    assert head.iteration == 3


# ------------------------------------------------------------------ DDP


class _Net(torch.nn.Module):
    """A linear body and a margin head: the head runs inside DDP's forward, as in real use."""

    def __init__(self):
        super().__init__()
        self.body = torch.nn.Linear(4, 3)
        schedule = LambdaSchedule(base=5.0, gamma=0.5, power=1.0)
        self.head = MarginLinear(3, 3, ArcFace(m=0.3, s=8.0), lambda_schedule=schedule)

    def forward(self, x, y):
        return self.head(self.body(x), y)


def _ddp_worker(rank: int, world: int, folder: str) -> None:
    # a file rendezvous: no port to pick, so no race with another process taking it first
    store = f"file://{os.path.join(folder, 'rendezvous')}"
    torch.distributed.init_process_group("gloo", init_method=store, rank=rank, world_size=world)
    torch.set_num_threads(1)
    torch.manual_seed(0)  # the same initial weights on both ranks (DDP also broadcasts rank 0's)
    net = _Net()
    head = net.head
    wrapped = torch.nn.parallel.DistributedDataParallel(net)
    optimizer = torch.optim.SGD(wrapped.parameters(), lr=0.1)
    x, y = _blobs(n=64, d=4, k=3, seed=10 + rank)  # each rank its own shard
    for _ in range(5):
        loss = F.cross_entropy(wrapped(x, y), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    torch.save((head.weight.detach().clone(), head.iteration, head.last_lambda), os.path.join(folder, f"{rank}.pt"))
    torch.distributed.destroy_process_group()


DDP_TIMEOUT_S = 120
REPO = Path(__file__).resolve().parents[2]


def _run_ddp_workers(folder: str) -> None:
    """Both ranks, forked from a fresh interpreter (python -m tests.lsoftmax.test_margin_linear FOLDER)."""
    mp.start_processes(_ddp_worker, args=(2, folder), nprocs=2, join=True, start_method="fork")


def test_distributed_data_parallel_ranks_agree(tmp_path):
    # The workers fork from a fresh interpreter of their own: forked from pytest's process, which by
    # then holds thread pools and locks from hundreds of tests, a worker hung in two full runs here.
    # A spawned worker would spend half a minute re-importing torch on two busy cores.
    command = [sys.executable, "-m", "tests.lsoftmax.test_margin_linear", str(tmp_path)]
    runner = subprocess.Popen(command, cwd=REPO, start_new_session=True, stderr=subprocess.PIPE, text=True)
    try:
        _, errors = runner.communicate(timeout=DDP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(runner.pid, signal.SIGKILL)  # the runner and both forked workers
        runner.communicate()
        pytest.fail(f"the two DDP workers did not finish within {DDP_TIMEOUT_S} s (alone they take about 4 s)")
    assert runner.returncode == 0, errors[-3000:]
    (weight0, iteration0, lam0), (weight1, iteration1, lam1) = (torch.load(tmp_path / f"{r}.pt") for r in (0, 1))
    assert iteration0 == iteration1 == 5 and lam0 == lam1 == pytest.approx(5.0 / (1 + 0.5 * 6))
    torch.testing.assert_close(weight0, weight1, rtol=0, atol=0)
    assert torch.isfinite(weight0).all()


if __name__ == "__main__":
    _run_ddp_workers(sys.argv[1])
