"""Audit test helpers: planted-bug fixture manifests, tiny training runs and hand-built rollouts."""

import dataclasses
from pathlib import Path

import numpy as np

from locoaudit.audit.diagnostics import Rollout
from locoaudit.demo import quick_manifest
from locoaudit.manifest import load_manifest
from run_dirs import evaluation, write_run_dir

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


def make_run_dir(root: Path, run_id: str, findings: list[dict] | None, num_envs: int = 16) -> Path:
    """A hand-built run directory (no training) like the ledger tests build, with an optional audit.json."""
    evaluations = [
        evaluation(run_id, kind=kind, simulator=sim)
        for kind, sim in (("heldout", "mujoco_cpu"), ("transfer", "mjx"))
    ]
    manifest = load_manifest("quadruped_flat")
    return write_run_dir(root / run_id, manifest, run_id, evaluations, num_envs, findings=findings)
