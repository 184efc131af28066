"""`locoaudit reproduce` on a log with known answers: the planted parameters come back.

The log (conftest.py) was simulated with friction 0.4, a 2 kg payload and a 3-substep actuator delay,
written as an MCAP bag of LowState / LowCmd in SDK joint order and imported. Stated tolerance: over
a grid of friction 0.3-0.6 (step 0.1), payload 1-3 kg (step 1) and delay 2-4 substeps, with the other
parameters known (nominal), the best match is the planted point: friction within 0.05, payload
within 0.5 kg, delay exact.
"""

import json

import numpy as np
import pytest
from hw_logs import PLANTED

from locoaudit.cli import main
from locoaudit.evaluate.panel import load_panel
from locoaudit.traces import variants
from locoaudit.traces.replay import replay

GRID = ["--grid", "friction=0.3,0.4,0.5,0.6", "--grid", "payload=1,2,3", "--grid", "delay=2,3,4"]
KNOWN = [f"--range={k}=0:0" for k in ("com_x", "com_y")] + [
    f"--range={k}=1:1" for k in ("motor_strength", "damping")
]


def test_reproduce_recovers_the_planted_parameters(hardware_trace, tmp_path, capsys):
    out, panel = tmp_path / "rep", tmp_path / "panel.toml"
    argv = ["reproduce", str(hardware_trace), "--variants", "36", *GRID, *KNOWN, "-o", str(out)]
    assert main([*argv, "--cell-into", str(panel)]) == 0
    printed = capsys.readouterr().out
    assert "best match" in printed and "reproducing variants" in printed
    report = json.loads((out / "report.json").read_text())
    best = report["best"]["params"]
    assert abs(best["friction"] - PLANTED["friction"]) <= 0.05
    assert abs(best["payload"] - PLANTED["payload"]) <= 0.5
    assert best["delay"] == PLANTED["delay"]
    assert report["best"]["reproduces"] and report["reproducing"] >= 1
    assert report["best"]["rerun_matches_batch"]
    assert report["log_failure"]["kind"] in ("base_contact", "base_too_low", "bad_orientation")
    assert report["parameters"]["friction"]["prior"]["n"] == 36
    assert report["provenance"]["storage"] == "mcap"
    # the best match is a simulation trace that replays bit for bit
    result = replay(out / "best.npz")
    assert result.reproduced, result.line()
    # and a panel cell built from it
    cell = load_panel(str(panel)).cells[-1]
    assert cell.friction == pytest.approx(best["friction"]) and cell.actuator_delay == 3
    assert cell.payload.mass == pytest.approx(best["payload"])


def test_reproduce_refuses_what_it_cannot_use(hardware_trace, tmp_path, capsys):
    assert main(["reproduce", str(hardware_trace), "--grid", "stiffness=1,2", "-o", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--grid stiffness=1,2: expected NAME=..." in err
    assert not (tmp_path / "x").exists()
    out = tmp_path / "r"
    assert main(["reproduce", str(hardware_trace), "--variants", "2", "--seed", "1", "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["reproduce", str(out / "best.npz")]) == 2
    assert "not a hardware trace (source 'reproduction')" in capsys.readouterr().err
    assert main(["replay", str(hardware_trace)]) == 2
    assert "hardware trace has no simulator start state" in capsys.readouterr().err


def test_variant_draws_cycle_grids_and_sample_ranges(manifest):
    prior = variants.parse_prior(manifest, ["payload=0:1"], ["delay=0:4:5", "friction=0.2,0.9"])
    values = variants.draw(prior, 20, np.random.default_rng(0))
    assert values["delay"].tolist()[:10] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert values["friction"].tolist()[:4] == [0.2, 0.9, 0.2, 0.9]
    assert ((values["payload"] >= 0) & (values["payload"] <= 1)).all() and values["payload"].std() > 0
    assert (
        (values["kp"] == 1).all()
        and prior.describe("kp") == "1"
        and prior.describe("delay") == "grid 0,1,2,3,4"
    )
