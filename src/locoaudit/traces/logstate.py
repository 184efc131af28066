"""Put a batch of environments into the initial state of a hardware trace.

The log has joint angles and velocities, the base orientation and angular velocity; it has no base
position or linear velocity. The base starts above the origin at rest (linear velocity 0) with the
logged orientation, lowered so the lowest foot is 1 mm into the ground: stance feet
that the log's float32 angles put a few nm apart all start in contact, rather than a rounding
error deciding which foot touches first.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from locoaudit.manifest import Manifest
from locoaudit.task.env import LocoEnv
from locoaudit.traces import variants

START_PENETRATION = 1e-3  # [m] the lowest foot starts this deep in the ground: all stance feet in contact
NO_RESAMPLE_S = 1e4  # command resample interval that never comes within a replayed log


def reproduce_manifest(m: Manifest, steps: int) -> Manifest:
    """The manifest with episodes longer than the log, no pushes, no observation noise, no resampling."""
    r = dataclasses.replace(m.randomization, push_interval=0.0, push_velocity=0.0)
    zero_noise = {f.name: 0.0 for f in dataclasses.fields(m.observations.noise)}
    obs = dataclasses.replace(m.observations, noise=dataclasses.replace(m.observations.noise, **zero_noise))
    commands = dataclasses.replace(m.commands, resample_time=(NO_RESAMPLE_S, NO_RESAMPLE_S))
    episode = dataclasses.replace(m.episode, length_s=(steps + 2) * m.policy_dt, randomize_start_phase=False)
    return dataclasses.replace(m, randomization=r, observations=obs, commands=commands, episode=episode)


def initial_state(env: LocoEnv, arrays: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(qpos, qvel) of the logged start, base above the origin (height fixed by `start`)."""
    built, model = env.built, env.built.model
    qpos = model.qpos0.copy()
    qpos[2] = built.robot.spawn_height
    qpos[3:7] = arrays["base_quat"][0]
    qpos[built.qpos_joints] = arrays["joint_pos"][0]
    qvel = np.zeros(model.nv)
    qvel[3:6] = arrays["base_gyro"][0]  # free-joint angular velocity is in the body frame, like a gyro
    qvel[built.dof_joints] = arrays["joint_vel"][0]
    return qpos, qvel


def start(env: LocoEnv, arrays: dict[str, np.ndarray], values: dict[str, np.ndarray]) -> None:
    """Every env at the logged start with its variant's parameters; task buffers as if the log went on."""
    ids = np.arange(env.num_envs)
    qpos, qvel = initial_state(env, arrays)
    env.backend.reset(
        ids, np.broadcast_to(qpos, (len(ids), len(qpos))), np.broadcast_to(qvel, (len(ids), len(qvel)))
    )
    feet = env.backend.geom_positions(ids, env.built.foot_geoms)
    radius = env.built.model.geom_size[env.built.foot_geoms, 0]
    env.backend.qpos[ids, 2] -= np.min(feet[:, :, 2] - radius, axis=1) + START_PENETRATION
    variants.apply(env, ids, values)
    env.state.target[:] = arrays["targets"][0]  # what delayed substeps of the first step still apply
    env.state.action[:] = 0.0  # the policy's action before the log is unknown: zero, as after a reset
    env.state.last_action[:] = 0.0
    env.state.command[:] = arrays["commands"][0]
    env.state.episode_step[:] = 0
    env.state.air_time[:] = 0.0
    env.state.last_joint_vel[:] = arrays["joint_vel"][0]
    env.state.start_xy[:] = env.backend.qpos[:, :2]
    env.rewards.book.length[:] = 0
