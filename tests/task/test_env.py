"""The batched environment: determinism, resets, time-outs, non-finite handling, randomization."""

import dataclasses

import numpy as np
import pytest

from locoaudit.manifest import load_manifest
from locoaudit.task.env import LocoEnv
from locoaudit.terms.terminations import NON_FINITE, TIME_OUT


@pytest.fixture(scope="module")
def manifest():
    return load_manifest("quadruped_flat")


def rollout_obs(manifest, threads: int, steps: int = 50, n: int = 16, seed: int = 3):
    env = LocoEnv(manifest, n, seed=seed, threads=threads)
    rng = np.random.default_rng(0)
    out = [env.observe()["actor"]]
    for _ in range(steps):
        result = env.step(rng.uniform(-1, 1, size=(n, env.num_actions)))
        out.append(result.obs["actor"])
        out.append(result.reward)
    return out


def test_same_seed_same_observations_for_50_steps_with_1_and_2_threads(manifest):
    one = rollout_obs(manifest, threads=1)
    again = rollout_obs(manifest, threads=1)
    two = rollout_obs(manifest, threads=2)
    for a, b, c in zip(one, again, two, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


def test_different_seed_differs(manifest):
    a = rollout_obs(manifest, threads=1, steps=3, seed=1)
    b = rollout_obs(manifest, threads=1, steps=3, seed=2)
    assert not np.array_equal(a[-2], b[-2])


def test_start_phases_are_spread_so_resets_do_not_synchronise(manifest):
    env = LocoEnv(manifest, 256, seed=0, threads=1)
    assert env.phase_entropy() > 0.9
    assert len(np.unique(env.state.episode_step)) > 100
    synced = LocoEnv(
        dataclasses.replace(
            manifest, episode=dataclasses.replace(manifest.episode, randomize_start_phase=False)
        ),
        256,
        seed=0,
        threads=1,
    )
    assert synced.phase_entropy() == 0.0


def test_time_out_is_not_a_failure(manifest):
    env = LocoEnv(manifest, 4, seed=0, threads=1)
    env.state.episode_step[:] = 0
    env.state.episode_step[2] = env.max_episode_steps - 1
    result = env.step(np.zeros((4, env.num_actions)))
    assert result.time_out.tolist() == [False, False, True, False]
    assert not result.terminated[2]
    assert result.ended.env_ids.tolist() == [2]
    assert result.ended.reason.tolist() == [TIME_OUT]
    assert result.ended.length[0] == 1  # the book counts steps since construction-time reset
    assert env.state.episode_step[2] == 0


def test_non_finite_state_resets_that_env_and_never_crashes_the_batch(manifest):
    env = LocoEnv(manifest, 4, seed=0, threads=2)
    env.state.episode_step[:] = 0
    before = env.backend.qpos.copy()
    env.backend.qpos[1, 3] = np.nan
    result = env.step(np.zeros((4, env.num_actions)))
    assert result.terminated.tolist() == [False, True, False, False]
    assert result.ended.reason.tolist() == [NON_FINITE]
    assert np.isfinite(result.reward).all() and result.reward[1] == 0.0
    assert all(np.isfinite(v).all() for v in result.obs.values())
    assert np.isfinite(env.backend.qpos).all()
    assert env.nonfinite_resets == 1
    assert not np.array_equal(env.backend.qpos[0], before[0])  # others kept simulating


def test_standing_robot_is_stable_and_touches_ground_with_feet(manifest):
    m = dataclasses.replace(
        manifest,
        randomization=dataclasses.replace(
            manifest.randomization, init_joint_scale=(1.0, 1.0), init_base_velocity=0.0
        ),
    )
    env = LocoEnv(m, 8, seed=0, threads=1)
    env.state.episode_step[:] = 0
    for _ in range(50):
        result = env.step(np.zeros((8, env.num_actions)))
    assert not result.terminated.any()
    view_height = env.backend.qpos[:, 2]
    assert np.all((view_height > 0.17) & (view_height < 0.35))  # kp=20 servos sag under the load
    feet = env.backend.sensordata[:, env.built.sensor_feet]
    assert feet.all()


def test_randomized_parameters_reach_the_physics(manifest):
    env = LocoEnv(manifest, 32, seed=0, threads=1)
    friction = env.backend.param("geom_friction")[:, env.built.foot_geoms, 0]
    np.testing.assert_array_equal(friction, np.repeat(env.state.friction[:, None], 4, axis=1))
    lo, hi = manifest.randomization.friction
    assert friction.min() >= lo and friction.max() <= hi and friction.std() > 0
    mass = env.backend.param("body_mass")[:, env.built.base_body]
    nominal = env.built.model.body_mass[env.built.base_body]
    lo, hi = manifest.randomization.added_base_mass
    assert np.all((mass >= nominal + lo) & (mass <= nominal + hi)) and mass.std() > 0


def test_push_changes_base_velocity_by_the_given_amount(manifest):
    env = LocoEnv(manifest, 4, seed=0, threads=1)
    before = env.backend.qvel[:, :3].copy()
    env.push(np.array([1, 3]), np.array([[0.5, 0.0], [0.0, -0.3]]))
    delta = env.backend.qvel[:, :3] - before
    np.testing.assert_allclose(delta, [[0, 0, 0], [0.5, 0, 0], [0, 0, 0], [0, -0.3, 0]])


def test_observation_layout(manifest):
    env = LocoEnv(manifest, 2, seed=0, threads=1)
    layout = env.obs_layout()
    assert list(layout["actor"]) == [
        "base_ang_vel",
        "projected_gravity",
        "command",
        "gait_phase",
        "joint_pos",
        "joint_vel",
        "last_action",
    ]
    assert layout["actor"]["last_action"].stop == 47
    assert {"base_lin_vel", "friction"} <= set(layout["critic"])
    obs = env.observe()
    assert obs["actor"].shape == (2, 47) and obs["actor"].dtype == np.float32
    np.testing.assert_allclose(
        obs["critic"][:, layout["critic"]["friction"]].ravel(), env.state.friction, rtol=1e-6
    )


def test_num_envs_must_be_positive(manifest):
    with pytest.raises(ValueError, match="positive"):
        LocoEnv(manifest, 0, seed=0)


def test_an_env_computes_the_same_bits_alone_as_in_a_batch(manifest):
    """Replays run one env alone: its physics and every reward term must not depend on the batch size."""
    from locoaudit.sim.mujoco_cpu import PARAM_FIELDS

    big = LocoEnv(manifest, 8, seed=0, threads=2)
    one = LocoEnv(manifest, 1, seed=5, threads=1)
    one.backend.set_state(np.array([0]), big.backend.get_state(np.array([3])))
    one.backend.set_params(np.array([0]), {k: big.backend.param(k)[3:4] for k in PARAM_FIELDS})
    one.state.load(big.state.rows(np.array([3])), np.array([0]))
    rng = np.random.default_rng(0)
    for _ in range(20):
        actions = rng.uniform(-1, 1, (8, big.num_actions))
        one.state.command[0] = big.state.command[3]
        rb, ro = big.step(actions), one.step(actions[3:4])
        if rb.terminated[3] or rb.time_out[3]:
            break
        np.testing.assert_array_equal(big.backend.qpos[3], one.backend.qpos[0])
        for name, value in rb.contributions.items():
            assert value[3] == ro.contributions[name][0], name
        assert rb.reward[3] == ro.reward[0]


def test_reset_puts_the_lowest_foot_just_above_the_terrain():
    """Also on tiles whose spawn platform is far from z = 0 (stairs_up: the lowest point)."""
    from locoaudit.task.env import SPAWN_CLEARANCE

    env = LocoEnv(load_manifest("go1_rough"), 64, seed=0, threads=1)
    feet = env.backend.geom_positions(np.arange(64), env.built.foot_geoms)
    radius = env.built.model.geom_size[env.built.foot_geoms, 0]
    lowest = (feet[:, :, 2] - radius).min(axis=1)
    ground = env.ground_height(env.backend.qpos[:, 0], env.backend.qpos[:, 1])
    assert np.abs(ground).max() > 0.5  # some envs spawn well below z = 0
    np.testing.assert_allclose(lowest - ground, SPAWN_CLEARANCE, atol=1e-9)
    result = env.step(np.zeros((64, env.num_actions)))
    assert not result.terminated.any()
