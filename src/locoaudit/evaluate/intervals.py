"""95% confidence intervals: Wilson score for rates, Student t for means.

Coverage measured by simulation (4000 samples each; README "Promotion gate"): the percentile
bootstrap that came before collapsed at small n (0.5 at n = 2, 0.87 at n = 8 for normal data);
the t interval holds ~0.94 for normal data at any n >= 2 and is never narrower than the bootstrap
for skewed data. Below the panel's min_episodes the gate does not judge at all.
"""

from __future__ import annotations

import math

import numpy as np

Z95 = 1.959963984540054
T975 = (  # 97.5% quantiles of Student's t with 1..30 degrees of freedom
    12.7062047, 4.30265273, 3.18244631, 2.77644511, 2.57058184, 2.44691185, 2.36462425, 2.30600414,
    2.26215716, 2.22813885, 2.20098516, 2.17881283, 2.16036866, 2.14478669, 2.13144955, 2.11990530,
    2.10981558, 2.10092204, 2.09302405, 2.08596345, 2.07961384, 2.07387307, 2.06865761, 2.06389856,
    2.05953855, 2.05552944, 2.05183052, 2.04840714, 2.04522964, 2.04227246,
)  # fmt: skip


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


def t975(df: int) -> float:
    """97.5% quantile of Student's t: the table up to 30, a Cornish-Fisher series beyond (error < 1e-6)."""
    if df < 1:
        raise ValueError(f"degrees of freedom must be >= 1, got {df}")
    if df <= len(T975):
        return T975[df - 1]
    z = Z95
    return (
        z
        + (z**3 + z) / (4 * df)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3)
    )


def t_mean(values: np.ndarray) -> tuple[float, float] | None:
    """Student-t 95% interval of the mean of values (n,): mean -+ t(n-1) s / sqrt(n); None when n < 2."""
    values = np.asarray(values, dtype=np.float64)
    if values.size < 2:
        return None
    m = float(values.mean())
    half = t975(values.size - 1) * float(values.std(ddof=1)) / math.sqrt(values.size)
    return m - half, m + half


def rate(successes: int, n: int) -> dict:
    """{'value', 'ci', 'n'} for a rate."""
    ci = wilson(successes, n)
    return {"value": successes / n if n else None, "ci": None if ci is None else list(ci), "n": n}


def mean(values: np.ndarray) -> dict:
    """{'value', 'ci', 'n'} for a mean."""
    values = np.asarray(values, dtype=np.float64)
    value = float(values.mean()) if values.size else None
    ci = t_mean(values)
    return {"value": value, "ci": None if ci is None else list(ci), "n": int(values.size)}
