"""95% confidence intervals: Wilson score for rates, percentile bootstrap for means."""

from __future__ import annotations

import math

import numpy as np

Z95 = 1.959963984540054


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval for a binomial rate successes / n; None when n == 0."""
    if n == 0:
        return None
    p = successes / n
    denom = 1.0 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = 0.0 if successes == 0 else max(0.0, center - half)  # exact bounds at the edges, not 1 - 1e-16
    hi = 1.0 if successes == n else min(1.0, center + half)
    return lo, hi


def bootstrap_mean(
    values: np.ndarray, rng: np.random.Generator, resamples: int = 2000
) -> tuple[float, float] | None:
    """Percentile-bootstrap 95% interval of the mean of values (n,); None when n == 0."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return None
    idx = rng.integers(0, values.size, size=(resamples, values.size))
    means = values[idx].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(lo), float(hi)


def rate(successes: int, n: int) -> dict:
    """{'value', 'ci', 'n'} for a rate."""
    return {"value": successes / n if n else None, "ci": wilson(successes, n), "n": n}


def mean(values: np.ndarray, rng: np.random.Generator) -> dict:
    """{'value', 'ci', 'n'} for a mean."""
    values = np.asarray(values, dtype=np.float64)
    value = float(values.mean()) if values.size else None
    return {"value": value, "ci": bootstrap_mean(values, rng), "n": int(values.size)}
