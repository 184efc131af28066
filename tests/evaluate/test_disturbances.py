"""Each disturbance changes the physics (or the observation) exactly as specified."""

import dataclasses

import numpy as np
import pytest

from locoaudit.evaluate.conditions import cell_params, nominal_manifest
from locoaudit.evaluate.engine import _corrupt, _new_log
from locoaudit.evaluate.panel import Cell, PayloadCell, PushCell, SensorCell, load_panel
from locoaudit.manifest import load_manifest
from locoaudit.task.env import LocoEnv


@pytest.fixture
def env():
    m = nominal_manifest(load_manifest("quadruped_flat"), load_panel("nominal"))
    return LocoEnv(m, 4, seed=0, threads=1)


def test_payload_changes_total_mass_and_com(env):
    before_mass = env.backend.param("body_mass").sum(axis=1).copy()
    before_com = env.backend.param("body_ipos")[:, env.built.base_body].copy()
    cell = Cell(payload=PayloadCell(mass=3.0, offset=(0.05, 0.0, 0.02)))
    cell_params(env, cell, np.array([1, 2]))
    after = env.backend.param("body_mass").sum(axis=1)
    np.testing.assert_allclose(after - before_mass, [0, 3.0, 3.0, 0])
    shift = env.backend.param("body_ipos")[:, env.built.base_body] - before_com
    np.testing.assert_allclose(shift, [[0, 0, 0], [0.05, 0, 0.02], [0.05, 0, 0.02], [0, 0, 0]])


def test_friction_and_motor_strength(env):
    kp = env.backend.param("actuator_gainprm")[0, :, 0].copy()
    cell_params(env, Cell(friction=0.3, motor_strength=0.7), np.array([0]))
    np.testing.assert_allclose(env.backend.param("geom_friction")[0, env.built.foot_geoms, 0], 0.3)
    np.testing.assert_allclose(env.backend.param("actuator_gainprm")[0, :, 0], 0.7 * kp)
    np.testing.assert_allclose(env.backend.param("actuator_biasprm")[0, :, 1], -0.7 * kp)
    assert env.state.friction[0] == 0.3


def test_delay_shifts_the_applied_action_by_k_substeps(env):
    captured = []
    original = env.backend.step
    env.backend.step = lambda control: captured.append(control.copy()) or original(control)
    cell_params(env, Cell(actuator_delay=3), np.array([0, 1, 2, 3]))
    first = np.full((4, env.num_actions), 0.4)
    second = np.full((4, env.num_actions), -0.4)
    env.step(first)
    env.step(second)
    acts = env.built.actuators
    target1 = env.default_joint_pos + env.manifest.robot.action_scale * 0.4
    target2 = env.default_joint_pos - env.manifest.robot.action_scale * 0.4
    control = captured[1][0][:, acts]  # env 0, second step, (substeps, J)
    np.testing.assert_allclose(control[:3], np.broadcast_to(target1, (3, env.num_actions)))
    rest = env.manifest.sim.decimation - 3
    assert rest >= 1, "the delay must leave substeps of the new action to check"
    np.testing.assert_allclose(control[3:], np.broadcast_to(target2, (rest, env.num_actions)))


def test_sensor_bias_noise_dropout(env):
    layout = env.obs_layout()["actor"]
    obs = env.observe()["actor"]
    cols = layout["projected_gravity"]
    rng = np.random.default_rng(0)
    biased = _corrupt(
        obs, [(Cell(sensor=SensorCell(terms=("projected_gravity",), bias=0.1)), np.array([2]))], layout, rng
    )
    np.testing.assert_allclose(biased[2, cols] - obs[2, cols], 0.1, rtol=1e-6)
    np.testing.assert_array_equal(np.delete(biased, 2, axis=0), np.delete(obs, 2, axis=0))
    np.testing.assert_array_equal(
        np.delete(biased[2], np.arange(cols.start, cols.stop)),
        np.delete(obs[2], np.arange(cols.start, cols.stop)),
    )
    dropped = _corrupt(
        obs, [(Cell(sensor=SensorCell(terms=("joint_vel",), dropout=1.0)), np.array([0]))], layout, rng
    )
    assert not dropped[0, layout["joint_vel"]].any()


def test_push_schedule_and_velocity_change(env):
    cell = Cell(push=PushCell(velocity=1.5, time_s=0.1, direction_deg=90.0))
    log = _new_log(env, [(cell, np.array([0, 1]))], np.random.default_rng(0))
    assert log.push_step.tolist() == [5, 5, -1, -1]
    np.testing.assert_allclose(log.push_dv[:2], [[0.0, 1.5], [0.0, 1.5]], atol=1e-12)
    before = env.backend.qvel[:, :2].copy()
    env.push(np.array([0, 1]), log.push_dv[:2])
    np.testing.assert_allclose(np.linalg.norm(env.backend.qvel[:2, :2] - before[:2], axis=1), 1.5)
    random_dir = dataclasses.replace(cell, push=dataclasses.replace(cell.push, direction_deg=-1.0))
    log = _new_log(env, [(random_dir, np.array([0, 1, 2, 3]))], np.random.default_rng(0))
    np.testing.assert_allclose(np.linalg.norm(log.push_dv, axis=1), 1.5)
    assert len({tuple(v) for v in log.push_dv.round(6)}) == 4
