"""Vectorised quaternion helpers (MuJoCo order w, x, y, z)."""

from __future__ import annotations

import numpy as np


def rotate_inverse(quat: np.ndarray, vec: np.ndarray) -> np.ndarray:
    """Express world vectors in the body frame: R(quat)^T vec. Shapes (N, 4), (N, 3) or (3,) -> (N, 3)."""
    w, q = quat[:, :1], quat[:, 1:]
    vec = np.broadcast_to(vec, q.shape)
    t = 2.0 * np.cross(q, vec)
    return vec - w * t + np.cross(q, t)


def yaw_of(quat: np.ndarray) -> np.ndarray:
    """Heading angle [rad] of each quaternion, (N, 4) -> (N,)."""
    w, x, y, z = quat.T
    return np.arctan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))


def yaw_quat(yaw: np.ndarray) -> np.ndarray:
    """Quaternions of pure rotations about z, (N,) -> (N, 4)."""
    out = np.zeros((len(yaw), 4))
    out[:, 0], out[:, 3] = np.cos(yaw / 2), np.sin(yaw / 2)
    return out
