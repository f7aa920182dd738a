"""lsoftmax: the Large-Margin Softmax loss (Liu et al., ICML 2016) and its angular-margin
family (lsoftmax.margins: SphereFace, CosFace, ArcFace, the combined margin), psi, lambda
annealing, and (in lsoftmax.geometry, numpy only) their decision geometry.

The torch parts (margin_logits, margin_cross_entropy, MarginLinear, lsoftmax_logits, LSoftmaxLinear) load on
first use, so that the numpy-only modules (margin, margins, geometry, schedule) never pull
in torch.
"""

import importlib

from lsoftmax.margin import cos_m_theta, psi
from lsoftmax.schedule import LambdaSchedule, MultiplicativeSchedule

_TORCH_NAMES = {
    "margin_logits": "lsoftmax.functional",
    "lsoftmax_logits": "lsoftmax.functional",
    "margin_cross_entropy": "lsoftmax.functional",
    "MarginLinear": "lsoftmax.layers",
    "LSoftmaxLinear": "lsoftmax.layers",
}

__all__ = [
    "psi",
    "cos_m_theta",
    "margin_logits",
    "margin_cross_entropy",
    "MarginLinear",
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
