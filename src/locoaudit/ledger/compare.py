"""Construct-matched comparison: metric deltas between two evaluations of the same panel hash.

Delta interval. For estimates A (interval [loA, hiA]) and B (interval [loB, hiB]) the delta B - A is
reported with the interval [loB - hiA, hiB - loA]: every difference of a value inside A's interval and
one inside B's. It is conservative (if each interval covers its true value with probability 1 - a, the
delta interval covers the true difference with probability at least 1 - 2a, whatever the dependence),
and it needs nothing but the two published intervals. A delta is called better or worse only when its
interval excludes 0 (by more than TOLERANCE, so that rounding never decides); otherwise it is `same` (no
evidence either way), or `n/a` when a part is missing. Which way is better comes from the one table
evaluate.metrics.DIRECTIONS; a metric without a direction (time_to_fall_s, ...) is called `higher` or
`lower` instead. A cell with fewer episodes than its panel's min_episodes (on either side) is not judged:
its verdict is `insufficient evidence`, and so is the summary's when any cell is short.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from locoaudit.errors import LocoauditError
from locoaudit.evaluate.metrics import DIRECTIONS, HIGHER, NONE
from locoaudit.evaluate.record import MISSING, CellResult, Estimate, Evaluation
from locoaudit.ledger.evaluation import hashes, matched
from locoaudit.ledger.record import RunRecord

GATE_METRICS = ("fall_rate", "lin_vel_error")
TOLERANCE = 1e-12
INSUFFICIENT = "insufficient evidence"


@dataclass(frozen=True)
class Delta:
    """B - A for one metric, with the conservative interval and a verdict."""

    metric: str
    a: Estimate
    b: Estimate
    value: float | None
    lo: float | None
    hi: float | None
    verdict: str  # 'better' | 'worse' | 'higher' | 'lower' (no direction) | 'same' | 'n/a' | INSUFFICIENT


def delta(metric: str, a: Estimate, b: Estimate) -> Delta:
    """B - A with interval [loB - hiA, hiB - loA]; better/worse only when that interval excludes 0."""
    value = None if a.value is None or b.value is None else b.value - a.value
    if a.lo is None or a.hi is None or b.lo is None or b.hi is None:
        return Delta(metric, a, b, value, None, None, "n/a")
    lo, hi = b.lo - a.hi, b.hi - a.lo
    increased = lo > TOLERANCE
    if lo <= TOLERANCE and hi >= -TOLERANCE:
        verdict = "same"
    elif DIRECTIONS[metric] == NONE:
        verdict = "higher" if increased else "lower"
    else:
        verdict = "better" if increased == (DIRECTIONS[metric] == HIGHER) else "worse"
    return Delta(metric, a, b, value, lo, hi, verdict)


def short_cells(e: Evaluation, min_episodes: int) -> list[CellResult]:
    """The cells of `e` with fewer than min_episodes episodes (or an unknown count)."""
    return [c for c in e.cells if c.episodes is None or c.episodes < min_episodes]


def evidence_gaps(e: Evaluation, min_episodes: int) -> list[str]:
    """Why `e` is insufficient evidence ('2 episodes in cells push_1.0, delay_5 (min_episodes 32)'), or []."""
    if not e.cells:
        return ["no cells"]
    by_count: dict[int | None, list[str]] = {}
    for c in short_cells(e, min_episodes):
        by_count.setdefault(c.episodes, []).append(c.name)
    cells = {n: ("cells " if len(names) > 1 else "cell ") + ", ".join(names) for n, names in by_count.items()}
    return [f"{n} episodes in {where} (min_episodes {min_episodes})" for n, where in cells.items()]


def _unjudged(d: Delta) -> Delta:
    return Delta(d.metric, d.a, d.b, d.value, d.lo, d.hi, INSUFFICIENT)


def summary_deltas(a: Evaluation, b: Evaluation, metrics: tuple[str, ...] | None = None) -> list[Delta]:
    """Deltas of the panel-level summary metrics (all common ones, or `metrics`; missing ones are n/a)."""
    names = metrics or tuple(sorted(set(a.summary) & set(b.summary)))
    out = [delta(m, a.summary.get(m, MISSING), b.summary.get(m, MISSING)) for m in names]
    n = a.criteria.min_episodes
    return [_unjudged(d) for d in out] if evidence_gaps(a, n) or evidence_gaps(b, n) else out


def cell_deltas(a: Evaluation, b: Evaluation) -> list[tuple[str, list[Delta]]]:
    """Per-cell deltas for the cells and metrics both evaluations have, in A's cell order."""
    n = a.criteria.min_episodes
    out = []
    for cell in a.cells:
        other = b.cell(cell.name)
        if other is not None:
            common = sorted(set(cell.metrics) & set(other.metrics))
            deltas = [delta(m, cell.metrics[m], other.metrics[m]) for m in common]
            short = short_cells(a, n) + short_cells(b, n)
            out.append(
                (
                    cell.name,
                    [_unjudged(d) for d in deltas] if cell.name in {c.name for c in short} else deltas,
                )
            )
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
