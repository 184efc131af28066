"""Text forms of records, the runs table, comparisons and gate decisions."""

from __future__ import annotations

from itertools import zip_longest

from locoaudit.evaluate.metrics import DIRECTIONS
from locoaudit.evaluate.record import Estimate
from locoaudit.ledger.compare import (
    GATE_METRICS,
    INSUFFICIENT,
    Comparison,
    Delta,
    cell_deltas,
    evidence_gaps,
    summary_deltas,
)
from locoaudit.ledger.gap import sim_to_sim_gaps
from locoaudit.ledger.gate import Decision
from locoaudit.ledger.record import RunRecord, record_json

LEFT = 40
BETTER = {"lower": "lower is better", "higher": "higher is better", "none": "no direction"}


def num(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.4g}"


def estimate(e: Estimate) -> str:
    interval = "" if e.lo is None else f" [{num(e.lo)}, {num(e.hi)}]"
    return num(e.value) + interval


def duration(seconds: float) -> str:
    """3723.4 -> '1h 02m 03s'."""
    s = round(seconds)
    h, m = divmod(s // 60, 60)
    return f"{h}h {m:02d}m {s % 60:02d}s" if h else f"{m}m {s % 60:02d}s"


def _scale(r: RunRecord) -> list[str]:
    rows = [
        ("num_envs", f"{r.num_envs:,}"),
        ("horizon", f"{r.horizon} steps"),
        ("updates", f"{r.updates:,} PPO iterations"),
        ("gradient steps", f"{r.gradient_steps:,}"),
        ("samples", f"{r.samples:,}"),
        ("wall clock", duration(r.wall_clock_s)),
        ("env-steps/s", f"{r.env_steps_per_s:,.0f} (median)"),
        ("resumes", str(r.resumes)),
    ]
    return ["scale"] + [f"  {k:<15}{v}" for k, v in rows]


def _evidence(r: RunRecord) -> list[str]:
    body = record_json(r)
    lines = []
    for kind, title in (("heldout", "held-out evidence"), ("transfer", "transfer evidence")):
        lines.append(f"{title}" + ("" if body[kind] else ": none"))
        for e in body[kind]:
            where = f"{e['simulator']} s{e['seed']} it{e['checkpoint_iteration']}"
            where += "" if e["held_out"] else " NOT HELD OUT"
            lines.append(f"  {e['panel']} {e['panel_hash'][:12]} {where}")
            ordered = [m for m in GATE_METRICS if m in e["metrics"]]
            ordered += [m for m in e["metrics"] if m not in GATE_METRICS]
            width = max(map(len, ordered), default=0) + 2
            for m in ordered:
                est = e["metrics"][m]
                ci = est["ci"] or [None, None]
                shown = estimate(Estimate(est["value"], ci[0], ci[1]))
                lines.append(f"    {m:<{width}}{shown:<28} ({BETTER[DIRECTIONS[m]]})")
    return lines + sim_to_sim_gaps(r.evaluations)


def format_record(r: RunRecord) -> str:
    """A lab-notebook entry: identity, then the scale figures and the held-out evidence side by side."""
    code = r.code or {}
    commit = (code.get("git_commit") or "no git")[:12] + (" (dirty)" if code.get("git_dirty") else "")
    head = [
        f"run {r.run_id}    promotion: {r.promotion}",
        f"  manifest {r.manifest_name}  sha256 {r.manifest_hash[:12]}  task {r.task_key[:12]}  seed {r.seed}",
        f"  code {code.get('package')} @ {commit}  created {r.created}",
        f"  dir {r.run_dir}",
        "",
    ]
    pairs = zip_longest(_scale(r), _evidence(r), fillvalue="")
    return "\n".join(head + [f"{a:<{LEFT}}| {b}".rstrip() for a, b in pairs] + _audit(r) + _reproductions(r))


def _audit(r: RunRecord) -> list[str]:
    """The run's audit findings at warning or above (unresolved errors block promotion)."""
    shown = [f for f in r.audit_findings if f.get("severity") in ("warning", "error")]
    if not r.audit_findings:
        return ["", "audit: no findings recorded (locoaudit audit RUN_DIR)"]
    lines = ["", f"audit: {len(shown)} finding(s) at warning or above"]
    for f in shown:
        state = " (resolved)" if f.get("resolution") else ""
        lines.append(f"  {f['severity'].upper():<8}{f['audit']}.{f['check']}: {f['message']}{state}")
    return lines


def _reproductions(r: RunRecord) -> list[str]:
    """Hardware failures reproduced in simulation, with their best-matching parameters."""
    if not r.reproductions:
        return []
    lines = ["", f"reproduced hardware logs: {len(r.reproductions)}"]
    for rep in r.reproductions:
        fail = rep["log_failure"]
        what = f"{fail['kind']} at {fail['time_s']:.2f} s" if fail["step"] >= 0 else "no failure"
        best = rep["best"]
        lines.append(
            f"  {rep['trace']} (log {str(rep['log_sha256'])[:12]}): {what}; {rep['reproducing']} of "
            f"{rep['variants']} variants reproduce ({rep['mode'].replace('_', ' ')})"
        )
        params = ", ".join(f"{k} {v:.4g}" for k, v in sorted(best["params"].items()))
        lines.append(
            f"    best: distance {best['distance']:.3f}, failure {best['fail_kind'] or 'none'}; {params}"
        )
    return lines


def format_list(records: list[RunRecord]) -> str:
    """The runs table."""
    header = ("run id", "manifest", "samples", "wall clock", "steps/s", "promotion", "panels")
    rows = [
        (
            r.run_id,
            r.manifest_name,
            f"{r.samples:,}",
            duration(r.wall_clock_s),
            f"{r.env_steps_per_s:,.0f}",
            r.promotion,
            ", ".join(sorted({e.panel for e in r.evaluations})) or "-",
        )
        for r in records
    ]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(f"{c:<{w}}" for c, w in zip(row, widths, strict=True)).rstrip() for row in [header, *rows]
    )


