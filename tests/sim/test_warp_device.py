"""The task on the device (sim.backend = warp, `on_device`): torch tensors end to end, nothing copied back.

MuJoCo Warp runs on the CPU here with the converged-solver quadruped of test_mjwarp.py (the same kernel
build). The device task is the numpy task's code on float32 tensors, so from one state both compute
the same observations, rewards and terminations up to float32 rounding; checkpoints are host arrays
that load into either.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import warp as wp

from locoaudit.manifest import load_manifest
from locoaudit.manifest.load import with_backend
from locoaudit.task.env import LocoEnv
from locoaudit.task.vecenv import LocoVecEnv
from locoaudit.train.rollout_stats import RolloutStats
from tiny_manifest import quadruped_flat_toml

wp.config.optimization_level = 0  # the build test_mjwarp.py uses
EDITS = [("iterations = 4", "iterations = 100"), ("ls_iterations = 8", "ls_iterations = 100")]


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    path = tmp_path_factory.mktemp("warp") / "converged.toml"
    path.write_text(quadruped_flat_toml(EDITS))
    return with_backend(load_manifest(path), "warp")


def test_device_task_matches_the_host_task_from_one_state(manifest):
    dev = LocoEnv(manifest, 3, seed=0, sim_device="cpu", on_device=True)
    host = LocoEnv(manifest, 3, seed=0, sim_device="cpu")
    assert isinstance(dev.backend.qpos, torch.Tensor) and isinstance(host.backend.qpos, np.ndarray)
    rng = np.random.default_rng(0)
    for _ in range(3):
        host.load_state_dict(dev.state_dict())  # host arrays; the device generator's state reseeds numpy's
        action = rng.uniform(-1, 1, (3, dev.num_actions))
        rd, rh = dev.step(torch.as_tensor(action, dtype=torch.float32)), host.step(action)
        assert isinstance(rd.reward, torch.Tensor) and rd.obs["actor"].dtype == torch.float32
        np.testing.assert_allclose(rd.obs["critic"].numpy(), rh.obs["critic"], atol=2e-4)
        np.testing.assert_allclose(rd.reward.numpy(), rh.reward, atol=1e-5)
        for name, value in rh.contributions.items():
            np.testing.assert_allclose(rd.contributions[name].numpy(), value, atol=1e-5, err_msg=name)
        np.testing.assert_array_equal(rd.terminated.numpy(), rh.terminated)
    dev.load_state_dict(host.state_dict())  # and back: a numpy checkpoint resumes on the device
    np.testing.assert_allclose(dev.backend.qpos.numpy(), host.backend.qpos, atol=1e-6)


class Transfer(AssertionError):
    pass


def _refuse(*_args, **_kwargs):
    raise Transfer("the step read device data on the host")


def _from_device_only(make):
    """torch.as_tensor / torch.tensor refusing host data: on a GPU that is a copy the stream waits for."""

    def guarded(data, *args, **kwargs):
        if not isinstance(data, torch.Tensor):
            raise Transfer(f"the step uploaded host data {type(data).__name__}")
        return make(data, *args, **kwargs)

    return guarded


def test_a_training_step_moves_no_data_between_host_and_device(manifest, monkeypatch):
    """Collection steps (with resets, command resamples and pushes) under guards on every way across."""
    env = LocoVecEnv(LocoEnv(manifest, 4, seed=1, sim_device="cpu", on_device=True))
    state = env.env.state
    state.episode_step[:2] = env.max_episode_length - 2  # two time-outs on the way
    state.command_timer[1:3] = 1  # resamples
    state.push_timer[2:] = 1  # pushes
    stats = RolloutStats(env.dt)
    env.step(torch.zeros(4, env.num_actions))  # graphs captured before the guards
    for name in ("numpy", "__array__", "tolist", "item", "__bool__", "__int__", "__float__"):
        monkeypatch.setattr(torch.Tensor, name, _refuse)
    monkeypatch.setattr(wp.array, "numpy", _refuse)
    monkeypatch.setattr(torch, "as_tensor", _from_device_only(torch.as_tensor))
    monkeypatch.setattr(torch, "tensor", _from_device_only(torch.tensor))
    for _ in range(4):
        obs, rewards, _, extras = env.step(torch.zeros(4, env.num_actions))
        stats.add(env.last_result)
    monkeypatch.undo()
    assert obs["actor"].device == rewards.device == torch.device("cpu")
    assert isinstance(extras["time_outs"], torch.Tensor)
    record = stats.record()  # read back once per iteration
    assert record["episodes"] == 2 and record["terminations"] == {"time_out": 1.0}
    assert state.command_timer[1:3].min() > 1 and state.push_timer[2:].min() > 1  # resampled, pushed


def test_a_rewind_after_steps_under_inference_mode(manifest):
    """Training collects under torch.inference_mode; a rewind (or an evaluation step) comes outside it."""
    env = LocoEnv(manifest, 3, seed=2, sim_device="cpu", on_device=True)
    env.state.episode_step[0] = env.max_episode_steps - 1  # a reset inside inference mode
    before = env.state_dict()
    with torch.inference_mode():
        first = [env.step(torch.zeros(3, env.num_actions)).reward for _ in range(2)]
    env.load_state_dict(before)
    again = [env.step(torch.zeros(3, env.num_actions)).reward for _ in range(2)]
    for a, b in zip(first, again, strict=True):
        torch.testing.assert_close(a, b)  # the same steps again: a rewind is exact
