"""Forward + backward time of every margin member against plain cross-entropy on the same
bias-free layer and pytorch-metric-learning's class for the same member, measured side by side
in one run. Two ways to the same loss: composed, F.cross_entropy(margin_logits(...)), and fused,
lsoftmax.margin_cross_entropy (lsoftmax.engine on the CPU: numpy arrays for small problems,
tensors beyond).

    .venv/bin/python -m bench.loss                 # CUDA if available, else CPU, 1 thread
    .venv/bin/python -m bench.loss --device cpu --threads 2 --repeats 30 --members LSoftmax ArcFace
    python -m bench.loss --device cuda --compile LSoftmax ArcFace   # also torch.compile'd contenders

Per size, all contenders (CE, then ours and PML for each member) are timed interleaved
(round-robin, order rotated every repeat) so that machine noise hits them alike; the table
shows medians over repeats, in ms per forward + backward, and the ratios to CE and to PML (PML
has no combined margin). With --threads 1, numpy's BLAS is held to one thread too.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from threadpoolctl import threadpool_limits

from lsoftmax import margin_cross_entropy, margin_logits
from lsoftmax.margins import ArcFace, CombinedMargin, CosFace, LSoftmax, SphereFace

# (N, D, K): the goal's three sizes, and a face-recognition head (a batch of 128 with fewer rows than features)
SIZES = ((256, 2, 10), (4096, 128, 10), (4096, 512, 1000), (128, 512, 10_000))
CUDA_SIZES = ((4096, 512, 1000), (1024, 512, 100_000))  # the GPU goal's sizes: a wide head is where a GPU pays
GOAL_VS_CE = 1.5  # ours may cost at most this many times plain cross-entropy
MEMBERS = {
    "LSoftmax": LSoftmax(m=4),
    "SphereFace": SphereFace(m=4),
    "CosFace": CosFace(m=0.35, s=64.0),
    "ArcFace": ArcFace(m=0.5, s=64.0),
    "CombinedMargin": CombinedMargin(m1=1.0, m2=0.3, m3=0.2, s=64.0),
}
TARGET_SAMPLE_S = 0.02  # each timed sample repeats the step until it lasts about this long


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto", help="auto (CUDA if available), cpu or cuda")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads on CPU")
    parser.add_argument("--repeats", type=int, default=21, help="timed samples per contender and size")
    parser.add_argument("--members", nargs="+", default=list(MEMBERS), choices=list(MEMBERS), help="members to time")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--compile",
        nargs="*",
        default=[],
        choices=list(MEMBERS),
        help="also time these members and CE under torch.compile",
    )
    return parser.parse_args(argv)


def pick_device(name: str) -> torch.device:
    """auto -> CUDA when available, else CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def make_problem(size, device, seed):
    """x (N, D) and weight (K, D) leaves that need gradients, target (N,) int64."""
    n_samples, dim, n_classes = size
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n_samples, dim, generator=generator).to(device).requires_grad_()
    weight = (torch.randn(n_classes, dim, generator=generator) / dim**0.5).to(device).requires_grad_()
    target = torch.randint(n_classes, (n_samples,), generator=generator).to(device)
    return x, weight, target


def pml_loss(member, num_classes: int, dim: int):
    """PML's class for a member (W is (D, K) there; ArcFace's margin in degrees), or None."""
    from pytorch_metric_learning import losses  # imported here: a missing optional package only loses its column

    if isinstance(member, SphereFace):
        return losses.SphereFaceLoss(num_classes=num_classes, embedding_size=dim, margin=member.m, scale=1)
    if isinstance(member, LSoftmax):
        return losses.LargeMarginSoftmaxLoss(num_classes=num_classes, embedding_size=dim, margin=member.m, scale=1)
    if isinstance(member, CosFace):
        return losses.CosFaceLoss(num_classes=num_classes, embedding_size=dim, margin=member.m, scale=member.s)
    if isinstance(member, ArcFace):
        degrees = math.degrees(member.m)
        return losses.ArcFaceLoss(num_classes=num_classes, embedding_size=dim, margin=degrees, scale=member.s)
    return None


def plain_loss(x, weight, target):
    return F.cross_entropy(x @ weight.T, target)


def member_loss(member):
    return lambda x, weight, target: F.cross_entropy(margin_logits(x, weight, target, member), target)


def compiled_steps(x, weight, target, members) -> dict[str, Callable[[], None]]:
    """torch.compile(fullgraph=True) of CE and of each member's loss (compiled on first call)."""
    losses = {"CE": plain_loss} | {name: member_loss(MEMBERS[name]) for name in members}
    steps = {}
    for name, loss in losses.items():
        compiled = torch.compile(loss, fullgraph=True)
        steps[f"compiled {name}"] = lambda compiled=compiled: compiled(x, weight, target).backward()
    return steps


def make_steps(x, weight, target, members, compiled=()) -> dict[str, Callable[[], None]]:
    """One forward + backward per contender, all on the same x, weight and target."""

    def plain():
        plain_loss(x, weight, target).backward()

    steps = {"CE": plain}
    for name in members:
        member = MEMBERS[name]
        steps[name] = lambda member=member: F.cross_entropy(margin_logits(x, weight, target, member), target).backward()
        steps[f"fused {name}"] = lambda member=member: margin_cross_entropy(x, weight, target, member).backward()
        pml = pml_loss(member, weight.shape[0], weight.shape[1])
        if pml is not None:
            pml = pml.to(x.device)
            with torch.no_grad():
                pml.W.copy_(weight.T)  # its class vectors are columns: W is (D, K)
            steps[f"PML {name}"] = lambda pml=pml: pml(x, target).backward()
    if compiled:
        steps |= compiled_steps(x, weight, target, compiled)
    return steps


