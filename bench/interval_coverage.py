"""Issue 17: coverage of the gate's 95% intervals at small n, measured by simulation.

For per-episode values drawn from known distributions, the fraction of samples whose interval holds
the true mean: the package's Student-t interval (evaluate.intervals.t_mean) against the percentile
bootstrap it replaced; and the exact coverage of the Wilson interval for rates. Prints a table and
writes JSON to bench/out/interval_coverage.json.
Run: .venv/bin/python bench/interval_coverage.py [--samples 4000]
"""

import argparse
import json
import math
from pathlib import Path

import numpy as np

from locoaudit.evaluate.intervals import t_mean, wilson

HERE = Path(__file__).resolve().parent
SIZES = (2, 8, 16, 32, 64)


def distributions(rng: np.random.Generator) -> dict:
    """name -> (draw(n), true mean)."""

    def mixture(n: int) -> np.ndarray:
        return np.where(rng.random(n) < 0.1, rng.uniform(0.5, 1.0, n), rng.normal(0.25, 0.05, n))

    return {
        "normal": (lambda n: rng.normal(0.25, 0.05, n), 0.25),
        "exponential": (lambda n: rng.exponential(0.25, n), 0.25),
        "lognormal(sigma 1)": (lambda n: rng.lognormal(0.0, 1.0, n), math.exp(0.5)),
        "90% N(0.25, 0.05), 10% U(0.5, 1)": (mixture, 0.9 * 0.25 + 0.1 * 0.75),
    }


def percentile_bootstrap(values: np.ndarray, rng: np.random.Generator, resamples: int = 1000) -> tuple:
    means = values[rng.integers(0, values.size, size=(resamples, values.size))].mean(axis=1)
    return tuple(np.percentile(means, [2.5, 97.5]))


def mean_coverage(samples: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    rows = []
    for name, (draw, mu) in distributions(rng).items():
        for n in SIZES:
            hits = {"t": 0, "percentile_bootstrap": 0}
            for _ in range(samples):
                x = draw(n)
                lo, hi = t_mean(x)
                hits["t"] += lo <= mu <= hi
                lo, hi = percentile_bootstrap(x, rng)
                hits["percentile_bootstrap"] += lo <= mu <= hi
            rows.append({"values": name, "n": n} | {k: v / samples for k, v in hits.items()})
            row = rows[-1]
            print(f"{name:34s} n={n:3d}  t {row['t']:.3f}  bootstrap {row['percentile_bootstrap']:.3f}")
    return rows


def wilson_coverage() -> list[dict]:
    rows = []
    for p in (0.02, 0.05, 0.1, 0.3, 0.5):
        for n in SIZES[1:]:
            cover = sum(
                math.comb(n, k) * p**k * (1 - p) ** (n - k)
                for k in range(n + 1)
                if wilson(k, n)[0] <= p <= wilson(k, n)[1]
            )
            rows.append({"rate": p, "n": n, "wilson": cover})
            print(f"wilson p={p:<5} n={n:3d}  {cover:.3f}")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default=str(HERE / "out" / "interval_coverage.json"))
    args = parser.parse_args()
    result = {
        "samples": args.samples,
        "means": mean_coverage(args.samples, args.seed),
        "rates": wilson_coverage(),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
