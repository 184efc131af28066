"""The read-only batch view that reward and termination terms receive: one row per environment.

Arrays are all numpy (MuJoCo C) or all torch tensors on the simulator's device (MuJoCo Warp).
"""

from __future__ import annotations

from dataclasses import dataclass

from locoaudit.arrays import Array


@dataclass(frozen=True)
class StepView:
    """State after a policy step. N envs, J joints, F feet, U undesired / T termination-contact bodies."""

    dt: float  # policy step [s]
    command: Array  # (N, 3) vx, vy [m/s], yaw rate [rad/s]
    base_lin_vel: Array  # (N, 3) body frame [m/s]
    base_ang_vel: Array  # (N, 3) body frame [rad/s]
    projected_gravity: Array  # (N, 3) unit gravity in the body frame
    base_height: Array  # (N,) above the terrain under the base [m]
    joint_angle: Array  # (N, J) absolute joint angles [rad] (the observation's joint_pos is the offset)
    joint_vel: Array  # (N, J) [rad/s]
    joint_acc: Array  # (N, J) [rad/s^2]
    joint_torque: Array  # (N, J) actuator torque [N m]
    default_joint_angle: Array  # (J,) the default pose [rad]
    action: Array  # (N, J) this step's (clipped) policy action
    last_action: Array  # (N, J) the previous step's action
    foot_contact: Array  # (N, F) bool
    foot_air_time: Array  # (N, F) seconds in the air before the touchdown of this step (else running)
    first_contact: Array  # (N, F) bool: touchdown in this step
    undesired_contact: Array  # (N, U) bool
    termination_contact: Array  # (N, T) bool
    qpos: Array  # (N, nq) raw generalised positions, for audits and custom terms
    gait_phase: Array  # (N,) gait clock phase in [0, 1) (zeros without a clock)
    terminated: Array  # (N,) bool: the episode failed this step (time-outs excluded)

    def with_terminated(self, terminated: Array) -> StepView:
        """A copy with the failure flags set, once terminations are known."""
        return StepView(**{**self.__dict__, "terminated": terminated})
