"""Training speed of lab.train.Trainer: samples/s and steps/s for one model, the cost of
compare mode (4 models in lockstep) against one, snapshot time, and the hand-written
backward against an autograd step of the same network.

    .venv/bin/python -m bench.train                     # CPU, 1 thread (as the app runs)
    .venv/bin/python -m bench.train --device cuda --repeats 9

Contenders that are compared are timed interleaved (round-robin), so machine noise hits them
alike; the table shows medians over repeats. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time

import torch

from lab.models import views
from lab.settings import lsoftmax_entries
from lab.train import Trainer, TrainSettings
from lsoftmax import margin_logits

# TensorFlow Playground's default: circle data, 500 points half of them for training (250),
# hidden layers [4, 2] (here: one hidden layer of 4, then the 2-D feature layer), tanh, batch 10.
PLAYGROUND = TrainSettings(
    dataset="circles", n_samples=500, n_classes=2, test_fraction=0.5, hidden_layers=1, hidden_width=4,
    activation="tanh", optimizer="sgd", learning_rate=0.03, batch_size=10, m=4,
)  # fmt: skip
OURS = TrainSettings()
GOAL_SAMPLES_S = 100_000  # 10x TensorFlow Playground's measured training throughput
GOAL_COMPARE_RATIO = 2.0  # 4 models in compare mode may cost at most this many times one


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads on CPU")
    parser.add_argument("--repeats", type=int, default=7, help="timed samples per contender")
    parser.add_argument("--steps", type=int, default=1000, help="training steps per timed sample")
    return parser.parse_args(argv)


def time_training(trainers: dict[str, Trainer], steps: int, repeats: int) -> dict[str, float]:
    """Median seconds per step of each trainer, timed round-robin."""
    samples = {name: [] for name in trainers}
    for trainer in trainers.values():
        trainer.train(100)  # warm-up
    for repeat in range(repeats):
        names = list(trainers)
        for name in names[repeat % len(names) :] + names[: repeat % len(names)]:
            trainer = trainers[name]
            trainer.reset()
            began = time.perf_counter()
            trainer.train(steps)
            samples[name].append((time.perf_counter() - began) / steps)
    return {name: statistics.median(values) for name, values in samples.items()}


def time_tick(trainer: Trainer, steps: int, resolution: int, repeats: int) -> float:
    """Median seconds of what a page tick asks for: train(steps), snapshot(resolution), history()."""
    samples = []
    for _ in range(repeats):
        began = time.perf_counter()
        trainer.train(steps)
        trainer.snapshot(resolution)
        trainer.history()
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def time_snapshot(trainer: Trainer, resolution: int, repeats: int) -> float:
    """Median seconds of one snapshot at this grid resolution."""
    trainer.snapshot(resolution)
    samples = []
    for _ in range(repeats):
        began = time.perf_counter()
        trainer.snapshot(resolution)
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


class AutogradStep:
    """The same network and loss (default setup: PReLU, no BatchNorm, one model) trained with
    autograd, margin_logits and torch.optim.Adam, the plain way, for scale."""

    def __init__(self, trainer: Trainer):
        network = trainer.network
        self.trainer = trainer
        self.params = network.params.clone().requires_grad_()
        self.optimizer = torch.optim.Adam([self.params], lr=trainer.settings.learning_rate)

    def run(self, steps: int) -> float:
        """Seconds per step."""
        trainer, network = self.trainer, self.trainer.network
        rows = torch.from_numpy(trainer._batch_indices(0, steps)).to(trainer.device)
        inputs, targets = trainer._x_train[rows], trainer._y_train[rows]
        began = time.perf_counter()
        for index in range(steps):
            params = views(self.params, network.param_entries)
            h = inputs[index].expand(network.count, -1, -1)
            for layer in range(network.shape.hidden_layers):
                u = torch.baddbmm(params[f"hidden{layer}.bias"], h, params[f"hidden{layer}.weight"])
                h = torch.where(u > 0, u, u * params[f"hidden{layer}.prelu"])
            features = torch.bmm(h, params["feature.weight"])[0]
            logits = margin_logits(features, params["head.weight"][0], targets[index], trainer.margins[0], 1.0)
            loss = torch.nn.functional.cross_entropy(logits, targets[index])
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
        return (time.perf_counter() - began) / steps


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.device == "cpu":
        torch.set_num_threads(args.threads)
    device = args.device
    rows = []
    single = {"playground": Trainer(PLAYGROUND, device=device), "default": Trainer(OURS, device=device)}
    compare = Trainer(dataclasses.replace(OURS, compare=lsoftmax_entries((1, 2, 3, 4))), device=device)
    per_step = time_training({**single, "compare": compare}, args.steps, args.repeats)
    for name, settings in (("playground", PLAYGROUND), ("default", OURS)):
        seconds = per_step[name]
        rows.append(
            (
                f"one model, {name} setup (batch {settings.batch_size})",
                f"{settings.batch_size / seconds:,.0f} samples/s",
                f"{1 / seconds:,.0f} steps/s",
                f"{seconds * 1e6:.0f} us/step",
            )
        )
    ratio = per_step["compare"] / per_step["default"]
    rows.append(
        (
            "compare mode m = 1, 2, 3, 4 vs one model (default setup)",
            f"{ratio:.2f}x the time of one (goal <= {GOAL_COMPARE_RATIO:g}x)",
            f"{1 / per_step['compare']:,.0f} steps/s",
            f"{per_step['compare'] * 1e6:.0f} us/step",
        )
    )
    autograd = AutogradStep(Trainer(OURS, device=device))
    autograd.run(50)
    autograd_s = statistics.median(autograd.run(args.steps // 2) for _ in range(3))
    rows.append(
        (
            "autograd + torch.optim step, same network (default setup)",
            f"{autograd_s / per_step['default']:.1f}x the time of ours",
            f"{1 / autograd_s:,.0f} steps/s",
            f"{autograd_s * 1e6:.0f} us/step",
        )
    )
    for resolution in (60, 100):
        for name, trainer in (("one model", single["default"]), ("compare, 4 models", compare)):
            seconds = time_snapshot(trainer, resolution, args.repeats)
            rows.append((f"snapshot({resolution}), {name}", f"{seconds * 1e3:.1f} ms", "", ""))
    for name, trainer in (("one model", single["default"]), ("compare, 4 models", compare)):
        seconds = time_tick(trainer, 100, 60, args.repeats)
        rows.append((f"page tick: train(100) + snapshot(60) + history(), {name}", f"{seconds * 1e3:.1f} ms", "", ""))
    goal = per_step["playground"] and PLAYGROUND.batch_size / per_step["playground"] >= GOAL_SAMPLES_S
    print(f"Trainer on {device}, {torch.get_num_threads()} thread(s), medians of {args.repeats} x {args.steps} steps\n")
    print("| what | result | rate | time |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\nPlayground setup goal ({GOAL_SAMPLES_S:,} samples/s): {'met' if goal else 'NOT met'}.")


if __name__ == "__main__":
    main()
