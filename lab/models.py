"""G small MLPs with a margin head, stacked on a leading axis, with hand-written backprop.

Network (per model): input (2) -> hidden layers [Linear (+ BatchNorm) + activation] ->
Linear to D-dimensional features, D = 2 or 3 (no bias, no activation: a ReLU would confine the
features to one quadrant) -> margin head, class vectors W (K, D), no bias. Nothing below depends
on D but the parameter layout. Each model has its own member of lsoftmax.margins (an integer m
means LSoftmax(m)); the head's loss and gradient are lsoftmax.engine's (the library's
fused margin cross-entropy), nothing here knows a margin formula.

Why stacked: compare mode trains one model per m in lockstep, so every layer is one batched
matmul over G models instead of G small calls. Why by hand: a model this small is bound by
per-operation overhead; autograd roughly doubles the cost of a step (bench/train.py). Why
numpy on the CPU: a numpy operation on a few hundred numbers costs a fraction of a torch one,
which makes the CPU step about three times faster. Elsewhere (CUDA) the step is plain torch
autograd over lsoftmax.margin_logits (autograd_step), which is also the reference the tests
check every hand-written gradient against. Hidden layers use operators and the few functions
of an `ops` namespace (NUMPY_OPS for the step, TORCH_OPS for evaluation and autograd).

All parameters of all models live in one flat (G, P) array (the optimiser updates it in a
handful of operations); each layer holds views into it. On the CPU the numpy array and the
torch tensor used for evaluation share memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from lsoftmax import engine
from lsoftmax.functional import IGNORE_INDEX, _margin_logits, plain_logits
from lsoftmax.margins import as_margin

BN_EPS = 1e-5  # as torch.nn.BatchNorm1d
BN_MOMENTUM = 0.1  # running statistics: new = (1 - momentum) * old + momentum * batch
PRELU_INIT = 0.25  # as torch.nn.PReLU


@dataclass(frozen=True)
class NetworkShape:
    """What fixes the parameter layout of one model."""

    hidden_layers: int  # 0..6
    hidden_width: int  # units per hidden layer
    n_classes: int  # K
    activation: str  # "prelu" | "relu" | "tanh"
    batch_norm: bool  # BatchNorm after each hidden Linear (which then has no bias)
    feature_dim: int = 2  # D: features (N, D) and class vectors (K, D); 2 or 3


@dataclass(frozen=True)
class Entry:
    """One parameter (or buffer) of one model: its name, shape, and slice of the flat row."""

    name: str
    shape: tuple[int, ...]
    start: int
    decay: bool  # weight decay applies (weight matrices only)

    @property
    def size(self) -> int:
        return math.prod(self.shape)


def _layout(items) -> tuple[list[Entry], int]:
    entries, start = [], 0
    for name, shape, decay in items:
        entries.append(Entry(name, shape, start, decay))
        start += math.prod(shape)
    return entries, start


def parameter_layout(shape: NetworkShape) -> tuple[list[Entry], list[Entry]]:
    """(parameters, buffers) of one model, in the order they sit in the flat rows."""
    params, buffers = [], []
    width_in = 2
    for layer in range(shape.hidden_layers):
        width = shape.hidden_width
        params.append((f"hidden{layer}.weight", (width_in, width), True))  # x @ weight
        if shape.batch_norm:
            params += [(f"hidden{layer}.bn_weight", (1, width), False), (f"hidden{layer}.bn_bias", (1, width), False)]
            buffers += [(f"hidden{layer}.running_mean", (1, width), False)]
            buffers += [(f"hidden{layer}.running_var", (1, width), False)]
        else:
            params.append((f"hidden{layer}.bias", (1, width), False))
        if shape.activation == "prelu":
            params.append((f"hidden{layer}.prelu", (1, width), False))  # one slope per unit
        width_in = width
    params.append(("feature.weight", (width_in, shape.feature_dim), True))  # features = h @ feature.weight
    params.append(("head.weight", (shape.n_classes, shape.feature_dim), True))  # rows are the class vectors W_j
    return _layout(params)[0], _layout(buffers)[0]


def _fan_in(entry: Entry, entries: list[Entry]) -> int:
    """Inputs of the layer an entry belongs to (a bias shares its weight's)."""
    if entry.name == "head.weight":
        return entry.shape[1]  # as LSoftmaxLinear (nn.Linear's rule with in_features = D)
    weight = next(e for e in entries if e.name == entry.name.rsplit(".", 1)[0] + ".weight")
    return weight.shape[0]  # weights are stored (in, out)


def initial_rows(entries: list[Entry], generator: torch.Generator) -> torch.Tensor:
    """(P,) float32: one model's initial parameters (or buffers) in layout order, drawn from generator.

    Weights and biases: nn.Linear's uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)); BatchNorm,
    PReLU and running statistics: torch's constants.
    """
    constants = {"bn_weight": 1.0, "bn_bias": 0.0, "prelu": PRELU_INIT, "running_mean": 0.0, "running_var": 1.0}
    values = [torch.zeros(0)]
    for entry in entries:
        kind = entry.name.rsplit(".", 1)[1]
        if kind in constants:
            values.append(torch.full((entry.size,), constants[kind]))
            continue
        bound = 1.0 / math.sqrt(_fan_in(entry, entries))
        values.append((torch.rand(entry.size, generator=generator) * 2.0 - 1.0) * bound)
    return torch.cat(values)


def views(flat, entries: list[Entry]) -> dict:
    """name -> (G, *shape) view into flat (G, P), a numpy array or a torch tensor."""
    count, result = flat.shape[0], {}
    for e in entries:
        block = flat[:, e.start : e.start + e.size]
        if isinstance(flat, torch.Tensor):
            result[e.name] = block.view(count, *e.shape)
        else:
            result[e.name] = block.reshape(count, *e.shape)
            if not np.shares_memory(result[e.name], flat):  # numpy would copy silently
                raise RuntimeError(f"could not view {e.name} inside the flat parameters")
    return result


# ----------------------------------------------------------------- backends


class NumpyOps:
    """The functions the step needs, on numpy arrays (everything else is operators)."""

    tanh, sqrt, where = staticmethod(np.tanh), staticmethod(np.sqrt), staticmethod(np.where)

    @staticmethod
    def sum(array, axis):
        return np.add.reduce(array, axis=axis, keepdims=True)  # skips ndarray.sum's Python layers

    @staticmethod
    def mean(array, axis):
        return np.add.reduce(array, axis=axis, keepdims=True) * (1.0 / array.shape[axis])

    @staticmethod
    def swap(array):
        return array.swapaxes(1, 2)

    @staticmethod
    def clip(array, low, high):
        return np.clip(array, low, high)

    @staticmethod
    def relu(array):
        return np.maximum(array, 0.0)

    @staticmethod
    def copy(array):
        return array.copy()

    @staticmethod
    def detach(array):
        return array


class TorchOps:
    """The same functions on torch tensors."""

    tanh, sqrt, where = staticmethod(torch.tanh), staticmethod(torch.sqrt), staticmethod(torch.where)

    @staticmethod
    def sum(tensor, axis):
        return tensor.sum(dim=axis, keepdim=True)

    @staticmethod
    def mean(tensor, axis):
        return tensor.mean(dim=axis, keepdim=True)

    @staticmethod
    def swap(tensor):
        return tensor.transpose(1, 2)

    @staticmethod
    def clip(tensor, low, high):
        return torch.clamp(tensor, low, high)

    @staticmethod
    def relu(tensor):
        return torch.relu(tensor)

    @staticmethod
    def copy(tensor):
        return tensor.clone()

    @staticmethod
    def detach(tensor):
        return tensor.detach()


NUMPY_OPS, TORCH_OPS = NumpyOps(), TorchOps()


# ----------------------------------------------------------------- layers


class HiddenLayer:
    """Linear (+ BatchNorm) + activation for G models at once; forward saves what backward needs."""

    def __init__(self, index: int, params: dict, buffers: dict, activation: str, ops):
        prefix = f"hidden{index}."
        self.ops = ops
        self.first = index == 0
        self.weight = params[prefix + "weight"]  # (G, in, out)
        self.weight_t = ops.swap(self.weight)  # a view: follows every update
        self.bias = params.get(prefix + "bias")  # (G, 1, out) or None with BatchNorm
        self.bn_weight, self.bn_bias = params.get(prefix + "bn_weight"), params.get(prefix + "bn_bias")
        self.running_mean, self.running_var = buffers.get(prefix + "running_mean"), buffers.get(prefix + "running_var")
        self.prelu = params.get(prefix + "prelu")  # (G, 1, out) or None
        self.activation = activation

    def linear(self, h):
        return h @ self.weight if self.bias is None else h @ self.weight + self.bias

    def forward_train(self, h):
        """h (G, B, in) -> (G, B, out), and the saved tensors."""
        u = self.linear(h)
        saved = {"h": h}
        if self.bn_weight is not None:
            u = self._batch_norm_train(u, saved)
        return self._activate(u, saved), saved

    def _batch_norm_train(self, u, saved):
        ops, batch = self.ops, u.shape[1]
        mean = ops.mean(u, 1)
        centred = u - mean
        var = ops.mean(centred * centred, 1)
        invstd = 1.0 / ops.sqrt(var + BN_EPS)
        zhat = centred * invstd
        self.running_mean *= 1.0 - BN_MOMENTUM
        self.running_mean += BN_MOMENTUM * ops.detach(mean)
        self.running_var *= 1.0 - BN_MOMENTUM
        self.running_var += (BN_MOMENTUM * batch / max(batch - 1, 1)) * ops.detach(var)  # unbiased, as torch
        saved["zhat"], saved["invstd"] = zhat, invstd
        return zhat * self.bn_weight + self.bn_bias

    def _activate(self, u, saved):
        if self.activation == "tanh":
            out = self.ops.tanh(u)
            saved["out"] = out
        elif self.activation == "relu":
            out = self.ops.relu(u)
            saved["out"] = out
        else:
            slope = self.ops.where(u > 0, 1.0, self.prelu)
            out = u * slope
            saved["u"], saved["slope"] = u, slope
        return out

    def backward(self, grad_out, saved):
        """(grad wrt the layer input or None for the first layer, [grads in layout order])."""
        ops = self.ops
        if self.activation == "tanh":
            out = saved["out"]
            grad_u = grad_out - grad_out * out * out  # tanh' = 1 - tanh^2
        elif self.activation == "relu":
            grad_u = grad_out * (saved["out"] > 0)
        else:
            grad_u = grad_out * saved["slope"]
            grad_prelu = ops.sum(grad_out * ops.clip(saved["u"], None, 0.0), 1)
        if self.bn_weight is None:
            grad_z, grads = grad_u, [ops.sum(grad_u, 1)]
        else:
            grad_z, grads = self._batch_norm_backward(grad_u, saved)
        grads = [ops.swap(saved["h"]) @ grad_z, *grads]
        if self.prelu is not None:
            grads.append(grad_prelu)
        grad_in = None if self.first else grad_z @ self.weight_t
        return grad_in, grads

    def _batch_norm_backward(self, grad_u, saved):
        ops, zhat = self.ops, saved["zhat"]
        grad_gamma = ops.sum(grad_u * zhat, 1)
        grad_beta = ops.sum(grad_u, 1)
        grad_zhat = grad_u * self.bn_weight
        grad_z = saved["invstd"] * (grad_zhat - ops.mean(grad_zhat, 1) - zhat * ops.mean(grad_zhat * zhat, 1))
        return grad_z, [grad_gamma, grad_beta]

    def forward_eval(self, h):
        u = self.linear(h)
        if self.bn_weight is not None:
            zhat = (u - self.running_mean) / self.ops.sqrt(self.running_var + BN_EPS)
            u = zhat * self.bn_weight + self.bn_bias
        if self.activation == "tanh":
            return self.ops.tanh(u)
        if self.activation == "relu":
            return self.ops.relu(u)
        return self.ops.where(u > 0, u, u * self.prelu)


# ----------------------------------------------------------------- network


def _cross_entropy(logits: torch.Tensor, target_logit: torch.Tensor) -> torch.Tensor:
    """(G, N, 1) -log softmax at the target, from logits (G, N, K) and the target's logit (G, N, 1)."""
    top = torch.amax(logits, dim=2, keepdim=True)  # torch.logsumexp costs several times this on small inputs
    return torch.log(torch.exp(logits - top).sum(dim=2, keepdim=True)) + top - target_logit


class StackedNetwork:
    """G models of one NetworkShape, model g with the margin member margins[g].

    self.params (G, P) and self.buffers (G, Q) are torch tensors (evaluation uses them);
    self.step_params / self.step_buffers are what the step and the optimiser work on: numpy
    arrays sharing their memory for the hand-written numpy step (CPU only), the same tensors
    for the autograd step (CUDA, or the CPU when asked: the tests' reference).
    """

    def __init__(self, shape, margins, generator: torch.Generator, device="cpu", dtype=None, backend=None):
        dtype = dtype or torch.float32
        self.shape = shape
        self.margins = tuple(as_margin(margin, "margins") for margin in margins)
        self.count = len(self.margins)
        self.device = torch.device(device)
        backend = backend or ("numpy" if self.device.type == "cpu" else "autograd")
        if backend not in ("numpy", "autograd") or (backend == "numpy" and self.device.type != "cpu"):
            raise ValueError(f"backend must be 'autograd', or 'numpy' on the CPU, got {backend!r} on {device}")
        self.backend = backend
        self.ops = NUMPY_OPS if backend == "numpy" else TORCH_OPS
        self.param_entries, self.buffer_entries = parameter_layout(shape)
        row = initial_rows(self.param_entries, generator)  # one draw, shared by all G models
        self.params = row.to(self.device, dtype).repeat(self.count, 1)  # (G, P)
        self.buffers = initial_rows(self.buffer_entries, generator).to(self.device, dtype).repeat(self.count, 1)
        decay = torch.cat([torch.full((e.size,), 1.0 if e.decay else 0.0) for e in self.param_entries])
        self.decay_mask = self._for_step(decay.to(self.device, dtype))  # (P,)
        self.step_params, self.step_buffers = self._for_step(self.params), self._for_step(self.buffers)
        if backend == "numpy":
            self._groups = engine.groups(self.margins)
            self._step_views = views(self.step_params, self.param_entries)
            self._feature_weight_t = self.ops.swap(self._step_views["feature.weight"])  # views: follow every update
            self.layers = self._layers(self.step_params, self.step_buffers, self.ops)
        # Evaluation (whole data sets, decision grids) always runs in torch: numpy's batched matmul
        # is many times slower than torch's on thousands of points.
        self.eval_layers = self._layers(self.params, self.buffers, TORCH_OPS)
        eval_views = views(self.params, self.param_entries)
        self.feature_weight = eval_views["feature.weight"]  # (G, width, D), torch
        self.head_weight = eval_views["head.weight"]  # (G, K, D), torch, rows are the class vectors

    def _for_step(self, tensor):
        return tensor.numpy() if self.backend == "numpy" else tensor

    def _layers(self, params, buffers, ops):
        params, buffers = views(params, self.param_entries), views(buffers, self.buffer_entries)
        return [HiddenLayer(i, params, buffers, self.shape.activation, ops) for i in range(self.shape.hidden_layers)]

    def as_step_array(self, tensor: torch.Tensor):
        """A torch tensor as the step's array kind (numpy shares the memory on the CPU)."""
        return self._for_step(tensor)

    def load(self, params, buffers) -> None:
        """Copy a saved state in (the views stay valid)."""
        self.step_params[...] = params
        self.step_buffers[...] = buffers

    def features_eval(self, x: torch.Tensor) -> torch.Tensor:
        """x (N, 2) -> features (G, N, D), BatchNorm with its running statistics (torch)."""
        h = x.expand(self.count, -1, -1)
        for layer in self.eval_layers:
            h = layer.forward_eval(h)
        return torch.bmm(h, self.feature_weight)

    def logits_eval(self, features: torch.Tensor) -> torch.Tensor:
        """features (G, N, D) -> each member's plain logits (G, N, K): the test-time rule."""
        if all(not margin.normalises_weight for margin in self.margins):
            return torch.bmm(features, self.head_weight.transpose(1, 2))  # L-Softmax: W_j . x
        return torch.stack([plain_logits(features[g], self.head_weight[g], m) for g, m in enumerate(self.margins)])

    def point_losses(self, features: torch.Tensor, onehot: torch.Tensor, lam: float):
        """Per point (G, N, 1) each: plain cross-entropy, the member's margin cross-entropy at this
        lambda (lsoftmax.margin_logits), and 1.0 where the plain argmax is the label. onehot (N, K)."""
        labels = onehot.argmax(dim=1)  # (N,)
        logits = self.logits_eval(features)  # (G, N, K)
        margin = torch.stack(  # unchecked: a diverged model's NaN must reach the divergence check
            [
                _margin_logits(features[g], self.head_weight[g], labels, m, lam, IGNORE_INDEX, check_values=False)
                for g, m in enumerate(self.margins)
            ]
        )
        column = labels.expand(self.count, -1).unsqueeze(2)  # (G, N, 1)
        own = logits.gather(2, column)  # exactly as in logits, so the comparison has no rounding gap
        correct = (own >= torch.amax(logits, dim=2, keepdim=True)) * 1.0
        return _cross_entropy(logits, own), _cross_entropy(margin, margin.gather(2, column)), correct

    def autograd_step(self, x, labels, lam: float):
        """The step by torch autograd over lsoftmax.margin_logits: grads (G, P), loss (G, 1) and
        the sum of |x| over the batch (G, 1). x (G, B, 2) torch, labels (B,) int64. The CUDA
        path, and the reference for train_step in the tests."""
        flat = self.step_params.detach().requires_grad_()
        params = views(flat, self.param_entries)
        buffers = views(self.step_buffers, self.buffer_entries)
        layers = [
            HiddenLayer(i, params, buffers, self.shape.activation, TORCH_OPS) for i in range(len(self.eval_layers))
        ]
        h = x
        for layer in layers:
            h, _ = layer.forward_train(h)
        features = h @ params["feature.weight"]  # (G, B, D)
        losses = torch.stack(
            [
                # no value checks: a diverged step's NaN must reach train(), which reports it (no exception)
                F.cross_entropy(
                    _margin_logits(features[g], params["head.weight"][g], labels, m, lam, IGNORE_INDEX, False), labels
                )
                for g, m in enumerate(self.margins)
            ]
        )
        (grads,) = torch.autograd.grad(losses.sum(), flat)
        norms = torch.linalg.vector_norm(features.detach(), dim=2).sum(dim=1, keepdim=True)
        return grads, losses.detach().reshape(self.count, 1), norms

    def train_step(self, x, labels, lam: float):
        """Loss and gradient of one batch, for all G models, numpy (the hand-written step).

        x (G, B, 2) (the same batch for every model), labels (B,) integers. The loss is the
        mean cross-entropy of each model's margin logits at this lambda; the head's loss and
        gradient come from lsoftmax.engine, one call per group of models whose members
        normalise alike. Returns grads (G, P), loss (G, 1), and the sum of |x| over the batch (G, 1).
        """
        batch = x.shape[1]
        h, saved = x, []
        for layer in self.layers:
            h, cache = layer.forward_train(h)
            saved.append(cache)
        features = h @ self._step_views["feature.weight"]  # (G, B, D)
        head = self._step_views["head.weight"]  # (G, K, D)
        loss, feature_norm = np.empty((self.count, batch), features.dtype), np.empty_like(features[..., 0])
        grad_features, grad_head = np.empty_like(features), np.empty_like(head)
        for models in self._groups:
            whole = len(models) == self.count  # one group: no copies
            chosen = slice(None) if whole else models
            margins = self.margins if whole else tuple(self.margins[g] for g in models)
            loss[chosen], state = engine.forward(features[chosen], head[chosen], labels, margins, lam)
            grad_features[chosen], grad_head[chosen] = engine.backward(state, 1.0 / batch)
            feature_norm[chosen] = state.x_norm
        grads = [h.swapaxes(1, 2) @ grad_features, grad_head]
        grad_h = grad_features @ self._feature_weight_t
        for layer, cache in zip(reversed(self.layers), reversed(saved), strict=True):
            grad_h, layer_grads = layer.backward(grad_h, cache)
            grads = layer_grads + grads
        flat = np.concatenate([grad.reshape(self.count, -1) for grad in grads], axis=1)  # (G, P)
        # np.add.reduce: ndarray.mean and .sum cost several microseconds of Python each
        return (
            flat,
            np.add.reduce(loss, axis=1, keepdims=True) * (1.0 / batch),
            np.add.reduce(feature_norm, axis=1, keepdims=True),
        )
