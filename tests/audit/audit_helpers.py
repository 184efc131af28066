"""Audit test helpers: planted-bug fixture manifests, tiny training runs and hand-built rollouts."""

import dataclasses
from pathlib import Path

import numpy as np

from locoaudit.audit.diagnostics import Rollout
from locoaudit.demo import quick_manifest
from locoaudit.manifest import load_manifest

FIXTURES = Path(__file__).parent / "fixtures"
FEET = ("FR", "FL", "RR", "RL")


def fixture_manifest(name: str):
    """A planted-bug manifest from tests/audit/fixtures (or a shipped name)."""
    path = FIXTURES / f"{name}.toml"
    return load_manifest(path if path.is_file() else name)


def tiny(manifest):
    """The manifest with the demo's tiny PPO settings and one physics thread."""
    m = quick_manifest(manifest)
    ppo = dataclasses.replace(m.ppo, save_interval=1000)
    return dataclasses.replace(m, ppo=ppo, sim=dataclasses.replace(m.sim, threads=1))


def train_tiny(name: str, out: Path, iterations: int, num_envs: int = 16) -> Path:
    """A tiny run of a fixture manifest; returns its run directory."""
    from locoaudit.train import session

    trainer = session.start(tiny(fixture_manifest(name)), num_envs, 1, out, "cpu", threads=1)
    session.run(trainer, iterations, quiet=True)
    return trainer.run_dir


def fake_rollout(steps: int = 100, envs: int = 8, manifest=None, **arrays) -> Rollout:
    """A Rollout of quadruped_flat with quiet defaults (standing, alive, no resets); override any array."""
    m = manifest or load_manifest("quadruped_flat")
    t, n, f = steps, envs, len(FEET)
    defaults = {
        "age": np.broadcast_to(np.arange(t)[:, None], (t, n)).copy(),
        "base_height": np.full((t, n), 0.3),
        "tilt": np.zeros((t, n)),
        "contact": np.ones((t, n, f), dtype=bool),
        "touchdown": np.zeros((t, n, f), dtype=bool),
        "terminated": np.zeros((t, n), dtype=bool),
        "time_out": np.zeros((t, n), dtype=bool),
        "reason": np.full((t, n), ""),
        "reward": np.zeros((t, n)),
        "contributions": {},
        "phase_entropy": np.ones(t),
        "actor_obs": np.zeros((t, n, 3), dtype=np.float32),
        "privileged": {},
        "tile_col": None,
        "col_kinds": (),
    }
    layout = {"joint_pos": slice(0, 3)}
    return Rollout(manifest=m, dt=m.policy_dt, feet=FEET, actor_layout=layout, **(defaults | arrays))


def evaluation_json(
    run_id: str, panel: str = "disturbance", kind: str = "heldout", simulator: str = "mujoco_cpu"
):
    """A held-out evaluation result as `locoaudit eval` writes it (summary metrics with intervals)."""
    metrics = {
        "fall_rate": {"value": 0.1, "ci": [0.05, 0.15]},
        "lin_vel_error": {"value": 0.2, "ci": [0.18, 0.22]},
    }
    return {
        "run_id": run_id,
        "panel": panel,
        "panel_hash": "a" * 64,
        "manifest_hash": "0" * 64,
        "seed": 0,
        "kind": kind,
        "simulator": simulator,
        "held_out": True,
        "checkpoint_iteration": 3,
        "created": "2026-11-25T10:00:00+00:00",
        "cells": [{"name": "push_1.0", "episodes": 64, "metrics": metrics}],
        "summary": metrics,
    }


def make_run_dir(root: Path, run_id: str, findings: list[dict] | None, num_envs: int = 16) -> Path:
    """A hand-built run directory (no training) like the ledger tests build, with an optional audit.json."""
    import json

    from locoaudit.manifest import canonical_json, manifest_hash

    m = load_manifest("quadruped_flat")
    path = root / run_id
    (path / "evaluations").mkdir(parents=True)
    (path / "manifest.json").write_text(canonical_json(m))
    run = {"run_id": run_id, "manifest_name": m.name, "manifest_hash": manifest_hash(m), "seed": 0}
    run |= {"num_envs": num_envs, "threads": 1, "device": "cpu", "created": "2026-11-25T09:00:00+00:00"}
    run |= {"argv": [], "code": {}, "libraries": {}, "machine": {}, "resumes": []}
    (path / "run.json").write_text(json.dumps(run))
    per_iteration = num_envs * m.ppo.num_steps_per_env
    rows = [
        {
            "iteration": i,
            "samples": per_iteration * i,
            "updates": 20 * i,
            "wall_clock_s": 1.5 * i,
            "env_steps_per_s": 1e3,
        }
        for i in (1, 2, 3)
    ]
    (path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    for kind, sim in (("heldout", "mujoco_cpu"), ("transfer", "mjx")):
        ev = evaluation_json(run_id, kind=kind, simulator=sim)
        (path / "evaluations" / f"disturbance-{kind}.json").write_text(json.dumps(ev))
    if findings is not None:
        body = {
            "findings": findings,
            "created": "2026-11-25T11:00:00+00:00",
            "manifest_hash": run["manifest_hash"],
        }
        (path / "audit.json").write_text(json.dumps(body))
    return path
