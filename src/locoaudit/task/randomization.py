"""Per-env domain randomization: model parameters, reset states, pushes, actuator delays.

Draws come from a numpy Generator (host arrays) or an arrays.Random (tensors on its device); results
take the kind of the arrays passed in (nominal parameters, spawn origins).
"""

from __future__ import annotations

import numpy as np

from locoaudit.arrays import Array, const, copy, xp, zeros
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
    nominal: dict[str, Array],
    n: int,
    rng,
) -> tuple[dict[str, Array], Array]:
    """Per-env model fields for n envs, and the (n,) foot friction that the critic observes."""
    out = {k: copy(xp(v).broadcast_to(v, (n, *v.shape))) for k, v in nominal.items()}
    friction = rng.uniform(*cfg.friction, size=n)
    out["geom_friction"][:, const(built.foot_geoms, friction, "int"), 0] = friction[:, None]
    base = built.base_body
    out["body_mass"][:, base] += rng.uniform(*cfg.added_base_mass, size=n)
    half = np.asarray(cfg.base_com_offset)
    out["body_ipos"][:, base] += rng.uniform(-half, half, size=(n, 3))
    strength = rng.uniform(*cfg.motor_strength, size=n)[:, None]
    out["actuator_gainprm"][:, :, 0] *= strength
    out["actuator_biasprm"][:, :, 1:3] *= strength[:, :, None]
    out["dof_damping"] *= rng.uniform(*cfg.joint_damping, size=n)[:, None]
    return out, friction


def sample_delays(cfg: RandomizationSection, n: int, decimation: int, rng) -> Array:
    """(n,) action delays in physics steps, at most one policy step."""
    lo, hi = cfg.actuator_delay
    delays = rng.integers(lo, hi + 1, size=n)
    return xp(delays).clip(delays, None, decimation)


def sample_reset_state(manifest: Manifest, built: BuiltModel, origins: Array, rng) -> tuple[Array, Array]:
    """(qpos, qvel) for envs spawning at `origins` (n, 3): random yaw, scaled joint pose, small velocity."""
    cfg, m, n = manifest.randomization, built.model, len(origins)
    qpos = copy(xp(origins).broadcast_to(const(m.qpos0, origins), (n, m.nq)))
    qpos[:, :3] = origins
    qpos[:, 2] += built.robot.spawn_height
    qpos[:, 3:7] = yaw_quat(rng.uniform(-np.pi, np.pi, size=n))
    default = const(built.robot.default_joint_pos, origins)
    qpos[:, built.qpos_joints] = default * rng.uniform(*cfg.init_joint_scale, size=(n, len(default)))
    qvel = zeros((n, m.nv), origins)
    v = cfg.init_base_velocity
    qvel[:, :6] = rng.uniform(-v, v, size=(n, 6))
    return qpos, qvel


def push_velocity(cfg: RandomizationSection, n: int, rng) -> Array:
    """(n, 2) horizontal base-velocity changes with random direction and magnitude up to push_velocity."""
    angle = rng.uniform(-np.pi, np.pi, size=n)
    magnitude = rng.uniform(0.0, cfg.push_velocity, size=n)
    ns = xp(angle)
    return magnitude[:, None] * ns.stack([ns.cos(angle), ns.sin(angle)], axis=1)
