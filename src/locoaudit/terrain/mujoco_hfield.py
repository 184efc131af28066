"""Add a :class:`TerrainGrid` to a MuJoCo model spec as a heightfield asset plus a static geom.

MuJoCo hfield facts this relies on (checked against mujoco 4.0):

* ``nrow`` samples run along the geom's y axis, ``ncol`` along x, row-major, row 0 at -y: exactly
  ``TerrainGrid.heights``; sample ``(r, c)`` sits at ``(-size[0] + 2*size[0]*c/(ncol-1), -size[1] + ...)``.
* The compiler renormalises user elevation data to [0, 1] (min -> 0, max -> 1) and the surface is
  ``data * size[2]`` above the geom frame, so we pass ``size[2] = max - min`` and put the geom at ``z = min``
  (this also handles pits below zero). ``size[2]`` and ``size[3]`` must be positive.
* Data is stored as float32, so heights are exact to about 6e-8 of the height range.
* The surface between samples is triangulated (each cell split along its (r, c)-(r+1, c+1) diagonal), so it
  equals :meth:`TerrainGrid.height_at` (bilinear) on grid lines and wherever a cell is planar.
"""

from __future__ import annotations

import mujoco
import numpy as np

from locoaudit.terrain.grid import TerrainGrid

BASE_THICKNESS = 1.0  # m, depth of the hfield's solid base below its lowest point
_FLAT_ELEVATION = 1e-3  # m, placeholder size[2] for a perfectly flat grid (MuJoCo requires it positive)


def add_hfield_to_spec(spec: mujoco.MjSpec, grid: TerrainGrid, name: str = "terrain") -> mujoco.MjsGeom:
    """Add hfield asset ``name`` and a static worldbody geom ``name`` whose surface matches ``grid``."""
    nrow, ncol = grid.heights.shape
    low, high = float(grid.heights.min()), float(grid.heights.max())
    span = high - low
    data = (grid.heights - low) / span if span > 0 else np.zeros_like(grid.heights)
    half_x, half_y = (extent / 2 for extent in grid.extent())
    hfield = spec.add_hfield(
        name=name,
        nrow=nrow,
        ncol=ncol,
        size=[half_x, half_y, span if span > 0 else _FLAT_ELEVATION, BASE_THICKNESS],
    )
    hfield.userdata = data.ravel()
    return spec.worldbody.add_geom(
        name=name,
        type=mujoco.mjtGeom.mjGEOM_HFIELD,
        hfieldname=name,
        pos=[grid.origin[0] + half_x, grid.origin[1] + half_y, low],
    )
