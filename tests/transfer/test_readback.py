"""Contract read-back: the classic sim-to-sim bugs, planted on purpose, are each caught."""

import dataclasses

import numpy as np
import pytest

from locoaudit.transfer import readback


def test_genesis_matches_mujoco_model_and_state(genesis, mujoco_env):
    assert readback.model_readback(genesis, mujoco_env, "genesis") == []
    assert readback.state_readback(genesis, mujoco_env, "genesis") == []


def test_scrambled_joint_order_is_refused(genesis, mujoco_env, monkeypatch):
    maps = genesis.backend.maps
    scrambled = maps.act_dofs.copy()
    scrambled[[0, 1]] = scrambled[[1, 0]]  # actions 0 and 1 drive each other's joints
    monkeypatch.setattr(genesis.backend, "maps", dataclasses.replace(maps, act_dofs=scrambled))
    lines = readback.model_readback(genesis, mujoco_env, "genesis")
    assert "joint_names[0]: genesis 'FR_thigh_joint', mujoco 'FR_hip_joint'" in lines
    assert "joint_names[1]: genesis 'FR_hip_joint', mujoco 'FR_thigh_joint'" in lines


def test_kp_25_against_20_is_refused(genesis, mujoco_env):
    robot, dofs = genesis.backend.robot, genesis.backend.maps.act_dofs
    kp = robot.get_dofs_kp(dofs_idx_local=dofs).numpy().copy()
    try:
        robot.set_dofs_kp(np.full_like(kp, 25.0), dofs_idx_local=dofs)
        lines = readback.model_readback(genesis, mujoco_env, "genesis")
    finally:
        robot.set_dofs_kp(kp, dofs_idx_local=dofs)
    kp_lines = [x for x in lines if x.startswith("kp[")]
    assert len(kp_lines) == 12 and kp_lines[0].startswith("kp[FR_hip_joint]: genesis 25, mujoco 20")


def test_wrong_quaternion_convention_is_refused(genesis, mujoco_env, monkeypatch):
    """Reading Genesis' wxyz base quaternion as xyzw (Isaac's order) shows in the state read-back."""
    backend = genesis.backend
    pull = backend._pull

    def xyzw_pull():
        pull()
        backend.qpos[:, 3:7] = backend.qpos[:, [4, 5, 6, 3]]

    monkeypatch.setattr(backend, "_pull", xyzw_pull)
    lines = readback.state_readback(genesis, mujoco_env, "genesis")
    assert any(x.startswith("state.qpos:") for x in lines)
    assert any(x.startswith("observation.projected_gravity:") for x in lines)


def test_refuse_lists_one_line_per_difference():
    from locoaudit.errors import LocoauditError

    with pytest.raises(LocoauditError) as info:
        readback.refuse(["kp[a]: genesis 25, mujoco 20", "kd[a]: genesis 1, mujoco 0.5"], "model read-back")
    assert str(info.value).splitlines()[1:] == [
        "  kp[a]: genesis 25, mujoco 20",
        "  kd[a]: genesis 1, mujoco 0.5",
    ]
    readback.refuse([], "model read-back")  # nothing to refuse
