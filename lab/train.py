"""A headless trainer for the live training lab: an MLP with a 2-D (or 3-D: settings.feature_dim)
feature layer and an L-Softmax head, on toy 2-D data, advanced n steps at a time, with numpy snapshots.

    trainer = Trainer(TrainSettings(dataset="blobs", m=4))
    report = trainer.train(200)           # TrainReport: steps done, divergence, seconds
    snap = trainer.snapshot()             # Snapshot: features, class vectors, decision grid, metrics
    curves = trainer.history()            # bounded: at most HISTORY_ROWS rows

Conventions (for the page):
- Losses. train_loss is the training objective itself: the mean L-Softmax cross-entropy over
  the train set with the margin logits at the current lambda (what the optimiser lowers).
  test_loss, train_plain_loss and both accuracies use the plain logits W_j . x, the test-time
  rule of every L-Softmax implementation; so test_loss is comparable with train_plain_loss,
  and train_loss >= train_plain_loss for m > 1.
- Steps. `step` counts SGD updates; lambda at update t is schedule(t), t = 1 at the first.
  Snapshots and history rows report lambda = schedule(step) (schedule(0) before training).
- Divergence: a non-finite loss or a mean |x| above MAX_FEATURE_NORM stops train(), restores
  the last state whose loss was still finite and bounded (one or two steps before the
  failure, so `step` can end one lower than it was when train() was called), sets
  `diverged`, and further train() calls do nothing until reset().
- reset(same_init=False) moves to settings.seed + 1: a new data draw, split, initialisation
  and batch order; the new settings are in trainer.settings (trainer.seed is a shortcut).
- Compare mode: G = len(settings.compare) models, one per entry (a member and its parameters),
  start from the same weights and see the same batches; arrays with a leading G follow the
  order of `margins`.
- Grids: grid_class[g, i, j] is the class at (grid_x[j], grid_y[i]) (rows follow y, as a
  heatmap's z).
- Where it runs: device None picks CUDA when available, as asked. The training step runs in
  numpy with hand-written gradients on the CPU (about 2.5x faster than torch for a model
  this small) and as plain torch autograd over lsoftmax.margin_logits on CUDA (backend
  "autograd", which the tests also run on the CPU as the reference); evaluation (metrics,
  decision grid) always in torch.
- Margins: settings.margins (members of lsoftmax.margins: LSoftmax, SphereFace, CosFace,
  ArcFace, CombinedMargin), unless Trainer(..., margins=...) gives members (or integers m), one
  per model; t and dt/dc always come from the member. Measured (bench/train.py): this
  model is launch-bound on a GPU, about 5x slower per step on an H200 than on one CPU core,
  so a page that wants speed should pass device="cpu".

Beyond the API the page was promised (nothing renamed or removed):
- TrainSettings lives in lab/settings.py (no torch import, for URL parsing) and
  AngleStats / angle_stats in lab/angles.py (numpy only); both are re-exported here.
- Added: Snapshot.train_plain_loss, history key "train_plain_loss", Trainer.n_classes,
  Trainer.seed, Trainer(..., backend=None), TrainSettings.margins, TrainSettings.effective_classes
  (datasets with a fixed K ignore n_classes), make_schedule(settings).
- Lambda defaults: base 1000, gamma 0.01, power 4 (about 12 at step 200, 1.6 at 400, 0.15 at 800).
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, replace

import numpy as np
import torch

from lab.angles import AngleStats, angle_stats
from lab.datasets import make_dataset
from lab.models import NetworkShape, StackedNetwork
from lab.settings import CUSTOM_DATASET, TrainSettings, model_name
from lsoftmax.margins import as_margin
from lsoftmax.schedule import LambdaSchedule, MultiplicativeSchedule

__all__ = ["TrainSettings", "Trainer", "TrainReport", "Snapshot", "AngleStats", "angle_stats", "make_schedule"]

MAX_FEATURE_NORM = 1e4  # mean |x| above this counts as divergence (L-Softmax can blow norms up)
HISTORY_ROWS = 1000  # history keeps at most this many rows
HISTORY_EVERY = 20  # first stride between history rows; doubles each time the buffer fills
CHECK_EVERY = 200  # steps between divergence checks (one device sync each)
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8


# ------------------------------------------------------------------ results


@dataclass(frozen=True)
class TrainReport:
    """What one train() call did."""

    steps_done: int  # steps kept (fewer than asked when training diverged)
    diverged: bool  # training stopped because it diverged (now or earlier)
    message: str | None  # what happened and what to try, when diverged
    seconds: float  # wall time of the call


@dataclass(frozen=True)
class Snapshot:
    """Everything the page draws at one step, as numpy (G models, N points, K classes, R grid)."""

    step: int
    margins: tuple  # the lsoftmax.margins member of each model (an int m where Trainer(margins=...) gave one)
    lambdas: np.ndarray  # (G,) lambda at this step
    inputs: np.ndarray  # (N, 2) float32, train and test points
    labels: np.ndarray  # (N,) int64
    is_test: np.ndarray  # (N,) bool
    features: np.ndarray  # (G, N, D) float32, the feature layer (no activation, no bias), D = feature_dim
    weights: np.ndarray  # (G, K, D) float32, the head's class vectors W_j
    grid_x: np.ndarray  # (R,) float32
    grid_y: np.ndarray  # (R,) float32
    grid_class: np.ndarray  # (G, R, R) int8, plain argmax class; [g, i, j] at (grid_x[j], grid_y[i])
    grid_confidence: np.ndarray  # (G, R, R) float32, softmax probability of that class
    train_loss: np.ndarray  # (G,) L-Softmax loss on the train set at the current lambda
    test_loss: np.ndarray  # (G,) plain softmax cross-entropy on the test set
    train_acc: np.ndarray  # (G,) plain-argmax accuracy on the train set
    test_acc: np.ndarray  # (G,) plain-argmax accuracy on the test set
    train_plain_loss: np.ndarray  # (G,) plain softmax cross-entropy on the train set
    angles: list[AngleStats]  # per model, on all points


# ------------------------------------------------------------------ schedule


def make_schedule(settings: TrainSettings):
    """The lambda schedule the settings describe (anything with .schedule(t)), or None for lambda = 0."""
    if settings.lambda_kind == "power":
        return LambdaSchedule(settings.lambda_base, settings.lambda_gamma, settings.lambda_power, settings.lambda_min)
    if settings.lambda_kind == "multiplicative":
        return MultiplicativeSchedule(settings.lambda_start, settings.lambda_factor, settings.lambda_min)
    return None


def _as_numpy(array) -> np.ndarray:
    return array.detach().cpu().numpy() if isinstance(array, torch.Tensor) else array


def _lambda_at(schedule, step: int) -> float:
    return 0.0 if schedule is None else float(schedule.schedule(step))


# ------------------------------------------------------------------ data


def _seed_for(seed: int, purpose: int, *more: int) -> int:
    """An independent 63-bit seed per purpose (data, split, init, batches) from the run's seed."""
    return int(np.random.SeedSequence([seed, purpose, *more]).generate_state(2, np.uint64)[0] >> np.uint64(1))


