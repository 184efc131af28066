"""A hardware trace linked to the run whose policy produced it: closed-loop reproduction and the ledger."""

import json

from locoaudit.cli import main
from locoaudit.traces.format import read_trace
from locoaudit.traces.replay import replay


def test_closed_loop_reproduction_is_filed_with_the_run(tiny_run, mcap_bag, tmp_path, capsys):
    trace = tmp_path / "hw.npz"
    assert (
        main(
            [
                "import",
                str(mcap_bag),
                "--mapping",
                "unitree_go_lowstate",
                "--run",
                str(tiny_run),
                "-o",
                str(trace),
            ]
        )
        == 0
    )
    header, _ = read_trace(trace)
    run_id = json.loads((tiny_run / "run.json").read_text())["run_id"]
    assert header["run_id"] == run_id
    out, filed = tmp_path / "rep", tiny_run / "reproductions"
    before = set(filed.glob("*.json")) if filed.is_dir() else set()
    assert main(["reproduce", str(trace), "--run", str(tiny_run), "--variants", "3", "-o", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["mode"] == "closed_loop" and report["run_id"] == run_id
    assert len(set(filed.glob("*.json")) - before) == 1
    assert replay(out / "best.npz").reproduced  # the policy's actions were recorded: bit for bit
    capsys.readouterr()
    assert main(["runs", "show", str(tiny_run), "--runs-dir", str(tmp_path / "ledger")]) == 0
    shown = capsys.readouterr().out
    assert f"reproduced hardware logs: {len(before) + 1}" in shown and "best: distance" in shown
    assert str(trace) in shown and "friction" in shown
    assert main(["runs", "show", run_id, "--runs-dir", str(tmp_path / "ledger"), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["reproductions"][-1]["best"]["params"]["friction"] > 0