def clear_grads(*tensors) -> None:
    for tensor in tensors:
        tensor.grad = None


def time_step(step, sync, inner: int, clock=time.perf_counter) -> float:
    """Seconds per call of step, averaged over inner back-to-back calls."""
    sync()
    start = clock()
    for _ in range(inner):
        step()
    sync()
    return (clock() - start) / inner


def measure(steps, sync, repeats: int, clock=time.perf_counter) -> dict[str, float]:
    """Median seconds per call for each step, timed round-robin."""
    inner = {}
    for name, step in steps.items():
        time_step(step, sync, 3)  # warm-up
        once = time_step(step, sync, 3)
        inner[name] = max(1, int(TARGET_SAMPLE_S / max(once, 1e-7)))
    samples = {name: [] for name in steps}
    names = list(steps)
    for repeat in range(repeats):
        order = names[repeat % len(names) :] + names[: repeat % len(names)]
        for name in order:
            samples[name].append(time_step(steps[name], sync, inner[name], clock))
    return {name: statistics.median(values) for name, values in samples.items()}


def compiled_table(rows, members) -> str:
    """Compiled contenders: ms, and ratios to compiled CE and to eager CE."""
    lines = [
        "| N | D | K | contender | compiled (ms) | compiled / compiled CE | compiled / eager CE |",
        "|---:|---:|---:|---|---:|---:|---:|",
    ]
    for (n_samples, dim, n_classes), result in rows:
        base, eager = result["compiled CE"], result["CE"]
        for name in ("CE", *members):
            value = result[f"compiled {name}"]
            size = f"| {n_samples} | {dim} | {n_classes} | {name}"
            lines.append(f"{size} | {value * 1e3:.3f} | {value / base:.2f} | {value / eager:.2f} |")
    return "\n".join(lines)


def table(rows, members) -> str:
    """A markdown table of milliseconds and ratios, one line per size and member."""
    lines = [
        "| N | D | K | member | composed (ms) | fused (ms) | plain CE (ms) | PML (ms) "
        "| composed / CE | fused / CE | fused / PML |",
        "|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (n_samples, dim, n_classes), result in rows:
        plain = result["CE"] * 1e3
        for name in members:
            composed, fused = result[name] * 1e3, result[f"fused {name}"] * 1e3
            pml = result.get(f"PML {name}", math.nan) * 1e3
            lines.append(
                f"| {n_samples} | {dim} | {n_classes} | {name} | {composed:.3f} | {fused:.3f} | {plain:.3f} "
                f"| {pml:.3f} | {composed / plain:.2f} | {fused / plain:.2f} | {fused / pml:.2f} |"
            )
    return "\n".join(lines)


def verdict(rows, members, prefix: str) -> str:
    """Whether the contenders named prefix + member stay within GOAL_VS_CE of CE and below PML."""
    worst_ce = max(result[prefix + name] / result["CE"] for _, result in rows for name in members)
    pml_ratios = [
        result[prefix + name] / result[f"PML {name}"]
        for _, result in rows
        for name in members
        if f"PML {name}" in result
    ]
    met = worst_ce <= GOAL_VS_CE and max(pml_ratios, default=0.0) < 1
    return f"{'met' if met else 'MISSED'} (worst {worst_ce:.2f} x CE)"


def main(argv=None) -> None:
    args = parse_args(argv)
    device = pick_device(args.device)
    if device.type == "cpu":
        torch.set_num_threads(args.threads)
        # numpy's OpenBLAS keeps its own threads (spinning ones, which the CPU clock counts)
        threadpool_limits(args.threads)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    # On the CPU, with one torch thread, the process's CPU time is the work done and hardly moves
    # when other programs load the machine (wall time moved 5x on a shared 2-core box); CUDA: wall time.
    cpu_clock = device.type == "cpu" and args.threads == 1
    clock = time.process_time if cpu_clock else time.perf_counter
    rows = []
    for size in CUDA_SIZES if device.type == "cuda" else SIZES:
        x, weight, target = make_problem(size, device, args.seed)
        steps = make_steps(x, weight, target, args.members, args.compile)
        rows.append((size, measure(steps, sync, args.repeats, clock)))
        clear_grads(x, weight)
    threads = f", {torch.get_num_threads()} thread(s)" if device.type == "cpu" else ""
    print(f"forward + backward, float32, {device}{threads}, torch {torch.__version__}, ")
    print(f"median of {args.repeats} interleaved samples of {'CPU' if cpu_clock else 'wall'} time\n")
    print(table(rows, args.members))
    if args.compile:
        print("\ntorch.compile(fullgraph=True), same runs\n")
        print(compiled_table(rows, args.compile))
    print(f"\ngoal (<= {GOAL_VS_CE} x CE and < PML at every size): composed {verdict(rows, args.members, '')}, ")
    print(f"fused {verdict(rows, args.members, 'fused ')}")


if __name__ == "__main__":
    main()
