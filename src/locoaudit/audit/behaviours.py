"""Reference behaviours: scripted ways to (mis)behave, run through a manifest's own rewards and terminations.

One batched LocoEnv holds a group of envs per behaviour; a thin wrapper around its physics backend
scripts what a policy could not express through actions:
  stand      zero actions: hold the default pose
  collapse   the PD gains dropped to zero at every reset: the robot folds and lies on the ground
  fall       spawned rolling at FALL_ROLL_RATE: falls over at once
  random     uniform random actions in [-1, 1]
  competent  the base moved kinematically at the commanded velocity and yaw rate, level, at the
             default-pose standing height, while the legs trot (diagonal pairs, swing legs flexed; on
             the manifest's gait clock when it has one, else with TROT_PERIOD); an upper-bound
             reference of what tracking the command can earn
  policy     (runs only) a trained policy's deterministic actions
Every group sees the competent group's commands (a paired comparison). Random start phases are
off, so every env starts an episode at step 0 and the rollout lasts one full episode (capped at
MAX_SECONDS) plus one step: each env shows how its first episode ended, or that it did not.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import mujoco
import numpy as np

from locoaudit.manifest import Manifest
from locoaudit.task.env import LocoEnv
from locoaudit.task.kinematics import yaw_of, yaw_quat

Policy = Callable[[dict[str, np.ndarray]], np.ndarray]
REFERENCES = ("stand", "collapse", "fall", "random", "competent")
DEGENERATE = ("stand", "collapse", "fall")  # what a policy can settle for instead of walking
MAX_SECONDS = 30.0  # rollout cap for manifests with long episodes [s]
COMMAND_SECONDS = 2.0  # longest command hold in reference rollouts [s]
TROT_PERIOD = 0.8  # competent gait cycle [s]: each foot swings for half of it
SWING_THIGH, SWING_CALF = 0.4, -0.8  # joint offsets at mid-swing [rad]: flex the leg to lift the foot
FOOT_CONTACT_SINK = 0.005  # the kinematic base rides this far below the exact-touch height [m]
FALL_ROLL_RATE = 12.0  # initial roll rate of the falling envs [rad/s]: over on its side or back


@dataclass(frozen=True)
class ReferenceSettings:
    """How many envs run each reference behaviour, and for how long (None: one episode plus a step)."""

    envs: int = 4
    seconds: float | None = None


DEFAULT_SETTINGS = ReferenceSettings()


@dataclass(frozen=True)
class Trace:
    """What one behaviour's envs did, step by step; arrays are (T, n) for its n envs."""

    name: str
    dt: float
    reward: np.ndarray
    contributions: dict[str, np.ndarray]  # term -> (T, n)
    done: np.ndarray  # bool: the episode ended at this step (failure or time-out)
    reason: np.ndarray  # str: why ('' where it did not end)
    base_height: np.ndarray  # [m] above the terrain
    tilt: np.ndarray  # [rad] from upright
    speed: np.ndarray  # planar base speed [m/s]
    command_speed: np.ndarray  # planar command speed [m/s]


@dataclass(frozen=True)
class References:
    """Traces of every behaviour, with the facts the checks compare them against."""

    manifest: Manifest
    traces: dict[str, Trace]
    stand_height: float  # base height with the default pose and feet on the ground [m]
    max_episode_steps: int
    gamma: float


def _leg_joints(joints: tuple[str, ...]) -> dict[str, list[int]]:
    """Action indices of 'thigh' and 'calf' joints per leg name prefix (FR, FL, ...)."""
    legs: dict[str, list[int]] = {}
    for part in ("thigh", "calf"):
        for i, name in enumerate(joints):
            if f"_{part}" in name:
                legs.setdefault(name.split("_")[0], []).append(i)
    return {leg: idx for leg, idx in legs.items() if len(idx) == 2}


def trot_actions(joints: tuple[str, ...], action_scale: float, cycle: np.ndarray) -> np.ndarray:
    """(n, J) trot actions at gait cycles (n,): FR+RL swing in a cycle's first half, FL+RR in its second."""
    actions = np.zeros((len(cycle), len(joints)))
    if action_scale <= 0:
        return actions
    for leg, (thigh, calf) in _leg_joints(joints).items():
        offset = 0.5 if leg in ("FL", "RR") else 0.0
        phase = (cycle + offset) % 1.0
        lift = np.where(phase < 0.5, np.sin(2 * np.pi * phase), 0.0)
        actions[:, thigh] = SWING_THIGH * lift / action_scale
        actions[:, calf] = SWING_CALF * lift / action_scale
    return actions


