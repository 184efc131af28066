"""Helpers shared by the ledger tests: evaluation JSON objects and a concurrent-writer worker."""

PANEL_HASH = "a" * 64
OTHER_HASH = "b" * 64


def evaluation(
    run_id,
    fall=(0.10, 0.05, 0.15),
    vel=(0.20, 0.18, 0.22),
    *,
    panel="disturbance",
    panel_hash=PANEL_HASH,
    kind="heldout",
    simulator="mujoco_cpu",
    seed=0,
    iteration=3,
):
    """An evaluation JSON object; fall and vel are (value, lo, hi) used for the summary and one cell."""
    metrics = {
        "fall_rate": {"value": fall[0], "ci": [fall[1], fall[2]]},
        "lin_vel_error": {"value": vel[0], "ci": [vel[1], vel[2]]},
        "time_to_fall_s": {"value": None, "ci": None},
    }
    return {
        "run_id": run_id,
        "panel": panel,
        "panel_hash": panel_hash,
        "manifest_hash": "0" * 64,
        "seed": seed,
        "kind": kind,
        "simulator": simulator,
        "held_out": True,
        "checkpoint_iteration": iteration,
        "created": "2026-11-25T10:00:00+00:00",
        "env_steps_per_s": 12000.0,
        "cells": [{"name": "push_1.0", "episodes": 64, "metrics": metrics}],
        "summary": metrics,
    }


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
