"""`locoaudit lab parallelism` end to end on tiny settings: record, ledger, deltas, refusal, resume."""

import json

import pytest
from lab_helpers import lab_args

from locoaudit.cli import main
from locoaudit.lab import run as lab_run
from locoaudit.lab.results import construct_mismatch, time_to_walk
from locoaudit.ledger.store import open_ledger
from locoaudit.train import session


def test_lab_record_has_every_level_seed_and_panel(finished_lab, capsys):
    state = json.loads((finished_lab / "lab.json").read_text())
    res = state["results"]
    assert [(j["num_envs"], j["seed"]) for j in res["jobs"]] == [(4, 1), (8, 1)]
    for j in res["jobs"]:
        assert j["samples"] == 64 and j["iterations"] == 64 // (j["num_envs"] * 8)
        assert j["samples_per_s"] == pytest.approx(j["samples"] / j["wall_clock_s"])
        assert set(j["evaluations"]) == {
            f"{state['panels'][0]}:heldout",
            f"{state['panels'][0]}:transfer",
        }
        for key, ev in j["evaluations"].items():
            fall = ev["summary"]["fall_rate"]
            assert fall["ci"][0] <= fall["value"] <= fall["ci"][1]
            failed = sum(ev["failures_by_reason"].values())
            assert failed == sum(ev["failures_by_cell"].values()) > 0  # 5% motor strength falls
            if key.endswith(":transfer"):  # real transfer: the exported policy in Genesis, no MuJoCo traces
                assert ev["simulator"].startswith("genesis-") and ev["traces"] == 0
            else:
                assert ev["simulator"] == "mujoco_cpu" and ev["traces"] == failed
    assert len(res["deltas"]) == 2 and all("deltas" in p for p in res["deltas"])
    assert len(res["conclusions"]) == 2  # one sentence per panel and kind
    for sentence in res["conclusions"]:
        assert "8 vs 4 envs under 64 samples each: fall rate" in sentence
        assert "too few evaluation episodes per cell" in sentence  # 2 episodes per cell, the minimum is 32
    assert res["throughput"].startswith("Throughput: 8 envs trained at")
    ledger = open_ledger(None, finished_lab.parent, create=False)
    try:
        assert ledger.get_lab(state["lab_id"])["results"] == res
        assert {r.num_envs for r in ledger.list_runs()} == {4, 8}
    finally:
        ledger.close()


def test_deltas_are_refused_when_more_than_num_envs_differs(finished_lab, lab_inputs, tmp_path, capsys):
    import shutil

    lab = tmp_path / finished_lab.name
    shutil.copytree(finished_lab, lab)
    state = json.loads((lab / "lab.json").read_text())
    run_json = lab / "runs" / state["jobs"][1]["run"] / "run.json"
    run = json.loads(run_json.read_text())
    run_json.write_text(json.dumps(run | {"threads": 2}))
    assert main(["lab", "parallelism", "--resume", str(lab), "--ledger", str(tmp_path / "l.sqlite")]) == 0
    out = capsys.readouterr().out
    assert "REFUSED, not construct-matched: threads 1 vs 2" in out
    res = json.loads((lab / "lab.json").read_text())["results"]
    assert all("refused" in p for p in res["deltas"])
    assert all("no comparison: not construct-matched" in s for s in res["conclusions"])