def standing_height(env: LocoEnv) -> float:
    """Base height above flat ground with the default pose and the lowest foot touching it [m]."""
    built = env.built
    data = mujoco.MjData(built.model)
    data.qpos[built.qpos_joints] = env.default_joint_pos
    mujoco.mj_kinematics(built.model, data)
    feet = data.geom_xpos[built.foot_geoms, 2] - built.model.geom_size[built.foot_geoms, 0]
    return float(data.qpos[2] - feet.min())


class ScriptedBackend:
    """Wraps the env's backend: limp gains for `collapse`, rolling spawns for `fall`, a kinematic base."""

    def __init__(self, env: LocoEnv, groups: dict[str, np.ndarray], height: float):
        self.inner, self.env = env.backend, env
        self.collapse, self.fall = groups.get("collapse", []), groups.get("fall", [])
        self.kinematic = groups.get("competent", np.zeros(0, dtype=np.int64))
        self.height = height - FOOT_CONTACT_SINK
        self.substep_dt = env.manifest.sim.timestep
        self.xy = np.zeros((env.num_envs, 2))
        self.yaw = np.zeros(env.num_envs)

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    def set_params(self, ids: np.ndarray, params: dict[str, np.ndarray]) -> None:
        """The env's per-env parameters, with zero PD gains for the collapsing envs."""
        limp = np.isin(ids, self.collapse)
        if limp.any():
            params = {k: v.copy() for k, v in params.items()}
            params["actuator_gainprm"][limp, :, 0] = 0.0
            params["actuator_biasprm"][limp, :, 1:3] = 0.0
        self.inner.set_params(ids, params)

    def reset(self, ids: np.ndarray, qpos: np.ndarray, qvel: np.ndarray) -> None:
        """The env's reset, rolling over for the falling envs; remembers where kinematic bases start."""
        qvel = qvel.copy()
        qvel[np.isin(ids, self.fall), 3] = FALL_ROLL_RATE
        self.inner.reset(ids, qpos, qvel)
        self.xy[ids], self.yaw[ids] = qpos[:, :2], yaw_of(qpos[:, 3:7])

    def step(self, control: np.ndarray) -> np.ndarray:
        """The physics substeps, then the kinematic bases moved on by one policy step of their command."""
        failed = self.inner.step(control)
        if len(self.kinematic):
            self._place_bases(control.shape[1] * self.substep_dt)
        return failed

    def _place_bases(self, seconds: float) -> None:
        """Advance the kinematic bases by `seconds` of their command; set their pose and velocity."""
        ids, cmd = self.kinematic, self.env.state.command[self.kinematic]
        self.xy[ids] += _to_world(cmd[:, :2], self.yaw[ids] + 0.5 * cmd[:, 2] * seconds) * seconds
        self.yaw[ids] += cmd[:, 2] * seconds
        v_world = _to_world(cmd[:, :2], self.yaw[ids])
        x, y = self.xy[ids, 0], self.xy[ids, 1]
        qpos, qvel = self.inner.qpos, self.inner.qvel
        qpos[ids, :2] = self.xy[ids]
        qpos[ids, 2] = self.env.ground_height(x, y) + self.height
        qpos[ids, 3:7] = yaw_quat(self.yaw[ids])
        qvel[ids, :6] = 0.0
        qvel[ids, :2], qvel[ids, 5] = v_world, cmd[:, 2]


def _to_world(v: np.ndarray, yaw: np.ndarray) -> np.ndarray:
    """(n, 2) heading-frame planar vectors rotated by yaw (n,) into the world frame."""
    c, s = np.cos(yaw), np.sin(yaw)
    return np.stack([c * v[:, 0] - s * v[:, 1], s * v[:, 0] + c * v[:, 1]], axis=1)


def reference_manifest(manifest: Manifest) -> Manifest:
    """The manifest without random start phases, its commands resampled at least every COMMAND_SECONDS."""
    # every first episode starts at step 0; a short rollout still averages over many commands
    lo, hi = manifest.commands.resample_time
    resample = (min(lo, COMMAND_SECONDS), min(hi, COMMAND_SECONDS))
    return dataclasses.replace(
        manifest,
        episode=dataclasses.replace(manifest.episode, randomize_start_phase=False),
        commands=dataclasses.replace(manifest.commands, resample_time=resample),
    )


