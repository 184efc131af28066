"""The promotion gate: a pure decision on a candidate against the champion of its task.

A candidate passes when, on every named panel:
  1. it has a held-out evaluation, and (with a champion) one matched with the champion's (same panel
     hash); every evaluation used is held out and has at least the panel's min_episodes in every cell
     (else "insufficient evidence");
  2. it meets the panel's competence floor (max fall rate / velocity error on the floor cells), even
     as the first run of its task (--bootstrap);
  3. against the champion, per panel and simulator: no gate metric (summary fall_rate, lin_vel_error) is
     worse beyond its delta interval and at least one is better beyond it, on the held-out evaluation
     and on each matched transfer evaluation (kind "transfer": a second simulator);
  4. it has transfer evidence on the panel (matched with the champion's when there is one), unless
     `without_transfer`, which is recorded as an override naming the panels that lacked it.
The first run of a task passes only with `bootstrap`. Blocking findings (unresolved audit errors, e.g.
a policy that does not step) refuse unless `override_findings`, which is recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from locoaudit.evaluate.record import Evaluation
from locoaudit.ledger.compare import (
    GATE_METRICS,
    INSUFFICIENT,
    Delta,
    evidence_gaps,
    mismatch_reason,
    summary_deltas,
)
from locoaudit.ledger.evaluation import latest, matched, of_panel
from locoaudit.ledger.record import RunRecord


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


def label(e: Evaluation) -> str:
    return f"{e.kind} {e.panel} [{e.simulator}]"


def usable(e: Evaluation) -> list[str]:
    """Why an evaluation cannot be judged: not held out, or too few episodes in a cell."""
    out = []
    if not e.held_out:
        out.append(
            f"{e.kind} evaluation of run {e.run_id} on panel '{e.panel}' is not held out (overlaps training)"
        )
    gaps = evidence_gaps(e, e.criteria.min_episodes)
    if gaps:
        out.append(f"{INSUFFICIENT}: {label(e)} of run {e.run_id}: {'; '.join(gaps)}")
    return out


def below_floor(e: Evaluation) -> list[str]:
    """Each floor limit the evaluation misses, as a refusal reason."""
    floor, out = e.floor, []
    for name in floor.cells:
        cell = e.cell(name)
        for metric, limit in floor.limits().items():
            est = None if cell is None else cell.metrics.get(metric)
            where = f"below the floor: {label(e)} cell {name} {metric}"
            if est is None or est.value is None:
                out.append(f"{where} not measured (at most {limit:g})")
            elif est.value > limit:
                out.append(f"{where} {est.value:.3g} > {limit:g}")
    return out


def judge_pair(champ: Evaluation, cand: Evaluation) -> tuple[list[str], list[str]]:
    """(reasons to refuse, evidence lines) for one matched pair: none worse, at least one better."""
    reasons = usable(champ)
    deltas = summary_deltas(champ, cand, GATE_METRICS)
    evidence = [evidence_line(label(cand), d) for d in deltas]
    if reasons or any(d.verdict == INSUFFICIENT for d in deltas):
        return reasons, evidence  # the candidate's own gaps are reported by the caller
    for d in deltas:
        if d.verdict in ("worse", "n/a"):
            reasons.append(
                f"{label(cand)} {d.metric} " + ("worse" if d.verdict == "worse" else "has no interval")
            )
    if not any(d.verdict == "better" for d in deltas):
        reasons.append(
            f"{label(cand)}: no gate metric ({', '.join(GATE_METRICS)}) better beyond its interval"
        )
    return reasons, evidence


@dataclass
class Verdicts:
    """What judging the panels found, collected in order."""

    reasons: list[str]
    evidence: list[str]
    judged: list[tuple[str, str]]
    no_transfer: list[str]


def _heldout(out: Verdicts, candidate: RunRecord, champion: RunRecord | None, panel: str) -> None:
    own = of_panel(candidate.evaluations, panel, "heldout")
    if not own:
        out.reasons.append(f"run {candidate.run_id} has no heldout evaluation on panel '{panel}'")
        return
    pairs = [] if champion is None else matched(champion.evaluations, candidate.evaluations, panel, "heldout")
    if champion is not None and not pairs:
        out.reasons.append(mismatch_reason(champion, candidate, panel, "heldout"))
    cand = pairs[0][1] if pairs else latest(own)
    out.judged.append((panel, cand.panel_hash))
    out.reasons.extend(usable(cand) + below_floor(cand))
    for champ, _ in pairs:
        reasons, evidence = judge_pair(champ, cand)
        out.reasons.extend(reasons)
        out.evidence.extend(evidence)


def _transfer(out: Verdicts, candidate: RunRecord, champion: RunRecord | None, panel: str) -> None:
    own = of_panel(candidate.evaluations, panel, "transfer")
    pairs = (
        [] if champion is None else matched(champion.evaluations, candidate.evaluations, panel, "transfer")
    )
    if not own:
        out.no_transfer.append(f"no transfer evidence on panel '{panel}'")
    elif champion is not None and not pairs:
        out.no_transfer.append(
            f"no transfer evidence on panel '{panel}' matched with champion {champion.run_id} "
            "(same simulator and panel hash)"
        )
    for cand in [latest([e for e in own if e.simulator == s]) for s in sorted({e.simulator for e in own})]:
        if not any(c is cand for _, c in pairs):
            out.reasons.extend(usable(cand))
    for champ, cand in pairs:
        reasons, evidence = judge_pair(champ, cand)
        out.reasons.extend(usable(cand) + reasons)
        out.evidence.extend(evidence)


def _overrides(
    candidate: RunRecord, champion: RunRecord | None, bootstrap: bool, findings: Sequence[str], override: bool
) -> tuple[list[str], list[str]]:
    """(reasons, overrides) from the champion situation and blocking findings."""
    reasons, overrides = [], []
    if findings and override:
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
    return reasons, overrides


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
    reasons, overrides = _overrides(candidate, champion, bootstrap, findings, override_findings)
    if champion is not None and champion.run_id == candidate.run_id:
        champion = None
    out = Verdicts(reasons, [], [], [])
    for panel in panels:
        _heldout(out, candidate, champion, panel)
    for panel in panels:
        _transfer(out, candidate, champion, panel)
    if out.no_transfer and without_transfer:
        overrides.append(f"without-transfer ({'; '.join(out.no_transfer)})")
    elif out.no_transfer:
        out.reasons += [
            f"{r} (--without-transfer promotes on held-out evidence alone)" for r in out.no_transfer
        ]
    return Decision(
        promoted=not out.reasons,
        reasons=tuple(dict.fromkeys(out.reasons)),
        evidence=tuple(out.evidence),
        panels=tuple(out.judged),
        overrides=tuple(overrides),
        findings=tuple(findings),
        champion_id=None if champion is None else champion.run_id,
    )
