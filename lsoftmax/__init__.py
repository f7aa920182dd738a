"""lsoftmax: the Large-Margin Softmax loss (Liu et al., ICML 2016), its psi function,
lambda annealing, and (in lsoftmax.geometry, numpy only) its decision geometry.

The torch parts (lsoftmax_logits, LSoftmaxLinear) load on first use, so that the
numpy-only modules (margin, geometry, datasets, schedule) never pull in torch.
"""

import importlib

from lsoftmax.margin import cos_m_theta, psi
from lsoftmax.schedule import LambdaSchedule, MultiplicativeSchedule

_TORCH_NAMES = {"lsoftmax_logits": "lsoftmax.functional", "LSoftmaxLinear": "lsoftmax.layers"}

__all__ = [
    "psi",
    "cos_m_theta",
    "lsoftmax_logits",
    "LSoftmaxLinear",
    "LambdaSchedule",
    "MultiplicativeSchedule",
]
__version__ = "0.1.0"


def __getattr__(name: str):
    if name in _TORCH_NAMES:
        value = getattr(importlib.import_module(_TORCH_NAMES[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module 'lsoftmax' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
