"""Policies for evaluation: a callable from numpy observation groups to numpy actions."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

Policy = Callable[[dict[str, np.ndarray]], np.ndarray]


def torch_policy(actor: torch.nn.Module, device: str = "cpu") -> Policy:
    """Deterministic (mean) actions of an rsl-rl actor on numpy observations."""
    from tensordict import TensorDict

    def act(obs: dict[str, np.ndarray]) -> np.ndarray:
        n = len(next(iter(obs.values())))
        batch = TensorDict({k: torch.from_numpy(v).to(device) for k, v in obs.items()}, batch_size=[n])
        with torch.inference_mode():
            return actor(batch).cpu().numpy()

    return act
