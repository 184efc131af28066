"""Helpers shared by the ledger tests: evaluation JSON objects and a concurrent-writer worker."""

from run_dirs import OTHER_HASH, PANEL_HASH, evaluation  # noqa: F401  (shared with tests/audit)


def insert_runs(path, record, prefix, count):
    """Worker of the concurrent-writer test: add `count` copies of `record` under new run ids."""
    import dataclasses

    from locoaudit.ledger.store import SqliteLedger

    ledger = SqliteLedger(path)
    for i in range(count):
        run_id = f"{prefix}-{i}"
        evaluations = tuple(dataclasses.replace(e, run_id=run_id) for e in record.evaluations)
        ledger.add_run(dataclasses.replace(record, run_id=run_id, evaluations=evaluations))
    ledger.close()
