"""Left-right mirror maps: names, joint signs from axes, involution, and mirrored physics."""

import dataclasses

import numpy as np
import pytest
import torch
from tensordict import TensorDict

from locoaudit.manifest import load_manifest
from locoaudit.manifest.schema import ObservationNoise
from locoaudit.robots.build import build_model
from locoaudit.task.env import LocoEnv
from locoaudit.task.symmetry import joint_mirror, mirror_name, mirror_physics_state
from locoaudit.task.vecenv import LocoVecEnv


def test_mirror_names():
    assert mirror_name("FR_hip_joint") == "FL_hip_joint"
    assert mirror_name("RL_calf_joint") == "RR_calf_joint"
    assert mirror_name("left_knee") == "right_knee"
    assert mirror_name("waist_yaw") == "waist_yaw"


@pytest.mark.parametrize("manifest", ["quadruped_flat", "go1_flat"])
def test_joint_signs_come_from_the_axes(manifest):
    built = build_model(load_manifest(manifest))
    perm, sign = joint_mirror(built)
    names = list(built.robot.joints)
    assert names[perm[names.index("FR_hip_joint")]] == "FL_hip_joint"
    assert names[perm[names.index("RL_thigh_joint")]] == "RR_thigh_joint"
    # abduction axes lie along x: they flip; thigh and calf axes lie along y: they keep their sign
    expected = {"hip": -1.0, "thigh": 1.0, "calf": 1.0}
    assert sign.tolist() == [expected[n.split("_")[1]] for n in names]


@pytest.mark.parametrize("manifest", ["quadruped_flat", "go1_rough"])
def test_mirroring_twice_is_the_identity(manifest):
    env = LocoVecEnv(LocoEnv(load_manifest(manifest), 3, seed=0, threads=1))
    mirror = env.mirror()
    rng = np.random.default_rng(0)
    actions = torch.from_numpy(rng.normal(size=(3, env.num_actions)).astype(np.float32))
    obs = env.get_observations()
    aug_obs, aug_actions = mirror.augment(env, obs, actions)
    assert aug_obs.batch_size[0] == 6 and aug_actions.shape == (6, env.num_actions)
    torch.testing.assert_close(aug_actions[:3], actions)
    torch.testing.assert_close(mirror.actions(aug_actions[3:]), actions)
    for group in ("actor", "critic"):
        twice = mirror.observations(group, aug_obs[group][3:])
        torch.testing.assert_close(twice, obs[group])
        assert not torch.allclose(aug_obs[group][3:], obs[group])


def symmetric_manifest(gait_frequency: float):
    """quadruped_flat with nothing that differs between two envs: no noise, pushes, delays, randomization."""
    m = load_manifest("quadruped_flat")
    r = dataclasses.replace(
        m.randomization,
        friction=(1.0, 1.0),
        added_base_mass=(0.0, 0.0),
        base_com_offset=(0.0, 0.0, 0.0),
        motor_strength=(1.0, 1.0),
        joint_damping=(1.0, 1.0),
        actuator_delay=(0, 0),
        push_interval=0.0,
    )
    obs = dataclasses.replace(m.observations, noise=ObservationNoise(0.0, 0.0, 0.0, 0.0, 0.0))
    sim = dataclasses.replace(m.sim, iterations=100, ls_iterations=50)  # converged: contact order is moot
    obs = dataclasses.replace(obs, gait_clock_hz=gait_frequency)
    return dataclasses.replace(m, randomization=r, observations=obs, sim=sim)


def symmetrize_inertials(env: LocoEnv) -> None:
    """Mirror the right bodies' centres of mass onto the left ones and centre the trunk's: the built-in
    robot copies Go1's published inertials, whose trunk and calf centres of mass sit 1-2 mm off the mirror."""
    model, ipos = env.built.model, env.backend.param("body_ipos")
    for body in range(model.nbody):
        name = model.body(body).name
        other = model.body(mirror_name(name)).id
        if other == body:
            ipos[:, body, 1] = 0.0
        elif "R_" in name:
            ipos[:, other] = ipos[:, body] * np.array([1.0, -1.0, 1.0])


@pytest.mark.parametrize("gait_frequency", [0.0, 2.0])
def test_a_mirrored_state_stepped_with_mirrored_actions_stays_the_mirror_image(gait_frequency):
    env = LocoEnv(symmetric_manifest(gait_frequency), 2, seed=3, threads=1)
    symmetrize_inertials(env)
    mirror = LocoVecEnv(env).mirror()
    b = env.backend
    qpos, qvel = mirror_physics_state(env.built, b.qpos[0].copy(), b.qvel[0].copy())
    b.reset(np.array([1]), qpos[None], qvel[None])
    env.state.command[1] = env.state.command[0] * np.array([1.0, -1.0, -1.0])
    env.state.gait_phase[1] = (env.state.gait_phase[0] + 0.5) % 1.0  # the mirror trots on the other diagonal
    env.state.episode_step[:] = 0
    env.state.command_timer[:] = 10**6
    rng = np.random.default_rng(0)
    for _ in range(10):
        a = rng.normal(size=env.num_actions) * 0.5
        result = env.step(np.stack([a, mirror.actions(a)]))
        assert not (result.terminated | result.time_out).any()
        want_q, want_v = mirror_physics_state(env.built, b.qpos[0], b.qvel[0])
        np.testing.assert_allclose(b.qpos[1], want_q, atol=1e-5)
        np.testing.assert_allclose(b.qvel[1], want_v, atol=1e-3)
        for group in ("actor", "critic"):
            obs = TensorDict({k: torch.from_numpy(v) for k, v in result.obs.items()}, batch_size=[2])
            torch.testing.assert_close(
                obs[group][1], mirror.observations(group, obs[group][0]), atol=1e-3, rtol=0
            )
    assert np.abs(b.qpos[0, 7:] - env.default_joint_pos).max() > 0.05  # the legs really moved
