"""The run record: fields, the samples arithmetic and clear errors on bad run directories."""

import json

import pytest
from ledger_helpers import PANEL_HASH, evaluation

from locoaudit.errors import LocoauditError
from locoaudit.ledger.record import build_record, record_json, task_key
from locoaudit.manifest import manifest_hash


def test_record_fields_and_samples_arithmetic(make_run, manifests):
    evs = [evaluation("r1"), evaluation("r1", kind="transfer", simulator="mjx", fall=(0.2, 0.1, 0.3))]
    rec = build_record(make_run("r1", evs))
    m = manifests["base"]
    assert (rec.run_id, rec.manifest_name, rec.manifest_hash) == ("r1", m.name, manifest_hash(m))
    assert rec.horizon == m.ppo.num_steps_per_env == 24
    assert rec.updates == 3  # PPO iterations, not gradient steps
    assert rec.gradient_steps == 60  # the last metrics line's `updates`
    assert rec.samples == 16 * 24 * 3
    assert rec.wall_clock_s == 4.5
    assert rec.env_steps_per_s == 2000.0  # median of 1000, 3000, 2000
    body = record_json(rec)
    assert body["panel_hashes"] == {"disturbance": [PANEL_HASH]}
    assert body["transfer_tags"] == ["mjx"]
    (held,) = body["heldout"]
    assert held["metrics"]["fall_rate"] == {"value": 0.1, "ci": [0.05, 0.15]}
    assert held["metrics"]["time_to_fall_s"] == {"value": None, "ci": None}
    assert body["transfer"][0]["metrics"]["fall_rate"]["value"] == 0.2
    assert body["promotion"] == "candidate"
    assert set(body) >= {
        "code",
        "num_envs",
        "horizon",
        "updates",
        "gradient_steps",
        "samples",
        "wall_clock_s",
    }


def test_task_key_ignores_training_settings_but_not_commands(manifests):
    assert task_key(manifests["base"]) == task_key(manifests["short"])
    assert task_key(manifests["base"]) != task_key(manifests["other_task"])


def test_resumed_run_keeps_the_last_line_of_a_repeated_iteration(make_run):
    path = make_run("r1")
    rows = [json.loads(line) for line in (path / "metrics.jsonl").read_text().splitlines()]
    again = dict(rows[2], env_steps_per_s=9000.0)  # resumed from iteration 2, iteration 3 logged twice
    with open(path / "metrics.jsonl", "a") as f:
        f.write(json.dumps(again) + "\n")
    rec = build_record(path)
    assert rec.updates == 3 and rec.env_steps_per_s == 3000.0  # median of 1000, 3000, 9000


def _rewrite_metrics(path, edit):
    rows = [json.loads(line) for line in (path / "metrics.jsonl").read_text().splitlines()]
    edit(rows)
    (path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_samples_mismatch_is_an_error_naming_the_file(make_run):
    path = make_run("r1")
    _rewrite_metrics(path, lambda rows: rows[-1].update(samples=7))
    with pytest.raises(LocoauditError, match=r"metrics.jsonl: last 'samples' 7 != num_envs x horizon"):
        build_record(path)


def test_bad_metrics_line_names_file_and_line(make_run):
    path = make_run("r1")
    with open(path / "metrics.jsonl", "a") as f:
        f.write('{"iteration": 4, "samp\n')
    with pytest.raises(LocoauditError, match=r"metrics.jsonl:4: not JSON"):
        build_record(path)


def test_gap_in_iterations_is_an_error(make_run):
    path = make_run("r1")
    _rewrite_metrics(path, lambda rows: rows.pop(1))
    with pytest.raises(LocoauditError, match="without gaps"):
        build_record(path)


def test_manifest_that_does_not_match_its_hash_is_refused(make_run, manifests):
    from locoaudit.manifest import canonical_json

    path = make_run("r1")
    (path / "manifest.json").write_text(canonical_json(manifests["short"]))
    with pytest.raises(LocoauditError, match=r"manifest.json: sha256 .* != run.json manifest_hash"):
        build_record(path)


def test_evaluation_of_another_run_or_malformed_is_refused(make_run):
    with pytest.raises(LocoauditError, match="evaluation of run 'other'"):
        build_record(make_run("r1", [evaluation("other")]))
    bad = json.loads(json.dumps(evaluation("r2")))  # summary and cell share one dict in the helper
    bad["summary"]["fall_rate"] = {"value": 0.1, "ci": [0.0]}
    with pytest.raises(
        LocoauditError, match=r"disturbance-0.json: summary.fall_rate.ci: expected \[lo, hi\]"
    ):
        build_record(make_run("r2", [bad]))
    with pytest.raises(LocoauditError, match="kind must be one of"):
        build_record(make_run("r3", [evaluation("r3", kind="sideways")]))


def test_not_a_run_directory(tmp_path):
    with pytest.raises(LocoauditError, match="not a run directory"):
        build_record(tmp_path)


def test_non_estimate_metrics_are_kept_in_the_body_and_traces_are_not_read(make_run):
    ev = json.loads(json.dumps(evaluation("r1")))
    ev["summary"]["failure_reasons"] = {"base_too_low": 3}
    path = make_run("r1", [ev])
    (path / "evaluations" / "traces" / "x").mkdir(parents=True)
    (path / "evaluations" / "traces" / "x" / "meta.json").write_text("{}")
    (e,) = build_record(path).evaluations
    assert "failure_reasons" not in e.summary and e.failure_reasons == {"base_too_low": 3}
    assert e.to_json() == ev  # the typed record writes back what it read


def test_audit_findings_enter_the_record_and_survive_the_ledger(make_run, tmp_path):
    from locoaudit.ledger.store import SqliteLedger

    assert build_record(make_run("plain")).audit_findings == ()
    path = make_run("r1")
    finding = {"audit": "gait", "check": "hopping", "severity": "warning", "message": "hops", "numbers": {}}
    (path / "audit.json").write_text(
        json.dumps({"findings": [finding], "created": "t", "manifest_hash": "h"})
    )
    rec = build_record(path)
    assert rec.audit_findings == (finding,) and record_json(rec)["audit_findings"] == [finding]
    from locoaudit.ledger.report import format_record

    assert "WARNING gait.hopping: hops" in format_record(rec).replace("  ", " ")
    assert "audit: no findings recorded" in format_record(build_record(make_run("plain2")))
    ledger = SqliteLedger(tmp_path / "ledger.sqlite")
    ledger.add_run(rec)
    assert ledger.get_run("r1").audit_findings == (finding,)
    ledger.close()
    (path / "audit.json").write_text(json.dumps({"findings": "none"}))
    with pytest.raises(LocoauditError, match=r"audit.json: expected an object with a 'findings' list"):
        build_record(path)
