"""Per-env domain randomization: model parameters, reset states, pushes, actuator delays."""

from __future__ import annotations

import numpy as np

from locoaudit.manifest.schema import Manifest, RandomizationSection
from locoaudit.robots.build import BuiltModel
from locoaudit.task.kinematics import yaw_quat


def nominal_params(built: BuiltModel) -> dict[str, np.ndarray]:
    """The compiled model's values of every randomized field (copies)."""
    m = built.model
    return {
        "geom_friction": m.geom_friction.copy(),
        "body_mass": m.body_mass.copy(),
        "body_ipos": m.body_ipos.copy(),
        "actuator_gainprm": m.actuator_gainprm.copy(),
        "actuator_biasprm": m.actuator_biasprm.copy(),
        "dof_damping": m.dof_damping.copy(),
    }


def sample_params(
    cfg: RandomizationSection,
    built: BuiltModel,
    nominal: dict[str, np.ndarray],
    n: int,
    rng: np.random.Generator,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Per-env model fields for n envs, and the (n,) foot friction that the critic observes."""
    out = {k: np.broadcast_to(v, (n, *v.shape)).copy() for k, v in nominal.items()}
    friction = rng.uniform(*cfg.friction, size=n)
    out["geom_friction"][:, built.foot_geoms, 0] = friction[:, None]
    base = built.base_body
    out["body_mass"][:, base] += rng.uniform(*cfg.added_base_mass, size=n)
    half = np.asarray(cfg.base_com_offset)
    out["body_ipos"][:, base] += rng.uniform(-half, half, size=(n, 3))
    strength = rng.uniform(*cfg.motor_strength, size=n)[:, None]
    out["actuator_gainprm"][:, :, 0] *= strength
    out["actuator_biasprm"][:, :, 1:3] *= strength[:, :, None]
    out["dof_damping"] *= rng.uniform(*cfg.joint_damping, size=n)[:, None]
    return out, friction


def sample_delays(cfg: RandomizationSection, n: int, decimation: int, rng: np.random.Generator) -> np.ndarray:
    """(n,) action delays in physics steps, at most one policy step."""
    lo, hi = cfg.actuator_delay
    return np.minimum(rng.integers(lo, hi + 1, size=n), decimation)


def sample_reset_state(
    manifest: Manifest, built: BuiltModel, origins: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(qpos, qvel) for envs spawning at `origins` (n, 3): random yaw, scaled joint pose, small velocity."""
    cfg, m, n = manifest.randomization, built.model, len(origins)
    qpos = np.broadcast_to(m.qpos0, (n, m.nq)).copy()
    qpos[:, :3] = origins + np.array([0.0, 0.0, built.robot.spawn_height])
    qpos[:, 3:7] = yaw_quat(rng.uniform(-np.pi, np.pi, size=n))
    default = np.asarray(built.robot.default_joint_pos)
    qpos[:, built.qpos_joints] = default * rng.uniform(*cfg.init_joint_scale, size=(n, len(default)))
    qvel = np.zeros((n, m.nv))
    v = cfg.init_base_velocity
    qvel[:, :6] = rng.uniform(-v, v, size=(n, 6))
    return qpos, qvel


def push_velocity(cfg: RandomizationSection, n: int, rng: np.random.Generator) -> np.ndarray:
    """(n, 2) horizontal base-velocity changes with random direction and magnitude up to push_velocity."""
    angle = rng.uniform(-np.pi, np.pi, size=n)
    magnitude = rng.uniform(0.0, cfg.push_velocity, size=n)
    return magnitude[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
