"""Figure 2 on real digits: a small CNN whose last hidden layer has 2 units (no ReLU, no bias)
feeding an L-Softmax head, one model per m, all trained in lockstep from the same start on the
same batches, on scikit-learn's bundled 8x8 digits or on MNIST (lab.idx).

    settings = DigitsSettings(dataset="sklearn", epochs=30)
    trainer = DigitsTrainer(settings, load_digits_data(settings))
    result = trainer.run(on_progress=print, should_stop=lambda: False)
    result.metrics()                       # accuracies, angles, margins per m (JSON-able)

or `python -m lab.digits --help` (writes the figures and a metrics JSON).

The head is the library's LSoftmaxLinear (lsoftmax.layers): no formula is copied here.
Runs on CUDA when present (a CNN is big enough to gain from it: bench/digits.py), else the CPU.
Finished runs are cached per settings under lab.idx.cache_root() / "digits".
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from lab.angles import angle_stats
from lab.idx import cache_root, load_mnist
from lsoftmax import LambdaSchedule, LSoftmaxLinear
from lsoftmax.geometry import feasible_arcs, margin_gaps

DATASETS = ("sklearn", "mnist")
MARGIN_CHOICES = (1, 2, 3, 4)  # what the paper's Figure 2 shows
# Test error (%) on MNIST reported by the paper (its full CNN, not a 2-D feature layer).
PAPER_MNIST_ERROR = {1: 0.40, 2: 0.32, 3: 0.31, 4: 0.31}
PLOT_POINTS = 2000  # features kept per split for plotting (accuracies use every image)
LAMBDA_POWER = 4.0  # steepness of the lambda decay (the schedule of lsoftmax.LambdaSchedule)
EVAL_BATCH = 2048
NUM_CLASSES = 10
SKLEARN_TEST_FRACTION = 0.25


@dataclass(frozen=True)
class DigitsSettings:
    """Everything that decides a digits run; the cache key."""

    dataset: str = "sklearn"  # "sklearn": 1,797 bundled 8x8 digits; "mnist": 28x28 from IDX files
    margins: tuple[int, ...] = (1, 2, 3, 4)  # one model per m, all from the same start
    epochs: int = 30  # passes over the training set
    batch_size: int = 32  # images per step, the same batches for every model
    learning_rate: float = 0.01  # Adam
    weight_decay: float = 5e-4  # L2 on every parameter
    channels: int = 16  # conv channels of the first block; each further block doubles them
    lambda_base: float = 1000.0  # lambda at step 0: start as plain softmax (paper section 5.1)
    lambda_end: float = 0.5  # lambda at the last step; the schedule's gamma is derived from it
    lambda_min: float = 0.0  # floor of lambda
    train_limit: int = 0  # use at most this many training images (0: all); MNIST on a CPU wants ~10,000
    seed: int = 0  # split (8x8 digits), initial weights and batch order
    mnist_folder: str = ""  # folder with the MNIST IDX files; "" = the download cache

    def __post_init__(self):
        checks = (
            ("dataset", self.dataset in DATASETS, f"one of {list(DATASETS)}"),
            ("margins", _valid_margins(self.margins), "1 to 4 distinct integers in 1..8"),
            ("epochs", _int_in(self.epochs, 1, 500), "an integer in [1, 500]"),
            ("batch_size", _int_in(self.batch_size, 8, 1024), "an integer in [8, 1024]"),
            ("learning_rate", _number_in(self.learning_rate, 1e-6, 1.0), "a number in [1e-6, 1]"),
            ("weight_decay", _number_in(self.weight_decay, 0.0, 0.1), "a number in [0, 0.1]"),
            ("channels", _int_in(self.channels, 2, 128), "an integer in [2, 128]"),
            ("lambda_base", _number_in(self.lambda_base, 0.0, 1e6), "a number in [0, 1e6]"),
            ("lambda_end", _number_in(self.lambda_end, 0.0, 1e6), "a number in [0, 1e6]"),
            ("lambda_min", _number_in(self.lambda_min, 0.0, 1e6), "a number in [0, 1e6]"),
            ("train_limit", _int_in(self.train_limit, 0, 60000), "an integer in [0, 60000]"),
            ("seed", _int_in(self.seed, 0, 2**31 - 1), "an integer >= 0"),
        )
        for name, ok, wanted in checks:
            if not ok:
                raise ValueError(f"{name} must be {wanted}, got {getattr(self, name)!r}")
        object.__setattr__(self, "margins", tuple(int(m) for m in self.margins))

    def key(self) -> str:
        """A short stable digest of these settings (cache file names)."""
        text = json.dumps(dataclasses.asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def describe(self) -> str:
        """One line for figure captions and reports."""
        data = "8x8 digits (scikit-learn)" if self.dataset == "sklearn" else "MNIST 28x28"
        limit = f", {self.train_limit:,} training images" if self.train_limit else ""
        return (
            f"{data}{limit}, {self.epochs} epochs, batch {self.batch_size}, Adam lr {self.learning_rate:g}, "
            f"weight decay {self.weight_decay:g}, lambda {self.lambda_base:g} -> {self.lambda_end:g}, seed {self.seed}"
        )


def _int_in(value, low, high) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _number_in(value, low, high) -> bool:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    return ok and math.isfinite(value) and low <= value <= high


def _valid_margins(margins) -> bool:
    items = tuple(margins) if isinstance(margins, (tuple, list)) else ()
    return 1 <= len(items) <= 4 and len(set(items)) == len(items) and all(_int_in(m, 1, 8) for m in items)


# ------------------------------------------------------------------- data


@dataclass(frozen=True)
class DigitsData:
    """Images (N, 1, H, W) float32, standardised, and int64 labels 0..9."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    description: str  # e.g. "8x8 digits: 1,347 train / 450 test"


