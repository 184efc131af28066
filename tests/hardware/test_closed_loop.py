"""Closed-loop reproduction with known answers: a policy's own log, planted parameters recovered.

The tiny run's policy walks (flails) under a velocity command with planted friction 0.4, a 2 kg
payload and a 3-substep delay; the log is written as an MCAP bag with LowState, LowCmd and the
commands as geometry_msgs/Twist on /cmd_vel, imported, and reproduced closed loop with the same
policy. Stated tolerance: over friction {0.4, 0.8} x payload {0, 2} x delay {1, 3} with the other
parameters nominal, the best match is the planted point.
"""

import json

import numpy as np
from hw_logs import PLANTED

from locoaudit.cli import main
from locoaudit.evaluate.rollout import torch_policy
from locoaudit.traces import synthlog
from locoaudit.traces.format import read_trace
from locoaudit.traces.replay import replay
from locoaudit.train.policy import load_policy

MAPPING = """
name = "with_commands"
joints = ["FR_hip_joint", "FR_thigh_joint", "FR_calf_joint", "FL_hip_joint", "FL_thigh_joint",
  "FL_calf_joint", "RR_hip_joint", "RR_thigh_joint", "RR_calf_joint", "RL_hip_joint", "RL_thigh_joint",
  "RL_calf_joint"]
[commands]
topic = "/cmd_vel"
"""
KNOWN = [f"--range={k}=0:0" for k in ("com_x", "com_y")] + [
    f"--range={k}=1:1" for k in ("motor_strength", "damping")
]


def test_closed_loop_recovers_the_planted_parameters(tiny_run, tmp_path, capsys):
    loaded = load_policy(tiny_run)
    commands = np.tile([0.5, 0.0, 0.2], (100, 1))  # 2 s
    log = synthlog.record_closed_loop(loaded.manifest, PLANTED, torch_policy(loaded.actor), commands)
    synthlog.write_bag(tmp_path / "bag", log, "mcap")
    (tmp_path / "m.toml").write_text(MAPPING)
    trace = tmp_path / "hw.npz"
    argv = ["import", str(tmp_path / "bag"), "--mapping", str(tmp_path / "m.toml"), "--run", str(tiny_run)]
    assert main([*argv, "-o", str(trace)]) == 0
    header, arrays = read_trace(trace)
    np.testing.assert_allclose(arrays["commands"], commands[: header["steps"]], atol=1e-6)
    grid = ["--grid", "friction=0.4,0.8", "--grid", "payload=0,2", "--grid", "delay=1,3"]
    out = tmp_path / "rep"
    assert (
        main(
            [
                "reproduce",
                str(trace),
                "--run",
                str(tiny_run),
                "--variants",
                "8",
                *grid,
                *KNOWN,
                "-o",
                str(out),
            ]
        )
        == 0
    )
    report = json.loads((out / "report.json").read_text())
    assert report["mode"] == "closed_loop"
    best = report["best"]["params"]
    assert (best["friction"], best["payload"], best["delay"]) == (0.4, 2.0, 3.0), report["ranking"][:3]
    assert (
        report["best"]["joint_rmse"] < report["ranking"][1]["joint_rmse"]
        or report["ranking"][1]["distance"] > report["best"]["distance"]
    )
    assert replay(out / "best.npz").reproduced
