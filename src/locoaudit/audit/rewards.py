"""Reward decomposition audit, from metrics.jsonl's per-term per-second contributions and tracking errors.

Checks (thresholds are module constants):
  dominant_term   one term > DOMINANT_SHARE of the summed |per-second contribution| over the last
                  LAST_WINDOW of iterations (warning)
  exploit         a positive-weight, non-tracking term's contribution grows from the first to the last
                  quarter by > GROWTH_OF_TOTAL of the total |contribution| and > 3 standard errors, while
                  neither tracking error improves by TRACKING_GAIN (warning)
  non_task_pay    a positive-weight, non-tracking term pays > NON_TASK_SHARE of the most the tracking terms
                  can pay per second (warning): e.g. an uncapped base-height reward
  return_vs_heldout  mean episode return rises between two evaluated checkpoints while a held-out gate
                  metric gets worse beyond its interval (warning); skipped (info) without >= 2 checkpoints
  dead / saturated   a term exactly zero in every iteration (warning; info for event terms such as
                  termination or *_contacts), or a constant non-zero value (warning)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from locoaudit.findings import Finding
from locoaudit.manifest import Manifest

LAST_WINDOW = 0.2
DOMINANT_SHARE = 0.7
GROWTH_OF_TOTAL = 0.1
TRACKING_GAIN = 0.05
NON_TASK_SHARE = 0.25
ZERO = 1e-12
TRACKING_ERRORS = ("lin_vel_error", "yaw_rate_error")
AUDIT = "rewards"


def is_tracking(term: str) -> bool:
    """Task terms (track_*): what the policy is meant to maximise."""
    return term.startswith("track_")


def is_event(term: str) -> bool:
    """Terms that count rare events a good policy avoids (zero is healthy)."""
    return term == "termination" or term.endswith("_contacts")


def series(records: Sequence[dict], term: str) -> np.ndarray:
    """(I,) per-second contribution of `term` per iteration; NaN where missing."""
    values = [r.get("reward_terms", {}).get(term, {}).get("per_second") for r in records]
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def term_names(records: Sequence[dict]) -> list[str]:
    """Reward term names in order of first appearance."""
    return list(dict.fromkeys(k for r in records for k in r.get("reward_terms", {})))


def last_window(records: Sequence[dict]) -> Sequence[dict]:
    """The last LAST_WINDOW of the iterations (at least one)."""
    return records[-max(1, round(len(records) * LAST_WINDOW)) :]


def finite_mean(values: np.ndarray) -> float:
    """Mean of the finite values; NaN when there are none."""
    values = values[np.isfinite(values)]
    return float(values.mean()) if len(values) else float("nan")


def mean_per_second(records: Sequence[dict]) -> dict[str, float]:
    """Term -> mean per-second contribution over the records (0 for a term never logged)."""
    return {t: float(np.nan_to_num(finite_mean(series(records, t)))) for t in term_names(records)}


def dominant_term(records: Sequence[dict]) -> list[Finding]:
    """One term's share of the summed |per-second contribution| over the last iterations."""
    window = last_window(records)
    per = mean_per_second(window)
    total = sum(abs(v) for v in per.values())
    if not per or total <= ZERO:
        return []
    term = max(per, key=lambda t: abs(per[t]))
    share = abs(per[term]) / total
    if share <= DOMINANT_SHARE:
        return []
    msg = f"{term} is {share:.0%} of the absolute per-second reward over the last {len(window)} iterations"
    numbers = {"term": term, "share": share, "threshold": DOMINANT_SHARE, "per_second": per}
    return [Finding(AUDIT, "dominant_term", "warning", msg, numbers)]


def _tracking(records: Sequence[dict], key: str) -> np.ndarray:
    """(I,) one tracking error per iteration; NaN where missing."""
    return np.array([r.get("tracking", {}).get(key, np.nan) for r in records], dtype=float)


def exploit(records: Sequence[dict], weights: dict[str, float]) -> list[Finding]:
    """Positive non-tracking terms growing (first vs last quarter) while tracking does not improve."""
    q = len(records) // 4
    if q < 2:
        return []
    first, last = records[:q], records[-q:]
    errors = {k: (finite_mean(_tracking(first, k)), finite_mean(_tracking(last, k))) for k in TRACKING_ERRORS}
    if not np.isfinite(list(errors.values())).all() or any(
        b <= (1 - TRACKING_GAIN) * a for a, b in errors.values()
    ):
        return []
    total = float(np.mean(sum(np.abs(np.nan_to_num(series(records, t))) for t in term_names(records))))
    out = []
    for term in (t for t in term_names(records) if weights.get(t, 0) > 0 and not is_tracking(t)):
        a, b = np.nan_to_num(series(first, term)), np.nan_to_num(series(last, term))
        growth = float(b.mean() - a.mean())
        se = float(np.sqrt(a.var() / q + b.var() / q))
        if growth > GROWTH_OF_TOTAL * total and growth > 3 * se:
            msg = f"{term} grows by {growth:.3g}/s while tracking does not improve (first vs last quarter)"
            numbers = {"term": term, "first": a.mean(), "last": b.mean(), "growth": growth}
            numbers |= {"std_error": se, "total_abs": total, "tracking_error": errors}
            out.append(Finding(AUDIT, "exploit", "warning", msg, numbers))
    return out


