"""rsl-rl-lib 5.x `VecEnv` over `LocoEnv`: TensorDict observations, time-outs and per-term logs."""

from __future__ import annotations

from abc import abstractmethod

import numpy as np
import torch
from rsl_rl.env import VecEnv
from tensordict import TensorDict

from locoaudit.arrays import Array, assign, xp
from locoaudit.manifest import to_plain
from locoaudit.task.env import LocoEnv, StepResult
from locoaudit.task.observations import scan_points
from locoaudit.task.symmetry import Mirror, build_mirror


class TaskVecEnv(VecEnv):
    """What the trainer reads beyond rsl-rl's VecEnv: step length, the last step, task stats, state."""

    dt: float  # policy step [s]
    last_result: StepResult | None  # the latest step, for the iteration's rollout statistics

    @abstractmethod
    def task_stats(self) -> dict[str, float | None]:
        """Per-iteration task figures for the metrics record (terrain level, phase entropy, ...)."""

    @abstractmethod
    def state_dict(self) -> dict:
        """Everything of the env that affects the future, for checkpoints."""

    @abstractmethod
    def load_state_dict(self, state: dict) -> None:
        """Restore what state_dict returned."""

    @abstractmethod
    def set_observations(self, obs: dict[str, np.ndarray]) -> None:
        """Replace the current observations (used when restoring a checkpoint)."""

    def mirror(self) -> Mirror:
        """Left-right mirror maps of observations and actions (for PPO symmetry)."""
        raise NotImplementedError(f"{type(self).__name__} has no mirror maps")


class LocoVecEnv(TaskVecEnv):
    """Torch view of a LocoEnv for rsl-rl's PPO.

    On MuJoCo C the task runs in numpy and each step converts (zero-copy on the CPU); on MuJoCo Warp
    with `on_device` the task's tensors already live on the device and pass straight through.
    """

    def __init__(self, env: LocoEnv, device: str = "cpu"):
        self.env = env
        self.dt = env.dt
        self.num_envs = env.num_envs
        self.num_actions = env.num_actions
        self.max_episode_length = env.max_episode_steps
        self.device = device
        self.cfg = to_plain(env.manifest)
        self._obs = self._to_tensordict(env.observe())
        self.last_result: StepResult | None = None

    @property
    def episode_length_buf(self) -> torch.Tensor:
        return torch.as_tensor(self.env.state.episode_step)

    @episode_length_buf.setter
    def episode_length_buf(self, value: torch.Tensor) -> None:
        step = self.env.state.episode_step
        assign(step, slice(None), value.detach() if isinstance(step, torch.Tensor) else value.cpu().numpy())

    def _tensor(self, a: Array, dtype: torch.dtype | None = None) -> torch.Tensor:
        """`a` on the policy's device (no copy where it already is one there)."""
        return torch.as_tensor(a).to(device=self.device, dtype=dtype)

    def _to_tensordict(self, obs: dict[str, Array]) -> TensorDict:
        data = {k: self._tensor(v) for k, v in obs.items()}
        return TensorDict(data, batch_size=[self.num_envs], device=self.device)

    def get_observations(self) -> TensorDict:
        return self._obs

    def set_observations(self, obs: dict[str, np.ndarray]) -> None:
        """Replace the current observations (used when restoring a checkpoint)."""
        self._obs = self._to_tensordict(obs)

    def task_stats(self) -> dict[str, float | None]:
        curriculum = self.env.curriculum
        return {
            "terrain_level": None if curriculum is None else curriculum.mean_level(),
            "phase_entropy": self.env.phase_entropy(),
            "nonfinite_resets": self.env.nonfinite_resets,
        }

    def state_dict(self) -> dict:
        return self.env.state_dict()

    def mirror(self) -> Mirror:
        env = self.env
        return build_mirror(env.built, env.obs_layout(), scan_points(env.manifest.observations))

    def load_state_dict(self, state: dict) -> None:
        self.env.load_state_dict(state)

    def step(self, actions: torch.Tensor) -> tuple[TensorDict, torch.Tensor, torch.Tensor, dict]:
        on_device = isinstance(self.env.state.action, torch.Tensor)
        result = self.env.step(actions.detach() if on_device else actions.detach().cpu().numpy())
        self.last_result = result
        self._obs = self._to_tensordict(result.obs)
        rewards = self._tensor(result.reward, torch.float32)
        dones = self._tensor(result.terminated | result.time_out)
        extras = {"time_outs": self._tensor(result.time_out), "log": episode_log(result, self.env.dt)}
        return self._obs, rewards, dones, extras


def episode_log(result: StepResult, dt: float) -> dict[str, Array]:
    """rsl-rl log entries (0-d arrays of the env's kind, never waited for) for episodes that ended this step.

    '/reward/<term>' is the mean per-second contribution of a term over the ended episodes;
    '/termination/<reason>' is the fraction of ended episodes that ended for that reason (every reason
    the env knows, zeros included). Empty when no episode ended.
    """
    ended = result.ended
    n = len(ended.env_ids)
    if n == 0:
        return {}
    seconds = xp(ended.ret).clip(ended.length, 1, None) * dt
    log = {f"/reward/{k}": (v / seconds).mean() for k, v in ended.term_sums.items()}
    counts = xp(ended.ret).bincount(ended.reason_code, minlength=len(ended.reason_names))
    log.update({f"/termination/{r}": counts[i] / n for i, r in enumerate(ended.reason_names) if r})
    return log
