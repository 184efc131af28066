"""Reward terms: plain functions of a StepView returning one value per environment.

Terms take the array namespace from the view (`xp`): numpy on MuJoCo C, torch on the device.
The manifest lists terms by name with a weight and keyword parameters; the total reward is
sum(weight * term) (times dt when rewards.scale_by_dt). Penalties have positive values here and
negative weights in the manifest, as in legged_gym and Isaac Lab.
"""

from __future__ import annotations

from collections.abc import Callable

from locoaudit.arrays import Array, astype, copy, xp
from locoaudit.terms.rowops import row_norm, row_sum
from locoaudit.terms.view import StepView


def track_lin_vel_xy(v: StepView, *, std: float = 0.5) -> Array:
    """exp(-|v_xy - cmd_xy|^2 / std^2): planar velocity tracking in the body frame."""
    ns = xp(v.command)
    err = row_sum(ns.square(v.command[:, :2] - v.base_lin_vel[:, :2]))
    return ns.exp(-err / std**2)


def track_ang_vel_z(v: StepView, *, std: float = 0.5) -> Array:
    """exp(-(w_z - cmd_yaw)^2 / std^2): yaw-rate tracking."""
    ns = xp(v.command)
    err = ns.square(v.command[:, 2] - v.base_ang_vel[:, 2])
    return ns.exp(-err / std**2)


def lin_vel_z_l2(v: StepView) -> Array:
    """Squared vertical base velocity."""
    return xp(v.base_lin_vel).square(v.base_lin_vel[:, 2])


def ang_vel_xy_l2(v: StepView) -> Array:
    """Squared roll and pitch rates."""
    return row_sum(xp(v.base_ang_vel).square(v.base_ang_vel[:, :2]))


def joint_torques_l2(v: StepView) -> Array:
    """Sum of squared actuator torques."""
    return row_sum(xp(v.joint_torque).square(v.joint_torque))


def joint_acc_l2(v: StepView) -> Array:
    """Sum of squared joint accelerations."""
    return row_sum(xp(v.joint_acc).square(v.joint_acc))


def action_rate_l2(v: StepView) -> Array:
    """Sum of squared changes of the action between consecutive steps."""
    return row_sum(xp(v.action).square(v.action - v.last_action))


def feet_air_time(v: StepView, *, threshold: float = 0.5, min_command: float = 0.1) -> Array:
    """Sum over touchdowns of (air time - threshold), while the planar command exceeds min_command."""
    gain = row_sum((v.foot_air_time - threshold) * v.first_contact)
    return gain * (row_norm(v.command[:, :2]) > min_command)


def feet_air_time_capped(
    v: StepView, *, threshold_min: float = 0.1, threshold_max: float = 0.5, min_command: float = 0.1
) -> Array:
    """Sum over touchdowns of clip(air time - threshold_min, 0, threshold_max - threshold_min), if moving."""
    ns = xp(v.foot_air_time)
    gain = row_sum(
        ns.clip(v.foot_air_time - threshold_min, 0.0, threshold_max - threshold_min) * v.first_contact
    )
    return gain * (row_norm(v.command[:, :2]) > min_command)


def trot_contacts(v: StepView, *, min_command: float = 0.1) -> Array:
    """1 where only one diagonal foot pair (FR+RL or FL+RR of feet FR, FL, RR, RL) is down, if moving."""
    c = v.foot_contact
    trot = (c[:, 0] & c[:, 3] & ~c[:, 1] & ~c[:, 2]) | (c[:, 1] & c[:, 2] & ~c[:, 0] & ~c[:, 3])
    return trot * (row_norm(v.command[:, :2]) > min_command)


def trot_clock(v: StepView, *, min_command: float = 0.1) -> Array:
    """(feet following the clock's trot, FR+RL down in its first half) / 2 - 1, clipped at 0, if moving."""
    ns, first_half = xp(v.gait_phase), v.gait_phase < 0.5
    stance = ns.stack([first_half, ~first_half, ~first_half, first_half], axis=1)  # FR, FL, RR, RL
    follow = (v.foot_contact == stance).sum(axis=1)
    return ns.clip(follow / 2.0 - 1.0, 0.0, 1.0) * (row_norm(v.command[:, :2]) > min_command)


def undesired_contacts(v: StepView) -> Array:
    """Number of undesired-contact bodies touching the ground."""
    return astype(row_sum(v.undesired_contact), v.base_height)


def flat_orientation_l2(v: StepView) -> Array:
    """Squared horizontal components of gravity in the body frame (tilt)."""
    return row_sum(xp(v.projected_gravity).square(v.projected_gravity[:, :2]))


def base_height_l2(v: StepView, *, target: float = 0.3) -> Array:
    """Squared deviation of the terrain-relative base height from target."""
    return xp(v.base_height).square(v.base_height - target)


def base_height(v: StepView) -> Array:
    """Terrain-relative base height itself, uncapped (an exploitable term kept for audits)."""
    return copy(v.base_height)


def joint_pos_limits(v: StepView, *, lower: float = -1e9, upper: float = 1e9) -> Array:
    """Sum of joint-offset excursions beyond [lower, upper] around the default pose."""
    ns, offset = xp(v.joint_angle), v.joint_angle - v.default_joint_angle
    return row_sum(ns.clip(lower - offset, 0, None) + ns.clip(offset - upper, 0, None))


def stand_still(v: StepView, *, min_command: float = 0.1) -> Array:
    """Joint offsets from the default pose while the planar command is below min_command."""
    still = row_norm(v.command[:, :2]) < min_command
    return row_sum(xp(v.joint_angle).abs(v.joint_angle - v.default_joint_angle)) * still


def termination(v: StepView) -> Array:
    """1 where the episode failed this step (time-outs excluded)."""
    return astype(v.terminated, v.base_height)


REWARDS: dict[str, Callable[..., Array]] = {
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
