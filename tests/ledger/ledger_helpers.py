"""Helpers shared by the ledger tests: evaluation JSON objects and workers of the concurrency tests."""

from run_dirs import OTHER_HASH, PANEL_HASH, evaluation  # noqa: F401  (shared with tests/audit)


def insert_runs(url, record, prefix, count):
    """Worker of the concurrent-writer test: add `count` copies of `record` under new run ids."""
    import dataclasses
    from pathlib import Path

    from locoaudit.ledger.store import open_ledger

    ledger = open_ledger(url, Path())
    for i in range(count):
        run_id = f"{prefix}-{i}"
        evaluations = tuple(dataclasses.replace(e, run_id=run_id) for e in record.evaluations)
        ledger.add_run(dataclasses.replace(record, run_id=run_id, evaluations=evaluations))
    ledger.close()


def promote_at_once(url, run_dir, barrier, results):
    """Worker of the promotion race: decide (bootstrap) against 'no champion', wait for the other
    process to have decided too, then log; puts (run id, outcome) on `results`."""
    from pathlib import Path

    from locoaudit.errors import LocoauditError
    from locoaudit.ledger import actions
    from locoaudit.ledger.store import open_ledger

    ledger = open_ledger(url, Path(run_dir).parent)
    candidate = actions.resolve(ledger, run_dir)
    log = ledger.log_decision

    def log_when_both_decided(entry, expected_champion):
        barrier.wait(timeout=120)
        return log(entry, expected_champion)

    ledger.log_decision = log_when_both_decided
    try:
        decision = actions.promote(ledger, candidate, ["disturbance"], bootstrap=True)
        results.put((candidate.run_id, "promoted" if decision.promoted else f"refused: {decision.reasons}"))
    except LocoauditError as error:
        results.put((candidate.run_id, str(error)))
    finally:
        ledger.close()
