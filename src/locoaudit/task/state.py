"""The per-env task state besides the physics: one explicit record, saved, restored, traced and sliced here.

Checkpoints store it as {"buffers": {field: (N, ...)}} and traces as "buffer.<field>" rows of one env;
the field names below are those keys, so old checkpoints and traces keep loading.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from locoaudit.arrays import Array, assign, like, to_numpy, zeros
from locoaudit.errors import LocoauditError

GOLDEN = 0.6180339887498949  # env i's gait clock starts at phase i * GOLDEN mod 1


@dataclass
class TaskState:
    """Per-env task buffers, one row per env. N envs, J joints, F feet."""

    action: Array  # (N, J) this step's clipped policy action
    last_action: Array  # (N, J) the previous step's action
    target: Array  # (N, J) joint targets being applied [rad]
    command: Array  # (N, 3) vx, vy [m/s], yaw rate [rad/s]
    command_timer: Array  # (N,) int: policy steps until the command is resampled
    episode_step: Array  # (N,) int: policy steps into the episode (time-outs count these)
    air_time: Array  # (N, F) seconds each foot has been in the air
    start_xy: Array  # (N, 2) base position at the episode start (terrain curriculum)
    friction: Array  # (N,) sampled foot friction (a privileged observation)
    delay: Array  # (N,) int: actuator delay in physics substeps
    push_timer: Array  # (N,) int: policy steps until the next push
    last_joint_vel: Array  # (N, J) joint velocities after the previous step (joint_acc)
    gait_phase: Array  # (N,) gait clock phase in [0, 1); absent from checkpoints before the clock

    @classmethod
    def zeros(cls, num_envs: int, default_joint_pos: np.ndarray, num_feet: int, ref: Array) -> TaskState:
        """A fresh state of ref's kind (numpy, or tensors on its device); targets at the default pose."""
        n, j = num_envs, len(default_joint_pos)
        target = zeros((n, j), ref)
        target[:] = like(default_joint_pos, ref)
        return cls(
            action=zeros((n, j), ref),
            last_action=zeros((n, j), ref),
            target=target,
            command=zeros((n, 3), ref),
            command_timer=zeros(n, ref, "int"),
            episode_step=zeros(n, ref, "int"),
            air_time=zeros((n, num_feet), ref),
            start_xy=zeros((n, 2), ref),
            friction=zeros(n, ref),
            delay=zeros(n, ref, "int"),
            push_timer=zeros(n, ref, "int"),
            last_joint_vel=zeros((n, j), ref),
            gait_phase=like((np.arange(n) * GOLDEN) % 1.0, ref),  # free-running clocks, spread, no RNG draw
        )

    @staticmethod
    def names() -> tuple[str, ...]:
        """Field names, in declaration order: the keys on disk."""
        return tuple(f.name for f in dataclasses.fields(TaskState))

    def arrays(self) -> dict[str, np.ndarray]:
        """A host copy of every buffer, by name (a checkpoint's "buffers")."""
        return {k: np.array(to_numpy(getattr(self, k))) for k in self.names()}

    def rows(self, ids: np.ndarray | int) -> dict[str, np.ndarray]:
        """A host copy of the rows `ids` of every buffer, by name (a trace's start state, one env)."""
        return {k: np.array(to_numpy(getattr(self, k))[ids]) for k in self.names()}

    def load(self, arrays: dict[str, np.ndarray], ids: np.ndarray | slice = slice(None)) -> None:
        """Write buffers given by name into rows `ids` (all rows by default), in place."""
        unknown = sorted(set(arrays) - set(self.names()))
        if unknown:
            raise LocoauditError(
                f"task state: unknown buffer {unknown[0]!r} (known: {', '.join(self.names())})"
            )
        for key, value in arrays.items():
            assign(getattr(self, key), ids, value)
