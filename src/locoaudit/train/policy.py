"""Load a trained policy (and the manifest it was trained on) from a run directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from locoaudit.fileio import read_json
from locoaudit.manifest import Manifest, manifest_from_canonical, manifest_hash
from locoaudit.task.env import LocoEnv
from locoaudit.task.vecenv import LocoVecEnv
from locoaudit.train.checkpoint import load_checkpoint
from locoaudit.train.ppo import build_ppo
from locoaudit.train.rundir import load_run_manifest, read_run


@dataclass(frozen=True)
class LoadedPolicy:
    run_id: str
    manifest: Manifest  # the manifest the checkpoint was trained with
    actor: torch.nn.Module  # rsl-rl actor in eval mode; actor(obs) gives mean actions
    iteration: int


def _checkpoint_manifest(run_dir: Path, record: dict, wanted_hash: str) -> Manifest:
    """The run's manifest, or the one a forced resume switched to, matching the checkpoint's hash."""

    stored = load_run_manifest(run_dir)
    if manifest_hash(stored) == wanted_hash:
        return stored
    for entry in reversed(record.get("resumes", [])):
        if entry.get("manifest_hash") == wanted_hash and entry.get("manifest_file"):
            file = run_dir / entry["manifest_file"]
            return manifest_from_canonical(read_json(file, "manifest"), str(file))
    return stored


def build_actor(manifest: Manifest, actor_state: dict, device: str = "cpu") -> torch.nn.Module:
    """The manifest's rsl-rl actor with the given state dict, in eval mode."""
    env = LocoVecEnv(LocoEnv(manifest, 1, seed=0, threads=1), device=device)
    alg, _ = build_ppo(env, manifest.ppo, device)
    actor = alg.get_policy()
    actor.load_state_dict(actor_state, strict=True)
    actor.eval()
    return actor


def load_policy(run_dir: Path, checkpoint: Path | None = None, device: str = "cpu") -> LoadedPolicy:
    record = read_run(run_dir)
    state = load_checkpoint(checkpoint or run_dir, map_location=device)
    manifest = _checkpoint_manifest(run_dir, record, state["manifest_hash"])
    env = LocoVecEnv(LocoEnv(manifest, 1, seed=0, threads=1), device=device)
    alg, _ = build_ppo(env, manifest.ppo, device)
    alg.load(state["alg"], {"actor": True}, strict=True)
    actor = alg.get_policy()
    actor.eval()
    return LoadedPolicy(record["run_id"], manifest, actor, state["counters"]["iteration"])
