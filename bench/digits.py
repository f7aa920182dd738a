"""Time one epoch of the digits CNN (lab/digits.py, m = 1..4 in lockstep) on the CPU, and on
CUDA when present, side by side: the measurement behind "the CNN uses CUDA when present".
For contrast it also times 200 steps of the live lab's toy MLP on each device.

    .venv/bin/python -m bench.digits                    # 8x8 digits
    .venv/bin/python -m bench.digits --dataset mnist --train-limit 10000

Prints a markdown table: median seconds per epoch over repeats, and the CPU / CUDA ratio.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from lab.digits import DigitsSettings, DigitsTrainer, load_digits_data
from lab.train import Trainer, TrainSettings


def sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def epoch_seconds(settings: DigitsSettings, data, device: str, repeats: int) -> list[float]:
    """Seconds for one full epoch of every model, `repeats` times (after one warm-up epoch)."""
    trainer = DigitsTrainer(settings, data, device=device)
    times = []
    for index in range(repeats + 1):
        sync(device)
        start = time.perf_counter()
        for _ in range(trainer.steps_per_epoch):
            trainer.train_step()
        sync(device)
        if index:  # the first epoch warms up kernels and allocators
            times.append(time.perf_counter() - start)
    return times


def toy_seconds(device: str, steps: int = 200) -> float:
    """Seconds for `steps` steps of the live lab's default toy model."""
    trainer = Trainer(TrainSettings(), device=device)
    trainer.train(20)
    sync(device)
    start = time.perf_counter()
    trainer.train(steps)
    sync(device)
    return time.perf_counter() - start


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="sklearn", choices=("sklearn", "mnist"))
    parser.add_argument("--train-limit", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    settings = DigitsSettings(dataset=args.dataset, train_limit=args.train_limit, epochs=args.repeats + 1)
    data = load_digits_data(settings)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(f"{data.description}; m = {settings.margins}; batch {settings.batch_size}; {args.threads} CPU thread(s)")
    if len(devices) == 1:
        print("CUDA: not available on this machine (CPU only)")
    else:
        print(f"CUDA: {torch.cuda.get_device_name(0)}")
    print("\n| workload | device | median s | per step ms |\n|---|---|---:|---:|")
    medians = {}
    for device in devices:
        times = epoch_seconds(settings, data, device, args.repeats)
        medians[("cnn", device)] = statistics.median(times)
        steps = DigitsTrainer(settings, data, device="cpu").steps_per_epoch
        print(f"| digits CNN, one epoch | {device} | {medians[('cnn', device)]:.3f} | "
              f"{1000 * medians[('cnn', device)] / steps:.2f} |")  # fmt: skip
    for device in devices:
        medians[("toy", device)] = statistics.median(toy_seconds(device) for _ in range(args.repeats))
        print(f"| toy MLP, 200 steps | {device} | {medians[('toy', device)]:.3f} | "
              f"{1000 * medians[('toy', device)] / 200:.2f} |")  # fmt: skip
    if len(devices) == 2:
        for workload in ("cnn", "toy"):
            ratio = medians[(workload, "cpu")] / medians[(workload, "cuda")]
            print(f"{workload}: CPU time / CUDA time = {ratio:.2f} (above 1: CUDA is faster)")


if __name__ == "__main__":
    main()
