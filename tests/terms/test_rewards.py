"""Every reward and termination term against hand-computed values on a constructed 2-env state."""

import math

import numpy as np
import pytest

from locoaudit.terms import rewards as R
from locoaudit.terms import terminations as T
from locoaudit.terms.view import StepView


def make_view(**overrides) -> StepView:
    n, j = 2, 3
    base = dict(
        dt=0.02,
        command=np.array([[1.0, 0.0, 0.5], [0.0, 0.0, 0.0]]),
        base_lin_vel=np.array([[0.8, 0.1, 0.2], [0.0, 0.0, -0.1]]),
        base_ang_vel=np.array([[0.1, -0.2, 0.3], [0.0, 0.0, 0.0]]),
        projected_gravity=np.array([[0.1, 0.0, -math.sqrt(0.99)], [0.0, 0.0, -1.0]]),
        base_height=np.array([0.25, 0.10]),
        joint_angle=np.array([[0.1, 0.9, -1.8], [0.0, 1.0, -1.5]]),
        joint_vel=np.zeros((n, j)),
        joint_acc=np.array([[10.0, 0.0, -20.0], [0.0, 0.0, 0.0]]),
        joint_torque=np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]),
        default_joint_angle=np.array([0.0, 0.9, -1.8]),
        action=np.array([[0.5, 0.0, 0.0], [0.0, 0.0, 0.0]]),
        last_action=np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 1.0]]),
        foot_contact=np.array([[True, False], [True, True]]),
        foot_air_time=np.array([[0.6, 0.2], [0.0, 0.0]]),
        first_contact=np.array([[True, False], [False, False]]),
        undesired_contact=np.array([[False, False], [True, True]]),
        termination_contact=np.array([[False], [True]]),
        qpos=np.zeros((n, 10)),
        gait_phase=np.zeros(n),
        terminated=np.array([False, True]),
    )
    base.update(overrides)
    return StepView(**base)


def test_tracking_terms():
    v = make_view()
    # env 0: err_xy = (1-0.8)^2 + (0-0.1)^2 = 0.05; env 1: 0
    np.testing.assert_allclose(R.track_lin_vel_xy(v, std=0.5), [math.exp(-0.05 / 0.25), 1.0])
    # env 0: (0.5 - 0.3)^2 = 0.04
    np.testing.assert_allclose(R.track_ang_vel_z(v, std=0.5), [math.exp(-0.04 / 0.25), 1.0])


def test_l2_penalties():
    v = make_view()
    np.testing.assert_allclose(R.lin_vel_z_l2(v), [0.04, 0.01])
    np.testing.assert_allclose(R.ang_vel_xy_l2(v), [0.05, 0.0])
    np.testing.assert_allclose(R.joint_torques_l2(v), [14.0, 0.0])
    np.testing.assert_allclose(R.joint_acc_l2(v), [500.0, 0.0])
    np.testing.assert_allclose(R.action_rate_l2(v), [0.25, 1.0])
    np.testing.assert_allclose(R.flat_orientation_l2(v), [0.01, 0.0])
    np.testing.assert_allclose(R.base_height_l2(v, target=0.3), [0.0025, 0.04])
    np.testing.assert_allclose(R.base_height(v), [0.25, 0.10])


def test_contact_terms():
    v = make_view()
    # env 0: one touchdown after 0.6 s in the air, threshold 0.5 -> 0.1; env 1 has no command -> 0
    np.testing.assert_allclose(R.feet_air_time(v, threshold=0.5, min_command=0.1), [0.1, 0.0])
    np.testing.assert_allclose(R.undesired_contacts(v), [0.0, 2.0])
    np.testing.assert_allclose(R.termination(v), [0.0, 1.0])


def test_capped_air_time_rewards_steps_without_punishing_short_ones():
    v = make_view(
        foot_air_time=np.array([[0.05, 0.3], [0.9, 0.0]]),
        first_contact=np.array([[True, True], [True, False]]),
        command=np.array([[1.0, 0.0, 0.0], [0.5, 0.0, 0.0]]),
    )
    # env 0: clip(0.05 - 0.1) = 0 (short step, no penalty) + clip(0.3 - 0.1) = 0.2; env 1: capped at 0.4
    got = R.feet_air_time_capped(v, threshold_min=0.1, threshold_max=0.5, min_command=0.1)
    np.testing.assert_allclose(got, [0.2, 0.4])
    standing = make_view(foot_air_time=np.array([[0.3, 0.3], [0.3, 0.3]]))  # env 1 has no command
    np.testing.assert_allclose(R.feet_air_time_capped(standing, min_command=0.1), [0.2, 0.0])


