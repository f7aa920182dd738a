"""Memory of one training session over a long run: the server must hold at most 30 MB per
session however long it trains (bounded history, no per-tick growth).

Runs what a page tick does (train, snapshot, history) many times and reports, side by side,
the bytes held by the trainer (every numpy array and torch tensor reachable from it), the
Python heap growth (tracemalloc) and the process RSS growth between an early and a late tick.

    .venv/bin/python -m bench.memory [--ticks 3000] [--steps 20]
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import tracemalloc

import numpy as np
import torch

from lab.settings import lsoftmax_entries
from lab.train import Trainer, TrainSettings

LIMIT_MB = 30.0


def held_bytes(root) -> int:
    """Bytes of every ndarray and tensor reachable from root through attributes and containers."""
    seen, stack, total = set(), [root], 0
    while stack:
        item = stack.pop()
        if id(item) in seen or isinstance(item, (str, bytes, int, float, bool, type(None), type)):
            continue
        seen.add(id(item))
        if isinstance(item, np.ndarray):
            total += item.nbytes if item.base is None else 0
        elif isinstance(item, torch.Tensor):
            total += item.untyped_storage().nbytes()
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)) or type(item).__name__ == "deque":
            stack.extend(item)
        elif hasattr(item, "__dict__"):
            stack.extend(vars(item).values())
        elif hasattr(item, "__slots__"):
            stack.extend(getattr(item, name) for name in item.__slots__ if hasattr(item, name))
    return total


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def run(settings: TrainSettings, ticks: int, steps: int) -> dict:
    trainer = Trainer(settings, device="cpu")
    tracemalloc.start()
    marks = {}
    for tick in range(1, ticks + 1):
        trainer.train(steps)
        trainer.snapshot(grid_resolution=60)
        trainer.history()
        if tick in (ticks // 10, ticks):
            gc.collect()
            marks[tick] = (held_bytes(trainer) / 2**20, tracemalloc.get_traced_memory()[0] / 2**20, rss_mb())
    tracemalloc.stop()
    early, late = marks[ticks // 10], marks[ticks]
    return {
        "steps": trainer.step,
        "held_early": early[0],
        "held_late": late[0],
        "heap_growth": late[1] - early[1],
        "rss_growth": late[2] - early[2],
        "history_rows": len(trainer.history()["step"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=3000)
    parser.add_argument("--steps", type=int, default=20, help="training steps per tick")
    args = parser.parse_args()
    torch.set_num_threads(1)
    cases = {
        "one model (defaults)": TrainSettings(),
        "compare m = 1..4": TrainSettings(compare=lsoftmax_entries((1, 2, 3, 4))),
        "2,000 points, 4 x 64 hidden": TrainSettings(n_samples=2000, hidden_layers=4, hidden_width=64),
    }
    print(f"{args.ticks} ticks x {args.steps} steps, snapshot(60) + history() per tick; limit {LIMIT_MB:.0f} MB\n")
    print("| session | steps | held, early -> late (MB) | heap growth (MB) | RSS growth (MB) | history rows |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, settings in cases.items():
        result = run(settings, args.ticks, args.steps)
        print(
            f"| {name} | {result['steps']:,} | {result['held_early']:.2f} -> {result['held_late']:.2f} "
            f"| {result['heap_growth']:+.2f} | {result['rss_growth']:+.2f} | {result['history_rows']} |"
        )
    print(f"\npeak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
