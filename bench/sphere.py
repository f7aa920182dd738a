"""The cost of one live update of /train with 3-D features against 2-D: snapshot, the exact
regions (feasible_arcs on the circle, sphere_regions on the sphere), the figure and its encoded
payload, and one training step.

    .venv/bin/python -m bench.sphere [--repeats 9]

D = 2 and D = 3 are timed interleaved (round-robin), so machine noise hits them alike; the
table shows medians over repeats, in milliseconds, and the ratio 3-D / 2-D.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time

import torch

from app import training_session as session
from app.figures import sphere
from app.figures.training import single_figure
from app.live_chart import chart_payload
from lab.train import Trainer, TrainSettings

SETTINGS = TrainSettings()  # the page's defaults: spiral, 600 points, 2 x 32 PReLU, K = 3, m = 4
TRAINED_STEPS = 400  # the features have spread out: the regions and arcs are not trivial


def one_update(trainer: Trainer, run: session.Run) -> dict[str, float]:
    """Seconds of each part of one paused update, as the page does it (arcs of every model exact)."""
    began = time.perf_counter()
    snapshot = trainer.snapshot(session.GRID_RESOLUTION)
    snapped = time.perf_counter()
    run.arcs.clear()  # as after a step: the regions are recomputed
    regions, features = session.scenes(run, snapshot, playing=False)
    scened = time.perf_counter()
    if snapshot.features.shape[-1] == 3:
        figure = sphere.training_figure(regions[0], features[0])
    else:
        figure = single_figure(regions[0], features[0], run.feature_extent)
    payload = chart_payload(figure, height=figure["layout"]["height"], step=snapshot.step)
    done = time.perf_counter()
    return {
        "snapshot": snapped - began,
        "regions (arcs / sphere)": scened - snapped,
        "figure + payload": done - scened,
        "whole update": done - began,
        "payload KB": len(payload) / 1024 * 1e-3,  # stored as "seconds": shown x 1000 below
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    contenders = {}
    for dim in (2, 3):
        settings = dataclasses.replace(SETTINGS, feature_dim=dim)
        trainer = Trainer(settings, device="cpu")
        trainer.train(TRAINED_STEPS)
        contenders[dim] = (trainer, session.Run(settings=settings, data_id="", trainer=trainer))
    samples = {dim: [] for dim in contenders}
    steps = {dim: [] for dim in contenders}
    for _ in range(args.repeats):
        for dim, (trainer, run) in contenders.items():
            samples[dim].append(one_update(trainer, run))
            began = time.perf_counter()
            trainer.train(50)
            steps[dim].append((time.perf_counter() - began) / 50)
    print(
        f"Median of {args.repeats} (ms; payload in KB), /train defaults after {TRAINED_STEPS} steps, one CPU thread\n"
    )
    print("| part | D = 2 | D = 3 | 3-D / 2-D |\n|---|---|---|---|")
    for name in samples[2][0]:
        two, three = (statistics.median(sample[name] for sample in samples[dim]) * 1e3 for dim in (2, 3))
        print(f"| {name} | {two:.1f} | {three:.1f} | {three / two:.2f} |")
    two, three = (statistics.median(steps[dim]) * 1e3 for dim in (2, 3))
    print(f"| one training step | {two:.3f} | {three:.3f} | {three / two:.2f} |")


if __name__ == "__main__":
    main()
