"""Evaluation end to end: results, determinism, held-out refusal, traces that replay bit for bit."""

import json

import pytest

from locoaudit.cli import main
from locoaudit.errors import LocoauditError
from locoaudit.evaluate.metrics import MEAN_METRICS
from locoaudit.evaluate.record import parse_evaluation
from locoaudit.evaluate.run import evaluate_run as evaluate_record
from locoaudit.traces.format import read_trace
from locoaudit.traces.replay import replay

VOLATILE = {"created", "env_steps_per_s", "traces"}


def evaluate_run(*args, **kwargs):
    """evaluate_run's record in its file form, after checking that the file holds exactly that."""
    record, path = evaluate_record(*args, **kwargs)
    body = json.loads(path.read_text())
    assert body == record.to_json() and parse_evaluation(body, str(path)) == record
    return body, path


def test_results_are_complete_deterministic_and_never_overwritten(untrained_run, tiny_panel):
    a, path_a = evaluate_run(untrained_run, str(tiny_panel), threads=1)
    b, path_b = evaluate_run(untrained_run, str(tiny_panel), threads=1)
    assert path_a != path_b and path_a.exists() and path_b.exists()
    assert {k: v for k, v in a.items() if k not in VOLATILE} == {
        k: v for k, v in b.items() if k not in VOLATILE
    }
    assert a["held_out"] is True and [c["name"] for c in a["cells"]] == ["shove", "limp", "curbs"]
    for cell in a["cells"]:
        assert cell["episodes"] == 4
        for name in ("fall_rate", "time_to_fall_s", "push_recovery_rate", *MEAN_METRICS):
            assert set(cell["metrics"][name]) == {"value", "ci", "n"}
    limp = a["cells"][1]["metrics"]
    assert limp["fall_rate"]["value"] == 1.0  # 5% motor strength cannot hold the robot up
    assert a["cells"][0]["metrics"]["push_recovery_rate"]["n"] == 4
    assert a["summary"]["fall_rate"]["n"] == 12


def test_every_failure_has_a_trace_that_replays_bit_for_bit(untrained_run, tiny_panel):
    result, _ = evaluate_run(untrained_run, str(tiny_panel), threads=1)
    falls = sum(round(c["metrics"]["fall_rate"]["value"] * c["episodes"]) for c in result["cells"])
    assert len(result["traces"]) == falls >= 4
    for rel in result["traces"][:3] + result["traces"][-1:]:
        header, arrays = read_trace(untrained_run / rel)
        assert header["reason"] != "time_out" and len(arrays["actions"]) == header["steps"]
        report = replay(untrained_run / rel)
        assert report.reproduced, report.line()


def test_tampered_trace_does_not_reproduce(untrained_run, tiny_panel, tmp_path):
    import numpy as np

    from locoaudit.traces.format import write_trace

    result, _ = evaluate_run(untrained_run, str(tiny_panel), threads=1)
    header, arrays = read_trace(untrained_run / result["traces"][0])
    arrays["actions"][0, 0] += 0.5
    header.pop("format")
    bad = tmp_path / "bad.npz"
    write_trace(bad, header, arrays)
    report = replay(bad)
    assert not report.reproduced and report.first_divergence == 0 and np.isfinite(report.max_qpos_diff)


def test_overlapping_panel_is_refused_unless_allowed(untrained_run):
    with pytest.raises(LocoauditError, match=r"overlaps the run's training manifest.*--allow-overlap"):
        evaluate_run(untrained_run, "nominal", episodes=2, threads=1)


def test_cli_eval_replay_and_overlap(untrained_run, tiny_panel, capsys):
    assert main(["eval", str(untrained_run), "--panel", "nominal", "--episodes", "2"]) == 2
    assert "overlaps" in capsys.readouterr().err
    assert (
        main(
            [
                "eval",
                str(untrained_run),
                "--panel",
                "nominal",
                "--episodes",
                "2",
                "--allow-overlap",
                "--json",
                "--threads",
                "1",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["held_out"] is False and out["cells"][0]["episodes"] == 2
    assert main(["eval", str(untrained_run), "--panel", str(tiny_panel), "--threads", "1"]) == 0
    text = capsys.readouterr().out
    assert "shove" in text and "ALL" in text and "fall" in text
    trace = sorted((untrained_run / "evaluations" / "traces").rglob("*.npz"))[0]
    assert main(["replay", str(trace)]) == 0
    assert "reproduced bit for bit" in capsys.readouterr().out
    assert main(["replay", str(trace.with_name("missing.npz"))]) == 2


def test_solver_sensitivity_is_perturbed_mujoco_not_a_second_simulator(untrained_run, tiny_panel):
    result, path = evaluate_run(untrained_run, str(tiny_panel), episodes=2, threads=1, transfer=True)
    assert result["kind"] == "solver_sensitivity" and result["simulator"] == "mujoco_cpu_solver_perturbed"
    assert path.name.endswith("-solver.json")
    header, _ = read_trace(untrained_run / result["traces"][0])
    sim = header["eval_manifest"]["sim"]
    assert (sim["cone"], sim["iterations"], sim["integrator"]) == ("elliptic", 20, "implicit")
    assert replay(untrained_run / result["traces"][0]).reproduced


def test_old_files_calling_perturbed_mujoco_a_transfer_read_as_solver_sensitivity(untrained_run, tiny_panel):
    result, _ = evaluate_run(untrained_run, str(tiny_panel), episodes=2, threads=1, transfer=True)
    old = result | {"kind": "transfer"}  # as written before the rename
    assert parse_evaluation(old, "old.json").kind == "solver_sensitivity"
    genesis = old | {"simulator": "genesis-1.4.5"}
    assert parse_evaluation(genesis, "new.json").kind == "transfer"


def test_pooled_rate_is_all_steps_over_all_stepping_seconds():
    from locoaudit.evaluate.run import pooled_rate

    # 100 steps at 50/s (2 s) then 300 steps at 100/s (3 s): 400 steps in 5 s. Summing running
    # totals instead (100/50 + 400/100 = 6 s) gave 66.7, the bug this guards against.
    assert pooled_rate([(100, 50.0), (300, 100.0)]) == pytest.approx(80.0)
    assert pooled_rate([(100, 50.0), (0, 0.0)]) == pytest.approx(50.0)  # a batch that never stepped
    assert pooled_rate([]) is None


def test_multi_batch_rate_pools_the_batches(untrained_run, tiny_panel, monkeypatch):
    from locoaudit.evaluate import engine

    logs, run_batch = [], engine.run_batch

    def spy(*args, **kwargs):
        logs.append(run_batch(*args, **kwargs))
        return logs[-1]

    monkeypatch.setattr(engine, "run_batch", spy)
    body, _ = evaluate_run(untrained_run, str(tiny_panel), threads=1)
    assert len(logs) == 3  # the plane cells, then curbs on two terrain seeds
    steps = [float(log.steps.sum()) for log in logs]
    seconds = sum(n / log.env_steps_per_s for n, log in zip(steps, logs, strict=True))
    assert body["env_steps_per_s"] == pytest.approx(sum(steps) / seconds, rel=1e-12)
