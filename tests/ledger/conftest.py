"""Run directories built by hand (no training): run.json, manifest.json, metrics.jsonl, evaluations/."""

import dataclasses
import json

import pytest

from locoaudit.manifest import canonical_json, load_manifest, manifest_hash


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
        m = manifests[manifest]
        path = tmp_path / "runs" / run_id
        (path / "evaluations").mkdir(parents=True)
        (path / "manifest.json").write_text(canonical_json(m))
        run = {
            "run_id": run_id,
            "manifest_name": m.name,
            "manifest_hash": manifest_hash(m),
            "seed": 0,
            "num_envs": num_envs,
            "threads": 1,
            "device": "cpu",
            "created": "2026-11-25T09:00:00+00:00",
            "argv": [],
            "code": {"package": "0.1.0", "git_commit": "c0ffee" * 6, "git_dirty": False},
            "libraries": {},
            "machine": {},
            "resumes": [],
        }
        (path / "run.json").write_text(json.dumps(run))
        per_iteration = num_envs * m.ppo.num_steps_per_env
        rows = [
            {
                "iteration": i,
                "samples": per_iteration * i,
                "updates": 20 * i,
                "wall_clock_s": 1.5 * i,
                "env_steps_per_s": rate,
                "fall_fraction": 0.5,
            }
            for i, rate in enumerate(rates, start=1)
        ]
        (path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        for i, ev in enumerate(evaluations):
            (path / "evaluations" / f"{ev['panel']}-{i}.json").write_text(json.dumps(ev))
        return path

    return make
