"""Termination audit: how episodes end over training, and thresholds the robot skims in a rollout.

Checks:
  distribution   fraction of ended episodes per reason over training, time-out fraction (info)
  never_fires    manifest termination terms (and time_out) that never ended an episode (info)
  non_finite     the physics state blew up and was reset (warning)
  skimming       fraction of alive steps a state variable spends just inside a termination threshold:
                 base_height within SKIM_BAND above min_height (base_too_low), tilt within SKIM_BAND
                 below limit_angle (bad_orientation); >= SKIM_WARNING warning, >= SKIM_ERROR error
  early_failure  share of envs whose first episode fails within EARLY_S of the start: >= EARLY_WARNING
                 warning, >= EARLY_ERROR error (the environment terminates immediately)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from locoaudit.audit.diagnostics import Rollout
from locoaudit.findings import Finding
from locoaudit.manifest import Manifest
from locoaudit.terms.terminations import NON_FINITE, TIME_OUT

SKIM_BAND = 0.1
SKIM_WARNING = 0.15
SKIM_ERROR = 0.5
EARLY_S = 1.0
EARLY_WARNING = 0.2
EARLY_ERROR = 0.5
AUDIT = "terminations"


def reason_counts(records: Sequence[dict]) -> Counter:
    """Episodes ended per reason over all iterations (fractions x episodes of each iteration)."""
    counts: Counter = Counter()
    for r in records:
        for reason, fraction in (r.get("terminations") or {}).items():
            counts[reason] += fraction * (r.get("episodes") or 0)
    return counts


def audit_metrics(records: Sequence[dict], manifest: Manifest) -> list[Finding]:
    """Distribution, time-out fraction, reasons that never fire and non-finite resets, from metrics."""
    counts = reason_counts(records)
    total = sum(counts.values())
    out = []
    if total > 0:
        shares = {k: v / total for k, v in counts.most_common()}
        last = reason_counts(records[-max(1, round(len(records) * 0.2)) :])
        last_total = sum(last.values())
        late = last[TIME_OUT] / last_total if last_total else None
        text = ", ".join(f"{k} {v:.0%}" for k, v in shares.items())
        numbers = {"episodes": round(total), "shares": shares, "time_out_fraction": shares.get(TIME_OUT, 0.0)}
        numbers["time_out_fraction_last_20pct"] = late
        out.append(Finding(AUDIT, "distribution", "info", f"episodes ended: {text}", numbers))
    silent = [k for k in (*manifest.terminations.terms, TIME_OUT) if counts.get(k, 0) == 0]
    if silent:
        msg = f"never ended an episode in {len(records)} iterations: {', '.join(silent)}"
        out.append(Finding(AUDIT, "never_fires", "info", msg, {"reasons": silent}))
    blown = max((r.get("nonfinite_resets") or 0 for r in records), default=0)
    if blown or counts.get(NON_FINITE, 0):
        msg = f"the physics state became non-finite and was reset {blown} times"
        out.append(Finding(AUDIT, "non_finite", "warning", msg, {"nonfinite_resets": blown}))
    return out


def skim_bands(manifest: Manifest) -> dict[str, tuple[str, float, float]]:
    """term -> (variable, low, high): the band just inside each skimmable termination threshold."""
    terms, bands = manifest.terminations.terms, {}
    if "base_too_low" in terms:
        low = terms["base_too_low"].params["min_height"]
        bands["base_too_low"] = ("base_height", low, low * (1 + SKIM_BAND))
    if "bad_orientation" in terms:
        limit = terms["bad_orientation"].params["limit_angle"]
        bands["bad_orientation"] = ("tilt", limit * (1 - SKIM_BAND), limit)
    return bands


def skimming(roll: Rollout, where: str) -> list[Finding]:
    """Alive time spent within SKIM_BAND inside the base_too_low / bad_orientation thresholds."""
    alive = ~roll.terminated
    if not alive.any():
        return []
    out = []
    for term, (variable, lo, hi) in skim_bands(roll.manifest).items():
        values = roll.base_height if variable == "base_height" else roll.tilt
        fraction = float(np.mean((values >= lo) & (values <= hi), where=alive))
        severity = "error" if fraction >= SKIM_ERROR else "warning" if fraction >= SKIM_WARNING else None
        if severity:
            head = f"{variable} within {SKIM_BAND:.0%} of the {term} limit"
            msg = f"{head} on {fraction:.0%} of alive steps {where}"
            numbers = {"term": term, "fraction": fraction, "band": [lo, hi], "alive_steps": int(alive.sum())}
            numbers |= {"median": float(np.median(values[alive])), "threshold": SKIM_WARNING}
            out.append(Finding(AUDIT, "skimming", severity, msg, numbers))
    return out


def first_failures(roll: Rollout) -> np.ndarray:
    """(N,) step at which each env's first episode failed; -1 where it timed out or is still running."""
    ended = roll.terminated | roll.time_out
    first_end = np.where(ended.any(axis=0), ended.argmax(axis=0), -1)
    n = np.arange(ended.shape[1])
    failed = (first_end >= 0) & roll.terminated[np.maximum(first_end, 0), n]
    return np.where(failed, first_end, -1)


def early_failures(roll: Rollout) -> list[Finding]:
    """Envs whose first episode fails within EARLY_S seconds: an environment that terminates at once."""
    fail = first_failures(roll)
    early = (fail >= 0) & (fail < max(1, round(EARLY_S / roll.dt)))
    share = float(np.mean(early))
    severity = "error" if share >= EARLY_ERROR else "warning" if share >= EARLY_WARNING else None
    if severity is None:
        return []
    median = float(np.median(fail[early]) * roll.dt)
    msg = f"{share:.0%} of envs fail within {EARLY_S:g} s of the start (median after {median:.2f} s)"
    reasons = Counter(roll.reason[fail[early], np.flatnonzero(early)].tolist())
    numbers = {"share": share, "within_s": EARLY_S, "median_failure_s": median, "reasons": dict(reasons)}
    numbers["threshold"] = EARLY_WARNING
    if roll.tile_col is not None:
        by_kind = early_by_kind(roll, early)
        worst = max(by_kind, key=lambda k: by_kind[k][0] / by_kind[k][1])
        msg += f"; worst terrain {worst}: {by_kind[worst][0]} of {by_kind[worst][1]}"
        numbers["by_kind"] = by_kind
    return [Finding(AUDIT, "early_failure", severity, msg, numbers)]


def early_by_kind(roll: Rollout, early: np.ndarray) -> dict[str, list[int]]:
    """Terrain kind each env started on -> [early failures, envs]."""
    kinds = np.array(roll.col_kinds)[roll.tile_col[0]]
    return {k: [int(early[kinds == k].sum()), int((kinds == k).sum())] for k in sorted(set(kinds.tolist()))}
