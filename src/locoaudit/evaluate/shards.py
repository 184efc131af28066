"""A panel's episodes as shards: pure tasks (policy, seed, shard) -> per-episode results.

A shard is a range of one batch's envs (conditions.plan_batches groups episodes by terrain). Its seed
fixes everything random in it: a batch that is one shard keeps the batch seed, SeedSequence([seed, k]);
a batch cut into shards of `shard_episodes` gives shard j the seed SeedSequence([seed, k, j]). So the
result depends on the panel, the seed and `shard_episodes`, never on where the shards run: in this
process or on Ray workers, the merged evaluation is the same, episode for episode.

`run_shard` writes nothing. It returns the shard's per-episode table and, for each failed episode,
what its trace needs; the driver (evaluate.run) merges the shards in order and writes the files.
"""

from __future__ import annotations

import functools
import io
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from locoaudit.evaluate import engine, metrics
from locoaudit.evaluate.conditions import Batch
from locoaudit.evaluate.engine import MakeEnv
from locoaudit.evaluate.panel import Panel, TerrainCell
from locoaudit.evaluate.rollout import Policy, torch_policy
from locoaudit.manifest import Manifest, canonical_json, manifest_from_canonical
from locoaudit.train.loop import torch_threads
from locoaudit.train.policy import LoadedPolicy, build_actor

TRACE_KEYS = ("actions", "commands", "rewards", "qpos", "obs")


@dataclass(frozen=True)
class PolicyBlob:
    """A policy as plain bytes: the training manifest (canonical JSON) and the actor's state dict."""

    manifest_json: str
    actor: bytes


def policy_blob(loaded: LoadedPolicy) -> PolicyBlob:
    buffer = io.BytesIO()
    torch.save(loaded.actor.state_dict(), buffer)
    return PolicyBlob(canonical_json(loaded.manifest), buffer.getvalue())


@functools.lru_cache(maxsize=2)
def blob_policy(blob: PolicyBlob) -> Policy:
    """The deterministic torch policy of a blob (built once per process)."""
    manifest = manifest_from_canonical(json.loads(blob.manifest_json), "policy manifest")
    state = torch.load(io.BytesIO(blob.actor), map_location="cpu", weights_only=True)
    return torch_policy(build_actor(manifest, state))


@dataclass(frozen=True)
class Shard:
    """Envs [first, first + n) of batch `batch` of a panel evaluation, with their seed."""

    batch: int  # index of the batch in plan_batches
    index: int  # shard index within the batch
    first: int  # first env of the batch in this shard
    slices: tuple[tuple[int, int, int], ...]  # (cell index, first env in the shard, episodes)
    terrain: TerrainCell
    terrain_seed: int | None
    manifest_json: str  # the batch's evaluation manifest, canonical JSON
    seed: int
    panel: Panel
    threads: int | None
    sim_device: str = "cpu"  # where MuJoCo Warp runs when the manifest says sim.backend = warp

    @property
    def num_envs(self) -> int:
        return sum(n for _, _, n in self.slices)

    def manifest(self) -> Manifest:
        return manifest_from_canonical(json.loads(self.manifest_json), "evaluation manifest")

    def as_batch(self) -> Batch:
        return Batch(self.terrain, self.terrain_seed, self.manifest(), self.slices)


def _cut(slices, lo: int, hi: int) -> tuple[tuple[int, int, int], ...]:
    """The parts of a batch's (cell, first, n) slices inside envs [lo, hi), re-based to lo."""
    out = []
    for cell, first, n in slices:
        a, b = max(first, lo), min(first + n, hi)
        if a < b:
            out.append((cell, a - lo, b - a))
    return tuple(out)


def plan_shards(
    batches: list[Batch],
    panel: Panel,
    seed: int,
    threads: int | None,
    shard_episodes: int | None = None,
    sim_device: str = "cpu",
) -> list[Shard]:
    """Every batch as one shard, or cut into shards of at most shard_episodes envs."""
    shards = []
    for k, batch in enumerate(batches):
        size = shard_episodes or batch.num_envs
        starts = list(range(0, batch.num_envs, size))
        text = canonical_json(batch.manifest)
        for j, lo in enumerate(starts):
            entropy = [seed, k] if len(starts) == 1 else [seed, k, j]
            shard_seed = int(np.random.SeedSequence(entropy).generate_state(1)[0])
            part = _cut(batch.slices, lo, lo + size)
            shards.append(
                Shard(k, j, lo, part, batch.terrain, batch.seed, text, shard_seed, panel, threads, sim_device)
            )
    return shards


@dataclass
class ShardResult:
    """What one shard produced: per-episode values, step counts and the failed episodes' traces."""

    table: dict[str, np.ndarray]  # per-episode values, in env order
    steps: int  # policy steps run
    seconds: float  # wall clock of the stepping
    failures: list[dict[str, Any]]  # env (index in the shard), reason, steps, push, arrays


def run_shard(
    shard: Shard, blob: PolicyBlob | None, policy: Policy | None = None, make_env: MakeEnv | None = None
) -> ShardResult:
    """Evaluate one shard; a pure function of its arguments (torch on one thread, like training)."""
    policy = policy or blob_policy(blob)
    batch = shard.as_batch()
    with torch_threads(1):
        log = engine.run_batch(
            batch, shard.panel, policy, shard.seed, shard.threads, make_env, shard.sim_device
        )
    table = metrics.episode_table(log, batch.manifest.policy_dt, shard.panel.recovery_window_s)
    steps = int(log.steps.sum())
    return ShardResult(table, steps, steps / max(log.env_steps_per_s, 1e-9), _failures(log))


def _failures(log: engine.BatchLog) -> list[dict[str, Any]]:
    """Everything a failure trace holds, per failed episode of the shard."""
    out = []
    for i in np.flatnonzero(log.reason != "time_out").tolist():
        steps = int(log.steps[i])
        arrays = {key: log.record[key][:steps, i] for key in TRACE_KEYS}
        arrays["physics"] = log.start["physics"][i]
        arrays |= {f"param.{k}": v[i] for k, v in log.start["params"].items()}
        arrays |= {f"buffer.{k}": v[i] for k, v in log.start["buffers"].items()}
        out.append(
            {
                "env": i,
                "reason": str(log.reason[i]),
                "steps": steps,
                "push_step": int(log.push_step[i]),
                "push_dv": log.push_dv[i].tolist(),
                "arrays": arrays,
            }
        )
    return out
