"""End to end: `locoaudit eval --transfer` runs the exported policy in Genesis after the read-backs,
on a plane and on a heightfield."""

import json

from locoaudit.cli import main

PANEL = """
name = "tiny_transfer"
episodes = 2
seed = 7
episode_s = 0.4
recovery_window_s = 0.1

[[cells]]
name = "shove"
push = { velocity = 1.5, time_s = 0.1, direction_deg = 90.0 }

[[cells]]
name = "limp"
motor_strength = 0.5

[[cells]]
name = "curbs"
terrain = { type = "grid", kinds = ["curbs"], seeds = [11], difficulty = 0.5, tile_size = 4.0 }
"""


def test_transfer_eval_cli(trained_run, tmp_path, capsys):
    panel = tmp_path / "tiny.toml"
    panel.write_text(PANEL)
    assert main(["eval", str(trained_run), "--panel", str(panel), "--transfer", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["kind"] == "transfer" and out["simulator"].startswith("genesis-")
    # curbs runs on our generator's heightfield in Genesis, after the terrain read-back passed
    assert [c["name"] for c in out["cells"]] == ["shove", "limp", "curbs"]
    assert all(c["episodes"] == 2 for c in out["cells"])
    assert "skipped_cells" not in out
    assert out["deployment"]["checked"][0] == "contract" and out["traces"] == []
    assert (trained_run / "export").is_dir()
