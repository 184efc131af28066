"""`locoaudit audit` on the command line, audit.json in the run record, and the promotion gate."""

import json

import pytest
from audit_helpers import FIXTURES, make_run_dir

from locoaudit.cli import main
from locoaudit.ledger.record import build_record, record_json
from locoaudit.ledger.store import SqliteLedger

SMALL = [
    "--envs",
    "16",
    "--steps",
    "60",
    "--threads",
    "1",
    "--reference-envs",
    "2",
    "--reference-seconds",
    "3",
]
LEAK = {
    "audit": "observations",
    "check": "leakage",
    "severity": "error",
    "message": "privileged friction is in the actor observation",
    "numbers": {"r2": 1.0},
}


def test_help_explains_each_audit(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["audit", "--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    for word in ("rewards", "terminations", "resets", "observations", "gait", "--manifest", "Exit status"):
        assert word in text


def test_needs_exactly_one_target(capsys, tmp_path):
    assert main(["audit"]) == 2
    assert main(["audit", str(tmp_path), "--manifest", "quadruped_flat"]) == 2
    assert "give a RUN_DIR or --manifest" in capsys.readouterr().err


def test_preflight_json_and_exit_status(capsys):
    assert main(["audit", "--manifest", str(FIXTURES / "wrong_sign.toml"), "--json", *SMALL]) == 1
    body = json.loads(capsys.readouterr().out)
    assert (
        body["mode"] == "preflight" and body["manifest"] == "wrong_sign" and len(body["manifest_hash"]) == 64
    )
    assert body["settings"] == {
        "envs": 16,
        "steps": 60,
        "seed": 0,
        "reference_envs": 2,
        "reference_seconds": 3.0,
    }
    (error,) = [f for f in body["findings"] if f["severity"] == "error"]
    assert (error["audit"], error["check"], error["numbers"]["term"]) == (
        "rewards",
        "wrong_sign",
        "action_rate_l2",
    )


def test_run_audit_writes_audit_json_into_the_record(tiny_runs, capsys):
    run_dir = tiny_runs("friction_leak")
    assert main(["audit", str(run_dir), *SMALL]) == 1
    out = capsys.readouterr().out
    assert "ERROR   observations.leakage: privileged friction is in the actor observation" in out
    body = json.loads((run_dir / "audit.json").read_text())
    assert body["manifest_hash"] == json.loads((run_dir / "run.json").read_text())["manifest_hash"]
    assert body["run_id"] == run_dir.name and body["created"]
    record = build_record(run_dir)
    assert list(record.audit_findings) == body["findings"]
    assert record_json(record)["audit_findings"] == body["findings"]


def test_promotion_refuses_an_unresolved_audit_error_unless_overridden(tmp_path, capsys):
    runs = tmp_path / "runs"
    common = ["--panel", "disturbance", "--bootstrap", "--runs-dir", str(runs)]
    bad = make_run_dir(runs, "leaky", [LEAK])
    assert main(["promote", str(bad), *common]) == 1
    assert "reason: blocking finding: observations.leakage: privileged friction" in capsys.readouterr().out
    assert main(["promote", str(bad), *common, "--override-findings"]) == 0
    log = SqliteLedger(runs / "ledger.sqlite").promotions()
    assert [e.decision for e in log] == ["refused", "promoted"]
    assert log[1].overrides[0] == "override-findings (1)" and log[1].findings[0].startswith(
        "observations.leakage"
    )


def test_resolved_errors_and_warnings_do_not_block(tmp_path):
    runs = tmp_path / "runs"
    findings = [LEAK | {"resolution": "ablation run, leak intended"}, LEAK | {"severity": "warning"}]
    ok = make_run_dir(runs, "resolved", findings)
    assert main(["promote", str(ok), "--panel", "disturbance", "--bootstrap", "--runs-dir", str(runs)]) == 0