def _groups(names: tuple[str, ...], per: int) -> dict[str, np.ndarray]:
    """Contiguous env ids, `per` for each behaviour."""
    return {name: np.arange(i * per, (i + 1) * per) for i, name in enumerate(names)}


def run_references(
    manifest: Manifest,
    policy: Policy | None = None,
    envs_per_behaviour: int = 4,
    seed: int = 0,
    threads: int | None = None,
    seconds: float | None = None,
) -> References:
    """Run the reference behaviours (and `policy`, as 'policy'): by default one episode plus a step."""
    names = REFERENCES + (("policy",) if policy is not None else ())
    groups = _groups(names, envs_per_behaviour)
    env = LocoEnv(reference_manifest(manifest), len(names) * envs_per_behaviour, seed, threads)
    height = standing_height(env)
    env.backend = ScriptedBackend(env, groups, height)
    env.reset_all()
    if seconds is None:
        steps = min(env.max_episode_steps, round(MAX_SECONDS / env.dt)) + 1
    else:
        steps = max(1, round(seconds / env.dt))
    act = _actions(env, groups, policy, np.random.default_rng([seed, 2]))
    records = _record(env, act, steps)
    traces = {name: _trace(name, env.dt, records, ids) for name, ids in groups.items()}
    return References(manifest, traces, height, env.max_episode_steps, manifest.ppo.gamma)


def _actions(
    env: LocoEnv, groups: dict[str, np.ndarray], policy: Policy | None, rng: np.random.Generator
) -> Policy:
    """One action function for the whole batch: each group's rows from its behaviour."""
    joints, scale = env.built.robot.joints, env.manifest.robot.action_scale

    def act(obs: dict[str, np.ndarray]) -> np.ndarray:
        for ids in groups.values():  # paired comparison: every behaviour sees the same commands
            env.state.command[ids] = env.state.command[groups["competent"]]
        actions = np.zeros((env.num_envs, env.num_actions))
        ids = groups["random"]
        actions[ids] = rng.uniform(-1.0, 1.0, size=(len(ids), env.num_actions))
        ids = groups["competent"]
        actions[ids] = trot_actions(joints, scale, _trot_cycle(env, ids))
        if policy is not None:
            ids = groups["policy"]
            actions[ids] = np.asarray(policy(obs))[ids]
        return actions

    return act


def _trot_cycle(env: LocoEnv, ids: np.ndarray) -> np.ndarray:
    """Gait cycles of the competent trot: the manifest's gait clock when it has one, else TROT_PERIOD."""
    if env.manifest.observations.gait_clock_hz > 0:  # the clock's trot has FR+RL down in its first half
        return env.state.gait_phase[ids] + 0.5
    return env.state.episode_step[ids] * env.dt / TROT_PERIOD


def _record(env: LocoEnv, act: Policy, steps: int) -> dict[str, np.ndarray | dict]:
    """(T, N) per-step records of a rollout."""
    keys = ("reward", "done", "reason", "base_height", "tilt", "speed", "command_speed")
    rec: dict[str, list] = {k: [] for k in keys}
    terms: dict[str, list] = {}
    obs = env.observe()
    for _ in range(steps):
        actions = act(obs)  # sets the commands of this step
        command_speed = np.linalg.norm(env.state.command[:, :2], axis=1)
        result = env.step(actions)
        view = result.view
        reason = np.full(env.num_envs, "", dtype=object)
        reason[result.ended.env_ids] = result.ended.reason
        rec["reward"].append(result.reward)
        rec["done"].append(result.terminated | result.time_out)
        rec["reason"].append(reason.astype(str))
        rec["base_height"].append(view.base_height)
        rec["tilt"].append(np.arccos(np.clip(-view.projected_gravity[:, 2], -1.0, 1.0)))
        rec["speed"].append(np.linalg.norm(view.base_lin_vel[:, :2], axis=1))
        rec["command_speed"].append(command_speed)
        for k, v in result.contributions.items():
            terms.setdefault(k, []).append(v)
        obs = result.obs
    out: dict[str, np.ndarray | dict] = {k: np.stack(v) for k, v in rec.items()}
    out["contributions"] = {k: np.stack(v) for k, v in terms.items()}
    return out


def _trace(name: str, dt: float, rec: dict, ids: np.ndarray) -> Trace:
    """One behaviour's columns of the rollout records."""
    return Trace(
        name=name,
        dt=dt,
        contributions={k: v[:, ids] for k, v in rec["contributions"].items()},
        **{k: rec[k][:, ids] for k in Trace.__dataclass_fields__ if k not in ("name", "dt", "contributions")},
    )
