"""Deterministic evaluation rollouts: every env runs exactly one episode, all in one batch.

An env that fails stops counting (its later auto-reset episodes are ignored); metrics are taken
over each episode's own alive steps, then over episodes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from locoaudit.manifest import Manifest
from locoaudit.task.env import LocoEnv

Policy = Callable[[dict[str, np.ndarray]], np.ndarray]


@dataclass(frozen=True)
class EpisodeOutcomes:
    """Per-episode results of one evaluation batch; n = episodes."""

    fell: np.ndarray  # (n,) bool: ended by a failure before the time limit
    reason: np.ndarray  # (n,) str: termination reason, or 'time_out'
    steps: np.ndarray  # (n,) policy steps alive
    lin_vel_error: np.ndarray  # (n,) mean |cmd_xy - v_xy| over alive steps [m/s]
    yaw_rate_error: np.ndarray  # (n,) mean |cmd_yaw - w_z| over alive steps [rad/s]
    dt: float
    env_steps_per_s: float

    @property
    def time_to_fall_s(self) -> np.ndarray:
        """(k,) seconds until the fall, for the episodes that fell."""
        return self.steps[self.fell] * self.dt


def evaluation_manifest(manifest: Manifest, episode_s: float | None = None) -> Manifest:
    """The manifest with synchronised starts (every episode runs from its beginning)."""
    episode = dataclasses.replace(manifest.episode, randomize_start_phase=False)
    if episode_s is not None:
        episode = dataclasses.replace(episode, length_s=episode_s)
    return dataclasses.replace(manifest, episode=episode)


def torch_policy(actor: torch.nn.Module, device: str = "cpu") -> Policy:
    """Deterministic (mean) actions of an rsl-rl actor on numpy observations."""
    from tensordict import TensorDict

    def act(obs: dict[str, np.ndarray]) -> np.ndarray:
        n = len(next(iter(obs.values())))
        batch = TensorDict({k: torch.from_numpy(v).to(device) for k, v in obs.items()}, batch_size=[n])
        with torch.inference_mode():
            return actor(batch).cpu().numpy()

    return act


def run_episodes(manifest: Manifest, policy: Policy, episodes: int, seed: int, threads: int | None = None):
    """Run `episodes` one-episode envs of `manifest` with `policy`; returns EpisodeOutcomes."""
    import time

    env = LocoEnv(evaluation_manifest(manifest), episodes, seed=seed, threads=threads)
    n, alive = episodes, np.ones(episodes, dtype=bool)
    steps = np.zeros(n, dtype=np.int64)
    errors = np.zeros((n, 2))
    reason = np.full(n, "time_out", dtype=object)
    obs = env.observe()
    start = time.perf_counter()
    for _ in range(env.max_episode_steps):
        result = env.step(policy(obs))
        obs = result.obs
        errors[alive] += result.tracking_error[alive]
        steps[alive] += 1
        failed = alive & result.terminated
        reason[np.flatnonzero(failed)] = _reasons(result, np.flatnonzero(failed))
        alive &= ~(result.terminated | result.time_out)
        if not alive.any():
            break
    elapsed = time.perf_counter() - start
    mean_err = errors / np.maximum(steps, 1)[:, None]
    return EpisodeOutcomes(
        fell=reason != "time_out",
        reason=reason.astype(str),
        steps=steps,
        lin_vel_error=mean_err[:, 0],
        yaw_rate_error=mean_err[:, 1],
        dt=env.dt,
        env_steps_per_s=float(steps.sum() / elapsed),
    )


def _reasons(result, ids: np.ndarray) -> np.ndarray:
    lookup = dict(zip(result.ended.env_ids.tolist(), result.ended.reason.tolist(), strict=True))
    return np.array([lookup[i] for i in ids.tolist()], dtype=object)
