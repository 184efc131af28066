"""legged_gym-style terrain curriculum: each env has a difficulty row (level) and a terrain-kind column."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from locoaudit.arrays import Array, arange, astype, like, rng_state, set_rng_state, to_numpy, xp
from locoaudit.terrain.grid import TerrainGrid


class Curriculum:
    """Terrain levels per env; envs move up a row when they walked far, down when they walked too little."""

    def __init__(self, grid: TerrainGrid, num_envs: int, max_init_level: int, rng) -> None:
        """Draw initial levels uniformly in [0, max_init_level] (clipped to the grid); columns round-robin.

        rng: a numpy Generator (levels on the host) or an arrays.Random (levels on its device).
        """
        if num_envs < 1 or max_init_level < 0:
            raise ValueError(f"need num_envs >= 1 and max_init_level >= 0, got {num_envs}, {max_init_level}")
        self.grid = grid
        self.rng = rng
        top = min(max_init_level, grid.num_rows - 1)
        self.levels: Array = rng.integers(0, top + 1, size=num_envs, dtype=np.int64)
        self.cols: Array = arange(num_envs, self.levels) % grid.num_cols

    def update(self, env_ids: Array, distance: Array, commanded_distance: Array) -> None:
        """Up a row if distance > tile_size/2, else down one if distance < commanded/2; wrap past the top."""
        if isinstance(self.levels, np.ndarray):
            env_ids = np.asarray(env_ids, dtype=np.int64)
            distance = np.asarray(distance, dtype=np.float64)
            commanded_distance = np.asarray(commanded_distance, dtype=np.float64)
        move_up = distance > self.grid.tile_size / 2
        move_down = ~move_up & (distance < 0.5 * commanded_distance)
        step = astype(move_up, self.levels, "int") - astype(move_down, self.levels, "int")
        levels = self.levels[env_ids] + step
        passed_top = levels >= self.grid.num_rows
        if isinstance(levels, np.ndarray):
            levels[passed_top] = self.rng.integers(0, self.grid.num_rows, size=int(passed_top.sum()))
        else:  # a draw for every env, kept where it passed the top: no wait for the device's count
            drawn = self.rng.integers(0, self.grid.num_rows, size=len(levels))
            levels = torch.where(passed_top, drawn, levels)
        self.levels[env_ids] = xp(levels).clip(levels, 0, None)

    def origins(self, env_ids: Array) -> Array:
        """(len(env_ids), 3) world spawn positions at the centre of each env's tile, on the surface."""
        if isinstance(self.levels, np.ndarray):
            env_ids = np.asarray(env_ids, dtype=np.int64)
        return self.grid.tile_origin(self.levels[env_ids], self.cols[env_ids])

    def mean_level(self) -> float:
        """Mean terrain level over all envs."""
        return float(to_numpy(self.levels).mean())

    def state_dict(self) -> dict[str, Any]:
        """Checkpointable host copy of levels, columns and the RNG state."""
        return {
            "levels": np.array(to_numpy(self.levels)),
            "cols": np.array(to_numpy(self.cols)),
            "rng_state": rng_state(self.rng),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore levels, columns and RNG state saved by :meth:`state_dict`."""
        levels = np.asarray(state["levels"], dtype=np.int64)
        cols = np.asarray(state["cols"], dtype=np.int64)
        if levels.shape != self.levels.shape or cols.shape != self.cols.shape:
            raise ValueError(f"state for {levels.shape[0]} envs, curriculum has {self.levels.shape[0]}")
        self.levels = like(levels.copy(), self.levels, "int")
        self.cols = like(cols.copy(), self.cols, "int")
        set_rng_state(self.rng, state["rng_state"])
