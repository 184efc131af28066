"""The per-env task state besides the physics: one explicit record, saved, restored, traced and sliced here.

Checkpoints store it as {"buffers": {field: (N, ...)}} and traces as "buffer.<field>" rows of one env;
the field names below are those keys, so old checkpoints and traces keep loading.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from locoaudit.errors import LocoauditError

GOLDEN = 0.6180339887498949  # env i's gait clock starts at phase i * GOLDEN mod 1


@dataclass
class TaskState:
    """Per-env task buffers, one row per env. N envs, J joints, F feet."""

    action: np.ndarray  # (N, J) this step's clipped policy action
    last_action: np.ndarray  # (N, J) the previous step's action
    target: np.ndarray  # (N, J) joint targets being applied [rad]
    command: np.ndarray  # (N, 3) vx, vy [m/s], yaw rate [rad/s]
    command_timer: np.ndarray  # (N,) int: policy steps until the command is resampled
    episode_step: np.ndarray  # (N,) int: policy steps into the episode (time-outs count these)
    air_time: np.ndarray  # (N, F) seconds each foot has been in the air
    start_xy: np.ndarray  # (N, 2) base position at the episode start (terrain curriculum)
    friction: np.ndarray  # (N,) sampled foot friction (a privileged observation)
    delay: np.ndarray  # (N,) int: actuator delay in physics substeps
    push_timer: np.ndarray  # (N,) int: policy steps until the next push
    last_joint_vel: np.ndarray  # (N, J) joint velocities after the previous step (joint_acc)
    gait_phase: np.ndarray  # (N,) gait clock phase in [0, 1); absent from checkpoints before the clock

    @classmethod
    def zeros(cls, num_envs: int, default_joint_pos: np.ndarray, num_feet: int) -> TaskState:
        """A fresh state: zeros everywhere, targets at the default pose."""
        n, j = num_envs, len(default_joint_pos)
        return cls(
            action=np.zeros((n, j)),
            last_action=np.zeros((n, j)),
            target=np.broadcast_to(default_joint_pos, (n, j)).copy(),
            command=np.zeros((n, 3)),
            command_timer=np.zeros(n, dtype=np.int64),
            episode_step=np.zeros(n, dtype=np.int64),
            air_time=np.zeros((n, num_feet)),
            start_xy=np.zeros((n, 2)),
            friction=np.zeros(n),
            delay=np.zeros(n, dtype=np.int64),
            push_timer=np.zeros(n, dtype=np.int64),
            last_joint_vel=np.zeros((n, j)),
            gait_phase=(np.arange(n) * GOLDEN) % 1.0,  # free-running clocks, spread, no RNG draw
        )

    @staticmethod
    def names() -> tuple[str, ...]:
        """Field names, in declaration order: the keys on disk."""
        return tuple(f.name for f in dataclasses.fields(TaskState))

    def arrays(self) -> dict[str, np.ndarray]:
        """A copy of every buffer, by name (a checkpoint's "buffers")."""
        return {k: getattr(self, k).copy() for k in self.names()}

    def rows(self, ids: np.ndarray | int) -> dict[str, np.ndarray]:
        """A copy of the rows `ids` of every buffer, by name (a trace's start state, one env)."""
        return {k: getattr(self, k)[ids].copy() for k in self.names()}

    def load(self, arrays: dict[str, np.ndarray], ids: np.ndarray | slice = slice(None)) -> None:
        """Write buffers given by name into rows `ids` (all rows by default), in place."""
        unknown = sorted(set(arrays) - set(self.names()))
        if unknown:
            raise LocoauditError(
                f"task state: unknown buffer {unknown[0]!r} (known: {', '.join(self.names())})"
            )
        for key, value in arrays.items():
            getattr(self, key)[ids] = value
