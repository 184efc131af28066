"""The rsl-rl-lib VecEnv adapter plugs into rsl-rl's PPO."""

import numpy as np
import torch
from rsl_rl.env import VecEnv
from tensordict import TensorDict

from locoaudit.manifest import load_manifest
from locoaudit.task.env import LocoEnv
from locoaudit.task.vecenv import LocoVecEnv


def make(n=8):
    return LocoVecEnv(LocoEnv(load_manifest("quadruped_flat"), n, seed=0, threads=1))


def test_vecenv_contract():
    env = make()
    assert isinstance(env, VecEnv)
    obs = env.get_observations()
    assert isinstance(obs, TensorDict) and set(obs.keys()) == {"actor", "critic"}
    assert obs["actor"].shape == (8, 47) and obs["actor"].dtype == torch.float32
    env.env.state.episode_step[:] = 0
    env.env.state.episode_step[5] = env.max_episode_length - 1
    obs, rew, dones, extras = env.step(torch.zeros(8, env.num_actions))
    assert rew.shape == (8,) and dones.dtype == torch.bool
    assert extras["time_outs"].tolist() == [False] * 5 + [True] + [False] * 2
    assert dones[5]
    assert extras["log"]["/termination/time_out"] == 1.0
    assert "/reward/track_lin_vel_xy" in extras["log"]
    assert env.get_observations() is obs


def test_episode_length_buf_round_trip():
    env = make(4)
    env.episode_length_buf = torch.tensor([1, 2, 3, 4])
    np.testing.assert_array_equal(env.env.state.episode_step, [1, 2, 3, 4])


def test_rsl_rl_ppo_collects_and_updates_on_it():
    from rsl_rl.runners import OnPolicyRunner

    env = make(16)
    cfg = {
        "num_steps_per_env": 4,
        "save_interval": 100,
        "obs_groups": {"actor": ["actor"], "critic": ["critic"]},
        "algorithm": {
            "class_name": "PPO",
            "learning_rate": 1e-3,
            "num_learning_epochs": 1,
            "num_mini_batches": 2,
            "clip_param": 0.2,
            "gamma": 0.99,
            "lam": 0.95,
            "value_loss_coef": 1.0,
            "entropy_coef": 0.01,
            "max_grad_norm": 1.0,
            "use_clipped_value_loss": True,
            "schedule": "fixed",
            "desired_kl": 0.01,
        },
        "actor": {
            "class_name": "MLPModel",
            "hidden_dims": [32, 32],
            "activation": "elu",
            "distribution_cfg": {"class_name": "GaussianDistribution", "init_std": 1.0},
        },
        "critic": {"class_name": "MLPModel", "hidden_dims": [32, 32], "activation": "elu"},
    }
    torch.manual_seed(0)
    runner = OnPolicyRunner(env, cfg, log_dir=None, device="cpu")
    runner.learn(num_learning_iterations=1)
    assert runner.current_learning_iteration == 0