def _delta_row(cell: str, d: Delta, width: int) -> str:
    interval = "" if d.lo is None else f" [{num(d.lo)}, {num(d.hi)}]"
    change = f"{num(d.value)}{interval}"
    return f"  {cell:<{width}}{d.metric:<28}{estimate(d.a):<26}{estimate(d.b):<26}{change:<30}{d.verdict}"


def format_compare(c: Comparison) -> str:
    """Per-cell and summary deltas (B - A) of each matched evaluation, then the manifest differences."""
    lines = [f"compare {c.a.run_id} (A) -> {c.b.run_id} (B) on panel '{c.panel}'; delta = B - A"]
    lines.append("verdicts follow each metric's direction: " + _directions())
    for kind, pairs in c.pairs.items():
        for ea, eb in pairs:
            lines.append(
                f"{kind} [{ea.simulator}] panel {ea.short_hash}: A s{ea.seed} it{ea.checkpoint_iteration}, "
                f"B s{eb.seed} it{eb.checkpoint_iteration}"
                + ("" if ea.held_out and eb.held_out else " (not held out: overlaps training)")
            )
            n = ea.criteria.min_episodes
            for side, e in (("A", ea), ("B", eb)):
                gaps = evidence_gaps(e, n)
                lines += [f"  {INSUFFICIENT} ({side}): {'; '.join(gaps)}"] if gaps else []
            cells = cell_deltas(ea, eb)
            width = max([len(name) for name, _ in cells] + [9]) + 2
            lines.append(f"  {'cell':<{width}}{'metric':<28}{'A':<26}{'B':<26}{'B - A':<30}verdict")
            for cell, deltas in cells:
                lines += [_delta_row(cell, d, width) for d in deltas]
            lines += [_delta_row("(summary)", d, width) for d in summary_deltas(ea, eb)]
    if not c.pairs.get("transfer"):
        lines.append("transfer: no matched transfer evaluations")
    for side, run in (("A", c.a), ("B", c.b)):
        lines += [f"{side}: {line}" for line in sim_to_sim_gaps(run.evaluations, c.panel)]
    if not c.manifest_diff:
        lines.append(f"manifest: identical (sha256 {c.a.manifest_hash[:12]})")
    else:
        lines.append(f"manifest differences (A -> B): {len(c.manifest_diff)}")
        lines += [f"  {key}: {a!r} -> {b!r}" for key, a, b in c.manifest_diff]
    return "\n".join(lines)


def _directions() -> str:
    """'lower is better: fall_rate, ...; higher is better: ...; no direction: ...' from DIRECTIONS."""
    groups = {way: [m for m, d in DIRECTIONS.items() if d == way] for way in BETTER}
    return "; ".join(f"{BETTER[way]}: {', '.join(names)}" for way, names in groups.items() if names)


def format_decision(run_id: str, d: Decision) -> str:
    """The gate's verdict with its evidence, reasons and overrides."""
    verdict = "PROMOTED" if d.promoted else "REFUSED"
    against = f"champion {d.champion_id}" if d.champion_id else "no champion"
    panels = ", ".join(f"{p} {h[:12]}" for p, h in d.panels) or "-"
    lines = [f"{verdict} {run_id} (against {against}; panels {panels})"]
    lines += [f"  evidence: {e}" for e in d.evidence]
    lines += [f"  reason: {r}" for r in d.reasons]
    lines += [f"  override: {o}" for o in d.overrides]
    lines += [f"  finding: {f}" for f in d.findings]
    return "\n".join(lines)
