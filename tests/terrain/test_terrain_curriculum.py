"""Terrain-level curriculum rules and checkpointing."""

from __future__ import annotations

import numpy as np

from locoaudit.terrain import Curriculum, TerrainGrid, generate_grid


def grid() -> TerrainGrid:
    """5 levels x 3 columns of 8 m tiles (move-up threshold 4 m)."""
    return generate_grid({"flat": 1.0, "stairs_up": 1.0, "curbs": 1.0}, 5, 3, 8.0, 0.2, 0.0, seed=0)


def test_initial_levels_and_columns() -> None:
    """Levels are drawn in [0, max_init_level] (clipped to the grid); columns are round-robin."""
    cur = Curriculum(grid(), 1000, 2, np.random.default_rng(0))
    assert set(np.unique(cur.levels)) == {0, 1, 2}
    np.testing.assert_array_equal(cur.cols[:7], [0, 1, 2, 0, 1, 2, 0])
    assert Curriculum(grid(), 100, 99, np.random.default_rng(0)).levels.max() == 4


def test_up_down_rules_and_top_wrap() -> None:
    """Up past tile_size/2, down below half the commanded distance, up wins, clip at 0, wrap past the top."""
    cur = Curriculum(grid(), 7, 0, np.random.default_rng(1))
    cur.levels[:] = [2, 2, 2, 0, 4, 3, 1]
    state = cur.rng.bit_generator.state
    ids = np.array([0, 1, 2, 3, 4, 5])
    distance = np.array([5.0, 1.0, 3.0, 0.1, 4.5, 4.1])
    commanded = np.array([10.0, 10.0, 4.0, 10.0, 10.0, 20.0])
    cur.update(ids, distance, commanded)
    replay = np.random.default_rng()
    replay.bit_generator.state = state
    expected_wrap = replay.integers(0, 5, size=1)[0]
    np.testing.assert_array_equal(cur.levels, [3, 1, 2, 0, expected_wrap, 4, 1])
    assert cur.mean_level() == cur.levels.mean()


def test_origins_are_tile_centres() -> None:
    """Spawn points are the centres of each env's (level, column) tile on the surface."""
    g = grid()
    cur = Curriculum(g, 9, 4, np.random.default_rng(2))
    ids = np.array([8, 0, 3])
    np.testing.assert_array_equal(cur.origins(ids), g.tile_origin(cur.levels[ids], cur.cols[ids]))
    assert cur.origins(ids).shape == (3, 3)


def test_state_dict_round_trip_reproduces_future_levels() -> None:
    """Restoring a checkpoint into a differently seeded curriculum reproduces the same future levels."""
    g = grid()
    inputs = np.random.default_rng(3)
    steps = [(inputs.uniform(0, 6, 64), inputs.uniform(0, 12, 64)) for _ in range(20)]
    ids = np.arange(64)
    a = Curriculum(g, 64, 4, np.random.default_rng(4))
    for distance, commanded in steps[:5]:
        a.update(ids, distance, commanded)
    state = a.state_dict()
    future_a = []
    for distance, commanded in steps[5:]:
        a.update(ids, distance, commanded)
        future_a.append(a.levels.copy())
    b = Curriculum(g, 64, 0, np.random.default_rng(99))
    b.load_state_dict(state)
    for (distance, commanded), levels in zip(steps[5:], future_a, strict=True):
        b.update(ids, distance, commanded)
        np.testing.assert_array_equal(b.levels, levels)
    assert not np.array_equal(state["levels"], a.levels)  # the saved state is a snapshot, not a view
