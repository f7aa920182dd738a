"""Command line for Figure 2 on digits: `python -m app.digits_cli --help`.

Trains m = 1..4 in lockstep (lab.digits; a cached run is loaded instead) and writes what the
/digits page shows: metrics.json, figure.html and angles.html (interactive), and PNGs of both.
It lives in app/ because drawing is the front end's job (app/figures/digits.py, plotly); the
lab itself never imports plotly.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
from pathlib import Path

import torch

from app.figures.digits import write_figures
from lab.digits import (
    DATASETS,
    DigitsSettings,
    DigitsTrainer,
    Progress,
    load_digits_data,
    load_result,
    save_result,
)
from lab.idx import DataUnavailable


def _parser() -> argparse.ArgumentParser:
    defaults = DigitsSettings()
    parser = argparse.ArgumentParser(
        prog="python -m app.digits_cli",
        description="Train m = 1..4 in lockstep on digits; write Figure 2 (PNG + HTML) and metrics.json.",
    )
    parser.add_argument("--dataset", choices=DATASETS, default=defaults.dataset)
    parser.add_argument("--margins", default=",".join(map(str, defaults.margins)), help="e.g. 1,2,3,4")
    for name in ("epochs", "batch_size", "channels", "train_limit", "seed"):
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=getattr(defaults, name))
    for name in ("learning_rate", "weight_decay", "lambda_base", "lambda_end", "lambda_min"):
        parser.add_argument(f"--{name.replace('_', '-')}", type=float, default=getattr(defaults, name))
    parser.add_argument("--mnist-folder", default="", help="folder with the four MNIST IDX files")
    parser.add_argument("--out", default="test-results/digits", help="folder for the figures and metrics.json")
    parser.add_argument("--device", choices=("cpu", "cuda"), default=None, help="default: CUDA when present")
    parser.add_argument("--no-cache", action="store_true", help="train even if this setting was run before")
    parser.add_argument(
        "--threads", type=int, default=1, help="CPU threads for torch (small convolutions gain little from more)"
    )
    return parser


def settings_from_args(args: argparse.Namespace) -> DigitsSettings:
    """DigitsSettings from parsed CLI arguments; ValueError naming a bad one."""
    try:
        margins = tuple(int(item) for item in args.margins.split(",") if item.strip())
    except ValueError:
        raise ValueError(f"margins must be comma-separated integers, got {args.margins!r}") from None
    names = [field.name for field in dataclasses.fields(DigitsSettings) if field.name != "margins"]
    return DigitsSettings(margins=margins, **{name: getattr(args, name) for name in names})


def main(argv: list[str] | None = None) -> int:
    """CLI: train (or load the cached run), write metrics.json, figure.html and figure.png."""
    args = _parser().parse_args(argv)
    torch.set_num_threads(max(1, args.threads))
    try:
        settings = settings_from_args(args)
        if args.device == "cuda" and not torch.cuda.is_available():
            raise ValueError("device 'cuda' was asked for, but CUDA is not available here")

        def report(progress: Progress) -> None:
            left = progress.seconds_left
            eta = f"{left:.0f} s left" if math.isfinite(left) else "timing..."
            print(f"\r{100 * progress.fraction:5.1f} %  epoch {progress.epoch:.1f}  {eta}   ", end="", file=sys.stderr)

        result = None if args.no_cache else load_result(settings)
        if result is None:
            result = DigitsTrainer(settings, load_digits_data(settings), args.device).run(report)
            print(file=sys.stderr)
            save_result(result)
    except (DataUnavailable, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(result.metrics(), indent=2) + "\n")
    for line in write_figures(result, out):
        print(line)
    for model in result.models:
        summary = model.summary()
        print(
            f"m = {model.m}: test accuracy {100 * model.test_accuracy:.2f} %, "
            f"intra-class angle {summary['mean_intra_class_angle_deg']:.1f} deg, "
            f"margin {summary['mean_margin_deg']:.1f} deg"
        )
    print(f"wrote {out / 'metrics.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