def tracking_max_per_second(manifest: Manifest) -> float:
    """The most the tracking terms pay per second (each track_* term is at most 1 per step)."""
    total = sum(t.weight for k, t in manifest.rewards.terms.items() if is_tracking(k) and t.weight > 0)
    return total if manifest.rewards.scale_by_dt else total / manifest.policy_dt


def non_task_pay(per_second: dict[str, float], manifest: Manifest, where: str) -> list[Finding]:
    """Positive non-tracking terms paying a large share of the tracking maximum (per-second values)."""
    most = tracking_max_per_second(manifest)
    out = []
    for term, spec in manifest.rewards.terms.items():
        pay = per_second.get(term, 0.0)
        if spec.weight > 0 and not is_tracking(term) and most > 0 and pay > NON_TASK_SHARE * most:
            msg = f"{term} pays {pay:.3g}/s ({pay / most:.0%} of the tracking maximum) {where}"
            numbers = {"term": term, "per_second": pay, "tracking_max": most, "threshold": NON_TASK_SHARE}
            out.append(Finding(AUDIT, "non_task_pay", "warning", msg, numbers))
    return out


def return_vs_heldout(records: Sequence[dict], evaluations: Sequence[Any]) -> list[Finding]:
    """Return rising between evaluated checkpoints while a held-out gate metric gets worse."""
    from locoaudit.ledger.compare import GATE_METRICS, summary_deltas

    groups: dict[tuple, dict[int, Any]] = {}
    for e in evaluations:
        if e.checkpoint_iteration is not None:
            key = (e.kind, e.panel, e.panel_hash, e.simulator)
            groups.setdefault(key, {})[e.checkpoint_iteration] = e
    usable = {k: v for k, v in groups.items() if len(v) >= 2}
    if not usable:
        msg = "skipped: held-out evaluations exist at fewer than 2 checkpoints"
        return [Finding(AUDIT, "return_vs_heldout", "info", msg, {"evaluations": len(evaluations)})]
    out = []
    for (kind, panel, _, sim), by_it in usable.items():
        early, late = by_it[min(by_it)], by_it[max(by_it)]
        rise = _return_at(records, late.checkpoint_iteration) - _return_at(
            records, early.checkpoint_iteration
        )
        worse = [d.metric for d in summary_deltas(early, late, GATE_METRICS) if d.verdict == "worse"]
        if rise > 0 and worse:
            msg = f"return rises by {rise:.3g} while {kind} {panel} [{sim}] {', '.join(worse)} got worse"
            numbers = {"from_iteration": min(by_it), "to_iteration": max(by_it), "return_rise": rise}
            out.append(Finding(AUDIT, "return_vs_heldout", "warning", msg, numbers | {"worse": worse}))
    return out


def _return_at(records: Sequence[dict], iteration: int, half_window: int = 2) -> float:
    """Mean episode return over the iterations within half_window of `iteration`."""
    values = [
        r["mean_episode_return"]
        for r in records
        if abs(r["iteration"] - iteration) <= half_window and r.get("mean_episode_return") is not None
    ]
    return float(np.mean(values)) if values else float("nan")


def dead_or_saturated(records: Sequence[dict]) -> list[Finding]:
    """Terms zero in every iteration, or constant and non-zero."""
    if len(records) < 3:
        return []
    out = []
    for term in term_names(records):
        values = series(records, term)
        values = values[np.isfinite(values)]
        mean = float(np.mean(values)) if len(values) else 0.0
        if len(values) and np.all(np.abs(values) <= ZERO):
            severity = "info" if is_event(term) else "warning"
            msg = f"{term} is zero in all {len(values)} iterations (dead term)"
            out.append(Finding(AUDIT, "dead_term", severity, msg, {"term": term, "iterations": len(values)}))
        elif abs(mean) > ZERO and np.std(values) <= 1e-6 * abs(mean):
            msg = f"{term} is constant at {mean:.4g}/s in all {len(values)} iterations (saturated)"
            out.append(Finding(AUDIT, "saturated_term", "warning", msg, {"term": term, "per_second": mean}))
    return out


def audit_metrics(
    records: Sequence[dict], manifest: Manifest, evaluations: Sequence[Any] = ()
) -> list[Finding]:
    """All reward-decomposition checks on a run's metrics records (one dict per iteration, in order)."""
    weights = {k: t.weight for k, t in manifest.rewards.terms.items()}
    window = mean_per_second(last_window(records))
    return [
        *dominant_term(records),
        *exploit(records, weights),
        *non_task_pay(window, manifest, "over the last iterations"),
        *return_vs_heldout(records, evaluations),
        *dead_or_saturated(records),
    ]
