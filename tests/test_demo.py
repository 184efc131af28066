"""`locoaudit demo --quick` end to end: train, evaluate, transfer, ledger, gate."""

import json

from locoaudit.cli import main


def test_demo_quick_end_to_end(tmp_path, capsys):
    out = tmp_path / "runs"
    assert main(["demo", "--quick", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    text = captured.out
    # every phase heading says how long the demo has run (where the minutes go)
    assert "== 3/5 transfer" in captured.err and " elapsed]" in captured.err.split("== done")[1]
    # two iterations do not walk: the gate refuses even the task's first run, and says why
    assert "REFUSED" in text and "PROMOTED" not in text and "override: bootstrap" in text
    assert "reason: insufficient evidence: heldout disturbance [mujoco_cpu]" in text
    assert (
        "2 episodes in cells push_1.0, payload_3kg_forward, delay_5" in text and "(min_episodes 32)" in text
    )
    assert (
        "reason: below the floor: heldout disturbance [mujoco_cpu] cell friction_high lin_vel_error" in text
    )
    last = text.strip().splitlines()[-1]
    assert last.startswith("result: REFUSED by the gate; the robot does NOT walk: fall_rate ")
    assert "lin_vel_error" in last and "on friction_high, 2 episodes" in last and "touchdowns/s" in last
    assert "held-out evidence" in text and "transfer evidence" in text and "audit of run" in text
    (run,) = [p for p in out.iterdir() if p.is_dir()]
    record = json.loads((run / "record.json").read_text())
    assert record["promotion"] == "refused"
    assert record["samples"] == record["num_envs"] * record["horizon"] * record["updates"] == 16 * 8 * 2
    assert {e["panel"] for e in record["heldout"]} == {"disturbance"}
    assert record["transfer"] and (out / "ledger.sqlite").is_file()
    # the quick demo's push cell really pushes (3 s episodes, push at 1 s): recovery is judged
    (heldout,) = (run / "evaluations").glob("disturbance-*-s2001.json")
    cells = {c["name"]: c for c in json.loads(heldout.read_text())["cells"]}
    assert cells["push_1.0"]["metrics"]["push_recovery_rate"]["n"] >= 1
    assert f"report: {run / 'report.html'}" in text and "Failure traces" in (run / "report.html").read_text()
    # the task still has no champion, so a second run is again a (refused) bootstrap
    assert main(["demo", "--quick", "--out", str(out), "--seed", "2"]) == 0
    assert "override: bootstrap" in capsys.readouterr().out
