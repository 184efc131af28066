"""legged_gym-style terrain curriculum: each env has a difficulty row (level) and a terrain-kind column."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from locoaudit.terrain.grid import TerrainGrid


class Curriculum:
    """Terrain levels per env; envs move up a row when they walked far, down when they walked too little."""

    def __init__(
        self, grid: TerrainGrid, num_envs: int, max_init_level: int, rng: np.random.Generator
    ) -> None:
        """Draw initial levels uniformly in [0, max_init_level] (clipped to the grid); columns round-robin."""
        if num_envs < 1 or max_init_level < 0:
            raise ValueError(f"need num_envs >= 1 and max_init_level >= 0, got {num_envs}, {max_init_level}")
        self.grid = grid
        self.rng = rng
        top = min(max_init_level, grid.num_rows - 1)
        self.levels: np.ndarray = rng.integers(0, top + 1, size=num_envs, dtype=np.int64)
        self.cols: np.ndarray = np.arange(num_envs, dtype=np.int64) % grid.num_cols

    def update(self, env_ids: np.ndarray, distance: np.ndarray, commanded_distance: np.ndarray) -> None:
        """Up a row if distance > tile_size/2, else down one if distance < commanded/2; wrap past the top."""
        env_ids = np.asarray(env_ids, dtype=np.int64)
        distance = np.asarray(distance, dtype=np.float64)
        move_up = distance > self.grid.tile_size / 2
        move_down = ~move_up & (distance < 0.5 * np.asarray(commanded_distance, dtype=np.float64))
        levels = self.levels[env_ids] + move_up.astype(np.int64) - move_down.astype(np.int64)
        passed_top = levels >= self.grid.num_rows
        levels[passed_top] = self.rng.integers(0, self.grid.num_rows, size=int(passed_top.sum()))
        self.levels[env_ids] = np.maximum(levels, 0)

    def origins(self, env_ids: np.ndarray) -> np.ndarray:
        """(len(env_ids), 3) world spawn positions at the centre of each env's tile, on the surface."""
        env_ids = np.asarray(env_ids, dtype=np.int64)
        return self.grid.tile_origin(self.levels[env_ids], self.cols[env_ids])

    def mean_level(self) -> float:
        """Mean terrain level over all envs."""
        return float(self.levels.mean())

    def state_dict(self) -> dict[str, Any]:
        """Checkpointable copy of levels, columns and the RNG state."""
        return {
            "levels": self.levels.copy(),
            "cols": self.cols.copy(),
            "rng_state": copy.deepcopy(self.rng.bit_generator.state),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore levels, columns and RNG state saved by :meth:`state_dict`."""
        levels = np.asarray(state["levels"], dtype=np.int64)
        cols = np.asarray(state["cols"], dtype=np.int64)
        if levels.shape != self.levels.shape or cols.shape != self.cols.shape:
            raise ValueError(f"state for {levels.shape[0]} envs, curriculum has {self.levels.shape[0]}")
        self.levels = levels.copy()
        self.cols = cols.copy()
        self.rng.bit_generator.state = copy.deepcopy(state["rng_state"])
