"""Vectorised quaternion helpers (MuJoCo order w, x, y, z), for numpy arrays or torch tensors."""

from __future__ import annotations

from locoaudit.arrays import Array, cross, xp, zeros


def rotate_inverse(quat: Array, vec: Array) -> Array:
    """Express world vectors in the body frame: R(quat)^T vec. Shapes (N, 4), (N, 3) or (3,) -> (N, 3)."""
    w, q = quat[:, :1], quat[:, 1:]
    vec = xp(q).broadcast_to(vec, q.shape)
    t = 2.0 * cross(q, vec)
    return vec - w * t + cross(q, t)


def yaw_of(quat: Array) -> Array:
    """Heading angle [rad] of each quaternion, (N, 4) -> (N,)."""
    w, x, y, z = quat.T
    return xp(quat).arctan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))


def yaw_quat(yaw: Array) -> Array:
    """Quaternions of pure rotations about z, (N,) -> (N, 4)."""
    ns = xp(yaw)
    out = zeros((len(yaw), 4), yaw)
    out[:, 0], out[:, 3] = ns.cos(yaw / 2), ns.sin(yaw / 2)
    return out
