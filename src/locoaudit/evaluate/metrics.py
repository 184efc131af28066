"""Per-episode quantities and cell / summary metrics with 95% intervals (Wilson for rates,
percentile bootstrap for means). Direction: lower is better except push_recovery_rate and
distance_m (see HIGHER_IS_BETTER)."""

from __future__ import annotations

import numpy as np

from locoaudit.evaluate.intervals import mean, rate

GRAVITY = 9.81
HIGHER_IS_BETTER = frozenset({"push_recovery_rate", "distance_m"})
MEAN_METRICS = (  # per-episode values averaged over episodes, with bootstrap intervals
    "lin_vel_error",
    "yaw_rate_error",
    "distance_m",
    "mechanical_power_w",
    "cost_of_transport",
    "foot_slip_m_s",
    "joint_limit_fraction",
    "torque_saturation_fraction",
)


def episode_table(log, dt: float, recovery_window_s: float) -> dict[str, np.ndarray]:
    """Per-episode values of one batch log (engine.BatchLog)."""
    s, steps = log.sums, log.steps
    mass = log.start["params"]["body_mass"].sum(axis=1)  # each robot's total mass, payload included
    alive_s = np.maximum(steps, 1) * dt
    fell = log.reason != "time_out"
    distance = np.linalg.norm(s["end_xy"] - s["start_xy"], axis=1)
    pushed = (log.push_step >= 0) & (steps > log.push_step)
    survived = ~fell | (steps * dt >= log.push_step * dt + recovery_window_s)
    with np.errstate(invalid="ignore", divide="ignore"):
        cot = np.where(distance > 0.1, s["energy_j"] / (mass * GRAVITY * distance), np.nan)
        slip = np.where(s["stance"] > 0, s["slip"] / s["stance"], np.nan)
    return {
        "fell": fell,
        "reason": log.reason.astype(str),
        "steps": steps,
        "lin_vel_error": s["lin_err"] / np.maximum(steps, 1),
        "yaw_rate_error": s["yaw_err"] / np.maximum(steps, 1),
        "pushed": pushed,
        "recovered": pushed & survived,
        "distance_m": distance,
        "mechanical_power_w": s["energy_j"] / alive_s,
        "cost_of_transport": cot,
        "foot_slip_m_s": slip,
        "joint_limit_fraction": s["at_limit"] / np.maximum(s["joint_samples"], 1),
        "torque_saturation_fraction": s["saturated"] / np.maximum(s["joint_samples"], 1),
    }


def cell_metrics(table: dict[str, np.ndarray], dt: float, rng: np.random.Generator) -> dict[str, dict]:
    """Metrics of a set of episodes (a cell, or all cells pooled for the summary)."""
    fell, pushed = table["fell"], table["pushed"]
    out = {
        "fall_rate": rate(int(fell.sum()), len(fell)),
        "time_to_fall_s": mean(table["steps"][fell] * dt, rng),
        "push_recovery_rate": rate(int(table["recovered"].sum()), int(pushed.sum())),
    }
    for name in MEAN_METRICS:
        values = table[name]
        out[name] = mean(values[np.isfinite(values)], rng)
    reasons, counts = np.unique(table["reason"][fell], return_counts=True)
    out["failure_reasons"] = {str(r): int(c) for r, c in zip(reasons, counts, strict=True)}
    return out


def concat(tables: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([t[k] for t in tables]) for k in tables[0]}