def test_trot_contacts_counts_one_diagonal_pair_down():
    contact = np.array(
        [
            [True, False, False, True],
            [False, True, True, False],
            [True, True, True, True],
            [True, True, False, False],
        ]
    )
    command = np.array([[1.0, 0.0, 0.0]] * 3 + [[0.0, 0.0, 0.0]])
    v = make_view(foot_contact=contact, command=command)
    # FR+RL down, FL+RR down: trot; all four down: not; the last env has no command
    np.testing.assert_allclose(R.trot_contacts(v, min_command=0.1), [1.0, 1.0, 0.0, 0.0])


def test_trot_clock_counts_feet_that_follow_the_clock():
    contact = np.array(
        [
            [True, False, False, True],
            [True, False, False, True],
            [True, False, False, False],
            [True, True, True, True],
        ]
    )
    v = make_view(
        foot_contact=contact,
        gait_phase=np.array([0.2, 0.7, 0.2, 0.2]),
        command=np.array([[1.0, 0.0, 0.0]] * 3 + [[0.0, 0.0, 0.0]]),
    )
    # first half wants FR+RL down: 4 feet follow -> 1; second half wants FL+RR: 0 follow -> 0;
    # RL lifted too early: 3 follow -> 0.5; no command -> 0
    np.testing.assert_allclose(R.trot_clock(v, min_command=0.1), [1.0, 0.0, 0.5, 0.0])
    standing = make_view(foot_contact=contact[[3, 3]], gait_phase=np.array([0.2, 0.2]))
    np.testing.assert_allclose(
        R.trot_clock(standing), [0.0, 0.0]
    )  # 2 of 4 feet follow: standing pays nothing


def test_pose_terms():
    v = make_view()
    # offsets env0: [0.1, 0, 0]; env1: [0, 0.1, 0.3]
    np.testing.assert_allclose(R.joint_pos_limits(v, lower=-0.2, upper=0.2), [0.0, 0.1])
    np.testing.assert_allclose(R.stand_still(v, min_command=0.1), [0.0, 0.4])


def test_every_registered_reward_is_tested_here():
    tested = {
        "track_lin_vel_xy",
        "track_ang_vel_z",
        "lin_vel_z_l2",
        "ang_vel_xy_l2",
        "joint_torques_l2",
        "joint_acc_l2",
        "action_rate_l2",
        "feet_air_time",
        "feet_air_time_capped",
        "trot_contacts",
        "trot_clock",
        "undesired_contacts",
        "flat_orientation_l2",
        "base_height_l2",
        "base_height",
        "joint_pos_limits",
        "stand_still",
        "termination",
    }
    assert set(R.REWARDS) == tested


def test_terminations_on_constructed_states():
    v = make_view()
    assert T.base_contact(v).tolist() == [False, True]
    tilt = math.acos(math.sqrt(0.99))  # ~0.1002 rad
    assert T.bad_orientation(v, limit_angle=tilt - 1e-3).tolist() == [True, False]
    assert T.bad_orientation(v, limit_angle=tilt + 1e-3).tolist() == [False, False]
    upside_down = make_view(projected_gravity=np.array([[0.0, 0.0, 1.0], [0.0, 0.0, -1.0]]))
    assert T.bad_orientation(upside_down, limit_angle=1.0).tolist() == [True, False]
    assert T.base_too_low(v, min_height=0.15).tolist() == [False, True]


@pytest.mark.parametrize("name", sorted(R.REWARDS))
def test_reward_terms_return_one_finite_value_per_env(name):
    four_feet = {"foot_contact": np.ones((2, 4), dtype=bool)}  # trot_contacts is for quadrupeds
    quadruped = name in ("trot_contacts", "trot_clock")
    out = R.REWARDS[name](make_view(**four_feet) if quadruped else make_view())
    assert out.shape == (2,) and np.isfinite(out).all()
