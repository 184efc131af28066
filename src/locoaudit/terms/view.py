"""The read-only batch view that reward and termination terms receive: one row per environment."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class StepView:
    """State after a policy step. N envs, J joints, F feet, U undesired / T termination-contact bodies."""

    dt: float  # policy step [s]
    command: np.ndarray  # (N, 3) vx, vy [m/s], yaw rate [rad/s]
    base_lin_vel: np.ndarray  # (N, 3) body frame [m/s]
    base_ang_vel: np.ndarray  # (N, 3) body frame [rad/s]
    projected_gravity: np.ndarray  # (N, 3) unit gravity in the body frame
    base_height: np.ndarray  # (N,) above the terrain under the base [m]
    joint_angle: np.ndarray  # (N, J) absolute joint angles [rad] (the observation's joint_pos is the offset)
    joint_vel: np.ndarray  # (N, J) [rad/s]
    joint_acc: np.ndarray  # (N, J) [rad/s^2]
    joint_torque: np.ndarray  # (N, J) actuator torque [N m]
    default_joint_angle: np.ndarray  # (J,) the default pose [rad]
    action: np.ndarray  # (N, J) this step's (clipped) policy action
    last_action: np.ndarray  # (N, J) the previous step's action
    foot_contact: np.ndarray  # (N, F) bool
    foot_air_time: np.ndarray  # (N, F) seconds in the air before the touchdown of this step (else running)
    first_contact: np.ndarray  # (N, F) bool: touchdown in this step
    undesired_contact: np.ndarray  # (N, U) bool
    termination_contact: np.ndarray  # (N, T) bool
    qpos: np.ndarray  # (N, nq) raw generalised positions, for audits and custom terms
    gait_phase: np.ndarray  # (N,) gait clock phase in [0, 1) (zeros without a clock)
    terminated: np.ndarray  # (N,) bool: the episode failed this step (time-outs excluded)

    def with_terminated(self, terminated: np.ndarray) -> StepView:
        """A copy with the failure flags set, once terminations are known."""
        return StepView(**{**self.__dict__, "terminated": terminated})
