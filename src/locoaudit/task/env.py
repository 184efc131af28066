"""The batched velocity-tracking environment (numpy core; `vecenv.py` adapts it to rsl-rl).

One `step` applies actions to all N envs, advances the physics by `decimation` substeps,
computes terminations (named reasons, time-outs apart), reward terms, episode bookkeeping,
resets the envs that finished, resamples commands, applies pushes and returns observations.
Randomness comes from one `numpy.random.Generator` seeded by the caller.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from locoaudit.manifest.schema import Manifest
from locoaudit.robots.build import BuiltModel, build_model
from locoaudit.sim.backend import Backend
from locoaudit.sim.mujoco_cpu import PARAM_FIELDS, MujocoCpuBackend
from locoaudit.task import commands as cmds
from locoaudit.task import observations as obs_mod
from locoaudit.task import randomization as rnd
from locoaudit.task.episodes import EndedEpisodes, EpisodeBook, phase_entropy
from locoaudit.task.kinematics import rotate_inverse, yaw_of
from locoaudit.terms.rewards import REWARDS
from locoaudit.terms.rowops import row_norm
from locoaudit.terms.terminations import NON_FINITE, TERMINATIONS, TIME_OUT
from locoaudit.terms.view import StepView
from locoaudit.terrain import Curriculum

GRAVITY_DIR = np.array([0.0, 0.0, -1.0])
SPAWN_CLEARANCE = 0.02  # lowest foot above the ground at reset [m]
STATE_BUFFERS = (  # per-env task state besides physics: checkpoints and traces carry these
    "action",
    "last_action",
    "target",
    "command",
    "command_timer",
    "episode_step",
    "air_time",
    "start_xy",
    "friction",
    "delay",
    "push_timer",
    "last_joint_vel",
    "gait_phase",
)


# Builds another physics engine for a compiled model: (built model, num_envs) -> Backend.
BackendFactory = Callable[[BuiltModel, int], Backend]


@dataclass(frozen=True)
class StepResult:
    obs: dict[str, np.ndarray]  # 'actor' (N, A), 'critic' (N, C) float32
    reward: np.ndarray  # (N,)
    terminated: np.ndarray  # (N,) bool: failure (time-outs excluded)
    time_out: np.ndarray  # (N,) bool: episode length reached without failure
    contributions: dict[str, np.ndarray]  # term -> (N,) weighted contribution to this step's reward
    tracking_error: np.ndarray  # (N, 2): |cmd_xy - v_xy| [m/s] and |cmd_yaw - w_z| [rad/s] in this step
    ended: EndedEpisodes  # episodes that ended in this step (possibly none)


class LocoEnv:
    """N environments of one manifest, on the MuJoCo CPU backend."""

    def __init__(
        self,
        manifest: Manifest,
        num_envs: int,
        seed: int,
        threads: int | None = None,
        backend: BackendFactory | None = None,
    ):
        if num_envs <= 0:
            raise ValueError(f"num_envs must be positive, got {num_envs}")
        self.manifest, self.num_envs, self.seed = manifest, num_envs, seed
        self.rng = np.random.default_rng(seed)
        self.built: BuiltModel = build_model(manifest)
        nthread = manifest.sim.threads if threads is None else threads
        if backend is None:
            self.backend = MujocoCpuBackend(self.built.model, num_envs, nthread)
        else:  # another engine for the same model (transfer evaluation)
            self.backend = backend(self.built, num_envs)
        self.dt = manifest.policy_dt
        self.max_episode_steps = manifest.max_episode_steps
        self.num_actions = len(self.built.actuators)
        self.default_joint_pos = np.asarray(self.built.robot.default_joint_pos)
        self._scan = obs_mod.scan_points(manifest.observations)
        self._nominal = rnd.nominal_params(self.built)
        self.curriculum = self._make_curriculum()
        self._reward_terms = [
            (k, REWARDS[k], t.weight, dict(t.params)) for k, t in manifest.rewards.terms.items()
        ]
        self._term_terms = [
            (k, TERMINATIONS[k], dict(t.params)) for k, t in manifest.terminations.terms.items()
        ]
        self.book = EpisodeBook(num_envs, tuple(k for k, *_ in self._reward_terms))
        self._allocate()
        self.reset_all()

    # ----------------------------------------------------------------- setup
    def _make_curriculum(self) -> Curriculum | None:
        t = self.manifest.terrain
        if self.built.grid is None:
            return None
        return Curriculum(self.built.grid, self.num_envs, t.max_init_level if t.curriculum else 0, self.rng)

    def _allocate(self) -> None:
        n, j, f = self.num_envs, self.num_actions, len(self.built.foot_geoms)
        self.action = np.zeros((n, j))
        self.last_action = np.zeros((n, j))
        self.target = np.broadcast_to(self.default_joint_pos, (n, j)).copy()
        self.command = np.zeros((n, 3))
        self.command_timer = np.zeros(n, dtype=np.int64)
        self.episode_step = np.zeros(n, dtype=np.int64)
        self.air_time = np.zeros((n, f))
        self.last_joint_vel = np.zeros((n, j))
        self.gait_phase = np.zeros(n)  # gait clock phase in [0, 1)
        self.start_xy = np.zeros((n, 2))
        self.friction = np.zeros(n)
        self.delay = np.zeros(n, dtype=np.int64)
        self.push_timer = np.zeros(n, dtype=np.int64)
        self.nonfinite_resets = 0

    def reset_all(self) -> dict[str, np.ndarray]:
        """Reset every env; with randomize_start_phase, envs start at random points of their episode."""
        ids = np.arange(self.num_envs)
        self._reset(ids)
        if self.manifest.episode.randomize_start_phase:
            self.episode_step[:] = self.rng.integers(0, self.max_episode_steps, size=self.num_envs)
        return self.observe()

    # ------------------------------------------------------------------ step
    def step(self, action: np.ndarray) -> StepResult:
        """Advance all envs by one policy step with actions (N, J)."""
        clip = self.manifest.robot.action_clip
        self.action = np.clip(np.asarray(action, dtype=np.float64), -clip, clip)
        failed = self._simulate()
        view = self._view()
        terminated, reasons = self._terminations(view, failed)
        time_out = (self.episode_step + 1 >= self.max_episode_steps) & ~terminated
        view = view.with_terminated(terminated)
        reward, contributions = self._rewards(view, failed)
        tracking = _tracking_error(view, failed)
        self.book.add(reward, contributions)
        self.last_joint_vel = view.joint_vel
        self.gait_phase = (self.gait_phase + self.manifest.observations.gait_clock_hz * self.dt) % 1.0
        self.episode_step += 1
        self.last_action = self.action
        ended = self._finish_episodes(terminated | time_out, reasons, time_out)
        self._tick_commands_and_pushes()
        return StepResult(self.observe(), reward, terminated, time_out, contributions, tracking, ended)

    def _simulate(self) -> np.ndarray:
        """Apply joint targets with per-env delays over the substeps; returns the unstable mask."""
        new_target = self.default_joint_pos + self.manifest.robot.action_scale * self.action
        dec = self.manifest.sim.decimation
        delayed = (np.arange(dec)[None, :] < self.delay[:, None])[:, :, None]
        control = np.empty((self.num_envs, dec, self.built.model.nu))
        control[:, :, self.built.actuators] = np.where(
            delayed, self.target[:, None, :], new_target[:, None, :]
        )
        self.target = new_target
        return self.backend.step(control)

    def _view(self) -> StepView:
        b, built = self.backend, self.built
        qpos, qvel = b.qpos, b.qvel
        quat = qpos[:, 3:7]
        sensors = b.sensordata
        joint_vel = qvel[:, built.dof_joints]
        contact = sensors[:, built.sensor_feet] > 0
        self.air_time += self.dt
        first_contact = contact & (self.air_time > self.dt)
        air_time = self.air_time.copy()
        self.air_time[contact] = 0.0
        return StepView(
            dt=self.dt,
            command=self.command,
            base_lin_vel=rotate_inverse(quat, qvel[:, :3]),
            base_ang_vel=qvel[:, 3:6].copy(),
            projected_gravity=rotate_inverse(quat, GRAVITY_DIR),
            base_height=qpos[:, 2] - self.ground_height(qpos[:, 0], qpos[:, 1]),
            joint_pos=qpos[:, built.qpos_joints],
            joint_vel=joint_vel,
            joint_acc=(joint_vel - self.last_joint_vel) / self.dt,
            joint_torque=b.actuator_force[:, built.actuators],
            default_joint_pos=self.default_joint_pos,
            action=self.action,
            last_action=self.last_action,
            foot_contact=contact,
            foot_air_time=air_time,
            first_contact=first_contact,
            undesired_contact=sensors[:, built.sensor_undesired] > 0,
            termination_contact=sensors[:, built.sensor_termination] > 0,
            qpos=qpos.copy(),
            gait_phase=self.gait_phase.copy(),
            terminated=np.zeros(self.num_envs, dtype=bool),
        )

    def ground_height(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Terrain height under world points (zeros on a plane)."""
        grid = self.built.grid
        return np.zeros(np.broadcast(x, y).shape) if grid is None else grid.height_at(x, y)

    def _terminations(self, view: StepView, failed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Failure mask and per-env reason ('' where none); the first listed term that fires wins."""
        reasons = np.full(self.num_envs, "", dtype=object)
        with np.errstate(invalid="ignore"):
            for name, fn, params in reversed(self._term_terms):
                reasons[fn(view, **params) & ~failed] = name
        reasons[failed] = NON_FINITE
        self.nonfinite_resets += int(failed.sum())
        return reasons != "", reasons

    def _rewards(self, view: StepView, failed: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        scale = self.dt if self.manifest.rewards.scale_by_dt else 1.0
        contributions = {}
        with np.errstate(invalid="ignore", over="ignore"):
            for name, fn, weight, params in self._reward_terms:
                value = weight * scale * fn(view, **params)
                contributions[name] = np.where(failed, 0.0, value)
        reward = np.zeros(self.num_envs)
        for value in contributions.values():  # a fixed order per env: identical in a batch of 1 or N (replay)
            reward += value
        if self.manifest.rewards.only_positive:
            reward = np.clip(reward, 0.0, None)
        return reward, contributions

    def _finish_episodes(self, done: np.ndarray, reasons: np.ndarray, time_out: np.ndarray) -> EndedEpisodes:
        ids = np.flatnonzero(done)
        reasons = reasons.copy()
        reasons[time_out] = TIME_OUT
        xy = np.nan_to_num(self.backend.qpos[ids, :2])
        ended = self.book.flush(ids, reasons[ids].astype(str), xy)
        if self.curriculum is not None and len(ids) and self.manifest.terrain.curriculum:
            walked = np.linalg.norm(xy - self.start_xy[ids], axis=1)
            commanded = np.linalg.norm(self.command[ids, :2], axis=1) * ended.length * self.dt
            self.curriculum.update(ids, walked, commanded)
        self._reset(ids)
        return ended

    # ----------------------------------------------------------------- reset
    def _reset(self, ids: np.ndarray) -> None:
        if len(ids) == 0:
            return
        m, rng = self.manifest, self.rng
        origins = self.curriculum.origins(ids) if self.curriculum is not None else np.zeros((len(ids), 3))
        qpos, qvel = rnd.sample_reset_state(m, self.built, origins, rng)
        self.backend.reset(ids, qpos, qvel)
        self._lift_feet_to_ground(ids, origins[:, 2])
        params, friction = rnd.sample_params(m.randomization, self.built, self._nominal, len(ids), rng)
        self.backend.set_params(ids, params)
        self.friction[ids] = friction
        self.delay[ids] = rnd.sample_delays(m.randomization, len(ids), m.sim.decimation, rng)
        self.command[ids] = cmds.sample_commands(m.commands, len(ids), rng)
        self.command_timer[ids] = cmds.sample_resample_steps(m.commands, len(ids), self.dt, rng)
        self.push_timer[ids] = self._push_steps(len(ids))
        self.start_xy[ids] = qpos[:, :2]
        self.episode_step[ids] = 0
        self.action[ids] = 0.0
        self.last_action[ids] = 0.0
        self.target[ids] = self.default_joint_pos
        self.air_time[ids] = 0.0
        self.last_joint_vel[ids] = qvel[:, self.built.dof_joints]
        if m.observations.gait_clock_hz > 0:
            self.gait_phase[ids] = rng.random(len(ids))

    def _lift_feet_to_ground(self, ids: np.ndarray, ground_z: np.ndarray) -> None:
        """Shift spawned bodies vertically so the lowest foot starts SPAWN_CLEARANCE above the ground.

        A fixed spawn height with randomized joint angles would start extended legs inside the
        ground, and the penetration blows the contact solver up.
        """
        feet = self.backend.geom_positions(ids, self.built.foot_geoms)
        radius = self.built.model.geom_size[self.built.foot_geoms, 0]
        lowest = np.min(feet[:, :, 2] - radius, axis=1)
        self.backend.qpos[ids, 2] += ground_z + SPAWN_CLEARANCE - lowest

    def _push_steps(self, n: int) -> np.ndarray:
        interval = self.manifest.randomization.push_interval
        if interval <= 0:
            return np.full(n, np.iinfo(np.int64).max // 2, dtype=np.int64)
        return np.maximum(1, np.round(self.rng.exponential(interval, size=n) / self.dt)).astype(np.int64)

    def _tick_commands_and_pushes(self) -> None:
        m = self.manifest
        self.command_timer -= 1
        due = np.flatnonzero(self.command_timer <= 0)
        if len(due):
            self.command[due] = cmds.sample_commands(m.commands, len(due), self.rng)
            self.command_timer[due] = cmds.sample_resample_steps(m.commands, len(due), self.dt, self.rng)
        self.push_timer -= 1
        due = np.flatnonzero(self.push_timer <= 0)
        if len(due):
            self.push(due, rnd.push_velocity(m.randomization, len(due), self.rng))
            self.push_timer[due] = self._push_steps(len(due))

    def push(self, ids: np.ndarray, dv_xy: np.ndarray) -> None:
        """Change the horizontal base velocity (world frame) of envs `ids` by dv_xy (n, 2)."""
        self.backend.qvel[ids, :2] += dv_xy

    # ----------------------------------------------------------- observation
    def obs_inputs(self) -> obs_mod.ObsInputs:
        """Noiseless observation inputs from the current state."""
        b, built = self.backend, self.built
        quat = b.qpos[:, 3:7]
        return obs_mod.ObsInputs(
            base_lin_vel=rotate_inverse(quat, b.qvel[:, :3]),
            base_ang_vel=b.qvel[:, 3:6],
            projected_gravity=rotate_inverse(quat, GRAVITY_DIR),
            command=self.command,
            joint_pos=b.qpos[:, built.qpos_joints] - self.default_joint_pos,
            joint_vel=b.qvel[:, built.dof_joints],
            last_action=self.last_action,
            height_scan=self._height_scan(b.qpos),
            friction=self.friction,
            gait_phase=self._gait_clock(),
        )

    def _gait_clock(self) -> np.ndarray:
        """(N, 2) sin and cos of the gait phase; (N, 0) when the manifest has no gait clock."""
        if self.manifest.observations.gait_clock_hz <= 0:
            return np.zeros((self.num_envs, 0))
        angle = 2.0 * np.pi * self.gait_phase
        return np.stack([np.sin(angle), np.cos(angle)], axis=1)

    def _height_scan(self, qpos: np.ndarray) -> np.ndarray:
        """(N, K) base height above the scan points; (N, 0) on a plane without an actor scan."""
        if self.built.grid is None and not self.manifest.observations.height_scan:
            return np.zeros((self.num_envs, 0))
        yaw = yaw_of(qpos[:, 3:7])
        c, s = np.cos(yaw)[:, None], np.sin(yaw)[:, None]
        px, py = self._scan[:, 0], self._scan[:, 1]
        wx = qpos[:, :1] + c * px - s * py
        wy = qpos[:, 1:2] + s * px + c * py
        return np.clip(qpos[:, 2:3] - self.ground_height(wx, wy), -1.0, 1.0)

    def observe(self) -> dict[str, np.ndarray]:
        """Current observations {'actor', 'critic'}; draws actor noise from the env's generator."""
        return obs_mod.compute(self.manifest.observations, self.obs_inputs(), self.rng)

    def obs_layout(self) -> dict[str, dict[str, slice]]:
        return obs_mod.layout(self.manifest.observations, self.obs_inputs())

    # ------------------------------------------------------------ checkpoint
    def state_dict(self) -> dict:
        """Everything that affects the future: physics, per-env model fields, buffers, RNG, curriculum."""
        ids = np.arange(self.num_envs)
        return {
            "buffers": {k: getattr(self, k).copy() for k in STATE_BUFFERS},
            "book": {
                "length": self.book.length.copy(),
                "ret": self.book.ret.copy(),
                "term_sums": {k: v.copy() for k, v in self.book.term_sums.items()},
            },
            "physics": self.backend.get_state(ids),
            "params": {name: self.backend.param(name).copy() for name in PARAM_FIELDS},
            "rng": copy.deepcopy(self.rng.bit_generator.state),
            "curriculum": None if self.curriculum is None else self.curriculum.state_dict(),
            "nonfinite_resets": self.nonfinite_resets,
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore a state_dict taken from an env of the same manifest and num_envs."""
        for key, value in state["buffers"].items():
            getattr(self, key)[...] = value
        self.book.length[:], self.book.ret[:] = state["book"]["length"], state["book"]["ret"]
        for key, value in state["book"]["term_sums"].items():
            self.book.term_sums[key][:] = value
        ids = np.arange(self.num_envs)
        self.backend.set_state(ids, state["physics"])
        self.backend.set_params(ids, state["params"])
        if self.curriculum is not None:
            self.curriculum.load_state_dict(state["curriculum"])
        self.rng.bit_generator.state = copy.deepcopy(state["rng"])
        self.nonfinite_resets = state["nonfinite_resets"]

    def phase_entropy(self) -> float:
        """Normalised entropy of episode phases across envs (1 = fully desynchronised)."""
        return phase_entropy(self.episode_step, self.max_episode_steps)


def _tracking_error(view: StepView, failed: np.ndarray) -> np.ndarray:
    """(N, 2) planar-velocity and yaw-rate tracking errors; 0 for envs whose state blew up."""
    with np.errstate(invalid="ignore"):
        lin = row_norm(view.command[:, :2] - view.base_lin_vel[:, :2])
        yaw = np.abs(view.command[:, 2] - view.base_ang_vel[:, 2])
    return np.where(failed[:, None], 0.0, np.stack([lin, yaw], axis=1))
