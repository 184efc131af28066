"""TerrainGrid layout, queries, column assignment and generate_grid determinism."""

from __future__ import annotations

import numpy as np
import pytest

from locoaudit.terrain import KINDS, TerrainGrid, generate_grid
from locoaudit.terrain.grid import assign_columns

ALL = dict.fromkeys(KINDS, 1.0)


def small_grid(kinds: dict[str, float] | None = None, seed: int = 0, **kw: object) -> TerrainGrid:
    """A 3-row grid of 4 m tiles at 0.1 m with a 1 m border."""
    args = {"num_rows": 3, "num_cols": 4, "tile_size": 4.0, "resolution": 0.1, "border": 1.0, "seed": seed}
    args.update(kw)
    return generate_grid(kinds or {"random_rough": 1.0, "stairs_up": 1.0}, **args)


def hand_grid() -> TerrainGrid:
    """A 2 x 4 height array (2 rows of 2-sample tiles along x, one column) at 0.5 m, origin (1, -2)."""
    heights = np.array([[0.0, 1.0, 2.0, 4.0], [10.0, 11.0, 12.0, 14.0]])
    return TerrainGrid(heights, 0.5, (1.0, -2.0), 1.0, 2, 1, ("flat",), 0.0)


def test_same_seed_identical_different_seed_differs() -> None:
    """Heights are a pure function of the arguments; the seed changes random kinds."""
    a, b, c = small_grid(seed=7), small_grid(seed=7), small_grid(seed=8)
    np.testing.assert_array_equal(a.heights, b.heights)
    assert not np.array_equal(a.heights, c.heights)


def test_changing_one_kind_keeps_other_tiles() -> None:
    """Each tile has its own RNG, so swapping a column's kind leaves the other columns untouched."""
    a = small_grid({"random_rough": 1.0, "discrete_obstacles": 1.0}, num_cols=2)
    b = small_grid({"random_rough": 1.0, "flat": 1.0}, num_cols=2)
    half = a.heights.shape[0] // 2
    np.testing.assert_array_equal(a.heights[:half], b.heights[:half])
    assert not np.array_equal(a.heights[half:], b.heights[half:])


def test_column_assignment_proportions() -> None:
    """Contiguous blocks in mapping order, largest remainder, at least one column per positive kind."""
    assert (
        assign_columns({"flat": 0.5, "stairs_up": 0.3, "gaps": 0.2}, 10)
        == ("flat",) * 5 + ("stairs_up",) * 3 + ("gaps",) * 2
    )
    assert assign_columns({"flat": 98.0, "gaps": 2.0}, 5) == ("flat",) * 4 + ("gaps",)
    assert assign_columns({"flat": 1.0, "gaps": 0.0, "curbs": 1.0}, 3) == ("flat", "flat", "curbs")
    assert assign_columns({"flat": 0.2, "gaps": 0.5, "curbs": 0.3}, 2) == ("gaps", "curbs")
    assert small_grid(ALL, num_cols=10).col_kinds == tuple(KINDS)


def test_unknown_kind_and_bad_arguments_raise() -> None:
    """Unknown names list the known ones; non-multiples of the resolution are rejected."""
    with pytest.raises(ValueError, match=r"unknown terrain kind 'lava'; known: flat, random_rough"):
        small_grid({"flat": 1.0, "lava": 1.0})
    with pytest.raises(ValueError, match="not a multiple"):
        small_grid(tile_size=4.05)
    with pytest.raises(ValueError, match="difficulty_range"):
        small_grid(difficulty_range=(0.5, 0.2))


