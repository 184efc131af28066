"""`locoaudit demo --quick` end to end: train, evaluate, transfer, ledger, gate."""

import json

from locoaudit.cli import main


def test_demo_quick_end_to_end(tmp_path, capsys):
    out = tmp_path / "runs"
    assert main(["demo", "--quick", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "PROMOTED" in text and "override: bootstrap" in text
    assert "held-out evidence" in text and "transfer evidence" in text and "audit of run" in text
    (run,) = [p for p in out.iterdir() if p.is_dir()]
    record = json.loads((run / "record.json").read_text())
    assert record["promotion"] == "champion"
    assert record["samples"] == record["num_envs"] * record["horizon"] * record["updates"] == 16 * 8 * 2
    assert {e["panel"] for e in record["heldout"]} == {"disturbance"}
    assert record["transfer"] and (out / "ledger.sqlite").is_file()
    # a second demo run of the same task is judged against the champion, not bootstrapped
    assert main(["demo", "--quick", "--out", str(out), "--seed", "2"]) == 0
    assert "override: bootstrap" not in capsys.readouterr().out
