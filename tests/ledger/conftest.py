"""Run directories built by hand (no training): run.json, manifest.json, metrics.jsonl, evaluations/."""

import dataclasses

import pytest

from locoaudit.manifest import load_manifest
from run_dirs import write_run_dir


@pytest.fixture(scope="session")
def manifests():
    """quadruped_flat, a shorter-horizon variant (same task) and one with other commands (other task)."""
    base = load_manifest("quadruped_flat")
    short = dataclasses.replace(base, ppo=dataclasses.replace(base.ppo, num_steps_per_env=8))
    commands = dataclasses.replace(base.commands, lin_vel_x=(-2.0, 2.0))
    return {"base": base, "short": short, "other_task": dataclasses.replace(base, commands=commands)}


@pytest.fixture
def make_run(tmp_path, manifests):
    """make_run(run_id, evaluations=[...], manifest='base', num_envs=16, rates=[...]) -> run directory."""

    def make(run_id, evaluations=(), manifest="base", num_envs=16, rates=(1000.0, 3000.0, 2000.0)):
        path = tmp_path / "runs" / run_id
        return write_run_dir(path, manifests[manifest], run_id, evaluations, num_envs, rates)

    return make
