"""sim.backend = "warp" end to end on the CPU: the env on MuJoCo Warp, `train --backend warp`, the run record.

Uses the converged-solver quadruped of test_mjwarp.py (the same Warp kernel build) with tiny PPO settings.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import warp as wp

from locoaudit.cli import main
from locoaudit.manifest import load_manifest, manifest_hash
from locoaudit.manifest.load import with_backend
from locoaudit.sim.mjwarp import MujocoWarpBackend
from locoaudit.task.env import LocoEnv
from locoaudit.train import session
from tiny_manifest import quadruped_flat_toml

wp.config.optimization_level = 0  # the build test_mjwarp.py uses
PANEL = """name = "probe"
episodes = 2
seed = 3
episode_s = 0.5
[[cells]]
name = "limp"
motor_strength = 0.02
"""
EDITS = [
    ("iterations = 4", "iterations = 100"),
    ("ls_iterations = 8", "ls_iterations = 100"),
    ("num_steps_per_env = 24", "num_steps_per_env = 4"),
    ("num_mini_batches = 4", "num_mini_batches = 2"),
    ("num_learning_epochs = 5", "num_learning_epochs = 1"),
    ("actor_hidden_dims = [128, 64, 32]", "actor_hidden_dims = [16]"),
    ("critic_hidden_dims = [128, 64, 32]", "critic_hidden_dims = [16]"),
]


@pytest.fixture
def converged_toml(tmp_path):
    path = tmp_path / "converged.toml"
    path.write_text(quadruped_flat_toml(EDITS))
    return path


def test_the_env_runs_on_warp_when_the_manifest_says_so(converged_toml):
    manifest = with_backend(load_manifest(converged_toml), "warp")
    env = LocoEnv(manifest, 3, seed=0, sim_device="cpu")
    assert isinstance(env.backend, MujocoWarpBackend)
    rng = np.random.default_rng(0)
    for _ in range(3):
        result = env.step(rng.uniform(-1, 1, (3, env.num_actions)))
        assert np.isfinite(result.obs["actor"]).all() and np.isfinite(result.reward).all()
    assert not result.terminated.any()  # spawned standing: no falls in 3 steps
    assert env.state_dict()["physics"].shape == (3, 170)  # mjSTATE_INTEGRATION rows, as on MuJoCo C


def test_train_backend_warp_records_the_override(converged_toml, tmp_path):
    out = tmp_path / "runs"
    argv = ["train", str(converged_toml), "--num-envs", "2", "--iterations", "1", "--out", str(out)]
    assert main([*argv, "--backend", "warp", "--quiet"]) == 0
    (run,) = out.iterdir()
    record = json.loads((run / "run.json").read_text())
    assert record["backend"] == "warp" and record["sim_device"] == "cpu"
    assert record["manifest_overrides"] == {"sim.backend": {"file": "mujoco", "used": "warp"}}
    stored = json.loads((run / "manifest.json").read_text())
    assert stored["sim"]["backend"] == "warp"
    # the stored manifest is the one that ran: its hash is not the file's
    file_manifest = load_manifest(converged_toml)
    assert record["manifest_hash"] == manifest_hash(with_backend(file_manifest, "warp"))
    assert record["manifest_hash"] != manifest_hash(file_manifest)
    (row,) = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert row["samples"] == 8 and np.isfinite(row["env_steps_per_s"])
    # evaluation runs the run's physics, and says so
    (tmp_path / "panel.toml").write_text(PANEL)
    assert main(["eval", str(run), "--panel", str(tmp_path / "panel.toml"), "--allow-overlap"]) == 0
    (file,) = (run / "evaluations").glob("*.json")
    result = json.loads(file.read_text())
    assert result["simulator"] == "mujoco_warp" and result["sim_device"] == "cpu"
    assert result["cells"][0]["episodes"] == 2
    assert result["traces"]  # limp motors: the robots fall, and the falls are recorded as traces
    assert main(["replay", str(run / result["traces"][0])]) == 0  # replayed in Warp, bit for bit on the CPU


def test_a_warp_run_resumed_on_the_device_equals_the_uninterrupted_run(converged_toml, tmp_path):
    """The device task's state (buffers, device generator, episode sums) travels through the checkpoint."""
    manifest = with_backend(load_manifest(converged_toml), "warp")
    timing = {"wall_clock_s", "collect_s", "update_s", "env_steps_per_s", "collect_cpu_s", "update_cpu_s"}

    def metrics(run_dir):
        rows = [json.loads(line) for line in (run_dir / session.METRICS).read_text().splitlines()]
        return [{k: v for k, v in row.items() if k not in timing} for row in rows]

    straight = session.start(manifest, 2, 1, tmp_path / "straight", "cpu", threads=1)
    session.run(straight, 2, quiet=True)
    split = session.start(manifest, 2, 1, tmp_path / "split", "cpu", threads=1)
    session.run(split, 1, quiet=True)
    resumed = session.resume(split.run_dir, None, force=False, device=None)
    session.run(resumed, 1, quiet=True)
    assert metrics(split.run_dir) == metrics(straight.run_dir)