def test_an_interrupted_lab_resumes_where_it_stopped(lab_inputs, tmp_path, monkeypatch, capsys):
    real_run = session.run
    monkeypatch.setattr(
        session, "run", lambda trainer, iterations, **kw: {**real_run(trainer, 1), "stopped_early": True}
    )
    assert main(lab_args(lab_inputs, tmp_path, "--no-transfer")) == 2  # stopped after 1 of 2 iterations
    assert "continue with --resume" in capsys.readouterr().err
    (lab,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    job = json.loads((lab / "lab.json").read_text())["jobs"][0]
    assert job["run"] and not job["trained"]
    monkeypatch.setattr(session, "run", real_run)
    calls = []
    real_evaluate = lab_run._evaluate

    def evaluate_then_stop(*args):
        calls.append(args[2]["num_envs"])
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_evaluate(*args)

    monkeypatch.setattr(lab_run, "_evaluate", evaluate_then_stop)
    assert main(["lab", "parallelism", "--resume", str(lab)]) == 130  # Ctrl-C while evaluating job 2
    state = json.loads((lab / "lab.json").read_text())
    assert (
        state["jobs"][0]["run"] == job["run"] and state["jobs"][0]["trained"] and state["jobs"][1]["trained"]
    )
    assert state["jobs"][0]["evaluations"] and not state["jobs"][1]["evaluations"]
    monkeypatch.setattr(lab_run, "_evaluate", real_evaluate)
    assert main(["lab", "parallelism", "--resume", str(lab)]) == 0
    state = json.loads((lab / "lab.json").read_text())
    metrics = (lab / "runs" / job["run"] / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["iteration"] for line in metrics] == [1, 2]  # resumed, not restarted
    run = json.loads((lab / "runs" / job["run"] / "run.json").read_text())
    assert len(run["resumes"]) == 1 and calls == [4, 8]
    assert all(j["evaluations"] for j in state["jobs"]) and state["results"]["conclusions"]


def test_bad_lab_arguments_are_one_line_errors(lab_inputs, tmp_path, capsys):
    manifest, panel = lab_inputs
    base = ["lab", "parallelism", "--manifest", str(manifest), "--panel", str(panel), "--out", str(tmp_path)]
    for extra in (
        ["--num-envs", "4", "4", "--samples", "8"],
        ["--num-envs", "4", "8"],
        ["--num-envs", "4", "8", "--samples", "8", "--minutes", "1"],
    ):
        assert main(base + extra) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("locoaudit: error: lab parallelism:") and "\n" not in err
    assert main(["lab", "parallelism", "--resume", str(tmp_path)]) == 2
    assert "not a lab directory" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())  # nothing half-written


def test_construct_mismatch_and_time_to_walk():
    a = {"manifest_hash": "h", "seed": 1, "threads": 2, "device": "cpu", "code": {"git_commit": "c"}}
    assert construct_mismatch(a, dict(a)) is None
    assert construct_mismatch(a, a | {"seed": 2}) == "seed 1 vs 2"
    assert "code c vs d" in construct_mismatch(a, a | {"code": {"git_commit": "d"}})
    rows = [
        {
            "iteration": 1,
            "wall_clock_s": 1.0,
            "samples": 10,
            "tracking": {"lin_vel_error": 0.2},
            "fall_fraction": None,
        },
        {
            "iteration": 2,
            "wall_clock_s": 2.0,
            "samples": 20,
            "tracking": {"lin_vel_error": 0.3},
            "fall_fraction": 0.0,
        },
        {
            "iteration": 3,
            "wall_clock_s": 3.0,
            "samples": 30,
            "tracking": {"lin_vel_error": 0.25},
            "fall_fraction": 0.05,
        },
    ]
    assert time_to_walk(rows) == {"iteration": 3, "wall_clock_s": 3.0, "samples": 30}
    assert time_to_walk(rows[:2]) is None


def test_a_panel_genesis_cannot_run_is_said_not_dropped():
    from locoaudit.lab.results import conclusions

    state = {
        "levels": [4, 8],
        "panels": ["p"],
        "settings": {"transfer": True, "transfer_kind": "transfer"},
        "budget": {"minutes": None, "samples": 64},
        "jobs": [{"num_envs": 4, "skipped": {"p:transfer": "robot 'x' is not verified in Genesis"}}],
    }
    assert lab_run.kinds(state) == ["heldout", "transfer"]
    assert conclusions(state, [], []) == [
        "On 'p' (held-out): no comparison yet (a level or seed has not finished).",
        "On 'p' (transfer: the exported policy in Genesis): not evaluated: "
        "robot 'x' is not verified in Genesis.",
    ]
    old = dict(state, settings={"transfer": True})  # a lab created before the Genesis leg
    assert lab_run.kinds(old) == ["heldout", "solver_sensitivity"]
