"""The physics backend interface: N environments stepped as one batch.

State arrays are live (N, ...) views: writes to qpos / qvel are the state the next step starts
from. They are numpy arrays, or torch tensors on the simulator's device (`locoaudit.arrays`; the
annotations below say numpy for both). Implementations: `mujoco_cpu.MujocoCpuBackend` (MuJoCo C,
threads), `mjwarp.MujocoWarpBackend` (MuJoCo Warp on a GPU, or serially on the CPU; torch views of
its float32 device state, or float64 host mirrors of it) and `genesis_cpu.GenesisBackend` (a second
engine, for transfer evaluation).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Backend(Protocol):
    num_envs: int
    qpos: np.ndarray  # (N, nq) live state
    qvel: np.ndarray  # (N, nv) live state
    qacc: np.ndarray  # (N, nv) from the last substep
    actuator_force: np.ndarray  # (N, nu) from the last substep
    sensordata: np.ndarray  # (N, nsensordata) from the last substep

    def step(self, control: np.ndarray) -> np.ndarray:
        """Advance every env by control.shape[1] physics steps with per-step controls (N, nsub, nu).

        Returns a bool (N,) mask of envs whose state became non-finite or unstable.
        """
        ...

    def reset(self, ids: np.ndarray, qpos: np.ndarray, qvel: np.ndarray) -> None:
        """Set the full state of envs `ids` to (qpos, qvel) at rest: no warm start, no applied forces."""
        ...

    def geom_positions(self, ids: np.ndarray, geoms: np.ndarray) -> np.ndarray:
        """World positions (n, G, 3) of geoms in envs `ids` at their current qpos."""
        ...

    def feet_xy(self, geoms: np.ndarray) -> np.ndarray:
        """(N, G, 2) horizontal positions of geoms after the last step."""
        ...

    def set_params(self, ids: np.ndarray, params: dict[str, np.ndarray]) -> None:
        """Write per-env model parameters (see mujoco_cpu.PARAM_FIELDS) for envs `ids`."""
        ...

    def get_state(self, ids: np.ndarray) -> np.ndarray:
        """Full integration state rows (n, nstate) of envs `ids`, for traces."""
        ...

    def set_state(self, ids: np.ndarray, state: np.ndarray) -> None:
        """Restore full integration state rows recorded by get_state."""
        ...
