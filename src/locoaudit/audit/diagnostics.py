"""The shared diagnostic rollout: a short batched LocoEnv run that records what the audits measure.

Per step (T steps, N envs, F feet, A actor features) it keeps the state the step ended in, before
any reset: base height, tilt, foot contacts and touchdowns, termination flags and reasons, reward
and per-term contributions; and the actor observation the policy acted on, next to the privileged
quantities of the same state (from the noiseless critic group). Without a policy, the first half of
the envs sends zero actions (standing) and the second half uniform random actions in [-1, 1].
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from locoaudit.manifest import Manifest
from locoaudit.task.env import LocoEnv, StepResult
from locoaudit.terms.view import StepView

Policy = Callable[[dict[str, np.ndarray]], np.ndarray]
PRIVILEGED = ("base_lin_vel", "friction")  # read from the critic group
FORWARD = (0.5, 1.0)  # gait rollouts: forward command range [m/s]


@dataclass(frozen=True)
class Rollout:
    """Records of one diagnostic rollout; arrays are (T, N, ...) in step order."""

    manifest: Manifest
    dt: float
    feet: tuple[str, ...]
    actor_layout: dict[str, slice]
    age: np.ndarray  # (T, N) policy steps since the env's last reset, before the step
    base_height: np.ndarray  # (T, N) [m] above the terrain
    tilt: np.ndarray  # (T, N) [rad] from upright
    contact: np.ndarray  # (T, N, F) bool
    touchdown: np.ndarray  # (T, N, F) bool
    terminated: np.ndarray  # (T, N) bool: failure (time-outs excluded)
    time_out: np.ndarray  # (T, N) bool
    reason: np.ndarray  # (T, N) str: why the episode ended at this step ('' if it did not)
    reward: np.ndarray  # (T, N)
    contributions: dict[str, np.ndarray]  # term -> (T, N)
    phase_entropy: np.ndarray  # (T,) after each step
    actor_obs: np.ndarray  # (T, N, A) float32, the observation each step's action was computed from
    privileged: dict[str, np.ndarray]  # name -> (T, N, k) at the same state as actor_obs
    tile_col: np.ndarray | None  # (T, N) terrain column under the base (grid terrain), else None
    col_kinds: tuple[str, ...]  # terrain kind of each column (empty on a plane)

    @property
    def resets(self) -> np.ndarray:
        """(T,) number of envs whose episode ended at each step."""
        return (self.terminated | self.time_out).sum(axis=1)


def forward_commands(manifest: Manifest, speed: tuple[float, float] = FORWARD) -> Manifest:
    """The manifest with forward-only commands in `speed` [m/s]: no lateral, yaw or standing commands."""
    commands = dataclasses.replace(
        manifest.commands,
        lin_vel_x=speed,
        lin_vel_y=(0.0, 0.0),
        ang_vel_yaw=(0.0, 0.0),
        standing_fraction=0.0,
    )
    return dataclasses.replace(manifest, commands=commands)


def zero_and_random(num_envs: int, num_actions: int, rng: np.random.Generator) -> Policy:
    """Zero actions for the first half of the envs, uniform [-1, 1] actions for the second half."""
    half = num_envs // 2

    def act(obs: dict[str, np.ndarray]) -> np.ndarray:
        actions = np.zeros((num_envs, num_actions))
        actions[half:] = rng.uniform(-1.0, 1.0, size=(num_envs - half, num_actions))
        return actions

    return act


def _tilt(view: StepView) -> np.ndarray:
    """(N,) angle of the base from upright [rad]."""
    return np.arccos(np.clip(-view.projected_gravity[:, 2], -1.0, 1.0))


def rollout(
    manifest: Manifest,
    policy: Policy | None = None,
    num_envs: int = 64,
    steps: int = 250,
    seed: int = 0,
    threads: int | None = None,
) -> Rollout:
    """Run and record `steps` policy steps of `num_envs` envs (zero / random actions without a policy)."""
    env = LocoEnv(manifest, num_envs, seed=seed, threads=threads)
    act = policy or zero_and_random(num_envs, env.num_actions, np.random.default_rng([seed, 1]))
    rec: dict[str, list] = {k: [] for k in ("age", "obs", "critic", "result", "entropy")}
    obs = env.observe()
    for _ in range(steps):
        rec["age"].append(env.rewards.book.length.copy())
        rec["obs"].append(obs["actor"])
        rec["critic"].append(obs["critic"])
        result = env.step(act(obs))
        rec["result"].append(result)
        rec["entropy"].append(env.phase_entropy())
        obs = result.obs
    return _assemble(env, rec)


def _assemble(env: LocoEnv, rec: dict[str, list]) -> Rollout:
    """Stack the per-step records of a rollout into a Rollout."""
    layout, grid, n = env.obs_layout(), env.built.grid, env.num_envs
    results = rec["result"]
    views = [r.view for r in results]
    critic = np.stack(rec["critic"])
    tiles = None if grid is None else np.stack([grid.tile_of(v.qpos[:, 0], v.qpos[:, 1])[1] for v in views])
    return Rollout(
        manifest=env.manifest,
        dt=env.dt,
        feet=tuple(env.built.robot.feet),
        actor_layout=layout["actor"],
        age=np.stack(rec["age"]),
        base_height=np.stack([v.base_height for v in views]),
        tilt=np.stack([_tilt(v) for v in views]),
        contact=np.stack([v.foot_contact for v in views]),
        touchdown=np.stack([v.first_contact for v in views]),
        terminated=np.stack([r.terminated for r in results]),
        time_out=np.stack([r.time_out for r in results]),
        reason=np.stack([_reasons(r, n) for r in results]),
        reward=np.stack([r.reward for r in results]),
        contributions={k: np.stack([r.contributions[k] for r in results]) for k in results[0].contributions},
        phase_entropy=np.array(rec["entropy"]),
        actor_obs=np.stack(rec["obs"]),
        privileged={k: critic[:, :, layout["critic"][k]] for k in PRIVILEGED},
        tile_col=tiles,
        col_kinds=() if grid is None else tuple(grid.col_kinds),
    )


def _reasons(result: StepResult, num_envs: int) -> np.ndarray:
    """(N,) why each env's episode ended in this step ('' where it did not)."""
    out = np.full(num_envs, "", dtype=object)
    out[result.ended.env_ids] = result.ended.reason
    return out.astype(str)