def test_row_difficulty_and_layout() -> None:
    """Rows go along x with linear difficulty, columns along y, the grid is centred at the origin."""
    grid = small_grid({"curbs": 1.0, "flat": 1.0}, num_cols=2, difficulty_range=(0.2, 0.8))
    assert grid.heights.shape == (2 * 10 + 2 * 40, 2 * 10 + 3 * 40)
    assert grid.extent() == pytest.approx((13.9, 9.9))
    assert grid.origin == pytest.approx((-6.95, -4.95))
    centres = grid.tile_origin(np.arange(3)[:, None], np.arange(2)[None, :])
    assert centres.shape == (3, 2, 3)
    np.testing.assert_allclose(centres[:, 0, 0], [-4.0, 0.0, 4.0], atol=1e-12)
    np.testing.assert_allclose(centres[0, :, 1], [-2.0, 2.0], atol=1e-12)
    for row, difficulty in enumerate([0.2, 0.5, 0.8]):
        x, y = np.meshgrid(np.linspace(-1.9, 1.9, 39) + centres[row, 0, 0], np.linspace(-1.9, 1.9, 39) - 2.0)
        assert grid.height_at(x, y).max() == pytest.approx(0.05 + 0.1 * difficulty)
        assert not grid.height_at(x, y + 4.0).any()
    assert not grid.heights[:10].any() and not grid.heights[:, -10:].any()


def test_tile_of_inverts_tile_origin_and_clips() -> None:
    """tile_of maps tile centres and nearby points back to their tile, and clips points outside."""
    grid = small_grid()
    rows, cols = np.meshgrid(np.arange(3), np.arange(4), indexing="ij")
    centres = grid.tile_origin(rows, cols)
    for dx, dy in [(0.0, 0.0), (1.99, -1.99), (-1.99, 1.99)]:
        row, col = grid.tile_of(centres[..., 0] + dx, centres[..., 1] + dy)
        np.testing.assert_array_equal(row, rows)
        np.testing.assert_array_equal(col, cols)
    row, col = grid.tile_of(np.array([-100.0, 100.0]), np.array([100.0, -100.0]))
    np.testing.assert_array_equal(row, [0, 2])
    np.testing.assert_array_equal(col, [3, 0])
    with pytest.raises(IndexError):
        grid.tile_origin(np.array([3]), np.array([0]))


def test_every_tile_centre_is_spawnable() -> None:
    """Within 0.5 m of every tile centre of every kind the surface is flat at the tile_origin height."""
    grid = generate_grid(ALL, 4, 10, 8.0, 0.1, 1.0, seed=3)
    rows, cols = np.meshgrid(np.arange(4), np.arange(10), indexing="ij")
    centres = grid.tile_origin(rows, cols)
    offsets = np.linspace(-0.5 + 1e-6, 0.5 - 1e-6, 11)
    dx, dy = np.meshgrid(offsets, offsets)
    heights = grid.height_at(centres[..., 0, None, None] + dx, centres[..., 1, None, None] + dy)
    np.testing.assert_array_equal(heights, np.broadcast_to(centres[..., 2, None, None], heights.shape))
    assert centres[3, 4, 2] < -1.0 and centres[3, 5, 2] > 1.0  # stairs_up pit, stairs_down summit


def test_height_at_exact_bilinear_and_clamped() -> None:
    """Exact at samples, hand-computed bilinear between them, clamped outside, broadcasting shapes."""
    grid = hand_grid()
    xs = 1.0 + 0.5 * np.arange(4)
    np.testing.assert_array_equal(grid.height_at(xs[None, :], np.array([[-2.0], [-1.5]])), grid.heights)
    # x = 2.25 is 1/2 between columns 2 and 3; y = -1.875 is 1/4 of the way from row 0 to row 1.
    expected = 0.75 * (2.0 + 4.0) / 2 + 0.25 * (12.0 + 14.0) / 2
    assert grid.height_at(np.array(2.25), np.array(-1.875)) == pytest.approx(expected, abs=1e-12)
    assert grid.height_at(np.array(1.25), np.array(-1.6)) == pytest.approx(8.5, abs=1e-12)
    np.testing.assert_array_equal(
        grid.height_at(np.array([-9.0, 9.0, 9.0]), np.array([-9.0, -9.0, 9.0])), [0, 4, 14]
    )
    assert grid.height_at(np.zeros((3, 1)), np.zeros((1, 5))).shape == (3, 5)
