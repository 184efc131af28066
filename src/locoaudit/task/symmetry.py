"""Left-right mirror maps of a legged robot's joints, observations and actions, for PPO symmetry.

Mirroring reflects the robot across its sagittal (base x-z) plane, M = diag(1, -1, 1). A joint's
counterpart is the joint whose name differs by left <-> right ("FR_hip" <-> "FL_hip", "left" <->
"right"); a joint without one mirrors onto itself. Reflection maps a rotation by q about axis a to
a rotation by -q about M a, so the mirrored angle of a joint is sign * q(counterpart) with
sign = -(b . M a), b the counterpart's axis in the base frame at the default pose. Vectors in the
base frame mirror as (x, -y, z), angular velocities (pseudovectors) as (-x, y, -z), and the
command (vx, vy, yaw rate) as (vx, -vy, -yaw).
"""

from __future__ import annotations

from dataclasses import dataclass

import mujoco
import numpy as np
import torch

from locoaudit.robots.build import BuiltModel

REFLECT = np.array([1.0, -1.0, 1.0])
TERM_SIGNS = {  # per-component signs of 3-vector observation terms under the mirror
    "base_lin_vel": (1.0, -1.0, 1.0),
    "projected_gravity": (1.0, -1.0, 1.0),
    "base_ang_vel": (-1.0, 1.0, -1.0),
    "command": (1.0, -1.0, -1.0),
    "gait_phase": (-1.0, -1.0),  # the mirror image trots on the other diagonal: half a period later
}
JOINT_TERMS = ("joint_pos", "joint_vel", "last_action")
SIDE_SWAP = {"L": "R", "R": "L", "left": "right", "right": "left", "Left": "Right", "Right": "Left"}


def mirror_name(name: str) -> str:
    """The name with its side swapped: a token 'left'/'right', or a short leg code ending in L/R."""
    tokens = name.split("_")
    for i, token in enumerate(tokens):
        if token in SIDE_SWAP:
            return "_".join([*tokens[:i], SIDE_SWAP[token], *tokens[i + 1 :]])
        if 2 <= len(token) <= 3 and token.isupper() and token[-1] in "LR":
            return "_".join([*tokens[:i], token[:-1] + SIDE_SWAP[token[-1]], *tokens[i + 1 :]])
    return name


def joint_mirror(built: BuiltModel) -> tuple[np.ndarray, np.ndarray]:
    """(perm, sign) over the actuated joints: mirrored q[i] = sign[i] * q[perm[i]]."""
    model, names = built.model, list(built.robot.joints)
    data = mujoco.MjData(model)
    data.qpos[built.qpos_joints] = built.robot.default_joint_pos
    mujoco.mj_kinematics(model, data)
    base_rot = data.xmat[built.base_body].reshape(3, 3)
    perm, sign = np.zeros(len(names), dtype=np.int64), np.zeros(len(names))
    for i, name in enumerate(names):
        other = mirror_name(name)
        if other not in names:
            raise ValueError(f"joint {name!r}: no mirror counterpart {other!r} among the actuated joints")
        j = names.index(other)
        a = base_rot.T @ data.xaxis[model.joint(name).id]
        b = base_rot.T @ data.xaxis[model.joint(other).id]
        dot = float(b @ (REFLECT * a))
        if abs(abs(dot) - 1.0) > 1e-6:
            raise ValueError(f"joint {name!r}: axis of {other!r} is not its mirror image (dot {dot:.3f})")
        perm[i], sign[i] = j, -np.sign(dot)
    return perm, sign


def scan_mirror(points: np.ndarray) -> np.ndarray:
    """Index of the point (x, -y) for each scan point (x, y) of a y-symmetric grid, shape (K,)."""
    mirrored = points * np.array([1.0, -1.0])
    dist = np.abs(points[None, :, :] - mirrored[:, None, :]).sum(axis=2)
    index = dist.argmin(axis=1)
    if len(points) and dist[np.arange(len(points)), index].max() > 1e-9:
        raise ValueError("height-scan grid is not symmetric in y")
    return index


@dataclass(frozen=True)
class Mirror:
    """Index-and-sign maps: mirrored x = x[..., index] * sign, for actions and each observation group."""

    action_index: np.ndarray  # (J,)
    action_sign: np.ndarray  # (J,)
    obs: dict[str, tuple[np.ndarray, np.ndarray]]  # group -> (index (D,), sign (D,))

    def actions(self, a):
        """Mirrored actions (numpy or torch, last axis J)."""
        return _apply(a, self.action_index, self.action_sign)

    def observations(self, group: str, o):
        """Mirrored observations of one group (numpy or torch, last axis D)."""
        index, sign = self.obs[group]
        return _apply(o, index, sign)

    def augment(self, env=None, obs=None, actions=None):
        """rsl-rl-lib's data_augmentation_func: originals followed by their mirror images."""
        if obs is not None:
            mirrored = obs.clone()
            for group, value in obs.items():
                mirrored[group] = self.observations(group, value)
            obs = torch.cat([obs, mirrored], dim=0)
        if actions is not None:
            actions = torch.cat([actions, self.actions(actions)], dim=0)
        return obs, actions


def _apply(x, index: np.ndarray, sign: np.ndarray):
    if isinstance(x, torch.Tensor):
        i = torch.as_tensor(index, device=x.device)
        return x[..., i] * torch.as_tensor(sign, dtype=x.dtype, device=x.device)
    return x[..., index] * sign


def build_mirror(built: BuiltModel, layout: dict[str, dict[str, slice]], scan_points: np.ndarray) -> Mirror:
    """The mirror maps for a built model and an observation layout (see task.observations.layout)."""
    perm, sign = joint_mirror(built)
    scan = scan_mirror(scan_points)
    groups = {}
    for group, slices in layout.items():
        width = max((s.stop for s in slices.values()), default=0)
        index, signs = np.arange(width), np.ones(width)
        for term, sl in slices.items():
            local = np.arange(sl.stop - sl.start)
            if term in TERM_SIGNS and len(local):
                signs[sl] = TERM_SIGNS[term]
            elif term in JOINT_TERMS:
                index[sl], signs[sl] = sl.start + perm, sign
            elif term == "height_scan" and len(local):
                index[sl] = sl.start + scan[local]
        groups[group] = (index, signs)
    return Mirror(perm, sign, groups)


def mirror_physics_state(
    built: BuiltModel, qpos: np.ndarray, qvel: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Mirror (..., nq) positions and (..., nv) velocities of a floating-base robot on flat ground."""
    perm, sign = joint_mirror(built)
    qp, qv = qpos.copy(), qvel.copy()
    qp[..., 1] = -qpos[..., 1]
    qp[..., 3:7] = qpos[..., 3:7] * np.array([1.0, -1.0, 1.0, -1.0])  # (w, x, y, z) -> (w, -x, y, -z)
    qv[..., :3] = qvel[..., :3] * REFLECT
    qv[..., 3:6] = qvel[..., 3:6] * np.array([-1.0, 1.0, -1.0])
    qp[..., built.qpos_joints] = qpos[..., built.qpos_joints[perm]] * sign
    qv[..., built.dof_joints] = qvel[..., built.dof_joints[perm]] * sign
    return qp, qv
