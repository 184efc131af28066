"""Planted sim-to-sim bugs forced past the checks: which ones the transfer metrics show, which only the
read-backs catch; and Genesis is a separate engine, not a view of MuJoCo's state.

The policy holds a fixed stance (hip 0.5, thigh 1.0, calf 0 in action units on every leg): it stands
in both engines, and its actions are large and joint-specific, so order and scale matter. (A trained
walking policy would take minutes to train; the stance makes the same point in seconds.)
"""

import dataclasses

import numpy as np
import pytest

from locoaudit.export.contract import compare_contracts, deployment_contract
from locoaudit.sim import mujoco_cpu
from locoaudit.transfer import readback

STANCE = np.tile([0.5, 1.0, 0.0], 4)
STEPS = 60  # 1.2 s
WITHIN_LEG = np.arange(12).reshape(4, 3)[:, [1, 2, 0]].ravel()  # hip <- thigh <- calf on every leg


def stance(obs):
    return np.tile(STANCE, (len(obs["actor"]), 1))


def rollout(env, policy=stance, steps=STEPS):
    """(fraction of envs that fell, qpos (steps, n, nq), per-env mean velocity-tracking error)."""
    fell, qpos, err = np.zeros(env.num_envs, bool), [], []
    obs = env.observe()
    for _ in range(steps):
        result = env.step(policy(obs))
        fell |= result.terminated
        qpos.append(env.backend.qpos.copy())
        err.append(result.tracking_error[:, 0])
        obs = result.obs
    return fell.mean(), np.stack(qpos), np.mean(err, axis=0)


def flail():
    """Open-loop joint sines: contact-rich motion, where two engines' small differences grow."""
    t = iter(range(10**6))
    return lambda obs: np.tile(np.sin(0.25 * next(t) + np.arange(12)), (len(obs["actor"]), 1))


@pytest.fixture
def same_start(genesis, mujoco_env):
    """Put the shared Genesis env in the MuJoCo env's exact start (physics, buffers, RNG); restore after."""
    saved = genesis.state_dict()
    start = mujoco_env.state_dict()
    qpos_qvel = np.concatenate([mujoco_env.backend.qpos, mujoco_env.backend.qvel], axis=1)
    start = dict(start, physics=qpos_qvel)
    genesis.load_state_dict(start)
    yield start
    genesis.load_state_dict(saved)


def test_genesis_steps_its_own_state_and_differs_measurably_while_metrics_agree(
    genesis, mujoco_env, same_start, monkeypatch
):
    """Why the two engines' metrics can agree to 1e-4 m/s: a standing robot's velocity error is the
    command it ignores, and both engines draw the same commands from the same seed. Their states
    still differ measurably, and under contact-rich motion they part by centimetres."""
    mj_fell, mj_q, mj_err = rollout(mujoco_env)

    def no_mujoco(*_):
        raise AssertionError("MuJoCo stepped during the Genesis rollout")

    monkeypatch.setattr(mujoco_cpu.MujocoCpuBackend, "step", no_mujoco)
    gs_fell, gs_q, gs_err = rollout(genesis)
    q = genesis.backend.robot.get_qpos().numpy()[:, genesis.backend.maps.q_gs]
    assert np.array_equal(q, genesis.backend.qpos)  # the state is what Genesis holds
    joints = np.abs(gs_q[-1, :, 7:] - mj_q[-1, :, 7:]).max()
    assert 1e-4 < joints < 2e-2  # rad: measurably different, the same stance
    assert gs_fell == mj_fell  # the same envs fall in both
    assert np.abs(gs_err - mj_err).max() < 1e-2  # m/s, per env (measured: up to 2e-3)
    assert abs(gs_err.mean() - mj_err.mean()) < 1e-3  # pooled, as the panel reports it


def test_under_contact_rich_motion_the_engines_part(genesis, mujoco_env, same_start):
    _, mj_q, _ = rollout(mujoco_env, flail(), 30)
    _, gs_q, _ = rollout(genesis, flail(), 30)
    base = np.abs(gs_q[:, :, :3] - mj_q[:, :, :3]).max(axis=(1, 2))
    assert base[0] < 1e-3 and base[-1] > 1e-2  # m: equal starts, centimetres apart after 0.6 s


def test_scrambled_joint_order_forced_through_collapses_the_metrics(
    genesis, mujoco_env, same_start, monkeypatch
):
    maps = genesis.backend.maps
    monkeypatch.setattr(
        genesis.backend, "maps", dataclasses.replace(maps, act_dofs=maps.act_dofs[WITHIN_LEG])
    )
    assert len(readback.model_readback(genesis, mujoco_env, "genesis")) >= 12  # caught by the read-back
    genesis.load_state_dict(same_start)  # the read-back's probe states are gone
    fell, _, _ = rollout(genesis)  # forced through
    assert fell >= 0.5  # and the transfer metrics collapse: nominal is 0


def test_action_scale_mismatch_forced_through_collapses_the_metrics(genesis, manifest, same_start):
    half = dataclasses.replace(manifest, robot=dataclasses.replace(manifest.robot, action_scale=0.5))
    lines = compare_contracts(deployment_contract(half), deployment_contract(manifest))
    assert "action.scale: file 0.5, manifest 0.25" in lines  # caught by the contract check
    ratio = 0.5 / 0.25  # forced through: the robot side scales the policy's actions by the file's 0.5
    fell, _, _ = rollout(genesis, lambda obs: ratio * stance(obs))
    assert fell >= 0.5


def test_kp_25_against_20_is_caught_by_the_read_back_not_by_the_metrics(genesis, mujoco_env, same_start):
    nominal_fell, nominal_base, _ = rollout(genesis)
    genesis.load_state_dict(same_start)
    robot, dofs = genesis.backend.robot, genesis.backend.maps.act_dofs
    robot.set_dofs_kp(np.full(len(dofs), 25.0), dofs_idx_local=dofs)
    assert sum(x.startswith("kp[") for x in readback.model_readback(genesis, mujoco_env, "genesis")) == 12
    fell, base, _ = rollout(genesis)
    # the fall fraction moves by at most one env of 8
    # (measured: the one env that falls at kp 20 stays up at kp 25), no collapse a panel would flag
    assert abs(fell - nominal_fell) <= 1 / 8
    rise = base[-1, :, 2] - nominal_base[-1, :, 2]
    assert 0.0 < rise.mean() < 0.05  # m: the stiffer legs stand about 1 cm higher (measured 0.4-2 cm)
