"""The batched velocity-tracking environment (`vecenv.py` adapts it to rsl-rl).

State: the physics lives in the backend, the per-env task buffers in one TaskState (`env.state`),
the running episode sums in the RewardManager (`env.rewards`). `step` (see its docstring for the
order) returns a StepResult that carries the step's StepView.

Arrays take the backend's kind (see `locoaudit.arrays`): numpy float64 on MuJoCo C (and on MuJoCo
Warp with host mirrors), torch float32 on the simulator's device for MuJoCo Warp with
`on_device=True`, where observations, rewards and resets never leave the device. Randomness comes
from one generator seeded by the caller: a `numpy.random.Generator`, or an `arrays.Random` on the
device. Checkpoints (`state_dict`) are host numpy either way.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import torch

from locoaudit.arrays import (
    Array,
    Random,
    arange,
    assign,
    like,
    nonzero,
    norm_rows,
    rng_state,
    set_rng_state,
    to_numpy,
    xp,
    zeros,
)
from locoaudit.arrays import copy as copy_array
from locoaudit.manifest.schema import Manifest
from locoaudit.robots.build import BuiltModel, build_model
from locoaudit.sim.backend import Backend
from locoaudit.sim.mujoco_cpu import PARAM_FIELDS, MujocoCpuBackend
from locoaudit.task import commands as cmds
from locoaudit.task import observations as obs_mod
from locoaudit.task import randomization as rnd
from locoaudit.task.episodes import EndedEpisodes, phase_entropy
from locoaudit.task.kinematics import rotate_inverse, yaw_of
from locoaudit.task.managers import RewardManager, TerminationManager
from locoaudit.task.state import TaskState
from locoaudit.terms.rowops import row_norm
from locoaudit.terms.terminations import TIME_OUT
from locoaudit.terms.view import StepView
from locoaudit.terrain import Curriculum

GRAVITY_DIR = np.array([0.0, 0.0, -1.0])
SPAWN_CLEARANCE = 0.02  # lowest foot above the ground at reset [m]


# Builds another physics engine for a compiled model: (built model, num_envs) -> Backend.
BackendFactory = Callable[[BuiltModel, int], Backend]


def _normal_tensors(method):
    """Run `method` with torch's inference mode off: the env's tensors are state that outlives the call.

    Training steps under torch.inference_mode, where new tensors become inference tensors, and those
    refuse in-place writes outside it (a rewind, a resume, an evaluation step). The env never needs
    gradients, so normal tensors cost it nothing.
    """

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with torch.inference_mode(False):
            return method(*args, **kwargs)

    return wrapper


@dataclass(frozen=True)
class StepResult:
    obs: dict[str, Array]  # 'actor' (N, A), 'critic' (N, C) float32
    reward: Array  # (N,)
    terminated: Array  # (N,) bool: failure (time-outs excluded)
    time_out: Array  # (N,) bool: episode length reached without failure
    contributions: dict[str, Array]  # term -> (N,) weighted contribution to this step's reward
    tracking_error: Array  # (N, 2): |cmd_xy - v_xy| [m/s] and |cmd_yaw - w_z| [rad/s] in this step
    ended: EndedEpisodes  # episodes that ended in this step (possibly none)
    view: StepView | None = None  # the state the step ended in, before resets, as the terms saw it


class LocoEnv:
    """N environments of one manifest, on the manifest's backend (sim.backend) or another engine's."""

    def __init__(
        self,
        manifest: Manifest,
        num_envs: int,
        seed: int,
        threads: int | None = None,
        backend: BackendFactory | None = None,
        sim_device: str = "cpu",
        on_device: bool = False,
    ):
        """sim_device: where MuJoCo Warp runs (sim.backend = warp). on_device: with Warp, the task runs on
        torch tensors on that device (training); otherwise on host numpy mirrors (evaluation, traces)."""
        if num_envs <= 0:
            raise ValueError(f"num_envs must be positive, got {num_envs}")
        self.manifest, self.num_envs, self.seed = manifest, num_envs, seed
        self.built: BuiltModel = build_model(manifest)
        nthread = manifest.sim.threads if threads is None else threads
        if backend is None and manifest.sim.backend == "warp":  # sim_device: where Warp runs
            from locoaudit.sim.mjwarp import MujocoWarpBackend

            arrays = "torch" if on_device else "numpy"
            self.backend = MujocoWarpBackend(self.built.model, num_envs, sim_device, arrays)
        elif backend is None:
            self.backend = MujocoCpuBackend(self.built.model, num_envs, nthread)
        else:  # another engine for the same model (transfer evaluation)
            self.backend = backend(self.built, num_envs)
        self._ref = ref = self.backend.qpos  # the array kind, device and float type of the task
        self.rng = np.random.default_rng(seed) if isinstance(ref, np.ndarray) else Random(seed, ref.device)
        self.dt = manifest.policy_dt
        self.max_episode_steps = manifest.max_episode_steps
        self.num_actions = len(self.built.actuators)
        self.default_joint_pos = np.asarray(self.built.robot.default_joint_pos)
        self._consts = _constants(self.built, manifest, ref)
        self._nominal = {k: like(v, ref) for k, v in rnd.nominal_params(self.built).items()}
        self.curriculum = self._make_curriculum()
        self.rewards = RewardManager(manifest.rewards, self.dt, num_envs, ref)
        self.terminations = TerminationManager(manifest.terminations.terms)
        self.state = TaskState.zeros(num_envs, self.default_joint_pos, len(self.built.foot_geoms), ref)
        self._nonfinite = zeros((), ref, "int")  # see nonfinite_resets
        self.reset_all()

    @property
    def nonfinite_resets(self) -> int:
        """Envs reset because their physics state blew up, since construction (or the checkpoint's run)."""
        return int(to_numpy(self._nonfinite))

    # ----------------------------------------------------------------- setup
    def _make_curriculum(self) -> Curriculum | None:
        t = self.manifest.terrain
        if self.built.grid is None:
            return None
        return Curriculum(self.built.grid, self.num_envs, t.max_init_level if t.curriculum else 0, self.rng)

    @_normal_tensors
    def reset_all(self) -> dict[str, np.ndarray]:
        """Reset every env; with randomize_start_phase, envs start at random points of their episode."""
        self._reset(arange(self.num_envs, self._ref))
        if self.manifest.episode.randomize_start_phase:
            self.state.episode_step[:] = self.rng.integers(0, self.max_episode_steps, size=self.num_envs)
        return self.observe()

    # ------------------------------------------------------------------ step
    @_normal_tensors
    def step(self, action: np.ndarray) -> StepResult:
        """Advance all envs by one policy step with actions (N, J). In this order:

        1. Clip the actions; turn them into joint targets, held over the substeps after each env's delay.
        2. Step the physics `decimation` substeps; envs whose state became non-finite are counted
           (`nonfinite_resets`) and marked failed.
        3. Advance the feet's air time and note touchdowns.
        4. Build the StepView of the state the step ended in.
        5. Terminations: named reasons (the first listed wins; non-finite overrides); time-outs apart.
        6. Rewards: weighted terms (zero for failed envs), added to the episode sums; tracking errors.
        7. Bookkeeping: last joint velocity and action, gait clock phase, episode step + 1.
        8. Reset the envs whose episode ended (terrain curriculum first); their sums become `ended`.
        9. Resample due commands, apply due pushes; observe (actor noise drawn here).
        """
        s, c = self.state, self._consts
        clip = self.manifest.robot.action_clip
        action = like(action, self._ref)
        s.action = xp(action).clip(action, -clip, clip)
        failed = self._simulate()
        self._nonfinite += failed.sum()
        contact = self.backend.sensordata[:, c.sensor_feet] > 0
        air_time, first_contact = self._advance_air_time(contact)
        view = self._view(contact, air_time, first_contact)
        terminated, reasons = self.terminations.compute(view, failed)
        time_out = (s.episode_step + 1 >= self.max_episode_steps) & ~terminated
        view = view.with_terminated(terminated)
        reward, contributions = self.rewards.compute(view, failed)
        tracking = _tracking_error(view, failed)
        s.last_joint_vel = view.joint_vel
        s.gait_phase = (s.gait_phase + self.manifest.observations.gait_clock_hz * self.dt) % 1.0
        s.episode_step += 1
        s.last_action = s.action
        ended = self._finish_episodes(terminated | time_out, reasons, time_out)
        self._tick_commands_and_pushes()
        obs = self.observe()
        return StepResult(obs, reward, terminated, time_out, contributions, tracking, ended, view)

    def _simulate(self) -> np.ndarray:
        """Apply joint targets with per-env delays over the substeps; returns the unstable mask."""
        s, c = self.state, self._consts
        new_target = c.default + self.manifest.robot.action_scale * s.action
        dec = self.manifest.sim.decimation
        delayed = (arange(dec, self._ref)[None, :] < s.delay[:, None])[:, :, None]
        control = zeros((self.num_envs, dec, self.built.model.nu), self._ref)
        control[:, :, c.actuators] = xp(delayed).where(delayed, s.target[:, None, :], new_target[:, None, :])
        s.target = new_target
        return self.backend.step(control)

    def _advance_air_time(self, contact: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Add dt to every foot's air time; returns (air time before touchdowns, touchdown mask).

        A touchdown is contact after more than one step in the air; feet in contact restart at 0.
        """
        air = self.state.air_time
        air += self.dt
        first_contact = contact & (air > self.dt)
        before = copy_array(air)
        air[contact] = 0.0
        return before, first_contact

    def _view(self, contact: np.ndarray, air_time: np.ndarray, first_contact: np.ndarray) -> StepView:
        """The read-only view the terms get of the state the physics ended in (no side effects)."""
        b, c, s = self.backend, self._consts, self.state
        qpos, qvel = b.qpos, b.qvel
        quat = qpos[:, 3:7]
        sensors = b.sensordata
        joint_vel = qvel[:, c.dof_joints]
        return StepView(
            dt=self.dt,
            command=s.command,
            base_lin_vel=rotate_inverse(quat, qvel[:, :3]),
            base_ang_vel=copy_array(qvel[:, 3:6]),
            projected_gravity=rotate_inverse(quat, c.gravity),
            base_height=qpos[:, 2] - self.ground_height(qpos[:, 0], qpos[:, 1]),
            joint_angle=qpos[:, c.qpos_joints],
            joint_vel=joint_vel,
            joint_acc=(joint_vel - s.last_joint_vel) / self.dt,
            joint_torque=b.actuator_force[:, c.actuators],
            default_joint_angle=c.default,
            action=s.action,
            last_action=s.last_action,
            foot_contact=contact,
            foot_air_time=air_time,
            first_contact=first_contact,
            undesired_contact=sensors[:, c.sensor_undesired] > 0,
            termination_contact=sensors[:, c.sensor_termination] > 0,
            qpos=copy_array(qpos),
            gait_phase=copy_array(s.gait_phase),
            terminated=zeros(self.num_envs, self._ref, "bool"),
        )

    def ground_height(self, x: Array, y: Array) -> Array:
        """Terrain height under world points (zeros on a plane)."""
        grid = self.built.grid
        return zeros(xp(x).broadcast_shapes(x.shape, y.shape), x) if grid is None else grid.height_at(x, y)

    def _finish_episodes(self, done: Array, code: Array, time_out: Array) -> EndedEpisodes:
        """Log and reset the envs whose episode ended; code: termination reason codes (time-outs added)."""
        ids = nonzero(done)
        names = (*self.terminations.names, TIME_OUT)
        code = copy_array(code)
        code[time_out] = len(names) - 1
        xy = xp(done).nan_to_num(self.backend.qpos[ids, :2])
        ended = self.rewards.reset(ids, code[ids], names, xy)
        if self.curriculum is not None and len(ids) and self.manifest.terrain.curriculum:
            walked = norm_rows(xy - self.state.start_xy[ids])
            commanded = norm_rows(self.state.command[ids, :2]) * ended.length * self.dt
            self.curriculum.update(ids, walked, commanded)
        self._reset(ids)
        return ended

    # ----------------------------------------------------------------- reset
    def _reset(self, ids: Array) -> None:
        if len(ids) == 0:
            return
        m, rng, s = self.manifest, self.rng, self.state
        if self.curriculum is not None:
            origins = self.curriculum.origins(ids)
        else:
            origins = zeros((len(ids), 3), self._ref)
        qpos, qvel = rnd.sample_reset_state(m, self.built, origins, rng)
        self.backend.reset(ids, qpos, qvel)
        self._lift_feet_to_ground(ids, origins[:, 2])
        params, friction = rnd.sample_params(m.randomization, self.built, self._nominal, len(ids), rng)
        self.backend.set_params(ids, params)
        s.friction[ids] = friction
        s.delay[ids] = rnd.sample_delays(m.randomization, len(ids), m.sim.decimation, rng)
        s.command[ids] = cmds.sample_commands(m.commands, len(ids), rng)
        s.command_timer[ids] = cmds.sample_resample_steps(m.commands, len(ids), self.dt, rng)
        s.push_timer[ids] = self._push_steps(len(ids))
        s.start_xy[ids] = qpos[:, :2]
        s.episode_step[ids] = 0
        s.action[ids] = 0.0
        s.last_action[ids] = 0.0
        s.target[ids] = self._consts.default
        s.air_time[ids] = 0.0
        s.last_joint_vel[ids] = qvel[:, self._consts.dof_joints]

    def _lift_feet_to_ground(self, ids: Array, ground_z: Array) -> None:
        """Shift spawned bodies vertically so the lowest foot starts SPAWN_CLEARANCE above the ground.

        A fixed spawn height with randomized joint angles would start extended legs inside the
        ground, and the penetration blows the contact solver up.
        """
        feet = self.backend.geom_positions(ids, self._consts.foot_geoms)
        lowest = xp(feet).amin(feet[:, :, 2] - self._consts.foot_radius, axis=1)
        self.backend.qpos[ids, 2] += ground_z + SPAWN_CLEARANCE - lowest

    def _push_steps(self, n: int) -> Array:
        interval = self.manifest.randomization.push_interval
        if interval <= 0:
            return zeros(n, self._ref, "int") + np.iinfo(np.int64).max // 2
        return cmds.steps_of(self.rng.exponential(interval, size=n), self.dt)

    def _tick_commands_and_pushes(self) -> None:
        m, s = self.manifest, self.state
        s.command_timer -= 1
        due = nonzero(s.command_timer <= 0)
        if len(due):
            s.command[due] = cmds.sample_commands(m.commands, len(due), self.rng)
            s.command_timer[due] = cmds.sample_resample_steps(m.commands, len(due), self.dt, self.rng)
        s.push_timer -= 1
        due = nonzero(s.push_timer <= 0)
        if len(due):
            self.push(due, rnd.push_velocity(m.randomization, len(due), self.rng))
            s.push_timer[due] = self._push_steps(len(due))

    def push(self, ids: Array, dv_xy: Array) -> None:
        """Change the horizontal base velocity (world frame) of envs `ids` by dv_xy (n, 2)."""
        self.backend.qvel[ids, :2] += dv_xy

    # ----------------------------------------------------------- observation
    def obs_inputs(self) -> obs_mod.ObsInputs:
        """Noiseless observation inputs from the current state."""
        b, c = self.backend, self._consts
        quat = b.qpos[:, 3:7]
        return obs_mod.ObsInputs(
            base_lin_vel=rotate_inverse(quat, b.qvel[:, :3]),
            base_ang_vel=b.qvel[:, 3:6],
            projected_gravity=rotate_inverse(quat, c.gravity),
            command=self.state.command,
            joint_pos=b.qpos[:, c.qpos_joints] - c.default,
            joint_vel=b.qvel[:, c.dof_joints],
            last_action=self.state.last_action,
            height_scan=self._height_scan(b.qpos),
            friction=self.state.friction,
            gait_phase=self._gait_clock(),
        )

    def _gait_clock(self) -> Array:
        """(N, 2) sin and cos of the gait phase; (N, 0) when the manifest has no gait clock."""
        if self.manifest.observations.gait_clock_hz <= 0:
            return zeros((self.num_envs, 0), self._ref)
        ns, angle = xp(self._ref), 2.0 * np.pi * self.state.gait_phase
        return ns.stack([ns.sin(angle), ns.cos(angle)], axis=1)

    def _height_scan(self, qpos: Array) -> Array:
        """(N, K) base height above the scan points; (N, 0) on a plane without an actor scan."""
        if self.built.grid is None and not self.manifest.observations.height_scan:
            return zeros((self.num_envs, 0), self._ref)
        ns, yaw = xp(qpos), yaw_of(qpos[:, 3:7])
        c, s = ns.cos(yaw)[:, None], ns.sin(yaw)[:, None]
        px, py = self._consts.scan[:, 0], self._consts.scan[:, 1]
        wx = qpos[:, :1] + c * px - s * py
        wy = qpos[:, 1:2] + s * px + c * py
        return ns.clip(qpos[:, 2:3] - self.ground_height(wx, wy), -1.0, 1.0)

    def observe(self) -> dict[str, Array]:
        """Current observations {'actor', 'critic'}; draws actor noise from the env's generator."""
        return obs_mod.compute(self.manifest.observations, self.obs_inputs(), self.rng)

    def obs_layout(self) -> dict[str, dict[str, slice]]:
        return obs_mod.layout(self.manifest.observations, self.obs_inputs())

    # ------------------------------------------------------------ checkpoint
    def state_dict(self) -> dict:
        """Everything that affects the future, on the host: physics, model fields, buffers, RNG, terrain."""
        ids = arange(self.num_envs, self._ref)
        host = lambda a: np.array(to_numpy(a), dtype=np.float64)  # noqa: E731 (a copy, either kind)
        return {
            "buffers": self.state.arrays(),
            "book": self.rewards.state_dict(),
            "physics": host(self.backend.get_state(ids)),
            "params": {name: host(self.backend.param(name)) for name in PARAM_FIELDS},
            "rng": rng_state(self.rng),
            "curriculum": None if self.curriculum is None else self.curriculum.state_dict(),
            "nonfinite_resets": self.nonfinite_resets,
        }

    @_normal_tensors
    def load_state_dict(self, state: dict) -> None:
        """Restore a state_dict taken from an env of the same manifest and num_envs (on any backend).

        A random state of the other kind (numpy Generator or device generator) reseeds this env's
        generator from a hash of it: the run goes on deterministically, on another random stream.
        """
        self.state.load(state["buffers"])
        self.rewards.load_state_dict(state["book"])
        ids = arange(self.num_envs, self._ref)
        self.backend.set_state(ids, state["physics"])
        self.backend.set_params(ids, {k: like(v, self._ref) for k, v in state["params"].items()})
        self._load_rng(state["rng"])
        if self.curriculum is not None:  # the curriculum draws from the env's generator
            self.curriculum.rng = self.rng
            self.curriculum.load_state_dict({**state["curriculum"], "rng_state": rng_state(self.rng)})
        assign(self._nonfinite, (), state["nonfinite_resets"])

    def _load_rng(self, state) -> None:
        numpy_state = isinstance(state, dict)  # numpy's state is a dict, a Random's a byte array
        if numpy_state == isinstance(self.rng, np.random.Generator):
            set_rng_state(self.rng, state)
        else:
            text = repr(state if numpy_state else to_numpy(state).tolist())
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little") >> 1
            kind = np.random.default_rng if isinstance(self.rng, np.random.Generator) else None
            self.rng = kind(seed) if kind else Random(seed, self._ref.device)

    def phase_entropy(self) -> float:
        """Normalised entropy of episode phases across envs (1 = fully desynchronised)."""
        return phase_entropy(to_numpy(self.state.episode_step), self.max_episode_steps)


def _constants(built: BuiltModel, manifest: Manifest, ref: Array) -> SimpleNamespace:
    """Per-step constants in the task's array kind: indices and vectors made once, never uploaded per step."""
    index = lambda a: a if isinstance(a, slice) else like(a, ref, "int")  # noqa: E731
    return SimpleNamespace(
        default=like(built.robot.default_joint_pos, ref),
        gravity=like(GRAVITY_DIR, ref),
        scan=like(obs_mod.scan_points(manifest.observations), ref),
        foot_radius=like(built.model.geom_size[built.foot_geoms, 0], ref),
        **{
            name: index(getattr(built, name))
            for name in ("sensor_feet", "sensor_undesired", "sensor_termination", "qpos_joints", "dof_joints")
        },
        actuators=index(built.actuators),
        foot_geoms=index(built.foot_geoms),
    )


def _tracking_error(view: StepView, failed: Array) -> Array:
    """(N, 2) planar-velocity and yaw-rate tracking errors; 0 for envs whose state blew up."""
    ns = xp(failed)
    with np.errstate(invalid="ignore"):
        lin = row_norm(view.command[:, :2] - view.base_lin_vel[:, :2])
        yaw = ns.abs(view.command[:, 2] - view.base_ang_vel[:, 2])
    return ns.where(failed[:, None], 0.0, ns.stack([lin, yaw], axis=1))
