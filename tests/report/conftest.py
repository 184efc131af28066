"""A small real run (2 tiny PPO iterations, a panel with failures, transfer, audit, gate) and its report."""

import dataclasses
import json

import pytest

from locoaudit.demo import quick_manifest
from locoaudit.evaluate.run import evaluate_run
from locoaudit.ledger import actions
from locoaudit.ledger.store import open_ledger
from locoaudit.manifest import load_manifest
from locoaudit.report.build import report_run
from locoaudit.report.sections import Options
from locoaudit.train import session

PANEL = """
name = "tiny"
episodes = 2
seed = 7
episode_s = 1.0
recovery_window_s = 0.3

[[cells]]
name = "shove"
push = { velocity = 4.0, time_s = 0.1, direction_deg = 90.0 }

[[cells]]
name = "limp"
motor_strength = 0.05
"""

FINDINGS = [
    {"audit": "rewards", "check": "dominant_term", "severity": "warning", "message": "one term dominates",
     "numbers": {"share": 0.8}},
    {"audit": "gait", "check": "summary", "severity": "info", "message": "duty 0.9", "numbers": {}},
]  # fmt: skip


def build_run(out, seed=1, num_envs=8, manifest=None):
    """Train 2 tiny iterations, evaluate held-out and transfer on the tiny panel; returns the run dir."""
    m = manifest or quick_manifest(load_manifest("quadruped_flat"))
    m = dataclasses.replace(m, sim=dataclasses.replace(m.sim, threads=1))
    trainer = session.start(m, num_envs, seed, out, "cpu", 1)
    session.run(trainer, 2, quiet=True)
    panel = out / "tiny.toml"
    panel.write_text(PANEL)
    for transfer in (False, True):
        evaluate_run(trainer.run_dir, str(panel), allow_overlap=True, threads=1, transfer=transfer)
    return trainer.run_dir


@pytest.fixture(scope="session")
def reported_run(tmp_path_factory):
    """(run_dir, report path) of a run with evaluations, traces, audit findings and a gate decision."""
    out = tmp_path_factory.mktemp("runs")
    run_dir = build_run(out)
    (run_dir / "audit.json").write_text(json.dumps({"findings": FINDINGS}))
    ledger = open_ledger(None, out, create=True)
    try:
        record = actions.add_run(ledger, run_dir)
        actions.promote(ledger, record, ["tiny"], bootstrap=True)
    finally:
        ledger.close()
    path = report_run(run_dir, None, None, Options(max_traces=2, videos=1))
    return run_dir, path
