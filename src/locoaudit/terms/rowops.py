"""Row reductions in a fixed order, so an env's value never depends on how many envs share the batch.

numpy may reorder a reduction over axis 1 (summing down columns when that is faster), which changes
rounding with the batch size; a replay of one env would then differ in the last bit.
"""

from __future__ import annotations

import numpy as np
import torch

from locoaudit.arrays import Array, xp


def row_sum(x: Array) -> Array:
    """Sum over the last axis of (N, K), left to right: ((x0 + x1) + x2) + ... -> (N,).

    Tensors (device mode, where no reduction order is promised) take torch's sum; bools count as floats.
    """
    if isinstance(x, torch.Tensor):
        return (x if x.is_floating_point() else x.to(torch.float32)).sum(dim=1)
    x = np.asarray(x, dtype=np.float64)
    out = x[:, 0].copy()
    for k in range(1, x.shape[1]):
        out += x[:, k]
    return out


def row_norm(x: Array) -> Array:
    """Euclidean norm of each row of (N, K) -> (N,), in a fixed order."""
    return xp(x).sqrt(row_sum(xp(x).square(x)))
