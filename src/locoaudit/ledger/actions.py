"""What the ledger commands do, apart from printing: add runs, resolve run arguments, promote."""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from pathlib import Path

from locoaudit.errors import LocoauditError
from locoaudit.fileio import atomic_write_json
from locoaudit.findings import blocking
from locoaudit.ledger import gate
from locoaudit.ledger.record import RECORD_FILE, RunRecord, build_record, record_json
from locoaudit.ledger.store import Ledger, PromotionEntry, now
from locoaudit.safety import inside


def is_run_dir(arg: str) -> bool:
    """A RUN argument naming a run directory (rather than a run id in the ledger)."""
    return (Path(arg) / "run.json").is_file()


def write_record(record: RunRecord) -> None:
    """(Re)write record.json in the run's directory, when that directory is still there."""
    if record.run_dir and (Path(record.run_dir) / "run.json").is_file():
        atomic_write_json(inside(Path(record.run_dir), RECORD_FILE), record_json(record))


def add_run(ledger: Ledger, run_dir: Path, built: RunRecord | None = None) -> RunRecord:
    """Upsert a run's record (built from run_dir unless given) with its evaluations; write record.json."""
    built = built or build_record(run_dir)
    ledger.add_run(built)
    record = ledger.get_run(built.run_id)
    assert record is not None
    write_record(record)
    return record


def resolve(ledger: Ledger, arg: str) -> RunRecord:
    """A run directory (added to the ledger first) or a run id already in the ledger."""
    if is_run_dir(arg):
        return add_run(ledger, Path(arg))
    record = ledger.get_run(arg)
    if record is None:
        hint = " (no such run directory either)" if not Path(arg).exists() else f" ({arg} has no run.json)"
        raise LocoauditError(f"run {arg}: not in the ledger {ledger.url}{hint}")
    return record


def promote(
    ledger: Ledger,
    candidate: RunRecord,
    panels: Sequence[str],
    *,
    bootstrap: bool = False,
    without_transfer: bool = False,
    findings: Sequence[str] = (),
    override_findings: bool = False,
) -> gate.Decision:
    """Decide on the candidate against its task's champion, log the decision, refresh record.json files.

    The candidate's unresolved audit errors (from its audit.json) join `findings` as blocking findings.
    """
    champion_id = ledger.champion(candidate.task_key)
    champion = None if champion_id is None else ledger.get_run(champion_id)
    if champion_id is not None and champion is None:
        raise LocoauditError(f"{ledger.url}: champion {champion_id} is logged but its run record is missing")
    decision = gate.decide(
        candidate,
        champion,
        panels,
        bootstrap=bootstrap,
        without_transfer=without_transfer,
        findings=(*findings, *blocking(candidate.audit_findings)),
        override_findings=override_findings,
    )
    entry = PromotionEntry(
        run_id=candidate.run_id,
        task_key=candidate.task_key,
        champion_id=champion_id,
        decided=now(),
        user=getpass.getuser(),
        panels=decision.panels,
        decision="promoted" if decision.promoted else "refused",
        reasons=decision.reasons,
        evidence=decision.evidence,
        findings=decision.findings,
        overrides=decision.overrides,
    )
    ledger.log_decision(entry, expected_champion=champion_id)
    for run_id in {candidate.run_id, champion_id} - {None}:
        refreshed = ledger.get_run(run_id)
        if refreshed is not None:
            write_record(refreshed)
    return decision
