"""A hardware trace linked to the run whose policy produced it: closed-loop reproduction and the ledger."""

import dataclasses
import json

import pytest

from locoaudit.cli import main
from locoaudit.manifest import load_manifest
from locoaudit.traces.format import read_trace
from locoaudit.traces.replay import replay
from locoaudit.train import session


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A run of one tiny PPO iteration on quadruped_flat (a policy, metrics and a checkpoint)."""
    m = load_manifest("quadruped_flat")
    m = dataclasses.replace(
        m,
        ppo=dataclasses.replace(
            m.ppo, actor_hidden_dims=(16,), critic_hidden_dims=(16,), num_steps_per_env=4
        ),
    )
    trainer = session.start(m, 4, 0, tmp_path_factory.mktemp("runs"), "cpu", threads=1)
    session.run(trainer, 1, quiet=True)
    return trainer.run_dir


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
    out = tmp_path / "rep"
    assert main(["reproduce", str(trace), "--run", str(tiny_run), "--variants", "3", "-o", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["mode"] == "closed_loop" and report["run_id"] == run_id
    filed = list((tiny_run / "reproductions").glob("*.json"))
    assert len(filed) == 1
    assert replay(out / "best.npz").reproduced  # the policy's actions were recorded: bit for bit
    capsys.readouterr()
    assert main(["runs", "show", str(tiny_run), "--runs-dir", str(tmp_path / "ledger")]) == 0
    shown = capsys.readouterr().out
    assert "reproduced hardware logs: 1" in shown and "best: distance" in shown and "friction" in shown
    assert main(["runs", "show", run_id, "--runs-dir", str(tmp_path / "ledger"), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["reproductions"][0]["best"]["params"]["friction"] > 0