def _points(settings: TrainSettings, data) -> tuple[np.ndarray, np.ndarray]:
    """(X (N, 2) float32, y (N,) int64): generated, or the user's own for dataset "custom"."""
    if settings.dataset != CUSTOM_DATASET:
        if data is not None:
            raise ValueError(f"data is only used with dataset='custom', got dataset={settings.dataset!r}")
        rng = np.random.default_rng(_seed_for(settings.seed, 0))
        return make_dataset(settings.dataset, settings.n_samples, settings.noise, rng, settings.effective_classes)
    if data is None:
        raise ValueError("data must be given as (X, y) when dataset='custom', got None")
    inputs, labels = np.asarray(data[0], dtype=np.float32), np.asarray(data[1])
    if inputs.ndim != 2 or inputs.shape[1] != 2 or labels.shape != (len(inputs),) or len(inputs) < 4:
        raise ValueError(f"data must be X (N, 2) and y (N,) with N >= 4, got {inputs.shape} and {labels.shape}")
    if not np.all(np.isfinite(inputs)) or not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0:
        raise ValueError("data must have finite X and integer labels y >= 0")
    if len(np.unique(labels)) < 2:
        raise ValueError(f"data must have at least 2 classes, got labels {np.unique(labels).tolist()}")
    return inputs, labels.astype(np.int64)


