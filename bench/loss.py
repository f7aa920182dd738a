"""Forward + backward time of the L-Softmax loss against plain cross-entropy and
pytorch-metric-learning's LargeMarginSoftmaxLoss, measured side by side in one run.

    .venv/bin/python -m bench.loss                 # CUDA if available, else CPU, 1 thread
    .venv/bin/python -m bench.loss --device cpu --threads 2 --repeats 30

The three contenders are timed interleaved (round-robin, order rotated every repeat) so
that machine noise hits them alike; the table shows medians over repeats, in ms per
forward + backward, and the ratios ours / CE and ours / PML.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F

from lsoftmax import lsoftmax_logits

SIZES = ((256, 2, 10), (4096, 128, 10), (4096, 512, 1000))  # (N, D, K)
GOAL_VS_CE = 1.5  # ours may cost at most this many times plain cross-entropy
TARGET_SAMPLE_S = 0.02  # each timed sample repeats the step until it lasts about this long


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto", help="auto (CUDA if available), cpu or cuda")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads on CPU")
    parser.add_argument("--repeats", type=int, default=21, help="timed samples per contender and size")
    parser.add_argument("--m", type=int, default=4, help="the margin m")
    parser.add_argument("--seed", type=int, default=0)
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


def make_steps(x, weight, target, m) -> dict[str, Callable[[], None]]:
    """One forward + backward per contender, all on the same x, weight and target."""
    # Imported here: a missing optional package only loses its column.
    from pytorch_metric_learning.losses import LargeMarginSoftmaxLoss

    pml = LargeMarginSoftmaxLoss(num_classes=weight.shape[0], embedding_size=weight.shape[1], margin=m, scale=1)
    pml = pml.to(x.device)
    with torch.no_grad():
        pml.W.copy_(weight.T)  # its class vectors are columns: W is (D, K)

    def ours():
        F.cross_entropy(lsoftmax_logits(x, weight, target, m), target).backward()

    def plain():
        F.cross_entropy(x @ weight.T, target).backward()

    def metric_learning():
        pml(x, target).backward()

    return {"ours": ours, "CE": plain, "PML": metric_learning}


def clear_grads(*tensors) -> None:
    for tensor in tensors:
        tensor.grad = None


def time_step(step, sync, inner: int) -> float:
    """Seconds per call of step, averaged over inner back-to-back calls."""
    sync()
    start = time.perf_counter()
    for _ in range(inner):
        step()
    sync()
    return (time.perf_counter() - start) / inner


def measure(steps, sync, repeats: int) -> dict[str, float]:
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
            samples[name].append(time_step(steps[name], sync, inner[name]))
    return {name: statistics.median(values) for name, values in samples.items()}


def table(rows) -> str:
    """A markdown table of milliseconds and ratios."""
    lines = [
        "| N | D | K | ours (ms) | plain CE (ms) | PML (ms) | ours / CE | ours / PML |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (n_samples, dim, n_classes), result in rows:
        ours, plain, pml = result["ours"] * 1e3, result["CE"] * 1e3, result["PML"] * 1e3
        lines.append(
            f"| {n_samples} | {dim} | {n_classes} | {ours:.3f} | {plain:.3f} | {pml:.3f} "
            f"| {ours / plain:.2f} | {ours / pml:.2f} |"
        )
    return "\n".join(lines)


def main(argv=None) -> None:
    args = parse_args(argv)
    device = pick_device(args.device)
    if device.type == "cpu":
        torch.set_num_threads(args.threads)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    rows = []
    for size in SIZES:
        x, weight, target = make_problem(size, device, args.seed)
        steps = make_steps(x, weight, target, args.m)
        rows.append((size, measure(steps, sync, args.repeats)))
        clear_grads(x, weight)
    threads = f", {torch.get_num_threads()} thread(s)" if device.type == "cpu" else ""
    print(f"forward + backward, m = {args.m}, float32, {device}{threads}, torch {torch.__version__}, ")
    print(f"median of {args.repeats} interleaved samples\n")
    print(table(rows))
    worst_ce = max(result["ours"] / result["CE"] for _, result in rows)
    worst_pml = max(result["ours"] / result["PML"] for _, result in rows)
    verdict = "met" if worst_ce <= GOAL_VS_CE and worst_pml < 1 else "MISSED"
    print(f"\ngoal (ours <= {GOAL_VS_CE} x CE and < PML at every size): {verdict}")


if __name__ == "__main__":
    main()
