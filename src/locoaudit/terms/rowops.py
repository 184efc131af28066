"""Row reductions in a fixed order, so an env's value never depends on how many envs share the batch.

numpy may reorder a reduction over axis 1 (summing down columns when that is faster), which changes
rounding with the batch size; a replay of one env would then differ in the last bit.
"""

from __future__ import annotations

import numpy as np


def row_sum(x: np.ndarray) -> np.ndarray:
    """Sum over the last axis of (N, K), left to right: ((x0 + x1) + x2) + ... -> (N,)."""
    x = np.asarray(x, dtype=np.float64)
    out = x[:, 0].copy()
    for k in range(1, x.shape[1]):
        out += x[:, k]
    return out


def row_norm(x: np.ndarray) -> np.ndarray:
    """Euclidean norm of each row of (N, K) -> (N,), in a fixed order."""
    return np.sqrt(row_sum(np.square(x)))
