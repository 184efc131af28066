"""Reward terms: plain functions of a StepView returning one value per environment.

The manifest lists terms by name with a weight and keyword parameters; the total reward is
sum(weight * term) (times dt when rewards.scale_by_dt). Penalties have positive values here and
negative weights in the manifest, as in legged_gym and Isaac Lab.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from locoaudit.terms.rowops import row_norm, row_sum
from locoaudit.terms.view import StepView


def track_lin_vel_xy(v: StepView, *, std: float = 0.5) -> np.ndarray:
    """exp(-|v_xy - cmd_xy|^2 / std^2): planar velocity tracking in the body frame."""
    err = row_sum(np.square(v.command[:, :2] - v.base_lin_vel[:, :2]))
    return np.exp(-err / std**2)


def track_ang_vel_z(v: StepView, *, std: float = 0.5) -> np.ndarray:
    """exp(-(w_z - cmd_yaw)^2 / std^2): yaw-rate tracking."""
    err = np.square(v.command[:, 2] - v.base_ang_vel[:, 2])
    return np.exp(-err / std**2)


def lin_vel_z_l2(v: StepView) -> np.ndarray:
    """Squared vertical base velocity."""
    return np.square(v.base_lin_vel[:, 2])


def ang_vel_xy_l2(v: StepView) -> np.ndarray:
    """Squared roll and pitch rates."""
    return row_sum(np.square(v.base_ang_vel[:, :2]))


def joint_torques_l2(v: StepView) -> np.ndarray:
    """Sum of squared actuator torques."""
    return row_sum(np.square(v.joint_torque))


def joint_acc_l2(v: StepView) -> np.ndarray:
    """Sum of squared joint accelerations."""
    return row_sum(np.square(v.joint_acc))


def action_rate_l2(v: StepView) -> np.ndarray:
    """Sum of squared changes of the action between consecutive steps."""
    return row_sum(np.square(v.action - v.last_action))


def feet_air_time(v: StepView, *, threshold: float = 0.5, min_command: float = 0.1) -> np.ndarray:
    """Sum over touchdowns of (air time - threshold), while the planar command exceeds min_command."""
    gain = row_sum((v.foot_air_time - threshold) * v.first_contact)
    return gain * (row_norm(v.command[:, :2]) > min_command)


def feet_air_time_capped(
    v: StepView, *, threshold_min: float = 0.1, threshold_max: float = 0.5, min_command: float = 0.1
) -> np.ndarray:
    """Sum over touchdowns of clip(air time - threshold_min, 0, threshold_max - threshold_min), if moving."""
    gain = row_sum(
        np.clip(v.foot_air_time - threshold_min, 0.0, threshold_max - threshold_min) * v.first_contact
    )
    return gain * (row_norm(v.command[:, :2]) > min_command)


def trot_contacts(v: StepView, *, min_command: float = 0.1) -> np.ndarray:
    """1 where only one diagonal foot pair (FR+RL or FL+RR of feet FR, FL, RR, RL) is down, if moving."""
    c = v.foot_contact
    trot = (c[:, 0] & c[:, 3] & ~c[:, 1] & ~c[:, 2]) | (c[:, 1] & c[:, 2] & ~c[:, 0] & ~c[:, 3])
    return trot * (row_norm(v.command[:, :2]) > min_command)


def trot_clock(v: StepView, *, min_command: float = 0.1) -> np.ndarray:
    """(feet following the clock's trot, FR+RL down in its first half) / 2 - 1, clipped at 0, if moving."""
    first_half = v.gait_phase < 0.5
    stance = np.stack([first_half, ~first_half, ~first_half, first_half], axis=1)  # FR, FL, RR, RL
    follow = (v.foot_contact == stance).sum(axis=1)
    return np.clip(follow / 2.0 - 1.0, 0.0, 1.0) * (row_norm(v.command[:, :2]) > min_command)


def undesired_contacts(v: StepView) -> np.ndarray:
    """Number of undesired-contact bodies touching the ground."""
    return row_sum(v.undesired_contact).astype(np.float64)


def flat_orientation_l2(v: StepView) -> np.ndarray:
    """Squared horizontal components of gravity in the body frame (tilt)."""
    return row_sum(np.square(v.projected_gravity[:, :2]))


def base_height_l2(v: StepView, *, target: float = 0.3) -> np.ndarray:
    """Squared deviation of the terrain-relative base height from target."""
    return np.square(v.base_height - target)


def base_height(v: StepView) -> np.ndarray:
    """Terrain-relative base height itself, uncapped (an exploitable term kept for audits)."""
    return v.base_height.copy()


def joint_pos_limits(v: StepView, *, lower: float = -1e9, upper: float = 1e9) -> np.ndarray:
    """Sum of joint-offset excursions beyond [lower, upper] around the default pose."""
    offset = v.joint_angle - v.default_joint_angle
    return row_sum(np.clip(lower - offset, 0, None) + np.clip(offset - upper, 0, None))


def stand_still(v: StepView, *, min_command: float = 0.1) -> np.ndarray:
    """Joint offsets from the default pose while the planar command is below min_command."""
    still = row_norm(v.command[:, :2]) < min_command
    return row_sum(np.abs(v.joint_angle - v.default_joint_angle)) * still


def termination(v: StepView) -> np.ndarray:
    """1 where the episode failed this step (time-outs excluded)."""
    return v.terminated.astype(np.float64)


REWARDS: dict[str, Callable[..., np.ndarray]] = {
    "track_lin_vel_xy": track_lin_vel_xy,
    "track_ang_vel_z": track_ang_vel_z,
    "lin_vel_z_l2": lin_vel_z_l2,
    "ang_vel_xy_l2": ang_vel_xy_l2,
    "joint_torques_l2": joint_torques_l2,
    "joint_acc_l2": joint_acc_l2,
    "action_rate_l2": action_rate_l2,
    "feet_air_time": feet_air_time,
    "feet_air_time_capped": feet_air_time_capped,
    "trot_contacts": trot_contacts,
    "trot_clock": trot_clock,
    "undesired_contacts": undesired_contacts,
    "flat_orientation_l2": flat_orientation_l2,
    "base_height_l2": base_height_l2,
    "base_height": base_height,
    "joint_pos_limits": joint_pos_limits,
    "stand_still": stand_still,
    "termination": termination,
}