def _test_mask(count: int, fraction: float, seed: int) -> np.ndarray:
    """(N,) bool: a random test set of round(fraction N) points, at least 1, leaving at least 2 to train on."""
    n_test = min(max(1, round(fraction * count)), count - 2)
    order = np.random.default_rng(_seed_for(seed, 1)).permutation(count)
    mask = np.zeros(count, dtype=bool)
    mask[order[:n_test]] = True
    return mask


# ------------------------------------------------------------------ optimisers


class _Adam:
    """torch.optim.Adam (L2 weight decay added to the gradient) on the flat (G, P) parameters,
    numpy arrays or torch tensors alike."""

    def __init__(self, params, settings: TrainSettings, decay, ops):
        self.lr, self.ops = settings.learning_rate, ops
        self.decay = decay * settings.weight_decay  # (P,)
        self.exp_avg = params * 0.0
        self.exp_avg_sq = params * 0.0

    @property
    def state(self) -> list:
        return [self.exp_avg, self.exp_avg_sq]

    def update(self, params, grads, step: int) -> None:
        beta1, beta2 = ADAM_BETAS
        grads += self.decay * params
        self.exp_avg *= beta1
        self.exp_avg += (1.0 - beta1) * grads
        self.exp_avg_sq *= beta2
        self.exp_avg_sq += (1.0 - beta2) * grads * grads
        denom = self.ops.sqrt(self.exp_avg_sq) * (1.0 / math.sqrt(1.0 - beta2**step)) + ADAM_EPS
        params -= (self.lr / (1.0 - beta1**step)) * self.exp_avg / denom


class _SGD:
    """torch.optim.SGD with momentum (no dampening, L2 weight decay) on the flat (G, P) parameters."""

    def __init__(self, params, settings: TrainSettings, decay, ops):
        self.lr = settings.learning_rate
        self.momentum = settings.momentum
        self.decay = decay * settings.weight_decay
        self.buffer = params * 0.0

    @property
    def state(self) -> list:
        return [self.buffer]

    def update(self, params, grads, step: int) -> None:
        grads += self.decay * params
        self.buffer *= self.momentum
        self.buffer += grads
        params -= self.lr * self.buffer


# ------------------------------------------------------------------ history


class _History:
    """At most `rows` rows of metrics; when full, every other row goes and the stride doubles."""

    KEYS = ("train_loss", "test_loss", "train_acc", "test_acc", "lambda", "train_plain_loss")

    def __init__(self, count: int):
        self.rows, self.every = HISTORY_ROWS, HISTORY_EVERY
        self.steps = np.zeros(self.rows, dtype=np.int64)
        self.values = np.zeros((self.rows, len(self.KEYS), count))
        self.size = 0

    def due(self, step: int) -> bool:
        return step % self.every == 0

    def add(self, step: int, metrics: dict[str, np.ndarray]) -> None:
        if self.size == self.rows:
            keep = self.steps[: self.size] % (2 * self.every) == 0
            kept = int(keep.sum())
            self.steps[:kept], self.values[:kept] = self.steps[: self.size][keep], self.values[: self.size][keep]
            self.size, self.every = kept, 2 * self.every
            if step % self.every:
                return
        self.steps[self.size] = step
        self.values[self.size] = [metrics[key] for key in self.KEYS]
        self.size += 1

    def truncate(self, step: int) -> None:
        """Forget rows after this step."""
        self.size = int(np.searchsorted(self.steps[: self.size], step, side="right"))

    def as_dict(self) -> dict[str, np.ndarray]:
        table = {"step": self.steps[: self.size].copy()}
        for index, key in enumerate(self.KEYS):
            table[key] = self.values[: self.size, index].copy()
        return table


