"""Processes sharing a ledger, on both backends: writers lose nothing, a promotion race has one winner."""

import multiprocessing
from pathlib import Path

from ledger_helpers import evaluation, insert_runs, promote_at_once

from locoaudit.ledger.record import build_record
from locoaudit.ledger.store import open_ledger


def run_all(workers):
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=180)
    return [w.exitcode for w in workers]


def test_concurrent_writers_lose_nothing(make_run, ledger_url):
    record = build_record(make_run("template", [evaluation("template")]))
    open_ledger(ledger_url, Path()).close()  # created (and migrated) before the writers start
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=insert_runs, args=(ledger_url, record, p, 40)) for p in ("p", "q")]
    assert run_all(workers) == [0, 0]
    ledger = open_ledger(ledger_url, Path())
    assert len(ledger.list_runs()) == 80
    assert ledger.conn.exec_driver_sql("SELECT count(*) FROM evaluations").scalar() == 80
    ledger.close()


def test_a_promotion_race_has_exactly_one_winner(make_run, ledger_url):
    """Both processes decide against 'no champion yet' (bootstrap) and log at the same moment: the write
    lock makes the second see the first's promotion and refuse, logging nothing."""
    runs = [make_run(r, [evaluation(r), evaluation(r, kind="transfer", simulator="mjx")]) for r in ("x", "y")]
    open_ledger(ledger_url, Path()).close()
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    workers = [ctx.Process(target=promote_at_once, args=(ledger_url, str(r), barrier, results)) for r in runs]
    assert run_all(workers) == [0, 0]
    outcomes = dict(results.get(timeout=10) for _ in runs)
    winners = [r for r, outcome in outcomes.items() if outcome == "promoted"]
    assert len(winners) == 1, outcomes
    (loser,) = set(outcomes) - set(winners)
    assert outcomes[loser] == f"run {loser}: the champion changed while deciding; run promote again"
    ledger = open_ledger(ledger_url, Path())
    log = ledger.promotions()
    assert [(e.run_id, e.decision, e.champion_id) for e in log] == [(winners[0], "promoted", None)]
    assert ledger.champion(ledger.get_run(loser).task_key) == winners[0]
    ledger.close()