def _standardise(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean, std = float(train.mean()), float(train.std()) or 1.0
    return ((train - mean) / std)[:, None].astype(np.float32), ((test - mean) / std)[:, None].astype(np.float32)


def _limit(images, labels, limit: int, rng: np.random.Generator):
    if not limit or limit >= len(labels):
        return images, labels
    chosen = np.sort(rng.permutation(len(labels))[:limit])
    return images[chosen], labels[chosen]


def load_digits_data(settings: DigitsSettings) -> DigitsData:
    """The images of settings.dataset; DataUnavailable (a ValueError) when MNIST cannot be found."""
    rng = np.random.default_rng(settings.seed)
    if settings.dataset == "sklearn":
        from sklearn.datasets import load_digits  # bundled with scikit-learn: nothing to download

        bunch = load_digits()
        images, labels = bunch.images.astype(np.float64) / 16.0, bunch.target.astype(np.int64)
        order = rng.permutation(len(labels))
        cut = int(round(len(labels) * (1 - SKLEARN_TEST_FRACTION)))
        train, test = order[:cut], order[cut:]
        train_images, train_labels = _limit(images[train], labels[train], settings.train_limit, rng)
        test_images, test_labels, name = images[test], labels[test], "8x8 digits"
    else:
        mnist = load_mnist(settings.mnist_folder or None)
        train_images, train_labels = _limit(mnist.train_images / 255.0, mnist.train_labels, settings.train_limit, rng)
        test_images, test_labels, name = mnist.test_images / 255.0, mnist.test_labels, "MNIST"
    train_x, test_x = _standardise(train_images, test_images)
    description = f"{name}: {len(train_labels):,} train / {len(test_labels):,} test images"
    return DigitsData(train_x, train_labels, test_x, test_labels, description)


# ------------------------------------------------------------------ model


class DigitsNet(nn.Module):
    """Conv blocks (halving the image until it is at most 4 px) -> 64 -> 2-D feature -> L-Softmax.

    The 2-D feature layer has no bias and no activation (a ReLU would fold the features into
    one quadrant; the reference's section 4). head.weight (10, 2) holds the class vectors W_j.
    """

    def __init__(self, image_size: int, channels: int, m: int, lambda_schedule=None):
        super().__init__()
        blocks, size, width_in, width = [], image_size, 1, channels
        while size > 4 or not blocks:
            blocks += [nn.Conv2d(width_in, width, 3, padding=1), nn.BatchNorm2d(width), nn.PReLU(width)]
            blocks += [nn.Conv2d(width, width, 3, padding=1), nn.BatchNorm2d(width), nn.PReLU(width)]
            blocks.append(nn.MaxPool2d(2))
            size, width_in, width = size // 2, width, width * 2
        self.body = nn.Sequential(*blocks, nn.Flatten(), nn.Linear(width_in * size * size, 64), nn.PReLU(64))
        self.feature = nn.Linear(64, 2, bias=False)
        self.head = LSoftmaxLinear(2, NUM_CLASSES, m, lambda_schedule)

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """(N, 1, H, W) -> (N, 2)."""
        return self.feature(self.body(images))

    def forward(self, images: torch.Tensor, target: torch.Tensor | None = None) -> torch.Tensor:
        """Margin logits while training with a target, plain logits otherwise (N, 10)."""
        return self.head(self.features(images), target)


def _initialise(model: nn.Module, generator: torch.Generator) -> None:
    """Weights from a per-run generator (torch.manual_seed is process-wide); biases zero."""
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear, LSoftmaxLinear)):
            nn.init.kaiming_uniform_(module.weight, a=math.sqrt(5), generator=generator)
            if getattr(module, "bias", None) is not None:
                nn.init.zeros_(module.bias)


