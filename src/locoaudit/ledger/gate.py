"""The promotion gate: a pure decision on a candidate against the champion of its task.

A candidate passes when, on every named panel (matched panel hashes), the held-out gate metrics
(summary fall_rate and lin_vel_error) are none worse beyond their delta intervals and at least one is
better beyond its interval, and the same holds for transfer evaluations (matched by simulator and panel
hash). Without transfer evidence the gate refuses unless `without_transfer`. The first run of a task
passes only with `bootstrap`. Blocking findings (e.g. audit errors) refuse unless `override_findings`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from locoaudit.ledger.compare import GATE_METRICS, Delta, mismatch_reason, summary_deltas
from locoaudit.ledger.evaluation import Evaluation, latest, matched, of_panel
from locoaudit.ledger.record import RunRecord

NO_TRANSFER = "no transfer evidence"


@dataclass(frozen=True)
class Decision:
    """The gate's verdict: refusal reasons (empty when promoted), per-metric evidence and overrides used."""

    promoted: bool
    reasons: tuple[str, ...]
    evidence: tuple[str, ...]
    panels: tuple[tuple[str, str], ...]  # (panel, panel_hash) the candidate was judged on
    overrides: tuple[str, ...]
    findings: tuple[str, ...]
    champion_id: str | None


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.4g}"


def evidence_line(label: str, d: Delta) -> str:
    """'heldout disturbance [mujoco_cpu] fall_rate: 0.05 -> 0.03, delta -0.02 [-0.06, -0.005] better'."""
    interval = "n/a" if d.lo is None else f"[{_fmt(d.lo)}, {_fmt(d.hi)}]"
    change = f"{_fmt(d.a.value)} -> {_fmt(d.b.value)}"
    return f"{label} {d.metric}: {change}, delta {_fmt(d.value)} {interval} {d.verdict}"


def not_held_out(e: Evaluation) -> str:
    return f"{e.kind} evaluation of run {e.run_id} on panel '{e.panel}' is not held out (overlaps training)"


def judge(kind: str, pairs: list[tuple[Evaluation, Evaluation]]) -> tuple[list[str], list[str]]:
    """(reasons to refuse, evidence lines) for matched (champion, candidate) pairs of one kind."""
    reasons, evidence, verdicts = [], [], []
    for champ, cand in pairs:
        label = f"{kind} {cand.panel} [{cand.simulator}]"
        reasons += [not_held_out(e) for e in (champ, cand) if not e.held_out]
        for d in summary_deltas(champ, cand, GATE_METRICS):
            evidence.append(evidence_line(label, d))
            verdicts.append(d.verdict)
            if d.verdict in ("worse", "n/a"):
                reasons.append(
                    f"{label} {d.metric} " + ("worse" if d.verdict == "worse" else "has no interval")
                )
    if pairs and "better" not in verdicts:
        reasons.append(f"{kind}: no gate metric ({', '.join(GATE_METRICS)}) better beyond its interval")
    return reasons, evidence


def _heldout(candidate: RunRecord, champion: RunRecord | None, panels: Sequence[str]):
    """Matched held-out pairs, reasons for panels that cannot be matched, and the (panel, hash) judged."""
    pairs, reasons, judged = [], [], []
    for panel in panels:
        own = of_panel(candidate.evaluations, panel, "heldout")
        if not own:
            reasons.append(f"run {candidate.run_id} has no heldout evaluation on panel '{panel}'")
            continue
        found = (
            [] if champion is None else matched(champion.evaluations, candidate.evaluations, panel, "heldout")
        )
        if champion is not None and not found:
            reasons.append(mismatch_reason(champion, candidate, panel, "heldout"))
        pairs += found
        if champion is None and not latest(own).held_out:
            reasons.append(not_held_out(latest(own)))
        judged.append((panel, found[0][1].panel_hash if found else latest(own).panel_hash))
    return pairs, reasons, judged


def _transfer(candidate: RunRecord, champion: RunRecord | None, panels: Sequence[str]):
    """(matched transfer pairs, why there is no usable transfer evidence or None)."""
    if not any(of_panel(candidate.evaluations, p, "transfer") for p in panels):
        return [], NO_TRANSFER
    if champion is None:
        return [], None
    pairs = [
        pair for p in panels for pair in matched(champion.evaluations, candidate.evaluations, p, "transfer")
    ]
    if not pairs:
        return [], f"{NO_TRANSFER} matched with champion {champion.run_id} (same simulator and panel hash)"
    return pairs, None


def decide(
    candidate: RunRecord,
    champion: RunRecord | None,
    panels: Sequence[str],
    *,
    bootstrap: bool = False,
    without_transfer: bool = False,
    findings: Sequence[str] = (),
    override_findings: bool = False,
) -> Decision:
    """Promote or refuse `candidate` against `champion` (None: the task has none yet) on `panels`."""
    reasons: list[str] = []
    overrides: list[str] = []
    if findings and override_findings:
        overrides.append(f"override-findings ({len(findings)})")
    elif findings:
        reasons += [f"blocking finding: {f}" for f in findings]
    if champion is None and bootstrap:
        overrides.append("bootstrap")
    elif champion is None:
        reasons.append("the task has no champion yet: its first run is promoted only with --bootstrap")
    elif bootstrap:
        reasons.append(f"--bootstrap is only for a task's first run; the champion is {champion.run_id}")
    if champion is not None and champion.run_id == candidate.run_id:
        reasons.append(f"run {candidate.run_id} is already the champion")
        champion = None
    pairs, missing, judged = _heldout(candidate, champion, panels)
    held_reasons, evidence = judge("heldout", pairs)
    reasons += missing + held_reasons
    transfer_pairs, no_transfer = _transfer(candidate, champion, panels)
    if no_transfer and without_transfer:
        overrides.append(f"without-transfer ({no_transfer})")
    elif no_transfer:
        reasons.append(f"{no_transfer} (--without-transfer promotes on held-out evidence alone)")
    transfer_reasons, transfer_evidence = judge("transfer", transfer_pairs)
    return Decision(
        promoted=not (reasons or transfer_reasons),
        reasons=tuple(reasons + transfer_reasons),
        evidence=tuple(evidence + transfer_evidence),
        panels=tuple(judged),
        overrides=tuple(overrides),
        findings=tuple(findings),
        champion_id=None if champion is None else champion.run_id,
    )
