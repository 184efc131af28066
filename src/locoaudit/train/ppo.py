"""Build rsl-rl-lib's PPO (algorithm, storage, models) from a manifest's [ppo] section."""

from __future__ import annotations

import contextlib
import io

import torch
from rsl_rl.algorithms import PPO

from locoaudit.manifest.schema import PPOSection
from locoaudit.task.vecenv import TaskVecEnv
from locoaudit.train.distributed import World


def symmetry_config(cfg: PPOSection, env: TaskVecEnv) -> dict | None:
    """rsl-rl-lib's symmetry_cfg for the manifest's [ppo] symmetry choice (None when off)."""
    if cfg.symmetry == "none":
        return None
    return {
        "data_augmentation_func": env.mirror().augment,
        "use_data_augmentation": cfg.symmetry in ("augment", "both"),
        "use_mirror_loss": cfg.symmetry in ("mirror_loss", "both"),
        "mirror_loss_coeff": cfg.mirror_loss_coeff,
    }


def rsl_rl_config(cfg: PPOSection, symmetry: dict | None = None, multi_gpu: dict | None = None) -> dict:
    """The rsl-rl-lib 5.x train config for a [ppo] section (asymmetric actor-critic)."""
    return {
        "num_steps_per_env": cfg.num_steps_per_env,
        "save_interval": cfg.save_interval,
        "obs_groups": {"actor": ["actor"], "critic": ["critic"]},
        "multi_gpu": multi_gpu,  # {global_rank, local_rank, world_size} under torchrun
        "algorithm": {
            "class_name": "PPO",
            "num_learning_epochs": cfg.num_learning_epochs,
            "num_mini_batches": cfg.num_mini_batches,
            "clip_param": cfg.clip_param,
            "gamma": cfg.gamma,
            "lam": cfg.lam,
            "learning_rate": cfg.learning_rate,
            "schedule": cfg.schedule,
            "desired_kl": cfg.desired_kl,
            "entropy_coef": cfg.entropy_coef,
            "value_loss_coef": cfg.value_loss_coef,
            "max_grad_norm": cfg.max_grad_norm,
            "use_clipped_value_loss": True,
            "symmetry_cfg": symmetry,
        },
        "actor": {
            "class_name": "MLPModel",
            "hidden_dims": list(cfg.actor_hidden_dims),
            "activation": cfg.activation,
            "obs_normalization": cfg.obs_normalization,
            "distribution_cfg": {"class_name": "GaussianDistribution", "init_std": cfg.init_noise_std},
        },
        "critic": {
            "class_name": "MLPModel",
            "hidden_dims": list(cfg.critic_hidden_dims),
            "activation": cfg.activation,
            "obs_normalization": cfg.obs_normalization,
        },
    }


def build_ppo(env: TaskVecEnv, cfg: PPOSection, device: str, world: World | None = None) -> tuple[PPO, str]:
    """rsl-rl PPO with actor on the 'actor' group and critic on the 'critic' group, and its model summary.

    Across several processes (world.size > 1), rank 0's freshly built models are broadcast to all.
    """
    world = world or World()
    config = rsl_rl_config(cfg, symmetry_config(cfg, env), world.multi_gpu_cfg())
    summary = io.StringIO()
    with contextlib.redirect_stdout(summary):  # rsl-rl prints the models; keep them for the run directory
        alg = PPO.construct_algorithm(env.get_observations().to(device), env, config, device)
    if world.size > 1:
        alg.broadcast_parameters()
    return alg, summary.getvalue()


def log_prob_of(alg: PPO, obs, actions: torch.Tensor) -> torch.Tensor:
    """Log-probability of stored actions under the current actor, without sampling (no RNG use)."""
    actor = alg.get_policy()
    with torch.inference_mode():
        actor.distribution.update(actor.mlp(actor.get_latent(obs)))
        return actor.distribution.log_prob(actions)