def pick_device() -> str:
    """CUDA when present: this CNN gains from it (bench/digits.py), unlike the toy MLP."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def _same_start(source: nn.Module, target: nn.Module) -> dict:
    """source's weights for target: its state_dict, but each margin head's extra state (its m,
    which load_state_dict checks) kept from target."""
    own = target.state_dict()
    return {name: own[name] if name.endswith("_extra_state") else value for name, value in source.state_dict().items()}


def lambda_schedule(settings: DigitsSettings, total_steps: int) -> LambdaSchedule:
    """The library's power-law schedule with gamma chosen so lambda(total_steps) = lambda_end."""
    if settings.lambda_end <= 0 or settings.lambda_end >= settings.lambda_base:
        gamma = 0.0 if settings.lambda_end >= settings.lambda_base else 1.0
    else:
        gamma = ((settings.lambda_base / settings.lambda_end) ** (1.0 / LAMBDA_POWER) - 1.0) / max(total_steps, 1)
    return LambdaSchedule(settings.lambda_base, gamma, LAMBDA_POWER, settings.lambda_min)


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Progress:
    """Where a run stands: steps done of all, and a time estimate from the speed so far."""

    step: int
    total_steps: int
    epoch: float  # epochs done, fractional
    epochs: int  # epochs in the whole run
    elapsed_seconds: float
    lam: float  # lambda at the last step

    @property
    def fraction(self) -> float:
        return self.step / self.total_steps if self.total_steps else 1.0

    @property
    def seconds_left(self) -> float:
        """Estimated seconds to the end (NaN before the first step)."""
        if self.step == 0:
            return float("nan")
        return self.elapsed_seconds / self.step * (self.total_steps - self.step)


@dataclass(frozen=True)
class ModelResult:
    """One m after training: accuracies on every image, features of a subset for plotting."""

    m: int
    train_features: np.ndarray  # (n, 2) float32, the first PLOT_POINTS training images
    test_features: np.ndarray  # (n, 2) float32, the first PLOT_POINTS test images
    weights: np.ndarray  # (10, 2) class vectors W_j
    train_accuracy: float  # plain argmax of W_j . x, every training image
    test_accuracy: float
    test_loss: float  # plain cross-entropy on the test set
    class_angle_deg: np.ndarray  # (10,) mean angle between a test feature and its W_y
    class_angle_std_deg: np.ndarray  # (10,) its spread within the class
    margin_deg: float  # mean width of the gaps between neighbouring feasible arcs of the learned W
    mean_feature_norm: float  # mean |x| on the test set

    def summary(self) -> dict:
        """JSON-able numbers."""
        error = 100.0 * (1.0 - self.test_accuracy)
        return {
            "m": self.m,
            "train_accuracy": round(self.train_accuracy, 5),
            "test_accuracy": round(self.test_accuracy, 5),
            "test_error_percent": round(error, 3),
            "paper_mnist_error_percent": PAPER_MNIST_ERROR.get(self.m),
            "test_loss": round(self.test_loss, 5),
            "mean_intra_class_angle_deg": round(float(np.nanmean(self.class_angle_deg)), 3),
            "mean_intra_class_angle_std_deg": round(float(np.nanmean(self.class_angle_std_deg)), 3),
            "per_class_angle_deg": [round(float(value), 2) for value in self.class_angle_deg],
            "mean_margin_deg": round(self.margin_deg, 3),
            "mean_feature_norm": round(self.mean_feature_norm, 4),
        }


