"""bench/time_to_walk.py: the walking criteria and the evaluation where the training budget ends."""

import argparse
import dataclasses
import importlib.util
from pathlib import Path

from locoaudit.manifest import load_manifest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "time_to_walk.py"


def _module():
    spec = importlib.util.spec_from_file_location("time_to_walk", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_walks_needs_half_the_rows_on_a_grid():
    ttw = _module()
    flat = load_manifest("quadruped_flat")
    rough = dataclasses.replace(flat, terrain=dataclasses.replace(flat.terrain, type="grid", num_rows=10))
    good = {"lin_vel_error": 0.29, "yaw_rate_error": 0.5, "fall_rate": 0.05}
    assert ttw.walks(rough, good, terrain_level=5.0)  # yaw is not a criterion on rough terrain
    assert not ttw.walks(rough, good, terrain_level=4.9)
    assert not ttw.walks(rough, good | {"fall_rate": 0.06}, terrain_level=9.0)
    assert not ttw.walks(flat, good, terrain_level=None)  # flat: planar 0.25 and yaw 0.3
    assert ttw.walks(flat, good | {"lin_vel_error": 0.25, "yaw_rate_error": 0.3}, terrain_level=None)


def test_evaluates_where_the_budget_ends(tmp_path, monkeypatch):
    ttw = _module()
    monkeypatch.setattr(ttw, "HERE", tmp_path)
    args = argparse.Namespace(
        num_envs=4, threads=1, eval_every=100, eval_from=0, episodes=2, iterations=2, minutes=10.0
    )
    m = load_manifest("quadruped_flat")
    m = dataclasses.replace(m, episode=dataclasses.replace(m.episode, length_s=1.0))  # short evaluation
    run = ttw.run_seed(m, args, seed=1)
    assert run["iterations"] == 2 and not run["walked"]
    assert [row["iteration"] for row in run["history"]] == [2]  # no --eval-every multiple was reached
    assert run["history"][0]["samples"] == 2 * 4 * 24
    assert Path(run["run_dir"]).parent == tmp_path / "out" / "runs"
