"""Reset-clustering audit: synchronised resets, periodic reset waves, resets tied to terrain tiles.

Checks:
  synchronised  training metrics: an iteration is a spike when the most envs reset on one step exceed
                lam + 5 sqrt(lam) + 3 (lam = that iteration's resets per step without the peak step) and
                >= SPIKE_SHARE of the envs; >= 2 spikes after the first 10% of iterations, or a median
                phase entropy over the last half below ENTROPY_RATIO x its value for N uniform phases,
                is a warning (1 spike: info). Rollouts: mean phase entropy below the same bound, or one
                step timing out >= TIMEOUT_SHARE of the envs (warning)
  waves         rollout: the autocorrelation of the per-step reset count peaks >= WAVE_AUTOCORR at some
                lag >= 2 with >= 2 spike steps (warning), with the period in seconds
  terrain_tile  grid rollouts: failures per terrain column against alive env-steps there; chi-square
                p < TILE_P (Wilson-Hilferty) and a column failing >= TILE_RATIO x the overall rate (warning)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from locoaudit.audit.diagnostics import Rollout
from locoaudit.findings import Finding

SPIKE_SHARE = 0.1
TIMEOUT_SHARE = 0.25
ENTROPY_RATIO = 0.5
ENTROPY_BINS = 20  # as task.episodes.phase_entropy
WAVE_AUTOCORR = 0.5
TRANSIENT_S = 1.0  # seconds of rollout start excluded from the wave search
TILE_P = 1e-3
TILE_RATIO = 2.0
AUDIT = "resets"


def uniform_entropy(num_envs: int, bins: int = ENTROPY_BINS) -> float:
    """Expected normalised plug-in entropy of num_envs uniform phases (Miller-Madow bias), in [0.2, 1]."""
    return float(np.clip(1 - (bins - 1) / (2 * num_envs * math.log(bins)), 0.2, 1.0))


def is_spike(peak: float, per_step: float) -> bool:
    """A peak count of resets on one step far above a Poisson rate per_step of the other steps."""
    return peak > per_step + 5 * math.sqrt(per_step) + 3


def spike_iterations(records: Sequence[dict], num_envs: int, horizon: int) -> list[int]:
    """Iterations (after the first 10%) whose largest one-step reset count is a spike."""
    skip = max(1, round(0.1 * len(records)))
    out = []
    for r in records[skip:]:
        reset = r.get("reset") or {}
        peak = reset.get("max_step_fraction", 0.0) * num_envs
        total = reset.get("mean_step_fraction", 0.0) * num_envs * horizon
        rest = max(total - peak, 0.0) / max(horizon - 1, 1)
        if peak >= SPIKE_SHARE * num_envs and is_spike(peak, rest):
            out.append(r["iteration"])
    return out


def audit_metrics(records: Sequence[dict], num_envs: int, horizon: int, dt: float) -> list[Finding]:
    """Synchronised resets from metrics.jsonl: reset spikes and phase entropy."""
    spikes = spike_iterations(records, num_envs, horizon)
    half = records[len(records) // 2 :]
    entropy = [r["phase_entropy"] for r in half if r.get("phase_entropy") is not None]
    median = float(np.median(entropy)) if entropy else None
    bound = ENTROPY_RATIO * uniform_entropy(num_envs)
    low = median is not None and median < bound
    if not spikes and not low:
        return []
    period = float(np.median(np.diff(spikes)) * horizon * dt) if len(spikes) >= 2 else None
    severity = "warning" if len(spikes) >= 2 or low else "info"
    msg = f"{len(spikes)} reset spikes (period {period or 0:.3g} s), phase entropy {median or 0:.2f}"
    numbers = {"spike_iterations": spikes[:20], "period_s": period, "phase_entropy_median": median}
    numbers |= {"phase_entropy_bound": bound, "num_envs": num_envs}
    return [Finding(AUDIT, "synchronised", severity, msg, numbers)]


def synchronised(roll: Rollout, where: str) -> list[Finding]:
    """Bunched episode phases or mass time-outs in a rollout."""
    n = roll.terminated.shape[1]
    entropy = float(np.mean(roll.phase_entropy))
    bound = ENTROPY_RATIO * uniform_entropy(n)
    timeout_peak = float(roll.time_out.sum(axis=1).max() / n)
    if entropy >= bound and timeout_peak < TIMEOUT_SHARE:
        return []
    msg = f"episode phases bunch {where}: phase entropy {entropy:.2f}, {timeout_peak:.0%} time out at once"
    numbers = {"phase_entropy": entropy, "phase_entropy_bound": bound, "max_time_out_share": timeout_peak}
    numbers |= {"randomize_start_phase": roll.manifest.episode.randomize_start_phase}
    return [Finding(AUDIT, "synchronised", "warning", msg, numbers)]


def autocorrelation(x: np.ndarray, max_lag: int) -> np.ndarray:
    """(max_lag + 1,) autocorrelation of a series, each lag averaged over its overlap; 0 if constant."""
    x = np.asarray(x, dtype=float) - np.mean(x)
    var = float(np.mean(x * x))
    if var <= 0:
        return np.zeros(max_lag + 1)
    return np.array([np.mean(x[: len(x) - k] * x[k:]) / var for k in range(max_lag + 1)])


def waves(roll: Rollout, where: str) -> list[Finding]:
    """Periodic reset waves: an autocorrelation peak of the per-step reset count.

    The first second is left out: every rollout env starts at the same instant, so failures right
    after the start cluster whatever the reset rule (terminations.early_failure reports those).
    """
    counts = roll.resets[round(TRANSIENT_S / roll.dt) :]
    n = roll.terminated.shape[1]
    spikes = int(np.sum(counts >= max(3, SPIKE_SHARE * n)))
    if spikes < 2 or len(counts) < 8:
        return []
    ac = autocorrelation(counts, len(counts) // 2)
    lag = int(np.argmax(ac[2:]) + 2)
    if ac[lag] < WAVE_AUTOCORR:
        return []
    msg = f"resets come in waves every {lag * roll.dt:.3g} s {where} (autocorrelation {ac[lag]:.2f})"
    numbers = {"period_s": lag * roll.dt, "autocorrelation": float(ac[lag]), "spike_steps": spikes}
    numbers |= {"max_resets_per_step": int(counts.max()), "episode_s": roll.manifest.episode.length_s}
    return [Finding(AUDIT, "waves", "warning", msg, numbers)]


def chi_square_p(stat: float, dof: int) -> float:
    """Upper tail of chi-square(dof) at stat, Wilson-Hilferty normal approximation."""
    if dof <= 0:
        return 1.0
    z = ((stat / dof) ** (1 / 3) - (1 - 2 / (9 * dof))) / math.sqrt(2 / (9 * dof))
    return 0.5 * math.erfc(z / math.sqrt(2))


def tile_rates(failures: np.ndarray, exposure: np.ndarray) -> dict[str, float]:
    """Chi-square p and the worst column's failure ratio, for failure counts and alive steps per column."""
    seen = exposure > 0
    f, e = failures[seen].astype(float), exposure[seen].astype(float)
    expected = f.sum() * e / e.sum()
    ok = expected > 0
    stat = float(np.sum((f[ok] - expected[ok]) ** 2 / expected[ok]))
    ratio = np.where(expected >= 5, f / np.maximum(expected, 1e-12), 0.0)
    worst = int(np.flatnonzero(seen)[np.argmax(ratio)]) if len(ratio) else -1
    p = chi_square_p(stat, int(ok.sum()) - 1)
    return {"chi2": stat, "p": p, "max_ratio": float(ratio.max(initial=0)), "worst_column": worst}


def terrain_tile(roll: Rollout) -> list[Finding]:
    """Failures clustered on a terrain column against the alive env-steps spent there."""
    if roll.tile_col is None or not roll.terminated.any():
        return []
    cols = len(roll.col_kinds)
    alive = ~roll.terminated
    exposure = np.bincount(roll.tile_col[alive], minlength=cols)
    failures = np.bincount(roll.tile_col[roll.terminated], minlength=cols)
    stats = tile_rates(failures, exposure)
    if stats["p"] >= TILE_P or stats["max_ratio"] < TILE_RATIO:
        return []
    kind = roll.col_kinds[stats["worst_column"]]
    col, ratio = stats["worst_column"], stats["max_ratio"]
    msg = f"failures cluster on terrain column {col} ({kind}): {ratio:.1f}x the overall rate"
    return [
        Finding(AUDIT, "terrain_tile", "warning", msg, stats | {"kind": kind, "failures": failures.tolist()})
    ]


def audit_rollout(roll: Rollout, where: str) -> list[Finding]:
    """Synchronised phases, periodic waves and terrain-tile clustering in a diagnostic rollout."""
    return [*synchronised(roll, where), *waves(roll, where), *terrain_tile(roll)]