@dataclass(frozen=True)
class DigitsResult:
    """A finished (or stopped) lockstep run."""

    settings: DigitsSettings
    models: tuple[ModelResult, ...]
    train_labels: np.ndarray  # (n,) labels of the plotted training features
    test_labels: np.ndarray  # (n,)
    steps: int
    epochs_done: float
    seconds: float
    device: str
    stopped: bool  # True when stopped before the last epoch
    data_description: str

    def metrics(self) -> dict:
        """Everything a report needs, JSON-able."""
        return {
            "settings": dataclasses.asdict(self.settings),
            "data": self.data_description,
            "device": self.device,
            "steps": self.steps,
            "epochs_done": round(self.epochs_done, 3),
            "seconds": round(self.seconds, 2),
            "stopped": self.stopped,
            "models": [model.summary() for model in self.models],
            "paper": "Liu et al. 2016 (ICML): MNIST test error 0.40 / 0.32 / 0.31 / 0.31 % for m = 1..4",
        }


# ---------------------------------------------------------------- trainer


class DigitsTrainer:
    """G = len(settings.margins) CNNs advanced together: same start, same batches, one step each."""

    def __init__(self, settings: DigitsSettings, data: DigitsData, device: str | None = None):
        self.settings, self.data = settings, data
        self.device = device or pick_device()
        self.steps_per_epoch = math.ceil(len(data.train_labels) / settings.batch_size)
        self.total_steps = self.steps_per_epoch * settings.epochs
        schedule = lambda_schedule(settings, self.total_steps)
        generator = torch.Generator().manual_seed(settings.seed)
        image_size = data.train_images.shape[-1]
        first = DigitsNet(image_size, settings.channels, settings.margins[0], schedule)
        _initialise(first, generator)
        self.models = [first]
        for m in settings.margins[1:]:
            model = DigitsNet(image_size, settings.channels, m, schedule)
            model.load_state_dict(_same_start(first, model))  # the same start for every m
            self.models.append(model)
        for model in self.models:
            model.to(self.device).train()
        self.optimizers = [
            torch.optim.Adam(model.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay)
            for model in self.models
        ]
        self._train_x = torch.from_numpy(data.train_images).to(self.device)
        self._train_y = torch.from_numpy(data.train_labels).to(self.device)
        self._batch_generator = torch.Generator().manual_seed(settings.seed + 1)
        self._order = torch.empty(0, dtype=torch.int64)
        self.step = 0
        self.elapsed = 0.0
        self.last_lambda = schedule.schedule(0)

    @property
    def done(self) -> bool:
        return self.step >= self.total_steps

    def progress(self) -> Progress:
        epoch = self.step / self.steps_per_epoch
        return Progress(self.step, self.total_steps, epoch, self.settings.epochs, self.elapsed, self.last_lambda)

    def _next_batch(self) -> torch.Tensor:
        position = self.step % self.steps_per_epoch
        if position == 0:
            self._order = torch.randperm(len(self.data.train_labels), generator=self._batch_generator)
        size = self.settings.batch_size
        return self._order[position * size : (position + 1) * size].to(self.device)

    def train_step(self) -> None:
        """One step of every model on the same batch."""
        rows = self._next_batch()
        images, target = self._train_x[rows], self._train_y[rows]
        for model, optimizer in zip(self.models, self.optimizers, strict=True):
            loss = F.cross_entropy(model(images, target), target)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        self.last_lambda = self.models[0].head.last_lambda
        self.step += 1

    def advance(self, seconds: float) -> Progress:
        """Train until `seconds` have passed (at least one step) or the run is done."""
        start = time.perf_counter()
        while not self.done:
            self.train_step()
            if time.perf_counter() - start >= seconds:
                break
        self.elapsed += time.perf_counter() - start
        return self.progress()

    def run(
        self,
        on_progress: Callable[[Progress], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
        report_seconds: float = 0.5,
    ) -> DigitsResult:
        """Train to the end (or until should_stop() is true), reporting every `report_seconds` (at least one step)."""
        while not self.done and not (should_stop and should_stop()):
            progress = self.advance(report_seconds)
            if on_progress:
                on_progress(progress)
        return self.result()

    @torch.no_grad()
    def _evaluate(self, model: DigitsNet, images: np.ndarray, labels: np.ndarray):
        """Features (N, 2) and plain logits (N, 10) of every image, in eval mode."""
        model.eval()
        features, logits = [], []
        for start in range(0, len(labels), EVAL_BATCH):
            batch = torch.from_numpy(images[start : start + EVAL_BATCH]).to(self.device)
            feature = model.features(batch)
            features.append(feature.cpu())
            logits.append(model.head(feature).cpu())
        model.train()
        return torch.cat(features).double().numpy(), torch.cat(logits)

    def _model_result(self, model: DigitsNet) -> ModelResult:
        data = self.data
        train_features, train_logits = self._evaluate(model, data.train_images, data.train_labels)
        test_features, test_logits = self._evaluate(model, data.test_images, data.test_labels)
        test_target = torch.from_numpy(data.test_labels)
        weights = model.head.weight.detach().cpu().double().numpy()
        stats = angle_stats(test_features, data.test_labels, weights)
        gaps = margin_gaps(feasible_arcs(weights, model.head.m))
        return ModelResult(
            m=model.head.m,
            train_features=train_features[:PLOT_POINTS].astype(np.float32),
            test_features=test_features[:PLOT_POINTS].astype(np.float32),
            weights=weights,
            train_accuracy=float((train_logits.argmax(1).numpy() == data.train_labels).mean()),
            test_accuracy=float((test_logits.argmax(1) == test_target).double().mean()),
            test_loss=float(F.cross_entropy(test_logits.double(), test_target)),
            class_angle_deg=stats.class_mean_deg,
            class_angle_std_deg=stats.class_std_deg,
            margin_deg=float(np.degrees(np.mean([gap.width for gap in gaps]))) if gaps else 0.0,
            mean_feature_norm=stats.mean_feature_norm,
        )

    def result(self) -> DigitsResult:
        """Evaluate every model now (also mid-run: a stopped run still has a result)."""
        return DigitsResult(
            settings=self.settings,
            models=tuple(self._model_result(model) for model in self.models),
            train_labels=self.data.train_labels[:PLOT_POINTS],
            test_labels=self.data.test_labels[:PLOT_POINTS],
            steps=self.step,
            epochs_done=self.step / self.steps_per_epoch,
            seconds=self.elapsed,
            device=self.device,
            stopped=not self.done,
            data_description=self.data.description,
        )


# ------------------------------------------------------------------ cache


def cache_file(settings: DigitsSettings) -> Path:
    """Where a finished run of these settings is kept."""
    return cache_root() / "digits" / f"{settings.dataset}-{settings.key()}.npz"


def save_result(result: DigitsResult, path: Path | None = None) -> Path:
    """Write a result (arrays and a JSON header) to one .npz file; atomic (temporary file, rename)."""
    path = path or cache_file(result.settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = {key: value for key, value in result.metrics().items() if key != "models"}
    arrays = {"header": np.array(json.dumps(header)), "train_labels": result.train_labels}
    arrays["test_labels"] = result.test_labels
    for index, model in enumerate(result.models):
        for field in dataclasses.fields(ModelResult):
            arrays[f"{index}.{field.name}"] = np.asarray(getattr(model, field.name))
    partial = path.with_name(path.name + ".part.npz")
    np.savez_compressed(partial, **arrays)
    partial.replace(path)
    return path


def load_result(settings: DigitsSettings, path: Path | None = None) -> DigitsResult | None:
    """The cached finished run of these settings, or None (also for an unreadable file)."""
    path = path or cache_file(settings)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            header = json.loads(str(stored["header"]))
            models = []
            for index in range(len(settings.margins)):
                values = {field.name: stored[f"{index}.{field.name}"] for field in dataclasses.fields(ModelResult)}
                scalars = {name: value.item() for name, value in values.items() if value.ndim == 0}
                models.append(ModelResult(**{**values, **scalars}))
            train_labels, test_labels = stored["train_labels"], stored["test_labels"]
    except (OSError, KeyError, ValueError, TypeError):
        return None
    if header.get("settings") != json.loads(json.dumps(dataclasses.asdict(settings))):
        return None
    return DigitsResult(
        settings,
        tuple(models),
        train_labels,
        test_labels,
        header["steps"],
        header["epochs_done"],
        header["seconds"],
        header["device"],
        header["stopped"],
        header["data"],
    )


def train_or_load(
    settings: DigitsSettings,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    device: str | None = None,
) -> DigitsResult:
    """The cached run of these settings if there is one, else train now (and cache it if it finished)."""
    cached = load_result(settings)
    if cached is not None:
        return cached
    result = DigitsTrainer(settings, load_digits_data(settings), device).run(on_progress, should_stop)
    if not result.stopped:
        save_result(result)
    return result
