"""Which scale s lets the normalised members (CosFace, ArcFace, the combined margin) converge on
the training page's default spiral, with 2-D features: the measurement behind
lab.settings.SAFE_SCALES and the page's scale warning.

    .venv/bin/python -m bench.family_scales                 # 8 seeds, 1000 steps (about a minute)
    .venv/bin/python -m bench.family_scales --seeds 4 --steps 400

Every row trains one model per s in lockstep (same start, same batches) for each seed; a cell
is "seeds that reached 95 % test accuracy / mean test accuracy". Prints a markdown table.
"""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np

from lab.settings import TrainSettings
from lab.train import Trainer
from lsoftmax.margins import ArcFace, CombinedMargin, CosFace

SCALES = (2.0, 4.0, 8.0, 12.0, 16.0, 24.0, 32.0, 64.0)
# (lambda schedule, extra settings, row name, member for a given s)
ROWS = [
    ("none", {}, "CosFace m=0.35", lambda s: CosFace(m=0.35, s=s)),
    ("none", {}, "ArcFace m=0.5 rad", lambda s: ArcFace(m=0.5, s=s)),
    ("none", {}, "combined (1, 0.3, 0.2)", lambda s: CombinedMargin(m1=1.0, m2=0.3, m3=0.2, s=s)),
    ("none", {}, "no margin (CosFace m=0)", lambda s: CosFace(m=0.0, s=s)),
    ("none", {}, "ArcFace m=0.2 rad", lambda s: ArcFace(m=0.2, s=s)),
    ("power", {}, "CosFace m=0.35", lambda s: CosFace(m=0.35, s=s)),
    ("power", {}, "ArcFace m=0.5 rad", lambda s: ArcFace(m=0.5, s=s)),
    ("power", {"lambda_min": 5.0}, "CosFace m=0.35", lambda s: CosFace(m=0.35, s=s)),
    ("power", {"lambda_min": 5.0}, "ArcFace m=0.5 rad", lambda s: ArcFace(m=0.5, s=s)),
]


def accuracies(kind: str, extra: dict, make, seeds: int, steps: int) -> np.ndarray:
    """(seeds, len(SCALES)) test accuracy after `steps` steps, one model per s trained in lockstep."""
    rows = []
    for seed in range(seeds):
        settings = dataclasses.replace(TrainSettings(), lambda_kind=kind, seed=seed, **extra)
        trainer = Trainer(settings, device="cpu", margins=tuple(make(s) for s in SCALES))
        trainer.train(steps)
        rows.append(trainer.snapshot(4).test_acc)
    return np.array(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--steps", type=int, default=1000)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    print(f"Default spiral, {args.steps} steps; cell: seeds (of {args.seeds}) at >= 95 % test accuracy / mean\n")
    print("| lambda | member | " + " | ".join(f"s = {s:g}" for s in SCALES) + " |")
    print("|---|---|" + "---|" * len(SCALES))
    for kind, extra, name, make in ROWS:
        accuracy = accuracies(kind, extra, make, args.seeds, args.steps)
        cells = [f"{int((column >= 0.95).sum())}/{column.mean():.2f}" for column in accuracy.T]
        schedule = kind + "".join(f", {key} = {value:g}" for key, value in extra.items())
        print(f"| {schedule} | {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
