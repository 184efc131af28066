"""`locoaudit train` from the command line: progress, Ctrl-C, resume and one-line errors."""

import json
import os
import signal
import subprocess
import sys
import time

from locoaudit.cli import main


def cli(*args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "locoaudit.cli", *args], capture_output=True, text=True, **kwargs
    )


def test_train_then_resume_from_the_command_line(tiny_toml, tmp_path, capsys):
    out = tmp_path / "runs"
    assert (
        main(["train", str(tiny_toml), "--num-envs", "8", "--iterations", "2", "--out", str(out), "--quiet"])
        == 0
    )
    (run,) = out.iterdir()
    assert "next: locoaudit train --resume" in capsys.readouterr().out
    assert main(["train", "--resume", str(run), "--iterations", "1", "--quiet"]) == 0
    rows = (run / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(r)["iteration"] for r in rows] == [1, 2, 3]


def test_ctrl_c_saves_a_checkpoint_and_exits_cleanly(tiny_toml, tmp_path):
    out = tmp_path / "runs"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "locoaudit.cli",
            "train",
            str(tiny_toml),
            "--num-envs",
            "8",
            "--iterations",
            "100000",
            "--out",
            str(out),
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        runs = list(out.glob("*/metrics.jsonl")) if out.exists() else []
        if runs and runs[0].read_text().count("\n") >= 1:
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert "stopped early" in stdout
    (run,) = out.iterdir()
    latest = run / "checkpoints" / "latest.pt"
    assert latest.is_file()
    from locoaudit.train.checkpoint import load_checkpoint

    state = load_checkpoint(latest)
    assert state["counters"]["iteration"] >= 1


def test_bad_input_gives_one_line_and_exit_code_2(tiny_toml, tmp_path):
    run = cli("train", str(tmp_path / "missing.toml"), "--out", str(tmp_path))
    assert run.returncode == 2 and run.stderr.strip().endswith("manifest file not found")
    assert len(run.stderr.strip().splitlines()) == 1
    robot = tmp_path / "robot.toml"
    robot.write_text(tiny_toml.read_text().replace('name = "quadruped"', 'name = "spot"'))
    run = cli("train", str(robot), "--num-envs", "4", "--iterations", "1", "--out", str(tmp_path))
    assert run.returncode == 2 and "unknown robot 'spot'" in run.stderr
    run = cli("train", str(tiny_toml), "--num-envs", "0")
    assert (
        run.returncode == 2
        and "argument --num-envs: must be a number of environments in [1, 65536], got 0" in run.stderr
    )
    run = cli("train", "--resume", str(tmp_path / "nope"))
    assert run.returncode == 2 and "not a run directory" in run.stderr


def test_resume_with_a_different_manifest_is_refused_then_forced(tiny_toml, tmp_path, capsys):
    out = tmp_path / "runs"
    assert (
        main(["train", str(tiny_toml), "--num-envs", "8", "--iterations", "1", "--out", str(out), "--quiet"])
        == 0
    )
    (run,) = out.iterdir()
    changed = tmp_path / "changed.toml"
    changed.write_text(tiny_toml.read_text().replace("push_velocity = 0.5", "push_velocity = 0.7"))
    assert main(["train", str(changed), "--resume", str(run), "--iterations", "1", "--quiet"]) == 2
    assert "refusing to resume: manifest hash" in capsys.readouterr().err
    assert main(["train", str(changed), "--resume", str(run), "--iterations", "1", "--quiet", "--force"]) == 0
    record = json.loads((run / "run.json").read_text())
    assert record["resumes"][-1]["forced"] is True
