"""MuJoCo C on the CPU: all environments in one `mujoco.batch.Batch` on a persistent thread pool.

Why Batch rather than `mujoco.rollout`: a Batch keeps each simulation's full integration state,
including the solver warm start, between calls (rollout returns FULLPHYSICS state, so a rollout
per policy step cold-starts the solver), it is as fast as rollout on this machine (see
bench/throughput.py), its results are bit-identical at any thread count, and `expand` gives
per-environment model fields (friction, masses, gains, damping) without a model copy per env.
"""

from __future__ import annotations

import mujoco
import numpy as np
from mujoco import batch as mjbatch

# Warnings that mean MuJoCo found the state unstable and reset that simulation itself.
_INSTABILITY = (
    mujoco.mjtWarning.mjWARN_BADQPOS,
    mujoco.mjtWarning.mjWARN_BADQVEL,
    mujoco.mjtWarning.mjWARN_BADQACC,
)
# Per-env model parameters the backend accepts, by MjModel field.
PARAM_FIELDS = (
    "geom_friction",
    "body_mass",
    "body_ipos",
    "actuator_gainprm",
    "actuator_biasprm",
    "dof_damping",
)


class MujocoCpuBackend:
    """N copies of one compiled model, stepped together on `nthread` threads."""

    def __init__(self, model: mujoco.MjModel, num_envs: int, nthread: int):
        self.model = model
        self.num_envs = num_envs
        self._batch = mjbatch.Batch(model, nsim=num_envs, nthread=nthread)
        self._batch.reset()
        self.qpos = self._batch.bind("qpos")
        self.qvel = self._batch.bind("qvel")
        self.qacc = self._batch.bind("qacc")
        self.actuator_force = self._batch.bind("actuator_force")
        self.sensordata = self._batch.bind("sensordata")
        # bound before the first call: an output bound later reads zeros until the call after that
        self._geom_xpos = self._batch.bind("geom_xpos")
        self._params = {name: self._batch.expand(name) for name in PARAM_FIELDS}
        self._unstable = [int(w) for w in _INSTABILITY]

    @property
    def nthread(self) -> int:
        return self._batch.nthread

    def step(self, control: np.ndarray) -> np.ndarray:
        """Advance all envs by control.shape[1] substeps; returns the mask of unstable envs."""
        before = self._warning_counts()
        failed = np.zeros(self.num_envs, dtype=bool)
        try:
            self._batch.rollout(control.shape[1], control=control, record=())
        except mjbatch.SimulationError as exc:
            failed[exc.ids] = True
        failed |= self._warning_counts() > before
        failed |= ~np.isfinite(self.qpos).all(axis=1) | ~np.isfinite(self.qvel).all(axis=1)
        return failed

    def _warning_counts(self) -> np.ndarray:
        return self._batch.warning[:, self._unstable, 1].sum(axis=1)

    def reset(self, ids: np.ndarray, qpos: np.ndarray, qvel: np.ndarray) -> None:
        """Model defaults for everything (time, warm start, applied forces), then the given qpos / qvel."""
        if len(ids) == 0:
            return
        self._batch.reset(ids, stage=mujoco.mjtStage.mjSTAGE_NONE)
        self.qpos[ids] = qpos
        self.qvel[ids] = qvel

    def geom_positions(self, ids: np.ndarray, geoms: np.ndarray) -> np.ndarray:
        """World positions (n, G, 3) of geoms in envs `ids` at their current qpos (runs kinematics only)."""
        self._batch.forward(ids, stage=mujoco.mjtStage.mjSTAGE_POS)
        return self._geom_xpos[ids][:, geoms]

    def feet_xy(self, geoms: np.ndarray) -> np.ndarray:
        """(N, G, 2) horizontal positions of geoms from the last substep (binds geom_xpos on first use)."""
        return self._geom_xpos[:, geoms, :2].copy()

    def set_params(self, ids: np.ndarray, params: dict[str, np.ndarray]) -> None:
        for name, values in params.items():
            self._params[name][ids] = values

    def param(self, name: str) -> np.ndarray:
        """Live per-env values of a model field in PARAM_FIELDS, (N, ...)."""
        return self._params[name]

    def get_state(self, ids: np.ndarray) -> np.ndarray:
        return self._batch.state[ids].copy()

    def set_state(self, ids: np.ndarray, state: np.ndarray) -> None:
        self._batch.state[ids] = state
