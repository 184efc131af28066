"""Per-episode quantities and cell / summary metrics with 95% intervals (Wilson for rates, Student t
for means), and DIRECTIONS: the one table of which way each metric is better."""

from __future__ import annotations

import numpy as np

from locoaudit.evaluate.intervals import mean, rate

GRAVITY = 9.81
LOWER, HIGHER, NONE = "lower", "higher", "none"
# Which way is better, for every metric an evaluation holds; shared by `runs compare`, the gate and the
# reports. "none": no direction is better in itself. time_to_fall_s is measured over the episodes that
# fell only (a later fall is not a better run if more runs fall); distance_m and mechanical_power_w
# follow the commands (random, including standing still), so more or less of them is no verdict.
DIRECTIONS: dict[str, str] = {
    "fall_rate": LOWER,
    "time_to_fall_s": NONE,
    "push_recovery_rate": HIGHER,
    "lin_vel_error": LOWER,
    "yaw_rate_error": LOWER,
    "distance_m": NONE,
    "mechanical_power_w": NONE,
    "cost_of_transport": LOWER,
    "foot_slip_m_s": LOWER,
    "joint_limit_fraction": LOWER,
    "torque_saturation_fraction": LOWER,
}
COUNTS = ("failure_reasons",)  # entries of a metrics object that are counts, not estimates
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


def cell_metrics(table: dict[str, np.ndarray], dt: float) -> dict[str, dict]:
    """Metrics of a set of episodes (a cell, or all cells pooled for the summary)."""
    fell, pushed = table["fell"], table["pushed"]
    out = {
        "fall_rate": rate(int(fell.sum()), len(fell)),
        "time_to_fall_s": mean(table["steps"][fell] * dt),
        "push_recovery_rate": rate(int(table["recovered"].sum()), int(pushed.sum())),
    }
    for name in MEAN_METRICS:
        values = table[name]
        out[name] = mean(values[np.isfinite(values)])
    reasons, counts = np.unique(table["reason"][fell], return_counts=True)
    out["failure_reasons"] = {str(r): int(c) for r, c in zip(reasons, counts, strict=True)}
    return out


def concat(tables: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([t[k] for t in tables]) for k in tables[0]}
