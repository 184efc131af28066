"""The env's explicit state: one TaskState with the on-disk keys, and the view carried by StepResult."""

import numpy as np
import pytest

from locoaudit.errors import LocoauditError
from locoaudit.manifest import load_manifest
from locoaudit.task.env import LocoEnv
from locoaudit.task.state import TaskState
from locoaudit.terms.rewards import REWARDS

# The keys checkpoints ("buffers") and traces ("buffer.<key>") were written with: they must not change.
ON_DISK = (
    *("action", "last_action", "target", "command", "command_timer", "episode_step", "air_time"),
    *("start_xy", "friction", "delay", "push_timer", "last_joint_vel", "gait_phase"),
)


@pytest.fixture(scope="module")
def env():
    return LocoEnv(load_manifest("quadruped_flat"), 4, seed=0, threads=1)


def test_state_fields_are_the_keys_on_disk(env):
    assert TaskState.names() == ON_DISK
    assert tuple(env.state_dict()["buffers"]) == ON_DISK


def test_rows_and_load_copy_one_env_into_another():
    a = TaskState.zeros(3, np.zeros(2), 4, np.zeros(0))
    b = TaskState.zeros(1, np.zeros(2), 4, np.zeros(0))
    a.command[2] = [1.0, 2.0, 3.0]
    a.air_time[2] = 0.5
    b.load(a.rows(np.array([2])), np.array([0]))
    assert b.command.tolist() == [[1.0, 2.0, 3.0]] and b.air_time.tolist() == [[0.5] * 4]
    a.command[2] = 0.0
    assert b.command[0, 0] == 1.0  # rows are copies
    with pytest.raises(LocoauditError, match="unknown buffer '__class__'"):
        b.load({"__class__": np.zeros(1)})


def test_step_result_carries_the_view_the_terms_saw(env):
    result = env.step(np.zeros((4, env.num_actions)))
    view = result.view
    np.testing.assert_array_equal(view.terminated, result.terminated)
    scale = env.dt if env.manifest.rewards.scale_by_dt else 1.0
    for name, term in env.manifest.rewards.terms.items():
        expected = term.weight * scale * REWARDS[name](view, **term.params)
        np.testing.assert_array_equal(result.contributions[name], expected)
    offset = view.joint_angle - view.default_joint_angle
    assert offset.shape == (4, env.num_actions) and np.abs(offset).max() < 1.0
