"""Construct-matched comparison: metric deltas between two evaluations of the same panel hash.

Delta interval. For estimates A (interval [loA, hiA]) and B (interval [loB, hiB]) the delta B - A is
reported with the interval [loB - hiA, hiB - loA]: every difference of a value inside A's interval and
one inside B's. It is conservative (if each interval covers its true value with probability 1 - a, the
delta interval covers the true difference with probability at least 1 - 2a, whatever the dependence),
and it needs nothing but the two published intervals. A delta is called better or worse only when its
interval excludes 0 (by more than TOLERANCE, so that rounding never decides); otherwise it is `same` (no
evidence either way), or `n/a` when a part is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from locoaudit.errors import LocoauditError
from locoaudit.evaluate.metrics import HIGHER_IS_BETTER
from locoaudit.ledger.evaluation import Estimate, Evaluation, hashes, matched
from locoaudit.ledger.record import RunRecord

GATE_METRICS = ("fall_rate", "lin_vel_error")
TOLERANCE = 1e-12


@dataclass(frozen=True)
class Delta:
    """B - A for one metric, with the conservative interval and a verdict."""

    metric: str
    a: Estimate
    b: Estimate
    value: float | None
    lo: float | None
    hi: float | None
    verdict: str  # 'better' | 'worse' | 'same' | 'n/a'


def delta(metric: str, a: Estimate, b: Estimate) -> Delta:
    """B - A with interval [loB - hiA, hiB - loA]; better/worse only when that interval excludes 0."""
    value = None if a.value is None or b.value is None else b.value - a.value
    if None in (a.lo, a.hi, b.lo, b.hi):
        return Delta(metric, a, b, value, None, None, "n/a")
    lo, hi = b.lo - a.hi, b.hi - a.lo
    if lo <= TOLERANCE and hi >= -TOLERANCE:
        verdict = "same"
    else:
        increased = lo > TOLERANCE
        verdict = "better" if increased == (metric in HIGHER_IS_BETTER) else "worse"
    return Delta(metric, a, b, value, lo, hi, verdict)


def summary_deltas(a: Evaluation, b: Evaluation, metrics: tuple[str, ...] | None = None) -> list[Delta]:
    """Deltas of the panel-level summary metrics (all common ones, or `metrics`; missing ones are n/a)."""
    names = metrics or tuple(sorted(set(a.summary) & set(b.summary)))
    missing = Estimate(None, None, None)
    return [delta(m, a.summary.get(m, missing), b.summary.get(m, missing)) for m in names]


def cell_deltas(a: Evaluation, b: Evaluation) -> list[tuple[str, list[Delta]]]:
    """Per-cell deltas for the cells and metrics both evaluations have, in A's cell order."""
    cells_b = {c.name: c for c in b.cells}
    out = []
    for cell in a.cells:
        other = cells_b.get(cell.name)
        if other is not None:
            common = sorted(set(cell.metrics) & set(other.metrics))
            out.append((cell.name, [delta(m, cell.metrics[m], other.metrics[m]) for m in common]))
    return out


@dataclass(frozen=True)
class Comparison:
    """Run B against run A on one panel: matched evaluation pairs per kind and the manifest differences."""

    a: RunRecord
    b: RunRecord
    panel: str
    pairs: dict[str, list[tuple[Evaluation, Evaluation]]]  # kind -> matched (A, B) pairs
    manifest_diff: list[tuple[str, Any, Any]]


def compare_runs(a: RunRecord, b: RunRecord, panel: str) -> Comparison:
    """Match held-out (required) and transfer (when both have it) evaluations of `panel` by panel hash."""
    heldout = matched(a.evaluations, b.evaluations, panel, "heldout")
    if not heldout:
        raise LocoauditError(mismatch_reason(a, b, panel, "heldout"))
    transfer = matched(a.evaluations, b.evaluations, panel, "transfer")
    return Comparison(
        a, b, panel, {"heldout": heldout, "transfer": transfer}, manifest_diff(a.manifest, b.manifest)
    )


def mismatch_reason(a: RunRecord, b: RunRecord, panel: str, kind: str) -> str:
    """Why two runs have no matched evaluation of a panel: one lacks it, or their panel hashes differ."""
    ha, hb = hashes(a.evaluations, panel, kind), hashes(b.evaluations, panel, kind)
    for rec, found in ((a, ha), (b, hb)):
        if not found:
            return f"run {rec.run_id} has no {kind} evaluation on panel '{panel}'"
    return (
        f"panel '{panel}' ({kind}): evaluated on different panel hashes, so not the same construct "
        f"({a.run_id}: {', '.join(ha)}; {b.run_id}: {', '.join(hb)})"
    )


def flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts -> {'dotted.key.path': leaf}; lists are leaves."""
    if not isinstance(obj, dict) or not obj:
        return {prefix: obj}
    out: dict[str, Any] = {}
    for key, value in obj.items():
        out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


ABSENT = "<absent>"


def manifest_diff(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """Every manifest field that differs, as (dotted key path, value in A, value in B)."""
    fa, fb = flatten(a), flatten(b)
    keys = sorted(set(fa) | set(fb))
    return [(k, fa.get(k, ABSENT), fb.get(k, ABSENT)) for k in keys if fa.get(k, ABSENT) != fb.get(k, ABSENT)]
