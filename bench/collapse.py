"""Does a class vector collapse when L-Softmax trains 2-D features with lambda = 0 from the
start? scikit-learn's digits (1,797 images, 10 classes), an MLP 64 -> 64 -> 2 (no bias or
activation on the 2-D feature layer) and a LSoftmaxLinear / MarginLinear head, Adam, 1,320
steps of batch 64, per margin and schedule; prints the shortest class vector relative to the
median one, the smallest angle between class vectors, the worst per-class training recall,
and whether MarginLinear's collapse warning fired.

    .venv/bin/python -m bench.collapse
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
import torch.nn.functional as F

from lsoftmax import LambdaSchedule, MarginLinear
from lsoftmax.margins import LSoftmax, SphereFace

STEPS, BATCH = 1320, 64
CASES = [  # (label, margin, schedule)
    ("m = 1, lambda = 0", LSoftmax(m=1), None),
    ("m = 2, lambda = 0 (the default schedule None)", LSoftmax(m=2), None),
    ("m = 4, lambda = 0 (the default schedule None)", LSoftmax(m=4), None),
    ("m = 4, the README schedule (1000, 0.01, 4, min 1)", LSoftmax(m=4), LambdaSchedule(1000.0, 0.01, 4.0, 1.0)),
    ("SphereFace m = 4, lambda = 0", SphereFace(m=4), None),
]


def digits():
    from sklearn.datasets import load_digits

    data = load_digits()
    x = torch.tensor(data.data / 16.0, dtype=torch.float32)
    return x, torch.tensor(data.target)


def run(margin, schedule, x, y, seed: int = 0) -> dict:
    torch.manual_seed(seed)
    body = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.PReLU(), torch.nn.Linear(64, 2, bias=False))
    head = MarginLinear(2, 10, margin, lambda_schedule=schedule)
    optimizer = torch.optim.Adam([*body.parameters(), *head.parameters()], lr=0.01)
    generator = torch.Generator().manual_seed(seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(STEPS):
            rows = torch.randint(len(y), (BATCH,), generator=generator)
            loss = F.cross_entropy(head(body(x[rows]), y[rows]), y[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    head.eval()
    with torch.no_grad():
        predicted = head(body(x)).argmax(1)
        weight = head.weight.double()
    norms = torch.linalg.vector_norm(weight, dim=1)
    angles = torch.atan2(weight[:, 1], weight[:, 0]).sort().values
    gaps = torch.diff(torch.cat([angles, angles[:1] + 2 * np.pi]))
    recall = [float((predicted[y == c] == c).float().mean()) for c in range(10)]
    return {
        "shortest": float(norms.min() / norms.median()),
        "angle": float(gaps.min()) * 180.0 / np.pi,
        "recall": min(recall),
        "warned": any(str(w.message).startswith("MarginLinear:") for w in caught),
    }


def main() -> None:
    torch.set_num_threads(1)
    x, y = digits()
    print(f"digits, 2-D features, {STEPS} Adam steps of {BATCH}, seeds 0-2\n")
    print("| head | shortest abs(W_j) / median | smallest angle between W (°) | worst class recall | warned |")
    print("|---|---|---|---|---|")
    for label, margin, schedule in CASES:
        results = [run(margin, schedule, x, y, seed) for seed in range(3)]
        cells = [
            " / ".join(f"{r['shortest']:.2f}" for r in results),
            " / ".join(f"{r['angle']:.1f}" for r in results),
            " / ".join(f"{r['recall']:.2f}" for r in results),
            " / ".join("yes" if r["warned"] else "no" for r in results),
        ]
        print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
