"""The MuJoCo heightfield built by add_hfield_to_spec matches the TerrainGrid surface."""

from __future__ import annotations

import mujoco
import numpy as np

from locoaudit.terrain import TerrainGrid, add_hfield_to_spec, generate_grid


def compiled(grid: TerrainGrid) -> tuple[mujoco.MjModel, mujoco.MjData]:
    """Compile a spec holding only the terrain and run forward kinematics."""
    spec = mujoco.MjSpec()
    geom = add_hfield_to_spec(spec, grid)
    assert geom.hfieldname == "terrain" and geom.type == mujoco.mjtGeom.mjGEOM_HFIELD
    model = spec.compile()
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    return model, data


def ray_heights(model: mujoco.MjModel, data: mujoco.MjData, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Surface height under each (x, y) from a vertical mj_ray cast from 10 m up."""
    geomid = np.zeros(1, np.int32)
    down = np.array([0.0, 0.0, -1.0])
    dist = [
        mujoco.mj_ray(model, data, np.array([px, py, 10.0]), down, None, 1, -1, geomid)
        for px, py in zip(x, y, strict=True)
    ]
    return 10.0 - np.array(dist)


def triangulated(grid: TerrainGrid, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Reference surface as MuJoCo triangulates it: each cell split along its (i, j)-(i+1, j+1) diagonal."""
    fx, fy = (x - grid.origin[0]) / grid.resolution, (y - grid.origin[1]) / grid.resolution
    j, i = np.floor(fx).astype(int), np.floor(fy).astype(int)
    u, v = fx - j, fy - i
    h = grid.heights
    lower = h[i, j] + u * (h[i, j + 1] - h[i, j]) + v * (h[i + 1, j + 1] - h[i, j + 1])
    upper = h[i, j] + v * (h[i + 1, j] - h[i, j]) + u * (h[i + 1, j + 1] - h[i + 1, j])
    return np.where(u >= v, lower, upper)


def test_hfield_matches_grid_surface() -> None:
    """Vertical rays match height_at on grid lines and MuJoCo's triangles anywhere, to 1e-6 of the range."""
    kinds = {"stairs_up": 1.0, "random_rough": 1.0, "stepping_stones": 1.0}
    grid = generate_grid(kinds, 2, 3, 2.0, 0.1, 1.0, seed=5)
    model, data = compiled(grid)
    tol = 1e-6 * np.ptp(grid.heights)
    assert grid.heights.min() < -0.4  # pits below zero exercise the geom z offset
    rng = np.random.default_rng(0)
    half_x, half_y = np.array(grid.extent()) / 2 * 0.999
    x, y = rng.uniform(-half_x, half_x, 50), rng.uniform(-half_y, half_y, 50)
    np.testing.assert_allclose(ray_heights(model, data, x, y), triangulated(grid, x, y), rtol=0, atol=tol)
    x_on_lines = grid.origin[0] + rng.integers(1, grid.heights.shape[1] - 1, 50) * grid.resolution
    np.testing.assert_allclose(
        ray_heights(model, data, x_on_lines, y), grid.height_at(x_on_lines, y), rtol=0, atol=tol
    )


def test_flat_grid_compiles_at_zero() -> None:
    """A perfectly flat grid (zero height range) still compiles and sits at z = 0."""
    grid = generate_grid({"flat": 1.0}, 1, 1, 2.0, 0.5, 0.5, seed=0)
    model, data = compiled(grid)
    np.testing.assert_allclose(
        ray_heights(model, data, np.array([0.3, -1.2]), np.array([0.7, 1.0])), 0, atol=1e-9
    )
