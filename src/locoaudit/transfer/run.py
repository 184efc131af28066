"""`locoaudit eval --transfer`: the exported ONNX policy in Genesis on the same panel, after read-backs.

Before the first number: (1) the ONNX file's deployment contract must equal the run manifest's;
(2) the deployment path (contract-driven observation assembly + onnxruntime) must give the torch
policy's actions on recorded MuJoCo observations to 1e-5; (3) for every batch, Genesis' built
model (joint order, DOF count, gains, masses, limits, effort limits, friction, damping) and its
ground (heightfield heights at samples and between them), and (4) its state conventions (round
trip, kinematics, link velocities, observations) must match MuJoCo's. Any difference refuses the
evaluation with one line per difference.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from locoaudit.evaluate import conditions
from locoaudit.evaluate.panel import load_panel
from locoaudit.evaluate.rollout import torch_policy
from locoaudit.evaluate.run import OtherEngine, evaluate_run
from locoaudit.export.contract import compare_contracts, deployment_contract
from locoaudit.export.onnx_policy import OnnxPolicy, export_policy
from locoaudit.manifest import Manifest
from locoaudit.robots.build import GROUND
from locoaudit.sim.genesis_terrain import terrain_readback
from locoaudit.task.env import LocoEnv
from locoaudit.train.policy import load_policy
from locoaudit.transfer import readback
from locoaudit.transfer.genesis_env import engine_name, genesis_env, unsupported
from locoaudit.transfer.policy import ContractPolicy


def policy_file(run_dir: Path, onnx: Path | None) -> Path:
    """The ONNX file to deploy: the given one, or the run's export (written when missing)."""
    if onnx is not None:
        return onnx
    loaded = load_policy(run_dir)
    path = run_dir / "export" / f"policy_{loaded.iteration}.onnx"
    if not path.exists():
        export_policy(loaded, path)
    return path


def recorded_observations(manifest: Manifest, policy, steps: int = 20, n: int = 8) -> np.ndarray:
    """Actor observations of a short MuJoCo rollout driven by `policy` (the read-back's inputs)."""
    env = LocoEnv(manifest, n, seed=0, threads=1)
    obs, seen = env.observe(), []
    for _ in range(steps):
        seen.append(obs["actor"])
        obs = env.step(policy(obs)).obs
    return np.concatenate(seen)


def deployment(run_dir: Path, onnx_path: Path, manifest: Manifest) -> tuple[ContractPolicy, dict]:
    """Checks (1) and (2); the contract-driven ONNX policy and what was checked."""
    loaded = load_policy(run_dir)
    onnx = OnnxPolicy(onnx_path)
    lines = compare_contracts(onnx.contract, deployment_contract(loaded.manifest))
    readback.refuse(lines, f"{onnx_path}: deployment contract vs the run's manifest")
    probe = LocoEnv(manifest, 1, seed=0, threads=1)
    deploy = ContractPolicy(onnx, probe.obs_layout()["actor"], list(probe.built.robot.joints))
    reference = torch_policy(loaded.actor)
    obs = recorded_observations(manifest, reference)
    readback.refuse(readback.policy_readback(deploy, reference, obs), "policy read-back")
    evidence = {
        "policy_file": str(onnx_path),
        "policy_sha256": hashlib.sha256(onnx_path.read_bytes()).hexdigest(),
        "checked": ["contract", f"policy ({len(obs)} observations, 1e-05)", "model", "state"],
    }
    return deploy, evidence


def checked_genesis_env(manifest: Manifest, num_envs: int, seed: int) -> LocoEnv:
    """A Genesis env that passed checks (3) and (4) against a MuJoCo env of the same manifest and seed."""
    env = genesis_env(manifest, num_envs, seed)
    mujoco_env = LocoEnv(manifest, num_envs, seed, threads=1)
    name = engine_name()
    readback.refuse(readback.model_readback(env, mujoco_env, name), "model read-back")
    ground = terrain_readback(env.backend.ground, env.built.model, GROUND, name)
    readback.refuse(ground, "terrain read-back")
    ids = np.arange(min(4, num_envs))
    start = env.backend.get_state(ids)
    readback.refuse(readback.state_readback(env, mujoco_env, name, len(ids)), "state read-back")
    env.backend.set_state(ids, start)  # the probe states leave no trace in the evaluation
    return env


def evaluate_transfer(
    run_dir: Path,
    panel_name: str,
    episodes: int | None = None,
    seed: int | None = None,
    allow_overlap: bool = False,
    progress=None,
    episode_s: float | None = None,
    onnx: Path | None = None,
    shard_episodes: int | None = None,
) -> tuple[dict, Path]:
    """Transfer evaluation of a run's exported policy in Genesis; cells Genesis cannot run are skipped.

    shard_episodes: the same shards (and so the same seeds per episode) as the MuJoCo evaluation.
    """
    loaded = load_policy(run_dir)
    panel = load_panel(panel_name)
    nominal = conditions.nominal_manifest(loaded.manifest, panel)
    deploy, evidence = deployment(run_dir, policy_file(run_dir, onnx), nominal)
    other = OtherEngine(engine_name(), deploy, checked_genesis_env, unsupported, evidence)
    return evaluate_run(
        run_dir,
        panel_name,
        episodes,
        seed,
        allow_overlap,
        None,
        progress,
        episode_s=episode_s,
        other=other,
        shard_episodes=shard_episodes,
    )