@dataclass(frozen=True)
class _State:
    """A copy of everything that training changes, to restore after a divergence."""

    step: int
    params: torch.Tensor
    buffers: torch.Tensor
    optimizer: tuple[torch.Tensor, ...]


# ------------------------------------------------------------------ trainer


class Trainer:
    """Trains len(settings.margins) models in lockstep; see the module docstring."""

    def __init__(
        self, settings: TrainSettings, data=None, device: str | None = None, backend: str | None = None, margins=None
    ):
        """data: the user's (X (N, 2), y (N,)) for dataset "custom"; device None: CUDA if available;
        backend None: the hand-written numpy step on the CPU (faster), autograd on CUDA; "autograd"
        forces autograd over margin_logits on the CPU too (tests run the CUDA code path that way).
        margins: members of lsoftmax.margins (or integers m), one per model, instead of settings.margins."""
        if not isinstance(settings, TrainSettings):
            raise ValueError(f"settings must be a TrainSettings, got {type(settings).__name__}")
        if device is None:
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if device not in ("cuda", "cpu"):
            raise ValueError(f"device must be 'cuda', 'cpu' or None, got {device!r}")
        if device == "cuda" and not torch.cuda.is_available():
            raise ValueError("device must be 'cpu' or None here: CUDA is not available")
        self.device = device
        self.backend = backend
        if margins is not None:
            margins = tuple(margins)
            if not margins or len(margins) > 8:
                raise ValueError(f"margins must hold 1 to 8 members, got {margins!r}")
            [as_margin(margin, "margins") for margin in margins]  # raises ValueError naming margins
        self._margins = margins
        self._data = data
        self._start(settings)

    # --- set-up

    def _start(self, settings: TrainSettings) -> None:
        self.settings = settings
        self.margins = self._margins if self._margins is not None else settings.margins
        self._prepare_data(settings)
        self._build(settings)
        self._epochs: dict[int, np.ndarray] = {}
        self.step = 0
        self.diverged: str | None = None
        self._initial = self._save()
        self._checkpoints: deque[_State] = deque([self._initial], maxlen=2)
        self._history = _History(len(self.margins))
        self._history.add(0, self._metrics(self._evaluate()))

    def _prepare_data(self, settings: TrainSettings) -> None:
        """Points, split, and their tensors on the device."""
        inputs, labels = _points(settings, self._data)
        custom = settings.dataset == CUSTOM_DATASET
        self.n_classes = int(labels.max()) + 1 if custom else settings.effective_classes
        is_test = _test_mask(len(labels), settings.test_fraction, settings.seed)
        self._inputs, self._labels, self._is_test = inputs, labels, is_test
        self._x_all = torch.from_numpy(inputs).to(self.device)  # (N, 2)
        self._y_all = torch.from_numpy(labels).to(self.device)  # (N,)
        self._onehot_all = torch.nn.functional.one_hot(self._y_all, self.n_classes).float()  # (N, K)
        self._test_rows = torch.from_numpy(is_test).to(self.device)
        self._x_train = self._x_all[~self._test_rows]
        self._y_train = self._y_all[~self._test_rows]
        split = np.stack([~is_test, is_test], axis=1).astype(np.float64)  # (N, 2): train and test masks
        self._split_masks, self._split_counts = torch.from_numpy(split).to(self.device), split.sum(axis=0)

    def _build(self, settings: TrainSettings) -> None:
        """The stacked network (initialised from the seed), the optimiser and the schedule."""
        self.schedule = make_schedule(settings)
        shape = NetworkShape(
            settings.hidden_layers,
            settings.hidden_width,
            self.n_classes,
            settings.activation,
            settings.batch_norm,
            settings.feature_dim,
        )
        generator = torch.Generator().manual_seed(_seed_for(settings.seed, 2))
        network = StackedNetwork(shape, self.margins, generator, self.device, backend=self.backend)
        optimizer = _Adam if settings.optimizer == "adam" else _SGD
        self.network = network
        self.optimizer = optimizer(network.step_params, settings, network.decay_mask, network.ops)
        self._x_step = network.as_step_array(self._x_train)  # (N_train, 2) as the step's array kind
        self._labels_step = network.as_step_array(self._y_train)  # (N_train,)

    @property
    def seed(self) -> int:
        """The seed of the current run (changes with reset(same_init=False))."""
        return self.settings.seed

    def reset(self, same_init: bool = True) -> None:
        """Back to step 0: the same initial weights and batch order, or (same_init=False) seed + 1."""
        if same_init:
            self._restore(self._initial)
            self.diverged = None
            self._checkpoints = deque([self._initial], maxlen=2)
            self._history = _History(len(self.margins))
            self._history.add(0, self._metrics(self._evaluate()))
            return
        self._start(replace(self.settings, seed=(self.settings.seed + 1) % 2**31))

    # --- state copies

    def _save(self) -> _State:
        copy, network = self.network.ops.copy, self.network
        optimizer = tuple(copy(array) for array in self.optimizer.state)
        return _State(self.step, copy(network.step_params), copy(network.step_buffers), optimizer)

    def _restore(self, state: _State) -> None:
        self.network.load(state.params, state.buffers)
        for array, saved in zip(self.optimizer.state, state.optimizer, strict=True):
            array[...] = saved
        self.step = state.step

    # --- batches

    def _epoch_order(self, epoch: int) -> np.ndarray:
        """The shuffle of the train set for one epoch: a pure function of (seed, epoch)."""
        if epoch not in self._epochs:
            if len(self._epochs) > 8:
                self._epochs.clear()
            rng = np.random.default_rng(_seed_for(self.settings.seed, 3, epoch))
            self._epochs[epoch] = rng.permutation(len(self._y_train))
        return self._epochs[epoch]

    def _batch_indices(self, first_step: int, count: int) -> np.ndarray:
        """(count, B) train-set rows of steps first_step + 1 .. first_step + count.

        The stream of batches runs through one shuffle per epoch, B rows at a time, and
        carries across epoch ends, so every batch is full and step s always sees the same rows.
        """
        batch, n_train = self.settings.batch_size, len(self._y_train)
        start, stop = first_step * batch, (first_step + count) * batch
        epochs = range(start // n_train, (stop - 1) // n_train + 1)
        stream = np.concatenate([self._epoch_order(epoch) for epoch in epochs])
        offset = start - epochs[0] * n_train
        return stream[offset : offset + count * batch].reshape(count, batch)

    # --- training

    def train(self, n_steps: int) -> TrainReport:
        """Advance up to n_steps SGD steps; stops early (and restores a good state) on divergence."""
        if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 0:
            raise ValueError(f"n_steps must be an integer >= 0, got {n_steps!r}")
        began, first = time.perf_counter(), self.step
        if self.diverged is not None:
            return TrainReport(0, True, self.diverged, time.perf_counter() - began)
        # The autograd step cannot use inference tensors; the numpy step gains from skipping autograd's bookkeeping.
        quiet = torch.inference_mode() if self.network.backend == "numpy" else torch.no_grad()
        with quiet, np.errstate(all="ignore"):  # overflow is caught as divergence
            remaining = int(n_steps)
            while remaining > 0 and self.diverged is None:
                chunk = min(remaining, CHECK_EVERY)
                if self._checkpoints[-1].step != self.step:
                    self._checkpoints.append(self._save())
                records = self._run(self.step, chunk)
                self._check(records, self.step - chunk)
                remaining -= chunk
        done = max(0, self.step - first)
        return TrainReport(done, self.diverged is not None, self.diverged, time.perf_counter() - began)

    def _batches(self, first: int, count: int):
        """Inputs (count, G, B, 2) and labels (count, B) of the next steps, in the step's kind."""
        rows = self._batch_indices(first, count)  # (count, B)
        models = len(self.margins)
        if isinstance(self._x_step, np.ndarray):
            inputs = self._x_step[rows]
            return np.broadcast_to(inputs[:, None], (count, models, *inputs.shape[1:])), self._labels_step[rows]
        rows = torch.from_numpy(rows).to(self.device)
        return self._x_step[rows].unsqueeze(1).expand(-1, models, -1, -1), self._labels_step[rows]

    def _run(self, first: int, count: int) -> np.ndarray:
        """Steps first + 1 .. first + count; returns (count, 2, G): each step's batch loss and mean |x|."""
        network, history, optimizer = self.network, self._history, self.optimizer
        inputs, labels = self._batches(first, count)
        lambdas = [_lambda_at(self.schedule, step) for step in range(first + 1, first + count + 1)]
        losses, norms = [], []
        for x, batch_labels, lam in zip(inputs, labels, lambdas, strict=True):
            if network.backend == "numpy":
                grads, loss, norm = network.train_step(x, batch_labels, lam)
            else:
                with torch.enable_grad():
                    grads, loss, norm = network.autograd_step(x, batch_labels, lam)
            self.step += 1
            optimizer.update(network.step_params, grads, self.step)
            losses.append(loss)
            norms.append(norm)
            if history.due(self.step):
                history.add(self.step, self._metrics(self._evaluate()))
        losses, norms = (np.concatenate([_as_numpy(a) for a in arrays], axis=1).T for arrays in (losses, norms))
        return np.stack([losses, norms / inputs.shape[2]], axis=1)

    def _check(self, records: np.ndarray, first: int) -> None:
        """Find the first bad step of a chunk; if any, go back to the last good state."""
        loss, norm = records[:, 0], records[:, 1]  # (count, G) each
        bad = ~np.isfinite(loss) | ~(norm <= MAX_FEATURE_NORM)
        if not bad.any():
            return
        index = int(np.flatnonzero(bad.any(axis=1))[0])
        failed = first + index + 1  # the forward pass of this step went wrong ...
        target = max(0, failed - 2)  # ... so its parameters were already bad; the ones before were fine
        model = int(np.flatnonzero(bad[index])[0])
        self.diverged = self._message(failed, target, float(loss[index, model]), float(norm[index, model]), model)
        state = max((s for s in self._checkpoints if s.step <= target), key=lambda s: s.step)
        self._restore(state)
        self._history.truncate(state.step)
        if target > state.step:
            self._run(state.step, target - state.step)

    def _message(self, failed: int, target: int, loss: float, norm: float, model: int) -> str:
        settings = self.settings
        what = f"the loss became {loss}" if not math.isfinite(loss) else f"the mean feature norm |x| reached {norm:.3g}"
        which = f" (model {model_name(self.margins[model])})" if len(self.margins) > 1 else ""
        return (
            f"Training diverged at step {failed}{which}: {what}. Training stopped and the model was restored "
            f"to step {target}, the last good state. Try a smaller learning rate (now {settings.learning_rate:g}), "
            f"lambda_min > 0 (now {settings.lambda_min:g}; 1 to 5 eases the margin in), a slower lambda decay, "
            f"or a smaller margin (m, or s for CosFace and ArcFace)."
        )

    # --- evaluation

    def _evaluate(self) -> dict[str, torch.Tensor]:
        """Features (G, N, D) of all points and per-point losses (G, N, 1)."""
        with torch.inference_mode():
            features = self.network.features_eval(self._x_all)
            lam = _lambda_at(self.schedule, self.step)
            plain, margin, correct = self.network.point_losses(features, self._onehot_all, lam)
        return {"features": features, "plain_loss": plain, "margin_loss": margin, "correct": correct}

    def _metrics(self, evaluation) -> dict[str, np.ndarray]:
        """Means over the train and test points of the per-point values, as (G,) numpy arrays."""
        per_point = torch.cat([evaluation["plain_loss"], evaluation["margin_loss"], evaluation["correct"]], dim=2)
        # (G, 3, 2): [plain, margin, correct] x [train, test]; sums in float64, so an accuracy of 1 stays 1
        means = _as_numpy(per_point.transpose(1, 2).double() @ self._split_masks) / self._split_counts
        plain, margin, correct = means[:, 0], means[:, 1], means[:, 2]
        return {
            "train_loss": margin[:, 0].astype(np.float64),
            "test_loss": plain[:, 1].astype(np.float64),
            "train_acc": correct[:, 0].astype(np.float64),
            "test_acc": correct[:, 1].astype(np.float64),
            "train_plain_loss": plain[:, 0].astype(np.float64),
            "lambda": np.full(len(self.margins), _lambda_at(self.schedule, self.step)),
        }

    def history(self) -> dict[str, np.ndarray]:
        """ "step" (T,) and "train_loss", "test_loss", "train_acc", "test_acc", "lambda",
        "train_plain_loss" (T, G); T <= HISTORY_ROWS, rows every `stride` steps (it doubles)."""
        return self._history.as_dict()

    def _grid(self, resolution: int) -> tuple[np.ndarray, np.ndarray]:
        """(grid_x, grid_y) covering the inputs with a 10 % margin (at least 0.5)."""
        low, high = self._inputs.min(axis=0), self._inputs.max(axis=0)
        pad = np.maximum(0.1 * (high - low), 0.5)
        axes = [np.linspace(low[i] - pad[i], high[i] + pad[i], resolution, dtype=np.float32) for i in range(2)]
        return axes[0], axes[1]

    def snapshot(self, grid_resolution: int = 60) -> Snapshot:
        """Everything the page draws at this step, as numpy arrays (see Snapshot)."""
        if isinstance(grid_resolution, bool) or not isinstance(grid_resolution, int) or not 2 <= grid_resolution <= 500:
            raise ValueError(f"grid_resolution must be an integer in [2, 500], got {grid_resolution!r}")
        evaluation = self._evaluate()
        metrics = self._metrics(evaluation)
        grid_x, grid_y = self._grid(grid_resolution)
        mesh_x, mesh_y = np.meshgrid(grid_x, grid_y)  # (R, R), rows follow y
        points = torch.from_numpy(np.stack([mesh_x.ravel(), mesh_y.ravel()], axis=1)).to(self.device)
        with torch.inference_mode():
            logits = self.network.logits_eval(self.network.features_eval(points))  # (G, R*R, K): one call
            probability, winner = torch.softmax(logits, dim=2).max(dim=2)
        shape = (len(self.margins), grid_resolution, grid_resolution)
        features = _as_numpy(evaluation["features"]).astype(np.float32)
        weights = self.network.head_weight.cpu().numpy().copy()  # a copy: on the CPU it shares the live memory
        return Snapshot(
            step=self.step,
            margins=self.margins,
            lambdas=metrics["lambda"],
            inputs=self._inputs.copy(),
            labels=self._labels.copy(),
            is_test=self._is_test.copy(),
            features=features,
            weights=weights,
            grid_x=grid_x,
            grid_y=grid_y,
            grid_class=_as_numpy(winner).astype(np.int8).reshape(shape),
            grid_confidence=_as_numpy(probability).astype(np.float32).reshape(shape),
            train_loss=metrics["train_loss"],
            test_loss=metrics["test_loss"],
            train_acc=metrics["train_acc"],
            test_acc=metrics["test_acc"],
            train_plain_loss=metrics["train_plain_loss"],
            angles=[angle_stats(features[g], self._labels, weights[g]) for g in range(len(self.margins))],
        )
