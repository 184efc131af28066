"""When a log fails, judged by the manifest's own terminations from what a log holds.

A log has the base orientation and the joint angles but no base position. Kinematics place the
robot so that its lowest colliding point (a foot, or a thigh or the trunk when it lies on them)
touches flat ground; from there come the base height (base_too_low) and whether a
termination-contact body such as the trunk touches it there (base_contact). bad_orientation uses
the IMU quaternion.
Terrain under the robot is unknown to a log: the ground is taken as flat.
"""

from __future__ import annotations

import copy

import mujoco
import numpy as np

from locoaudit.manifest import Manifest
from locoaudit.robots.build import GROUND

TOUCH = 1e-3  # [m] a termination-contact body this close to the ground touches it


def kinematic_state(built, quat: np.ndarray, joint_pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T,) base height with the robot's lowest colliding point on the ground, and (T,) bool: a
    termination-contact body (e.g. the trunk) touches the ground there."""
    model = copy.deepcopy(built.model)
    model.geom_margin[:] = TOUCH  # collision detection also reports geoms within TOUCH of the ground
    data = mujoco.MjData(model)
    terminal = np.isin(model.geom_bodyid, _termination_bodies(built))
    radius = model.geom_size[built.foot_geoms, 0]
    height, touch = np.empty(len(quat)), np.zeros(len(quat), dtype=bool)
    for k in range(len(quat)):
        data.qpos[:] = model.qpos0
        data.qpos[:3], data.qpos[3:7], data.qpos[built.qpos_joints] = 0.0, quat[k], joint_pos[k]
        mujoco.mj_kinematics(model, data)
        data.qpos[2] = -np.min(data.geom_xpos[built.foot_geoms, 2] - radius)  # the lowest foot on the ground
        dist = _ground_distances(model, data)
        data.qpos[2] -= min(
            0.0, *dist.values()
        )  # a thigh or the trunk below the feet: lift it onto the ground
        dist = _ground_distances(model, data)
        height[k] = data.qpos[2]
        touch[k] = any(d <= TOUCH for g, d in dist.items() if terminal[g])
    return height, touch


def _ground_distances(model: mujoco.MjModel, data: mujoco.MjData) -> dict[int, float]:
    """Signed distance to the ground of each robot geom within the margin (negative: penetrating)."""
    mujoco.mj_kinematics(model, data)
    mujoco.mj_collision(model, data)
    ground, out = model.geom(GROUND).id, {}
    for c in data.contact[: data.ncon]:
        if ground in (c.geom1, c.geom2):
            other = int(c.geom2 if c.geom1 == ground else c.geom1)
            out[other] = min(out.get(other, np.inf), float(c.dist))
    return out


def _termination_bodies(built) -> list[int]:
    """Bodies whose contact sensors end an episode (the sensors' objects)."""
    model = built.model
    ids = range(built.sensor_termination.start, built.sensor_termination.stop)
    sensors = [i for i in range(model.nsensor) if model.sensor_adr[i] in ids]
    return [int(model.sensor_objid[i]) for i in sensors]


def failure(arrays: dict[str, np.ndarray], manifest: Manifest, built) -> tuple[int, str]:
    """(step, kind) of the first step ending in one of the manifest's terminations, or (-1, '').

    Steps are judged by the state after them (rows 1..T); on a tie the first listed term wins, as in
    the environment.
    """
    terms = manifest.terminations.terms
    quat = arrays["base_quat"]
    x, y = quat[:, 1], quat[:, 2]
    height, touch = kinematic_state(built, quat, arrays["joint_pos"])
    tests = {
        "base_contact": lambda: touch,
        "bad_orientation": lambda: (
            np.arccos(np.clip(1.0 - 2.0 * (x * x + y * y), -1.0, 1.0))
            > terms["bad_orientation"].params["limit_angle"]
        ),
        "base_too_low": lambda: height < terms["base_too_low"].params["min_height"],
    }
    found = []
    for order, name in enumerate(terms):
        if name in tests and tests[name]()[1:].any():
            found.append((int(np.flatnonzero(tests[name]()[1:])[0]), order, name))
    return (min(found)[0], min(found)[2]) if found else (-1, "")
