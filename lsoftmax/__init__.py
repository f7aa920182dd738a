"""lsoftmax: the Large-Margin Softmax loss (Liu et al., ICML 2016), its psi function,
lambda annealing, and (in lsoftmax.geometry, numpy only) its decision geometry."""

from lsoftmax.functional import lsoftmax_logits
from lsoftmax.layers import LSoftmaxLinear
from lsoftmax.margin import cos_m_theta, psi
from lsoftmax.schedule import LambdaSchedule, MultiplicativeSchedule

__all__ = [
    "psi",
    "cos_m_theta",
    "lsoftmax_logits",
    "LSoftmaxLinear",
    "LambdaSchedule",
    "MultiplicativeSchedule",
]
__version__ = "0.1.0"
