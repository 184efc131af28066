"""One PPO iteration: collect, store, returns, update, record (rsl-rl-lib PPO inside).

`Trainer` owns the env, the algorithm and the counters; `Trainer.iteration` is one pass of
collect -> compute returns -> update -> metrics record, readable top to bottom. The loop around
it (logging, checkpoints, stopping) is `session.run`.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rsl_rl.algorithms import PPO

from locoaudit.errors import NonFiniteTraining
from locoaudit.manifest import Manifest, manifest_hash
from locoaudit.task.vecenv import TaskVecEnv
from locoaudit.train import stats
from locoaudit.train.checkpoint import save_checkpoint
from locoaudit.train.distributed import World
from locoaudit.train.ppo import log_prob_of
from locoaudit.train.rollout_stats import RolloutStats
from locoaudit.train.rundir import code_version


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run torch on n intra-op threads, restoring the previous number afterwards."""
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@dataclass
class Counters:
    iteration: int = 0  # completed iterations
    samples: int = 0  # env transitions collected
    updates: int = 0  # gradient steps taken
    wall_clock_s: float = 0.0  # training time, summed over resumed sessions


@dataclass
class Trainer:
    manifest: Manifest
    env: TaskVecEnv
    alg: PPO
    run_dir: Path
    counters: Counters = field(default_factory=Counters)
    world: World = field(default_factory=World)  # several processes under torchrun: rank 0 writes
    # The physics threads idle during the PPO update, so the update takes them: on 2 cores, 2 torch
    # threads there cut it 1.67 -> 1.01 s per 1024 x 24 iteration and left collection alone (2026-12-03).
    # Collection keeps torch on 1 thread: its OpenMP threads would spin against the physics pool.
    update_threads: int = 1

    def iteration(self, stop_requested=lambda: False) -> dict[str, Any] | None:
        """One PPO iteration; returns its metrics record, or None if a stop was requested mid-rollout.

        A stop mid-rollout rewinds to the state before the iteration, so a checkpoint saved then equals
        the one an uninterrupted run saves at this iteration. Non-finite actions or losses rewind too
        and raise NonFiniteTraining: the trainer then holds the last good iteration.
        """
        cfg, alg, env = self.manifest.ppo, self.alg, self.env
        before = self.snapshot()
        rollout = RolloutStats(env.dt)
        start, start_cpu = time.perf_counter(), time.process_time()
        obs = env.get_observations()
        with torch.inference_mode():
            for _ in range(cfg.num_steps_per_env):
                actions = alg.act(obs)
                if not bool(torch.isfinite(actions).all()):
                    self._rewind(before, "non-finite actions from the policy")
                obs, rewards, dones, extras = env.step(actions)
                alg.process_env_step(obs, rewards, dones, extras)
                rollout.add(env.last_result)
                if stop_requested():
                    self._rewind(before)
                    return None
            collect_s, collect_cpu_s = time.perf_counter() - start, time.process_time() - start_cpu
            alg.compute_returns(obs)
        st = alg.storage
        raw_advantages = st.returns - st.values  # before rsl-rl's normalisation
        adv = stats.advantage_stats(raw_advantages)
        explained = stats.explained_variance(st.values, st.returns)
        batch_obs, batch_actions = st.observations.flatten(0, 1).clone(), st.actions.flatten(0, 1).clone()
        old_log_prob = st.actions_log_prob.flatten(0, 1).squeeze(-1).clone()
        update_start, update_cpu = time.perf_counter(), time.process_time()
        losses = self._update(before)
        update_s, update_cpu_s = time.perf_counter() - update_start, time.process_time() - update_cpu
        ratio = stats.ratio_stats(log_prob_of(alg, batch_obs, batch_actions), old_log_prob, cfg.clip_param)
        timing = {"collect_s": collect_s, "update_s": update_s}
        timing |= {"collect_cpu_s": collect_cpu_s, "update_cpu_s": update_cpu_s}
        return self._record(rollout, timing, adv, explained, ratio, losses)

    def _update(self, before: dict[str, Any]) -> dict[str, float]:
        """alg.update(), rewinding and raising NonFiniteTraining when it meets NaN or inf."""
        try:
            with torch_threads(self.update_threads):
                losses = self.alg.update()
        except (ValueError, RuntimeError) as exc:  # e.g. torch.distributions refusing a NaN std
            text = " ".join(str(exc).split())
            if self._finite_policy() and "nan" not in text.lower() and "std" not in text:
                raise
            self._rewind(before, f"the PPO update met non-finite values ({text})")
        bad = {k: v for k, v in losses.items() if not math.isfinite(float(v))}
        if bad:
            self._rewind(before, f"non-finite losses {bad}")
        return losses

    def _finite_policy(self) -> bool:
        return all(bool(torch.isfinite(p).all()) for p in self.alg.get_policy().parameters())

    def _rewind(self, before: dict[str, Any], problem: str | None = None) -> None:
        """Back to the state before this iteration; raise NonFiniteTraining when there was a problem."""
        self.alg.storage.clear()
        self.alg.transition.clear()
        self.restore(before)
        if problem is not None:
            raise NonFiniteTraining(f"iteration {self.counters.iteration + 1}: {problem}")

    def _record(self, rollout, timing, adv, explained, ratio, losses) -> dict[str, Any]:
        """The iteration's metrics; timing holds collect_s / update_s (wall) and *_cpu_s (process CPU)."""
        cfg, c, env = self.manifest.ppo, self.counters, self.env
        collect_s, update_s = timing["collect_s"], timing["update_s"]
        samples = env.num_envs * cfg.num_steps_per_env * self.world.size  # every rank's envs
        c.iteration += 1
        c.samples += samples
        c.updates += cfg.num_learning_epochs * cfg.num_mini_batches
        c.wall_clock_s += collect_s + update_s
        return {
            "iteration": c.iteration,
            "samples": c.samples,
            "updates": c.updates,
            "wall_clock_s": c.wall_clock_s,
            **timing,
            "env_steps_per_s": samples / collect_s,
            **rollout.record(),
            "advantage": adv,
            "clip_fraction": ratio["clip_fraction"],
            "approx_kl": ratio["approx_kl"],
            "explained_variance": explained,
            "learning_rate": self.alg.learning_rate,
            "action_std": float(self.alg.get_policy().output_std.mean()),
            **env.task_stats(),
            "losses": losses,
        }

    # ------------------------------------------------------------ checkpoint
    def snapshot(self) -> dict[str, Any]:
        """A private copy of everything that affects the future of the run (restore() takes it)."""
        return copy.deepcopy(
            {
                "counters": vars(self.counters).copy(),
                "alg": self.alg.save(),
                "learning_rate": self.alg.learning_rate,
                "torch_rng": torch.get_rng_state(),
                "env": self.env.state_dict(),
                "obs": {k: v.cpu().clone() for k, v in self.env.get_observations().items()},
            }
        )

    def checkpoint_state(self) -> dict[str, Any]:
        """The snapshot plus what a resume checks: the manifest hash and the code version."""
        return self.snapshot() | {"manifest_hash": manifest_hash(self.manifest), "code": code_version()}

    def save(self) -> Path | None:
        """Checkpoint this iteration (rank 0 only: the other ranks hold the same models)."""
        if not self.world.writer:
            return None
        return save_checkpoint(self.run_dir, self.checkpoint_state(), self.counters.iteration)

    def restore(self, state: dict[str, Any]) -> None:
        """Continue exactly where checkpoint_state left off."""
        self.alg.load(state["alg"], None, strict=True)
        self.alg.learning_rate = state["learning_rate"]
        self.env.load_state_dict(state["env"])
        self.env.set_observations({k: np.asarray(v) for k, v in state["obs"].items()})
        self.counters = Counters(**state["counters"])
        torch.set_rng_state(state["torch_rng"])
