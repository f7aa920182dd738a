"""Where margin_cross_entropy's engine should stop working on numpy arrays and take tensors: the
fused loss's forward + backward with lsoftmax.engine on each kind, against plain cross-entropy,
at sizes on both sides of lsoftmax.functional's limits (NUMPY_MAX_ROWS_BY_FEATURES and
NUMPY_MAX_ROWS_BY_CLASSES), measured side by side in one run.

    .venv/bin/python -m bench.engine_kinds                  # CosFace, one CPU thread
    .venv/bin/python -m bench.engine_kinds --members LSoftmax ArcFace --repeats 11 --threads 2

Prints a markdown table: each kind's time over CE's, the kind margin_cross_entropy picks, and
whether the pick was the faster one. CPU only (on CUDA the loss is the composition).
"""

from __future__ import annotations

import argparse
import time

import torch
from threadpoolctl import threadpool_limits

from bench.loss import MEMBERS, make_problem, measure, plain_loss
from lsoftmax.functional import _engine_kind, _FusedMarginCrossEntropy

SIZES = (
    (256, 2, 10),
    (1024, 2, 10),
    (16384, 2, 10),
    (65536, 2, 10),
    (1024, 32, 10),
    (1024, 128, 10),
    (4096, 32, 10),
    (4096, 128, 10),
    (512, 64, 100),
    (16384, 2, 100),
    (256, 16, 1000),
    (1024, 64, 1000),
    (4096, 16, 1000),
)  # (N, D, K)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", nargs="+", default=["CosFace"], choices=list(MEMBERS), help="members to time")
    parser.add_argument("--repeats", type=int, default=7, help="timed samples per contender and size")
    parser.add_argument("--threads", type=int, default=1, help="torch's and numpy's BLAS threads")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def plain_step(x, weight, target):
    return lambda: plain_loss(x, weight, target).backward()


def fused_step(x, weight, target, member, in_numpy: bool):
    """margin_cross_entropy's fused step with the engine's kind forced (its private Function)."""
    options = (member, 0.0, -100, "mean", True, in_numpy)
    return lambda: _FusedMarginCrossEntropy.apply(x, weight, target, options).backward()


def main(argv=None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    threadpool_limits(args.threads)  # numpy's BLAS too
    # one thread: the process's CPU time (steady on a shared machine); several: wall time
    clock, clock_name = (time.process_time, "CPU") if args.threads == 1 else (time.perf_counter, "wall")
    print(f"forward + backward, float32, cpu, {args.threads} thread(s), median of {args.repeats} interleaved")
    print(f"samples of {clock_name} time\n")
    print("| N | D | K | N x D | N x K | member | numpy / CE | tensors / CE | picked | picked the faster |")
    print("|---:|---:|---:|---:|---:|---|---:|---:|---|---|")
    for size in SIZES:
        x, weight, target = make_problem(size, torch.device("cpu"), args.seed)
        steps = {"CE": plain_step(x, weight, target)}
        for name in args.members:
            steps[f"numpy {name}"] = fused_step(x, weight, target, MEMBERS[name], True)
            steps[f"torch {name}"] = fused_step(x, weight, target, MEMBERS[name], False)
        result = measure(steps, lambda: None, args.repeats, clock)
        picked = _engine_kind(x, weight)
        n_samples, dim, n_classes = size
        for name in args.members:
            on_numpy, on_torch = result[f"numpy {name}"] / result["CE"], result[f"torch {name}"] / result["CE"]
            faster = "numpy" if on_numpy <= on_torch else "torch"
            print(
                f"| {n_samples} | {dim} | {n_classes} | {n_samples * dim} | {n_samples * n_classes} | {name} "
                f"| {on_numpy:.2f} | {on_torch:.2f} | {picked} | {'yes' if picked == faster else 'no'} |"
            )


if __name__ == "__main__":
    main()
